//! Service commitments against the real supply-chain service on loopback: coverage
//! checked on create (refused with details, or accepted AT_RISK), registrations made
//! once, risk events turning commitments AT_RISK and back with either service restarted
//! in the middle, and a supply-chain outage answered UNAVAILABLE with nothing written.

use crate::helpers::site_message;
use crate::requests;
use crate::two_services::{Running, start_customers, start_customers_at, start_supplychain};
use std::{net::SocketAddr, path::PathBuf, time::Duration};
use symbolon_contracts::customers::v1::{
    self as pb, commitments_service_client::CommitmentsServiceClient,
    dashboard_service_client::DashboardServiceClient,
    incidents_service_client::IncidentsServiceClient,
};
use symbolon_contracts::{
    common::v1::LatLng,
    supplychain::v1::{self as spb, supply_chain_service_client::SupplyChainServiceClient},
};
use symbolon_customers::incidents::IncidentTimers;
use symbolon_platform::{auth::Org, time::Clock};
use symbolon_testkit::{Backend, Keys, TestDb, authed, both_backends};
use tonic::{Code, transport::Channel};
use tonic_types::StatusExt;

/// Both services on loopback, each with its own database, sharing the keys.
pub struct World {
    keys: Keys,
    admin: String,
    sc_db: TestDb,
    cu_db: TestDb,
    sc_addr: SocketAddr,
    sc: Option<Running>,
    cu: Option<Running>,
    token_file: PathBuf,
    _token_dir: tempfile::TempDir,
    /// With a manual clock: the incident timers, swept by the test.
    timers: Option<IncidentTimers>,
}

impl Drop for World {
    fn drop(&mut self) {
        for r in [&self.sc, &self.cu].into_iter().flatten() {
            r.shutdown.cancel();
        }
    }
}

/// Frankfurt, where depot `fra` is.
const FRANKFURT: (f64, f64) = (50.11552, 8.68417);
/// Mombasa, far from every depot.
const MOMBASA: (f64, f64) = (-4.0435, 39.6682);

impl World {
    /// Depot `fra` at Frankfurt airport holding RRU-5258 ×3 and BBU-5900 ×2, customer
    /// `acme` with sites `frankfurt` and `mombasa`.
    async fn new(backend: Backend) -> World {
        Self::build(backend, None).await
    }

    /// As [`World::new`], customers telling time by `clock` (and not following the risk
    /// stream).
    async fn at(backend: Backend, clock: Clock) -> World {
        Self::build(backend, Some(clock)).await
    }

    async fn build(backend: Backend, clock: Option<Clock>) -> World {
        let keys = Keys::new();
        let admin = keys.vendor_admin();
        let sc_db = TestDb::new(backend).await;
        let cu_db = TestDb::new(backend).await;
        let token_dir = tempfile::tempdir().expect("temporary directory");
        let token_file = token_dir.path().join("service-token");
        std::fs::write(
            &token_file,
            keys.token("service:customers", &Org::Vendor, &["analyst"]),
        )
        .expect("write token");
        let sc = start_supplychain(&sc_db.url, &keys, None).await;
        let sc_addr = sc.addr;
        let (cu, timers) = match clock {
            Some(clock) => {
                let (cu, timers) = start_customers_at(&cu_db.url, &keys, sc_addr, clock).await;
                (cu, Some(timers))
            }
            None => (
                start_customers(&cu_db.url, &keys, sc_addr, Some(&token_file)).await,
                None,
            ),
        };
        let w = World {
            keys,
            admin,
            sc_db,
            cu_db,
            sc_addr,
            sc: Some(sc),
            cu: Some(cu),
            token_file,
            _token_dir: token_dir,
            timers,
        };
        let mut sc = w.supplychain().await;
        let depot = requests::depot("fra", "Frankfurt airport", "DE", (50.05, 8.57));
        let stock = [("RRU-5258", 3), ("BBU-5900", 2)];
        crate::helpers::stocked_depot(&mut sc, &w.admin, depot, &stock).await;
        let customer =
            requests::customer("acme", "ACME Telecom", pb::Industry::TelecomOperator, "DE");
        let sites = [("frankfurt", "DE", FRANKFURT), ("mombasa", "KE", MOMBASA)].map(
            |(id, cc, (lat, lng))| requests::site("customers/acme", id, site_message(cc, lat, lng)),
        );
        crate::helpers::customer_with_sites(w.channel().await, &w.admin, customer, sites).await;
        w
    }

    async fn channel(&self) -> Channel {
        symbolon_testkit::channel(self.cu.as_ref().expect("customers running").addr).await
    }

    async fn commitments(&self) -> CommitmentsServiceClient<Channel> {
        CommitmentsServiceClient::new(self.channel().await)
    }

    async fn supplychain(&self) -> SupplyChainServiceClient<Channel> {
        SupplyChainServiceClient::new(symbolon_testkit::channel(self.sc_addr).await)
    }

