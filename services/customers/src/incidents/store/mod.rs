//! Storage of incidents: rows, the timeline, the settlement claims, and each change's
//! transaction (the change, then its timeline events, committed together). Nothing here
//! knows protobuf; `api/` checks the request before calling in.

mod rows;
pub(crate) mod settle;
pub(crate) mod timeline;
pub(crate) mod timers;

pub(crate) use rows::{FireRequestRow, IncidentRow, Part, code, parts_from_json, parts_to_json};
pub(crate) use timeline::{EventKind, EventRow, NewEvent, Wakeup};

use crate::commitments::breach;
use sqlx::{Any, Transaction};
use symbolon_platform::{
    Database, StoreError,
    db::Sql,
    table::{self, Table},
};

/// The scope of an incident's fire requests.
pub(crate) fn incident_key(customer_id: &str, incident_id: &str) -> String {
    format!("{customer_id}/{incident_id}")
}

/// The fire request `id` of incident (`customer_id`, `incident_id`).
pub(crate) async fn fire_request(
    db: &Database,
    customer_id: &str,
    incident_id: &str,
    id: &str,
) -> Result<Option<FireRequestRow>, StoreError> {
    table::get::<FireRequestRow>(db, &incident_key(customer_id, incident_id), id).await
}

/// The fire request written under `request_key`, if any.
pub(crate) async fn fire_request_by_key(
    db: &Database,
    request_key: &str,
) -> Result<Option<FireRequestRow>, StoreError> {
    table::by_request_key::<FireRequestRow>(db, request_key).await
}

/// Ends `sql` (an UPDATE of `incidents`) with the condition that the incident is
/// still open: a concurrent close or cancel makes it match nothing.
fn while_open(sql: &mut Sql, customer_id: &str, incident_id: &str) {
    sql.push(" WHERE customer_id = ")
        .bind(customer_id)
        .push(" AND id = ")
        .bind(incident_id)
        .push(" AND state = ")
        .bind(i64::from(code::INCIDENT_OPEN));
}

/// A checked incident to open.
pub(crate) struct NewIncident<'a> {
    pub(crate) customer_id: &'a str,
    pub(crate) site: &'a str,
    pub(crate) severity: i32,
    pub(crate) summary: &'a str,
    pub(crate) detect_time: i64,
    pub(crate) owner: &'a str,
    pub(crate) request_key: Option<String>,
}

/// Opens an incident with its OPENED event; a retry (same request key) writes nothing
/// and reads the first one back.
pub(crate) async fn open(
    db: &Database,
    new: &NewIncident<'_>,
    now: i64,
) -> Result<Option<IncidentRow>, StoreError> {
    let id = symbolon_platform::names::new_id();
    let mut tx = db.writer().begin().await?;
    symbolon_platform::request_ids::claim_on(&mut *tx, new.request_key.as_deref()).await?;
    let mut insert = Sql::new(
        "INSERT INTO incidents (id, customer_id, site, severity, summary, detect_time, state, owner, create_time, request_key) VALUES (",
    );
    insert
        .bind_list([
            id.as_str().into(),
            new.customer_id.into(),
            new.site.into(),
            i64::from(new.severity).into(),
            new.summary.into(),
            new.detect_time.into(),
            i64::from(code::INCIDENT_OPEN).into(),
            new.owner.into(),
            now.into(),
            new.request_key.clone().into(),
        ])
        .push(&format!(
            ") ON CONFLICT (request_key) DO NOTHING RETURNING {}",
            IncidentRow::COLUMNS
        ));
    // The new row comes back from the insert itself: no read after the commit.
    let created = table::fetch_optional::<IncidentRow, _>(&mut *tx, &insert).await?;
    if created.is_some() {
        let event = NewEvent {
            kind: EventKind::Opened,
            actor: new.owner,
            fire_request: String::new(),
            message: new.summary.to_string(),
            notify: Vec::new(),
        };
        timeline::append(&mut tx, new.customer_id, &id, now, event).await?;
    }
    tx.commit().await?;
    match (created, &new.request_key) {
        (Some(row), _) => Ok(Some(row)),
        (None, Some(k)) => table::by_request_key::<IncidentRow>(db, k).await,
        (None, None) => Ok(None),
    }
}

