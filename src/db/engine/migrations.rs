//! Schema migrations, one folder per backend, embedded in the binary.

use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::DbConnection;

/// Migrations for the embedded SQLite database.
pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// Migrations for PostgreSQL; kept in step with the SQLite ones by a test.
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Why migrations could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The database could not be reached.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] diesel::r2d2::PoolError),
    /// A migration failed; nothing of it was kept.
    #[error("migration failed: {0}")]
    Failed(String),
    /// Migrated, but what the service needs before it serves could not be made ready (for
    /// example a signing key that does not open with the configured key-encryption key).
    #[error("not ready to serve: {0}")]
    NotReady(String),
}

/// Applies every pending migration for the connection's backend; returns the versions applied.
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, MigrationError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE).map(versions),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES).map(versions),
    };
    applied.map_err(|e| MigrationError::Failed(e.to_string()))
}

fn versions(applied: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
    applied.into_iter().map(|v| v.to_string()).collect()
}
