//! sqlx's connection pool with a cheaper hand-back for single statements.
//!
//! sqlx 0.8 (and 0.9) pings every connection when it goes back to its pool, with no
//! switch to turn it off: on PostgreSQL one more round trip per statement, which woke
//! the server process twice for each `GetCustomer` and cost ~20% of its throughput.
//! This pool keeps sqlx's for opening, counting and closing connections, and parks a
//! connection that finished its statement cleanly in a list of its own instead,
//! ready for the next statement as it is: PostgreSQL connections drain any reply
//! still pending before their next statement, so nothing is lost by not pinging.
//! A connection whose statement failed other than by a database error, or whose
//! future was dropped half-way, goes back through sqlx, whose ping closes it if broken.
//!
//! Every checkout — statements, transactions, `acquire` — goes through [`Pool::checkout`],
//! which takes a parked connection or else waits for whichever comes first: a
//! connection from sqlx's pool or one parked by someone else. So no caller waits on
//! sqlx while an idle connection sits here.

use futures::{TryStreamExt, future::BoxFuture, stream::BoxStream};
use sqlx::{
    Any, AnyPool, Describe, Either, Executor, Transaction,
    any::{AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo},
    pool::PoolConnection,
};
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::Notify;

/// How long `grow` waits before asking sqlx again after a failed acquire.
const GROW_RETRY: Duration = Duration::from_millis(50);

/// A pool of database connections; cheap to clone.
#[derive(Clone, Debug)]
pub struct Pool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    sqlx: AnyPool,
    /// Connections that finished cleanly, most recently used last.
    parked: Mutex<Vec<Parked>>,
    /// Signalled each time a connection is parked.
    parked_one: Notify,
    /// Callers waiting in `checkout`.
    waiting: AtomicUsize,
    /// A connection is being opened by `grow`.
    growing: AtomicBool,
    acquire_timeout: Duration,
    /// A parked connection unused for this long is handed back to sqlx, which closes
    /// it when idle long enough.
    idle_timeout: Duration,
    /// A connection that has gone from statement to statement for sqlx's
    /// `max_lifetime` is handed back to sqlx, which closes it (its age counts from the
    /// opening, earlier still): sessions are recycled as sqlx alone would.
    max_lifetime: Option<Duration>,
    /// Set while the database is known to be unreachable (see
    /// [`crate::db::Database::watch_reachability`]): every checkout fails at once
    /// instead of waiting for a connection that will not come or hanging on one that
    /// will not answer.
    outage: Arc<AtomicBool>,
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Parked>> {
        match self.parked.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Hands the connections parked longer than the idle timeout back to sqlx. The
    /// least recently used sit at the front.
    fn release_stale(&self, parked: &mut Vec<Parked>) {
        let stale = parked
            .iter()
            .take_while(|p| p.since.elapsed() > self.idle_timeout)
            .count();
        parked.drain(..stale);
    }
}

/// Every so often, hands stale parked connections back to sqlx, until the pool is gone.
async fn release_idle(inner: std::sync::Weak<Inner>) {
    let every = match inner.upgrade() {
        Some(inner) => {
            (inner.idle_timeout / 2).clamp(Duration::from_millis(50), Duration::from_secs(60))
        }
        None => return,
    };
    loop {
        tokio::time::sleep(every).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        if inner.sqlx.is_closed() {
            return;
        }
        let mut parked = inner.lock();
        inner.release_stale(&mut parked);
    }
}

#[derive(Debug)]
struct Parked {
    conn: PoolConnection<Any>,
    /// When it came from sqlx's pool.
    born: Instant,
    /// When it was parked.
    since: Instant,
}

impl Pool {
    /// Wraps a connected sqlx pool. Call it inside a Tokio runtime: a task of its own
    /// hands connections parked longer than `idle_timeout` back to sqlx, whose reaper
    /// then closes the idle ones above its minimum.
    pub fn new(sqlx: AnyPool, acquire_timeout: Duration, idle_timeout: Duration) -> Self {
        Self::with_outage(sqlx, acquire_timeout, idle_timeout, Arc::default())
    }