/// A checked fire request to write, with its timeline events.
pub(crate) struct NewFireRequest<'a> {
    pub(crate) id: &'a str,
    pub(crate) customer_id: &'a str,
    pub(crate) incident_id: &'a str,
    pub(crate) department: &'a str,
    pub(crate) ask: &'a str,
    /// Time to acknowledge and to fulfil, in microseconds.
    pub(crate) ack: i64,
    pub(crate) fulfil: i64,
    pub(crate) request_key: Option<String>,
    pub(crate) parts: &'a [Part],
    /// The supply-chain reservation holding the parts, or empty.
    pub(crate) reservation: &'a str,
    pub(crate) events: Vec<NewEvent<'a>>,
}

/// What writing a fire request did.
pub(crate) enum Called {
    /// Written now, or by an earlier attempt with the same request key.
    Written(Box<FireRequestRow>),
    /// The incident closed or was cancelled meanwhile: nothing written.
    IncidentNotOpen,
}

/// Writes a fire request and its events, if its incident is still open.
pub(crate) async fn call(
    db: &Database,
    new: NewFireRequest<'_>,
    now: i64,
) -> Result<Option<Called>, StoreError> {
    let key = incident_key(new.customer_id, new.incident_id);
    let mut tx = db.writer().begin().await?;
    let mut insert = Sql::new(
        "INSERT INTO fire_requests (id, incident_key, customer_id, incident_id, department, ask, state, create_time, \
         ack_warn_at, ack_due, fulfil_warn_at, fulfil_due, request_key, parts, reservation, breach_due) VALUES (",
    );
    insert
        .bind_list([
            new.id.into(),
            key.as_str().into(),
            new.customer_id.into(),
            new.incident_id.into(),
            new.department.into(),
            new.ask.into(),
            i64::from(code::REQUESTED).into(),
            now.into(),
            (now + new.ack * 3 / 4).into(),
            (now + new.ack).into(),
            (now + new.fulfil * 3 / 4).into(),
            (now + new.fulfil).into(),
            new.request_key.clone().into(),
            parts_to_json(new.parts).into(),
            new.reservation.into(),
        ])
        .push(", ")
        // Parts could break a commitment: due at once, the first breach sweep dates it.
        .bind((!new.parts.is_empty()).then_some(now))
        .push(&format!(
            ") ON CONFLICT (request_key) DO NOTHING RETURNING {}",
            FireRequestRow::COLUMNS
        ));
    // Takes the incident's row lock and checks it is still open, so a cancel or a
    // close that ran meanwhile cannot leave this request (and its parts) behind.
    let mut guard = Sql::new("UPDATE incidents SET last_seq = last_seq");
    while_open(&mut guard, new.customer_id, new.incident_id);
    if guard.query().execute(&mut *tx).await?.rows_affected() != 1 {
        return Ok(Some(Called::IncidentNotOpen));
    }
    let created = table::fetch_optional::<FireRequestRow, _>(&mut *tx, &insert).await?;
    if created.is_some() {
        for event in new.events {
            timeline::append(&mut tx, new.customer_id, new.incident_id, now, event).await?;
        }
    }
    tx.commit().await?;
    let row = match (created, &new.request_key) {
        (Some(row), _) => Some(row),
        (None, Some(k)) => table::by_request_key::<FireRequestRow>(db, k).await?,
        (None, None) => None,
    };
    Ok(row.map(|row| Called::Written(Box::new(row))))
}

/// A fire request moving to ACKNOWLEDGED or FULFILLED, with its events.
pub(crate) struct Advance<'a> {
    pub(crate) fr: &'a FireRequestRow,
    /// `code::ACKNOWLEDGED` or `code::FULFILLED`.
    pub(crate) to: i32,
    pub(crate) actor: &'a str,
    pub(crate) events: Vec<NewEvent<'a>>,
    /// For a fulfilment: the delivery the commitments' windows are checked against,
    /// and the incident owner told of a breach.
    pub(crate) delivery: Option<(breach::Delivery<'a>, &'a str)>,
}

