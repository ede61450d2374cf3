//! The crossing log: every reason and flag, replays, time windows, concurrency across gates and processes.

use borderpass::crypto::keyring::KeyRing;
use borderpass::crypto::permit_token::{self, PermitClaims};
use borderpass::crypto::signing_key::PermitSigningKey;
use chrono::{Days, Duration};
use serde_json::{json, Value};

use crate::helpers::documents::{application, passport};
use crate::helpers::{field_errors, problem, spawn_app, ServiceProcess, TestApp, OFFICER_PASSWORD};

/// A permit for today and the next five days; its JSON.
async fn permit(app: &TestApp, n: u32) -> Value {
    permit_from(app, n, 0).await
}

async fn permit_from(app: &TestApp, n: u32, start_in_days: u64) -> Value {
    let today = app.zone_today();
    let from = today
        .checked_add_days(Days::new(start_in_days))
        .expect("date");
    let until = from.checked_add_days(Days::new(5)).expect("date");
    let response = app
        .post_json("/api/v1/permits", &application(passport(n), from, until))
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.expect("json")
}

fn token_of(permit: &Value) -> &str {
    permit["token"].as_str().expect("token")
}

fn scan_body(token: &str, gate: &str, direction: &str) -> Value {
    json!({ "token": token, "gate_id": gate, "direction": direction, "nonce": uuid::Uuid::new_v4().to_string() })
}

async fn send(app: &TestApp, bearer: &str, body: &Value) -> reqwest::Response {
    app.post_json_as(bearer, "/api/v1/scans", body).await
}

/// Scans and expects a 200; the answer.
async fn scan(app: &TestApp, bearer: &str, token: &str, gate: &str, direction: &str) -> Value {
    let response = send(app, bearer, &scan_body(token, gate, direction)).await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    response.json().await.expect("json")
}

fn outcome(answer: &Value) -> (String, Option<String>, Vec<String>) {
    let flags = answer["flags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    (
        answer["decision"].as_str().unwrap_or_default().to_owned(),
        answer["reason"].as_str().map(String::from),
        flags,
    )
}

fn admitted(flags: &[&str]) -> (String, Option<String>, Vec<String>) {
    (
        "admit".into(),
        None,
        flags.iter().map(|f| (*f).to_owned()).collect(),
    )
}

fn denied(reason: &str) -> (String, Option<String>, Vec<String>) {
    ("deny".into(), Some(reason.into()), Vec::new())
}

/// Signs claims with the service's own active key, as only the service could.
fn sign_with_service_key(app: &TestApp, claims: &PermitClaims) -> String {
    let ring = KeyRing::new(app.config.load_key_encryption_key().expect("kek"));
    let mut conn = app.store().writer_blocking().expect("connection");
    let key = borderpass::db::keys::active_signing_key(
        &mut conn,
        &ring,
        borderpass::db::keys::KeyUse::Permit,
    )
    .expect("active key");
    permit_token::sign(claims, &key).expect("sign")
}

#[tokio::test]
async fn entries_and_exits_follow_the_zone_rules() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cn = app.officer(&admin, "officer.cn", "CN-1").await;
    let kz = app.officer(&admin, "officer.kz", "KZ-1").await;
    let p = permit(&app, 1).await;
    let token = token_of(&p);

    assert_eq!(
        outcome(&scan(&app, &kz, token, "KZ-1", "exit").await),
        denied("not_inside")
    );
    let entry = scan(&app, &cn, token, "CN-1", "entry").await;
    assert_eq!(outcome(&entry), admitted(&[]));
    assert_eq!(entry["replayed"], false);
    assert_eq!(entry["permit"]["permit_id"], p["permit_id"]);
    assert_eq!(entry["permit"]["holder"]["surname"], "IVANOVA");
    assert_eq!(
        entry["permit"]["holder"]["document"]["number"], "N00000001",
        "the officer sees the full number"
    );
    assert_eq!(entry["permit"]["holder"]["birth_date"], "1990-01-31");
    assert_eq!(
        outcome(&scan(&app, &kz, token, "KZ-1", "entry").await),
        denied("already_inside")
    );
    assert_eq!(
        outcome(&scan(&app, &kz, token, "KZ-1", "exit").await),
        denied("wrong_side")
    );
    assert_eq!(
        outcome(&scan(&app, &cn, token, "CN-1", "exit").await),
        admitted(&[])
    );
    assert_eq!(
        outcome(&scan(&app, &cn, token, "CN-1", "exit").await),
        denied("not_inside")
    );
    // In through Kazakhstan this time, so out through Kazakhstan.
    assert_eq!(
        outcome(&scan(&app, &kz, token, "KZ-1", "entry").await),
        admitted(&[])
    );
    assert_eq!(
        outcome(&scan(&app, &cn, token, "CN-1", "exit").await),
        denied("wrong_side")
    );
    assert_eq!(
        outcome(&scan(&app, &kz, token, "KZ-1", "exit").await),
        admitted(&[])
    );

    // Every scan, admitted or denied, is in the log, in order.
    let mut conn = app.store().writer_blocking().expect("connection");
    let log = borderpass::db::scans::for_permit(&mut conn, p["permit_id"].as_str().expect("id"))
        .expect("log");
    let decisions: Vec<(&str, &str, Option<&str>)> = log
        .iter()
        .map(|s| (s.gate_id.as_str(), s.decision.as_str(), s.reason.as_deref()))
        .collect();
    assert_eq!(
        decisions,
        vec![
            ("KZ-1", "deny", Some("not_inside")),
            ("CN-1", "admit", None),
            ("KZ-1", "deny", Some("already_inside")),
            ("KZ-1", "deny", Some("wrong_side")),
            ("CN-1", "admit", None),
            ("CN-1", "deny", Some("not_inside")),
            ("KZ-1", "admit", None),
            ("CN-1", "deny", Some("wrong_side")),
            ("KZ-1", "admit", None),
        ]
    );
}