    /// As [`Pool::new`], failing every checkout at once while `outage` is set.
    pub fn with_outage(
        sqlx: AnyPool,
        acquire_timeout: Duration,
        idle_timeout: Duration,
        outage: Arc<AtomicBool>,
    ) -> Self {
        let pool = Self {
            inner: Arc::new(Inner {
                parked: Mutex::default(),
                parked_one: Notify::new(),
                waiting: AtomicUsize::new(0),
                growing: AtomicBool::new(false),
                acquire_timeout,
                idle_timeout,
                max_lifetime: sqlx.options().get_max_lifetime(),
                sqlx,
                outage,
            }),
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(release_idle(Arc::downgrade(&pool.inner)));
        }
        pool
    }

    /// The sqlx pool underneath (migrations, listeners).
    pub fn sqlx(&self) -> &AnyPool {
        &self.inner.sqlx
    }

    /// A connection of its own for the caller; dropping it hands it back to sqlx.
    pub async fn acquire(&self) -> Result<PoolConnection<Any>, sqlx::Error> {
        Ok(self.checkout().await?.0)
    }

    /// Starts a transaction on a connection of its own.
    pub async fn begin(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        let (conn, _) = self.checkout().await?;
        // What `sqlx::Pool::begin` does with the connection it acquires.
        Transaction::begin(conn, None).await
    }

    /// Closes every connection, parked ones included.
    pub async fn close(&self) {
        // Closing first makes `park` drop instead of parking from here on.
        let closing = self.inner.sqlx.close();
        self.lock().clear();
        closing.await;
    }

    /// Takes a parked connection, or waits for one for at most the acquire timeout
    /// (while `grow` brings one from sqlx's pool); with the time it came from sqlx's.
    /// A call's own deadline ([`crate::bound`]) may end the wait sooner. While the
    /// database is known to be unreachable it fails at once.
    async fn checkout(&self) -> Result<(PoolConnection<Any>, Instant), sqlx::Error> {
        if self.inner.outage.load(Ordering::Acquire) {
            return Err(unreachable());
        }
        if let Some(conn) = self.unpark() {
            return Ok(conn);
        }
        self.inner.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&self.inner.waiting);
        let wait = async {
            loop {
                let parked = self.inner.parked_one.notified();
                tokio::pin!(parked);
                // Registered before looking, so a parking in between is not missed.
                parked.as_mut().enable();
                if let Some(conn) = self.unpark() {
                    return Ok(conn);
                }
                if self.inner.sqlx.is_closed() {
                    return Err(sqlx::Error::PoolClosed);
                }
                self.grow();
                tokio::select! {
                    _ = parked => {}
                    // `close` wakes nobody here: notice it at once.
                    _ = self.inner.sqlx.close_event() => {}
                }
            }
        };
        tokio::time::timeout(self.inner.acquire_timeout, wait)
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
    }

    /// Brings connections from sqlx's pool — idle ones, new ones while the pool is
    /// below its size, or the next ones transactions give back — and parks them, for as
    /// long as anyone waits. One task at a time: an `acquire` dropped half-way through
    /// opening a connection (as a waiter's would be whenever a parking came first)
    /// would leave PostgreSQL a session opened for nothing. It keeps going while
    /// callers wait because a connection a transaction gives back goes to sqlx, not
    /// here, and nothing else would fetch it for them.
    fn grow(&self) {
        if self.inner.growing.swap(true, Ordering::AcqRel) {
            return;
        }
        let pool = self.clone();
        tokio::spawn(async move {
            loop {
                while pool.inner.waiting.load(Ordering::Acquire) > 0 {
                    match pool.inner.sqlx.acquire().await {
                        Ok(conn) => pool.park(conn, Instant::now()),
                        Err(_) if pool.inner.sqlx.is_closed() => {
                            // The waiters notice the close themselves.
                            pool.inner.growing.store(false, Ordering::Release);
                            return;
                        }
                        // sqlx's own acquire timed out, or the database refused a new
                        // connection: try again shortly for those still waiting (each
                        // gives up at its own acquire timeout).
                        Err(e) => {
                            tracing::debug!(error = %e, "no connection from the pool yet");
                            tokio::time::sleep(GROW_RETRY).await;
                        }
                    }
                }
                pool.inner.growing.store(false, Ordering::Release);
                // A caller that began waiting just before the flag came down saw it up
                // and left the growing to this task.
                if pool.inner.waiting.load(Ordering::Acquire) == 0
                    || pool.inner.growing.swap(true, Ordering::AcqRel)
                {
                    return;
                }
            }
        });
    }

    fn unpark(&self) -> Option<(PoolConnection<Any>, Instant)> {
        let mut parked = self.lock();
        self.inner.release_stale(&mut parked);
        while let Some(p) = parked.pop() {
            if self
                .inner
                .max_lifetime
                .is_none_or(|max| p.born.elapsed() < max)
            {
                return Some((p.conn, p.born));
            }
        }
        None
    }

    fn park(&self, conn: PoolConnection<Any>, born: Instant) {
        let mut parked = self.lock();
        // Checked under the lock `close` clears under: a connection parked after the
        // clearing would hold sqlx's close waiting for ever.
        if self.inner.sqlx.is_closed() {
            return;
        }
        parked.push(Parked {
            conn,
            born,
            since: Instant::now(),
        });
        drop(parked);
        self.inner.parked_one.notify_one();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Parked>> {
        self.inner.lock()
    }

    async fn statement(&self) -> Result<Statement, sqlx::Error> {
        let (conn, born) = self.checkout().await?;
        Ok(Statement {
            pool: self.clone(),
            conn: Some(conn),
            born,
            clean: false,
        })
    }
}

