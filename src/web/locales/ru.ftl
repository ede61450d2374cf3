# Русский.

## The frame of every page
site-name = Пропуска на границе Хоргос
site-tagline = Международный центр приграничного сотрудничества
nav-apply = Получить пропуск
nav-fetch = Мой пропуск
lang-switch = Язык
skip-to-content = Перейти к основному содержанию
footer-zone-time = Дни визита — календарные дни по времени зоны ({ $tz }).
date = { $day } { $month ->
    [1] января
    [2] февраля
    [3] марта
    [4] апреля
    [5] мая
    [6] июня
    [7] июля
    [8] августа
    [9] сентября
    [10] октября
    [11] ноября
   *[12] декабря
  } { $year } г.
optional = необязательно

## Applying
apply-title = Заявление на пропуск для въезда
apply-intro = Для въезда в зону нужны пропуск и документ, по которому вы его получили. Введите данные точно так, как они напечатаны в документе.
apply-document = Ваш документ
document-type = Документ
document-type-passport = Паспорт (любой страны)
document-type-id_card = Удостоверение личности (удостоверение жителя КНР или удостоверение личности Казахстана)
issuing-country = Страна выдачи
issuing-country-hint = Трёхбуквенный код, напечатанный в документе, например KAZ, CHN или RUS. Для удостоверения личности: CHN или KAZ.
number = Номер документа
number-hint = Для удостоверения жителя КНР: 18-значный номер гражданина.
nationality = Гражданство
nationality-hint = Трёхбуквенный код, например KAZ.
surname = Фамилия
given-names = Имя
names-hint = Латинскими буквами, как в машиночитаемой зоне документа.
birth-date = Дата рождения
date-hint = Год-месяц-день, например 1990-01-31.
sex = Пол
choose = Выберите
sex-m = Мужской (M)
sex-f = Женский (F)
sex-x = Не указан (X)
expiry-date = Срок действия документа
expiry-hint = Оставьте пустым только для бессрочного удостоверения жителя КНР.
personal-number = Личный номер (ИИН)
personal-number-hint = Для казахстанских документов: 12-значный ИИН. Для других документов оставьте пустым.
mrz = Машиночитаемая зона (MRZ)
mrz-hint = Две или три строки из букв, цифр и знаков < внизу страницы с фотографией, каждая на своей строке. Поля, которые в ней есть, заполнятся сами.
mrz-read = Заполнить поля из MRZ
mrz-filled = Поля из MRZ заполнены. Проверьте их и подайте заявление.
apply-visit = Ваш визит
visit-from = Первый день
visit-until = Последний день
visit-rules = Визит длится не более { $days ->
    [one] { $days } дня
   *[other] { $days } дней
  }, включая первый и последний день. Он не может начинаться в прошлом или позже чем через { $ahead ->
    [one] { $ahead } день
    [few] { $ahead } дня
   *[other] { $ahead } дней
  } от сегодняшнего дня.
apply-submit = Подать заявление
summary-title = { $count ->
    [one] В заявлении { $count } ошибка
    [few] В заявлении { $count } ошибки
   *[other] В заявлении { $count } ошибок
  }
field-problem = { $field }: { $problem }

## The permit
permit-title = Ваш пропуск для въезда
permit-granted = Пропуск выдан.
permit-holder = Владелец
permit-nationality = Гражданство
permit-birth-date = Дата рождения
permit-valid-from = Действует с
permit-valid-until = Действует по
permit-day-start = с 00:00
permit-day-end = до 24:00
permit-id = Номер пропуска
permit-status = Состояние
permit-status-active = Действует
permit-status-revoked = Отозван
permit-access-code = Код доступа
permit-access-code-warning = Запишите этот код или распечатайте страницу сейчас: он показывается только один раз. Вместе с номером пропуска он снова открывает ваш пропуск. Никому его не сообщайте.
permit-qr = QR-код пропуска
permit-show = На пункте пропуска покажите этот QR-код вместе с тем же документом.
permit-print = Чтобы распечатать, воспользуйтесь командой печати браузера. На одном листе A4 будут QR-код, ваше имя, даты и номер пропуска.
permit-download = Скачать QR-код (PNG)
permit-revoked-note = Этот пропуск отозван: по нему больше нельзя въехать.

## Opening a permit again
fetch-title = Открыть пропуск снова
fetch-intro = Введите номер пропуска и код доступа, полученные при подаче заявления.
fetch-permit-id = Номер пропуска
fetch-access-code = Код доступа
fetch-submit = Открыть пропуск

