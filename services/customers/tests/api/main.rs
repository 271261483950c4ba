//! Integration tests of the customers service: the real server on a loopback port,
//! called through the generated client, on SQLite and on PostgreSQL. One test binary
//! (faster linking); one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod aggregates;
mod auth;
mod bad_input;
mod commitments;
mod dashboard;
mod grpcurl;
mod helpers;
mod hygiene;
mod incident_parts;
mod incident_replicas;
mod incidents;
mod migrations;
mod parts_lifecycle;
mod request_ids;
mod requests;
mod resources;
mod shutdown;
mod story;
mod touchpoints;
mod two_services;
