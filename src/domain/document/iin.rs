//! Kazakh individual identification numbers (IIN): birth date, century and sex, check digit.

use chrono::NaiveDate;

use super::Sex;
use crate::domain::violation::{Violation, ViolationCode, Violations};

/// A 12-digit IIN whose date, century digit and check digit are valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iin {
    number: String,
    birth_date: NaiveDate,
    sex: Sex,
}

/// The check digit of the first 11 digits: weights 1..11, then 3..11,1,2 when the first gives 10;
/// `None` when both give 10 (such a number is never issued).
pub fn check_digit(first11: &[u8]) -> Option<u8> {
    if first11.len() != 11 || !first11.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let weighted = |weights: [u32; 11]| -> u32 {
        first11
            .iter()
            .zip(weights)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum::<u32>()
            % 11
    };
    let first = weighted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    let check = if first == 10 {
        weighted([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])
    } else {
        first
    };
    (check < 10).then(|| b'0' + check as u8)
}

impl Iin {
    /// Parses an IIN (surrounding space trimmed), checking `today` for the birth date.
    pub fn parse(raw: &str, today: NaiveDate) -> Result<Self, Vec<Violation>> {
        const FIELD: &str = "personal_number";
        let number = raw.trim().to_owned();
        let bytes = number.as_bytes();
        let mut p = Violations::default();
        if !bytes.iter().all(u8::is_ascii_digit) {
            p.push(
                FIELD,
                ViolationCode::InvalidCharacter,
                "an IIN has digits only",
            );
            return Err(p.into_vec());
        }
        if bytes.len() != 12 {
            p.push(
                FIELD,
                ViolationCode::InvalidLength,
                format!("an IIN has 12 digits, not {}", bytes.len()),
            );
            return Err(p.into_vec());
        }
        let digit = |i: usize| u32::from(bytes[i] - b'0');
        let (century, sex) = match digit(6) {
            1 => (1800, Sex::Male),
            2 => (1800, Sex::Female),
            3 => (1900, Sex::Male),
            4 => (1900, Sex::Female),
            5 => (2000, Sex::Male),
            6 => (2000, Sex::Female),
            _ => {
                p.push(
                    FIELD,
                    ViolationCode::InvalidValue,
                    "the 7th digit (century and sex) must be 1 to 6",
                );
                (0, Sex::Unspecified)
            }
        };
        let birth = (century > 0)
            .then(|| {
                NaiveDate::from_ymd_opt(
                    century + (digit(0) * 10 + digit(1)) as i32,
                    digit(2) * 10 + digit(3),
                    digit(4) * 10 + digit(5),
                )
            })
            .flatten();
        match birth {
            None if century > 0 => p.push(
                FIELD,
                ViolationCode::InvalidDate,
                "the first six digits are not a calendar date",
            ),
            Some(d) if d > today => p.push(
                FIELD,
                ViolationCode::DateInFuture,
                "the first six digits give a birth date in the future",
            ),
            _ => {}
        }
        match check_digit(&bytes[..11]) {
            Some(c) if c == bytes[11] => {}
            Some(_) => p.push(
                FIELD,
                ViolationCode::InvalidCheckDigit,
                "the check digit (12th) does not match",
            ),
            None => p.push(
                FIELD,
                ViolationCode::InvalidCheckDigit,
                "no check digit exists for these 11 digits; such an IIN is never issued",
            ),
        }
        match birth {
            Some(birth_date) if p.is_empty() => Ok(Self {
                number,
                birth_date,
                sex,
            }),
            _ => Err(p.into_vec()),
        }
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// The birth date in digits 1–6 and the century digit.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// The sex in the 7th digit.
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

    /// Builds a valid IIN from its first 11 digits, or `None` when none exists.
    pub fn complete(first11: &str) -> Option<String> {
        check_digit(first11.as_bytes()).map(|c| format!("{first11}{}", c as char))
    }

    #[test]
    fn real_format_numbers() {
        // Born 1990-01-31, woman of the 20th century (4), registration 0012.
        let iin = complete("90013140001").expect("has a check digit");
        let parsed = Iin::parse(&iin, today()).expect("valid");
        assert_eq!(
            parsed.birth_date(),
            NaiveDate::from_ymd_opt(1990, 1, 31).expect("date")
        );
        assert_eq!(parsed.sex(), Sex::Female);
        // Born 2005-07-12, man of the 21st century (5).
        let iin = complete("05071250123").expect("has a check digit");
        let parsed = Iin::parse(&iin, today()).expect("valid");
        assert_eq!(
            parsed.birth_date(),
            NaiveDate::from_ymd_opt(2005, 7, 12).expect("date")
        );
        assert_eq!(parsed.sex(), Sex::Male);
    }

    #[test]
    fn second_weights_are_used_when_the_first_give_ten() {
        // Search a prefix whose first weighting gives 10; its check digit comes from the second.
        let prefix = (0..10_000)
            .map(|n| format!("8501233{n:04}"))
            .find(|p| {
                let sum: u32 = p
                    .bytes()
                    .zip(1..=11)
                    .map(|(d, w)| u32::from(d - b'0') * w)
                    .sum();
                sum % 11 == 10 && check_digit(p.as_bytes()).is_some()
            })
            .expect("such a prefix exists");
        let iin = complete(&prefix).expect("check digit");
        assert!(Iin::parse(&iin, today()).is_ok());
        // And one where both give 10 has no valid IIN.
        let hopeless = (0..10_000)
            .map(|n| format!("8501233{n:04}"))
            .find(|p| check_digit(p.as_bytes()).is_none())
            .expect("such a prefix exists");
        for last in 0..10 {
            let err = Iin::parse(&format!("{hopeless}{last}"), today()).unwrap_err();
            assert!(err
                .iter()
                .any(|v| v.code == ViolationCode::InvalidCheckDigit));
        }
    }

    #[test]
    fn the_eleventh_digit_is_a_blind_spot_of_the_algorithm() {
        // Weight 11 is 0 modulo 11: the 11th digit does not move the first weighting.
        let a = complete("90013140001").expect("check digit");
        let b = complete("90013140002").expect("check digit");
        assert_eq!(a.as_bytes()[11], b.as_bytes()[11]);
    }

    #[test]
    fn every_single_digit_change_outside_the_blind_spots_is_caught() {
        let iin = complete("90013140001").expect("check digit");
        let first: u32 = iin.as_bytes()[..11]
            .iter()
            .zip(1..=11)
            .map(|(c, w)| u32::from(c - b'0') * w)
            .sum::<u32>()
            % 11;
        assert_ne!(
            first, 10,
            "this example's check digit comes from the first weighting"
        );
        for pos in (0..12).filter(|p| *p != 10) {
            for d in b'0'..=b'9' {
                let mut changed = iin.as_bytes().to_vec();
                if changed[pos] == d {
                    continue;
                }
                changed[pos] = d;
                let first: u32 = changed[..11]
                    .iter()
                    .zip(1..=11)
                    .map(|(c, w)| u32::from(c - b'0') * w)
                    .sum::<u32>()
                    % 11;
                if first == 10 {
                    continue; // falls to the second weighting, which may repeat the check digit
                }
                let changed = String::from_utf8(changed).expect("ascii");
                assert!(Iin::parse(&changed, today()).is_err(), "{pos}: {changed}");
            }
        }
    }

    #[test]
    fn codes_for_each_problem() {
        let code = |raw: &str| Iin::parse(raw, today()).unwrap_err()[0].code;
        assert_eq!(code("90013140012"), ViolationCode::InvalidLength);
        assert_eq!(code("9001314001A3"), ViolationCode::InvalidCharacter);
        assert_eq!(
            code(&complete("90013170001").unwrap_or_else(|| "900131700013".into())),
            ViolationCode::InvalidValue
        );
        assert_eq!(
            code(&complete("90023040001").expect("check digit")),
            ViolationCode::InvalidDate
        );
        assert_eq!(
            code(&complete("30010150001").expect("check digit")),
            ViolationCode::DateInFuture
        );
    }
}
