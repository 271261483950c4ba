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

use super::rows::FireRequestRow;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{Database, StoreError, db::Sql, status, table::Table};
use tonic::Status;

/// How a reservation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The request was fulfilled: the parts left the depot.
    Dispatch,
    /// The request was cancelled: the parts are available again.
    Release,
}

impl End {
    fn tag(self) -> &'static str {
        match self {
            End::Dispatch => "dispatch",
            End::Release => "release",
        }
    }

    fn doing(self) -> &'static str {
        match self {
            End::Dispatch => "being fulfilled (its parts are being dispatched)",
            End::Release => "being cancelled (its parts are being released)",
        }
    }
}

/// The open states of a fire request, as SQL.
pub(crate) const OPEN_STATES: &str = "(1, 2)";

/// Whether a request is still open (requested or acknowledged).
pub(crate) fn is_open(state: i32) -> bool {
    state == pb::FireRequestState::Requested as i32
        || state == pb::FireRequestState::Acknowledged as i32
}

/// Step 1: claims `end` for `fr`. `Ok(true)`: claimed now or by an earlier attempt of
/// the same end; `Ok(false)`: the request is no longer open (the caller re-reads it).
/// Claimed for the other end: FAILED_PRECONDITION naming the request.
pub(crate) async fn claim(db: &Database, fr: &FireRequestRow, end: End) -> Result<bool, Status> {
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
    let claimed = up
        .query()
        .execute(db.writer())
        .await
        .map_err(StoreError::from)?
        .rows_affected()
        == 1;
    if claimed {
        return Ok(true);
    }
    let now = symbolon_platform::table::get::<FireRequestRow>(db, &key, &fr.id)
        .await?
        .ok_or_else(|| status::not_found(&fr.name()))?;
    if !is_open(now.state) {
        return Ok(false);
    }
    Err(busy(&now))
}

/// Gives a claim back (the supply-chain service refused that end, so the other one
/// stays possible).
pub(crate) async fn unclaim(db: &Database, fr: &FireRequestRow, end: End) -> Result<(), Status> {
    let key = format!("{}/{}", fr.customer_id, fr.incident_id);
    let mut up = Sql::new("UPDATE fire_requests SET settlement = '' WHERE incident_key = ");
    up.bind(key.as_str())
        .push(" AND id = ")
        .bind(fr.id.as_str())
        .push(&format!(" AND state IN {OPEN_STATES} AND settlement = "))
        .bind(end.tag());
    up.query()
        .execute(db.writer())
        .await
        .map_err(StoreError::from)?;
    Ok(())
}

/// FAILED_PRECONDITION: the request's reservation is being ended the other way.
pub(crate) fn busy(fr: &FireRequestRow) -> Status {
    let doing = if fr.settlement == End::Dispatch.tag() {
        End::Dispatch.doing()
    } else {
        End::Release.doing()
    };
    status::failed_precondition(
        "FIRE_REQUEST_SETTLING",
        &fr.name(),
        format!("the request is {doing}; retry that call to finish it"),
    )
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
