//! The statements of country profiles, each run inside a [`Change`].

use super::{CountryRow, GLOBAL, StoredFactor, Table, change::Change};
use std::collections::BTreeMap;
use symbolon_platform::{StoreError, db::Sql};

/// The columns a new profile is inserted with, in the order of [`insert_values`].
pub const INSERT_COLUMNS: &[&str] = &[
    "id",
    "scope",
    "display_name",
    "factors",
    "create_time",
    "update_time",
];

/// The values of a new profile, in the order of [`INSERT_COLUMNS`].
pub fn insert_values(
    cc: &str,
    display_name: &str,
    factors: &BTreeMap<String, StoredFactor>,
    now: i64,
) -> Vec<symbolon_platform::db::Value> {
    vec![
        cc.into(),
        GLOBAL.into(),
        display_name.into(),
        encode(factors).into(),
        now.into(),
        now.into(),
    ]
}

/// The factors as stored (JSON text).
fn encode(factors: &BTreeMap<String, StoredFactor>) -> String {
    serde_json::to_string(factors).unwrap_or_else(|_| "{}".into())
}

/// The profile of `cc`, unless it is deleted.
pub async fn live_country(ch: &mut Change, cc: &str) -> Result<Option<CountryRow>, StoreError> {
    super::live::<CountryRow>(ch, cc).await
}

/// Writes the profile of `cc`: updates it when `exists` (bumping its version), inserts
/// it otherwise. The profile as written.
pub async fn write_country(
    ch: &mut Change,
    exists: bool,
    cc: &str,
    display_name: &str,
    factors: &BTreeMap<String, StoredFactor>,
    now: i64,
) -> Result<Option<CountryRow>, StoreError> {
    let sql = if exists {
        let mut s = Sql::new("UPDATE country_profiles SET display_name = ");
        s.bind(display_name)
            .push(", factors = ")
            .bind(encode(factors))
            .push(", update_time = ")
            .bind(now)
            .push(", version = version + 1 WHERE id = ")
            .bind(cc)
            .push(&format!(" RETURNING {}", CountryRow::COLUMNS));
        s
    } else {
        let mut s = Sql::new(&format!(
            "INSERT INTO country_profiles ({}) VALUES (",
            INSERT_COLUMNS.join(", ")
        ));
        s.bind_list(insert_values(cc, display_name, factors, now))
            .push(&format!(") RETURNING {}", CountryRow::COLUMNS));
        s
    };
    ch.one(&sql).await
}

/// Deletes the profile of `cc` (only at `version` when given); the profile as it was,
/// or none when it is missing or at another version.
pub async fn delete_country(
    ch: &mut Change,
    cc: &str,
    version: Option<i64>,
) -> Result<Option<CountryRow>, StoreError> {
    let mut sql = Sql::new("DELETE FROM country_profiles WHERE id = ");
    sql.bind(cc);
    if let Some(want) = version {
        sql.push(" AND version = ").bind(want);
    }
    sql.push(&format!(" RETURNING {}", CountryRow::COLUMNS));
    ch.one(&sql).await
}
