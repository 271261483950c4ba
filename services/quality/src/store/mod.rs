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
    table::Page,
};

fn page<T>(db: &Database, rows: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Page<T> {
    Page::keyed(rows, limit, db.page_bytes(), key)
}

/// The row `sql` selects, if any (reader pool).
async fn one<T>(db: &Database, sql: &Sql) -> Result<Option<T>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    let row = sql.query().fetch_optional(db.reader()).await?;
    Ok(row.as_ref().map(T::from_row).transpose()?)
}

/// Every row `sql` selects (reader pool).
async fn all<T>(db: &Database, sql: &Sql) -> Result<Vec<T>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    let rows = sql.query().fetch_all(db.reader()).await?;
    Ok(rows.iter().map(T::from_row).collect::<Result<_, _>>()?)
}

/// Inserts with `request_key`; `Ok(false)` when the key was used before (a retry).
async fn insert_once(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    columns: &[&str],
    values: Vec<Value>,
    request_key: Option<String>,
) -> Result<bool, StoreError> {
    symbolon_platform::request_ids::claim_on(&mut **tx, request_key.as_deref()).await?;
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
