//! Storage of labs: rows stored through the generic operations of
//! `symbolon_platform::table` (scoped by lab id, or by `{lab}/{parent}` for the
//! children of proposals and test plans), plus the statements that need a transaction:
//! log appends (gap-free sequence numbers from the lab's counter row), proposal
//! revisions and approvals, release signatures and publication.

mod rows;

pub use rows::*;
pub use symbolon_platform::table::*;

use crate::chain::{self, ExportedEntry};
use sqlx::any::AnyRow;
use std::collections::BTreeMap;
use symbolon_platform::{
    Database, StoreError,
    db::{Backend, Sql, Value},
    names,
};

/// The PostgreSQL channel appends notify on (payload: the lab id).
pub const LOG_CHANNEL: &str = "symbolon_labs_log";

/// Encodes a value as JSON text (lists and maps are stored so on both databases).
pub fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// The row `sql` selects, if any, read by `read` (reader pool).
async fn one<T>(
    db: &Database,
    sql: &Sql,
    read: fn(&AnyRow) -> Result<T, sqlx::Error>,
) -> Result<Option<T>, StoreError> {
    let row = sql.query().fetch_optional(db.reader()).await?;
    Ok(row.as_ref().map(read).transpose()?)
}

/// Every row `sql` selects, each read by `read` (reader pool).
async fn all<T>(
    db: &Database,
    sql: &Sql,
    read: fn(&AnyRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, StoreError> {
    let rows = sql.query().fetch_all(db.reader()).await?;
    Ok(rows.iter().map(read).collect::<Result<_, _>>()?)
}

/// The member of `lab_id` signed in as `subject` of `org`, if any.
pub async fn member_by_subject(
    db: &Database,
    lab_id: &str,
    org: &str,
    subject: &str,
) -> Result<Option<MemberRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM members WHERE lab_id = ",
        MemberRow::COLUMNS
    ));
    sql.bind(lab_id)
        .push(" AND org = ")
        .bind(org)
        .push(" AND subject = ")
        .bind(subject);
    one(db, &sql, MemberRow::from_row).await
}

/// One page of the labs `subject` of `org` is a member of.
pub async fn labs_of_member(
    db: &Database,
    org: &str,
    subject: &str,
    after: Option<String>,
    limit: i64,
) -> Result<Page<LabRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM labs WHERE delete_time IS NULL AND id IN \
         (SELECT lab_id FROM members WHERE org = ",
        LabRow::COLUMNS
    ));
    sql.bind(org)
        .push(" AND subject = ")
        .bind(subject)
        .push(")");
    if let Some(a) = after {
        sql.push(" AND id > ").bind(a);
    }
    sql.push(" ORDER BY id LIMIT ").bind(limit + 1);
    let rows = all(db, &sql, LabRow::from_row).await?;
    Ok(Page::keyed(rows, limit, db.page_bytes(), |r| {
        r.meta.id.clone()
    }))
}

/// Removes a member (and the keys they registered).
pub async fn delete_member(db: &Database, lab_id: &str, id: &str) -> Result<bool, StoreError> {
    let mut tx = db.writer().begin().await?;
    let mut keys = Sql::new("DELETE FROM signer_keys WHERE lab_id = ");
    keys.bind(lab_id).push(" AND member_id = ").bind(id);
    keys.query().execute(&mut *tx).await?;
    let mut sql = Sql::new("DELETE FROM members WHERE lab_id = ");
    sql.bind(lab_id).push(" AND id = ").bind(id);
    let done = sql.query().execute(&mut *tx).await?.rows_affected() > 0;
    tx.commit().await?;
    Ok(done)
}

/// Stores a signer key; a key id already registered in the lab is a conflict.
pub async fn insert_signer_key(db: &Database, k: &SignerKeyRow) -> Result<(), StoreError> {
    db.insert_row(
        "signer_keys",
        [
            ("id", k.id.as_str().into()),
            ("lab_id", k.lab_id.as_str().into()),
            ("member_id", k.member_id.as_str().into()),
            ("subject", k.subject.as_str().into()),
            ("public_key_pem", k.public_key_pem.as_str().into()),
            ("create_time", k.create_time.into()),
        ],
    )
    .await
}

/// Records one read of a lab's log.
pub async fn record_access(db: &Database, a: &AccessRow) -> Result<(), StoreError> {
    db.insert_row(
        "access_records",
        [
            ("id", a.id.as_str().into()),
            ("lab_id", a.lab_id.as_str().into()),
            ("subject", a.subject.as_str().into()),
            ("org", a.org.as_str().into()),
            ("method", a.method.as_str().into()),
            ("detail", a.detail.as_str().into()),
            ("access_time", a.access_time.into()),
        ],
    )
    .await
}

