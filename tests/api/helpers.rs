//! Test harness: `spawn_app()` starts the real service against a fresh database of its own.

use std::sync::Arc;
use std::time::Duration;

use borderpass::clock::ManualClock;
use borderpass::config::{Config, RawSettings};
use borderpass::http::Server;
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};

pub const ADMIN_PASSWORD: &str = "chief's long password";
pub const OFFICER_PASSWORD: &str = "officer's long password";

/// Which database the tests run against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    /// The admin URL from TEST_DATABASE_URL.
    Postgres(String),
}

pub fn test_backend() -> TestBackend {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => {
            assert!(
                url.starts_with("postgres://") || url.starts_with("postgresql://"),
                "TEST_DATABASE_URL must be a postgres:// URL, got a different scheme"
            );
            TestBackend::Postgres(without_encryption(url))
        }
        _ => TestBackend::Sqlite,
    }
}

/// Test connections go without TLS (and GSSAPI) encryption unless the URL names an `sslmode`: the
/// test binary exits while the last tests' servers may still be closing connections on their own
/// threads, and libpq over TLS can crash when OpenSSL's exit handlers run under it
/// (diesel-rs/diesel#3441). The service itself closes its connections before it exits.
fn without_encryption(url: String) -> String {
    if url.contains("sslmode=") {
        return url;
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sslmode=disable&gssencmode=disable")
}

/// A PostgreSQL database made for one test and dropped after it.
pub struct PgTestDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgTestDatabase {
    pub fn create(admin_url: &str) -> Self {
        let name = format!("bp_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::establish(admin_url).unwrap_or_else(|e| {
            panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}")
        });
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("create test database");
        let (path, query) = admin_url
            .find('?')
            .map_or((admin_url, ""), |at| admin_url.split_at(at));
        let base = path.rsplit_once('/').map_or(path, |(base, _)| base);
        let url = format!("{base}/{name}{query}");
        Self {
            admin_url: admin_url.to_owned(),
            name,
            url,
        }
    }
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

/// The running service and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    /// `http://127.0.0.1:PORT` of `/metrics`, when `metrics_bind` was set.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub config: Config,
    /// What the service was started with, for starting a peer on the same database.
    pub settings: RawSettings,
    handle: actix_web::dev::ServerHandle,
    _data_dir: Option<tempfile::TempDir>,
    _pg: Option<PgTestDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting at once; the database is dropped after.
        drop(self.handle.stop(false));
    }
}

/// Settings for a test service: port 0, a fresh temporary data directory.
pub fn test_settings(data_dir: &std::path::Path) -> RawSettings {
    RawSettings {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.to_path_buf(),
        db_pool_size: 4,
        // Cheap argon2 in tests only; production uses OWASP's 19 MiB, 2 passes.
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        // Every test client is 127.0.0.1: the per-client application limit is tested on its own.
        apply_limit_per_minute: 0,
        ..RawSettings::default()
    }
}

/// The instant the test clock starts at: today, 09:00 UTC.
pub fn test_start_instant() -> DateTime<Utc> {
    let today = Utc::now().date_naive();
    today.and_hms_opt(9, 0, 0).expect("valid time").and_utc()
}

/// Starts the service on a fresh database and waits until it is ready.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like `spawn_app`, with settings adjusted by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut RawSettings)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(data_dir.path());
    let pg = match test_backend() {
        TestBackend::Sqlite => None,
        TestBackend::Postgres(admin) => {
            let db = PgTestDatabase::create(&admin);
            settings.database_url = Some(db.url.clone());
            Some(db)
        }
    };
    adjust(&mut settings);
    let app = start(settings, data_dir, pg).await;
    app.wait_until_ready().await;
    app
}

/// Starts the service without waiting for readiness.
pub async fn start(
    settings: RawSettings,
    data_dir: tempfile::TempDir,
    pg: Option<PgTestDatabase>,
) -> TestApp {
    start_owning(settings, Some(data_dir), pg, test_start_instant()).await
}

async fn start_owning(
    settings: RawSettings,
    data_dir: Option<tempfile::TempDir>,
    pg: Option<PgTestDatabase>,
    now: DateTime<Utc>,
) -> TestApp {
    let config = Config::from_raw(settings.clone()).expect("valid test configuration");
    let clock = Arc::new(ManualClock::new(now));
    let app = Server::build(config.clone(), clock.clone()).expect("service starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        metrics_address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        clock,
        config,
        settings,
        handle,
        _data_dir: data_dir,
        _pg: pg,
    }
}

