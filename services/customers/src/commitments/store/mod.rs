//! Commitment rows, their coverage and status history, and creation (one transaction:
//! the commitment, its coverage, any risk events that arrived first, its first status
//! change). A risk event's transaction is `risk.rs`; a breach's, `breach.rs`. Clauses
//! are kept encoded (`api/clauses.rs` encodes and decodes them) in `clauses_bytes`
//! (BYTEA / BLOB, migration 0018); during the rollout of the release that added it,
//! creates also write `clauses`, the hex TEXT earlier releases read, which the next
//! release drops (expand, then contract: `docs/operations.md`).

pub(crate) mod breach;
pub(crate) mod risk;

use sqlx::{Any, Row, Transaction, any::AnyRow};
use std::collections::HashMap;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{
    Database, StoreError,
    db::{Backend, Sql},
    filter::{Field, Kind},
    table,
};

/// Stored status codes: the published enum's numbers (`api/convert.rs` checks them).
pub(crate) mod code {
    pub(crate) const UNSPECIFIED: i32 = 0;
    pub(crate) const HEALTHY: i32 = 1;
    pub(crate) const AT_RISK: i32 = 2;
    pub(crate) const BREACHED: i32 = 3;
}

/// A commitment.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CommitmentRow {
    pub(crate) id: String,
    pub(crate) customer_id: String,
    pub(crate) display_name: String,
    /// Encoded (`api/clauses.rs`); read from its column by `from_row`.
    #[sqlx(skip)]
    pub(crate) clauses: Vec<u8>,
    #[sqlx(try_from = "i64")]
    pub(crate) status: i32,
    pub(crate) status_reason: String,
    #[sqlx(skip)]
    pub(crate) risk_accepted: bool,
    pub(crate) created_by: String,
    pub(crate) create_time: i64,
    pub(crate) update_time: i64,
    pub(crate) version: i64,
}

fn status_of(s: &str) -> Option<i32> {
    pb::CommitmentStatus::from_str_name(s).map(|v| v as i32)
}

symbolon_platform::table!(
    CommitmentRow,
    "commitments",
    "customer_id",
    "id, customer_id, display_name, clauses_bytes, status, status_reason, \
        risk_accepted, created_by, create_time, update_time, version",
    false,
    id: id,
    filter: &[Field::column("status", Kind::Enum(status_of, "COMMITMENT_STATUS_"))],
    fill: clauses_and_flag
);

/// The clauses' bytes, and `risk_accepted` (a 0/1 integer).
fn clauses_and_flag(r: &mut CommitmentRow, row: &AnyRow) -> Result<(), sqlx::Error> {
    r.clauses = clauses_of(row)?;
    r.risk_accepted = table::flag(row, "risk_accepted")?;
    Ok(())
}

impl CommitmentRow {
    pub(crate) fn name(&self) -> String {
        format!("customers/{}/commitments/{}", self.customer_id, self.id)
    }
}

/// One status change.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct StatusChangeRow {
    pub(crate) id: String,
    pub(crate) customer_id: String,
    pub(crate) commitment_id: String,
    #[sqlx(try_from = "i64")]
    pub(crate) previous_status: i32,
    #[sqlx(try_from = "i64")]
    pub(crate) status: i32,
    pub(crate) reason: String,
    pub(crate) risk_sequence: i64,
    pub(crate) change_time: i64,
}

symbolon_platform::table!(
    StatusChangeRow,
    "commitment_status_changes",
    "commitment_key",
    "id, customer_id, commitment_id, previous_status, status, reason, \
        risk_sequence, change_time",
    false,
    id: id
);

/// One (clause, site) of a commitment: the promise assessed at creation and what holds
/// now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CoverageRow {
    pub(crate) commitment_id: String,
    pub(crate) registration: String,
    #[sqlx(try_from = "i64")]
    pub(crate) clause: i32,
    pub(crate) site: String,
    pub(crate) covered: i64,
    pub(crate) best_arrival: Option<i64>,
    pub(crate) best_depot: String,
    #[sqlx(try_from = "i64")]
    pub(crate) redundancy: i32,
    pub(crate) promised_place: String,
    pub(crate) promised_within: i64,
    pub(crate) current_depot: String,
    pub(crate) current_place: String,
    pub(crate) current_arrival: Option<i64>,
    pub(crate) current_within: i64,
    /// 0 for rows written before present-tense coverage: they hold only the promise.
    pub(crate) assess_time: i64,
}

