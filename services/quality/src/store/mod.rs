//! The quality tables (migrations `0003_quality.sql` and `0010_body_bytes.sql`, in
//! quality's own schema). The store speaks rows: protobuf bodies are opaque encoded
//! bytes here (`api/convert.rs` encodes and decodes them; `body.rs` says how they are
//! kept), states are the domain enums of [`states`], and the columns beside a body are
//! what queries select and order on. Rows are mapped by `#[derive(FromRow)]`.
//!
//! - [`standards`]: standards and their immutable versions.
//! - [`reports`]: inspection reports and the disputes raised on them.
//! - [`scripts`]: scripted-reply templates, experiments and their outcomes.

mod body;
pub mod reports;
pub mod scripts;
pub mod standards;
pub mod states;

pub use reports::*;
pub use scripts::*;
pub use standards::*;
pub use states::{DisputeState, ReviewState};

use sqlx::Row;
use symbolon_platform::{
    Database, StoreError,
    db::{Sql, Value},
    filter::{Field, FilterError},
    table::Page,
};

fn page<T>(db: &Database, rows: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Page<T> {
    Page::keyed(rows, limit, db.page_bytes(), key)
}

/// The page after `after` (at most `limit` rows, in id order) of what `sql` selects,
/// narrowed by the client's `filter` over `fields`; a bad filter is the inner error.
async fn filtered_page<T>(
    db: &Database,
    mut sql: Sql,
    (filter, fields): (&str, &[Field]),
    after: Option<String>,
    limit: i64,
    id: impl Fn(&T) -> String,
) -> Result<Result<Page<T>, FilterError>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    if let Err(e) = symbolon_platform::filter::apply(filter, fields, &mut sql) {
        return Ok(Err(e));
    }
    if let Some(a) = after {
        sql.push(" AND id > ").bind(a);
    }
    sql.push(" ORDER BY id LIMIT ").bind(limit + 1);
    let rows = sql.read_all::<T>(db).await?;
    Ok(Ok(page(db, rows, limit, id)))
}

/// How a request-keyed insert went.
enum Keyed<'c> {
    /// The row is new; its transaction is still open for what is written with it.
    New(sqlx::Transaction<'c, sqlx::Any>),
    /// The key was used before (a retry): the id of the row it wrote.
    Before(String),
}

/// Inserts a row of `table` with `request_key` (claimed in the same transaction)
/// unless the key was used before. The one way quality's creates are made idempotent.
async fn insert_keyed<'c>(
    db: &'c Database,
    table: &str,
    columns: &[&str],
    values: Vec<Value>,
    request_key: Option<String>,
) -> Result<Keyed<'c>, StoreError> {
    let mut tx = db.writer().begin().await?;
    symbolon_platform::request_ids::claim_on(&mut *tx, request_key.as_deref()).await?;
    let mut sql = Sql::new(&format!(
        "INSERT INTO {table} ({}, request_key) VALUES (",
        columns.join(", ")
    ));
    for v in values {
        sql.bind(v).push(", ");
    }
    sql.bind(request_key.clone())
        .push(") ON CONFLICT (request_key) DO NOTHING RETURNING id");
    if sql.query().fetch_optional(&mut *tx).await?.is_some() {
        return Ok(Keyed::New(tx));
    }
    // Only the claim was written: it stays, bound to the row the key already holds.
    tx.commit().await?;
    let key = request_key.unwrap_or_default();
    Ok(Keyed::Before(
        id_by_request_key(db, table, &key)
            .await?
            .unwrap_or_default(),
    ))
}

/// The id of the row of `table` written with request key `key`, if any.
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

/// The row a write just made or found, which must be there.
fn written<T>(row: Option<T>) -> Result<T, StoreError> {
    row.ok_or(StoreError::Other(sqlx::Error::RowNotFound))
}
