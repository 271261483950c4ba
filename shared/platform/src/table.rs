//! Generic storage of AIP resources over [`crate::db`]: get, keyset list, idempotent
//! insert, and conditional update / soft delete / undelete with etags (row versions).
//!
//! Tables declare a scope column (the tenant, e.g. `customer_id`) that becomes part of
//! every statement, so tenancy is a condition of the query rather than a check done
//! afterwards. Mutable tables share the AIP columns (`create_time`, `update_time`,
//! `delete_time`, `version`, `request_key`).

use crate::{
    StoreError,
    db::{Database, Sql, Value},
    filter::{self, Field},
    group_insert, paging,
    pool::Pool,
};
use sqlx::{Row, any::AnyRow};

/// A table whose rows map to one resource type.
pub trait Table: Sized + Send + Unpin + 'static {
    /// SQL table name.
    const NAME: &'static str;
    /// The column that scopes rows to a tenant (e.g. `customer_id`); callers pass its
    /// value to every operation.
    const SCOPE: &'static str;
    /// The select list, in the order `from_row` reads.
    const COLUMNS: &'static str;
    /// What an insert returns to build the new row in the same round trip: `COLUMNS`
    /// unless those use subqueries, which a fresh row can answer with constants.
    const RETURNING: &'static str = Self::COLUMNS;
    /// Whether rows are soft-deleted (`delete_time`) rather than append-only.
    const SOFT_DELETE: bool;
    /// Fields clients may filter on.
    const FILTER: &'static [Field];
    /// Reads one row.
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error>;
    /// The keyset position of this row.
    fn id(&self) -> &str;
    /// Whether the row is soft-deleted (never, for rows without `delete_time`).
    fn deleted(&self) -> bool {
        false
    }
}

/// What a conditional write found.
#[derive(Debug)]
pub enum Write<T> {
    /// Done; the row as it is now.
    Done(T),
    /// No such row for this tenant (or it is in the wrong deleted state).
    NotFound,
    /// The row exists but its version is not the one the caller read.
    Stale,
    /// Undelete of a row that is not deleted.
    NotDeleted,
}

/// One page of rows and where the next one resumes: after the page, or after the last
/// row sent once the page is cut to its byte budget ([`paging::Next::fit`]).
pub struct Page<T> {
    /// The rows.
    pub rows: Vec<T>,
    /// Where the next page resumes.
    pub next: paging::Next,
}

impl<T> Page<T> {
    /// A page from rows read with `LIMIT limit + 1` (the extra row says another page
    /// follows), each resuming after `key(row)`; `budget` is the page's byte budget
    /// ([`Database::page_bytes`]).
    pub fn keyed(mut rows: Vec<T>, limit: i64, budget: usize, key: impl Fn(&T) -> String) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        let ends: Vec<String> = rows.iter().map(key).collect();
        let after_page = if more { ends.last().cloned() } else { None };
        Self {
            rows,
            next: paging::Next::new(ends, after_page, budget),
        }
    }
}

/// A list request, already validated.
pub struct ListQuery<'a> {
    /// Restrict to one scope (customer callers always are).
    pub scope: Option<&'a str>,
    /// AIP-160 filter text.
    pub filter: &'a str,
    /// Resume after this id.
    pub after: Option<String>,
    /// Page size.
    pub limit: i64,
    /// Include soft-deleted rows.
    pub show_deleted: bool,
}

/// A filter that refers to unknown fields or bad values.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct BadFilter(#[from] filter::FilterError);

// A bad filter is the client's: INVALID_ARGUMENT naming the field.
impl From<BadFilter> for tonic::Status {
    fn from(e: BadFilter) -> Self {
        crate::status::invalid_argument("filter", e.to_string())
    }
}

/// Reads one row within `scope`, deleted or not. Concurrent reads of a table share
/// statements (see [`crate::point_reads`]).
pub async fn get<T: Table>(db: &Database, scope: &str, id: &str) -> Result<Option<T>, StoreError> {
    db.point_reads().get(db.reader(), scope, id).await
}

/// [`get`], unless the row is soft-deleted.
pub async fn get_live<T: Table>(
    db: &Database,
    scope: &str,
    id: &str,
) -> Result<Option<T>, StoreError> {
    Ok(get::<T>(db, scope, id).await?.filter(|r| !r.deleted()))
}

/// [`get`] in a statement of its own.
pub(crate) async fn get_one<T: Table>(
    pool: &Pool,
    scope: &str,
    id: &str,
) -> Result<Option<T>, StoreError> {
    fetch_optional(pool, &by_id::<T>(scope, id)).await
}

