//! The security review's findings (issue 16), each with the test that failed before its fix.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    field_errors, problem, spawn_app, spawn_app_with, ServiceProcess, TestApp, ADMIN_PASSWORD,
    OFFICER_PASSWORD,
};

/// A login from the client `via` names in `X-Forwarded-For` (believed only from a trusted proxy).
async fn login_via(app: &TestApp, via: &str, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("X-Forwarded-For", via)
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("sent")
}

/// The test service behind a reverse proxy on 127.0.0.1.
async fn behind_proxy() -> TestApp {
    spawn_app_with(|s| s.trusted_proxies = "127.0.0.1".into()).await
}

#[tokio::test]
async fn thirty_parallel_wrong_passwords_for_one_account_are_throttled_in_the_database() {
    let app = spawn_app_with(|s| s.max_concurrent_hashes = 64).await;
    let admin = app.admin().await;
    app.officer(&admin, "officer.cn", "CN-1").await;
    let wrong = json!({ "username": "officer.cn", "password": "a wrong password" });
    let statuses = app
        .post_concurrently(vec![("/api/v1/auth/login".to_owned(), wrong); 30])
        .await;
    let unauthorized = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        (unauthorized, throttled),
        (5, 25),
        "five attempts reserved, the rest refused before hashing: {statuses:?}"
    );
}

#[tokio::test]
async fn at_most_max_concurrent_hashes_run_and_the_rest_are_told_to_come_back() {
    // Real (if small) argon2 work, two places: thirty logins at once cannot all hash.
    let app = spawn_app_with(|s| {
        s.max_concurrent_hashes = 2;
        s.argon2_memory_kib = 8 * 1024;
        s.argon2_iterations = 2;
        s.login_max_failures = 1000;
    })
    .await;
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let (client, url) = (app.client.clone(), app.url("/api/v1/auth/login"));
            tokio::spawn(async move {
                let body =
                    json!({ "username": format!("nobody{i}"), "password": "a wrong password" });
                let response = client.post(url).json(&body).send().await.expect("sent");
                let status = response.status().as_u16();
                let retry = response
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap_or_default().to_owned());
                let body: Value = response.json().await.expect("problem");
                (status, retry, body)
            })
        })
        .collect();
    let mut busy = 0;
    for task in tasks {
        match task.await.expect("task") {
            (401, _, _) => {}
            (503, retry, body) => {
                assert_eq!(retry.as_deref(), Some("1"));
                assert_eq!(body["type"], "/problems/busy");
                busy += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(busy > 0, "with two places, some of thirty logins wait");
}

#[tokio::test]
async fn failures_from_one_client_never_lock_the_account_out_at_another() {
    let app = behind_proxy().await;
    let admin = app.admin().await;
    app.officer(&admin, "officer.kz", "KZ-1").await;
    for _ in 0..5 {
        let r = login_via(&app, "198.51.100.66", "officer.kz", "a wrong password").await;
        assert_eq!(r.status(), 401);
    }
    let blocked = login_via(&app, "198.51.100.66", "officer.kz", OFFICER_PASSWORD).await;
    assert_eq!(blocked.status(), 429, "the guessing client is blocked");
    let officer = login_via(&app, "198.51.100.7", "officer.kz", OFFICER_PASSWORD).await;
    assert_eq!(officer.status(), 200, "the officer at the gate is not");
    // The administrator sees the block, and lifts it.
    let blocks: Value = app
        .get_as(&admin, "/api/v1/auth/blocks")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        blocks,
        json!([{ "username": "officer.kz", "client": "198.51.100.66", "attempts": 5,
                 "blocked_until": blocks[0]["blocked_until"] }])
    );
    let lifted = app
        .post_json_as(
            &admin,
            "/api/v1/auth/blocks/lift",
            &json!({ "username": "officer.kz" }),
        )
        .await;
    assert_eq!(lifted.status(), 200);
    let again = login_via(&app, "198.51.100.66", "officer.kz", OFFICER_PASSWORD).await;
    assert_eq!(again.status(), 200);
    let officer_token = app.login("officer.kz", OFFICER_PASSWORD).await;
    problem(app.get_as(&officer_token, "/api/v1/auth/blocks").await, 403).await;
    let nothing = app
        .post_json_as(&admin, "/api/v1/auth/blocks/lift", &json!({}))
        .await;
    assert_eq!(
        field_errors(&problem(nothing, 422).await),
        vec![("username".to_owned(), "required".to_owned())]
    );
}

#[tokio::test]
async fn a_forwarded_for_header_from_an_untrusted_peer_is_ignored() {
    // No trusted proxy: every attempt is the TCP peer's, whatever address it claims.
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.officer(&admin, "officer.kz", "KZ-1").await;
    for i in 0..5 {
        let claimed = format!("198.51.100.{i}");
        let r = login_via(&app, &claimed, "officer.kz", "a wrong password").await;
        assert_eq!(r.status(), 401);
    }
    let r = login_via(&app, "198.51.100.200", "officer.kz", OFFICER_PASSWORD).await;
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn the_request_log_names_the_client_the_throttle_sees() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    for (trusted, expected, absent) in [
        ("", "127.0.0.1", "203.0.113.99"),
        ("127.0.0.1", "203.0.113.99", "http.client_ip=127.0.0.1"),
    ] {
        let log = dir.path().join(format!("log-{}.txt", trusted.len()));
        let service = ServiceProcess::start_with(
            &app,
            &app.database_url(),
            &[("BORDERPASS_TRUSTED_PROXIES", trusted)],
            Some(&log),
        )
        .await;
        let response = app
            .client
            .post(format!("{}/api/v1/auth/login", service.address))
            .header("X-Forwarded-For", "203.0.113.99")
            .json(&json!({ "username": "nobody", "password": "a wrong password" }))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 401);
        assert!(service.terminate().success());
        let text = std::fs::read_to_string(&log).expect("log");
        let line = text
            .lines()
            .find(|l| l.contains("login failed"))
            .unwrap_or_else(|| panic!("no login line in {text}"));
        assert!(
            line.contains(&format!("http.client_ip={expected}")),
            "{line}"
        );
        assert!(!line.contains(absent), "{line}");
        assert!(!line.contains("nobody"), "no username in the log: {line}");
    }
}

