//! Applying for permits, fetching them, QR codes, keys and offline verification.

use borderpass::clock::Clock;
use borderpass::crypto::permit_token::{self, PermitClaims, TokenRejection};
use borderpass::crypto::signing_key::{JwkSet, PermitSigningKey};
use chrono::{Days, NaiveDate};
use serde_json::{json, Value};

use crate::helpers::documents::{application, chinese_card, kazakh_card, passport};
use crate::helpers::{field_errors, problem, spawn_app, TestApp};

fn days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).expect("date")
}

async fn apply(app: &TestApp, body: &Value) -> reqwest::Response {
    app.post_json("/api/v1/permits", body).await
}

async fn issue(app: &TestApp, document: Value) -> Value {
    let today = app.zone_today();
    let response = apply(app, &application(document, days(today, 1), days(today, 10))).await;
    assert_eq!(
        response.status(),
        201,
        "{}",
        response.text().await.unwrap_or_default()
    );
    response.json().await.expect("json")
}

async fn jwks(app: &TestApp) -> JwkSet {
    let response = app.get("/.well-known/jwks.json").await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("jwks")
}

async fn verify_with(
    app: &TestApp,
    set: &JwkSet,
    token: &str,
) -> Result<PermitClaims, TokenRejection> {
    let keys = set.public_keys();
    let at = app.clock.now() + chrono::Duration::days(2);
    permit_token::verify(token, |kid| keys.iter().find(|k| k.kid == kid).cloned(), at)
}

#[tokio::test]
async fn each_accepted_document_gets_a_permit() {
    let app = spawn_app().await;
    let set = jwks(&app).await;
    assert_eq!(
        set.keys.len(),
        2,
        "a permit key and a gate-bundle key exist from the first start"
    );
    let key = &set.keys[0];
    assert_eq!(
        (key.kty.as_str(), key.crv.as_str(), key.alg.as_str()),
        ("OKP", "Ed25519", "EdDSA")
    );
    for document in [passport(1), chinese_card(2), kazakh_card(3)] {
        let today = app.zone_today();
        let response = apply(
            &app,
            &application(document.clone(), days(today, 1), days(today, 10)),
        )
        .await;
        assert_eq!(response.status(), 201, "{document}");
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("Location")
            .to_owned();
        let permit: Value = response.json().await.expect("json");
        let id = permit["permit_id"].as_str().expect("id");
        assert_eq!(location, format!("/api/v1/permits/{id}"));
        assert_eq!(permit["status"], "active");
        assert_eq!(permit["access_code"].as_str().map(str::len), Some(22));
        assert_eq!(permit["kid"], key.kid.as_str());
        // 00:00 of the first day to 24:00 of the last, in Beijing time (UTC+8).
        assert_eq!(permit["valid_from"], format!("{}T16:00:00Z", today));
        assert_eq!(
            permit["valid_until"],
            format!("{}T16:00:00Z", days(today, 10))
        );
        let token = permit["token"].as_str().expect("token");
        assert!(token.len() <= 331);
        let claims = verify_with(&app, &set, token)
            .await
            .expect("the token verifies against the JWKS");
        assert_eq!(claims.sub, id);
        assert!(
            !token.contains(document["number"].as_str().unwrap_or("NO NUMBER")),
            "never the document number"
        );
        let number_in_claims = serde_json::to_string(&claims).expect("json");
        if let Some(number) = document["number"].as_str() {
            assert!(!number_in_claims.contains(number));
        }
    }
}

#[tokio::test]
async fn the_access_code_fetches_the_permit_and_nothing_else_does() {
    let app = spawn_app().await;
    let permit = issue(&app, passport(10)).await;
    let id = permit["permit_id"].as_str().expect("id");
    let code = permit["access_code"].as_str().expect("code");
    let path = format!("/api/v1/permits/{id}");
    let response = app
        .client
        .get(app.url(&path))
        .header("X-Access-Code", code)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let fetched: Value = response.json().await.expect("json");
    assert_eq!(fetched["token"], permit["token"]);
    assert!(
        fetched.get("access_code").is_none(),
        "the code is shown once"
    );
    assert_eq!(fetched["holder"]["document"]["number_masked"], "*****0010");

    let wrong = app
        .client
        .get(app.url(&path))
        .header("X-Access-Code", "A".repeat(22))
        .send()
        .await
        .expect("sent");
    let wrong_body = problem(wrong, 404).await;
    let missing = problem(app.get(&path).await, 404).await;
    let unknown_path = format!("/api/v1/permits/{}", uuid::Uuid::now_v7());
    let unknown = app
        .client
        .get(app.url(&unknown_path))
        .header("X-Access-Code", code)
        .send()
        .await
        .expect("sent");
    let unknown_body = problem(unknown, 404).await;
    assert_eq!(
        wrong_body, unknown_body,
        "a wrong code and an unknown id look the same"
    );
    assert_eq!(missing, unknown_body);
    problem(app.get("/api/v1/permits/not-a-uuid").await, 404).await;
}

