//! Group commit, on both backends: one writer thread runs the writes queued together in one
//! transaction and answers each after its commit; the scans among them are logged together, in a
//! fixed number of statements ([`scans::record_all`]). On SQLite checkpoints run on a thread of
//! their own.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::Connection;

use super::{
    rollback_to, transaction_depth, BatchFailure, DbConnection, DbPool, StoreError, StoreMetrics,
    WriteTx,
};
use crate::db::scans::{self, ScanItem, ScanOutcome};
use crate::db::stats::{self, PendingCounts};
use crate::telemetry::Chain;

/// Most writes in one transaction: bounds the latency one commit adds to the first write in it.
pub const MAX_BATCH: usize = 512;

/// Commits between two checkpoints: a page written by several of them is copied (and fsynced) once.
pub const CHECKPOINT_EVERY: u64 = 8;

/// Commits between two waits of the writer for the checkpointer, which let the log start over;
/// a multiple of [`CHECKPOINT_EVERY`], so a checkpoint has just been asked for (the trade-off
/// between wait time and log size is in docs/performance.md).
pub const RESTART_EVERY: u64 = 16 * CHECKPOINT_EVERY;

/// A checkpoint also runs when commits have been made but none has for this long.
const QUIET: Duration = Duration::from_secs(1);

/// Longest the writer waits for the checkpointer before it goes on anyway.
const CATCH_UP_WAIT: Duration = Duration::from_secs(1);

/// What the writer and the checkpointer share.
#[derive(Default)]
struct Progress {
    /// Commits made by the writer.
    committed: AtomicU64,
    /// Commits known to be copied into the database file.
    checkpointed: Mutex<u64>,
    /// Signalled after each checkpoint.
    caught_up: Condvar,
}

impl Progress {
    /// Waits until every commit so far is checkpointed, or `CATCH_UP_WAIT` has passed.
    fn wait_for_checkpoint(&self) {
        let target = self.committed.load(Ordering::SeqCst);
        let done = self.checkpointed.lock().unwrap_or_else(|p| p.into_inner());
        let (done, waited) = self
            .caught_up
            .wait_timeout_while(done, CATCH_UP_WAIT, |done| *done < target)
            .unwrap_or_else(|p| p.into_inner());
        if waited.timed_out() {
            tracing::warn!(
                checkpointed = *done,
                committed = target,
                "the checkpointer is behind; the write-ahead log keeps growing"
            );
        }
    }
}

/// A write waiting for the writer thread.
trait Write: Send {
    /// Runs the write in the open transaction (in a savepoint of its own when `isolated`), adding
    /// its daily counts to `counts` if it succeeds; false if it failed. The answer waits for
    /// [`Write::finish`]. A write may be run again after its transaction was rolled back.
    fn run(&mut self, conn: &mut DbConnection, counts: &mut PendingCounts, isolated: bool) -> bool;
    /// Answers the write once its transaction is committed (or failed).
    fn finish(self: Box<Self>, committed: Result<(), Arc<BatchFailure>>);
    /// Answers the write without running it.
    fn fail(self: Box<Self>, why: StoreError);
    /// The scan, if this write is one: the scans of a batch are logged together.
    fn as_scan(&mut self) -> Option<&mut ScanJob> {
        None
    }
}

/// A write's outcome, kept until its batch's commit, and where to send it.
struct Reply<T> {
    result: Option<Result<T, StoreError>>,
    answer: tokio::sync::oneshot::Sender<Result<T, StoreError>>,
}

impl<T> Reply<T> {
    fn new(answer: tokio::sync::oneshot::Sender<Result<T, StoreError>>) -> Self {
        Self {
            result: None,
            answer,
        }
    }

