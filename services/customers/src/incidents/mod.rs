//! Incidents and "calling for fire" (`symbolon.customers.v1.IncidentsService`).
//!
//! A frontline person opens an incident and mobilises departments directly; only the
//! named department acknowledges and fulfils. Every change appends to the incident's
//! timeline in the same transaction; timers fire warnings and escalations; watchers get
//! the timeline replayed and then live.
//!
//! A supply-chain call for fire may ask for parts: they are reserved through the
//! supply-chain service (nearest depot that has them all) before anything is written,
//! under a request id derived from the fire request's, so a retry never reserves twice.
//! Fulfilling the request dispatches them, cancelling it (or its incident) releases
//! them, each exactly once across the two services (`settle.rs`); an incident closes
//! only when none of its requests is still open, so no reservation outlives it.

mod rows;
mod settle;
mod timeline;
mod timers;

pub use timers::IncidentTimers;

use crate::api::common::{live_parent, parse_name};
use crate::commitments::{SupplyChain, breach};
use crate::visibility;
use rows::{FireRequestRow, IncidentRow};
use settle::End;
use std::{pin::Pin, time::Duration};
use symbolon_contracts::customers::v1::{self as pb, incidents_service_server::IncidentsService};
use symbolon_contracts::supplychain::v1 as spb;
use symbolon_platform::{
    Caller, Database, Violations, aip,
    auth::RoleKind,
    names, status,
    table::{self, Table},
    time::{self, Clock},
};
use timeline::{NewEvent, Wakeup};
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// Frontline roles that open incidents and call for fire.
const FRONTLINE: &[&str] = &["admin", "frontline"];
/// How often a watcher looks for events appended by another replica.
const WATCH_POLL: Duration = Duration::from_millis(250);

/// The IncidentsService implementation.
#[derive(Clone)]
pub struct Incidents {
    db: Database,
    clock: Clock,
    wakeup: Wakeup,
    shutdown: CancellationToken,
    /// Reserves and releases parts; without it parts cannot be requested (UNAVAILABLE).
    supply: Option<SupplyChain>,
}

impl Incidents {
    /// Serves incidents from `db`, reserving parts through `supply`; streams end when
    /// `shutdown` is cancelled.
    pub fn new(
        db: Database,
        clock: Clock,
        supply: Option<SupplyChain>,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            db,
            clock,
            wakeup: Wakeup::default(),
            shutdown,
            supply,
        }
    }

    fn supply(&self) -> Result<&SupplyChain, Status> {
        self.supply.as_ref().ok_or_else(|| {
            status::unavailable(
                "no supply-chain service is configured, so parts cannot be reserved or released",
            )
        })
    }

    /// Where the incident's site is, for the supply-chain service.
    async fn site_location(&self, incident: &IncidentRow) -> Result<spb::SiteLocation, Status> {
        let site = names::parse(&incident.site, &["customers", "sites"])
            .ok()
            .and_then(|ids| (ids[0] == incident.customer_id).then(|| ids[1].to_string()));
        let row = match site {
            Some(id) => {
                table::get::<crate::store::SiteRow>(&self.db, &incident.customer_id, &id).await?
            }
            None => None,
        };
        let Some(row) = row.filter(|r| r.meta.delete_time.is_none()) else {
            return Err(status::failed_precondition(
                "SITE_GONE",
                &incident.site,
                "the incident's site no longer exists, so parts cannot be routed to it",
            ));
        };
        Ok(spb::SiteLocation {
            location: Some(symbolon_contracts::common::v1::LatLng {
                latitude: row.latitude,
                longitude: row.longitude,
            }),
            country: row.country,
            site: incident.site.clone(),
        })
    }

    /// The timers of these incidents (sweep them in tests; `run` them in production).
    pub fn timers(&self) -> IncidentTimers {
        IncidentTimers::new(self.db.clone(), self.clock.clone(), self.wakeup.clone())
    }

    /// Runs the timers every `interval` until shutdown, among `tasks`.
    pub fn spawn_timers(
        &self,
        interval: Duration,
        tasks: &symbolon_platform::background::Background,
    ) {
        tasks.spawn(self.timers().run(interval, self.shutdown.clone()));
    }

    async fn incident(&self, caller: &Caller, name: &str) -> Result<IncidentRow, Status> {
        let n = parse_name("name", name, &["customers", "incidents"])?;
        caller.ensure_customer(n.customer_id, name)?;
        table::get::<IncidentRow>(&self.db, n.customer_id, n.id)
            .await?
            .ok_or_else(|| status::not_found(name))
    }

    async fn fire_request(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<(IncidentRow, FireRequestRow), Status> {
        let ids = names::parse(name, &["customers", "incidents", "fireRequests"])
            .map_err(|e| status::invalid_argument("name", e.to_string()))?;
        caller.ensure_customer(ids[0], name)?;
        let incident = table::get::<IncidentRow>(&self.db, ids[0], ids[1])
            .await?
            .ok_or_else(|| status::not_found(name))?;
        let key = format!("{}/{}", ids[0], ids[1]);
        let fr = table::get::<FireRequestRow>(&self.db, &key, ids[2])
            .await?
            .ok_or_else(|| status::not_found(name))?;
        Ok((incident, fr))
    }
}

fn micros(d: &Option<prost_types::Duration>) -> Option<i64> {
    d.as_ref().map(|d| {
        d.seconds
            .saturating_mul(1_000_000)
            .saturating_add(i64::from(d.nanos) / 1000)
    })
}

