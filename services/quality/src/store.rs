//! The quality tables (migration `0003_quality.sql`, in quality's own schema). Protobuf
//! bodies are stored hex-encoded, as the first release wrote them (see [`Body`]); the
//! columns beside them are what queries select and order on. Rows are mapped by
//! `#[derive(FromRow)]`.

use super::pb;
use prost::Message;
use sqlx::{Any, FromRow, Row, any::AnyRow};
use symbolon_platform::{
    Database, StoreError,
    db::{Sql, Value},
    filter::{self, Field, FilterError, Kind},
    table::{Page, Write},
};

/// Encodes a message for a TEXT column.
pub fn encode<M: Message>(m: &M) -> String {
    let bytes = m.encode_to_vec();
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// Decodes a message from a TEXT column.
pub fn decode<M: Message + Default>(s: &str) -> Result<M, sqlx::Error> {
    let bytes = unhex(s).ok_or_else(|| sqlx::Error::Decode("corrupt protobuf body".into()))?;
    M::decode(bytes.as_slice()).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// A protobuf body as stored (hex TEXT), decoded by rows' `FromRow`
/// (`#[sqlx(try_from = "Body")]`) into the message of their field.
pub struct Body(Vec<u8>);

impl sqlx::Type<Any> for Body {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <str as sqlx::Type<Any>>::type_info()
    }
}

impl<'r> sqlx::Decode<'r, Any> for Body {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let hex = <&str as sqlx::Decode<'r, Any>>::decode(value)?;
        Ok(Body(unhex(hex).ok_or("corrupt protobuf body")?))
    }
}

macro_rules! body_of {
    ($($m:ty),*) => {$(
        impl TryFrom<Body> for $m {
            type Error = prost::DecodeError;
            fn try_from(b: Body) -> Result<Self, Self::Error> {
                <$m>::decode(b.0.as_slice())
            }
        }
    )*};
}
body_of!(pb::Standard, pb::Report, pb::Dispute);

/// The bytes of a hex string (`None` if it is not one).
fn unhex(s: &str) -> Option<Vec<u8>> {
    let hex = s.as_bytes();
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    hex.chunks(2)
        .map(|pair| Some((nib(pair[0])? << 4) | nib(pair[1])?))
        .collect()
}

fn page<T>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Page<T> {
    let next_after = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(key)
    } else {
        None
    };
    Page { rows, next_after }
}

/// Inserts with `request_key`; `Ok(false)` when the key was used before (a retry).
async fn insert_once(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    columns: &[&str],
    values: Vec<Value>,
    request_key: Option<String>,
) -> Result<bool, StoreError> {
    let mut sql = Sql::new(&format!(
        "INSERT INTO {table} ({}, request_key) VALUES (",
        columns.join(", ")
    ));
    for v in values {
        sql.bind(v).push(", ");
    }
    sql.bind(request_key)
        .push(") ON CONFLICT (request_key) DO NOTHING RETURNING id");
    Ok(sql.query().fetch_optional(&mut **tx).await?.is_some())
}

async fn id_by_request_key(
    db: &Database,
    table: &str,
    key: &str,
) -> Result<Option<String>, StoreError> {
    let mut sql = Sql::new(&format!("SELECT id FROM {table} WHERE request_key = "));
    sql.bind(key);
    Ok(match sql.query().fetch_optional(db.reader()).await? {
        Some(r) => Some(r.try_get("id")?),
        None => None,
    })
}

// ---------------------------------------------------------------------------------
// Standards.

/// A standard: its row and its current version's content.
#[derive(Debug, Clone, FromRow)]
pub struct StandardRow {
    /// Id.
    pub id: String,
    /// Display name (changes in place).
    pub display_name: String,
    /// Description (changes in place).
    pub description: String,
    /// Touchpoint type (changes in place).
    #[sqlx(try_from = "i64")]
    pub touchpoint_type: i32,
    /// Current version number.
    pub current_version: i64,
    /// Microseconds.
    pub create_time: i64,
    /// Microseconds.
    pub update_time: i64,
    /// Row version (the etag).
    pub version: i64,
    /// The current version's content.
    #[sqlx(rename = "body", try_from = "Body")]
    pub content: pb::Standard,
}