/// A connection checked out for one statement: parked again if the statement ended
/// cleanly, otherwise handed back to sqlx (which pings it and closes it if broken).
struct Statement {
    pool: Pool,
    conn: Option<PoolConnection<Any>>,
    born: Instant,
    clean: bool,
}

impl Statement {
    fn conn(&mut self) -> Result<&mut PoolConnection<Any>, sqlx::Error> {
        self.conn.as_mut().ok_or(sqlx::Error::PoolClosed)
    }

    /// Records how the statement ended; a database error (a constraint, a bad value)
    /// leaves the connection healthy.
    fn ended<T>(&mut self, result: &Result<T, sqlx::Error>) {
        self.clean = matches!(result, Ok(_) | Err(sqlx::Error::Database(_)));
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && self.clean
        {
            self.pool.park(conn, self.born);
        }
    }
}

impl<'p> Executor<'p> for &'_ Pool {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        E: 'q + sqlx::Execute<'q, Any>,
    {
        let pool = self.clone();
        Box::pin(sqlx_core::try_stream! {
            let mut statement = pool.statement().await?;
            let conn: &mut sqlx::AnyConnection = statement.conn()?;
            let mut rows = conn.fetch_many(query);
            let result = loop {
                match rows.try_next().await {
                    Ok(Some(v)) => r#yield!(v),
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                }
            };
            drop(rows);
            statement.ended(&result);
            result
        })
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        E: 'q + sqlx::Execute<'q, Any>,
    {
        let pool = self.clone();
        Box::pin(async move {
            let mut statement = pool.statement().await?;
            let conn: &mut sqlx::AnyConnection = statement.conn()?;
            let result = conn.fetch_optional(query).await;
            statement.ended(&result);
            result
        })
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement<'q>, sqlx::Error>> {
        let pool = self.clone();
        Box::pin(async move {
            let mut statement = pool.statement().await?;
            let conn: &mut sqlx::AnyConnection = statement.conn()?;
            let result = conn.prepare_with(sql, parameters).await;
            statement.ended(&result);
            result
        })
    }

    fn describe<'e, 'q: 'e>(
        self,
        sql: &'q str,
    ) -> BoxFuture<'e, Result<Describe<Any>, sqlx::Error>> {
        let pool = self.clone();
        Box::pin(async move {
            let mut statement = pool.statement().await?;
            let conn: &mut sqlx::AnyConnection = statement.conn()?;
            let result = conn.describe(sql).await;
            statement.ended(&result);
            result
        })
    }
}

/// The error of a checkout while the database is known to be unreachable: an I/O
/// error, which the store maps to UNAVAILABLE like any lost connection.
fn unreachable() -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        "the database has been unreachable for a while; not waiting for a connection",
    ))
}

/// Counts a caller waiting in `checkout` until its wait ends, however it ends.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
