//! The dashboard's reads: a quarter gathered from the aggregates the writes keep
//! (`gather.rs`), the rows the board names (`named.rs`), and the kept ranking
//! (`ranking.rs`). Rows and SQL only; the board is built in `api/`.

pub(crate) mod gather;
pub(crate) mod named;
pub(crate) mod ranking;

/// Stored state codes read here: the published enums' numbers (`api/` checks them).
pub(crate) mod code {
    pub(crate) const INCIDENT_OPEN: i32 = 1;
    pub(crate) const AT_RISK: i32 = 2;
    pub(crate) const BREACHED: i32 = 3;
}
