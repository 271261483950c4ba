//! The customers service: the emotional-trust CRM (`symbolon.customers.v1`:
//! customers, sites, key persons, touchpoints, incidents and calls for fire,
//! commitments, the trust dashboard). The deployable also serves customer-service
//! quality (`symbolon.quality.v1`, crate `symbolon-quality`), answering its one
//! question about customers through [`quality_link`].
//!
//! Each gRPC service is an `api/` (parse, authorise, call the store, convert) over a
//! `store/` (rows and SQL):
//! - [`api`] and [`store`]: the CRM (customers, sites, key persons, touchpoints).
//! - [`incidents`], [`commitments`], [`dashboard`]: the other services.
//! - migrations in `migrations/`, one database for all of them.
//! - [`startup`]: [`Application`] builds the server from configuration; `main.rs`
//!   only reads the environment and runs it.
//! - `visibility`: what a customer's people see of the vendor's supply chain.

pub mod access;
pub mod api;
pub mod commitments;
pub mod dashboard;
pub mod incidents;
pub mod quality_link;
pub mod startup;
pub mod store;
pub mod visibility;

pub use startup::{Application, CustomersConfig};

/// The default port.
pub const DEFAULT_PORT: u16 = 50051;
