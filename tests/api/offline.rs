//! Gates that keep working offline: devices, signed gate bundles, late uploads, conflicts.

use borderpass::crypto::gate_bundle::{self, GateBundle};
use borderpass::crypto::signing_key::JwkSet;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::helpers::{field_errors, problem, spawn_app, TestApp};

fn now(app: &TestApp) -> DateTime<Utc> {
    borderpass::clock::Clock::now(&*app.clock)
}

fn at_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A scan as a gate made it offline (by `cn-officer` at a Chinese gate, else `kz-officer`).
pub fn item(
    token: &Value,
    gate: &str,
    direction: &str,
    at: DateTime<Utc>,
    decision: &str,
) -> Value {
    json!({
        "nonce": uuid::Uuid::now_v7().to_string(),
        "token": token,
        "gate_id": gate,
        "direction": direction,
        "scanned_at": at_text(at),
        "device_decision": decision,
        "officer": if gate.starts_with("CN") { "cn-officer" } else { "kz-officer" },
    })
}

async fn upload(app: &TestApp, bearer: &str, items: &[Value]) -> Vec<Value> {
    let response = app
        .post_json_as(bearer, "/api/v1/scans/batch", &json!({ "scans": items }))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    body["results"].as_array().expect("results").clone()
}

async fn register_device(app: &TestApp, admin: &str, gate: &str) -> (String, String) {
    let response = app
        .post_json_as(
            admin,
            "/api/v1/devices",
            &json!({ "gate_id": gate, "label": "lane 1" }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    (
        body["device_id"].as_str().expect("id").to_owned(),
        body["device_token"].as_str().expect("token").to_owned(),
    )
}

/// A verified bundle and its raw JWS.
async fn bundle(
    app: &TestApp,
    bearer: &str,
    gate: &str,
    since: Option<i64>,
) -> (GateBundle, String) {
    let path = match since {
        Some(v) => format!("/api/v1/gates/{gate}/bundle?since={v}"),
        None => format!("/api/v1/gates/{gate}/bundle"),
    };
    let response = app.get_as(bearer, &path).await;
    assert_eq!(response.status(), 200, "bundle of {gate}");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/jose")
    );
    let jws = response.text().await.expect("text");
    let set: JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .expect("jwks");
    let keys = set.public_keys();
    let verified = gate_bundle::verify(&jws, |kid| keys.iter().find(|k| k.kid == kid).cloned())
        .expect("the bundle verifies with a key of the JWKS");
    (verified, jws)
}

fn inside(bundle: &GateBundle) -> Vec<(String, String)> {
    bundle
        .inside
        .iter()
        .map(|e| (e.permit_id.clone(), e.side.clone()))
        .collect()
}

/// `later` is `earlier` on SQLite (a counter moved by changes only), and not below it on
/// PostgreSQL (see `borderpass::db::bundles`).
fn same_or_later(later: i64, earlier: i64) {
    match crate::helpers::test_backend() {
        crate::helpers::TestBackend::Sqlite => assert_eq!(later, earlier),
        crate::helpers::TestBackend::Postgres(_) => {
            assert!(later >= earlier, "{later} < {earlier}")
        }
    }
}

/// Revokes `permit` as `admin`.
async fn revoke(app: &TestApp, admin: &str, permit: &Value) {
    let path = format!(
        "/api/v1/permits/{}/revoke",
        permit["permit_id"].as_str().expect("id")
    );
    let response = app
        .post_json_as(admin, &path, &json!({ "reason": "lost document" }))
        .await;
    assert_eq!(response.status(), 200);
}

/// An online scan (`POST /api/v1/scans`); its answer.
async fn scan_online(
    app: &TestApp,
    bearer: &str,
    token: &Value,
    gate: &str,
    direction: &str,
) -> Value {
    app.post_json_as(
        bearer,
        "/api/v1/scans",
        &json!({ "token": token, "gate_id": gate, "direction": direction, "nonce": uuid::Uuid::now_v7().to_string() }),
    )
    .await
    .json()
    .await
    .expect("json")
}

/// Officers at both gates, made by the administrator.
async fn staff(app: &TestApp) -> (String, String, String) {
    let admin = app.admin().await;
    let cn = app.officer(&admin, "cn-officer", "CN-1").await;
    let kz = app.officer(&admin, "kz-officer", "KZ-1").await;
    (admin, cn, kz)
}

#[tokio::test]
async fn a_device_token_fetches_its_gates_bundle_and_uploads_its_scans_and_nothing_else() {
    let app = spawn_app().await;
    let (admin, cn, _kz) = staff(&app).await;
    let (device_id, device) = register_device(&app, &admin, "KZ-1").await;
    let permit = app.issue(1, app.zone_today(), app.zone_today()).await;

    bundle(&app, &device, "KZ-1", None).await;
    problem(app.get_as(&device, "/api/v1/gates/CN-1/bundle").await, 403).await;
    problem(app.get_as(&device, "/api/v1/gates/XX-9/bundle").await, 404).await;
    // Nothing else: staff endpoints answer 403 to a device token.
    problem(app.get_as(&device, "/api/v1/gates").await, 403).await;
    problem(app.get_as(&device, "/api/v1/conflicts").await, 403).await;
    let scan = json!({ "token": permit["token"], "gate_id": "KZ-1", "direction": "entry", "nonce": uuid::Uuid::now_v7().to_string() });
    problem(app.post_json_as(&device, "/api/v1/scans", &scan).await, 403).await;
    // Its own gate's scans are recorded; another gate's item is rejected alone.
    let results = upload(
        &app,
        &device,
        &[
            item(&permit["token"], "CN-1", "entry", now(&app), "admit"),
            item(&permit["token"], "KZ-1", "entry", now(&app), "admit"),
        ],
    )
    .await;
    assert_eq!(results[0]["status"], "rejected", "{results:?}");
    assert_eq!(results[0]["errors"][0]["field"], "gate_id");
    assert_eq!(results[0]["errors"][0]["code"], "not_allowed");
    assert_eq!(results[1]["status"], "recorded", "{results:?}");
    // An item without its officer, from a device, is rejected.
    let mut nameless = item(&permit["token"], "KZ-1", "exit", now(&app), "admit");
    nameless.as_object_mut().expect("object").remove("officer");
    let results = upload(&app, &device, &[nameless]).await;
    assert_eq!(results[0]["errors"][0]["field"], "officer", "{results:?}");
    // Staff: officers at their own gate, administrators anywhere; nobody without a token.
    bundle(&app, &cn, "CN-1", None).await;
    problem(app.get_as(&cn, "/api/v1/gates/KZ-1/bundle").await, 403).await;
    bundle(&app, &admin, "KZ-1", None).await;
    problem(app.get("/api/v1/gates/KZ-1/bundle").await, 401).await;
    // An officer named in an item must be one of that gate.
    let mut wrong_officer = item(&permit["token"], "KZ-1", "exit", now(&app), "admit");
    wrong_officer["officer"] = json!("cn-officer");
    let results = upload(&app, &device, &[wrong_officer]).await;
    assert_eq!(results[0]["status"], "rejected", "{results:?}");
    assert_eq!(results[0]["errors"][0]["field"], "officer");

    let devices: Value = app
        .get_as(&admin, "/api/v1/devices")
        .await
        .json()
        .await
        .expect("json");
    assert!(devices[0]["last_seen_at"].is_string(), "{devices}");
    // Revoked: its token stops working at once, everywhere.
    let revoked = app
        .post_json_as(
            &admin,
            &format!("/api/v1/devices/{device_id}/revoke"),
            &json!({}),
        )
        .await;
    assert_eq!(revoked.status(), 200);
    problem(app.get_as(&device, "/api/v1/gates/KZ-1/bundle").await, 401).await;
    let late = app
        .post_json_as(
            &device,
            "/api/v1/scans/batch",
            &json!({ "scans": [item(&permit["token"], "KZ-1", "exit", now(&app), "admit")] }),
        )
        .await;
    problem(late, 401).await;
    problem(app.get_as(&device, "/api/v1/gates").await, 401).await;
}

#[tokio::test]
async fn the_bundle_lists_keys_revocations_and_who_is_inside_and_grows_its_version() {
    let app = spawn_app().await;
    let (admin, cn, _kz) = staff(&app).await;
    let a = app.issue(1, app.zone_today(), app.zone_today()).await;
    let b = app.issue(2, app.zone_today(), app.zone_today()).await;
    let (first, jws) = bundle(&app, &cn, "CN-1", None).await;
    assert_eq!(first.gate_id, "CN-1");
    assert!(first.inside.is_empty() && first.revoked.is_empty());
    assert!(first
        .keys
        .iter()
        .any(|k| k.kid == a["kid"].as_str().unwrap_or_default()));
    let issued = DateTime::parse_from_rfc3339(&first.issued_at).expect("issued_at");
    let fresh = DateTime::parse_from_rfc3339(&first.fresh_until).expect("fresh_until");
    let valid = DateTime::parse_from_rfc3339(&first.valid_until).expect("valid_until");
    assert_eq!(fresh - issued, Duration::minutes(15));
    assert_eq!(valid - issued, Duration::hours(24));

    // A bundle is no permit token: scanned, it is denied and names no permit.
    let scanned = app
        .post_json_as(
            &cn,
            "/api/v1/scans",
            &json!({ "token": jws, "gate_id": "CN-1", "direction": "entry", "nonce": uuid::Uuid::now_v7().to_string() }),
        )
        .await;
    let scanned: Value = scanned.json().await.expect("json");
    assert_eq!(scanned["decision"], "deny", "{scanned}");
    assert!(scanned["permit"].is_null());
    // Nor a permit token a bundle.
    let set: JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .expect("jwks");
    let keys = set.public_keys();
    assert!(
        gate_bundle::verify(a["token"].as_str().expect("token"), |kid| keys
            .iter()
            .find(|k| k.kid == kid)
            .cloned())
        .is_err()
    );

    let entry = app
        .post_json_as(
            &cn,
            "/api/v1/scans",
            &json!({ "token": a["token"], "gate_id": "CN-1", "direction": "entry", "nonce": uuid::Uuid::now_v7().to_string() }),
        )
        .await;
    assert_eq!(entry.status(), 200);
    let (after_entry, _) = bundle(&app, &cn, "CN-1", None).await;
    assert!(after_entry.version > first.version);
    assert_eq!(
        inside(&after_entry),
        vec![(
            a["permit_id"].as_str().expect("id").to_owned(),
            "CHN".to_owned()
        )]
    );
    revoke(&app, &admin, &b).await;
    let (after_revocation, _) = bundle(&app, &cn, "CN-1", None).await;
    assert!(after_revocation.version > after_entry.version);
    assert_eq!(after_revocation.revoked.len(), 1);
    assert_eq!(
        after_revocation.revoked[0].permit_id,
        b["permit_id"].as_str().expect("id")
    );
    let (again, _) = bundle(&app, &cn, "CN-1", None).await;
    // The same version while nothing changes (on PostgreSQL the version is the cluster's
    // transaction horizon, which other databases' transactions move too: it only never goes back).
    same_or_later(again.version, after_revocation.version);
    assert_eq!(again.inside, after_revocation.inside);
    assert_eq!(again.revoked, after_revocation.revoked);

    let exit = app
        .post_json_as(
            &cn,
            "/api/v1/scans",
            &json!({ "token": a["token"], "gate_id": "CN-1", "direction": "exit", "nonce": uuid::Uuid::now_v7().to_string() }),
        )
        .await;
    assert_eq!(exit.status(), 200);
    let (after_exit, _) = bundle(&app, &cn, "CN-1", None).await;
    assert!(after_exit.version > after_revocation.version);
    assert!(after_exit.inside.is_empty());

    // A delta from the entry's version: who left, what was revoked since.
    let (delta, _) = bundle(&app, &cn, "CN-1", Some(after_entry.version)).await;
    assert_eq!(delta.base_version, Some(after_entry.version));
    same_or_later(delta.version, after_exit.version);
    // `left`: permits whose entry changed and that are not inside (A left; B, revoked, is outside).
    let left = delta.left.clone().unwrap_or_default();
    assert!(
        left.contains(&a["permit_id"].as_str().expect("id").to_owned()),
        "{left:?}"
    );
    assert_eq!(delta.revoked.len(), 1);
    assert!(delta.inside.is_empty());
    // A version not reached yet gets the whole bundle; a bad one is 422.
    let (whole, _) = bundle(&app, &cn, "CN-1", Some(after_exit.version + 100)).await;
    assert_eq!(whole.base_version, None);
    let bad = problem(
        app.get_as(&cn, "/api/v1/gates/CN-1/bundle?since=soon")
            .await,
        422,
    )
    .await;
    assert_eq!(
        field_errors(&bad),
        vec![("since".into(), "invalid_value".into())]
    );
}

#[tokio::test]
async fn uploads_log_what_the_gate_decided_and_open_a_conflict_of_each_broken_rule() {
    let app = spawn_app().await;
    let (admin, cn, _kz) = staff(&app).await;
    let permits: Vec<Value> = issue_today(&app, 6).await;
    let t = now(&app) - Duration::hours(2);
    let revoked = &permits[5];
    revoke(&app, &admin, revoked).await;
    let forged = {
        let token = permits[4]["token"].as_str().expect("token");
        let cut = token.len() - 4;
        json!(format!("{}AAAA", &token[..cut]))
    };
    let good = item(&permits[0]["token"], "CN-1", "entry", t, "admit");
    let mut bad_nonce = item(&permits[1]["token"], "CN-1", "entry", t, "admit");
    bad_nonce["nonce"] = json!("not-a-uuid");
    let too_old = item(
        &permits[1]["token"],
        "CN-1",
        "entry",
        now(&app) - Duration::days(31),
        "admit",
    );
    let too_early = item(
        &permits[1]["token"],
        "CN-1",
        "entry",
        now(&app) + Duration::minutes(6),
        "admit",
    );
    let mut unknown_reason = item(&permits[1]["token"], "CN-1", "entry", t, "deny");
    unknown_reason["device_reason"] = json!("felt_wrong");
    let mut denied = item(&permits[1]["token"], "CN-1", "entry", t, "deny");
    denied["device_reason"] = json!("expired");
    let exit_without_entry = item(&permits[2]["token"], "CN-1", "exit", t, "admit");
    let double_first = item(&permits[3]["token"], "CN-1", "entry", t, "admit");
    let double_second = item(
        &permits[3]["token"],
        "KZ-1",
        "entry",
        t + Duration::minutes(5),
        "admit",
    );
    let forged_admit = item(&forged, "CN-1", "entry", t, "admit");
    // Revoked at the clock's now; admitted offline a minute later.
    let revoked_admit = item(
        &revoked["token"],
        "CN-1",
        "entry",
        now(&app) + Duration::minutes(1),
        "admit",
    );
    // An entry before the revocation broke no rule.
    let before_revocation = item(
        &revoked["token"],
        "KZ-1",
        "entry",
        t - Duration::minutes(30),
        "admit",
    );
    let results = upload(
        &app,
        &admin,
        &[
            good.clone(),
            bad_nonce,
            too_old,
            too_early,
            unknown_reason,
            denied,
            exit_without_entry,
            double_first,
            double_second,
            forged_admit,
            before_revocation,
            revoked_admit,
        ],
    )
    .await;
    let status: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        status,
        [
            "recorded", "rejected", "rejected", "rejected", "rejected", "recorded", "recorded",
            "recorded", "recorded", "recorded", "recorded", "recorded"
        ],
        "{results:#?}"
    );
    assert_eq!(results[0]["decision"], "admit");
    assert_eq!(results[0]["flags"], json!(["offline"]));
    assert!(results[0].get("conflict_id").is_none());
    assert_eq!(results[1]["errors"][0]["field"], "nonce");
    assert_eq!(results[2]["errors"][0]["field"], "scanned_at");
    assert_eq!(results[2]["errors"][0]["code"], "out_of_range");
    assert_eq!(results[3]["errors"][0]["field"], "scanned_at");
    assert_eq!(results[3]["errors"][0]["code"], "out_of_range");
    assert_eq!(results[4]["errors"][0]["field"], "device_reason");
    // A device deny is logged as denied, with the gate's reason.
    assert_eq!(
        (
            results[5]["decision"].as_str(),
            results[5]["reason"].as_str()
        ),
        (Some("deny"), Some("expired"))
    );
    assert_eq!(results[5]["flags"], json!(["offline"]));
    // Each admission against a rule: admitted, flagged, and a conflict of that rule.
    for (i, kind) in [
        (6, "not_inside"),
        (8, "already_inside"),
        (9, "bad_signature"),
        (11, "revoked"),
    ] {
        assert_eq!(results[i]["decision"], "admit", "{i}: {}", results[i]);
        assert_eq!(results[i]["flags"], json!(["offline", "conflict"]), "{i}");
        assert_eq!(results[i]["conflict_kind"], kind, "{i}");
        assert!(results[i]["conflict_id"].is_string(), "{i}");
    }
    assert!(results[7].get("conflict_id").is_none(), "{}", results[7]);
    assert!(results[10].get("conflict_id").is_none(), "{}", results[10]);
    // Sent again: replayed, the first result; nothing new logged.
    let again = upload(&app, &cn, std::slice::from_ref(&good))
        .await
        .remove(0);
    assert_eq!(again["status"], "replayed");
    assert_eq!(again["scan_id"], results[0]["scan_id"]);

    let conflicts: Value = app
        .get_as(&admin, "/api/v1/conflicts?status=open")
        .await
        .json()
        .await
        .expect("json");
    let conflicts = conflicts.as_array().expect("list");
    assert_eq!(conflicts.len(), 4, "{conflicts:#?}");
    let double = conflicts
        .iter()
        .find(|c| c["kind"] == "already_inside")
        .expect("double entry");
    assert_eq!(double["permit_id"], permits[3]["permit_id"]);
    assert_eq!(
        double["scan_ids"],
        json!([results[7]["scan_id"], results[8]["scan_id"]])
    );
    let forged_conflict = conflicts
        .iter()
        .find(|c| c["kind"] == "bad_signature")
        .expect("forged");
    assert!(forged_conflict["permit_id"].is_null());
}

