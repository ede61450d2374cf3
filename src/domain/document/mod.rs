//! Travel documents: passports (any nationality), Chinese resident identity cards and Kazakh ID
//! cards; [`TravelDocument::parse`], which reports every problem it finds, is the only way to make one.

pub mod country;
pub mod iin;
pub mod mrz;
pub mod resident_id;

use std::fmt;

use chrono::NaiveDate;

pub use country::CountryCode;
use country::CountryCodeError;
pub use iin::Iin;
pub use mrz::{Mrz, MrzFormat};
pub use resident_id::ResidentIdNumber;

use super::violation::{Violation, ViolationCode, Violations};

/// Longest surname or given names accepted, in characters (an MRZ name field holds at most 39).
pub const MAX_NAME_CHARS: usize = 64;

/// Sex as printed on the document; MRZ `<` reads as unspecified (`X`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// `M`.
    Male,
    /// `F`.
    Female,
    /// `X` (MRZ `<`).
    Unspecified,
}

impl Sex {
    /// `M`, `F` or `X`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Male => "M",
            Self::Female => "F",
            Self::Unspecified => "X",
        }
    }

    /// Reads `M`, `F` or `X` (any case).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "M" => Some(Self::Male),
            "F" => Some(Self::Female),
            "X" | "<" => Some(Self::Unspecified),
            _ => None,
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of document the zone accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// A passport of any state (ICAO TD3).
    Passport,
    /// A Chinese resident identity card (18-character citizen number, no MRZ).
    ChineseIdCard,
    /// A Kazakh ID card (ICAO TD1, IIN in the optional data).
    KazakhIdCard,
}

impl DocumentKind {
    /// `passport` or `id_card`, as the API names the type.
    pub fn api_type(self) -> &'static str {
        match self {
            Self::Passport => "passport",
            Self::ChineseIdCard | Self::KazakhIdCard => "id_card",
        }
    }
}

/// A document as the traveler typed it: every field optional, nothing checked yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentInput {
    /// `passport` or `id_card`.
    pub doc_type: Option<String>,
    /// Issuing state code.
    pub issuing_country: Option<String>,
    /// Document number (for Chinese cards, the citizen number).
    pub number: Option<String>,
    /// Nationality code.
    pub nationality: Option<String>,
    /// Surname (primary identifier).
    pub surname: Option<String>,
    /// Given names (secondary identifier).
    pub given_names: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// `M`, `F` or `X`.
    pub sex: Option<String>,
    /// `YYYY-MM-DD`; may be left out only for long-term Chinese cards.
    pub expiry_date: Option<String>,
    /// Personal number: the IIN for Kazakh documents.
    pub personal_number: Option<String>,
    /// The machine readable zone, lines separated by line breaks.
    pub mrz: Option<String>,
}

/// A checked travel document: every value here passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TravelDocument {
    kind: DocumentKind,
    issuing_country: CountryCode,
    number: String,
    nationality: CountryCode,
    surname: String,
    given_names: String,
    birth_date: NaiveDate,
    sex: Sex,
    expiry_date: Option<NaiveDate>,
    personal_number: Option<String>,
}

/// Reads a trimmed, non-empty text field.
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl DocumentInput {
    /// This input with its blank fields taken from its MRZ, as a reader of the zone fills them in
    /// (fields already typed are kept: [`TravelDocument::parse`] says where they disagree); the
    /// MRZ's problems, fields named `mrz`, when it cannot be read.
    pub fn filled_from_mrz(&self, today: NaiveDate) -> Result<DocumentInput, Vec<Violation>> {
        let Some(raw) = present(&self.mrz) else {
            return Err(vec![Violation::new(
                "mrz",
                ViolationCode::Required,
                "paste the MRZ to fill the fields from it",
            )]);
        };
        let m = mrz::parse(raw, today)?;
        let mut out = self.clone();
        let fill = |slot: &mut Option<String>, value: String| {
            if present(slot).is_none() && !value.is_empty() {
                *slot = Some(value);
            }
        };
        let doc_type = match m.format {
            MrzFormat::Td3 => "passport",
            MrzFormat::Td1 => "id_card",
        };
        fill(&mut out.doc_type, doc_type.to_owned());
        fill(&mut out.issuing_country, m.issuing_country.clone());
        fill(&mut out.number, m.number.clone());
        fill(&mut out.nationality, m.nationality.clone());
        fill(&mut out.surname, m.surname.clone());
        fill(&mut out.given_names, m.given_names.clone());
        fill(
            &mut out.birth_date,
            m.birth_date.format("%Y-%m-%d").to_string(),
        );
        fill(&mut out.sex, m.sex.as_str().to_owned());
        fill(
            &mut out.expiry_date,
            m.expiry_date.format("%Y-%m-%d").to_string(),
        );
        let personal = iin_from_optional_data(&m).unwrap_or_else(|| m.optional_data.clone());
        fill(&mut out.personal_number, personal);
        Ok(out)
    }
}

