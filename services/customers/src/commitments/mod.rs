//! Service commitments (`symbolon.customers.v1.CommitmentsService`).
//!
//! Creating a commitment asks the supply-chain service (one `BatchAssessCoverage` over
//! one snapshot: every site with all of its clause's parts, and every (site, part)
//! alone for the best achievable time) whether every site is covered. Uncovered sites
//! refuse the create with a `PreconditionFailure` per (site, part), unless the caller
//! accepts the risk. Each (clause, site) is then registered with the supply-chain
//! service under an id derived from (commitment, clause, site), so a retried create
//! registers nothing twice; the commitment, its coverage and its first status change
//! are written in one transaction only after every call succeeded.
//!
//! [`risk`] consumes the supply-chain risk stream and moves commitments between
//! `HEALTHY` and `AT_RISK` on its own; [`breach`] turns them `BREACHED` when a
//! supply-chain fire request for a promised part at a promised site is fulfilled late.

//!
//! - `api/`: the handlers (`mod.rs`), `AssessSiteCoverage` (`assess.rs`), rows to
//!   protobuf as the caller may see them (`convert.rs`), the stored form of clauses
//!   (`clauses.rs`), a risk event into the store's values (`risk.rs`).
//! - `store/`: rows, coverage (read a page at a time), creation's transaction, counts;
//!   each risk event's transaction (`risk.rs`), breaches' statements (`breach.rs`).
//! - `supply.rs`: the supply-chain client; `risk.rs`: the risk-stream consumer;
//!   `breach.rs`: which commitments a request for parts broke.

mod api;
pub(crate) mod breach;
pub mod risk;
mod store;
mod supply;

pub use api::Commitments;
pub use risk::RiskConsumer;
pub use supply::SupplyChain;

use crate::visibility;
use std::collections::HashMap;
use symbolon_contracts::supplychain::v1 as spb;
pub(crate) use symbolon_platform::time::{duration, micros};
use symbolon_platform::{Database, StoreError};

/// "3h05m".
fn human(d: &prost_types::Duration) -> String {
    let mins = (micros(d) + 59_999_999) / 60_000_000;
    format!("{}h{:02}m", mins / 60, mins % 60)
}

/// A stable UUID-shaped id from `parts` (FNV-1a, 128 bits): the same commitment, clause
/// and site always give the same registration id.
pub(crate) fn derived_id(parts: &[&str]) -> String {
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0u8)) {
            h ^= u128::from(b);
            h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
        }
    }
    uuid::Builder::from_random_bytes(h.to_be_bytes())
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Whether `p` is a well-formed part number.
pub(crate) fn check_part(p: &str) -> bool {
    (1..=64).contains(&p.len())
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The best depot of an assessment in words, e.g. "Lima, PE".
pub(crate) fn place_of(best: &spb::DepotOption) -> String {
    visibility::place(&best.display_name, &best.country, &best.depot)
}

/// Commitments by status per customer (see [`store::counts`]).
pub(crate) async fn counts(
    db: &Database,
    customer_ids: &[String],
) -> Result<HashMap<String, (i32, i32, i32)>, StoreError> {
    store::counts(db, customer_ids).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use symbolon_platform::names;

    #[test]
    fn derived_ids_are_stable_uuids() {
        let a = derived_id(&["registration", "c-1", "0", "customers/a/sites/s"]);
        assert_eq!(
            a,
            derived_id(&["registration", "c-1", "0", "customers/a/sites/s"])
        );
        assert_ne!(
            a,
            derived_id(&["registration", "c-1", "1", "customers/a/sites/s"])
        );
        assert!(uuid::Uuid::parse_str(&a).is_ok());
        assert!(names::check_id(&a).is_ok());
    }

    #[test]
    fn human_durations_round_up_to_minutes() {
        assert_eq!(
            human(&duration(3 * 3_600_000_000 + 4 * 60_000_000 + 1)),
            "3h05m"
        );
    }
}
