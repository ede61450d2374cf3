//! Statements written with fixed SQL text, so that each connection prepares them once.

// Diesel keeps a prepared statement per query shape, except for an `UPDATE` or an
// `INSERT … ON CONFLICT … DO UPDATE`: their SQL can change with the values, so diesel parses and
// plans them again on every run. The ones that run for every scan and permit are written here as
// diesel query fragments with one fixed text (the same on both backends; diesel places the binds
// as `?` or `$n`), which diesel's statement cache then keeps.

use chrono::NaiveDate;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text, Timestamp};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};

use super::stamp::Stamp;

/// Implements a fixed statement for both backends: SQL text with `{field: SqlType}` binds between.
macro_rules! fixed_sql {
    ($name:ident -> $row:ty, $first:literal $({$field:ident: $sql_type:ty} $text:literal)*) => {
        fixed_sql!($name, $first $({$field: $sql_type} $text)*);

        impl diesel::query_builder::Query for $name<'_> {
            type SqlType = $row;
        }
    };
    ($name:ident, $first:literal $({$field:ident: $sql_type:ty} $text:literal)*) => {
        fixed_sql!(@backend Sqlite, $name, $first $({$field: $sql_type} $text)*);
        fixed_sql!(@backend Pg, $name, $first $({$field: $sql_type} $text)*);

        impl QueryId for $name<'_> {
            type QueryId = $name<'static>;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        impl<Conn> RunQueryDsl<Conn> for $name<'_> {}
    };
    (@backend $backend:ty, $name:ident, $first:literal $({$field:ident: $sql_type:ty} $text:literal)*) => {
        impl QueryFragment<$backend> for $name<'_> {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $backend>) -> QueryResult<()> {
                out.push_sql($first);
                $(
                    out.push_bind_param::<$sql_type, _>(&self.$field)?;
                    out.push_sql($text);
                )*
                Ok(())
            }
        }
    };
}

/// Adds to one gate's counts of one day.
pub struct AddGateCounts<'a> {
    pub time_zone: &'a str,
    pub day: NaiveDate,
    pub gate_id: &'a str,
    pub entries: i64,
    pub exits: i64,
    pub travelers: i64,
    pub denied: i64,
    pub shard: i32,
}

fixed_sql!(
    AddGateCounts,
    "INSERT INTO daily_gate_counts (time_zone, day, gate_id, entries, exits, travelers, denied, shard) \
     VALUES (" {time_zone: Text} ", " {day: Date} ", " {gate_id: Text} ", " {entries: BigInt}
    ", " {exits: BigInt} ", " {travelers: BigInt} ", " {denied: BigInt} ", " {shard: Integer}
    ") ON CONFLICT (time_zone, day, gate_id, shard) DO UPDATE SET \
     entries = daily_gate_counts.entries + excluded.entries, \
     exits = daily_gate_counts.exits + excluded.exits, \
     travelers = daily_gate_counts.travelers + excluded.travelers, \
     denied = daily_gate_counts.denied + excluded.denied"
);

/// Adds to one day's travelers and permits issued.
pub struct AddTotals<'a> {
    pub time_zone: &'a str,
    pub day: NaiveDate,
    pub travelers: i64,
    pub permits_issued: i64,
    pub shard: i32,
}

fixed_sql!(
    AddTotals,
    "INSERT INTO daily_totals (time_zone, day, travelers, permits_issued, shard) VALUES ("
    {time_zone: Text} ", " {day: Date} ", " {travelers: BigInt} ", " {permits_issued: BigInt}
    ", " {shard: Integer} ") ON CONFLICT (time_zone, day, shard) DO UPDATE SET \
     travelers = daily_totals.travelers + excluded.travelers, \
     permits_issued = daily_totals.permits_issued + excluded.permits_issued"
);

/// Adds to one nationality's crossings at one gate on one day.
pub struct AddNationality<'a> {
    pub time_zone: &'a str,
    pub day: NaiveDate,
    pub gate_id: &'a str,
    pub nationality: &'a str,
    pub entries: i64,
    pub exits: i64,
    pub shard: i32,
}

