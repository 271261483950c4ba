//! Integration tests of the quality service as it is deployed: the customers
//! deployable (which serves it) on a loopback port, called through the generated
//! clients, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod helpers;
mod quality;
mod schema;
