//! The daily-counts query on a log at the zone's scale. Fill the log first:
//!
//! ```sh
//! cargo run --release --example fill_log -- --data-dir target/bench-log --scans 20000000 --years 6
//! cargo bench --bench daily_counts
//! ```
//!
//! `BENCH_LOG_DIR` names another data directory.

use std::hint::black_box;

use borderpass::config::{Config, RawSettings};
use borderpass::db::{stats, Store};
use borderpass::domain::stats::ReportRange;
use chrono::{Days, Utc};
use criterion::{criterion_group, criterion_main, Criterion};

fn daily_counts(c: &mut Criterion) {
    let dir = std::env::var("BENCH_LOG_DIR").unwrap_or_else(|_| "target/bench-log".into());
    let db = std::path::Path::new(&dir).join("borderpass.db");
    assert!(
        db.exists(),
        "no log at {}: run `cargo run --release --example fill_log -- --data-dir {dir}` first",
        db.display()
    );
    let config = Config::from_raw(RawSettings {
        data_dir: dir.into(),
        ..RawSettings::default()
    })
    .expect("config");
    let store = Store::open(&config);
    let mut conn = store.writer_blocking().expect("connection");
    let to = Utc::now()
        .date_naive()
        .checked_sub_days(Days::new(1))
        .expect("date");
    let from = to.checked_sub_days(Days::new(364)).expect("date");
    for (name, tz, gate) in [
        ("year_shanghai", chrono_tz::Asia::Shanghai, None),
        ("year_almaty", chrono_tz::Asia::Almaty, None),
        (
            "year_almaty_gate_kz1",
            chrono_tz::Asia::Almaty,
            Some("KZ-1".to_owned()),
        ),
    ] {
        let range = ReportRange {
            from,
            to,
            tz,
            gate_id: gate,
        };
        let days = stats::read_aggregated(&mut conn, &range)
            .expect("query")
            .expect("aggregated zone");
        let scans: u64 = days
            .iter()
            .map(|(_, d)| d.entries + d.exits + d.denied)
            .sum();
        eprintln!("{name}: {} days, {scans} scans counted", days.len());
        c.bench_function(name, |b| {
            b.iter(|| stats::read_aggregated(&mut conn, black_box(&range)).expect("query"))
        });
    }
    // The same year counted straight from the log, for comparison (a zone without aggregates).
    let range = ReportRange {
        from: to.checked_sub_days(Days::new(6)).expect("date"),
        to,
        tz: chrono_tz::Europe::Moscow,
        gate_id: None,
    };
    let mut group = c.benchmark_group("from_log");
    group.sample_size(10);
    group.bench_function("week_moscow", |b| {
        b.iter(|| stats::count_from_log(&mut conn, black_box(&range)).expect("query"))
    });
    group.finish();
}

criterion_group!(benches, daily_counts);
criterion_main!(benches);
