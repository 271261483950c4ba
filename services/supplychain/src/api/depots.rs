//! Depots, stock levels and reservations.

use super::{Api, common::*, insert_once};
use crate::{
    convert,
    store::{self, DepotRow, GLOBAL, Line, ReservationRow, StockRow, Table, change},
};
use symbolon_contracts::supplychain::v1 as pb;
use symbolon_platform::{
    Caller, Violations,
    country::CountryCode,
    db::{Sql, Value},
    names, status,
};
use tonic::Status;
use tonic_types::{ErrorDetails, StatusExt};

/// Longest preparation time accepted.
const MAX_PREP_MICROS: i64 = 48 * 3_600_000_000;

fn check_depot_field(d: &pb::Depot, path: &str, v: &mut Violations) -> Vec<(&'static str, Value)> {
    let field = format!("depot.{path}");
    match path {
        "display_name" => {
            text(v, &field, &d.display_name, true, 200);
            vec![("display_name", d.display_name.trim().into())]
        }
        "country" => {
            let cc = v
                .check(&field, CountryCode::parse(&d.country))
                .map(|c| c.to_string())
                .unwrap_or_default();
            vec![("country", cc.into())]
        }
        "location" => {
            check_location(v, &field, d.location.as_ref());
            let l = d.location.unwrap_or_default();
            vec![
                ("latitude", l.latitude.into()),
                ("longitude", l.longitude.into()),
            ]
        }
        "status" => {
            match pb::DepotStatus::try_from(d.status) {
                Ok(s) if s != pb::DepotStatus::Unspecified => {}
                _ => v.add(field, "must be OPERATIONAL, DEGRADED or OUTAGE"),
            }
            vec![("status", d.status.into())]
        }
        _ => {
            let m = match &d.dispatch_preparation_time {
                None => {
                    v.add(field, "is required");
                    0
                }
                Some(p) => {
                    let m = convert::duration_to_micros(p);
                    if p.seconds < 0 || p.nanos < 0 || m > MAX_PREP_MICROS {
                        v.add(field, "must be between 0 and 48h");
                    }
                    m
                }
            };
            vec![("prep_micros", m.into())]
        }
    }
}

const DEPOT_FIELDS: &[&str] = &[
    "display_name",
    "country",
    "location",
    "status",
    "dispatch_preparation_time",
];

/// The most units of one part a depot may hold: far above any real depot, and low
/// enough that sums over every depot stay far from overflowing.
pub(crate) const MAX_UNITS: i64 = 1_000_000_000;

fn status_name(s: i32) -> &'static str {
    pb::DepotStatus::try_from(s)
        .unwrap_or_default()
        .as_str_name()
        .trim_start_matches("DEPOT_STATUS_")
}

impl Api {
    async fn live_depot(
        &self,
        ch: &mut change::Change,
        id: &str,
    ) -> Result<Option<DepotRow>, Status> {
        let mut sql = Sql::new(&format!(
            "SELECT {} FROM depots WHERE delete_time IS NULL AND id = ",
            DepotRow::COLUMNS
        ));
        sql.bind(id);
        Ok(ch.one(&sql).await?)
    }

    pub(super) async fn create_depot(
        &self,
        c: &Caller,
        r: pb::CreateDepotRequest,
    ) -> Result<pb::Depot, Status> {
        c.require_vendor(DEPOT_WRITERS)?;
        let mut v = Violations::new();
        let key = request_key(c, "CreateDepot", "", &r.request_id, &mut v);
        let d = r.depot.unwrap_or_default();
        let mut columns = vec!["id", "scope", "create_time", "update_time"];
        let mut sets = Vec::new();
        for path in DEPOT_FIELDS {
            sets.extend(check_depot_field(&d, path, &mut v));
        }
        if !r.depot_id.is_empty() {
            v.check("depot_id", names::check_id(&r.depot_id));
        }
        v.into_result()?;
        let id = if r.depot_id.is_empty() {
            names::new_id()
        } else {
            r.depot_id.clone()
        };
        let name = format!("depots/{id}");
        let now = self.clock.now();
        let mut values: Vec<Value> = vec![id.into(), GLOBAL.into(), now.into(), now.into()];
        for (col, val) in sets {
            columns.push(col);
            values.push(val);
        }
        let mut ch = change::begin(&self.db).await?;
        let (row, created): (DepotRow, bool) =
            insert_once(&mut ch, "depots", &columns, values, key, &name).await?;
        if created {
            self.commit(ch, now, &format!("{name} created"), true)
                .await?;
        } else {
            ch.rollback().await?;
        }
        Ok(convert::depot(row))
    }

