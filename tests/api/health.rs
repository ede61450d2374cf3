//! Probes, problem answers for unknown routes, the OpenAPI document, readiness while the database is down.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::helpers::documents::{application, passport};
use crate::helpers::{
    problem, spawn_app, start, test_backend, test_settings, PgTestDatabase, ServiceProcess,
    TestBackend,
};

#[tokio::test]
async fn healthz_and_readyz_answer_200_with_a_request_id() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.headers().contains_key("x-request-id"),
            "{path} has a request id"
        );
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["status"], "ok");
    }
}

#[tokio::test]
async fn unknown_route_and_wrong_method_are_problems() {
    let app = spawn_app().await;
    let body = problem(app.get("/api/v1/nothing-here").await, 404).await;
    assert_eq!(body["type"], "/problems/not-found");
    let response = app
        .client
        .delete(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_client_error());
    let status = response.status().as_u16();
    problem(response, status).await;
}

#[tokio::test]
async fn openapi_document_is_valid_openapi_3() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("body");
    let spec = oas3::from_json(&text).expect("a valid OpenAPI 3.1 document");
    assert!(spec.openapi.starts_with("3."), "version {}", spec.openapi);
    let paths = spec.paths.expect("paths");
    for path in [
        "/healthz",
        "/readyz",
        "/api/v1/openapi.json",
        "/.well-known/jwks.json",
        "/api/v1/permits",
        "/api/v1/permits/{id}",
        "/api/v1/permits/{id}/qr.png",
        "/api/v1/permits/{id}/qr.svg",
        "/api/v1/permits/{id}/revoke",
        "/api/v1/auth/login",
        "/api/v1/users",
        "/api/v1/users/{username}",
        "/api/v1/gates",
        "/api/v1/scans",
        "/api/v1/stats/daily",
        "/api/v1/stats/occupancy",
        "/api/v1/permits/search",
        "/api/v1/permits/{id}/scans",
        "/api/v1/audit",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
}

type Running = (JoinHandle<()>, Arc<Mutex<Vec<JoinHandle<()>>>>);

/// A TCP forwarder that can be switched off and on, standing in for a database server that goes down.
struct Switch {
    port: u16,
    target: String,
    running: Option<Running>,
}

impl Switch {
    fn new(target: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("reserve a port");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        Self {
            port,
            target: target.to_owned(),
            running: None,
        }
    }

    async fn on(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("bind the switch port");
        let target = self.target.clone();
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let registry = conns.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                registry.lock().await.push(task);
            }
        });
        self.running = Some((accept, conns));
    }

    async fn off(&mut self) {
        if let Some((accept, conns)) = self.running.take() {
            accept.abort();
            let _ = accept.await;
            for task in conns.lock().await.drain(..) {
                task.abort();
            }
        }
    }
}

#[tokio::test]
async fn readyz_is_503_while_the_database_is_down_and_recovers() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(data_dir.path());
    match test_backend() {
        TestBackend::Sqlite => {
            // The database's directory cannot be made while a plain file stands in its way.
            let blocker = data_dir.path().join("blocked");
            std::fs::write(&blocker, b"not a directory").expect("write blocker");
            settings.database_url = Some(format!("sqlite://{}", blocker.join("bp.db").display()));
            let app = start(settings, data_dir, None).await;
            let body = problem(app.get("/readyz").await, 503).await;
            assert_eq!(body["type"], "/problems/unavailable");
            assert_eq!(
                app.get("/healthz").await.status(),
                200,
                "the process keeps running"
            );
            std::fs::remove_file(&blocker).expect("remove blocker");
            app.wait_for_readyz(200, Duration::from_secs(20)).await;
        }
        TestBackend::Postgres(admin) => {
            let db = PgTestDatabase::create(&admin);
            let host_port = admin
                .split_once('@')
                .map(|(_, rest)| rest)
                .and_then(|rest| rest.split('/').next())
                .expect("TEST_DATABASE_URL has user@host:port")
                .to_owned();
            let mut switch = Switch::new(&host_port);
            let user = admin
                .split_once("://")
                .and_then(|(_, rest)| rest.split_once('@'))
                .map(|(user, _)| user)
                .expect("TEST_DATABASE_URL has a user")
                .to_owned();
            let db_and_options = db.url.rsplit('/').next().expect("db name").to_owned();
            settings.database_url = Some(format!(
                "postgres://{user}@127.0.0.1:{}/{db_and_options}",
                switch.port
            ));
            let app = start(settings, data_dir, Some(db)).await;
            let body = problem(app.get("/readyz").await, 503).await;
            assert_eq!(body["type"], "/problems/unavailable");
            assert_eq!(
                app.get("/healthz").await.status(),
                200,
                "the process keeps running"
            );

            switch.on().await;
            app.wait_for_readyz(200, Duration::from_secs(20)).await;
            switch.off().await;
            app.wait_for_readyz(503, Duration::from_secs(20)).await;
            assert_eq!(app.get("/healthz").await.status(), 200);
            switch.on().await;
            app.wait_for_readyz(200, Duration::from_secs(20)).await;
            switch.off().await;
        }
    }
}

#[tokio::test]
async fn serve_closes_its_database_and_exits_0_on_sigterm() {
    let app = spawn_app().await;
    // The service's own connections, with libpq's default encryption (TLS where the server
    // offers it): closing them must not race the process's exit.
    let url = app
        .database_url()
        .replace("sslmode=disable&gssencmode=disable", "sslmode=prefer");
    for round in 0..3 {
        let process = ServiceProcess::start_on(&app, &url).await;
        // Connections in use: readiness pings the database, a permit is a write.
        // The process keeps the real clock, not the test's: its zone date may be a day later.
        let today = chrono::Utc::now()
            .with_timezone(&app.config.zone_tz)
            .date_naive();
        let until = today.checked_add_days(chrono::Days::new(3)).expect("date");
        for n in 0..3 {
            let response = app
                .client
                .post(format!("{}/api/v1/permits", process.address))
                .json(&application(passport(round * 10 + n), today, until))
                .send()
                .await
                .expect("sent");
            assert_eq!(response.status(), 201);
        }
        let status = process.terminate();
        assert!(
            status.success(),
            "round {round}: SIGTERM ended serve with {status}"
        );
    }
}
