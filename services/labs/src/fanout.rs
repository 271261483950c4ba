//! Live delivery of log entries to watchers, across replicas.
//!
//! One hub per watched lab per replica. A hub is woken when entries may have been
//! appended — directly by a local append, by PostgreSQL `NOTIFY` for appends on other
//! replicas (a `LISTEN` connection beside the pool), and by a slow safety poll — and
//! then reads the new entries *by sequence number* from the database, once, converts
//! and encodes them once ([`Batch`]), and publishes the batch on a bounded ring. The
//! database is the source of truth; notifications carry no data, so a lost one only
//! delays delivery.
//!
//! Cost: every publication wakes every watcher of the lab, so a hub publishes at most
//! one batch per coalescing interval (a burst of appends becomes one batch), and a watcher
//! takes everything new at once. 1,000 appends/s to a lab with 1,000 watchers are then
//! at most ~100 wake-ups per watcher per second (10 ms by default), not 1,000.
//!
//! Backpressure: appends never wait for watchers (they only wake the hub), and the ring
//! is bounded (in entries and in bytes). A watcher whose next entry has left the ring
//! is told to resume from its next sequence number (see `api::logs`).

use crate::{
    store::{self, LogEntryRow},
    wire::Batch,
};
use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};
use symbolon_platform::{Database, background::Background};
use tokio::{
    sync::{Notify, watch},
    time::Instant,
};
use tokio_util::sync::CancellationToken;

/// How often a hub reads the database even without a wake-up.
const SAFETY_POLL: Duration = Duration::from_secs(2);
/// Entries read per query by a hub.
const READ_BATCH: i64 = 500;
/// A ring never holds more encoded bytes than this (besides its newest batch).
const MAX_RING_BYTES: usize = 64 << 20;

/// What a watcher at sequence `next` finds in the ring.
#[derive(Debug)]
pub enum Read {
    /// Consecutive batches, the first holding `next`.
    Entries(Vec<Arc<Batch>>),
    /// Entries `next..=to` are not in the ring (they were appended before the hub
    /// started, or before the watcher subscribed): read them from the database.
    Missing {
        /// The last missing sequence.
        to: i64,
    },
    /// `next` has left the ring while the watcher was subscribed: it fell behind.
    FellBehind,
}

#[derive(Default)]
struct Ring {
    batches: VecDeque<Arc<Batch>>,
    /// Entries and encoded bytes held.
    entries: usize,
    bytes: usize,
    /// The last sequence evicted (0: none).
    evicted_through: i64,
}

struct Hub {
    ring: Mutex<Ring>,
    /// The last sequence published (or, before the first batch, the last sequence
    /// stored when the hub started; 0 until it knows).
    head: watch::Sender<i64>,
    wake: Notify,
}

impl Hub {
    fn ring(&self) -> MutexGuard<'_, Ring> {
        match self.ring.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn publish(&self, batch: Batch, capacity: usize) {
        let last = batch.last();
        {
            let mut ring = self.ring();
            ring.entries += batch.len();
            ring.bytes += batch.bytes();
            ring.batches.push_back(Arc::new(batch));
            while ring.batches.len() > 1 && (ring.entries > capacity || ring.bytes > MAX_RING_BYTES)
            {
                if let Some(old) = ring.batches.pop_front() {
                    ring.entries -= old.len();
                    ring.bytes -= old.bytes();
                    ring.evicted_through = old.last();
                }
            }
        }
        // After the ring holds the batch: a woken watcher finds it.
        self.head.send_replace(last);
    }
}

/// A watcher's subscription to a lab's hub.
pub struct Subscription {
    hub: Arc<Hub>,
    head: watch::Receiver<i64>,
}

impl Subscription {
    /// The last sequence published, marking it seen for [`Subscription::changed`].
    pub fn head(&mut self) -> i64 {
        *self.head.borrow_and_update()
    }

    /// Waits until a sequence after the one last seen is published.
    pub async fn changed(&mut self) {
        if self.head.changed().await.is_err() {
            // The hub holds the sender as long as anyone is subscribed.
            std::future::pending::<()>().await;
        }
    }

    /// What the ring holds from sequence `next` on.
    pub fn read(&self, next: i64) -> Read {
        let ring = self.hub.ring();
        if next <= ring.evicted_through {
            return Read::FellBehind;
        }
        let head = *self.head.borrow();
        let front = ring.batches.front().map_or(head + 1, |b| b.first());
        if next < front {
            return Read::Missing { to: front - 1 };
        }
        let i = ring.batches.partition_point(|b| b.last() < next);
        Read::Entries(ring.batches.range(i..).cloned().collect())
    }
}

struct Inner {
    db: Database,
    hubs: Mutex<HashMap<String, Arc<Hub>>>,
    shutdown: CancellationToken,
    tasks: Background,
    capacity: usize,
    /// A hub reads (and publishes) at most once per this interval: appends that arrive
    /// meanwhile are published together.
    coalesce: Duration,
}

