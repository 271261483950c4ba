//! What every Symbolon service shares.
//!
//! - [`config`]: settings from environment variables, failing fast on a bad value.
//! - [`telemetry`]: structured logs, OpenTelemetry traces over OTLP, W3C trace context.
//! - [`auth`]: JWT bearer verification and the typed [`auth::Caller`] handlers receive.
//! - [`access`]: the declared access policy and the guard that enforces it.
//! - [`server`]: the one tonic server stack (health, reflection, deadlines, limits,
//!   tracing, auth) with graceful drain on SIGTERM.
//! - [`runtime`]: the Tokio runtime, sized to the CPUs the process may use.
//! - [`db`]: the sqlx pool for PostgreSQL or SQLite, with embedded migrations.
//! - [`status`], [`paging`], [`filter`], [`names`], [`time`]: AIP helpers so every
//!   method answers errors, pages, filters, names and times the same way.

pub mod access;
pub mod aip;
pub mod auth;
pub mod background;
pub mod batch;
pub mod bound;
pub mod client;
pub mod config;
pub mod contain;
pub mod country;
pub mod db;
pub mod filter;
mod group_insert;
pub mod names;
pub mod observe;
pub mod paging;
mod point_reads;
pub mod pool;
pub mod request_ids;
pub mod runtime;
pub mod server;
pub mod status;
pub mod table;
pub mod telemetry;
pub mod time;

pub use auth::{Caller, Org};
pub use batch::BatchStats;
pub use db::Database;
pub use status::{StoreError, Violations};
