//! The pages in a real browser: Debian's chromium driven through chromedriver (both installed by
//! `scripts/test`), one browser at a time, with JavaScript on and off; axe-core checks them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use borderpass::web::i18n::{Lang, Tr};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// Chromium is heavy on two cores: one browser at a time, whatever the test threads do.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long a page may take to show what a test waits for.
const WAIT: Duration = Duration::from_secs(15);

/// A chromium session of its own profile, and the chromedriver that runs it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

fn program(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.exists(),
        "the browser tests need {} ({variable}): install Debian's chromium and chromium-driver, as scripts/test does",
        path.display()
    );
    path
}

impl Browser {
    /// A fresh headless chromium, with JavaScript on or off.
    pub async fn start(javascript: bool) -> Self {
        let turn = ONE_BROWSER.lock().await;
        let driver_path = program("CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = program("CHROMIUM", "/usr/bin/chromium");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let mut options = json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--lang=en-US",
                "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        });
        if !javascript {
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), "chrome".into());
        capabilities.insert("goog:chromeOptions".into(), options);
        // chromedriver speaks plain HTTP on loopback; the builder still wants a TLS provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = ClientBuilder::rustls()
            .expect("a client")
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a chromium session");
        Self {
            client,
            driver,
            profile,
            _turn: turn,
        }
    }

    /// Ends the session (chromedriver closes chromium).
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    pub async fn goto(&self, app: &TestApp, path: &str) {
        self.client.goto(&app.url(path)).await.expect("page loads");
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} is not on the page: {e}"))
    }

    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find")
            .is_empty()
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// The text at `css` once `ready` holds for it, polled for up to `seconds`; the last text
    /// read either way (the caller asserts what it needs).
    pub async fn text_once(&self, css: &str, seconds: u64, ready: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
        loop {
            let text = self.text(css).await;
            if ready(&text) || std::time::Instant::now() > deadline {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css).await.attr(name).await.expect("attr")
    }

    /// Types `value` into the control named `name` (chooses it, in a `<select>`).
    pub async fn fill(&self, name: &str, value: &str) {
        let element = self.find(&format!("[name=\"{name}\"]")).await;
        let tag = element.tag_name().await.expect("tag");
        if tag == "select" {
            element.select_by_value(value).await.expect("option");
            return;
        }
        element.clear().await.expect("clear");
        if value.is_empty() {
            return;
        }
        if element.attr("type").await.expect("type").as_deref() == Some("date") {
            // A date input takes keystrokes in the browser's locale (en-US: month, day, year).
            let (y, rest) = value.split_once('-').expect("YYYY-MM-DD");
            let (m, d) = rest.split_once('-').expect("YYYY-MM-DD");
            element
                .send_keys(&format!("{m}{d}{y}"))
                .await
                .expect("type a date");
        } else {
            element.send_keys(value).await.expect("type");
        }
    }

    pub async fn value(&self, name: &str) -> String {
        self.find(&format!("[name=\"{name}\"]"))
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// The text the QR code shown at `css` decodes to, read from the rendered page.
    pub async fn qr_text(&self, css: &str) -> String {
        let png = self.find(css).await.screenshot().await.expect("screenshot");
        let image = image::load_from_memory(&png).expect("a PNG").to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(image);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code at {css}");
        grids[0].decode().expect("the QR code decodes").1
    }

    /// The serious and critical problems axe-core finds on the page.
    pub async fn axe(&self) -> Vec<String> {
        let source = std::fs::read_to_string(axe_path()).unwrap_or_else(|e| {
            panic!(
                "axe-core is needed at {} ({e}): scripts/test installs it with npm",
                axe_path().display()
            )
        });
        self.client
            .execute(&source, vec![])
            .await
            .expect("axe loads");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .expect("axe runs");
        serde_json::from_value(found).expect("a list")
    }

    pub async fn assert_accessible(&self, what: &str) {
        let problems = self.axe().await;
        assert!(problems.is_empty(), "{what}: {problems:#?}");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // A test that failed mid-session leaves its chromium: end it by its profile.
        let _ = Command::new("pkill")
            .arg("-f")
            .arg(self.profile.path())
            .status();
    }
}

/// Where `scripts/test` puts axe-core (or `AXE_CORE_JS`).
fn axe_path() -> PathBuf {
    std::env::var_os("AXE_CORE_JS").map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/web-test-deps/node_modules/axe-core/axe.min.js")
        },
        PathBuf::from,
    )
}

/// The message `id` in `lang`, as the pages say it.
pub fn says(lang: Lang, id: &str) -> String {
    Tr::new(lang).t(id)
}

/// The permit the API gives for `id` and `code`.
pub async fn permit_of(app: &TestApp, id: &str, code: &str) -> Value {
    let response = app
        .client
        .get(app.url(&format!("/api/v1/permits/{id}")))
        .header("X-Access-Code", code)
        .send()
        .await
        .expect("GET");
    assert_eq!(
        response.status(),
        200,
        "the page's permit and code open it in the API"
    );
    response.json().await.expect("json")
}
