//! The gRPC surface of commitments: each handler checks its request, applies the
//! tenancy, asks the supply-chain service, and hands the write to `store/`.

mod assess;
pub(super) mod clauses;
mod convert;
pub(super) mod risk;

use super::store::{self, CommitmentRow, NewCommitment, NewCoverage, StatusChangeRow};
use super::{SupplyChain, check_part, derived_id, human, place_of};
use crate::api::common::{customer_page, fetch, live_parent, parse_name, scoped_page};
use crate::visibility;
use std::collections::HashSet;
use symbolon_contracts::customers::v1::{
    self as pb, commitments_service_server::CommitmentsService,
};
use symbolon_contracts::supplychain::v1 as spb;
use symbolon_platform::{
    Caller, Database, Violations, aip, names, status, table,
    time::{Clock, duration, micros},
};
use tonic::{Request, Response, Status};
use tracing::Instrument;

/// Vendor roles that create commitments.
const WRITERS: &[&str] = &["admin", "frontline"];
/// The longest window a clause may ask for (7 days), in microseconds.
pub(super) const MAX_WINDOW: i64 = 7 * 24 * 3600 * 1_000_000;
/// The supply-chain batch limit.
const MAX_ASSESSMENTS: usize = 10_000;

/// The CommitmentsService implementation.
#[derive(Clone)]
pub struct Commitments {
    db: Database,
    clock: Clock,
    supply: Option<SupplyChain>,
}

impl Commitments {
    /// Serves commitments from `db`, checking coverage with `supply` (without it every
    /// create is UNAVAILABLE).
    pub fn new(db: Database, clock: Clock, supply: Option<SupplyChain>) -> Self {
        Self { db, clock, supply }
    }

    /// The commitment named `name`, sent in request field `field` (`name`, or a child's
    /// `parent`), if the caller may see it.
    async fn commitment(
        &self,
        caller: &Caller,
        field: &str,
        name: &str,
    ) -> Result<CommitmentRow, Status> {
        let n = parse_name(field, name, &["customers", "commitments"])?;
        fetch(&self.db, caller, name, &n).await
    }

    /// The commitment with its coverage, as `caller` may see it.
    async fn to_proto(
        &self,
        caller: &Caller,
        row: &CommitmentRow,
    ) -> Result<pb::Commitment, Status> {
        let coverage = store::coverage(&self.db, &row.customer_id, &[row.id.as_str()]).await?;
        let rows = coverage.get(&row.id).map(Vec::as_slice).unwrap_or_default();
        convert::commitment(caller, row, rows)
    }
}

/// One (clause, site) to assess and register.
struct Target {
    clause: usize,
    site_name: String,
    site: crate::store::SiteRow,
    parts: Vec<String>,
    window: i64,
}

