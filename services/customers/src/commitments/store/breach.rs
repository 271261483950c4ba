//! Breach rows: the commitments a fire request could still break, bringing forward the
//! breach check of open requests when a commitment is created, and turning one
//! `BREACHED` with its status change. Which commitments a request broke is decided in
//! `breach.rs`.

use super::{append_change, code};
use sqlx::{Any, Executor, Row, Transaction};
use symbolon_platform::{StoreError, db::Sql};

/// A spare-parts clause's promise: any of `part_numbers` at any of `sites` within
/// `window` (microseconds) of the request.
#[derive(Debug, Clone)]
pub(crate) struct Promise {
    pub(crate) sites: Vec<String>,
    pub(crate) part_numbers: Vec<String>,
    pub(crate) window: i64,
}

/// A commitment not yet breached; `clauses` in their stored form.
pub(crate) struct OpenRow {
    pub(crate) id: String,
    pub(crate) clauses: Vec<u8>,
    pub(crate) status: i32,
    pub(crate) last_change: i64,
}

/// The customer's commitments not yet breached, by id.
pub(crate) async fn open<'c, E>(ex: E, customer_id: &str) -> Result<Vec<OpenRow>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut q = Sql::new(&format!(
        "SELECT id, {}, status, last_change FROM commitments WHERE customer_id = ",
        super::CLAUSES
    ));
    q.bind(customer_id)
        .push(" AND status <> ")
        .bind(i64::from(code::BREACHED))
        .push(" ORDER BY id");
    let mut out = Vec::new();
    for row in q.query().fetch_all(ex).await? {
        out.push(OpenRow {
            id: row.try_get("id")?,
            clauses: super::clauses_of(&row)?,
            status: row.try_get::<i64, _>("status")? as i32,
            last_change: row.try_get("last_change")?,
        });
    }
    Ok(out)
}

/// Brings forward the breach check of the customer's open requests at the sites of
/// `promises` (a new commitment's), to when its shortest window ends for each, in the
/// commitment's transaction: a request the sweep had dated before the commitment
/// existed is checked again in time. Bounded by the customer's open incidents there.
pub(crate) async fn schedule(
    tx: &mut Transaction<'static, Any>,
    customer_id: &str,
    promises: &[Promise],
) -> Result<(), StoreError> {
    let Some(window) = promises.iter().map(|p| p.window).min() else {
        return Ok(());
    };
    let mut sites: Vec<&str> = promises
        .iter()
        .flat_map(|p| p.sites.iter().map(String::as_str))
        .collect();
    sites.sort_unstable();
    sites.dedup();
    if sites.is_empty() {
        return Ok(());
    }
    let due = "create_time + ";
    let mut u = Sql::new(
        "UPDATE fire_requests SET breach_due = CASE WHEN breach_due IS NULL OR breach_due > ",
    );
    u.push(due)
        .bind(window.saturating_add(1))
        .push(" THEN ")
        .push(due)
        .bind(window.saturating_add(1))
        .push(
            " ELSE breach_due END WHERE state IN (1, 2) AND parts <> '[]' AND incident_key IN (\
               SELECT customer_id || '/' || id FROM incidents WHERE customer_id = ",
        )
        .bind(customer_id)
        .push(" AND state = ")
        .bind(i64::from(crate::incidents::store::code::INCIDENT_OPEN))
        .push(" AND site IN (")
        .bind_list(sites.iter().map(|site| (*site).into()))
        .push("))");
    u.query().execute(&mut **tx).await?;
    Ok(())
}

/// A commitment a delivery broke.
pub(crate) struct Broken {
    pub(crate) id: String,
    pub(crate) previous: i32,
    /// Its next status change's sequence.
    pub(crate) sequence: i64,
    pub(crate) reason: String,
}

/// Turns `b` of `customer_id` `BREACHED` at `at`, with its status change, in `tx`;
/// false when another transaction breached it first (that one records it).
pub(crate) async fn mark(
    tx: &mut Transaction<'static, Any>,
    customer_id: &str,
    b: &Broken,
    at: i64,
) -> Result<bool, StoreError> {
    let mut u = Sql::new("UPDATE commitments SET status = ");
    u.bind(i64::from(code::BREACHED))
        .push(", status_reason = ")
        .bind(b.reason.as_str())
        .push(", update_time = ")
        .bind(at)
        .push(", version = version + 1, last_change = ")
        .bind(b.sequence)
        .push(" WHERE customer_id = ")
        .bind(customer_id)
        .push(" AND id = ")
        .bind(b.id.as_str())
        .push(" AND status <> ")
        .bind(i64::from(code::BREACHED));
    if u.query().execute(&mut **tx).await?.rows_affected() != 1 {
        return Ok(false);
    }
    append_change(
        tx,
        customer_id,
        &b.id,
        b.sequence,
        b.previous,
        code::BREACHED,
        &b.reason,
        0,
        at,
    )
    .await?;
    Ok(true)
}