## Whole-page problems (docs/errors.md)
problem-title = Запрос не выполнен
problem-home = Вернуться к заявлению
retry-after = Повторите через { $seconds } с.
problem-malformed-json = Запрос не удалось прочитать.
problem-bad-request = Форму не удалось прочитать. Обновите страницу и отправьте её снова.
problem-unauthorized = Сначала войдите в систему.
problem-forbidden = Вам это не разрешено.
problem-not-found = По этому адресу страницы нет.
problem-method-not-allowed = Этот адрес не принимает такой запрос.
problem-body-timeout = Форма шла слишком долго. Отправьте её снова.
problem-conflict = Это противоречит сохранённым данным.
problem-payload-too-large = Форма слишком длинная.
problem-unsupported-media-type = Форма отправлена в виде, который служба не читает.
problem-invalid-input = Некоторые поля нужно исправить.
problem-too-many-requests = Слишком много попыток с вашего подключения.
problem-busy = Служба занята.
problem-unavailable = Служба сейчас не может обратиться к своим данным. Ничего не сохранено.
problem-internal = У нас произошла ошибка. Ничего не сохранено. Попробуйте позже.
problem-overlapping-permit = На этот документ уже выдан пропуск на пересекающиеся дни. Откройте тот пропуск по его номеру и коду доступа или выберите другие дни.
problem-permit-not-found = Пропуск с таким номером и кодом доступа не найден. Проверьте оба и попробуйте снова.
problem-form-expired = Срок действия формы истёк, поэтому ничего не отправлено. Проверьте поля и отправьте форму снова.

## Field problems (errors[].code of the API)
code-required = Это поле обязательно.
code-invalid_length = Слишком коротко или слишком длинно (в MRZ 2 строки по 44 или 3 строки по 30 знаков).
code-invalid_character = Здесь есть недопустимый знак.
code-invalid_check_digit = Контрольная цифра не совпадает: сверьте с документом.
code-invalid_date = Это не дата: пишите год-месяц-день, например 1990-01-31.
code-invalid_value = Это значение не из допустимых.
code-mismatch = Не совпадает с другими данными документа (MRZ или личным номером).
code-unsupported_document = Зона не принимает этот документ.
code-date_in_future = Эта дата ещё не наступила.
code-date_in_past = Эта дата уже прошла.
code-expired = Срок действия документа заканчивается раньше визита.
code-too_long = Визит длиннее допустимого.
code-too_far_ahead = Визит начинается позже допустимого.
code-invalid_range = Последний день раньше первого.
code-out_of_range = Это время слишком далеко от текущего.
code-unknown_gate = Такого пункта пропуска нет.
code-invalid_type = Значение неверного вида.
code-unknown_field = Такого поля в форме нет.
code-invalid_query = Адрес не удалось прочитать.
code-not_allowed = Вам нельзя использовать это значение.
code-nonce_reused = Этот номер сканирования уже использован для другого сканирования.

## The gate scanner
gate-title = Сканер пункта пропуска
gate-username = Имя пользователя
gate-password = Пароль
gate-gate = Пункт пропуска
gate-login = Войти
gate-scanner = Сканер
gate-pending = Не отправлено:
gate-direction = Направление
gate-entry = Въезд
gate-exit = Выезд
gate-token = QR-код пропуска
gate-token-hint = Отсканируйте QR-код: сканер введёт его сюда и нажмёт Enter.
gate-camera = Сканировать камерой
gate-camera-missing = Этот браузер не читает QR-коды камерой: используйте сканер.
gate-decided-offline = Решение принято без связи, по пакету данных пункта
gate-confirm = Пакету данных пункта больше суток. Пропустить этого человека после проверки пропуска и документа?
gate-admit = Пропустить
gate-deny = Отказать
gate-status-online = на связи
gate-status-offline = нет связи
gate-bundle-none = пакета данных пункта ещё нет
gate-bundle-age = пакет данных: { $minutes } мин назад
gate-result-admit = ПРОХОД
gate-result-deny = СТОП
gate-upload-rejected = Служба отклонила сканирование без связи; оно не записано.
gate-upload-conflict = Записан конфликт для проверки: { $kind }
gate-login-failed = Неизвестное имя пользователя или неверный пароль.
gate-login-throttled = Слишком много неудачных попыток: подождите и попробуйте снова.
gate-login-offline = Нет связи со службой, войти нельзя.
gate-reason-malformed_token = Это не QR-код пропуска
gate-reason-bad_signature = Поддельный или повреждённый пропуск
gate-reason-unknown_key = Пропуск подписан неизвестным ключом
gate-reason-unknown_permit = Неизвестный пропуск
gate-reason-revoked = Пропуск отозван
gate-reason-not_yet_valid = Пропуск ещё не действует
gate-reason-expired = Срок пропуска истёк
gate-reason-already_inside = Уже находится в зоне
gate-reason-not_inside = Не находится в зоне: въезд не записан
gate-reason-wrong_side = Въехал через пункт другой страны
gate-reason-denied_at_gate = Отказано на пункте пропуска
gate-reason-no_bundle = Нет связи и нет пакета данных пункта: решить нельзя
gate-flag-overstay = Пробыл дольше срока пропуска
gate-flag-revoked = Пропуск тем временем отозван
gate-flag-late = Записано с опозданием
gate-flag-override = Пропущен по решению старшего
gate-flag-offline = Решение без связи
gate-flag-conflict = Противоречит журналу
gate-reason-refused = Служба отказала
gate-reason-override_refused = Решение старшего отклонено
gate-device-set = Эта страница настроена как устройство своего пункта.
gate-device-none = Не настроена как устройство: отправка идёт от имени сотрудника.
gate-override = Решение старшего: пропустить
gate-override-reason = Почему этого человека пропускают
gate-cancel = Отмена
gate-device-title = Настроить как устройство этого пункта
gate-device-token = Токен устройства (от администратора)
gate-device-save = Сохранить токен устройства