/// The statement reading row `id` of `T` within `scope`, deleted or not.
pub fn by_id<T: Table>(scope: &str, id: &str) -> Sql {
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM {} WHERE {} = ",
        T::COLUMNS,
        T::NAME,
        T::SCOPE
    ));
    sql.bind(scope).push(" AND id = ").bind(id);
    sql
}

/// Runs `sql` on `ex`: the row of `T` it returns, if any.
pub async fn fetch_optional<'c, T: Table, E>(ex: E, sql: &Sql) -> Result<Option<T>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let row = sql.query().fetch_optional(ex).await?;
    Ok(row.as_ref().map(T::from_row).transpose()?)
}

/// One page in id order: keyset pagination, so every page costs the same.
pub async fn list<T: Table>(
    db: &Database,
    q: ListQuery<'_>,
) -> Result<Result<Page<T>, BadFilter>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM {} WHERE 1 = 1",
        T::COLUMNS,
        T::NAME
    ));
    if let Some(c) = q.scope {
        sql.push(" AND ").push(T::SCOPE).push(" = ").bind(c);
    }
    if T::SOFT_DELETE && !q.show_deleted {
        sql.push(" AND delete_time IS NULL");
    }
    if let Err(e) = filter::apply(q.filter, T::FILTER, &mut sql) {
        return Ok(Err(e.into()));
    }
    // A time filter pages in (time, id) order, which its index holds; others in id order.
    let by_time = filter::time_order(q.filter, T::FILTER);
    match (by_time, q.after) {
        (None, Some(after)) => {
            sql.push(" AND id > ").bind(after);
        }
        (Some(column), Some(after)) => {
            let cursor = after
                .split_once(':')
                .and_then(|(t, id)| Some((t.parse::<i64>().ok()?, id.to_string())))
                .ok_or_else(|| {
                    BadFilter(filter::FilterError::new(
                        "the page token does not fit the filter",
                    ))
                });
            let (time, id) = match cursor {
                Ok(cursor) => cursor,
                Err(e) => return Ok(Err(e)),
            };
            sql.push(" AND (")
                .push(column)
                .push(", id) > (")
                .bind(time)
                .push(", ")
                .bind(id)
                .push(")");
        }
        (_, None) => {}
    }
    match by_time {
        Some(column) => sql.push(" ORDER BY ").push(column).push(", id LIMIT "),
        None => sql.push(" ORDER BY id LIMIT "),
    };
    sql.bind(q.limit + 1);
    let mut rows = sql.query().fetch_all(db.reader()).await?;
    let more = rows.len() as i64 > q.limit;
    rows.truncate(usize::try_from(q.limit).unwrap_or(0));
    // The keyset position after each row, so the page can stop early at any row.
    let ends = rows
        .iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            Ok(match by_time {
                Some(column) => format!("{}:{id}", row.try_get::<i64, _>(column)?),
                None => id,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let after_page = if more { ends.last().cloned() } else { None };
    let rows = rows
        .iter()
        .map(T::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let next = paging::Next::new(ends, after_page, db.page_bytes());
    Ok(Ok(Page { rows, next }))
}

/// Inserts a row; with a `request_key` already used, returns the first row instead.
pub async fn insert<T: Table>(
    db: &Database,
    columns: &[&str],
    values: Vec<Value>,
    request_key: Option<String>,
) -> Result<T, StoreError> {
    crate::request_ids::claim(db, request_key.as_deref()).await?;
    let mut sql = Sql::new(&format!(
        "INSERT INTO {} ({}, request_key) VALUES (",
        T::NAME,
        columns.join(", ")
    ));
    for v in values {
        sql.bind(v).push(", ");
    }
    sql.bind(request_key.clone());
    sql.push(&format!(
        ") ON CONFLICT (request_key) DO NOTHING RETURNING {}",
        T::RETURNING
    ));
    if let Some(row) = sql.query().fetch_optional(db.writer()).await? {
        return Ok(T::from_row(&row)?);
    }
    // No row: the request key was used before, so this is a retry; answer with the
    // first result.
    by_request_key::<T>(db, &request_key.unwrap_or_default())
        .await?
        .ok_or(StoreError::Other(sqlx::Error::RowNotFound))
}

/// The row an earlier create with request key `key` made, if any.
pub async fn by_request_key<T: Table>(db: &Database, key: &str) -> Result<Option<T>, StoreError> {
    let mut read = Sql::new(&format!(
        "SELECT {} FROM {} WHERE request_key = ",
        T::COLUMNS,
        T::NAME
    ));
    read.bind(key);
    fetch_optional(db.writer(), &read).await
}

/// Inserts a row only if `condition` holds, in one statement (`INSERT … SELECT … WHERE`):
/// checks such as "the parent exists and is live" cost no extra round trip. `condition`
/// appends SQL (e.g. `EXISTS (…)`) and binds its own values. `None` when the condition
/// did not hold *or* `request_key` was used before: the caller then takes its slower
/// path (check, then [`insert`]), which tells the two apart. Concurrent inserts of a
/// table with an `id` column share statements (see [`crate::group_insert`]).
pub async fn insert_where<T: Table>(
    db: &Database,
    columns: &[&str],
    values: Vec<Value>,
    request_key: Option<String>,
    condition: impl FnOnce(&mut Sql),
) -> Result<Option<T>, StoreError> {
    let id = columns
        .iter()
        .position(|c| *c == "id")
        .and_then(|i| match values.get(i) {
            Some(Value::Text(id)) => Some(id.clone()),
            _ => None,
        });
    // On PostgreSQL a batched insert claims its key in its own statement
    // ([`crate::group_insert`]); otherwise the claim goes first.
    let folded = id.is_some() && db.backend() == crate::db::Backend::Postgres;
    if !folded {
        crate::request_ids::claim(db, request_key.as_deref()).await?;
    }
    let claim = request_key.clone().filter(|_| folded);
    let head = format!(
        "INSERT INTO {} ({}, request_key) ",
        T::NAME,
        columns.join(", ")
    );
    let mut select = Sql::new("SELECT ");
    for v in values {
        select.bind(v).push(", ");
    }
    select.bind(request_key);
    // The WHERE also keeps SQLite from reading ON CONFLICT as a join constraint.
    select.push(" WHERE (");
    condition(&mut select);
    select.push(")");
    let tail = format!(
        " ON CONFLICT (request_key) DO NOTHING RETURNING {}",
        T::RETURNING
    );
    match id {
        // Rows are told apart by id when they come back from a batch.
        Some(id) => {
            let statement = group_insert::Statement {
                head,
                select,
                tail: &tail,
                id,
                claim: claim.clone(),
            };
            let row = db.group_inserts().insert(db.writer(), statement).await?;
            if row.is_none() {
                // The claim was made with the row, whose absence does not tell a reused
                // id from a failed condition or a retry; claiming again (the scope is
                // bound by now) does, as the claim made first used to.
                crate::request_ids::claim(db, claim.as_deref()).await?;
            }
            Ok(row)
        }
        None => fetch_optional(db.writer(), &group_insert::alone(&head, &select, &tail)).await,
    }
}

/// Sets `sets` on a live row if its version is `expected` (when given).
pub async fn update<T: Table>(
    db: &Database,
    scope: &str,
    id: &str,
    expected: Option<i64>,
    sets: Vec<(&'static str, Value)>,
    now: i64,
) -> Result<Write<T>, StoreError> {
    let mut sql = Sql::new(&format!("UPDATE {} SET ", T::NAME));
    for (column, value) in sets {
        sql.push(column).push(" = ").bind(value).push(", ");
    }
    sql.push("update_time = ")
        .bind(now)
        .push(", version = version + 1");
    conditional::<T>(db, sql, scope, id, expected, " AND delete_time IS NULL").await
}

/// Soft-deletes a live row.
pub async fn soft_delete<T: Table>(
    db: &Database,
    scope: &str,
    id: &str,
    expected: Option<i64>,
    now: i64,
) -> Result<Write<T>, StoreError> {
    let mut sql = Sql::new(&format!("UPDATE {} SET delete_time = ", T::NAME));
    sql.bind(now)
        .push(", update_time = ")
        .bind(now)
        .push(", version = version + 1");
    conditional::<T>(db, sql, scope, id, expected, " AND delete_time IS NULL").await
}

/// Restores a soft-deleted row.
pub async fn undelete<T: Table>(
    db: &Database,
    scope: &str,
    id: &str,
    now: i64,
) -> Result<Write<T>, StoreError> {
    let mut sql = Sql::new(&format!(
        "UPDATE {} SET delete_time = NULL, update_time = ",
        T::NAME
    ));
    sql.bind(now).push(", version = version + 1");
    match conditional::<T>(db, sql, scope, id, None, " AND delete_time IS NOT NULL").await? {
        Write::NotFound => match get::<T>(db, scope, id).await? {
            Some(_) => Ok(Write::NotDeleted),
            None => Ok(Write::NotFound),
        },
        other => Ok(other),
    }
}

async fn conditional<T: Table>(
    db: &Database,
    mut sql: Sql,
    scope: &str,
    id: &str,
    expected: Option<i64>,
    state: &str,
) -> Result<Write<T>, StoreError> {
    sql.push(" WHERE ")
        .push(T::SCOPE)
        .push(" = ")
        .bind(scope)
        .push(" AND id = ")
        .bind(id)
        .push(state);
    if let Some(v) = expected {
        sql.push(" AND version = ").bind(v);
    }
    sql.push(&format!(" RETURNING {}", T::COLUMNS));
    if let Some(row) = sql.query().fetch_optional(db.writer()).await? {
        return Ok(Write::Done(T::from_row(&row)?));
    }
    // Nothing matched: tell a stale etag from a missing row, so the client knows to
    // re-read rather than give up.
    let live = match get::<T>(db, scope, id).await? {
        None => return Ok(Write::NotFound),
        Some(_) if expected.is_none() => return Ok(Write::NotFound),
        Some(row) => row,
    };
    let mut check = Sql::new(&format!(
        "SELECT version FROM {} WHERE {} = ",
        T::NAME,
        T::SCOPE
    ));
    check
        .bind(scope)
        .push(" AND id = ")
        .bind(live.id())
        .push(state);
    match check.query().fetch_optional(db.reader()).await? {
        Some(_) => Ok(Write::Stale),
        None => Ok(Write::NotFound),
    }
}

/// The columns every mutable resource shares.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Resource id.
    pub id: String,
    /// The scope column's value.
    pub scope: String,
    /// Microseconds.
    pub create_time: i64,
    /// Microseconds.
    pub update_time: i64,
    /// Set while soft-deleted.
    pub delete_time: Option<i64>,
    /// Bumped by every write; the etag.
    pub version: i64,
}

/// Reads a 0/1 integer column as a flag (both databases store flags so).
pub fn flag(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    Ok(row.try_get::<i64, _>(column)? != 0)
}

/// Reads JSON text column `column` of `row` (for `#[sqlx(skip)]` fields of [`table!`]).
pub fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T, sqlx::Error> {
    let s: String = row.try_get(column)?;
    serde_json::from_str(&s).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// Implements [`Table`] for a row whose plain columns are mapped by
/// `#[derive(sqlx::FromRow)]`; the `meta` field (when named) and the JSON text columns
/// are `#[sqlx(skip)]` and read here. Every service's rows were declared alike by hand.
///
/// Columns that need more than a derive (flags, several columns into one field) are
/// `#[sqlx(skip)]` too and set by `fill(&mut row, &AnyRow)`.
///
/// `table!(Row, name, scope column, columns, soft delete, id: field.path
/// [, meta: field] [, json: [fields]] [, filter: fields] [, fill: function])`
#[macro_export]
macro_rules! table {
    (@filter) => {
        &[]
    };
    (@filter $filter:expr) => {
        $filter
    };
    (
        $row:ty, $name:expr, $scope:expr, $columns:expr, $soft:expr,
        id: $id:ident $(. $idp:ident)*
        $(, meta: $meta:ident)?
        $(, json: [$($json:ident),+])?
        $(, filter: $filter:expr)?
        $(, fill: $fill:expr)?
    ) => {
        impl $crate::table::Table for $row {
            const NAME: &'static str = $name;
            const SCOPE: &'static str = $scope;
            const COLUMNS: &'static str = $columns;
            const SOFT_DELETE: bool = $soft;
            const FILTER: &'static [$crate::filter::Field] = $crate::table!(@filter $($filter)?);
            fn from_row(row: &::sqlx::any::AnyRow) -> Result<Self, ::sqlx::Error> {
                #[allow(unused_mut)]
                let mut r: Self = ::sqlx::FromRow::from_row(row)?;
                $(r.$meta = $crate::table::meta::<Self>(row)?;)?
                $($(r.$json = $crate::table::json(row, stringify!($json))?;)+)?
                $(($fill)(&mut r, row)?;)?
                Ok(r)
            }
            fn id(&self) -> &str {
                &self.$id $(.$idp)*
            }
            $(fn deleted(&self) -> bool {
                self.$meta.delete_time.is_some()
            })?
        }
    };
}

/// Reads the shared AIP columns (`id`, the scope column, times, `version`): for rows
/// whose other columns are mapped by `#[derive(sqlx::FromRow)]` with the `meta` field
/// `#[sqlx(skip)]` (the scope column's name differs per table).
pub fn meta<T: Table>(row: &AnyRow) -> Result<Meta, sqlx::Error> {
    Ok(Meta {
        id: row.try_get("id")?,
        scope: row.try_get(T::SCOPE)?,
        create_time: row.try_get("create_time")?,
        update_time: row.try_get("update_time")?,
        delete_time: row.try_get("delete_time")?,
        version: row.try_get("version")?,
    })
}
