//! Daily counts in several calendars, days of 23 and 25 hours, CSV, occupancy; aggregates agree with the log.

use borderpass::db::scans::{self, NewScan, ScanItem, ScanOutcome};
use borderpass::domain::crossing::{Direction, Side};
use borderpass::domain::stats::ReportRange;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use crate::helpers::documents::{application, passport};
use crate::helpers::{field_errors, problem, spawn_app, spawn_app_with, TestApp, ADMIN_PASSWORD};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("instant")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// Stands the clock at `at`; returns a fresh administrator token (tokens expire as the clock moves).
async fn stand_at(app: &TestApp, at: DateTime<Utc>) -> String {
    app.clock.set(at);
    app.login("chief", ADMIN_PASSWORD).await
}

/// A permit issued at `issued_at` for `from..=until`; its token.
async fn permit_issued(
    app: &TestApp,
    n: u32,
    issued_at: DateTime<Utc>,
    from: NaiveDate,
    until: NaiveDate,
) -> String {
    app.clock.set(issued_at);
    let response = app
        .post_json("/api/v1/permits", &application(passport(n), from, until))
        .await;
    assert_eq!(
        response.status(),
        201,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let body: Value = response.json().await.expect("json");
    body["token"].as_str().expect("token").to_owned()
}

/// Scans at `at` (the clock a minute later); the decision.
async fn scan_at(
    app: &TestApp,
    token: &str,
    gate: &str,
    direction: &str,
    at: DateTime<Utc>,
) -> String {
    scan_logged_at(app, token, gate, direction, at, at + Duration::minutes(1)).await
}

/// Scans at `at` (the device's clock), logged when the server's clock reads `clock`; the decision.
async fn scan_logged_at(
    app: &TestApp,
    token: &str,
    gate: &str,
    direction: &str,
    at: DateTime<Utc>,
    clock: DateTime<Utc>,
) -> String {
    let bearer = stand_at(app, clock).await;
    let body = json!({ "token": token, "gate_id": gate, "direction": direction,
                       "nonce": uuid::Uuid::new_v4().to_string(), "scanned_at": at.to_rfc3339() });
    let response = app.post_json_as(&bearer, "/api/v1/scans", &body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.expect("json");
    answer["decision"].as_str().expect("decision").to_owned()
}

async fn daily(app: &TestApp, bearer: &str, query: &str) -> Value {
    let response = app
        .get_as(bearer, &format!("/api/v1/stats/daily?{query}"))
        .await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.expect("json")
}

fn day<'a>(report: &'a Value, d: &str) -> &'a Value {
    report["days"]
        .as_array()
        .expect("days")
        .iter()
        .find(|x| x["date"] == d)
        .expect("the day is listed")
}

/// For every aggregated zone, the aggregates and a count straight from the log give the same days.
fn assert_aggregates_agree_with_log(app: &TestApp, from: NaiveDate, to: NaiveDate) {
    let mut conn = app.store().writer_blocking().expect("connection");
    let zones = borderpass::db::stats::zones(&mut conn).expect("zones");
    assert!(!zones.is_empty());
    for tz in zones {
        for gate_id in [None, Some("CN-1".to_owned()), Some("KZ-1".to_owned())] {
            let range = ReportRange {
                from,
                to,
                tz,
                gate_id,
            };
            let kept = borderpass::db::stats::read_aggregated(&mut conn, &range)
                .expect("read")
                .expect("aggregated");
            let counted = borderpass::db::stats::count_from_log(&mut conn, &range).expect("count");
            assert_eq!(kept, counted, "{} {:?}", tz.name(), range.gate_id);
        }
    }
}

