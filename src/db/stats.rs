//! Daily counts: kept up to date with each scan and permit for the aggregated time zones,
//! read back fast, or counted from the log for any other time zone.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;

use super::engine::prepared;
use super::engine::stamp::Stamp;
use super::schema::{
    daily_gate_counts as dgc, daily_nationality_counts as dnc, daily_totals as dt, permits, scans,
    stats_zones,
};
use super::DbConnection;
use crate::domain::crossing::Direction;
use crate::domain::stats::{
    increment, DayCounts, GateCounts, NationalityCounts, ReportRange, ScanEvent, Tally,
};

/// Hours of the log read per query when counting from the log.
const WINDOW_HOURS: i64 = 6;

/// The time zones whose counts are kept in the aggregate tables.
pub fn zones(conn: &mut DbConnection) -> QueryResult<Vec<Tz>> {
    let query = stats_zones::table.select(stats_zones::time_zone);
    let names: Vec<String> = super::on_backend!(conn, |c| query.load(c))?;
    Ok(names.iter().filter_map(|n| n.parse().ok()).collect())
}

/// How many shards the daily counts are kept in on PostgreSQL (SQLite, with its one writer, writes
/// shard 0): concurrent transactions pick shards at random, so two rarely wait on one row.
pub const SHARDS: i32 = 16;

/// The shard a transaction on `conn` adds its daily counts to.
fn pick_shard(conn: &DbConnection) -> i32 {
    match conn {
        DbConnection::Sqlite(_) => 0,
        DbConnection::Postgres(_) => crate::crypto::random_bytes::<2>()
            .map_or(0, |b| i32::from(u16::from_le_bytes(b)) % SHARDS),
    }
}

fn add_gate_counts(
    conn: &mut DbConnection,
    tz: &str,
    day: NaiveDate,
    gate: &str,
    c: GateCounts,
    shard: i32,
) -> QueryResult<()> {
    let to_i = |v: u64| v as i64;
    let upsert = prepared::AddGateCounts {
        time_zone: tz,
        day,
        gate_id: gate,
        entries: to_i(c.entries),
        exits: to_i(c.exits),
        travelers: to_i(c.travelers),
        denied: to_i(c.denied),
        shard,
    };
    super::on_backend!(conn, upsert).map(drop)
}

fn add_totals(
    conn: &mut DbConnection,
    tz: &str,
    day: NaiveDate,
    travelers: u64,
    permits_issued: u64,
    shard: i32,
) -> QueryResult<()> {
    let upsert = prepared::AddTotals {
        time_zone: tz,
        day,
        travelers: travelers as i64,
        permits_issued: permits_issued as i64,
        shard,
    };
    super::on_backend!(conn, upsert).map(drop)
}

fn add_nationality(
    conn: &mut DbConnection,
    tz: &str,
    day: NaiveDate,
    gate: &str,
    nationality: &str,
    c: NationalityCounts,
    shard: i32,
) -> QueryResult<()> {
    let upsert = prepared::AddNationality {
        time_zone: tz,
        day,
        gate_id: gate,
        nationality,
        entries: c.entries as i64,
        exits: c.exits as i64,
        shard,
    };
    super::on_backend!(conn, upsert).map(drop)
}

/// A permit's admitted scans `(gate, instant)`.
pub type Crossings = Vec<(String, DateTime<Utc>)>;

/// Daily-count changes a write leaves to be applied once, just before its transaction commits
/// (the group commit applies a whole batch's at once, as a few upserts instead of several a scan),
/// and the permits whose entry in the gate bundle changed (their presence or revocation), which
/// move the bundle's version once, last ([`super::bundles::stamp`]).
#[derive(Debug, Default)]
pub struct PendingCounts {
    /// Permits whose presence or revocation changed.
    bundle_changes: Vec<String>,
    /// Something else in the bundle changed (its keys).
    bundle_touched: bool,
    /// Each scan, with the permit's admitted scans `(gate, instant)` logged before it that decide
    /// what it adds (the nearest ones).
    scans: Vec<(ScanEvent, Crossings)>,
    /// When each permit was issued.
    permits: Vec<DateTime<Utc>>,
}