/// Moves a request forward (and the incident's first acknowledgement), appends its
/// events and any breach; false if the request was not in a state to move.
pub(crate) async fn advance(db: &Database, a: Advance<'_>, now: i64) -> Result<bool, StoreError> {
    let fr = a.fr;
    let fulfil = a.to == code::FULFILLED;
    let (from, time_col, by_col) = if fulfil {
        ("(1, 2)", "fulfil_time", "fulfilled_by")
    } else {
        ("(1)", "ack_time", "acknowledged_by")
    };
    let key = incident_key(&fr.customer_id, &fr.incident_id);
    let mut tx = db.writer().begin().await?;
    let mut update = Sql::new("UPDATE fire_requests SET state = ");
    update
        .bind(i64::from(a.to))
        .push(&format!(", {time_col} = "))
        .bind(now)
        .push(&format!(", {by_col} = "))
        .bind(a.actor);
    if fulfil {
        // Fulfilling implies acknowledging, if that had not happened yet.
        update
            .push(", ack_time = COALESCE(ack_time, ")
            .bind(now)
            .push("), acknowledged_by = CASE WHEN acknowledged_by = '' THEN ")
            .bind(a.actor)
            .push(" ELSE acknowledged_by END");
    }
    update
        .push(" WHERE incident_key = ")
        .bind(key.as_str())
        .push(" AND id = ")
        .bind(fr.id.as_str())
        .push(&format!(" AND state IN {from} AND settlement <> 'release'"));
    if update.query().execute(&mut *tx).await?.rows_affected() != 1 {
        return Ok(false);
    }
    // The incident's first acknowledgement sets its time to acknowledge.
    let mut first = Sql::new("UPDATE incidents SET acknowledge_time = ");
    first
        .bind(now)
        .push(" WHERE customer_id = ")
        .bind(fr.customer_id.as_str())
        .push(" AND id = ")
        .bind(fr.incident_id.as_str())
        .push(" AND acknowledge_time IS NULL");
    first.query().execute(&mut *tx).await?;
    for event in a.events {
        timeline::append(&mut tx, &fr.customer_id, &fr.incident_id, now, event).await?;
    }
    if let Some((delivery, owner)) = &a.delivery {
        let breached = breach::breach(&mut tx, delivery).await?;
        if !breached.is_empty() {
            let event =
                timeline::breach_event(&fr.customer_id, delivery.fire_request, &breached, owner);
            timeline::append(&mut tx, &fr.customer_id, &fr.incident_id, now, event).await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// What closing an incident did.
pub(crate) enum Closed {
    Done,
    /// Already closed or cancelled.
    NotOpen,
    /// Requests still open (read under the incident's row lock): nothing written.
    RequestsOpen(Vec<FireRequestRow>),
}

/// The fault notice an incident closes with: root cause, customer impact, timeline,
/// what changes.
pub(crate) struct Notice<'a> {
    pub(crate) root_cause: &'a str,
    pub(crate) customer_impact: &'a str,
    pub(crate) timeline: &'a str,
    pub(crate) what_changes: &'a str,
}

/// Closes an open incident whose requests have all ended, with its CLOSED event.
pub(crate) async fn close(
    db: &Database,
    incident: &IncidentRow,
    notice: &Notice<'_>,
    event: NewEvent<'_>,
    now: i64,
) -> Result<Closed, StoreError> {
    let mut tx = db.writer().begin().await?;
    let mut update = Sql::new("UPDATE incidents SET state = ");
    update
        .bind(i64::from(code::INCIDENT_CLOSED))
        .push(", close_time = ")
        .bind(now)
        .push(", root_cause = ")
        .bind(notice.root_cause)
        .push(", customer_impact = ")
        .bind(notice.customer_impact)
        .push(", timeline = ")
        .bind(notice.timeline)
        .push(", what_changes = ")
        .bind(notice.what_changes);
    while_open(&mut update, &incident.customer_id, &incident.id);
    if update.query().execute(&mut *tx).await?.rows_affected() != 1 {
        return Ok(Closed::NotOpen);
    }
    // Read after the incident's row lock is taken, so a request called meanwhile is
    // seen: closing says the work is done, so every request must have ended.
    let open = settle::open_requests(&mut *tx, &incident.customer_id, &incident.id).await?;
    if !open.is_empty() {
        return Ok(Closed::RequestsOpen(open));
    }
    timeline::append(&mut tx, &incident.customer_id, &incident.id, now, event).await?;
    tx.commit().await?;
    Ok(Closed::Done)
}

/// Cancels the open requests of an incident (only `id` if given) whose parts are not
/// being dispatched; the number cancelled.
async fn cancel_requests(
    tx: &mut Transaction<'_, Any>,
    customer_id: &str,
    incident_id: &str,
    id: Option<&str>,
) -> Result<u64, StoreError> {
    let key = incident_key(customer_id, incident_id);
    let mut up = Sql::new("UPDATE fire_requests SET state = ");
    up.bind(i64::from(code::CANCELLED))
        .push(" WHERE incident_key = ")
        .bind(key.as_str())
        .push(&format!(
            " AND state IN {} AND settlement <> 'dispatch'",
            settle::OPEN_STATES
        ));
    if let Some(id) = id {
        up.push(" AND id = ").bind(id);
    }
    Ok(up.query().execute(&mut **tx).await?.rows_affected())
}

/// Cancels one open request with its events; false if it was no longer open.
pub(crate) async fn cancel_request(
    db: &Database,
    fr: &FireRequestRow,
    events: Vec<NewEvent<'_>>,
    now: i64,
) -> Result<bool, StoreError> {
    let mut tx = db.writer().begin().await?;
    if cancel_requests(&mut tx, &fr.customer_id, &fr.incident_id, Some(&fr.id)).await? != 1 {
        return Ok(false);
    }
    for event in events {
        timeline::append(&mut tx, &fr.customer_id, &fr.incident_id, now, event).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// What cancelling an incident did.
pub(crate) enum Cancelled {
    Done,
    /// Closed or cancelled meanwhile.
    NotOpen,
    /// Requests with parts not yet released were called meanwhile: nothing written.
    CalledMeanwhile(Vec<FireRequestRow>),
}

/// Cancels an open incident and every open request of it, each with its events:
/// `events_of` gives a request's, `last` is the incident's CANCELLED event.
pub(crate) async fn cancel_incident<'a>(
    db: &Database,
    incident: &IncidentRow,
    events_of: impl Fn(&FireRequestRow) -> Vec<NewEvent<'a>>,
    last: NewEvent<'_>,
    now: i64,
) -> Result<Cancelled, StoreError> {
    let mut tx = db.writer().begin().await?;
    let mut update = Sql::new("UPDATE incidents SET state = ");
    update.bind(i64::from(code::INCIDENT_CANCELLED));
    while_open(&mut update, &incident.customer_id, &incident.id);
    if update.query().execute(&mut *tx).await?.rows_affected() != 1 {
        return Ok(Cancelled::NotOpen);
    }
    // Under the incident's row lock: a request called since the caller's read, with
    // parts not yet released, would keep them for ever; the retry releases them.
    let now_open = settle::open_requests(&mut *tx, &incident.customer_id, &incident.id).await?;
    let unreleased: Vec<FireRequestRow> = now_open
        .iter()
        .filter(|fr| !fr.reservation.is_empty() && fr.settlement != settle::End::Release.tag())
        .cloned()
        .collect();
    if !unreleased.is_empty() {
        return Ok(Cancelled::CalledMeanwhile(unreleased));
    }
    cancel_requests(&mut tx, &incident.customer_id, &incident.id, None).await?;
    for fr in &now_open {
        for event in events_of(fr) {
            timeline::append(&mut tx, &incident.customer_id, &incident.id, now, event).await?;
        }
    }
    timeline::append(&mut tx, &incident.customer_id, &incident.id, now, last).await?;
    tx.commit().await?;
    Ok(Cancelled::Done)
}
