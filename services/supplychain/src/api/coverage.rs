//! Coverage assessment, registrations, what-if simulation and the risk stream.

use super::{Api, common::*, insert_once};
use crate::{
    convert,
    store::{self, GLOBAL, RegistrationRow, change},
};
use std::sync::Arc;
use symbolon_contracts::supplychain::v1 as pb;
use symbolon_platform::auth::RoleKind;
use symbolon_platform::{Caller, Violations, country::CountryCode, status};
use tokio::sync::mpsc;
use tonic::Status;

/// Most sites in one batch call.
pub(crate) const MAX_BATCH: usize = 10_000;

/// A validated assessment request.
struct Checked {
    site: pb::SiteLocation,
    parts: Vec<String>,
    window_h: f64,
}

fn check_request(v: &mut Violations, prefix: &str, r: &pb::AssessCoverageRequest) -> Checked {
    let site = check_site(v, &format!("{prefix}site"), r.site.as_ref());
    let parts = check_parts(v, &format!("{prefix}part_numbers"), &r.part_numbers);
    let window = check_window(v, &format!("{prefix}window"), r.window.as_ref());
    Checked {
        site,
        parts,
        window_h: window as f64 / 3.6e9,
    }
}

/// Customers see whether they are covered, how fast and from where (the depot's display
/// name and country: a place), never the depot's resource name — the rule the customers
/// service follows too.
fn redact(c: &Caller, mut a: pb::CoverageAssessment) -> pb::CoverageAssessment {
    if !c.is_vendor() {
        if let Some(b) = a.best.as_mut() {
            b.depot.clear();
        }
        if !a.reason.is_empty() && !a.covered {
            a.reason = if a.unavailable_parts.is_empty() {
                "no depot can deliver every part within the window".into()
            } else {
                format!("{} currently unavailable", a.unavailable_parts.join(", "))
            };
        }
    }
    a
}

fn may_assess(c: &Caller) -> Result<(), Status> {
    if c.is_vendor() {
        require_any_vendor(c)
    } else if c.has_kind(RoleKind::CustomerEngineer) || c.has_kind(RoleKind::CustomerExecutive) {
        Ok(())
    } else {
        Err(status::permission_denied(
            "AssessCoverage needs a vendor role or a customer role",
        ))
    }
}

impl Api {
    pub(super) async fn assess_coverage(
        &self,
        c: &Caller,
        r: pb::AssessCoverageRequest,
    ) -> Result<pb::CoverageAssessment, Status> {
        may_assess(c)?;
        let mut v = Violations::new();
        let q = check_request(&mut v, "", &r);
        v.into_result()?;
        let snap = self.cache.current(&self.db).await?;
        let a = convert::assess(&snap, &self.params, q.site, &q.parts, q.window_h);
        Ok(redact(c, a))
    }