impl PendingCounts {
    /// Nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.scans.is_empty()
            && self.permits.is_empty()
            && self.bundle_changes.is_empty()
            && !self.bundle_touched
    }

    /// Adds `other`'s changes after these.
    pub fn append(&mut self, mut other: PendingCounts) {
        self.scans.append(&mut other.scans);
        self.permits.append(&mut other.permits);
        self.bundle_changes.append(&mut other.bundle_changes);
        self.bundle_touched |= other.bundle_touched;
    }

    /// Notes permits whose presence or revocation changed: the gate bundle's version moves.
    pub fn note_bundle_changes(&mut self, permits: impl IntoIterator<Item = String>) {
        self.bundle_changes.extend(permits);
    }

    /// Notes a change of the bundle's keys: its version moves.
    pub fn note_bundle_keys_changed(&mut self) {
        self.bundle_touched = true;
    }
}

/// Notes one scan for the daily counts; call it in the scan's transaction. What the scan adds is
/// decided by the permit's admitted scans logged before it: `earlier` holds at least the nearest
/// ones on either side ([`nearest_crossings`]) and may hold more of them.
pub fn note_scan(pending: &mut PendingCounts, event: ScanEvent, earlier: Crossings) {
    pending.scans.push((event, earlier));
}

/// What [`nearest_crossings`] looks up: a permit's admitted scans nearest to an instant, of any
/// gate and of one gate.
#[derive(Debug, Clone, Copy)]
pub struct NearestAsk<'a> {
    /// The permit.
    pub permit_id: &'a str,
    /// The instant.
    pub at: Stamp,
    /// The gate.
    pub gate_id: &'a str,
}

/// One row of [`nearest_crossings`] on PostgreSQL: which ask it answers, and a crossing.
#[derive(QueryableByName)]
struct NearestRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    ask: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    gate_id: String,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    scanned_at: NaiveDateTime,
}