    /// Keeps the outcome of one run: a write's value, with the daily counts it noted (added to
    /// `counts`), or why it failed. True if it ran.
    fn keep(
        &mut self,
        ran: Result<(T, PendingCounts), StoreError>,
        counts: &mut PendingCounts,
    ) -> bool {
        let result = ran.map(|(value, changes)| {
            counts.append(changes);
            value
        });
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    /// Answers once the batch's transaction is committed (or failed).
    fn finish(self, committed: Result<(), Arc<BatchFailure>>) {
        let outcome = match (committed, self.result) {
            (Ok(()), Some(result)) => result,
            (Ok(()), None) => Err(BatchFailure::NotRun.into_store_error()),
            // Nothing of the batch is on disk: no write may be reported as done.
            (Err(why), _) => Err(StoreError::Writer(why)),
        };
        let _ = self.answer.send(outcome);
    }

    /// Answers without having run.
    fn fail(self, why: StoreError) {
        let _ = self.answer.send(Err(why));
    }
}

/// Runs `f` in the open transaction of `conn` (in a savepoint of its own when `isolated`); a
/// panic is a failure, and a savepoint it left open is undone, so that the batch's later writes
/// and its commit run at the batch's own depth.
fn run_guarded<T>(
    conn: &mut DbConnection,
    isolated: bool,
    f: impl Fn(&mut DbConnection) -> Result<(T, PendingCounts), StoreError>,
) -> Result<(T, PendingCounts), StoreError> {
    let depth = transaction_depth(conn);
    let result = catch_unwind(AssertUnwindSafe(|| {
        if isolated {
            conn.transaction(|c| f(c))
        } else {
            f(conn)
        }
    }))
    .unwrap_or_else(|_| Err(StoreError::Panicked));
    if transaction_depth(conn) > depth {
        if let Err(e) = rollback_to(conn, depth) {
            tracing::error!(error = %e, "a panicked write's savepoint could not be undone");
        }
    }
    result
}

/// Scans waiting for the writer thread: one sent online, or a gate's offline upload, whose
/// scans are decided together and in order.
pub(super) struct ScanJob {
    items: Vec<ScanItem>,
    reply: Reply<Vec<ScanOutcome>>,
}

impl Write for ScanJob {
    fn run(&mut self, conn: &mut DbConnection, counts: &mut PendingCounts, isolated: bool) -> bool {
        let items = &self.items;
        let ran = run_guarded(conn, isolated, |c| {
            let mut changes = PendingCounts::default();
            let outcomes = items
                .iter()
                .map(|item| scans::record_one(c, &mut changes, item))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((outcomes, changes))
        });
        self.reply.keep(ran, counts)
    }

    fn finish(self: Box<Self>, committed: Result<(), Arc<BatchFailure>>) {
        self.reply.finish(committed);
    }

    fn fail(self: Box<Self>, why: StoreError) {
        self.reply.fail(why);
    }

    fn as_scan(&mut self) -> Option<&mut ScanJob> {
        Some(self)
    }
}

/// Runs `writes` straight in the open transaction: the scans among them together, in one
/// [`scans::record_all`], then the others one by one. False if any failed.
fn run_together(
    writes: &mut [Box<dyn Write>],
    conn: &mut DbConnection,
    counts: &mut PendingCounts,
) -> bool {
    let mut jobs: Vec<&mut ScanJob> = Vec::new();
    let mut others: Vec<&mut Box<dyn Write>> = Vec::new();
    for write in writes.iter_mut() {
        // A write is a scan or not; the borrow checker wants the test apart from the use.
        if write.as_scan().is_some() {
            if let Some(job) = write.as_scan() {
                jobs.push(job);
            }
        } else {
            others.push(write);
        }
    }
    if !jobs.is_empty() {
        let items: Vec<&ScanItem> = jobs.iter().flat_map(|job| &job.items).collect();
        let logged = catch_unwind(AssertUnwindSafe(|| {
            let mut changes = PendingCounts::default();
            scans::record_all(conn, &mut changes, &items).map(|o| (o, changes))
        }));
        match logged {
            Ok(Ok((outcomes, changes))) if outcomes.len() == items.len() => {
                counts.append(changes);
                let mut outcomes = outcomes.into_iter();
                for job in jobs {
                    let mine = outcomes.by_ref().take(job.items.len()).collect();
                    job.reply.result = Some(Ok(mine));
                }
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, scans = jobs.len(), "the batch's scans failed together; each runs alone");
                return false;
            }
            _ => return false,
        }
    }
    others
        .into_iter()
        .all(|write| write.run(conn, counts, false))
}

