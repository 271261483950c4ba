//! Inspection reports (`quality_reports`) and the disputes raised on them
//! (`quality_disputes`).

use super::body;
use super::{DisputeState, Keyed, ReviewState, filtered_page, insert_keyed, written};
use sqlx::{FromRow, Row};
use symbolon_platform::{
    Database, StoreError,
    db::Sql,
    filter::{Field, FilterError, Kind},
    table::{Page, Write},
};

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
    /// The report, encoded.
    #[sqlx(rename = "body_bytes")]
    pub body: Vec<u8>,
    /// Microseconds.
    pub create_time: i64,
    /// Microseconds.
    pub update_time: i64,
}

const REPORT_COLUMNS: &str =
    "id, customer_id, agent, version, body_bytes, create_time, update_time";

/// A new report's columns.
#[derive(Debug, Clone, Copy)]
pub struct NewReport<'a> {
    /// The customer id, empty for none.
    pub customer_id: &'a str,
    /// The customer's name (`customers/{c}`), empty for none.
    pub customer: &'a str,
    /// The agent's subject.
    pub agent: &'a str,
    /// The agent's team.
    pub team: &'a str,
    /// Standard id.
    pub standard_id: &'a str,
    /// Version number.
    pub standard_version: i64,
    /// The conversation's id.
    pub conversation_id: &'a str,
    /// Conversation start, microseconds.
    pub conversation_time: i64,
    /// What a report's changes may change.
    pub scores: ReportScores<'a>,
}

/// What reviews and disputes change on a report: its body and the columns drawn from it.
#[derive(Debug, Clone, Copy)]
pub struct ReportScores<'a> {
    /// Score.
    pub score: f64,
    /// Auto-failed.
    pub auto_failed: bool,
    /// Where it is in review.
    pub review_state: ReviewState,
    /// The report, encoded.
    pub body: &'a [u8],
}

/// Stores a new report (or returns the first one for a retried request key).
pub async fn insert_report(
    db: &Database,
    id: &str,
    r: &NewReport<'_>,
    now: i64,
    request_key: Option<String>,
) -> Result<ReportRow, StoreError> {
    let mut columns = vec![
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
        "create_time",
        "update_time",
    ];
    columns.extend_from_slice(body::COLUMNS);
    let mut values = vec![
        id.into(),
        r.customer_id.into(),
        r.customer.into(),
        r.agent.into(),
        r.team.into(),
        r.standard_id.into(),
        r.standard_version.into(),
        r.conversation_id.into(),
        r.conversation_time.into(),
        r.scores.score.into(),
        i64::from(r.scores.auto_failed).into(),
        r.scores.review_state.code().into(),
        now.into(),
        now.into(),
    ];
    values.extend(body::values(r.scores.body));
    let id = match insert_keyed(db, "quality_reports", &columns, values, request_key).await? {
        Keyed::New(tx) => {
            tx.commit().await?;
            id.to_string()
        }
        Keyed::Before(id) => id,
    };
    written(get_report(db, &id).await?)
}

/// Reads a report.
pub async fn get_report(db: &Database, id: &str) -> Result<Option<ReportRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {REPORT_COLUMNS} FROM quality_reports WHERE id = "
    ));
    sql.bind(id);
    sql.read_one::<ReportRow>(db).await
}

const REPORT_FILTER: &[Field] = &[
    Field::column("agent", Kind::Text),
    Field::column("team", Kind::Text),
    Field::column("customer", Kind::Text),
    Field::column(
        "review_state",
        Kind::Enum(ReviewState::number_of, "REVIEW_STATE_"),
    ),
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
    filtered_page(
        db,
        sql,
        (filter_text, REPORT_FILTER),
        after,
        limit,
        |r: &ReportRow| r.id.clone(),
    )
    .await
}

/// The UPDATE writing `s` into report `id` if its version is still `expected`.
fn report_update(id: &str, expected: i64, s: &ReportScores<'_>, now: i64) -> Sql {
    let mut sql = Sql::new("UPDATE quality_reports SET ");
    body::set(&mut sql, s.body);
    sql.push(", score = ")
        .bind(s.score)
        .push(", auto_failed = ")
        .bind(i64::from(s.auto_failed))
        .push(", review_state = ")
        .bind(s.review_state.code())
        .push(", update_time = ")
        .bind(now)
        .push(", version = version + 1 WHERE id = ")
        .bind(id)
        .push(" AND version = ")
        .bind(expected);
    sql
}

/// Replaces a report's body if its version is still `expected`.
pub async fn update_report(
    db: &Database,
    id: &str,
    expected: i64,
    scores: &ReportScores<'_>,
    now: i64,
) -> Result<Write<ReportRow>, StoreError> {
    let sql = report_update(id, expected, scores, now);
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

/// A report body read for a roll-up.
#[derive(FromRow)]
struct BodyOnly {
    #[sqlx(rename = "body_bytes")]
    body: Vec<u8>,
}

async fn bodies(db: &Database, sql: Sql) -> Result<Vec<Vec<u8>>, StoreError> {
    let rows = sql.query().fetch_all(db.reader()).await?;
    Ok(rows
        .iter()
        .map(|r| BodyOnly::from_row(r).map(|b| b.body))
        .collect::<Result<Vec<_>, sqlx::Error>>()?)
}

/// Which reports a roll-up groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// An agent's (by subject).
    Agent,
    /// A team's.
    Team,
}