/// For each ask, the permit's admitted scans in the log nearest to its instant
/// ([`prepared::NearestCrossings`]): on SQLite one prepared statement per ask, on PostgreSQL one
/// statement for them all (each a round trip there).
pub fn nearest_crossings(
    conn: &mut DbConnection,
    asks: &[NearestAsk<'_>],
) -> QueryResult<Vec<Crossings>> {
    if asks.is_empty() {
        return Ok(Vec::new());
    }
    match conn {
        DbConnection::Sqlite(c) => asks
            .iter()
            .map(|ask| {
                let nearest = prepared::NearestCrossings {
                    permit_id: ask.permit_id,
                    at: ask.at,
                    gate_id: ask.gate_id,
                };
                Ok(nearest
                    .load::<(String, Stamp)>(c)?
                    .into_iter()
                    .map(|(gate, at)| (gate, at.and_utc()))
                    .collect())
            })
            .collect(),
        DbConnection::Postgres(pg) => {
            use diesel::sql_types::{Array, Text, Timestamp};
            let rows: Vec<NearestRow> = diesel::sql_query(NEAREST_FOR_MANY)
                .bind::<Array<Text>, _>(asks.iter().map(|a| a.permit_id).collect::<Vec<_>>())
                .bind::<Array<Timestamp>, _>(asks.iter().map(|a| a.at.0).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(asks.iter().map(|a| a.gate_id).collect::<Vec<_>>())
                .load(pg)?;
            let mut found = vec![Crossings::new(); asks.len()];
            for row in rows {
                let slot = usize::try_from(row.ask - 1)
                    .ok()
                    .and_then(|i| found.get_mut(i))
                    .ok_or_else(|| {
                        diesel::result::Error::DeserializationError(
                            format!("nearest crossings answered ask {}", row.ask).into(),
                        )
                    })?;
                slot.push((row.gate_id, row.scanned_at.and_utc()));
            }
            Ok(found)
        }
    }
}

/// [`prepared::NearestCrossings`] for a list of asks (PostgreSQL): the asks as arrays, numbered
/// from 1, each looked up by the same four index seeks.
const NEAREST_FOR_MANY: &str = "SELECT q.ask, c.gate_id, c.scanned_at \
     FROM unnest($1::text[], $2::timestamp[], $3::text[]) WITH ORDINALITY AS q(permit_id, at, gate_id, ask) \
     CROSS JOIN LATERAL ( \
     (SELECT s.gate_id, s.scanned_at FROM scans s WHERE s.permit_id = q.permit_id \
       AND s.decision = 'admit' AND s.scanned_at <= q.at ORDER BY s.scanned_at DESC LIMIT 1) \
     UNION ALL (SELECT s.gate_id, s.scanned_at FROM scans s WHERE s.permit_id = q.permit_id \
       AND s.decision = 'admit' AND s.scanned_at >= q.at ORDER BY s.scanned_at ASC LIMIT 1) \
     UNION ALL (SELECT s.gate_id, s.scanned_at FROM scans s WHERE s.permit_id = q.permit_id \
       AND s.decision = 'admit' AND s.gate_id = q.gate_id AND s.scanned_at <= q.at \
       ORDER BY s.scanned_at DESC LIMIT 1) \
     UNION ALL (SELECT s.gate_id, s.scanned_at FROM scans s WHERE s.permit_id = q.permit_id \
       AND s.decision = 'admit' AND s.gate_id = q.gate_id AND s.scanned_at >= q.at \
       ORDER BY s.scanned_at ASC LIMIT 1)) AS c";

/// Notes one permit issued at `at` for the daily counts.
pub fn count_permit(pending: &mut PendingCounts, at: DateTime<Utc>) {
    pending.permits.push(at);
}

/// Adds `pending` to the counts of every aggregated time zone; call it last in the transaction
/// that logged them (on PostgreSQL the list of zones is then read after [`add_zone`]'s lock).
/// Rows are upserted in key order, so concurrent transactions lock them in one order.
pub fn apply(conn: &mut DbConnection, pending: &PendingCounts) -> QueryResult<()> {
    if pending.is_empty() {
        return Ok(());
    }
    add_counts(conn, pending)?;
    // Last: the version's row is held from here to the commit only.
    if pending.bundle_touched || !pending.bundle_changes.is_empty() {
        super::bundles::stamp(conn, &pending.bundle_changes)?;
    }
    Ok(())
}

fn add_counts(conn: &mut DbConnection, pending: &PendingCounts) -> QueryResult<()> {
    if pending.scans.is_empty() && pending.permits.is_empty() {
        return Ok(());
    }
    let mut gates: BTreeMap<(&str, NaiveDate, String), GateCounts> = BTreeMap::new();
    let mut totals: BTreeMap<(&str, NaiveDate), (u64, u64)> = BTreeMap::new();
    let mut nationalities: BTreeMap<(&str, NaiveDate, String, String), NationalityCounts> =
        BTreeMap::new();
    for tz in zones(conn)? {
        for (event, earlier) in &pending.scans {
            let inc = increment(event, earlier, tz);
            let gate = gates
                .entry((tz.name(), inc.day, inc.gate_id.clone()))
                .or_default();
            gate.entries += inc.entries;
            gate.exits += inc.exits;
            gate.travelers += u64::from(inc.gate_traveler);
            gate.denied += inc.denied;
            if inc.day_traveler {
                totals.entry((tz.name(), inc.day)).or_default().0 += 1;
            }
            if let Some(nat) = inc.nationality {
                let n = nationalities
                    .entry((tz.name(), inc.day, inc.gate_id, nat))
                    .or_default();
                n.entries += inc.entries;
                n.exits += inc.exits;
            }
        }
        for at in &pending.permits {
            let day = at.with_timezone(&tz).date_naive();
            totals.entry((tz.name(), day)).or_default().1 += 1;
        }
    }
    let shard = pick_shard(conn);
    if let DbConnection::Postgres(pg) = conn {
        // One statement per table, not one per row: a scan touches a row of each table in every
        // aggregated zone, and on PostgreSQL each statement is a round trip.
        return apply_in_three_statements(pg, &gates, &totals, &nationalities, shard);
    }
    for ((tz, day, gate), counts) in gates {
        add_gate_counts(conn, tz, day, &gate, counts, shard)?;
    }
    for ((tz, day), (travelers, issued)) in totals {
        add_totals(conn, tz, day, travelers, issued, shard)?;
    }
    for ((tz, day, gate, nat), counts) in nationalities {
        add_nationality(conn, tz, day, &gate, &nat, counts, shard)?;
    }
    Ok(())
}

/// [`apply`]'s upserts on PostgreSQL: one multi-row upsert per table, rows in key order (the maps
/// are ordered), so concurrent transactions still lock rows in one order.
fn apply_in_three_statements(
    pg: &mut diesel::PgConnection,
    gates: &BTreeMap<(&str, NaiveDate, String), GateCounts>,
    totals: &BTreeMap<(&str, NaiveDate), (u64, u64)>,
    nationalities: &BTreeMap<(&str, NaiveDate, String, String), NationalityCounts>,
    shard: i32,
) -> QueryResult<()> {
    use diesel::upsert::excluded;
    let n = |v: u64| v as i64;
    if !gates.is_empty() {
        let rows: Vec<_> = gates
            .iter()
            .map(|((tz, day, gate), c)| {
                (
                    dgc::time_zone.eq(*tz),
                    dgc::day.eq(*day),
                    dgc::gate_id.eq(gate.as_str()),
                    dgc::entries.eq(n(c.entries)),
                    dgc::exits.eq(n(c.exits)),
                    dgc::travelers.eq(n(c.travelers)),
                    dgc::denied.eq(n(c.denied)),
                    dgc::shard.eq(shard),
                )
            })
            .collect();
        diesel::insert_into(dgc::table)
            .values(rows)
            .on_conflict((dgc::time_zone, dgc::day, dgc::gate_id, dgc::shard))
            .do_update()
            .set((
                dgc::entries.eq(dgc::entries + excluded(dgc::entries)),
                dgc::exits.eq(dgc::exits + excluded(dgc::exits)),
                dgc::travelers.eq(dgc::travelers + excluded(dgc::travelers)),
                dgc::denied.eq(dgc::denied + excluded(dgc::denied)),
            ))
            .execute(pg)?;
    }
    if !totals.is_empty() {
        let rows: Vec<_> = totals
            .iter()
            .map(|((tz, day), (travelers, issued))| {
                (
                    dt::time_zone.eq(*tz),
                    dt::day.eq(*day),
                    dt::travelers.eq(n(*travelers)),
                    dt::permits_issued.eq(n(*issued)),
                    dt::shard.eq(shard),
                )
            })
            .collect();
        diesel::insert_into(dt::table)
            .values(rows)
            .on_conflict((dt::time_zone, dt::day, dt::shard))
            .do_update()
            .set((
                dt::travelers.eq(dt::travelers + excluded(dt::travelers)),
                dt::permits_issued.eq(dt::permits_issued + excluded(dt::permits_issued)),
            ))
            .execute(pg)?;
    }
    if !nationalities.is_empty() {
        let rows: Vec<_> = nationalities
            .iter()
            .map(|((tz, day, gate, nat), c)| {
                (
                    dnc::time_zone.eq(*tz),
                    dnc::day.eq(*day),
                    dnc::gate_id.eq(gate.as_str()),
                    dnc::nationality.eq(nat.as_str()),
                    dnc::entries.eq(n(c.entries)),
                    dnc::exits.eq(n(c.exits)),
                    dnc::shard.eq(shard),
                )
            })
            .collect();
        diesel::insert_into(dnc::table)
            .values(rows)
            .on_conflict((
                dnc::time_zone,
                dnc::day,
                dnc::gate_id,
                dnc::nationality,
                dnc::shard,
            ))
            .do_update()
            .set((
                dnc::entries.eq(dnc::entries + excluded(dnc::entries)),
                dnc::exits.eq(dnc::exits + excluded(dnc::exits)),
            ))
            .execute(pg)?;
    }
    Ok(())
}

/// The counts of `range` from the aggregate tables; `None` when its time zone is not aggregated.
pub fn read_aggregated(
    conn: &mut DbConnection,
    range: &ReportRange,
) -> QueryResult<Option<Vec<(NaiveDate, DayCounts)>>> {
    let tz = range.tz.name();
    let aggregated: Option<String> = stats_zones::table
        .find(tz)
        .select(stats_zones::time_zone)
        .get_result(conn)
        .optional()?;
    if aggregated.is_none() {
        return Ok(None);
    }
    let mut days: BTreeMap<NaiveDate, DayCounts> =
        range.days().map(|d| (d, DayCounts::default())).collect();
    let mut gates = dgc::table
        .filter(dgc::time_zone.eq(tz))
        .filter(dgc::day.between(range.from, range.to))
        .select((
            dgc::day,
            dgc::gate_id,
            dgc::entries,
            dgc::exits,
            dgc::travelers,
            dgc::denied,
        ))
        .into_boxed();
    if let Some(gate) = &range.gate_id {
        gates = gates.filter(dgc::gate_id.eq(gate.clone()));
    }
    for (day, gate, entries, exits, travelers, denied) in
        gates.load::<(NaiveDate, String, i64, i64, i64, i64)>(conn)?
    {
        // One row per shard: every row adds.
        if let Some(d) = days.get_mut(&day) {
            let c = GateCounts {
                entries: entries as u64,
                exits: exits as u64,
                travelers: travelers as u64,
                denied: denied as u64,
            };
            d.entries += c.entries;
            d.exits += c.exits;
            d.denied += c.denied;
            if range.gate_id.is_some() {
                d.travelers += c.travelers;
            }
            let g = d.by_gate.entry(gate).or_default();
            g.entries += c.entries;
            g.exits += c.exits;
            g.travelers += c.travelers;
            g.denied += c.denied;
        }
    }
    let totals: Vec<(NaiveDate, i64, i64)> = dt::table
        .filter(dt::time_zone.eq(tz))
        .filter(dt::day.between(range.from, range.to))
        .select((dt::day, dt::travelers, dt::permits_issued))
        .load(conn)?;
    for (day, travelers, issued) in totals {
        if let Some(d) = days.get_mut(&day) {
            d.permits_issued += issued as u64;
            if range.gate_id.is_none() {
                d.travelers += travelers as u64;
            }
        }
    }
    let mut nationalities = dnc::table
        .filter(dnc::time_zone.eq(tz))
        .filter(dnc::day.between(range.from, range.to))
        .select((dnc::day, dnc::nationality, dnc::entries, dnc::exits))
        .into_boxed();
    if let Some(gate) = &range.gate_id {
        nationalities = nationalities.filter(dnc::gate_id.eq(gate.clone()));
    }
    for (day, nat, entries, exits) in nationalities.load::<(NaiveDate, String, i64, i64)>(conn)? {
        if let Some(d) = days.get_mut(&day) {
            let n = d.by_nationality.entry(nat).or_default();
            n.entries += entries as u64;
            n.exits += exits as u64;
        }
    }
    Ok(Some(days.into_iter().collect()))
}

type LogRow = (
    String,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
    NaiveDateTime,
);

/// Feeds every log row scanned in `[start, end)` to `f`, in `scanned_at` order, an hour of the
/// log at a time: each query is one index range, and memory holds one hour's rows.
fn each_scan(
    conn: &mut DbConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
    mut f: impl FnMut(ScanEvent),
) -> QueryResult<()> {
    let mut from = start;
    while from < end {
        let to = (from + chrono::Duration::hours(WINDOW_HOURS)).min(end);
        let rows: Vec<LogRow> = scans::table
            .filter(scans::scanned_at.ge(from))
            .filter(scans::scanned_at.lt(to))
            .order((scans::scanned_at, scans::id))
            .select((
                scans::id,
                scans::permit_id,
                scans::gate_id,
                scans::nationality,
                scans::direction,
                scans::decision,
                scans::scanned_at,
            ))
            .load(conn)?;
        for (_, permit_id, gate_id, nationality, direction, decision, scanned_at) in rows {
            f(ScanEvent {
                permit_id,
                gate_id,
                nationality,
                direction: Direction::parse(&direction).unwrap_or(Direction::Entry),
                admitted: decision == "admit",
                scanned_at: scanned_at.and_utc(),
            });
        }
        from = to;
    }
    Ok(())
}

/// The counts of `range` straight from the crossing log and the permits.
pub fn count_from_log(
    conn: &mut DbConnection,
    range: &ReportRange,
) -> QueryResult<Vec<(NaiveDate, DayCounts)>> {
    Ok(tally_from_log(conn, range)?.finish())
}

fn tally_from_log(conn: &mut DbConnection, range: &ReportRange) -> QueryResult<Tally> {
    let (start, end) = range.instants();
    let mut tally = Tally::new(range.clone());
    each_scan(conn, start.naive_utc(), end.naive_utc(), |event| {
        tally.scan(&event)
    })?;
    let issued: Vec<NaiveDateTime> = permits::table
        .filter(permits::created_at.ge(start.naive_utc()))
        .filter(permits::created_at.lt(end.naive_utc()))
        .select(permits::created_at)
        .load(conn)?;
    for at in issued {
        tally.permit_issued(at.and_utc());
    }
    Ok(tally)
}

/// Starts keeping aggregates for `tz`: counts the whole log into them, in one transaction with the
/// zone's registration, so a scan is either in the rebuild or counted after it, never both or neither.
///
/// SQLite runs one write transaction at a time. On PostgreSQL the log and the permits are locked in
/// SHARE mode for the rebuild: transactions that already inserted a scan or a permit finish first
/// (and are in the rebuild); later ones wait, then read the list of zones, which then holds `tz`.
pub fn add_zone(conn: &mut DbConnection, tz: Tz, now: NaiveDateTime) -> QueryResult<bool> {
    conn.transaction(|c| {
        if let DbConnection::Postgres(pg) = c {
            diesel::sql_query("LOCK TABLE scans, permits IN SHARE MODE").execute(pg)?;
        }
        let known: Option<String> = stats_zones::table
            .find(tz.name())
            .select(stats_zones::time_zone)
            .get_result(c)
            .optional()?;
        if known.is_some() {
            return Ok(false);
        }
        // Register first: on PostgreSQL a concurrent start of another instance then waits on this row.
        diesel::insert_into(stats_zones::table)
            .values((
                stats_zones::time_zone.eq(tz.name()),
                stats_zones::built_at.eq(now),
            ))
            .execute(c)?;
        let first: Option<NaiveDateTime> = scans::table
            .select(diesel::dsl::min(scans::scanned_at))
            .first(c)?;
        let first_permit: Option<NaiveDateTime> = permits::table
            .select(diesel::dsl::min(permits::created_at))
            .first(c)?;
        let Some(first) = [first, first_permit].into_iter().flatten().min() else {
            return Ok(true);
        };
        // Year by year, so memory stays bounded on a long log.
        let mut from = first.and_utc().with_timezone(&tz).date_naive();
        let last = now
            .and_utc()
            .with_timezone(&tz)
            .date_naive()
            .succ_opt()
            .unwrap_or(from);
        while from <= last {
            let to = from
                .checked_add_days(chrono::Days::new(365))
                .unwrap_or(last)
                .min(last);
            let range = ReportRange {
                from,
                to,
                tz,
                gate_id: None,
            };
            let (days, gate_nationalities) =
                tally_from_log(c, &range)?.finish_with_gate_nationalities();
            for (day, counts) in days {
                if counts.travelers > 0 || counts.permits_issued > 0 {
                    add_totals(
                        c,
                        tz.name(),
                        day,
                        counts.travelers,
                        counts.permits_issued,
                        0,
                    )?;
                }
                for (gate, g) in &counts.by_gate {
                    add_gate_counts(c, tz.name(), day, gate, *g, 0)?;
                }
            }
            for ((day, gate, nat), n) in gate_nationalities {
                add_nationality(c, tz.name(), day, &gate, &nat, n, 0)?;
            }
            match to.succ_opt() {
                Some(next) => from = next,
                None => break,
            }
        }
        Ok(true)
    })
}

/// Who is inside now, counted.
#[derive(Debug, Clone, Default)]
pub struct Occupancy {
    /// Holders inside.
    pub inside: u64,
    /// By side of entry.
    pub by_side: BTreeMap<String, u64>,
    /// By nationality.
    pub by_nationality: BTreeMap<String, u64>,
    /// Inside past their permit's end.
    pub overstaying: u64,
}

/// One holder inside past their permit's end.
#[derive(Debug, Clone, Queryable)]
pub struct Overstay {
    /// Permit id.
    pub permit_id: String,
    /// Surname.
    pub surname: String,
    /// Given names.
    pub given_names: String,
    /// Nationality.
    pub nationality: String,
    /// Side of entry.
    pub side: Option<String>,
    /// Gate of entry.
    pub gate_id: Option<String>,
    /// When they entered.
    pub since: Option<NaiveDateTime>,
    /// When the permit ended.
    pub valid_until: NaiveDateTime,
    /// `active` or `revoked`.
    pub status: String,
}

/// Counts who is inside at `now`.
pub fn occupancy(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Occupancy> {
    use super::schema::presence;
    let rows: Vec<(Option<String>, String, NaiveDateTime)> = presence::table
        .inner_join(permits::table)
        .filter(presence::inside)
        .select((presence::side, permits::nationality, permits::valid_until))
        .load(conn)?;
    let mut occupancy = Occupancy::default();
    for (side, nationality, valid_until) in rows {
        occupancy.inside += 1;
        *occupancy
            .by_side
            .entry(side.unwrap_or_default())
            .or_default() += 1;
        *occupancy.by_nationality.entry(nationality).or_default() += 1;
        if valid_until <= now {
            occupancy.overstaying += 1;
        }
    }
    Ok(occupancy)
}

/// A page of the holders inside past their permit's end, longest overdue first.
pub fn overstays(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<Overstay>> {
    use super::schema::presence;
    presence::table
        .inner_join(permits::table)
        .filter(presence::inside)
        .filter(permits::valid_until.le(now))
        .order((permits::valid_until, permits::id))
        .select((
            permits::id,
            permits::surname,
            permits::given_names,
            permits::nationality,
            presence::side,
            presence::gate_id,
            presence::since,
            permits::valid_until,
            permits::status,
        ))
        .offset(offset)
        .limit(limit)
        .load(conn)
}
