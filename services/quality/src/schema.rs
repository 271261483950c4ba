//! Quality's own schema in the deployable's database: its own migrations and tables,
//! no foreign key into the CRM. On PostgreSQL the schema `quality` of the same
//! database; on SQLite a file of its own beside the deployable's
//! (`customers.db` → `customers-quality.db`), SQLite having no schemas (sqlx keeps one
//! `_sqlx_migrations` table per schema, so two migration sets cannot share one).
//!
//! Earlier releases kept quality's tables beside the CRM's. On PostgreSQL migration
//! `0001_adopt_crm_tables.sql` moves them into the schema; on SQLite, [`open`] copies
//! their rows into the new file and drops them from the old one.

use symbolon_platform::{Database, status::StoreError};

symbolon_platform::migrations!();

/// The schema's name (PostgreSQL), and the SQLite file's suffix.
pub const SCHEMA: &str = "quality";

/// Quality's tables, parents before children.
const TABLES: [&str; 7] = [
    "quality_standards",
    "quality_standard_versions",
    "quality_reports",
    "quality_disputes",
    "quality_templates",
    "quality_experiments",
    "quality_outcomes",
];

/// Opens quality's schema of `host` (the deployable's database), migrated, with the
/// rows of an earlier release's tables adopted.
pub async fn open(host: &Database) -> Result<Database, StoreError> {
    let db = host.schema(SCHEMA, &MIGRATIONS).await?;
    if let Some(old) = host.sqlite_path() {
        adopt_sqlite(&db, old).await?;
    }
    Ok(db)
}

/// Moves the rows of quality tables left in the SQLite file `old` into `db`, then drops
/// those tables. With WAL a change of two files is atomic per file only, so a crash
/// between the copy and the drop leaves rows in both: the next start copies again,
/// keeping what is there (`INSERT OR IGNORE`), and drops.
async fn adopt_sqlite(db: &Database, old: &str) -> Result<(), StoreError> {
    let mut conn = db.writer().acquire().await?;
    sqlx::query("ATTACH DATABASE $1 AS crm")
        .bind(old)
        .execute(&mut *conn)
        .await?;
    let moved = async {
        let left: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM crm.sqlite_master WHERE type = 'table' AND name LIKE 'quality\\_%' ESCAPE '\\'",
        )
        .fetch_all(&mut *conn)
        .await?;
        let left: Vec<&str> = TABLES
            .into_iter()
            .filter(|t| left.iter().any(|l| l == t))
            .collect();
        for table in &left {
            // By name: the old table lacks columns added since (the triggers of
            // migration 0010 fill `body_bytes` from the copied `body`).
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_table_info($1, 'crm')")
                    .bind(*table)
                    .fetch_all(&mut *conn)
                    .await?;
            let columns: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
            let columns = columns.join(", ");
            let copy = format!(
                "INSERT OR IGNORE INTO main.{table} ({columns}) SELECT {columns} FROM crm.{table}"
            );
            sqlx::query(&copy).execute(&mut *conn).await?;
        }
        for table in left.iter().rev() {
            sqlx::query(&format!("DROP TABLE crm.{table}"))
                .execute(&mut *conn)
                .await?;
        }
        if !left.is_empty() {
            tracing::info!(tables = left.len(), "quality tables moved to their own file");
        }
        Ok::<_, sqlx::Error>(())
    }
    .await;
    let detached = sqlx::query("DETACH DATABASE crm").execute(&mut *conn).await;
    moved?;
    detached?;
    Ok(())
}