#[tokio::test]
async fn tokens_that_are_not_authentic_are_denied_and_logged() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let p = permit(&app, 2).await;
    let token = token_of(&p).to_owned();
    let parts: Vec<&str> = token.split('.').collect();
    let flipped = {
        let mut b = parts[2].as_bytes().to_vec();
        b[3] = if b[3] == b'x' { b'y' } else { b'x' };
        String::from_utf8(b).expect("ascii")
    };
    let claims = PermitClaims {
        sub: uuid::Uuid::now_v7().to_string(),
        nbf: 0,
        exp: i64::from(i32::MAX),
        n: "NOBODY".into(),
        c: "KAZ".into(),
        b: "19900131".into(),
    };
    let foreign =
        permit_token::sign(&claims, &PermitSigningKey::generate().expect("key")).expect("sign");
    let no_such_permit = sign_with_service_key(&app, &claims);
    // The genuine token first: the instance now remembers it as verified, and must still check
    // the altered one below in full.
    assert_eq!(
        outcome(&scan(&app, &admin, &token, "CN-1", "entry").await),
        admitted(&[])
    );
    for (candidate, reason) in [
        ("garbage".to_owned(), "malformed_token"),
        (
            format!("{}.{}.{}", parts[0], parts[1], flipped),
            "bad_signature",
        ),
        (foreign, "unknown_key"),
        (no_such_permit, "unknown_permit"),
    ] {
        let answer = scan(&app, &admin, &candidate, "CN-1", "entry").await;
        assert_eq!(outcome(&answer), denied(reason));
        assert!(answer["permit"].is_null());
    }
}

