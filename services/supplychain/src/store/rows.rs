//! The rows of each table and how they are read.

use serde::{Deserialize, Serialize};
use sqlx::{Row, any::AnyRow};
use std::collections::BTreeMap;
use symbolon_contracts::supplychain::v1 as pb;
use symbolon_platform::filter::{Field, Kind};
use symbolon_platform::table::{Meta, Table, meta};

/// The scope value of vendor-global tables.
pub const GLOBAL: &str = "global";

/// One stored factor value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFactor {
    /// As given.
    pub value: f64,
    /// `pb::Scale` number.
    pub scale: i32,
    /// 0..1.
    pub normalized: f64,
    /// Source text.
    pub source: String,
    /// Microseconds.
    pub as_of: i64,
}

fn decode_err(e: impl std::error::Error + Send + Sync + 'static) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

/// A country profile.
#[derive(Debug, Clone)]
pub struct CountryRow {
    /// `id` is the upper-case ISO code.
    pub meta: Meta,
    /// English name.
    pub display_name: String,
    /// Factor id → value.
    pub factors: BTreeMap<String, StoredFactor>,
}

impl Table for CountryRow {
    const NAME: &'static str = "country_profiles";
    const SCOPE: &'static str = "scope";
    const COLUMNS: &'static str =
        "id, scope, create_time, update_time, delete_time, version, display_name, factors";
    const SOFT_DELETE: bool = true;
    const FILTER: &'static [Field] = &[];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let factors: String = row.try_get("factors")?;
        Ok(Self {
            meta: meta::<Self>(row)?,
            display_name: row.try_get("display_name")?,
            factors: serde_json::from_str(&factors).map_err(decode_err)?,
        })
    }
    fn id(&self) -> &str {
        &self.meta.id
    }
}

/// A scoring model.
#[derive(Debug, Clone)]
pub struct ModelRow {
    /// Shared columns.
    pub meta: Meta,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Factor → weight.
    pub weights: BTreeMap<String, f64>,
    /// Weights version.
    pub model_version: i64,
    /// Whether active.
    pub active: bool,
}

impl Table for ModelRow {
    const NAME: &'static str = "scoring_models";
    const SCOPE: &'static str = "scope";
    const COLUMNS: &'static str = "id, scope, create_time, update_time, delete_time, version, display_name, description, weights, model_version, active";
    const SOFT_DELETE: bool = true;
    const FILTER: &'static [Field] = &[];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let weights: String = row.try_get("weights")?;
        Ok(Self {
            meta: meta::<Self>(row)?,
            display_name: row.try_get("display_name")?,
            description: row.try_get("description")?,
            weights: serde_json::from_str(&weights).map_err(decode_err)?,
            model_version: row.try_get("model_version")?,
            active: row.try_get::<i64, _>("active")? != 0,
        })
    }
    fn id(&self) -> &str {
        &self.meta.id
    }
}

/// A recorded score (append-only).
#[derive(Debug, Clone)]
pub struct ScoreRow {
    /// Id (UUIDv7: newest sorts last).
    pub id: String,
    /// ISO code.
    pub country: String,
    /// 0..100.
    pub score: f64,
    /// `scoringModels/{id}`.
    pub model: String,
    /// Model version.
    pub model_version: i64,
    /// The contributions, as protobuf JSON-free bytes (base64 of `CountryScore`).
    pub detail: String,
    /// Microseconds.
    pub compute_time: i64,
}

impl Table for ScoreRow {
    const NAME: &'static str = "country_scores";
    const SCOPE: &'static str = "country";
    const COLUMNS: &'static str = "id, country, score, model, model_version, detail, compute_time";
    const SOFT_DELETE: bool = false;
    const FILTER: &'static [Field] = &[];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            country: row.try_get("country")?,
            score: row.try_get("score")?,
            model: row.try_get("model")?,
            model_version: row.try_get("model_version")?,
            detail: row.try_get("detail")?,
            compute_time: row.try_get("compute_time")?,
        })
    }
    fn id(&self) -> &str {
        &self.id
    }
}

/// A depot.
#[derive(Debug, Clone)]
pub struct DepotRow {
    /// Shared columns.
    pub meta: Meta,
    /// Display name.
    pub display_name: String,
    /// ISO code.
    pub country: String,
    /// Degrees.
    pub latitude: f64,
    /// Degrees.
    pub longitude: f64,
    /// `pb::DepotStatus` number.
    pub status: i32,
    /// Preparation, microseconds.
    pub prep_micros: i64,
}

impl Table for DepotRow {
    const NAME: &'static str = "depots";
    const SCOPE: &'static str = "scope";
    const COLUMNS: &'static str = "id, scope, create_time, update_time, delete_time, version, display_name, country, latitude, longitude, status, prep_micros";
    const SOFT_DELETE: bool = true;
    const FILTER: &'static [Field] = &[
        Field {
            name: "country",
            column: "country",
            kind: Kind::UpperText,
        },
        Field {
            name: "status",
            column: "status",
            kind: Kind::Enum(enum_status, "DEPOT_STATUS_"),
        },
    ];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            meta: meta::<Self>(row)?,
            display_name: row.try_get("display_name")?,
            country: row.try_get("country")?,
            latitude: row.try_get("latitude")?,
            longitude: row.try_get("longitude")?,
            status: row.try_get::<i64, _>("status")? as i32,
            prep_micros: row.try_get("prep_micros")?,
        })
    }
    fn id(&self) -> &str {
        &self.meta.id
    }
}

/// Stock of one part at one depot (`id` is the part number).
#[derive(Debug, Clone)]
pub struct StockRow {
    /// Shared columns (scope = depot id).
    pub meta: Meta,
    /// Units on hand.
    pub on_hand: i64,
    /// Units reserved.
    pub reserved: i64,
}

