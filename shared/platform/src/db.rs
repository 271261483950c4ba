//! Storage: one sqlx pool chosen by the URL — PostgreSQL (`postgres://…`, production)
//! or SQLite (`sqlite://…`, the embedded default) — with each service's migrations
//! embedded and applied at start.
//!
//! Queries go through sqlx's `Any` driver so that one code path serves both back ends.
//! Its rules shape the schema: placeholders are always `$N`, times are BIGINT
//! microseconds, ids are TEXT.

use crate::{
    batch::BatchStats, config::DatabaseSettings, group_insert::GroupInserts,
    point_reads::PointReads, pool::Pool, status::StoreError,
};
use sqlx::{
    Arguments,
    any::{AnyArguments, AnyPoolOptions},
    migrate::Migrator,
};
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio::{sync::watch, time::Instant};
use tokio_util::sync::CancellationToken;

/// Which database is behind the pool, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL: several replicas may share it.
    Postgres,
    /// SQLite: one process, one writer.
    Sqlite,
}

/// A service's migrations for each back end.
pub struct Migrations {
    /// Applied on PostgreSQL.
    pub postgres: &'static Migrator,
    /// Applied on SQLite.
    pub sqlite: &'static Migrator,
}

/// Declares a crate's `MIGRATIONS` from its `migrations/postgres` and
/// `migrations/sqlite` folders (read at compile time, relative to the calling crate).
/// `migrations!(ignore_missing)` also starts databases that applied versions the
/// folders no longer hold.
#[macro_export]
macro_rules! migrations {
    () => {
        $crate::migrations!(@ false);
    };
    (ignore_missing) => {
        $crate::migrations!(@ true);
    };
    (@ $ignore:literal) => {
        static POSTGRES: ::sqlx::migrate::Migrator = ::sqlx::migrate::Migrator {
            ignore_missing: $ignore,
            ..::sqlx::migrate!("./migrations/postgres")
        };
        static SQLITE: ::sqlx::migrate::Migrator = ::sqlx::migrate::Migrator {
            ignore_missing: $ignore,
            ..::sqlx::migrate!("./migrations/sqlite")
        };

        /// The crate's migrations.
        pub const MIGRATIONS: $crate::db::Migrations = $crate::db::Migrations {
            postgres: &POSTGRES,
            sqlite: &SQLITE,
        };
    };
}

/// The connection pools of one service.
#[derive(Clone, Debug)]
pub struct Database {
    backend: Backend,
    /// Reads, and on PostgreSQL writes too.
    pool: Pool,
    /// Writes. On SQLite a single connection, so writers queue instead of failing with
    /// SQLITE_BUSY; on PostgreSQL the same pool as reads.
    writer: Pool,
    /// Where the pools connect, for [`Database::with_own_readers`].
    url: String,
    /// Batches concurrent point reads on `pool`.
    point_reads: Arc<PointReads>,
    /// Batches concurrent conditional inserts on `writer`.
    group_inserts: Arc<GroupInserts>,
    /// Batches concurrent request-id claims on `writer`.
    claims: Arc<crate::request_ids::Claims>,
    settings: DatabaseSettings,
    /// The PostgreSQL schema this handle's connections search first
    /// ([`Database::schema`]); `None` for the default one.
    schema: Option<&'static str>,
    /// Set while the database is known unreachable; every pool fails checkouts then.
    outage: Arc<AtomicBool>,
    /// Whether the database answers, as [`Database::watch_reachability`] last found.
    reachable: Arc<watch::Sender<bool>>,
}

