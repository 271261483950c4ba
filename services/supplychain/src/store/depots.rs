//! The statements of depots, stock levels and reservations, each run inside a
//! [`Change`] (the handler begins it, decides, and commits or rolls back).

use super::{DepotRow, Line, ReservationRow, StockRow, Table, change::Change};
use symbolon_platform::{
    StoreError,
    db::{Sql, Value},
};

/// The depot `id`, unless it is deleted.
pub async fn live_depot(ch: &mut Change, id: &str) -> Result<Option<DepotRow>, StoreError> {
    super::live::<DepotRow>(ch, id).await
}

/// Sets `sets` on depot `id` and bumps its version; the depot as written.
pub async fn update_depot(
    ch: &mut Change,
    id: &str,
    sets: Vec<(&'static str, Value)>,
    now: i64,
) -> Result<Option<DepotRow>, StoreError> {
    let mut sql = Sql::new("UPDATE depots SET ");
    for (col, val) in sets {
        sql.push(col).push(" = ").bind(val).push(", ");
    }
    sql.push("update_time = ")
        .bind(now)
        .push(", version = version + 1 WHERE id = ")
        .bind(id)
        .push(&format!(" RETURNING {}", DepotRow::COLUMNS));
    ch.one(&sql).await
}

/// How many reservations in `state` depot `id` holds.
pub async fn reservations_in(ch: &mut Change, id: &str, state: i32) -> Result<i64, StoreError> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM reservations WHERE state = ");
    sql.bind(state).push(" AND depot_id = ").bind(id);
    let row = sql.query().fetch_one(ch.conn()).await?;
    Ok(sqlx::Row::try_get(&row, "n")?)
}

/// Soft-deletes depot `id`; the depot as written.
pub async fn delete_depot(
    ch: &mut Change,
    id: &str,
    now: i64,
) -> Result<Option<DepotRow>, StoreError> {
    let mut sql = Sql::new("UPDATE depots SET delete_time = ");
    sql.bind(now)
        .push(", update_time = ")
        .bind(now)
        .push(", version = version + 1 WHERE id = ")
        .bind(id)
        .push(&format!(" RETURNING {}", DepotRow::COLUMNS));
    ch.one(&sql).await
}

/// Sets the units on hand of `part` at `depot` (`exists`: whether its row does); the
/// stock as written.
pub async fn set_on_hand(
    ch: &mut Change,
    depot: &str,
    part: &str,
    on_hand: i64,
    exists: bool,
    now: i64,
) -> Result<Option<StockRow>, StoreError> {
    let sql = if exists {
        let mut u = Sql::new("UPDATE stock_levels SET on_hand = ");
        u.bind(on_hand)
            .push(", update_time = ")
            .bind(now)
            .push(", version = version + 1 WHERE depot_id = ")
            .bind(depot)
            .push(" AND id = ")
            .bind(part);
        u
    } else {
        let mut i = Sql::new(
            "INSERT INTO stock_levels (id, depot_id, on_hand, reserved, create_time, update_time) VALUES (",
        );
        i.bind_list([part.into(), depot.into(), on_hand.into()])
            .push(", 0, ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        i
    };
    ch.exec(&sql).await?;
    super::scoped(ch, depot, part).await
}

/// Reserves `line` at `depot` if enough is available: one conditional UPDATE, so
/// concurrent reservations can never take more than there is (and the table's CHECK
/// would refuse it anyway). False when short.
pub async fn reserve_line(
    ch: &mut Change,
    depot: &str,
    line: &Line,
    now: i64,
) -> Result<bool, StoreError> {
    let mut up = Sql::new("UPDATE stock_levels SET reserved = reserved + ");
    up.bind(line.quantity)
        .push(", update_time = ")
        .bind(now)
        .push(", version = version + 1 WHERE depot_id = ")
        .bind(depot)
        .push(" AND id = ")
        .bind(line.part.as_str())
        .push(" AND on_hand - reserved >= ")
        .bind(line.quantity);
    Ok(ch.exec(&up).await? == 1)
}

/// Units of `part` available (on hand, not reserved) at `depot`; 0 without stock.
pub async fn available(ch: &mut Change, depot: &str, part: &str) -> Result<i64, StoreError> {
    let mut sql =
        Sql::new("SELECT on_hand - reserved AS available FROM stock_levels WHERE depot_id = ");
    sql.bind(depot).push(" AND id = ").bind(part);
    Ok(match sql.query().fetch_optional(ch.conn()).await? {
        Some(row) => sqlx::Row::try_get(&row, "available").unwrap_or(0),
        None => 0,
    })
}

/// Ends reservation `id` of `depot` in `state`: its units are no longer reserved and,
/// when `dispatch`, leave the depot. The reservation as written.
pub async fn finish_reservation(
    ch: &mut Change,
    depot: &str,
    row: &ReservationRow,
    state: i32,
    dispatch: bool,
    now: i64,
) -> Result<Option<ReservationRow>, StoreError> {
    for l in &row.lines {
        let mut up = Sql::new("UPDATE stock_levels SET reserved = reserved - ");
        up.bind(l.quantity);
        if dispatch {
            up.push(", on_hand = on_hand - ").bind(l.quantity);
        }
        up.push(", update_time = ")
            .bind(now)
            .push(", version = version + 1 WHERE depot_id = ")
            .bind(depot)
            .push(" AND id = ")
            .bind(l.part.as_str());
        ch.exec(&up).await?;
    }
    let mut up = Sql::new("UPDATE reservations SET state = ");
    up.bind(state)
        .push(", update_time = ")
        .bind(now)
        .push(", version = version + 1 WHERE depot_id = ")
        .bind(depot)
        .push(" AND id = ")
        .bind(row.meta.id.as_str());
    ch.exec(&up).await?;
    super::scoped(ch, depot, row.meta.id.as_str()).await
}
