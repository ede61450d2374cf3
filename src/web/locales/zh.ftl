# 简体中文。

## The frame of every page
site-name = 霍尔果斯边境通行证
site-tagline = 中哈霍尔果斯国际边境合作中心
nav-apply = 申请通行证
nav-fetch = 我的通行证
lang-switch = 语言
skip-to-content = 跳到主要内容
footer-zone-time = 访问日期按合作中心所在时区（{ $tz }）的日历日计算。
date = { $year }年{ $month }月{ $day }日
optional = 选填

## Applying
apply-title = 申请入区通行证
apply-intro = 进入合作中心需要通行证和申请时所用的证件。请完全按照证件上印的内容填写。
apply-document = 您的证件
document-type = 证件类型
document-type-passport = 护照（任何国家）
document-type-id_card = 身份证（中国居民身份证或哈萨克斯坦身份证）
issuing-country = 签发国
issuing-country-hint = 证件上印的三字母代码，例如 KAZ、CHN 或 RUS。身份证请填 CHN 或 KAZ。
number = 证件号码
number-hint = 中国居民身份证：填写18位公民身份号码。
nationality = 国籍
nationality-hint = 三字母代码，例如 KAZ。
surname = 姓
given-names = 名
names-hint = 使用拉丁字母，与证件机读区一致。
birth-date = 出生日期
date-hint = 年-月-日，例如 1990-01-31。
sex = 性别
choose = 请选择
sex-m = 男（M）
sex-f = 女（F）
sex-x = 未说明（X）
expiry-date = 证件有效期至
expiry-hint = 仅长期有效的中国居民身份证可以留空。
personal-number = 个人识别号（IIN）
personal-number-hint = 哈萨克斯坦证件：填写12位个人识别号（IIN）。其他证件请留空。
mrz = 机读区（MRZ）
mrz-hint = 照片页底部由字母、数字和 < 组成的两行或三行，每行单独一行。机读区中包含的栏目会自动填写。
mrz-read = 根据机读区填写
mrz-filled = 已根据机读区填写。请核对后再提交申请。
apply-visit = 您的访问
visit-from = 第一天
visit-until = 最后一天
visit-rules = 每次访问最长 { $days } 天，含第一天和最后一天。开始日期不能早于今天，也不能晚于今天起 { $ahead } 天。
apply-submit = 提交申请
summary-title = 您的申请有 { $count } 处问题
field-problem = { $field }：{ $problem }

## The permit
permit-title = 您的入区通行证
permit-granted = 通行证已签发。
permit-holder = 持证人
permit-nationality = 国籍
permit-birth-date = 出生日期
permit-valid-from = 有效期自
permit-valid-until = 有效期至
permit-day-start = 00:00 起
permit-day-end = 24:00 止
permit-id = 通行证编号
permit-status = 状态
permit-status-active = 有效
permit-status-revoked = 已吊销
permit-access-code = 查询码
permit-access-code-warning = 请立即记下此查询码或打印本页：它只显示这一次。凭通行证编号和查询码可以再次打开您的通行证。请勿告诉他人。
permit-qr = 通行证二维码
permit-show = 在口岸请出示此二维码和同一证件。
permit-print = 打印：请使用浏览器的打印功能。打印件在一页 A4 纸上包含二维码、姓名、日期和通行证编号。
permit-download = 下载二维码（PNG）
permit-revoked-note = 此通行证已被吊销，不能再凭它入区。

## Opening a permit again
fetch-title = 再次打开通行证
fetch-intro = 请输入申请时获得的通行证编号和查询码。
fetch-permit-id = 通行证编号
fetch-access-code = 查询码
fetch-submit = 打开通行证

## Whole-page problems (docs/errors.md)
problem-title = 请求未完成
problem-home = 返回申请表
retry-after = 请在 { $seconds } 秒后重试。
problem-malformed-json = 无法读取该请求。
problem-bad-request = 无法读取表单。请刷新页面后重新提交。
problem-unauthorized = 请先登录。
problem-forbidden = 您无权执行此操作。
problem-not-found = 此地址没有页面。
problem-method-not-allowed = 此地址不接受这种请求。
problem-body-timeout = 表单传送时间过长。请重新提交。
problem-conflict = 这与已保存的记录冲突。
problem-payload-too-large = 表单内容过长。
problem-unsupported-media-type = 表单的提交方式无法识别。
problem-invalid-input = 有些栏目需要更正。
problem-too-many-requests = 您的网络连接尝试次数过多。
problem-busy = 服务繁忙。
problem-unavailable = 服务暂时无法访问记录。未保存任何内容。
problem-internal = 我们这边出了问题。未保存任何内容。请稍后再试。
problem-overlapping-permit = 此证件已持有日期重叠的通行证。请用该通行证的编号和查询码打开它，或选择其他日期。
problem-permit-not-found = 没有与此编号和查询码相符的通行证。请核对后重试。
problem-form-expired = 表单已过期，未提交任何内容。请核对各栏后重新提交。

## Field problems (errors[].code of the API)
code-required = 此项必填。
code-invalid_length = 长度过短或过长（机读区为2行各44个字符或3行各30个字符）。
code-invalid_character = 含有此处不允许的字符。
code-invalid_check_digit = 校验位不符：请与证件核对。
code-invalid_date = 这不是有效日期：请按年-月-日填写，例如 1990-01-31。
code-invalid_value = 此值不在允许范围内。
code-mismatch = 与证件的其他信息（机读区或身份号码）不一致。
code-unsupported_document = 合作中心不接受此证件。
code-date_in_future = 此日期尚未到来。
code-date_in_past = 此日期已经过去。
code-expired = 证件在访问结束前到期。
code-too_long = 访问时间超过允许的天数。
code-too_far_ahead = 访问开始日期晚于允许的日期。
code-invalid_range = 最后一天早于第一天。
code-out_of_range = 此时间与当前时间相差太远。
code-unknown_gate = 没有这个口岸通道。
code-invalid_type = 此值格式不对。
code-unknown_field = 表单中没有此栏目。
code-invalid_query = 无法读取该地址。
code-not_allowed = 您不能使用此值。
code-nonce_reused = 此扫描编号已用于另一次扫描。