impl Database {
    /// Inserts one row into `table`: each (column, value) of `row`, on the writer.
    pub async fn insert_row<'c>(
        &self,
        table: &str,
        row: impl IntoIterator<Item = (&'c str, Value)>,
    ) -> Result<(), StoreError> {
        Sql::insert(table, row)
            .query()
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Connects with the default settings, applies migrations, and returns the pools.
    pub async fn connect(url: &str, migrations: &Migrations) -> Result<Self, StoreError> {
        Self::connect_with(url, migrations, DatabaseSettings::default()).await
    }

    /// Connects, applies migrations, and returns the pools.
    pub async fn connect_with(
        url: &str,
        migrations: &Migrations,
        settings: DatabaseSettings,
    ) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Other(sqlx::Error::Configuration(
                format!("unsupported database URL scheme in {url:?}: use postgres:// or sqlite://")
                    .into(),
            )));
        };
        if backend == Backend::Sqlite {
            create_sqlite_parent_dir(url);
        }
        let outage = Arc::new(AtomicBool::new(false));
        let acquire = acquire_timeout(backend, &settings);
        let options = |max| pool_options(backend, max, acquire);
        let wrap = |sqlx| wrap(sqlx, acquire, &outage);
        let (pool, writer) = match backend {
            Backend::Postgres => {
                let pool = wrap(options(32).connect(url).await?);
                (pool.clone(), pool)
            }
            Backend::Sqlite => {
                let writer = wrap(options(1).connect(url).await?);
                let pool = wrap(options(8).connect(url).await?);
                (pool, writer)
            }
        };
        let migrator = match backend {
            Backend::Postgres => migrations.postgres,
            Backend::Sqlite => migrations.sqlite,
        };
        // On PostgreSQL the migrator takes an advisory lock, so replicas starting at
        // once apply each migration exactly once.
        migrator.run(writer.sqlx()).await?;
        Ok(Self {
            url: url.to_string(),
            backend,
            pool,
            writer,
            point_reads: Arc::default(),
            group_inserts: Arc::default(),
            claims: Arc::default(),
            settings,
            schema: None,
            outage,
            reachable: Arc::new(watch::Sender::new(true)),
        })
    }

    /// The byte budget of one List page's items (`SYMBOLON_PAGE_BYTES`).
    pub fn page_bytes(&self) -> usize {
        self.settings.page_bytes
    }

    /// The part of this database that belongs to a module with migrations of its own
    /// (sqlx keeps one `_sqlx_migrations` table per schema, so two migration sets
    /// cannot share one): on PostgreSQL the schema `schema` of the same database,
    /// created if missing and first in every connection's `search_path`; on SQLite a
    /// file of its own beside this one (`<name>-<schema>.db`), SQLite having no
    /// schemas. Its migrations are applied; an outage of this database is its outage.
    pub async fn schema(
        &self,
        schema: &'static str,
        migrations: &Migrations,
    ) -> Result<Self, StoreError> {
        let acquire = acquire_timeout(self.backend, &self.settings);
        let options = |max| schema_options(self.backend, max, acquire, schema);
        let wrap = |sqlx| wrap(sqlx, acquire, &self.outage);
        let (url, pool, writer) = match self.backend {
            Backend::Postgres => {
                let pool = wrap(options(32).connect(&self.url).await?);
                create_schema(&pool, schema).await?;
                (self.url.clone(), pool.clone(), pool)
            }
            Backend::Sqlite => {
                let url = sqlite_beside(&self.url, schema);
                create_sqlite_parent_dir(&url);
                let writer = wrap(options(1).connect(&url).await?);
                let pool = wrap(options(8).connect(&url).await?);
                (url, pool, writer)
            }
        };
        let migrator = match self.backend {
            Backend::Postgres => migrations.postgres,
            Backend::Sqlite => migrations.sqlite,
        };
        migrator.run(writer.sqlx()).await?;
        Ok(Self {
            url,
            pool,
            writer,
            point_reads: Arc::default(),
            group_inserts: Arc::default(),
            claims: Arc::default(),
            schema: Some(schema),
            ..self.clone()
        })
    }

    /// Where this database's SQLite file is (`None` on PostgreSQL or in memory).
    pub fn sqlite_path(&self) -> Option<&str> {
        match self.backend {
            Backend::Sqlite => sqlite_file(&self.url),
            Backend::Postgres => None,
        }
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for reads.
    pub fn reader(&self) -> &Pool {
        &self.pool
    }

    /// The request-id claim batches of the write pool.
    pub(crate) fn claims(&self) -> &Arc<crate::request_ids::Claims> {
        &self.claims
    }

    /// The point-read batches of the read pool.
    pub(crate) fn point_reads(&self) -> &PointReads {
        &self.point_reads
    }

    /// How many point reads ([`crate::table::get`]) the read pool answered, and in how
    /// many statements: for benchmarks and tests.
    pub fn point_read_stats(&self) -> BatchStats {
        self.point_reads.stats()
    }

    /// How many conditional inserts ([`crate::table::insert_where`]) went in how many
    /// statements.
    pub fn group_insert_stats(&self) -> BatchStats {
        self.group_inserts.stats()
    }

    /// The conditional-insert batches of the write pool.
    pub(crate) fn group_inserts(&self) -> &GroupInserts {
        &self.group_inserts
    }

    /// The pool for writes.
    pub fn writer(&self) -> &Pool {
        &self.writer
    }

    /// A handle whose reads have `size` PostgreSQL connections of their own (writes
    /// stay on the shared pool), for readers that must not queue behind a burst of
    /// writes holding every shared connection — the labs live-log hubs. On SQLite the
    /// same handle: its reads already have a pool beside the single writer.
    pub async fn with_own_readers(&self, size: u32) -> Result<Self, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(self.clone()),
            Backend::Postgres => Ok(Self {
                pool: {
                    let acquire = acquire_timeout(self.backend, &self.settings);
                    let sqlx = schema_options(self.backend, size, acquire, self.schema)
                        .connect(&self.url)
                        .await?;
                    wrap(sqlx, acquire, &self.outage)
                },
                point_reads: Arc::default(),
                ..self.clone()
            }),
        }
    }

    /// Closes every connection, waiting at most `bound` for those still in use (a
    /// database that does not answer would hold them, and the shutdown, for ever).
    /// Returns false when it gave up waiting.
    pub async fn close_within(&self, bound: Duration) -> bool {
        let close = async {
            self.writer.close().await;
            self.pool.close().await;
        };
        let closed = tokio::time::timeout(bound, close).await.is_ok();
        if !closed {
            tracing::warn!("database connections still busy at shutdown; leaving them");
        }
        closed
    }

    /// Closes every connection (at most [`CLOSE_BOUND`] waiting for busy ones).
    pub async fn close(&self) {
        self.close_within(CLOSE_BOUND).await;
    }

    /// Whether the database answers: `true` until [`Database::watch_reachability`]
    /// finds it unreachable for `unready_after`, `true` again at its next answer.
    pub fn reachable(&self) -> watch::Receiver<bool> {
        self.reachable.subscribe()
    }

    /// Probes the database every `probe_interval` with `SELECT 1` on a connection of
    /// its own (so a pool busy with long statements does not count as down). After
    /// `unready_after` without an answer the database is unreachable: every statement
    /// fails at once with UNAVAILABLE and [`Database::reachable`] says so, until the
    /// next probe that answers. Runs until `stop`. SQLite is a local file, never
    /// unreachable: a read pool busy with long queries must not open the circuit, so
    /// nothing is probed there.
    pub async fn watch_reachability(self, stop: CancellationToken) {
        if self.backend == Backend::Sqlite {
            return;
        }
        let every = self.settings.probe_interval.max(Duration::from_millis(10));
        // A probe waits for its answer no longer than the next probe is due.
        let probe_timeout = every;
        let probe = pool_options(self.backend, 1, probe_timeout)
            .min_connections(0)
            .connect_lazy(&self.url)
            .unwrap_or_else(|_| self.pool.sqlx().clone());
        let mut failing_since: Option<Instant> = None;
        loop {
            let answered = tokio::time::timeout(probe_timeout, async {
                sqlx::query("SELECT 1").execute(&probe).await
            })
            .await
            .is_ok_and(|r| r.is_ok());
            let now = Instant::now();
            let unreachable = if answered {
                failing_since = None;
                false
            } else {
                let since = *failing_since.get_or_insert(now);
                now.duration_since(since) >= self.settings.unready_after
            };
            if self.outage.swap(unreachable, Ordering::AcqRel) != unreachable {
                if unreachable {
                    tracing::error!(
                        after_ms = self.settings.unready_after.as_millis() as u64,
                        "database unreachable: NOT_SERVING, statements fail at once"
                    );
                } else {
                    tracing::info!("database reachable again: SERVING");
                }
            }
            self.reachable.send_if_modified(|r| {
                let changed = *r == unreachable;
                *r = !unreachable;
                changed
            });
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(every) => {}
            }
        }
        // Not awaited: a database that does not answer would hold it.
        drop(probe.close());
    }
}

