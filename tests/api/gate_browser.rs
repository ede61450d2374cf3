//! The gate scanner page in a real browser: wedge scans decided by the service, the service
//! stopped (decided from the bundle, queued, a reload, the queue drained, a conflict shown),
//! keyboard layouts, one scan per token, a supervisor's override, an old bundle, a device token.

use chrono::Days;

use crate::browser::Browser;
use crate::helpers::{spawn_app, OFFICER_PASSWORD};

#[tokio::test]
async fn an_officer_logs_in_and_wedge_scans_are_decided_by_the_service() {
    let app = spawn_app().await;
    // The page stamps scans with the browser's clock: the service's must agree.
    app.clock.set(chrono::Utc::now());
    let admin = app.admin().await;
    app.officer(&admin, "li", "CN-1").await;
    let today = app.zone_today();
    let permit = app.issue(300, today, today + Days::new(3)).await;
    let token = permit["token"].as_str().expect("token").to_owned();
    let browser = Browser::start(true).await;
    browser.goto(&app, "/gate?lang=en").await;
    browser.assert_accessible("the gate's login").await;
    browser.fill("username", "li").await;
    browser.fill("password", OFFICER_PASSWORD).await;
    browser.fill("gate_id", "CN-1").await;
    browser.click("#login-form button[type=submit]").await;
    browser.find("#gate-scanner:not([hidden])").await;
    for (scanned, decision, reason) in [
        (token.as_str(), "admit", ""),
        (token.as_str(), "deny", "already_inside"),
        ("not-a-token", "deny", "malformed_token"),
    ] {
        // What a keyboard-wedge scanner does: the characters, then Enter.
        let input = browser.find("[name=token]").await;
        input
            .send_keys(&format!("{scanned}\u{E007}"))
            .await
            .expect("keys");
        let css = format!("#scan-result[data-decision={decision}][data-reason=\"{reason}\"]");
        let result = browser.find(&css).await;
        assert!(result.is_displayed().await.expect("shown"));
        // The same token again at once is the same scan: wait past it.
        tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    }
    assert_eq!(browser.text("#pending-count").await, "0");
    browser.assert_accessible("the gate page").await;
    browser.close().await;
}