/// A log entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// Component.
    pub component: String,
    /// Message.
    pub message: String,
    /// Attributes.
    pub attributes: BTreeMap<String, String>,
}

/// Rows per INSERT statement (9 parameters each; well under both databases' limits).
const INSERT_CHUNK: usize = 200;

/// Appends `entries` to the log of `lab_id` in one transaction. The lab row is the
/// counter: `UPDATE … SET last_seq = last_seq + n … RETURNING` locks it on PostgreSQL
/// (and SQLite has one writer), so concurrent appends from any replica get consecutive,
/// gap-free ranges that commit in order. `None` when the lab does not exist. With a
/// request key already used, returns the entries of the first append.
pub async fn append_log(
    db: &Database,
    lab_id: &str,
    entries: Vec<NewEntry>,
    author: &str,
    now: i64,
    request_key: Option<String>,
) -> Result<Option<Vec<LogEntryRow>>, StoreError> {
    symbolon_platform::request_ids::claim(db, request_key.as_deref()).await?;
    if let Some(k) = &request_key
        && let Some(rows) = batch_by_key(db, lab_id, k).await?
    {
        return Ok(Some(rows));
    }
    let n = entries.len() as i64;
    let mut tx = db.writer().begin().await?;
    let mut bump = Sql::new("UPDATE labs SET last_seq = last_seq + ");
    bump.bind(n)
        .push(" WHERE id = ")
        .bind(lab_id)
        .push(" AND delete_time IS NULL RETURNING last_seq, last_hash");
    let Some(counter) = bump.query().fetch_optional(&mut *tx).await? else {
        return Ok(None);
    };
    let last: i64 = sqlx::Row::try_get(&counter, "last_seq")?;
    let mut prev: String = sqlx::Row::try_get(&counter, "last_hash")?;
    let first = last - n + 1;
    let mut rows = Vec::with_capacity(entries.len());
    for (i, e) in entries.into_iter().enumerate() {
        let linked = chain::link(
            ExportedEntry {
                lab: format!("labs/{lab_id}"),
                sequence: first + i as i64,
                component: e.component,
                message: e.message,
                attributes: e.attributes,
                author: author.to_string(),
                create_time_micros: now,
                prev_hash: String::new(),
                hash: String::new(),
            },
            &prev,
        );
        prev = linked.hash.clone();
        rows.push(LogEntryRow {
            lab_id: lab_id.to_string(),
            seq: linked.sequence,
            component: linked.component,
            message: linked.message,
            attributes: linked.attributes,
            author: linked.author,
            create_time: now,
            prev_hash: linked.prev_hash,
            hash: linked.hash,
        });
    }
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut sql = Sql::new(
            "INSERT INTO log_entries (lab_id, seq, component, message, attributes, author, \
             create_time, prev_hash, hash) VALUES ",
        );
        for (i, r) in chunk.iter().enumerate() {
            sql.push(if i > 0 { ", (" } else { "(" })
                .bind_list([
                    r.lab_id.as_str().into(),
                    r.seq.into(),
                    r.component.as_str().into(),
                    r.message.as_str().into(),
                    to_json(&r.attributes).into(),
                    r.author.as_str().into(),
                    r.create_time.into(),
                    r.prev_hash.as_str().into(),
                    r.hash.as_str().into(),
                ])
                .push(")");
        }
        sql.query().execute(&mut *tx).await?;
    }
    let mut head = Sql::new("UPDATE labs SET last_hash = ");
    head.bind(prev).push(" WHERE id = ").bind(lab_id);
    head.query().execute(&mut *tx).await?;
    if let Some(k) = &request_key {
        let mut b =
            Sql::new("INSERT INTO log_batches (request_key, lab_id, first_seq, count) VALUES (");
        b.bind_list([k.as_str().into(), lab_id.into(), first.into(), n.into()])
            .push(")");
        if let Err(e) = b.query().execute(&mut *tx).await {
            // A concurrent retry of the same request won: answer with its entries.
            let e = StoreError::from(e);
            if matches!(e, StoreError::Conflict(_)) {
                drop(tx);
                return batch_by_key(db, lab_id, k).await;
            }
            return Err(e);
        }
    }
    if db.backend() == Backend::Postgres {
        // Delivered to every replica's listener when (and only if) the append commits.
        let mut notify = Sql::new("SELECT 1 AS one FROM (SELECT pg_notify(");
        notify
            .bind(LOG_CHANNEL)
            .push(", ")
            .bind(lab_id)
            .push(")) AS n");
        notify.query().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(Some(rows))
}

