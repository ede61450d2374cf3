//! Travelers in a real browser: apply in every language with each document, with JavaScript on
//! and off, read the QR back from the page, print it, mistakes shown at their fields, axe-core.

use borderpass::web::i18n::Lang;
use chrono::{Days, NaiveDate};
use serde_json::Value;

use crate::browser::{permit_of, says, Browser};
use crate::helpers::documents::{chinese_card, kazakh_card, passport};
use crate::helpers::{spawn_app, TestApp};

/// The typed fields of `document` (the API's JSON), in the form's names.
fn typed_fields(document: &Value) -> Vec<(&'static str, String)> {
    crate::pages::DOCUMENT_FIELDS
        .into_iter()
        .filter(|(json, _)| *json != "mrz")
        .filter_map(|(json, name)| document[json].as_str().map(|v| (name, v.to_owned())))
        .collect()
}

/// Applies through the form as a traveler would and checks the permit page: its language, the
/// access code, and a QR code that decodes to the permit's token. The permit's id.
async fn apply_in_browser(
    browser: &Browser,
    app: &TestApp,
    lang: Lang,
    document: &Value,
    javascript: bool,
    from: NaiveDate,
    until: NaiveDate,
) -> String {
    browser.goto(app, &format!("/?lang={}", lang.tag())).await;
    assert_eq!(
        browser.attr("html", "lang").await.as_deref(),
        Some(lang.tag())
    );
    assert_eq!(browser.text("h1").await, says(lang, "apply-title"));
    if let Some(mrz) = document["mrz"]
        .as_str()
        .filter(|_| document["number"].is_null())
    {
        // The MRZ alone: pasted, the fields fill in (by the script, or by the server on the button).
        browser.fill("document.mrz", mrz).await;
        if javascript {
            let mut filled = String::new();
            for _ in 0..100 {
                filled = browser.value("document.surname").await;
                if !filled.is_empty() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert!(
                !filled.is_empty(),
                "the script fills the fields from the MRZ"
            );
        } else {
            assert!(browser.value("document.surname").await.is_empty());
            browser.click("#read-mrz").await;
            assert_eq!(browser.text("#page-notice").await, says(lang, "mrz-filled"));
        }
        assert_eq!(browser.value("document.surname").await, "SEITKALI");
        assert_eq!(browser.value("document.type").await, "id_card");
    } else {
        for (name, value) in typed_fields(document) {
            browser.fill(name, &value).await;
        }
    }
    browser.fill("visit.from", &from.to_string()).await;
    browser.fill("visit.until", &until.to_string()).await;
    assert_eq!(
        browser.value("visit.from").await,
        from.to_string(),
        "the date input took the date"
    );
    browser.click("#apply-submit").await;
    let id = browser.text("#permit-id").await;
    assert_eq!(
        browser.attr("html", "lang").await.as_deref(),
        Some(lang.tag())
    );
    assert_eq!(browser.text("h1").await, says(lang, "permit-title"));
    let code = browser.text("#access-code").await;
    let permit = permit_of(app, &id, &code).await;
    let token = permit["token"].as_str().expect("token");
    assert_eq!(
        browser.qr_text("#permit-qr").await,
        token,
        "the QR on the page is the token"
    );
    id
}

#[tokio::test]
async fn travelers_apply_in_every_language_with_each_document_with_and_without_javascript() {
    let app = spawn_app().await;
    let today = app.zone_today();
    let mut n = 200;
    for javascript in [true, false] {
        let browser = Browser::start(javascript).await;
        for lang in Lang::ALL {
            for document in [passport(n), chinese_card(n), kazakh_card(n)] {
                n += 1;
                let document = if document["number"].is_null() || document["type"] != "passport" {
                    document
                } else {
                    // The passport typed by hand, without its MRZ.
                    let mut typed = document;
                    typed["mrz"] = Value::Null;
                    typed
                };
                let (from, until) = (today + Days::new(1), today + Days::new(20));
                apply_in_browser(&browser, &app, lang, &document, javascript, from, until).await;
            }
        }
        browser.close().await;
    }
}

#[tokio::test]
async fn a_refused_application_shows_each_problem_at_its_field_in_the_browser() {
    let app = spawn_app().await;
    let today = app.zone_today();
    for javascript in [true, false] {
        let browser = Browser::start(javascript).await;
        browser.goto(&app, "/?lang=kk").await;
        let mut document = chinese_card(if javascript { 31 } else { 32 });
        document["number"] = "110105198506150310".into();
        document["birth_date"] = "1985-13-01".into();
        for (name, value) in typed_fields(&document) {
            browser.fill(name, &value).await;
        }
        browser
            .fill("visit.from", &(today + Days::new(3)).to_string())
            .await;
        browser.fill("visit.until", &today.to_string()).await;
        browser.click("#apply-submit").await;
        browser.find("#error-summary").await;
        let invalid = browser
            .client
            .find_all(fantoccini::Locator::Css("[aria-invalid=true]"))
            .await
            .expect("find");
        let mut names = Vec::new();
        for input in invalid {
            let name = input.attr("name").await.expect("name").unwrap_or_default();
            let described = input
                .attr("aria-describedby")
                .await
                .expect("attr")
                .unwrap_or_default();
            let error_id = described
                .split_whitespace()
                .find(|id| id.ends_with("-error"))
                .unwrap_or_else(|| panic!("{name} names no problem text"))
                .to_owned();
            let text = browser.text(&format!("#{error_id}")).await;
            assert!(!text.is_empty(), "{name}'s problem is shown");
            names.push(name);
        }
        assert_eq!(
            names,
            ["document.number", "document.birth_date", "visit.until"]
        );
        assert_eq!(
            browser.text("#f-visit-until-error").await,
            says(Lang::Kk, "code-invalid_range")
        );
        assert_eq!(
            browser.value("document.number").await,
            "110105198506150310",
            "what was typed stays"
        );
        // The summary's links lead to the fields.
        browser.click("#error-summary a").await;
        if javascript {
            browser.assert_accessible("a refused application").await;
        }
        browser.close().await;
    }
}

#[tokio::test]
async fn a_permit_opens_again_only_with_its_code_prints_on_one_page_and_every_page_passes_axe() {
    let app = spawn_app().await;
    let today = app.zone_today();
    let issued = app
        .issue(250, today + Days::new(2), today + Days::new(31))
        .await;
    let id = issued["permit_id"].as_str().expect("id").to_owned();
    let code = issued["access_code"].as_str().expect("code").to_owned();
    for javascript in [true, false] {
        let browser = Browser::start(javascript).await;
        for lang in Lang::ALL {
            browser
                .goto(&app, &format!("/permit?lang={}", lang.tag()))
                .await;
            if javascript {
                browser
                    .assert_accessible(&format!("/permit in {}", lang.tag()))
                    .await;
            }
            browser.fill("permit_id", &id).await;
            browser.fill("access_code", "WRONGCODE1").await;
            browser.click("#fetch-form button[type=submit]").await;
            assert_eq!(
                browser.text("[role=alert]").await,
                says(lang, "problem-permit-not-found")
            );
            assert!(!browser.has("#permit-id").await && !browser.has("#permit-qr").await);
            browser.fill("permit_id", &id).await;
            browser.fill("access_code", &code).await;
            browser.click("#fetch-form button[type=submit]").await;
            assert_eq!(browser.text("#permit-id").await, id);
            assert!(
                !browser.has("#access-code").await,
                "the code is shown only after applying"
            );
            assert_eq!(
                browser.qr_text("#permit-qr").await,
                issued["token"].as_str().expect("token")
            );
            if javascript {
                // Everything the page loaded came from the service, and little of it.
                let loaded = browser
                    .client
                    .execute(
                        "const all = performance.getEntriesByType('navigation')
                           .concat(performance.getEntriesByType('resource'));
                         return [all.map(e => e.name), all.reduce((s, e) => s + e.transferSize, 0)];",
                        vec![],
                    )
                    .await
                    .expect("resources");
                for url in loaded[0].as_array().expect("names") {
                    let url = url.as_str().expect("url");
                    assert!(url.starts_with(&app.address), "{url} is another host's");
                }
                let bytes = loaded[1].as_u64().expect("bytes");
                assert!(bytes > 0 && bytes < 100 * 1024, "{bytes} bytes on the wire");
                browser
                    .assert_accessible(&format!("the permit page in {}", lang.tag()))
                    .await;
                let pdf = browser
                    .client
                    .print(fantoccini::wd::PrintConfiguration::default())
                    .await
                    .expect("prints");
                assert_eq!(
                    pdf_pages(&pdf),
                    1,
                    "the permit prints on one A4 page in {}",
                    lang.tag()
                );
                browser.goto(&app, "/").await;
                browser
                    .assert_accessible(&format!("the form in {}", lang.tag()))
                    .await;
            }
        }
        if javascript {
            // A 360 px phone: nothing wider than the screen.
            browser
                .client
                .set_window_size(360, 780)
                .await
                .expect("resize");
            for path in ["/", "/permit"] {
                browser.goto(&app, path).await;
                let widths = browser
                    .client
                    .execute(
                        "return [document.documentElement.scrollWidth, window.innerWidth];",
                        vec![],
                    )
                    .await
                    .expect("widths");
                let (scroll, inner) = (
                    widths[0].as_u64().expect("n"),
                    widths[1].as_u64().expect("n"),
                );
                assert!(
                    scroll <= inner,
                    "{path} is {scroll} px wide on a {inner} px screen"
                );
            }
        }
        browser.close().await;
    }
}

/// The number of pages of a PDF: its page objects.
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type /Page")
        .filter(|(at, m)| !text[at + m.len()..].starts_with('s'))
        .count()
        + text
            .match_indices("/Type/Page")
            .filter(|(at, m)| !text[at + m.len()..].starts_with('s'))
            .count()
}