/// FAILED_PRECONDITION: the incident is no longer open.
fn not_open(name: &str, state: i32) -> Status {
    let cancelled = state == pb::IncidentState::Cancelled as i32;
    status::failed_precondition(
        if cancelled {
            "INCIDENT_CANCELLED"
        } else {
            "INCIDENT_CLOSED"
        },
        name,
        if cancelled {
            "the incident is cancelled"
        } else {
            "the incident is closed"
        },
    )
}

/// FAILED_PRECONDITION for a close while requests are open: one violation per request.
fn still_open(open: &[FireRequestRow]) -> Status {
    let violations: Vec<(String, String, String)> = open
        .iter()
        .map(|fr| {
            (
                "FIRE_REQUEST_OPEN".to_string(),
                fr.name(),
                format!(
                    "{} request is {}: fulfil or cancel it first",
                    fr.department,
                    pb::FireRequestState::try_from(fr.state)
                        .unwrap_or_default()
                        .as_str_name()
                ),
            )
        })
        .collect();
    let n = open.len();
    status::failed_preconditions(
        "FIRE_REQUESTS_OPEN",
        format!(
            "{} still open: fulfil or cancel each before closing",
            plural(n, "fire request is", "fire requests are")
        ),
        &violations,
    )
}

/// "1 fire request is", "2 fire requests are".
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Cancels the open requests of an incident (only `id` if given) whose parts are not
/// being dispatched; the number cancelled.
async fn cancel_requests(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    customer_id: &str,
    incident_id: &str,
    id: Option<&str>,
) -> Result<u64, Status> {
    let key = format!("{customer_id}/{incident_id}");
    let mut up = symbolon_platform::db::Sql::new("UPDATE fire_requests SET state = ");
    up.bind(pb::FireRequestState::Cancelled as i64)
        .push(" WHERE incident_key = ")
        .bind(key.as_str())
        .push(&format!(
            " AND state IN {} AND settlement <> 'dispatch'",
            settle::OPEN_STATES
        ));
    if let Some(id) = id {
        up.push(" AND id = ").bind(id);
    }
    Ok(up
        .query()
        .execute(&mut **tx)
        .await
        .map_err(symbolon_platform::StoreError::from)?
        .rows_affected())
}

type EventStream = Pin<Box<dyn Stream<Item = Result<pb::IncidentEvent, Status>> + Send>>;

#[tonic::async_trait]
impl IncidentsService for Incidents {
    async fn open_incident(
        &self,
        req: Request<pb::OpenIncidentRequest>,
    ) -> Result<Response<pb::Incident>, Status> {
        let caller = Caller::of(&req)?;
        let r = req.into_inner();
        let customer_id = live_parent(&self.db, &caller, &r.parent).await?;
        caller.require_vendor(FRONTLINE)?;
        let mut v = Violations::new();
        let key = aip::request_key(&caller, "OpenIncident", &r.parent, &r.request_id, &mut v);
        let i = r.incident.unwrap_or_default();
        let now = self.clock.now();
        if pb::Severity::try_from(i.severity).is_err() || i.severity == 0 {
            v.add(
                "incident.severity",
                "is required and must be a known severity",
            );
        }
        aip::text(&mut v, "incident.summary", &i.summary, true, 4000);
        let detect = match i.detect_time.as_ref().map(time::from_timestamp) {
            None => {
                v.add("incident.detect_time", "is required");
                now
            }
            Some(Err(e)) => {
                v.add("incident.detect_time", e.to_string());
                now
            }
            Some(Ok(t)) if t > now + 300_000_000 => {
                v.add("incident.detect_time", "must not be in the future");
                now
            }
            Some(Ok(t)) => t,
        };
        if !i.site.is_empty() {
            match names::parse(&i.site, &["customers", "sites"]) {
                Ok(ids) if ids[0] == customer_id => {
                    if table::get::<crate::store::SiteRow>(&self.db, &customer_id, ids[1])
                        .await?
                        .is_none()
                    {
                        v.add("incident.site", "no such site");
                    }
                }
                _ => v.add("incident.site", "must be a site of the parent customer"),
            }
        }
        v.into_result()?;
        let id = names::new_id();
        let mut tx = self
            .db
            .writer()
            .begin()
            .await
            .map_err(symbolon_platform::StoreError::from)?;
        let mut insert = symbolon_platform::db::Sql::new(
            "INSERT INTO incidents (id, customer_id, site, severity, summary, detect_time, state, owner, create_time, request_key) VALUES (",
        );
        insert
            .bind(id.as_str())
            .push(", ")
            .bind(customer_id.as_str())
            .push(", ")
            .bind(i.site.as_str())
            .push(", ")
            .bind(i64::from(i.severity))
            .push(", ")
            .bind(i.summary.trim())
            .push(", ")
            .bind(detect)
            .push(", ")
            .bind(pb::IncidentState::Open as i64)
            .push(", ")
            .bind(caller.subject.as_str())
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(key.clone())
            .push(&format!(
                ") ON CONFLICT (request_key) DO NOTHING RETURNING {}",
                IncidentRow::COLUMNS
            ));
        // The new row comes back from the insert itself: no read after the commit.
        let created = table::fetch_optional::<IncidentRow, _>(&mut *tx, &insert).await?;
        if created.is_some() {
            let event = NewEvent {
                kind: pb::IncidentEventKind::Opened,
                actor: &caller.subject,
                fire_request: "",
                message: i.summary.trim().to_string(),
                notify: Vec::new(),
            };
            timeline::append(&mut tx, &customer_id, &id, now, event).await?;
        }
        tx.commit()
            .await
            .map_err(symbolon_platform::StoreError::from)?;
        let row = match created {
            Some(row) => Some(row),
            None => {
                table::by_request_key::<IncidentRow>(&self.db, key.as_deref().unwrap_or_default())
                    .await?
            }
        };
        let row = row.ok_or_else(|| status::internal(&"incident vanished after insert"))?;
        caller.ensure_customer(&row.customer_id, &r.parent)?;
        self.wakeup.wake();
        Ok(Response::new(row.to_proto()))
    }