#[tokio::test]
async fn logout_password_change_and_reset_end_the_old_tokens() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let officer = app.officer(&admin, "officer.cn", "CN-1").await;
    let second_device = app.login("officer.cn", OFFICER_PASSWORD).await;
    // Logout ends every token of the account.
    let out = app
        .post_json_as(&officer, "/api/v1/auth/logout", &json!({}))
        .await;
    assert_eq!(out.status(), 204);
    problem(app.get_as(&officer, "/api/v1/gates").await, 401).await;
    problem(app.get_as(&second_device, "/api/v1/gates").await, 401).await;
    // A password change needs the current password, and answers a fresh token.
    let officer = app.login("officer.cn", OFFICER_PASSWORD).await;
    let wrong = app
        .post_json_as(
            &officer,
            "/api/v1/auth/password",
            &json!({ "current_password": "not the password", "new_password": "short" }),
        )
        .await;
    assert_eq!(
        field_errors(&problem(wrong, 422).await),
        vec![("new_password".to_owned(), "invalid_length".to_owned())]
    );
    let wrong = app
        .post_json_as(
            &officer,
            "/api/v1/auth/password",
            &json!({ "current_password": "not the password", "new_password": "a new long password" }),
        )
        .await;
    assert_eq!(
        field_errors(&problem(wrong, 422).await),
        vec![("current_password".to_owned(), "mismatch".to_owned())]
    );
    let changed = app
        .post_json_as(
            &officer,
            "/api/v1/auth/password",
            &json!({ "current_password": OFFICER_PASSWORD, "new_password": "a new long password" }),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let fresh: Value = changed.json().await.expect("json");
    let fresh = fresh["access_token"].as_str().expect("token").to_owned();
    problem(app.get_as(&officer, "/api/v1/gates").await, 401).await;
    assert_eq!(app.get_as(&fresh, "/api/v1/gates").await.status(), 200);
    let old = login_via(&app, "", "officer.cn", OFFICER_PASSWORD).await;
    assert_eq!(old.status(), 401);
    // An administrator resets it; the officer's tokens end.
    let reset = app
        .post_json_as(
            &admin,
            "/api/v1/users/officer.cn/password",
            &json!({ "new_password": "set by the chief" }),
        )
        .await;
    assert_eq!(reset.status(), 200);
    problem(app.get_as(&fresh, "/api/v1/gates").await, 401).await;
    let by_chief = app.login("officer.cn", "set by the chief").await;
    assert_eq!(app.get_as(&by_chief, "/api/v1/gates").await.status(), 200);
    // Officers reset nobody's password; an unknown account is 404.
    let refused = app
        .post_json_as(
            &by_chief,
            "/api/v1/users/chief/password",
            &json!({ "new_password": "a takeover attempt" }),
        )
        .await;
    problem(refused, 403).await;
    let unknown = app
        .post_json_as(
            &admin,
            "/api/v1/users/nobody/password",
            &json!({ "new_password": "a long new password" }),
        )
        .await;
    problem(unknown, 404).await;
}