    pub(super) async fn batch_assess_coverage(
        &self,
        c: &Caller,
        r: pb::BatchAssessCoverageRequest,
    ) -> Result<pb::BatchAssessCoverageResponse, Status> {
        may_assess(c)?;
        let mut v = Violations::new();
        if r.requests.is_empty() {
            v.add("requests", "at least one request is required");
        }
        if r.requests.len() > MAX_BATCH {
            return Err(status::invalid_argument(
                "requests",
                format!("at most {MAX_BATCH} requests per call"),
            ));
        }
        let checked: Vec<Checked> = r
            .requests
            .iter()
            .enumerate()
            .map(|(i, q)| check_request(&mut v, &format!("requests[{i}]."), q))
            .collect();
        v.into_result()?;
        let snap = self.cache.current(&self.db).await?;
        let params = self.params.clone();
        let vendor = c.is_vendor();
        let caller = c.clone();
        // CPU work off the async workers.
        let assessments = tokio::task::spawn_blocking(move || {
            checked
                .into_iter()
                .map(|q| {
                    let a = convert::assess(&snap, &params, q.site, &q.parts, q.window_h);
                    if vendor { a } else { redact(&caller, a) }
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| status::internal(&e))?;
        Ok(pb::BatchAssessCoverageResponse { assessments })
    }

    pub(super) async fn get_coverage_model(
        &self,
        c: &Caller,
        _r: pb::GetCoverageModelRequest,
    ) -> Result<pb::CoverageModel, Status> {
        c.require_vendor(READERS)?;
        Ok(convert::params(&self.params))
    }

    pub(super) async fn create_coverage_registration(
        &self,
        c: &Caller,
        r: pb::CreateCoverageRegistrationRequest,
    ) -> Result<pb::CoverageRegistration, Status> {
        require_any_vendor(c)?;
        let mut v = Violations::new();
        let key = request_key(c, "CreateCoverageRegistration", "", &r, &mut v);
        let reg = r.coverage_registration.unwrap_or_default();
        let site = check_site(&mut v, "coverage_registration.site", reg.site.as_ref());
        let parts = check_parts(
            &mut v,
            "coverage_registration.part_numbers",
            &reg.part_numbers,
        );
        let window = check_window(&mut v, "coverage_registration.window", reg.window.as_ref());
        text(
            &mut v,
            "coverage_registration.reference",
            &reg.reference,
            true,
            500,
        );
        let id = chosen_or_new_id(
            &mut v,
            "coverage_registration_id",
            &r.coverage_registration_id,
        );
        v.into_result()?;
        let name = format!("coverageRegistrations/{id}");
        let now = self.clock.now();
        // Beside other registrations, never beside a change of live data (see `change`).
        let mut ch = change::begin_registration(&self.db).await?;
        let snap = self.cache.at(ch.data_version(), ch.conn()).await?;
        let a = convert::assess(
            &snap,
            &self.params,
            site.clone(),
            &parts,
            window as f64 / 3.6e9,
        );
        let loc = site.location.unwrap_or_default();
        let (row, created): (RegistrationRow, bool) = insert_once(
            &mut ch,
            "coverage_registrations",
            &[
                "id",
                "scope",
                "site_label",
                "country",
                "latitude",
                "longitude",
                "part_numbers",
                "window_micros",
                "reference",
                "state",
                "redundancy",
                "assessment",
                "registered_by",
                "create_time",
                "update_time",
            ],
            vec![
                id.into(),
                GLOBAL.into(),
                site.site.clone().into(),
                site.country.clone().into(),
                loc.latitude.into(),
                loc.longitude.into(),
                serde_json::to_string(&parts).unwrap_or_default().into(),
                window.into(),
                reg.reference.trim().into(),
                (convert::state_of(&a) as i32).into(),
                i64::from(a.redundancy).into(),
                convert::encode_assessment(&a).into(),
                c.subject.clone().into(),
                now.into(),
                now.into(),
            ],
            key,
            &name,
        )
        .await?;
        self.finish_create(ch, created, now, &format!("{name} registered"), false)
            .await?;
        Ok(convert::registration(row))
    }

    pub(super) async fn get_coverage_registration(
        &self,
        c: &Caller,
        r: pb::GetCoverageRegistrationRequest,
    ) -> Result<pb::CoverageRegistration, Status> {
        require_any_vendor(c)?;
        let id = parse_id("name", &r.name, "coverageRegistrations")?;
        let row = self.live::<RegistrationRow>(&id, &r.name).await?;
        Ok(convert::registration(row))
    }

    pub(super) async fn list_coverage_registrations(
        &self,
        c: &Caller,
        r: pb::ListCoverageRegistrationsRequest,
    ) -> Result<pb::ListCoverageRegistrationsResponse, Status> {
        require_any_vendor(c)?;
        let query = format!("registrations;{}", r.filter);
        let (coverage_registrations, next_page_token) = list_pb::<RegistrationRow, _>(
            &self.db,
            (GLOBAL, &r.filter, &query),
            r.page_size,
            &r.page_token,
            convert::registration,
        )
        .await?;
        Ok(pb::ListCoverageRegistrationsResponse {
            coverage_registrations,
            next_page_token,
        })
    }

    pub(super) async fn delete_coverage_registration(
        &self,
        c: &Caller,
        r: pb::DeleteCoverageRegistrationRequest,
    ) -> Result<pb::CoverageRegistration, Status> {
        require_any_vendor(c)?;
        let id = parse_id("name", &r.name, "coverageRegistrations")?;
        let now = self.clock.now();
        let w = store::soft_delete::<RegistrationRow>(&self.db, GLOBAL, &id, None, now).await?;
        Ok(convert::registration(written(w, &r.name)?))
    }

    pub(super) async fn simulate_disruption(
        &self,
        c: &Caller,
        r: pb::SimulateDisruptionRequest,
    ) -> Result<pb::SimulateDisruptionResponse, Status> {
        require_any_vendor(c)?;
        let live = self.cache.current(&self.db).await?;
        let mut scenario = (*live).clone();
        let mut v = Violations::new();
        let mut what = Vec::new();
        for (i, d) in r.depot_outages.iter().enumerate() {
            let field = format!("depot_outages[{i}]");
            match parse_id(&field, d, "depots") {
                Ok(id) if scenario.set_outage(&id) => what.push(format!("{d} in outage")),
                Ok(_) => v.add(field, format!("{d} is not a live depot")),
                Err(_) => v.add(field, "must look like depots/{depot}"),
            }
        }
        for (i, l) in r.stock_losses.iter().enumerate() {
            let field = format!("stock_losses[{i}]");
            if let Err(e) = check_part(&l.part_number) {
                v.add(format!("{field}.part_number"), e);
            }
            if !(0..=super::depots::MAX_UNITS).contains(&l.quantity) {
                v.add(
                    format!("{field}.quantity"),
                    format!(
                        "must be between 0 and {} (0 means all)",
                        super::depots::MAX_UNITS
                    ),
                );
            }
            match parse_id(&format!("{field}.depot"), &l.depot, "depots") {
                Ok(id) if scenario.lose_stock(&id, &l.part_number, l.quantity) => {
                    what.push(if l.quantity == 0 {
                        format!("{} loses all {}", l.depot, l.part_number)
                    } else {
                        format!("{} loses {} {}", l.depot, l.quantity, l.part_number)
                    });
                }
                Ok(_) => v.add(format!("{field}.depot"), "is not a live depot"),
                Err(_) => v.add(format!("{field}.depot"), "must look like depots/{depot}"),
            }
        }
        for (i, s) in r.country_shocks.iter().enumerate() {
            let field = format!("country_shocks[{i}]");
            let cc = v
                .check(&format!("{field}.country"), CountryCode::parse(&s.country))
                .map(|c| c.to_string());
            if !crate::model::scoring::check_factor_id(&s.factor) {
                v.add(
                    format!("{field}.factor"),
                    "must be a factor id such as logistics_reachability",
                );
            }
            if !(0.0..=1.0).contains(&s.normalized_value) {
                v.add(format!("{field}.normalized_value"), "must be within 0..1");
            }
            if let Some(cc) = cc {
                scenario.shock_country(&cc, &s.factor, s.normalized_value);
                what.push(format!("{cc} {} = {:.2}", s.factor, s.normalized_value));
            }
        }
        if r.depot_outages.is_empty() && r.stock_losses.is_empty() && r.country_shocks.is_empty() {
            v.add(
                "depot_outages",
                "give at least one outage, stock loss or country shock",
            );
        }
        v.into_result()?;
        let regs: Vec<RegistrationRow> = store::all_live(self.db.reader()).await?;
        let params = self.params.clone();
        let scenario = Arc::new(scenario);
        let scenario_text = what.join("; ");
        let impacts = tokio::task::spawn_blocking(move || {
            let mut impacts = Vec::new();
            for reg in &regs {
                let before = convert::assess_registration(&live, &params, reg);
                let after = convert::assess_registration(&scenario, &params, reg);
                let arrival = |a: &pb::CoverageAssessment| {
                    a.best
                        .as_ref()
                        .and_then(|b| b.estimated_arrival.as_ref())
                        .map(convert::duration_to_micros)
                        .unwrap_or(i64::MAX)
                };
                let breaks = before.covered && !after.covered;
                let worse = breaks
                    || after.redundancy < before.redundancy
                    || arrival(&after) > arrival(&before);
                if !worse {
                    continue;
                }
                let reason = if breaks {
                    format!("under [{scenario_text}]: {}", after.reason)
                } else {
                    format!(
                        "under [{scenario_text}]: still {}, redundancy {} -> {}",
                        if after.covered {
                            "covered"
                        } else {
                            "not covered"
                        },
                        before.redundancy,
                        after.redundancy
                    )
                };
                impacts.push(pb::RegistrationImpact {
                    registration: format!("coverageRegistrations/{}", reg.meta.id),
                    reference: reg.reference.clone(),
                    breaks,
                    before: Some(before),
                    after: Some(after),
                    reason,
                });
            }
            (regs.len(), impacts)
        })
        .await
        .map_err(|e| status::internal(&e))?;
        let (assessed, impacts) = impacts;
        Ok(pb::SimulateDisruptionResponse {
            registrations_broken: impacts.iter().filter(|i| i.breaks).count() as i32,
            registrations_assessed: assessed as i32,
            impacts,
        })
    }

    pub(super) fn watch_risk_events(
        &self,
        c: &Caller,
        r: pb::WatchRiskEventsRequest,
    ) -> Result<mpsc::Receiver<Result<pb::RiskEvent, Status>>, Status> {
        require_any_vendor(c)?;
        if r.after_sequence < 0 {
            return Err(status::invalid_argument("after_sequence", "must be >= 0"));
        }
        let (tx, rx) = mpsc::channel(256);
        let db = self.db.clone();
        let mut notified = self.events.subscribe();
        let poll = self.poll;
        let shutdown = self.shutdown.clone();
        let mut last = r.after_sequence;
        tokio::spawn(async move {
            loop {
                let batch = match change::events_after(&db, last, 500).await {
                    Ok(b) => b,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                };
                let full = batch.len() == 500;
                for ev in batch {
                    last = ev.seq;
                    if tx.send(Ok(convert::event(ev))).await.is_err() {
                        return;
                    }
                }
                if full {
                    continue;
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tx.closed() => return,
                    _ = notified.changed() => {}
                    _ = tokio::time::sleep(poll) => {}
                }
            }
        });
        Ok(rx)
    }
}