    pub(super) async fn get_depot(
        &self,
        c: &Caller,
        r: pb::GetDepotRequest,
    ) -> Result<pb::Depot, Status> {
        c.require_vendor(READERS)?;
        let id = parse_id("name", &r.name, "depots")?;
        let row = store::get::<DepotRow>(&self.db, GLOBAL, &id)
            .await?
            .filter(|d| d.meta.delete_time.is_none())
            .ok_or_else(|| status::not_found(&r.name))?;
        Ok(convert::depot(row))
    }

    pub(super) async fn list_depots(
        &self,
        c: &Caller,
        r: pb::ListDepotsRequest,
    ) -> Result<pb::ListDepotsResponse, Status> {
        c.require_vendor(READERS)?;
        let query = format!("depots;{}", r.filter);
        let (rows, next_page) = list_page::<DepotRow>(
            &self.db,
            Listing {
                scope: Some(GLOBAL),
                filter: &r.filter,
                query: &query,
                show_deleted: false,
            },
            r.page_size,
            &r.page_token,
        )
        .await?;
        let mut depots = rows.into_iter().map(convert::depot).collect();
        let next_page_token = next_page.token(&mut depots);
        Ok(pb::ListDepotsResponse {
            depots,
            next_page_token,
        })
    }

    pub(super) async fn update_depot(
        &self,
        c: &Caller,
        r: pb::UpdateDepotRequest,
    ) -> Result<pb::Depot, Status> {
        c.require_vendor(DEPOT_WRITERS)?;
        let d = r.depot.unwrap_or_default();
        let id = parse_id("depot.name", &d.name, "depots")?;
        let mut v = Violations::new();
        let populated: Vec<&'static str> = DEPOT_FIELDS
            .iter()
            .copied()
            .filter(|p| match *p {
                "display_name" => !d.display_name.is_empty(),
                "country" => !d.country.is_empty(),
                "location" => d.location.is_some(),
                "status" => d.status != 0,
                _ => d.dispatch_preparation_time.is_some(),
            })
            .collect();
        let paths = mask_paths(r.update_mask.as_ref(), DEPOT_FIELDS, &populated, &mut v);
        if paths.is_empty() {
            v.add("update_mask", "nothing to update");
        }
        let mut sets = Vec::new();
        for p in &paths {
            sets.extend(check_depot_field(&d, p, &mut v));
        }
        v.into_result()?;
        let now = self.clock.now();
        let mut ch = change::begin(&self.db).await?;
        let Some(before) = self.live_depot(&mut ch, &id).await? else {
            ch.rollback().await?;
            return Err(status::not_found(&d.name));
        };
        if let Some(want) = etag_version(&d.etag)
            && want != before.meta.version
        {
            ch.rollback().await?;
            return Err(status::stale_etag(&d.name));
        }
        let mut sql = Sql::new("UPDATE depots SET ");
        for (col, val) in sets {
            sql.push(col).push(" = ").bind(val).push(", ");
        }
        sql.push("update_time = ")
            .bind(now)
            .push(", version = version + 1 WHERE id = ")
            .bind(id)
            .push(&format!(" RETURNING {}", DepotRow::COLUMNS));
        let Some(row) = ch.one::<DepotRow>(&sql).await? else {
            ch.rollback().await?;
            return Err(status::not_found(&d.name));
        };
        let cause = if row.status != before.status {
            format!(
                "{} status {} -> {}",
                d.name,
                status_name(before.status),
                status_name(row.status)
            )
        } else {
            format!("{} updated ({})", d.name, paths.join(", "))
        };
        self.commit(ch, now, &cause, true).await?;
        Ok(convert::depot(row))
    }