#[tokio::test]
async fn validity_revocation_and_the_flags_on_the_way_out() {
    let app = spawn_app().await;
    let admin = app.admin().await;

    let later = permit_from(&app, 3, 2).await;
    assert_eq!(
        outcome(&scan(&app, &admin, token_of(&later), "CN-1", "entry").await),
        denied("not_yet_valid")
    );

    // Revoked before entry: no entry.
    let revoked = permit(&app, 4).await;
    let path = format!(
        "/api/v1/permits/{}/revoke",
        revoked["permit_id"].as_str().expect("id")
    );
    let response = app
        .post_json_as(
            &admin,
            &path,
            &json!({ "reason": "document reported stolen" }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "revoked");
    assert_eq!(body["revoked_reason"], "document reported stolen");
    problem(
        app.post_json_as(&admin, &path, &json!({ "reason": "again" }))
            .await,
        409,
    )
    .await;
    assert_eq!(
        outcome(&scan(&app, &admin, token_of(&revoked), "KZ-1", "entry").await),
        denied("revoked")
    );

    // Revoked while inside: let out, flagged.
    let inside = permit(&app, 5).await;
    assert_eq!(
        outcome(&scan(&app, &admin, token_of(&inside), "KZ-1", "entry").await),
        admitted(&[])
    );
    let path = format!(
        "/api/v1/permits/{}/revoke",
        inside["permit_id"].as_str().expect("id")
    );
    assert_eq!(
        app.post_json_as(&admin, &path, &json!({ "reason": "overstayed before" }))
            .await
            .status(),
        200
    );
    assert_eq!(
        outcome(&scan(&app, &admin, token_of(&inside), "KZ-1", "exit").await),
        admitted(&["revoked"])
    );

    // Expired while inside: let out with overstay; entry after the end: expired.
    let overstayer = permit(&app, 6).await;
    let punctual = permit(&app, 7).await;
    assert_eq!(
        outcome(&scan(&app, &admin, token_of(&overstayer), "CN-1", "entry").await),
        admitted(&[])
    );
    let admin = {
        app.clock.advance(Duration::days(7));
        app.login("chief", crate::helpers::ADMIN_PASSWORD).await
    };
    assert_eq!(
        outcome(&scan(&app, &admin, token_of(&punctual), "CN-1", "entry").await),
        denied("expired")
    );
    assert_eq!(
        outcome(&scan(&app, &admin, token_of(&overstayer), "CN-1", "exit").await),
        admitted(&["overstay"])
    );
}

#[tokio::test]
async fn officers_at_another_gate_or_disabled_are_refused_and_nothing_is_logged() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let officer = app.officer(&admin, "officer.cn", "CN-1").await;
    let p = permit(&app, 12).await;
    problem(
        send(&app, &officer, &scan_body(token_of(&p), "KZ-1", "entry")).await,
        403,
    )
    .await;
    let disable = |disabled: bool| {
        app.client
            .patch(app.url("/api/v1/users/officer.cn"))
            .bearer_auth(&admin)
            .json(&json!({ "disabled": disabled }))
            .send()
    };
    assert_eq!(disable(true).await.expect("sent").status(), 200);
    problem(
        send(&app, &officer, &scan_body(token_of(&p), "CN-1", "entry")).await,
        401,
    )
    .await;
    // A token that is not a permit's is logged as denied, but not for a disabled account.
    problem(
        send(&app, &officer, &scan_body("not.a.permit", "CN-1", "entry")).await,
        401,
    )
    .await;
    {
        use borderpass::db::schema::scans;
        use diesel::{QueryDsl, RunQueryDsl};
        let mut conn = app.store().writer_blocking().expect("connection");
        let logged: i64 = scans::table.count().get_result(&mut *conn).expect("count");
        assert_eq!(logged, 0, "refused scans leave no record");
    }
    assert_eq!(disable(false).await.expect("sent").status(), 200);
    // Enabled again, the account needs a fresh token: the old one stays dead.
    problem(
        send(&app, &officer, &scan_body(token_of(&p), "CN-1", "entry")).await,
        401,
    )
    .await;
    let officer = app.login("officer.cn", OFFICER_PASSWORD).await;
    let answer = scan(&app, &officer, token_of(&p), "CN-1", "entry").await;
    assert_eq!(outcome(&answer), admitted(&[]));
}

#[tokio::test]
async fn a_nonce_sent_again_replays_the_first_answer_and_records_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let p = permit(&app, 8).await;
    let body = scan_body(token_of(&p), "CN-1", "entry");
    let first: Value = send(&app, &admin, &body).await.json().await.expect("json");
    let again: Value = send(&app, &admin, &body).await.json().await.expect("json");
    assert_eq!(again["replayed"], true);
    let mut first_as_replayed = first.clone();
    first_as_replayed["replayed"] = json!(true);
    assert_eq!(again, first_as_replayed);
    // A second, different scan with the same nonce is refused.
    let mut reused = scan_body(token_of(&p), "CN-1", "exit");
    reused["nonce"] = body["nonce"].clone();
    problem(send(&app, &admin, &reused).await, 409).await;
    // Simultaneous resends of one nonce: one record.
    let other = permit(&app, 9).await;
    let body = scan_body(token_of(&other), "KZ-1", "entry");
    let answers = app
        .post_concurrently_as(&admin, vec![("/api/v1/scans".to_owned(), body); 10])
        .await;
    assert!(answers.iter().all(|(status, _)| *status == 200));
    let scan_ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|(_, a)| a["scan_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(scan_ids.len(), 1, "one scan, replayed to the rest");
    assert_eq!(
        answers
            .iter()
            .filter(|(_, a)| a["replayed"] == false)
            .count(),
        1
    );
    let mut conn = app.store().writer_blocking().expect("connection");
    let log =
        borderpass::db::scans::for_permit(&mut conn, other["permit_id"].as_str().expect("id"))
            .expect("log");
    assert_eq!(log.len(), 1);
}

