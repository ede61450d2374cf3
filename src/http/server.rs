//! Builds and runs the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Service;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, App, HttpMessage, HttpServer};
use tracing_actix_web::{RequestId, TracingLogger};

use super::client::RequestSpan;
use super::problem::ApiError;
use super::{problem_safety_net, routes};
use crate::app::Core;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Store;
use crate::domain::violation::ViolationCode;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listening address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The configured address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The keys, password hasher or store could not be opened.
    #[error(transparent)]
    Open(#[from] crate::app::OpenError),
    /// The server could not be set up.
    #[error("cannot start the HTTP server: {0}")]
    Server(#[source] std::io::Error),
    /// The metrics address could not be bound.
    #[error("cannot listen on {addr} for metrics (BORDERPASS_METRICS_BIND): {source}")]
    MetricsBind {
        /// The configured address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS files cannot be used.
    #[error(transparent)]
    Tls(#[from] super::tls::TlsError),
}

/// Headers every answer carries unless it sets its own: no MIME sniffing, never framed, no
/// referrer, and not stored by caches (answers carry names and document numbers; the few public
/// ones, such as the JWKS, say how long they may be kept).
fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Content-Security-Policy", "frame-ancestors 'none'"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cache-Control", "no-store"))
}

/// `/metrics` on its own listener, one worker, nothing else.
fn metrics_server(
    listener: TcpListener,
    core: web::Data<Core>,
) -> Result<(u16, actix_web::dev::Server), StartError> {
    let port = listener.local_addr().map_err(StartError::Server)?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(core.clone())
            .service(super::metrics::metrics)
    })
    .workers(1)
    .shutdown_timeout(5)
    .listen(listener)
    .map_err(StartError::Server)?
    .run();
    Ok((port, server))
}

/// Longest a stopping service waits for its workers to let go of the store.
const STORE_CLOSE_WAIT: Duration = Duration::from_secs(10);

/// The service, bound to its address and ready to run.
pub struct Server {
    port: u16,
    server: actix_web::dev::Server,
    metrics: Option<(u16, actix_web::dev::Server)>,
    store: Store,
}

impl Server {
    /// Binds the configured address, opens the store and starts migrating it in the background.
    pub fn build(config: Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let listener = TcpListener::bind(config.bind).map_err(|source| StartError::Bind {
            addr: config.bind,
            source,
        })?;
        let port = listener.local_addr().map_err(StartError::Server)?.port();
        // Checked before anything else starts: a bad file stops start-up naming it.
        let tls = config
            .tls
            .as_ref()
            .map(super::tls::server_config)
            .transpose()?;
        let metrics_listener = match config.metrics_bind {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .map_err(|source| StartError::MetricsBind { addr, source })?,
            ),
            None => None,
        };
        let core = web::Data::new(Core::open(config, clock)?);
        crate::files::warn_if_open(&core.config.data_dir);
        Core::prepare_in_background(core.clone().into_inner());
        let store = core.store.clone();
        let metrics_core = core.clone();
        // The connection cap is the service's; actix counts it per worker.
        let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let max_connections_per_worker = (core.config.max_connections as usize)
            .div_ceil(workers)
            .max(1);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(core.clone())
                .app_data(web::QueryConfig::default().error_handler(|err, _| {
                    ApiError::invalid("query", ViolationCode::InvalidQuery, err.to_string()).into()
                }))
                .app_data(
                    web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()),
                )
                .configure(routes)
                .configure(crate::web::routes)
                .default_service(web::to(crate::web::not_found))
                .wrap(problem_safety_net())
                .wrap(security_headers())
                .wrap(actix_web::middleware::from_fn(
                    super::metrics::count_answers,
                ))
                .wrap_fn(|req, srv| {
                    let request_id = req.extensions().get::<RequestId>().copied();
                    let fut = srv.call(req);
                    async move {
                        let mut res = fut.await?;
                        if let Some(id) =
                            request_id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok())
                        {
                            res.headers_mut()
                                .insert(HeaderName::from_static("x-request-id"), id);
                        }
                        Ok(res)
                    }
                })
                .wrap(TracingLogger::<RequestSpan>::new())
        })
        .shutdown_timeout(30)
        .workers(workers)
        .max_connections(max_connections_per_worker);
        let server = match tls {
            Some(tls) => server.listen_rustls_0_23(listener, tls),
            None => server.listen(listener),
        }
        .map_err(StartError::Server)?
        .run();
        let metrics = match metrics_listener {
            Some(listener) => Some(metrics_server(listener, metrics_core)?),
            None => None,
        };
        Ok(Self {
            port,
            server,
            metrics,
            store,
        })
    }

    /// The port `/metrics` is served on, when it is.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The store the service uses.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A handle that stops the server gracefully.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or Ctrl-C, then drains in-flight requests and closes the store.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = match self.metrics {
            None => self.server.await,
            Some((_, metrics)) => {
                let metrics_handle = metrics.handle();
                let service = async {
                    let served = self.server.await;
                    // The metrics endpoint ends with the service.
                    metrics_handle.stop(false).await;
                    served
                };
                let (served, _) = tokio::join!(service, metrics);
                served
            }
        };
        let store = self.store;
        // The workers' handles on the store go as their threads wind down, just after the server
        // future ends.
        actix_web::rt::task::spawn_blocking(move || store.close(STORE_CLOSE_WAIT))
            .await
            .map_err(std::io::Error::other)?;
        served
    }
}