#[tokio::test]
async fn the_png_decodes_to_exactly_the_token_and_the_svg_is_served() {
    let app = spawn_app().await;
    let permit = issue(&app, passport(20)).await;
    let id = permit["permit_id"].as_str().expect("id");
    let code = permit["access_code"].as_str().expect("code");
    let get = |path: String| {
        app.client
            .get(app.url(&path))
            .header("X-Access-Code", code)
            .send()
    };
    let response = get(format!("/api/v1/permits/{id}/qr.png?scale=4"))
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    let bytes = response.bytes().await.expect("body");
    let image = image::load_from_memory(&bytes).expect("a PNG").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (meta, content) = grids[0].decode().expect("readable");
    assert_eq!(content, permit["token"].as_str().expect("token"));
    assert!(meta.version.0 <= 13, "version {}", meta.version.0);
    assert_eq!(meta.ecc_level, 0, "level M");

    let default_size = get(format!("/api/v1/permits/{id}/qr.png"))
        .await
        .expect("sent")
        .bytes()
        .await
        .expect("body");
    let small = image::load_from_memory(&bytes).expect("png");
    let large = image::load_from_memory(&default_size).expect("png");
    assert_eq!(
        large.width(),
        small.width() * 2,
        "scale 8 by default is twice scale 4"
    );

    let svg = get(format!("/api/v1/permits/{id}/qr.svg"))
        .await
        .expect("sent");
    assert_eq!(svg.status(), 200);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.expect("svg").contains("<svg"));

    for bad in ["0", "33", "big"] {
        let response = get(format!("/api/v1/permits/{id}/qr.png?scale={bad}"))
            .await
            .expect("sent");
        let body = problem(response, 422).await;
        assert_eq!(
            field_errors(&body),
            vec![("scale".to_owned(), "invalid_value".to_owned())]
        );
    }
    let response = app.get(&format!("/api/v1/permits/{id}/qr.png")).await;
    problem(response, 404).await;
}