impl Inner {
    fn hubs(&self) -> MutexGuard<'_, HashMap<String, Arc<Hub>>> {
        match self.hubs.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// The hubs of this replica.
#[derive(Clone)]
pub struct Fanout {
    inner: Arc<Inner>,
}

impl Fanout {
    /// Hubs over `db` with rings of `capacity` entries, publishing at most once per
    /// `coalesce`, stopping on `shutdown`; hubs and the listener run among `tasks`, so
    /// they stop with the server even when the database does not answer.
    pub fn new(
        db: Database,
        shutdown: CancellationToken,
        tasks: Background,
        capacity: usize,
        coalesce: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                hubs: Mutex::default(),
                shutdown,
                tasks,
                capacity: capacity.max(16),
                coalesce,
            }),
        }
    }

    /// Follows the entries of `lab_id` published from now on (the first may be later
    /// than the caller's position: [`Read::Missing`] says what to read from the
    /// database).
    pub fn subscribe(&self, lab_id: &str) -> Subscription {
        let mut hubs = self.inner.hubs();
        let hub = match hubs.get(lab_id) {
            Some(h) => h.clone(),
            None => {
                let hub = Arc::new(Hub {
                    ring: Mutex::default(),
                    head: watch::Sender::new(0),
                    wake: Notify::new(),
                });
                hubs.insert(lab_id.to_string(), hub.clone());
                let run = run_hub(self.inner.clone(), lab_id.to_string(), hub.clone());
                self.inner.tasks.spawn(run);
                hub
            }
        };
        let head = hub.head.subscribe();
        Subscription { hub, head }
    }

    /// Entries of `lab_id` may have been appended.
    pub fn wake(&self, lab_id: &str) {
        if let Some(h) = self.inner.hubs().get(lab_id) {
            h.wake.notify_one();
        }
    }

    fn wake_all(&self) {
        for h in self.inner.hubs().values() {
            h.wake.notify_one();
        }
    }

    /// Listens for appends made by other replicas (PostgreSQL `LISTEN`); reconnects on
    /// failure and then wakes every hub, in case a notification was missed.
    pub fn listen_postgres(&self, url: String) {
        let me = self.clone();
        self.inner.tasks.clone().spawn(async move {
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

/// Reads entries after `last` and publishes them; returns the new last sequence.
async fn read_new(inner: &Inner, lab_id: &str, hub: &Hub, mut last: i64) -> i64 {
    loop {
        let rows: Vec<LogEntryRow> =
            match store::log_range(&inner.db, lab_id, last + 1, None, READ_BATCH).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, lab = %lab_id, "log fan-out read failed");
                    return last;
                }
            };
        // Only consecutive entries are published (the store hands out sequence
        // numbers without gaps; anything else is left for the next read).
        let n = rows
            .iter()
            .zip(last + 1..)
            .take_while(|(r, s)| r.seq == *s)
            .count();
        if n == 0 {
            return last;
        }
        let batch = Batch::encode(&rows[..n]);
        last = batch.last();
        hub.publish(batch, inner.capacity);
        if (rows.len() as i64) < READ_BATCH || n < rows.len() {
            return last;
        }
    }
}

async fn run_hub(inner: Arc<Inner>, lab_id: String, hub: Arc<Hub>) {
    let mut last = loop {
        match store::last_seq(&inner.db, &lab_id).await {
            Ok(s) => break s.unwrap_or(0),
            Err(e) => {
                tracing::warn!(error = %e, lab = %lab_id, "log fan-out cannot start; retrying");
                tokio::select! {
                    _ = inner.shutdown.cancelled() => break 0,
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        }
    };
    hub.head.send_replace(last);
    let mut read_at = Instant::now();
    loop {
        tokio::select! {
            _ = inner.shutdown.cancelled() => break,
            _ = hub.wake.notified() => {}
            _ = tokio::time::sleep(SAFETY_POLL) => {}
        }
        // Coalesce: appends that arrive within `coalesce` of the last read are read
        // together (the wake-up permit they leave is picked up below).
        tokio::select! {
            _ = inner.shutdown.cancelled() => break,
            _ = tokio::time::sleep_until(read_at + inner.coalesce) => {}
        }
        read_at = Instant::now();
        last = read_new(&inner, &lab_id, &hub, last).await;
        // Nobody watches this lab any more: retire the hub. Subscribing holds the same
        // lock, so no watcher can join between the check and the removal.
        if hub.head.receiver_count() == 0 {
            let mut hubs = inner.hubs();
            if hub.head.receiver_count() == 0 {
                hubs.remove(&lab_id);
                return;
            }
        }
    }
    inner.hubs().remove(&lab_id);
}
