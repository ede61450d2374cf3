//! Operations (issue 22): metrics on their own address, HTTPS, online backup and restore, file modes.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{
    spawn_app, spawn_app_with, test_backend, test_settings, ServiceProcess, TestApp, TestBackend,
    ADMIN_PASSWORD,
};

/// The samples of the metrics text, by name and labels.
async fn scrape(app: &TestApp) -> (String, HashMap<(String, Vec<(String, String)>), f64>) {
    let address = app.metrics_address.as_ref().expect("metrics are served");
    let text = app
        .client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .expect("scraped")
        .text()
        .await
        .expect("text");
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let parsed = prometheus_parse::Scrape::parse(lines).expect("Prometheus text");
    let mut samples = HashMap::new();
    for sample in parsed.samples {
        let mut labels: Vec<(String, String)> = sample
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        labels.sort();
        let value = match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => continue,
        };
        samples.insert((sample.metric, labels), value);
    }
    (text, samples)
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    labels.sort();
    labels
}

async fn scan(app: &TestApp, bearer: &str, token: &Value, direction: &str) -> Value {
    let body = json!({ "token": token, "gate_id": "CN-1", "direction": direction,
                       "nonce": uuid::Uuid::new_v4().to_string() });
    let response = app.post_json_as(bearer, "/api/v1/scans", &body).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

async fn permit(app: &TestApp, n: u32) -> Value {
    let today = app.zone_today();
    app.issue(n, today, today.succ_opt().expect("date")).await
}

#[tokio::test]
async fn metrics_count_exactly_the_scans_made_and_name_nobody() {
    let app = spawn_app_with(|s| s.metrics_bind = Some("127.0.0.1:0".into())).await;
    assert_eq!(
        app.get("/metrics").await.status(),
        404,
        "never on the service's port"
    );
    let admin = app.admin().await;
    let admitted = labels(&[
        ("gate_id", "CN-1"),
        ("direction", "entry"),
        ("decision", "admit"),
        ("reason", ""),
    ]);
    let malformed = labels(&[
        ("gate_id", "CN-1"),
        ("direction", "entry"),
        ("decision", "deny"),
        ("reason", "malformed_token"),
    ]);
    let (_, before) = scrape(&app).await;
    let value = |samples: &HashMap<_, f64>, name: &str, l: &Vec<(String, String)>| {
        samples
            .get(&(name.to_owned(), l.clone()))
            .copied()
            .unwrap_or(0.0)
    };
    let first = permit(&app, 1200).await;
    let second = permit(&app, 1201).await;
    scan(&app, &admin, &first["token"], "entry").await;
    let entry = scan(&app, &admin, &second["token"], "entry").await;
    scan(&app, &admin, &json!("not.a.token"), "entry").await;
    // A replay is not a new scan.
    let replay = json!({ "token": second["token"], "gate_id": "CN-1", "direction": "entry",
                         "nonce": entry["nonce"] });
    app.post_json_as(&admin, "/api/v1/scans", &replay).await;
    let (text, after) = scrape(&app).await;
    assert_eq!(
        value(&after, "borderpass_scans_total", &admitted)
            - value(&before, "borderpass_scans_total", &admitted),
        2.0
    );
    assert_eq!(
        value(&after, "borderpass_scans_total", &malformed)
            - value(&before, "borderpass_scans_total", &malformed),
        1.0
    );
    assert_eq!(
        value(&after, "borderpass_permits_issued_total", &vec![])
            - value(&before, "borderpass_permits_issued_total", &vec![]),
        2.0
    );
    let answers = labels(&[
        ("route", "/api/v1/scans"),
        ("method", "POST"),
        ("status", "200"),
    ]);
    assert_eq!(
        value(&after, "borderpass_http_requests_total", &answers),
        4.0
    );
    assert_eq!(
        value(
            &after,
            "borderpass_logins_total",
            &labels(&[("outcome", "ok")])
        ),
        1.0
    );
    assert_eq!(value(&after, "borderpass_ready", &vec![]), 1.0);
    assert!(text.contains("borderpass_store_pool_wait_seconds_bucket"));
    if test_backend() == TestBackend::Sqlite {
        assert!(text.contains("borderpass_store_batch_writes_count"));
    }
    for personal in [
        "IVANOVA",
        first["permit_id"].as_str().expect("id"),
        "chief",
        "N00001200",
    ] {
        assert!(!text.contains(personal), "{personal} in the metrics");
    }
}

/// A self-signed certificate for localhost, as PEM files in `dir`; the certificate's PEM.
fn self_signed(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    let pem = cert.cert.pem();
    std::fs::write(&cert_path, &pem).expect("write cert");
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).expect("write key");
    (cert_path, key_path, pem)
}