const STANDARD_COLUMNS: &str = "s.id, s.display_name, s.description, s.touchpoint_type, s.current_version, s.create_time, s.update_time, s.version, v.body";
const STANDARD_FROM: &str = "quality_standards s JOIN quality_standard_versions v ON v.standard_id = s.id AND v.version_no = s.current_version";

/// Creates a standard with version 1. A retry (same request key) returns the first.
pub async fn insert_standard(
    db: &Database,
    id: &str,
    content: &pb::Standard,
    by: &str,
    now: i64,
    request_key: Option<String>,
) -> Result<StandardRow, StoreError> {
    let mut tx = db.writer().begin().await?;
    let inserted = insert_once(
        &mut tx,
        "quality_standards",
        &[
            "id",
            "display_name",
            "description",
            "touchpoint_type",
            "current_version",
            "create_time",
            "update_time",
        ],
        vec![
            id.into(),
            content.display_name.clone().into(),
            content.description.clone().into(),
            i64::from(content.touchpoint_type).into(),
            1i64.into(),
            now.into(),
            now.into(),
        ],
        request_key.clone(),
    )
    .await?;
    let id = if inserted {
        let mut sql = Sql::new(
            "INSERT INTO quality_standard_versions (standard_id, version_no, body, created_by, create_time) VALUES (",
        );
        sql.bind(id)
            .push(", 1, ")
            .bind(encode(content))
            .push(", ")
            .bind(by)
            .push(", ")
            .bind(now)
            .push(")");
        sql.query().execute(&mut *tx).await?;
        tx.commit().await?;
        id.to_string()
    } else {
        tx.rollback().await?;
        id_by_request_key(
            db,
            "quality_standards",
            request_key.as_deref().unwrap_or_default(),
        )
        .await?
        .unwrap_or_default()
    };
    get_standard(db, &id)
        .await?
        .ok_or_else(|| StoreError::Other(sqlx::Error::RowNotFound))
}

/// Reads a standard with its current content.
pub async fn get_standard(db: &Database, id: &str) -> Result<Option<StandardRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {STANDARD_COLUMNS} FROM {STANDARD_FROM} WHERE s.id = "
    ));
    sql.bind(id);
    Ok(sql
        .query()
        .fetch_optional(db.reader())
        .await?
        .as_ref()
        .map(StandardRow::from_row)
        .transpose()?)
}

/// One page of standards in id order.
pub async fn list_standards(
    db: &Database,
    after: Option<String>,
    limit: i64,
) -> Result<Page<StandardRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {STANDARD_COLUMNS} FROM {STANDARD_FROM} WHERE 1 = 1"
    ));
    if let Some(a) = after {
        sql.push(" AND s.id > ").bind(a);
    }
    sql.push(" ORDER BY s.id LIMIT ").bind(limit + 1);
    let rows = sql.query().fetch_all(db.reader()).await?;
    let rows = rows
        .iter()
        .map(StandardRow::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page(rows, limit, |r| r.id.clone()))
}