#[tokio::test]
async fn two_administrators_disabling_each_other_at_once_leave_one_enabled() {
    let app = spawn_app().await;
    let chief = app.admin().await;
    let body = json!({ "username": "deputy", "password": ADMIN_PASSWORD, "role": "admin" });
    assert_eq!(
        app.post_json_as(&chief, "/api/v1/users", &body)
            .await
            .status(),
        201
    );
    for round in 0..8 {
        let chief = app.login("chief", ADMIN_PASSWORD).await;
        let deputy = app.login("deputy", ADMIN_PASSWORD).await;
        let disable = |bearer: String, target: &'static str| {
            let app = &app;
            async move {
                app.client
                    .patch(app.url(&format!("/api/v1/users/{target}")))
                    .bearer_auth(bearer)
                    .json(&json!({ "disabled": true }))
                    .send()
                    .await
                    .expect("sent")
                    .status()
                    .as_u16()
            }
        };
        let (a, b) = tokio::join!(disable(chief, "deputy"), disable(deputy, "chief"));
        let mut statuses = [a, b];
        statuses.sort_unstable();
        assert!(
            statuses == [200, 401] || statuses == [200, 409],
            "round {round}: {statuses:?}"
        );
        // Whoever is left enables the other again.
        let (survivor, other) = if a == 200 {
            ("chief", "deputy")
        } else {
            ("deputy", "chief")
        };
        let survivor = app.login(survivor, ADMIN_PASSWORD).await;
        let enabled = app
            .client
            .patch(app.url(&format!("/api/v1/users/{other}")))
            .bearer_auth(&survivor)
            .json(&json!({ "disabled": false }))
            .send()
            .await
            .expect("sent");
        assert_eq!(enabled.status(), 200, "round {round}");
    }
}

#[tokio::test]
async fn throttle_rows_are_bounded_and_pruned() {
    let app = spawn_app().await;
    let long_name = "x".repeat(60_000);
    let r = login_via(&app, "", &long_name, "a wrong password").await;
    assert_eq!(r.status(), 401);
    for i in 0..3 {
        let r = login_via(&app, "", &format!("guess{i}"), "a wrong password").await;
        assert_eq!(r.status(), 401);
    }
    let rows = || throttle_rows(&app);
    let before = rows();
    assert_eq!(before.len(), 4, "three accounts and the client: {before:?}");
    assert!(
        before
            .iter()
            .all(|(hash, user)| hash.len() == 64 && user.as_deref().is_none_or(|u| u.len() <= 64)),
        "{before:?}"
    );
    // Two windows later, the next login forgets what ended.
    app.clock.advance(chrono::Duration::seconds(2 * 900 + 61));
    let r = login_via(&app, "", "guess9", "a wrong password").await;
    assert_eq!(r.status(), 401);
    let after = rows();
    assert_eq!(after.len(), 2, "only the new attempt's keys: {after:?}");
}

fn throttle_rows(app: &TestApp) -> Vec<(String, Option<String>)> {
    use borderpass::db::schema::login_throttle as t;
    use diesel::{QueryDsl, RunQueryDsl};
    let mut conn = app.store().writer_blocking().expect("connection");
    t::table
        .select((t::key_hash, t::username))
        .load(&mut *conn)
        .expect("rows")
}