/// Issues `n` permits for today.
async fn issue_today(app: &TestApp, n: u32) -> Vec<Value> {
    let mut permits = Vec::new();
    for i in 0..n {
        permits.push(app.issue(100 + i, app.zone_today(), app.zone_today()).await);
    }
    permits
}

#[tokio::test]
async fn a_late_entry_closes_the_conflict_its_exit_opened_and_presence_follows_scanned_at() {
    let app = spawn_app().await;
    let (admin, cn, kz) = staff(&app).await;
    let permit = app.issue(1, app.zone_today(), app.zone_today()).await;
    let t = now(&app) - Duration::hours(3);
    // The exit reaches the service first: no entry in the log, a conflict.
    let exit = upload(
        &app,
        &cn,
        &[item(
            &permit["token"],
            "CN-1",
            "exit",
            t + Duration::hours(1),
            "admit",
        )],
    )
    .await;
    assert_eq!(exit[0]["conflict_kind"], "not_inside", "{exit:?}");
    let conflict_id = exit[0]["conflict_id"].clone();
    // Then its entry, made an hour before: the conflict is explained and closed with a note.
    let entry = upload(
        &app,
        &cn,
        &[item(&permit["token"], "CN-1", "entry", t, "admit")],
    )
    .await;
    assert_eq!(entry[0]["flags"], json!(["offline"]), "{entry:?}");
    let all: Value = app
        .get_as(&admin, "/api/v1/conflicts")
        .await
        .json()
        .await
        .expect("json");
    let closed = all
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["conflict_id"] == conflict_id)
        .expect("the conflict")
        .clone();
    assert_eq!(closed["status"], "resolved", "{closed}");
    assert!(closed["resolved_by"].is_null());
    assert_eq!(closed["explained_by"], entry[0]["scan_id"]);
    assert!(
        closed["note"].as_str().unwrap_or("").contains("entry"),
        "{closed}"
    );
    // The exit is the latest crossing: the holder is outside.
    let (now_bundle, _) = bundle(&app, &cn, "CN-1", None).await;
    assert!(inside(&now_bundle).is_empty());

    // An entry uploaded late puts its holder inside from the moment it happened: the online exit
    // that follows is admitted, at the side of the entry only.
    let other = app.issue(2, app.zone_today(), app.zone_today()).await;
    let late = upload(
        &app,
        &kz,
        &[item(
            &other["token"],
            "KZ-1",
            "entry",
            now(&app) - Duration::minutes(30),
            "admit",
        )],
    )
    .await;
    assert_eq!(late[0]["status"], "recorded");
    let (b, _) = bundle(&app, &kz, "KZ-1", None).await;
    assert_eq!(
        inside(&b),
        vec![(
            other["permit_id"].as_str().expect("id").to_owned(),
            "KAZ".to_owned()
        )]
    );
    let wrong_side: Value = scan_online(&app, &cn, &other["token"], "CN-1", "exit").await;
    assert_eq!(wrong_side["reason"], "wrong_side", "{wrong_side}");

    // An entry uploaded late before an entry already logged: a double entry, which names both.
    let third = app.issue(3, app.zone_today(), app.zone_today()).await;
    let online: Value = scan_online(&app, &kz, &third["token"], "KZ-1", "entry").await;
    assert_eq!(online["decision"], "admit", "{online}");
    let earlier = upload(
        &app,
        &cn,
        &[item(
            &third["token"],
            "CN-1",
            "entry",
            now(&app) - Duration::hours(1),
            "admit",
        )],
    )
    .await;
    assert_eq!(earlier[0]["conflict_kind"], "already_inside", "{earlier:?}");
    let all: Value = app
        .get_as(&admin, "/api/v1/conflicts?status=open")
        .await
        .json()
        .await
        .expect("json");
    let double = all
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["conflict_id"] == earlier[0]["conflict_id"])
        .expect("the conflict")
        .clone();
    assert_eq!(
        double["scan_ids"],
        json!([online["scan_id"], earlier[0]["scan_id"]])
    );
    // The online entry is the latest crossing: the holder stays inside at the Kazakh side.
    let (b, _) = bundle(&app, &kz, "KZ-1", None).await;
    assert!(inside(&b).contains(&(
        third["permit_id"].as_str().expect("id").to_owned(),
        "KAZ".to_owned()
    )));
}

