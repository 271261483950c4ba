//! The statement pool against real databases: connections come back after cancelled
//! and failed statements, transactions hand theirs back to waiting statements, the pool
//! never grows beyond its size, and connections are recycled and released as sqlx's
//! lifetime and idle timeout say.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use sqlx::{Row, any::AnyPoolOptions};
use std::time::Duration;
use symbolon_platform::pool::Pool;
use symbolon_testkit::{Backend, TestDb, both_backends};

async fn pool(db: &TestDb, size: u32, acquire_timeout: Duration) -> Pool {
    pool_with(
        db,
        AnyPoolOptions::new().max_connections(size),
        acquire_timeout,
    )
    .await
}

/// A pool over sqlx's with `options`, the idle timeout taken from them.
async fn pool_with(db: &TestDb, options: AnyPoolOptions, acquire_timeout: Duration) -> Pool {
    sqlx::any::install_default_drivers();
    let idle = options
        .get_idle_timeout()
        .unwrap_or(Duration::from_secs(300));
    let sqlx = options
        .acquire_timeout(acquire_timeout)
        .test_before_acquire(false)
        .connect(&db.url)
        .await
        .expect("connect");
    Pool::new(sqlx, acquire_timeout, idle)
}

async fn number(pool: &Pool, n: i64) -> i64 {
    sqlx::query("SELECT $1")
        .bind(n)
        .fetch_one(pool)
        .await
        .expect("select")
        .get::<i64, _>(0)
}