#[tokio::test]
async fn one_scan_falls_on_different_dates_in_shanghai_and_almaty() {
    let app = spawn_app().await;
    app.admin().await;
    // Issued on 2031-11-27 (Beijing time 18:00), for the 27th to the 30th.
    let token = permit_issued(
        &app,
        1,
        utc(2031, 11, 27, 10, 0),
        date(2031, 11, 27),
        date(2031, 11, 30),
    )
    .await;
    // 17:30Z on the 28th: 01:30 on the 29th in Shanghai, 22:30 on the 28th in Almaty.
    assert_eq!(
        scan_at(&app, &token, "CN-1", "entry", utc(2031, 11, 28, 17, 30)).await,
        "admit"
    );
    assert_eq!(
        scan_at(&app, &token, "KZ-1", "exit", utc(2031, 11, 28, 17, 45)).await,
        "deny",
        "wrong side"
    );
    assert_eq!(
        scan_at(&app, &token, "CN-1", "exit", utc(2031, 11, 29, 2, 0)).await,
        "admit"
    );
    let admin = stand_at(&app, utc(2031, 11, 29, 3, 0)).await;

    let shanghai = daily(
        &app,
        &admin,
        "from=2031-11-27&to=2031-11-29&tz=Asia/Shanghai",
    )
    .await;
    assert_eq!(shanghai["tz"], "Asia/Shanghai");
    assert_eq!(shanghai["source"], "aggregates");
    assert_eq!(
        shanghai["days"].as_array().map(Vec::len),
        Some(3),
        "one element per day, zeros included"
    );
    assert_eq!(day(&shanghai, "2031-11-27")["permits_issued"], 1);
    assert_eq!(day(&shanghai, "2031-11-28")["entries"], 0);
    let s29 = day(&shanghai, "2031-11-29");
    assert_eq!(
        (
            s29["entries"].as_u64(),
            s29["exits"].as_u64(),
            s29["travelers"].as_u64(),
            s29["denied"].as_u64()
        ),
        (Some(1), Some(1), Some(1), Some(1))
    );
    assert_eq!(s29["by_gate"]["CN-1"]["entries"], 1);
    assert_eq!(s29["by_gate"]["KZ-1"]["denied"], 1);
    assert_eq!(s29["by_nationality"]["KAZ"]["entries"], 1);

    let almaty = daily(&app, &admin, "from=2031-11-27&to=2031-11-29&tz=Asia/Almaty").await;
    let a28 = day(&almaty, "2031-11-28");
    assert_eq!(
        (
            a28["entries"].as_u64(),
            a28["denied"].as_u64(),
            a28["travelers"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let a29 = day(&almaty, "2031-11-29");
    assert_eq!(
        (a29["exits"].as_u64(), a29["travelers"].as_u64()),
        (Some(1), Some(1))
    );

    // The default calendar is the zone's.
    let default = daily(&app, &admin, "from=2031-11-27&to=2031-11-29").await;
    assert_eq!(default["tz"], "Asia/Shanghai");
    assert_eq!(default["days"], shanghai["days"]);

    // A calendar without aggregates is counted from the log, with the same rules.
    let moscow = daily(
        &app,
        &admin,
        "from=2031-11-28&to=2031-11-29&tz=Europe/Moscow",
    )
    .await;
    assert_eq!(moscow["source"], "log");
    assert_eq!(day(&moscow, "2031-11-28")["entries"], 1, "20:30 in Moscow");

    // Only one gate.
    let kz = daily(
        &app,
        &admin,
        "from=2031-11-28&to=2031-11-29&tz=Asia/Shanghai&gate_id=KZ-1",
    )
    .await;
    assert_eq!(day(&kz, "2031-11-29")["entries"], 0);
    assert_eq!(day(&kz, "2031-11-29")["denied"], 1);

    assert_aggregates_agree_with_log(&app, date(2031, 11, 26), date(2031, 11, 30));

    // A time zone added later is counted from the whole log when an instance starts with it.
    let moscow_range = ReportRange {
        from: date(2031, 11, 26),
        to: date(2031, 11, 30),
        tz: chrono_tz::Europe::Moscow,
        gate_id: None,
    };
    let before = borderpass::db::stats::count_from_log(
        &mut app.store().writer_blocking().expect("connection"),
        &moscow_range,
    )
    .expect("count");
    let peer = app
        .spawn_peer_with(|s| s.stats_time_zones = "Europe/Moscow".into())
        .await;
    let bearer = peer.login("chief", ADMIN_PASSWORD).await;
    let moscow = daily(
        &peer,
        &bearer,
        "from=2031-11-26&to=2031-11-30&tz=Europe/Moscow",
    )
    .await;
    assert_eq!(moscow["source"], "aggregates");
    let mut conn = app.store().writer_blocking().expect("connection");
    let kept = borderpass::db::stats::read_aggregated(&mut conn, &moscow_range)
        .expect("read")
        .expect("now aggregated");
    assert_eq!(kept, before);
    assert_eq!(
        kept.iter()
            .map(|(_, d)| d.entries + d.exits + d.denied)
            .sum::<u64>(),
        3
    );
}

#[tokio::test]
async fn late_scans_are_counted_by_the_day_they_happened_on() {
    let app = spawn_app().await;
    app.admin().await;
    let token = permit_issued(
        &app,
        4,
        utc(2031, 12, 8, 10, 0),
        date(2031, 12, 9),
        date(2031, 12, 12),
    )
    .await;
    // Beijing time is UTC+8: each scan below falls on the same date in Shanghai (and in Almaty)
    // as in UTC. Each day's crossings are counted by the admitted crossings nearest to them in
    // time, logged before them; the comments name the one that shows the traveler (or the gate's
    // traveler) was already counted that day.
    let t = |d, h, m| utc(2031, 12, d, h, m);
    let scans = [
        ("CN-1", "entry", t(9, 1, 0), t(9, 1, 1)),
        ("CN-1", "exit", t(9, 3, 0), t(9, 3, 1)),
        ("CN-1", "entry", t(10, 1, 0), t(10, 1, 1)),
        ("CN-1", "exit", t(10, 10, 0), t(10, 10, 1)),
        // Logged hours late: the next crossing in time, at another gate.
        ("KZ-1", "entry", t(10, 0, 30), t(10, 10, 5)),
        ("KZ-1", "exit", t(10, 0, 45), t(10, 10, 6)),
        ("CN-1", "entry", t(10, 11, 0), t(10, 11, 1)),
        // Logged late; for its gate, the next crossing at that gate (the nearest ones on either
        // side are at KZ-1).
        ("CN-1", "exit", t(10, 0, 40), t(10, 11, 5)),
        ("CN-1", "entry", t(11, 1, 0), t(11, 1, 1)),
        ("CN-1", "exit", t(11, 2, 0), t(11, 2, 1)),
        // The crossing just before, at another gate.
        ("KZ-1", "entry", t(11, 3, 0), t(11, 3, 1)),
        ("KZ-1", "exit", t(11, 4, 0), t(11, 4, 1)),
        ("CN-1", "entry", t(11, 5, 0), t(11, 5, 1)),
        ("CN-1", "exit", t(11, 6, 0), t(11, 6, 1)),
        // For its gate, the last crossing at that gate (the one just before is at CN-1).
        ("KZ-1", "entry", t(11, 7, 0), t(11, 7, 1)),
        ("KZ-1", "exit", t(11, 8, 0), t(11, 8, 1)),
    ];
    for (gate, direction, at, clock) in scans {
        assert_eq!(
            scan_logged_at(&app, &token, gate, direction, at, clock).await,
            "admit",
            "{gate} {direction} at {at}"
        );
    }
    let admin = stand_at(&app, t(11, 12, 0)).await;
    let shanghai = daily(
        &app,
        &admin,
        "from=2031-12-09&to=2031-12-11&tz=Asia/Shanghai",
    )
    .await;
    let counts = |d: &Value| {
        (
            d["entries"].as_u64(),
            d["exits"].as_u64(),
            d["travelers"].as_u64(),
        )
    };
    let d9 = day(&shanghai, "2031-12-09");
    assert_eq!(counts(d9), (Some(1), Some(1), Some(1)));
    let d10 = day(&shanghai, "2031-12-10");
    assert_eq!(
        counts(d10),
        (Some(3), Some(3), Some(1)),
        "one traveler however late the scans were logged"
    );
    assert_eq!(counts(&d10["by_gate"]["CN-1"]), (Some(2), Some(2), Some(1)));
    assert_eq!(counts(&d10["by_gate"]["KZ-1"]), (Some(1), Some(1), Some(1)));
    let d11 = day(&shanghai, "2031-12-11");
    assert_eq!(counts(d11), (Some(4), Some(4), Some(1)));
    assert_eq!(counts(&d11["by_gate"]["CN-1"]), (Some(2), Some(2), Some(1)));
    assert_eq!(counts(&d11["by_gate"]["KZ-1"]), (Some(2), Some(2), Some(1)));
    assert_aggregates_agree_with_log(&app, date(2031, 12, 8), date(2031, 12, 12));
}

#[tokio::test]
async fn days_of_23_and_25_hours_are_counted_right() {
    let app = spawn_app_with(|s| s.stats_time_zones = "America/New_York".into()).await;
    app.admin().await;
    // New York: 2031-03-09 has 23 hours (clocks skip 02:00 to 03:00), 2031-11-02 has 25.
    let spring = permit_issued(
        &app,
        2,
        utc(2031, 3, 8, 12, 0),
        date(2031, 3, 8),
        date(2031, 3, 20),
    )
    .await;
    // 00:30 EST on the 9th is 05:30Z; 23:30 EDT on the 9th is 03:30Z on the 10th; 00:30 EDT on the 10th is 04:30Z.
    assert_eq!(
        scan_at(&app, &spring, "CN-1", "entry", utc(2031, 3, 9, 5, 30)).await,
        "admit"
    );
    assert_eq!(
        scan_at(&app, &spring, "CN-1", "exit", utc(2031, 3, 10, 3, 30)).await,
        "admit"
    );
    assert_eq!(
        scan_at(&app, &spring, "CN-1", "entry", utc(2031, 3, 10, 4, 30)).await,
        "admit"
    );
    let autumn = permit_issued(
        &app,
        3,
        utc(2031, 11, 1, 12, 0),
        date(2031, 11, 1),
        date(2031, 11, 10),
    )
    .await;
    // 00:30 EDT on 2 November is 04:30Z; 01:30 happens twice (05:30Z and 06:30Z); 23:30 EST is 04:30Z on the 3rd.
    assert_eq!(
        scan_at(&app, &autumn, "KZ-1", "entry", utc(2031, 11, 2, 4, 30)).await,
        "admit"
    );
    assert_eq!(
        scan_at(&app, &autumn, "KZ-1", "exit", utc(2031, 11, 2, 5, 30)).await,
        "admit"
    );
    assert_eq!(
        scan_at(&app, &autumn, "KZ-1", "entry", utc(2031, 11, 2, 6, 30)).await,
        "admit"
    );
    assert_eq!(
        scan_at(&app, &autumn, "KZ-1", "exit", utc(2031, 11, 3, 4, 30)).await,
        "admit"
    );
    let admin = stand_at(&app, utc(2031, 11, 3, 5, 0)).await;

    let spring_days = daily(
        &app,
        &admin,
        "from=2031-03-08&to=2031-03-10&tz=America/New_York",
    )
    .await;
    assert_eq!(spring_days["source"], "aggregates");
    let d9 = day(&spring_days, "2031-03-09");
    assert_eq!(
        (
            d9["entries"].as_u64(),
            d9["exits"].as_u64(),
            d9["travelers"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let d10 = day(&spring_days, "2031-03-10");
    assert_eq!(
        (d10["entries"].as_u64(), d10["exits"].as_u64()),
        (Some(1), Some(0))
    );
    let autumn_days = daily(
        &app,
        &admin,
        "from=2031-11-01&to=2031-11-03&tz=America/New_York",
    )
    .await;
    let n2 = day(&autumn_days, "2031-11-02");
    assert_eq!(
        (
            n2["entries"].as_u64(),
            n2["exits"].as_u64(),
            n2["travelers"].as_u64()
        ),
        (Some(2), Some(2), Some(1))
    );
    assert_eq!(day(&autumn_days, "2031-11-03")["exits"], 0);
    assert_eq!(day(&autumn_days, "2031-11-01")["permits_issued"], 1);

    assert_aggregates_agree_with_log(&app, date(2031, 3, 1), date(2031, 3, 31));
    assert_aggregates_agree_with_log(&app, date(2031, 10, 25), date(2031, 11, 5));
}

#[tokio::test]
async fn totals_sum_the_days_and_csv_agrees_with_json() {
    let app = spawn_app().await;
    app.admin().await;
    let start = utc(2031, 6, 1, 2, 0);
    let mut tokens = Vec::new();
    for n in 0..4 {
        tokens.push(permit_issued(&app, 10 + n, start, date(2031, 6, 1), date(2031, 6, 20)).await);
    }
    for (i, token) in tokens.iter().enumerate() {
        let gate = if i % 2 == 0 { "CN-1" } else { "KZ-1" };
        let day_offset = i as i64;
        scan_at(
            &app,
            token,
            gate,
            "entry",
            start + Duration::days(day_offset) + Duration::hours(1),
        )
        .await;
        scan_at(
            &app,
            token,
            gate,
            "exit",
            start + Duration::days(day_offset + 1),
        )
        .await;
        scan_at(
            &app,
            token,
            gate,
            "exit",
            start + Duration::days(day_offset + 1) + Duration::hours(1),
        )
        .await;
    }
    let admin = stand_at(&app, utc(2031, 6, 10, 0, 0)).await;
    let report = daily(&app, &admin, "from=2031-06-01&to=2031-06-07&tz=Asia/Almaty").await;
    let days = report["days"].as_array().expect("days");
    for field in ["entries", "exits", "travelers", "denied", "permits_issued"] {
        let sum: u64 = days.iter().map(|d| d[field].as_u64().unwrap_or(0)).sum();
        assert_eq!(report["totals"][field].as_u64(), Some(sum), "{field}");
    }
    assert_eq!(report["totals"]["entries"], 4);
    assert_eq!(report["totals"]["denied"], 4);

    let csv = app
        .client
        .get(app.url("/api/v1/stats/daily?from=2031-06-01&to=2031-06-07&tz=Asia/Almaty"))
        .bearer_auth(&admin)
        .header("Accept", "text/csv")
        .send()
        .await
        .expect("sent");
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/csv"));
    let disposition = csv.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        disposition.contains("attachment") && disposition.contains(".csv"),
        "{disposition}"
    );
    let text = csv.text().await.expect("body");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("date,entries,exits,travelers,denied,permits_issued")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), days.len());
    for (row, d) in rows.iter().zip(days) {
        let expected = format!(
            "{},{},{},{},{},{}",
            d["date"].as_str().unwrap_or_default(),
            d["entries"],
            d["exits"],
            d["travelers"],
            d["denied"],
            d["permits_issued"]
        );
        assert_eq!(*row, expected);
    }
    assert_aggregates_agree_with_log(&app, date(2031, 5, 31), date(2031, 6, 8));
}

#[tokio::test]
async fn bad_ranges_are_422_naming_the_parameter() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cases = [
        ("from=2030-01-01&to=2031-01-02", vec![("to", "too_long")]),
        (
            "from=2030-02-01&to=2030-01-01",
            vec![("to", "invalid_range")],
        ),
        (
            "from=2030-02-30&to=2030-03-01",
            vec![("from", "invalid_date")],
        ),
        (
            "from=2030-01-01&to=2030-01-02&tz=Asia/Atlantis",
            vec![("tz", "invalid_value")],
        ),
        (
            "from=2030-01-01&to=2030-01-02&gate_id=XX-9",
            vec![("gate_id", "unknown_gate")],
        ),
        ("to=2030-01-02", vec![("from", "required")]),
    ];
    for (query, expected) in cases {
        let found = field_errors(
            &problem(
                app.get_as(&admin, &format!("/api/v1/stats/daily?{query}"))
                    .await,
                422,
            )
            .await,
        );
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(f, c)| (f.to_owned(), c.to_owned()))
            .collect();
        assert_eq!(found, expected, "{query}");
    }
    assert_eq!(
        daily(&app, &admin, "from=2028-01-01&to=2028-12-31").await["days"]
            .as_array()
            .map(Vec::len),
        Some(366)
    );
    let officer = app.officer(&admin, "officer.cn", "CN-1").await;
    problem(
        app.get_as(
            &officer,
            "/api/v1/stats/daily?from=2030-01-01&to=2030-01-02",
        )
        .await,
        403,
    )
    .await;
    problem(app.get_as(&officer, "/api/v1/stats/occupancy").await, 403).await;
    problem(app.get("/api/v1/stats/occupancy").await, 401).await;
}

#[tokio::test]
async fn occupancy_counts_who_is_inside_and_lists_overstays() {
    let app = spawn_app().await;
    app.admin().await;
    let start = utc(2031, 9, 1, 4, 0);
    let short = permit_issued(&app, 20, start, date(2031, 9, 1), date(2031, 9, 2)).await;
    let long = permit_issued(&app, 21, start, date(2031, 9, 1), date(2031, 9, 20)).await;
    let gone = permit_issued(&app, 22, start, date(2031, 9, 1), date(2031, 9, 20)).await;
    scan_at(&app, &short, "CN-1", "entry", start + Duration::hours(1)).await;
    scan_at(&app, &long, "KZ-1", "entry", start + Duration::hours(1)).await;
    scan_at(&app, &gone, "KZ-1", "entry", start + Duration::hours(1)).await;
    scan_at(&app, &gone, "KZ-1", "exit", start + Duration::hours(2)).await;
    // Five days later the short permit has ended, its holder still inside.
    let admin = stand_at(&app, start + Duration::days(5)).await;
    let response = app
        .get_as(&admin, "/api/v1/stats/occupancy?per_page=10")
        .await;
    assert_eq!(response.status(), 200);
    let now: Value = response.json().await.expect("json");
    assert_eq!(now["inside"], 2);
    assert_eq!(now["by_side"], json!({ "CHN": 1, "KAZ": 1 }));
    assert_eq!(now["by_nationality"], json!({ "KAZ": 2 }));
    assert_eq!(now["overstaying"], 1);
    let items = now["overstays"]["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["side"], "CHN");
    assert_eq!(items[0]["gate_id"], "CN-1");
    assert!(items[0]["overdue_hours"].as_i64().unwrap_or(0) > 24);
    assert_eq!(now["overstays"]["total"], 1);
    let empty_page: Value = app
        .get_as(&admin, "/api/v1/stats/occupancy?page=2&per_page=10")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(empty_page["overstays"]["items"], json!([]));
    let found = field_errors(
        &problem(
            app.get_as(&admin, "/api/v1/stats/occupancy?per_page=501&page=0")
                .await,
            422,
        )
        .await,
    );
    assert_eq!(
        found,
        vec![
            ("page".to_owned(), "invalid_value".to_owned()),
            ("per_page".to_owned(), "invalid_value".to_owned())
        ]
    );
}

#[tokio::test]
async fn counts_equal_the_log_after_concurrent_scans_through_two_instances_and_a_zone_added_meanwhile(
) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let peer = app.spawn_peer().await;
    let today = app.zone_today();
    let tomorrow = today.succ_opt().expect("date");
    let mut tokens = Vec::new();
    for n in 0..24 {
        let permit = app.issue(2000 + n, today, tomorrow).await;
        tokens.push(permit["token"].as_str().expect("token").to_owned());
    }
    // Each permit enters and leaves twice at its own side, through one instance or the other,
    // all permits at once; meanwhile a third instance starts with a zone not counted before.
    let mut tasks = Vec::new();
    for (i, token) in tokens.into_iter().enumerate() {
        let base = if i % 2 == 0 {
            &app.address
        } else {
            &peer.address
        };
        let (client, url, bearer) = (
            app.client.clone(),
            format!("{base}/api/v1/scans"),
            admin.clone(),
        );
        let gate = if i % 3 == 0 { "KZ-1" } else { "CN-1" };
        tasks.push(tokio::spawn(async move {
            for direction in ["entry", "exit", "entry", "exit"] {
                let body = json!({ "token": token, "gate_id": gate, "direction": direction,
                                   "nonce": uuid::Uuid::new_v4().to_string() });
                let r = client
                    .post(&url)
                    .bearer_auth(&bearer)
                    .json(&body)
                    .send()
                    .await
                    .expect("sent");
                assert_eq!(r.status(), 200);
                let answer: Value = r.json().await.expect("json");
                assert_eq!(answer["decision"], "admit", "{answer}");
            }
        }));
    }
    let later = app
        .spawn_peer_with(|s| s.stats_time_zones = "Asia/Shanghai,Asia/Almaty,UTC,Asia/Tokyo".into())
        .await;
    for task in tasks {
        task.await.expect("scans");
    }
    drop(later);
    let mut conn = app.store().writer_blocking().expect("connection");
    let zones = borderpass::db::stats::zones(&mut conn).expect("zones");
    assert!(
        zones.iter().any(|z| z.name() == "Asia/Tokyo"),
        "the zone added while scans ran is kept"
    );
    drop(conn);
    let yesterday = today.pred_opt().expect("date");
    assert_aggregates_agree_with_log(&app, yesterday, tomorrow);
    let report = daily(
        &app,
        &admin,
        &format!("from={today}&to={today}&tz=Asia/Shanghai"),
    )
    .await;
    let counted = day(&report, &today.to_string());
    assert_eq!(
        (
            &counted["entries"],
            &counted["exits"],
            &counted["travelers"]
        ),
        (&json!(48), &json!(48), &json!(24)),
        "{counted}"
    );
}

/// The scans of one permit, as a gate would send them over a Beijing midnight: `(gate, side,
/// direction, minutes after the start, nonce index, may scan)`. The sixth sends the first's nonce
/// again; the seventh is by an account that may not scan.
const BATCH: [(&str, Side, Direction, i64, usize, bool); 8] = [
    ("CN-1", Side::Chn, Direction::Entry, 0, 0, true),
    ("KZ-1", Side::Kaz, Direction::Entry, 1, 1, true),
    ("KZ-1", Side::Kaz, Direction::Exit, 2, 2, true),
    ("CN-1", Side::Chn, Direction::Exit, 3, 3, true),
    ("KZ-1", Side::Kaz, Direction::Entry, 4, 4, true),
    ("CN-1", Side::Chn, Direction::Entry, 5, 0, true),
    ("KZ-1", Side::Kaz, Direction::Exit, 5, 5, false),
    ("KZ-1", Side::Kaz, Direction::Exit, 6, 6, true),
];

/// [`BATCH`] for `permit_id`, starting at `start`.
fn batch_items(permit_id: &str, start: DateTime<Utc>, nonces: &[String]) -> Vec<ScanItem> {
    BATCH
        .iter()
        .map(|&(gate, side, direction, minutes, nonce, may)| {
            let at = start + Duration::minutes(minutes);
            ScanItem {
                scan: NewScan {
                    id: uuid::Uuid::now_v7().to_string(),
                    nonce: nonces[nonce].clone(),
                    fingerprint: format!("{permit_id}|{gate}|{}", direction.as_str()),
                    gate_id: gate.to_owned(),
                    side,
                    direction,
                    officer: "chief".to_owned(),
                    scanned_at: at,
                    recorded_at: at + Duration::seconds(30),
                    named_permit: Ok(permit_id.to_owned()),
                    late: false,
                    override_reason: None,
                    offline: None,
                    device_id: None,
                    client: None,
                },
                may_scan: Box::new(move |access| may && access.is_some()),
            }
        })
        .collect()
}

/// What an outcome says, to compare two runs of the same scans.
fn said(outcome: &ScanOutcome) -> String {
    match outcome {
        ScanOutcome::Recorded(r) => format!(
            "{} {}",
            r.decision.as_str(),
            r.decision.reason().map_or("", |x| x.as_str())
        ),
        ScanOutcome::Replayed { record, same_scan } => {
            format!("replay of {} ({same_scan})", record.decision.as_str())
        }
        ScanOutcome::Refused(access) => format!("refused ({})", access.is_some()),
    }
}

#[tokio::test]
async fn one_batch_decides_and_counts_as_the_same_scans_one_after_the_other() {
    let app = spawn_app().await;
    let start = utc(2031, 3, 9, 15, 57); // 23:57 in Beijing, 20:57 in Almaty
    app.admin().await;
    app.clock.set(utc(2031, 3, 8, 9, 0));
    let (from, until) = (date(2031, 3, 9), date(2031, 3, 12));
    let alone = app.issue(3100, from, until).await["permit_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let together = app.issue(3101, from, until).await["permit_id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.clock.set(start);
    let store = app.store();

    // One permit's scans one after the other, each a write of its own.
    let nonces: Vec<String> = (0..7).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let mut one_by_one = Vec::new();
    for item in batch_items(&alone, start, &nonces) {
        one_by_one.push(said(&store.record_scan(item).await.expect("scan")));
    }
    // The other's, the same scans in one batch.
    let nonces: Vec<String> = (0..7).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let (id, batch_nonces) = (together.clone(), nonces.clone());
    let outcomes = store
        .write(move |tx| {
            let items = batch_items(&id, start, &batch_nonces);
            let refs: Vec<&ScanItem> = items.iter().collect();
            let (conn, counts) = tx.parts();
            Ok(scans::record_all(conn, counts, &refs)?)
        })
        .await
        .expect("batch");
    let in_one_batch: Vec<String> = outcomes.iter().map(said).collect();
    assert_eq!(in_one_batch, one_by_one);
    assert_eq!(
        one_by_one,
        [
            "admit ",
            "deny already_inside",
            "deny wrong_side",
            "admit ",
            "admit ",
            "replay of admit (true)",
            "refused (true)",
            "admit ",
        ]
    );

    // Both holders are where the last admitted scan left them, and the log says the same of both.
    let mut conn = store.writer_blocking().expect("connection");
    let rows_of =
        |conn: &mut borderpass::db::DbConnection, id: &str| -> Vec<(String, String, String)> {
            scans::for_permit(conn, id)
                .expect("log")
                .into_iter()
                .map(|r| (r.gate_id, r.direction, r.decision))
                .collect()
        };
    assert_eq!(rows_of(&mut conn, &alone), rows_of(&mut conn, &together));
    assert_eq!(rows_of(&mut conn, &together).len(), 6);
    drop(conn);
    assert_aggregates_agree_with_log(&app, from, until);
}
