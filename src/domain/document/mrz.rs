//! ICAO Doc 9303 machine readable zones: TD3 (passports, 2×44) and TD1 (ID cards, 3×30).

use chrono::{Datelike, NaiveDate};

use super::Sex;
use crate::domain::violation::{Violation, ViolationCode, Violations};

const FIELD: &str = "mrz";

/// Which MRZ layout a text has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MrzFormat {
    /// ID cards: three lines of 30 characters.
    Td1,
    /// Passports: two lines of 44 characters.
    Td3,
}

/// The fields of a machine readable zone whose check digits all agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mrz {
    /// TD1 or TD3.
    pub format: MrzFormat,
    /// The two-character document code, e.g. `P<`, `ID`, `I<`.
    pub document_code: String,
    /// Issuing state as written (fillers removed), e.g. `KAZ` or `D`.
    pub issuing_country: String,
    /// Document number, long TD1 numbers joined from their continuation.
    pub number: String,
    /// Nationality as written (fillers removed).
    pub nationality: String,
    /// Date of birth, century chosen so it is not in the future.
    pub birth_date: NaiveDate,
    /// Sex; `<` reads as unspecified.
    pub sex: Sex,
    /// Date of expiry, century chosen so a long-expired document is not read as valid.
    pub expiry_date: NaiveDate,
    /// Primary identifier, fillers read as spaces.
    pub surname: String,
    /// Secondary identifier, fillers read as spaces.
    pub given_names: String,
    /// True when the name filled its field to the last position and may have been cut.
    pub name_truncated: bool,
    /// TD3 personal number, or TD1 optional data of line 1 (after any number continuation); fillers removed.
    pub optional_data: String,
    /// TD1 optional data of line 2; empty for TD3.
    pub optional_data_2: String,
}

/// The value of one MRZ character in check digit arithmetic; `None` outside `0-9 A-Z <`.
fn char_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        b'<' => Some(0),
        _ => None,
    }
}

/// The ICAO 7-3-1 check digit of `field`; `None` if it holds a character outside `0-9 A-Z <`.
pub fn check_digit(field: &str) -> Option<u8> {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let mut sum = 0u32;
    for (i, c) in field.bytes().enumerate() {
        sum += char_value(c)? * WEIGHTS[i % 3];
    }
    Some(b'0' + (sum % 10) as u8)
}

/// Cleans what a person pasted: upper case, CRLF or CR to LF, surrounding white space off every line.
pub fn normalize(raw: &str) -> String {
    raw.trim()
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
        .to_ascii_uppercase()
}

/// Parses a TD1 or TD3 zone, checking every check digit; reports every problem found.
pub fn parse(raw: &str, today: NaiveDate) -> Result<Mrz, Vec<Violation>> {
    let text = normalize(raw);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut problems = Violations::default();
    for (n, line) in lines.iter().enumerate() {
        if let Some(pos) = line.bytes().position(|b| char_value(b).is_none()) {
            let what = if line.as_bytes()[pos].is_ascii_whitespace() {
                "a space"
            } else {
                "a character other than A-Z, 0-9 and <"
            };
            problems.push(
                FIELD,
                ViolationCode::InvalidCharacter,
                format!("line {} has {what} at position {}", n + 1, pos + 1),
            );
        }
    }
    let format = match (lines.len(), lines.iter().map(|l| l.len()).max()) {
        (2, Some(44)) if lines.iter().all(|l| l.len() == 44) => MrzFormat::Td3,
        (3, Some(30)) if lines.iter().all(|l| l.len() == 30) => MrzFormat::Td1,
        _ => {
            let lengths: Vec<String> = lines
                .iter()
                .map(|l| l.chars().count().to_string())
                .collect();
            problems.push(
                FIELD,
                ViolationCode::InvalidLength,
                format!(
                    "an MRZ has 2 lines of 44 characters (passport) or 3 lines of 30 (ID card); got {} line(s) of {}",
                    lines.len(),
                    lengths.join(", ")
                ),
            );
            return Err(problems.into_vec());
        }
    };
    if !problems.is_empty() {
        return Err(problems.into_vec());
    }
    match format {
        MrzFormat::Td3 => parse_td3(lines[0], lines[1], today),
        MrzFormat::Td1 => parse_td1(lines[0], lines[1], lines[2], today),
    }
}