#[tokio::test]
async fn with_the_service_stopped_the_page_decides_from_the_bundle_and_uploads_when_it_is_back() {
    let mut app = spawn_app().await;
    app.clock.set(chrono::Utc::now());
    let admin = app.admin().await;
    app.officer(&admin, "li", "CN-1").await;
    let today = app.zone_today();
    let offline_entry = app.issue(310, today, today + Days::new(3)).await;
    let disputed = app.issue(311, today, today + Days::new(3)).await;
    let token_of = |p: &serde_json::Value| p["token"].as_str().expect("token").to_owned();
    let tampered = {
        let token = token_of(&offline_entry);
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &parts[1])
                .expect("payload"),
        )
        .expect("claims");
        let mut forged = claims.clone();
        forged["exp"] = (claims["exp"].as_i64().expect("exp") + 86_400 * 365).into();
        parts[1] = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            forged.to_string(),
        );
        parts.join(".")
    };
    let browser = Browser::start(true).await;
    log_in(&browser, &app, "li", "CN-1").await;
    // The bundle is in, and the service worker holds the page.
    let age = browser
        .text_once("#bundle-age", 10, |t| t.contains("min"))
        .await;
    assert!(age.contains("min"), "a bundle: {age}");
    browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             navigator.serviceWorker.ready.then(() => done(true));",
            vec![],
        )
        .await
        .expect("a service worker");

    app.stop_service().await;
    let scan = |token: String| {
        let browser = &browser;
        async move {
            let input = browser.find("[name=token]").await;
            input
                .send_keys(&format!("{token}\u{E007}"))
                .await
                .expect("keys");
        }
    };
    scan(token_of(&offline_entry)).await;
    browser
        .find("#scan-result[data-decision=admit][data-offline=true]")
        .await;
    assert_eq!(browser.text("#pending-count").await, "1");
    let offline_ms = browser.attr("#gate-app", "data-last-ms").await;
    scan(tampered).await;
    browser
        .find("#scan-result[data-decision=deny][data-reason=bad_signature]")
        .await;
    scan(token_of(&disputed)).await;
    browser
        .find("#scan-result[data-decision=admit][data-offline=true]")
        .await;
    assert_eq!(browser.text("#pending-count").await, "3");
    let later_offline_ms = browser.attr("#gate-app", "data-last-ms").await;
    // A reload with the service down: the page still comes, with its queue.
    browser.client.refresh().await.expect("reload");
    browser.find("#gate-scanner:not([hidden])").await;
    assert_eq!(
        browser.text_once("#pending-count", 5, |t| t == "3").await,
        "3",
        "the queue survived the reload"
    );

    // The service is back; meanwhile the disputed holder entered at the other country's gate.
    app.restart_service().await;
    let online = app
        .post_json_as(
            &admin,
            "/api/v1/scans",
            &serde_json::json!({
                "token": token_of(&disputed), "gate_id": "KZ-1", "direction": "entry",
                "nonce": uuid::Uuid::now_v7().to_string(),
            }),
        )
        .await;
    assert_eq!(online.status(), 200);
    let pending = browser.text_once("#pending-count", 30, |t| t == "0").await;
    assert_eq!(pending, "0", "the queue drained");
    let conflict = browser
        .attr("#upload-report li[data-conflict]", "data-conflict")
        .await;
    assert!(
        conflict.is_some_and(|c| !c.is_empty()),
        "the conflict is shown"
    );
    let mut conn = app.store().writer_blocking().expect("connection");
    let log = borderpass::db::scans::for_permit(
        &mut conn,
        offline_entry["permit_id"].as_str().expect("id"),
    )
    .expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].decision, "admit");
    assert!(log[0].flags.contains("offline"), "{:?}", log[0].flags);
    drop(conn);
    // Online again: the next scan is the service's.
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    scan(token_of(&offline_entry)).await;
    browser
        .find("#scan-result[data-decision=deny][data-reason=already_inside][data-offline=false]")
        .await;
    let online_ms = browser.attr("#gate-app", "data-last-ms").await;
    // Enter to result, measured by the page itself (docs/performance.md; not asserted: a test
    // is no benchmark).
    eprintln!(
        "gate page, Enter to result: first offline scan {offline_ms:?} ms, \
         later offline {later_offline_ms:?} ms, online {online_ms:?} ms"
    );
    browser
        .assert_accessible("the gate page after an upload")
        .await;
    browser.close().await;
}

/// Logs `username` in at `gate` on the gate page and waits for the scanner.
async fn log_in(browser: &Browser, app: &crate::helpers::TestApp, username: &str, gate: &str) {
    browser.goto(app, "/gate?lang=en").await;
    browser.fill("username", username).await;
    browser.fill("password", OFFICER_PASSWORD).await;
    browser.fill("gate_id", gate).await;
    browser.click("#login-form button[type=submit]").await;
    browser.find("#gate-scanner:not([hidden])").await;
}