impl TestApp {
    /// A peer with settings adjusted by `adjust`, not waited for: it may never become ready.
    pub async fn spawn_peer_unready_with(&self, adjust: impl FnOnce(&mut RawSettings)) -> TestApp {
        let mut settings = self.settings.clone();
        adjust(&mut settings);
        // The peer starts at this instance's now: what it does as it starts (building a time
        // zone's daily counts up to today, say) must see the same day.
        start_owning(
            settings,
            None,
            None,
            borderpass::clock::Clock::now(&*self.clock),
        )
        .await
    }

    /// Stops the service at once, as a lost network or a crash would look to its clients; the
    /// database and data directory stay for [`TestApp::restart_service`].
    pub async fn stop_service(&self) {
        self.handle.stop(false).await;
    }

    /// Starts the service again on the same address, database and clock.
    pub async fn restart_service(&mut self) {
        let mut config = self.config.clone();
        config.bind = self
            .address
            .trim_start_matches("http://")
            .parse()
            .expect("the service's address");
        let server = Server::build(config, self.clock.clone()).expect("service starts again");
        self.handle = server.handle();
        tokio::spawn(server.run_until_stopped());
        self.wait_until_ready().await;
    }

    /// A second service instance on the same database and data directory (so the same key-encryption key).
    pub async fn spawn_peer(&self) -> TestApp {
        self.spawn_peer_with(|_| {}).await
    }

    /// A peer with settings adjusted by `adjust`.
    pub async fn spawn_peer_with(&self, adjust: impl FnOnce(&mut RawSettings)) -> TestApp {
        let peer = self.spawn_peer_unready_with(adjust).await;
        peer.wait_until_ready().await;
        peer
    }