fn parse_td3(l1: &str, l2: &str, today: NaiveDate) -> Result<Mrz, Vec<Violation>> {
    let mut p = Violations::default();
    if !l1.starts_with('P') {
        p.push(
            FIELD,
            ViolationCode::InvalidValue,
            "a passport MRZ starts with P",
        );
    }
    let number_raw = &l2[0..9];
    verify(
        &mut p,
        number_raw,
        l2.as_bytes()[9],
        "document number",
        2,
        10,
    );
    let birth_date = read_date(&mut p, &l2[13..19], "date of birth", DateKind::Birth, today);
    verify(
        &mut p,
        &l2[13..19],
        l2.as_bytes()[19],
        "date of birth",
        2,
        20,
    );
    let sex = read_sex(&mut p, l2.as_bytes()[20]);
    let expiry_date = read_date(
        &mut p,
        &l2[21..27],
        "date of expiry",
        DateKind::Expiry,
        today,
    );
    verify(
        &mut p,
        &l2[21..27],
        l2.as_bytes()[27],
        "date of expiry",
        2,
        28,
    );
    let personal = &l2[28..42];
    let personal_check = l2.as_bytes()[42];
    // An empty personal number may carry `<` or `0` as its check digit.
    if !(personal.bytes().all(|b| b == b'<') && (personal_check == b'<' || personal_check == b'0'))
    {
        verify(&mut p, personal, personal_check, "personal number", 2, 43);
    }
    let composite = format!("{}{}{}", &l2[0..10], &l2[13..20], &l2[21..43]);
    verify(&mut p, &composite, l2.as_bytes()[43], "composite", 2, 44);
    let (surname, given_names, name_truncated) = read_name(&mut p, &l1[5..44]);
    let (Some(birth_date), Some(expiry_date)) = (birth_date, expiry_date) else {
        return Err(p.into_vec());
    };
    p.finish(|| Mrz {
        format: MrzFormat::Td3,
        document_code: l1[0..2].to_owned(),
        issuing_country: l1[2..5].trim_end_matches('<').to_owned(),
        number: number_raw.trim_end_matches('<').to_owned(),
        nationality: l2[10..13].trim_end_matches('<').to_owned(),
        birth_date,
        sex,
        expiry_date,
        surname,
        given_names,
        name_truncated,
        optional_data: personal.trim_end_matches('<').to_owned(),
        optional_data_2: String::new(),
    })
}

fn parse_td1(l1: &str, l2: &str, l3: &str, today: NaiveDate) -> Result<Mrz, Vec<Violation>> {
    let mut p = Violations::default();
    if !matches!(l1.as_bytes()[0], b'I' | b'A' | b'C') {
        p.push(
            FIELD,
            ViolationCode::InvalidValue,
            "an ID card MRZ starts with I, A or C",
        );
    }
    let (number, optional_data) = if l1.as_bytes()[14] == b'<' && l1.as_bytes()[15] != b'<' {
        // Numbers over nine characters continue in the optional data; the last character before the filler is the check digit.
        let continuation: &str = l1[15..30].split('<').next().unwrap_or_default();
        if continuation.len() < 2 {
            p.push(
                FIELD,
                ViolationCode::InvalidValue,
                "line 1: the document number continuation has no check digit",
            );
            (l1[5..14].to_owned(), l1[15..30].to_owned())
        } else {
            let (rest, check) = continuation.split_at(continuation.len() - 1);
            let full = format!("{}{rest}", &l1[5..14]);
            verify(
                &mut p,
                &full,
                check.as_bytes()[0],
                "document number",
                1,
                15 + continuation.len(),
            );
            let after = &l1[15 + continuation.len()..30];
            (full, after.to_owned())
        }
    } else {
        verify(
            &mut p,
            &l1[5..14],
            l1.as_bytes()[14],
            "document number",
            1,
            15,
        );
        (
            l1[5..14].trim_end_matches('<').to_owned(),
            l1[15..30].to_owned(),
        )
    };
    let birth_date = read_date(&mut p, &l2[0..6], "date of birth", DateKind::Birth, today);
    verify(&mut p, &l2[0..6], l2.as_bytes()[6], "date of birth", 2, 7);
    let sex = read_sex(&mut p, l2.as_bytes()[7]);
    let expiry_date = read_date(
        &mut p,
        &l2[8..14],
        "date of expiry",
        DateKind::Expiry,
        today,
    );
    verify(
        &mut p,
        &l2[8..14],
        l2.as_bytes()[14],
        "date of expiry",
        2,
        15,
    );
    let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
    verify(&mut p, &composite, l2.as_bytes()[29], "composite", 2, 30);
    let (surname, given_names, name_truncated) = read_name(&mut p, l3);
    let (Some(birth_date), Some(expiry_date)) = (birth_date, expiry_date) else {
        return Err(p.into_vec());
    };
    p.finish(|| Mrz {
        format: MrzFormat::Td1,
        document_code: l1[0..2].to_owned(),
        issuing_country: l1[2..5].trim_end_matches('<').to_owned(),
        number,
        nationality: l2[15..18].trim_end_matches('<').to_owned(),
        birth_date,
        sex,
        expiry_date,
        surname,
        given_names,
        name_truncated,
        optional_data: optional_data.trim_end_matches('<').to_owned(),
        optional_data_2: l2[18..29].trim_end_matches('<').to_owned(),
    })
}

