//! The risk-stream consumer: follows the supply-chain service's `WatchRiskEvents` from the
//! last sequence stored here and turns commitments `AT_RISK` and back to `HEALTHY`.
//!
//! - Each event is applied in one transaction that first advances the cursor
//!   (`UPDATE … SET sequence = n WHERE sequence < n`): an event at or below the cursor
//!   changes nothing, so a replayed or concurrently applied event counts once.
//! - On PostgreSQL only the replica holding a session advisory lock (on a dedicated
//!   connection) consumes; the others try again every few seconds and take over when
//!   its connection dies.
//! - When the supply-chain service goes away the consumer reconnects with backoff and
//!   resumes after the stored sequence, so restarts of either service lose nothing.
//! - It acts with the service token read from a file (re-read on every connection, so
//!   a rotated token is picked up).

use super::SupplyChain;
use crate::visibility;
use sqlx::{Any, AnyConnection, Connection, Row, Transaction};
use std::{path::PathBuf, time::Duration};
use symbolon_contracts::customers::v1 as pb;
use symbolon_contracts::supplychain::v1 as spb;
use symbolon_platform::{Database, StoreError, db::Backend, db::Sql, time::Clock};
use tokio_util::sync::CancellationToken;

/// The advisory lock key of the consumer ("SYMBRISK").
const LOCK_KEY: i64 = 0x5359_4d42_5249_534b;
/// How often a replica without the lock tries again, and the lock connection is checked.
const LOCK_RETRY: Duration = Duration::from_secs(2);
/// Reconnect backoff bounds.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

/// The background consumer of supply-chain risk events.
#[derive(Clone)]
pub struct RiskConsumer {
    db: Database,
    clock: Clock,
    supply: SupplyChain,
    token_file: PathBuf,
}

enum Outcome {
    /// Shut down.
    Stop,
    /// The advisory lock connection failed: take the lock again.
    LockLost,
    /// The stream ended or failed: reconnect after a pause.
    Retry(String),
}

impl RiskConsumer {
    /// A consumer that presents the token in `token_file`.
    pub fn new(db: Database, clock: Clock, supply: SupplyChain, token_file: PathBuf) -> Self {
        Self {
            db,
            clock,
            supply,
            token_file,
        }
    }