impl Table for StockRow {
    const NAME: &'static str = "stock_levels";
    const SCOPE: &'static str = "depot_id";
    const COLUMNS: &'static str =
        "id, depot_id, create_time, update_time, delete_time, version, on_hand, reserved";
    const SOFT_DELETE: bool = false;
    const FILTER: &'static [Field] = &[];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            meta: meta::<Self>(row)?,
            on_hand: row.try_get("on_hand")?,
            reserved: row.try_get("reserved")?,
        })
    }
    fn id(&self) -> &str {
        &self.meta.id
    }
}

/// One line of a reservation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// Part number.
    pub part: String,
    /// Units.
    pub quantity: i64,
}

/// A reservation.
#[derive(Debug, Clone)]
pub struct ReservationRow {
    /// Shared columns (scope = depot id).
    pub meta: Meta,
    /// Lines.
    pub lines: Vec<Line>,
    /// Caller's reference.
    pub reference: String,
    /// `pb::ReservationState` number.
    pub state: i32,
    /// Subject.
    pub reserved_by: String,
}

impl Table for ReservationRow {
    const NAME: &'static str = "reservations";
    const SCOPE: &'static str = "depot_id";
    const COLUMNS: &'static str = "id, depot_id, create_time, update_time, delete_time, version, lines, reference, state, reserved_by";
    const SOFT_DELETE: bool = false;
    const FILTER: &'static [Field] = &[];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let lines: String = row.try_get("lines")?;
        Ok(Self {
            meta: meta::<Self>(row)?,
            lines: serde_json::from_str(&lines).map_err(decode_err)?,
            reference: row.try_get("reference")?,
            state: row.try_get::<i64, _>("state")? as i32,
            reserved_by: row.try_get("reserved_by")?,
        })
    }
    fn id(&self) -> &str {
        &self.meta.id
    }
}

/// A coverage registration.
#[derive(Debug, Clone)]
pub struct RegistrationRow {
    /// Shared columns.
    pub meta: Meta,
    /// Site label.
    pub site_label: String,
    /// ISO code.
    pub country: String,
    /// Degrees.
    pub latitude: f64,
    /// Degrees.
    pub longitude: f64,
    /// Parts.
    pub part_numbers: Vec<String>,
    /// Window, microseconds.
    pub window_micros: i64,
    /// Opaque reference.
    pub reference: String,
    /// `pb::CoverageState` number.
    pub state: i32,
    /// Redundancy at the last assessment.
    pub redundancy: i64,
    /// base64 of the encoded `pb::CoverageAssessment`.
    pub assessment: String,
    /// Subject.
    pub registered_by: String,
}

impl Table for RegistrationRow {
    const NAME: &'static str = "coverage_registrations";
    const SCOPE: &'static str = "scope";
    const COLUMNS: &'static str = "id, scope, create_time, update_time, delete_time, version, site_label, country, latitude, longitude, part_numbers, window_micros, reference, state, redundancy, assessment, registered_by";
    const SOFT_DELETE: bool = true;
    const FILTER: &'static [Field] = &[
        Field {
            name: "state",
            column: "state",
            kind: Kind::Enum(enum_coverage_state, "COVERAGE_STATE_"),
        },
        Field {
            name: "reference",
            column: "reference",
            kind: Kind::Text,
        },
    ];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let parts: String = row.try_get("part_numbers")?;
        Ok(Self {
            meta: meta::<Self>(row)?,
            site_label: row.try_get("site_label")?,
            country: row.try_get("country")?,
            latitude: row.try_get("latitude")?,
            longitude: row.try_get("longitude")?,
            part_numbers: serde_json::from_str(&parts).map_err(decode_err)?,
            window_micros: row.try_get("window_micros")?,
            reference: row.try_get("reference")?,
            state: row.try_get::<i64, _>("state")? as i32,
            redundancy: row.try_get("redundancy")?,
            assessment: row.try_get("assessment")?,
            registered_by: row.try_get("registered_by")?,
        })
    }
    fn id(&self) -> &str {
        &self.meta.id
    }
}

/// A risk event.
#[derive(Debug, Clone)]
pub struct EventRow {
    /// Sequence.
    pub seq: i64,
    /// Registration id.
    pub registration_id: String,
    /// Reference.
    pub reference: String,
    /// States.
    pub previous_state: i32,
    /// State.
    pub state: i32,
    /// Redundancies.
    pub previous_redundancy: i64,
    /// Redundancy.
    pub redundancy: i64,
    /// Cause.
    pub cause: String,
    /// base64 of the encoded `pb::CoverageAssessment`.
    pub assessment: String,
    /// Microseconds.
    pub event_time: i64,
}

impl EventRow {
    /// Reads one row.
    pub fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            seq: row.try_get("seq")?,
            registration_id: row.try_get("registration_id")?,
            reference: row.try_get("reference")?,
            previous_state: row.try_get::<i64, _>("previous_state")? as i32,
            state: row.try_get::<i64, _>("state")? as i32,
            previous_redundancy: row.try_get("previous_redundancy")?,
            redundancy: row.try_get("redundancy")?,
            cause: row.try_get("cause")?,
            assessment: row.try_get("assessment")?,
            event_time: row.try_get("event_time")?,
        })
    }
}

fn enum_status(s: &str) -> Option<i32> {
    pb::DepotStatus::from_str_name(s).map(|v| v as i32)
}
fn enum_coverage_state(s: &str) -> Option<i32> {
    pb::CoverageState::from_str_name(s).map(|v| v as i32)
}