/// Changes a standard: the in-place fields always, and when `new_content` is given a
/// new version is written and becomes current.
#[allow(clippy::too_many_arguments)]
pub async fn update_standard(
    db: &Database,
    id: &str,
    expected: Option<i64>,
    display_name: &str,
    description: &str,
    touchpoint_type: i32,
    new_content: Option<&pb::Standard>,
    by: &str,
    now: i64,
) -> Result<Write<StandardRow>, StoreError> {
    let mut tx = db.writer().begin().await?;
    let mut read = Sql::new("SELECT version, current_version FROM quality_standards WHERE id = ");
    read.bind(id);
    let Some(row) = read.query().fetch_optional(&mut *tx).await? else {
        return Ok(Write::NotFound);
    };
    let version: i64 = row.try_get("version")?;
    let current: i64 = row.try_get("current_version")?;
    if expected.is_some_and(|e| e != version) {
        return Ok(Write::Stale);
    }
    let next = if let Some(content) = new_content {
        let mut sql = Sql::new(
            "INSERT INTO quality_standard_versions (standard_id, version_no, body, created_by, create_time) VALUES (",
        );
        sql.bind(id)
            .push(", ")
            .bind(current + 1)
            .push(", ")
            .bind(encode(content))
            .push(", ")
            .bind(by)
            .push(", ")
            .bind(now)
            .push(")");
        sql.query().execute(&mut *tx).await?;
        current + 1
    } else {
        current
    };
    let mut sql = Sql::new("UPDATE quality_standards SET display_name = ");
    sql.bind(display_name)
        .push(", description = ")
        .bind(description)
        .push(", touchpoint_type = ")
        .bind(i64::from(touchpoint_type))
        .push(", current_version = ")
        .bind(next)
        .push(", update_time = ")
        .bind(now)
        .push(", version = version + 1 WHERE id = ")
        .bind(id)
        .push(" AND version = ")
        .bind(version);
    if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
        return Ok(Write::Stale);
    }
    tx.commit().await?;
    Ok(match get_standard(db, id).await? {
        Some(r) => Write::Done(r),
        None => Write::NotFound,
    })
}

/// One frozen version.
#[derive(Debug, Clone, FromRow)]
pub struct VersionRow {
    /// The standard.
    pub standard_id: String,
    /// Version number.
    pub version_no: i64,
    /// The content.
    #[sqlx(rename = "body", try_from = "Body")]
    pub content: pb::Standard,
    /// Who wrote it.
    pub created_by: String,
    /// Microseconds.
    pub create_time: i64,
}

/// Reads one version.
pub async fn get_version(
    db: &Database,
    id: &str,
    n: i64,
) -> Result<Option<VersionRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT standard_id, version_no, body, created_by, create_time FROM quality_standard_versions WHERE standard_id = ",
    );
    sql.bind(id).push(" AND version_no = ").bind(n);
    Ok(sql
        .query()
        .fetch_optional(db.reader())
        .await?
        .as_ref()
        .map(VersionRow::from_row)
        .transpose()?)
}

/// One page of versions, oldest first.
pub async fn list_versions(
    db: &Database,
    id: &str,
    after: Option<i64>,
    limit: i64,
) -> Result<Page<VersionRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT standard_id, version_no, body, created_by, create_time FROM quality_standard_versions WHERE standard_id = ",
    );
    sql.bind(id);
    if let Some(a) = after {
        sql.push(" AND version_no > ").bind(a);
    }
    sql.push(" ORDER BY version_no LIMIT ").bind(limit + 1);
    let rows = sql.query().fetch_all(db.reader()).await?;
    let rows = rows
        .iter()
        .map(VersionRow::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page(rows, limit, |r| r.version_no.to_string()))
}

// ---------------------------------------------------------------------------------
// Reports.

/// A stored report.
#[derive(Debug, Clone, FromRow)]
pub struct ReportRow {
    /// Id.
    pub id: String,
    /// The customer id, empty for none.
    pub customer_id: String,
    /// The agent's subject.
    pub agent: String,
    /// Row version (the etag).
    pub version: i64,
    /// The report (name, times and etag filled in by [`ReportRow::into_proto`]).
    #[sqlx(rename = "body", try_from = "Body")]
    pub report: pb::Report,
    /// Microseconds.
    pub create_time: i64,
    /// Microseconds.
    pub update_time: i64,
}

impl ReportRow {
    /// The report as clients see it.
    pub fn into_proto(self) -> pb::Report {
        let mut r = self.report;
        r.name = format!("reports/{}", self.id);
        r.create_time = Some(symbolon_platform::time::to_timestamp(self.create_time));
        r.update_time = Some(symbolon_platform::time::to_timestamp(self.update_time));
        r.etag = self.version.to_string();
        r
    }
}

const REPORT_COLUMNS: &str = "id, customer_id, agent, version, body, create_time, update_time";

