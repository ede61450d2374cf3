//! Storage over SQLite (embedded default) or PostgreSQL, chosen by URL: one module per table's
//! queries, and under them the `engine` (connections, group commit, migrations).

/// Runs a statement on whichever backend the connection is, bypassing the multi-backend layer.
///
/// `on_backend!(conn, query)` executes `query`; `on_backend!(conn, |c| expr)` evaluates `expr`
/// with `c` bound to the backend's own connection. Used for syntax the multi-backend builder lacks
/// (`ON CONFLICT`) and on the per-scan path: through the multi-backend layer diesel writes a query's
/// SQL text out again on every run, even when its prepared statement is cached.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Postgres($c) => $body,
        }
    };
    ($conn:expr, $query:expr) => {
        $crate::db::on_backend!($conn, |c| diesel::RunQueryDsl::execute($query, c))
    };
}
pub(crate) use on_backend;

pub mod audit;
pub mod bundles;
pub mod conflicts;
pub mod devices;
pub mod engine;
pub mod gates;
pub mod keys;
pub mod permits;
pub mod scans;
pub mod schema;
pub mod staff;
pub mod stats;

pub use engine::stamp::Stamp;
pub use engine::{Backend, DbConnection, PooledDb, Store, StoreError, WriteTx};
