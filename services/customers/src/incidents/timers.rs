//! Warning and escalation timers, like entitlement milestones: a warning when 75% of the
//! time to acknowledge or to fulfil has elapsed, an escalation when it is overdue; and
//! breaches: an open supply-chain request that outlived the window a service commitment
//! promises for its parts at its site breaks that commitment.
//!
//! Timers are rows, not in-memory tasks: due times are columns, and each warning or
//! escalation flips a flag with a conditional UPDATE in the same transaction that
//! appends its timeline event. A restart loses nothing, and with several replicas only
//! the one whose UPDATE matched fires (the others see the flag set and skip).

use super::store::{
    EventKind, NewEvent, Wakeup, code, parts_from_json,
    timeline::{self, breach_event},
};
use crate::commitments::breach;
use sqlx::Row;
use std::time::Duration;
use symbolon_platform::{Database, StoreError, db::Sql, time::Clock};
use tokio_util::sync::CancellationToken;

struct Spec {
    flag: &'static str,
    due: &'static str,
    states: &'static str,
    kind: EventKind,
    what: &'static str,
}

/// SQL lists of the fire-request states each timer watches (checked against the enum in
/// the tests below).
const NOT_ACKNOWLEDGED: &str = "(1)";
const NOT_FULFILLED: &str = "(1, 2)";

const SPECS: [Spec; 4] = [
    Spec {
        flag: "ack_warned",
        due: "ack_warn_at",
        states: NOT_ACKNOWLEDGED,
        kind: EventKind::Warning,
        what: "75% of the time to acknowledge has elapsed",
    },
    Spec {
        flag: "ack_escalated",
        due: "ack_due",
        states: NOT_ACKNOWLEDGED,
        kind: EventKind::Escalated,
        what: "not acknowledged in time",
    },
    Spec {
        flag: "fulfil_warned",
        due: "fulfil_warn_at",
        states: NOT_FULFILLED,
        kind: EventKind::Warning,
        what: "75% of the time to fulfil has elapsed",
    },
    Spec {
        flag: "fulfil_escalated",
        due: "fulfil_due",
        states: NOT_FULFILLED,
        kind: EventKind::Escalated,
        what: "not fulfilled in time",
    },
];

/// Requests checked for breaches per sweep, oldest due first (the rest wait for the next).
const BREACH_BATCH: usize = 500;

/// Fires due warnings and escalations, and breaks the commitments overdue requests broke.

#[derive(Clone)]
pub struct IncidentTimers {
    db: Database,
    clock: Clock,
    wakeup: Wakeup,
    breach_batch: usize,
}

impl IncidentTimers {
    pub(crate) fn new(db: Database, clock: Clock, wakeup: Wakeup) -> Self {
        Self {
            db,
            clock,
            wakeup,
            breach_batch: BREACH_BATCH,
        }
    }

    /// The same timers checking at most `n` due requests for breaches per sweep.
    pub fn with_breach_batch(mut self, n: usize) -> Self {
        self.breach_batch = n.max(1);
        self
    }

    /// Fires everything due now; returns how many events it appended.
    pub async fn sweep(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let mut fired = 0;
        for spec in &SPECS {
            let mut due = Sql::new(&format!(
                "SELECT f.id, f.incident_key, f.customer_id, f.incident_id, f.department, i.owner \
                 FROM fire_requests f JOIN incidents i ON i.customer_id = f.customer_id AND i.id = f.incident_id \
                 WHERE f.{flag} = 0 AND f.state IN {states} AND i.state = {open} AND f.{due} <= ",
                flag = spec.flag,
                states = spec.states,
                due = spec.due,
                open = code::INCIDENT_OPEN,
            ));
            due.bind(now)
                .push(" ORDER BY f.")
                .push(spec.due)
                .push(" LIMIT 500");
            for row in due.query().fetch_all(self.db.reader()).await? {
                let id: String = row.try_get("id")?;
                let key: String = row.try_get("incident_key")?;
                let customer_id: String = row.try_get("customer_id")?;
                let incident_id: String = row.try_get("incident_id")?;
                let department: String = row.try_get("department")?;
                let owner: String = row.try_get("owner")?;
                let mut tx = self.db.writer().begin().await?;
                let mut claim = Sql::new(&format!(
                    "UPDATE fire_requests SET {} = 1 WHERE incident_key = ",
                    spec.flag
                ));
                claim
                    .bind(key.as_str())
                    .push(" AND id = ")
                    .bind(id.as_str())
                    .push(&format!(" AND {} = 0", spec.flag));
                if claim.query().execute(&mut *tx).await?.rows_affected() != 1 {
                    continue; // Another replica fired it.
                }
                let name =
                    format!("customers/{customer_id}/incidents/{incident_id}/fireRequests/{id}");
                let notify = if spec.kind == EventKind::Escalated {
                    vec![format!("department:{department}-lead"), owner]
                } else {
                    vec![format!("department:{department}")]
                };
                let event = NewEvent {
                    kind: spec.kind,
                    actor: "symbolon",
                    fire_request: name,
                    message: format!("{department}: {}", spec.what),
                    notify,
                };
                timeline::append(&mut tx, &customer_id, &incident_id, now, event).await?;
                tx.commit().await?;
                fired += 1;
            }
        }
        fired += self.breaches(now).await?;
        if fired > 0 {
            self.wakeup.wake();
        }
        Ok(fired)
    }

