//! The risk stream's rows: the consumer's cursor and lock, each event's transaction
//! (cursor first, so an event at or below it changes nothing), events held for a
//! create still in flight, and the status a commitment's coverage gives it.

use super::{append_change, code};
use sqlx::{Any, AnyConnection, Connection, Row, Transaction};
use symbolon_platform::{Database, StoreError, db::Sql};

/// The advisory lock key of the consumer ("SYMBRISK").
const LOCK_KEY: i64 = 0x5359_4d42_5249_534b;

/// A dedicated connection holding the consumer's session advisory lock (PostgreSQL),
/// or `None` when another replica holds it.
pub(crate) async fn take_lock(db: &Database) -> Result<Option<AnyConnection>, sqlx::Error> {
    let mut conn = db.writer().acquire().await?.detach();
    let got: bool = sqlx::query("SELECT pg_try_advisory_lock($1)")
        .bind(LOCK_KEY)
        .fetch_one(&mut conn)
        .await?
        .try_get(0)?;
    if got {
        Ok(Some(conn))
    } else {
        let _ = conn.close().await;
        Ok(None)
    }
}

/// The sequence of the last event applied.
pub(crate) async fn cursor(db: &Database) -> Result<i64, StoreError> {
    Ok(
        sqlx::query("SELECT sequence FROM commitment_risk_cursor WHERE id = 1")
            .fetch_one(db.reader())
            .await?
            .try_get(0)?,
    )
}

/// One risk event as stored: a (clause, site) registration's coverage now.
pub(crate) struct RiskChange<'a> {
    pub(crate) registration: &'a str,
    pub(crate) sequence: i64,
    /// Whether the registration's reference names a commitment: an unknown
    /// registration is then kept for the create still in flight.
    pub(crate) for_commitment: bool,
    pub(crate) covered: bool,
    pub(crate) redundancy: i64,
    pub(crate) cause: &'a str,
    pub(crate) best_depot: &'a str,
    pub(crate) best_place: &'a str,
    pub(crate) best_arrival: Option<i64>,
    pub(crate) best_within: bool,
    pub(crate) event_time: i64,
}

/// What a (clause, site) promised at creation, for the reason of a status change.
pub(crate) struct Promised {
    pub(crate) site: String,
    pub(crate) place: String,
    pub(crate) arrival: Option<i64>,
}

/// Applies one risk event in one transaction; `Ok(false)` when it was applied before.
/// `reason_of` words the status change, if the commitment's status moves.
pub(crate) async fn apply(
    db: &Database,
    change: &RiskChange<'_>,
    reason_of: impl FnOnce(&Promised) -> String,
    now: i64,
) -> Result<bool, StoreError> {
    let mut tx = db.writer().begin().await?;
    let mut claim = Sql::new("UPDATE commitment_risk_cursor SET sequence = ");
    claim
        .bind(change.sequence)
        .push(" WHERE id = 1 AND sequence < ")
        .bind(change.sequence);
    if claim.query().execute(&mut *tx).await?.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    let mut q = Sql::new(
        "SELECT customer_id, commitment_id, site, promised_place, best_arrival FROM commitment_coverage WHERE registration = ",
    );
    q.bind(change.registration);
    let Some(row) = q.query().fetch_optional(&mut *tx).await? else {
        // Not ours, or a create still in flight: keep the latest state for the create.
        if change.for_commitment {
            hold(&mut tx, change).await?;
        }
        tx.commit().await?;
        return Ok(true);
    };
    let customer_id: String = row.try_get("customer_id")?;
    let commitment_id: String = row.try_get("commitment_id")?;
    let promised = Promised {
        site: row.try_get("site")?,
        place: row.try_get("promised_place")?,
        arrival: row.try_get("best_arrival")?,
    };
    let mut u = Sql::new("UPDATE commitment_coverage SET covered = ");
    u.bind(i64::from(change.covered))
        .push(", redundancy = ")
        .bind(change.redundancy)
        .push(", risk_sequence = ")
        .bind(change.sequence)
        .push(", current_depot = ")
        .bind(change.best_depot)
        .push(", current_place = ")
        .bind(change.best_place)
        .push(", current_arrival = ")
        .bind(change.best_arrival)
        .push(", current_within = ")
        .bind(i64::from(change.best_within))
        .push(", assess_time = ")
        .bind(change.event_time)
        .push(" WHERE registration = ")
        .bind(change.registration);
    u.query().execute(&mut *tx).await?;
    let reason = reason_of(&promised);
    recompute(
        &mut tx,
        &customer_id,
        &commitment_id,
        &reason,
        change.sequence,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Keeps the latest event for a registration no commitment holds yet.
async fn hold(tx: &mut Transaction<'static, Any>, c: &RiskChange<'_>) -> Result<(), StoreError> {
    let mut p = Sql::new(
        "INSERT INTO commitment_risk_pending (registration, sequence, covered, redundancy, cause, \
         best_depot, best_place, best_arrival, best_within, event_time) VALUES (",
    );
    p.bind_list([
        c.registration.into(),
        c.sequence.into(),
        i64::from(c.covered).into(),
        c.redundancy.into(),
        c.cause.into(),
        c.best_depot.into(),
        c.best_place.into(),
        c.best_arrival.into(),
        i64::from(c.best_within).into(),
        c.event_time.into(),
    ])
    .push(
        ") ON CONFLICT (registration) DO UPDATE SET sequence = excluded.sequence, \
             covered = excluded.covered, redundancy = excluded.redundancy, cause = excluded.cause, \
             best_depot = excluded.best_depot, best_place = excluded.best_place, \
             best_arrival = excluded.best_arrival, best_within = excluded.best_within, \
             event_time = excluded.event_time \
             WHERE commitment_risk_pending.sequence < excluded.sequence",
    );
    p.query().execute(&mut **tx).await?;
    Ok(())
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
    if current == code::BREACHED {
        return Ok(());
    }
    let next = if uncovered(tx, customer_id, commitment_id).await?.is_empty() {
        code::HEALTHY
    } else {
        code::AT_RISK
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
    append_change(
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