#[tokio::test]
async fn scanned_at_must_lie_within_the_window_and_fields_are_checked() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let p = permit(&app, 10).await;
    let now = borderpass::clock::Clock::now(&*app.clock);
    for (offset, ok) in [
        (Duration::hours(-73), false),
        (Duration::minutes(6), false),
        (Duration::hours(-71), true),
        (Duration::minutes(4), true),
    ] {
        let mut body = scan_body(token_of(&p), "CN-1", "entry");
        body["scanned_at"] = json!((now + offset).to_rfc3339());
        let response = send(&app, &admin, &body).await;
        if ok {
            assert_eq!(response.status(), 200, "{offset}");
            // Leave again so the next in-window scan is an entry too.
            let mut exit = scan_body(token_of(&p), "CN-1", "exit");
            exit["scanned_at"] = body["scanned_at"].clone();
            assert_eq!(send(&app, &admin, &exit).await.status(), 200);
        } else {
            let found = field_errors(&problem(response, 422).await);
            assert_eq!(
                found,
                vec![("scanned_at".to_owned(), "out_of_range".to_owned())],
                "{offset}"
            );
        }
    }
    let found = field_errors(&problem(send(&app, &admin, &json!({})).await, 422).await);
    for field in ["token", "direction", "nonce", "gate_id"] {
        assert!(
            found.contains(&(field.to_owned(), "required".to_owned())),
            "{field}: {found:?}"
        );
    }
    let body = json!({ "token": "x", "gate_id": "XX-9", "direction": "sideways", "nonce": "not-a-uuid", "scanned_at": "yesterday" });
    let found = field_errors(&problem(send(&app, &admin, &body).await, 422).await);
    for (field, code) in [
        ("gate_id", "unknown_gate"),
        ("direction", "invalid_value"),
        ("nonce", "invalid_value"),
        ("scanned_at", "invalid_date"),
    ] {
        assert!(
            found.contains(&(field.to_owned(), code.to_owned())),
            "{field}: {found:?}"
        );
    }
}

#[tokio::test]
async fn the_crossing_log_refuses_updates_and_deletes() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let p = permit(&app, 11).await;
    scan(&app, &admin, token_of(&p), "CN-1", "entry").await;
    let mut conn = app.store().writer_blocking().expect("connection");
    use diesel::RunQueryDsl;
    let update = diesel::sql_query("UPDATE scans SET decision = 'deny'").execute(&mut *conn);
    assert!(update.is_err(), "update refused");
    let delete = diesel::sql_query("DELETE FROM scans").execute(&mut *conn);
    assert!(delete.is_err(), "delete refused");
    let log = borderpass::db::scans::for_permit(&mut conn, p["permit_id"].as_str().expect("id"))
        .expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].decision, "admit");
}

/// Fifty entry scans of one permit at the same instant, half at each gate, half through a second
/// service process on the same database: exactly one is admitted.
#[tokio::test]
async fn simultaneous_entries_at_both_gates_and_two_processes_admit_exactly_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let other_process = ServiceProcess::start(&app).await;
    let other_admin = {
        let response = app
            .client
            .post(format!("{}/api/v1/auth/login", other_process.address))
            .json(&json!({ "username": "chief", "password": crate::helpers::ADMIN_PASSWORD }))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        body["access_token"].as_str().expect("token").to_owned()
    };
    let p = permit(&app, 12).await;
    let token = token_of(&p).to_owned();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let gate = if i % 2 == 0 { "CN-1" } else { "KZ-1" };
        let (base, bearer) = if i % 4 < 2 {
            (app.address.clone(), admin.clone())
        } else {
            (other_process.address.clone(), other_admin.clone())
        };
        let client = app.client.clone();
        let body = scan_body(&token, gate, "entry");
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(format!("{base}/api/v1/scans"))
                .bearer_auth(bearer)
                .json(&body)
                .send()
                .await
                .expect("sent");
            assert_eq!(response.status(), 200);
            let answer: Value = response.json().await.expect("json");
            answer["decision"].as_str().unwrap_or_default().to_owned()
        }));
    }
    let mut decisions = Vec::new();
    for task in tasks {
        decisions.push(task.await.expect("task"));
    }
    assert_eq!(
        decisions.iter().filter(|d| *d == "admit").count(),
        1,
        "{decisions:?}"
    );
    let mut conn = app.store().writer_blocking().expect("connection");
    let log = borderpass::db::scans::for_permit(&mut conn, p["permit_id"].as_str().expect("id"))
        .expect("log");
    assert_eq!(log.len(), 50, "every scan is logged");
    assert_eq!(log.iter().filter(|s| s.decision == "admit").count(), 1);
    assert!(log
        .iter()
        .filter(|s| s.decision == "deny")
        .all(|s| s.reason.as_deref() == Some("already_inside")));
}

/// A scan body with an override.
fn override_body(token: &str, gate: &str, direction: &str, reason: &str) -> Value {
    let mut body = scan_body(token, gate, direction);
    body["override"] = json!({ "reason": reason });
    body
}

