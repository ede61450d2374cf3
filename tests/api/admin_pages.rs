//! The administrators' pages over plain HTTP: sessions (logging in, officers refused, a disabled
//! account's session ending at its next request, logging out), the form token, the safety headers,
//! problems at their fields, and the dashboard's numbers against the API's.

use serde_json::Value;

use crate::browser::says;
use crate::helpers::{spawn_app, TestApp, ADMIN_PASSWORD, OFFICER_PASSWORD};
use crate::pages::{Page, Visitor};
use borderpass::web::i18n::Lang;

/// Logs `username` in on `/admin` (after a first page for the form token).
pub async fn log_in(visitor: &mut Visitor<'_>, username: &str, password: &str) -> Page {
    let login = visitor.get("/admin").await;
    let csrf = login.csrf();
    visitor
        .post(
            "/admin/login",
            &[
                ("csrf", csrf),
                ("username", username.to_owned()),
                ("password", password.to_owned()),
            ],
        )
        .await
}

async fn api_json(app: &TestApp, bearer: &str, path: &str) -> Value {
    let response = app.get_as(bearer, path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("json")
}

#[tokio::test]
async fn administrators_log_in_others_are_refused_and_a_disabled_account_is_logged_out_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.officer(&admin, "li", "CN-1").await;
    let deputy =
        serde_json::json!({ "username": "deputy", "password": OFFICER_PASSWORD, "role": "admin" });
    assert_eq!(
        app.post_json_as(&admin, "/api/v1/users", &deputy)
            .await
            .status(),
        201
    );

    // No session: the login form, 401, in the reader's language; nothing else of the dashboard.
    let mut visitor = Visitor::new(&app).speaking("ru");
    let first = visitor.get("/admin/staff").await;
    assert_eq!(first.status, 401);
    assert_eq!(first.attr("html", "lang").as_deref(), Some("ru"));
    assert!(first.text("#accounts").is_none());
    assert_eq!(
        first
            .headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert!(first
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.contains("default-src 'none'") && p.contains("frame-ancestors 'none'")));

    // A wrong password: refused alike for an unknown user, in Russian.
    let wrong = log_in(&mut visitor, "chief", "not the password at all").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.text("[role=alert]").as_deref(),
        Some(says(Lang::Ru, "admin-login-failed").as_str())
    );

    // An officer: refused, and no session kept.
    let mut officer = Visitor::new(&app);
    let refused = log_in(&mut officer, "li", OFFICER_PASSWORD).await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.text("[role=alert]").as_deref(),
        Some(says(Lang::En, "admin-refused").as_str())
    );
    assert_eq!(officer.get("/admin").await.status, 401);

    // An administrator: a session cookie for /admin only, HttpOnly and SameSite=Strict.
    let mut deputy_visitor = Visitor::new(&app);
    let login = deputy_visitor.get("/admin").await;
    let response = app
        .client
        .post(app.url("/admin/login"))
        .header(
            "Cookie",
            format!(
                "bp_csrf={}",
                login
                    .headers
                    .get_all("set-cookie")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .find_map(|c| c.strip_prefix("bp_csrf="))
                    .and_then(|c| c.split(';').next())
                    .expect("a form token cookie")
            ),
        )
        .form(&[
            ("csrf", login.csrf()),
            ("username", "deputy".to_owned()),
            ("password", OFFICER_PASSWORD.to_owned()),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 303);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("bp_admin="))
        .expect("a session cookie")
        .to_owned();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    let page = log_in(&mut deputy_visitor, "deputy", OFFICER_PASSWORD).await;
    assert_eq!(page.status, 303);
    let dashboard = deputy_visitor.get("/admin").await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.html);
    assert!(dashboard.text("#daily-counts").is_some());
    assert!(dashboard.text("#occupancy").is_some());

    // The chief disables the deputy: the deputy's very next page is the login, session ended.
    let disabled = app
        .client
        .patch(app.url("/api/v1/users/deputy"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "disabled": true }))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(disabled.status(), 200);
    let after = deputy_visitor.get("/admin/audit").await;
    assert_eq!(after.status, 401);
    assert_eq!(
        after.text("[role=alert]").as_deref(),
        Some(says(Lang::En, "admin-session-ended").as_str())
    );
    assert!(after.text("#audit-trail").is_none());

    // Logging out ends the session.
    let mut chief = Visitor::new(&app);
    log_in(&mut chief, "chief", ADMIN_PASSWORD).await;
    let staff = chief.get("/admin/staff").await;
    assert_eq!(staff.status, 200);
    let out = chief.post("/admin/logout", &[("csrf", staff.csrf())]).await;
    assert_eq!(out.status, 200);
    assert_eq!(chief.get("/admin").await.status, 401);
}