/// Encoded reports for roll-ups, at most `cap`: of one agent or team, with the
/// conversation in [start, end).
pub async fn reports_for(
    db: &Database,
    by: GroupBy,
    value: &str,
    start: i64,
    end: i64,
    cap: i64,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let column = match by {
        GroupBy::Agent => "agent",
        GroupBy::Team => "team",
    };
    let mut sql = Sql::new("SELECT body_bytes FROM quality_reports WHERE ");
    sql.push(column)
        .push(" = ")
        .bind(value)
        .push(" AND conversation_time >= ")
        .bind(start)
        .push(" AND conversation_time < ")
        .bind(end)
        .push(" ORDER BY conversation_time LIMIT ")
        .bind(cap);
    bodies(db, sql).await
}

/// Encoded reviewed reports of a standard created in [start, end), at most `cap`.
pub async fn reviewed_reports(
    db: &Database,
    standard_id: &str,
    start: i64,
    end: i64,
    cap: i64,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut sql = Sql::new("SELECT body_bytes FROM quality_reports WHERE standard_id = ");
    sql.bind(standard_id)
        .push(" AND review_state = ")
        .bind(ReviewState::Reviewed.code())
        .push(" AND create_time >= ")
        .bind(start)
        .push(" AND create_time < ")
        .bind(end)
        .push(" ORDER BY id LIMIT ")
        .bind(cap);
    bodies(db, sql).await
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
    /// The dispute, encoded.
    #[sqlx(rename = "body_bytes")]
    pub body: Vec<u8>,
}

const DISPUTE_COLUMNS: &str = "id, report_id, body_bytes";

/// A new dispute's columns.
#[derive(Debug, Clone, Copy)]
pub struct NewDispute<'a> {
    /// Who raised it.
    pub agent: &'a str,
    /// Its state.
    pub state: DisputeState,
    /// The dispute, encoded.
    pub body: &'a [u8],
}

/// Stores a dispute and puts its report back in the review queue (`report`, if its
/// version is still `expected`), atomically.
pub async fn insert_dispute(
    db: &Database,
    id: &str,
    report_id: &str,
    dispute: &NewDispute<'_>,
    (report, expected): (&ReportScores<'_>, i64),
    now: i64,
    request_key: Option<String>,
) -> Result<Write<DisputeRow>, StoreError> {
    let mut columns = vec![
        "id",
        "report_id",
        "agent",
        "state",
        "create_time",
        "update_time",
    ];
    columns.extend_from_slice(body::COLUMNS);
    let mut values = vec![
        id.into(),
        report_id.into(),
        dispute.agent.into(),
        dispute.state.code().into(),
        now.into(),
        now.into(),
    ];
    values.extend(body::values(dispute.body));
    let id = match insert_keyed(db, "quality_disputes", &columns, values, request_key).await? {
        Keyed::New(mut tx) => {
            let sql = report_update(report_id, expected, report, now);
            if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(Write::Stale);
            }
            tx.commit().await?;
            id.to_string()
        }
        Keyed::Before(id) => id,
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
    let mut sql = Sql::new(&format!(
        "SELECT {DISPUTE_COLUMNS} FROM quality_disputes WHERE report_id = "
    ));
    sql.bind(report_id).push(" AND id = ").bind(id);
    sql.read_one::<DisputeRow>(db).await
}

const DISPUTE_FILTER: &[Field] = &[
    Field::column(
        "state",
        Kind::Enum(DisputeState::number_of, "DISPUTE_STATE_"),
    ),
    Field::column("agent", Kind::Text),
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
    let mut sql = Sql::new(&format!(
        "SELECT {DISPUTE_COLUMNS} FROM quality_disputes WHERE 1 = 1"
    ));
    if let Some(r) = report_id {
        sql.push(" AND report_id = ").bind(r);
    }
    if let Some(a) = agent {
        sql.push(" AND agent = ").bind(a);
    }
    filtered_page(
        db,
        sql,
        (filter_text, DISPUTE_FILTER),
        after,
        limit,
        |r: &DisputeRow| r.id.clone(),
    )
    .await
}

/// Resolves open dispute `id` of `report_id` (its new state and body) and writes the
/// report it changes (if its version is still `expected`), atomically.
#[allow(clippy::too_many_arguments)]
pub async fn resolve_dispute(
    db: &Database,
    report_id: &str,
    id: &str,
    state: DisputeState,
    dispute: &[u8],
    (report, expected): (&ReportScores<'_>, i64),
    now: i64,
) -> Result<Write<DisputeRow>, StoreError> {
    let mut tx = db.writer().begin().await?;
    let mut sql = Sql::new("UPDATE quality_disputes SET state = ");
    sql.bind(state.code()).push(", ");
    body::set(&mut sql, dispute);
    sql.push(", update_time = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND state = ")
        .bind(DisputeState::Open.code());
    if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(Write::Stale);
    }
    let sql = report_update(report_id, expected, report, now);
    if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(Write::Stale);
    }
    tx.commit().await?;
    Ok(match get_dispute(db, report_id, id).await? {
        Some(d) => Write::Done(d),
        None => Write::NotFound,
    })
}

/// Open disputes of a report.
pub async fn open_disputes(db: &Database, report_id: &str) -> Result<i64, StoreError> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM quality_disputes WHERE report_id = ");
    sql.bind(report_id)
        .push(" AND state = ")
        .bind(DisputeState::Open.code());
    let row = sql.query().fetch_one(db.reader()).await?;
    Ok(row.try_get("n")?)
}
