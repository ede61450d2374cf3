//! The write path: each write is all or nothing, a failing write spoils no other, answers come after commit.

use borderpass::config::DatabaseUrl;
use borderpass::db::engine::group_commit::RESTART_EVERY;
use borderpass::db::{stats, Store, StoreError};
use chrono::TimeZone;
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl};

use crate::helpers::spawn_app;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The one number `sql` selects (as `n`), read through the store's readers.
async fn number(store: &Store, sql: &'static str) -> i64 {
    store
        .read(move |conn| Ok(diesel::sql_query(sql).get_result::<Count>(conn)?))
        .await
        .expect("count")
        .n
}

#[tokio::test]
async fn concurrent_writes_commit_alone_or_together_and_a_failing_one_leaves_nothing() {
    let app = spawn_app().await;
    let store = app.store();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .write(move |conn| {
                    diesel::sql_query(format!(
                        "INSERT INTO service_secrets (name, sealed_value, created_at) VALUES ('test-{i}', 'x', '2030-01-01 00:00:00')"
                    ))
                    .execute(&mut **conn)?;
                    if i % 10 == 0 {
                        // Fails after writing: the write must vanish whole.
                        return Err(refused(i));
                    }
                    Ok(i)
                })
                .await
        }));
    }
    let mut failed = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => {}
            Err(StoreError::Query(diesel::result::Error::QueryBuilderError(_))) => failed += 1,
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!(failed, 20);
    let count = number(
        &store,
        "SELECT COUNT(*) AS n FROM service_secrets WHERE name LIKE 'test-%'",
    )
    .await;
    assert_eq!(
        count, 180,
        "every successful write is stored, no failed one is"
    );
    // What a write answered is visible to the next read at once.
    let value = store
        .write(|conn| {
            diesel::sql_query("INSERT INTO service_secrets (name, sealed_value, created_at) VALUES ('test-last', 'y', '2030-01-01 00:00:00')")
                .execute(&mut **conn)?;
            Ok(())
        })
        .await;
    assert!(value.is_ok());
    let count = number(
        &store,
        "SELECT COUNT(*) AS n FROM service_secrets WHERE name = 'test-last'",
    )
    .await;
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_write_that_panics_inside_its_own_transaction_spoils_no_other() {
    let app = spawn_app().await;
    let store = app.store();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .write(move |tx| {
                    let conn: &mut borderpass::db::DbConnection = tx;
                    diesel::Connection::transaction(conn, |c| {
                        diesel::sql_query(format!(
                            "INSERT INTO service_secrets (name, sealed_value, created_at) VALUES ('panic-{i}', 'x', '2030-01-01 00:00:00')"
                        ))
                        .execute(c)?;
                        // Panics with its own savepoint still open.
                        assert!(i % 25 != 0, "write {i} panics");
                        Ok::<_, StoreError>(i)
                    })
                })
                .await
        }));
    }
    let mut panicked = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => {}
            Err(StoreError::Panicked) => panicked += 1,
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!(panicked, 4);
    let count = number(
        &store,
        "SELECT COUNT(*) AS n FROM service_secrets WHERE name LIKE 'panic-%'",
    )
    .await;
    assert_eq!(
        count, 96,
        "every write that returned is stored, no panicked one is"
    );
}

#[tokio::test]
async fn daily_counts_noted_by_a_failing_write_are_not_applied() {
    let app = spawn_app().await;
    let store = app.store();
    let issued_at = chrono::Utc
        .with_ymd_and_hms(2031, 5, 4, 12, 0, 0)
        .single()
        .expect("instant");
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .write(move |tx| {
                    let (_, counts) = tx.parts();
                    stats::count_permit(counts, issued_at);
                    if i % 2 == 0 {
                        return Err(refused(i));
                    }
                    Ok(())
                })
                .await
        }));
    }
    let mut failed = 0;
    for task in tasks {
        if task.await.expect("task").is_err() {
            failed += 1;
        }
    }
    assert_eq!(failed, 10);
    let issued = number(
        &store,
        // The day's counts may lie in several shards (PostgreSQL): their sum is the count.
        "SELECT CAST(SUM(permits_issued) AS BIGINT) AS n FROM daily_totals \
                 WHERE time_zone = 'Asia/Shanghai' AND day = '2031-05-04'",
    )
    .await;
    assert_eq!(
        issued, 10,
        "only the writes that succeeded count, each once"
    );
}

#[tokio::test]
async fn sqlite_write_ahead_log_starts_over_under_steady_writes() {
    let app = spawn_app().await;
    let DatabaseUrl::Sqlite(path) = app.config.database.clone() else {
        return; // PostgreSQL keeps its own log.
    };
    let store = app.store();
    // Four times the commits between two starts over, each with a 12 KiB value: a log that never
    // started over would hold every value (more than `written` bytes); one that does holds the
    // commits since it last started over, about a quarter of them.
    let commits = 4 * RESTART_EVERY;
    let value = 12 * 1024;
    for i in 0..commits {
        store
            .write(move |conn| {
                diesel::sql_query(format!(
                    "INSERT INTO service_secrets (name, sealed_value, created_at) \
                     VALUES ('wal-{i}', '{}', '2030-01-01 00:00:00')",
                    "x".repeat(value)
                ))
                .execute(&mut **conn)?;
                Ok(())
            })
            .await
            .expect("write");
    }
    let mut wal = path.into_os_string();
    wal.push("-wal");
    let size = std::fs::metadata(&wal).expect("log file").len();
    let written = commits * value as u64;
    assert!(
        size < written,
        "the write-ahead log should start over after checkpoints, but it is {size} bytes \
         after {written} bytes written"
    );
}

/// What a test write returns when it refuses itself after writing.
fn refused(i: i32) -> StoreError {
    StoreError::Query(diesel::result::Error::QueryBuilderError(
        format!("write {i} refused").into(),
    ))
}
