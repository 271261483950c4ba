//! Clauses as stored: the published `Commitment` message holding only its clauses,
//! encoded (the store keeps the bytes and never decodes them), and the spare-parts
//! promises breach detection reads from them.

use super::super::store::breach::Promise;
use prost::Message;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::time::micros;

/// The stored form of `clauses`.
pub(crate) fn encode(clauses: &[pb::CommitmentClause]) -> Vec<u8> {
    pb::Commitment {
        clauses: clauses.to_vec(),
        ..Default::default()
    }
    .encode_to_vec()
}

/// The clauses of their stored form; `None` if it is corrupt.
pub(crate) fn decode(bytes: &[u8]) -> Option<Vec<pb::CommitmentClause>> {
    pb::Commitment::decode(bytes).ok().map(|c| c.clauses)
}

/// The spare-parts clauses with a window, as promises (other clauses promise nothing
/// a fire request could break).
pub(crate) fn promises(clauses: &[pb::CommitmentClause]) -> Vec<Promise> {
    clauses
        .iter()
        .filter_map(|c| match &c.kind {
            Some(pb::commitment_clause::Kind::SpareParts(s)) => {
                s.window.as_ref().map(|w| Promise {
                    sites: s.sites.clone(),
                    part_numbers: s.part_numbers.clone(),
                    window: micros(w),
                })
            }
            _ => None,
        })
        .collect()
}
