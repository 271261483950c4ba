//! Batched statements against real databases. Point reads (`table::get`): concurrent
//! reads share statements yet each gets exactly its own row within its own scope, a
//! read sees the writes committed before it, and a failing statement answers every
//! read with an error instead of leaving it waiting. Conditional inserts
//! (`table::insert_where`): concurrent ones share statements yet each row is written
//! once and only if its own condition holds, a row the database refuses costs the
//! others nothing, and a request key used twice writes one row.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use sqlx::{Row, any::AnyRow};
use std::time::Duration;
use symbolon_platform::{
    Database, StoreError,
    db::Migrations,
    filter::Field,
    table::{self, Table},
};
use symbolon_testkit::{Backend, TestDb, both_backends};

static NONE: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

/// A test table: an id, a scope and a number. Two of them, because batches are kept
/// per table type.
macro_rules! test_table {
    ($(#[$doc:meta])* $name:ident, $table:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        struct $name {
            id: String,
            scope: String,
            n: i64,
        }

        impl Table for $name {
            const NAME: &'static str = $table;
            const SCOPE: &'static str = "scope";
            const COLUMNS: &'static str = "id, scope, n";
            const SOFT_DELETE: bool = false;
            const FILTER: &'static [Field] = &[];
            fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
                Ok(Self {
                    id: row.try_get("id")?,
                    scope: row.try_get("scope")?,
                    n: row.try_get("n")?,
                })
            }
            fn id(&self) -> &str {
                &self.id
            }
        }
    };
}

test_table!(
    /// A row read with `table::get`.
    Item,
    "items"
);
test_table!(
    /// A row written with `insert_where`.
    Note,
    "notes"
);

/// Writes note `id` with `n` in `scope` if item i0 of that scope exists.
async fn note(
    database: &Database,
    id: &str,
    scope: &str,
    n: i64,
    request_key: Option<String>,
) -> Result<Option<Note>, StoreError> {
    let scope_owned = scope.to_string();
    table::insert_where::<Note>(
        database,
        &["id", "scope", "n"],
        vec![id.into(), scope.into(), n.into()],
        request_key,
        |sql| {
            sql.push("EXISTS (SELECT 1 FROM items WHERE scope = ")
                .bind(scope_owned)
                .push(" AND id = 'i0')");
        },
    )
    .await
}

async fn notes(database: &Database) -> Vec<Note> {
    sqlx::query("SELECT id, scope, n FROM notes ORDER BY n")
        .fetch_all(database.writer())
        .await
        .unwrap()
        .iter()
        .map(|r| Note::from_row(r).unwrap())
        .collect()
}

/// The same rows, in a table that does not exist.
#[derive(Debug)]
struct Missing;

impl Table for Missing {
    const NAME: &'static str = "no_such_table";
    const SCOPE: &'static str = "scope";
    const COLUMNS: &'static str = "id";
    const SOFT_DELETE: bool = false;
    const FILTER: &'static [Field] = &[];
    fn from_row(_: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self)
    }
    fn id(&self) -> &str {
        ""
    }
}

const SCOPES: usize = 5;
const PER_SCOPE: usize = 10;

/// `items` holding ids `i0`…`i9` in each of scopes `s0`…`s4`, with n = 100·scope + i.
async fn database(db: &TestDb) -> Database {
    let database = Database::connect(
        &db.url,
        &Migrations {
            postgres: &NONE,
            sqlite: &NONE,
        },
    )
    .await
    .expect("connect");
    for table in [
        "CREATE TABLE items (scope TEXT NOT NULL, id TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (scope, id))",
        "CREATE TABLE notes (id TEXT PRIMARY KEY, scope TEXT NOT NULL, n BIGINT NOT NULL CHECK (n >= 0), request_key TEXT UNIQUE)",
        "CREATE TABLE request_fingerprints (scope TEXT PRIMARY KEY, fingerprint TEXT NOT NULL)",
    ] {
        sqlx::query(table).execute(database.writer()).await.unwrap();
    }
    for s in 0..SCOPES {
        for i in 0..PER_SCOPE {
            sqlx::query("INSERT INTO items (scope, id, n) VALUES ($1, $2, $3)")
                .bind(format!("s{s}"))
                .bind(format!("i{i}"))
                .bind((100 * s + i) as i64)
                .execute(database.writer())
                .await
                .unwrap();
        }
    }
    database
}