    pub(super) async fn delete_depot(
        &self,
        c: &Caller,
        r: pb::DeleteDepotRequest,
    ) -> Result<pb::Depot, Status> {
        c.require_vendor(DEPOT_WRITERS)?;
        let id = parse_id("name", &r.name, "depots")?;
        let now = self.clock.now();
        let mut ch = change::begin(&self.db).await?;
        let Some(before) = self.live_depot(&mut ch, &id).await? else {
            ch.rollback().await?;
            return Err(status::not_found(&r.name));
        };
        if let Some(want) = etag_version(&r.etag)
            && want != before.meta.version
        {
            ch.rollback().await?;
            return Err(status::stale_etag(&r.name));
        }
        let mut active = Sql::new("SELECT COUNT(*) AS n FROM reservations WHERE state = ");
        active
            .bind(pb::ReservationState::Active as i32)
            .push(" AND depot_id = ")
            .bind(id.clone());
        let n: i64 = sqlx::Row::try_get(
            &active
                .query()
                .fetch_one(ch.conn())
                .await
                .map_err(symbolon_platform::StoreError::from)?,
            "n",
        )
        .map_err(symbolon_platform::StoreError::from)?;
        if n > 0 {
            ch.rollback().await?;
            return Err(status::failed_precondition(
                "ACTIVE_RESERVATIONS",
                &r.name,
                format!(
                    "{} holds {n} active reservations: release or dispatch them first",
                    r.name
                ),
            ));
        }
        let mut sql = Sql::new("UPDATE depots SET delete_time = ");
        sql.bind(now)
            .push(", update_time = ")
            .bind(now)
            .push(", version = version + 1 WHERE id = ")
            .bind(id)
            .push(&format!(" RETURNING {}", DepotRow::COLUMNS));
        let row = ch
            .one::<DepotRow>(&sql)
            .await?
            .ok_or_else(|| status::not_found(&r.name))?;
        self.commit(ch, now, &format!("{} deleted", r.name), true)
            .await?;
        Ok(convert::depot(row))
    }

    pub(super) async fn set_stock_level(
        &self,
        c: &Caller,
        r: pb::SetStockLevelRequest,
    ) -> Result<pb::StockLevel, Status> {
        c.require_vendor(DEPOT_WRITERS)?;
        let s = r.stock_level.unwrap_or_default();
        let (depot, part) = parse_depot_child("stock_level.name", &s.name, "stockLevels")?;
        if !(0..=MAX_UNITS).contains(&s.on_hand) {
            return Err(status::invalid_argument(
                "stock_level.on_hand",
                format!("must be between 0 and {MAX_UNITS}"),
            ));
        }
        let now = self.clock.now();
        let mut ch = change::begin(&self.db).await?;
        if self.live_depot(&mut ch, &depot).await?.is_none() {
            ch.rollback().await?;
            return Err(status::not_found(&format!("depots/{depot}")));
        }
        let mut read = Sql::new(&format!(
            "SELECT {} FROM stock_levels WHERE depot_id = ",
            StockRow::COLUMNS
        ));
        read.bind(depot.clone())
            .push(" AND id = ")
            .bind(part.clone());
        let existing = ch.one::<StockRow>(&read).await?;
        let before = existing.as_ref().map_or(0, |e| e.on_hand);
        let sql = match &existing {
            Some(e) => {
                if let Some(want) = etag_version(&s.etag)
                    && want != e.meta.version
                {
                    ch.rollback().await?;
                    return Err(status::stale_etag(&s.name));
                }
                if s.on_hand < e.reserved {
                    ch.rollback().await?;
                    return Err(status::failed_precondition(
                        "BELOW_RESERVED",
                        &s.name,
                        format!(
                            "{} units are reserved; on_hand cannot go below that",
                            e.reserved
                        ),
                    ));
                }
                let mut u = Sql::new("UPDATE stock_levels SET on_hand = ");
                u.bind(s.on_hand)
                    .push(", update_time = ")
                    .bind(now)
                    .push(", version = version + 1 WHERE depot_id = ")
                    .bind(depot.clone())
                    .push(" AND id = ")
                    .bind(part.clone());
                u
            }
            None => {
                let mut i = Sql::new(
                    "INSERT INTO stock_levels (id, depot_id, on_hand, reserved, create_time, update_time) VALUES (",
                );
                i.bind(part.clone())
                    .push(", ")
                    .bind(depot.clone())
                    .push(", ")
                    .bind(s.on_hand)
                    .push(", 0, ")
                    .bind(now)
                    .push(", ")
                    .bind(now)
                    .push(")");
                i
            }
        };
        ch.exec(&sql).await?;
        let row = ch
            .one::<StockRow>(&read)
            .await?
            .ok_or_else(|| status::not_found(&s.name))?;
        self.commit(
            ch,
            now,
            &format!("depots/{depot} stock of {part}: {before} -> {}", s.on_hand),
            true,
        )
        .await?;
        Ok(convert::stock(row))
    }