/// Each rule, its status and its `errors` entry.
#[tokio::test]
async fn every_rule_answers_its_exact_problem() {
    let app = spawn_app().await;
    let today = app.zone_today();
    let cases: Vec<(Value, (&str, &str))> = vec![
        (
            application(
                passport(30),
                days(today, 0).pred_opt().expect("date"),
                days(today, 3),
            ),
            ("visit.from", "date_in_past"),
        ),
        (
            application(passport(31), days(today, 1), days(today, 31)),
            ("visit.until", "too_long"),
        ),
        (
            application(passport(32), days(today, 91), days(today, 95)),
            ("visit.from", "too_far_ahead"),
        ),
        (
            application(passport(33), days(today, 5), days(today, 4)),
            ("visit.until", "invalid_range"),
        ),
        (
            application(
                json!({"type": "id_card", "issuing_country": "RUS", "number": "1234567", "nationality": "RUS",
                "surname": "X", "birth_date": "1990-01-01", "sex": "M", "expiry_date": "2030-01-01"}),
                days(today, 1),
                days(today, 2),
            ),
            ("document.issuing_country", "unsupported_document"),
        ),
    ];
    for (body, (field, code)) in cases {
        let found = field_errors(&problem(apply(&app, &body).await, 422).await);
        assert_eq!(found, vec![(field.to_owned(), code.to_owned())], "{body}");
    }

    // The document must be valid through the last day.
    let mut expiring = chinese_card(34);
    expiring["expiry_date"] = json!(days(today, 5).to_string());
    let found = field_errors(
        &problem(
            apply(&app, &application(expiring, days(today, 1), days(today, 6))).await,
            422,
        )
        .await,
    );
    assert_eq!(
        found,
        vec![("document.expiry_date".to_owned(), "expired".to_owned())]
    );

    // Check digits: MRZ, citizen number, IIN.
    let mut bad_mrz = passport(35);
    let mrz = bad_mrz["mrz"].as_str().expect("mrz").to_owned();
    let (line1, line2) = mrz.split_once('\n').expect("two lines");
    let broken_digit = if line2.as_bytes()[9] == b'1' {
        '2'
    } else {
        '1'
    };
    bad_mrz["mrz"] = json!(format!(
        "{line1}\n{}{broken_digit}{}",
        &line2[..9],
        &line2[10..]
    ));
    let found = field_errors(
        &problem(
            apply(&app, &application(bad_mrz, days(today, 1), days(today, 2))).await,
            422,
        )
        .await,
    );
    assert!(
        found.contains(&("document.mrz".to_owned(), "invalid_check_digit".to_owned())),
        "{found:?}"
    );

    let mut bad_number = chinese_card(36);
    let number = bad_number["number"].as_str().expect("number").to_owned();
    let last = if number.ends_with('1') { '2' } else { '1' };
    bad_number["number"] = json!(format!("{}{last}", &number[..17]));
    let found = field_errors(
        &problem(
            apply(
                &app,
                &application(bad_number, days(today, 1), days(today, 2)),
            )
            .await,
            422,
        )
        .await,
    );
    assert!(
        found.contains(&(
            "document.number".to_owned(),
            "invalid_check_digit".to_owned()
        )),
        "{found:?}"
    );

    let mut bad_iin = passport(37);
    bad_iin["mrz"] = Value::Null;
    let iin = bad_iin["personal_number"].as_str().expect("iin").to_owned();
    let last = if iin.ends_with('1') { '2' } else { '1' };
    bad_iin["personal_number"] = json!(format!("{}{last}", &iin[..11]));
    let found = field_errors(
        &problem(
            apply(&app, &application(bad_iin, days(today, 1), days(today, 2))).await,
            422,
        )
        .await,
    );
    assert!(
        found.contains(&(
            "document.personal_number".to_owned(),
            "invalid_check_digit".to_owned()
        )),
        "{found:?}"
    );

    // Everything wrong at once: every problem listed.
    let body = json!({"document": {"type": "passport", "number": "N 1", "birth_date": "1990-02-30", "sex": "Q"},
                      "visit": {"from": "yesterday"}});
    let found = field_errors(&problem(apply(&app, &body).await, 422).await);
    for expected in [
        ("document.issuing_country", "required"),
        ("document.number", "invalid_character"),
        ("document.birth_date", "invalid_date"),
        ("document.sex", "invalid_value"),
        ("document.surname", "required"),
        ("visit.from", "invalid_date"),
        ("visit.until", "required"),
    ] {
        assert!(
            found.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} in {found:?}"
        );
    }
}

#[tokio::test]
async fn thirty_days_both_counted_is_the_longest_visit() {
    let app = spawn_app().await;
    let today = app.zone_today();
    let response = apply(
        &app,
        &application(passport(40), days(today, 1), days(today, 30)),
    )
    .await;
    assert_eq!(response.status(), 201, "from + 29 days is 30 days");
}

