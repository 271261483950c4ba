//! Storage: rows read through the generic AIP table helpers of
//! `symbolon_platform::table`, and [`change::Change`], the one way live data is
//! written (serialised, re-assessing registrations and appending risk events in the
//! same transaction).

pub mod change;
pub mod countries;
pub mod depots;
pub mod models;
mod rows;
pub mod snapshot;

pub use rows::*;
pub use symbolon_platform::table::*;

use symbolon_platform::{
    StoreError,
    db::{Sql, Value},
};

/// Row `id` of `T` in `scope` (its scope column), read inside the change.
pub async fn scoped<T: Table>(
    ch: &mut change::Change,
    scope: &str,
    id: &str,
) -> Result<Option<T>, StoreError> {
    ch.one(&by_id::<T>(scope, id)).await
}

/// Row `id` of `T`'s table, unless it is deleted.
pub async fn live<T: Table>(ch: &mut change::Change, id: &str) -> Result<Option<T>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM {} WHERE delete_time IS NULL AND id = ",
        T::COLUMNS,
        T::NAME
    ));
    sql.bind(id);
    ch.one(&sql).await
}

/// Every row of `T`'s table that is not deleted, in id order, read through `ex` (a
/// pool, or a change's connection for a picture consistent with it).
pub async fn all_live<'c, T: Table, E>(ex: E) -> Result<Vec<T>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let rows = Sql::new(&format!(
        "SELECT {} FROM {} WHERE delete_time IS NULL ORDER BY id",
        T::COLUMNS,
        T::NAME
    ))
    .query()
    .fetch_all(ex)
    .await?;
    Ok(rows.iter().map(T::from_row).collect::<Result<_, _>>()?)
}

/// Inserts a row of `table` unless `key` was used before; the row and whether it is
/// new (`None` if neither the insert nor the key found one).
pub async fn insert_once<T: Table>(
    ch: &mut change::Change,
    table: &str,
    columns: &[&str],
    values: Vec<Value>,
    key: Option<String>,
) -> Result<Option<(T, bool)>, StoreError> {
    symbolon_platform::request_ids::claim_on(ch.conn(), key.as_deref()).await?;
    if let Some(row) = by_request_key::<T>(ch, table, key.as_deref()).await? {
        return Ok(Some((row, false)));
    }
    let mut sql = Sql::new(&format!(
        "INSERT INTO {table} ({}, request_key) VALUES (",
        columns.join(", ")
    ));
    for v in values {
        sql.bind(v).push(", ");
    }
    // Registrations run beside one another: the same key may be inserting right now.
    sql.bind(key.clone()).push(&format!(
        ") ON CONFLICT (request_key) DO NOTHING RETURNING {}",
        T::COLUMNS
    ));
    Ok(match ch.one::<T>(&sql).await? {
        Some(row) => Some((row, true)),
        // The other insert of this key committed first: answer with its row.
        None => by_request_key::<T>(ch, table, key.as_deref())
            .await?
            .map(|row| (row, false)),
    })
}

/// The row of `table` written with request key `key`, if any (none without a key).
pub async fn by_request_key<T: Table>(
    ch: &mut change::Change,
    table: &str,
    key: Option<&str>,
) -> Result<Option<T>, StoreError> {
    let Some(key) = key else {
        return Ok(None);
    };
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM {table} WHERE request_key = ",
        T::COLUMNS
    ));
    sql.bind(key.to_string());
    ch.one::<T>(&sql).await
}