/// What a report's indexed columns hold.
pub struct ReportKeys<'a> {
    /// Standard id.
    pub standard_id: &'a str,
    /// Version number.
    pub standard_version: i64,
    /// Conversation start, microseconds.
    pub conversation_time: i64,
}

/// Stores a new report (or returns the first one for a retried request key).
pub async fn insert_report(
    db: &Database,
    id: &str,
    report: &pb::Report,
    keys: ReportKeys<'_>,
    now: i64,
    request_key: Option<String>,
) -> Result<ReportRow, StoreError> {
    let c = report.conversation.clone().unwrap_or_default();
    let customer_id = c
        .customer
        .strip_prefix("customers/")
        .unwrap_or_default()
        .to_string();
    let mut tx = db.writer().begin().await?;
    let inserted = insert_once(
        &mut tx,
        "quality_reports",
        &[
            "id",
            "customer_id",
            "customer",
            "agent",
            "team",
            "standard_id",
            "standard_version",
            "conversation_id",
            "conversation_time",
            "score",
            "auto_failed",
            "review_state",
            "body",
            "create_time",
            "update_time",
        ],
        vec![
            id.into(),
            customer_id.into(),
            c.customer.clone().into(),
            c.agent.clone().into(),
            c.team.clone().into(),
            keys.standard_id.into(),
            keys.standard_version.into(),
            c.conversation_id.clone().into(),
            keys.conversation_time.into(),
            report.score.into(),
            i64::from(report.auto_failed).into(),
            i64::from(report.review_state).into(),
            encode(report).into(),
            now.into(),
            now.into(),
        ],
        request_key.clone(),
    )
    .await?;
    tx.commit().await?;
    let id = if inserted {
        id.to_string()
    } else {
        id_by_request_key(
            db,
            "quality_reports",
            request_key.as_deref().unwrap_or_default(),
        )
        .await?
        .unwrap_or_default()
    };
    get_report(db, &id)
        .await?
        .ok_or_else(|| StoreError::Other(sqlx::Error::RowNotFound))
}

/// Reads a report.
pub async fn get_report(db: &Database, id: &str) -> Result<Option<ReportRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {REPORT_COLUMNS} FROM quality_reports WHERE id = "
    ));
    sql.bind(id);
    Ok(sql
        .query()
        .fetch_optional(db.reader())
        .await?
        .as_ref()
        .map(ReportRow::from_row)
        .transpose()?)
}

fn review_state(name: &str) -> Option<i32> {
    pb::ReviewState::from_str_name(name).map(|s| s as i32)
}

const REPORT_FILTER: &[Field] = &[
    Field {
        name: "agent",
        column: "agent",
        kind: Kind::Text,
    },
    Field {
        name: "team",
        column: "team",
        kind: Kind::Text,
    },
    Field {
        name: "customer",
        column: "customer",
        kind: Kind::Text,
    },
    Field {
        name: "review_state",
        column: "review_state",
        kind: Kind::Enum(review_state, "REVIEW_STATE_"),
    },
];

/// Who may see which reports, as conditions of the query.
#[derive(Debug, Default)]
pub struct ReportScope {
    /// Only this customer's.
    pub customer_id: Option<String>,
    /// Only this agent's.
    pub agent: Option<String>,
}

/// One page of reports in id order.
pub async fn list_reports(
    db: &Database,
    scope: &ReportScope,
    filter_text: &str,
    after: Option<String>,
    limit: i64,
) -> Result<Result<Page<ReportRow>, FilterError>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {REPORT_COLUMNS} FROM quality_reports WHERE 1 = 1"
    ));
    if let Some(c) = &scope.customer_id {
        sql.push(" AND customer_id = ").bind(c.clone());
    }
    if let Some(a) = &scope.agent {
        sql.push(" AND agent = ").bind(a.clone());
    }
    if let Err(e) = filter::apply(filter_text, REPORT_FILTER, &mut sql) {
        return Ok(Err(e));
    }
    if let Some(a) = after {
        sql.push(" AND id > ").bind(a);
    }
    sql.push(" ORDER BY id LIMIT ").bind(limit + 1);
    let rows = sql.query().fetch_all(db.reader()).await?;
    let rows = rows
        .iter()
        .map(ReportRow::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Ok(page(rows, limit, |r| r.id.clone())))
}