#[tokio::test]
async fn one_document_holds_one_permit_for_overlapping_dates() {
    let app = spawn_app().await;
    let today = app.zone_today();
    assert_eq!(
        apply(
            &app,
            &application(passport(50), days(today, 1), days(today, 10))
        )
        .await
        .status(),
        201
    );
    let body = problem(
        apply(
            &app,
            &application(passport(50), days(today, 10), days(today, 12)),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(body["type"], "/problems/conflict");
    // The same passport typed differently (lower case, no MRZ) is the same document.
    let mut retyped = passport(50);
    retyped["number"] = json!("n00000050");
    retyped["mrz"] = Value::Null;
    problem(
        apply(&app, &application(retyped, days(today, 5), days(today, 6))).await,
        409,
    )
    .await;
    // The day after the first visit ends is free.
    assert_eq!(
        apply(
            &app,
            &application(passport(50), days(today, 11), days(today, 12))
        )
        .await
        .status(),
        201
    );
}

#[tokio::test]
async fn simultaneous_applications_for_one_document_issue_one_permit() {
    let app = spawn_app().await;
    let today = app.zone_today();
    // The document is known already (an earlier visit), so no first insert can serialise the race.
    assert_eq!(
        apply(
            &app,
            &application(passport(60), days(today, 1), days(today, 2))
        )
        .await
        .status(),
        201
    );
    let body = application(passport(60), days(today, 5), days(today, 10));
    let statuses = app
        .post_concurrently(vec![("/api/v1/permits".to_owned(), body); 12])
        .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        11,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn bad_bodies_get_400_413_415_and_422() {
    let app = spawn_app().await;
    let url = app.url("/api/v1/permits");
    let send = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(url.clone())
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let body = problem(
        send(b"{\"document\": ".to_vec(), "application/json")
            .await
            .expect("sent"),
        400,
    )
    .await;
    assert_eq!(body["type"], "/problems/malformed-json");
    problem(send(b"{}".to_vec(), "text/plain").await.expect("sent"), 415).await;
    let huge = format!(
        "{{\"document\": {{\"surname\": \"{}\"}}}}",
        "A".repeat(70_000)
    );
    problem(
        send(huge.into_bytes(), "application/json")
            .await
            .expect("sent"),
        413,
    )
    .await;
    let typed = problem(
        send(
            br#"{"document": {"number": 5}}"#.to_vec(),
            "application/json",
        )
        .await
        .expect("sent"),
        422,
    )
    .await;
    assert_eq!(
        field_errors(&typed),
        vec![("document.number".to_owned(), "invalid_type".to_owned())]
    );
    let unknown = problem(
        send(br#"{"documnet": {}}"#.to_vec(), "application/json")
            .await
            .expect("sent"),
        422,
    )
    .await;
    assert_eq!(field_errors(&unknown)[0].1, "unknown_field");
}

#[tokio::test]
async fn verify_command_tells_each_failure_apart() {
    let app = spawn_app().await;
    let permit = issue(&app, passport(70)).await;
    let token = permit["token"].as_str().expect("token").to_owned();
    let jwks_text = app
        .get("/.well-known/jwks.json")
        .await
        .text()
        .await
        .expect("jwks");
    let dir = tempfile::tempdir().expect("dir");
    let jwks_file = dir.path().join("jwks.json");
    std::fs::write(&jwks_file, jwks_text).expect("write");
    let jwks_arg = jwks_file.to_string_lossy().into_owned();
    let during_visit = (app.clock.now() + chrono::Duration::days(3)).to_rfc3339();
    let after_visit = (app.clock.now() + chrono::Duration::days(30)).to_rfc3339();
    let verify = |token: &str, at: &str| {
        app.cli(&["permit", "verify", token, "--jwks", &jwks_arg, "--at", at])
    };

    let ok = verify(&token, &during_visit);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let report: Value = serde_json::from_slice(&ok.stdout).expect("json report");
    assert_eq!(report["permit_id"], permit["permit_id"]);
    assert_eq!(report["holder_name"], "IVANOVA<<ANNA<MARIA");

    let parts: Vec<&str> = token.split('.').collect();
    let flip = |s: &str, i: usize| {
        let mut b = s.as_bytes().to_vec();
        b[i] = if b[i] == b'x' { b'y' } else { b'x' };
        String::from_utf8(b).expect("ascii")
    };
    let foreign_key = PermitSigningKey::generate().expect("key");
    let claims = PermitClaims {
        sub: permit["permit_id"].as_str().expect("id").into(),
        nbf: 0,
        exp: i64::from(i32::MAX),
        n: "X".into(),
        c: "KAZ".into(),
        b: "19900131".into(),
    };
    let cases = [
        (
            format!("{}.{}.{}", parts[0], flip(parts[1], 5), parts[2]),
            during_visit.as_str(),
            "bad_signature",
        ),
        (
            format!("{}.{}.{}", parts[0], parts[1], flip(parts[2], 5)),
            during_visit.as_str(),
            "bad_signature",
        ),
        (
            permit_token::sign(&claims, &foreign_key).expect("sign"),
            during_visit.as_str(),
            "unknown_key",
        ),
        (token.clone(), after_visit.as_str(), "expired"),
        (
            "not.a.token".to_owned(),
            during_visit.as_str(),
            "malformed_token",
        ),
    ];
    for (candidate, at, reason) in cases {
        let out = verify(&candidate, at);
        assert!(!out.status.success(), "{reason} must fail");
        let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
        assert_eq!(report["reason"], reason);
    }
}

#[tokio::test]
async fn after_rotation_old_permits_verify_and_new_ones_carry_the_new_kid() {
    let app = spawn_app().await;
    let old = issue(&app, passport(80)).await;
    let old_kid = old["kid"].as_str().expect("kid").to_owned();
    let out = app.cli(&["keys", "rotate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new = issue(&app, passport(81)).await;
    let new_kid = new["kid"].as_str().expect("kid").to_owned();
    assert_ne!(old_kid, new_kid);
    let set = jwks(&app).await;
    let kids: Vec<&str> = set.keys.iter().map(|k| k.kid.as_str()).collect();
    assert!(
        kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()),
        "{kids:?}"
    );
    verify_with(&app, &set, old["token"].as_str().expect("token"))
        .await
        .expect("the old permit still verifies");
    verify_with(&app, &set, new["token"].as_str().expect("token"))
        .await
        .expect("the new permit verifies");

    // Once every permit the old key signed has expired, the old key is no longer published.
    app.clock.advance(chrono::Duration::days(40));
    let later = jwks(&app).await;
    let kids: Vec<&str> = later.keys.iter().map(|k| k.kid.as_str()).collect();
    // Permit keys first, then the gate-bundle key.
    assert_eq!(kids.len(), 2, "{kids:?}");
    assert_eq!(kids[0], new_kid.as_str());
    assert!(!kids.contains(&old_kid.as_str()));
}

#[tokio::test]
async fn two_instances_on_one_database_share_keys_and_verify_each_other() {
    let a = spawn_app().await;
    let b = a.spawn_peer().await;
    let (set_a, set_b) = (jwks(&a).await, jwks(&b).await);
    assert_eq!(set_a, set_b, "identical JWKS");
    let from_a = issue(&a, passport(90)).await;
    let from_b = issue(&b, passport(91)).await;
    verify_with(&b, &set_b, from_a["token"].as_str().expect("token"))
        .await
        .expect("B verifies A's permit");
    verify_with(&a, &set_a, from_b["token"].as_str().expect("token"))
        .await
        .expect("A verifies B's permit");
    assert_eq!(
        from_a["kid"], from_b["kid"],
        "both sign with the one active key"
    );
    // A permit issued by one instance is fetched from the other.
    let path = format!(
        "/api/v1/permits/{}",
        from_a["permit_id"].as_str().expect("id")
    );
    let fetched = b
        .client
        .get(b.url(&path))
        .header(
            "X-Access-Code",
            from_a["access_code"].as_str().expect("code"),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(fetched.status(), 200);
    // And one document cannot get overlapping permits through two instances at once.
    let today = a.zone_today();
    let body = application(passport(92), days(today, 1), days(today, 3));
    let (ra, rb) = tokio::join!(apply(&a, &body), apply(&b, &body));
    let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
}

#[tokio::test]
async fn residence_permits_of_hong_kong_macao_and_taiwan_residents_are_accepted() {
    let app = spawn_app().await;
    let today = app.zone_today();
    for (n, region) in [81, 82, 83].into_iter().enumerate() {
        let number = crate::helpers::documents::residence_permit_number(region, n as u32 * 2);
        let document = json!({
            "type": "id_card", "issuing_country": "CHN", "number": number,
            "surname": "陳", "given_names": "美玲", "birth_date": "1985-06-15", "sex": "F",
            "expiry_date": "2030-06-15",
        });
        let response = apply(&app, &application(document, days(today, 1), days(today, 5))).await;
        assert_eq!(response.status(), 201, "region {region}");
        let permit: Value = response.json().await.expect("json");
        assert_eq!(permit["holder"]["nationality"], "CHN");
    }
    // A mainland-style address code under 81 is no residence permit.
    let mut body = "810101198506150".to_owned();
    body.push_str("02");
    let check = borderpass::domain::document::resident_id::check_character(body.as_bytes())
        .expect("digits");
    body.push(check as char);
    let document = json!({
        "type": "id_card", "issuing_country": "CHN", "number": body,
        "surname": "陳", "given_names": "美玲", "birth_date": "1985-06-15", "sex": "F",
    });
    let refused = problem(
        apply(&app, &application(document, days(today, 1), days(today, 5))).await,
        422,
    )
    .await;
    assert_eq!(
        field_errors(&refused),
        vec![("document.number".to_owned(), "invalid_value".to_owned())]
    );
}
