//! The dashboard's reads: a quarter gathered from the aggregates the writes keep
//! (`gather.rs`), the rows the board names (`named.rs`), and the kept ranking
//! (`ranking.rs`). Rows and SQL only; the board is built in `api/`.

pub(crate) mod gather;
pub(crate) mod named;
pub(crate) mod ranking;

use super::calendar::Quarter;
use symbolon_platform::db::Sql;

/// Selects `columns` of the touchpoints of `customer_id` in quarter `q` that no
/// correction replaced (alias `t`): what the raw reads count.
fn uncorrected_touchpoints(columns: &str, customer_id: &str, q: Quarter) -> Sql {
    let mut sql = Sql::new(&format!(
        "SELECT {columns} FROM touchpoints t WHERE customer_id = "
    ));
    sql.bind(customer_id)
        .push(" AND occur_time >= ")
        .bind(q.start())
        .push(" AND occur_time < ")
        .bind(q.end())
        .push(
            " AND NOT EXISTS (SELECT 1 FROM touchpoints c WHERE c.customer_id = t.customer_id AND c.corrects_id = t.id)",
        );
    sql
}

/// Stored state codes read here: the published enums' numbers (`api/` checks them).
pub(crate) mod code {
    pub(crate) const INCIDENT_OPEN: i32 = 1;
    pub(crate) const AT_RISK: i32 = 2;
    pub(crate) const BREACHED: i32 = 3;
}
