//! The write path: each write is all or nothing, a failing write spoils no other, answers come after commit.

use borderpass::db::StoreError;
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl};

use crate::helpers::spawn_app;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
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
                    .execute(conn)?;
                    if i % 10 == 0 {
                        // Fails after writing: the write must vanish whole.
                        return Err(StoreError::Task(format!("write {i} refused")));
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
            Err(StoreError::Task(_)) => failed += 1,
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!(failed, 20);
    let count = store
        .read(|conn| {
            Ok(diesel::sql_query(
                "SELECT COUNT(*) AS n FROM service_secrets WHERE name LIKE 'test-%'",
            )
            .get_result::<Count>(conn)?)
        })
        .await
        .expect("count");
    assert_eq!(
        count.n, 180,
        "every successful write is stored, no failed one is"
    );
    // What a write answered is visible to the next read at once.
    let value = store
        .write(|conn| {
            diesel::sql_query("INSERT INTO service_secrets (name, sealed_value, created_at) VALUES ('test-last', 'y', '2030-01-01 00:00:00')")
                .execute(conn)?;
            Ok(())
        })
        .await;
    assert!(value.is_ok());
    let count = store
        .read(|conn| {
            Ok(diesel::sql_query(
                "SELECT COUNT(*) AS n FROM service_secrets WHERE name = 'test-last'",
            )
            .get_result::<Count>(conn)?)
        })
        .await
        .expect("count");
    assert_eq!(count.n, 1);
}