#[tokio::test]
async fn with_a_certificate_the_service_answers_https_only() {
    let dir = tempfile::tempdir().expect("dir");
    let (cert, key, pem) = self_signed(dir.path());
    // HTTPS does not touch the store: the embedded default serves this test on both runs.
    let mut settings = test_settings(&dir.path().join("data"));
    settings.tls_cert = Some(cert.clone());
    settings.tls_key = Some(key.clone());
    let config = borderpass::config::Config::from_raw(settings.clone()).expect("config");
    let clock = std::sync::Arc::new(borderpass::clock::SystemClock);
    let server = borderpass::http::Server::build(config, clock).expect("starts");
    let port = server.port();
    let handle = server.handle();
    tokio::spawn(server.run_until_stopped());
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("pem"))
        .build()
        .expect("client");
    let health = client
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .expect("HTTPS answers");
    assert_eq!(health.status(), 200);
    let plain = reqwest::Client::new()
        .get(format!("http://localhost:{port}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(
        plain.is_err() || plain.is_ok_and(|r| r.status() != 200),
        "plain HTTP is refused on the HTTPS port"
    );
    handle.stop(false).await;
    // A missing or bad file stops start-up with one line naming it.
    for (cert, key, named) in [
        (dir.path().join("nowhere.pem"), key.clone(), "nowhere.pem"),
        (cert.clone(), cert.clone(), "cert.pem"),
    ] {
        let mut bad = settings.clone();
        bad.tls_cert = Some(cert);
        bad.tls_key = Some(key);
        let config = borderpass::config::Config::from_raw(bad).expect("config");
        let refused = borderpass::http::Server::build(
            config,
            std::sync::Arc::new(borderpass::clock::SystemClock),
        );
        let message = refused.err().expect("refused").to_string();
        assert!(message.contains(named), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_its_files_are_the_services_own() {
    // A data directory the service makes itself (the harness's temporary one exists already).
    let app = spawn_app_with(|s| s.data_dir = s.data_dir.join("data")).await;
    app.admin().await;
    permit(&app, 1300).await;
    let dir = &app.config.data_dir;
    assert_eq!(mode(dir), 0o700);
    let mut files = vec!["key-encryption.key"];
    if test_backend() == TestBackend::Sqlite {
        files.extend(["borderpass.db", "borderpass.db-wal", "borderpass.db-shm"]);
    }
    for file in files {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
    // Opened up by hand, the service says so at start-up, naming the path.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let logs = tempfile::tempdir().expect("dir");
    let log = logs.path().join("log.txt");
    let process = ServiceProcess::start_with(&app, &app.database_url(), &[], Some(&log)).await;
    assert!(process.terminate().success());
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.contains("readable by other users") && text.contains(&dir.display().to_string()),
        "{text}"
    );
}

#[tokio::test]
async fn a_backup_taken_while_scans_are_written_restores_every_acknowledged_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let out_dir = tempfile::tempdir().expect("dir");
    let file = out_dir.path().join("borderpass-backup.db");
    let file_arg = file.display().to_string();
    if let TestBackend::Postgres(_) = test_backend() {
        let out = app.cli(&["backup", &file_arg]);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("pg_dump"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let mut permits = Vec::new();
    for n in 0..40 {
        permits.push(permit(&app, 1400 + n).await);
    }
    // Scans go on while the backup runs; each is noted with when it was acknowledged.
    let (tx, mut acknowledged) = tokio::sync::mpsc::unbounded_channel();
    let writer = {
        let (client, url, admin) = (app.client.clone(), app.url("/api/v1/scans"), admin.clone());
        let tokens: Vec<Value> = permits.iter().map(|p| p["token"].clone()).collect();
        tokio::spawn(async move {
            for round in 0..6 {
                let direction = if round % 2 == 0 { "entry" } else { "exit" };
                for token in &tokens {
                    let body = json!({ "token": token, "gate_id": "CN-1", "direction": direction,
                                       "nonce": uuid::Uuid::new_v4().to_string() });
                    let r = client
                        .post(&url)
                        .bearer_auth(&admin)
                        .json(&body)
                        .send()
                        .await;
                    if let Ok(r) = r {
                        if r.status() == 200 {
                            let answer: Value = r.json().await.expect("json");
                            let _ = tx.send((std::time::Instant::now(), answer["scan_id"].clone()));
                        }
                    }
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking({
        let app_cli = (app.database_url(), app.config.data_dir.clone());
        let file_arg = file_arg.clone();
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_borderpass"))
                .args(["backup", &file_arg])
                .env("DATABASE_URL", &app_cli.0)
                .env("BORDERPASS_DATA_DIR", &app_cli.1)
                .env("RUST_LOG", "warn")
                .output()
                .expect("run backup")
        }
    })
    .await
    .expect("backup ran");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.contains("integrity ok") && said.contains("key-encryption.key"),
        "{said}"
    );
    writer.await.expect("scans written");
    assert_eq!(mode(&file), 0o600);
    let mut before_backup = Vec::new();
    while let Ok((at, id)) = acknowledged.try_recv() {
        if at < started {
            before_backup.push(id.as_str().expect("id").to_owned());
        }
    }
    assert!(
        !before_backup.is_empty(),
        "scans were acknowledged before the backup"
    );
    // Restore into a fresh data directory (with the key-encryption key copied), then serve.
    let fresh = tempfile::tempdir().expect("dir");
    let data = fresh.path().join("data");
    let restored = std::process::Command::new(env!("CARGO_BIN_EXE_borderpass"))
        .args(["restore", &file_arg])
        .env("BORDERPASS_DATA_DIR", &data)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run restore");
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_borderpass"))
        .args(["restore", &file_arg])
        .env("BORDERPASS_DATA_DIR", &data)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run restore");
    assert!(!again.status.success(), "never over a database");
    std::fs::copy(
        app.config.data_dir.join("key-encryption.key"),
        data.join("key-encryption.key"),
    )
    .expect("copy the key");
    let mut settings = test_settings(&data);
    settings.database_url = None;
    let config = borderpass::config::Config::from_raw(settings).expect("config");
    let server = borderpass::http::Server::build(
        config.clone(),
        std::sync::Arc::new(borderpass::clock::SystemClock),
    )
    .expect("serves");
    let port = server.port();
    let handle = server.handle();
    tokio::spawn(server.run_until_stopped());
    let base = format!("http://127.0.0.1:{port}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{base}/readyz"))
        .await
        .map(|r| r.status().as_u16())
        .ok()
        != Some(200)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "restored service never ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let login: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": "chief", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(login["access_token"].is_string(), "{login}");
    {
        use borderpass::db::schema::{permits as p, scans as s};
        use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
        let store = borderpass::db::Store::open(&config);
        let mut conn = store.writer_blocking().expect("connection");
        let permits_there: i64 = p::table.count().get_result(&mut *conn).expect("count");
        assert_eq!(permits_there, 40, "every acknowledged permit");
        let found: i64 = s::table
            .filter(s::id.eq_any(&before_backup))
            .count()
            .get_result(&mut *conn)
            .expect("count");
        assert_eq!(
            found as usize,
            before_backup.len(),
            "every scan acknowledged before the backup began"
        );
        use diesel::connection::SimpleConnection;
        conn.batch_execute("PRAGMA quick_check").expect("readable");
    }
    handle.stop(false).await;
}
