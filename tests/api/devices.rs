//! Gate devices: administrators register them for one gate, see them (never their tokens), revoke them.

use serde_json::{json, Value};

use crate::helpers::{field_errors, problem, spawn_app};

#[tokio::test]
async fn administrators_register_list_and_revoke_devices_and_tokens_are_shown_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let response = app
        .post_json_as(
            &admin,
            "/api/v1/devices",
            &json!({ "gate_id": "KZ-1", "label": "  lane 3, left " }),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let registered: Value = response.json().await.expect("json");
    let token = registered["device_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let id = registered["device_id"].as_str().expect("id").to_owned();
    assert_eq!(token.len(), 43);
    assert_eq!(registered["gate_id"], "KZ-1");
    assert_eq!(registered["label"], "lane 3, left");
    let second: Value = app
        .post_json_as(
            &admin,
            "/api/v1/devices",
            &json!({ "gate_id": "CN-1", "label": "lane 1" }),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_ne!(second["device_token"], registered["device_token"]);

    // The list shows both, and no token, nor its hash.
    let response = app.get_as(&admin, "/api/v1/devices").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("body");
    assert!(!text.contains(&token) && !text.contains("token"), "{text}");
    let listed: Vec<Value> = serde_json::from_str(&text).expect("json");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["device_id"], id.as_str());
    assert_eq!(listed[0]["revoked"], false);
    assert_eq!(listed[0]["last_seen_at"], Value::Null);

    // Nor is the token in the database.
    let stored: Vec<String> = app
        .store()
        .read(|conn| {
            use diesel::prelude::*;
            Ok(borderpass::db::schema::devices::table
                .select(borderpass::db::schema::devices::token_hash)
                .load(conn)?)
        })
        .await
        .expect("read");
    assert!(stored.iter().all(|h| *h != token && h.len() == 43));

    // A device token is no staff token: known, but not allowed.
    let response = app.get_as(&token, "/api/v1/gates").await;
    problem(response, 403).await;

    // Revoked, and revoking again changes nothing; unknown ids are 404.
    let path = format!("/api/v1/devices/{id}/revoke");
    let response = app.post_json_as(&admin, &path, &json!({})).await;
    assert_eq!(response.status(), 200);
    let revoked: Value = response.json().await.expect("json");
    assert_eq!(revoked["revoked"], true);
    let again: Value = app
        .post_json_as(&admin, &path, &json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again, revoked);
    for unknown in [
        "/api/v1/devices/0190c2d4-0000-7000-8000-000000000000/revoke",
        "/api/v1/devices/not-a-uuid/revoke",
    ] {
        problem(app.post_json_as(&admin, unknown, &json!({})).await, 404).await;
    }
}

#[tokio::test]
async fn only_administrators_manage_devices_and_bad_registrations_list_every_problem() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let officer = app.officer(&admin, "gate-officer", "CN-1").await;
    let body = json!({ "gate_id": "CN-1", "label": "lane 1" });
    problem(
        app.post_json_as(&officer, "/api/v1/devices", &body).await,
        403,
    )
    .await;
    problem(app.get_as(&officer, "/api/v1/devices").await, 403).await;
    problem(app.post_json("/api/v1/devices", &body).await, 401).await;

    let response = app
        .post_json_as(
            &admin,
            "/api/v1/devices",
            &json!({ "gate_id": "XX-9", "label": "a\tb" }),
        )
        .await;
    let found = problem(response, 422).await;
    assert_eq!(
        field_errors(&found),
        [
            ("gate_id".to_owned(), "unknown_gate".to_owned()),
            ("label".to_owned(), "invalid_value".to_owned())
        ]
    );
    let response = app
        .post_json_as(&admin, "/api/v1/devices", &json!({}))
        .await;
    let found = problem(response, 422).await;
    assert_eq!(
        field_errors(&found),
        [
            ("gate_id".to_owned(), "required".to_owned()),
            ("label".to_owned(), "required".to_owned())
        ]
    );
    let response = app
        .post_json_as(
            &admin,
            "/api/v1/devices",
            &json!({ "gate_id": "CN-1", "label": "x", "secret": 1 }),
        )
        .await;
    problem(response, 422).await;
    // Nothing was registered by any of these.
    let listed: Vec<Value> = app
        .get_as(&admin, "/api/v1/devices")
        .await
        .json()
        .await
        .expect("json");
    assert!(listed.is_empty());
}