/// The coverage rows of the commitments `ids` of `customer_id`, by commitment, each in
/// clause and site order: one statement for a whole page of commitments.
pub(crate) async fn coverage(
    db: &Database,
    customer_id: &str,
    ids: &[&str],
) -> Result<HashMap<String, Vec<CoverageRow>>, StoreError> {
    let mut out: HashMap<String, Vec<CoverageRow>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut q = Sql::new(
        "SELECT commitment_id, registration, clause, site, covered, best_arrival, best_depot, \
         redundancy, promised_place, promised_within, current_depot, current_place, \
         current_arrival, current_within, assess_time FROM commitment_coverage WHERE customer_id = ",
    );
    q.bind(customer_id)
        .push(" AND commitment_id IN (")
        .bind_list(ids.iter().map(|id| (*id).into()))
        .push(") ORDER BY commitment_id, clause, site");
    for r in q.query().fetch_all(db.reader()).await? {
        let row = <CoverageRow as sqlx::FromRow<'_, AnyRow>>::from_row(&r)?;
        out.entry(row.commitment_id.clone()).or_default().push(row);
    }
    Ok(out)
}

/// The commitment created under `request_key`, if any.
pub(crate) async fn by_request_key(
    db: &Database,
    request_key: &str,
) -> Result<Option<CommitmentRow>, StoreError> {
    table::by_request_key::<CommitmentRow>(db, request_key).await
}

/// A checked commitment to create, with its registered coverage.
pub(crate) struct NewCommitment<'a> {
    pub(crate) id: &'a str,
    pub(crate) customer_id: &'a str,
    pub(crate) display_name: &'a str,
    /// Encoded (`api/clauses.rs`).
    pub(crate) clauses: Vec<u8>,
    /// The spare-parts promises among them, whose open requests are checked sooner.
    pub(crate) promises: Vec<breach::Promise>,
    pub(crate) risk_accepted: bool,
    pub(crate) created_by: &'a str,
    pub(crate) request_key: Option<String>,
    pub(crate) coverage: Vec<NewCoverage>,
}

/// One (clause, site) as registered with the supply-chain service.
pub(crate) struct NewCoverage {
    pub(crate) registration: String,
    pub(crate) clause: i64,
    pub(crate) site: String,
    pub(crate) covered: bool,
    pub(crate) best_arrival: Option<i64>,
    pub(crate) best_depot: String,
    pub(crate) best_place: String,
    pub(crate) within_window: bool,
    pub(crate) redundancy: i64,
}

