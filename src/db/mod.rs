//! Storage: one code base over SQLite (embedded default) and PostgreSQL, chosen by URL.

/// Runs a query whose syntax the multi-backend builder lacks (`ON CONFLICT`) on whichever
/// backend the connection is; both backends spell these queries the same.
macro_rules! on_backend {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite(c) => diesel::RunQueryDsl::execute($query, c),
            $crate::db::DbConnection::Postgres(c) => diesel::RunQueryDsl::execute($query, c),
        }
    };
}
pub(crate) use on_backend;

pub mod gates;
pub mod group_commit;
pub mod keys;
pub mod migrations;
pub mod permits;
pub mod scans;
pub mod schema;
pub mod staff;
pub mod stats;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;

use crate::config::{Config, DatabaseUrl};

/// One connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// The embedded default.
    Sqlite(SqliteConnection),
    /// For deployments with several instances.
    Postgres(PgConnection),
}

/// Which backend a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

pub(crate) type DbPool = Pool<ConnectionManager<DbConnection>>;
/// A connection borrowed from a pool.
pub type PooledDb = PooledConnection<ConnectionManager<DbConnection>>;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No connection could be had: the database is down or overloaded.
    #[error("database unavailable: {0}")]
    Unavailable(#[from] diesel::r2d2::PoolError),
    /// A statement failed.
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// The blocking task did not finish (the runtime is shutting down).
    #[error("blocking database task failed: {0}")]
    Task(String),
    /// The SQLite writer could not run or commit a write: nothing of it is stored.
    #[error("write not stored: {0}")]
    Writer(String),
}

/// SQLite settings every connection needs; `synchronous` and `foreign_keys` are per connection.
#[derive(Debug)]
struct SqlitePragmas;

const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; \
     PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON;";

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(SQLITE_PRAGMAS)
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The database: a single writer and a pool of readers on SQLite, one shared pool on PostgreSQL.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    writer: DbPool,
    reader: DbPool,
    migrated: Arc<AtomicBool>,
    sqlite_dir: Option<PathBuf>,
    group: Option<group_commit::GroupCommit>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Sets up the pools without connecting yet, so the service can start while the database is down.
    pub fn open(config: &Config) -> Self {
        let pool = |url: String, size: u32, customize: bool| -> DbPool {
            let builder = Pool::builder()
                .max_size(size)
                .min_idle(Some(0))
                .connection_timeout(config.db_timeout)
                .test_on_check_out(true);
            let builder = if customize {
                builder.connection_customizer(Box::new(SqlitePragmas))
            } else {
                builder
            };
            builder.build_unchecked(ConnectionManager::new(url))
        };
        let store = match &config.database {
            DatabaseUrl::Sqlite(path) => {
                let url = path.to_string_lossy().into_owned();
                // One writer: SQLite serialises writes anyway, and a pool of writers only adds lock waits.
                let writer = pool(url.clone(), 1, true);
                let group = group_commit::GroupCommit::start(writer.clone())
                    .map_err(|e| tracing::error!(error = %e, "cannot start the writer thread"))
                    .ok();
                Self {
                    backend: Backend::Sqlite,
                    group,
                    writer,
                    reader: pool(url, config.db_pool_size, true),
                    migrated: Arc::new(AtomicBool::new(false)),
                    sqlite_dir: path
                        .parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .map(PathBuf::from),
                }
            }
            DatabaseUrl::Postgres(url) => {
                let shared = pool(url.clone(), config.db_pool_size, false);
                Self {
                    backend: Backend::Postgres,
                    writer: shared.clone(),
                    reader: shared,
                    migrated: Arc::new(AtomicBool::new(false)),
                    sqlite_dir: None,
                    group: None,
                }
            }
        };
        store
    }

    /// The backend this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Creates the SQLite file's directory; done before each attempt rather than once at start,
    /// so a directory that becomes creatable later is picked up.
    fn ensure_sqlite_dir(&self) -> Result<(), migrations::MigrationError> {
        match &self.sqlite_dir {
            Some(dir) => std::fs::create_dir_all(dir).map_err(|e| {
                migrations::MigrationError::Failed(format!("cannot create {}: {e}", dir.display()))
            }),
            None => Ok(()),
        }
    }

    /// Applies pending migrations through the writer; returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, migrations::MigrationError> {
        self.migrate_with(&|_| Ok(()))
    }

    /// Applies pending migrations, then runs `prepare` on the same connection; the store counts as
    /// migrated only when both worked.
    fn migrate_with(
        &self,
        prepare: &dyn Fn(&mut DbConnection) -> Result<(), String>,
    ) -> Result<Vec<String>, migrations::MigrationError> {
        self.ensure_sqlite_dir()?;
        let mut conn = self
            .writer
            .get()
            .map_err(migrations::MigrationError::Unavailable)?;
        let applied = migrations::run_pending(&mut conn)?;
        prepare(&mut conn).map_err(migrations::MigrationError::Failed)?;
        self.migrated.store(true, Ordering::SeqCst);
        Ok(applied)
    }

    /// Keeps trying, in the background, to migrate and then run `prepare` (e.g. make sure a
    /// signing key exists) until both work: the database may come up after the service.
    pub fn migrate_in_background<F>(&self, prepare: F)
    where
        F: Fn(&mut DbConnection) -> Result<(), String> + Send + 'static,
    {
        let store = self.clone();
        let spawned = std::thread::Builder::new().name("borderpass-migrate".into()).spawn(move || {
            let mut wait = Duration::from_millis(250);
            loop {
                match store.migrate_with(&prepare) {
                    Ok(applied) => {
                        tracing::info!(applied = applied.len(), "database schema is up to date");
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(%error, retry_in_ms = wait.as_millis() as u64, "database not ready; will retry");
                        std::thread::sleep(wait);
                        wait = (wait * 2).min(Duration::from_secs(2));
                    }
                }
            }
        });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the migration thread");
        }
    }

    /// True once migrations have been applied in this process.
    pub fn is_migrated(&self) -> bool {
        self.migrated.load(Ordering::SeqCst)
    }

    /// Runs `f` with a reading connection on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        Self::run(self.reader.clone(), None, f).await
    }

    /// Runs `f` as one write: on SQLite through the group-commit writer thread (in a savepoint of a
    /// shared transaction, answered after its commit); on PostgreSQL in a transaction of its own on
    /// a pooled connection, on a blocking thread. Either way the write is all or nothing.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.group {
            Some(group) => group.write(f).await,
            None => Self::run(self.writer.clone(), None, |conn| conn.transaction(f)).await,
        }
    }

    /// True when a reading connection answers `SELECT 1` within `timeout`.
    pub async fn ping(&self, timeout: Duration) -> Result<(), StoreError> {
        Self::run(self.reader.clone(), Some(timeout), |conn| {
            conn.batch_execute("SELECT 1").map_err(StoreError::Query)
        })
        .await
    }

    async fn run<T, F>(pool: DbPool, timeout: Option<Duration>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        actix_web::rt::task::spawn_blocking(move || {
            let mut conn = match timeout {
                Some(timeout) => pool.get_timeout(timeout)?,
                None => pool.get()?,
            };
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// A writing connection for command-line work that runs outside the async runtime.
    pub fn writer_blocking(&self) -> Result<PooledDb, StoreError> {
        Ok(self.writer.get()?)
    }
}
