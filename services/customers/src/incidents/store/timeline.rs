//! The incident timeline: events with gap-free sequence numbers per incident, appended
//! in the same transaction as the change they record, and a wake-up for live watchers.

use sqlx::{Any, Row, Transaction};
use std::sync::Arc;
use symbolon_platform::{Database, StoreError, db::Sql};
use tokio::sync::Notify;

/// What an event records; stored as the published enum's number (`api/convert.rs`
/// checks them against it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    Opened = 1,
    FireCalled = 2,
    Acknowledged = 3,
    Fulfilled = 4,
    Warning = 5,
    Escalated = 6,
    Closed = 7,
    PartsReserved = 8,
    Cancelled = 9,
    PartsReleased = 10,
    CommitmentBreached = 11,
    FireCancelled = 12,
    PartsDispatched = 13,
}

/// An event to append.
pub(crate) struct NewEvent<'a> {
    pub(crate) kind: EventKind,
    pub(crate) actor: &'a str,
    pub(crate) fire_request: String,
    pub(crate) message: String,
    pub(crate) notify: Vec<String>,
}

/// Appends `event` to incident (`customer_id`, `incident_id`) inside `tx`. The
/// `last_seq` bump takes the incident's row lock, so concurrent appends (even from
/// several replicas) get consecutive numbers.
pub(crate) async fn append(
    tx: &mut Transaction<'_, Any>,
    customer_id: &str,
    incident_id: &str,
    now: i64,
    event: NewEvent<'_>,
) -> Result<i64, StoreError> {
    let mut bump = Sql::new("UPDATE incidents SET last_seq = last_seq + 1 WHERE customer_id = ");
    bump.bind(customer_id)
        .push(" AND id = ")
        .bind(incident_id)
        .push(" RETURNING last_seq");
    let seq: i64 = bump
        .query()
        .fetch_one(&mut **tx)
        .await?
        .try_get("last_seq")?;
    let mut insert = Sql::new(
        "INSERT INTO incident_events (customer_id, incident_id, sequence, time, kind, actor, fire_request, message, notify) VALUES (",
    );
    insert
        .bind_list([
            customer_id.into(),
            incident_id.into(),
            seq.into(),
            now.into(),
            (event.kind as i64).into(),
            event.actor.into(),
            event.fire_request.as_str().into(),
            event.message.into(),
            (serde_json::to_string(&event.notify).unwrap_or_else(|_| "[]".into())).into(),
        ])
        .push(")");
    insert.query().execute(&mut **tx).await?;
    Ok(seq)
}

/// A stored event.
#[derive(Debug, Clone)]
pub(crate) struct EventRow {
    pub(crate) sequence: i64,
    pub(crate) time: i64,
    pub(crate) kind: i32,
    pub(crate) actor: String,
    pub(crate) fire_request: String,
    pub(crate) message: String,
    pub(crate) notify: Vec<String>,
}

/// Events of an incident after `after`, at most `limit`.
pub(crate) async fn read(
    db: &Database,
    customer_id: &str,
    incident_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    let mut q = Sql::new(
        "SELECT sequence, time, kind, actor, fire_request, message, notify FROM incident_events WHERE customer_id = ",
    );
    q.bind(customer_id)
        .push(" AND incident_id = ")
        .bind(incident_id)
        .push(" AND sequence > ")
        .bind(after)
        .push(" ORDER BY sequence LIMIT ")
        .bind(limit);
    let rows = q.query().fetch_all(db.reader()).await?;
    rows.iter()
        .map(|r| {
            let notify: String = r.try_get("notify")?;
            Ok(EventRow {
                sequence: r.try_get("sequence")?,
                time: r.try_get("time")?,
                kind: r.try_get::<i64, _>("kind")? as i32,
                actor: r.try_get("actor")?,
                fire_request: r.try_get("fire_request")?,
                message: r.try_get("message")?,
                notify: serde_json::from_str(&notify).unwrap_or_default(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Wakes live watchers in this process at once; watchers also poll, so events appended
/// by another replica arrive within the poll interval.
#[derive(Clone, Default)]
pub(crate) struct Wakeup(Arc<Notify>);

impl Wakeup {
    pub(crate) fn wake(&self) {
        self.0.notify_waiters();
    }

    pub(crate) async fn wait(&self, poll: std::time::Duration) {
        let _ = tokio::time::timeout(poll, self.0.notified()).await;
    }
}

/// The department whose requests carry parts.
pub(crate) const SUPPLY_CHAIN: &str = "supply-chain";

/// The timeline event of commitments breached by the fire request `name`.
pub(crate) fn breach_event<'a>(
    customer_id: &str,
    name: &str,
    breached: &[String],
    owner: &str,
) -> NewEvent<'a> {
    let names: Vec<String> = breached
        .iter()
        .map(|id| format!("customers/{customer_id}/commitments/{id}"))
        .collect();
    NewEvent {
        kind: EventKind::CommitmentBreached,
        actor: "symbolon",
        fire_request: name.to_string(),
        message: format!("{SUPPLY_CHAIN}: commitment breached: {}", names.join(", ")),
        notify: vec![format!("department:{SUPPLY_CHAIN}-lead"), owner.to_string()],
    }
}