async fn batch_by_key(
    db: &Database,
    lab_id: &str,
    key: &str,
) -> Result<Option<Vec<LogEntryRow>>, StoreError> {
    let mut sql = Sql::new("SELECT first_seq, count FROM log_batches WHERE request_key = ");
    sql.bind(key).push(" AND lab_id = ").bind(lab_id);
    let Some(row) = sql.query().fetch_optional(db.writer()).await? else {
        return Ok(None);
    };
    let first: i64 = sqlx::Row::try_get(&row, "first_seq")?;
    let count: i64 = sqlx::Row::try_get(&row, "count")?;
    Ok(Some(
        log_range(db, lab_id, first, Some(first + count - 1), count).await?,
    ))
}

/// Entries of `lab_id` from sequence `from` (inclusive), up to `to` (inclusive) when
/// given, at most `limit`, in order.
pub async fn log_range(
    db: &Database,
    lab_id: &str,
    from: i64,
    to: Option<i64>,
    limit: i64,
) -> Result<Vec<LogEntryRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT lab_id, seq, component, message, attributes, author, create_time, prev_hash, hash \
         FROM log_entries WHERE lab_id = ",
    );
    sql.bind(lab_id).push(" AND seq >= ").bind(from);
    if let Some(to) = to {
        sql.push(" AND seq <= ").bind(to);
    }
    sql.push(" ORDER BY seq LIMIT ").bind(limit);
    all(db, &sql, LogEntryRow::read).await
}

/// The lab's counter: the last sequence number.
pub async fn last_seq(db: &Database, lab_id: &str) -> Result<Option<i64>, StoreError> {
    let mut sql = Sql::new("SELECT last_seq FROM labs WHERE id = ");
    sql.bind(lab_id);
    let row = sql.query().fetch_optional(db.reader()).await?;
    Ok(row
        .map(|r| sqlx::Row::try_get::<i64, _>(&r, "last_seq"))
        .transpose()?)
}

/// The key `{a}/{b}` that scopes the children of a proposal or test plan.
pub fn parent_key(lab_id: &str, id: &str) -> String {
    format!("{lab_id}/{id}")
}

/// The id of revision `n` (zero-padded so that ids sort like numbers).
pub fn revision_id(n: i64) -> String {
    format!("{n:010}")
}

/// Creates a proposal and its first revision atomically, once per request key.
#[allow(clippy::too_many_arguments)]
pub async fn create_proposal(
    db: &Database,
    lab_id: &str,
    id: &str,
    title: &str,
    content: &str,
    author: &str,
    now: i64,
    request_key: Option<String>,
) -> Result<ProposalRow, StoreError> {
    let mut tx = db.writer().begin().await?;
    symbolon_platform::request_ids::claim_on(&mut *tx, request_key.as_deref()).await?;
    let mut sql = Sql::new(
        "INSERT INTO proposals (id, lab_id, title, author, create_time, update_time, request_key) VALUES (",
    );
    sql.bind_list([
        id.into(),
        lab_id.into(),
        title.into(),
        author.into(),
        now.into(),
        now.into(),
        request_key.clone().into(),
    ])
    .push(") ON CONFLICT (request_key) DO NOTHING RETURNING id");
    let inserted = sql.query().fetch_optional(&mut *tx).await?;
    let id = match inserted {
        Some(_) => {
            insert_revision(&mut tx, &parent_key(lab_id, id), 1, content, author, now).await?;
            tx.commit().await?;
            id.to_string()
        }
        None => {
            drop(tx);
            let mut q = Sql::new("SELECT id FROM proposals WHERE request_key = ");
            q.bind(request_key);
            let row = q.query().fetch_one(db.writer()).await?;
            sqlx::Row::try_get(&row, "id")?
        }
    };
    get::<ProposalRow>(db, lab_id, &id)
        .await?
        .ok_or(StoreError::Other(sqlx::Error::RowNotFound))
}

async fn insert_revision(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    parent: &str,
    n: i64,
    content: &str,
    author: &str,
    now: i64,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO proposal_revisions (parent, id, number, content, author, create_time) VALUES (",
    );
    sql.bind_list([
        parent.into(),
        revision_id(n).into(),
        n.into(),
        content.into(),
        author.into(),
        now.into(),
    ])
    .push(")");
    sql.query().execute(&mut **tx).await?;
    Ok(())
}

