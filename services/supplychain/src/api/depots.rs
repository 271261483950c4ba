//! Depots, stock levels and reservations.

use super::{Api, common::*, insert_once};
use crate::{
    convert,
    store::{self, DepotRow, GLOBAL, Line, ReservationRow, StockRow, change, depots},
};
use symbolon_contracts::supplychain::v1 as pb;
use symbolon_platform::{Caller, Violations, country::CountryCode, db::Value, names, status};
use tonic::Status;
use tonic_types::{ErrorDetails, StatusExt};

/// Longest preparation time accepted.
const MAX_PREP_MICROS: i64 = 48 * 3_600_000_000;

/// The fields of a depot a create or update sets; matched exhaustively, so a field
/// added here is checked, detected and stored, or the crate does not compile.
#[derive(Clone, Copy)]
enum DepotField {
    DisplayName,
    Country,
    Location,
    Status,
    DispatchPreparationTime,
}

impl DepotField {
    const ALL: [Self; 5] = [
        Self::DisplayName,
        Self::Country,
        Self::Location,
        Self::Status,
        Self::DispatchPreparationTime,
    ];

    /// Its update-mask path.
    fn path(self) -> &'static str {
        match self {
            Self::DisplayName => "display_name",
            Self::Country => "country",
            Self::Location => "location",
            Self::Status => "status",
            Self::DispatchPreparationTime => "dispatch_preparation_time",
        }
    }

    /// Whether the client set it (for an update without a mask).
    fn populated(self, d: &pb::Depot) -> bool {
        match self {
            Self::DisplayName => !d.display_name.is_empty(),
            Self::Country => !d.country.is_empty(),
            Self::Location => d.location.is_some(),
            Self::Status => d.status != 0,
            Self::DispatchPreparationTime => d.dispatch_preparation_time.is_some(),
        }
    }
}

