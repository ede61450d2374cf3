//! Fills a SQLite database with a realistic crossing log, for benchmarks at the zone's scale
//! (the seed figure: 20 million travelers in six years). Not part of the service.
//!
//! ```sh
//! cargo run --release --example fill_log -- --data-dir target/bench-log --scans 20000000 --years 6
//! ```
//!
//! Permits are real (signed tokens, valid documents), scans follow the zone's rules (entries and
//! exits at the side of entry, some denials), all timed within gate hours. The daily counts are
//! built afterwards by the same code the service uses when a time zone is added.

use std::time::Instant;

use borderpass::config::{Config, RawSettings};
use borderpass::crypto::access_code;
use borderpass::crypto::keyring::KeyRing;
use borderpass::crypto::permit_token::{self, PermitClaims};
use borderpass::db::permits::PermitRow;
use borderpass::db::schema::{documents, permits, presence, scans};
use borderpass::db::{keys, stats, DbConnection, Store};
use chrono::{Days, Duration, NaiveDateTime, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// A small deterministic generator (xorshift), so runs are repeatable without another crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const NATIONALITIES: [(&str, u64); 8] = [
    ("CHN", 45),
    ("KAZ", 40),
    ("RUS", 5),
    ("UZB", 3),
    ("KGZ", 3),
    ("DEU", 1),
    ("MNG", 2),
    ("TUR", 1),
];

fn nationality(rng: &mut Rng) -> &'static str {
    let mut roll = rng.below(100);
    for (code, weight) in NATIONALITIES {
        if roll < weight {
            return code;
        }
        roll -= weight;
    }
    "KAZ"
}

/// Fills a SQLite database with a realistic crossing log.
#[derive(Debug, clap::Parser)]
struct Args {
    /// Data directory (the database is DIR/borderpass.db).
    #[arg(long, default_value = "target/bench-log")]
    data_dir: String,
    /// Scans to write, spread evenly over the years.
    #[arg(long, default_value_t = 20_000_000)]
    scans: u64,
    /// Years of log, ending today.
    #[arg(long, default_value_t = 6)]
    years: u64,
    /// Only (re)build the daily counts of a log written before.
    #[arg(long)]
    counts_only: bool,
}

struct ScanRow {
    id: String,
    nonce: String,
    permit_id: Option<String>,
    gate: &'static str,
    side: &'static str,
    direction: &'static str,
    decision: &'static str,
    reason: Option<&'static str>,
    nationality: Option<&'static str>,
    at: NaiveDateTime,
}

fn main() {
    let args = <Args as clap::Parser>::parse();
    let started = Instant::now();
    let settings = RawSettings {
        data_dir: args.data_dir.clone().into(),
        ..RawSettings::default()
    };
    let config = Config::from_raw(settings).expect("config");
    let store = Store::open(&config);
    store.migrate().expect("migrations");
    let ring = KeyRing::new(
        config
            .load_key_encryption_key()
            .expect("key-encryption key"),
    );
    let mut conn = store.writer_blocking().expect("connection");
    if args.counts_only {
        build_counts(&mut conn, &config, started);
        return;
    }
    let end = Utc::now().date_naive();
    let start = end
        .checked_sub_days(Days::new(args.years * 365))
        .expect("date");
    let first_instant = Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0).expect("midnight"));
    keys::ensure_active(
        &mut conn,
        &ring,
        first_instant.naive_utc(),
        keys::KeyUse::Permit,
    )
    .expect("signing key");
    let key = keys::active_signing_key(&mut conn, &ring, keys::KeyUse::Permit).expect("key");
    // A bulk load: durability per row is not the point here, and the daily counts come after.
    conn.batch_execute("PRAGMA synchronous = OFF; DELETE FROM stats_zones;")
        .expect("pragmas");

    let total_days = args.years * 365;
    let scans_per_day = (args.scans / total_days).max(1);
    let mut rng = Rng(0x5eed_b0d3_u64);
    let tz = chrono_tz::Asia::Shanghai;
    let mut written_scans = 0u64;
    let mut written_permits = 0u64;
    let (_, code_hash) = access_code::generate().expect("random");
    let mut day = start;
    while day < end {
        let mut permit_rows = Vec::new();
        let mut scan_rows = Vec::new();
        // About 4 scans per permit: an entry and an exit, and for some a second round trip.
        let mut today_scans = 0;
        while today_scans < scans_per_day {
            let id = uuid::Uuid::now_v7().to_string();
            let nat = nationality(&mut rng);
            let (gate, side) = if rng.chance(50) {
                ("CN-1", "CHN")
            } else {
                ("KZ-1", "KAZ")
            };
            let stay = rng.below(5);
            let until = day.checked_add_days(Days::new(stay + 1)).expect("date");
            let valid_from = borderpass::domain::permit::start_of_day(day, tz);
            let valid_until =
                borderpass::domain::permit::start_of_day(until.succ_opt().expect("date"), tz);
            let issued = valid_from - Duration::days(1 + rng.below(20) as i64);
            let number = format!("F{:010}", written_permits);
            let surname = "TRAVELER".to_owned();
            let claims = PermitClaims {
                sub: id.clone(),
                nbf: valid_from.timestamp(),
                exp: valid_until.timestamp(),
                n: PermitClaims::name_claim(&surname, "SIMULATED"),
                c: nat.into(),
                b: "19850615".into(),
            };
            permit_rows.push(PermitRow {
                id: id.clone(),
                status: "active".into(),
                document_key: format!("passport:{nat}:{number}"),
                document_type: "passport".into(),
                issuing_country: nat.into(),
                document_number: number,
                document_expiry: Some(until.checked_add_days(Days::new(3650)).expect("date")),
                personal_number: None,
                nationality: nat.into(),
                surname,
                given_names: "SIMULATED".into(),
                birth_date: chrono::NaiveDate::from_ymd_opt(1985, 6, 15).expect("date"),
                sex: "X".into(),
                visit_from: day,
                visit_until: until,
                valid_from: valid_from.into(),
                valid_until: valid_until.into(),
                kid: key.kid().into(),
                token: permit_token::sign(&claims, &key).expect("sign"),
                access_code_hash: code_hash.clone(),
                created_at: issued.into(),
                revoked_at: None,
                revoked_reason: None,
            });
            written_permits += 1;
            // Gate hours 09:00 to 21:00 Beijing time.
            let gate_time = |rng: &mut Rng, d: chrono::NaiveDate| {
                borderpass::domain::permit::start_of_day(d, tz)
                    + Duration::minutes(9 * 60 + rng.below(12 * 60) as i64)
            };
            // Most come once; a good share come and go again during their permit.
            let trips = match rng.below(100) {
                0..=59 => 1,
                60..=84 => 2,
                _ => 3,
            };
            let mut visit_day = day;
            for _ in 0..trips {
                let entry = gate_time(&mut rng, visit_day);
                let exit_day = visit_day
                    .checked_add_days(Days::new(rng.below(stay + 1)))
                    .expect("date");
                let mut exit = gate_time(&mut rng, exit_day);
                if exit <= entry {
                    exit = entry + Duration::minutes(30 + rng.below(300) as i64);
                }
                let scan = |at: chrono::DateTime<Utc>, direction, decision, reason| ScanRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    nonce: uuid::Uuid::now_v7().to_string(),
                    permit_id: Some(id.clone()),
                    gate,
                    side,
                    direction,
                    decision,
                    reason,
                    nationality: Some(nat),
                    at: at.naive_utc(),
                };
                if rng.chance(2) {
                    // Tried the other side's gate first.
                    let other = ScanRow {
                        gate: if gate == "CN-1" { "KZ-1" } else { "CN-1" },
                        side: if side == "CHN" { "KAZ" } else { "CHN" },
                        ..scan(
                            exit - Duration::minutes(20),
                            "exit",
                            "deny",
                            Some("wrong_side"),
                        )
                    };
                    scan_rows.push(other);
                }
                scan_rows.push(scan(entry, "entry", "admit", None));
                scan_rows.push(scan(exit, "exit", "admit", None));
                visit_day = exit_day;
                if visit_day >= until {
                    break;
                }
            }
            today_scans = scan_rows.len() as u64;
        }
        insert_day(&mut conn, &permit_rows, &scan_rows);
        written_scans += scan_rows.len() as u64;
        day = day.succ_opt().expect("date");
        if day.day0() == 0 && day.month0() == 0 {
            eprintln!(
                "{day}: {written_permits} permits, {written_scans} scans, {:?}",
                started.elapsed()
            );
        }
    }
    conn.batch_execute("PRAGMA synchronous = FULL;")
        .expect("pragma");
    eprintln!("log written: {written_permits} permits, {written_scans} scans in {:?}; building daily counts", started.elapsed());
    build_counts(&mut conn, &config, started);
}