async fn a_statement_waits_for_the_transaction_holding_the_only_connection(backend: Backend) {
    let db = TestDb::new(backend).await;
    let pool = pool(&db, 1, Duration::from_secs(10)).await;
    sqlx::query("CREATE TABLE t (id BIGINT PRIMARY KEY)")
        .execute(&pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO t (id) VALUES (1)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let reader = pool.clone();
    let count = tokio::spawn(async move {
        sqlx::query("SELECT COUNT(*) FROM t")
            .fetch_one(&reader)
            .await
            .map(|r| r.get::<i64, _>(0))
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !count.is_finished(),
        "the only connection is in the transaction"
    );
    tx.commit().await.unwrap();
    // The committed connection goes back to sqlx, not to the parked list: the waiting
    // statement must still get it, well before its acquire timeout.
    let seen = tokio::time::timeout(Duration::from_secs(5), count)
        .await
        .expect("the statement got the connection after the commit")
        .unwrap()
        .unwrap();
    assert_eq!(seen, 1);
    assert_eq!(pool.sqlx().size(), 1);
}

async fn many_statements_share_the_pool_and_get_their_own_rows(backend: Backend) {
    let db = TestDb::new(backend).await;
    let pool = pool(&db, 4, Duration::from_secs(10)).await;
    let calls: Vec<_> = (0..200i64)
        .map(|n| {
            let pool = pool.clone();
            tokio::spawn(async move { (n, number(&pool, n).await) })
        })
        .collect();
    for call in calls {
        let (asked, got) = call.await.unwrap();
        assert_eq!(asked, got);
    }
    assert!(pool.sqlx().size() <= 4, "size {}", pool.sqlx().size());
}

async fn a_database_error_keeps_the_pool_working(backend: Backend) {
    let db = TestDb::new(backend).await;
    let pool = pool(&db, 1, Duration::from_secs(10)).await;
    sqlx::query("CREATE TABLE t (id BIGINT PRIMARY KEY)")
        .execute(&pool)
        .await
        .unwrap();
    let insert = || sqlx::query("INSERT INTO t (id) VALUES (7)").execute(&pool);
    insert().await.unwrap();
    let err = insert().await.unwrap_err();
    assert!(
        err.as_database_error()
            .is_some_and(|e| e.is_unique_violation()),
        "{err:?}"
    );
    assert_eq!(number(&pool, 8).await, 8);
    assert_eq!(pool.sqlx().size(), 1);
}

async fn times_out_while_the_only_connection_stays_busy(backend: Backend) {
    let db = TestDb::new(backend).await;
    let pool = pool(&db, 1, Duration::from_millis(300)).await;
    let tx = pool.begin().await.unwrap();
    let err = sqlx::query("SELECT 1").execute(&pool).await.unwrap_err();
    assert!(matches!(err, sqlx::Error::PoolTimedOut), "{err:?}");
    drop(tx);
    assert_eq!(number(&pool, 3).await, 3);
}

/// Closing while statements run finishes (no connection stays parked behind sqlx's
/// back), and statements after it fail cleanly.
async fn close_finishes_under_load(backend: Backend) {
    let db = TestDb::new(backend).await;
    let pool = pool(&db, 4, Duration::from_secs(2)).await;
    let load: Vec<_> = (0..16i64)
        .map(|n| {
            let pool = pool.clone();
            tokio::spawn(async move {
                while sqlx::query("SELECT $1")
                    .bind(n)
                    .fetch_one(&pool)
                    .await
                    .is_ok()
                {}
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    tokio::time::timeout(Duration::from_secs(10), pool.close())
        .await
        .expect("close finished");
    for task in load {
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("statements stopped")
            .unwrap();
    }
    assert!(sqlx::query("SELECT 1").execute(&pool).await.is_err());
    assert_eq!(pool.sqlx().size(), 0);
}

both_backends!(
    close_finishes_under_load,
    a_statement_waits_for_the_transaction_holding_the_only_connection,
    many_statements_share_the_pool_and_get_their_own_rows,
    a_database_error_keeps_the_pool_working,
    times_out_while_the_only_connection_stays_busy,
    idle_connections_are_released,
);

/// A statement abandoned half-way (its caller's deadline passed) must not leave its
/// reply for the next statement on that connection to read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_statement_leaves_nothing_for_the_next_one() {
    let db = TestDb::new(Backend::Postgres).await;
    let pool = pool(&db, 1, Duration::from_secs(10)).await;
    for n in 0..5 {
        let slow = sqlx::query("SELECT 99 FROM pg_sleep(0.2)").fetch_one(&pool);
        assert!(
            tokio::time::timeout(Duration::from_millis(30), slow)
                .await
                .is_err()
        );
        assert_eq!(number(&pool, n).await, n);
    }
    assert_eq!(pool.sqlx().size(), 1);
}

/// Connections are recycled after sqlx's `max_lifetime` even when they never rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_is_recycled_after_its_lifetime() {
    let db = TestDb::new(Backend::Postgres).await;
    let options = AnyPoolOptions::new()
        .max_connections(1)
        .max_lifetime(Duration::from_millis(300));
    let pool = pool_with(&db, options, Duration::from_secs(10)).await;
    let session = || async {
        sqlx::query("SELECT pg_backend_pid()")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get::<i32, _>(0)
    };
    let first = session().await;
    assert_eq!(session().await, first, "parked and reused while young");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_ne!(
        session().await,
        first,
        "a new session once the lifetime passed"
    );
}

/// Connections parked past the idle timeout go back to sqlx, which closes them: a
/// burst does not hold its sessions for ever.
async fn idle_connections_are_released(backend: Backend) {
    let db = TestDb::new(backend).await;
    let options = AnyPoolOptions::new()
        .max_connections(4)
        .min_connections(0)
        .idle_timeout(Duration::from_millis(200));
    let pool = pool_with(&db, options, Duration::from_secs(10)).await;
    let burst: Vec<_> = (0..40i64)
        .map(|n| {
            let pool = pool.clone();
            tokio::spawn(async move { number(&pool, n).await })
        })
        .collect();
    for call in burst {
        call.await.unwrap();
    }
    assert!(
        pool.sqlx().size() > 1,
        "the burst opened several connections"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while pool.sqlx().size() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(pool.sqlx().size(), 0, "idle connections closed");
    assert_eq!(number(&pool, 5).await, 5);
}