    pub(super) async fn get_stock_level(
        &self,
        c: &Caller,
        r: pb::GetStockLevelRequest,
    ) -> Result<pb::StockLevel, Status> {
        c.require_vendor(READERS)?;
        let (depot, part) = parse_depot_child("name", &r.name, "stockLevels")?;
        let row = store::get::<StockRow>(&self.db, &depot, &part)
            .await?
            .ok_or_else(|| status::not_found(&r.name))?;
        Ok(convert::stock(row))
    }

    pub(super) async fn list_stock_levels(
        &self,
        c: &Caller,
        r: pb::ListStockLevelsRequest,
    ) -> Result<pb::ListStockLevelsResponse, Status> {
        c.require_vendor(READERS)?;
        let depot = parse_id("parent", &r.parent, "depots")?;
        let query = format!("stock;{depot}");
        let (rows, next_page) = list_page::<StockRow>(
            &self.db,
            Listing {
                scope: Some(&depot),
                filter: "",
                query: &query,
                show_deleted: false,
            },
            r.page_size,
            &r.page_token,
        )
        .await?;
        let mut stock_levels = rows.into_iter().map(convert::stock).collect();
        let next_page_token = next_page.token(&mut stock_levels);
        Ok(pb::ListStockLevelsResponse {
            stock_levels,
            next_page_token,
        })
    }