fixed_sql!(
    AddNationality,
    "INSERT INTO daily_nationality_counts (time_zone, day, gate_id, nationality, entries, exits, shard) \
     VALUES (" {time_zone: Text} ", " {day: Date} ", " {gate_id: Text} ", " {nationality: Text}
    ", " {entries: BigInt} ", " {exits: BigInt} ", " {shard: Integer}
    ") ON CONFLICT (time_zone, day, gate_id, nationality, shard) DO UPDATE SET \
     entries = daily_nationality_counts.entries + excluded.entries, \
     exits = daily_nationality_counts.exits + excluded.exits"
);

/// Moves a permit's holder in or out.
pub struct MovePresence<'a> {
    pub permit_id: &'a str,
    pub inside: bool,
    pub side: Option<&'a str>,
    pub gate_id: Option<&'a str>,
    pub since: Stamp,
}

fixed_sql!(
    MovePresence,
    "UPDATE presence SET inside = " {inside: Bool} ", side = " {side: Nullable<Text>}
    ", gate_id = " {gate_id: Nullable<Text>} ", since = " {since: Timestamp}
    " WHERE permit_id = " {permit_id: Text} ""
);

/// Stamps a presence row with the gate bundle's version that changed it.
pub struct StampPresence<'a> {
    pub permit_id: &'a str,
    pub version: i64,
}

fixed_sql!(
    StampPresence,
    "UPDATE presence SET version = " {version: BigInt} " WHERE permit_id = " {permit_id: Text} ""
);

/// Moves the gate bundle's version on by one; the new version.
pub struct NextBundleVersion<'a> {
    pub id: i64,
    pub unused: std::marker::PhantomData<&'a ()>,
}

fixed_sql!(
    NextBundleVersion -> BigInt,
    "UPDATE bundle_version SET version = version + 1 WHERE id = " {id: BigInt}
    " RETURNING version"
);

/// A permit's admitted scans nearest to `at`: the latest at or before it and the earliest at or
/// after it, of any gate and of `gate_id`; at most four rows `(gate, instant)`. A day is one
/// stretch of time around `at`, so if any of the permit's admitted scans falls on the same day as
/// `at` (in any time zone), the nearest one on that side does too: these rows decide the daily
/// counts exactly as the permit's whole history would. Each is one seek in the index
/// `scans_permit_crossings (permit_id, decision, scanned_at, gate_id)`.
pub struct NearestCrossings<'a> {
    pub permit_id: &'a str,
    pub at: Stamp,
    pub gate_id: &'a str,
}

fixed_sql!(
    NearestCrossings -> (Text, Timestamp),
    "SELECT gate_id, scanned_at FROM (SELECT gate_id, scanned_at FROM scans WHERE permit_id = "
    {permit_id: Text} " AND decision = 'admit' AND scanned_at <= " {at: Timestamp}
    " ORDER BY scanned_at DESC LIMIT 1) AS before_any \
     UNION ALL SELECT gate_id, scanned_at FROM (SELECT gate_id, scanned_at FROM scans WHERE permit_id = "
    {permit_id: Text} " AND decision = 'admit' AND scanned_at >= " {at: Timestamp}
    " ORDER BY scanned_at ASC LIMIT 1) AS after_any \
     UNION ALL SELECT gate_id, scanned_at FROM (SELECT gate_id, scanned_at FROM scans WHERE permit_id = "
    {permit_id: Text} " AND decision = 'admit' AND gate_id = " {gate_id: Text}
    " AND scanned_at <= " {at: Timestamp} " ORDER BY scanned_at DESC LIMIT 1) AS before_here \
     UNION ALL SELECT gate_id, scanned_at FROM (SELECT gate_id, scanned_at FROM scans WHERE permit_id = "
    {permit_id: Text} " AND decision = 'admit' AND gate_id = " {gate_id: Text}
    " AND scanned_at >= " {at: Timestamp} " ORDER BY scanned_at ASC LIMIT 1) AS after_here"
);