    async fn stop_supplychain(&mut self) {
        if let Some(sc) = self.sc.take() {
            sc.stop().await;
        }
    }

    async fn start_supplychain(&mut self) {
        self.sc = Some(start_supplychain(&self.sc_db.url, &self.keys, Some(self.sc_addr)).await);
    }

    async fn stop_customers(&mut self) {
        if let Some(cu) = self.cu.take() {
            cu.stop().await;
        }
    }

    async fn start_customers(&mut self) {
        self.cu = Some(
            start_customers(
                &self.cu_db.url,
                &self.keys,
                self.sc_addr,
                Some(&self.token_file),
            )
            .await,
        );
    }

    async fn create(
        &self,
        sites: &[&str],
        parts: &[&str],
        accept_risk: bool,
        request_id: &str,
    ) -> Result<pb::Commitment, tonic::Status> {
        let frontline = self
            .keys
            .token("fiona@vendor", &Org::Vendor, &["frontline"]);
        self.commitments()
            .await
            .create_commitment(authed(
                &frontline,
                requests::create_commitment(sites, parts, accept_risk, request_id),
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn get(&self, name: &str) -> pb::Commitment {
        self.commitments()
            .await
            .get_commitment(authed(
                &self.admin,
                pb::GetCommitmentRequest { name: name.into() },
            ))
            .await
            .expect("get commitment")
            .into_inner()
    }

    async fn history(&self, name: &str) -> Vec<pb::CommitmentStatusChange> {
        self.commitments()
            .await
            .list_commitment_status_changes(authed(
                &self.admin,
                pb::ListCommitmentStatusChangesRequest {
                    parent: name.into(),
                    page_size: 100,
                    page_token: String::new(),
                },
            ))
            .await
            .expect("history")
            .into_inner()
            .status_changes
    }

    async fn list(&self) -> Vec<pb::Commitment> {
        self.commitments()
            .await
            .list_commitments(authed(
                &self.admin,
                pb::ListCommitmentsRequest {
                    parent: "customers/acme".into(),
                    page_size: 100,
                    ..Default::default()
                },
            ))
            .await
            .expect("list")
            .into_inner()
            .commitments
    }

    /// Waits (up to 20 s) until the commitment has `status`.
    async fn wait_for(&self, name: &str, status: pb::CommitmentStatus) -> pb::Commitment {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let c = self.get(name).await;
            if c.status == status as i32 {
                return c;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} never became {status:?}; it is {:?}: {}",
                c.status(),
                c.status_reason
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn set_depot(&self, status: spb::DepotStatus) {
        self.supplychain()
            .await
            .update_depot(authed(
                &self.admin,
                spb::UpdateDepotRequest {
                    depot: Some(spb::Depot {
                        name: "depots/fra".into(),
                        status: status as i32,
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["status".into()],
                    }),
                },
            ))
            .await
            .expect("update depot");
    }

    /// Opens an incident at Frankfurt and asks supply-chain for one `part`.
    async fn call_for_part(&self, part: &str) -> pb::FireRequest {
        let frontline = self
            .keys
            .token("fiona@vendor", &Org::Vendor, &["frontline"]);
        let mut incidents = IncidentsServiceClient::new(self.channel().await);
        let incident = incidents
            .open_incident(authed(
                &frontline,
                requests::open_incident(
                    "customers/acme",
                    "customers/acme/sites/frankfurt",
                    pb::Severity::Critical,
                    "Line card failure",
                    crate::helpers::now(),
                ),
            ))
            .await
            .expect("open incident")
            .into_inner();
        incidents
            .call_for_fire(authed(
                &frontline,
                requests::call_for_fire(
                    incident.name,
                    "supply-chain",
                    "A line card to the site",
                    600,
                    4 * 3600,
                    &[(part, 1)],
                ),
            ))
            .await
            .expect("call for fire")
            .into_inner()
    }

    /// Fulfils a fire request as the supply-chain department.
    async fn fulfil(&self, fire_request: &str) {
        let logistics = self
            .keys
            .token("sam@vendor", &Org::Vendor, &["department:supply-chain"]);
        IncidentsServiceClient::new(self.channel().await)
            .fulfil_fire_request(authed(
                &logistics,
                requests::fulfil(fire_request, "delivered"),
            ))
            .await
            .expect("fulfil");
    }

    async fn registrations(&self) -> Vec<spb::CoverageRegistration> {
        self.supplychain()
            .await
            .list_coverage_registrations(authed(
                &self.admin,
                spb::ListCoverageRegistrationsRequest {
                    page_size: 1000,
                    ..Default::default()
                },
            ))
            .await
            .expect("registrations")
            .into_inner()
            .coverage_registrations
    }
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `YYYY-Qn` of today (UTC).
fn this_quarter() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64
        / 86_400;
    let (year, month) = symbolon_testkit::civil_from_days(days);
    format!("{year}-Q{}", (month - 1) / 3 + 1)
}

async fn refused_for_an_uncovered_site_and_accepted_for_a_covered_one(backend: Backend) {
    let w = World::new(backend).await;
    let parts = ["RRU-5258", "BBU-5900"];

    // Covered: Frankfurt is half an hour from the depot.
    let ok = w
        .create(&["frankfurt"], &parts, false, &uuid())
        .await
        .expect("covered commitment");
    assert_eq!(ok.status(), pb::CommitmentStatus::Healthy);
    assert!(!ok.risk_accepted);
    assert_eq!(ok.coverage.len(), 1);
    let cov = &ok.coverage[0];
    assert_eq!(cov.site, "customers/acme/sites/frankfurt");
    assert_eq!(cov.clause, 1);
    assert!(cov.covered);
    assert_eq!(cov.best_depot, "depots/fra");
    assert!(cov.registration.starts_with("coverageRegistrations/"));
    let history = w.history(&ok.name).await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].status(), pb::CommitmentStatus::Healthy);

    // Mombasa is days away: refused, one violation per part, with the best time.
    let err = w
        .create(&["frankfurt", "mombasa"], &parts, false, &uuid())
        .await
        .expect_err("uncovered commitment");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let details = err.get_error_details();
    let violations = details
        .precondition_failure()
        .map(|p| p.violations.clone())
        .unwrap_or_default();
    assert_eq!(violations.len(), 2, "{violations:?}");
    for (v, part) in violations.iter().zip(parts) {
        assert_eq!(v.r#type, "NOT_COVERED");
        assert_eq!(v.subject, "customers/acme/sites/mombasa");
        assert!(v.description.contains(part), "{}", v.description);
        assert!(
            v.description.contains("best achievable") && v.description.contains("depots/fra"),
            "{}",
            v.description
        );
    }
    assert_eq!(
        w.list().await.len(),
        1,
        "a refused commitment is not written"
    );
    assert_eq!(
        w.registrations().await.len(),
        1,
        "a refused commitment registers nothing"
    );

    // Accepting the risk creates it AT_RISK; a retry returns it and registers nothing
    // twice.
    let request_id = uuid();
    let risky = w
        .create(&["frankfurt", "mombasa"], &parts, true, &request_id)
        .await
        .expect("risk accepted");
    assert_eq!(risky.status(), pb::CommitmentStatus::AtRisk);
    assert!(risky.risk_accepted);
    assert!(
        risky.status_reason.contains("mombasa"),
        "{}",
        risky.status_reason
    );
    let covered: Vec<(String, bool)> = risky
        .coverage
        .iter()
        .map(|c| (c.site.clone(), c.covered))
        .collect();
    assert_eq!(
        covered,
        vec![
            ("customers/acme/sites/frankfurt".into(), true),
            ("customers/acme/sites/mombasa".into(), false)
        ]
    );
    let again = w
        .create(&["frankfurt", "mombasa"], &parts, true, &request_id)
        .await
        .expect("retry");
    assert_eq!(again.name, risky.name);
    assert_eq!(w.list().await.len(), 2);
    let regs = w.registrations().await;
    assert_eq!(regs.len(), 3, "{regs:?}");
    assert!(
        regs.iter()
            .all(|r| r.reference.starts_with("customers/acme/commitments/"))
    );

    // The dashboard counts them.
    let board = DashboardServiceClient::new(w.channel().await)
        .get_trust_dashboard(authed(
            &w.admin,
            pb::GetTrustDashboardRequest {
                customer: "customers/acme".into(),
                quarter: this_quarter(),
            },
        ))
        .await
        .expect("dashboard")
        .into_inner();
    assert_eq!(
        (board.commitments_healthy, board.commitments_at_risk),
        (1, 1)
    );

    // Filter by status; another tenant sees nothing.
    let at_risk = w
        .commitments()
        .await
        .list_commitments(authed(
            &w.admin,
            pb::ListCommitmentsRequest {
                parent: "customers/acme".into(),
                filter: "status = COMMITMENT_STATUS_AT_RISK".into(),
                ..Default::default()
            },
        ))
        .await
        .expect("filtered list")
        .into_inner()
        .commitments;
    assert_eq!(at_risk.len(), 1);
    let stranger = w.keys.customer("globex", &["customer-executive"]);
    let err = w
        .commitments()
        .await
        .get_commitment(authed(
            &stranger,
            pb::GetCommitmentRequest {
                name: ok.name.clone(),
            },
        ))
        .await
        .expect_err("other tenant");
    assert_eq!(err.code(), Code::NotFound);
    let own = w.keys.customer("acme", &["customer-engineer"]);
    w.commitments()
        .await
        .get_commitment(authed(&own, pb::GetCommitmentRequest { name: ok.name }))
        .await
        .expect("the customer sees its own commitment");
}

async fn a_depot_outage_turns_a_commitment_at_risk_across_restarts(backend: Backend) {
    let mut w = World::new(backend).await;
    let c = w
        .create(&["frankfurt"], &["RRU-5258"], false, &uuid())
        .await
        .expect("create");
    assert_eq!(c.status(), pb::CommitmentStatus::Healthy);

    // The supply-chain service restarts; the consumer reconnects and resumes.
    w.stop_supplychain().await;
    w.start_supplychain().await;
    w.set_depot(spb::DepotStatus::Outage).await;
    let at_risk = w.wait_for(&c.name, pb::CommitmentStatus::AtRisk).await;
    assert!(
        at_risk.status_reason.contains("frankfurt") && at_risk.status_reason.contains("OUTAGE"),
        "{}",
        at_risk.status_reason
    );
    assert!(!at_risk.coverage[0].covered);

    // The customers service is down while the depot recovers: it catches up from its
    // stored cursor when it is back.
    w.stop_customers().await;
    w.set_depot(spb::DepotStatus::Operational).await;
    w.start_customers().await;
    let healthy = w.wait_for(&c.name, pb::CommitmentStatus::Healthy).await;
    assert!(healthy.coverage[0].covered);

    // One change per event, each with its reason, nothing twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let history = w.history(&c.name).await;
    let statuses: Vec<_> = history.iter().map(|h| h.status()).collect();
    assert_eq!(
        statuses,
        vec![
            pb::CommitmentStatus::Healthy,
            pb::CommitmentStatus::AtRisk,
            pb::CommitmentStatus::Healthy
        ],
        "{history:?}"
    );
    assert_eq!(
        history.iter().map(|h| h.sequence).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(history[1].risk_event_sequence > 0);
    assert!(history[2].risk_event_sequence > history[1].risk_event_sequence);
    assert!(
        history[2].reason.contains("covered again"),
        "{}",
        history[2].reason
    );
    assert_eq!(history[2].previous_status(), pb::CommitmentStatus::AtRisk);
}

async fn supplychain_down_is_unavailable_fast_and_nothing_is_half_written(backend: Backend) {
    let mut w = World::new(backend).await;
    w.stop_supplychain().await;
    let request_id = uuid();
    let started = std::time::Instant::now();
    let err = w
        .create(&["frankfurt"], &["RRU-5258"], false, &request_id)
        .await
        .expect_err("supply-chain is down");
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    // Functional bound (not a benchmark): it must not hang until some long timeout.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(w.list().await.is_empty(), "nothing is written");

    w.start_supplychain().await;
    let c = w
        .create(&["frankfurt"], &["RRU-5258"], false, &request_id)
        .await
        .expect("works again");
    assert_eq!(c.status(), pb::CommitmentStatus::Healthy);
    assert_eq!(w.list().await.len(), 1);
    assert_eq!(w.registrations().await.len(), 1);

    // And the risk stream is followed again.
    w.set_depot(spb::DepotStatus::Outage).await;
    w.wait_for(&c.name, pb::CommitmentStatus::AtRisk).await;
}

async fn bad_input_names_each_field(backend: Backend) {
    let w = World::new(backend).await;
    let mut req =
        requests::create_commitment(&["nowhere", "frankfurt"], &["bad part!"], false, "x");
    if let Some(c) = req.commitment.as_mut() {
        c.display_name.clear();
        c.clauses.push(pb::CommitmentClause { kind: None });
    }
    let frontline = w.keys.token("fiona@vendor", &Org::Vendor, &["frontline"]);
    let err = w
        .commitments()
        .await
        .create_commitment(authed(&frontline, req))
        .await
        .expect_err("bad input");
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields: Vec<String> = err
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    for f in [
        "request_id",
        "commitment.display_name",
        "commitment.clauses[1].spare_parts.sites[0]",
        "commitment.clauses[1].spare_parts.part_numbers[0]",
        "commitment.clauses[2]",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} missing from {fields:?}");
    }
    // Customer people cannot create commitments.
    let own = w.keys.customer("acme", &["customer-executive"]);
    let err = w
        .commitments()
        .await
        .create_commitment(authed(
            &own,
            requests::create_commitment(&["frankfurt"], &["RRU-5258"], false, ""),
        ))
        .await
        .expect_err("customer");
    assert_eq!(err.code(), Code::PermissionDenied);
}

async fn two_replicas_apply_each_event_once(backend: Backend) {
    let mut w = World::new(backend).await;
    let c = w
        .create(&["frankfurt"], &["RRU-5258"], false, &uuid())
        .await
        .expect("create");
    // A second replica on the same database: on PostgreSQL it waits for the advisory
    // lock; on SQLite both follow the stream and the cursor claim applies each event once.
    let replica = start_customers(&w.cu_db.url, &w.keys, w.sc_addr, Some(&w.token_file)).await;
    w.set_depot(spb::DepotStatus::Outage).await;
    w.wait_for(&c.name, pb::CommitmentStatus::AtRisk).await;
    w.set_depot(spb::DepotStatus::Operational).await;
    w.wait_for(&c.name, pb::CommitmentStatus::Healthy).await;

    // The first replica goes away; the other takes over the stream.
    w.stop_customers().await;
    w.cu = Some(replica);
    w.set_depot(spb::DepotStatus::Outage).await;
    w.wait_for(&c.name, pb::CommitmentStatus::AtRisk).await;

    tokio::time::sleep(Duration::from_millis(500)).await;
    let history = w.history(&c.name).await;
    assert_eq!(
        history.iter().map(|h| h.status()).collect::<Vec<_>>(),
        vec![
            pb::CommitmentStatus::Healthy,
            pb::CommitmentStatus::AtRisk,
            pb::CommitmentStatus::Healthy,
            pb::CommitmentStatus::AtRisk
        ],
        "{history:?}"
    );
    let events: Vec<i64> = history.iter().map(|h| h.risk_event_sequence).collect();
    assert!(events.windows(2).all(|p| p[0] < p[1]), "{events:?}");
}

/// A supply-chain fire request for a promised part at a promised site, fulfilled later
/// than the window, breaks the promise: the commitment turns BREACHED for good, with the
/// reason and a status change; a commitment whose window it met stays as it was.
async fn a_late_fulfilment_breaches_the_commitment(backend: Backend) {
    let w = World::new(backend).await;
    let frontline = w.keys.token("fiona@vendor", &Org::Vendor, &["frontline"]);
    // Four hours: covered, HEALTHY.
    let kept = w
        .create(&["frankfurt"], &["RRU-5258"], false, &uuid())
        .await
        .expect("covered commitment");
    assert_eq!(kept.status(), pb::CommitmentStatus::Healthy);
    // One second, which no depot can meet: accepted AT_RISK.
    let mut tight = requests::create_commitment(&["frankfurt"], &["RRU-5258"], true, &uuid());
    for clause in &mut tight.commitment.as_mut().expect("commitment").clauses {
        if let Some(pb::commitment_clause::Kind::SpareParts(s)) = &mut clause.kind {
            s.window = requests::dur(1);
        }
    }
    let tight = w
        .commitments()
        .await
        .create_commitment(authed(&frontline, tight))
        .await
        .expect("commitment at risk")
        .into_inner();
    assert_eq!(tight.status(), pb::CommitmentStatus::AtRisk);
    // A part the commitment does not name breaks nothing, however late.
    let other_part = w.call_for_part("BBU-5900").await;
    let late = w.call_for_part("RRU-5258").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    w.fulfil(&other_part.name).await;
    w.fulfil(&late.name).await;

    let broken = w.get(&tight.name).await;
    assert_eq!(broken.status(), pb::CommitmentStatus::Breached);
    assert!(
        broken.status_reason.contains(&late.name) && broken.status_reason.contains("RRU-5258"),
        "{}",
        broken.status_reason
    );
    let history = w.history(&tight.name).await;
    let last = history.last().expect("a status change");
    assert_eq!(last.previous_status(), pb::CommitmentStatus::AtRisk);
    assert_eq!(last.status(), pb::CommitmentStatus::Breached);
    assert_eq!(history.len(), 2);
    let still = w.get(&kept.name).await;
    assert_eq!(still.status(), pb::CommitmentStatus::Healthy);
    assert_eq!(w.history(&kept.name).await.len(), 1);
}

/// A supply-chain request still open when the window has passed breaks the promise at
/// the next timer sweep, once, with an event on the incident's timeline for the
/// supply-chain lead and the owner.
async fn an_overdue_request_breaches_the_commitment(backend: Backend) {
    let clock = Clock::manual(Clock::system().now());
    let w = World::at(backend, clock.clone()).await;
    let timers = w.timers.clone().expect("timers");
    let c = w
        .create(&["frankfurt"], &["BBU-5900"], false, &uuid())
        .await
        .expect("covered commitment");
    assert_eq!(c.status(), pb::CommitmentStatus::Healthy);
    let fr = w.call_for_part("BBU-5900").await;
    timers.sweep().await.expect("sweep");
    assert_eq!(w.get(&c.name).await.status(), pb::CommitmentStatus::Healthy);

    // Five hours on, still open: the four-hour promise is broken.
    clock.advance(Duration::from_secs(5 * 3600));
    timers.sweep().await.expect("sweep");
    let broken = w.get(&c.name).await;
    assert_eq!(broken.status(), pb::CommitmentStatus::Breached);
    assert!(
        broken.status_reason.contains(&fr.name)
            && broken.status_reason.contains("has not brought BBU-5900"),
        "{}",
        broken.status_reason
    );
    let incident = fr
        .name
        .split("/fireRequests/")
        .next()
        .expect("incident name");
    let mut incidents = IncidentsServiceClient::new(w.channel().await);
    let events = crate::helpers::timeline(&mut incidents, &w.admin, incident).await;
    let breach: Vec<_> = events
        .iter()
        .filter(|e| e.kind() == pb::IncidentEventKind::CommitmentBreached)
        .collect();
    assert_eq!(breach.len(), 1, "{events:?}");
    assert!(breach[0].message.contains(&c.name), "{}", breach[0].message);
    assert!(
        breach[0]
            .notify
            .contains(&"department:supply-chain-lead".to_string()),
        "{:?}",
        breach[0].notify
    );

    // Once: later sweeps and the late fulfilment change nothing more.
    assert_eq!(timers.sweep().await.expect("sweep"), 0);
    w.fulfil(&fr.name).await;
    assert_eq!(w.history(&c.name).await.len(), 2);
    assert_eq!(
        w.get(&c.name).await.status(),
        pb::CommitmentStatus::Breached
    );
}

/// A sweep reads the requests whose breach check is due, not every open one: once each
/// request has been dated (the first sweep after its creation), a sweep that checks
/// only two requests still finds the one overdue among four open ones. A commitment
/// created later brings the check of older open requests forward, so they break it too.
async fn sweeps_read_only_due_requests(backend: Backend) {
    let clock = Clock::manual(Clock::system().now());
    let w = World::at(backend, clock.clone()).await;
    let timers = w.timers.clone().expect("timers").with_breach_batch(2);
    let c = w
        .create(&["frankfurt"], &["BBU-5900"], false, &uuid())
        .await
        .expect("covered commitment");
    // Three requests for a part the commitment does not name, then the one that will
    // break it.
    let mut others = Vec::new();
    for _ in 0..3 {
        others.push(w.call_for_part("RRU-5258").await);
        clock.advance(Duration::from_secs(1));
    }
    let late = w.call_for_part("BBU-5900").await;
    // New requests are due at once: two sweeps of two date all four (the three others
    // can break nothing, the late one four hours after it was raised).
    timers.sweep().await.expect("sweep");
    timers.sweep().await.expect("sweep");
    assert_eq!(w.get(&c.name).await.status(), pb::CommitmentStatus::Healthy);

    // Five hours on, one sweep of two: only the late request is due, and it breaks the
    // promise (walking the open requests two by two would not have reached it).
    clock.advance(Duration::from_secs(5 * 3600));
    timers.sweep().await.expect("sweep");
    let broken = w.get(&c.name).await;
    assert_eq!(broken.status(), pb::CommitmentStatus::Breached);
    assert!(
        broken.status_reason.contains(&late.name),
        "{}",
        broken.status_reason
    );

    // A commitment promising the others' part, created now (at risk: their reservations
    // took the stock): they are five hours old, past its four-hour window, so the next
    // sweep breaks it.
    let later = w
        .create(&["frankfurt"], &["RRU-5258"], true, &uuid())
        .await
        .expect("commitment at risk");
    assert_eq!(later.status(), pb::CommitmentStatus::AtRisk);
    timers.sweep().await.expect("sweep");
    let broken = w.get(&later.name).await;
    assert_eq!(broken.status(), pb::CommitmentStatus::Breached);
    assert!(
        others
            .iter()
            .any(|o| broken.status_reason.contains(&o.name)),
        "{}",
        broken.status_reason
    );
    // Each breach stays one, whatever later sweeps find.
    for _ in 0..3 {
        timers.sweep().await.expect("sweep");
    }
    assert_eq!(w.history(&c.name).await.len(), 2);
    assert_eq!(w.history(&later.name).await.len(), 2);
}

/// A commitment in the present tense: after Frankfurt's outage it shows what was
/// promised (Frankfurt) and what holds now (Munich, re-assessed with the risk event),
/// and its history says what changed. Customer people see places and times, never the
/// supply chain's ids, in every field and text.
async fn a_commitment_shows_what_holds_now_and_customers_see_places(backend: Backend) {
    let w = World::new(backend).await;
    let mut sc = w.supplychain().await;
    sc.create_depot(authed(
        &w.admin,
        spb::CreateDepotRequest {
            depot: Some(spb::Depot {
                display_name: "Munich".into(),
                country: "DE".into(),
                location: Some(LatLng {
                    latitude: 48.35,
                    longitude: 11.78,
                }),
                status: spb::DepotStatus::Operational as i32,
                dispatch_preparation_time: requests::dur(3600),
                ..Default::default()
            }),
            depot_id: "muc".into(),
            request_id: String::new(),
        },
    ))
    .await
    .expect("create depot");
    sc.set_stock_level(authed(
        &w.admin,
        requests::stock("depots/muc/stockLevels/RRU-5258", 5),
    ))
    .await
    .expect("set stock");
    let c = w
        .create(&["frankfurt"], &["RRU-5258"], false, &uuid())
        .await
        .expect("create");
    let promised = c.coverage[0].promised.clone().expect("promised");
    assert_eq!(promised.place, "Frankfurt airport, DE");
    assert_eq!(promised.depot, "depots/fra");
    assert!(promised.within_window);
    assert_eq!(c.coverage[0].current, Some(promised.clone()));

    w.set_depot(spb::DepotStatus::Outage).await;
    let at_risk = w.wait_for(&c.name, pb::CommitmentStatus::AtRisk).await;
    let site = &at_risk.coverage[0];
    // What was promised stays; what holds now moved to Munich, later than the window.
    assert_eq!(site.promised.as_ref(), Some(&promised));
    assert_eq!(site.best_depot, "depots/fra");
    let now = site.current.clone().expect("current");
    assert_eq!(now.place, "Munich, DE");
    assert_eq!(now.depot, "depots/muc");
    assert!(!now.within_window);
    let secs = |d: &Option<prost_types::Duration>| d.as_ref().map(|d| d.seconds).unwrap_or(0);
    assert!(secs(&now.arrival) > secs(&promised.arrival), "{site:?}");
    let at = |t: &Option<prost_types::Timestamp>| t.as_ref().map(|t| (t.seconds, t.nanos));
    assert!(at(&now.assess_time) > at(&promised.assess_time));
    let history = w.history(&c.name).await;
    let change = &history[1].reason;
    assert!(change.contains("best now Munich, DE"), "{change}");
    assert!(
        change.contains("promised Frankfurt airport, DE"),
        "{change}"
    );
    assert!(at_risk.status_reason.contains("best now Munich, DE"));

    // A customer engineer of acme: the same places and times, no ids anywhere.
    let engineer = w.keys.customer("acme", &["customer-engineer"]);
    let mut commitments = w.commitments().await;
    let seen = commitments
        .get_commitment(authed(
            &engineer,
            pb::GetCommitmentRequest {
                name: c.name.clone(),
            },
        ))
        .await
        .expect("customer reads")
        .into_inner();
    let s = &seen.coverage[0];
    assert_eq!(s.best_depot, "");
    assert_eq!(s.registration, "");
    assert_eq!(
        s.promised.as_ref().map(|p| p.place.as_str()),
        Some("Frankfurt airport, DE")
    );
    assert_eq!(s.promised.as_ref().map(|p| p.depot.as_str()), Some(""));
    assert_eq!(
        s.current.as_ref().map(|p| p.place.as_str()),
        Some("Munich, DE")
    );
    assert_eq!(s.current.as_ref().map(|p| p.depot.as_str()), Some(""));
    assert_eq!(
        s.current.as_ref().map(|p| secs(&p.arrival)),
        Some(secs(&now.arrival))
    );
    assert!(
        !seen.status_reason.contains("depots/"),
        "{}",
        seen.status_reason
    );
    assert!(
        seen.status_reason.contains("best now Munich, DE"),
        "{}",
        seen.status_reason
    );
    let listed = commitments
        .list_commitments(authed(
            &engineer,
            pb::ListCommitmentsRequest {
                parent: "customers/acme".into(),
                page_size: 10,
                ..Default::default()
            },
        ))
        .await
        .expect("customer lists")
        .into_inner()
        .commitments;
    assert_eq!(listed, vec![seen.clone()]);
    let changes = commitments
        .list_commitment_status_changes(authed(
            &engineer,
            pb::ListCommitmentStatusChangesRequest {
                parent: c.name.clone(),
                page_size: 10,
                page_token: String::new(),
            },
        ))
        .await
        .expect("customer reads history")
        .into_inner()
        .status_changes;
    assert_eq!(changes.len(), history.len());
    for ch in &changes {
        assert!(!ch.reason.contains("depots/"), "{}", ch.reason);
    }

    // Their board names it, in the same words.
    let board = DashboardServiceClient::new(w.channel().await)
        .get_trust_dashboard(authed(
            &engineer,
            pb::GetTrustDashboardRequest {
                customer: "customers/acme".into(),
                quarter: this_quarter(),
            },
        ))
        .await
        .expect("customer board")
        .into_inner();
    assert_eq!(board.commitments_at_risk, 1);
    assert_eq!(board.at_risk_commitments.len(), 1);
    assert_eq!(board.at_risk_commitments[0].name, c.name);
    assert_eq!(
        board.at_risk_commitments[0].display_name,
        "Production line non-stop guarantee"
    );
    assert_eq!(
        board.at_risk_commitments[0].status_reason,
        seen.status_reason
    );
    assert!(board.breached_commitments.is_empty());

    // Their incident's request for a part: the place, never the reservation.
    let fr = w.call_for_part("RRU-5258").await;
    assert!(
        fr.reservation.starts_with("depots/muc/reservations/"),
        "{fr:?}"
    );
    let incident = fr.name.split("/fireRequests/").next().unwrap().to_string();
    let mut incidents = IncidentsServiceClient::new(w.channel().await);
    let theirs = incidents
        .list_fire_requests(authed(
            &engineer,
            pb::ListFireRequestsRequest {
                parent: incident.clone(),
                page_size: 10,
                page_token: String::new(),
            },
        ))
        .await
        .expect("customer lists requests")
        .into_inner()
        .fire_requests;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].reservation, "");
    assert_eq!(theirs[0].parts.len(), 1);
    let events = crate::helpers::timeline(&mut incidents, &engineer, &incident).await;
    let reserved = events
        .iter()
        .find(|e| e.kind == pb::IncidentEventKind::PartsReserved as i32)
        .expect("reserved event");
    assert_eq!(reserved.message, "RRU-5258 x1 reserved at Munich, DE");
    assert!(
        events.iter().all(|e| !e.message.contains("depots/")),
        "{events:?}"
    );
    // Vendor staff read the reservation's name in the same event.
    let vendor_view = crate::helpers::timeline(&mut incidents, &w.admin, &incident).await;
    let reserved = vendor_view
        .iter()
        .find(|e| e.kind == pb::IncidentEventKind::PartsReserved as i32)
        .unwrap();
    assert!(reserved.message.contains(&fr.reservation), "{reserved:?}");
}

/// A stored site's coverage by its name, through the supply-chain service, under the
/// same tenancy rules as the site itself.
async fn a_stored_site_is_assessed_by_name(backend: Backend) {
    let mut w = World::new(backend).await;
    let ask = |site: &str, parts: &[&str], hours: i64| pb::AssessSiteCoverageRequest {
        site: site.into(),
        part_numbers: parts.iter().map(|p| p.to_string()).collect(),
        window: requests::dur(hours * 3600),
    };
    let mut c = w.commitments().await;
    let a = c
        .assess_site_coverage(authed(
            &w.admin,
            ask("customers/acme/sites/frankfurt", &["RRU-5258"], 4),
        ))
        .await
        .expect("assess")
        .into_inner();
    assert!(a.covered, "{a:?}");
    assert_eq!(a.redundancy, 1);
    let best = a.best.clone().expect("best");
    assert_eq!(best.place, "Frankfurt airport, DE");
    assert_eq!(best.depot, "depots/fra");
    assert!(best.within_window);
    assert!(a.resilience_score > 0.0);
    // Mombasa is far from every depot: not covered, with the best achievable time.
    let far = c
        .assess_site_coverage(authed(
            &w.admin,
            ask("customers/acme/sites/mombasa", &["RRU-5258"], 4),
        ))
        .await
        .expect("assess far")
        .into_inner();
    assert!(!far.covered);
    assert!(!far.reason.is_empty());
    let far_best = far.best.expect("best achievable");
    assert!(!far_best.within_window);
    assert!(far_best.arrival.unwrap().seconds > 4 * 3600);

    // The customer's own engineer: the place and the time, no depot name.
    let engineer = w.keys.customer("acme", &["customer-engineer"]);
    let theirs = c
        .assess_site_coverage(authed(
            &engineer,
            ask("customers/acme/sites/frankfurt", &["RRU-5258"], 4),
        ))
        .await
        .expect("customer assesses")
        .into_inner();
    assert!(theirs.covered);
    let tb = theirs.best.expect("best");
    assert_eq!(tb.depot, "");
    assert_eq!(tb.place, "Frankfurt airport, DE");
    assert_eq!(tb.arrival, best.arrival);
    // Another customer's people: NOT_FOUND, as for the site itself; so is a missing site.
    let stranger = w.keys.customer("globex", &["customer-engineer"]);
    for (token, site) in [
        (&stranger, "customers/acme/sites/frankfurt"),
        (&w.admin, "customers/acme/sites/nowhere"),
    ] {
        let err = c
            .assess_site_coverage(authed(token, ask(site, &["RRU-5258"], 4)))
            .await
            .expect_err("not found");
        assert_eq!(err.code(), Code::NotFound, "{err:?}");
    }
    // Bad input names each field.
    let bad = c
        .assess_site_coverage(authed(&w.admin, ask("acme/frankfurt", &["no spaces"], 0)))
        .await;
    crate::helpers::assert_invalid(bad, &["site", "part_numbers[0]", "window"]);
    // The supply-chain service down: UNAVAILABLE.
    w.stop_supplychain().await;
    let err = c
        .assess_site_coverage(authed(
            &w.admin,
            ask("customers/acme/sites/frankfurt", &["RRU-5258"], 4),
        ))
        .await
        .expect_err("supply chain down");
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
}

both_backends!(
    a_stored_site_is_assessed_by_name,
    a_commitment_shows_what_holds_now_and_customers_see_places,
    sweeps_read_only_due_requests,
    a_late_fulfilment_breaches_the_commitment,
    an_overdue_request_breaches_the_commitment,
    refused_for_an_uncovered_site_and_accepted_for_a_covered_one,
    a_depot_outage_turns_a_commitment_at_risk_across_restarts,
    supplychain_down_is_unavailable_fast_and_nothing_is_half_written,
    bad_input_names_each_field,
    two_replicas_apply_each_event_once,
);
