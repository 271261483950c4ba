//! The rows of each table and how they are read.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use std::collections::BTreeMap;
use symbolon_contracts::supplychain::v1 as pb;
use symbolon_platform::filter::{Field, Kind};
use symbolon_platform::table;
use symbolon_platform::table::Meta;

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

/// A country profile.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CountryRow {
    /// `id` is the upper-case ISO code.
    #[sqlx(skip)]
    pub meta: Meta,
    /// English name.
    pub display_name: String,
    /// Factor id → value.
    #[sqlx(skip)]
    pub factors: BTreeMap<String, StoredFactor>,
}

table!(
    CountryRow,
    "country_profiles",
    "scope",
    "id, scope, create_time, update_time, delete_time, version, display_name, factors",
    true,
    id: meta.id,
    meta: meta,
    json: [factors]
);

/// A scoring model.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ModelRow {
    /// Shared columns.
    #[sqlx(skip)]
    pub meta: Meta,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Factor → weight.
    #[sqlx(skip)]
    pub weights: BTreeMap<String, f64>,
    /// Weights version.
    pub model_version: i64,
    /// Whether active.
    #[sqlx(skip)]
    pub active: bool,
}

table!(
    ModelRow,
    "scoring_models",
    "scope",
    "id, scope, create_time, update_time, delete_time, version, display_name, description, weights, model_version, active",
    true,
    id: meta.id,
    meta: meta,
    json: [weights],
    fill: active_flag
);

/// `active` is stored as a 0/1 integer.
fn active_flag(r: &mut ModelRow, row: &AnyRow) -> Result<(), sqlx::Error> {
    r.active = table::flag(row, "active")?;
    Ok(())
}

/// A recorded score (append-only).
#[derive(Debug, Clone, sqlx::FromRow)]
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

table!(
    ScoreRow,
    "country_scores",
    "country",
    "id, country, score, model, model_version, detail, compute_time",
    false,
    id: id
);

/// A depot.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DepotRow {
    /// Shared columns.
    #[sqlx(skip)]
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
    #[sqlx(try_from = "i64")]
    pub status: i32,
    /// Preparation, microseconds.
    pub prep_micros: i64,
}

table!(
    DepotRow,
    "depots",
    "scope",
    "id, scope, create_time, update_time, delete_time, version, display_name, country, latitude, longitude, status, prep_micros",
    true,
    id: meta.id,
    meta: meta,
    filter: &[
        Field::column("country", Kind::UpperText),
        Field::column("status", Kind::Enum(enum_status, "DEPOT_STATUS_")),
    ]
);

/// Stock of one part at one depot (`id` is the part number).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StockRow {
    /// Shared columns (scope = depot id).
    #[sqlx(skip)]
    pub meta: Meta,
    /// Units on hand.
    pub on_hand: i64,
    /// Units reserved.
    pub reserved: i64,
}

table!(
    StockRow,
    "stock_levels",
    "depot_id",
    "id, depot_id, create_time, update_time, delete_time, version, on_hand, reserved",
    false,
    id: meta.id,
    meta: meta
);

/// One line of a reservation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// Part number.
    pub part: String,
    /// Units.
    pub quantity: i64,
}

/// A reservation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReservationRow {
    /// Shared columns (scope = depot id).
    #[sqlx(skip)]
    pub meta: Meta,
    /// Lines.
    #[sqlx(skip)]
    pub lines: Vec<Line>,
    /// Caller's reference.
    pub reference: String,
    /// `pb::ReservationState` number.
    #[sqlx(try_from = "i64")]
    pub state: i32,
    /// Subject.
    pub reserved_by: String,
}

table!(
    ReservationRow,
    "reservations",
    "depot_id",
    "id, depot_id, create_time, update_time, delete_time, version, lines, reference, state, reserved_by",
    false,
    id: meta.id,
    meta: meta,
    json: [lines]
);

/// A coverage registration.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegistrationRow {
    /// Shared columns.
    #[sqlx(skip)]
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
    #[sqlx(skip)]
    pub part_numbers: Vec<String>,
    /// Window, microseconds.
    pub window_micros: i64,
    /// Opaque reference.
    pub reference: String,
    /// `pb::CoverageState` number.
    #[sqlx(try_from = "i64")]
    pub state: i32,
    /// Redundancy at the last assessment.
    pub redundancy: i64,
    /// base64 of the encoded `pb::CoverageAssessment`.
    pub assessment: String,
    /// Subject.
    pub registered_by: String,
}

table!(
    RegistrationRow,
    "coverage_registrations",
    "scope",
    "id, scope, create_time, update_time, delete_time, version, site_label, country, latitude, longitude, part_numbers, window_micros, reference, state, redundancy, assessment, registered_by",
    true,
    id: meta.id,
    meta: meta,
    json: [part_numbers],
    filter: &[
        Field::column("state", Kind::Enum(enum_coverage_state, "COVERAGE_STATE_")),
        Field::column("reference", Kind::Text),
    ]
);

/// A risk event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    /// Sequence.
    pub seq: i64,
    /// Registration id.
    pub registration_id: String,
    /// Reference.
    pub reference: String,
    /// States.
    #[sqlx(try_from = "i64")]
    pub previous_state: i32,
    /// State.
    #[sqlx(try_from = "i64")]
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
        sqlx::FromRow::from_row(row)
    }
}

fn enum_status(s: &str) -> Option<i32> {
    pb::DepotStatus::from_str_name(s).map(|v| v as i32)
}
fn enum_coverage_state(s: &str) -> Option<i32> {
    pb::CoverageState::from_str_name(s).map(|v| v as i32)
}
