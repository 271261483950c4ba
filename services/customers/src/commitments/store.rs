//! Commitment rows, their coverage and status history, and the two writes that change
//! them: creation (one transaction) and a risk event (one transaction with the cursor).

use prost::Message;
use sqlx::{Any, Row, Transaction, any::AnyRow};
use std::collections::HashMap;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{
    StoreError,
    db::Sql,
    filter::{Field, Kind},
    table::Table,
    time::to_timestamp,
};

/// A commitment.
#[derive(Debug, Clone)]
pub(crate) struct CommitmentRow {
    pub(crate) id: String,
    pub(crate) customer_id: String,
    pub(crate) display_name: String,
    pub(crate) clauses: Vec<pb::CommitmentClause>,
    pub(crate) status: i32,
    pub(crate) status_reason: String,
    pub(crate) risk_accepted: bool,
    pub(crate) created_by: String,
    pub(crate) create_time: i64,
    pub(crate) update_time: i64,
    pub(crate) version: i64,
}

fn status_of(s: &str) -> Option<i32> {
    pb::CommitmentStatus::from_str_name(s).map(|v| v as i32)
}

impl Table for CommitmentRow {
    const NAME: &'static str = "commitments";
    const SCOPE: &'static str = "customer_id";
    const COLUMNS: &'static str = "id, customer_id, display_name, clauses, status, status_reason, \
        risk_accepted, created_by, create_time, update_time, version";
    const SOFT_DELETE: bool = false;
    const FILTER: &'static [Field] = &[Field {
        name: "status",
        column: "status",
        kind: Kind::Enum(status_of, "COMMITMENT_STATUS_"),
    }];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let hex: String = row.try_get("clauses")?;
        let clauses = decode_clauses(&hex)
            .ok_or_else(|| sqlx::Error::Decode("corrupt commitment clauses".into()))?;
        Ok(Self {
            id: row.try_get("id")?,
            customer_id: row.try_get("customer_id")?,
            display_name: row.try_get("display_name")?,
            clauses,
            status: row.try_get::<i64, _>("status")? as i32,
            status_reason: row.try_get("status_reason")?,
            risk_accepted: row.try_get::<i64, _>("risk_accepted")? != 0,
            created_by: row.try_get("created_by")?,
            create_time: row.try_get("create_time")?,
            update_time: row.try_get("update_time")?,
            version: row.try_get("version")?,
        })
    }
    fn id(&self) -> &str {
        &self.id
    }
}

impl CommitmentRow {
    pub(crate) fn name(&self) -> String {
        format!("customers/{}/commitments/{}", self.customer_id, self.id)
    }

    pub(crate) fn to_proto(&self, coverage: Vec<pb::SiteCoverage>) -> pb::Commitment {
        pb::Commitment {
            name: self.name(),
            display_name: self.display_name.clone(),
            clauses: self.clauses.clone(),
            status: self.status,
            status_reason: self.status_reason.clone(),
            coverage,
            risk_accepted: self.risk_accepted,
            created_by: self.created_by.clone(),
            create_time: Some(to_timestamp(self.create_time)),
            update_time: Some(to_timestamp(self.update_time)),
            etag: symbolon_platform::aip::etag(self.version),
        }
    }
}

/// One status change.
#[derive(Debug, Clone)]
pub(crate) struct StatusChangeRow {
    pub(crate) id: String,
    pub(crate) customer_id: String,
    pub(crate) commitment_id: String,
    pub(crate) previous_status: i32,
    pub(crate) status: i32,
    pub(crate) reason: String,
    pub(crate) risk_sequence: i64,
    pub(crate) change_time: i64,
}

impl Table for StatusChangeRow {
    const NAME: &'static str = "commitment_status_changes";
    const SCOPE: &'static str = "commitment_key";
    const COLUMNS: &'static str = "id, customer_id, commitment_id, previous_status, status, reason, \
        risk_sequence, change_time";
    const SOFT_DELETE: bool = false;
    const FILTER: &'static [Field] = &[];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            customer_id: row.try_get("customer_id")?,
            commitment_id: row.try_get("commitment_id")?,
            previous_status: row.try_get::<i64, _>("previous_status")? as i32,
            status: row.try_get::<i64, _>("status")? as i32,
            reason: row.try_get("reason")?,
            risk_sequence: row.try_get("risk_sequence")?,
            change_time: row.try_get("change_time")?,
        })
    }
    fn id(&self) -> &str {
        &self.id
    }
}