/// How long [`Database::close`] waits for connections still in use.
pub const CLOSE_BOUND: Duration = Duration::from_millis(500);

/// SQLite is a local file: waiting for its one writer is queueing, never an outage,
/// so only the call's deadline ends it (the bound here is a backstop for background
/// work). PostgreSQL waits are bounded by the setting.
fn acquire_timeout(backend: Backend, settings: &DatabaseSettings) -> Duration {
    match backend {
        Backend::Postgres => settings.acquire_timeout,
        Backend::Sqlite => SQLITE_ACQUIRE_TIMEOUT,
    }
}

const SQLITE_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

fn pool_options(backend: Backend, max: u32, acquire_timeout: Duration) -> AnyPoolOptions {
    let o = AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(acquire_timeout)
        .idle_timeout(IDLE_TIMEOUT)
        // sqlx pings every connection before handing it out by default: one more
        // round trip (PostgreSQL) or worker-thread hop (SQLite) on every query's
        // critical path. A connection that dies while idle fails its next query,
        // which surfaces as UNAVAILABLE, and sqlx's ping then closes it (see `pool`).
        .test_before_acquire(false);
    match backend {
        Backend::Sqlite => o.after_connect(sqlite_pragmas),
        Backend::Postgres => o,
    }
}

fn wrap(sqlx: sqlx::AnyPool, acquire_timeout: Duration, outage: &Arc<AtomicBool>) -> Pool {
    Pool::with_outage(sqlx, acquire_timeout, IDLE_TIMEOUT, outage.clone())
}