#[tokio::test]
async fn scanners_in_any_keyboard_layout_one_scan_per_token_and_a_supervisors_override() {
    let app = spawn_app().await;
    app.clock.set(chrono::Utc::now());
    let admin = app.admin().await;
    let body = serde_json::json!({ "username": "chen", "password": OFFICER_PASSWORD,
                                   "role": "supervisor", "gate_id": "CN-1" });
    assert_eq!(
        app.post_json_as(&admin, "/api/v1/users", &body)
            .await
            .status(),
        201
    );
    let today = app.zone_today();
    let first = app.issue(320, today, today + Days::new(3)).await;
    let second = app.issue(321, today, today + Days::new(3)).await;
    let browser = Browser::start(true).await;
    browser.goto(&app, "/gate?lang=zh").await;
    assert_eq!(
        browser.text("#gate-login-title").await,
        crate::browser::says(borderpass::web::i18n::Lang::Zh, "gate-title")
    );
    let camera = browser
        .client
        .execute("return 'BarcodeDetector' in window;", vec![])
        .await
        .expect("js");
    log_in(&browser, &app, "chen", "CN-1").await;
    let camera_hidden = browser.attr("#camera-scan", "hidden").await.is_some();
    let missing_shown = browser.attr("#camera-missing", "hidden").await.is_none();
    assert_eq!(
        (camera_hidden, missing_shown),
        (camera == false, camera == false),
        "camera only where the browser reads QR codes"
    );

    // A scanner under a Russian layout: the keys' positions are the token's, their characters not.
    let token = first["token"].as_str().expect("token").to_owned();
    browser
        .client
        .execute(
            "const input = document.getElementById('scan-token');
             const russian = { q:'й', w:'ц', e:'у', r:'к', t:'е', y:'н', u:'г', i:'ш', o:'щ', p:'з', a:'ф',
               s:'ы', d:'в', f:'а', g:'п', h:'р', j:'о', k:'л', l:'д', z:'я', x:'ч', c:'с', v:'м', b:'и',
               n:'т', m:'ь' };
             for (const ch of arguments[0]) {
               let code, key = ch, shiftKey = false;
               if (/[a-z]/.test(ch)) { code = 'Key' + ch.toUpperCase(); key = russian[ch]; }
               else if (/[A-Z]/.test(ch)) { code = 'Key' + ch; key = russian[ch.toLowerCase()].toUpperCase(); shiftKey = true; }
               else if (/[0-9]/.test(ch)) { code = 'Digit' + ch; }
               else if (ch === '-') { code = 'Minus'; }
               else if (ch === '_') { code = 'Minus'; shiftKey = true; }
               else if (ch === '.') { code = 'Period'; key = 'ю'; }
               input.dispatchEvent(new KeyboardEvent('keydown', { key, code, shiftKey, bubbles: true, cancelable: true }));
             }
             input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter', bubbles: true, cancelable: true }));",
            vec![token.clone().into()],
        )
        .await
        .expect("keys");
    browser.find("#scan-result[data-decision=admit]").await;
    // The same token again at once is the same scan; a scanner that sends no Enter still scans.
    let input = browser.find("[name=token]").await;
    input
        .send_keys(&format!("{token}\u{E007}"))
        .await
        .expect("keys");
    let other = second["token"].as_str().expect("token").to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    input.send_keys(&other).await.expect("keys");
    browser
        .find("#scan-result[data-decision=admit]:not([hidden])")
        .await;
    let mut conn = app.store().writer_blocking().expect("connection");
    let first_id = first["permit_id"].as_str().expect("id");
    let second_id = second["permit_id"].as_str().expect("id");
    assert_eq!(
        borderpass::db::scans::for_permit(&mut conn, first_id)
            .expect("log")
            .len(),
        1,
        "one scan"
    );
    assert_eq!(
        borderpass::db::scans::for_permit(&mut conn, second_id)
            .expect("log")
            .len(),
        1,
        "scanned without Enter"
    );
    drop(conn);

    // Denied (already inside), then admitted by the supervisor's override with a reason.
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    input
        .send_keys(&format!("{token}\u{E007}"))
        .await
        .expect("keys");
    browser
        .find("#scan-result[data-decision=deny][data-reason=already_inside]")
        .await;
    browser.click("#override-open").await;
    browser
        .fill(
            "override_reason",
            "Left through the fence gate with the escort",
        )
        .await;
    browser
        .click("#override-dialog button[value=override]")
        .await;
    browser.find("#scan-result[data-decision=admit]").await;
    let mut conn = app.store().writer_blocking().expect("connection");
    let log = borderpass::db::scans::for_permit(&mut conn, first_id).expect("log");
    assert!(
        log.last().expect("row").flags.contains("override"),
        "{:?}",
        log.last().map(|r| &r.flags)
    );
    browser.close().await;
}

