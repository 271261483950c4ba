//! Storage: rows read through the generic AIP table helpers of
//! `symbolon_platform::table`, and [`change::Change`], the one way live data is
//! written (serialised, re-assessing registrations and appending risk events in the
//! same transaction).

pub mod change;
mod rows;
pub mod snapshot;

pub use rows::*;
pub use symbolon_platform::table::*;
