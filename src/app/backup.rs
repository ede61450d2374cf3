//! Online backup of the SQLite database, and putting a backup into an empty data directory.

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

use crate::config::{Config, DatabaseUrl};
use crate::db::Backend;

use super::{Core, Error};

/// What a backup holds.
#[derive(Debug, Clone)]
pub struct Backup {
    /// The file written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Permits in it.
    pub permits: i64,
    /// Crossing-log rows in it.
    pub scans: i64,
}

/// Why a backup or restore was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database is PostgreSQL: its own tools back it up.
    #[error("the database is PostgreSQL: back it up with pg_dump (docs/operations.md, \"Backup and restore\")")]
    NotSqlite,
    /// The target exists.
    #[error("{0} exists: name a new file")]
    Exists(PathBuf),
    /// The data directory already holds a database.
    #[error("{0} exists: restore puts a backup into an empty data directory")]
    NotEmpty(PathBuf),
    /// The file is not a sound borderpass database.
    #[error("{path} is not a sound borderpass database: {why}")]
    Unsound {
        /// The file.
        path: PathBuf,
        /// What the check found.
        why: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite refused.
    #[error("{0}")]
    Sqlite(String),
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Checks `path` with `PRAGMA integrity_check` and counts its permits and scans.
fn check(path: &Path) -> Result<(i64, i64), BackupError> {
    let unsound = |why: String| BackupError::Unsound {
        path: path.to_path_buf(),
        why,
    };
    let url = format!("file:{}?mode=ro", path.display());
    let mut conn = SqliteConnection::establish(&url).map_err(|e| unsound(e.to_string()))?;
    let lines: Vec<Line> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .map_err(|e| unsound(e.to_string()))?;
    let verdict: Vec<String> = lines.into_iter().map(|l| l.integrity_check).collect();
    if verdict != ["ok"] {
        return Err(unsound(verdict.join("; ")));
    }
    let count = |conn: &mut SqliteConnection, table: &str| {
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(conn)
            .map(|c| c.n)
            .map_err(|e| unsound(format!("no {table} table ({e})")))
    };
    Ok((count(&mut conn, "permits")?, count(&mut conn, "scans")?))
}

/// Writes a consistent copy of the SQLite database to `path` (mode 0600) while the service runs:
/// `VACUUM INTO` on a reading connection sees one snapshot, and writers go on meanwhile.
pub async fn backup(core: &Core, path: PathBuf) -> Result<Backup, Error> {
    if core.store.backend() != Backend::Sqlite {
        return Err(Error::internal(BackupError::NotSqlite));
    }
    if path.exists() {
        return Err(Error::internal(BackupError::Exists(path)));
    }
    let target = path.to_string_lossy().into_owned();
    core.store
        .read(move |conn| {
            diesel::sql_query("VACUUM INTO ?")
                .bind::<Text, _>(&target)
                .execute(conn)?;
            Ok(())
        })
        .await?;
    crate::files::make_private(&path).map_err(|source| {
        Error::internal(BackupError::File {
            path: path.clone(),
            source,
        })
    })?;
    let checked = path.clone();
    let (permits, scans) = super::off_the_workers(move || check(&checked))
        .await?
        .map_err(Error::internal)?;
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    Ok(Backup {
        path,
        bytes,
        permits,
        scans,
    })
}

/// Puts the backup `file` into the configured, empty data directory as its database (mode 0600),
/// after checking it; the service migrates it further when it starts.
pub fn restore(config: &Config, file: &Path) -> Result<Backup, BackupError> {
    let DatabaseUrl::Sqlite(target) = &config.database else {
        return Err(BackupError::NotSqlite);
    };
    for existing in [target.clone(), target.with_extension("db-wal")] {
        if std::fs::metadata(&existing).is_ok_and(|m| m.len() > 0) {
            return Err(BackupError::NotEmpty(existing));
        }
    }
    let (permits, scans) = check(file)?;
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BackupError::File { path, source }
    };
    crate::files::create_private_dir(dir).map_err(io(dir))?;
    let staged = target.with_extension("db.restoring");
    std::fs::copy(file, &staged).map_err(io(&staged))?;
    crate::files::make_private(&staged).map_err(io(&staged))?;
    std::fs::File::open(&staged)
        .and_then(|f| f.sync_all())
        .map_err(io(&staged))?;
    // A leftover empty file from an earlier start goes; the copy takes its place whole.
    std::fs::rename(&staged, target).map_err(io(target))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))?;
    // A restored database starts in WAL mode like any other.
    let mut conn = SqliteConnection::establish(&target.to_string_lossy())
        .map_err(|e| BackupError::Sqlite(e.to_string()))?;
    conn.batch_execute("PRAGMA journal_mode = WAL;")
        .map_err(|e| BackupError::Sqlite(e.to_string()))?;
    let bytes = std::fs::metadata(target).map(|m| m.len()).unwrap_or(0);
    Ok(Backup {
        path: target.clone(),
        bytes,
        permits,
        scans,
    })
}