fn verify(p: &mut Violations, field: &str, check: u8, what: &str, line: usize, position: usize) {
    match check_digit(field) {
        Some(expected) if expected == check => {}
        _ => p.push(
            FIELD,
            ViolationCode::InvalidCheckDigit,
            format!("the {what} check digit (line {line}, position {position}) does not match"),
        ),
    }
}

#[derive(Clone, Copy)]
enum DateKind {
    Birth,
    Expiry,
}

/// Reads YYMMDD: a birth date takes the latest century not in the future; an expiry date is
/// read as 20YY only up to 20 years ahead, so a document that expired last century stays expired.
fn read_date(
    p: &mut Violations,
    yymmdd: &str,
    what: &str,
    kind: DateKind,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let parsed = (yymmdd.len() == 6 && yymmdd.bytes().all(|b| b.is_ascii_digit())).then(|| {
        let n = |r: std::ops::Range<usize>| yymmdd[r].parse::<u32>().unwrap_or(0);
        (n(0..2) as i32, n(2..4), n(4..6))
    });
    let Some((yy, month, day)) = parsed else {
        p.push(
            FIELD,
            ViolationCode::InvalidDate,
            format!("the {what} is not six digits YYMMDD"),
        );
        return None;
    };
    let in_century = |century: i32| NaiveDate::from_ymd_opt(century + yy, month, day);
    let date = match kind {
        DateKind::Birth => in_century(2000)
            .filter(|d| *d <= today)
            .or_else(|| in_century(1900)),
        DateKind::Expiry => {
            if 2000 + yy <= today.year() + 20 {
                in_century(2000)
            } else {
                in_century(1900)
            }
        }
    };
    if date.is_none() {
        p.push(
            FIELD,
            ViolationCode::InvalidDate,
            format!("the {what} is not a calendar date"),
        );
    }
    date
}

fn read_sex(p: &mut Violations, c: u8) -> Sex {
    match c {
        b'M' => Sex::Male,
        b'F' => Sex::Female,
        b'<' | b'X' => Sex::Unspecified,
        _ => {
            p.push(
                FIELD,
                ViolationCode::InvalidValue,
                "the sex is not M, F or <",
            );
            Sex::Unspecified
        }
    }
}

