//! Staff accounts, login, throttling, the authorization matrix, gates.

use chrono::Duration;
use serde_json::{json, Value};

use crate::helpers::{field_errors, problem, spawn_app, ADMIN_PASSWORD, OFFICER_PASSWORD};

#[tokio::test]
async fn gates_cn1_and_kz1_exist_from_the_first_start() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let gates: Value = app
        .get_as(&admin, "/api/v1/gates")
        .await
        .json()
        .await
        .expect("json");
    let summary: Vec<(String, String, String)> = gates
        .as_array()
        .expect("list")
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap_or_default().into(),
                g["side"].as_str().unwrap_or_default().into(),
                g["time_zone"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "CN-1".to_owned(),
                "CHN".to_owned(),
                "Asia/Shanghai".to_owned()
            ),
            (
                "KZ-1".to_owned(),
                "KAZ".to_owned(),
                "Asia/Almaty".to_owned()
            )
        ]
    );
    // Administrators add gates per side; the side's clock is the default.
    let response = app
        .post_json_as(
            &admin,
            "/api/v1/gates",
            &json!({ "id": "KZ-2", "side": "KAZ", "name": "Kazakhstan freight gate" }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let gate: Value = response.json().await.expect("json");
    assert_eq!(gate["time_zone"], "Asia/Almaty");
    problem(
        app.post_json_as(
            &admin,
            "/api/v1/gates",
            &json!({ "id": "KZ-2", "side": "KAZ" }),
        )
        .await,
        409,
    )
    .await;
    let found = field_errors(
        &problem(
            app.post_json_as(
                &admin,
                "/api/v1/gates",
                &json!({ "id": "x", "side": "RUS", "time_zone": "Mars/Base" }),
            )
            .await,
            422,
        )
        .await,
    );
    assert_eq!(found.len(), 3, "{found:?}");
    // An officer of the new gate scans there.
    let officer = app.officer(&admin, "freight", "KZ-2").await;
    assert_eq!(app.get_as(&officer, "/api/v1/gates").await.status(), 200);
}

#[tokio::test]
async fn the_authorization_matrix() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cn = app.officer(&admin, "officer.cn", "CN-1").await;
    let permit_id = uuid::Uuid::now_v7();
    let scan = json!({ "token": "x", "gate_id": "KZ-1", "direction": "entry", "nonce": uuid::Uuid::new_v4().to_string() });
    let admin_only: Vec<(&str, String, Value)> = vec![
        (
            "POST",
            "/api/v1/users".into(),
            json!({ "username": "new.one", "password": OFFICER_PASSWORD, "role": "admin" }),
        ),
        (
            "PATCH",
            "/api/v1/users/officer.cn".into(),
            json!({ "disabled": true }),
        ),
        (
            "POST",
            "/api/v1/gates".into(),
            json!({ "id": "CN-2", "side": "CHN" }),
        ),
        (
            "POST",
            format!("/api/v1/permits/{permit_id}/revoke"),
            json!({ "reason": "test" }),
        ),
    ];
    let send = |method: &str, path: &str, bearer: Option<&str>, body: &Value| {
        let request = match method {
            "PATCH" => app.client.patch(app.url(path)),
            "GET" => app.client.get(app.url(path)),
            _ => app.client.post(app.url(path)),
        };
        let request = match bearer {
            Some(b) => request.bearer_auth(b),
            None => request,
        };
        let request = if method == "GET" {
            request
        } else {
            request.json(body)
        };
        request.send()
    };
    let mut everything = admin_only.clone();
    everything.push(("POST", "/api/v1/scans".into(), scan.clone()));
    everything.push(("GET", "/api/v1/gates".into(), Value::Null));
    for (method, path, body) in &everything {
        problem(send(method, path, None, body).await.expect("sent"), 401).await;
        problem(
            send(method, path, Some("not.a.token"), body)
                .await
                .expect("sent"),
            401,
        )
        .await;
    }
    for (method, path, body) in &admin_only {
        problem(
            send(method, path, Some(&cn), body).await.expect("sent"),
            403,
        )
        .await;
    }
    // An officer scans at their own gate only.
    problem(
        send("POST", "/api/v1/scans", Some(&cn), &scan)
            .await
            .expect("sent"),
        403,
    )
    .await;
    let mut own_gate = scan.clone();
    own_gate["gate_id"] = json!("CN-1");
    assert_eq!(
        send("POST", "/api/v1/scans", Some(&cn), &own_gate)
            .await
            .expect("sent")
            .status(),
        200
    );
    // An administrator scans anywhere.
    let mut anywhere = scan.clone();
    anywhere["nonce"] = json!(uuid::Uuid::new_v4().to_string());
    assert_eq!(
        send("POST", "/api/v1/scans", Some(&admin), &anywhere)
            .await
            .expect("sent")
            .status(),
        200
    );
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_look_alike_and_repeated_failures_are_throttled() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.officer(&admin, "officer.kz", "KZ-1").await;
    let login = |username: &str, password: &str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "username": username, "password": password }))
            .send()
    };
    let unknown = problem(
        login("nobody", "whatever password").await.expect("sent"),
        401,
    )
    .await;
    let wrong = problem(
        login("officer.kz", "a wrong password").await.expect("sent"),
        401,
    )
    .await;
    assert_eq!(unknown, wrong);
    // Five failures in all for officer.kz (one above, four here), then 429, even with the right password.
    for _ in 0..4 {
        problem(
            login("officer.kz", "a wrong password").await.expect("sent"),
            401,
        )
        .await;
    }
    let blocked = login("officer.kz", OFFICER_PASSWORD).await.expect("sent");
    assert_eq!(blocked.status(), 429);
    let retry_after: i64 = blocked.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry_after > 0 && retry_after <= 900, "{retry_after}");
    problem(blocked, 429).await;
    // The block ends.
    app.clock.advance(Duration::seconds(901));
    assert_eq!(
        login("officer.kz", OFFICER_PASSWORD)
            .await
            .expect("sent")
            .status(),
        200
    );
}