    /// Sends every `(path, body)` POST at once, each from its own task; returns the statuses in order.
    pub async fn post_concurrently(&self, requests: Vec<(String, serde_json::Value)>) -> Vec<u16> {
        let mut tasks = Vec::new();
        for (path, body) in requests {
            let (client, url) = (self.client.clone(), self.url(&path));
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .expect("request sent")
                    .status()
                    .as_u16()
            }));
        }
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.expect("task"));
        }
        statuses
    }

    /// Like `post_concurrently`, as `bearer`; statuses and JSON bodies in order.
    pub async fn post_concurrently_as(
        &self,
        bearer: &str,
        requests: Vec<(String, serde_json::Value)>,
    ) -> Vec<(u16, serde_json::Value)> {
        let mut tasks = Vec::new();
        for (path, body) in requests {
            let (client, url, bearer) = (self.client.clone(), self.url(&path), bearer.to_owned());
            tasks.push(tokio::spawn(async move {
                let response = client
                    .post(url)
                    .bearer_auth(bearer)
                    .json(&body)
                    .send()
                    .await
                    .expect("request sent");
                let status = response.status().as_u16();
                (
                    status,
                    response.json().await.unwrap_or(serde_json::Value::Null),
                )
            }));
        }
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("task"));
        }
        answers
    }

    /// Today in the zone's calendar, by the test clock.
    pub fn zone_today(&self) -> chrono::NaiveDate {
        use borderpass::clock::Clock;
        self.clock
            .now()
            .with_timezone(&self.config.zone_tz)
            .date_naive()
    }

    /// The `DATABASE_URL` this service uses.
    pub fn database_url(&self) -> String {
        match &self.config.database {
            borderpass::config::DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            borderpass::config::DatabaseUrl::Postgres(url) => url.clone(),
        }
    }

    /// Runs the `borderpass` binary against this service's database and data directory.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_with(args, &[], "")
    }

    /// Runs the `borderpass` binary with more environment and `input` on standard input.
    pub fn cli_with(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        input: &str,
    ) -> std::process::Output {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_borderpass"))
            .args(args)
            .env("DATABASE_URL", self.database_url())
            .env("BORDERPASS_DATA_DIR", &self.config.data_dir)
            .env("BORDERPASS_ARGON2_MEMORY_KIB", "64")
            .env("BORDERPASS_ARGON2_ITERATIONS", "1")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run borderpass");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write input");
        child.wait_with_output().expect("finish")
    }

    /// `borderpass user add`, with the password on standard input.
    pub fn cli_add_user(
        &self,
        username: &str,
        role: &str,
        gate: Option<&str>,
        password: &str,
    ) -> std::process::Output {
        let mut args = vec!["user", "add", "--username", username, "--role", role];
        if let Some(gate) = gate {
            args.extend(["--gate", gate]);
        }
        self.cli_with(&args, &[], &format!("{password}\n"))
    }

    /// Issues a permit for the passport numbered `n` from `from` to `until` (expects 201); the answer.
    pub async fn issue(
        &self,
        n: u32,
        from: chrono::NaiveDate,
        until: chrono::NaiveDate,
    ) -> serde_json::Value {
        let body = documents::application(documents::passport(n), from, until);
        let response = self.post_json("/api/v1/permits", &body).await;
        assert_eq!(response.status(), 201, "issue permit {n}");
        response.json().await.expect("json")
    }

    /// Logs in; the access token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let response = self
            .post_json(
                "/api/v1/auth/login",
                &serde_json::json!({ "username": username, "password": password }),
            )
            .await;
        assert_eq!(response.status(), 200, "login {username}");
        let body: serde_json::Value = response.json().await.expect("json");
        body["access_token"].as_str().expect("token").to_owned()
    }

    /// An administrator made with the command line, logged in.
    pub async fn admin(&self) -> String {
        let out = self.cli_add_user("chief", "admin", None, ADMIN_PASSWORD);
        assert!(
            out.status.success() || String::from_utf8_lossy(&out.stderr).contains("taken"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.login("chief", ADMIN_PASSWORD).await
    }

    /// An officer of `gate` made through the API by `admin`, logged in.
    pub async fn officer(&self, admin: &str, username: &str, gate: &str) -> String {
        let body = serde_json::json!({ "username": username, "password": OFFICER_PASSWORD, "role": "officer", "gate_id": gate });
        let response = self.post_json_as(admin, "/api/v1/users", &body).await;
        assert_eq!(response.status(), 201, "create officer {username}");
        self.login(username, OFFICER_PASSWORD).await
    }

    pub async fn post_json_as(
        &self,
        bearer: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(bearer)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_as(&self, bearer: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(bearer)
            .send()
            .await
            .expect("request sent")
    }

    /// A store on this service's database, for looking behind the API.
    pub fn store(&self) -> borderpass::db::Store {
        borderpass::db::Store::open(&self.config)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Polls /readyz until 200, failing the test after `timeout`.
    pub async fn wait_for_readyz(&self, want: u16, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let status = self.get("/readyz").await.status().as_u16();
            if status == want {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "/readyz stayed {status}, wanted {want}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_until_ready(&self) {
        self.wait_for_readyz(200, Duration::from_secs(30)).await;
    }
}

/// Reads a problem+json answer, checking its media type and status.
pub async fn problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status);
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
    body
}

/// The `(field, code)` pairs of a 422 problem.
pub fn field_errors(problem: &serde_json::Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Documents that pass every check, as request bodies.
pub mod documents {
    use borderpass::domain::document::mrz::MrzFields;
    use borderpass::domain::document::{iin, resident_id, Sex};
    use chrono::NaiveDate;
    use serde_json::{json, Value};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    /// A valid IIN for a woman born on `birth` in the 20th century, with registration `serial`.
    pub fn iin_for(birth: NaiveDate, serial: u32) -> String {
        use chrono::Datelike;
        (serial..serial + 100)
            .find_map(|n| {
                let first11 = format!(
                    "{:02}{:02}{:02}4{:04}",
                    birth.year() % 100,
                    birth.month(),
                    birth.day(),
                    n % 10_000
                );
                iin::check_digit(first11.as_bytes()).map(|c| format!("{first11}{}", c as char))
            })
            .expect("an IIN exists")
    }

    /// A valid Chinese citizen number born on 1985-06-15 (female when `seq` is even).
    pub fn citizen_number(seq: u32) -> String {
        let body = format!("110105198506150{:02}", seq % 100);
        let check = resident_id::check_character(body.as_bytes()).expect("17 digits");
        format!("{body}{}", check as char)
    }

    /// A residence permit number for Hong Kong (81), Macao (82) or Taiwan (83) residents, born on
    /// 1985-06-15 (female when `seq` is even).
    pub fn residence_permit_number(region: u32, seq: u32) -> String {
        let body = format!("{region}000019850615{:03}", seq % 1000);
        let check = resident_id::check_character(body.as_bytes()).expect("17 digits");
        format!("{body}{}", check as char)
    }

    /// A Kazakh passport, with MRZ, numbered from `n` so tests never collide.
    pub fn passport(n: u32) -> Value {
        let number = format!("N{n:08}");
        let iin = iin_for(date(1990, 1, 31), n);
        let mrz = MrzFields {
            document_code: "P",
            issuing_country: "KAZ",
            surname: "IVANOVA",
            given_names: "ANNA MARIA",
            number: &number,
            nationality: "KAZ",
            birth_date: date(1990, 1, 31),
            sex: Sex::Female,
            expiry_date: date(2034, 5, 1),
            optional_data: &iin,
        }
        .to_td3();
        json!({
            "type": "passport", "issuing_country": "KAZ", "number": number, "nationality": "KAZ",
            "surname": "IVANOVA", "given_names": "ANNA MARIA", "birth_date": "1990-01-31", "sex": "F",
            "expiry_date": "2034-05-01", "personal_number": iin, "mrz": mrz,
        })
    }

    /// A Chinese resident identity card (no MRZ).
    pub fn chinese_card(seq: u32) -> Value {
        let number = citizen_number(seq);
        // The parity of the 17th character gives the sex.
        let sex = if (number.as_bytes()[16] - b'0') % 2 == 1 {
            "M"
        } else {
            "F"
        };
        json!({
            "type": "id_card", "issuing_country": "CHN", "number": number,
            "surname": "李", "given_names": "娜", "birth_date": "1985-06-15", "sex": sex, "expiry_date": "2035-06-15",
        })
    }

    /// A Kazakh ID card given by its MRZ alone.
    pub fn kazakh_card(n: u32) -> Value {
        let number = format!("{:09}", 40_000_000 + n);
        let iin = iin_for(date(1990, 1, 31), n);
        let mrz = MrzFields {
            document_code: "ID",
            issuing_country: "KAZ",
            surname: "SEITKALI",
            given_names: "AIGERIM",
            number: &number,
            nationality: "KAZ",
            birth_date: date(1990, 1, 31),
            sex: Sex::Female,
            expiry_date: date(2033, 1, 1),
            optional_data: &iin,
        }
        .to_td1();
        json!({ "type": "id_card", "mrz": mrz })
    }

    /// A full application body.
    pub fn application(document: Value, from: NaiveDate, until: NaiveDate) -> Value {
        json!({ "document": document, "visit": { "from": from.to_string(), "until": until.to_string() } })
    }
}

/// The `borderpass serve` binary as a separate process on the same database and data directory.
pub struct ServiceProcess {
    pub address: String,
    child: std::process::Child,
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServiceProcess {
    /// Sends SIGTERM and waits (at most 30 s) for the process to end; its exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for borderpass serve") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "borderpass serve did not stop within 30 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub async fn start(app: &TestApp) -> Self {
        Self::start_on(app, &app.database_url()).await
    }

    /// Like `start`, with the database named by `database_url`.
    pub async fn start_on(app: &TestApp, database_url: &str) -> Self {
        Self::start_with(app, database_url, &[], None).await
    }

    /// Like `start_on`, with more environment and, when `log` is given, the log (at `info`) there.
    pub async fn start_with(
        app: &TestApp,
        database_url: &str,
        env: &[(&str, &str)],
        log: Option<&std::path::Path>,
    ) -> Self {
        let process = Self::spawn_with(app, database_url, env, log);
        process.wait_until_ready(app, Duration::from_secs(30)).await;
        process
    }

    /// Like `start_with`, not waited for: it may never become ready.
    pub fn spawn_with(
        app: &TestApp,
        database_url: &str,
        env: &[(&str, &str)],
        log: Option<&std::path::Path>,
    ) -> Self {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            listener.local_addr().expect("addr").port()
        };
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_borderpass"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("BORDERPASS_DATA_DIR", &app.config.data_dir)
            .env("BORDERPASS_BIND", format!("127.0.0.1:{port}"))
            .env("BORDERPASS_ARGON2_MEMORY_KIB", "64")
            .env("BORDERPASS_ARGON2_ITERATIONS", "1")
            .env("BORDERPASS_APPLY_LIMIT_PER_MINUTE", "0")
            .env("RUST_LOG", if log.is_some() { "info" } else { "warn" })
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(match log {
                Some(path) => std::fs::File::create(path).expect("log file").into(),
                None => std::process::Stdio::null(),
            })
            .spawn()
            .expect("start borderpass serve");
        Self {
            address: format!("http://127.0.0.1:{port}"),
            child,
        }
    }

    /// Waits until `/readyz` answers 200, at most `timeout`.
    pub async fn wait_until_ready(&self, app: &TestApp, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Ok(r) = app
                .client
                .get(format!("{}/readyz", self.address))
                .send()
                .await
            {
                if r.status() == 200 {
                    return;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the service process never became ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