/// Records violations of `f` in `d`; the columns and values that store it.
fn check_depot_field(
    d: &pb::Depot,
    f: DepotField,
    v: &mut Violations,
) -> Vec<(&'static str, Value)> {
    let field = format!("depot.{}", f.path());
    match f {
        DepotField::DisplayName => {
            text(v, &field, &d.display_name, true, 200);
            vec![("display_name", d.display_name.trim().into())]
        }
        DepotField::Country => {
            let cc = v
                .check(&field, CountryCode::parse(&d.country))
                .map(|c| c.to_string())
                .unwrap_or_default();
            vec![("country", cc.into())]
        }
        DepotField::Location => {
            v.location(&field, d.location.as_ref());
            let l = d.location.unwrap_or_default();
            vec![
                ("latitude", l.latitude.into()),
                ("longitude", l.longitude.into()),
            ]
        }
        DepotField::Status => {
            match pb::DepotStatus::try_from(d.status) {
                Ok(s) if s != pb::DepotStatus::Unspecified => {}
                _ => v.add(field, "must be OPERATIONAL, DEGRADED or OUTAGE"),
            }
            vec![("status", d.status.into())]
        }
        DepotField::DispatchPreparationTime => {
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
    pub(super) async fn create_depot(
        &self,
        c: &Caller,
        r: pb::CreateDepotRequest,
    ) -> Result<pb::Depot, Status> {
        c.require_vendor(DEPOT_WRITERS)?;
        let mut v = Violations::new();
        let key = request_key(c, "CreateDepot", "", &r, &mut v);
        let d = r.depot.unwrap_or_default();
        let mut columns = vec!["id", "scope", "create_time", "update_time"];
        let mut sets = Vec::new();
        for f in DepotField::ALL {
            sets.extend(check_depot_field(&d, f, &mut v));
        }
        let id = chosen_or_new_id(&mut v, "depot_id", &r.depot_id);
        v.into_result()?;
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
        self.finish_create(ch, created, now, &format!("{name} created"), true)
            .await?;
        Ok(convert::depot(row))
    }

    pub(super) async fn get_depot(
        &self,
        c: &Caller,
        r: pb::GetDepotRequest,
    ) -> Result<pb::Depot, Status> {
        c.require_vendor(READERS)?;
        let id = parse_id("name", &r.name, "depots")?;
        Ok(convert::depot(self.live::<DepotRow>(&id, &r.name).await?))
    }

    pub(super) async fn list_depots(
        &self,
        c: &Caller,
        r: pb::ListDepotsRequest,
    ) -> Result<pb::ListDepotsResponse, Status> {
        c.require_vendor(READERS)?;
        let query = format!("depots;{}", r.filter);
        let (depots, next_page_token) = list_pb::<DepotRow, _>(
            &self.db,
            (GLOBAL, &r.filter, &query),
            r.page_size,
            &r.page_token,
            convert::depot,
        )
        .await?;
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
        let allowed = DepotField::ALL.map(DepotField::path);
        let populated: Vec<&'static str> = DepotField::ALL
            .into_iter()
            .filter(|f| f.populated(&d))
            .map(DepotField::path)
            .collect();
        let paths = mask_paths(r.update_mask.as_ref(), &allowed, &populated, &mut v);
        if paths.is_empty() {
            v.add("update_mask", "nothing to update");
        }
        let mut sets = Vec::new();
        // Parsed once, in the mask's order: every path is one of `allowed`.
        let fields = paths
            .iter()
            .filter_map(|p| DepotField::ALL.into_iter().find(|f| f.path() == *p));
        for f in fields {
            sets.extend(check_depot_field(&d, f, &mut v));
        }
        v.into_result()?;
        let now = self.clock.now();
        let mut ch = change::begin(&self.db).await?;
        let Some(before) = depots::live_depot(&mut ch, &id).await? else {
            ch.rollback().await?;
            return Err(status::not_found(&d.name));
        };
        if let Some(want) = etag_version(&d.etag)
            && want != before.meta.version
        {
            ch.rollback().await?;
            return Err(status::stale_etag(&d.name));
        }
        let Some(row) = depots::update_depot(&mut ch, &id, sets, now).await? else {
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
        let Some(before) = depots::live_depot(&mut ch, &id).await? else {
            ch.rollback().await?;
            return Err(status::not_found(&r.name));
        };
        if let Some(want) = etag_version(&r.etag)
            && want != before.meta.version
        {
            ch.rollback().await?;
            return Err(status::stale_etag(&r.name));
        }
        let n = depots::reservations_in(&mut ch, &id, pb::ReservationState::Active as i32).await?;
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
        let row = depots::delete_depot(&mut ch, &id, now)
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
        if depots::live_depot(&mut ch, &depot).await?.is_none() {
            ch.rollback().await?;
            return Err(status::not_found(&format!("depots/{depot}")));
        }
        // The stock of `part` at `depot`, if any was ever set.
        let existing = store::scoped::<StockRow>(&mut ch, &depot, &part).await?;
        let before = existing.as_ref().map_or(0, |e| e.on_hand);
        if let Some(e) = &existing {
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
        }
        let row = depots::set_on_hand(&mut ch, &depot, &part, s.on_hand, existing.is_some(), now)
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
        Ok(convert::stock(self.found(&depot, &part, &r.name).await?))
    }

    pub(super) async fn list_stock_levels(
        &self,
        c: &Caller,
        r: pb::ListStockLevelsRequest,
    ) -> Result<pb::ListStockLevelsResponse, Status> {
        c.require_vendor(READERS)?;
        let depot = parse_id("parent", &r.parent, "depots")?;
        let query = format!("stock;{depot}");
        let (stock_levels, next_page_token) = list_pb::<StockRow, _>(
            &self.db,
            (&depot, "", &query),
            r.page_size,
            &r.page_token,
            convert::stock,
        )
        .await?;
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
        let key = request_key(c, "CreateReservation", &r.parent, &r, &mut v);
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
        symbolon_platform::request_ids::claim_on(ch.conn(), key.as_deref()).await?;
        // A retry: answer with the first result, touching nothing.
        if let Some(row) =
            store::by_request_key::<ReservationRow>(&mut ch, "reservations", key.as_deref()).await?
        {
            ch.rollback().await?;
            return Ok(convert::reservation(row));
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
        let Some(d) = depots::live_depot(&mut ch, &depot).await? else {
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
        // Each line is reserved only while enough is available (depots::reserve_line).
        let mut short = Vec::new();
        for l in &lines {
            if !depots::reserve_line(&mut ch, &depot, l, now).await? {
                short.push(l.clone());
            }
        }
        if !short.is_empty() {
            let mut details = Vec::new();
            for l in &short {
                let available = depots::available(&mut ch, &depot, &l.part).await?;
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
        Ok(convert::reservation(
            self.found(&depot, &id, &r.name).await?,
        ))
    }

    pub(super) async fn list_reservations(
        &self,
        c: &Caller,
        r: pb::ListReservationsRequest,
    ) -> Result<pb::ListReservationsResponse, Status> {
        require_any_vendor(c)?;
        let depot = parse_id("parent", &r.parent, "depots")?;
        let query = format!("reservations;{depot}");
        let (reservations, next_page_token) = list_pb::<ReservationRow, _>(
            &self.db,
            (&depot, "", &query),
            r.page_size,
            &r.page_token,
            convert::reservation,
        )
        .await?;
        Ok(pb::ListReservationsResponse {
            reservations,
            next_page_token,
        })
    }

    pub(super) async fn release_reservation(
        &self,
        c: &Caller,
        r: pb::ReleaseReservationRequest,
    ) -> Result<pb::Reservation, Status> {
        self.finish_reservation(c, &r.name, false).await
    }

    pub(super) async fn dispatch_reservation(
        &self,
        c: &Caller,
        r: pb::DispatchReservationRequest,
    ) -> Result<pb::Reservation, Status> {
        self.finish_reservation(c, &r.name, true).await
    }

    /// Release (`dispatch == false`) or dispatch an active reservation.
    async fn finish_reservation(
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
        let Some(row) = store::scoped::<ReservationRow>(&mut ch, &depot, &id).await? else {
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
        let row = depots::finish_reservation(&mut ch, &depot, &row, target as i32, dispatch, now)
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
