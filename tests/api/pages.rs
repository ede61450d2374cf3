//! The travelers' pages over plain HTTP: headers, form tokens, every problem at its field, the
//! permit page, opening it again; the browser flows are in `browser.rs`.

use chrono::Days;
use scraper::{Html, Selector};
use serde_json::Value;

use crate::helpers::documents::{kazakh_card, passport};
use crate::helpers::{spawn_app, TestApp};

/// A browser's view of the service: the cookies it was given.
pub struct Visitor<'a> {
    app: &'a TestApp,
    cookies: Vec<(String, String)>,
    accept_language: Option<&'static str>,
}

/// An HTML answer.
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub html: String,
}

impl Page {
    pub fn doc(&self) -> Html {
        Html::parse_document(&self.html)
    }

    /// The text of the first element matching `css`.
    pub fn text(&self, css: &str) -> Option<String> {
        let doc = self.doc();
        let selector = Selector::parse(css).expect("selector");
        doc.select(&selector)
            .next()
            .map(|e| e.text().collect::<String>().trim().to_owned())
    }

    /// The attribute `name` of the first element matching `css`.
    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        let doc = self.doc();
        let selector = Selector::parse(css).expect("selector");
        doc.select(&selector)
            .next()
            .and_then(|e| e.value().attr(name).map(str::to_owned))
    }

    pub fn csrf(&self) -> String {
        self.attr("input[name=csrf]", "value")
            .expect("a form token")
    }

    /// Each invalid control's name, with the text of the elements its `aria-describedby` names
    /// that carry a problem.
    pub fn field_problems(&self) -> Vec<(String, String)> {
        let doc = self.doc();
        let invalid = Selector::parse("[aria-invalid=true]").expect("selector");
        doc.select(&invalid)
            .map(|input| {
                let name = input.value().attr("name").unwrap_or_default().to_owned();
                let described = input.value().attr("aria-describedby").unwrap_or_default();
                let text: Vec<String> = described
                    .split_whitespace()
                    .filter(|id| id.ends_with("-error"))
                    .map(|id| {
                        let s = Selector::parse(&format!("#{id}")).expect("selector");
                        doc.select(&s)
                            .next()
                            .unwrap_or_else(|| {
                                panic!("{name}: aria-describedby names {id}, which is not there")
                            })
                            .text()
                            .collect::<String>()
                    })
                    .collect();
                (name, text.join(" "))
            })
            .collect()
    }
}

impl<'a> Visitor<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: Vec::new(),
            accept_language: None,
        }
    }

    pub fn speaking(mut self, accept_language: &'static str) -> Self {
        self.accept_language = Some(accept_language);
        self
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn keep(&mut self, response: reqwest::Response) -> Page {
        for value in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let text = value.to_str().expect("cookie");
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                self.cookies.retain(|(name, _)| name != k);
                self.cookies.push((k.to_owned(), v.to_owned()));
            }
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let html = response.text().await.expect("body");
        Page {
            status,
            headers,
            html,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let mut request = self
            .app
            .client
            .get(self.app.url(path))
            .header("Cookie", self.cookie_header());
        if let Some(lang) = self.accept_language {
            request = request.header("Accept-Language", lang);
        }
        let response = request.send().await.expect("GET");
        self.keep(response).await
    }

    pub async fn get_accepting(&mut self, path: &str, accept: &str) -> Page {
        let mut request = self
            .app
            .client
            .get(self.app.url(path))
            .header("Accept", accept)
            .header("Cookie", self.cookie_header());
        if let Some(lang) = self.accept_language {
            request = request.header("Accept-Language", lang);
        }
        let response = request.send().await.expect("GET");
        self.keep(response).await
    }

    /// Opens permit `id` with `code` on `/permit`, with the form token `csrf`.
    pub async fn open_permit(&mut self, id: &str, code: &str, csrf: &str) -> Page {
        let form = [
            ("permit_id", id.to_owned()),
            ("access_code", code.to_owned()),
            ("csrf", csrf.to_owned()),
        ];
        self.post("/permit", &form).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, String)]) -> Page {
        self.post_with(path, form, &[]).await
    }

    pub async fn post_with(
        &mut self,
        path: &str,
        form: &[(&str, String)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = self
            .app
            .client
            .post(self.app.url(path))
            .header("Cookie", self.cookie_header())
            .form(form);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(lang) = self.accept_language {
            request = request.header("Accept-Language", lang);
        }
        let response = request.send().await.expect("POST");
        self.keep(response).await
    }
}

