//! The administrators' pages in a real browser: log in, the daily table against the API's counts
//! and its chart, a permit found and revoked (its next entry denied), a conflict resolved, staff
//! and devices managed, the audit trail, every page in four languages, and axe-core on each.

use chrono::{Duration, SecondsFormat};
use serde_json::{json, Value};

use crate::browser::{says, Browser};
use crate::helpers::{spawn_app, TestApp, ADMIN_PASSWORD, OFFICER_PASSWORD};
use borderpass::web::i18n::Lang;

async fn api(app: &TestApp, bearer: &str, path: &str) -> Value {
    let response = app.get_as(bearer, path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("json")
}

async fn scan(app: &TestApp, bearer: &str, token: &Value, gate: &str, direction: &str) -> Value {
    let body = json!({ "token": token, "gate_id": gate, "direction": direction,
                       "nonce": uuid::Uuid::now_v7().to_string() });
    let response = app.post_json_as(bearer, "/api/v1/scans", &body).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

async fn log_in(browser: &Browser, app: &TestApp, username: &str, password: &str) {
    browser.goto(app, "/admin?lang=en").await;
    browser.fill("username", username).await;
    browser.fill("password", password).await;
    browser.click("#login-form button[type=submit]").await;
}

#[tokio::test]
async fn an_administrator_reads_the_counts_revokes_a_permit_and_resolves_a_conflict() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let officer = app.officer(&admin, "li", "CN-1").await;
    let today = app.zone_today();
    let permit = app.issue(1, today, today + chrono::Days::new(2)).await;
    let other = app.issue(2, today, today).await;
    // Crossings: an entry and an exit of the first permit, a refused second exit.
    scan(&app, &officer, &permit["token"], "CN-1", "entry").await;
    app.clock.advance(Duration::minutes(5));
    scan(&app, &officer, &permit["token"], "CN-1", "exit").await;
    scan(&app, &officer, &permit["token"], "CN-1", "exit").await;
    // A conflict: an exit admitted offline with no entry in the log.
    let made = borderpass::clock::Clock::now(&*app.clock) - Duration::minutes(2);
    let upload = app
        .post_json_as(
            &officer,
            "/api/v1/scans/batch",
            &json!({ "scans": [{ "nonce": uuid::Uuid::now_v7().to_string(), "token": other["token"],
                "gate_id": "CN-1", "direction": "exit", "device_decision": "admit",
                "scanned_at": made.to_rfc3339_opts(SecondsFormat::Secs, true) }] }),
        )
        .await;
    assert_eq!(upload.status(), 200);

    let browser = Browser::start(true).await;
    browser.goto(&app, "/admin?lang=en").await;
    browser.assert_accessible("the administrators' login").await;
    log_in(&browser, &app, "chief", ADMIN_PASSWORD).await;
    browser.find("#daily-counts").await;

    // The daily table, for a range and a time zone, is the API's.
    let from = (today - chrono::Days::new(9)).to_string();
    let query = format!("from={from}&to={today}&tz=Asia/Almaty");
    browser.goto(&app, &format!("/admin?{query}")).await;
    let rows = browser
        .client
        .find_all(fantoccini::Locator::Css("#daily-counts tbody tr"))
        .await
        .expect("rows");
    let mut table = Vec::new();
    for row in rows {
        table.push(
            row.text()
                .await
                .expect("text")
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        );
    }
    let daily = api(&app, &admin, &format!("/api/v1/stats/daily?{query}")).await;
    let expected: Vec<Vec<String>> = daily["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| {
            let mut cells = vec![d["date"].as_str().expect("date").to_owned()];
            for k in ["entries", "exits", "travelers", "denied", "permits_issued"] {
                cells.push(d[k].to_string());
            }
            cells
        })
        .collect();
    assert_eq!(table, expected);
    // Today: the one entry; the exit and the exit admitted offline; the refused exit.
    let last = table.last().expect("today");
    assert_eq!(
        (last[1].as_str(), last[2].as_str(), last[4].as_str()),
        ("1", "2", "1")
    );
    // The chart is drawn, with its four lines, and the range form keeps what was asked.
    for class in ["entries", "exits", "travelers", "denied"] {
        assert!(
            browser
                .has(&format!("#daily-chart svg polyline.{class}"))
                .await,
            "{class}"
        );
    }
    assert_eq!(browser.value("from").await, from);
    assert_eq!(browser.value("tz").await, "Asia/Almaty");
    browser.assert_accessible("the dashboard").await;

    // Find the permit by the surname's beginning and birth date, open it: every crossing.
    browser.goto(&app, "/admin/permits").await;
    browser.fill("surname_prefix", "ivan").await;
    browser.fill("birth_date", "1990-01-31").await;
    browser.click("#search-form button[type=submit]").await;
    assert_eq!(browser.text("#result-count").await, "2");
    browser.assert_accessible("the search results").await;
    let id = permit["permit_id"].as_str().expect("id");
    browser
        .click(&format!("#search-results a[href=\"/admin/permits/{id}\"]"))
        .await;
    assert_eq!(browser.text("#permit-id").await, id);
    let crossings = browser
        .client
        .find_all(fantoccini::Locator::Css("#crossings tbody tr"))
        .await
        .expect("rows");
    let logged = api(&app, &admin, &format!("/api/v1/permits/{id}/scans")).await;
    assert_eq!(crossings.len(), logged.as_array().expect("list").len());
    assert_eq!(crossings.len(), 3);
    browser.assert_accessible("a permit's page").await;

    // Revoke it with a reason: the page says so, and its next entry is denied.
    browser.fill("reason", "document reported stolen").await;
    browser.click("#revoke-form button[type=submit]").await;
    browser.find("#page-notice").await;
    assert_eq!(
        browser.text("#permit-status").await,
        says(Lang::En, "admin-status-revoked")
    );
    assert_eq!(
        browser.text("#revoked-reason").await,
        "document reported stolen"
    );
    let denied = scan(&app, &officer, &permit["token"], "CN-1", "entry").await;
    assert_eq!(
        (denied["decision"].as_str(), denied["reason"].as_str()),
        (Some("deny"), Some("revoked"))
    );

    // Resolve the conflict with a note.
    browser.goto(&app, "/admin/conflicts").await;
    assert_eq!(browser.text("#open-count").await, "1");
    browser.assert_accessible("the conflicts").await;
    browser
        .fill("note", "seen on the camera: entered by the freight lane")
        .await;
    browser.click(".resolve-form button[type=submit]").await;
    browser.find("#page-notice").await;
    assert_eq!(browser.text("#open-count").await, "0");
    let open = api(&app, &admin, "/api/v1/conflicts?status=open").await;
    assert_eq!(open, json!([]));

    // Staff: create an officer, then disable them; their token stops working at once.
    browser.goto(&app, "/admin/staff").await;
    browser.fill("username", "aigerim").await;
    browser.fill("password", OFFICER_PASSWORD).await;
    browser.fill("role", "officer").await;
    browser.fill("gate_id", "KZ-1").await;
    browser.click("#account-form button[type=submit]").await;
    browser.find("#page-notice").await;
    let token = app.login("aigerim", OFFICER_PASSWORD).await;
    browser
        .click("tr[data-username=aigerim] button[type=submit]")
        .await;
    // (The creation's notice is on the page until the answer replaces it.)
    browser.find("tr[data-username=aigerim] .badge.bad").await;
    assert_eq!(app.get_as(&token, "/api/v1/gates").await.status(), 401);
    browser.assert_accessible("the staff page").await;

    // Devices: register one, its token shown once and working; revoke it.
    browser.goto(&app, "/admin/devices").await;
    browser.fill("gate_id", "KZ-1").await;
    browser.fill("label", "lane 3").await;
    browser.click("#device-form button[type=submit]").await;
    let device_token = browser.text("#device-token").await;
    assert_eq!(
        app.get_as(&device_token, "/api/v1/gates/KZ-1/bundle")
            .await
            .status(),
        200
    );
    browser
        .assert_accessible("the devices page with a new token")
        .await;
    browser.goto(&app, "/admin/devices").await;
    assert!(!browser.has("#device-token").await, "shown once");
    browser.click("#devices tbody tr button[type=submit]").await;
    browser.find("#page-notice").await;
    assert_eq!(
        app.get_as(&device_token, "/api/v1/gates/KZ-1/bundle")
            .await
            .status(),
        401
    );

    // The audit trail names each of these actions, newest first.
    browser.goto(&app, "/admin/audit").await;
    let actions = browser
        .client
        .find_all(fantoccini::Locator::Css("#audit-trail tbody tr"))
        .await
        .expect("rows");
    let mut names = Vec::new();
    for row in actions {
        // The command line's entry (the first administrator) is at the real clock, not the test's.
        if row.attr("data-actor").await.expect("attr").as_deref() == Some("cli") {
            continue;
        }
        names.push(
            row.attr("data-action")
                .await
                .expect("attr")
                .unwrap_or_default(),
        );
    }
    assert_eq!(
        names,
        [
            "device.revoked",
            "device.created",
            "user.disabled",
            "user.created",
            "conflict.resolved",
            "permit.revoked",
            "user.created",
        ]
    );
    browser.fill("action", "permit.revoked").await;
    browser.click("#audit-form button[type=submit]").await;
    // (The unfiltered page's total is there until the answer replaces it.)
    let total = browser.text_once("#audit-total", 10, |t| t == "1").await;
    assert_eq!(total, "1");
    assert!(
        browser
            .has("#audit-trail tr[data-action=\"permit.revoked\"]")
            .await
    );
    browser.assert_accessible("the audit trail").await;

    // Every page in every language, and accessible in each.
    for lang in Lang::ALL {
        for (path, title) in [
            ("/admin", "admin-dashboard-title"),
            ("/admin/permits", "admin-permits-title"),
            (
                &format!("/admin/permits/{id}") as &str,
                "admin-permit-title",
            ),
            ("/admin/staff", "admin-staff-title"),
            ("/admin/devices", "admin-devices-title"),
            ("/admin/conflicts", "admin-conflicts-title"),
            ("/admin/audit", "admin-audit-title"),
        ] {
            browser
                .goto(&app, &format!("{path}?lang={}", lang.tag()))
                .await;
            assert_eq!(
                browser.attr("html", "lang").await.as_deref(),
                Some(lang.tag())
            );
            assert_eq!(
                browser.text("h1").await,
                says(lang, title),
                "{path} in {}",
                lang.tag()
            );
            if path == "/admin" || path.starts_with("/admin/permits/") {
                browser
                    .assert_accessible(&format!("{path} in {}", lang.tag()))
                    .await;
            }
        }
    }
    browser.close().await;
}

