//! Service commitments (`symbolon.customers.v1.CommitmentsService`).
//!
//! Creating a commitment asks the supply-chain service (one `BatchAssessCoverage` over
//! one snapshot: every site with all of its clause's parts, and every (site, part)
//! alone for the best achievable time) whether every site is covered. Uncovered sites
//! refuse the create with a `PreconditionFailure` per (site, part), unless the caller
//! accepts the risk. Each (clause, site) is then registered with the supply-chain
//! service under an id derived from (commitment, clause, site), so a retried create
//! registers nothing twice; the commitment, its coverage and its first status change
//! are written in one transaction only after every call succeeded.
//!
//! [`risk`] consumes the supply-chain risk stream and moves commitments between
//! `HEALTHY` and `AT_RISK` on its own; [`breach`] turns them `BREACHED` when a
//! supply-chain fire request for a promised part at a promised site is fulfilled late.

mod assess;
pub(crate) mod breach;
pub mod risk;
mod store;
mod supply;

pub use risk::RiskConsumer;
pub use supply::SupplyChain;

use crate::api::common::{live_parent, parse_name};
use crate::visibility;
use std::collections::{HashMap, HashSet};
use store::{CommitmentRow, StatusChangeRow};
use symbolon_contracts::customers::v1::{
    self as pb, commitments_service_server::CommitmentsService,
};
use symbolon_contracts::supplychain::v1 as spb;
use symbolon_platform::{
    Caller, Database, StoreError, Violations, aip, db::Sql, names, status, table, time::Clock,
};
use tonic::{Request, Response, Status};
use tracing::Instrument;

/// Vendor roles that create commitments.
const WRITERS: &[&str] = &["admin", "frontline"];
/// The longest window a clause may ask for (7 days), in microseconds.
const MAX_WINDOW: i64 = 7 * 24 * 3600 * 1_000_000;
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

    async fn commitment(&self, caller: &Caller, name: &str) -> Result<CommitmentRow, Status> {
        let n = parse_name("name", name, &["customers", "commitments"])?;
        caller.ensure_customer(n.customer_id, name)?;
        table::get::<CommitmentRow>(&self.db, n.customer_id, n.id)
            .await?
            .ok_or_else(|| status::not_found(name))
    }

    /// The commitment as `caller` may see it (`crate::visibility`).
    async fn to_proto(
        &self,
        caller: &Caller,
        row: &CommitmentRow,
    ) -> Result<pb::Commitment, Status> {
        let coverage =
            store::coverage(&self.db, &row.customer_id, &row.id, row.create_time).await?;
        Ok(visible(caller, row.to_proto(coverage)))
    }

    async fn by_request_key(&self, key: &str) -> Result<Option<CommitmentRow>, Status> {
        let mut q = Sql::new(&format!(
            "SELECT {} FROM commitments WHERE request_key = ",
            <CommitmentRow as table::Table>::COLUMNS
        ));
        q.bind(key);
        let row = q
            .query()
            .fetch_optional(self.db.reader())
            .await
            .map_err(StoreError::from)?;
        Ok(row
            .as_ref()
            .map(<CommitmentRow as table::Table>::from_row)
            .transpose()
            .map_err(StoreError::from)?)
    }
}

pub(crate) fn duration(micros: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    }
}

fn micros(d: &prost_types::Duration) -> i64 {
    d.seconds
        .saturating_mul(1_000_000)
        .saturating_add(i64::from(d.nanos) / 1000)
}

/// "3h05m".
fn human(d: &prost_types::Duration) -> String {
    let mins = (micros(d) + 59_999_999) / 60_000_000;
    format!("{}h{:02}m", mins / 60, mins % 60)
}

/// A stable UUID-shaped id from `parts` (FNV-1a, 128 bits): the same commitment, clause
/// and site always give the same registration id.
pub(crate) fn derived_id(parts: &[&str]) -> String {
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0u8)) {
            h ^= u128::from(b);
            h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
        }
    }
    uuid::Builder::from_random_bytes(h.to_be_bytes())
        .into_uuid()
        .hyphenated()
        .to_string()
}