/// Creates a commitment with its coverage, absorbs risk events that arrived for its
/// registrations first, and records its first status: HEALTHY if every site is covered
/// now, else AT_RISK, with the reason `reason_of` gives for the sites not covered. A
/// concurrent retry with the same request key that won writes nothing more here. The
/// commitment as stored.
pub(crate) async fn create(
    db: &Database,
    new: NewCommitment<'_>,
    reason_of: impl FnOnce(&[String]) -> String,
    now: i64,
) -> Result<Option<CommitmentRow>, StoreError> {
    let mut tx = db.writer().begin().await?;
    if db.backend() == Backend::Postgres {
        // Waits for a risk event being applied (it holds the cursor row) and makes
        // the consumer wait for this create, so an event for these registrations
        // is either absorbed from the pending table here or applied after commit.
        // Creates only share the lock, so they do not wait for each other. (SQLite
        // has one writer: transactions never overlap.)
        sqlx::query("SELECT sequence FROM commitment_risk_cursor WHERE id = 1 FOR SHARE")
            .execute(&mut *tx)
            .await?;
    }
    let mut insert = Sql::new(
        "INSERT INTO commitments (id, customer_id, display_name, clauses, clauses_bytes, status, status_reason, \
         risk_accepted, created_by, create_time, update_time, version, last_change, request_key) VALUES (",
    );
    insert
        .bind_list([
            new.id.into(),
            new.customer_id.into(),
            new.display_name.into(),
            hex(&new.clauses).into(),
            new.clauses.as_slice().into(),
            i64::from(code::UNSPECIFIED).into(),
        ])
        .push(", '', ")
        .bind_list([
            i64::from(new.risk_accepted).into(),
            new.created_by.into(),
            now.into(),
            now.into(),
        ])
        .push(", 1, 0, ")
        .bind(new.request_key.clone())
        .push(") ON CONFLICT (request_key) DO NOTHING");
    let inserted = insert.query().execute(&mut *tx).await?.rows_affected() == 1;
    if !inserted {
        // A concurrent retry with the same request id won.
        tx.rollback().await?;
        return by_request_key(db, new.request_key.as_deref().unwrap_or_default()).await;
    }
    for c in &new.coverage {
        let mut q = Sql::new(
            "INSERT INTO commitment_coverage (registration, customer_id, commitment_id, clause, site, \
             covered, best_arrival, best_depot, redundancy, risk_sequence, promised_place, \
             promised_within, current_depot, current_place, current_arrival, current_within, \
             assess_time) VALUES (",
        );
        q.bind_list([
            c.registration.as_str().into(),
            new.customer_id.into(),
            new.id.into(),
            c.clause.into(),
            c.site.as_str().into(),
            i64::from(c.covered).into(),
            c.best_arrival.into(),
            c.best_depot.as_str().into(),
            c.redundancy.into(),
        ])
        .push(", 0, ")
        .bind_list([
            c.best_place.as_str().into(),
            i64::from(c.within_window).into(),
            c.best_depot.as_str().into(),
            c.best_place.as_str().into(),
            c.best_arrival.into(),
            i64::from(c.within_window).into(),
            now.into(),
        ])
        .push(")");
        q.query().execute(&mut *tx).await?;
    }
    let registrations: Vec<&str> = new
        .coverage
        .iter()
        .map(|c| c.registration.as_str())
        .collect();
    breach::schedule(&mut tx, new.customer_id, &new.promises).await?;
    let pending_seq = risk::absorb_pending(&mut tx, &registrations).await?;
    let uncovered = risk::uncovered(&mut tx, new.customer_id, new.id).await?;
    let status = if uncovered.is_empty() {
        code::HEALTHY
    } else {
        code::AT_RISK
    };
    let reason = reason_of(&uncovered);
    let mut upd = Sql::new("UPDATE commitments SET status = ");
    upd.bind(i64::from(status))
        .push(", status_reason = ")
        .bind(reason.as_str())
        .push(", last_change = 1 WHERE customer_id = ")
        .bind(new.customer_id)
        .push(" AND id = ")
        .bind(new.id);
    upd.query().execute(&mut *tx).await?;
    append_change(
        &mut tx,
        new.customer_id,
        new.id,
        1,
        code::UNSPECIFIED,
        status,
        &reason,
        pending_seq,
        now,
    )
    .await?;
    tx.commit().await?;
    table::get::<CommitmentRow>(db, new.customer_id, new.id).await
}

/// Commitments by status, (healthy, at risk, breached), of each of `customer_ids`
/// (customers without any are absent); one indexed statement for the lot.
pub(crate) async fn counts(
    db: &Database,
    customer_ids: &[String],
) -> Result<HashMap<String, (i32, i32, i32)>, StoreError> {
    let mut q = Sql::new(
        "SELECT customer_id, status, COUNT(*) AS n FROM commitments WHERE customer_id IN (",
    );
    q.bind_list(customer_ids.iter().map(|id| id.as_str().into()))
        .push(") GROUP BY customer_id, status");
    let mut out: HashMap<String, (i32, i32, i32)> = HashMap::new();
    for r in q.query().fetch_all(db.reader()).await? {
        let n = r.try_get::<i64, _>("n")? as i32;
        let of = out.entry(r.try_get("customer_id")?).or_default();
        match r.try_get::<i64, _>("status")? as i32 {
            code::HEALTHY => of.0 += n,
            code::AT_RISK => of.1 += n,
            code::BREACHED => of.2 += n,
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
    q.bind_list([
        (format!("{customer_id}/{commitment_id}")).into(),
        (format!("{sequence:010}")).into(),
        customer_id.into(),
        commitment_id.into(),
        i64::from(previous).into(),
        i64::from(status).into(),
        reason.into(),
        risk_sequence.into(),
        now.into(),
    ])
    .push(")");
    q.query().execute(&mut **tx).await?;
    Ok(())
}

/// The clauses column as `SELECT` names it.
pub(crate) const CLAUSES: &str = "clauses_bytes";

/// The encoded clauses of a row that selected [`CLAUSES`] (never NULL: migration
/// 0018 filled the rows before it and its trigger fills those the previous release
/// writes).
pub(crate) fn clauses_of(row: &AnyRow) -> Result<Vec<u8>, sqlx::Error> {
    row.try_get::<Option<Vec<u8>>, _>(CLAUSES)?
        .ok_or_else(|| sqlx::Error::Decode("commitment clauses missing".into()))
}

/// Lowercase hex of `bytes`, as earlier releases read the `clauses` column.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