/// The application form's document inputs, by the API's JSON field they stand for.
pub const DOCUMENT_FIELDS: [(&str, &str); 11] = [
    ("type", "document.type"),
    ("issuing_country", "document.issuing_country"),
    ("number", "document.number"),
    ("nationality", "document.nationality"),
    ("surname", "document.surname"),
    ("given_names", "document.given_names"),
    ("birth_date", "document.birth_date"),
    ("sex", "document.sex"),
    ("expiry_date", "document.expiry_date"),
    ("personal_number", "document.personal_number"),
    ("mrz", "document.mrz"),
];

/// The form fields of an application of `document` (the API's JSON document) for the days given.
pub fn form_of(
    document: &Value,
    from: chrono::NaiveDate,
    until: chrono::NaiveDate,
) -> Vec<(&'static str, String)> {
    let mut form: Vec<(&'static str, String)> = DOCUMENT_FIELDS
        .iter()
        .map(|(json, name)| {
            (
                *name,
                document[json].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    form.push(("visit.from", from.to_string()));
    form.push(("visit.until", until.to_string()));
    form
}

fn with_token(mut form: Vec<(&'static str, String)>, token: String) -> Vec<(&'static str, String)> {
    form.push(("csrf", token));
    form
}

#[tokio::test]
async fn the_form_names_its_inputs_as_the_contract_and_sends_safe_headers() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app);
    let page = visitor.get("/").await;
    assert_eq!(page.status, 200);
    let csp = page.headers["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(
        csp.contains("default-src 'none'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    assert_eq!(page.headers["cache-control"], "no-store");
    assert_eq!(page.attr("html", "lang").as_deref(), Some("en"));
    assert_eq!(
        page.doc()
            .select(&Selector::parse("form").expect("s"))
            .count(),
        1,
        "one form"
    );
    for name in [
        "document.type",
        "document.issuing_country",
        "document.number",
        "document.nationality",
        "document.surname",
        "document.given_names",
        "document.birth_date",
        "document.sex",
        "document.expiry_date",
        "document.personal_number",
        "visit.from",
        "visit.until",
    ] {
        let id = page
            .attr(&format!("[name=\"{name}\"]"), "id")
            .unwrap_or_else(|| panic!("no input {name}"));
        assert!(
            page.text(&format!("label[for=\"{id}\"]"))
                .is_some_and(|t| !t.is_empty()),
            "{name} has a label"
        );
    }
    assert!(
        page.attr("textarea[name=\"document.mrz\"]", "id").is_some(),
        "the MRZ is a textarea"
    );
    // No inline script or style, nothing from another host.
    let doc = page.doc();
    for element in doc.select(&Selector::parse("script, link, img").expect("s")) {
        assert!(element
            .value()
            .attr("src")
            .or(element.value().attr("href"))
            .is_some_and(|a| a.starts_with('/')));
        assert!(
            element.text().collect::<String>().trim().is_empty(),
            "inline script"
        );
    }
    assert!(
        doc.select(&Selector::parse("[style]").expect("s"))
            .next()
            .is_none(),
        "no style attributes"
    );
    let cookie = page.headers[reqwest::header::SET_COOKIE]
        .to_str()
        .expect("cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // The language: ?lang=, then the cookie it sets, then Accept-Language, then English.
    let mut reader = Visitor::new(&app).speaking("ru-RU,ru;q=0.9");
    assert_eq!(
        reader.get("/").await.attr("html", "lang").as_deref(),
        Some("ru")
    );
    let chosen = reader.get("/?lang=kk").await;
    assert_eq!(chosen.attr("html", "lang").as_deref(), Some("kk"));
    assert_eq!(chosen.headers["content-language"], "kk");
    assert_eq!(
        reader.get("/permit").await.attr("html", "lang").as_deref(),
        Some("kk"),
        "remembered"
    );
    let mut chinese = Visitor::new(&app).speaking("zh-CN");
    let page = chinese.get("/").await;
    assert_eq!(page.attr("html", "lang").as_deref(), Some("zh"));
    assert_eq!(page.text("h1").as_deref(), Some("申请入区通行证"));
    assert_eq!(
        Visitor::new(&app)
            .speaking("de")
            .get("/")
            .await
            .attr("html", "lang")
            .as_deref(),
        Some("en")
    );

    // Assets: embedded, cached under an address that changes with them.
    let style = page
        .attr("link[rel=stylesheet]", "href")
        .expect("style sheet");
    let response = app.get(&style).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/css"));
    assert!(response.headers()["cache-control"]
        .to_str()
        .expect("cc")
        .contains("immutable"));
    assert_eq!(app.get("/assets/none.js").await.status(), 404);

    // An unknown address: a page for a browser, the API's problem for anything else.
    let lost = chinese
        .get_accepting("/nowhere", "text/html,*/*;q=0.8")
        .await;
    assert_eq!(lost.status, 404);
    assert_eq!(lost.attr("html", "lang").as_deref(), Some("zh"));
    assert!(lost
        .text("[role=alert]")
        .is_some_and(|t| t == "此地址没有页面。"));
    let api = chinese.get_accepting("/api/v1/nowhere", "text/html").await;
    assert_eq!(api.headers["content-type"], "application/problem+json");
    assert_eq!(
        chinese.get("/nowhere").await.headers["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn an_application_from_the_form_gets_its_permit_page() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app);
    let token = visitor.get("/").await.csrf();
    let today = app.zone_today();
    let (from, until) = (today + Days::new(1), today + Days::new(10));
    let document = passport(71);
    let page = visitor
        .post(
            "/",
            &with_token(form_of(&document, from, until), token.clone()),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(page.headers["cache-control"], "no-store");
    let permit_id = page.text("#permit-id").expect("permit id");
    let code = page.text("#access-code").expect("access code shown once");
    assert_eq!(
        page.text("#holder-name").as_deref(),
        Some("IVANOVA ANNA MARIA")
    );
    assert!(
        page.html.contains("<svg id=\"permit-qr\""),
        "the QR is inline SVG"
    );
    // The permit is the API's, with the code the page showed.
    let response = app
        .client
        .get(app.url(&format!("/api/v1/permits/{permit_id}")))
        .header("X-Access-Code", &code)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
    let permit: Value = response.json().await.expect("json");
    assert_eq!(permit["visit"]["from"], from.to_string());

    // Opened again: the same permit, no access code shown.
    let form = visitor.get("/permit").await;
    let again = visitor
        .post(
            "/permit",
            &[
                ("permit_id", permit_id.clone()),
                ("access_code", code.clone()),
                ("csrf", form.csrf()),
            ],
        )
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.text("#permit-id").as_deref(),
        Some(permit_id.as_str())
    );
    assert!(
        again.text("#access-code").is_none(),
        "the code is shown only right after applying"
    );
    // The PNG to keep, posted so the code stays out of the address.
    let png = app
        .client
        .post(app.url("/permit/qr.png"))
        .header("Cookie", visitor.cookie_header())
        .form(&[
            ("permit_id", permit_id.clone()),
            ("access_code", code.clone()),
            ("csrf", form.csrf()),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    let image = image::load_from_memory(&png.bytes().await.expect("png"))
        .expect("a PNG")
        .to_luma8();
    let mut grid = rqrr::PreparedImage::prepare(image);
    let (_, text) = grid.detect_grids()[0].decode().expect("decodes");
    assert_eq!(text, permit["token"].as_str().expect("token"));

    // A wrong code and an unknown id look alike, and show no permit.
    for (id, code) in [
        (permit_id.clone(), "WRONG-CODE".to_owned()),
        (
            "0190aaaa-0000-7000-8000-000000000000".to_owned(),
            code.clone(),
        ),
    ] {
        let refused = visitor
            .post(
                "/permit",
                &[
                    ("permit_id", id),
                    ("access_code", code),
                    ("csrf", form.csrf()),
                ],
            )
            .await;
        assert_eq!(refused.status, 404);
        assert!(refused
            .text("[role=alert]")
            .is_some_and(|t| t.contains("No permit matches")));
        assert!(refused.text("#permit-id").is_none() && !refused.html.contains("permit-qr"));
    }
    // The same document for overlapping days: said at the top, what was typed kept.
    let token = visitor.get("/").await.csrf();
    let twice = visitor
        .post("/", &with_token(form_of(&document, from, until), token))
        .await;
    assert_eq!(twice.status, 409);
    assert!(twice
        .text("[role=alert]")
        .is_some_and(|t| t.contains("already holds a permit")));
    assert_eq!(
        twice.attr("[name=\"document.number\"]", "value"),
        document["number"].as_str().map(str::to_owned)
    );
}

#[tokio::test]
async fn a_refused_application_shows_every_problem_at_its_field_in_the_readers_language() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app).speaking("ru");
    let token = visitor.get("/").await.csrf();
    let today = app.zone_today();
    let mut document = passport(72);
    document["mrz"] = Value::Null;
    document["number"] = "N0000007".into();
    document["birth_date"] = "1990-02-30".into();
    document["surname"] = "".into();
    let form = form_of(&document, today - Days::new(1), today + Days::new(40));
    let page = visitor.post("/", &with_token(form, token)).await;
    assert_eq!(page.status, 422, "{}", page.html);
    let problems = page.field_problems();
    let names: Vec<&str> = problems.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "document.surname",
            "document.birth_date",
            "visit.from",
            "visit.until"
        ],
        "{problems:?}"
    );
    for (name, text) in &problems {
        assert!(!text.trim().is_empty(), "{name} has its problem's text");
    }
    assert!(problems[1].1.contains("Это не дата"), "{problems:?}");
    // The summary links to each field.
    let doc = page.doc();
    let links: Vec<String> = doc
        .select(&Selector::parse("#error-summary a").expect("s"))
        .map(|a| a.value().attr("href").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(links.len(), 4);
    for link in links {
        assert!(page.attr(&link, "name").is_some(), "{link} names a control");
    }
    assert_eq!(
        page.attr("#error-summary", "role").as_deref(),
        Some("alert")
    );
    // What was typed stays.
    assert_eq!(
        page.attr("[name=\"document.number\"]", "value").as_deref(),
        Some("N0000007")
    );
}

#[tokio::test]
async fn the_server_fills_the_fields_from_a_pasted_mrz() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app);
    let token = visitor.get("/").await.csrf();
    let card = kazakh_card(73);
    let form = vec![
        (
            "document.mrz",
            card["mrz"].as_str().expect("mrz").to_owned(),
        ),
        ("action", "read_mrz".to_owned()),
        ("csrf", token.clone()),
    ];
    let page = visitor.post("/", &form).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(
        page.attr("[name=\"document.surname\"]", "value").as_deref(),
        Some("SEITKALI")
    );
    assert_eq!(
        page.attr("[name=\"document.issuing_country\"]", "value")
            .as_deref(),
        Some("KAZ")
    );
    assert_eq!(
        page.attr("[name=\"document.birth_date\"]", "value")
            .as_deref(),
        Some("1990-01-31")
    );
    assert_eq!(
        page.attr("[name=\"document.type\"] option[selected]", "value")
            .as_deref(),
        Some("id_card")
    );
    assert!(page.text("#page-notice").is_some());
    // The script's reading: the same fields, as JSON.
    let response = app
        .client
        .post(app.url("/apply/mrz"))
        .header("Cookie", visitor.cookie_header())
        .form(&form)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["fields"]["document.number"], card_number(&page));
    // A broken zone: its problem at the MRZ.
    let broken = vec![
        ("document.mrz", "P<KAZ".to_owned()),
        ("action", "read_mrz".to_owned()),
        ("csrf", token),
    ];
    let page = visitor.post("/", &broken).await;
    assert_eq!(page.status, 422);
    assert_eq!(page.field_problems()[0].0, "document.mrz");
}

fn card_number(page: &Page) -> String {
    page.attr("[name=\"document.number\"]", "value")
        .expect("number")
}

#[tokio::test]
async fn a_form_post_without_its_token_or_from_another_site_changes_nothing() {
    let app = spawn_app().await;
    let today = app.zone_today();
    let form = form_of(&passport(74), today + Days::new(1), today + Days::new(5));
    let mut visitor = Visitor::new(&app);
    // No token at all.
    let page = visitor.post("/", &form).await;
    assert_eq!(page.status, 403);
    assert!(page
        .text("[role=alert]")
        .is_some_and(|t| t.contains("expired")));
    assert!(page.text("#permit-id").is_none());
    assert_eq!(
        page.attr("[name=\"document.number\"]", "value").as_deref(),
        Some("N00000074"),
        "kept"
    );
    // A token of another reader.
    let token = Visitor::new(&app).get("/").await.csrf();
    let _ = visitor.get("/").await;
    assert_eq!(
        visitor
            .post("/", &with_token(form.clone(), token))
            .await
            .status,
        403
    );
    // The reader's own token, from another site.
    let own = visitor.get("/").await.csrf();
    let cross = visitor
        .post_with(
            "/",
            &with_token(form.clone(), own.clone()),
            &[("Sec-Fetch-Site", "cross-site")],
        )
        .await;
    assert_eq!(cross.status, 403);
    let origin = visitor
        .post_with(
            "/",
            &with_token(form.clone(), own.clone()),
            &[("Origin", "https://evil.example")],
        )
        .await;
    assert_eq!(origin.status, 403);
    // Nothing was issued: the document can apply now.
    let page = visitor
        .post_with(
            "/",
            &with_token(form, own),
            &[("Sec-Fetch-Site", "same-origin")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.text("#permit-id").is_some());
}

#[tokio::test]
async fn opening_permits_with_wrong_codes_is_throttled_like_logins() {
    let app = spawn_app().await;
    let today = app.zone_today();
    let permit = app
        .issue(75, today + Days::new(1), today + Days::new(3))
        .await;
    let id = permit["permit_id"].as_str().expect("id").to_owned();
    // Only failures count: the holder opening the permit on many screens at once is never blocked.
    let code = permit["access_code"].as_str().expect("code").to_owned();
    let opened = futures_join_all((0..12).map(|_| {
        app.client
            .get(app.url(&format!("/api/v1/permits/{id}")))
            .header("X-Access-Code", &code)
            .send()
    }))
    .await;
    assert!(opened
        .iter()
        .all(|r| r.as_ref().is_ok_and(|r| r.status() == 200)));
    let mut visitor = Visitor::new(&app);
    let token = visitor.get("/permit").await.csrf();
    let limit = app.config.login_max_failures;
    // The right code forgets the permit's failures: mistyped a few times, twice over, it opens.
    for _ in 0..2 {
        for _ in 0..limit - 1 {
            let page = visitor.open_permit(&id, "NOPE", &token).await;
            assert_eq!(page.status, 404);
        }
        let page = visitor.open_permit(&id, &code, &token).await;
        assert_eq!(page.status, 200);
    }
    for _ in 0..limit {
        let page = visitor.open_permit(&id, "NOPE", &token).await;
        assert_eq!(page.status, 404);
    }
    let blocked = visitor.open_permit(&id, &code, &token).await;
    assert_eq!(blocked.status, 429, "even the right code waits");
    assert!(blocked.headers.contains_key("retry-after"));
    assert!(blocked
        .text("[role=alert]")
        .is_some_and(|t| t.contains("Try again in")));
    // The API is throttled alike.
    let api = app
        .client
        .get(app.url(&format!("/api/v1/permits/{id}")))
        .header("X-Access-Code", &code)
        .send()
        .await
        .expect("GET");
    assert_eq!(api.status(), 429);
    // Once the block ends, the right code opens it.
    app.clock
        .advance(app.config.login_block + chrono::Duration::seconds(1));
    let page = visitor
        .post(
            "/permit",
            &[("permit_id", id), ("access_code", code), ("csrf", token)],
        )
        .await;
    assert_eq!(page.status, 200);
}

#[tokio::test]
async fn traveler_pages_are_small_and_name_no_other_host() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app);
    let today = app.zone_today();
    let form_page = visitor.get("/").await;
    let permit_page = visitor
        .post(
            "/",
            &with_token(
                form_of(&passport(76), today, today + Days::new(29)),
                form_page.csrf(),
            ),
        )
        .await;
    assert_eq!(permit_page.status, 200, "{}", permit_page.html);
    let fetch_page = visitor.get("/permit").await;
    for page in [&form_page, &permit_page, &fetch_page] {
        let doc = page.doc();
        let mut total = page.html.len();
        for element in doc.select(&Selector::parse("[src], [href], [action]").expect("s")) {
            for attr in ["src", "href", "action"] {
                if let Some(target) = element.value().attr(attr) {
                    assert!(
                        target.starts_with('/') && !target.starts_with("//")
                            || target.starts_with('#')
                            || target.starts_with('?'),
                        "{attr}={target} leaves the service"
                    );
                    if attr != "action" && target.starts_with("/assets/") {
                        total += app.get(target).await.bytes().await.expect("asset").len();
                    }
                }
            }
        }
        assert!(total < 100 * 1024, "{total} bytes");
    }
}

/// Runs `futures` at once; their outputs in order.
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send,
{
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.expect("task"));
    }
    out
}