/// Adds a revision (approvals of earlier revisions stop counting, as they name an older
/// revision number).
pub async fn revise_proposal(
    db: &Database,
    lab_id: &str,
    id: &str,
    content: &str,
    author: &str,
    expected_version: Option<i64>,
    now: i64,
) -> Result<Write<ProposalRow>, StoreError> {
    let mut tx = db.writer().begin().await?;
    let mut sql = Sql::new(
        "UPDATE proposals SET latest_revision = latest_revision + 1, version = version + 1, update_time = ",
    );
    sql.bind(now)
        .push(" WHERE lab_id = ")
        .bind(lab_id)
        .push(" AND id = ")
        .bind(id);
    if let Some(v) = expected_version {
        sql.push(" AND version = ").bind(v);
    }
    sql.push(" RETURNING latest_revision");
    let Some(row) = sql.query().fetch_optional(&mut *tx).await? else {
        drop(tx);
        return Ok(match get::<ProposalRow>(db, lab_id, id).await? {
            Some(_) => Write::Stale,
            None => Write::NotFound,
        });
    };
    let n: i64 = sqlx::Row::try_get(&row, "latest_revision")?;
    insert_revision(&mut tx, &parent_key(lab_id, id), n, content, author, now).await?;
    tx.commit().await?;
    Ok(match get::<ProposalRow>(db, lab_id, id).await? {
        Some(p) => Write::Done(p),
        None => Write::NotFound,
    })
}

/// Which side approves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The vendor.
    Vendor,
    /// The customer.
    Customer,
}

/// Records `side`'s approval of `revision` if it is still the latest; `Stale` if not.
pub async fn approve_proposal(
    db: &Database,
    lab_id: &str,
    id: &str,
    side: Side,
    revision: i64,
    now: i64,
) -> Result<Write<ProposalRow>, StoreError> {
    let column = match side {
        Side::Vendor => "vendor_approved",
        Side::Customer => "customer_approved",
    };
    let mut sql = Sql::new(&format!("UPDATE proposals SET {column} = "));
    sql.bind(revision)
        .push(", version = version + 1, update_time = ")
        .bind(now)
        .push(" WHERE lab_id = ")
        .bind(lab_id)
        .push(" AND id = ")
        .bind(id)
        .push(" AND latest_revision = ")
        .bind(revision);
    let changed = sql.query().execute(db.writer()).await?.rows_affected() > 0;
    Ok(match get::<ProposalRow>(db, lab_id, id).await? {
        None => Write::NotFound,
        Some(_) if !changed => Write::Stale,
        Some(p) => Write::Done(p),
    })
}

/// Inserts a row of `T` with generic columns (idempotent by request key).
pub async fn insert_row<T: Table>(
    db: &Database,
    columns: &[&str],
    values: Vec<Value>,
    request_key: Option<String>,
) -> Result<T, StoreError> {
    insert::<T>(db, columns, values, request_key).await
}

/// The latest run of a test plan.
pub async fn latest_run(db: &Database, parent: &str) -> Result<Option<TestRunRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM test_runs WHERE parent = ",
        TestRunRow::COLUMNS
    ));
    sql.bind(parent).push(" ORDER BY id DESC LIMIT 1");
    one(db, &sql, TestRunRow::from_row).await
}

/// The signatures of a release.
pub async fn signatures(
    db: &Database,
    lab_id: &str,
    release_id: &str,
) -> Result<Vec<SignatureRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT key_id, member_id, subject, roles, sig, sign_time FROM release_signatures WHERE lab_id = ",
    );
    sql.bind(lab_id)
        .push(" AND release_id = ")
        .bind(release_id)
        .push(" ORDER BY sign_time, key_id");
    all(db, &sql, SignatureRow::read).await
}

/// Adds verified signatures to a draft release in one transaction. A signer or key that
/// already signed is a `Conflict`.
pub async fn add_signatures(
    db: &Database,
    lab_id: &str,
    release_id: &str,
    sigs: &[SignatureRow],
) -> Result<(), StoreError> {
    let mut tx = db.writer().begin().await?;
    for s in sigs {
        let mut sql = Sql::new(
            "INSERT INTO release_signatures (lab_id, release_id, key_id, member_id, subject, roles, sig, sign_time) VALUES (",
        );
        sql.bind_list([
            lab_id.into(),
            release_id.into(),
            s.key_id.as_str().into(),
            s.member_id.as_str().into(),
            s.subject.as_str().into(),
            to_json(&s.roles).into(),
            s.sig.as_str().into(),
            s.sign_time.into(),
        ])
        .push(")");
        sql.query().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Marks a draft release published; false if it was not a draft.
pub async fn publish_release(
    db: &Database,
    lab_id: &str,
    id: &str,
    published_state: i32,
    draft_state: i32,
    now: i64,
) -> Result<bool, StoreError> {
    let mut sql = Sql::new("UPDATE releases SET state = ");
    sql.bind(i64::from(published_state))
        .push(", publish_time = ")
        .bind(now)
        .push(", update_time = ")
        .bind(now)
        .push(", version = version + 1 WHERE lab_id = ")
        .bind(lab_id)
        .push(" AND id = ")
        .bind(id)
        .push(" AND state = ")
        .bind(i64::from(draft_state));
    Ok(sql.query().execute(db.writer()).await?.rows_affected() > 0)
}

/// A new id.
pub fn new_id() -> String {
    names::new_id()
}
