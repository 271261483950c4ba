//! The incident timeline: events with gap-free sequence numbers per incident, appended
//! in the same transaction as the change they record, and a wake-up for live watchers.

use sqlx::{Any, Row, Transaction};
use std::sync::Arc;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{Database, StoreError, db::Sql, time::to_timestamp};
use tokio::sync::Notify;

/// An event to append.
pub(crate) struct NewEvent<'a> {
    pub(crate) kind: pb::IncidentEventKind,
    pub(crate) actor: &'a str,
    pub(crate) fire_request: &'a str,
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
        .bind(customer_id)
        .push(", ")
        .bind(incident_id)
        .push(", ")
        .bind(seq)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(event.kind as i64)
        .push(", ")
        .bind(event.actor)
        .push(", ")
        .bind(event.fire_request)
        .push(", ")
        .bind(event.message)
        .push(", ")
        .bind(serde_json::to_string(&event.notify).unwrap_or_else(|_| "[]".into()))
        .push(")");
    insert.query().execute(&mut **tx).await?;
    Ok(seq)
}

/// Events of an incident after `after`, at most `limit`.
pub(crate) async fn read(
    db: &Database,
    customer_id: &str,
    incident_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<pb::IncidentEvent>, StoreError> {
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
            Ok(pb::IncidentEvent {
                sequence: r.try_get("sequence")?,
                time: Some(to_timestamp(r.try_get("time")?)),
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