#[tokio::test]
async fn an_officer_is_refused_and_a_disabled_administrator_is_logged_out_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.officer(&admin, "li", "CN-1").await;
    let deputy = json!({ "username": "deputy", "password": OFFICER_PASSWORD, "role": "admin" });
    assert_eq!(
        app.post_json_as(&admin, "/api/v1/users", &deputy)
            .await
            .status(),
        201
    );
    let browser = Browser::start(false).await;
    // The officer: refused, in an alert, and still not logged in.
    log_in(&browser, &app, "li", OFFICER_PASSWORD).await;
    assert_eq!(
        browser.text("[role=alert]").await,
        says(Lang::En, "admin-refused")
    );
    // (axe-core needs JavaScript: the refusal is checked in the other test's languages.)
    browser.goto(&app, "/admin/staff").await;
    assert!(browser.has("#login-form").await);
    assert!(!browser.has("#accounts").await);
    // The deputy works without JavaScript, until disabled: then the next page is the login.
    log_in(&browser, &app, "deputy", OFFICER_PASSWORD).await;
    browser.find("#daily-counts").await;
    browser.goto(&app, "/admin/staff").await;
    browser.find("#accounts").await;
    let disabled = app
        .client
        .patch(app.url("/api/v1/users/deputy"))
        .bearer_auth(&admin)
        .json(&json!({ "disabled": true }))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(disabled.status(), 200);
    browser
        .click("tr[data-username=li] button[type=submit]")
        .await;
    assert_eq!(
        browser.text("[role=alert]").await,
        says(Lang::En, "admin-session-ended")
    );
    assert!(browser.has("#login-form").await);
    // Nothing was done by the disabled session: the officer is still enabled.
    let users = api(&app, &admin, "/api/v1/users").await;
    let li = users
        .as_array()
        .expect("list")
        .iter()
        .find(|u| u["username"] == "li")
        .expect("li");
    assert_eq!(li["disabled"], false);
    browser.close().await;
}