/// Replaces a report's body if its version is still `expected`.
pub async fn update_report(
    db: &Database,
    id: &str,
    expected: i64,
    report: &pb::Report,
    now: i64,
) -> Result<Write<ReportRow>, StoreError> {
    let mut sql = Sql::new("UPDATE quality_reports SET body = ");
    sql.bind(encode(report))
        .push(", score = ")
        .bind(report.score)
        .push(", auto_failed = ")
        .bind(i64::from(report.auto_failed))
        .push(", review_state = ")
        .bind(i64::from(report.review_state))
        .push(", update_time = ")
        .bind(now)
        .push(", version = version + 1 WHERE id = ")
        .bind(id)
        .push(" AND version = ")
        .bind(expected);
    if sql.query().execute(db.writer()).await?.rows_affected() == 0 {
        return Ok(match get_report(db, id).await? {
            Some(_) => Write::Stale,
            None => Write::NotFound,
        });
    }
    Ok(match get_report(db, id).await? {
        Some(r) => Write::Done(r),
        None => Write::NotFound,
    })
}

/// Reports for roll-ups, at most `cap`: by `column` (`agent` or `team`) equal to
/// `value` with the conversation in [start, end), or of one standard with a given
/// review state.
pub async fn reports_for(
    db: &Database,
    column: &'static str,
    value: &str,
    start: i64,
    end: i64,
    cap: i64,
) -> Result<Vec<pb::Report>, StoreError> {
    let mut sql = Sql::new("SELECT body FROM quality_reports WHERE ");
    sql.push(column)
        .push(" = ")
        .bind(value)
        .push(" AND conversation_time >= ")
        .bind(start)
        .push(" AND conversation_time < ")
        .bind(end)
        .push(" ORDER BY conversation_time LIMIT ")
        .bind(cap);
    let rows = sql.query().fetch_all(db.reader()).await?;
    Ok(rows
        .iter()
        .map(|r| decode(&r.try_get::<String, _>("body")?))
        .collect::<Result<Vec<_>, sqlx::Error>>()?)
}

/// Reviewed reports of a standard created in [start, end), at most `cap`.
pub async fn reviewed_reports(
    db: &Database,
    standard_id: &str,
    start: i64,
    end: i64,
    cap: i64,
) -> Result<Vec<pb::Report>, StoreError> {
    let mut sql = Sql::new("SELECT body FROM quality_reports WHERE standard_id = ");
    sql.bind(standard_id)
        .push(" AND review_state = ")
        .bind(pb::ReviewState::Reviewed as i64)
        .push(" AND create_time >= ")
        .bind(start)
        .push(" AND create_time < ")
        .bind(end)
        .push(" ORDER BY id LIMIT ")
        .bind(cap);
    let rows = sql.query().fetch_all(db.reader()).await?;
    Ok(rows
        .iter()
        .map(|r| decode(&r.try_get::<String, _>("body")?))
        .collect::<Result<Vec<_>, sqlx::Error>>()?)
}

// ---------------------------------------------------------------------------------
// Disputes.

/// A stored dispute.
#[derive(Debug, Clone, FromRow)]
pub struct DisputeRow {
    /// Id.
    pub id: String,
    /// The report.
    pub report_id: String,
    /// The dispute (name filled in by [`DisputeRow::into_proto`]).
    #[sqlx(rename = "body", try_from = "Body")]
    pub dispute: pb::Dispute,
}

impl DisputeRow {
    /// The dispute as clients see it.
    pub fn into_proto(self) -> pb::Dispute {
        let mut d = self.dispute;
        d.name = format!("reports/{}/disputes/{}", self.report_id, self.id);
        d
    }
}