struct Job<T, F> {
    f: F,
    reply: Reply<T>,
}

impl<T, F> Write for Job<T, F>
where
    T: Send + 'static,
    F: Fn(&mut WriteTx<'_>) -> Result<T, StoreError> + Send + 'static,
{
    fn run(&mut self, conn: &mut DbConnection, counts: &mut PendingCounts, isolated: bool) -> bool {
        let f = &self.f;
        let ran = run_guarded(conn, isolated, |c| WriteTx::run(c, f));
        self.reply.keep(ran, counts)
    }

    fn finish(self: Box<Self>, committed: Result<(), Arc<BatchFailure>>) {
        self.reply.finish(committed);
    }

    fn fail(self: Box<Self>, why: StoreError) {
        self.reply.fail(why);
    }
}

/// A committed (or failed) batch and its outcome, for the answering thread.
type Answers = (Vec<Box<dyn Write>>, Result<(), Arc<BatchFailure>>);

/// The handle that queues writes for the writer thread; the thread ends when every handle is gone.
/// The checkpointer thread ends with the writer.
///
/// The writer owns the write connection and runs every write queued while the previous commit was
/// being fsynced (on SQLite also every write that arrives while those run), in one transaction;
/// each is answered only after the commit that holds it (by a thread of its own, so the writer goes
/// straight on to the next batch). The writes run straight in the transaction; if one fails, the batch is rolled
/// back and run again with each write in a savepoint of its own, so it fails alone.
///
/// Checkpoints (copying the write-ahead log into the database file, and fsyncing it) run on the
/// checkpointer thread rather than inside a commit, so the writer never waits for one: every
/// connection has automatic checkpoints off (`PRAGMA wal_autocheckpoint = 0`) and the checkpointer
/// runs one every [`CHECKPOINT_EVERY`] commits (and after a quiet second). SQLite starts the log
/// file over only when a write transaction begins with the whole log copied, which a writer that
/// never waits would never see: every [`RESTART_EVERY`] commits the writer waits for the
/// checkpointer to catch up before it begins, so the log stays small.
#[derive(Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<Box<dyn Write>>,
}

impl GroupCommit {
    /// Starts the writer thread on `pool` (on SQLite a pool of one connection; on PostgreSQL the
    /// writer takes one of the shared pool's for each batch), and on SQLite the checkpointer on a
    /// connection of `checkpoints`.
    pub fn start(
        pool: DbPool,
        checkpoints: Option<DbPool>,
        metrics: StoreMetrics,
    ) -> std::io::Result<Self> {
        let (queue, incoming) = mpsc::channel::<Box<dyn Write>>();
        // One pending signal is enough: a checkpoint copies everything committed before it starts.
        let (committed, commits) = mpsc::sync_channel::<()>(1);
        let progress = Arc::new(Progress::default());
        if let Some(readers) = checkpoints {
            let shared = Arc::clone(&progress);
            std::thread::Builder::new()
                .name("borderpass-checkpoint".into())
                .spawn(move || checkpointer(readers, commits, &shared))?;
        }
        // Answering a batch (waking each request's task) and freeing it happen on a thread of
        // their own, while the writer goes on with the next batch.
        let (answers, to_answer) = mpsc::channel::<Answers>();
        std::thread::Builder::new()
            .name("borderpass-answer".into())
            .spawn(move || {
                for (batch, outcome) in to_answer {
                    answer(batch, &outcome);
                }
            })?;
        std::thread::Builder::new()
            .name("borderpass-writer".into())
            .spawn(move || writer(pool, incoming, committed, &answers, &progress, &metrics))?;
        Ok(Self { queue })
    }

