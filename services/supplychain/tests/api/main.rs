//! Integration tests of the supply-chain service: the real server on a loopback port,
//! called through the generated client, on SQLite and on PostgreSQL. One test binary;
//! one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod bad_input;
mod countries;
mod coverage;
mod demo;
mod depots;
mod helpers;
mod risk;
mod scoring;
