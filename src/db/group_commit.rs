//! Group commit on SQLite: one writer thread owns the write connection and runs every write queued
//! while the previous commit was being fsynced in one transaction, each write in its own savepoint,
//! and answers each only after the commit that holds it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::Connection;

use super::{DbConnection, DbPool, StoreError};

/// Most writes in one transaction: bounds the latency one commit adds to the first write in it.
pub const MAX_BATCH: usize = 512;

/// A write waiting for the writer thread.
trait Write: Send {
    /// Runs the write in a savepoint of the open transaction; the answer waits for the commit.
    fn run(self: Box<Self>, conn: &mut DbConnection) -> Box<dyn Finish>;
    /// Answers the write without running it.
    fn fail(self: Box<Self>, why: StoreError);
}

/// A write that ran, waiting for its transaction's commit.
trait Finish: Send {
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct Job<T, F> {
    f: F,
    answer: tokio::sync::oneshot::Sender<Result<T, StoreError>>,
}

struct Ran<T> {
    result: Result<T, StoreError>,
    answer: tokio::sync::oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Write for Job<T, F>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &mut DbConnection) -> Box<dyn Finish> {
        let Job { f, answer } = *self;
        // A savepoint per write: one failing write rolls back alone, the batch goes on.
        let result = catch_unwind(AssertUnwindSafe(|| conn.transaction(f))).unwrap_or_else(|_| {
            Err(StoreError::Task(
                "a write panicked; it was rolled back".into(),
            ))
        });
        Box::new(Ran { result, answer })
    }

    fn fail(self: Box<Self>, why: StoreError) {
        let _ = self.answer.send(Err(why));
    }
}

impl<T: Send + 'static> Finish for Ran<T> {
    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let outcome = match committed {
            Ok(()) => self.result,
            // Nothing of the batch is on disk: no write may be reported as done.
            Err(why) => Err(StoreError::Writer(why)),
        };
        let _ = self.answer.send(outcome);
    }
}

/// The handle that queues writes for the writer thread; the thread ends when every handle is gone.
#[derive(Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<Box<dyn Write>>,
}

impl GroupCommit {
    /// Starts the writer thread on `pool` (a pool of one SQLite connection).
    pub fn start(pool: DbPool) -> std::io::Result<Self> {
        let (queue, incoming) = mpsc::channel::<Box<dyn Write>>();
        std::thread::Builder::new()
            .name("borderpass-writer".into())
            .spawn(move || writer(pool, incoming))?;
        Ok(Self { queue })
    }

    /// Queues `f` and waits until the transaction that ran it is committed (or failed).
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.queue
            .send(Box::new(Job { f, answer }))
            .map_err(|_| StoreError::Writer("the writer thread has stopped".into()))?;
        answered
            .await
            .map_err(|_| StoreError::Writer("the writer thread dropped a write".into()))?
    }
}

fn writer(pool: DbPool, incoming: mpsc::Receiver<Box<dyn Write>>) {
    while let Ok(first) = incoming.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match incoming.try_recv() {
                Ok(write) => batch.push(write),
                Err(_) => break,
            }
        }
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(e) => {
                for write in batch {
                    write.fail(StoreError::Writer(format!("database unavailable: {e}")));
                }
                continue;
            }
        };
        let DbConnection::Sqlite(sqlite) = &mut *conn else {
            for write in batch {
                write.fail(StoreError::Writer("group commit serves SQLite only".into()));
            }
            continue;
        };
        // IMMEDIATE takes the write lock now, waiting (busy_timeout) for another process's writer.
        if let Err(e) = AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE") {
            for write in batch {
                write.fail(StoreError::Writer(format!(
                    "cannot begin a transaction: {e}"
                )));
            }
            continue;
        }
        let ran: Vec<Box<dyn Finish>> = batch
            .into_iter()
            .map(|write| write.run(&mut conn))
            .collect();
        let committed = match &mut *conn {
            DbConnection::Sqlite(sqlite) => {
                match AnsiTransactionManager::commit_transaction(sqlite) {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        let _ = AnsiTransactionManager::rollback_transaction(sqlite);
                        tracing::error!(error = %e, writes = ran.len(), "commit failed; the batch was rolled back");
                        Err(format!("commit failed: {e}"))
                    }
                }
            }
            DbConnection::Postgres(_) => Err("group commit serves SQLite only".into()),
        };
        for done in ran {
            done.finish(committed.clone());
        }
    }
}
