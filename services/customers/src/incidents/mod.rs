//! Incidents and "calling for fire" (`symbolon.customers.v1.IncidentsService`).
//!
//! A frontline person opens an incident and mobilises departments directly; only the
//! named department acknowledges and fulfils. Every change appends to the incident's
//! timeline in the same transaction; timers fire warnings and escalations; watchers get
//! the timeline replayed and then live.
//!
//! A supply-chain call for fire may ask for parts: they are reserved through the
//! supply-chain service (nearest depot that has them all) before anything is written,
//! under a request id derived from the fire request's, so a retry never reserves twice.
//! Fulfilling the request dispatches them, cancelling it (or its incident) releases
//! them, each exactly once across the two services (`store/settle.rs`); an incident
//! closes only when none of its requests is still open, so no reservation outlives it.
//!
//! - `api/`: the handlers (`mod.rs`), request checks (`check.rs`), rows to protobuf
//!   (`convert.rs`).
//! - `store/`: rows, each change's transaction, the timeline, settlement claims.
//! - `timers.rs`: warnings, escalations and breaches, swept in the background.

mod api;
pub(crate) mod store;
mod timers;

pub use api::Incidents;
pub use timers::IncidentTimers;