/// Validates the clauses, loading each named site of the customer.
async fn targets(
    db: &Database,
    customer_id: &str,
    clauses: &[pb::CommitmentClause],
    v: &mut Violations,
) -> Result<Vec<Target>, Status> {
    if clauses.is_empty() || clauses.len() > 20 {
        v.add("commitment.clauses", "needs 1 to 20 clauses");
    }
    let mut out = Vec::new();
    for (i, c) in clauses.iter().enumerate() {
        let field = format!("commitment.clauses[{i}]");
        match &c.kind {
            None => v.add(field, "needs a kind: remote_expert or spare_parts"),
            Some(pb::commitment_clause::Kind::RemoteExpert(r)) => {
                if !(1..=24).contains(&r.hours_per_day) {
                    v.add(
                        format!("{field}.remote_expert.hours_per_day"),
                        "must be 1..24",
                    );
                }
                if !(1..=7).contains(&r.days_per_week) {
                    v.add(
                        format!("{field}.remote_expert.days_per_week"),
                        "must be 1..7",
                    );
                }
            }
            Some(pb::commitment_clause::Kind::SpareParts(s)) => {
                let f = format!("{field}.spare_parts");
                let window = match s.window.as_ref().map(micros) {
                    Some(w) if w > 0 && w <= MAX_WINDOW => w,
                    _ => {
                        v.add(format!("{f}.window"), "is required, > 0 and at most 7 days");
                        0
                    }
                };
                let parts: HashSet<&str> = s.part_numbers.iter().map(String::as_str).collect();
                if s.part_numbers.is_empty() || s.part_numbers.len() > 50 {
                    v.add(format!("{f}.part_numbers"), "needs 1 to 50 part numbers");
                } else if parts.len() != s.part_numbers.len() {
                    v.add(format!("{f}.part_numbers"), "must be distinct");
                }
                for (j, p) in s.part_numbers.iter().enumerate() {
                    if !check_part(p) {
                        v.add(
                            format!("{f}.part_numbers[{j}]"),
                            "must be 1-64 letters, digits, '.', '_' or '-'",
                        );
                    }
                }
                let sites: HashSet<&str> = s.sites.iter().map(String::as_str).collect();
                if s.sites.is_empty() || s.sites.len() > 100 {
                    v.add(format!("{f}.sites"), "needs 1 to 100 sites");
                } else if sites.len() != s.sites.len() {
                    v.add(format!("{f}.sites"), "must be distinct");
                }
                for (j, name) in s.sites.iter().enumerate() {
                    let sf = format!("{f}.sites[{j}]");
                    match names::parse(name, &["customers", "sites"]) {
                        Ok(ids) if ids[0] == customer_id => {
                            match table::get::<crate::store::SiteRow>(db, customer_id, ids[1])
                                .await?
                            {
                                Some(site) if site.meta.delete_time.is_none() => out.push(Target {
                                    clause: i,
                                    site_name: name.clone(),
                                    site,
                                    parts: s.part_numbers.clone(),
                                    window,
                                }),
                                _ => v.add(sf, "no such site"),
                            }
                        }
                        _ => v.add(sf, "must be a site of the parent customer"),
                    }
                }
            }
        }
    }
    let assessments: usize = out.iter().map(|t| 1 + t.parts.len()).sum();
    if assessments > MAX_ASSESSMENTS {
        v.add(
            "commitment.clauses",
            format!("too many (site, part) pairs: at most {MAX_ASSESSMENTS} sites plus parts"),
        );
    }
    Ok(out)
}

fn site_location(t: &Target) -> spb::SiteLocation {
    spb::SiteLocation {
        location: Some(symbolon_contracts::common::v1::LatLng {
            latitude: t.site.latitude,
            longitude: t.site.longitude,
        }),
        country: t.site.country.clone(),
        site: t.site_name.clone(),
    }
}

fn assess_request(t: &Target, parts: Vec<String>) -> spb::AssessCoverageRequest {
    spb::AssessCoverageRequest {
        site: Some(site_location(t)),
        part_numbers: parts,
        window: Some(duration(t.window)),
    }
}

/// Why (site, part) is not covered, with the best achievable time.
fn describe(part: &str, t: &Target, a: &spb::CoverageAssessment) -> String {
    let window = human(&duration(t.window));
    match &a.best {
        Some(best) => format!(
            "part {part} at {}: best achievable {} from {} (window {window})",
            t.site_name,
            best.estimated_arrival
                .as_ref()
                .map(human)
                .unwrap_or_else(|| "?".into()),
            visibility::place_and_id(&place_of(best), &best.depot),
        ),
        None => format!(
            "part {part} at {}: no serving depot has it available (window {window})",
            t.site_name
        ),
    }
}

