//! A UTC instant in a `TIMESTAMP` column, read and written on SQLite with one prebuilt pattern
//! instead of diesel's strftime path.

use std::ops::Deref;

use chrono::format::{Fixed, Item, Numeric, Pad, Parsed};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Timestamp;
use diesel::sqlite::{Sqlite, SqliteType};

use super::multi_connection_impl::MultiBackend;

/// A UTC instant as a `TIMESTAMP` column holds it. Dereferences to the `NaiveDateTime`.
///
/// SQLite keeps a timestamp as text. diesel writes `NaiveDateTime` with the strftime pattern
/// `%F %T%.f` and reads it by trying up to eighteen patterns, each parsed anew from its pattern
/// text on every value. `Stamp` writes the same text through chrono's `Display` (which prints
/// exactly `%F %T%.f`; the tests below hold it to that) and reads it with one pattern whose items
/// are built once; any other text (an older row, a value SQLite's date functions wrote) goes to
/// diesel's reader unchanged. On PostgreSQL, which stores timestamps in binary, it is diesel's
/// mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Timestamp)]
pub struct Stamp(pub NaiveDateTime);

impl Deref for Stamp {
    type Target = NaiveDateTime;

    fn deref(&self) -> &NaiveDateTime {
        &self.0
    }
}

impl From<NaiveDateTime> for Stamp {
    fn from(value: NaiveDateTime) -> Self {
        Self(value)
    }
}

impl From<DateTime<Utc>> for Stamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self(value.naive_utc())
    }
}

/// `%F %T%.f`, the text diesel writes, as chrono items.
const TEXT: &[Item<'static>] = &[
    Item::Numeric(Numeric::Year, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Month, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Day, Pad::Zero),
    Item::Literal(" "),
    Item::Numeric(Numeric::Hour, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Minute, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Second, Pad::Zero),
    Item::Fixed(Fixed::Nanosecond),
];

impl Stamp {
    /// The text SQLite keeps: `%F %T%.f`, as diesel writes it.
    fn text(self) -> String {
        self.0.to_string()
    }
}

/// Reads text in the form diesel writes; `None` for any other form.
fn parse(text: &str) -> Option<NaiveDateTime> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, TEXT.iter()).ok()?;
    parsed.to_naive_datetime_with_offset(0).ok()
}

impl ToSql<Timestamp, Sqlite> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.text());
        Ok(IsNull::No)
    }
}

impl FromSql<Timestamp, Sqlite> for Stamp {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        if value.value_type() == Some(SqliteType::Text) {
            if let Some(instant) = parse(value.read_text()) {
                return Ok(Self(instant));
            }
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Self)
    }
}

impl ToSql<Timestamp, Pg> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <NaiveDateTime as ToSql<Timestamp, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<Timestamp, Pg> for Stamp {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Self)
    }
}

impl ToSql<Timestamp, MultiBackend> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((Timestamp, self));
        Ok(IsNull::No)
    }
}

impl FromSql<Timestamp, MultiBackend> for Stamp {
    fn from_sql(value: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    /// diesel's own text for a timestamp on SQLite.
    const DIESEL_TEXT: &str = "%F %T%.f";

    fn instant(seconds: i64, nanos: u32) -> NaiveDateTime {
        DateTime::from_timestamp(seconds, nanos)
            .expect("in range")
            .naive_utc()
    }

    proptest! {
        #[test]
        fn writes_what_diesel_writes_and_reads_it_back(
            // Years 1000 to 9999, and nanoseconds with 0, 3, 6 and 9 significant digits.
            seconds in -30_610_224_000i64..253_402_300_799,
            nanos in prop_oneof![Just(0u32), (0u32..1000).prop_map(|m| m * 1_000_000),
                                 (0u32..1_000_000).prop_map(|u| u * 1000), 0u32..1_000_000_000],
        ) {
            let t = instant(seconds, nanos);
            let text = Stamp(t).text();
            prop_assert_eq!(&text, &t.format(DIESEL_TEXT).to_string());
            prop_assert_eq!(parse(&text), Some(t));
            prop_assert_eq!(parse(&text), NaiveDateTime::parse_from_str(&text, DIESEL_TEXT).ok());
        }
    }

    #[test]
    fn sqlite_rows_written_by_either_mapping_read_back_through_both() {
        use diesel::prelude::*;
        use diesel::sql_types::Text;

        diesel::table! {
            stamps (id) {
                id -> Integer,
                at -> Timestamp,
            }
        }
        let mut conn = SqliteConnection::establish(":memory:").expect("in-memory database");
        diesel::sql_query("CREATE TABLE stamps (id INTEGER PRIMARY KEY, at TIMESTAMP NOT NULL)")
            .execute(&mut conn)
            .expect("table");
        let t = instant(1_796_000_000, 123_456_000);
        diesel::insert_into(stamps::table)
            .values((stamps::id.eq(1), stamps::at.eq(Stamp(t))))
            .execute(&mut conn)
            .expect("insert through Stamp");
        diesel::insert_into(stamps::table)
            .values((stamps::id.eq(2), stamps::at.eq(t)))
            .execute(&mut conn)
            .expect("insert through NaiveDateTime");
        // SQLite's own function writes another form, which diesel's reader takes.
        diesel::sql_query(
            "INSERT INTO stamps (id, at) VALUES (3, datetime(1796000000, 'unixepoch'))",
        )
        .execute(&mut conn)
        .expect("insert through SQLite");
        let through_stamp: Vec<Stamp> = stamps::table
            .order(stamps::id)
            .select(stamps::at)
            .load(&mut conn)
            .expect("read");
        let through_diesel: Vec<NaiveDateTime> = stamps::table
            .order(stamps::id)
            .select(stamps::at)
            .load(&mut conn)
            .expect("read");
        let whole_second = instant(1_796_000_000, 0);
        assert_eq!(through_stamp, vec![Stamp(t), Stamp(t), Stamp(whole_second)]);
        assert_eq!(through_diesel, vec![t, t, whole_second]);
        let texts: Vec<String> = stamps::table
            .order(stamps::id)
            .select(diesel::dsl::sql::<Text>("at"))
            .load(&mut conn)
            .expect("read text");
        assert_eq!(texts[0], texts[1], "both mappings write the same text");
    }

    #[test]
    fn other_forms_are_left_to_diesel() {
        for text in [
            "2026-11-30T08:00:00",
            "2026-11-30 08:00",
            "2026-11-30 08:00:00Z",
            "2461009.5",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
        let t = NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_milli_opt(8, 0, 0, 250))
            .expect("valid");
        assert_eq!(parse("2026-11-30 08:00:00.250"), Some(t));
    }
}