    async fn get_incident(
        &self,
        req: Request<pb::GetIncidentRequest>,
    ) -> Result<Response<pb::Incident>, Status> {
        let caller = Caller::of(&req)?;
        Ok(Response::new(
            self.incident(&caller, &req.into_inner().name)
                .await?
                .to_proto(),
        ))
    }

    async fn list_incidents(
        &self,
        req: Request<pb::ListIncidentsRequest>,
    ) -> Result<Response<pb::ListIncidentsResponse>, Status> {
        let caller = Caller::of(&req)?;
        let r = req.into_inner();
        let n = parse_name("parent", &r.parent, &["customers"])?;
        caller.ensure_customer(n.customer_id, &r.parent)?;
        let query = format!("incidents;{};{}", r.parent, r.filter);
        let listing = aip::Listing {
            scope: Some(n.customer_id),
            filter: &r.filter,
            query: &query,
            show_deleted: false,
        };
        let (rows, next_page_token) =
            aip::list_page::<IncidentRow>(&self.db, listing, r.page_size, &r.page_token).await?;
        Ok(Response::new(pb::ListIncidentsResponse {
            incidents: rows.iter().map(IncidentRow::to_proto).collect(),
            next_page_token,
        }))
    }

    async fn call_for_fire(
        &self,
        req: Request<pb::CallForFireRequest>,
    ) -> Result<Response<pb::FireRequest>, Status> {
        let caller = Caller::of(&req)?;
        let r = req.into_inner();
        let incident = self.incident(&caller, &r.parent).await?;
        caller.require_vendor(FRONTLINE)?;
        // Tenancy::IncidentOwner (access.rs): the incident's frontline owner, or an admin.
        if !(caller.has_kind(RoleKind::Admin) || incident.owner == caller.subject) {
            return Err(status::permission_denied(
                "only the incident's frontline owner or an admin may call for fire on it",
            ));
        }
        if incident.state != pb::IncidentState::Open as i32 {
            return Err(status::failed_precondition(
                "INCIDENT_CLOSED",
                &r.parent,
                "the incident is closed",
            ));
        }
        let mut v = Violations::new();
        let key = aip::request_key(&caller, "CallForFire", &r.parent, &r.request_id, &mut v);
        let f = r.fire_request.unwrap_or_default();
        let department = f.department.trim().to_ascii_lowercase();
        if department.is_empty()
            || !department
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            v.add(
                "fire_request.department",
                "is required: lowercase letters, digits and '-' (e.g. supply-chain)",
            );
        }
        aip::text(&mut v, "fire_request.ask", &f.ask, true, 4000);
        if !f.parts.is_empty() {
            if department != "supply-chain" {
                v.add(
                    "fire_request.parts",
                    "parts may only be requested from department supply-chain",
                );
            }
            if incident.site.is_empty() {
                v.add(
                    "fire_request.parts",
                    "parts need an incident with a site to deliver them to",
                );
            }
            if f.parts.len() > 100 {
                v.add("fire_request.parts", "at most 100 parts");
            }
        }
        for (i, p) in f.parts.iter().enumerate() {
            let field = format!("fire_request.parts[{i}]");
            if p.part_number.is_empty() {
                v.add(format!("{field}.part_number"), "is required");
            } else if !crate::commitments::check_part(&p.part_number) {
                v.add(
                    format!("{field}.part_number"),
                    "1 to 64 letters, digits, '.', '_' or '-'",
                );
            } else if f.parts[..i].iter().any(|q| q.part_number == p.part_number) {
                v.add(format!("{field}.part_number"), "each part may appear once");
            }
            if !(1..=1_000_000).contains(&p.quantity) {
                v.add(format!("{field}.quantity"), "must be between 1 and 1000000");
            }
        }
        let ack = micros(&f.acknowledge_within);
        let fulfil = micros(&f.fulfil_within);
        match ack {
            Some(a) if a > 0 => {}
            _ => v.add(
                "fire_request.acknowledge_within",
                "is required and must be positive",
            ),
        }
        match (ack, fulfil) {
            (_, None) => v.add("fire_request.fulfil_within", "is required"),
            (Some(a), Some(f)) if f < a => v.add(
                "fire_request.fulfil_within",
                "must be at least acknowledge_within",
            ),
            (_, Some(f)) if f <= 0 => v.add("fire_request.fulfil_within", "must be positive"),
            _ => {}
        }
        v.into_result()?;
        let (ack, fulfil) = (ack.unwrap_or_default(), fulfil.unwrap_or_default());
        // A retry of a request that was written: answer with it, reserving nothing.
        if let Some(k) = &key
            && let Some(row) = table::by_request_key::<FireRequestRow>(&self.db, k).await?
        {
            caller.ensure_customer(&row.customer_id, &r.parent)?;
            return Ok(Response::new(row.to_proto()));
        }
        let id = names::new_id();
        let incident_key = format!("{}/{}", incident.customer_id, incident.id);
        let name = format!("{}/fireRequests/{id}", r.parent);
        // Parts are reserved before anything is written. The reservation's request id is
        // derived from the request key (or the new id), so a retry after a failure
        // between the reservation and the write gets the same reservation back.
        let reservation = if f.parts.is_empty() {
            None
        } else {
            let supply = self.supply()?;
            let site = self.site_location(&incident).await?;
            let request_id = match &key {
                Some(k) => crate::commitments::derived_id(&["fire-request-parts", k]),
                None => crate::commitments::derived_id(&["fire-request-parts", &name]),
            };
            let lines = f
                .parts
                .iter()
                .map(|p| spb::PartQuantity {
                    part_number: p.part_number.clone(),
                    quantity: i64::from(p.quantity),
                })
                .collect();
            let reserved = supply
                .reserve(
                    &caller,
                    &request_id,
                    site,
                    spb::Reservation {
                        lines,
                        reference: name.clone(),
                        ..Default::default()
                    },
                )
                .await?;
            Some(reserved)
        };
        let depot_place = match (&reservation, self.supply.as_ref()) {
            (Some(res), Some(supply)) => match res.name.split("/reservations/").next() {
                Some(depot) => supply.depot_place(&caller, depot).await,
                None => None,
            },
            _ => None,
        };
        let now = self.clock.now();
        let mut tx = self
            .db
            .writer()
            .begin()
            .await
            .map_err(symbolon_platform::StoreError::from)?;
        let mut insert = symbolon_platform::db::Sql::new(
            "INSERT INTO fire_requests (id, incident_key, customer_id, incident_id, department, ask, state, create_time, \
             ack_warn_at, ack_due, fulfil_warn_at, fulfil_due, request_key, parts, reservation, breach_due) VALUES (",
        );
        insert
            .bind(id.as_str())
            .push(", ")
            .bind(incident_key.as_str())
            .push(", ")
            .bind(incident.customer_id.as_str())
            .push(", ")
            .bind(incident.id.as_str())
            .push(", ")
            .bind(department.as_str())
            .push(", ")
            .bind(f.ask.trim())
            .push(", ")
            .bind(pb::FireRequestState::Requested as i64)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now + ack * 3 / 4)
            .push(", ")
            .bind(now + ack)
            .push(", ")
            .bind(now + fulfil * 3 / 4)
            .push(", ")
            .bind(now + fulfil)
            .push(", ")
            .bind(key.clone())
            .push(", ")
            .bind(rows::parts_to_json(&f.parts))
            .push(", ")
            .bind(
                reservation
                    .as_ref()
                    .map(|res| res.name.clone())
                    .unwrap_or_default(),
            )
            .push(", ")
            // Parts could break a commitment: due at once, the first breach sweep dates it.
            .bind((!f.parts.is_empty()).then_some(now))
            .push(&format!(
                ") ON CONFLICT (request_key) DO NOTHING RETURNING {}",
                FireRequestRow::COLUMNS
            ));
        // Takes the incident's row lock and checks it is still open, so a cancel or a
        // close that ran meanwhile cannot leave this request (and its parts) behind.
        let mut guard = symbolon_platform::db::Sql::new(
            "UPDATE incidents SET last_seq = last_seq WHERE customer_id = ",
        );
        guard
            .bind(incident.customer_id.as_str())
            .push(" AND id = ")
            .bind(incident.id.as_str())
            .push(" AND state = ")
            .bind(pb::IncidentState::Open as i64);
        let still_open = guard
            .query()
            .execute(&mut *tx)
            .await
            .map_err(symbolon_platform::StoreError::from)?
            .rows_affected()
            == 1;
        if !still_open {
            drop(tx);
            if let (Some(res), Ok(supply)) = (&reservation, self.supply()) {
                let _ = supply.release(&caller, &res.name).await;
            }
            return Err(not_open(&r.parent, pb::IncidentState::Closed as i32));
        }
        let created = table::fetch_optional::<FireRequestRow, _>(&mut *tx, &insert).await?;
        if created.is_some() {
            let event = NewEvent {
                kind: pb::IncidentEventKind::FireCalled,
                actor: &caller.subject,
                fire_request: &name,
                message: format!("{department}: {}", f.ask.trim()),
                notify: vec![format!("department:{department}")],
            };
            timeline::append(&mut tx, &incident.customer_id, &incident.id, now, event).await?;
            if let Some(res) = &reservation {
                let lines: Vec<String> = f
                    .parts
                    .iter()
                    .map(|p| format!("{} x{}", p.part_number, p.quantity))
                    .collect();
                // Written for both audiences (crate::visibility): the place, then the
                // reservation's name, which customer people do not see.
                let place = match &depot_place {
                    Some(p) => format!("at {p} "),
                    None => String::new(),
                };
                let event = NewEvent {
                    kind: pb::IncidentEventKind::PartsReserved,
                    actor: &caller.subject,
                    fire_request: &name,
                    message: format!("{} reserved {place}({})", lines.join(", "), res.name),
                    notify: vec![format!("department:{department}")],
                };
                timeline::append(&mut tx, &incident.customer_id, &incident.id, now, event).await?;
            }
        }
        tx.commit()
            .await
            .map_err(symbolon_platform::StoreError::from)?;
        let row = match (created, &key) {
            (Some(row), _) => Some(row),
            (None, Some(k)) => table::by_request_key::<FireRequestRow>(&self.db, k).await?,
            (None, None) => None,
        };
        let row = row.ok_or_else(|| status::internal(&"fire request vanished after insert"))?;
        self.wakeup.wake();
        Ok(Response::new(row.to_proto()))
    }

    async fn list_fire_requests(
        &self,
        req: Request<pb::ListFireRequestsRequest>,
    ) -> Result<Response<pb::ListFireRequestsResponse>, Status> {
        let caller = Caller::of(&req)?;
        let r = req.into_inner();
        let incident = self.incident(&caller, &r.parent).await?;
        let query = format!("fire;{}", r.parent);
        let key = format!("{}/{}", incident.customer_id, incident.id);
        let listing = aip::Listing {
            scope: Some(&key),
            filter: "",
            query: &query,
            show_deleted: false,
        };
        let (rows, next_page_token) =
            aip::list_page::<FireRequestRow>(&self.db, listing, r.page_size, &r.page_token).await?;
        Ok(Response::new(pb::ListFireRequestsResponse {
            fire_requests: rows
                .iter()
                .map(|row| {
                    let mut fr = row.to_proto();
                    fr.reservation = visibility::id(&caller, fr.reservation);
                    fr
                })
                .collect(),
            next_page_token,
        }))
    }

    async fn acknowledge_fire_request(
        &self,
        req: Request<pb::AcknowledgeFireRequestRequest>,
    ) -> Result<Response<pb::FireRequest>, Status> {
        let caller = Caller::of(&req)?;
        let name = req.into_inner().name;
        self.advance(
            &caller,
            &name,
            pb::FireRequestState::Acknowledged,
            String::new(),
        )
        .await
    }

    async fn fulfil_fire_request(
        &self,
        req: Request<pb::FulfilFireRequestRequest>,
    ) -> Result<Response<pb::FireRequest>, Status> {
        let caller = Caller::of(&req)?;
        let r = req.into_inner();
        self.advance(&caller, &r.name, pb::FireRequestState::Fulfilled, r.note)
            .await
    }

    async fn close_incident(
        &self,
        req: Request<pb::CloseIncidentRequest>,
    ) -> Result<Response<pb::Incident>, Status> {
        let caller = Caller::of(&req)?;
        let r = req.into_inner();
        let incident = self.incident(&caller, &r.name).await?;
        caller.require_vendor(FRONTLINE)?;
        let mut v = Violations::new();
        let notice = r.fault_notice.unwrap_or_default();
        aip::text(
            &mut v,
            "fault_notice.root_cause",
            &notice.root_cause,
            true,
            8000,
        );
        aip::text(
            &mut v,
            "fault_notice.customer_impact",
            &notice.customer_impact,
            true,
            8000,
        );
        aip::text(
            &mut v,
            "fault_notice.timeline",
            &notice.timeline,
            true,
            8000,
        );
        aip::text(
            &mut v,
            "fault_notice.what_changes",
            &notice.what_changes,
            true,
            8000,
        );
        v.into_result()?;
        let now = self.clock.now();
        let mut tx = self
            .db
            .writer()
            .begin()
            .await
            .map_err(symbolon_platform::StoreError::from)?;
        let mut update = symbolon_platform::db::Sql::new("UPDATE incidents SET state = ");
        update
            .bind(pb::IncidentState::Closed as i64)
            .push(", close_time = ")
            .bind(now)
            .push(", root_cause = ")
            .bind(notice.root_cause.trim())
            .push(", customer_impact = ")
            .bind(notice.customer_impact.trim())
            .push(", timeline = ")
            .bind(notice.timeline.trim())
            .push(", what_changes = ")
            .bind(notice.what_changes.trim())
            .push(" WHERE customer_id = ")
            .bind(incident.customer_id.as_str())
            .push(" AND id = ")
            .bind(incident.id.as_str())
            .push(" AND state = ")
            .bind(pb::IncidentState::Open as i64);
        if update
            .query()
            .execute(&mut *tx)
            .await
            .map_err(symbolon_platform::StoreError::from)?
            .rows_affected()
            != 1
        {
            return Err(status::failed_precondition(
                "INCIDENT_CLOSED",
                &r.name,
                "the incident is already closed",
            ));
        }
        // Read after the incident's row lock is taken, so a request called meanwhile is
        // seen: closing says the work is done, so every request must have ended.
        let open = settle::open_requests(&mut *tx, &incident.customer_id, &incident.id).await?;
        if !open.is_empty() {
            drop(tx);
            return Err(still_open(&open));
        }
        let event = NewEvent {
            kind: pb::IncidentEventKind::Closed,
            actor: &caller.subject,
            fire_request: "",
            message: format!("closed; root cause: {}", notice.root_cause.trim()),
            notify: Vec::new(),
        };
        timeline::append(&mut tx, &incident.customer_id, &incident.id, now, event).await?;
        tx.commit()
            .await
            .map_err(symbolon_platform::StoreError::from)?;
        self.wakeup.wake();
        Ok(Response::new(
            self.incident(&caller, &r.name).await?.to_proto(),
        ))
    }

    async fn cancel_fire_request(
        &self,
        req: Request<pb::CancelFireRequestRequest>,
    ) -> Result<Response<pb::FireRequest>, Status> {
        let caller = Caller::of(&req)?;
        let r = req.into_inner();
        let (incident, fr) = self.fire_request(&caller, &r.name).await?;
        let department = format!("department:{}", fr.department);
        if caller.require_vendor(FRONTLINE).is_err()
            && !(caller.is_vendor() && caller.has_role(&department))
        {
            return Err(status::permission_denied(format!(
                "only frontline staff or {department} may cancel this request"
            )));
        }
        let mut v = Violations::new();
        aip::text(&mut v, "reason", &r.reason, false, 4000);
        v.into_result()?;
        if fr.state == pb::FireRequestState::Cancelled as i32 {
            return Ok(Response::new(fr.to_proto()));
        }
        if incident.state != pb::IncidentState::Open as i32 {
            return Err(not_open(&r.name, incident.state));
        }
        if !settle::is_open(fr.state) {
            return Err(status::failed_precondition(
                "WRONG_STATE",
                &r.name,
                "the request is fulfilled and can no longer be cancelled",
            ));
        }
        if fr.settlement == "dispatch" {
            return Err(settle::busy(&fr));
        }
        let released = self.release_parts(&caller, &fr).await?;
        let now = self.clock.now();
        let mut tx = self
            .db
            .writer()
            .begin()
            .await
            .map_err(symbolon_platform::StoreError::from)?;
        if cancel_requests(&mut tx, &fr.customer_id, &fr.incident_id, Some(&fr.id)).await? != 1 {
            drop(tx);
            return self
                .settled_already(&caller, &r.name, pb::FireRequestState::Cancelled)
                .await;
        }
        let reason = r.reason.trim();
        let event = NewEvent {
            kind: pb::IncidentEventKind::FireCancelled,
            actor: &caller.subject,
            fire_request: &r.name,
            message: if reason.is_empty() {
                format!("{}: cancelled", fr.department)
            } else {
                format!("{}: cancelled: {reason}", fr.department)
            },
            notify: vec![department.clone()],
        };
        timeline::append(&mut tx, &fr.customer_id, &fr.incident_id, now, event).await?;
        if let Some(message) = released {
            let event = NewEvent {
                kind: pb::IncidentEventKind::PartsReleased,
                actor: &caller.subject,
                fire_request: &r.name,
                message,
                notify: vec![department],
            };
            timeline::append(&mut tx, &fr.customer_id, &fr.incident_id, now, event).await?;
        }
        tx.commit()
            .await
            .map_err(symbolon_platform::StoreError::from)?;
        self.wakeup.wake();
        let (_, fr) = self.fire_request(&caller, &r.name).await?;
        Ok(Response::new(fr.to_proto()))
    }

    async fn cancel_incident(
        &self,
        req: Request<pb::CancelIncidentRequest>,
    ) -> Result<Response<pb::Incident>, Status> {
        let caller = Caller::of(&req)?;
        let r = req.into_inner();
        let incident = self.incident(&caller, &r.name).await?;
        caller.require_vendor(FRONTLINE)?;
        let mut v = Violations::new();
        aip::text(&mut v, "reason", &r.reason, false, 4000);
        v.into_result()?;
        if incident.state != pb::IncidentState::Open as i32 {
            return Err(not_open(&r.name, incident.state));
        }
        // Every open request is cancelled, its parts released first (settle.rs). If the
        // supply-chain service cannot answer, nothing changes here and the cancel may
        // simply be retried (releasing twice is harmless). A request whose parts are
        // being dispatched is finished by retrying its fulfilment, not undone here.
        let open =
            settle::open_requests(self.db.writer(), &incident.customer_id, &incident.id).await?;
        let dispatching: Vec<(String, String, String)> = open
            .iter()
            .filter(|fr| fr.settlement == "dispatch")
            .map(|fr| {
                (
                    "FIRE_REQUEST_SETTLING".to_string(),
                    fr.name(),
                    "its parts are being dispatched: retry FulfilFireRequest to finish it"
                        .to_string(),
                )
            })
            .collect();
        if !dispatching.is_empty() {
            return Err(status::failed_preconditions(
                "FIRE_REQUEST_SETTLING",
                "a request of this incident is being fulfilled; finish it first",
                &dispatching,
            ));
        }
        let mut notes = Vec::new();
        for fr in &open {
            notes.push(self.release_parts(&caller, fr).await?);
        }
        let now = self.clock.now();
        let mut tx = self
            .db
            .writer()
            .begin()
            .await
            .map_err(symbolon_platform::StoreError::from)?;
        let mut update = symbolon_platform::db::Sql::new("UPDATE incidents SET state = ");
        update
            .bind(pb::IncidentState::Cancelled as i64)
            .push(" WHERE customer_id = ")
            .bind(incident.customer_id.as_str())
            .push(" AND id = ")
            .bind(incident.id.as_str())
            .push(" AND state = ")
            .bind(pb::IncidentState::Open as i64);
        if update
            .query()
            .execute(&mut *tx)
            .await
            .map_err(symbolon_platform::StoreError::from)?
            .rows_affected()
            != 1
        {
            // Closed or cancelled meanwhile.
            return Err(not_open(&r.name, pb::IncidentState::Closed as i32));
        }
        // Under the incident's row lock: a request called since the list above, with
        // parts not yet released, would keep them for ever; the retry releases them.
        let now_open = settle::open_requests(&mut *tx, &incident.customer_id, &incident.id).await?;
        let unreleased: Vec<(String, String, String)> = now_open
            .iter()
            .filter(|fr| !fr.reservation.is_empty() && fr.settlement != "release")
            .map(|fr| {
                (
                    "FIRE_REQUEST_CALLED".to_string(),
                    fr.name(),
                    "called while the incident was being cancelled: retry the cancel".to_string(),
                )
            })
            .collect();
        if !unreleased.is_empty() {
            drop(tx);
            return Err(status::failed_preconditions(
                "FIRE_REQUEST_CALLED",
                "a request with parts was called meanwhile; retry the cancel",
                &unreleased,
            ));
        }
        cancel_requests(&mut tx, &incident.customer_id, &incident.id, None).await?;
        for fr in &now_open {
            let name = fr.name();
            let event = NewEvent {
                kind: pb::IncidentEventKind::FireCancelled,
                actor: &caller.subject,
                fire_request: &name,
                message: format!("{}: cancelled with the incident", fr.department),
                notify: vec![format!("department:{}", fr.department)],
            };
            timeline::append(&mut tx, &incident.customer_id, &incident.id, now, event).await?;
            let note = open
                .iter()
                .zip(&notes)
                .find(|(o, _)| o.id == fr.id)
                .and_then(|(_, n)| n.clone());
            if let Some(message) = note {
                let event = NewEvent {
                    kind: pb::IncidentEventKind::PartsReleased,
                    actor: &caller.subject,
                    fire_request: &name,
                    message,
                    notify: vec!["department:supply-chain".to_string()],
                };
                timeline::append(&mut tx, &incident.customer_id, &incident.id, now, event).await?;
            }
        }
        let reason = r.reason.trim();
        let event = NewEvent {
            kind: pb::IncidentEventKind::Cancelled,
            actor: &caller.subject,
            fire_request: "",
            message: if reason.is_empty() {
                "cancelled".to_string()
            } else {
                format!("cancelled: {reason}")
            },
            notify: Vec::new(),
        };
        timeline::append(&mut tx, &incident.customer_id, &incident.id, now, event).await?;
        tx.commit()
            .await
            .map_err(symbolon_platform::StoreError::from)?;
        self.wakeup.wake();
        Ok(Response::new(
            self.incident(&caller, &r.name).await?.to_proto(),
        ))
    }

    type WatchIncidentStream = EventStream;

    async fn watch_incident(
        &self,
        req: Request<pb::WatchIncidentRequest>,
    ) -> Result<Response<EventStream>, Status> {
        let caller = Caller::of(&req)?;
        let r = req.into_inner();
        let incident = self.incident(&caller, &r.name).await?;
        if r.after_sequence < 0 {
            return Err(status::invalid_argument(
                "after_sequence",
                "must not be negative",
            ));
        }
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let (db, wakeup, shutdown) = (self.db.clone(), self.wakeup.clone(), self.shutdown.clone());
        tokio::spawn(async move {
            let mut after = r.after_sequence;
            loop {
                match timeline::read(&db, &incident.customer_id, &incident.id, after, 200).await {
                    Ok(events) => {
                        let caught_up = events.len() < 200;
                        for mut e in events {
                            after = e.sequence;
                            e.message = visibility::text(&caller, &e.message).into_owned();
                            // A bounded channel: a slow watcher slows only its own task.
                            if tx.send(Ok(e)).await.is_err() {
                                return; // The watcher went away.
                            }
                        }
                        if !caught_up {
                            continue;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(Status::from(e))).await;
                        return;
                    }
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tx.closed() => return,
                    _ = wakeup.wait(WATCH_POLL) => {}
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}

impl Incidents {
    /// The answer when a request's state moved under us: the request as it is now if it
    /// reached `to` (a retry, or a concurrent call, wrote it), else FAILED_PRECONDITION.
    async fn settled_already(
        &self,
        caller: &Caller,
        name: &str,
        to: pb::FireRequestState,
    ) -> Result<Response<pb::FireRequest>, Status> {
        let (_, fr) = self.fire_request(caller, name).await?;
        if fr.state == to as i32 {
            return Ok(Response::new(fr.to_proto()));
        }
        Err(status::failed_precondition(
            "WRONG_STATE",
            name,
            format!(
                "the request is already {}",
                pb::FireRequestState::try_from(fr.state)
                    .unwrap_or_default()
                    .as_str_name()
            ),
        ))
    }

    /// Steps 1 and 2 of ending `fr`'s reservation by release (settle.rs); the timeline
    /// note to write with the cancellation, if it held parts.
    async fn release_parts(
        &self,
        caller: &Caller,
        fr: &FireRequestRow,
    ) -> Result<Option<String>, Status> {
        if fr.reservation.is_empty() {
            return Ok(None);
        }
        let supply = self.supply()?;
        if !settle::claim(&self.db, fr, End::Release).await? {
            // No longer open: the cancellation's conditional write will say so.
            return Ok(None);
        }
        let parts = settle::parts_text(fr);
        Ok(Some(
            match supply.release(caller, &fr.reservation).await? {
                Ok(_) => format!("{parts} released: available again at the depot"),
                // Gone, or dispatched by hand in the supply-chain service: nothing to give back.
                Err(why) => {
                    tracing::warn!(
                        reservation = fr.reservation,
                        reason = why,
                        "reservation not released"
                    );
                    format!("{parts}: nothing to release, the reservation had already ended")
                }
            },
        ))
    }

    /// Moves a fire request forward; only its department may.
    async fn advance(
        &self,
        caller: &Caller,
        name: &str,
        to: pb::FireRequestState,
        note: String,
    ) -> Result<Response<pb::FireRequest>, Status> {
        let (incident, fr) = self.fire_request(caller, name).await?;
        if !(caller.is_vendor() && caller.in_department(&fr.department)) {
            return Err(status::permission_denied(format!(
                "only department:{} may act on this request",
                fr.department
            )));
        }
        if to == pb::FireRequestState::Fulfilled && fr.state == to as i32 {
            // A retry of a fulfilment that was written: answer with it, change nothing.
            return Ok(Response::new(fr.to_proto()));
        }
        if fr.state == pb::FireRequestState::Cancelled as i32 {
            return Err(status::failed_precondition(
                "FIRE_REQUEST_CANCELLED",
                name,
                "the request is cancelled",
            ));
        }
        if incident.state != pb::IncidentState::Open as i32 {
            return Err(not_open(name, incident.state));
        }
        if fr.settlement == "release" {
            return Err(settle::busy(&fr));
        }
        // Fulfilling a request that holds parts dispatches them first (settle.rs).
        let dispatched = if to == pb::FireRequestState::Fulfilled && !fr.reservation.is_empty() {
            let supply = self.supply()?;
            if !settle::claim(&self.db, &fr, End::Dispatch).await? {
                return self.settled_already(caller, name, to).await;
            }
            match supply.dispatch(caller, &fr.reservation).await? {
                Ok(_) => true,
                Err(why) => {
                    settle::unclaim(&self.db, &fr, End::Dispatch).await?;
                    return Err(status::failed_precondition(
                        "RESERVATION_NOT_DISPATCHED",
                        name,
                        format!("the request's parts could not be dispatched: {why}"),
                    ));
                }
            }
        } else {
            false
        };
        let (from, time_col, by_col, kind) = match to {
            pb::FireRequestState::Acknowledged => (
                "(1)",
                "ack_time",
                "acknowledged_by",
                pb::IncidentEventKind::Acknowledged,
            ),
            _ => (
                "(1, 2)",
                "fulfil_time",
                "fulfilled_by",
                pb::IncidentEventKind::Fulfilled,
            ),
        };
        let now = self.clock.now();
        let key = format!("{}/{}", fr.customer_id, fr.incident_id);
        let mut tx = self
            .db
            .writer()
            .begin()
            .await
            .map_err(symbolon_platform::StoreError::from)?;
        let mut update = symbolon_platform::db::Sql::new("UPDATE fire_requests SET state = ");
        update
            .bind(to as i64)
            .push(&format!(", {time_col} = "))
            .bind(now)
            .push(&format!(", {by_col} = "))
            .bind(caller.subject.as_str());
        if to == pb::FireRequestState::Fulfilled {
            // Fulfilling implies acknowledging, if that had not happened yet.
            update
                .push(", ack_time = COALESCE(ack_time, ")
                .bind(now)
                .push("), acknowledged_by = CASE WHEN acknowledged_by = '' THEN ")
                .bind(caller.subject.as_str())
                .push(" ELSE acknowledged_by END");
        }
        update
            .push(" WHERE incident_key = ")
            .bind(key.as_str())
            .push(" AND id = ")
            .bind(fr.id.as_str())
            .push(&format!(" AND state IN {from} AND settlement <> 'release'"));
        if update
            .query()
            .execute(&mut *tx)
            .await
            .map_err(symbolon_platform::StoreError::from)?
            .rows_affected()
            != 1
        {
            drop(tx);
            if to == pb::FireRequestState::Fulfilled {
                // A concurrent retry may have written the fulfilment meanwhile.
                return self.settled_already(caller, name, to).await;
            }
            return Err(status::failed_precondition(
                "WRONG_STATE",
                name,
                format!(
                    "the request is already {:?}",
                    pb::FireRequestState::try_from(fr.state).unwrap_or_default()
                ),
            ));
        }
        // The incident's first acknowledgement sets its time to acknowledge.
        let mut first = symbolon_platform::db::Sql::new("UPDATE incidents SET acknowledge_time = ");
        first
            .bind(now)
            .push(" WHERE customer_id = ")
            .bind(fr.customer_id.as_str())
            .push(" AND id = ")
            .bind(fr.incident_id.as_str())
            .push(" AND acknowledge_time IS NULL");
        first
            .query()
            .execute(&mut *tx)
            .await
            .map_err(symbolon_platform::StoreError::from)?;
        let message = if note.trim().is_empty() {
            format!("{}: {:?}", fr.department, to)
        } else {
            format!("{}: {}", fr.department, note.trim())
        };
        let event = NewEvent {
            kind,
            actor: &caller.subject,
            fire_request: name,
            message,
            notify: Vec::new(),
        };
        timeline::append(&mut tx, &fr.customer_id, &fr.incident_id, now, event).await?;
        if dispatched {
            let event = NewEvent {
                kind: pb::IncidentEventKind::PartsDispatched,
                actor: &caller.subject,
                fire_request: name,
                message: format!("{} dispatched to the site", settle::parts_text(&fr)),
                notify: vec![format!("department:{}", fr.department)],
            };
            timeline::append(&mut tx, &fr.customer_id, &fr.incident_id, now, event).await?;
        }
        if to == pb::FireRequestState::Fulfilled {
            let parts = rows::parts_from_json(&fr.parts);
            let delivery = breach::Delivery {
                customer_id: &fr.customer_id,
                site: &incident.site,
                part_numbers: parts.iter().map(|p| p.part_number.as_str()).collect(),
                fire_request: name,
                requested_at: fr.create_time,
                at: now,
                fulfilled: true,
            };
            let breached = breach::breach(&mut tx, &delivery).await?;
            if !breached.is_empty() {
                let event = timers::breach_event(&fr.customer_id, name, &breached, &incident.owner);
                timeline::append(&mut tx, &fr.customer_id, &fr.incident_id, now, event).await?;
            }
        }
        tx.commit()
            .await
            .map_err(symbolon_platform::StoreError::from)?;
        self.wakeup.wake();
        let (_, fr) = self.fire_request(caller, name).await?;
        Ok(Response::new(fr.to_proto()))
    }
}