/// Splits `SURNAME<<GIVEN<NAMES<<<` into its parts; a name without a trailing filler may be truncated.
fn read_name(p: &mut Violations, field: &str) -> (String, String, bool) {
    if field.bytes().any(|b| b.is_ascii_digit()) {
        p.push(
            FIELD,
            ViolationCode::InvalidCharacter,
            "the name holds a digit",
        );
    }
    let truncated = !field.ends_with('<');
    let trimmed = field.trim_end_matches('<');
    let (primary, secondary) = trimmed.split_once("<<").unwrap_or((trimmed, ""));
    let words = |s: &str| {
        s.split('<')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let surname = words(primary);
    if surname.is_empty() {
        p.push(
            FIELD,
            ViolationCode::Required,
            "the name field holds no surname",
        );
    }
    (surname, words(secondary), truncated)
}

/// The fields an MRZ encodes, for writing one as a document printer would.
#[derive(Debug, Clone)]
pub struct MrzFields<'a> {
    /// Two-character document code (`P<`, `ID`, ...).
    pub document_code: &'a str,
    /// Issuing state (`D` for Germany).
    pub issuing_country: &'a str,
    /// Surname, words separated by spaces.
    pub surname: &'a str,
    /// Given names, words separated by spaces.
    pub given_names: &'a str,
    /// Document number (TD1: up to 24 characters, longer than 9 continue in the optional data).
    pub number: &'a str,
    /// Nationality.
    pub nationality: &'a str,
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// Sex.
    pub sex: Sex,
    /// Date of expiry.
    pub expiry_date: NaiveDate,
    /// TD3 personal number or TD1 optional data of line 1.
    pub optional_data: &'a str,
}

fn pad(field: &str, width: usize) -> String {
    let mut out: String = field.chars().take(width).collect();
    while out.len() < width {
        out.push('<');
    }
    out
}

fn name_zone(surname: &str, given_names: &str, width: usize) -> String {
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join("<");
    pad(
        &format!("{}<<{}", words(surname), words(given_names)),
        width,
    )
}

fn check(field: &str) -> char {
    check_digit(field).map_or('<', char::from)
}

fn sex_char(sex: Sex) -> char {
    match sex {
        Sex::Male => 'M',
        Sex::Female => 'F',
        Sex::Unspecified => '<',
    }
}

