//! Integration tests of the labs service: the real customers service and the real labs
//! service on loopback ports, called through the generated clients, on SQLite and on
//! PostgreSQL. One test binary; one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod demo;
mod design;
mod helpers;
mod hygiene;
mod logs;
mod releases;
mod reliability;
mod tenancy;
