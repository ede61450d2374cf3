//! A broken rule in the input, named by field and code; parsers return every one they find.

use std::fmt;

/// What kind of rule an input breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViolationCode {
    /// A required value is missing.
    Required,
    /// Too short or too long, or the wrong number of MRZ lines.
    InvalidLength,
    /// A character that may not stand there.
    InvalidCharacter,
    /// A check digit does not match.
    InvalidCheckDigit,
    /// Not a real calendar date, or not `YYYY-MM-DD`.
    InvalidDate,
    /// A value outside the allowed set.
    InvalidValue,
    /// Two sources (a field and the MRZ, or a field and a number) disagree.
    Mismatch,
    /// A document this zone does not accept.
    UnsupportedDocument,
    /// A date that lies in the future where it may not.
    DateInFuture,
    /// A date that lies in the past where it may not.
    DateInPast,
    /// The document expires before it must.
    Expired,
    /// Longer than allowed (a visit).
    TooLong,
    /// Later than allowed (a visit start too far ahead).
    TooFarAhead,
    /// Dates in the wrong order.
    InvalidRange,
    /// An instant outside the window allowed around the server's clock.
    OutOfRange,
    /// A gate id that names no gate.
    UnknownGate,
    /// A JSON value of the wrong type (a number where a string belongs).
    InvalidType,
    /// A field the request does not have.
    UnknownField,
    /// A query string that cannot be read.
    InvalidQuery,
    /// The caller may not do this with this value (another gate, an officer who may not scan there).
    NotAllowed,
    /// A nonce used before for a different scan.
    NonceReused,
}

impl ViolationCode {
    /// Every code, in the order `docs/errors.md` lists them.
    pub const ALL: [Self; 21] = [
        Self::Required,
        Self::InvalidLength,
        Self::InvalidCharacter,
        Self::InvalidCheckDigit,
        Self::InvalidDate,
        Self::InvalidValue,
        Self::Mismatch,
        Self::UnsupportedDocument,
        Self::DateInFuture,
        Self::DateInPast,
        Self::Expired,
        Self::TooLong,
        Self::TooFarAhead,
        Self::InvalidRange,
        Self::OutOfRange,
        Self::UnknownGate,
        Self::InvalidType,
        Self::UnknownField,
        Self::InvalidQuery,
        Self::NotAllowed,
        Self::NonceReused,
    ];

    /// The stable code clients see.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::InvalidLength => "invalid_length",
            Self::InvalidCharacter => "invalid_character",
            Self::InvalidCheckDigit => "invalid_check_digit",
            Self::InvalidDate => "invalid_date",
            Self::InvalidValue => "invalid_value",
            Self::Mismatch => "mismatch",
            Self::UnsupportedDocument => "unsupported_document",
            Self::DateInFuture => "date_in_future",
            Self::DateInPast => "date_in_past",
            Self::Expired => "expired",
            Self::TooLong => "too_long",
            Self::TooFarAhead => "too_far_ahead",
            Self::InvalidRange => "invalid_range",
            Self::OutOfRange => "out_of_range",
            Self::UnknownGate => "unknown_gate",
            Self::InvalidType => "invalid_type",
            Self::UnknownField => "unknown_field",
            Self::InvalidQuery => "invalid_query",
            Self::NotAllowed => "not_allowed",
            Self::NonceReused => "nonce_reused",
        }
    }
}

impl serde::Serialize for ViolationCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for ViolationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken rule: which field, what kind, and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Dotted path of the field, relative to what was parsed (e.g. `number`, `mrz`).
    pub field: String,
    /// The kind of rule broken.
    pub code: ViolationCode,
    /// A sentence saying what is wrong; never echoes the full value.
    pub message: String,
}

impl Violation {
    /// A violation of `code` at `field`.
    pub fn new(field: impl Into<String>, code: ViolationCode, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    /// The same violation, with `prefix.` put before its field.
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

/// Collects violations while a parser carries on looking for more.
#[derive(Debug, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// Records one violation.
    pub fn push(
        &mut self,
        field: impl Into<String>,
        code: ViolationCode,
        message: impl Into<String>,
    ) {
        self.0.push(Violation::new(field, code, message));
    }

    /// Records several, each put under `prefix` when given.
    pub fn extend(&mut self, prefix: Option<&str>, more: impl IntoIterator<Item = Violation>) {
        self.0.extend(more.into_iter().map(|v| match prefix {
            Some(p) => v.within(p),
            None => v,
        }));
    }

    /// Keeps the value of `result`, recording its violations under `prefix`.
    pub fn take<T>(
        &mut self,
        prefix: Option<&str>,
        result: Result<T, Vec<Violation>>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(found) => {
                self.extend(prefix, found);
                None
            }
        }
    }

    /// Records that `field` is required and missing.
    pub fn missing(&mut self, field: &str) {
        self.push(
            field,
            ViolationCode::Required,
            format!("{field} is required"),
        );
    }

    /// Reads a required field with `parse`: `required` when absent, `invalid_value` with `why`
    /// when `parse` refuses it.
    pub fn required<T>(
        &mut self,
        field: &str,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Option<T>,
        why: &str,
    ) -> Option<T> {
        let Some(raw) = raw else {
            self.missing(field);
            return None;
        };
        let parsed = parse(raw);
        if parsed.is_none() {
            self.push(field, ViolationCode::InvalidValue, why);
        }
        parsed
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was recorded, else every violation.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<Violation>> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }

    /// Every violation recorded.
    pub fn into_vec(self) -> Vec<Violation> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_errors_md_lists_every_code_and_no_other() {
        let doc = include_str!("../../docs/errors.md");
        let section = doc
            .split("## Field problem codes")
            .nth(1)
            .expect("docs/errors.md has the codes' section");
        let listed: Vec<&str> = section
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split('`').next())
            .collect();
        let known: Vec<&str> = ViolationCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, known);
    }
}