async fn concurrent_reads_share_statements_and_each_gets_its_own_row(backend: Backend) {
    let db = TestDb::new(backend).await;
    let database = database(&db).await;
    // Scope s5 and id i10 do not exist: those reads find nothing, even when the
    // same id is read in a scope that has it within the same statement.
    let reads: Vec<_> = (0..600usize)
        .map(|k| {
            let (s, i) = (k % (SCOPES + 1), (k / (SCOPES + 1)) % (PER_SCOPE + 1));
            let database = database.clone();
            tokio::spawn(async move {
                let (scope, id) = (format!("s{s}"), format!("i{i}"));
                let got = table::get::<Item>(&database, &scope, &id).await.unwrap();
                let want = (s < SCOPES && i < PER_SCOPE).then(|| Item {
                    scope,
                    id,
                    n: (100 * s + i) as i64,
                });
                assert_eq!(got, want);
            })
        })
        .collect();
    for read in reads {
        read.await.unwrap();
    }
    let stats = database.point_read_stats();
    assert_eq!(stats.requests, 600);
    assert!(
        stats.batches < stats.requests,
        "reads were not batched: {stats:?}"
    );
}

async fn a_read_sees_the_writes_committed_before_it(backend: Backend) {
    let db = TestDb::new(backend).await;
    let database = database(&db).await;
    let load: Vec<_> = (0..8)
        .map(|k| {
            let database = database.clone();
            tokio::spawn(async move {
                for _ in 0..200 {
                    table::get::<Item>(&database, "s1", &format!("i{k}"))
                        .await
                        .unwrap()
                        .expect("row");
                }
            })
        })
        .collect();
    for n in 1000..1100i64 {
        sqlx::query("UPDATE items SET n = $1 WHERE scope = 's0' AND id = 'i0'")
            .bind(n)
            .execute(database.writer())
            .await
            .unwrap();
        let got = table::get::<Item>(&database, "s0", "i0")
            .await
            .unwrap()
            .expect("row");
        assert_eq!(got.n, n);
    }
    for task in load {
        task.await.unwrap();
    }
}

async fn a_failing_statement_answers_every_read_with_an_error(backend: Backend) {
    let db = TestDb::new(backend).await;
    let database = database(&db).await;
    let reads: Vec<_> = (0..50)
        .map(|k| {
            let database = database.clone();
            tokio::spawn(
                async move { table::get::<Missing>(&database, "s0", &format!("i{k}")).await },
            )
        })
        .collect();
    for read in reads {
        let answer = tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .expect("answered")
            .unwrap();
        assert!(answer.is_err(), "a read of a missing table succeeded");
    }
    // The pool still serves reads afterwards.
    let got = table::get::<Item>(&database, "s2", "i3").await.unwrap();
    assert_eq!(got.map(|i| i.n), Some(203));
}

async fn concurrent_inserts_share_statements_and_each_keeps_its_own_condition(backend: Backend) {
    let db = TestDb::new(backend).await;
    let database = database(&db).await;
    // Scope s5 has no items: those notes are not written.
    let writes: Vec<_> = (0..300i64)
        .map(|n| {
            let database = database.clone();
            tokio::spawn(async move {
                let (id, scope) = (format!("n{n}"), format!("s{}", n % 6));
                let got = note(&database, &id, &scope, n, None).await.unwrap();
                let want = (n % 6 != 5).then_some(Note { id, scope, n });
                assert_eq!(got, want);
            })
        })
        .collect();
    for write in writes {
        write.await.unwrap();
    }
    let rows = notes(&database).await;
    let want: Vec<i64> = (0..300).filter(|n| n % 6 != 5).collect();
    assert_eq!(rows.iter().map(|r| r.n).collect::<Vec<_>>(), want);
    assert!(rows.iter().all(|r| r.id == format!("n{}", r.n)));
    let stats = database.group_insert_stats();
    assert_eq!(stats.requests, 300);
    assert!(
        stats.batches < stats.requests,
        "inserts were not batched: {stats:?}"
    );
}

