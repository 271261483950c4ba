//! Incident and fire-request rows.

use sqlx::{Row, any::AnyRow};
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{
    filter::{Field, Kind},
    table::Table,
};

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

impl Table for IncidentRow {
    const NAME: &'static str = "incidents";
    const SCOPE: &'static str = "customer_id";
    const COLUMNS: &'static str = "id, customer_id, site, severity, summary, detect_time, state, owner, root_cause, \
        customer_impact, timeline, what_changes, create_time, acknowledge_time, close_time";
    const SOFT_DELETE: bool = false;
    const FILTER: &'static [Field] = &[
        Field {
            name: "severity",
            column: "severity",
            kind: Kind::Enum(severity, "SEVERITY_"),
        },
        Field {
            name: "state",
            column: "state",
            kind: Kind::Enum(state, "INCIDENT_STATE_"),
        },
        Field {
            name: "detect_time",
            column: "detect_time",
            kind: Kind::Time,
        },
    ];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let root_cause: Option<String> = row.try_get("root_cause")?;
        let notice = match root_cause {
            Some(rc) => Some([
                rc,
                row.try_get::<Option<String>, _>("customer_impact")?
                    .unwrap_or_default(),
                row.try_get::<Option<String>, _>("timeline")?
                    .unwrap_or_default(),
                row.try_get::<Option<String>, _>("what_changes")?
                    .unwrap_or_default(),
            ]),
            None => None,
        };
        Ok(Self {
            notice,
            ..sqlx::FromRow::from_row(row)?
        })
    }
    fn id(&self) -> &str {
        &self.id
    }
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

impl Table for FireRequestRow {
    const NAME: &'static str = "fire_requests";
    const SCOPE: &'static str = "incident_key";
    const COLUMNS: &'static str = "id, incident_key, customer_id, incident_id, department, ask, state, create_time, ack_due, \
        fulfil_due, ack_time, fulfil_time, acknowledged_by, fulfilled_by, parts, reservation, settlement";
    const SOFT_DELETE: bool = false;
    const FILTER: &'static [Field] = &[Field {
        name: "department",
        column: "department",
        kind: Kind::Text,
    }];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        sqlx::FromRow::from_row(row)
    }
    fn id(&self) -> &str {
        &self.id
    }
}

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