#[tokio::test]
async fn an_administrator_logs_in_and_revokes_with_the_keyboard_alone() {
    use fantoccini::key::Key;
    let app = spawn_app().await;
    app.admin().await;
    let today = app.zone_today();
    let permit = app.issue(1, today, today).await;
    let id = permit["permit_id"].as_str().expect("id");
    let browser = Browser::start(true).await;
    let tab = Key::Tab.to_string();
    // Tab from the top of the page until the control named `name` has the focus (at most `limit`
    // presses); the focused element.
    let tab_to = |name: &'static str, limit: usize| {
        let client = browser.client.clone();
        let tab = tab.clone();
        async move {
            for _ in 0..limit {
                let active = client.active_element().await.expect("focus");
                if active.attr("name").await.expect("name").as_deref() == Some(name) {
                    return active;
                }
                active.send_keys(&tab).await.expect("tab");
            }
            panic!("Tab never reached {name}");
        }
    };
    browser.goto(&app, "/admin?lang=en").await;
    tab_to("username", 20)
        .await
        .send_keys("chief")
        .await
        .expect("type");
    let password = tab_to("password", 2).await;
    password.send_keys(ADMIN_PASSWORD).await.expect("type");
    password
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("enter");
    browser.find("#daily-counts").await;
    // On the permit's page: Tab to the reason, type it, Tab to Revoke (its focus visible), Enter.
    browser.goto(&app, &format!("/admin/permits/{id}")).await;
    tab_to("reason", 40)
        .await
        .send_keys("reported stolen at the desk")
        .await
        .expect("type");
    let reason = browser.client.active_element().await.expect("focus");
    reason.send_keys(&tab).await.expect("tab");
    let button = browser.client.active_element().await.expect("focus");
    assert_eq!(
        button.text().await.expect("text"),
        says(Lang::En, "admin-revoke")
    );
    assert_eq!(
        button.css_value("outline-style").await.expect("css"),
        "solid",
        "focus is visible"
    );
    button
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("enter");
    browser.find("#page-notice").await;
    assert_eq!(
        browser.text("#permit-status").await,
        says(Lang::En, "admin-status-revoked")
    );
    browser.close().await;
}