#[tokio::test]
async fn administrators_list_and_resolve_conflicts_and_a_disputed_holder_leaves_by_either_side() {
    let app = spawn_app().await;
    let (admin, _cn, kz) = staff(&app).await;
    let permit = app.issue(1, app.zone_today(), app.zone_today()).await;
    let t = now(&app) - Duration::hours(1);
    // Entered at the Kazakh gate, then (offline) again at the Chinese one: a conflict.
    let results = upload(
        &app,
        &admin,
        &[
            item(&permit["token"], "KZ-1", "entry", t, "admit"),
            item(
                &permit["token"],
                "CN-1",
                "entry",
                t + Duration::minutes(10),
                "admit",
            ),
        ],
    )
    .await;
    let conflict_id = results[1]["conflict_id"]
        .as_str()
        .expect("conflict")
        .to_owned();
    // The latest entry was at the Chinese gate; while the conflict is open, the holder may also
    // leave through the Kazakh one.
    let (b, _) = bundle(&app, &admin, "KZ-1", None).await;
    assert_eq!(
        inside(&b),
        vec![(
            permit["permit_id"].as_str().expect("id").to_owned(),
            "CHN".to_owned()
        )]
    );
    let exit: Value = scan_online(&app, &kz, &permit["token"], "KZ-1", "exit").await;
    assert_eq!(exit["decision"], "admit", "{exit}");

    problem(app.get_as(&kz, "/api/v1/conflicts").await, 403).await;
    problem(app.get("/api/v1/conflicts").await, 401).await;
    let bad = problem(
        app.get_as(&admin, "/api/v1/conflicts?status=maybe").await,
        422,
    )
    .await;
    assert_eq!(
        field_errors(&bad),
        vec![("status".into(), "invalid_value".into())]
    );
    let open: Value = app
        .get_as(&admin, "/api/v1/conflicts?status=open")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(open.as_array().map(Vec::len), Some(1));
    assert_eq!(open[0]["permit_id"], permit["permit_id"]);
    assert_eq!(open[0]["scan_ids"].as_array().map(Vec::len), Some(2));

    let path = format!("/api/v1/conflicts/{conflict_id}/resolve");
    let no_note = problem(app.post_json_as(&admin, &path, &json!({})).await, 422).await;
    assert_eq!(
        field_errors(&no_note),
        vec![("note".into(), "required".into())]
    );
    problem(
        app.post_json_as(&kz, &path, &json!({ "note": "x" })).await,
        403,
    )
    .await;
    let resolved = app
        .post_json_as(
            &admin,
            &path,
            &json!({ "note": "Same traveler; the CN-1 lane was offline and waved them through." }),
        )
        .await;
    assert_eq!(resolved.status(), 200);
    let resolved: Value = resolved.json().await.expect("json");
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["resolved_by"], "chief");
    problem(
        app.post_json_as(&admin, &path, &json!({ "note": "again" }))
            .await,
        409,
    )
    .await;
    let unknown = format!("/api/v1/conflicts/{}/resolve", uuid::Uuid::now_v7());
    problem(
        app.post_json_as(&admin, &unknown, &json!({ "note": "x" }))
            .await,
        404,
    )
    .await;
    let open: Value = app
        .get_as(&admin, "/api/v1/conflicts?status=open")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(open, json!([]));
}

