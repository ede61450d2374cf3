# Қазақша (кирилл жазуы).

## The frame of every page
site-name = Қорғас шекарасындағы рұқсатнамалар
site-tagline = Шекара маңы ынтымақтастығының халықаралық орталығы
nav-apply = Рұқсатнама алу
nav-fetch = Менің рұқсатнамам
lang-switch = Тіл
skip-to-content = Негізгі мазмұнға өту
footer-zone-time = Сапар күндері — аймақтың уақыт белдеуіндегі ({ $tz }) күнтізбелік күндер.
date = { $year } жылғы { $day } { $month ->
    [1] қаңтар
    [2] ақпан
    [3] наурыз
    [4] сәуір
    [5] мамыр
    [6] маусым
    [7] шілде
    [8] тамыз
    [9] қыркүйек
    [10] қазан
    [11] қараша
   *[12] желтоқсан
  }
optional = міндетті емес

## Applying
apply-title = Кіруге рұқсатнама алуға өтініш
apply-intro = Аймаққа кіру үшін рұқсатнама және өтініш берген құжатыңыз керек. Деректерді құжатта жазылғандай дәл енгізіңіз.
apply-document = Құжатыңыз
document-type = Құжат
document-type-passport = Паспорт (кез келген елдің)
document-type-id_card = Жеке куәлік (ҚХР тұрғынының жеке куәлігі немесе Қазақстанның жеке куәлігі)
issuing-country = Берген ел
issuing-country-hint = Құжатта басылған үш әріпті код, мысалы KAZ, CHN немесе RUS. Жеке куәлік үшін: CHN немесе KAZ.
number = Құжат нөмірі
number-hint = ҚХР тұрғынының жеке куәлігі үшін: азаматтың 18 таңбалы нөмірі.
nationality = Азаматтығы
nationality-hint = Үш әріпті код, мысалы KAZ.
surname = Тегі
given-names = Аты
names-hint = Латын әріптерімен, құжаттың машинамен оқылатын аймағындағыдай.
birth-date = Туған күні
date-hint = Жыл-ай-күн, мысалы 1990-01-31.
sex = Жынысы
choose = Таңдаңыз
sex-m = Ер (M)
sex-f = Әйел (F)
sex-x = Көрсетілмеген (X)
expiry-date = Құжаттың жарамдылық мерзімі
expiry-hint = Тек ҚХР тұрғынының мерзімсіз куәлігі үшін бос қалдырыңыз.
personal-number = Жеке сәйкестендіру нөмірі (ЖСН)
personal-number-hint = Қазақстан құжаттары үшін: 12 таңбалы ЖСН. Басқа құжаттар үшін бос қалдырыңыз.
mrz = Машинамен оқылатын аймақ (MRZ)
mrz-hint = Фотосуреті бар беттің төменгі жағындағы әріптер, сандар мен < белгілерінен тұратын екі немесе үш жол, әр жолы жеке жолда. Ондағы өрістер өздігінен толтырылады.
mrz-read = Өрістерді MRZ бойынша толтыру
mrz-filled = MRZ-дағы өрістер толтырылды. Оларды тексеріп, өтініш беріңіз.
apply-visit = Сапарыңыз
visit-from = Бірінші күні
visit-until = Соңғы күні
visit-rules = Сапар бірінші және соңғы күнді қоса алғанда ең көбі { $days } күнге созылады. Ол өткен күннен немесе бүгіннен бастап { $ahead } күннен кейін басталмайды.
apply-submit = Өтініш беру
summary-title = Өтініште { $count } қате бар
field-problem = { $field }: { $problem }

## The permit
permit-title = Кіруге рұқсатнамаңыз
permit-granted = Рұқсатнама берілді.
permit-holder = Иесі
permit-nationality = Азаматтығы
permit-birth-date = Туған күні
permit-valid-from = Басталуы
permit-valid-until = Аяқталуы
permit-day-start = 00:00-ден
permit-day-end = 24:00-ге дейін
permit-id = Рұқсатнама нөмірі
permit-status = Күйі
permit-status-active = Жарамды
permit-status-revoked = Кері қайтарылды
permit-access-code = Кіру коды
permit-access-code-warning = Бұл кодты қазір жазып алыңыз немесе бетті басып шығарыңыз: ол тек бір рет көрсетіледі. Рұқсатнама нөмірімен бірге ол рұқсатнамаңызды қайта ашады. Оны ешкімге бермеңіз.
permit-qr = Рұқсатнаманың QR коды
permit-show = Өткізу пунктінде осы QR кодты сол құжатпен бірге көрсетіңіз.
permit-print = Басып шығару үшін браузердің басып шығару командасын пайдаланыңыз. Бір A4 парағында QR код, атыңыз, күндер және рұқсатнама нөмірі болады.
permit-download = QR кодты жүктеп алу (PNG)
permit-revoked-note = Бұл рұқсатнама кері қайтарылды: онымен енді кіруге болмайды.