/// Stores a dispute and puts its report back in the review queue, atomically.
pub async fn insert_dispute(
    db: &Database,
    id: &str,
    report_id: &str,
    dispute: &pb::Dispute,
    report: (&pb::Report, i64),
    now: i64,
    request_key: Option<String>,
) -> Result<Write<DisputeRow>, StoreError> {
    let mut tx = db.writer().begin().await?;
    let inserted = insert_once(
        &mut tx,
        "quality_disputes",
        &[
            "id",
            "report_id",
            "agent",
            "state",
            "body",
            "create_time",
            "update_time",
        ],
        vec![
            id.into(),
            report_id.into(),
            dispute.raised_by.clone().into(),
            i64::from(dispute.state).into(),
            encode(dispute).into(),
            now.into(),
            now.into(),
        ],
        request_key.clone(),
    )
    .await?;
    let id = if inserted {
        let (r, expected) = report;
        let mut sql = Sql::new("UPDATE quality_reports SET body = ");
        sql.bind(encode(r))
            .push(", review_state = ")
            .bind(i64::from(r.review_state))
            .push(", update_time = ")
            .bind(now)
            .push(", version = version + 1 WHERE id = ")
            .bind(report_id)
            .push(" AND version = ")
            .bind(expected);
        if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(Write::Stale);
        }
        tx.commit().await?;
        id.to_string()
    } else {
        tx.rollback().await?;
        id_by_request_key(
            db,
            "quality_disputes",
            request_key.as_deref().unwrap_or_default(),
        )
        .await?
        .unwrap_or_default()
    };
    Ok(match get_dispute(db, report_id, &id).await? {
        Some(d) => Write::Done(d),
        None => Write::NotFound,
    })
}

/// Reads a dispute of a report.
pub async fn get_dispute(
    db: &Database,
    report_id: &str,
    id: &str,
) -> Result<Option<DisputeRow>, StoreError> {
    let mut sql = Sql::new("SELECT id, report_id, body FROM quality_disputes WHERE report_id = ");
    sql.bind(report_id).push(" AND id = ").bind(id);
    Ok(sql
        .query()
        .fetch_optional(db.reader())
        .await?
        .as_ref()
        .map(DisputeRow::from_row)
        .transpose()?)
}

fn dispute_state(name: &str) -> Option<i32> {
    pb::DisputeState::from_str_name(name).map(|s| s as i32)
}

const DISPUTE_FILTER: &[Field] = &[
    Field {
        name: "state",
        column: "state",
        kind: Kind::Enum(dispute_state, "DISPUTE_STATE_"),
    },
    Field {
        name: "agent",
        column: "agent",
        kind: Kind::Text,
    },
];

/// One page of disputes (of one report, or all), restricted to `agent` when given.
pub async fn list_disputes(
    db: &Database,
    report_id: Option<&str>,
    agent: Option<&str>,
    filter_text: &str,
    after: Option<String>,
    limit: i64,
) -> Result<Result<Page<DisputeRow>, FilterError>, StoreError> {
    let mut sql = Sql::new("SELECT id, report_id, body FROM quality_disputes WHERE 1 = 1");
    if let Some(r) = report_id {
        sql.push(" AND report_id = ").bind(r);
    }
    if let Some(a) = agent {
        sql.push(" AND agent = ").bind(a);
    }
    if let Err(e) = filter::apply(filter_text, DISPUTE_FILTER, &mut sql) {
        return Ok(Err(e));
    }
    if let Some(a) = after {
        sql.push(" AND id > ").bind(a);
    }
    sql.push(" ORDER BY id LIMIT ").bind(limit + 1);
    let rows = sql.query().fetch_all(db.reader()).await?;
    let rows = rows
        .iter()
        .map(DisputeRow::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Ok(page(rows, limit, |r| r.id.clone())))
}

