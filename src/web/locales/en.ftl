# English: the reference every other language is held to (src/web/i18n.rs tests).

## The frame of every page
site-name = Khorgos border permits
site-tagline = International Center for Boundary Cooperation
nav-apply = Apply for a permit
nav-fetch = Open my permit
lang-switch = Language
skip-to-content = Skip to the main content
footer-zone-time = Visit days are calendar days in the zone's time zone ({ $tz }).
date = { $day } { $month ->
    [1] January
    [2] February
    [3] March
    [4] April
    [5] May
    [6] June
    [7] July
    [8] August
    [9] September
    [10] October
    [11] November
   *[12] December
  } { $year }
optional = optional

## Applying
apply-title = Apply for an entry permit
apply-intro = To enter the zone you need a permit and the document you apply with. Type the data exactly as it is printed in your document.
apply-document = Your document
document-type = Document
document-type-passport = Passport (any country)
document-type-id_card = ID card (Chinese resident identity card or Kazakh ID card)
issuing-country = Issuing country
issuing-country-hint = The three-letter code printed in the document, for example KAZ, CHN or RUS. For an ID card: CHN or KAZ.
number = Document number
number-hint = For a Chinese resident identity card: the 18-character citizen number.
nationality = Nationality
nationality-hint = The three-letter code, for example KAZ.
surname = Surname
given-names = Given names
names-hint = In Latin letters, as in the machine readable zone of your document.
birth-date = Date of birth
date-hint = Year-month-day, for example 1990-01-31.
sex = Sex
choose = Choose
sex-m = Male (M)
sex-f = Female (F)
sex-x = Unspecified (X)
expiry-date = Document expiry date
expiry-hint = Leave it empty only for a long-term Chinese card.
personal-number = Personal number (IIN)
personal-number-hint = Kazakh documents: the 12-digit IIN. Other documents: leave it empty.
mrz = Machine readable zone (MRZ)
mrz-hint = The two or three lines of letters, digits and < at the bottom of the photo page, one line a line. The fields it holds are filled in for you.
mrz-read = Fill in the fields from the MRZ
mrz-filled = The fields from the MRZ are filled in. Check them, then apply.
apply-visit = Your visit
visit-from = First day
visit-until = Last day
visit-rules = A visit lasts at most { $days } days, the first and the last day included. It may not start in the past, nor more than { $ahead } days from today.
apply-submit = Apply for the permit
summary-title = { $count ->
    [one] Your application has a problem
   *[other] Your application has { $count } problems
  }
field-problem = { $field }: { $problem }

## The permit
permit-title = Your entry permit
permit-granted = Your permit is granted.
permit-holder = Holder
permit-nationality = Nationality
permit-birth-date = Date of birth
permit-valid-from = Valid from
permit-valid-until = Valid until
permit-day-start = from 00:00
permit-day-end = until 24:00
permit-id = Permit number
permit-status = Status
permit-status-active = Active
permit-status-revoked = Revoked
permit-access-code = Access code
permit-access-code-warning = Write this code down or print this page now: it is shown only this once. With the permit number it opens your permit again. Do not share it.
permit-qr = QR code of the permit
permit-show = At the gate, show this QR code together with the same document.
permit-print = To print: use your browser's print command. The print-out holds the QR code, your name, the dates and the permit number on one A4 page.
permit-download = Download the QR code (PNG)
permit-revoked-note = This permit was revoked: it no longer lets you enter.

## Opening a permit again
fetch-title = Open your permit again
fetch-intro = Enter the permit number and the access code you got when you applied.
fetch-permit-id = Permit number
fetch-access-code = Access code
fetch-submit = Open the permit

## Whole-page problems (docs/errors.md)
problem-title = The request was not completed
problem-home = Back to the application form
retry-after = Try again in { $seconds } seconds.
problem-malformed-json = The request could not be read.
problem-bad-request = The form could not be read. Reload the page and send it again.
problem-unauthorized = Log in first.
problem-forbidden = You may not do this.
problem-not-found = There is no page at this address.
problem-method-not-allowed = This address does not take this kind of request.
problem-body-timeout = The form took too long to arrive. Send it again.
problem-conflict = This conflicts with what is stored.
problem-payload-too-large = The form is too long.
problem-unsupported-media-type = The form was sent in a way the service does not read.
problem-invalid-input = Some fields need correcting.
problem-too-many-requests = Too many attempts from your connection.
problem-busy = The service is busy.
problem-unavailable = The service cannot reach its records just now. Nothing was stored.
problem-internal = Something went wrong on our side. Nothing was stored. Try again later.
problem-overlapping-permit = This document already holds a permit for overlapping days. Open that permit with its number and access code, or choose other days.
problem-permit-not-found = No permit matches this permit number and access code. Check both and try again.
problem-form-expired = The form had expired, so nothing was sent. Check the fields and send it again.

