//! Customer-service quality (`symbolon.quality.v1.QualityService`), a crate of its
//! own, served by the customers deployable (see ARCHITECTURE.md, "Quality").
//!
//! - [`inspect`]: the pure, deterministic inspector behind the [`inspect::Inspector`]
//!   trait: text normalisation, phrase matching, one rule per indicator kind, meanings
//!   in people's own words, scoring, and the live session that turns single turns into
//!   hints.
//! - [`default_standard()`]: 46 indicators over the four experience dimensions;
//!   [`default_standard_for`] adapts it to complaints, after-sales and pre-sales.
//! - [`evaluate`]: a standard's agreement with labelled conversations
//!   (`EvaluateStandard`); the labelled corpus is `corpus/` beside `src/`.
//! - [`validate`]: what makes a standard, conversation, template or experiment valid.
//! - [`stats`]: Welch's t-test and the two-proportion z-test, with hand-written CDFs.
//! - [`api`]: the gRPC service; [`access`]: who may call each method;
//!   [`store`]: its tables; [`schema`]: its own schema and migrations.
//! - [`customers`]: the one way it learns about customers ([`Customers`]), never
//!   through the CRM's tables.

pub mod access;
pub mod api;
pub mod customers;
mod default_standard;
pub mod evaluate;
pub mod inspect;
pub mod io;
pub mod schema;
pub mod stats;
pub mod store;
pub mod validate;

pub use api::QualityApi;
pub use customers::Customers;
pub use default_standard::{default_standard, default_standard_for};
pub use io::{
    LoadError, labelled_from_jsonl, standard_from_json, standard_to_json, upload_standard,
};
pub use symbolon_contracts::quality::v1 as pb;
