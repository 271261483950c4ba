//! Incident and fire-request rows.

use sqlx::{Row, any::AnyRow};
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::filter::{Field, Kind};

/// An incident.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct IncidentRow {
    pub(crate) id: String,
    pub(crate) customer_id: String,
    pub(crate) site: String,
    #[sqlx(try_from = "i64")]
    pub(crate) severity: i32,
    pub(crate) summary: String,
    pub(crate) detect_time: i64,
    #[sqlx(try_from = "i64")]
    pub(crate) state: i32,
    pub(crate) owner: String,
    /// Root cause, customer impact, timeline, what changes: set once closed.
    #[sqlx(skip)]
    pub(crate) notice: Option<[String; 4]>,
    pub(crate) create_time: i64,
    pub(crate) acknowledge_time: Option<i64>,
    pub(crate) close_time: Option<i64>,
}

fn severity(s: &str) -> Option<i32> {
    pb::Severity::from_str_name(s).map(|v| v as i32)
}
fn state(s: &str) -> Option<i32> {
    pb::IncidentState::from_str_name(s).map(|v| v as i32)
}

symbolon_platform::table!(
    IncidentRow,
    "incidents",
    "customer_id",
    "id, customer_id, site, severity, summary, detect_time, state, owner, root_cause, \
        customer_impact, timeline, what_changes, create_time, acknowledge_time, close_time",
    false,
    id: id,
    filter: &[
        Field::column("severity", Kind::Enum(severity, "SEVERITY_")),
        Field::column("state", Kind::Enum(state, "INCIDENT_STATE_")),
        Field::column("detect_time", Kind::Time),
    ],
    fill: notice
);

/// The closing notice: four columns, set together when the incident closes.
fn notice(r: &mut IncidentRow, row: &AnyRow) -> Result<(), sqlx::Error> {
    let Some(root_cause) = row.try_get::<Option<String>, _>("root_cause")? else {
        return Ok(());
    };
    let rest = |column: &str| -> Result<String, sqlx::Error> {
        Ok(row
            .try_get::<Option<String>, _>(column)?
            .unwrap_or_default())
    };
    r.notice = Some([
        root_cause,
        rest("customer_impact")?,
        rest("timeline")?,
        rest("what_changes")?,
    ]);
    Ok(())
}

impl IncidentRow {
    pub(crate) fn name(&self) -> String {
        format!("customers/{}/incidents/{}", self.customer_id, self.id)
    }
}

/// A call for fire.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct FireRequestRow {
    pub(crate) id: String,
    pub(crate) customer_id: String,
    pub(crate) incident_id: String,
    pub(crate) department: String,
    pub(crate) ask: String,
    #[sqlx(try_from = "i64")]
    pub(crate) state: i32,
    pub(crate) create_time: i64,
    pub(crate) ack_due: i64,
    pub(crate) fulfil_due: i64,
    pub(crate) ack_time: Option<i64>,
    pub(crate) fulfil_time: Option<i64>,
    pub(crate) acknowledged_by: String,
    pub(crate) fulfilled_by: String,
    /// The requested parts, JSON `[{"part_number": …, "quantity": …}]`.
    pub(crate) parts: String,
    /// The supply-chain reservation holding them, or empty.
    pub(crate) reservation: String,
    /// The reservation's end claimed so far: '', 'dispatch' or 'release' (`settle.rs`).
    pub(crate) settlement: String,
}

symbolon_platform::table!(
    FireRequestRow,
    "fire_requests",
    "incident_key",
    "id, incident_key, customer_id, incident_id, department, ask, state, create_time, ack_due, \
        fulfil_due, ack_time, fulfil_time, acknowledged_by, fulfilled_by, parts, reservation, settlement",
    false,
    id: id,
    filter: &[Field::column("department", Kind::Text)]
);

impl FireRequestRow {
    pub(crate) fn name(&self) -> String {
        format!(
            "customers/{}/incidents/{}/fireRequests/{}",
            self.customer_id, self.incident_id, self.id
        )
    }
}

/// The stored form of requested parts.
pub(crate) fn parts_to_json(parts: &[Part]) -> String {
    serde_json::Value::Array(
        parts
            .iter()
            .map(|p| {
                serde_json::json!({
                    "part_number": p.part_number,
                    "quantity": p.quantity,
                })
            })
            .collect(),
    )
    .to_string()
}

pub(crate) fn parts_from_json(json: &str) -> Vec<Part> {
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str(json) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|p| Part {
            part_number: p["part_number"].as_str().unwrap_or_default().to_string(),
            quantity: p["quantity"]
                .as_i64()
                .and_then(|q| i32::try_from(q).ok())
                .unwrap_or_default(),
        })
        .collect()
}

/// A requested part and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) part_number: String,
    pub(crate) quantity: i32,
}

/// Stored state codes: the published enums' numbers, so a row reads as the API says
/// (`api/convert.rs` checks them against the enums).
pub(crate) mod code {
    pub(crate) const INCIDENT_OPEN: i32 = 1;
    pub(crate) const INCIDENT_CLOSED: i32 = 2;
    pub(crate) const INCIDENT_CANCELLED: i32 = 3;
    pub(crate) const REQUESTED: i32 = 1;
    pub(crate) const ACKNOWLEDGED: i32 = 2;
    pub(crate) const FULFILLED: i32 = 3;
    pub(crate) const CANCELLED: i32 = 4;
}
