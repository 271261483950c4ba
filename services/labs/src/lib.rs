//! The labs service: joint innovation labs (`symbolon.labs.v1`).
//!
//! - [`api`]: the gRPC handlers: parse, authorise (lab membership), call the store.
//! - [`store`]: sqlx over PostgreSQL or SQLite; migrations in `migrations/`.
//! - [`fanout`]: live log delivery to watchers across replicas (PostgreSQL
//!   LISTEN/NOTIFY, or in-process on SQLite) with bounded buffers.
//! - [`wire`]: watch events encoded once per batch and shared by every watcher.
//! - [`chain`]: the log's hash chain, verified on the server and offline.
//! - [`dsse`]: DSSE envelopes and Ed25519 signatures over canonical release statements;
//!   used by the server and by the `symbolon` command (which holds the private keys).
//! - [`customers`]: the calls to the customers service that check customers and key
//!   persons.
//! - [`tools`]: the `symbolon release sign|verify|export` and `symbolon log export|verify`
//!   commands as library functions.
//! - [`demo`]: demo data for `symbolon dev --demo`.
//! - [`startup`]: [`Application`] builds the server from configuration.

pub mod access;
pub mod api;
pub mod chain;
pub mod customers;
pub mod demo;
pub mod dsse;
pub mod fanout;
pub mod startup;
pub mod store;
pub mod tools;
pub mod wire;

pub use startup::{Application, LabsConfig};

/// The default port.
pub const DEFAULT_PORT: u16 = 50052;