impl TravelDocument {
    /// Checks a document as of `today`; on failure, returns every problem found, fields named as in the input.
    pub fn parse(input: &DocumentInput, today: NaiveDate) -> Result<Self, Vec<Violation>> {
        let mut p = Violations::default();

        let doc_type = match present(&input.doc_type)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("passport") => Some("passport"),
            Some("id_card") => Some("id_card"),
            Some(_) => {
                p.push(
                    "type",
                    ViolationCode::UnsupportedDocument,
                    "type must be passport or id_card",
                );
                None
            }
            None => {
                p.push(
                    "type",
                    ViolationCode::Required,
                    "type is required (passport or id_card)",
                );
                None
            }
        };

        let mrz = present(&input.mrz).and_then(|raw| p.take(None, mrz::parse(raw, today)));
        if let (Some(m), Some(t)) = (&mrz, doc_type) {
            let fits = match t {
                "passport" => m.format == MrzFormat::Td3,
                _ => m.format == MrzFormat::Td1,
            };
            if !fits {
                p.push(
                    "mrz",
                    ViolationCode::Mismatch,
                    format!(
                        "a {t} carries a {} MRZ",
                        if t == "passport" {
                            "TD3 (2×44)"
                        } else {
                            "TD1 (3×30)"
                        }
                    ),
                );
            }
        }

        // Each field: the typed value, else the MRZ's; when both exist they must agree.
        let issuing_country = country_field(
            &mut p,
            "issuing_country",
            present(&input.issuing_country),
            mrz.as_ref().map(|m| m.issuing_country.as_str()),
            true,
        );
        let nationality_given = present(&input.nationality);
        let mut nationality = country_field(
            &mut p,
            "nationality",
            nationality_given,
            mrz.as_ref().map(|m| m.nationality.as_str()),
            false,
        );
        let nationality_missing =
            nationality.is_none() && nationality_given.is_none() && mrz.is_none();

        let kind = match (doc_type, &issuing_country) {
            (Some("passport"), _) => Some(DocumentKind::Passport),
            (Some(_), Some(c)) if *c == CountryCode::chn() => Some(DocumentKind::ChineseIdCard),
            (Some(_), Some(c)) if *c == CountryCode::kaz() => Some(DocumentKind::KazakhIdCard),
            (Some(_), Some(_)) => {
                p.push("issuing_country", ViolationCode::UnsupportedDocument, "only Chinese (CHN) and Kazakh (KAZ) ID cards are accepted; others need a passport");
                None
            }
            _ => None,
        };
        if kind == Some(DocumentKind::ChineseIdCard) && present(&input.mrz).is_some() {
            p.push(
                "mrz",
                ViolationCode::UnsupportedDocument,
                "a Chinese resident identity card has no MRZ",
            );
        }
        // ID cards are for citizens: the nationality is implied, and must agree when given.
        let implied = match kind {
            Some(DocumentKind::ChineseIdCard) => Some(CountryCode::chn()),
            Some(DocumentKind::KazakhIdCard) => Some(CountryCode::kaz()),
            _ => None,
        };
        match (&implied, &nationality) {
            (Some(citizen), Some(n)) if n != citizen => p.push(
                "nationality",
                ViolationCode::Mismatch,
                format!("an ID card of {citizen} is held by its citizens"),
            ),
            (Some(citizen), None) if nationality_missing => nationality = Some(citizen.clone()),
            (None, None) if nationality_missing && kind.is_some() => p.push(
                "nationality",
                ViolationCode::Required,
                "nationality is required",
            ),
            _ => {}
        }

        let number = text_field(
            &mut p,
            "number",
            present(&input.number),
            mrz.as_ref().map(|m| m.number.as_str()),
            |a, b| a == b,
        );
        let resident_id = match (kind, &number) {
            (Some(DocumentKind::ChineseIdCard), Some(n)) => {
                p.take(None, ResidentIdNumber::parse(n, today))
            }
            (_, Some(n)) => {
                check_document_number(&mut p, n);
                None
            }
            _ => None,
        };