/// Builds the daily counts of every configured zone with the service's own rebuild, as a start would.
fn build_counts(conn: &mut DbConnection, config: &Config, started: Instant) {
    let now = Utc::now().naive_utc();
    for tz in &config.stats_time_zones {
        let t = Instant::now();
        stats::add_zone(conn, *tz, now).expect("daily counts");
        eprintln!("daily counts for {} built in {:?}", tz.name(), t.elapsed());
    }
    conn.batch_execute("ANALYZE;").expect("analyze");
    println!("done in {:?}", started.elapsed());
}

use chrono::Datelike;

fn insert_day(conn: &mut DbConnection, permit_rows: &[PermitRow], scan_rows: &[ScanRow]) {
    let DbConnection::Sqlite(c) = conn else {
        panic!("fill_log writes SQLite databases only");
    };
    c.transaction(|c| {
        for chunk in permit_rows.chunks(500) {
            let docs: Vec<_> = chunk
                .iter()
                .map(|p| {
                    (
                        documents::document_key.eq(p.document_key.clone()),
                        documents::first_applied_at.eq(p.created_at),
                        documents::last_applied_at.eq(p.created_at),
                    )
                })
                .collect();
            diesel::insert_into(documents::table)
                .values(&docs)
                .execute(c)?;
            diesel::insert_into(permits::table)
                .values(chunk)
                .execute(c)?;
            let present: Vec<_> = chunk
                .iter()
                .map(|p| {
                    (
                        presence::permit_id.eq(p.id.clone()),
                        presence::inside.eq(false),
                        presence::version.eq(0_i64),
                    )
                })
                .collect();
            diesel::insert_into(presence::table)
                .values(&present)
                .execute(c)?;
        }
        for chunk in scan_rows.chunks(1000) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|s| {
                    (
                        scans::id.eq(s.id.clone()),
                        scans::nonce.eq(s.nonce.clone()),
                        scans::fingerprint.eq(""),
                        scans::permit_id.eq(s.permit_id.clone()),
                        scans::gate_id.eq(s.gate),
                        scans::side.eq(s.side),
                        scans::direction.eq(s.direction),
                        scans::decision.eq(s.decision),
                        scans::reason.eq(s.reason),
                        scans::flags.eq(""),
                        scans::nationality.eq(s.nationality),
                        scans::officer.eq("simulated"),
                        scans::permit_status.eq(Some("active")),
                        scans::scanned_at.eq(s.at),
                        scans::recorded_at.eq(s.at),
                    )
                })
                .collect();
            diesel::insert_into(scans::table).values(&rows).execute(c)?;
        }
        diesel::QueryResult::Ok(())
    })
    .expect("insert a day");
}
