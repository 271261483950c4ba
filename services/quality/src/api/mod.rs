//! The gRPC surface of `symbolon.quality.v1.QualityService`.
//!
//! Roles (vendor): `admin` everything; `department:quality` edits standards, reviews reports
//! and resolves disputes; `department:customer-service` inspects, maintains templates
//! and experiments and reads everything; `analyst` reads reports, calibration, results
//! and scorecards; `frontline` agents inspect their own conversations, read and dispute
//! their own reports and read their own scorecard. A customer's people read only the
//! reports of their own organisation's conversations.

mod convert;
mod evaluation;
mod experiments;
mod inspection;
mod review;
mod scorecards;
mod standards;

use super::customers::SharedCustomers;
use super::inspect::{CompiledStandard, RuleInspector, SharedInspector};
use super::pb::{self, quality_service_server::QualityService};
use std::{
    collections::HashMap,
    pin::Pin,
    sync::{Arc, Mutex},
};
use symbolon_platform::{Caller, Database, time::Clock};
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

/// Edit standards.
pub(crate) const EDITORS: &[&str] = &["admin", "department:quality"];
/// Review reports and resolve disputes.
pub(crate) const REVIEWERS: &[&str] = &["admin", "department:quality"];
/// Inspect conversations.
pub(crate) const INSPECTORS: &[&str] = &[
    "admin",
    "department:quality",
    "department:customer-service",
    "frontline",
];
/// Read every report, calibration, result and scorecard.
pub(crate) const READERS: &[&str] = &[
    "admin",
    "department:quality",
    "department:customer-service",
    "analyst",
];
/// Maintain templates and experiments.
pub(crate) const SCRIPT_EDITORS: &[&str] = &["admin", "department:customer-service"];
/// Use templates and experiments.
pub(crate) const SCRIPT_USERS: &[&str] = &[
    "admin",
    "department:quality",
    "department:customer-service",
    "analyst",
    "frontline",
];

/// Compiled standards kept in memory: versions never change, so entries never go stale.
const CACHE_LIMIT: usize = 256;

/// The QualityService implementation.
#[derive(Clone)]
pub struct QualityApi {
    db: Database,
    clock: Clock,
    inspector: SharedInspector,
    customers: SharedCustomers,
    compiled: Arc<Mutex<HashMap<String, Arc<CompiledStandard>>>>,
    shutdown: CancellationToken,
}

impl QualityApi {
    /// Serves from `db` (its own schema, [`crate::schema::open`]) with the rule-based
    /// inspector, asking `customers` whether a conversation's customer exists; live
    /// streams end when `shutdown` is cancelled.
    pub fn new(
        db: Database,
        clock: Clock,
        shutdown: CancellationToken,
        customers: SharedCustomers,
    ) -> Self {
        Self::with_inspector(db, clock, shutdown, customers, Arc::new(RuleInspector))
    }

    /// As [`QualityApi::new`] with another inspector (e.g. model-backed).
    pub fn with_inspector(
        db: Database,
        clock: Clock,
        shutdown: CancellationToken,
        customers: SharedCustomers,
        inspector: SharedInspector,
    ) -> Self {
        Self {
            db,
            clock,
            inspector,
            customers,
            compiled: Arc::default(),
            shutdown,
        }
    }
}

type R<T> = Result<Response<T>, Status>;

/// Parses `name` (reported as `field`) against `collections` and returns the ids.
pub(crate) use symbolon_platform::aip::ids_of as parse_name;

/// The caller's ability to see a report.
pub(crate) fn may_see_report(caller: &Caller, customer_id: &str, agent: &str) -> bool {
    if caller.is_vendor() {
        READERS.iter().any(|r| caller.has_role(r))
            || (caller.has_role("frontline") && caller.subject == agent)
    } else {
        !customer_id.is_empty() && caller.can_see_customer(customer_id)
    }
}

fn ok<T>(t: T) -> R<T> {
    Ok(Response::new(t))
}

/// The response stream of a live inspection.
pub type LiveStream = Pin<Box<dyn Stream<Item = Result<pb::InspectLiveResponse, Status>> + Send>>;

symbolon_platform::grpc_service! {
    impl QualityService for QualityApi;
    create_standard(pb::CreateStandardRequest) -> pb::Standard = QualityApi::create_standard_impl;
    get_standard(pb::GetStandardRequest) -> pb::Standard = QualityApi::get_standard_impl;
    list_standards(pb::ListStandardsRequest) -> pb::ListStandardsResponse = QualityApi::list_standards_impl;
    update_standard(pb::UpdateStandardRequest) -> pb::Standard = QualityApi::update_standard_impl;
    get_standard_version(pb::GetStandardVersionRequest) -> pb::StandardVersion = QualityApi::get_standard_version_impl;
    list_standard_versions(pb::ListStandardVersionsRequest) -> pb::ListStandardVersionsResponse = QualityApi::list_standard_versions_impl;
    inspect_conversation(pb::InspectConversationRequest) -> pb::Report = QualityApi::inspect_conversation_impl;
    get_report(pb::GetReportRequest) -> pb::Report = QualityApi::get_report_impl;
    list_reports(pb::ListReportsRequest) -> pb::ListReportsResponse = QualityApi::list_reports_impl;
    review_report(pb::ReviewReportRequest) -> pb::Report = QualityApi::review_report_impl;
    create_dispute(pb::CreateDisputeRequest) -> pb::Dispute = QualityApi::create_dispute_impl;
    list_disputes(pb::ListDisputesRequest) -> pb::ListDisputesResponse = QualityApi::list_disputes_impl;
    resolve_dispute(pb::ResolveDisputeRequest) -> pb::Dispute = QualityApi::resolve_dispute_impl;
    get_calibration(pb::GetCalibrationRequest) -> pb::GetCalibrationResponse = QualityApi::get_calibration_impl;
    create_template(pb::CreateTemplateRequest) -> pb::Template = QualityApi::create_template_impl;
    get_template(pb::GetTemplateRequest) -> pb::Template = QualityApi::get_template_impl;
    list_templates(pb::ListTemplatesRequest) -> pb::ListTemplatesResponse = QualityApi::list_templates_impl;
    render_template(pb::RenderTemplateRequest) -> pb::RenderTemplateResponse = QualityApi::render_template_impl;
    create_experiment(pb::CreateExperimentRequest) -> pb::Experiment = QualityApi::create_experiment_impl;
    get_experiment(pb::GetExperimentRequest) -> pb::Experiment = QualityApi::get_experiment_impl;
    assign_variant(pb::AssignVariantRequest) -> pb::AssignVariantResponse = QualityApi::assign_variant_impl;
    record_outcome(pb::RecordOutcomeRequest) -> pb::Outcome = QualityApi::record_outcome_impl;
    get_scorecard(pb::GetScorecardRequest) -> pb::Scorecard = QualityApi::get_scorecard_impl;
    {
        async fn evaluate_standard(
            &self,
            req: Request<pb::EvaluateStandardRequest>,
        ) -> R<pb::EvaluateStandardResponse> {
            ok(self.evaluate_standard_impl(req).await?)
        }

        type InspectLiveStream = LiveStream;

        async fn inspect_live(
            &self,
            req: Request<Streaming<pb::InspectLiveRequest>>,
        ) -> R<Self::InspectLiveStream> {
            ok(self.inspect_live_impl(req)?)
        }

        async fn get_experiment_results(
            &self,
            req: Request<pb::GetExperimentResultsRequest>,
        ) -> R<pb::ExperimentResults> {
            ok(self.get_experiment_results_impl(req).await?)
        }
    }
}