impl StatusChangeRow {
    pub(crate) fn to_proto(&self) -> pb::CommitmentStatusChange {
        pb::CommitmentStatusChange {
            name: format!(
                "customers/{}/commitments/{}/statusChanges/{}",
                self.customer_id,
                self.commitment_id,
                self.id.trim_start_matches('0')
            ),
            sequence: self.id.parse().unwrap_or_default(),
            previous_status: self.previous_status,
            status: self.status,
            reason: self.reason.clone(),
            risk_event_sequence: self.risk_sequence,
            change_time: Some(to_timestamp(self.change_time)),
        }
    }
}

/// The coverage rows of a commitment, in clause and site order.
pub(crate) async fn coverage(
    db: &symbolon_platform::Database,
    customer_id: &str,
    commitment_id: &str,
) -> Result<Vec<pb::SiteCoverage>, StoreError> {
    let mut q = Sql::new(
        "SELECT registration, clause, site, covered, best_arrival, best_depot, redundancy \
         FROM commitment_coverage WHERE customer_id = ",
    );
    q.bind(customer_id)
        .push(" AND commitment_id = ")
        .bind(commitment_id)
        .push(" ORDER BY clause, site");
    let rows = q.query().fetch_all(db.reader()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(pb::SiteCoverage {
            clause: r.try_get::<i64, _>("clause")? as i32,
            site: r.try_get("site")?,
            registration: r.try_get("registration")?,
            covered: r.try_get::<i64, _>("covered")? != 0,
            best_arrival: r
                .try_get::<Option<i64>, _>("best_arrival")?
                .map(super::duration),
            best_depot: r.try_get("best_depot")?,
            redundancy: r.try_get::<i64, _>("redundancy")? as i32,
        });
    }
    Ok(out)
}

/// Commitments by status, (healthy, at risk, breached), of each of `customer_ids`
/// (customers without any are absent); one indexed statement for the lot.
pub(crate) async fn counts(
    db: &symbolon_platform::Database,
    customer_ids: &[String],
) -> Result<HashMap<String, (i32, i32, i32)>, StoreError> {
    let mut q = Sql::new(
        "SELECT customer_id, status, COUNT(*) AS n FROM commitments WHERE customer_id IN (",
    );
    for (i, id) in customer_ids.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.bind(id.as_str());
    }
    q.push(") GROUP BY customer_id, status");
    let mut out: HashMap<String, (i32, i32, i32)> = HashMap::new();
    for r in q.query().fetch_all(db.reader()).await? {
        let n = r.try_get::<i64, _>("n")? as i32;
        let of = out.entry(r.try_get("customer_id")?).or_default();
        match pb::CommitmentStatus::try_from(r.try_get::<i64, _>("status")? as i32) {
            Ok(pb::CommitmentStatus::Healthy) => of.0 += n,
            Ok(pb::CommitmentStatus::AtRisk) => of.1 += n,
            Ok(pb::CommitmentStatus::Breached) => of.2 += n,
            _ => {}
        }
    }
    Ok(out)
}

/// Appends a status change (the commitment's `last_change` is bumped by the caller in
/// the same transaction).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn append_change(
    tx: &mut Transaction<'static, Any>,
    customer_id: &str,
    commitment_id: &str,
    sequence: i64,
    previous: i32,
    status: i32,
    reason: &str,
    risk_sequence: i64,
    now: i64,
) -> Result<(), StoreError> {
    let mut q = Sql::new(
        "INSERT INTO commitment_status_changes (commitment_key, id, customer_id, commitment_id, \
         previous_status, status, reason, risk_sequence, change_time) VALUES (",
    );
    q.bind(format!("{customer_id}/{commitment_id}"))
        .push(", ")
        .bind(format!("{sequence:010}"))
        .push(", ")
        .bind(customer_id)
        .push(", ")
        .bind(commitment_id)
        .push(", ")
        .bind(i64::from(previous))
        .push(", ")
        .bind(i64::from(status))
        .push(", ")
        .bind(reason)
        .push(", ")
        .bind(risk_sequence)
        .push(", ")
        .bind(now)
        .push(")");
    q.query().execute(&mut **tx).await?;
    Ok(())
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Decodes the `clauses` column.
pub(crate) fn decode_clauses(hex: &str) -> Option<Vec<pb::CommitmentClause>> {
    unhex(hex)
        .and_then(|b| pb::Commitment::decode(b.as_slice()).ok())
        .map(|c| c.clauses)
}

/// Encodes clauses for the `clauses` column.
pub(crate) fn encode_clauses(clauses: &[pb::CommitmentClause]) -> String {
    // Stored as a Commitment holding only its clauses.
    hex(&pb::Commitment {
        clauses: clauses.to_vec(),
        ..Default::default()
    }
    .encode_to_vec())
}