impl MrzFields<'_> {
    /// Writes a TD3 (passport) zone with every check digit.
    pub fn to_td3(&self) -> String {
        let line1 = format!(
            "{}{}{}",
            pad(self.document_code, 2),
            pad(self.issuing_country, 3),
            name_zone(self.surname, self.given_names, 39)
        );
        let number = pad(self.number, 9);
        let birth = self.birth_date.format("%y%m%d").to_string();
        let expiry = self.expiry_date.format("%y%m%d").to_string();
        let personal = pad(self.optional_data, 14);
        let head = format!(
            "{number}{}{}{birth}{}{}{expiry}{}{personal}{}",
            check(&number),
            pad(self.nationality, 3),
            check(&birth),
            sex_char(self.sex),
            check(&expiry),
            check(&personal)
        );
        let composite = format!("{}{}{}", &head[0..10], &head[13..20], &head[21..43]);
        format!("{line1}\n{head}{}", check(&composite))
    }

    /// Writes a TD1 (ID card) zone with every check digit.
    pub fn to_td1(&self) -> String {
        let number_zone = if self.number.len() > 9 {
            format!(
                "{}<{}{}",
                &self.number[..9],
                &self.number[9..],
                check(self.number)
            )
        } else {
            let n = pad(self.number, 9);
            format!("{n}{}", check(&n))
        };
        let line1 = pad(
            &format!(
                "{}{}{}{}",
                pad(self.document_code, 2),
                pad(self.issuing_country, 3),
                number_zone,
                self.optional_data
            ),
            30,
        );
        let birth = self.birth_date.format("%y%m%d").to_string();
        let expiry = self.expiry_date.format("%y%m%d").to_string();
        let head = format!(
            "{birth}{}{}{expiry}{}{}{}",
            check(&birth),
            sex_char(self.sex),
            check(&expiry),
            pad(self.nationality, 3),
            pad("", 11)
        );
        let composite = format!(
            "{}{}{}{}",
            &line1[5..30],
            &head[0..7],
            &head[8..15],
            &head[18..29]
        );
        format!(
            "{line1}\n{head}{}\n{}",
            check(&composite),
            name_zone(self.surname, self.given_names, 30)
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).expect("date")
    }

    /// ICAO Doc 9303 Part 4 specimen passport (Utopia).
    pub const TD3_SPECIMEN: &str =
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10";
    /// ICAO Doc 9303 Part 5 specimen ID card (Utopia).
    pub const TD1_SPECIMEN: &str =
        "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<";
    /// ICAO Doc 9303 Part 5 specimen with a twelve-character document number.
    pub const TD1_LONG_NUMBER: &str =
        "I<UTOD23145890<7349<<<<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\nSTEVENSON<<PETER<JOHN<<<<<<<<<";

    #[test]
    fn composing_gives_back_the_specimens() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        let utopia = MrzFields {
            document_code: "P",
            issuing_country: "UTO",
            surname: "ERIKSSON",
            given_names: "ANNA MARIA",
            number: "L898902C3",
            nationality: "UTO",
            birth_date: date(1974, 8, 12),
            sex: Sex::Female,
            expiry_date: date(2012, 4, 15),
            optional_data: "ZE184226B",
        };
        assert_eq!(utopia.to_td3(), TD3_SPECIMEN);
        let card = MrzFields {
            document_code: "I",
            number: "D23145890",
            optional_data: "",
            ..utopia.clone()
        };
        assert_eq!(card.to_td1(), TD1_SPECIMEN);
        let long = MrzFields {
            document_code: "I",
            surname: "STEVENSON",
            given_names: "PETER JOHN",
            number: "D23145890734",
            birth_date: date(1934, 7, 12),
            sex: Sex::Male,
            expiry_date: date(1995, 7, 12),
            optional_data: "",
            ..utopia
        };
        assert_eq!(long.to_td1(), TD1_LONG_NUMBER);
    }

    #[test]
    fn check_digits_of_the_specimens() {
        assert_eq!(check_digit("L898902C3"), Some(b'6'));
        assert_eq!(check_digit("740812"), Some(b'2'));
        assert_eq!(check_digit("120415"), Some(b'9'));
        assert_eq!(check_digit("ZE184226B<<<<<"), Some(b'1'));
        assert_eq!(check_digit("D23145890"), Some(b'7'));
        assert_eq!(check_digit("ab"), None);
    }

    #[test]
    fn td3_specimen() {
        let mrz = parse(TD3_SPECIMEN, today()).expect("specimen parses");
        assert_eq!(mrz.format, MrzFormat::Td3);
        assert_eq!(mrz.document_code, "P<");
        assert_eq!(mrz.issuing_country, "UTO");
        assert_eq!(mrz.number, "L898902C3");
        assert_eq!(mrz.nationality, "UTO");
        assert_eq!(
            mrz.birth_date,
            NaiveDate::from_ymd_opt(1974, 8, 12).expect("date")
        );
        assert_eq!(mrz.sex, Sex::Female);
        assert_eq!(
            mrz.expiry_date,
            NaiveDate::from_ymd_opt(2012, 4, 15).expect("date")
        );
        assert_eq!(mrz.surname, "ERIKSSON");
        assert_eq!(mrz.given_names, "ANNA MARIA");
        assert!(!mrz.name_truncated);
        assert_eq!(mrz.optional_data, "ZE184226B");
    }

    #[test]
    fn td1_specimens() {
        let mrz = parse(TD1_SPECIMEN, today()).expect("specimen parses");
        assert_eq!(mrz.format, MrzFormat::Td1);
        assert_eq!(mrz.number, "D23145890");
        assert_eq!(mrz.nationality, "UTO");
        assert_eq!(mrz.given_names, "ANNA MARIA");
        let long = parse(TD1_LONG_NUMBER, today()).expect("long number parses");
        assert_eq!(long.number, "D23145890734");
        assert_eq!(
            long.birth_date,
            NaiveDate::from_ymd_opt(1934, 7, 12).expect("date")
        );
        assert_eq!(long.sex, Sex::Male);
        assert_eq!(
            long.expiry_date,
            NaiveDate::from_ymd_opt(1995, 7, 12).expect("date"),
            "expired last century"
        );
        assert_eq!(long.surname, "STEVENSON");
        assert_eq!(long.given_names, "PETER JOHN");
        assert_eq!(long.optional_data, "");
    }

    #[test]
    fn hygiene_lower_case_crlf_and_surrounding_space() {
        let pasted = format!(
            "  {}  \r\n",
            TD3_SPECIMEN.to_lowercase().replace('\n', " \r\n ")
        );
        assert_eq!(parse(&pasted, today()), parse(TD3_SPECIMEN, today()));
    }

    #[test]
    fn inner_space_and_wrong_length_are_refused() {
        let spaced = TD3_SPECIMEN.replacen("ERIKSSON", "ERIK SON", 1);
        let err = parse(&spaced, today()).unwrap_err();
        assert!(err
            .iter()
            .any(|v| v.code == ViolationCode::InvalidCharacter));
        let short = &TD3_SPECIMEN[..TD3_SPECIMEN.len() - 1];
        let err = parse(short, today()).unwrap_err();
        assert_eq!(err[0].code, ViolationCode::InvalidLength);
    }

    /// Whether the 7-3-1 check digit can see a change from `old` to `new`: values that differ by a
    /// multiple of 10 (`0`/`A`/`K`/`U`, `<`/`0`, ...) are ICAO's known blind spot.
    pub fn detectable(old: u8, new: u8) -> bool {
        let (a, b) = (char_value(old).unwrap_or(0), char_value(new).unwrap_or(0));
        a.abs_diff(b) % 10 != 0
    }

    #[test]
    fn every_detectable_corruption_of_a_checked_character_is_caught() {
        let td3_line2 = 45;
        let td1_line2 = 31;
        let cases: Vec<(&str, Vec<usize>)> = vec![
            // TD3 line 2 without nationality (10-12) and sex (20), which no check digit covers.
            (
                TD3_SPECIMEN,
                (0..44)
                    .filter(|i| !matches!(i, 10..=12 | 20))
                    .map(|i| td3_line2 + i)
                    .collect(),
            ),
            // TD1 line 1 from the number on, and line 2 without sex (7) and nationality (15-17).
            (
                TD1_SPECIMEN,
                (5..30)
                    .chain(
                        (0..30)
                            .filter(|i| !matches!(i, 7 | 15..=17))
                            .map(|i| td1_line2 + i),
                    )
                    .collect(),
            ),
        ];
        for (specimen, positions) in cases {
            for pos in positions {
                let original = specimen.as_bytes()[pos];
                for replacement in b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<".iter().copied() {
                    if !detectable(original, replacement) {
                        continue;
                    }
                    let mut corrupted = specimen.as_bytes().to_vec();
                    corrupted[pos] = replacement;
                    let corrupted = String::from_utf8(corrupted).expect("ascii");
                    assert!(
                        parse(&corrupted, today()).is_err(),
                        "changing position {pos} to {} went unnoticed",
                        replacement as char
                    );
                }
            }
        }
    }

    #[test]
    fn the_blind_spot_is_real() {
        // 0 and A differ by 10: the 7-3-1 scheme cannot see the swap (documented in docs/documents.md).
        assert_eq!(check_digit("L898902C3"), check_digit("L8989A2C3"));
    }

    #[test]
    fn all_problems_are_reported_together() {
        let bad = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C35UTO7408121F1204158ZE184226B<<<<<10";
        let err = parse(bad, today()).unwrap_err();
        let checks = err
            .iter()
            .filter(|v| v.code == ViolationCode::InvalidCheckDigit)
            .count();
        assert!(
            checks >= 3,
            "number, birth and expiry check digits all reported: {err:?}"
        );
    }

    #[test]
    fn century_rules() {
        let t = today();
        let mut p = Violations::default();
        // Born 26-11-30 cannot be 2026-11-30 (tomorrow), so 1926; today itself is possible.
        assert_eq!(
            read_date(&mut p, "261130", "b", DateKind::Birth, t),
            NaiveDate::from_ymd_opt(1926, 11, 30)
        );
        assert_eq!(
            read_date(&mut p, "261129", "b", DateKind::Birth, t),
            NaiveDate::from_ymd_opt(2026, 11, 29)
        );
        assert_eq!(
            read_date(&mut p, "200101", "b", DateKind::Birth, t),
            NaiveDate::from_ymd_opt(2020, 1, 1)
        );
        assert_eq!(
            read_date(&mut p, "991231", "e", DateKind::Expiry, t),
            NaiveDate::from_ymd_opt(1999, 12, 31)
        );
        assert_eq!(
            read_date(&mut p, "340101", "e", DateKind::Expiry, t),
            NaiveDate::from_ymd_opt(2034, 1, 1)
        );
        assert!(p.is_empty());
        assert_eq!(read_date(&mut p, "990230", "b", DateKind::Birth, t), None);
        assert_eq!(read_date(&mut p, "99AB30", "b", DateKind::Birth, t), None);
        assert_eq!(p.into_vec().len(), 2);
    }
}
