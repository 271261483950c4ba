//! The gRPC surface of incidents: each handler checks its request into the store's
//! values, applies the tenancy, calls the supply-chain service where parts are involved,
//! and hands the change to `store/` (one transaction with its timeline events).

mod check;
mod convert;

use super::store::{
    self, Advance, Called, Cancelled, Closed, EventKind, FireRequestRow, IncidentRow, NewEvent,
    NewFireRequest, NewIncident, Wakeup, code, incident_key,
    settle::{self, Claim, End},
    timeline,
};
use super::timers::IncidentTimers;
use crate::api::common::{Named, customer_page, fetch, live_parent, parse_name, scoped_page};
use crate::commitments::{SupplyChain, breach};
use crate::visibility;
use convert::{busy, not_open, state_name, still_open};
use std::{pin::Pin, time::Duration};
use symbolon_contracts::customers::v1::{self as pb, incidents_service_server::IncidentsService};
use symbolon_contracts::supplychain::v1 as spb;
use symbolon_platform::{
    Caller, Database, Violations, aip, auth::RoleKind, names, status, time::Clock,
};
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
                crate::store::get::<crate::store::SiteRow>(&self.db, &incident.customer_id, &id)
                    .await?
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

    /// The incident named `name`, sent in request field `field` (`name`, or a child's
    /// `parent`), if the caller may see it.
    async fn incident(
        &self,
        caller: &Caller,
        field: &str,
        name: &str,
    ) -> Result<IncidentRow, Status> {
        let n = parse_name(field, name, &["customers", "incidents"])?;
        fetch(&self.db, caller, name, &n).await
    }

    /// The fire request `name` names and its incident, if the caller may see them.
    async fn fire_request(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<(IncidentRow, FireRequestRow), Status> {
        let ids = aip::ids_of("name", name, &["customers", "incidents", "fireRequests"])?;
        let incident_of = Named {
            customer_id: ids[0],
            id: ids[1],
        };
        let incident: IncidentRow = fetch(&self.db, caller, name, &incident_of).await?;
        let fr = store::fire_request(&self.db, ids[0], ids[1], ids[2])
            .await?
            .ok_or_else(|| status::not_found(name))?;
        Ok((incident, fr))
    }

    /// The incident as it is now, answered after a change.
    async fn reread(&self, caller: &Caller, name: &str) -> Result<Response<pb::Incident>, Status> {
        self.wakeup.wake();
        Ok(Response::new(convert::incident(
            &self.incident(caller, "name", name).await?,
        )))
    }
}

type EventStream = Pin<Box<dyn Stream<Item = Result<pb::IncidentEvent, Status>> + Send>>;

