//! The Symbolon load tool's machinery, and the bare echo service it is judged against.
//!
//! - [`echo`]: the echo service (no authentication, tracing or storage).
//! - [`cpu`]: CPU time of this process and of others, from `/proc`.
//! - [`stats`]: latency histograms, error counts, and the report.
//! - [`scenario`]: the calls the tool can make, and the fixtures they need.
//! - [`run`]: N in-flight calls over M connections for a count or a duration.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod cpu;
pub mod echo;
pub mod run;
pub mod scenario;
pub mod stats;