## Opening a permit again
fetch-title = Рұқсатнаманы қайта ашу
fetch-intro = Өтініш бергенде алған рұқсатнама нөмірі мен кіру кодын енгізіңіз.
fetch-permit-id = Рұқсатнама нөмірі
fetch-access-code = Кіру коды
fetch-submit = Рұқсатнаманы ашу

## Whole-page problems (docs/errors.md)
problem-title = Сұрау орындалмады
problem-home = Өтінішке оралу
retry-after = { $seconds } секундтан кейін қайталаңыз.
problem-malformed-json = Сұрауды оқу мүмкін болмады.
problem-bad-request = Форманы оқу мүмкін болмады. Бетті жаңартып, қайта жіберіңіз.
problem-unauthorized = Алдымен жүйеге кіріңіз.
problem-forbidden = Сізге бұған рұқсат жоқ.
problem-not-found = Бұл мекенжайда бет жоқ.
problem-method-not-allowed = Бұл мекенжай мұндай сұрауды қабылдамайды.
problem-body-timeout = Форма тым ұзақ келді. Қайта жіберіңіз.
problem-conflict = Бұл сақталған деректерге қайшы келеді.
problem-payload-too-large = Форма тым ұзын.
problem-unsupported-media-type = Форма қызмет оқи алмайтын түрде жіберілді.
problem-invalid-input = Кейбір өрістерді түзету керек.
problem-too-many-requests = Сіздің қосылымыңыздан тым көп әрекет жасалды.
problem-busy = Қызмет бос емес.
problem-unavailable = Қызмет қазір өз деректеріне қол жеткізе алмайды. Ештеңе сақталған жоқ.
problem-internal = Біз тарапта қате болды. Ештеңе сақталған жоқ. Кейінірек қайталаңыз.
problem-overlapping-permit = Бұл құжатқа күндері қиылысатын рұқсатнама берілген. Сол рұқсатнаманы нөмірі мен кіру коды арқылы ашыңыз немесе басқа күндерді таңдаңыз.
problem-permit-not-found = Бұл нөмір мен кіру кодына сәйкес рұқсатнама табылмады. Екеуін де тексеріп, қайталаңыз.
problem-form-expired = Форманың мерзімі өтіп кетті, сондықтан ештеңе жіберілмеді. Өрістерді тексеріп, қайта жіберіңіз.

## Field problems (errors[].code of the API)
code-required = Бұл өрісті толтыру міндетті.
code-invalid_length = Тым қысқа немесе тым ұзын (MRZ-да 44 таңбадан 2 жол немесе 30 таңбадан 3 жол болады).
code-invalid_character = Мұнда рұқсат етілмеген таңба бар.
code-invalid_check_digit = Бақылау цифры сәйкес келмейді: құжатыңызбен салыстырыңыз.
code-invalid_date = Бұл күн емес: жыл-ай-күн түрінде жазыңыз, мысалы 1990-01-31.
code-invalid_value = Бұл мән рұқсат етілгендердің қатарында жоқ.
code-mismatch = Құжаттың басқа деректеріне (MRZ немесе жеке нөмірге) сәйкес келмейді.
code-unsupported_document = Аймақ бұл құжатты қабылдамайды.
code-date_in_future = Бұл күн әлі келген жоқ.
code-date_in_past = Бұл күн өтіп кетті.
code-expired = Құжаттың мерзімі сапар аяқталмай тұрып бітеді.
code-too_long = Сапар рұқсат етілгеннен ұзақ.
code-too_far_ahead = Сапар рұқсат етілгеннен кеш басталады.
code-invalid_range = Соңғы күн бірінші күннен бұрын.
code-out_of_range = Бұл уақыт қазіргі уақыттан тым алыс.
code-unknown_gate = Мұндай өткізу пункті жоқ.
code-invalid_type = Мәннің түрі дұрыс емес.
code-unknown_field = Формада мұндай өріс жоқ.
code-invalid_query = Мекенжайды оқу мүмкін болмады.
code-not_allowed = Бұл мәнді пайдалануға рұқсатыңыз жоқ.
code-nonce_reused = Бұл сканерлеу нөмірі басқа сканерлеуге пайдаланылған.

