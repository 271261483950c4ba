//! Live delivery of log entries to watchers, across replicas.
//!
//! One hub per watched lab per replica. A hub is woken when entries may have been
//! appended — directly by a local append, by PostgreSQL `NOTIFY` for appends on other
//! replicas (a `LISTEN` connection beside the pool), and by a slow safety poll — and
//! then reads the new entries *by sequence number* from the database, once, and
//! broadcasts them on a bounded ring (`tokio::sync::broadcast`). The database is the
//! source of truth; notifications carry no data, so a lost one only delays delivery.
//!
//! Backpressure: appends never wait for watchers (they only wake the hub), and the ring
//! is bounded. A watcher that falls more than the ring's capacity behind gets `Lagged`
//! and is told to resume from its next sequence number (see `api::logs`).

use crate::store::{self, LogEntryRow};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};
use symbolon_platform::Database;
use tokio::sync::{Notify, broadcast};
use tokio_util::sync::CancellationToken;

/// How often a hub reads the database even without a wake-up.
const SAFETY_POLL: Duration = Duration::from_secs(2);
/// Entries read per query by a hub.
const READ_BATCH: i64 = 500;

struct Hub {
    tx: broadcast::Sender<Arc<LogEntryRow>>,
    wake: Notify,
}

struct Inner {
    db: Database,
    hubs: Mutex<HashMap<String, Arc<Hub>>>,
    shutdown: CancellationToken,
    capacity: usize,
}

/// The hubs of this replica.
#[derive(Clone)]
pub struct Fanout {
    inner: Arc<Inner>,
}

impl Fanout {
    /// Hubs over `db` with rings of `capacity` entries, stopping on `shutdown`.
    pub fn new(db: Database, shutdown: CancellationToken, capacity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                hubs: Mutex::default(),
                shutdown,
                capacity: capacity.max(16),
            }),
        }
    }

    /// Receives every entry of `lab_id` broadcast from now on (in sequence order; the
    /// first may be later than the caller's position: fill the gap from the database).
    pub fn subscribe(&self, lab_id: &str) -> broadcast::Receiver<Arc<LogEntryRow>> {
        let mut hubs = match self.inner.hubs.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(h) = hubs.get(lab_id) {
            return h.tx.subscribe();
        }
        let (tx, rx) = broadcast::channel(self.inner.capacity);
        let hub = Arc::new(Hub {
            tx,
            wake: Notify::new(),
        });
        hubs.insert(lab_id.to_string(), hub.clone());
        tokio::spawn(run_hub(self.inner.clone(), lab_id.to_string(), hub));
        rx
    }

    /// Entries of `lab_id` may have been appended.
    pub fn wake(&self, lab_id: &str) {
        let hubs = match self.inner.hubs.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(h) = hubs.get(lab_id) {
            h.wake.notify_one();
        }
    }

    fn wake_all(&self) {
        let hubs = match self.inner.hubs.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        for h in hubs.values() {
            h.wake.notify_one();
        }
    }

    /// Listens for appends made by other replicas (PostgreSQL `LISTEN`); reconnects on
    /// failure and then wakes every hub, in case a notification was missed.
    pub fn listen_postgres(&self, url: String) {
        let me = self.clone();
        tokio::spawn(async move {
            let shutdown = me.inner.shutdown.clone();
            loop {
                let listener = async {
                    let mut l = sqlx::postgres::PgListener::connect(&url).await?;
                    l.listen(store::LOG_CHANNEL).await?;
                    me.wake_all();
                    loop {
                        let n = l.recv().await?;
                        me.wake(n.payload());
                    }
                    #[allow(unreachable_code)]
                    Ok::<(), sqlx::Error>(())
                };
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    r = listener => {
                        if let Err(e) = r {
                            tracing::warn!(error = %e, "log notification listener failed; reconnecting");
                        }
                    }
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_millis(500)) => me.wake_all(),
                }
            }
        });
    }
}

async fn run_hub(inner: Arc<Inner>, lab_id: String, hub: Arc<Hub>) {
    let mut last = match store::last_seq(&inner.db, &lab_id).await {
        Ok(Some(s)) => s,
        _ => 0,
    };
    loop {
        tokio::select! {
            _ = inner.shutdown.cancelled() => break,
            _ = hub.wake.notified() => {}
            _ = tokio::time::sleep(SAFETY_POLL) => {}
        }
        loop {
            match store::log_range(&inner.db, &lab_id, last + 1, None, READ_BATCH).await {
                Ok(rows) if rows.is_empty() => break,
                Ok(rows) => {
                    let more = rows.len() as i64 == READ_BATCH;
                    for r in rows {
                        last = r.seq;
                        // No receivers is fine: the entry is in the database.
                        let _ = hub.tx.send(Arc::new(r));
                    }
                    if !more {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, lab = %lab_id, "log fan-out read failed");
                    break;
                }
            }
        }
        // Nobody watches this lab any more: retire the hub. Subscribing holds the same
        // lock, so no watcher can join between the check and the removal.
        if hub.tx.receiver_count() == 0 {
            let mut hubs = match inner.hubs.lock() {
                Ok(h) => h,
                Err(poisoned) => poisoned.into_inner(),
            };
            if hub.tx.receiver_count() == 0 {
                hubs.remove(&lab_id);
                return;
            }
        }
    }
    let mut hubs = match inner.hubs.lock() {
        Ok(h) => h,
        Err(poisoned) => poisoned.into_inner(),
    };
    hubs.remove(&lab_id);
}