        let surname = name_field(
            &mut p,
            "surname",
            present(&input.surname),
            mrz.as_ref().map(|m| (m.surname.as_str(), m.name_truncated)),
            true,
        );
        let given_names = name_field(
            &mut p,
            "given_names",
            present(&input.given_names),
            mrz.as_ref()
                .map(|m| (m.given_names.as_str(), m.name_truncated)),
            false,
        );

        let birth_date = date_field(
            &mut p,
            "birth_date",
            present(&input.birth_date),
            mrz.as_ref().map(|m| m.birth_date),
            true,
        );
        if birth_date.is_some_and(|b| b > today) {
            p.push(
                "birth_date",
                ViolationCode::DateInFuture,
                "the birth date is in the future",
            );
        }
        let long_term_allowed = kind == Some(DocumentKind::ChineseIdCard);
        let expiry_date = date_field(
            &mut p,
            "expiry_date",
            present(&input.expiry_date),
            mrz.as_ref().map(|m| m.expiry_date),
            !long_term_allowed,
        );

        let sex = match (present(&input.sex), mrz.as_ref().map(|m| m.sex)) {
            (Some(raw), from_mrz) => match Sex::parse(raw) {
                Some(s) if from_mrz.is_some_and(|m| m != s) => {
                    p.push(
                        "sex",
                        ViolationCode::Mismatch,
                        "the sex differs from the MRZ",
                    );
                    None
                }
                Some(s) => Some(s),
                None => {
                    p.push("sex", ViolationCode::InvalidValue, "sex must be M, F or X");
                    None
                }
            },
            (None, Some(s)) => Some(s),
            (None, None) => {
                p.push(
                    "sex",
                    ViolationCode::Required,
                    "sex is required (M, F or X)",
                );
                None
            }
        };

        // The personal number: the IIN on Kazakh documents, free text elsewhere; the Chinese card has none of its own.
        let personal_from_mrz = mrz
            .as_ref()
            .map(|m| iin_from_optional_data(m).unwrap_or_else(|| m.optional_data.clone()));
        let personal = text_field(
            &mut p,
            "personal_number",
            present(&input.personal_number),
            personal_from_mrz.as_deref().filter(|s| !s.is_empty()),
            |a, b| a.replace('<', "") == b.replace('<', ""),
        );
        let is_kazakh = issuing_country.as_ref() == Some(&CountryCode::kaz());
        let iin = match (kind, &personal) {
            (Some(DocumentKind::KazakhIdCard), None) => {
                p.push(
                    "personal_number",
                    ViolationCode::Required,
                    "a Kazakh ID card needs the holder's IIN",
                );
                None
            }
            (Some(DocumentKind::ChineseIdCard), Some(pn)) => {
                if number.as_deref().map(str::to_ascii_uppercase) != Some(pn.to_ascii_uppercase()) {
                    p.push(
                        "personal_number",
                        ViolationCode::Mismatch,
                        "a Chinese card's only number is its citizen number",
                    );
                }
                None
            }
            (Some(_), Some(pn)) if is_kazakh => p.take(None, Iin::parse(pn, today)),
            (_, Some(pn)) => {
                if pn.chars().count() > 14
                    || !pn.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'<')
                {
                    p.push(
                        "personal_number",
                        ViolationCode::InvalidCharacter,
                        "a personal number is at most 14 letters and digits",
                    );
                }
                None
            }
            _ => None,
        };

        // What the numbers encode must agree with the fields.
        let encoded = resident_id
            .as_ref()
            .map(|r| (r.birth_date(), r.sex(), "number", "the citizen number"))
            .or_else(|| {
                iin.as_ref()
                    .map(|i| (i.birth_date(), i.sex(), "personal_number", "the IIN"))
            });
        if let Some((enc_birth, enc_sex, field, what)) = encoded {
            if birth_date.is_some_and(|b| b != enc_birth) {
                p.push(
                    "birth_date",
                    ViolationCode::Mismatch,
                    format!("the birth date differs from the one in {what} ({field})"),
                );
            }
            if sex.is_some_and(|s| s != Sex::Unspecified && s != enc_sex) {
                p.push(
                    "sex",
                    ViolationCode::Mismatch,
                    format!("the sex differs from the one in {what} ({field})"),
                );
            }
        }

        match (
            kind,
            issuing_country,
            number,
            nationality,
            surname,
            given_names,
            birth_date,
            sex,
        ) {
            (
                Some(kind),
                Some(issuing_country),
                Some(number),
                Some(nationality),
                Some(surname),
                Some(given_names),
                Some(birth_date),
                Some(sex),
            ) if p.is_empty() => {
                let personal_number = iin
                    .map(|i| i.as_str().to_owned())
                    .or(personal.filter(|_| kind != DocumentKind::ChineseIdCard));
                Ok(Self {
                    kind,
                    issuing_country,
                    number: resident_id.map_or(number, |r| r.as_str().to_owned()),
                    nationality,
                    surname,
                    given_names,
                    birth_date,
                    sex,
                    expiry_date,
                    personal_number,
                })
            }
            _ => Err(p.into_vec()),
        }
    }

    /// Passport, Chinese or Kazakh ID card.
    pub fn kind(&self) -> DocumentKind {
        self.kind
    }
    /// Issuing state.
    pub fn issuing_country(&self) -> &CountryCode {
        &self.issuing_country
    }
    /// Document number (the citizen number for Chinese cards).
    pub fn number(&self) -> &str {
        &self.number
    }

    /// `type:issuing_country:number`: names one document, whatever its holder typed around it.
    pub fn key(&self) -> String {
        document_key(
            self.kind().api_type(),
            self.issuing_country(),
            self.number(),
        )
    }

    /// Nationality.
    pub fn nationality(&self) -> &CountryCode {
        &self.nationality
    }
    /// Surname.
    pub fn surname(&self) -> &str {
        &self.surname
    }
    /// Given names (may be empty).
    pub fn given_names(&self) -> &str {
        &self.given_names
    }
    /// Date of birth.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }
    /// Sex.
    pub fn sex(&self) -> Sex {
        self.sex
    }
    /// Date of expiry; `None` for a long-term Chinese card.
    pub fn expiry_date(&self) -> Option<NaiveDate> {
        self.expiry_date
    }
    /// Personal number (the IIN on Kazakh documents).
    pub fn personal_number(&self) -> Option<&str> {
        self.personal_number.as_deref()
    }

    /// The document must still be valid on `last_day` (the last day of a visit).
    pub fn check_valid_through(&self, last_day: NaiveDate) -> Result<(), Violation> {
        match self.expiry_date {
            Some(expiry) if expiry < last_day => Err(Violation::new(
                "expiry_date",
                ViolationCode::Expired,
                format!("the document expires on {expiry}, before the visit ends on {last_day}"),
            )),
            _ => Ok(()),
        }
    }
}

