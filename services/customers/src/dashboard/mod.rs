//! The trust dashboard (`symbolon.customers.v1.DashboardService`): the quarterly
//! business review board of one customer, and the portfolio ranked for attention.
//! The index itself is in `index.rs`, documented so an analyst can redo it by hand.
//!
//! - `api/`: the handlers, the board built from what was gathered (`mod.rs`), the parts
//!   the board names (`named.rs`), scores for the ranking.
//! - `store/`: `gather.rs` reads a quarter (from the aggregates the writes keep),
//!   `named.rs` the named parts' rows, `ranking.rs` keeps and pages the portfolio by
//!   attention.

mod api;
mod calendar;
mod index;
mod store;

pub use api::{Dashboard, attention_from_raw_rows, board_from_raw_rows};