#[tokio::test]
async fn admin_forms_need_their_token_and_put_every_problem_at_its_field() {
    let app = spawn_app().await;
    app.admin().await;
    let mut chief = Visitor::new(&app);
    log_in(&mut chief, "chief", ADMIN_PASSWORD).await;
    let page = chief.get("/admin/staff").await;
    let csrf = page.csrf();
    // Without the form's token, or from another site: refused, nothing created.
    let form = |token: &str| {
        vec![
            ("csrf", token.to_owned()),
            ("username", "x".to_owned()),
            ("password", "short".to_owned()),
            ("role", "officer".to_owned()),
            ("gate_id", String::new()),
        ]
    };
    let forged = chief.post("/admin/staff", &form("forged")).await;
    assert_eq!(forged.status, 403);
    let cross = chief
        .post_with(
            "/admin/staff",
            &form(&csrf),
            &[("Sec-Fetch-Site", "cross-site")],
        )
        .await;
    assert_eq!(cross.status, 403);
    // With it: every problem at its field, with the summary.
    let refused = chief.post("/admin/staff", &form(&csrf)).await;
    assert_eq!(refused.status, 422);
    let mut problems: Vec<String> = refused
        .field_problems()
        .into_iter()
        .map(|(name, text)| {
            assert!(!text.is_empty(), "{name} has its text");
            name
        })
        .collect();
    problems.sort();
    assert_eq!(problems, ["gate_id", "password", "username"]);
    assert!(refused.text("#error-summary").is_some());
    // Typed values stay, the password does not.
    assert_eq!(
        refused.attr("input[name=username]", "value").as_deref(),
        Some("x")
    );
    assert_eq!(
        refused.attr("input[name=password]", "value").as_deref(),
        Some("")
    );
    // Only the administrator made by the command line exists.
    let accounts = refused.doc();
    let rows = scraper::Selector::parse("#accounts tbody tr").expect("selector");
    assert_eq!(accounts.select(&rows).count(), 1);

    // A search's problems at their fields too; a search is posted, so no name is in an address.
    let search = chief.get("/admin/permits").await;
    let refused = chief
        .post(
            "/admin/permits",
            &[
                ("csrf", search.csrf()),
                ("permit_id", "nope".to_owned()),
                ("birth_date", "1990-01-31".to_owned()),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    let mut problems: Vec<String> = refused
        .field_problems()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    problems.sort();
    assert_eq!(problems, ["permit_id", "surname_prefix"]);
}

#[tokio::test]
async fn the_dashboard_shows_the_apis_counts_and_its_csv_is_the_apis() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let officer = app.officer(&admin, "li", "CN-1").await;
    let today = app.zone_today();
    for n in 1..=3 {
        let permit = app.issue(n, today, today).await;
        let body = serde_json::json!({ "token": permit["token"], "gate_id": "CN-1",
            "direction": "entry", "nonce": uuid::Uuid::now_v7().to_string() });
        assert_eq!(
            app.post_json_as(&officer, "/api/v1/scans", &body)
                .await
                .status(),
            200
        );
    }
    let from = (today - chrono::Days::new(6)).to_string();
    let to = today.to_string();
    let query = format!("from={from}&to={to}&tz=Asia/Almaty");
    let mut chief = Visitor::new(&app);
    log_in(&mut chief, "chief", ADMIN_PASSWORD).await;
    let page = chief.get(&format!("/admin?{query}")).await;
    assert_eq!(page.status, 200);
    let api = api_json(&app, &admin, &format!("/api/v1/stats/daily?{query}")).await;
    let doc = page.doc();
    let rows = scraper::Selector::parse("#daily-counts tbody tr").expect("selector");
    let cells = scraper::Selector::parse("th, td").expect("selector");
    let table: Vec<Vec<String>> = doc
        .select(&rows)
        .map(|r| {
            r.select(&cells)
                .map(|c| c.text().collect::<String>().trim().to_owned())
                .collect()
        })
        .collect();
    let expected: Vec<Vec<String>> = api["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| {
            [
                "date",
                "entries",
                "exits",
                "travelers",
                "denied",
                "permits_issued",
            ]
            .iter()
            .map(|k| match &d[*k] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
        })
        .collect();
    assert_eq!(table, expected);
    assert_eq!(table.len(), 7);
    assert_eq!(table.last().map(|r| r[1].as_str()), Some("3"));
    // The chart: one line per count.
    for class in ["entries", "exits", "travelers", "denied"] {
        assert!(
            page.attr(&format!("#daily-chart polyline.{class}"), "points")
                .is_some_and(|p| p.split(' ').count() == 7),
            "{class}"
        );
    }
    // Who is inside, as the API counts them.
    let occupancy = api_json(&app, &admin, "/api/v1/stats/occupancy").await;
    assert_eq!(
        page.text("#inside-count"),
        Some(occupancy["inside"].to_string())
    );
    // The CSV link downloads the API's CSV of the same days.
    let href = page.attr("#daily-csv", "href").expect("a CSV link");
    let csv = chief.get(&href).await;
    assert_eq!(csv.status, 200);
    let api_csv = app
        .client
        .get(app.url(&format!("/api/v1/stats/daily?{query}&gate_id=")))
        .bearer_auth(&admin)
        .header("Accept", "text/csv")
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("csv");
    assert_eq!(csv.html, api_csv);
    // A range refused: the problem at its field, 422.
    let refused = chief.get("/admin?from=2026-13-01&to=2026-11-01").await;
    assert_eq!(refused.status, 422);
    assert!(refused
        .field_problems()
        .iter()
        .any(|(name, _)| name == "from"));
    // Who is inside does not depend on the range: still shown.
    assert_eq!(
        refused.text("#inside-count"),
        Some(occupancy["inside"].to_string())
    );
}

#[tokio::test]
async fn a_session_is_renewed_while_its_administrator_works_and_ends_when_they_stop() {
    let app = spawn_app().await;
    app.admin().await;
    let ttl = chrono::Duration::seconds(app.config.access_token_ttl.num_seconds());
    let mut chief = Visitor::new(&app);
    log_in(&mut chief, "chief", ADMIN_PASSWORD).await;
    // Young: no new cookie.
    let young = chief.get("/admin/staff").await;
    assert!(!young
        .headers
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().is_ok_and(|c| c.starts_with("bp_admin="))));
    // Past half its life: the answer carries a fresh session.
    app.clock.advance(ttl / 2 + chrono::Duration::seconds(1));
    let renewed = chief.get("/admin/staff").await;
    assert_eq!(renewed.status, 200);
    assert!(renewed.headers.get_all("set-cookie").iter().any(|c| c
        .to_str()
        .is_ok_and(|c| c.starts_with("bp_admin=") && c.contains("HttpOnly"))));
    // After the first token's end, the renewed one still works...
    app.clock.advance(ttl / 2 + chrono::Duration::seconds(1));
    assert_eq!(chief.get("/admin/audit").await.status, 200);
    // ...and one left alone for a whole lifetime ends.
    app.clock.advance(ttl + chrono::Duration::seconds(1));
    let ended = chief.get("/admin").await;
    assert_eq!(ended.status, 401);
}

