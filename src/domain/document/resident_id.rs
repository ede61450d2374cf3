//! Chinese citizen identity numbers (GB 11643-1999): region, birth date, sequence, MOD 11-2 check.

use chrono::NaiveDate;

use super::Sex;
use crate::domain::violation::{Violation, ViolationCode, Violations};

/// Province-level regions of the mainland whose offices issue resident identity cards (GB/T 2260).
const REGIONS: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65,
];

/// Region codes of the residence permits for Hong Kong (81), Macao (82) and Taiwan (83) residents
/// living on the mainland: the same 18-character form, with the address code 810000, 820000 or 830000.
const RESIDENCE_PERMIT_REGIONS: &[u8] = &[81, 82, 83];

/// An 18-character citizen number whose region, birth date and check character are valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentIdNumber {
    number: String,
    birth_date: NaiveDate,
    sex: Sex,
}

/// The ISO 7064 MOD 11-2 check character of the first 17 digits.
pub fn check_character(first17: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(b"10X98765432"[(sum % 11) as usize])
}

impl ResidentIdNumber {
    /// Parses a number (surrounding space trimmed, `x` accepted), checking `today` for the birth date.
    pub fn parse(raw: &str, today: NaiveDate) -> Result<Self, Vec<Violation>> {
        const FIELD: &str = "number";
        let number = raw.trim().to_ascii_uppercase();
        let bytes = number.as_bytes();
        let mut p = Violations::default();
        if bytes.len() != 18 {
            p.push(
                FIELD,
                ViolationCode::InvalidLength,
                format!(
                    "a citizen number has 18 characters, not {}",
                    number.chars().count()
                ),
            );
            return Err(p.into_vec());
        }
        let body_ok = bytes[..17].iter().all(u8::is_ascii_digit);
        let last_ok = bytes[17].is_ascii_digit() || bytes[17] == b'X';
        if !body_ok || !last_ok {
            p.push(
                FIELD,
                ViolationCode::InvalidCharacter,
                "a citizen number is 17 digits and a digit or X",
            );
            return Err(p.into_vec());
        }
        let digits = |r: std::ops::Range<usize>| number[r].parse::<u32>().unwrap_or(0);
        let region = digits(0..2) as u8;
        if RESIDENCE_PERMIT_REGIONS.contains(&region) {
            if digits(2..6) != 0 {
                p.push(
                    FIELD,
                    ViolationCode::InvalidValue,
                    "a residence permit number for Hong Kong, Macao or Taiwan residents starts with 810000, 820000 or 830000",
                );
            }
        } else if !REGIONS.contains(&region) {
            p.push(
                FIELD,
                ViolationCode::InvalidValue,
                "the first two digits name no province-level region",
            );
        }
        let birth = NaiveDate::from_ymd_opt(digits(6..10) as i32, digits(10..12), digits(12..14));
        match birth {
            None => p.push(
                FIELD,
                ViolationCode::InvalidDate,
                "digits 7 to 14 are not a calendar date",
            ),
            Some(d) if d > today => p.push(
                FIELD,
                ViolationCode::DateInFuture,
                "digits 7 to 14 give a birth date in the future",
            ),
            Some(d) if d < NaiveDate::from_ymd_opt(1850, 1, 1).unwrap_or(d) => p.push(
                FIELD,
                ViolationCode::InvalidDate,
                "digits 7 to 14 give a birth date before 1850",
            ),
            Some(_) => {}
        }
        if check_character(&bytes[..17]) != Some(bytes[17]) {
            p.push(
                FIELD,
                ViolationCode::InvalidCheckDigit,
                "the check character (18th) does not match",
            );
        }
        let sex = if digits(16..17) % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        };
        match birth {
            Some(birth_date) if p.is_empty() => Ok(Self {
                number,
                birth_date,
                sex,
            }),
            _ => Err(p.into_vec()),
        }
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// The birth date encoded in digits 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// The sex encoded in the parity of digit 17.
    pub fn sex(&self) -> Sex {
        self.sex
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).expect("date")
    }

    /// The examples printed in GB 11643-1999.
    const STANDARD_EXAMPLES: [&str; 2] = ["11010519491231002X", "440524188001010014"];

    #[test]
    fn the_standards_examples() {
        let a = ResidentIdNumber::parse(STANDARD_EXAMPLES[0], today()).expect("valid");
        assert_eq!(
            a.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).expect("date")
        );
        assert_eq!(a.sex(), Sex::Female);
        let b = ResidentIdNumber::parse(STANDARD_EXAMPLES[1], today()).expect("valid");
        assert_eq!(
            b.birth_date(),
            NaiveDate::from_ymd_opt(1880, 1, 1).expect("date")
        );
        assert_eq!(b.sex(), Sex::Male);
        assert!(
            ResidentIdNumber::parse(" 11010519491231002x ", today()).is_ok(),
            "trimmed, x accepted"
        );
    }

    #[test]
    fn every_single_digit_change_is_caught() {
        for example in STANDARD_EXAMPLES {
            for pos in 0..18 {
                for replacement in b"0123456789X" {
                    let mut changed = example.as_bytes().to_vec();
                    if changed[pos] == *replacement {
                        continue;
                    }
                    changed[pos] = *replacement;
                    let changed = String::from_utf8(changed).expect("ascii");
                    assert!(
                        ResidentIdNumber::parse(&changed, today()).is_err(),
                        "{pos}: {changed}"
                    );
                }
            }
        }
    }

    #[test]
    fn codes_for_each_problem() {
        let code = |raw: &str| ResidentIdNumber::parse(raw, today()).unwrap_err()[0].code;
        assert_eq!(code("1101051949123100"), ViolationCode::InvalidLength);
        assert_eq!(code("11010519491231 02X"), ViolationCode::InvalidCharacter);
        assert_eq!(code("1101051949123100XX"), ViolationCode::InvalidCharacter);
        // Region 99 does not exist; the check character is recomputed so only the region is wrong.
        let mut body = b"99010519491231002".to_vec();
        body.push(check_character(&body).expect("digits"));
        assert_eq!(
            code(std::str::from_utf8(&body).expect("ascii")),
            ViolationCode::InvalidValue
        );
        let mut future = b"11010520300101002".to_vec();
        future.push(check_character(&future).expect("digits"));
        assert_eq!(
            code(std::str::from_utf8(&future).expect("ascii")),
            ViolationCode::DateInFuture
        );
        let mut feb30 = b"11010519900230002".to_vec();
        feb30.push(check_character(&feb30).expect("digits"));
        assert_eq!(
            code(std::str::from_utf8(&feb30).expect("ascii")),
            ViolationCode::InvalidDate
        );
        assert_eq!(code("110105194912310021"), ViolationCode::InvalidCheckDigit);
    }

    #[test]
    fn residence_permits_of_hong_kong_macao_and_taiwan_residents() {
        let with_check = |first17: &str| {
            let mut number = first17.as_bytes().to_vec();
            number.push(check_character(&number).expect("digits"));
            String::from_utf8(number).expect("ascii")
        };
        for region in ["810000", "820000", "830000"] {
            let number = with_check(&format!("{region}19900131002"));
            let parsed = ResidentIdNumber::parse(&number, today()).expect("valid");
            assert_eq!(
                parsed.birth_date(),
                NaiveDate::from_ymd_opt(1990, 1, 31).expect("date")
            );
            assert_eq!(parsed.sex(), Sex::Female);
        }
        // Only the region-wide address code is issued for these permits; 84 is no region at all.
        for refused in ["810101", "840000"] {
            let number = with_check(&format!("{refused}19900131002"));
            assert_eq!(
                ResidentIdNumber::parse(&number, today()).unwrap_err()[0].code,
                ViolationCode::InvalidValue,
                "{refused}"
            );
        }
    }
}
