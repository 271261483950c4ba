//! The customers service: the emotional-trust CRM (`symbolon.customers.v1`).
//!
//! - [`api`]: the gRPC handlers: parse, authorise, call the store.
//! - [`store`]: sqlx over PostgreSQL or SQLite; migrations in `migrations/`.
//! - [`startup`]: [`Application`] builds the server from configuration; `main.rs`
//!   only reads the environment and runs it.
//! - `visibility`: what a customer's people see of the vendor's supply chain.

pub mod access;
pub mod api;
pub mod commitments;
pub mod dashboard;
pub mod incidents;
pub mod quality;
pub mod startup;
pub mod store;
pub mod visibility;

pub use startup::{Application, CustomersConfig};

/// The default port.
pub const DEFAULT_PORT: u16 = 50051;