/// On Kazakh documents the IIN is the first 12 characters of the optional data.
fn iin_from_optional_data(m: &Mrz) -> Option<String> {
    let country = CountryCode::parse(&m.issuing_country).ok()?;
    (country == CountryCode::kaz() && m.optional_data.len() >= 12)
        .then(|| m.optional_data[..12].to_owned())
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
}

fn country_field(
    p: &mut Violations,
    field: &str,
    given: Option<&str>,
    from_mrz: Option<&str>,
    required: bool,
) -> Option<CountryCode> {
    let parse = |p: &mut Violations, raw: &str, source: &str| match CountryCode::parse(raw) {
        Ok(code) => Some(code),
        Err(CountryCodeError::Unknown) => {
            p.push(
                field,
                ViolationCode::InvalidValue,
                format!("{source} is not an ICAO state code"),
            );
            None
        }
        Err(_) => {
            p.push(
                field,
                ViolationCode::InvalidCharacter,
                format!("{source} must be three letters"),
            );
            None
        }
    };
    match (given, from_mrz) {
        (Some(raw), Some(mrz_raw)) => {
            let typed = parse(p, raw, field)?;
            let read = parse(p, mrz_raw, &format!("{field} in the MRZ"))?;
            if typed != read {
                p.push(
                    field,
                    ViolationCode::Mismatch,
                    format!("{field} differs from the MRZ"),
                );
                return None;
            }
            Some(typed)
        }
        (Some(raw), None) => parse(p, raw, field),
        (None, Some(mrz_raw)) => parse(p, mrz_raw, &format!("{field} in the MRZ")),
        (None, None) => {
            if required {
                p.missing(field);
            }
            None
        }
    }
}

fn text_field(
    p: &mut Violations,
    field: &str,
    given: Option<&str>,
    from_mrz: Option<&str>,
    same: impl Fn(&str, &str) -> bool,
) -> Option<String> {
    let given = given.map(str::to_ascii_uppercase);
    match (given, from_mrz) {
        (Some(g), Some(m)) if !same(&g, m) => {
            p.push(
                field,
                ViolationCode::Mismatch,
                format!("{field} differs from the MRZ"),
            );
            None
        }
        (Some(g), _) => Some(g),
        (None, Some(m)) => Some(m.to_owned()),
        (None, None) if field == "number" => {
            p.push(field, ViolationCode::Required, "number is required");
            None
        }
        (None, None) => None,
    }
}