pub(crate) fn check_part(p: &str) -> bool {
    (1..=64).contains(&p.len())
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
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

/// A commitment as `caller` may see it: customer people get places and times, not
/// supply-chain ids.
fn visible(caller: &Caller, mut c: pb::Commitment) -> pb::Commitment {
    if visibility::sees_ids(caller) {
        return c;
    }
    c.status_reason = visibility::redact(&c.status_reason).into_owned();
    for s in &mut c.coverage {
        s.registration.clear();
        s.best_depot.clear();
        for e in [&mut s.promised, &mut s.current].into_iter().flatten() {
            e.depot.clear();
        }
    }
    c
}

/// The best depot of an assessment in words, e.g. "Lima, PE".
pub(crate) fn place_of(best: &spb::DepotOption) -> String {
    visibility::place(&best.display_name, &best.country, &best.depot)
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
        let caller = Caller::of(&req)?;
        let r = req.into_inner();
        let customer_id = live_parent(&self.db, &caller, &r.parent).await?;
        caller.require_vendor(WRITERS)?;
        let mut v = Violations::new();
        let key = aip::request_key(
            &caller,
            "CreateCommitment",
            &r.parent,
            &r.request_id,
            &mut v,
        );
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
        if let Some(k) = &key
            && let Some(row) = self.by_request_key(k).await?
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
        let now = self.clock.now();
        let mut tx = self.db.writer().begin().await.map_err(StoreError::from)?;
        if self.db.backend() == symbolon_platform::db::Backend::Postgres {
            // Waits for a risk event being applied (it holds the cursor row) and makes
            // the consumer wait for this create, so an event for these registrations
            // is either absorbed from the pending table here or applied after commit.
            // Creates only share the lock, so they do not wait for each other. (SQLite
            // has one writer: transactions never overlap.)
            sqlx::query("SELECT sequence FROM commitment_risk_cursor WHERE id = 1 FOR SHARE")
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from)?;
        }
        let mut insert = Sql::new(
            "INSERT INTO commitments (id, customer_id, display_name, clauses, status, status_reason, \
             risk_accepted, created_by, create_time, update_time, version, last_change, request_key) VALUES (",
        );
        insert
            .bind(id.as_str())
            .push(", ")
            .bind(customer_id.as_str())
            .push(", ")
            .bind(c.display_name.trim())
            .push(", ")
            .bind(store::encode_clauses(&c.clauses))
            .push(", ")
            .bind(pb::CommitmentStatus::Unspecified as i64)
            .push(", '', ")
            .bind(i64::from(!violations.is_empty()))
            .push(", ")
            .bind(caller.subject.as_str())
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(", 1, 0, ")
            .bind(key.clone())
            .push(") ON CONFLICT (request_key) DO NOTHING");
        let inserted = insert
            .query()
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?
            .rows_affected()
            == 1;
        if !inserted {
            // A concurrent retry with the same request id won.
            tx.rollback().await.map_err(StoreError::from)?;
            let row = self
                .by_request_key(key.as_deref().unwrap_or_default())
                .await?
                .ok_or_else(|| status::internal(&"commitment vanished after insert"))?;
            return Ok(Response::new(self.to_proto(&caller, &row).await?));
        }
        for ((t, reg), a) in targets.iter().zip(&registrations).zip(&whole) {
            let latest = reg.assessment.as_ref().unwrap_or(a);
            let best = latest.best.as_ref().or(a.best.as_ref());
            let mut q = Sql::new(
                "INSERT INTO commitment_coverage (registration, customer_id, commitment_id, clause, site, \
                 covered, best_arrival, best_depot, redundancy, risk_sequence, promised_place, \
                 promised_within, current_depot, current_place, current_arrival, current_within, \
                 assess_time) VALUES (",
            );
            q.bind(reg.name.as_str())
                .push(", ")
                .bind(customer_id.as_str())
                .push(", ")
                .bind(id.as_str())
                .push(", ")
                .bind(t.clause as i64)
                .push(", ")
                .bind(t.site_name.as_str())
                .push(", ")
                .bind(i64::from(reg.state == spb::CoverageState::Covered as i32))
                .push(", ")
                .bind(best.and_then(|b| b.estimated_arrival.as_ref()).map(micros))
                .push(", ")
                .bind(best.map(|b| b.depot.clone()).unwrap_or_default())
                .push(", ")
                .bind(i64::from(latest.redundancy))
                .push(", 0, ")
                .bind(best.map(place_of).unwrap_or_default())
                .push(", ")
                .bind(i64::from(best.is_some_and(|b| b.within_window)))
                .push(", ")
                .bind(best.map(|b| b.depot.clone()).unwrap_or_default())
                .push(", ")
                .bind(best.map(place_of).unwrap_or_default())
                .push(", ")
                .bind(best.and_then(|b| b.estimated_arrival.as_ref()).map(micros))
                .push(", ")
                .bind(i64::from(best.is_some_and(|b| b.within_window)))
                .push(", ")
                .bind(now)
                .push(")");
            q.query()
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from)?;
        }
        breach::schedule(&mut tx, &customer_id, &c.clauses).await?;
        let pending_seq = risk::absorb_pending(&mut tx, &registrations).await?;
        let uncovered = risk::uncovered(&mut tx, &customer_id, &id).await?;
        let status = if uncovered.is_empty() {
            pb::CommitmentStatus::Healthy
        } else {
            pb::CommitmentStatus::AtRisk
        };
        let reason = if uncovered.is_empty() {
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
        };
        let mut upd = Sql::new("UPDATE commitments SET status = ");
        upd.bind(status as i64)
            .push(", status_reason = ")
            .bind(reason.as_str())
            .push(", last_change = 1 WHERE customer_id = ")
            .bind(customer_id.as_str())
            .push(" AND id = ")
            .bind(id.as_str());
        upd.query()
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        store::append_change(
            &mut tx,
            &customer_id,
            &id,
            1,
            pb::CommitmentStatus::Unspecified as i32,
            status as i32,
            &reason,
            pending_seq,
            now,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let row = table::get::<CommitmentRow>(&self.db, &customer_id, &id)
            .await?
            .ok_or_else(|| status::internal(&"commitment vanished after insert"))?;
        Ok(Response::new(self.to_proto(&caller, &row).await?))
    }

    async fn get_commitment(
        &self,
        req: Request<pb::GetCommitmentRequest>,
    ) -> Result<Response<pb::Commitment>, Status> {
        let caller = Caller::of(&req)?;
        let row = self.commitment(&caller, &req.into_inner().name).await?;
        Ok(Response::new(self.to_proto(&caller, &row).await?))
    }

    async fn list_commitments(
        &self,
        req: Request<pb::ListCommitmentsRequest>,
    ) -> Result<Response<pb::ListCommitmentsResponse>, Status> {
        let caller = Caller::of(&req)?;
        let r = req.into_inner();
        let n = parse_name("parent", &r.parent, &["customers"])?;
        caller.ensure_customer(n.customer_id, &r.parent)?;
        let query = format!("commitments;{};{}", r.parent, r.filter);
        let listing = aip::Listing {
            scope: Some(n.customer_id),
            filter: &r.filter,
            query: &query,
            show_deleted: false,
        };
        let (rows, next_page_token) =
            aip::list_page::<CommitmentRow>(&self.db, listing, r.page_size, &r.page_token).await?;
        let mut commitments = Vec::with_capacity(rows.len());
        for row in &rows {
            commitments.push(self.to_proto(&caller, row).await?);
        }
        Ok(Response::new(pb::ListCommitmentsResponse {
            commitments,
            next_page_token,
        }))
    }

    async fn list_commitment_status_changes(
        &self,
        req: Request<pb::ListCommitmentStatusChangesRequest>,
    ) -> Result<Response<pb::ListCommitmentStatusChangesResponse>, Status> {
        let caller = Caller::of(&req)?;
        let r = req.into_inner();
        let row = self.commitment(&caller, &r.parent).await?;
        let query = format!("commitmentStatusChanges;{}", r.parent);
        let scope = format!("{}/{}", row.customer_id, row.id);
        let listing = aip::Listing {
            scope: Some(&scope),
            filter: "",
            query: &query,
            show_deleted: false,
        };
        let (rows, next_page_token) =
            aip::list_page::<StatusChangeRow>(&self.db, listing, r.page_size, &r.page_token)
                .await?;
        Ok(Response::new(pb::ListCommitmentStatusChangesResponse {
            status_changes: rows
                .iter()
                .map(|r| {
                    let mut change = r.to_proto();
                    change.reason = visibility::text(&caller, &change.reason).into_owned();
                    change
                })
                .collect(),
            next_page_token,
        }))
    }

    async fn assess_site_coverage(
        &self,
        req: Request<pb::AssessSiteCoverageRequest>,
    ) -> Result<Response<pb::SiteCoverageAssessment>, Status> {
        let caller = Caller::of(&req)?;
        let r = req.into_inner();
        let a =
            assess::assess_site(&self.db, &self.clock, self.supply.as_ref(), &caller, r).await?;
        Ok(Response::new(a))
    }
}

/// Commitments by status per customer (see [`store::counts`]).
pub(crate) async fn counts(
    db: &Database,
    customer_ids: &[String],
) -> Result<HashMap<String, (i32, i32, i32)>, StoreError> {
    store::counts(db, customer_ids).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_uuids() {
        let a = derived_id(&["registration", "c-1", "0", "customers/a/sites/s"]);
        assert_eq!(
            a,
            derived_id(&["registration", "c-1", "0", "customers/a/sites/s"])
        );
        assert_ne!(
            a,
            derived_id(&["registration", "c-1", "1", "customers/a/sites/s"])
        );
        assert!(uuid::Uuid::parse_str(&a).is_ok());
        assert!(names::check_id(&a).is_ok());
    }

    #[test]
    fn human_durations_round_up_to_minutes() {
        assert_eq!(
            human(&duration(3 * 3_600_000_000 + 4 * 60_000_000 + 1)),
            "3h05m"
        );
    }
}