#[tokio::test]
async fn the_form_works_with_the_keyboard_alone() {
    use fantoccini::key::Key;
    let app = spawn_app().await;
    let today = app.zone_today();
    let browser = Browser::start(true).await;
    browser.goto(&app, "/?lang=en").await;
    let tab = Key::Tab.to_string();
    let active_id = |b: &Browser| {
        let client = b.client.clone();
        async move {
            let element = client.active_element().await.expect("focus");
            element.attr("id").await.expect("id").unwrap_or_default()
        }
    };
    // The first Tab reaches the skip link, which leads into the page.
    browser
        .find("body")
        .await
        .send_keys(&tab)
        .await
        .expect("tab");
    let skip = browser.client.active_element().await.expect("focus");
    assert_eq!(
        skip.attr("class").await.expect("class").as_deref(),
        Some("skip-link")
    );
    assert_eq!(
        skip.css_value("outline-style").await.expect("css"),
        "solid",
        "focus is visible"
    );
    skip.send_keys(&Key::Enter.to_string())
        .await
        .expect("enter");
    // From there, Tab visits the form in its reading order (a date input's parts are one stop).
    let mut order: Vec<String> = Vec::new();
    for _ in 0..30 {
        browser
            .client
            .active_element()
            .await
            .expect("focus")
            .send_keys(&tab)
            .await
            .expect("tab");
        let id = active_id(&browser).await;
        if order.last() != Some(&id) {
            order.push(id.clone());
        }
        if id == "apply-submit" {
            break;
        }
    }
    assert_eq!(
        order,
        [
            "f-document-mrz",
            "read-mrz",
            "f-document-type",
            "f-document-issuing-country",
            "f-document-number",
            "f-document-nationality",
            "f-document-surname",
            "f-document-given-names",
            "f-document-birth-date",
            "f-document-sex",
            "f-document-expiry-date",
            "f-document-personal-number",
            "f-visit-from",
            "f-visit-until",
            "apply-submit",
        ]
    );
    // Typed field by field, Enter in a field applies (it does not read the empty MRZ).
    let mut document = passport(260);
    document["mrz"] = Value::Null;
    for (name, value) in typed_fields(&document) {
        browser.fill(name, &value).await;
    }
    browser
        .fill("visit.from", &(today + Days::new(1)).to_string())
        .await;
    browser
        .fill("visit.until", &(today + Days::new(2)).to_string())
        .await;
    browser
        .find("[name=\"document.surname\"]")
        .await
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("enter");
    assert!(
        !browser.text("#permit-id").await.is_empty(),
        "Enter applied"
    );
    browser.close().await;
}