#[tokio::test]
async fn an_old_bundle_turns_results_amber_and_past_its_validity_each_admission_is_confirmed() {
    let mut app = spawn_app().await;
    // The bundle is issued two days before the browser's now: past fresh_until and valid_until.
    app.clock
        .set(chrono::Utc::now() - chrono::Duration::days(2));
    let admin = app.admin().await;
    app.officer(&admin, "li", "CN-1").await;
    let today = app.zone_today();
    let one = app.issue(330, today, today + Days::new(5)).await;
    let two = app.issue(331, today, today + Days::new(5)).await;
    // A device of the gate: the page uploads with its token.
    let device = app
        .post_json_as(
            &admin,
            "/api/v1/devices",
            &serde_json::json!({ "gate_id": "CN-1", "label": "lane 1" }),
        )
        .await;
    assert_eq!(device.status(), 201);
    let device: serde_json::Value = device.json().await.expect("json");
    let browser = Browser::start(true).await;
    log_in(&browser, &app, "li", "CN-1").await;
    browser.click(".device-setup summary").await;
    browser
        .fill(
            "device_token",
            device["device_token"].as_str().expect("token"),
        )
        .await;
    browser.click("#device-form button[type=submit]").await;
    let set = crate::browser::says(borderpass::web::i18n::Lang::En, "gate-device-set");
    assert_eq!(
        browser.text_once("#device-state", 5, |t| t == set).await,
        set
    );
    let age = browser
        .text_once("#bundle-age", 10, |t| t.contains("min"))
        .await;
    assert!(age.contains("min"), "a bundle: {age}");
    app.stop_service().await;
    let input = browser.find("[name=token]").await;
    input
        .send_keys(&format!("{}\u{E007}", one["token"].as_str().expect("t")))
        .await
        .expect("keys");
    browser.find("#confirm-admission[open]").await;
    browser
        .click("#confirm-admission button[value=admit]")
        .await;
    browser
        .find("#scan-result[data-decision=admit][data-colour=amber]")
        .await;
    input
        .send_keys(&format!("{}\u{E007}", two["token"].as_str().expect("t")))
        .await
        .expect("keys");
    browser.find("#confirm-admission[open]").await;
    browser.click("#confirm-admission button[value=deny]").await;
    browser
        .find("#scan-result[data-decision=deny][data-reason=denied_at_gate]")
        .await;
    // Back online, the device's token uploads both, the refused one as denied at the gate.
    app.clock.set(chrono::Utc::now());
    app.restart_service().await;
    assert_eq!(
        browser.text_once("#pending-count", 30, |t| t == "0").await,
        "0",
        "the queue drained"
    );
    let mut conn = app.store().writer_blocking().expect("connection");
    let log = borderpass::db::scans::for_permit(&mut conn, two["permit_id"].as_str().expect("id"))
        .expect("log");
    assert_eq!(
        (log[0].decision.as_str(), log[0].reason.as_deref()),
        ("deny", Some("denied_at_gate"))
    );
    assert!(log[0].flags.contains("offline"), "{:?}", log[0].flags);
    drop(conn);
    // Two days on, the administrator's session (like the officer's on the page) has ended; the
    // device's token has not.
    let admin = app.login("chief", crate::helpers::ADMIN_PASSWORD).await;
    let devices: serde_json::Value = app
        .get_as(&admin, "/api/v1/devices")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        !devices[0]["last_seen_at"].is_null(),
        "the device's token fetched and uploaded: {devices} {}",
        browser.text("#device-state").await
    );
    browser.close().await;
}