/// Resolves an open dispute and writes the report it changes, atomically.
pub async fn resolve_dispute(
    db: &Database,
    d: &DisputeRow,
    report: (&pb::Report, i64),
    now: i64,
) -> Result<Write<DisputeRow>, StoreError> {
    let mut tx = db.writer().begin().await?;
    let mut sql = Sql::new("UPDATE quality_disputes SET state = ");
    sql.bind(i64::from(d.dispute.state))
        .push(", body = ")
        .bind(encode(&d.dispute))
        .push(", update_time = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(d.id.clone())
        .push(" AND state = ")
        .bind(pb::DisputeState::Open as i64);
    if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(Write::Stale);
    }
    let (r, expected) = report;
    let mut sql = Sql::new("UPDATE quality_reports SET body = ");
    sql.bind(encode(r))
        .push(", score = ")
        .bind(r.score)
        .push(", auto_failed = ")
        .bind(i64::from(r.auto_failed))
        .push(", review_state = ")
        .bind(i64::from(r.review_state))
        .push(", update_time = ")
        .bind(now)
        .push(", version = version + 1 WHERE id = ")
        .bind(d.report_id.clone())
        .push(" AND version = ")
        .bind(expected);
    if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(Write::Stale);
    }
    tx.commit().await?;
    Ok(match get_dispute(db, &d.report_id, &d.id).await? {
        Some(d) => Write::Done(d),
        None => Write::NotFound,
    })
}

/// Open disputes of a report.
pub async fn open_disputes(db: &Database, report_id: &str) -> Result<i64, StoreError> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM quality_disputes WHERE report_id = ");
    sql.bind(report_id)
        .push(" AND state = ")
        .bind(pb::DisputeState::Open as i64);
    let row = sql.query().fetch_one(db.reader()).await?;
    Ok(row.try_get("n")?)
}

// ---------------------------------------------------------------------------------
// Templates, experiments, outcomes: bodies with a few indexed columns.

/// Inserts a body row (`templates` or `experiments`); returns the id now holding it.
pub async fn insert_body(
    db: &Database,
    table: &'static str,
    id: &str,
    extra: (&'static str, String),
    body: String,
    now: i64,
    request_key: Option<String>,
) -> Result<String, StoreError> {
    let mut tx = db.writer().begin().await?;
    let inserted = insert_once(
        &mut tx,
        table,
        &["id", extra.0, "body", "create_time"],
        vec![id.into(), extra.1.into(), body.into(), now.into()],
        request_key.clone(),
    )
    .await?;
    tx.commit().await?;
    if inserted {
        return Ok(id.to_string());
    }
    Ok(
        id_by_request_key(db, table, request_key.as_deref().unwrap_or_default())
            .await?
            .unwrap_or_default(),
    )
}

/// Reads a body row: (body, create_time).
pub async fn get_body(
    db: &Database,
    table: &'static str,
    id: &str,
) -> Result<Option<(String, i64)>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT body, create_time FROM {table} WHERE id = "
    ));
    sql.bind(id);
    Ok(match sql.query().fetch_optional(db.reader()).await? {
        Some(r) => Some((r.try_get("body")?, r.try_get("create_time")?)),
        None => None,
    })
}

/// One page of templates: (id, body, create_time).
pub async fn list_templates(
    db: &Database,
    filter_text: &str,
    after: Option<String>,
    limit: i64,
) -> Result<Result<Page<(String, String, i64)>, FilterError>, StoreError> {
    const FIELDS: &[Field] = &[Field {
        name: "scenario",
        column: "scenario",
        kind: Kind::Text,
    }];
    let mut sql = Sql::new("SELECT id, body, create_time FROM quality_templates WHERE 1 = 1");
    if let Err(e) = filter::apply(filter_text, FIELDS, &mut sql) {
        return Ok(Err(e));
    }
    if let Some(a) = after {
        sql.push(" AND id > ").bind(a);
    }
    sql.push(" ORDER BY id LIMIT ").bind(limit + 1);
    let rows = sql.query().fetch_all(db.reader()).await?;
    let rows = rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("body")?,
                r.try_get("create_time")?,
            ))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Ok(page(rows, limit, |r| r.0.clone())))
}