/// Sends `request` (HTTP/1.1 text) on a raw connection, then `dribble` one byte at a time, each
/// after `pause`, while the service lets it; the status line and whether the connection was
/// closed before the dribble ended.
async fn raw_exchange(
    app: &TestApp,
    request: &[u8],
    dribble: &[u8],
    pause: Duration,
) -> (String, bool) {
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream.write_all(request).await.expect("write");
    let mut cut_short = false;
    for byte in dribble {
        tokio::time::sleep(pause).await;
        if stream.write_all(&[*byte]).await.is_err() {
            cut_short = true;
            break;
        }
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer));
    let _ = read.await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    (
        text.lines().next().unwrap_or_default().to_owned(),
        cut_short,
    )
}

#[tokio::test]
async fn a_body_that_dribbles_in_is_cut_off_at_the_deadline() {
    let app = spawn_app_with(|s| s.body_timeout_secs = 1).await;
    let head = b"POST /api/v1/permits HTTP/1.1\r\nHost: borderpass\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n";
    let (status, cut_short) =
        raw_exchange(&app, head, &[b' '; 40], Duration::from_millis(150)).await;
    assert!(status.starts_with("HTTP/1.1 408"), "{status}");
    assert!(cut_short || status.contains("408"));
}

#[tokio::test]
async fn the_body_limit_holds_for_chunked_bodies() {
    let app = spawn_app().await;
    let limit = app.config.body_limit_bytes;
    let mut request = b"POST /api/v1/permits HTTP/1.1\r\nHost: borderpass\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    let chunk = vec![b' '; 16 * 1024];
    for _ in 0..(limit / chunk.len() + 2) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(&chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let (status, _) = raw_exchange(&app, &request, &[], Duration::ZERO).await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_personal_data_is_not_cached() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let today = app.zone_today();
    let body = crate::helpers::documents::application(
        crate::helpers::documents::passport(400),
        today,
        today.succ_opt().expect("date"),
    );
    let applied = app.post_json("/api/v1/permits", &body).await;
    let permit: Value = applied.json().await.expect("json");
    let id = permit["permit_id"].as_str().expect("id").to_owned();
    let scan = app
        .post_json_as(
            &admin,
            "/api/v1/scans",
            &json!({ "token": permit["token"], "gate_id": "CN-1", "direction": "entry",
                     "nonce": uuid::Uuid::new_v4().to_string() }),
        )
        .await;
    let revoke = app
        .post_json_as(
            &admin,
            &format!("/api/v1/permits/{id}/revoke"),
            &json!({ "reason": "test" }),
        )
        .await;
    let unknown = app.get("/api/v1/nowhere").await;
    for response in [scan, revoke, unknown] {
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["content-security-policy"], "frame-ancestors 'none'");
        assert_eq!(headers["cache-control"], "no-store", "{}", response.url());
    }
    let jwks = app.get("/.well-known/jwks.json").await;
    assert_eq!(jwks.headers()["cache-control"], "public, max-age=60");
    assert_eq!(jwks.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn connections_over_the_cap_wait_until_others_close() {
    let app = spawn_app_with(|s| s.max_connections = 16).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut idle = Vec::new();
    for _ in 0..32 {
        idle.push(
            tokio::net::TcpStream::connect(&address)
                .await
                .expect("connect"),
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A client of its own: the test's client keeps a connection from start-up open.
    let fresh = reqwest::Client::new();
    let waiting = fresh
        .get(app.url("/healthz"))
        .timeout(Duration::from_secs(1))
        .send();
    assert!(
        waiting.await.is_err(),
        "a connection over the cap is not served while the others are open"
    );
    drop(idle);
    let served = fresh
        .get(app.url("/healthz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("served once the others closed");
    assert_eq!(served.status(), 200);
}

/// The zone's day `n` days from today.
fn day(app: &TestApp, n: u64) -> chrono::NaiveDate {
    app.zone_today() + chrono::Days::new(n)
}

fn application_for(n: u32, from_day: u64, days: u64, app: &TestApp) -> Value {
    let today = app.zone_today();
    crate::helpers::documents::application(
        crate::helpers::documents::passport(n),
        today + chrono::Days::new(from_day),
        today + chrono::Days::new(from_day + days - 1),
    )
}

async fn apply_via(app: &TestApp, via: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/permits"))
        .header("X-Forwarded-For", via)
        .json(body)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn revoking_a_squatters_permit_frees_the_holders_dates() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = application_for(500, 1, 5, &app);
    let squatted: Value = app
        .post_json("/api/v1/permits", &body)
        .await
        .json()
        .await
        .expect("json");
    problem(app.post_json("/api/v1/permits", &body).await, 409).await;
    let id = squatted["permit_id"].as_str().expect("id");
    let revoked = app
        .post_json_as(
            &admin,
            &format!("/api/v1/permits/{id}/revoke"),
            &json!({ "reason": "applied by someone else" }),
        )
        .await;
    assert_eq!(revoked.status(), 200);
    let holders = app.post_json("/api/v1/permits", &body).await;
    assert_eq!(holders.status(), 201, "the dates are free again");
}

#[tokio::test]
async fn applications_are_limited_per_client_address_even_in_parallel() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = "127.0.0.1".into();
        s.apply_limit_per_minute = 3;
    })
    .await;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let body = application_for(600 + i, 1, 2, &app);
            let (client, url) = (app.client.clone(), app.url("/api/v1/permits"));
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .header("X-Forwarded-For", "203.0.113.5")
                    .json(&body)
                    .send()
                    .await
                    .expect("sent");
                let retry = r.headers().get("retry-after").cloned();
                (r.status().as_u16(), retry)
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        match task.await.expect("task") {
            (201, _) => accepted += 1,
            (429, Some(retry)) => {
                let secs: u64 = retry.to_str().expect("ascii").parse().expect("seconds");
                assert!((1..=60).contains(&secs), "{secs}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(accepted, 3, "exactly the limit, counted in the database");
    // Another address is not affected; the first may apply again a minute later.
    let other = apply_via(&app, "203.0.113.6", &application_for(700, 1, 2, &app)).await;
    assert_eq!(other.status(), 201);
    app.clock.advance(chrono::Duration::seconds(61));
    let again = apply_via(&app, "203.0.113.5", &application_for(701, 1, 2, &app)).await;
    assert_eq!(again.status(), 201);
}

#[tokio::test]
async fn one_document_gets_at_most_the_daily_number_of_permits() {
    let app = spawn_app_with(|s| s.apply_limit_per_document_per_day = 2).await;
    for (from, expected) in [(1, 201), (10, 201), (20, 429)] {
        let r = app
            .post_json("/api/v1/permits", &application_for(800, from, 2, &app))
            .await;
        assert_eq!(r.status(), expected, "visit from day {from}");
    }
    app.clock.advance(chrono::Duration::hours(24));
    let next_day = app
        .post_json("/api/v1/permits", &application_for(800, 20, 2, &app))
        .await;
    assert_eq!(next_day.status(), 201);
}

async fn scan_at(
    app: &TestApp,
    bearer: &str,
    token: &Value,
    direction: &str,
    scanned_at: chrono::DateTime<chrono::Utc>,
) -> Value {
    let body = json!({ "token": token, "gate_id": "CN-1", "direction": direction,
                       "nonce": uuid::Uuid::new_v4().to_string(), "scanned_at": scanned_at.to_rfc3339() });
    let response = app.post_json_as(bearer, "/api/v1/scans", &body).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

#[tokio::test]
async fn a_backdated_scan_is_judged_when_it_is_recorded_and_flagged_late() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let today = app.zone_today();
    let one_day = |n| {
        crate::helpers::documents::application(crate::helpers::documents::passport(n), today, today)
    };
    let expiring: Value = app
        .post_json("/api/v1/permits", &one_day(900))
        .await
        .json()
        .await
        .expect("json");
    let overstaying: Value = app
        .post_json("/api/v1/permits", &one_day(901))
        .await
        .json()
        .await
        .expect("json");
    let now = borderpass::clock::Clock::now(&*app.clock);
    let entered = scan_at(&app, &admin, &overstaying["token"], "entry", now).await;
    assert_eq!(entered["decision"], "admit");
    // Two hours after the permits ended, a device sends scans it says it made before the end.
    let until: chrono::DateTime<chrono::Utc> = expiring["valid_until"]
        .as_str()
        .expect("instant")
        .parse()
        .expect("rfc3339");
    app.clock.set(until + chrono::Duration::hours(2));
    let admin = app.login("chief", ADMIN_PASSWORD).await;
    let before_the_end = until - chrono::Duration::hours(1);
    let entry = scan_at(&app, &admin, &expiring["token"], "entry", before_the_end).await;
    assert_eq!(
        (&entry["decision"], &entry["reason"], &entry["flags"]),
        (&json!("deny"), &json!("expired"), &json!(["late"])),
        "no entry on a permit that has ended, whatever the device's clock says"
    );
    let exit = scan_at(&app, &admin, &overstaying["token"], "exit", before_the_end).await;
    assert_eq!(
        (&exit["decision"], &exit["flags"]),
        (&json!("admit"), &json!(["overstay", "late"])),
        "an overstay is not cleared by a backdated exit"
    );
    // Four minutes behind is not late; replaying a late scan keeps its flags.
    let fresh: Value = app
        .post_json(
            "/api/v1/permits",
            &crate::helpers::documents::application(
                crate::helpers::documents::passport(902),
                app.zone_today(),
                app.zone_today(),
            ),
        )
        .await
        .json()
        .await
        .expect("json");
    let now = borderpass::clock::Clock::now(&*app.clock);
    let prompt = scan_at(
        &app,
        &admin,
        &fresh["token"],
        "entry",
        now - chrono::Duration::minutes(4),
    )
    .await;
    assert_eq!(
        (&prompt["decision"], &prompt["flags"]),
        (&json!("admit"), &json!([]))
    );
    let replay_body = json!({ "token": expiring["token"], "gate_id": "CN-1", "direction": "entry",
                              "nonce": entry["nonce"], "scanned_at": before_the_end.to_rfc3339() });
    let replayed: Value = app
        .post_json_as(&admin, "/api/v1/scans", &replay_body)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(replayed["replayed"], true);
    assert_eq!(replayed["flags"], json!(["late"]));
}

#[tokio::test]
async fn an_officer_sees_a_permits_full_number_only_after_scanning_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let officer = app.officer(&admin, "officer.cn", "CN-1").await;
    let permit = app.issue(950, day(&app, 0), day(&app, 1)).await;
    let path = format!(
        "/api/v1/permits/{}",
        permit["permit_id"].as_str().expect("id")
    );
    problem(app.get_as(&officer, &path).await, 404).await;
    problem(app.get_as(&officer, &format!("{path}/qr.svg")).await, 404).await;
    let now = borderpass::clock::Clock::now(&*app.clock);
    scan_at(&app, &officer, &permit["token"], "entry", now).await;
    let seen: Value = app
        .get_as(&officer, &path)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(seen["holder"]["document"]["number"], "N00000950");
    let by_admin: Value = app.get_as(&admin, &path).await.json().await.expect("json");
    assert_eq!(by_admin["holder"]["document"]["number"], "N00000950");
}

fn new_kek_text() -> String {
    borderpass::crypto::seal::KeyEncryptionKey::generate()
        .expect("random")
        .to_text()
        .to_string()
}

async fn admitted_entry(app: &TestApp, bearer: &str, token: &Value) -> Value {
    let now = borderpass::clock::Clock::now(&*app.clock);
    scan_at(app, bearer, token, "entry", now).await
}

#[tokio::test]
async fn a_lost_key_encryption_key_is_recovered_as_documented() {
    let app = spawn_app().await;
    app.admin().await;
    let before = app.issue(960, day(&app, 0), day(&app, 2)).await;
    // The key-encryption key is lost: an instance starts with a new one, and is not ready; its
    // log says why (the key, not the database).
    let kek = new_kek_text();
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("lost.log");
    let process = ServiceProcess::spawn_with(
        &app,
        &app.database_url(),
        &[("BORDERPASS_KEY_ENCRYPTION_KEY", &kek)],
        Some(&log),
    );
    let lost = app
        .spawn_peer_unready_with(|s| {
            s.key_encryption_key = Some(borderpass::config::SecretText(kek.clone()))
        })
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let text = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("cannot serve yet") {
            break text;
        }
        assert!(tokio::time::Instant::now() < deadline, "no warning: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        text.contains("does not open with the configured key-encryption key"),
        "{text}"
    );
    assert!(!text.contains("unreachable"), "{text}");
    // Answering means its runtime runs, and with it the SIGTERM handler: a signal sent in the
    // first milliseconds of a start (under load, the warning comes that early) kills a process
    // before it has one.
    let health = format!("{}/healthz", process.address);
    let answering = tokio::time::Instant::now() + Duration::from_secs(20);
    while !app
        .client
        .get(&health)
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        assert!(
            tokio::time::Instant::now() < answering,
            "serve never answered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = process.terminate();
    assert!(
        status.success(),
        "{status}: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert_eq!(lost.get("/readyz").await.status(), 503);
    // The documented recovery: a new signing key, a new bundle-signing key and a new staff-token
    // key under the new KEK.
    for args in [
        &["keys", "rotate"][..],
        &["keys", "rotate", "--bundle"][..],
        &["keys", "rotate", "--staff"][..],
    ] {
        let out = app.cli_with(args, &[("BORDERPASS_KEY_ENCRYPTION_KEY", &kek)], "");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    lost.wait_for_readyz(200, Duration::from_secs(20)).await;
    let admin = lost.login("chief", ADMIN_PASSWORD).await;
    // Permits signed before stay valid (their public key is still published), new ones are signed
    // with the new key.
    let entry = admitted_entry(&lost, &admin, &before["token"]).await;
    assert_eq!(entry["decision"], "admit", "{entry}");
    let after = lost.issue(961, day(&lost, 0), day(&lost, 2)).await;
    assert_ne!(after["kid"], before["kid"]);
}

#[tokio::test]
async fn keys_are_resealed_under_a_new_key_encryption_key() {
    let app = spawn_app().await;
    app.admin().await;
    let before = app.issue(970, day(&app, 0), day(&app, 2)).await;
    // A configured key that is not the one the keys are sealed with changes nothing.
    let wrong = new_kek_text();
    let refused = app.cli_with(
        &["keys", "reseal"],
        &[("BORDERPASS_KEY_ENCRYPTION_KEY", &wrong)],
        &format!("{}\n", new_kek_text()),
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("do not open"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let kek = new_kek_text();
    let out = app.cli_with(&["keys", "reseal"], &[], &format!("{kek}\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = app.config.data_dir.join("key-encryption.key");
    assert_eq!(std::fs::read_to_string(&file).expect("key file"), kek);
    // A new instance opens everything with the new key from the file: same signing key, same
    // staff-token key.
    let peer = app.spawn_peer().await;
    let admin = peer.login("chief", ADMIN_PASSWORD).await;
    let entry = admitted_entry(&peer, &admin, &before["token"]).await;
    assert_eq!(entry["decision"], "admit");
    let after = peer.issue(971, day(&peer, 0), day(&peer, 2)).await;
    assert_eq!(after["kid"], before["kid"]);
    // The audit trail has the one reseal that happened (the refused one is not in it).
    let trail: serde_json::Value = peer
        .get_as(&admin, "/api/v1/audit?action=keys.resealed")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(trail["total"], 1, "{trail}");
    assert_eq!(trail["items"][0]["actor"], "cli");
    assert_eq!(trail["items"][0]["detail"]["secrets"], 1);
}

#[tokio::test]
async fn a_new_staff_token_key_ends_every_token_on_running_instances() {
    let app = spawn_app_with(|s| s.key_refresh_secs = 1).await;
    let admin = app.admin().await;
    assert_eq!(app.get_as(&admin, "/api/v1/gates").await.status(), 200);
    let out = app.cli(&["keys", "rotate", "--staff"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.get_as(&admin, "/api/v1/gates").await.status() == 200 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the old token still works after the key changed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let fresh = app.login("chief", ADMIN_PASSWORD).await;
    assert_eq!(app.get_as(&fresh, "/api/v1/gates").await.status(), 200);
}
