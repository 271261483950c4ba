//! The supply-chain service: resilience scoring (`symbolon.supplychain.v1`).
//!
//! - [`model`]: the domain without I/O: factor normalisation, country scoring, the
//!   spatial index and the coverage (arrival / resilience) model.
//! - [`api`]: the gRPC handlers: parse, authorise, call the store.
//! - [`store`]: sqlx over PostgreSQL or SQLite; migrations in `migrations/`. Every
//!   change of live data runs in one transaction that also re-assesses coverage
//!   registrations and appends risk events (see [`store::change`]).
//! - [`startup`]: [`Application`] builds the server from configuration.
//! - [`demo`]: demo data loaded through the public API.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod access;
pub mod api;
pub mod convert;
pub mod demo;
pub mod import;
pub mod model;
pub mod startup;
pub mod store;

pub use startup::{Application, SupplyChainConfig};

/// The default port.
pub const DEFAULT_PORT: u16 = 50053;