#[tokio::test]
async fn a_revoke_a_resolution_or_a_device_refused_shows_its_problem_at_the_field_and_does_nothing()
{
    let app = spawn_app().await;
    let admin = app.admin().await;
    let today = app.zone_today();
    let permit = app.issue(1, today, today).await;
    let id = permit["permit_id"].as_str().expect("id");
    let mut chief = Visitor::new(&app).speaking("kk");
    log_in(&mut chief, "chief", ADMIN_PASSWORD).await;
    let page = chief.get(&format!("/admin/permits/{id}")).await;
    assert_eq!(page.status, 200);
    // A revoke without a reason: the problem at the reason, in Kazakh; the permit stays active.
    let refused = chief
        .post(
            &format!("/admin/permits/{id}/revoke"),
            &[("csrf", page.csrf()), ("reason", "  ".to_owned())],
        )
        .await;
    assert_eq!(refused.status, 422);
    let problems = refused.field_problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "reason");
    assert_eq!(refused.attr("html", "lang").as_deref(), Some("kk"));
    let fetched = api_json(&app, &admin, &format!("/api/v1/permits/{id}")).await;
    assert_eq!(fetched["status"], "active");
    // A device without a gate or a label: both problems, nothing registered.
    let devices = chief.get("/admin/devices").await;
    let refused = chief
        .post(
            "/admin/devices",
            &[
                ("csrf", devices.csrf()),
                ("gate_id", String::new()),
                ("label", String::new()),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    let mut names: Vec<String> = refused
        .field_problems()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    names.sort();
    assert_eq!(names, ["gate_id", "label"]);
    assert!(refused.text("#device-token").is_none());
    assert_eq!(
        api_json(&app, &admin, "/api/v1/devices").await,
        serde_json::json!([])
    );
    // An unknown permit's page: 404, said in the reader's language.
    let unknown = chief
        .get(&format!("/admin/permits/{}", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.text("[role=alert]").as_deref(),
        Some(says(Lang::Kk, "admin-permit-not-found").as_str())
    );
    // The trail holds none of these refusals.
    let trail = api_json(&app, &admin, "/api/v1/audit?actor=chief").await;
    assert_eq!(trail["total"], 0, "{trail}");
}