/// WAL lets readers run beside the writer; FULL makes every acknowledged commit
/// durable; the busy timeout makes a locked database wait instead of failing.
fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> futures_core_free::BoxFuture<'_, Result<(), sqlx::Error>> {
    Box::pin(async move {
        sqlx::Executor::execute(
            &mut *conn,
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
             PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;",
        )
        .await?;
        Ok(())
    })
}

mod futures_core_free {
    pub(super) type BoxFuture<'a, T> =
        std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
}

/// Pool options whose connections search `schema` first (PostgreSQL).
fn schema_options(
    backend: Backend,
    max: u32,
    acquire_timeout: Duration,
    schema: impl Into<Option<&'static str>>,
) -> AnyPoolOptions {
    let o = pool_options(backend, max, acquire_timeout);
    match (backend, schema.into()) {
        (Backend::Postgres, Some(schema)) => o.after_connect(move |conn, _meta| {
            Box::pin(async move {
                let set = format!("SET search_path TO \"{schema}\"");
                sqlx::Executor::execute(&mut *conn, set.as_str()).await?;
                Ok(())
            })
        }),
        _ => o,
    }
}

/// Creates `schema` if missing. Replicas starting together may race: the loser's
/// CREATE fails although the schema now exists, which is what it wanted.
async fn create_schema(pool: &Pool, schema: &str) -> Result<(), sqlx::Error> {
    let created = sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
        .execute(pool.sqlx())
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(e) => {
            let exists = sqlx::query("SELECT 1 FROM pg_namespace WHERE nspname = $1")
                .bind(schema)
                .fetch_optional(pool.sqlx())
                .await?;
            exists.map(|_| ()).ok_or(e)
        }
    }
}

/// The file of a SQLite URL (`None` in memory).
fn sqlite_file(url: &str) -> Option<&str> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// The URL of the SQLite file `<name>-<schema>.db` beside the one of `url` (the same
/// options); in memory stays in memory, a database of its own.
fn sqlite_beside(url: &str, schema: &str) -> String {
    let Some(path) = sqlite_file(url) else {
        return url.to_string();
    };
    let p = std::path::Path::new(path);
    let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("db");
    let file = format!("{stem}-{schema}.db");
    let beside = match p.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir.join(file).display().to_string(),
        None => file,
    };
    url.replacen(path, &beside, 1)
}

fn create_sqlite_parent_dir(url: &str) {
    let Some(path) = sqlite_file(url) else {
        return;
    };
    if let Some(parent) = std::path::Path::new(path).parent() {
        let _ = std::fs::create_dir_all(parent);
    }
}

/// A value bound to a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// BIGINT.
    Int(i64),
    /// DOUBLE PRECISION / REAL.
    Float(f64),
    /// TEXT.
    Text(String),
    /// A nullable TEXT.
    OptText(Option<String>),
    /// A nullable BIGINT.
    OptInt(Option<i64>),
    /// BOOLEAN.
    Bool(bool),
    /// BYTEA / BLOB.
    Bytes(Vec<u8>),
}

macro_rules! value_from {
    ($($t:ty => $v:ident),* $(,)?) => {
        $(impl From<$t> for Value { fn from(x: $t) -> Self { Value::$v(x.into()) } })*
    };
}
value_from!(i64 => Int, i32 => Int, f64 => Float, String => Text, &str => Text,
    Option<String> => OptText, Option<i64> => OptInt, bool => Bool, Vec<u8> => Bytes,
    &[u8] => Bytes);

