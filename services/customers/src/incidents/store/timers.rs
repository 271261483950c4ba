//! The timers' statements: the fire requests a warning, an escalation or a breach check is
//! due for, and the conditional updates that claim one (so that of several replicas only
//! the one whose update matched acts on it).

use super::code;
use sqlx::{Any, Transaction};
use symbolon_platform::{Database, StoreError, db::Sql};

/// One of the four timers, by its columns: the flag it sets, the due time it watches and
/// the SQL list of fire-request states it watches.
pub(crate) struct TimerColumns {
    pub flag: &'static str,
    pub due: &'static str,
    pub states: &'static str,
}

/// A fire request a warning or escalation is due for.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DueTimer {
    pub id: String,
    pub incident_key: String,
    pub customer_id: String,
    pub incident_id: String,
    pub department: String,
    pub owner: String,
}

/// A fire request whose breach check is due.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DueBreach {
    pub id: String,
    pub incident_key: String,
    pub customer_id: String,
    pub incident_id: String,
    pub create_time: i64,
    pub parts: String,
    pub breach_due: i64,
    pub site: String,
    pub owner: String,
    pub incident_state: i64,
}

/// Up to 500 requests of open incidents whose `timer` is due at `now`, oldest due first.
pub(crate) async fn due_timers(
    db: &Database,
    timer: &TimerColumns,
    now: i64,
) -> Result<Vec<DueTimer>, StoreError> {
    let mut due = Sql::new(&format!(
        "SELECT f.id, f.incident_key, f.customer_id, f.incident_id, f.department, i.owner \
         FROM fire_requests f JOIN incidents i ON i.customer_id = f.customer_id AND i.id = f.incident_id \
         WHERE f.{flag} = 0 AND f.state IN {states} AND i.state = {open} AND f.{due} <= ",
        flag = timer.flag,
        states = timer.states,
        due = timer.due,
        open = code::INCIDENT_OPEN,
    ));
    due.bind(now)
        .push(" ORDER BY f.")
        .push(timer.due)
        .push(" LIMIT 500");
    due.read_all(db).await
}

/// Sets `timer`'s flag on the request if it is still unset: false when another replica
/// fired it first.
pub(crate) async fn claim_timer(
    tx: &mut Transaction<'_, Any>,
    timer: &TimerColumns,
    key: &str,
    id: &str,
) -> Result<bool, StoreError> {
    let mut claim = Sql::new(&format!(
        "UPDATE fire_requests SET {} = 1 WHERE incident_key = ",
        timer.flag
    ));
    claim
        .bind(key)
        .push(" AND id = ")
        .bind(id)
        .push(&format!(" AND {} = 0", timer.flag));
    Ok(claim.query().execute(&mut **tx).await?.rows_affected() == 1)
}

/// Up to `limit` open requests whose breach check is due at `now`, oldest due first (a
/// partial index of open requests in due order).
pub(crate) async fn due_breaches(
    db: &Database,
    now: i64,
    limit: usize,
) -> Result<Vec<DueBreach>, StoreError> {
    let mut due = Sql::new(
        "SELECT f.id, f.incident_key, f.customer_id, f.incident_id, f.create_time, f.parts, \
         f.breach_due, i.site, i.owner, i.state AS incident_state \
         FROM fire_requests f JOIN incidents i ON i.customer_id = f.customer_id AND i.id = f.incident_id \
         WHERE f.breach_due IS NOT NULL AND f.state IN (1, 2) AND f.breach_due <= ",
    );
    due.bind(now)
        .push(&format!(" ORDER BY f.breach_due LIMIT {limit}"));
    due.read_all(db).await
}

/// Locks the request while it is still open and due as read (`was_due`): false when a
/// change or another replica moved it first, which leaves it to them; a commitment
/// created meanwhile waits for this check and then brings it forward.
pub(crate) async fn claim_breach_check(
    tx: &mut Transaction<'_, Any>,
    key: &str,
    id: &str,
    was_due: i64,
) -> Result<bool, StoreError> {
    let mut claim =
        Sql::new("UPDATE fire_requests SET breach_due = breach_due WHERE incident_key = ");
    claim
        .bind(key)
        .push(" AND id = ")
        .bind(id)
        .push(" AND state IN (1, 2) AND breach_due = ")
        .bind(was_due);
    Ok(claim.query().execute(&mut **tx).await?.rows_affected() == 1)
}

/// Dates the request's next breach check (`None`: nothing left it could break).
pub(crate) async fn set_breach_due(
    tx: &mut Transaction<'_, Any>,
    key: &str,
    id: &str,
    next: Option<i64>,
) -> Result<(), StoreError> {
    let mut set = Sql::new("UPDATE fire_requests SET breach_due = ");
    set.bind(next)
        .push(" WHERE incident_key = ")
        .bind(key)
        .push(" AND id = ")
        .bind(id);
    set.query().execute(&mut **tx).await?;
    Ok(())
}
