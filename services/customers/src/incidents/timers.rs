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
    timers::{self, TimerColumns},
};
use crate::commitments::breach;
use std::time::Duration;
use symbolon_platform::{Database, StoreError, time::Clock};
use tokio_util::sync::CancellationToken;

struct Spec {
    columns: TimerColumns,
    kind: EventKind,
    what: &'static str,
}

/// SQL lists of the fire-request states each timer watches (checked against the enum in
/// the tests below).
const NOT_ACKNOWLEDGED: &str = "(1)";
const NOT_FULFILLED: &str = "(1, 2)";

const SPECS: [Spec; 4] = [
    Spec {
        columns: TimerColumns {
            flag: "ack_warned",
            due: "ack_warn_at",
            states: NOT_ACKNOWLEDGED,
        },
        kind: EventKind::Warning,
        what: "75% of the time to acknowledge has elapsed",
    },
    Spec {
        columns: TimerColumns {
            flag: "ack_escalated",
            due: "ack_due",
            states: NOT_ACKNOWLEDGED,
        },
        kind: EventKind::Escalated,
        what: "not acknowledged in time",
    },
    Spec {
        columns: TimerColumns {
            flag: "fulfil_warned",
            due: "fulfil_warn_at",
            states: NOT_FULFILLED,
        },
        kind: EventKind::Warning,
        what: "75% of the time to fulfil has elapsed",
    },
    Spec {
        columns: TimerColumns {
            flag: "fulfil_escalated",
            due: "fulfil_due",
            states: NOT_FULFILLED,
        },
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
            for due in timers::due_timers(&self.db, &spec.columns, now).await? {
                let timers::DueTimer {
                    id,
                    incident_key: key,
                    customer_id,
                    incident_id,
                    department,
                    owner,
                } = due;
                let mut tx = self.db.writer().begin().await?;
                if !timers::claim_timer(&mut tx, &spec.columns, &key, &id).await? {
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
        let mut fired = 0;
        for due in timers::due_breaches(&self.db, now, self.breach_batch).await? {
            let timers::DueBreach {
                id,
                incident_key: key,
                customer_id,
                incident_id,
                create_time,
                parts,
                breach_due: was_due,
                site,
                owner,
                incident_state,
            } = due;
            let parts = parts_from_json(&parts);
            let name = format!("customers/{customer_id}/incidents/{incident_id}/fireRequests/{id}");
            let open_incident = incident_state == i64::from(code::INCIDENT_OPEN);
            let delivery = breach::Delivery {
                customer_id: &customer_id,
                site: if open_incident { &site } else { "" },
                part_numbers: parts.iter().map(|p| p.part_number.as_str()).collect(),
                fire_request: &name,
                requested_at: create_time,
                at: now,
                fulfilled: false,
            };
            let mut tx = self.db.writer().begin().await?;
            // Still due as read? A change or another replica that moved it first leaves
            // it to them.
            if !timers::claim_breach_check(&mut tx, &key, &id, was_due).await? {
                continue;
            }
            let breached = breach::breach(&mut tx, &delivery).await?;
            if !breached.is_empty() {
                let event = breach_event(&customer_id, &name, &breached, &owner);
                timeline::append(&mut tx, &customer_id, &incident_id, now, event).await?;
                fired += 1;
            }
            let open = breach::open_commitments(&mut *tx, &customer_id).await?;
            timers::set_breach_due(&mut tx, &key, &id, breach::next_due(&open, &delivery)).await?;
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
