//! The end of a fire request's parts reservation, exactly once across two services.
//!
//! Fulfilling a request dispatches its reservation in the supply-chain service (the
//! stock leaves the depot); cancelling it releases the reservation. The two services'
//! writes cannot share a transaction, so each end goes in three steps:
//!
//! 1. claim it here: a conditional UPDATE sets `settlement` to `dispatch` or `release`
//!    while the request is open and unclaimed (or claimed for the same end already), so
//!    one end wins across concurrent calls and replicas;
//! 2. ask the supply-chain service, whose dispatch and release are idempotent;
//! 3. record the request's new state and its timeline events in one transaction.
//!
//! A crash, or an unavailable supply-chain service, between the steps leaves the claim:
//! the retry of the same call repeats step 2 (harmless) and does step 3, while the other
//! end is refused until then.

use super::rows::{FireRequestRow, code};
use symbolon_platform::{Database, StoreError, db::Sql, table::Table};

/// How a reservation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The request was fulfilled: the parts left the depot.
    Dispatch,
    /// The request was cancelled: the parts are available again.
    Release,
}

impl End {
    pub(crate) fn tag(self) -> &'static str {
        match self {
            End::Dispatch => "dispatch",
            End::Release => "release",
        }
    }
}

/// What a claim found.
#[derive(Debug)]
pub(crate) enum Claim {
    /// Claimed now, or by an earlier attempt of the same end.
    Claimed,
    /// The request is no longer open (the caller re-reads it).
    NotOpen,
    /// Claimed for the other end: the request as it is now.
    Busy(Box<FireRequestRow>),
    /// The request is gone.
    Gone,
}

/// The open states of a fire request, as SQL.
pub(crate) const OPEN_STATES: &str = "(1, 2)";

/// Whether a request is still open (requested or acknowledged).
pub(crate) fn is_open(state: i32) -> bool {
    state == code::REQUESTED || state == code::ACKNOWLEDGED
}

/// Step 1: claims `end` for `fr`.
pub(crate) async fn claim(
    db: &Database,
    fr: &FireRequestRow,
    end: End,
) -> Result<Claim, StoreError> {
    let key = format!("{}/{}", fr.customer_id, fr.incident_id);
    let mut up = Sql::new("UPDATE fire_requests SET settlement = ");
    up.bind(end.tag())
        .push(" WHERE incident_key = ")
        .bind(key.as_str())
        .push(" AND id = ")
        .bind(fr.id.as_str())
        .push(&format!(
            " AND state IN {OPEN_STATES} AND settlement IN ('', "
        ))
        .bind(end.tag())
        .push(")");
    let claimed = up.query().execute(db.writer()).await?.rows_affected() == 1;
    if claimed {
        return Ok(Claim::Claimed);
    }
    Ok(
        match symbolon_platform::table::get::<FireRequestRow>(db, &key, &fr.id).await? {
            None => Claim::Gone,
            Some(now) if !is_open(now.state) => Claim::NotOpen,
            Some(now) => Claim::Busy(Box::new(now)),
        },
    )
}

/// Gives a claim back (the supply-chain service refused that end, so the other one
/// stays possible).
pub(crate) async fn unclaim(
    db: &Database,
    fr: &FireRequestRow,
    end: End,
) -> Result<(), StoreError> {
    let key = format!("{}/{}", fr.customer_id, fr.incident_id);
    let mut up = Sql::new("UPDATE fire_requests SET settlement = '' WHERE incident_key = ");
    up.bind(key.as_str())
        .push(" AND id = ")
        .bind(fr.id.as_str())
        .push(&format!(" AND state IN {OPEN_STATES} AND settlement = "))
        .bind(end.tag());
    up.query().execute(db.writer()).await?;
    Ok(())
}

/// The open requests of an incident, in id order.
pub(crate) async fn open_requests<'c, E>(
    ex: E,
    customer_id: &str,
    incident_id: &str,
) -> Result<Vec<FireRequestRow>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let key = format!("{customer_id}/{incident_id}");
    let mut q = Sql::new(&format!(
        "SELECT {} FROM fire_requests WHERE incident_key = ",
        FireRequestRow::COLUMNS
    ));
    q.bind(key.as_str())
        .push(&format!(" AND state IN {OPEN_STATES} ORDER BY id"));
    q.query()
        .fetch_all(ex)
        .await?
        .iter()
        .map(FireRequestRow::from_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::from)
}

/// The parts of a request in words, e.g. "SPX-400 x2, PSU-9 x1".
pub(crate) fn parts_text(fr: &FireRequestRow) -> String {
    super::rows::parts_from_json(&fr.parts)
        .iter()
        .map(|p| format!("{} x{}", p.part_number, p.quantity))
        .collect::<Vec<_>>()
        .join(", ")
}