#[tonic::async_trait]
impl IncidentsService for Incidents {
    async fn open_incident(
        &self,
        req: Request<pb::OpenIncidentRequest>,
    ) -> Result<Response<pb::Incident>, Status> {
        let (caller, r) = Caller::split(req)?;
        let customer_id = live_parent(&self.db, &caller, &r.parent).await?;
        caller.require_vendor(FRONTLINE)?;
        let mut v = Violations::new();
        let key = aip::request_key(&caller, "OpenIncident", &r.parent, &r, &mut v);
        let i = r.incident.unwrap_or_default();
        let now = self.clock.now();
        let checked = check::incident(&mut v, &i, now);
        if !i.site.is_empty() {
            match names::parse(&i.site, &["customers", "sites"]) {
                Ok(ids) if ids[0] == customer_id => {
                    if crate::store::get::<crate::store::SiteRow>(&self.db, &customer_id, ids[1])
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
        let new = NewIncident {
            customer_id: &customer_id,
            site: &i.site,
            severity: checked.severity,
            summary: checked.summary,
            detect_time: checked.detect_time,
            owner: &caller.subject,
            request_key: key,
        };
        let row = store::open(&self.db, &new, now)
            .await?
            .ok_or_else(|| status::internal(&"incident vanished after insert"))?;
        caller.ensure_customer(&row.customer_id, &r.parent)?;
        self.wakeup.wake();
        Ok(Response::new(convert::incident(&row)))
    }

    async fn get_incident(
        &self,
        req: Request<pb::GetIncidentRequest>,
    ) -> Result<Response<pb::Incident>, Status> {
        let caller = Caller::of(&req)?;
        let row = self
            .incident(&caller, "name", &req.into_inner().name)
            .await?;
        Ok(Response::new(convert::incident(&row)))
    }

    async fn list_incidents(
        &self,
        req: Request<pb::ListIncidentsRequest>,
    ) -> Result<Response<pb::ListIncidentsResponse>, Status> {
        let (caller, r) = Caller::split(req)?;
        let (_, rows, next_page) = customer_page::<IncidentRow>(
            &self.db,
            &caller,
            "incidents",
            &r.parent,
            &r.filter,
            r.page_size,
            &r.page_token,
        )
        .await?;
        let mut incidents = rows.iter().map(convert::incident).collect();
        let next_page_token = next_page.token(&mut incidents);
        Ok(Response::new(pb::ListIncidentsResponse {
            incidents,
            next_page_token,
        }))
    }

    async fn call_for_fire(
        &self,
        req: Request<pb::CallForFireRequest>,
    ) -> Result<Response<pb::FireRequest>, Status> {
        let (caller, r) = Caller::split(req)?;
        let incident = self.incident(&caller, "parent", &r.parent).await?;
        caller.require_vendor(FRONTLINE)?;
        // Tenancy::IncidentOwner (access.rs): the incident's frontline owner, or an admin.
        if !(caller.has_kind(RoleKind::Admin) || incident.owner == caller.subject) {
            return Err(status::permission_denied(
                "only the incident's frontline owner or an admin may call for fire on it",
            ));
        }
        if incident.state != code::INCIDENT_OPEN {
            return Err(status::failed_precondition(
                "INCIDENT_CLOSED",
                &r.parent,
                "the incident is closed",
            ));
        }
        let mut v = Violations::new();
        let key = aip::request_key(&caller, "CallForFire", &r.parent, &r, &mut v);
        let f = r.fire_request.unwrap_or_default();
        let checked = check::fire_request(&mut v, &f, !incident.site.is_empty());
        v.into_result()?;
        symbolon_platform::request_ids::claim(&self.db, key.as_deref()).await?;
        // A retry of a request that was written: answer with it, reserving nothing.
        if let Some(k) = &key
            && let Some(row) = store::fire_request_by_key(&self.db, k).await?
        {
            caller.ensure_customer(&row.customer_id, &r.parent)?;
            return Ok(Response::new(convert::fire_request(&row)));
        }
        let id = names::new_id();
        let name = format!("{}/fireRequests/{id}", r.parent);
        // Parts are reserved before anything is written. The reservation's request id is
        // derived from the request key (or the new id), so a retry after a failure
        // between the reservation and the write gets the same reservation back.
        let reservation = if checked.parts.is_empty() {
            None
        } else {
            let supply = self.supply()?;
            let site = self.site_location(&incident).await?;
            let request_id = match &key {
                Some(k) => crate::commitments::derived_id(&["fire-request-parts", k]),
                None => crate::commitments::derived_id(&["fire-request-parts", &name]),
            };
            let lines = checked
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
        let department = checked.department.as_str();
        let mut events = vec![NewEvent {
            kind: EventKind::FireCalled,
            actor: &caller.subject,
            fire_request: name.clone(),
            message: format!("{department}: {}", checked.ask),
            notify: vec![format!("department:{department}")],
        }];
        if let Some(res) = &reservation {
            let lines: Vec<String> = checked
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
            events.push(NewEvent {
                kind: EventKind::PartsReserved,
                actor: &caller.subject,
                fire_request: name.clone(),
                message: format!("{} reserved {place}({})", lines.join(", "), res.name),
                notify: vec![format!("department:{department}")],
            });
        }
        let new = NewFireRequest {
            id: &id,
            customer_id: &incident.customer_id,
            incident_id: &incident.id,
            department,
            ask: checked.ask,
            ack: checked.ack,
            fulfil: checked.fulfil,
            request_key: key,
            parts: &checked.parts,
            reservation: reservation
                .as_ref()
                .map(|res| res.name.as_str())
                .unwrap_or_default(),
            events,
        };
        match store::call(&self.db, new, self.clock.now()).await? {
            Some(Called::Written(row)) => {
                self.wakeup.wake();
                Ok(Response::new(convert::fire_request(&row)))
            }
            Some(Called::IncidentNotOpen) => {
                if let (Some(res), Ok(supply)) = (&reservation, self.supply()) {
                    let _ = supply.release(&caller, &res.name).await;
                }
                Err(not_open(&r.parent, code::INCIDENT_CLOSED))
            }
            None => Err(status::internal(&"fire request vanished after insert")),
        }
    }

    async fn list_fire_requests(
        &self,
        req: Request<pb::ListFireRequestsRequest>,
    ) -> Result<Response<pb::ListFireRequestsResponse>, Status> {
        let (caller, r) = Caller::split(req)?;
        let incident = self.incident(&caller, "parent", &r.parent).await?;
        let query = format!("fire;{}", r.parent);
        let key = incident_key(&incident.customer_id, &incident.id);
        let (rows, next_page) =
            scoped_page::<FireRequestRow>(&self.db, &key, &query, r.page_size, &r.page_token)
                .await?;
        let mut fire_requests = rows
            .iter()
            .map(|row| {
                let mut fr = convert::fire_request(row);
                fr.reservation = visibility::id(&caller, fr.reservation);
                fr
            })
            .collect();
        let next_page_token = next_page.token(&mut fire_requests);
        Ok(Response::new(pb::ListFireRequestsResponse {
            fire_requests,
            next_page_token,
        }))
    }

    async fn acknowledge_fire_request(
        &self,
        req: Request<pb::AcknowledgeFireRequestRequest>,
    ) -> Result<Response<pb::FireRequest>, Status> {
        let caller = Caller::of(&req)?;
        let name = req.into_inner().name;
        self.advance(&caller, &name, code::ACKNOWLEDGED, String::new())
            .await
    }

    async fn fulfil_fire_request(
        &self,
        req: Request<pb::FulfilFireRequestRequest>,
    ) -> Result<Response<pb::FireRequest>, Status> {
        let (caller, r) = Caller::split(req)?;
        self.advance(&caller, &r.name, code::FULFILLED, r.note)
            .await
    }

    async fn close_incident(
        &self,
        req: Request<pb::CloseIncidentRequest>,
    ) -> Result<Response<pb::Incident>, Status> {
        let (caller, r) = Caller::split(req)?;
        let incident = self.incident(&caller, "name", &r.name).await?;
        caller.require_vendor(FRONTLINE)?;
        let mut v = Violations::new();
        let notice = r.fault_notice.unwrap_or_default();
        let checked = check::notice(&mut v, &notice);
        v.into_result()?;
        let event = NewEvent {
            kind: EventKind::Closed,
            actor: &caller.subject,
            fire_request: String::new(),
            message: format!("closed; root cause: {}", checked.root_cause),
            notify: Vec::new(),
        };
        match store::close(&self.db, &incident, &checked, event, self.clock.now()).await? {
            Closed::Done => self.reread(&caller, &r.name).await,
            Closed::NotOpen => Err(status::failed_precondition(
                "INCIDENT_CLOSED",
                &r.name,
                "the incident is already closed",
            )),
            Closed::RequestsOpen(open) => Err(still_open(&open)),
        }
    }

    async fn cancel_fire_request(
        &self,
        req: Request<pb::CancelFireRequestRequest>,
    ) -> Result<Response<pb::FireRequest>, Status> {
        let (caller, r) = Caller::split(req)?;
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
        if fr.state == code::CANCELLED {
            return Ok(Response::new(convert::fire_request(&fr)));
        }
        if incident.state != code::INCIDENT_OPEN {
            return Err(not_open(&r.name, incident.state));
        }
        if !settle::is_open(fr.state) {
            return Err(status::failed_precondition(
                "WRONG_STATE",
                &r.name,
                "the request is fulfilled and can no longer be cancelled",
            ));
        }
        if fr.settlement == End::Dispatch.tag() {
            return Err(busy(&fr));
        }
        let released = self.release_parts(&caller, &fr).await?;
        let reason = r.reason.trim();
        let mut events = vec![NewEvent {
            kind: EventKind::FireCancelled,
            actor: &caller.subject,
            fire_request: r.name.clone(),
            message: if reason.is_empty() {
                format!("{}: cancelled", fr.department)
            } else {
                format!("{}: cancelled: {reason}", fr.department)
            },
            notify: vec![department.clone()],
        }];
        if let Some(message) = released {
            events.push(NewEvent {
                kind: EventKind::PartsReleased,
                actor: &caller.subject,
                fire_request: r.name.clone(),
                message,
                notify: vec![department],
            });
        }
        if !store::cancel_request(&self.db, &fr, events, self.clock.now()).await? {
            return self
                .settled_already(&caller, &r.name, code::CANCELLED)
                .await;
        }
        self.wakeup.wake();
        let (_, fr) = self.fire_request(&caller, &r.name).await?;
        Ok(Response::new(convert::fire_request(&fr)))
    }

    async fn cancel_incident(
        &self,
        req: Request<pb::CancelIncidentRequest>,
    ) -> Result<Response<pb::Incident>, Status> {
        let (caller, r) = Caller::split(req)?;
        let incident = self.incident(&caller, "name", &r.name).await?;
        caller.require_vendor(FRONTLINE)?;
        let mut v = Violations::new();
        aip::text(&mut v, "reason", &r.reason, false, 4000);
        v.into_result()?;
        if incident.state != code::INCIDENT_OPEN {
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
            .filter(|fr| fr.settlement == End::Dispatch.tag())
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
            notes.push((fr.id.clone(), self.release_parts(&caller, fr).await?));
        }
        let actor = caller.subject.as_str();
        let events_of = |fr: &FireRequestRow| {
            let name = fr.name();
            let mut events = vec![NewEvent {
                kind: EventKind::FireCancelled,
                actor,
                fire_request: name.clone(),
                message: format!("{}: cancelled with the incident", fr.department),
                notify: vec![format!("department:{}", fr.department)],
            }];
            let note = notes
                .iter()
                .find(|(id, _)| *id == fr.id)
                .and_then(|(_, n)| n.clone());
            if let Some(message) = note {
                events.push(NewEvent {
                    kind: EventKind::PartsReleased,
                    actor,
                    fire_request: name,
                    message,
                    notify: vec!["department:supply-chain".to_string()],
                });
            }
            events
        };
        let reason = r.reason.trim();
        let last = NewEvent {
            kind: EventKind::Cancelled,
            actor,
            fire_request: String::new(),
            message: if reason.is_empty() {
                "cancelled".to_string()
            } else {
                format!("cancelled: {reason}")
            },
            notify: Vec::new(),
        };
        match store::cancel_incident(&self.db, &incident, events_of, last, self.clock.now()).await?
        {
            Cancelled::Done => self.reread(&caller, &r.name).await,
            // Closed or cancelled meanwhile.
            Cancelled::NotOpen => Err(not_open(&r.name, code::INCIDENT_CLOSED)),
            Cancelled::CalledMeanwhile(called) => {
                let unreleased: Vec<(String, String, String)> = called
                    .iter()
                    .map(|fr| {
                        (
                            "FIRE_REQUEST_CALLED".to_string(),
                            fr.name(),
                            "called while the incident was being cancelled: retry the cancel"
                                .to_string(),
                        )
                    })
                    .collect();
                Err(status::failed_preconditions(
                    "FIRE_REQUEST_CALLED",
                    "a request with parts was called meanwhile; retry the cancel",
                    &unreleased,
                ))
            }
        }
    }

    type WatchIncidentStream = EventStream;

    async fn watch_incident(
        &self,
        req: Request<pb::WatchIncidentRequest>,
    ) -> Result<Response<EventStream>, Status> {
        let (caller, r) = Caller::split(req)?;
        let incident = self.incident(&caller, "name", &r.name).await?;
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
                        for row in events {
                            let mut e = convert::event(row);
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
        to: i32,
    ) -> Result<Response<pb::FireRequest>, Status> {
        let (_, fr) = self.fire_request(caller, name).await?;
        if fr.state == to {
            return Ok(Response::new(convert::fire_request(&fr)));
        }
        Err(status::failed_precondition(
            "WRONG_STATE",
            name,
            format!("the request is already {}", state_name(fr.state)),
        ))
    }

    /// Claims `end` for `fr` (step 1 of settle.rs): true if claimed, false if the
    /// request is no longer open; claimed the other way is FAILED_PRECONDITION.
    async fn claim(&self, fr: &FireRequestRow, end: End) -> Result<bool, Status> {
        match settle::claim(&self.db, fr, end).await? {
            Claim::Claimed => Ok(true),
            Claim::NotOpen => Ok(false),
            Claim::Busy(now) => Err(busy(&now)),
            Claim::Gone => Err(status::not_found(&fr.name())),
        }
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
        if !self.claim(fr, End::Release).await? {
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

    /// Moves a fire request forward to `to` (`code::ACKNOWLEDGED` or
    /// `code::FULFILLED`); only its department may.
    async fn advance(
        &self,
        caller: &Caller,
        name: &str,
        to: i32,
        note: String,
    ) -> Result<Response<pb::FireRequest>, Status> {
        let (incident, fr) = self.fire_request(caller, name).await?;
        if !(caller.is_vendor() && caller.in_department(&fr.department)) {
            return Err(status::permission_denied(format!(
                "only department:{} may act on this request",
                fr.department
            )));
        }
        let fulfil = to == code::FULFILLED;
        if fulfil && fr.state == to {
            // A retry of a fulfilment that was written: answer with it, change nothing.
            return Ok(Response::new(convert::fire_request(&fr)));
        }
        if fr.state == code::CANCELLED {
            return Err(status::failed_precondition(
                "FIRE_REQUEST_CANCELLED",
                name,
                "the request is cancelled",
            ));
        }
        if incident.state != code::INCIDENT_OPEN {
            return Err(not_open(name, incident.state));
        }
        if fr.settlement == End::Release.tag() {
            return Err(busy(&fr));
        }
        // Fulfilling a request that holds parts dispatches them first (settle.rs).
        let dispatched = if fulfil && !fr.reservation.is_empty() {
            let supply = self.supply()?;
            if !self.claim(&fr, End::Dispatch).await? {
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
        let (kind, default_note) = if fulfil {
            (EventKind::Fulfilled, "Fulfilled")
        } else {
            (EventKind::Acknowledged, "Acknowledged")
        };
        let message = if note.trim().is_empty() {
            format!("{}: {default_note}", fr.department)
        } else {
            format!("{}: {}", fr.department, note.trim())
        };
        let mut events = vec![NewEvent {
            kind,
            actor: &caller.subject,
            fire_request: name.to_string(),
            message,
            notify: Vec::new(),
        }];
        if dispatched {
            events.push(NewEvent {
                kind: EventKind::PartsDispatched,
                actor: &caller.subject,
                fire_request: name.to_string(),
                message: format!("{} dispatched to the site", settle::parts_text(&fr)),
                notify: vec![format!("department:{}", fr.department)],
            });
        }
        let now = self.clock.now();
        let parts = store::parts_from_json(&fr.parts);
        let delivery = fulfil.then(|| {
            (
                breach::Delivery {
                    customer_id: &fr.customer_id,
                    site: &incident.site,
                    part_numbers: parts.iter().map(|p| p.part_number.as_str()).collect(),
                    fire_request: name,
                    requested_at: fr.create_time,
                    at: now,
                    fulfilled: true,
                },
                incident.owner.as_str(),
            )
        });
        let advance = Advance {
            fr: &fr,
            to,
            actor: &caller.subject,
            events,
            delivery,
        };
        if !store::advance(&self.db, advance, now).await? {
            if fulfil {
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
        self.wakeup.wake();
        let (_, fr) = self.fire_request(caller, name).await?;
        Ok(Response::new(convert::fire_request(&fr)))
    }
}