async fn a_row_the_database_refuses_costs_the_others_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let database = database(&db).await;
    // n = -1 breaks the CHECK constraint.
    let writes: Vec<_> = (0..100i64)
        .map(|k| {
            let database = database.clone();
            let n = if k == 50 { -1 } else { k };
            tokio::spawn(async move { (n, note(&database, &format!("n{k}"), "s0", n, None).await) })
        })
        .collect();
    for write in writes {
        let (n, got) = write.await.unwrap();
        if n < 0 {
            assert!(got.is_err(), "the refused row was accepted: {got:?}");
        } else {
            assert_eq!(got.unwrap().map(|r| r.n), Some(n));
        }
    }
    assert_eq!(notes(&database).await.len(), 99);
    let stats = database.group_insert_stats();
    assert!(stats.batches < stats.requests, "{stats:?}");
}

async fn one_request_key_used_at_once_writes_one_row(backend: Backend) {
    let db = TestDb::new(backend).await;
    let database = database(&db).await;
    let writes: Vec<_> = (0..20i64)
        .map(|k| {
            let database = database.clone();
            tokio::spawn(async move {
                note(&database, &format!("n{k}"), "s0", k, Some("retried".into()))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut written = Vec::new();
    for write in writes {
        written.extend(write.await.unwrap());
    }
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(notes(&database).await, written);
}

/// Request keys (`scope fingerprint`) claimed by concurrent inserts, in their statement
/// on PostgreSQL: the scope is bound to one fingerprint; inserts with it write one row
/// (the others are retries), those with another are `RequestIdReused` and write none.
/// A claim binds even when its row's condition fails.
async fn a_request_key_binds_one_fingerprint_however_the_inserts_race(backend: Backend) {
    let db = TestDb::new(backend).await;
    let database = database(&db).await;
    let writes: Vec<_> = (0..40i64)
        .map(|k| {
            let database = database.clone();
            let fingerprint = if k % 2 == 0 { "fa" } else { "fb" };
            tokio::spawn(async move {
                let key = format!("raced {fingerprint}");
                let got = note(&database, &format!("n{k}"), "s0", k, Some(key)).await;
                (fingerprint, got)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for write in writes {
        answers.push(write.await.unwrap());
    }
    let bound: String =
        sqlx::query("SELECT fingerprint FROM request_fingerprints WHERE scope = 'raced'")
            .fetch_one(database.writer())
            .await
            .unwrap()
            .get(0);
    let mut written = Vec::new();
    for (fingerprint, got) in answers {
        if fingerprint == bound {
            written.extend(got.unwrap());
        } else {
            assert!(
                matches!(got, Err(StoreError::RequestIdReused)),
                "{fingerprint} against {bound}: {got:?}"
            );
        }
    }
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(notes(&database).await, written);

    // s5 has no items: no row, but the key is bound.
    let failed = note(&database, "m1", "s5", 1, Some("first fa".into())).await;
    assert_eq!(failed.unwrap(), None);
    let reused = note(&database, "m2", "s0", 2, Some("first fb".into())).await;
    assert!(
        matches!(reused, Err(StoreError::RequestIdReused)),
        "{reused:?}"
    );
    let same = note(&database, "m3", "s0", 3, Some("first fa".into())).await;
    assert_eq!(same.unwrap().map(|r| r.id), Some("m3".to_string()));
    assert_eq!(notes(&database).await.len(), 2);
}

both_backends!(
    a_request_key_binds_one_fingerprint_however_the_inserts_race,
    concurrent_inserts_share_statements_and_each_keeps_its_own_condition,
    a_row_the_database_refuses_costs_the_others_nothing,
    one_request_key_used_at_once_writes_one_row,
    concurrent_reads_share_statements_and_each_gets_its_own_row,
    a_read_sees_the_writes_committed_before_it,
    a_failing_statement_answers_every_read_with_an_error,
);