/// SQL text with numbered `$N` placeholders and their values, built piece by piece
/// (filters and keyset conditions are only known at run time).
#[derive(Debug, Default, Clone)]
pub struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// Starts with a fixed piece of SQL.
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            values: Vec::new(),
        }
    }

    /// Appends fixed SQL.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.values.len().to_string());
        self
    }

    /// `INSERT INTO {table} (…) VALUES (…)` of each (column, value) of `row`, in order.
    pub fn insert<'c>(table: &str, row: impl IntoIterator<Item = (&'c str, Value)>) -> Self {
        let (columns, values): (Vec<&str>, Vec<Value>) = row.into_iter().unzip();
        let mut sql = Self::new(&format!(
            "INSERT INTO {table} ({}) VALUES (",
            columns.join(", ")
        ));
        sql.bind_list(values).push(")");
        sql
    }

    /// Appends a placeholder for each of `values`, comma-separated: the row of an
    /// INSERT's VALUES or an IN list.
    pub fn bind_list(&mut self, values: impl IntoIterator<Item = Value>) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self
    }

    /// Appends another piece with its values, renumbering its placeholders to follow
    /// this one's. Pieces hold no `$` but their placeholders (no literal contains one).
    pub fn append(&mut self, other: &Sql) -> &mut Self {
        let offset = self.values.len();
        let mut rest = other.text.as_str();
        while let Some(at) = rest.find('$') {
            self.text.push_str(&rest[..=at]);
            rest = &rest[at + 1..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            match rest[..digits].parse::<usize>() {
                Ok(n) => self.text.push_str(&(n + offset).to_string()),
                Err(_) => self.text.push_str(&rest[..digits]),
            }
            rest = &rest[digits..];
        }
        self.text.push_str(rest);
        self.values.extend(other.values.iter().cloned());
        self
    }

    /// The row this statement reads on `db`'s reader pool, if any.
    pub async fn read_one<T>(&self, db: &Database) -> Result<Option<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let row = self.query().fetch_optional(db.reader()).await?;
        Ok(row.as_ref().map(T::from_row).transpose()?)
    }

    /// Every row this statement reads on `db`'s reader pool.
    pub async fn read_all<T>(&self, db: &Database) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let rows = self.query().fetch_all(db.reader()).await?;
        Ok(rows.iter().map(T::from_row).collect::<Result<_, _>>()?)
    }

    /// The SQL text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The statement, ready to run.
    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, AnyArguments<'_>> {
        let mut args = AnyArguments::default();
        for v in &self.values {
            // Encoding these plain values into Any arguments cannot fail.
            let _ = match v {
                Value::Int(x) => args.add(*x),
                Value::Float(x) => args.add(*x),
                Value::Text(x) => args.add(x.as_str()),
                Value::OptText(x) => args.add(x.as_deref()),
                Value::OptInt(x) => args.add(*x),
                Value::Bool(x) => args.add(*x),
                Value::Bytes(x) => args.add(x.as_slice()),
            };
        }
        sqlx::query_with(&self.text, args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_on_sqlite_is_a_file_beside() {
        assert_eq!(
            sqlite_beside("sqlite:///tmp/x/customers.db?mode=rwc", "quality"),
            "sqlite:///tmp/x/customers-quality.db?mode=rwc"
        );
        assert_eq!(
            sqlite_beside("sqlite://.symbolon/customers.db", "quality"),
            "sqlite://.symbolon/customers-quality.db"
        );
        assert_eq!(
            sqlite_beside("sqlite:c?mode=rwc", "q"),
            "sqlite:c-q.db?mode=rwc"
        );
        assert_eq!(sqlite_beside("sqlite::memory:", "q"), "sqlite::memory:");
    }

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut q = Sql::new("SELECT * FROM t WHERE a = ");
        q.bind(1i64).push(" AND b = ").bind("x");
        assert_eq!(q.text(), "SELECT * FROM t WHERE a = $1 AND b = $2");
    }

    #[test]
    fn appended_placeholders_follow_the_first_ones() {
        let mut a = Sql::new("SELECT ");
        a.bind(1i64).push(", ").bind(2i64);
        let mut b = Sql::new(" UNION ALL SELECT ");
        for n in 3..=12i64 {
            b.bind(n).push(if n < 12 { ", " } else { "" });
        }
        a.append(&b).append(&b);
        assert_eq!(
            a.text(),
            "SELECT $1, $2 UNION ALL SELECT $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 \
             UNION ALL SELECT $13, $14, $15, $16, $17, $18, $19, $20, $21, $22"
        );
        assert_eq!(a.values.len(), 22);
        assert_eq!(a.values[21], Value::Int(12));
    }
}