#[tokio::test]
async fn one_client_address_guessing_many_usernames_is_throttled_too() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.officer(&admin, "officer.cn", "CN-1").await;
    // Four times the per-username limit, spread over names that each stay under it.
    for i in 0..20 {
        let body = json!({ "username": format!("guess{}", i / 4), "password": "a wrong password" });
        problem(app.post_json("/api/v1/auth/login", &body).await, 401).await;
    }
    let body = json!({ "username": "officer.cn", "password": OFFICER_PASSWORD });
    problem(app.post_json("/api/v1/auth/login", &body).await, 429).await;
}

#[tokio::test]
async fn a_disabled_users_tokens_stop_working_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let officer = app.officer(&admin, "officer.cn", "CN-1").await;
    assert_eq!(app.get_as(&officer, "/api/v1/gates").await.status(), 200);
    let response = app
        .client
        .patch(app.url("/api/v1/users/officer.cn"))
        .bearer_auth(&admin)
        .json(&json!({ "disabled": true }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let user: Value = response.json().await.expect("json");
    assert_eq!(user["disabled"], true);
    assert!(user.get("password_hash").is_none());
    problem(app.get_as(&officer, "/api/v1/gates").await, 401).await;
    problem(
        app.post_json(
            "/api/v1/auth/login",
            &json!({ "username": "officer.cn", "password": OFFICER_PASSWORD }),
        )
        .await,
        401,
    )
    .await;
    let response = app
        .client
        .patch(app.url("/api/v1/users/officer.cn"))
        .bearer_auth(&admin)
        .json(&json!({ "disabled": false }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    // Enabling does not revive the tokens of before: a fresh login does.
    problem(app.get_as(&officer, "/api/v1/gates").await, 401).await;
    let fresh = app.login("officer.cn", OFFICER_PASSWORD).await;
    assert_eq!(
        app.get_as(&fresh, "/api/v1/gates").await.status(),
        200,
        "enabled again"
    );
    let missing = app
        .client
        .patch(app.url("/api/v1/users/nobody"))
        .bearer_auth(&admin)
        .json(&json!({ "disabled": true }))
        .send()
        .await
        .expect("sent");
    problem(missing, 404).await;
}

#[tokio::test]
async fn new_accounts_are_checked_and_access_tokens_expire() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let found = field_errors(
        &problem(
            app.post_json_as(
                &admin,
                "/api/v1/users",
                &json!({ "username": "X", "password": "short", "role": "guard" }),
            )
            .await,
            422,
        )
        .await,
    );
    assert_eq!(
        found,
        vec![
            ("username".to_owned(), "invalid_value".to_owned()),
            ("password".to_owned(), "invalid_length".to_owned()),
            ("role".to_owned(), "invalid_value".to_owned()),
        ]
    );
    let found = field_errors(
        &problem(
            app.post_json_as(
                &admin,
                "/api/v1/users",
                &json!({ "username": "lost", "password": OFFICER_PASSWORD, "role": "officer" }),
            )
            .await,
            422,
        )
        .await,
    );
    assert_eq!(found, vec![("gate_id".to_owned(), "required".to_owned())]);
    let found = field_errors(&problem(app.post_json_as(&admin, "/api/v1/users", &json!({ "username": "lost", "password": OFFICER_PASSWORD, "role": "officer", "gate_id": "XX-1" })).await, 422).await);
    assert_eq!(
        found,
        vec![("gate_id".to_owned(), "unknown_gate".to_owned())]
    );
    app.officer(&admin, "twice", "CN-1").await;
    let again = json!({ "username": "twice", "password": OFFICER_PASSWORD, "role": "officer", "gate_id": "CN-1" });
    problem(app.post_json_as(&admin, "/api/v1/users", &again).await, 409).await;
    // The command line refuses the same things.
    let out = app.cli_add_user("twice", "officer", Some("CN-1"), OFFICER_PASSWORD);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("taken"));
    let out = app.cli_add_user("weak", "admin", None, "short");
    assert!(!out.status.success());
    // Access tokens are short-lived.
    app.clock.advance(Duration::seconds(901));
    problem(app.get_as(&admin, "/api/v1/gates").await, 401).await;
    let fresh = app.login("chief", ADMIN_PASSWORD).await;
    assert_eq!(app.get_as(&fresh, "/api/v1/gates").await.status(), 200);
}

#[tokio::test]
async fn staff_see_any_permit_with_its_full_number() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let today = app.zone_today();
    let body = crate::helpers::documents::application(
        crate::helpers::documents::passport(300),
        today,
        today.succ_opt().expect("date"),
    );
    let permit: Value = app
        .post_json("/api/v1/permits", &body)
        .await
        .json()
        .await
        .expect("json");
    let path = format!(
        "/api/v1/permits/{}",
        permit["permit_id"].as_str().expect("id")
    );
    let seen: Value = app.get_as(&admin, &path).await.json().await.expect("json");
    assert_eq!(seen["holder"]["document"]["number"], "N00000300");
    problem(app.get_as("bad token", &path).await, 401).await;
}

#[tokio::test]
async fn two_letter_usernames_such_as_li_and_wu_work_and_sixty_five_letters_do_not() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // By the API, then by the command line: the same rule.
    let token = app.officer(&admin, "Li", "CN-1").await;
    assert_eq!(app.get_as(&token, "/api/v1/gates").await.status(), 200);
    let out = app.cli_add_user("wu", "officer", Some("KZ-1"), OFFICER_PASSWORD);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wu = app.login("wu", OFFICER_PASSWORD).await;
    assert_eq!(app.get_as(&wu, "/api/v1/gates").await.status(), 200);
    let longest = "a".repeat(64);
    let body = json!({ "username": longest, "password": OFFICER_PASSWORD, "role": "admin" });
    assert_eq!(
        app.post_json_as(&admin, "/api/v1/users", &body)
            .await
            .status(),
        201
    );
    let too_long =
        json!({ "username": "a".repeat(65), "password": OFFICER_PASSWORD, "role": "admin" });
    let found = field_errors(
        &problem(
            app.post_json_as(&admin, "/api/v1/users", &too_long).await,
            422,
        )
        .await,
    );
    assert_eq!(
        found,
        vec![("username".to_owned(), "invalid_value".to_owned())]
    );
}