## Field problems (errors[].code of the API)
code-required = This is required.
code-invalid_length = This is too short or too long (an MRZ has 2 lines of 44 or 3 lines of 30 characters).
code-invalid_character = This holds a character that may not stand here.
code-invalid_check_digit = A check digit does not match: compare it with your document.
code-invalid_date = This is not a date: write it as year-month-day, for example 1990-01-31.
code-invalid_value = This value is not one of those allowed.
code-mismatch = This does not agree with the rest of the document (the MRZ or the personal number).
code-unsupported_document = The zone does not accept this document.
code-date_in_future = This date lies in the future.
code-date_in_past = This date lies in the past.
code-expired = The document expires before the visit ends.
code-too_long = The visit is longer than allowed.
code-too_far_ahead = The visit starts later than allowed.
code-invalid_range = The last day comes before the first day.
code-out_of_range = This time lies too far from now.
code-unknown_gate = There is no such gate.
code-invalid_type = This value has the wrong form.
code-unknown_field = This is not a field of the form.
code-invalid_query = The address could not be read.
code-not_allowed = You may not use this value.
code-nonce_reused = This scan number was already used for another scan.

## The gate scanner
gate-title = Gate scanner
gate-username = Username
gate-password = Password
gate-gate = Gate
gate-login = Log in
gate-scanner = Scanner
gate-pending = Not yet uploaded:
gate-direction = Direction
gate-entry = Entry
gate-exit = Exit
gate-token = Permit QR code
gate-token-hint = Scan the QR code: the scanner types it here and presses Enter.
gate-camera = Scan with the camera
gate-camera-missing = This browser cannot read QR codes with the camera: use a scanner.
gate-decided-offline = Decided offline from the gate bundle
gate-confirm = The gate bundle is more than a day old. Admit this person after checking the permit and the document?
gate-admit = Admit
gate-deny = Deny
gate-status-online = online
gate-status-offline = offline
gate-bundle-none = no gate bundle yet
gate-bundle-age = bundle { $minutes } min old
gate-result-admit = ADMIT
gate-result-deny = STOP
gate-upload-rejected = An offline scan was refused by the service and not logged.
gate-upload-conflict = Conflict logged for review: { $kind }
gate-login-failed = Unknown username or wrong password.
gate-login-throttled = Too many failed attempts: wait, then try again.
gate-login-offline = The service cannot be reached to log in.
gate-reason-malformed_token = Not a permit QR code
gate-reason-bad_signature = Forged or damaged permit
gate-reason-unknown_key = Permit signed by an unknown key
gate-reason-unknown_permit = Unknown permit
gate-reason-revoked = Permit revoked
gate-reason-not_yet_valid = Permit not valid yet
gate-reason-expired = Permit expired
gate-reason-already_inside = Already inside the zone
gate-reason-not_inside = Not inside the zone: no entry recorded
gate-reason-wrong_side = Entered through the other country's gate
gate-reason-denied_at_gate = Denied at the gate
gate-reason-no_bundle = Offline and no gate bundle yet: cannot decide
gate-flag-overstay = Stayed past the permit's last day
gate-flag-revoked = Permit revoked meanwhile
gate-flag-late = Recorded late
gate-flag-override = Admitted by override
gate-flag-offline = Decided offline
gate-flag-conflict = In conflict with the log
gate-reason-refused = Refused by the service
gate-reason-override_refused = Override refused
gate-device-set = This page is set up as a device of its gate.
gate-device-none = Not set up as a device: uploads use the officer's session.
gate-override = Override: admit
gate-override-reason = Why this person is admitted
gate-cancel = Cancel
gate-device-title = Set up as a device of this gate
gate-device-token = Device token (from an administrator)
gate-device-save = Keep the device token