#[tokio::test]
async fn supervisors_and_administrators_override_denials_and_the_log_keeps_who_and_why() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let officer = app.officer(&admin, "officer.kz", "KZ-1").await;
    let body = json!({ "username": "supervisor.kz", "password": OFFICER_PASSWORD,
                       "role": "supervisor", "gate_id": "KZ-1" });
    let response = app.post_json_as(&admin, "/api/v1/users", &body).await;
    assert_eq!(response.status(), 201);
    let supervisor = app.login("supervisor.kz", OFFICER_PASSWORD).await;
    // A supervisor is bound to a gate like an officer.
    let body =
        json!({ "username": "supervisor.x", "password": OFFICER_PASSWORD, "role": "supervisor" });
    let refused = problem(app.post_json_as(&admin, "/api/v1/users", &body).await, 422).await;
    assert_eq!(
        field_errors(&refused),
        [("gate_id".to_owned(), "required".to_owned())]
    );

    let p = permit(&app, 40).await;
    let token = token_of(&p);
    assert_eq!(
        outcome(&scan(&app, &supervisor, token, "KZ-1", "entry").await),
        admitted(&[])
    );
    // Entering again would be denied: an officer may not override it, and nothing is logged.
    let reason = "turned back at the barrier, re-entering after a medical check";
    problem(
        send(
            &app,
            &officer,
            &override_body(token, "KZ-1", "entry", reason),
        )
        .await,
        403,
    )
    .await;
    // Nor may a supervisor at another gate.
    problem(
        send(
            &app,
            &supervisor,
            &override_body(token, "CN-1", "entry", reason),
        )
        .await,
        403,
    )
    .await;
    let answer: Value = send(
        &app,
        &supervisor,
        &override_body(token, "KZ-1", "entry", reason),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(outcome(&answer), admitted(&["override"]));
    assert_eq!(answer["overridden_reason"], "already_inside");
    // Leaving through China would be denied (wrong side): an administrator overrides it, and the
    // holder is outside afterwards.
    let answer: Value = send(
        &app,
        &admin,
        &override_body(token, "CN-1", "exit", "evacuation"),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(outcome(&answer), admitted(&["override"]));
    assert_eq!(answer["overridden_reason"], "wrong_side");
    assert_eq!(
        outcome(&scan(&app, &officer, token, "KZ-1", "exit").await),
        denied("not_inside")
    );
    // An override of a scan the rules admit changes nothing and keeps no reason.
    let answer: Value = send(
        &app,
        &supervisor,
        &override_body(token, "KZ-1", "entry", "no need"),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(outcome(&answer), admitted(&[]));
    assert_eq!(answer["overridden_reason"], Value::Null);
    // A token that names no permit has no holder to move: not overridden.
    let answer: Value = send(
        &app,
        &supervisor,
        &override_body("not.a.permit", "KZ-1", "entry", reason),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(answer["decision"], "deny");
    // An override needs its reason.
    let mut body = scan_body(token, "KZ-1", "exit");
    body["override"] = json!({});
    let refused = problem(send(&app, &supervisor, &body).await, 422).await;
    assert_eq!(
        field_errors(&refused),
        [("override.reason".to_owned(), "required".to_owned())]
    );

    // The log: who overrode, why, and what the rules said.
    {
        use borderpass::db::schema::scans;
        use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
        let mut conn = app.store().writer_blocking().expect("connection");
        type Row = (String, String, String, Option<String>, Option<String>);
        let rows: Vec<Row> = scans::table
            .filter(scans::permit_id.eq(p["permit_id"].as_str().expect("id")))
            .order((scans::recorded_at, scans::id))
            .select((
                scans::officer,
                scans::decision,
                scans::flags,
                scans::override_reason,
                scans::overridden_reason,
            ))
            .load(&mut *conn)
            .expect("log");
        assert_eq!(
            rows,
            [
                (
                    "supervisor.kz".into(),
                    "admit".into(),
                    "".into(),
                    None,
                    None
                ),
                (
                    "supervisor.kz".into(),
                    "admit".into(),
                    "override".into(),
                    Some(reason.into()),
                    Some("already_inside".into())
                ),
                (
                    "chief".into(),
                    "admit".into(),
                    "override".into(),
                    Some("evacuation".into()),
                    Some("wrong_side".into())
                ),
                ("officer.kz".into(), "deny".into(), "".into(), None, None),
                (
                    "supervisor.kz".into(),
                    "admit".into(),
                    "".into(),
                    None,
                    None
                ),
            ]
        );
    }
}