    pub(super) async fn create_reservation(
        &self,
        c: &Caller,
        r: pb::CreateReservationRequest,
    ) -> Result<pb::Reservation, Status> {
        require_any_vendor(c)?;
        let mut v = Violations::new();
        let key = request_key(c, "CreateReservation", &r.parent, &r.request_id, &mut v);
        let anywhere = r.parent == "depots/-";
        let depot = match parse_id("parent", &r.parent, "depots") {
            Ok(d) => d,
            Err(_) if anywhere => String::new(),
            Err(_) => {
                v.add("parent", "must look like depots/{depot} or depots/-");
                String::new()
            }
        };
        let site = if anywhere {
            Some(check_site(&mut v, "site", r.site.as_ref()))
        } else {
            None
        };
        let res = r.reservation.unwrap_or_default();
        if res.lines.is_empty() {
            v.add("reservation.lines", "at least one line is required");
        }
        let mut lines: Vec<Line> = Vec::new();
        for (i, l) in res.lines.iter().enumerate() {
            let f = format!("reservation.lines[{i}]");
            if let Err(e) = check_part(&l.part_number) {
                v.add(format!("{f}.part_number"), e);
            } else if lines.iter().any(|x| x.part == l.part_number) {
                v.add(format!("{f}.part_number"), "each part may appear once");
            }
            if !(1..=1_000_000).contains(&l.quantity) {
                v.add(format!("{f}.quantity"), "must be between 1 and 1000000");
            }
            lines.push(Line {
                part: l.part_number.clone(),
                quantity: l.quantity,
            });
        }
        text(&mut v, "reservation.reference", &res.reference, false, 500);
        v.into_result()?;
        let now = self.clock.now();
        let mut ch = change::begin(&self.db).await?;
        // A retry: answer with the first result, touching nothing.
        if let Some(k) = &key {
            let mut sql = Sql::new(&format!(
                "SELECT {} FROM reservations WHERE request_key = ",
                ReservationRow::COLUMNS
            ));
            sql.bind(k.clone());
            if let Some(row) = ch.one::<ReservationRow>(&sql).await? {
                ch.rollback().await?;
                return Ok(convert::reservation(row));
            }
        }
        let depot = match site {
            None => depot,
            Some(site) => {
                // Chosen under the change lock, so the stock seen is the stock reserved.
                let snap = crate::store::snapshot::load(ch.conn()).await?;
                let loc = site.location.unwrap_or_default();
                let want: Vec<(String, i64)> =
                    lines.iter().map(|l| (l.part.clone(), l.quantity)).collect();
                let target = crate::model::coverage::Site {
                    lat: loc.latitude,
                    lon: loc.longitude,
                    country: site.country.clone(),
                };
                match snap.fastest_with(&self.params, &target, &want) {
                    Some((i, _)) => snap.depots[i].id.clone(),
                    None => {
                        ch.rollback().await?;
                        let parts: Vec<String> = lines
                            .iter()
                            .map(|l| format!("{} x{}", l.part, l.quantity))
                            .collect();
                        return Err(status::failed_precondition(
                            "INSUFFICIENT_STOCK",
                            "depots/-",
                            format!("no serving depot has {} available", parts.join(", ")),
                        ));
                    }
                }
            }
        };
        let parent = format!("depots/{depot}");
        let Some(d) = self.live_depot(&mut ch, &depot).await? else {
            ch.rollback().await?;
            return Err(status::not_found(&parent));
        };
        if d.status == pb::DepotStatus::Outage as i32 {
            ch.rollback().await?;
            return Err(status::failed_precondition(
                "DEPOT_OUTAGE",
                &parent,
                format!("{parent} is in outage and cannot reserve stock"),
            ));
        }
        // Each line is one conditional UPDATE: it only applies while enough is
        // available, so concurrent reservations can never take more than there is (and
        // the table's CHECK would refuse it anyway).
        let mut short = Vec::new();
        for l in &lines {
            let mut up = Sql::new("UPDATE stock_levels SET reserved = reserved + ");
            up.bind(l.quantity)
                .push(", update_time = ")
                .bind(now)
                .push(", version = version + 1 WHERE depot_id = ")
                .bind(depot.clone())
                .push(" AND id = ")
                .bind(l.part.clone())
                .push(" AND on_hand - reserved >= ")
                .bind(l.quantity);
            if ch.exec(&up).await? == 0 {
                short.push(l.clone());
            }
        }
        if !short.is_empty() {
            let mut details = Vec::new();
            for l in &short {
                let mut sql = Sql::new(
                    "SELECT on_hand - reserved AS available FROM stock_levels WHERE depot_id = ",
                );
                sql.bind(depot.clone())
                    .push(" AND id = ")
                    .bind(l.part.clone());
                let available: i64 = match sql
                    .query()
                    .fetch_optional(ch.conn())
                    .await
                    .map_err(symbolon_platform::StoreError::from)?
                {
                    Some(row) => sqlx::Row::try_get(&row, "available").unwrap_or(0),
                    None => 0,
                };
                details.push((l.part.clone(), l.quantity, available));
            }
            ch.rollback().await?;
            return Err(insufficient(&parent, &details));
        }
        let id = names::new_id();
        let name = format!("{parent}/reservations/{id}");
        let (row, _created): (ReservationRow, bool) = insert_once(
            &mut ch,
            "reservations",
            &[
                "id",
                "depot_id",
                "lines",
                "reference",
                "state",
                "reserved_by",
                "create_time",
                "update_time",
            ],
            vec![
                id.into(),
                depot.into(),
                serde_json::to_string(&lines).unwrap_or_default().into(),
                res.reference.clone().into(),
                (pb::ReservationState::Active as i32).into(),
                c.subject.clone().into(),
                now.into(),
                now.into(),
            ],
            key,
            &name,
        )
        .await?;
        self.commit(ch, now, &format!("{name} reserved"), true)
            .await?;
        Ok(convert::reservation(row))
    }

    pub(super) async fn get_reservation(
        &self,
        c: &Caller,
        r: pb::GetReservationRequest,
    ) -> Result<pb::Reservation, Status> {
        require_any_vendor(c)?;
        let (depot, id) = parse_depot_child("name", &r.name, "reservations")?;
        let row = store::get::<ReservationRow>(&self.db, &depot, &id)
            .await?
            .ok_or_else(|| status::not_found(&r.name))?;
        Ok(convert::reservation(row))
    }