    /// Runs until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            let mut lock = match self.db.backend() {
                Backend::Sqlite => None,
                Backend::Postgres => match self.take_lock().await {
                    Ok(Some(conn)) => Some(conn),
                    Ok(None) => {
                        tracing::debug!("another replica consumes the risk stream");
                        if pause(&shutdown, LOCK_RETRY).await {
                            return;
                        }
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot take the risk consumer lock");
                        if pause(&shutdown, LOCK_RETRY).await {
                            return;
                        }
                        continue;
                    }
                },
            };
            let mut backoff = BACKOFF_MIN;
            loop {
                match self.follow(&shutdown, lock.as_mut(), &mut backoff).await {
                    Outcome::Stop => {
                        if let Some(conn) = lock.take() {
                            let _ = conn.close().await;
                        }
                        return;
                    }
                    Outcome::LockLost => {
                        tracing::warn!("risk consumer lock connection lost; taking it again");
                        break;
                    }
                    Outcome::Retry(why) => {
                        tracing::info!(reason = %why, retry_in = ?backoff, "risk stream interrupted");
                        if pause(&shutdown, backoff).await {
                            if let Some(conn) = lock.take() {
                                let _ = conn.close().await;
                            }
                            return;
                        }
                        backoff = (backoff * 2).min(BACKOFF_MAX);
                    }
                }
            }
        }
    }

    /// A dedicated connection holding the session advisory lock, or `None` when another
    /// replica holds it.
    async fn take_lock(&self) -> Result<Option<AnyConnection>, sqlx::Error> {
        let mut conn = self.db.writer().acquire().await?.detach();
        let got: bool = sqlx::query("SELECT pg_try_advisory_lock($1)")
            .bind(LOCK_KEY)
            .fetch_one(&mut conn)
            .await?
            .try_get(0)?;
        if got {
            tracing::info!("this replica consumes the supply-chain risk stream");
            Ok(Some(conn))
        } else {
            let _ = conn.close().await;
            Ok(None)
        }
    }

    async fn cursor(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query("SELECT sequence FROM commitment_risk_cursor WHERE id = 1")
                .fetch_one(self.db.reader())
                .await?
                .try_get(0)?,
        )
    }

    async fn follow(
        &self,
        shutdown: &CancellationToken,
        mut lock: Option<&mut AnyConnection>,
        backoff: &mut Duration,
    ) -> Outcome {
        let after = match self.cursor().await {
            Ok(c) => c,
            Err(e) => return Outcome::Retry(format!("reading the cursor: {e}")),
        };
        let token = match std::fs::read_to_string(&self.token_file) {
            Ok(t) => t.trim().to_string(),
            Err(e) => {
                return Outcome::Retry(format!(
                    "reading the service token {}: {e}",
                    self.token_file.display()
                ));
            }
        };
        let mut stream = tokio::select! {
            () = shutdown.cancelled() => return Outcome::Stop,
            s = self.supply.watch(&token, after) => match s {
                Ok(s) => s,
                Err(e) => return Outcome::Retry(format!("opening the risk stream: {e}")),
            },
        };
        tracing::info!(
            after_sequence = after,
            "following the supply-chain risk stream"
        );
        let mut check = tokio::time::interval(LOCK_RETRY);
        check.tick().await;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return Outcome::Stop,
                _ = check.tick(), if lock.is_some() => {
                    if let Some(conn) = lock.as_deref_mut()
                        && conn.ping().await.is_err()
                    {
                        return Outcome::LockLost;
                    }
                }
                msg = stream.message() => match msg {
                    Ok(Some(event)) => {
                        *backoff = BACKOFF_MIN;
                        // A store hiccup: retry the same event until it is applied.
                        let mut wait = BACKOFF_MIN;
                        while let Err(e) = apply(&self.db, &self.clock, &event).await {
                            tracing::warn!(sequence = event.sequence, error = %e, "applying a risk event failed; retrying");
                            if pause(shutdown, wait).await {
                                return Outcome::Stop;
                            }
                            wait = (wait * 2).min(BACKOFF_MAX);
                        }
                    }
                    Ok(None) => return Outcome::Retry("the risk stream ended".into()),
                    Err(e) => return Outcome::Retry(format!("the risk stream failed: {e}")),
                },
            }
        }
    }
}

/// Sleeps for `d`; true when shut down meanwhile.
async fn pause(shutdown: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        () = shutdown.cancelled() => true,
        () = tokio::time::sleep(d) => false,
    }
}