/// Records an outcome; `Ok(None)` when the conversation already has one (from another
/// request).
pub async fn insert_outcome(
    db: &Database,
    experiment_id: &str,
    o: &pb::Outcome,
    now: i64,
    request_key: Option<String>,
) -> Result<Option<pb::Outcome>, StoreError> {
    if let Some(k) = &request_key
        && let Some(id) = id_by_request_key(db, "quality_outcomes", k).await?
    {
        return get_outcome(db, &id).await;
    }
    let id = symbolon_platform::names::new_id();
    let mut sql = Sql::new(
        "INSERT INTO quality_outcomes (id, experiment_id, conversation_id, customer_key, variant_id, has_qa_score, qa_score, has_csat, csat, has_resolved, resolved, create_time, request_key) VALUES (",
    );
    let vals: Vec<Value> = vec![
        id.clone().into(),
        experiment_id.into(),
        o.conversation_id.clone().into(),
        o.customer_key.clone().into(),
        o.variant_id.clone().into(),
        i64::from(o.qa_score.is_some()).into(),
        o.qa_score.unwrap_or_default().into(),
        i64::from(o.csat.is_some()).into(),
        i64::from(o.csat.unwrap_or_default()).into(),
        i64::from(o.resolved.is_some()).into(),
        i64::from(o.resolved.unwrap_or_default()).into(),
        now.into(),
        request_key.into(),
    ];
    let n = vals.len();
    for (k, v) in vals.into_iter().enumerate() {
        sql.bind(v);
        sql.push(if k + 1 < n { ", " } else { ")" });
    }
    sql.push(" ON CONFLICT DO NOTHING");
    if sql.query().execute(db.writer()).await?.rows_affected() == 0 {
        return Ok(None);
    }
    get_outcome(db, &id).await
}

const OUTCOME_COLUMNS: &str = "conversation_id, customer_key, variant_id, has_qa_score, qa_score, has_csat, csat, has_resolved, resolved, create_time";

/// An outcome's row; `has_*` flag the optional figures.
#[derive(FromRow)]
struct OutcomeRow {
    conversation_id: String,
    customer_key: String,
    variant_id: String,
    has_qa_score: i64,
    qa_score: f64,
    has_csat: i64,
    csat: i64,
    has_resolved: i64,
    resolved: i64,
    create_time: i64,
}

impl OutcomeRow {
    fn into_proto(self) -> pb::Outcome {
        pb::Outcome {
            conversation_id: self.conversation_id,
            customer_key: self.customer_key,
            variant_id: self.variant_id,
            qa_score: (self.has_qa_score != 0).then_some(self.qa_score),
            csat: (self.has_csat != 0).then_some(self.csat as i32),
            resolved: (self.has_resolved != 0).then_some(self.resolved != 0),
            create_time: Some(symbolon_platform::time::to_timestamp(self.create_time)),
        }
    }
}

fn outcome_row(r: &AnyRow) -> Result<pb::Outcome, sqlx::Error> {
    OutcomeRow::from_row(r).map(OutcomeRow::into_proto)
}

async fn get_outcome(db: &Database, id: &str) -> Result<Option<pb::Outcome>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {OUTCOME_COLUMNS} FROM quality_outcomes WHERE id = "
    ));
    sql.bind(id);
    Ok(sql
        .query()
        .fetch_optional(db.reader())
        .await?
        .as_ref()
        .map(outcome_row)
        .transpose()?)
}

/// Every outcome of an experiment (at most `cap`).
pub async fn outcomes(
    db: &Database,
    experiment_id: &str,
    cap: i64,
) -> Result<Vec<pb::Outcome>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {OUTCOME_COLUMNS} FROM quality_outcomes WHERE experiment_id = "
    ));
    sql.bind(experiment_id)
        .push(" ORDER BY id LIMIT ")
        .bind(cap);
    let rows = sql.query().fetch_all(db.reader()).await?;
    Ok(rows
        .iter()
        .map(outcome_row)
        .collect::<Result<Vec<_>, _>>()?)
}