    pub(super) async fn list_reservations(
        &self,
        c: &Caller,
        r: pb::ListReservationsRequest,
    ) -> Result<pb::ListReservationsResponse, Status> {
        require_any_vendor(c)?;
        let depot = parse_id("parent", &r.parent, "depots")?;
        let query = format!("reservations;{depot}");
        let (rows, next_page) = list_page::<ReservationRow>(
            &self.db,
            Listing {
                scope: Some(&depot),
                filter: "",
                query: &query,
                show_deleted: false,
            },
            r.page_size,
            &r.page_token,
        )
        .await?;
        let mut reservations = rows.into_iter().map(convert::reservation).collect();
        let next_page_token = next_page.token(&mut reservations);
        Ok(pb::ListReservationsResponse {
            reservations,
            next_page_token,
        })
    }

    /// Release (`dispatch == false`) or dispatch an active reservation.
    pub(super) async fn finish_reservation(
        &self,
        c: &Caller,
        name: &str,
        dispatch: bool,
    ) -> Result<pb::Reservation, Status> {
        require_any_vendor(c)?;
        let (depot, id) = parse_depot_child("name", name, "reservations")?;
        let target = if dispatch {
            pb::ReservationState::Dispatched
        } else {
            pb::ReservationState::Released
        };
        let now = self.clock.now();
        let mut ch = change::begin(&self.db).await?;
        let mut read = Sql::new(&format!(
            "SELECT {} FROM reservations WHERE depot_id = ",
            ReservationRow::COLUMNS
        ));
        read.bind(depot.clone()).push(" AND id = ").bind(id.clone());
        let Some(row) = ch.one::<ReservationRow>(&read).await? else {
            ch.rollback().await?;
            return Err(status::not_found(name));
        };
        if row.state == target as i32 {
            // Idempotent: releasing a released reservation changes nothing.
            ch.rollback().await?;
            return Ok(convert::reservation(row));
        }
        if row.state != pb::ReservationState::Active as i32 {
            ch.rollback().await?;
            return Err(status::failed_precondition(
                "RESERVATION_CLOSED",
                name,
                format!(
                    "{name} is {} and can no longer be {}",
                    pb::ReservationState::try_from(row.state)
                        .unwrap_or_default()
                        .as_str_name(),
                    if dispatch { "dispatched" } else { "released" }
                ),
            ));
        }
        for l in &row.lines {
            let mut up = Sql::new("UPDATE stock_levels SET reserved = reserved - ");
            up.bind(l.quantity);
            if dispatch {
                up.push(", on_hand = on_hand - ").bind(l.quantity);
            }
            up.push(", update_time = ")
                .bind(now)
                .push(", version = version + 1 WHERE depot_id = ")
                .bind(depot.clone())
                .push(" AND id = ")
                .bind(l.part.clone());
            ch.exec(&up).await?;
        }
        let mut up = Sql::new("UPDATE reservations SET state = ");
        up.bind(target as i32)
            .push(", update_time = ")
            .bind(now)
            .push(", version = version + 1 WHERE depot_id = ")
            .bind(depot)
            .push(" AND id = ")
            .bind(id);
        ch.exec(&up).await?;
        let row = ch
            .one::<ReservationRow>(&read)
            .await?
            .ok_or_else(|| status::not_found(name))?;
        let verb = if dispatch { "dispatched" } else { "released" };
        self.commit(ch, now, &format!("{name} {verb}"), true)
            .await?;
        Ok(convert::reservation(row))
    }
}

/// FAILED_PRECONDITION listing each short part with what is available.
fn insufficient(depot: &str, short: &[(String, i64, i64)]) -> Status {
    let mut d = ErrorDetails::new();
    for (part, want, have) in short {
        d.add_precondition_failure_violation(
            "INSUFFICIENT_STOCK",
            format!("{depot}/stockLevels/{part}"),
            format!("requested {want}, available {have}"),
        );
    }
    d.set_error_info(
        "INSUFFICIENT_STOCK",
        symbolon_platform::status::DOMAIN,
        std::collections::HashMap::new(),
    );
    let parts: Vec<String> = short
        .iter()
        .map(|(p, w, h)| format!("{p} (requested {w}, available {h})"))
        .collect();
    Status::with_error_details(
        tonic::Code::FailedPrecondition,
        format!("not enough stock at {depot}: {}", parts.join(", ")),
        d,
    )
}
