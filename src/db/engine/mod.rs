//! The storage engine: connections to either backend, the pools, the SQLite group commit,
//! migrations, prepared statements and timestamps. Change with care: every table relies on it.

pub mod group_commit;
pub mod migrations;
pub mod prepared;
pub mod stamp;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;

use crate::config::{Config, DatabaseUrl};
use crate::db::stats;

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
    #[error("database unavailable")]
    Unavailable(#[from] diesel::r2d2::PoolError),
    /// A statement failed.
    #[error("database query failed")]
    Query(#[from] diesel::result::Error),
    /// The blocking task did not finish (the runtime is shutting down).
    #[error("blocking database task failed")]
    Task(#[source] actix_web::rt::task::JoinError),
    /// The write panicked; what it did was rolled back.
    #[error("a write panicked; it was rolled back")]
    Panicked,
    /// The writer could not run or commit a write's batch: nothing of it is stored.
    #[error("write not stored")]
    Writer(#[source] Arc<BatchFailure>),
}

/// Why the writer could not run or commit a batch; every write of the batch is answered
/// with the same one.
#[derive(Debug, thiserror::Error)]
pub enum BatchFailure {
    /// The write connection could not be had.
    #[error("the database is unavailable")]
    Unavailable(#[source] diesel::r2d2::PoolError),
    /// The batch's transaction could not begin.
    #[error("cannot begin a transaction")]
    Begin(#[source] diesel::result::Error),
    /// A failed batch could not be rolled back to run again.
    #[error("the batch could not be rolled back")]
    Rollback(#[source] diesel::result::Error),
    /// The batch's daily counts could not be applied.
    #[error("applying the daily counts failed")]
    Counts(#[source] diesel::result::Error),
    /// Applying the daily counts panicked.
    #[error("applying the daily counts panicked")]
    CountsPanicked,
    /// A write left a savepoint open where the batch's transaction should be.
    #[error("the batch's transaction is {0} levels deep")]
    Depth(u32),
    /// The commit failed.
    #[error("the commit failed")]
    Commit(#[source] diesel::result::Error),
    /// The write was queued but never run.
    #[error("the write was not run")]
    NotRun,
    /// The writer thread is gone.
    #[error("the writer thread has stopped")]
    Stopped,
    /// The writer thread let go of the write without answering it.
    #[error("the writer thread dropped a write")]
    Dropped,
}

impl BatchFailure {
    /// The store error every write of the batch is answered with.
    pub fn into_store_error(self) -> StoreError {
        StoreError::Writer(Arc::new(self))
    }
}

/// SQLite settings every connection needs; `synchronous` and `foreign_keys` are per connection.
///
/// Every connection, the writer's too, keeps SQLite's default page cache (2 MiB): the operating
/// system caches the file anyway, and a large cache costs the writer at every commit
/// (docs/performance.md).
#[derive(Debug)]
struct SqlitePragmas;

/// `temp_store = MEMORY` keeps statement and savepoint journals in memory: on disk they cost a
/// temporary file and writes per batch (the group commit runs a batch again with a savepoint per
/// write after a write failed, and an INSERT into a table with unique keys journals its pages).
/// `wal_autocheckpoint = 0`: checkpoints run on their own thread, not inside the writer's commits
/// (see [`group_commit`]); `journal_size_limit` cuts the log file back to 64 MiB when it starts over.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; \
     PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; \
     PRAGMA temp_store = MEMORY; \
     PRAGMA wal_autocheckpoint = 0; \
     PRAGMA journal_size_limit = 67108864;";

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(SQLITE_PRAGMAS)
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// A write's connection, inside the write's transaction, with the daily counts it leaves to be
/// applied once before that transaction commits ([`stats::apply`]).
///
/// It dereferences to the connection, so functions that take `&mut DbConnection` accept it.
pub struct WriteTx<'c> {
    conn: &'c mut DbConnection,
    counts: stats::PendingCounts,
}

impl<'c> WriteTx<'c> {
    fn new(conn: &'c mut DbConnection) -> Self {
        Self {
            conn,
            counts: stats::PendingCounts::default(),
        }
    }

    /// The connection and the pending daily counts, to use both at once.
    pub fn parts(&mut self) -> (&mut DbConnection, &mut stats::PendingCounts) {
        (self.conn, &mut self.counts)
    }

    /// Runs `f` as one write in the open transaction of `conn`; its daily counts are applied by the
    /// caller before the commit.
    fn run<T, E>(
        conn: &'c mut DbConnection,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>,
    ) -> Result<(T, stats::PendingCounts), E> {
        let mut tx = Self::new(conn);
        let value = f(&mut tx)?;
        Ok((value, tx.counts))
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        self.conn
    }
}

impl std::ops::DerefMut for WriteTx<'_> {
    fn deref_mut(&mut self) -> &mut DbConnection {
        self.conn
    }
}

/// How many transactions and savepoints are open on `conn`.
pub(crate) fn transaction_depth(conn: &mut DbConnection) -> u32 {
    let status = match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c),
        DbConnection::Postgres(c) => AnsiTransactionManager::transaction_manager_status_mut(c),
    };
    status
        .transaction_depth()
        .ok()
        .flatten()
        .map_or(0, std::num::NonZeroU32::get)
}

/// Rolls back savepoints (and at `depth` 0 the transaction) until `depth` levels are open.
pub(crate) fn rollback_to(conn: &mut DbConnection, depth: u32) -> diesel::QueryResult<()> {
    while transaction_depth(conn) > depth {
        match conn {
            DbConnection::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
            DbConnection::Postgres(c) => AnsiTransactionManager::rollback_transaction(c),
        }?;
    }
    Ok(())
}

/// A connection pool, as the pool-wait metric names it.
#[derive(Debug, Clone, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
pub struct PoolLabels {
    /// `read` or `write`.
    pub pool: &'static str,
}

/// What the store measures: the SQLite group commit's batches and commits, and waits for a
/// pooled connection.
#[derive(Debug, Clone)]
pub struct StoreMetrics {
    /// Writes per group commit (SQLite).
    pub batch_writes: prometheus_client::metrics::histogram::Histogram,
    /// Time of a group commit's COMMIT, its fsync included (SQLite).
    pub commit_seconds: prometheus_client::metrics::histogram::Histogram,
    /// Time waited for a pooled connection.
    pub pool_wait_seconds: prometheus_client::metrics::family::Family<
        PoolLabels,
        prometheus_client::metrics::histogram::Histogram,
    >,
}

impl Default for StoreMetrics {
    fn default() -> Self {
        use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
        fn wait_histogram() -> Histogram {
            Histogram::new(exponential_buckets(0.0001, 2.0, 16))
        }
        Self {
            batch_writes: Histogram::new(exponential_buckets(1.0, 2.0, 10)),
            commit_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            pool_wait_seconds: prometheus_client::metrics::family::Family::new_with_constructor(
                wait_histogram as fn() -> Histogram,
            ),
        }
    }
}

impl StoreMetrics {
    /// Registers every store metric in `registry`.
    pub fn register(&self, registry: &mut prometheus_client::registry::Registry) {
        registry.register(
            "batch_writes",
            "Writes committed together by a group commit, per commit",
            self.batch_writes.clone(),
        );
        registry.register(
            "commit_seconds",
            "Time of a group commit's COMMIT, fsync included",
            self.commit_seconds.clone(),
        );
        registry.register(
            "pool_wait_seconds",
            "Time waited for a pooled database connection, by pool",
            self.pool_wait_seconds.clone(),
        );
    }
}

/// What every handle on one store shares.
#[derive(Default)]
struct Shared {
    /// Migrations (and the preparation after them) have been applied in this process.
    migrated: AtomicBool,
    /// [`Store::close`] has begun: background work stops retrying.
    closing: AtomicBool,
    /// Why the last attempt to migrate and prepare failed, while it keeps failing.
    not_ready: std::sync::Mutex<Option<String>>,
}

/// The database: a single writer and a pool of readers on SQLite, one shared pool on PostgreSQL.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    writer: DbPool,
    reader: DbPool,
    metrics: StoreMetrics,
    shared: Arc<Shared>,
    sqlite_dir: Option<PathBuf>,
    sqlite_path: Option<PathBuf>,
    /// The writers (one on SQLite); empty if none could be started.
    writers: Arc<[group_commit::GroupCommit]>,
    /// The writer the next write goes to.
    next_writer: Arc<AtomicUsize>,
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
        // `sqlite` gives SQLite's connections their pragmas; they need no liveness check on every
        // checkout (a file does not drop the connection the way a server can).
        let pool = |url: String, size: u32, sqlite: Option<SqlitePragmas>| -> DbPool {
            let builder = Pool::builder()
                .max_size(size)
                .min_idle(Some(0))
                .connection_timeout(config.db_timeout)
                .test_on_check_out(sqlite.is_none());
            let builder = match sqlite {
                Some(pragmas) => builder.connection_customizer(Box::new(pragmas)),
                None => builder,
            };
            builder.build_unchecked(ConnectionManager::new(url))
        };
        let metrics = StoreMetrics::default();
        let store = match &config.database {
            DatabaseUrl::Sqlite(path) => {
                let url = path.to_string_lossy().into_owned();
                // One writer: SQLite serialises writes anyway, and a pool of writers only adds lock waits.
                let writer = pool(url.clone(), 1, Some(SqlitePragmas));
                let reader = pool(url, config.db_pool_size, Some(SqlitePragmas));
                let group = group_commit::GroupCommit::start(
                    writer.clone(),
                    Some(reader.clone()),
                    metrics.clone(),
                )
                .map_err(|e| tracing::error!(error = %e, "cannot start the writer thread"))
                .ok();
                Self {
                    backend: Backend::Sqlite,
                    metrics,
                    writers: group.into_iter().collect(),
                    next_writer: Arc::default(),
                    writer,
                    reader,
                    shared: Arc::default(),
                    sqlite_dir: path
                        .parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .map(PathBuf::from),
                    sqlite_path: Some(path.clone()),
                }
            }
            DatabaseUrl::Postgres(url) => {
                let connections = pool(url.clone(), config.db_pool_size, None);
                // Group commit here too: a batch's transaction locks a day's counts once for all
                // its writes and logs its scans in a few statements; several writers, since each
                // waits for the server on every statement (docs/performance.md).
                let writers = (0..config.db_writers)
                    .filter_map(|_| {
                        group_commit::GroupCommit::start(connections.clone(), None, metrics.clone())
                            .map_err(
                                |e| tracing::error!(error = %e, "cannot start a writer thread"),
                            )
                            .ok()
                    })
                    .collect();
                Self {
                    backend: Backend::Postgres,
                    metrics,
                    writer: connections.clone(),
                    reader: connections,
                    shared: Arc::default(),
                    sqlite_dir: None,
                    sqlite_path: None,
                    writers,
                    next_writer: Arc::default(),
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
        let cannot = |path: &std::path::Path, e: std::io::Error| {
            migrations::MigrationError::Failed(format!("cannot create {}: {e}", path.display()))
        };
        if let Some(dir) = &self.sqlite_dir {
            crate::files::create_private_dir(dir).map_err(|e| cannot(dir, e))?;
        }
        if let Some(path) = &self.sqlite_path {
            crate::files::create_private_file(path).map_err(|e| cannot(path, e))?;
        }
        Ok(())
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
        prepare(&mut conn).map_err(migrations::MigrationError::NotReady)?;
        self.shared.migrated.store(true, Ordering::SeqCst);
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
                        *store.shared.not_ready.lock().unwrap_or_else(|p| p.into_inner()) = None;
                        tracing::info!(applied = applied.len(), "database schema is up to date");
                        return;
                    }
                    Err(_) if store.shared.closing.load(Ordering::SeqCst) => return,
                    Err(error) => {
                        let retry_in_ms = wait.as_millis() as u64;
                        match &error {
                            migrations::MigrationError::Unavailable(_) => {
                                tracing::warn!(%error, retry_in_ms, "database unreachable; will retry")
                            }
                            _ => tracing::error!(%error, retry_in_ms, "the service cannot serve yet; will retry"),
                        }
                        *store.shared.not_ready.lock().unwrap_or_else(|p| p.into_inner()) =
                            Some(error.to_string());
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

    /// Closes the store once every other handle on it is gone (request handlers on the server's
    /// worker threads, a migration still retrying), waiting at most `wait`. Its connections are
    /// then closed on this thread, before the process exits, and not on another thread while it
    /// exits: libpq over TLS can crash when OpenSSL's exit handlers run under a connection being
    /// closed or opened (diesel-rs/diesel#3441).
    pub fn close(self, wait: Duration) {
        self.shared.closing.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + wait;
        while Arc::strong_count(&self.shared) > 1 {
            if Instant::now() >= deadline {
                tracing::warn!(
                    handles = Arc::strong_count(&self.shared) - 1,
                    "database handles still in use at shutdown; closing without them"
                );
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// True once migrations have been applied in this process.
    pub fn is_migrated(&self) -> bool {
        self.shared.migrated.load(Ordering::SeqCst)
    }

    /// Why the service is not ready yet, while migrating or preparing keeps failing.
    pub fn not_ready_because(&self) -> Option<String> {
        self.shared
            .not_ready
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// True once [`Store::close`] has begun.
    pub fn is_closing(&self) -> bool {
        self.shared.closing.load(Ordering::SeqCst)
    }

    /// A reading connection for background work that runs outside the async runtime.
    pub fn reader_blocking(&self) -> Result<PooledDb, StoreError> {
        Ok(self.reader.get()?)
    }

    /// Runs `f` with a reading connection on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        self.run(&self.reader, "read", None, f).await
    }

    /// Runs `f` as one write, through the group-commit writer thread: in a transaction shared
    /// with the writes queued beside it, answered after its commit. The write, with the daily
    /// counts it changes, is all or nothing. `f` acts only through the connection: it runs again
    /// if another write of its batch fails (the batch is rolled back and run again, each write in
    /// a savepoint of its own). Without a writer thread (it could not be started) the write runs
    /// in a transaction of its own on a pooled connection.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&mut WriteTx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        match self.next_group() {
            Some(group) => group.write(f).await,
            None => {
                self.run(&self.writer, "write", None, move |conn| {
                    let written = catch_unwind(AssertUnwindSafe(|| {
                        conn.transaction(|c| {
                            let (value, counts) = WriteTx::run(c, &f)?;
                            stats::apply(c, &counts)?;
                            Ok(value)
                        })
                    }));
                    written.unwrap_or_else(|_| {
                        // The pool must not get the connection back inside the write's transaction.
                        rollback_to(conn, 0)
                            .map_err(|e| BatchFailure::Rollback(e).into_store_error())?;
                        Err(StoreError::Panicked)
                    })
                })
                .await
            }
        }
    }

    /// Decides and logs one scan ([`crate::db::scans::record_all`]), with the scans queued beside
    /// it, in one transaction; answered after its commit.
    pub async fn record_scan(
        &self,
        item: crate::db::scans::ScanItem,
    ) -> Result<crate::db::scans::ScanOutcome, StoreError> {
        self.record_scans(vec![item])
            .await?
            .pop()
            .ok_or(StoreError::Query(diesel::result::Error::NotFound))
    }

    /// Decides and logs scans together and in order (a gate's offline upload), with the scans
    /// queued beside them, in one transaction; the outcome of each, answered after its commit.
    pub async fn record_scans(
        &self,
        items: Vec<crate::db::scans::ScanItem>,
    ) -> Result<Vec<crate::db::scans::ScanOutcome>, StoreError> {
        match self.next_group() {
            Some(group) => group.scans(items).await,
            None => {
                let items = Arc::new(items);
                self.write(move |tx| {
                    let (conn, counts) = tx.parts();
                    Ok(items
                        .iter()
                        .map(|item| crate::db::scans::record_one(conn, counts, item))
                        .collect::<Result<Vec<_>, _>>()?)
                })
                .await
            }
        }
    }

    /// The writer the next write goes to: each in turn.
    fn next_group(&self) -> Option<&group_commit::GroupCommit> {
        if self.writers.is_empty() {
            return None;
        }
        let turn = self.next_writer.fetch_add(1, Ordering::Relaxed);
        self.writers.get(turn % self.writers.len())
    }

    /// True when a reading connection answers `SELECT 1` within `timeout`.
    pub async fn ping(&self, timeout: Duration) -> Result<(), StoreError> {
        self.run(&self.reader, "read", Some(timeout), |conn| {
            conn.batch_execute("SELECT 1").map_err(StoreError::Query)
        })
        .await
    }

    async fn run<T, F>(
        &self,
        pool: &DbPool,
        name: &'static str,
        timeout: Option<Duration>,
        f: F,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = pool.clone();
        let waits = self
            .metrics
            .pool_wait_seconds
            .get_or_create(&PoolLabels { pool: name })
            .clone();
        actix_web::rt::task::spawn_blocking(move || {
            let asked = Instant::now();
            let got = match timeout {
                Some(timeout) => pool.get_timeout(timeout),
                None => pool.get(),
            };
            waits.observe(asked.elapsed().as_secs_f64());
            let mut conn = got?;
            f(&mut conn)
        })
        .await
        .map_err(StoreError::Task)?
    }

    /// What this store measures.
    pub fn metrics(&self) -> &StoreMetrics {
        &self.metrics
    }

    /// A writing connection for command-line work that runs outside the async runtime.
    pub fn writer_blocking(&self) -> Result<PooledDb, StoreError> {
        Ok(self.writer.get()?)
    }
}