## The gate scanner
gate-title = Өткізу пунктінің сканері
gate-username = Пайдаланушы аты
gate-password = Құпиясөз
gate-gate = Өткізу пункті
gate-login = Кіру
gate-scanner = Сканер
gate-pending = Жіберілмегені:
gate-direction = Бағыты
gate-entry = Кіру
gate-exit = Шығу
gate-token = Рұқсатнаманың QR коды
gate-token-hint = QR кодты сканерлеңіз: сканер оны осында енгізіп, Enter пернесін басады.
gate-camera = Камерамен сканерлеу
gate-camera-missing = Бұл браузер QR кодты камерамен оқи алмайды: сканерді пайдаланыңыз.
gate-decided-offline = Шешім байланыссыз, пункттің деректер пакеті бойынша қабылданды
gate-confirm = Пункттің деректер пакеті бір тәуліктен ескі. Рұқсатнама мен құжатты тексергеннен кейін бұл адамды өткізесіз бе?
gate-admit = Өткізу
gate-deny = Бас тарту
gate-status-online = байланыс бар
gate-status-offline = байланыс жоқ
gate-bundle-none = пункттің деректер пакеті әлі жоқ
gate-bundle-age = деректер пакеті: { $minutes } мин бұрын
gate-result-admit = ӨТУГЕ БОЛАДЫ
gate-result-deny = ТОҚТА
gate-upload-rejected = Қызмет байланыссыз сканерлеуді қабылдамады; ол жазылған жоқ.
gate-upload-conflict = Тексеруге қайшылық жазылды: { $kind }
gate-login-failed = Пайдаланушы аты белгісіз немесе құпиясөз қате.
gate-login-throttled = Сәтсіз әрекеттер тым көп: күтіп, қайталаңыз.
gate-login-offline = Қызметпен байланыс жоқ, кіру мүмкін емес.
gate-reason-malformed_token = Бұл рұқсатнаманың QR коды емес
gate-reason-bad_signature = Жалған немесе зақымданған рұқсатнама
gate-reason-unknown_key = Рұқсатнамаға белгісіз кілтпен қол қойылған
gate-reason-unknown_permit = Белгісіз рұқсатнама
gate-reason-revoked = Рұқсатнама кері қайтарылған
gate-reason-not_yet_valid = Рұқсатнама әлі жарамды емес
gate-reason-expired = Рұқсатнаманың мерзімі өткен
gate-reason-already_inside = Аймақтың ішінде жүр
gate-reason-not_inside = Аймақта жоқ: кіруі жазылмаған
gate-reason-wrong_side = Басқа елдің пункті арқылы кірген
gate-reason-denied_at_gate = Өткізу пунктінде бас тартылды
gate-reason-no_bundle = Байланыс жоқ және пункттің деректер пакеті жоқ: шешу мүмкін емес
gate-flag-overstay = Рұқсатнама мерзімінен артық болды
gate-flag-revoked = Рұқсатнама осы аралықта кері қайтарылды
gate-flag-late = Кешігіп жазылды
gate-flag-override = Аға қызметкердің шешімімен өткізілді
gate-flag-offline = Шешім байланыссыз қабылданды
gate-flag-conflict = Журналға қайшы
gate-reason-refused = Қызмет бас тартты
gate-reason-override_refused = Аға қызметкердің шешімі қабылданбады
gate-device-set = Бұл бет өз пунктінің құрылғысы ретінде бапталған.
gate-device-none = Құрылғы ретінде бапталмаған: деректер қызметкердің атынан жіберіледі.
gate-override = Аға қызметкердің шешімі: өткізу
gate-override-reason = Бұл адам неге өткізіледі
gate-cancel = Болдырмау
gate-device-title = Осы пункттің құрылғысы ретінде баптау
gate-device-token = Құрылғы токені (әкімшіден)
gate-device-save = Құрылғы токенін сақтау