fn check_document_number(p: &mut Violations, number: &str) {
    if number.chars().any(|c| !c.is_ascii_alphanumeric()) {
        p.push(
            "number",
            ViolationCode::InvalidCharacter,
            "a document number has letters and digits only",
        );
    } else if !(1..=15).contains(&number.len()) {
        p.push(
            "number",
            ViolationCode::InvalidLength,
            "a document number has 1 to 15 characters",
        );
    }
}

/// The key of the document of API type `api_type` (`passport`, `id_card`) issued by `issuing_country`
/// with `number` (as stored: upper case): what permits are found by, never the number alone.
pub fn document_key(api_type: &str, issuing_country: &CountryCode, number: &str) -> String {
    format!("{api_type}:{issuing_country}:{number}")
}

/// A name as stored (upper case, single spaces): also what a search by surname compares.
pub fn name_form(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// A name as the MRZ would print it: upper case, words joined by `<`, hyphens as `<`, apostrophes dropped.
fn mrz_form(name: &str) -> String {
    name.to_uppercase()
        .replace('\'', "")
        .split([' ', '-'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("<")
}

fn name_field(
    p: &mut Violations,
    field: &str,
    given: Option<&str>,
    from_mrz: Option<(&str, bool)>,
    required: bool,
) -> Option<String> {
    match (given, from_mrz) {
        (Some(raw), mrz) => {
            let name = name_form(raw);
            if name.chars().count() > MAX_NAME_CHARS {
                p.push(
                    field,
                    ViolationCode::InvalidLength,
                    format!("{field} has more than {MAX_NAME_CHARS} characters"),
                );
                return None;
            }
            if !name
                .chars()
                .all(|c| c.is_alphabetic() || c == ' ' || c == '-' || c == '\'')
            {
                p.push(
                    field,
                    ViolationCode::InvalidCharacter,
                    format!("{field} may hold letters, spaces, hyphens and apostrophes only"),
                );
                return None;
            }
            if let Some((mrz_name, truncated)) = mrz {
                let typed = mrz_form(&name);
                let read = mrz_name.replace(' ', "<");
                let agrees = typed == read || (truncated && typed.starts_with(&read));
                if !agrees {
                    p.push(
                        field,
                        ViolationCode::Mismatch,
                        format!("{field} differs from the MRZ"),
                    );
                    return None;
                }
            }
            if required && name.is_empty() {
                p.push(
                    field,
                    ViolationCode::Required,
                    format!("{field} is required"),
                );
                return None;
            }
            Some(name)
        }
        (None, Some((mrz_name, _))) => Some(mrz_name.to_owned()),
        (None, None) if required => {
            p.push(
                field,
                ViolationCode::Required,
                format!("{field} is required"),
            );
            None
        }
        (None, None) => Some(String::new()),
    }
}

/// A required `YYYY-MM-DD` field: records `required` or `invalid_date` in `p` when it is not one.
pub fn required_date(p: &mut Violations, field: &str, raw: Option<&str>) -> Option<NaiveDate> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            p.push(
                field,
                ViolationCode::Required,
                format!("{field} is required (YYYY-MM-DD)"),
            );
            None
        }
        Some(raw) => {
            let parsed = parse_iso_date(raw);
            if parsed.is_none() {
                p.push(
                    field,
                    ViolationCode::InvalidDate,
                    format!("{field} must be a calendar date YYYY-MM-DD"),
                );
            }
            parsed
        }
    }
}

/// Reads `YYYY-MM-DD` strictly.
pub fn parse_iso_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    (raw.len() == 10)
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
}

fn date_field(
    p: &mut Violations,
    field: &str,
    given: Option<&str>,
    from_mrz: Option<NaiveDate>,
    required: bool,
) -> Option<NaiveDate> {
    match (given, from_mrz) {
        (Some(raw), mrz) => match parse_iso_date(raw) {
            None => {
                p.push(
                    field,
                    ViolationCode::InvalidDate,
                    format!("{field} must be a calendar date YYYY-MM-DD"),
                );
                None
            }
            // A two-digit MRZ year leaves the century open: the typed date settles it.
            Some(d)
                if mrz.is_some_and(|m| {
                    m.format("%y%m%d").to_string() != d.format("%y%m%d").to_string()
                }) =>
            {
                p.push(
                    field,
                    ViolationCode::Mismatch,
                    format!("{field} differs from the MRZ"),
                );
                None
            }
            Some(d) => Some(d),
        },
        (None, Some(d)) => Some(d),
        (None, None) => {
            if required {
                p.missing(field);
            }
            None
        }
    }
}

#[cfg(test)]
mod tests;
