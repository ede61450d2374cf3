//! Administrators' look-ups: finding permits, a permit's crossings, and the audit trail of every
//! staff action (appended in the action's transaction, refused any change by the database).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::helpers::{documents, field_errors, problem, spawn_app, TestApp, OFFICER_PASSWORD};
use crate::offline::item;

async fn search(app: &TestApp, bearer: &str, body: Value) -> Value {
    let response = app
        .post_json_as(bearer, "/api/v1/permits/search", &body)
        .await;
    assert_eq!(response.status(), 200, "{body}");
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().ok()),
        Some(Some("no-store"))
    );
    response.json().await.expect("json")
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["permit_id"].as_str().expect("id").to_owned())
        .collect()
}

fn now(app: &TestApp) -> DateTime<Utc> {
    borderpass::clock::Clock::now(&*app.clock)
}

async fn scan(app: &TestApp, bearer: &str, body: &Value) -> Value {
    let response = app.post_json_as(bearer, "/api/v1/scans", body).await;
    assert_eq!(response.status(), 200, "{body}");
    response.json().await.expect("json")
}

fn scan_body(token: &Value, gate: &str, direction: &str) -> Value {
    json!({ "token": token, "gate_id": gate, "direction": direction,
            "nonce": uuid::Uuid::now_v7().to_string() })
}