/// Applies one risk event; `Ok(false)` when it was applied before.
pub(crate) async fn apply(
    db: &Database,
    clock: &Clock,
    event: &spb::RiskEvent,
) -> Result<bool, StoreError> {
    let mut tx = db.writer().begin().await?;
    let mut claim = Sql::new("UPDATE commitment_risk_cursor SET sequence = ");
    claim
        .bind(event.sequence)
        .push(" WHERE id = 1 AND sequence < ")
        .bind(event.sequence);
    if claim.query().execute(&mut *tx).await?.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    let covered = event.state == spb::CoverageState::Covered as i32;
    // The supply-chain service re-assessed the site in the change's own transaction:
    // what holds now.
    let best = event.assessment.as_ref().and_then(|a| a.best.as_ref());
    let best_depot = best.map(|b| b.depot.clone()).unwrap_or_default();
    let best_place = best.map(super::place_of).unwrap_or_default();
    let best_arrival = best
        .and_then(|b| b.estimated_arrival.as_ref())
        .map(super::micros);
    let best_within = i64::from(best.is_some_and(|b| b.within_window));
    let event_time = event
        .event_time
        .as_ref()
        .map(|t| t.seconds * 1_000_000 + i64::from(t.nanos) / 1000)
        .unwrap_or_else(|| clock.now());
    let mut q = Sql::new(
        "SELECT customer_id, commitment_id, site, promised_place, best_arrival FROM commitment_coverage WHERE registration = ",
    );
    q.bind(event.registration.as_str());
    let Some(row) = q.query().fetch_optional(&mut *tx).await? else {
        // Not ours, or a create still in flight: keep the latest state for the create.
        if event.reference.starts_with("customers/") && event.reference.contains("/commitments/") {
            let mut p = Sql::new(
                "INSERT INTO commitment_risk_pending (registration, sequence, covered, redundancy, cause, \
                 best_depot, best_place, best_arrival, best_within, event_time) VALUES (",
            );
            p.bind(event.registration.as_str())
                .push(", ")
                .bind(event.sequence)
                .push(", ")
                .bind(i64::from(covered))
                .push(", ")
                .bind(i64::from(event.redundancy))
                .push(", ")
                .bind(event.cause.as_str())
                .push(", ")
                .bind(best_depot.as_str())
                .push(", ")
                .bind(best_place.as_str())
                .push(", ")
                .bind(best_arrival)
                .push(", ")
                .bind(best_within)
                .push(", ")
                .bind(event_time)
                .push(
                    ") ON CONFLICT (registration) DO UPDATE SET sequence = excluded.sequence, \
                     covered = excluded.covered, redundancy = excluded.redundancy, cause = excluded.cause, \
                     best_depot = excluded.best_depot, best_place = excluded.best_place, \
                     best_arrival = excluded.best_arrival, best_within = excluded.best_within, \
                     event_time = excluded.event_time \
                     WHERE commitment_risk_pending.sequence < excluded.sequence",
                );
            p.query().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        return Ok(true);
    };
    let customer_id: String = row.try_get("customer_id")?;
    let commitment_id: String = row.try_get("commitment_id")?;
    let site: String = row.try_get("site")?;
    let promised_place: String = row.try_get("promised_place")?;
    let promised_arrival: Option<i64> = row.try_get("best_arrival")?;
    let mut u = Sql::new("UPDATE commitment_coverage SET covered = ");
    u.bind(i64::from(covered))
        .push(", redundancy = ")
        .bind(i64::from(event.redundancy))
        .push(", risk_sequence = ")
        .bind(event.sequence)
        .push(", current_depot = ")
        .bind(best_depot.as_str())
        .push(", current_place = ")
        .bind(best_place.as_str())
        .push(", current_arrival = ")
        .bind(best_arrival)
        .push(", current_within = ")
        .bind(best_within)
        .push(", assess_time = ")
        .bind(event_time)
        .push(" WHERE registration = ")
        .bind(event.registration.as_str());
    u.query().execute(&mut *tx).await?;
    let state = if covered {
        "covered again"
    } else {
        "not covered"
    };
    let now_holds = match (best, best_arrival) {
        (Some(b), Some(at)) => format!(
            "best now {} in {}{}",
            visibility::place_and_id(&best_place, &b.depot),
            super::human(&super::duration(at)),
            if b.within_window {
                ""
            } else {
                ", outside the window"
            }
        ),
        _ => "no serving depot has every part now".to_string(),
    };
    let promised = match promised_arrival {
        Some(at) if !promised_place.is_empty() => format!(
            "promised {promised_place} in {}",
            super::human(&super::duration(at))
        ),
        _ => "nothing was in reach at creation".to_string(),
    };
    let reason = format!("{site} {state}: {}; {now_holds}; {promised}", event.cause);
    recompute(
        &mut tx,
        &customer_id,
        &commitment_id,
        &reason,
        event.sequence,
        clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The sites of a commitment that are not covered now.
pub(crate) async fn uncovered(
    tx: &mut Transaction<'static, Any>,
    customer_id: &str,
    commitment_id: &str,
) -> Result<Vec<String>, StoreError> {
    let mut q = Sql::new("SELECT site FROM commitment_coverage WHERE customer_id = ");
    q.bind(customer_id)
        .push(" AND commitment_id = ")
        .bind(commitment_id)
        .push(" AND covered = 0 ORDER BY clause, site");
    let rows = q.query().fetch_all(&mut **tx).await?;
    rows.iter()
        .map(|r| r.try_get::<String, _>("site"))
        .collect::<Result<_, _>>()
        .map_err(StoreError::from)
}

/// Sets the commitment's status from its coverage, recording a change when it moves.
/// A breached commitment stays breached.
async fn recompute(
    tx: &mut Transaction<'static, Any>,
    customer_id: &str,
    commitment_id: &str,
    reason: &str,
    risk_sequence: i64,
    now: i64,
) -> Result<(), StoreError> {
    let mut q = Sql::new("SELECT status, last_change FROM commitments WHERE customer_id = ");
    q.bind(customer_id).push(" AND id = ").bind(commitment_id);
    let Some(row) = q.query().fetch_optional(&mut **tx).await? else {
        return Ok(());
    };
    let current = row.try_get::<i64, _>("status")? as i32;
    let last: i64 = row.try_get("last_change")?;
    if current == pb::CommitmentStatus::Breached as i32 {
        return Ok(());
    }
    let next = if uncovered(tx, customer_id, commitment_id).await?.is_empty() {
        pb::CommitmentStatus::Healthy as i32
    } else {
        pb::CommitmentStatus::AtRisk as i32
    };
    if next == current {
        return Ok(());
    }
    let mut u = Sql::new("UPDATE commitments SET status = ");
    u.bind(i64::from(next))
        .push(", status_reason = ")
        .bind(reason)
        .push(", update_time = ")
        .bind(now)
        .push(", version = version + 1, last_change = ")
        .bind(last + 1)
        .push(" WHERE customer_id = ")
        .bind(customer_id)
        .push(" AND id = ")
        .bind(commitment_id);
    u.query().execute(&mut **tx).await?;
    super::store::append_change(
        tx,
        customer_id,
        commitment_id,
        last + 1,
        current,
        next,
        reason,
        risk_sequence,
        now,
    )
    .await
}

/// Takes over risk events that arrived for `registrations` before their commitment was
/// stored; returns the highest sequence absorbed (0 when none).
pub(crate) async fn absorb_pending(
    tx: &mut Transaction<'static, Any>,
    registrations: &[&str],
) -> Result<i64, StoreError> {
    let mut highest = 0;
    for reg in registrations {
        let mut q = Sql::new(
            "SELECT sequence, covered, redundancy, best_depot, best_place, best_arrival, best_within, \
             event_time FROM commitment_risk_pending WHERE registration = ",
        );
        q.bind(*reg);
        let Some(row) = q.query().fetch_optional(&mut **tx).await? else {
            continue;
        };
        let sequence: i64 = row.try_get("sequence")?;
        let mut u = Sql::new("UPDATE commitment_coverage SET covered = ");
        u.bind(row.try_get::<i64, _>("covered")?)
            .push(", redundancy = ")
            .bind(row.try_get::<i64, _>("redundancy")?)
            .push(", risk_sequence = ")
            .bind(sequence)
            .push(", current_depot = ")
            .bind(row.try_get::<String, _>("best_depot")?)
            .push(", current_place = ")
            .bind(row.try_get::<String, _>("best_place")?)
            .push(", current_arrival = ")
            .bind(row.try_get::<Option<i64>, _>("best_arrival")?)
            .push(", current_within = ")
            .bind(row.try_get::<i64, _>("best_within")?)
            .push(", assess_time = ")
            .bind(row.try_get::<i64, _>("event_time")?)
            .push(" WHERE registration = ")
            .bind(*reg);
        u.query().execute(&mut **tx).await?;
        let mut d = Sql::new("DELETE FROM commitment_risk_pending WHERE registration = ");
        d.bind(*reg);
        d.query().execute(&mut **tx).await?;
        highest = highest.max(sequence);
    }
    Ok(highest)
}