    /// Queues scans (decided together, in order) and waits until the transaction that logged them
    /// is committed (or failed).
    pub async fn scans(&self, items: Vec<ScanItem>) -> Result<Vec<ScanOutcome>, StoreError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.queue
            .send(Box::new(ScanJob {
                items,
                reply: Reply::new(answer),
            }))
            .map_err(|_| BatchFailure::Stopped.into_store_error())?;
        answered
            .await
            .map_err(|_| BatchFailure::Dropped.into_store_error())?
    }

    /// Queues `f` and waits until the transaction that ran it is committed (or failed).
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&mut WriteTx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.queue
            .send(Box::new(Job {
                f,
                reply: Reply::new(answer),
            }))
            .map_err(|_| BatchFailure::Stopped.into_store_error())?;
        answered
            .await
            .map_err(|_| BatchFailure::Dropped.into_store_error())?
    }
}

fn writer(
    pool: DbPool,
    incoming: mpsc::Receiver<Box<dyn Write>>,
    committed: mpsc::SyncSender<()>,
    answers: &mpsc::Sender<Answers>,
    progress: &Progress,
    metrics: &StoreMetrics,
) {
    while let Ok(first) = incoming.recv() {
        let mut batch = vec![first];
        take_queued(&incoming, &mut batch);
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(e) => {
                fail_all(batch, BatchFailure::Unavailable(e));
                continue;
            }
        };
        let sqlite = matches!(&*conn, DbConnection::Sqlite(_));
        let commits = progress.committed.load(Ordering::SeqCst);
        if sqlite && commits > 0 && commits.is_multiple_of(RESTART_EVERY) {
            // Begun with the whole log copied, this transaction writes at the log's start again.
            progress.wait_for_checkpoint();
        }
        if let Err(e) = begin(&mut conn) {
            fail_all(batch, BatchFailure::Begin(e));
            continue;
        }
        // Each write runs straight in the batch's transaction: a savepoint per write would cost
        // a statement on either side and a copy of every page it changes. If one fails, whatever
        // it left half done goes with a rollback of the whole batch, which then runs again with
        // each write in a savepoint of its own, so that only the failed one is undone; the writes
        // before it see the same database the second time and do the same.
        let mut counts = PendingCounts::default();
        // On SQLite, writes that arrive while the batch runs join it, up to MAX_BATCH: they would
        // otherwise wait for its commit and then for a commit of their own. Not on PostgreSQL:
        // a second round's scans would lock their permits after the first round's, out of permit
        // order, and another writer's batch could then wait for this one in a circle (measured:
        // deadlocks, each costing a second, with two instances scanning the same permits); there
        // they wait for the next batch, which begins as soon as this one has committed.
        let mut run = 0;
        let all_ran = loop {
            if !run_together(&mut batch[run..], &mut conn, &mut counts) {
                break false;
            }
            if !sqlite {
                break true;
            }
            run = batch.len();
            take_queued(&incoming, &mut batch);
            if batch.len() == run {
                break true;
            }
        };
        if !all_ran {
            let again = rollback_to(&mut conn, 0)
                .map_err(BatchFailure::Rollback)
                .and_then(|()| begin(&mut conn).map_err(BatchFailure::Begin));
            if let Err(e) = again {
                tracing::error!(error = %Chain(&e), writes = batch.len(), "the batch could not run again");
                fail_all(batch, e);
                continue;
            }
            counts = PendingCounts::default();
            lock_scanned_permits(&mut batch, &mut conn);
            for write in &mut batch {
                write.run(&mut conn, &mut counts, true);
            }
        }
        // The batch's daily counts, applied once, in the transaction that logged them.
        let counted = match catch_unwind(AssertUnwindSafe(|| stats::apply(&mut conn, &counts))) {
            Ok(applied) => applied.map_err(BatchFailure::Counts),
            Err(_) => Err(BatchFailure::CountsPanicked),
        };
        // Commit only the batch's own transaction: never a savepoint left open in its place.
        let counted = counted.and_then(|()| match transaction_depth(&mut conn) {
            1 => Ok(()),
            depth => Err(BatchFailure::Depth(depth)),
        });
        let outcome = counted.and_then(|()| {
            let started = std::time::Instant::now();
            let committed = commit(&mut conn).map_err(BatchFailure::Commit);
            metrics
                .commit_seconds
                .observe(started.elapsed().as_secs_f64());
            metrics.batch_writes.observe(batch.len() as f64);
            committed
        });
        if let Err(e) = &outcome {
            let _ = rollback_to(&mut conn, 0);
            tracing::error!(error = %Chain(e), writes = batch.len(), "the batch was rolled back");
        }
        let outcome = outcome.map_err(Arc::new);
        if outcome.is_ok()
            && (progress.committed.fetch_add(1, Ordering::SeqCst) + 1)
                .is_multiple_of(CHECKPOINT_EVERY)
            && sqlite
        {
            let _ = committed.try_send(());
        }
        if let Err(mpsc::SendError((batch, outcome))) = answers.send((batch, outcome)) {
            // The answering thread is gone (it panicked): the writer answers itself.
            answer(batch, &outcome);
        }
    }
}

