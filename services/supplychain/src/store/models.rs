//! The statements of scoring models and recorded country scores.

use super::{ModelRow, ScoreRow, Table, change::Change};
use symbolon_platform::{
    Database, StoreError,
    db::{Sql, Value},
};

/// Sets `sets` on the live model `id` and bumps its version (and its weights' version
/// when `new_weights`), only at `version` when given. The model as written, or none
/// when it is missing, deleted or at another version.
pub async fn update_model(
    ch: &mut Change,
    id: &str,
    sets: Vec<(&'static str, Value)>,
    new_weights: bool,
    version: Option<i64>,
    now: i64,
) -> Result<Option<ModelRow>, StoreError> {
    let mut sql = Sql::new("UPDATE scoring_models SET ");
    for (col, val) in sets {
        sql.push(col).push(" = ").bind(val).push(", ");
    }
    if new_weights {
        sql.push("model_version = model_version + 1, ");
    }
    sql.push("update_time = ")
        .bind(now)
        .push(", version = version + 1 WHERE delete_time IS NULL AND id = ")
        .bind(id);
    if let Some(want) = version {
        sql.push(" AND version = ").bind(want);
    }
    sql.push(&format!(" RETURNING {}", ModelRow::COLUMNS));
    ch.one(&sql).await
}

/// Makes the live model `id` the only active one; the model, or none when it is
/// missing or deleted.
pub async fn activate_model(
    ch: &mut Change,
    id: &str,
    now: i64,
) -> Result<Option<ModelRow>, StoreError> {
    let mut off = Sql::new("UPDATE scoring_models SET active = 0, update_time = ");
    off.bind(now)
        .push(", version = version + 1 WHERE active = 1 AND id <> ")
        .bind(id);
    ch.exec(&off).await?;
    let mut on = Sql::new("UPDATE scoring_models SET active = 1, update_time = ");
    on.bind(now)
        .push(", version = version + 1 WHERE delete_time IS NULL AND active = 0 AND id = ")
        .bind(id);
    ch.exec(&on).await?;
    super::live::<ModelRow>(ch, id).await
}

/// Records a computed score (append-only, outside any change: it alters no coverage).
pub async fn insert_score(db: &Database, s: ScoreRow) -> Result<(), StoreError> {
    db.insert_row(
        ScoreRow::NAME,
        [
            ("id", s.id.into()),
            ("country", s.country.into()),
            ("score", s.score.into()),
            ("model", s.model.into()),
            ("model_version", s.model_version.into()),
            ("detail", s.detail.into()),
            ("compute_time", s.compute_time.into()),
        ],
    )
    .await
}
