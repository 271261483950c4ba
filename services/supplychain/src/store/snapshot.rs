//! Reading a consistent [`Snapshot`] of depots, stock, countries and the active model,
//! and caching it per replica until `sc_state.data_version` moves.

use super::{CountryRow, DepotRow, GLOBAL, ModelRow, Table};
use crate::model::coverage::{CountryData, DepotData, Snapshot};
use sqlx::{AnyConnection, Row};
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
};
use symbolon_contracts::supplychain::v1::DepotStatus;
use symbolon_platform::{
    Database, StoreError,
    batch::Batches,
    db::{Backend, Sql},
};
use tokio::sync::oneshot;

/// Reads everything the coverage engine needs through `conn` (inside a transaction,
/// so the picture is consistent).
pub async fn load(conn: &mut AnyConnection) -> Result<Snapshot, StoreError> {
    let depots: Vec<DepotRow> = super::all_live(&mut *conn).await?;
    let stock =
        sqlx::query("SELECT depot_id, id, on_hand - reserved AS available FROM stock_levels")
            .fetch_all(&mut *conn)
            .await?;
    let mut by_depot: HashMap<String, BTreeMap<String, i64>> = HashMap::new();
    for r in &stock {
        by_depot
            .entry(r.try_get("depot_id")?)
            .or_default()
            .insert(r.try_get("id")?, r.try_get("available")?);
    }
    let countries: Vec<CountryRow> = super::all_live(&mut *conn).await?;
    let model = active_model(&mut *conn).await?;
    let depots = depots
        .into_iter()
        .map(|d| DepotData {
            stock: by_depot.remove(&d.meta.id).unwrap_or_default(),
            id: d.meta.id,
            display_name: d.display_name,
            country: d.country,
            lat: d.latitude,
            lon: d.longitude,
            status: DepotStatus::try_from(d.status).unwrap_or(DepotStatus::Operational),
            prep_h: d.prep_micros as f64 / 3.6e9,
        })
        .collect();
    let countries = countries
        .into_iter()
        .map(|c| {
            (
                c.meta.id,
                CountryData {
                    factors: c
                        .factors
                        .into_iter()
                        .map(|(k, v)| (k, v.normalized))
                        .collect(),
                    score: 0.0,
                },
            )
        })
        .collect();
    let (name, version, weights) = match model {
        Some(m) => (
            format!("scoringModels/{}", m.meta.id),
            m.model_version,
            m.weights,
        ),
        None => (String::new(), 0, BTreeMap::new()),
    };
    Ok(Snapshot::new(depots, countries, name, version, weights))
}

/// The active scoring model, if any.
pub async fn active_model(conn: &mut AnyConnection) -> Result<Option<ModelRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM scoring_models WHERE active = 1 AND delete_time IS NULL AND scope = ",
        ModelRow::COLUMNS
    ));
    sql.bind(GLOBAL);
    let row = sql.query().fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(ModelRow::from_row).transpose()?)
}

/// A snapshot and the data version it was read at.
type Cached = (i64, Arc<Snapshot>);

/// The latest snapshot this replica has read, reused while nothing changes.
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Mutex<Option<Cached>>>,
    /// Callers waiting for the data version. One statement in flight at a time answers
    /// every caller that asked before it started (so each still sees every change
    /// committed before its call): at 50 calls in flight, one read instead of fifty.
    version_reads: Arc<Batches<oneshot::Sender<Option<i64>>>>,
}

impl Default for Cache {
    fn default() -> Self {
        Self {
            inner: Arc::default(),
            version_reads: Arc::new(Batches::new(1, usize::MAX)),
        }
    }
}

impl Cache {
    /// The current snapshot: one cheap read of the data version, and a full load only
    /// when it moved.
    pub async fn current(&self, db: &Database) -> Result<Arc<Snapshot>, StoreError> {
        // The common case is one shared statement outside any transaction: the version
        // has not moved, so the cached snapshot answers.
        let version = self.version(db).await?;
        if let Some(s) = self.cached(version) {
            return Ok(s);
        }
        // It moved: load a consistent snapshot, reading the version again inside the
        // same transaction.
        let mut tx = db.reader().begin().await?;
        if db.backend() == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
        }
        let version = read_version(&mut *tx).await?;
        let snap = self.at(version, &mut tx).await?;
        tx.commit().await?;
        Ok(snap)
    }

    /// The snapshot at `version`, read on `conn` unless this replica holds it already.
    /// `conn` must see the data at `version` throughout: a change's (its lock keeps it
    /// there) or a repeatable-read transaction's.
    pub async fn at(
        &self,
        version: i64,
        conn: &mut AnyConnection,
    ) -> Result<Arc<Snapshot>, StoreError> {
        if let Some(s) = self.cached(version) {
            return Ok(s);
        }
        let snap = Arc::new(load(conn).await?);
        if let Ok(mut guard) = self.inner.lock()
            && guard.as_ref().is_none_or(|(v, _)| *v < version)
        {
            *guard = Some((version, snap.clone()));
        }
        Ok(snap)
    }

    /// The kept snapshot, if it is the one at `version`.
    fn cached(&self, version: i64) -> Option<Arc<Snapshot>> {
        let guard = self.inner.lock().ok()?;
        let (v, s) = guard.as_ref()?;
        (*v == version).then(|| s.clone())
    }

    async fn version(&self, db: &Database) -> Result<i64, StoreError> {
        let (reply, answer) = oneshot::channel();
        if self.version_reads.push(reply) {
            let (reads, db) = (self.version_reads.clone(), db.clone());
            tokio::spawn(async move {
                while let Some(waiting) = reads.next() {
                    let version = read_version(db.reader()).await.ok();
                    for w in waiting {
                        let _ = w.send(version);
                    }
                }
            });
        }
        match answer.await {
            Ok(Some(version)) => Ok(version),
            // The shared read failed: read alone, for this caller's own error.
            _ => read_version(db.reader()).await,
        }
    }
}

async fn read_version<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    ex: E,
) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT data_version FROM sc_state WHERE id = 1")
        .fetch_one(ex)
        .await?;
    Ok(row.try_get("data_version")?)
}