#[tokio::test]
async fn administrators_find_permits_by_id_document_or_surname_and_birth_date() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let today = app.zone_today();
    let first = app.issue(1, today, today).await;
    let second = app.issue(2, today, today).await;
    let card = app
        .post_json(
            "/api/v1/permits",
            &documents::application(documents::chinese_card(3), today, today),
        )
        .await;
    assert_eq!(card.status(), 201);
    let card: Value = card.json().await.expect("json");
    let id = |p: &Value| p["permit_id"].as_str().expect("id").to_owned();

    let by_id = search(&app, &admin, json!({ "permit_id": id(&first) })).await;
    assert_eq!(ids(&by_id), [id(&first)]);
    assert_eq!(by_id["total"], 1);
    // The staff view: the full document number, never the access code.
    assert_eq!(
        by_id["items"][0]["holder"]["document"]["number"],
        "N00000001"
    );
    assert!(by_id["items"][0].get("access_code").is_none());

    // By document: its key, however the number is typed.
    let by_document = search(
        &app,
        &admin,
        json!({ "document": { "type": "passport", "issuing_country": "kaz", "number": " n0000 0002 " } }),
    )
    .await;
    assert_eq!(ids(&by_document), [id(&second)]);

    // By the surname's beginning and the birth date: newest first, paged.
    let page1 = search(
        &app,
        &admin,
        json!({ "surname_prefix": "iva", "birth_date": "1990-01-31", "per_page": 1 }),
    )
    .await;
    assert_eq!(
        (
            page1["total"].clone(),
            page1["per_page"].clone(),
            page1["page"].clone()
        ),
        (json!(2), json!(1), json!(1))
    );
    assert_eq!(ids(&page1), [id(&second)]);
    let page2 = search(
        &app,
        &admin,
        json!({ "surname_prefix": "IVA", "birth_date": "1990-01-31", "per_page": 1, "page": 2 }),
    )
    .await;
    assert_eq!(ids(&page2), [id(&first)]);
    let by_name = search(&app, &admin, json!({ "surname_prefix": "李" })).await;
    assert_eq!(ids(&by_name), [id(&card)]);
    let other_birth = search(
        &app,
        &admin,
        json!({ "surname_prefix": "IVANOVA", "birth_date": "1990-02-01" }),
    )
    .await;
    assert_eq!(other_birth["total"], 0);
    // A prefix is a prefix: "VANOVA" is inside the name, not at its start.
    assert_eq!(
        search(&app, &admin, json!({ "surname_prefix": "VANOVA" })).await["total"],
        0
    );
    // Every criterion given must hold.
    let both = search(
        &app,
        &admin,
        json!({ "permit_id": id(&first), "surname_prefix": "李" }),
    )
    .await;
    assert_eq!(both["total"], 0);

    // Every problem of a search is named.
    let refused = problem(
        app.post_json_as(
            &admin,
            "/api/v1/permits/search",
            &json!({ "permit_id": "nope", "document": { "type": "visa", "number": "A-1" },
                     "birth_date": "31.01.1990", "per_page": 500 }),
        )
        .await,
        422,
    )
    .await;
    let mut found = field_errors(&refused);
    found.sort();
    assert_eq!(
        found,
        [
            ("birth_date", "invalid_date"),
            ("document.issuing_country", "required"),
            ("document.number", "invalid_character"),
            ("document.type", "invalid_value"),
            ("per_page", "invalid_value"),
            ("permit_id", "invalid_value"),
            ("surname_prefix", "required"),
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
    let empty = problem(
        app.post_json_as(&admin, "/api/v1/permits/search", &json!({}))
            .await,
        422,
    )
    .await;
    assert_eq!(field_errors(&empty).len(), 1);
    // Administrators only.
    let officer = app.officer(&admin, "officer.cn", "CN-1").await;
    problem(
        app.post_json_as(
            &officer,
            "/api/v1/permits/search",
            &json!({ "permit_id": id(&first) }),
        )
        .await,
        403,
    )
    .await;
    problem(
        app.post_json(
            "/api/v1/permits/search",
            &json!({ "permit_id": id(&first) }),
        )
        .await,
        401,
    )
    .await;
}

#[tokio::test]
async fn a_permits_crossings_list_every_log_row_in_order_with_officer_device_and_conflict() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cn = app.officer(&admin, "cn-officer", "CN-1").await;
    let today = app.zone_today();
    let permit = app.issue(1, today, today).await;
    let other = app.issue(2, today, today).await;
    let id = permit["permit_id"].as_str().expect("id");
    let token = &permit["token"];

    // An entry, a second entry (denied), then an exit through the other country's gate (denied).
    scan(&app, &cn, &scan_body(token, "CN-1", "entry")).await;
    app.clock.advance(Duration::minutes(5));
    scan(&app, &cn, &scan_body(token, "CN-1", "entry")).await;
    app.clock.advance(Duration::minutes(5));
    scan(&app, &admin, &scan_body(token, "KZ-1", "exit")).await;
    // Another permit's scan is not among them.
    scan(&app, &cn, &scan_body(&other["token"], "CN-1", "entry")).await;
    // A device uploads an entry admitted offline while the holder was inside: a conflict. It was
    // made before the others reached the service, and is listed where it happened.
    let device = app
        .post_json_as(
            &admin,
            "/api/v1/devices",
            &json!({ "gate_id": "CN-1", "label": "lane 2" }),
        )
        .await;
    assert_eq!(device.status(), 201);
    let device: Value = device.json().await.expect("json");
    let made = now(&app) - Duration::minutes(3);
    let upload = app
        .post_json_as(
            device["device_token"].as_str().expect("token"),
            "/api/v1/scans/batch",
            &json!({ "scans": [item(token, "CN-1", "entry", made, "admit")] }),
        )
        .await;
    assert_eq!(upload.status(), 200);
    let upload: Value = upload.json().await.expect("json");
    let conflict_id = upload["results"][0]["conflict_id"].clone();
    assert!(conflict_id.is_string(), "{upload}");

    let response = app
        .get_as(&admin, &format!("/api/v1/permits/{id}/scans"))
        .await;
    assert_eq!(response.status(), 200);
    let rows: Value = response.json().await.expect("json");
    let rows = rows.as_array().expect("list");
    let summary: Vec<(String, Option<String>, String, String, bool)> = rows
        .iter()
        .map(|r| {
            (
                r["decision"].as_str().expect("decision").to_owned(),
                r["reason"].as_str().map(str::to_owned),
                r["gate_id"].as_str().expect("gate").to_owned(),
                r["officer"].as_str().expect("officer").to_owned(),
                r["offline"].as_bool().expect("offline"),
            )
        })
        .collect();
    let row = |d: &str, r: Option<&str>, g: &str, o: &str, off: bool| {
        (
            d.to_owned(),
            r.map(str::to_owned),
            g.to_owned(),
            o.to_owned(),
            off,
        )
    };
    assert_eq!(
        summary,
        [
            row("admit", None, "CN-1", "cn-officer", false),
            row("deny", Some("already_inside"), "CN-1", "cn-officer", false),
            row("admit", None, "CN-1", "cn-officer", true),
            row("deny", Some("wrong_side"), "KZ-1", "chief", false),
        ]
    );
    assert_eq!(rows[2]["device_id"], device["device_id"]);
    assert_eq!(rows[2]["conflict_id"], conflict_id);
    assert_eq!(rows[2]["flags"], json!(["offline", "conflict"]));
    assert_eq!(rows[2]["device_decision"], "admit");
    assert!(rows[0]["device_id"].is_null());
    assert!(rows[0]["conflict_id"].is_null());
    assert_eq!(rows[0]["permit"]["permit_id"], id);
    assert_eq!(rows[0]["replayed"], false);
    assert!(rows[0]["scan_id"].is_string() && rows[0]["nonce"].is_string());

    // A permit never scanned has an empty list; an unknown one is 404; officers may not look.
    let never = app.issue(3, today, today).await;
    let empty: Value = app
        .get_as(
            &admin,
            &format!(
                "/api/v1/permits/{}/scans",
                never["permit_id"].as_str().expect("id")
            ),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(empty, json!([]));
    problem(
        app.get_as(
            &admin,
            &format!("/api/v1/permits/{}/scans", uuid::Uuid::now_v7()),
        )
        .await,
        404,
    )
    .await;
    problem(
        app.get_as(&cn, &format!("/api/v1/permits/{id}/scans"))
            .await,
        403,
    )
    .await;
}

/// The audit trail's entries, oldest first, as `(actor, action, target)`.
async fn trail(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for page in 1.. {
        let response = app
            .get_as(admin, &format!("/api/v1/audit?page={page}{query}"))
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        let items = body["items"].as_array().expect("items").clone();
        let total = body["total"].as_u64().expect("total") as usize;
        all.extend(items.clone());
        if items.is_empty() || all.len() >= total {
            break;
        }
    }
    all.reverse();
    all
}

#[tokio::test]
async fn every_staff_action_appears_once_in_the_audit_trail_with_its_actor() {
    let app = spawn_app().await;
    // The command line: an administrator made, a key rotated.
    let admin = app.admin().await;
    let out = app.cli(&["keys", "rotate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Through the API, by the administrator.
    app.officer(&admin, "cn-officer", "CN-1").await;
    let supervisor = app
        .post_json_as(
            &admin,
            "/api/v1/users",
            &json!({ "username": "kz-super", "password": OFFICER_PASSWORD, "role": "supervisor", "gate_id": "KZ-1" }),
        )
        .await;
    assert_eq!(supervisor.status(), 201);
    let supervisor = app.login("kz-super", OFFICER_PASSWORD).await;
    let patch = |disabled: bool| {
        app.client
            .patch(app.url("/api/v1/users/cn-officer"))
            .bearer_auth(&admin)
            .json(&json!({ "disabled": disabled }))
            .send()
    };
    assert_eq!(patch(true).await.expect("sent").status(), 200);
    assert_eq!(patch(false).await.expect("sent").status(), 200);
    // Disabling ended the officer's tokens.
    let cn = app.login("cn-officer", OFFICER_PASSWORD).await;
    let gate = app
        .post_json_as(
            &admin,
            "/api/v1/gates",
            &json!({ "id": "KZ-2", "side": "KAZ" }),
        )
        .await;
    assert_eq!(gate.status(), 201);
    let device = app
        .post_json_as(
            &admin,
            "/api/v1/devices",
            &json!({ "gate_id": "CN-1", "label": "lane 1" }),
        )
        .await;
    let device: Value = device.json().await.expect("json");
    let device_id = device["device_id"].as_str().expect("id").to_owned();
    let revoked = app
        .post_json_as(
            &admin,
            &format!("/api/v1/devices/{device_id}/revoke"),
            &json!({}),
        )
        .await;
    assert_eq!(revoked.status(), 200);
    // Revoking it again changes nothing and is not an action.
    app.post_json_as(
        &admin,
        &format!("/api/v1/devices/{device_id}/revoke"),
        &json!({}),
    )
    .await;
    let today = app.zone_today();
    let permit = app.issue(1, today, today).await;
    let permit_id = permit["permit_id"].as_str().expect("id").to_owned();
    // A supervisor overrides a denial (entering twice).
    let token = &permit["token"];
    scan(&app, &supervisor, &scan_body(token, "KZ-1", "entry")).await;
    let mut body = scan_body(token, "KZ-1", "entry");
    body["override"] = json!({ "reason": "re-entering after a medical check" });
    let overridden = scan(&app, &supervisor, &body).await;
    assert_eq!(overridden["flags"], json!(["override"]));
    // The same override sent again is a replay: logged once, audited once.
    let replayed = scan(&app, &supervisor, &body).await;
    assert_eq!(replayed["replayed"], true);
    let revoke = app
        .post_json_as(
            &admin,
            &format!("/api/v1/permits/{permit_id}/revoke"),
            &json!({ "reason": "document reported stolen" }),
        )
        .await;
    assert_eq!(revoke.status(), 200);
    // A refused action (already revoked) is not in the trail.
    let again = app
        .post_json_as(
            &admin,
            &format!("/api/v1/permits/{permit_id}/revoke"),
            &json!({ "reason": "again" }),
        )
        .await;
    assert_eq!(again.status(), 409);
    // A conflict opened by an upload, resolved.
    let other = app.issue(2, today, today).await;
    let made = now(&app) - Duration::minutes(1);
    let upload: Value = app
        .post_json_as(
            &cn,
            "/api/v1/scans/batch",
            &json!({ "scans": [item(&other["token"], "CN-1", "exit", made, "admit")] }),
        )
        .await
        .json()
        .await
        .expect("json");
    let conflict_id = upload["results"][0]["conflict_id"]
        .as_str()
        .expect("conflict")
        .to_owned();
    let resolved = app
        .post_json_as(
            &admin,
            &format!("/api/v1/conflicts/{conflict_id}/resolve"),
            &json!({ "note": "seen on the camera: they entered by the freight lane" }),
        )
        .await;
    assert_eq!(resolved.status(), 200);
    // A password reset and a lifted block.
    let reset = app
        .post_json_as(
            &admin,
            "/api/v1/users/kz-super/password",
            &json!({ "new_password": "a new long password 1" }),
        )
        .await;
    assert_eq!(reset.status(), 200);
    let lifted = app
        .post_json_as(
            &admin,
            "/api/v1/auth/blocks/lift",
            &json!({ "client": "192.0.2.7" }),
        )
        .await;
    assert_eq!(lifted.status(), 200, "{:?}", lifted.text().await);

    let entries = trail(&app, &admin, "").await;
    let summary: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().expect("actor").to_owned(),
                e["action"].as_str().expect("action").to_owned(),
                e["target"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let scan_id = overridden["scan_id"].as_str().expect("scan").to_owned();
    let key = |actor: &str, action: &str, target: &str| {
        (actor.to_owned(), action.to_owned(), target.to_owned())
    };
    let rotated_kid = entries
        .iter()
        .find(|e| e["action"] == "key.rotated")
        .and_then(|e| e["target"].as_str())
        .expect("a key rotation")
        .to_owned();
    let mut expected = vec![
        key("chief", "user.created", "cn-officer"),
        key("chief", "user.created", "kz-super"),
        key("chief", "user.disabled", "cn-officer"),
        key("chief", "user.enabled", "cn-officer"),
        key("chief", "gate.created", "KZ-2"),
        key("chief", "device.created", &device_id),
        key("chief", "device.revoked", &device_id),
        key("kz-super", "scan.overridden", &scan_id),
        key("chief", "permit.revoked", &permit_id),
        key("chief", "conflict.resolved", &conflict_id),
        key("chief", "user.password_reset", "kz-super"),
        key("chief", "login_block.lifted", "192.0.2.7"),
    ];
    // The service's entries in the order they were made (its clock is the test's).
    let served: Vec<_> = summary
        .iter()
        .filter(|(a, _, _)| a != "cli")
        .cloned()
        .collect();
    assert_eq!(served, expected);
    // The command line's, once each (at the command's own, real, clock).
    expected.extend([
        key("cli", "user.created", "chief"),
        key("cli", "key.rotated", &rotated_kid),
    ]);
    let mut all = summary.clone();
    all.sort();
    expected.sort();
    assert_eq!(all, expected);
    // Who, when, from where, and what.
    let by_action: BTreeMap<&str, &Value> = entries
        .iter()
        .map(|e| (e["action"].as_str().expect("action"), e))
        .collect();
    let by_cli: Vec<&Value> = entries.iter().filter(|e| e["actor"] == "cli").collect();
    assert!(
        by_cli.iter().all(|e| e["client"].is_null()),
        "the command line has no address"
    );
    assert_eq!(by_cli[0]["detail"]["role"], "admin");
    assert_eq!(by_action["user.enabled"]["client"], "127.0.0.1");
    assert_eq!(by_action["key.rotated"]["detail"]["purpose"], "permit");
    assert_eq!(
        by_action["permit.revoked"]["detail"]["reason"],
        "document reported stolen"
    );
    assert_eq!(
        by_action["scan.overridden"]["detail"]["overridden_reason"],
        "already_inside"
    );
    assert_eq!(
        by_action["scan.overridden"]["detail"]["permit_id"],
        permit_id.as_str()
    );
    assert_eq!(by_action["scan.overridden"]["client"], "127.0.0.1");
    assert_eq!(
        by_action["conflict.resolved"]["detail"]["note"],
        "seen on the camera: they entered by the freight lane"
    );
    assert_eq!(by_action["device.created"]["detail"]["label"], "lane 1");
    assert!(
        entries
            .iter()
            .all(|e| DateTime::parse_from_rfc3339(e["at"].as_str().expect("at")).is_ok()),
        "every entry has its instant"
    );
    // No secret is ever in the trail.
    let text = serde_json::to_string(&entries).expect("json");
    for secret in [
        device["device_token"].as_str().expect("token"),
        OFFICER_PASSWORD,
        "a new long password 1",
        permit["access_code"].as_str().expect("code"),
    ] {
        assert!(!text.contains(secret), "the trail holds a secret");
    }

    // Filters: actor, action, range (dates in the zone's calendar, or instants); newest first.
    let by_cli = trail(&app, &admin, "&actor=cli").await;
    assert_eq!(by_cli.len(), 2);
    let created = trail(&app, &admin, "&action=user.created").await;
    assert_eq!(created.len(), 3);
    let first_page: Value = app
        .get_as(&admin, "/api/v1/audit?actor=chief")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(first_page["items"][0]["action"], "login_block.lifted");
    assert_eq!(first_page["total"], 11);
    assert_eq!(first_page["page"], 1);
    // The range filters, on the service's entries (the command line's were made at the real clock).
    let tomorrow = (today + chrono::Days::new(1)).to_string();
    let chief = |range: String| format!("&actor=chief{range}");
    assert!(trail(&app, &admin, &chief(format!("&from={tomorrow}")))
        .await
        .is_empty());
    let today_only = chief(format!("&from={today}&to={today}"));
    assert_eq!(trail(&app, &admin, &today_only).await.len(), 11);
    let later = (now(&app) + Duration::seconds(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let before = (now(&app) - Duration::days(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    assert_eq!(
        trail(&app, &admin, &chief(format!("&to={later}")))
            .await
            .len(),
        11
    );
    assert!(trail(&app, &admin, &chief(format!("&to={before}")))
        .await
        .is_empty());
    let refused = problem(
        app.get_as(
            &admin,
            "/api/v1/audit?from=yesterday&action=user.deleted&page=0",
        )
        .await,
        422,
    )
    .await;
    let mut found = field_errors(&refused);
    found.sort();
    assert_eq!(
        found,
        [
            ("action", "invalid_value"),
            ("from", "invalid_value"),
            ("page", "invalid_value")
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
    problem(app.get_as(&cn, "/api/v1/audit").await, 403).await;
}

#[tokio::test]
async fn the_audit_trail_refuses_updates_and_deletes() {
    let app = spawn_app().await;
    app.admin().await;
    let mut conn = app.store().writer_blocking().expect("connection");
    use diesel::RunQueryDsl;
    let update =
        diesel::sql_query("UPDATE audit_log SET actor = 'someone else'").execute(&mut *conn);
    assert!(update.is_err(), "update refused");
    let delete = diesel::sql_query("DELETE FROM audit_log").execute(&mut *conn);
    assert!(delete.is_err(), "delete refused");
    if matches!(&*conn, borderpass::db::DbConnection::Postgres(_)) {
        let truncate = diesel::sql_query("TRUNCATE audit_log").execute(&mut *conn);
        assert!(truncate.is_err(), "truncate refused");
    }
    let (rows, total) =
        borderpass::db::audit::page(&mut conn, &Default::default(), 0, 10).expect("read");
    assert_eq!(total, 1);
    assert_eq!(rows[0].actor, "cli");
}

#[tokio::test]
async fn simultaneous_actions_on_one_thing_are_done_and_audited_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let today = app.zone_today();
    let permit = app.issue(1, today, today).await;
    let id = permit["permit_id"].as_str().expect("id").to_owned();
    // Twelve administrators' revokes of one permit at once, through two instances.
    let peer = app.spawn_peer().await;
    let revoke = |n: usize| {
        (
            format!("/api/v1/permits/{id}/revoke"),
            json!({ "reason": format!("reported stolen ({n})") }),
        )
    };
    let (here, there) = tokio::join!(
        app.post_concurrently_as(&admin, (0..6).map(revoke).collect()),
        peer.post_concurrently_as(&admin, (6..12).map(revoke).collect()),
    );
    let statuses: Vec<u16> = here.iter().chain(&there).map(|(s, _)| *s).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        11,
        "{statuses:?}"
    );
    let revoked = trail(&app, &admin, "&action=permit.revoked").await;
    assert_eq!(revoked.len(), 1);
    // The reason kept with the permit is the one the trail names.
    let kept = app.get_as(&admin, &format!("/api/v1/permits/{id}")).await;
    let kept: Value = kept.json().await.expect("json");
    assert_eq!(kept["revoked_reason"], revoked[0]["detail"]["reason"]);
    // Eight creations of one username at once: one account, one entry.
    let create = |_| {
        (
            "/api/v1/users".to_owned(),
            json!({ "username": "twin", "password": OFFICER_PASSWORD, "role": "officer", "gate_id": "CN-1" }),
        )
    };
    let answers = app
        .post_concurrently_as(&admin, (0..8).map(create).collect())
        .await;
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "{answers:?}");
    let twins = trail(&app, &admin, "&action=user.created&actor=chief").await;
    assert_eq!(twins.len(), 1);
}
