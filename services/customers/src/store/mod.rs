//! Storage of the CRM: the rows of each table, stored through the generic operations of
//! `symbolon_platform::table` (tenant-scoped by `customer_id`, etags, request ids).
//! Touchpoints are append-only.

mod rows;

pub(crate) use rows::json_list;
pub use rows::{CustomerRow, KeyPersonRow, SiteRow, TouchpointRow};
pub use symbolon_platform::table::*;