## The administrators' pages (/admin)
admin-nav-dashboard = Обзор
admin-nav-permits = Пропуска
admin-nav-staff = Сотрудники
admin-nav-devices = Устройства пунктов
admin-nav-conflicts = Конфликты
admin-nav-audit = Журнал аудита
admin-login-title = Администраторы: вход
admin-login-intro = Для администраторов зоны. Инспекторы и старшие смены пунктов пропуска работают на странице пункта.
admin-login = Войти
admin-logout = Выйти
admin-username = Имя пользователя
admin-username-hint = От 2 до 64 символов: строчные латинские буквы, цифры, точка, подчёркивание, дефис
admin-password = Пароль
admin-password-hint = Не менее 12 символов
admin-login-failed = Неверное имя пользователя или пароль.
admin-session-ended = Сеанс завершён. Войдите снова.
admin-refused = Эти страницы только для администраторов. Инспекторы и старшие смены работают на странице пункта пропуска.
admin-signed-in-as = Вы вошли как
admin-back-to-dashboard = Вернуться к обзору
admin-dashboard-title = Обзор
admin-daily-title = Суточные показатели
admin-daily-caption = Суточные показатели с { $from } по { $to }, сутки по времени { $tz }
admin-from = С
admin-to = По
admin-time-zone = Сутки по часовому поясу
admin-gate = Пункт пропуска
admin-gate-hint = Только для инспекторов и старших смены
admin-all-gates = Все пункты
admin-no-gate = Без пункта (администраторы)
admin-show = Показать
admin-chart-max = максимум:
admin-download-csv = Скачать эти дни в CSV
admin-day = День
admin-entries = Въезды
admin-exits = Выезды
admin-travelers = Путешественники
admin-denied = Отказы
admin-permits-issued = Выдано пропусков
admin-total = Итого
admin-occupancy-title = Сейчас в зоне
admin-inside-now = человек сейчас в зоне
admin-by-side = По стороне въезда
admin-by-nationality = По гражданству
admin-side = Сторона
admin-inside = В зоне
admin-nationality = Гражданство
admin-overstays-title = Остались после окончания пропуска
admin-no-overstays = Никто в зоне не задержался после окончания пропуска.
admin-holder = Владелец
admin-inside-since = В зоне с
admin-valid-until = Пропуск истёк
admin-overdue-hours = Часов сверх срока
admin-permits-title = Поиск пропуска
admin-permits-intro = Ищите пропуска по номеру, по документу (тип, страна выдачи и номер вместе) или по началу фамилии, с датой рождения или без неё. Должны совпасть все заполненные поля.
admin-permit-id = Номер пропуска
admin-document-type = Тип документа
admin-doc-passport = Паспорт
admin-doc-id-card = Удостоверение личности
admin-issuing-country = Страна выдачи (например, CHN, KAZ)
admin-document-number = Номер документа
admin-surname-prefix = Фамилия начинается с
admin-surname-prefix-hint = Как в документе, в любом регистре
admin-birth-date = Дата рождения
admin-search = Найти
admin-results = Найдено пропусков
admin-no-results = Подходящих пропусков нет.
admin-document = Документ
admin-visit = Визит
admin-status = Статус
admin-status-active = Действует
admin-status-revoked = Отозван
admin-page = Страница
admin-permit-title = Пропуск и его пересечения
admin-permit-not-found = Такого пропуска нет.
admin-personal-number = Личный номер
admin-valid = Действует
admin-issued = Выдан
admin-revoked-at = Отозван
admin-crossings-title = Пересечения в порядке, в котором они были
admin-no-crossings = Этот пропуск ещё не сканировали.
admin-scanned-at = Сканирован
admin-recorded-at = Записан
admin-direction = Направление
admin-entry = Въезд
admin-exit = Выезд
admin-decision = Решение
admin-admitted = Пропущен
admin-denied-one = Отказ
admin-flags = Отметки
admin-officer = Инспектор
admin-device = Устройство
admin-conflict = Конфликт
admin-override-reason = Причина ручного пропуска
admin-revoke-title = Отозвать этот пропуск
admin-revoke-intro = С этого момента владельцу отказывают при любом въезде; если он в зоне, он всё ещё может выйти.
admin-revoke-reason = Причина
admin-revoke-reason-hint = Сохраняется с пропуском и в журнале аудита
admin-revoke = Отозвать
admin-revoked-notice = Пропуск отозван. Следующий въезд будет отклонён.
admin-already-revoked = Этот пропуск уже был отозван.
admin-staff-title = Учётные записи сотрудников
admin-accounts = Все учётные записи
admin-role = Роль
admin-role-officer = Инспектор
admin-role-supervisor = Старший смены
admin-role-admin = Администратор
admin-updated = Изменено
admin-actions = Действия
admin-enabled = Включена
admin-disabled = Отключена
admin-enable = Включить
admin-disable = Отключить
admin-create-account = Создать учётную запись
admin-create = Создать
admin-account-created = Учётная запись { $username } создана.
admin-account-disabled = Учётная запись { $username } отключена: её сеансы завершены.
admin-account-enabled = Учётная запись { $username } включена.
admin-account-not-found = Такой учётной записи нет.
admin-username-taken = Это имя пользователя занято.
admin-last-admin = Нельзя отключить последнего действующего администратора.
admin-not-yourself = Нельзя отключить собственную учётную запись.
admin-devices-title = Устройства пунктов пропуска
admin-devices-list = Все устройства
admin-device-label = Название
admin-device-label-hint = Где стоит, например «полоса 3»
admin-created = Зарегистрировано
admin-last-seen = Последняя связь
admin-revoked = Отозвано
admin-in-use = Используется
admin-register-device = Зарегистрировать устройство
admin-register = Зарегистрировать
admin-device-registered = Устройство зарегистрировано
admin-device-token-once = Токен устройства показан только сейчас: введите его на устройстве (страница пункта, «Настроить как устройство этого пункта»). Повторно его показать нельзя.
admin-device-revoked = Устройство { $label } отозвано: его токен больше не действует.
admin-device-not-found = Такого устройства нет.
admin-conflicts-title = Конфликты пересечений
admin-conflicts-intro = Пункт, работавший без сети, пропустил человека, которого по журналу пропускать не следовало. Выясните, что произошло, и закройте конфликт с пояснением.
admin-open-conflicts = Открытые
admin-no-open-conflicts = Открытых конфликтов нет.
admin-resolved-conflicts = Закрытые
admin-no-resolved-conflicts = Закрытых пока нет.
admin-see-crossings = Пересечения пропуска
admin-resolve-note = Как урегулировано
admin-resolve-note-hint = От 1 до 1000 символов, сохраняется в журнале аудита
admin-resolve = Закрыть
admin-resolved-at = Закрыт
admin-resolved-by = Кем
admin-resolved-by-upload = сервис (объяснено более поздней выгрузкой)
admin-conflict-resolved = Конфликт закрыт.
admin-conflict-already-resolved = Этот конфликт уже закрыт.
admin-conflict-not-found = Такого конфликта нет.
admin-audit-title = Журнал аудита
admin-actor = Кто
admin-actor-hint = Имя пользователя или cli для командной строки
admin-action = Действие
admin-all-actions = Все действия
admin-entries-found = Записей
admin-when = Когда
admin-target = Объект
admin-detail = Подробности
admin-client = С адреса
admin-newer = Новее
admin-older = Старше
admin-action-user-created = Создана учётная запись
admin-action-user-disabled = Учётная запись отключена
admin-action-user-enabled = Учётная запись включена
admin-action-user-password-reset = Пароль сброшен
admin-action-login-block-lifted = Снята блокировка входа
admin-action-permit-revoked = Пропуск отозван
admin-action-key-rotated = Ключ подписи заменён
admin-action-keys-resealed = Ключи перезапечатаны новым ключом шифрования
admin-action-gate-created = Добавлен пункт
admin-action-device-created = Зарегистрировано устройство
admin-action-device-revoked = Устройство отозвано
admin-action-conflict-resolved = Конфликт закрыт
admin-action-scan-overridden = Отказ отменён вручную
