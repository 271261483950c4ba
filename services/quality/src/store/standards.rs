//! Standards (`quality_standards`) and their immutable versions
//! (`quality_standard_versions`).

use super::body;
use super::{Keyed, insert_keyed, page, written};
use sqlx::{FromRow, Row};
use symbolon_platform::{
    Database, StoreError,
    db::Sql,
    table::{Page, Write},
};

/// A standard: its row and its current version's content.
#[derive(Debug, Clone, FromRow)]
pub struct StandardRow {
    /// Id.
    pub id: String,
    /// Display name (changes in place).
    pub display_name: String,
    /// Description (changes in place).
    pub description: String,
    /// Touchpoint type (changes in place), the published enum's number.
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
    /// The current version's content, encoded.
    #[sqlx(rename = "body_bytes")]
    pub content: Vec<u8>,
}

/// What changes in place on a standard.
#[derive(Debug, Clone, Copy)]
pub struct StandardHead<'a> {
    /// Display name.
    pub display_name: &'a str,
    /// Description.
    pub description: &'a str,
    /// Touchpoint type, the published enum's number.
    pub touchpoint_type: i32,
}

const STANDARD_COLUMNS: &str = "s.id, s.display_name, s.description, s.touchpoint_type, s.current_version, s.create_time, s.update_time, s.version, v.body_bytes";
const STANDARD_FROM: &str = "quality_standards s JOIN quality_standard_versions v ON v.standard_id = s.id AND v.version_no = s.current_version";
const VERSION_COLUMNS: &str = "standard_id, version_no, body_bytes, created_by, create_time";

/// Writes version `n` of a standard.
async fn insert_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    n: i64,
    content: &[u8],
    by: &str,
    now: i64,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(&format!(
        "INSERT INTO quality_standard_versions (standard_id, version_no, {}, created_by, create_time) VALUES (",
        body::COLUMNS.join(", ")
    ));
    sql.bind(id).push(", ").bind(n);
    for v in body::values(content) {
        sql.push(", ").bind(v);
    }
    sql.push(", ").bind(by).push(", ").bind(now).push(")");
    sql.query().execute(&mut **tx).await?;
    Ok(())
}

/// Creates a standard with version 1 holding `content`. A retry (same request key)
/// returns the first.
pub async fn insert_standard(
    db: &Database,
    id: &str,
    head: StandardHead<'_>,
    content: &[u8],
    by: &str,
    now: i64,
    request_key: Option<String>,
) -> Result<StandardRow, StoreError> {
    let inserted = insert_keyed(
        db,
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
            head.display_name.into(),
            head.description.into(),
            i64::from(head.touchpoint_type).into(),
            1i64.into(),
            now.into(),
            now.into(),
        ],
        request_key,
    )
    .await?;
    let id = match inserted {
        Keyed::New(mut tx) => {
            insert_version(&mut tx, id, 1, content, by, now).await?;
            tx.commit().await?;
            id.to_string()
        }
        Keyed::Before(id) => id,
    };
    written(get_standard(db, &id).await?)
}

/// Reads a standard with its current content.
pub async fn get_standard(db: &Database, id: &str) -> Result<Option<StandardRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {STANDARD_COLUMNS} FROM {STANDARD_FROM} WHERE s.id = "
    ));
    sql.bind(id);
    sql.read_one::<StandardRow>(db).await
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
    let rows = sql.read_all::<StandardRow>(db).await?;
    Ok(page(db, rows, limit, |r| r.id.clone()))
}

/// Changes a standard: the in-place fields always, and when `new_content` is given a
/// new version is written and becomes current.
#[allow(clippy::too_many_arguments)]
pub async fn update_standard(
    db: &Database,
    id: &str,
    expected: Option<i64>,
    head: StandardHead<'_>,
    new_content: Option<&[u8]>,
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
        insert_version(&mut tx, id, current + 1, content, by, now).await?;
        current + 1
    } else {
        current
    };
    let mut sql = Sql::new("UPDATE quality_standards SET display_name = ");
    sql.bind(head.display_name)
        .push(", description = ")
        .bind(head.description)
        .push(", touchpoint_type = ")
        .bind(i64::from(head.touchpoint_type))
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
    /// The content, encoded.
    #[sqlx(rename = "body_bytes")]
    pub content: Vec<u8>,
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
    let mut sql = Sql::new(&format!(
        "SELECT {VERSION_COLUMNS} FROM quality_standard_versions WHERE standard_id = "
    ));
    sql.bind(id).push(" AND version_no = ").bind(n);
    sql.read_one::<VersionRow>(db).await
}

/// One page of versions, oldest first.
pub async fn list_versions(
    db: &Database,
    id: &str,
    after: Option<i64>,
    limit: i64,
) -> Result<Page<VersionRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {VERSION_COLUMNS} FROM quality_standard_versions WHERE standard_id = "
    ));
    sql.bind(id);
    if let Some(a) = after {
        sql.push(" AND version_no > ").bind(a);
    }
    sql.push(" ORDER BY version_no LIMIT ").bind(limit + 1);
    let rows = sql.read_all::<VersionRow>(db).await?;
    Ok(page(db, rows, limit, |r| r.version_no.to_string()))
}