/// Before a batch's writes run one by one: locks the permits its scans name, all at once and in
/// permit order ([`scans::lock_permits`]), as [`scans::record_all`] does, rather than one scan's
/// at a time in the batch's order, which could wait in a circle with another writer's batch.
fn lock_scanned_permits(batch: &mut [Box<dyn Write>], conn: &mut DbConnection) {
    let items: Vec<&ScanItem> = batch
        .iter_mut()
        .filter_map(|write| write.as_scan().map(|job| &job.items))
        .flatten()
        .collect();
    if items.is_empty() {
        return;
    }
    let depth = transaction_depth(conn);
    let locked = conn.transaction(|c| scans::lock_permits(c, &items));
    if let Err(e) = locked {
        // Each scan then locks its own permit, as it would anyway.
        tracing::warn!(error = %e, "the batch's permits could not be locked together");
        let _ = rollback_to(conn, depth);
    }
}

/// Answers each write of a batch with the outcome of its commit.
fn answer(batch: Vec<Box<dyn Write>>, outcome: &Result<(), Arc<BatchFailure>>) {
    for write in batch {
        write.finish(outcome.clone());
    }
}

/// Answers each write of a batch that could not run with why.
fn fail_all(batch: Vec<Box<dyn Write>>, why: BatchFailure) {
    let why = Arc::new(why);
    for write in batch {
        write.fail(StoreError::Writer(why.clone()));
    }
}

/// Moves the writes waiting in `incoming` into `batch`, up to [`MAX_BATCH`] in all.
fn take_queued(incoming: &mpsc::Receiver<Box<dyn Write>>, batch: &mut Vec<Box<dyn Write>>) {
    while batch.len() < MAX_BATCH {
        match incoming.try_recv() {
            Ok(write) => batch.push(write),
            Err(_) => break,
        }
    }
}

/// Begins the batch's transaction. On SQLite IMMEDIATE takes the write lock now, waiting
/// (busy_timeout) for another process's writer.
fn begin(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")
        }
        DbConnection::Postgres(pg) => AnsiTransactionManager::begin_transaction(pg),
    }
}

/// Commits the batch's transaction.
fn commit(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(sqlite) => AnsiTransactionManager::commit_transaction(sqlite),
        DbConnection::Postgres(pg) => AnsiTransactionManager::commit_transaction(pg),
    }
}

fn checkpointer(readers: DbPool, commits: mpsc::Receiver<()>, progress: &Progress) {
    loop {
        match commits.recv_timeout(QUIET) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        let through = progress.committed.load(Ordering::SeqCst);
        let done = *progress
            .checkpointed
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if through == done {
            continue;
        }
        // PASSIVE: copies what no reader still needs, without waiting for the writer or readers.
        let done = readers
            .get()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")
                    .map_err(|e| e.to_string())
            });
        match done {
            Ok(()) => {
                let mut checkpointed = progress
                    .checkpointed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                *checkpointed = through;
                progress.caught_up.notify_all();
            }
            Err(error) => tracing::warn!(%error, "checkpoint failed; the next commit tries again"),
        }
    }
}