#[tokio::test]
async fn offline_crossings_count_on_the_day_they_happened() {
    let app = spawn_app().await;
    staff(&app).await;
    let permit = app
        .issue(1, app.zone_today(), app.zone_today() + chrono::Days::new(9))
        .await;
    app.clock.advance(Duration::days(3));
    let admin = app.login("chief", crate::helpers::ADMIN_PASSWORD).await;
    let kz = app
        .login("kz-officer", crate::helpers::OFFICER_PASSWORD)
        .await;
    let two_days_ago = now(&app) - Duration::days(2);
    let results = upload(
        &app,
        &kz,
        &[item(
            &permit["token"],
            "KZ-1",
            "entry",
            two_days_ago,
            "admit",
        )],
    )
    .await;
    assert_eq!(results[0]["status"], "recorded", "{results:?}");
    let day = two_days_ago
        .with_timezone(&chrono_tz::Asia::Almaty)
        .date_naive();
    let report: Value = app
        .get_as(
            &admin,
            &format!(
                "/api/v1/stats/daily?from={day}&to={}&tz=Asia/Almaty",
                day + chrono::Days::new(2)
            ),
        )
        .await
        .json()
        .await
        .expect("json");
    let entries: Vec<i64> = report["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| d["entries"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(entries, vec![1, 0, 0], "{report}");
}

#[tokio::test]
async fn an_upload_through_one_instance_and_an_online_scan_through_another_are_both_logged() {
    let app = spawn_app().await;
    let (admin, cn, kz) = staff(&app).await;
    let peer = app.spawn_peer().await;
    for round in 0..6_u32 {
        let permit = app
            .issue(10 + round, app.zone_today(), app.zone_today())
            .await;
        let batch = json!({ "scans": [item(&permit["token"], "CN-1", "entry", now(&app) - Duration::minutes(1), "admit")] });
        let online = json!({ "token": permit["token"], "gate_id": "KZ-1", "direction": "entry", "nonce": uuid::Uuid::now_v7().to_string() });
        let (uploaded, scanned) = tokio::join!(
            app.post_json_as(&cn, "/api/v1/scans/batch", &batch),
            peer.post_json_as(&kz, "/api/v1/scans", &online)
        );
        let uploaded: Value = uploaded.json().await.expect("json");
        let scanned: Value = scanned.json().await.expect("json");
        let offline = &uploaded["results"][0];
        assert_eq!(offline["status"], "recorded", "{uploaded}");
        // Either the online entry came first (admitted; the earlier offline entry then contradicts
        // it) or the offline one did (the online entry finds the holder inside).
        let online_first = scanned["decision"] == "admit";
        if online_first {
            assert_eq!(
                offline["conflict_kind"], "already_inside",
                "{uploaded} {scanned}"
            );
        } else {
            assert_eq!(scanned["reason"], "already_inside", "{scanned}");
            assert!(offline.get("conflict_id").is_none(), "{uploaded}");
        }
        let (b, _) = bundle(&app, &admin, "CN-1", None).await;
        let side = if online_first { "KAZ" } else { "CHN" };
        assert!(
            inside(&b).contains(&(
                permit["permit_id"].as_str().expect("id").to_owned(),
                side.to_owned()
            )),
            "{:?}",
            inside(&b)
        );
    }
}