#[tonic::async_trait]
impl CommitmentsService for Commitments {
    async fn create_commitment(
        &self,
        req: Request<pb::CreateCommitmentRequest>,
    ) -> Result<Response<pb::Commitment>, Status> {
        let (caller, r) = Caller::split(req)?;
        let customer_id = live_parent(&self.db, &caller, &r.parent).await?;
        caller.require_vendor(WRITERS)?;
        let mut v = Violations::new();
        let key = aip::request_key(&caller, "CreateCommitment", &r.parent, &r, &mut v);
        let c = r.commitment.unwrap_or_default();
        aip::text(
            &mut v,
            "commitment.display_name",
            &c.display_name,
            true,
            200,
        );
        let targets = targets(&self.db, &customer_id, &c.clauses, &mut v).await?;
        v.into_result()?;
        symbolon_platform::request_ids::claim(&self.db, key.as_deref()).await?;
        if let Some(k) = &key
            && let Some(row) = store::by_request_key(&self.db, k).await?
        {
            caller.ensure_customer(&row.customer_id, &r.parent)?;
            return Ok(Response::new(self.to_proto(&caller, &row).await?));
        }
        let supply = self.supply.as_ref().ok_or_else(|| {
            status::unavailable("the supply-chain service is not configured; nothing was written")
        })?;
        let id = match &key {
            Some(k) => derived_id(&["commitment", k]),
            None => names::new_id(),
        };
        let name = format!("customers/{customer_id}/commitments/{id}");

        // 1. Assess every site (all parts) and every (site, part), one snapshot.
        let mut requests = Vec::new();
        for t in &targets {
            requests.push(assess_request(t, t.parts.clone()));
            for p in &t.parts {
                requests.push(assess_request(t, vec![p.clone()]));
            }
        }
        let assessments = if requests.is_empty() {
            Vec::new()
        } else {
            supply.batch_assess(&caller, requests).await?
        };
        let mut violations = Vec::new();
        let mut at = 0;
        let mut whole = Vec::with_capacity(targets.len());
        for t in &targets {
            let all = &assessments[at];
            whole.push(all.clone());
            let singles = &assessments[at + 1..at + 1 + t.parts.len()];
            at += 1 + t.parts.len();
            if all.covered {
                continue;
            }
            let failing: Vec<usize> = (0..t.parts.len())
                .filter(|i| !singles[*i].covered)
                .collect();
            if failing.is_empty() {
                // Each part alone makes it, but no single depot ships them all in time.
                for p in &t.parts {
                    violations.push((
                        "NOT_COVERED".to_string(),
                        t.site_name.clone(),
                        format!(
                            "{}; no single depot ships every part of clause {} in time",
                            describe(p, t, all),
                            t.clause
                        ),
                    ));
                }
            } else {
                for i in failing {
                    violations.push((
                        "NOT_COVERED".to_string(),
                        t.site_name.clone(),
                        describe(&t.parts[i], t, &singles[i]),
                    ));
                }
            }
        }
        if !violations.is_empty() && !r.accept_risk {
            let sites: HashSet<&str> = violations.iter().map(|v| v.1.as_str()).collect();
            return Err(status::failed_preconditions(
                "NOT_COVERED",
                format!(
                    "{} site(s) cannot get their parts within the window: {}; pass accept_risk to create the commitment AT_RISK",
                    sites.len(),
                    violations
                        .iter()
                        .map(|v| v.2.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                &violations,
            ));
        }

        // 2. Register every (clause, site); ids derived, so retries find the same ones.
        let mut registrations = Vec::with_capacity(targets.len());
        let mut tasks = tokio::task::JoinSet::new();
        for (i, t) in targets.iter().enumerate() {
            let reg_id = derived_id(&["registration", &id, &t.clause.to_string(), &t.site_name]);
            let reg = spb::CoverageRegistration {
                site: Some(site_location(t)),
                part_numbers: t.parts.clone(),
                window: Some(duration(t.window)),
                reference: name.clone(),
                ..Default::default()
            };
            let (supply, caller) = (supply.clone(), caller.clone());
            // Spawned tasks start with no span: carry the handler's, so the
            // registrations stay in the caller's trace.
            tasks.spawn(
                async move { (i, supply.register(&caller, &reg_id, reg).await) }
                    .instrument(tracing::Span::current()),
            );
        }
        let mut failure = None;
        let mut made = Vec::new();
        let mut slots: Vec<Option<spb::CoverageRegistration>> = vec![None; targets.len()];
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((i, Ok(reg))) => {
                    made.push(reg.name.clone());
                    slots[i] = Some(reg);
                }
                Ok((_, Err(e))) => failure = Some(e),
                Err(e) => failure = Some(status::internal(&e)),
            }
        }
        if let Some(e) = failure {
            // Without a request id nobody will retry with these ids: give them back.
            if key.is_none() {
                for reg in made {
                    supply.unregister(&caller, &reg).await;
                }
            }
            return Err(e);
        }
        for s in slots {
            registrations.push(s.ok_or_else(|| status::internal(&"registration missing"))?);
        }

        // 3. Write everything in one transaction.
        let coverage = targets
            .iter()
            .zip(&registrations)
            .zip(&whole)
            .map(|((t, reg), a)| {
                let latest = reg.assessment.as_ref().unwrap_or(a);
                let best = latest.best.as_ref().or(a.best.as_ref());
                NewCoverage {
                    registration: reg.name.clone(),
                    clause: t.clause as i64,
                    site: t.site_name.clone(),
                    covered: reg.state == spb::CoverageState::Covered as i32,
                    best_arrival: best.and_then(|b| b.estimated_arrival.as_ref()).map(micros),
                    best_depot: best.map(|b| b.depot.clone()).unwrap_or_default(),
                    best_place: best.map(place_of).unwrap_or_default(),
                    within_window: best.is_some_and(|b| b.within_window),
                    redundancy: i64::from(latest.redundancy),
                }
            })
            .collect();
        let new = NewCommitment {
            id: &id,
            customer_id: &customer_id,
            display_name: c.display_name.trim(),
            clauses: clauses::encode(&c.clauses),
            promises: clauses::promises(&c.clauses),
            risk_accepted: !violations.is_empty(),
            created_by: &caller.subject,
            request_key: key,
            coverage,
        };
        let reason_of = |uncovered: &[String]| {
            if uncovered.is_empty() {
                "created: every site is covered".to_string()
            } else if r.accept_risk && !violations.is_empty() {
                format!(
                    "created with the risk accepted by {}: {}",
                    caller.subject,
                    violations
                        .iter()
                        .map(|v| v.2.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            } else {
                format!(
                    "created; the supply chain changed while registering: {} not covered",
                    uncovered.join(", ")
                )
            }
        };
        let row = store::create(&self.db, new, reason_of, self.clock.now())
            .await?
            .ok_or_else(|| status::internal(&"commitment vanished after insert"))?;
        Ok(Response::new(self.to_proto(&caller, &row).await?))
    }

    async fn get_commitment(
        &self,
        req: Request<pb::GetCommitmentRequest>,
    ) -> Result<Response<pb::Commitment>, Status> {
        let caller = Caller::of(&req)?;
        let row = self
            .commitment(&caller, "name", &req.into_inner().name)
            .await?;
        Ok(Response::new(self.to_proto(&caller, &row).await?))
    }

    async fn list_commitments(
        &self,
        req: Request<pb::ListCommitmentsRequest>,
    ) -> Result<Response<pb::ListCommitmentsResponse>, Status> {
        let (caller, r) = Caller::split(req)?;
        let (customer_id, rows, next_page) = customer_page::<CommitmentRow>(
            &self.db,
            &caller,
            "commitments",
            &r.parent,
            &r.filter,
            r.page_size,
            &r.page_token,
        )
        .await?;
        // The page's coverage in one read, not one per commitment.
        let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
        let coverage = store::coverage(&self.db, customer_id, &ids).await?;
        let mut commitments = rows
            .iter()
            .map(|row| {
                let of = coverage.get(&row.id).map(Vec::as_slice).unwrap_or_default();
                convert::commitment(&caller, row, of)
            })
            .collect::<Result<_, _>>()?;
        let next_page_token = next_page.token(&mut commitments);
        Ok(Response::new(pb::ListCommitmentsResponse {
            commitments,
            next_page_token,
        }))
    }

    async fn list_commitment_status_changes(
        &self,
        req: Request<pb::ListCommitmentStatusChangesRequest>,
    ) -> Result<Response<pb::ListCommitmentStatusChangesResponse>, Status> {
        let (caller, r) = Caller::split(req)?;
        let row = self.commitment(&caller, "parent", &r.parent).await?;
        let query = format!("commitmentStatusChanges;{}", r.parent);
        let scope = format!("{}/{}", row.customer_id, row.id);
        let (rows, next_page) =
            scoped_page::<StatusChangeRow>(&self.db, &scope, &query, r.page_size, &r.page_token)
                .await?;
        let mut status_changes = rows
            .iter()
            .map(|r| convert::status_change(&caller, r))
            .collect();
        let next_page_token = next_page.token(&mut status_changes);
        Ok(Response::new(pb::ListCommitmentStatusChangesResponse {
            status_changes,
            next_page_token,
        }))
    }

    async fn assess_site_coverage(
        &self,
        req: Request<pb::AssessSiteCoverageRequest>,
    ) -> Result<Response<pb::SiteCoverageAssessment>, Status> {
        let (caller, r) = Caller::split(req)?;
        let a =
            assess::assess_site(&self.db, &self.clock, self.supply.as_ref(), &caller, r).await?;
        Ok(Response::new(a))
    }
}