    /// Breaks the commitments whose window an open supply-chain request for their parts
    /// at their site has outlived; returns how many events it appended. Reads only the
    /// requests whose `breach_due` has come (a partial index of open requests in due
    /// order), at most a batch, oldest due first; each is checked in a transaction of
    /// its own that locks its row, breaks what it broke and dates its next check. A
    /// commitment breaks once, so replicas and later sweeps find nothing more to do.
    async fn breaches(&self, now: i64) -> Result<usize, StoreError> {
        let mut due = Sql::new(
            "SELECT f.id, f.incident_key, f.customer_id, f.incident_id, f.create_time, f.parts, \
             f.breach_due, i.site, i.owner, i.state AS incident_state \
             FROM fire_requests f JOIN incidents i ON i.customer_id = f.customer_id AND i.id = f.incident_id \
             WHERE f.breach_due IS NOT NULL AND f.state IN (1, 2) AND f.breach_due <= ",
        );
        due.bind(now).push(&format!(
            " ORDER BY f.breach_due LIMIT {}",
            self.breach_batch
        ));
        let mut fired = 0;
        for row in due.query().fetch_all(self.db.reader()).await? {
            let customer_id: String = row.try_get("customer_id")?;
            let incident_id: String = row.try_get("incident_id")?;
            let key: String = row.try_get("incident_key")?;
            let id: String = row.try_get("id")?;
            let site: String = row.try_get("site")?;
            let owner: String = row.try_get("owner")?;
            let was_due: i64 = row.try_get("breach_due")?;
            let parts = parts_from_json(&row.try_get::<String, _>("parts")?);
            let name = format!("customers/{customer_id}/incidents/{incident_id}/fireRequests/{id}");
            let open_incident =
                row.try_get::<i64, _>("incident_state")? == i64::from(code::INCIDENT_OPEN);
            let delivery = breach::Delivery {
                customer_id: &customer_id,
                site: if open_incident { &site } else { "" },
                part_numbers: parts.iter().map(|p| p.part_number.as_str()).collect(),
                fire_request: &name,
                requested_at: row.try_get("create_time")?,
                at: now,
                fulfilled: false,
            };
            let mut tx = self.db.writer().begin().await?;
            // Locks the row while it is still due as read: a change or another replica
            // that moved it first leaves it to them, and a commitment created meanwhile
            // waits for this date and then brings it forward.
            let mut claim =
                Sql::new("UPDATE fire_requests SET breach_due = breach_due WHERE incident_key = ");
            claim
                .bind(key.as_str())
                .push(" AND id = ")
                .bind(id.as_str())
                .push(" AND state IN (1, 2) AND breach_due = ")
                .bind(was_due);
            if claim.query().execute(&mut *tx).await?.rows_affected() != 1 {
                continue;
            }
            let breached = breach::breach(&mut tx, &delivery).await?;
            if !breached.is_empty() {
                let event = breach_event(&customer_id, &name, &breached, &owner);
                timeline::append(&mut tx, &customer_id, &incident_id, now, event).await?;
                fired += 1;
            }
            let open = breach::open_commitments(&mut *tx, &customer_id).await?;
            let mut next = Sql::new("UPDATE fire_requests SET breach_due = ");
            next.bind(breach::next_due(&open, &delivery))
                .push(" WHERE incident_key = ")
                .bind(key.as_str())
                .push(" AND id = ")
                .bind(id.as_str());
            next.query().execute(&mut *tx).await?;
            tx.commit().await?;
        }
        Ok(fired)
    }

    /// Sweeps every `interval` until `shutdown`.
    pub(crate) async fn run(self, interval: Duration, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(interval) => {}
            }
            if let Err(e) = self.sweep().await {
                tracing::warn!(error = %e, "incident timer sweep failed; retrying");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use symbolon_contracts::customers::v1 as pb;

    #[test]
    fn state_lists_match_the_enum() {
        assert_eq!(
            NOT_ACKNOWLEDGED,
            format!("({})", pb::FireRequestState::Requested as i32)
        );
        assert_eq!(
            NOT_FULFILLED,
            format!(
                "({}, {})",
                pb::FireRequestState::Requested as i32,
                pb::FireRequestState::Acknowledged as i32
            )
        );
    }
}
