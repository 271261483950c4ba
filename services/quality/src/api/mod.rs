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
use symbolon_platform::{Caller, Database, names, status, time::Clock};
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
pub(crate) fn parse_name<'a>(
    field: &str,
    name: &'a str,
    collections: &[&str],
) -> Result<Vec<&'a str>, Status> {
    names::parse(name, collections).map_err(|e| status::invalid_argument(field, e.to_string()))
}

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

#[tonic::async_trait]
impl QualityService for QualityApi {
    async fn create_standard(&self, req: Request<pb::CreateStandardRequest>) -> R<pb::Standard> {
        ok(self.create_standard_impl(req).await?)
    }
    async fn get_standard(&self, req: Request<pb::GetStandardRequest>) -> R<pb::Standard> {
        ok(self.get_standard_impl(req).await?)
    }
    async fn list_standards(
        &self,
        req: Request<pb::ListStandardsRequest>,
    ) -> R<pb::ListStandardsResponse> {
        ok(self.list_standards_impl(req).await?)
    }
    async fn update_standard(&self, req: Request<pb::UpdateStandardRequest>) -> R<pb::Standard> {
        ok(self.update_standard_impl(req).await?)
    }
    async fn get_standard_version(
        &self,
        req: Request<pb::GetStandardVersionRequest>,
    ) -> R<pb::StandardVersion> {
        ok(self.get_standard_version_impl(req).await?)
    }
    async fn list_standard_versions(
        &self,
        req: Request<pb::ListStandardVersionsRequest>,
    ) -> R<pb::ListStandardVersionsResponse> {
        ok(self.list_standard_versions_impl(req).await?)
    }

    async fn inspect_conversation(
        &self,
        req: Request<pb::InspectConversationRequest>,
    ) -> R<pb::Report> {
        ok(self.inspect_conversation_impl(req).await?)
    }

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

    async fn get_report(&self, req: Request<pb::GetReportRequest>) -> R<pb::Report> {
        ok(self.get_report_impl(req).await?)
    }
    async fn list_reports(
        &self,
        req: Request<pb::ListReportsRequest>,
    ) -> R<pb::ListReportsResponse> {
        ok(self.list_reports_impl(req).await?)
    }

    async fn review_report(&self, req: Request<pb::ReviewReportRequest>) -> R<pb::Report> {
        ok(self.review_report_impl(req).await?)
    }
    async fn create_dispute(&self, req: Request<pb::CreateDisputeRequest>) -> R<pb::Dispute> {
        ok(self.create_dispute_impl(req).await?)
    }
    async fn list_disputes(
        &self,
        req: Request<pb::ListDisputesRequest>,
    ) -> R<pb::ListDisputesResponse> {
        ok(self.list_disputes_impl(req).await?)
    }
    async fn resolve_dispute(&self, req: Request<pb::ResolveDisputeRequest>) -> R<pb::Dispute> {
        ok(self.resolve_dispute_impl(req).await?)
    }
    async fn get_calibration(
        &self,
        req: Request<pb::GetCalibrationRequest>,
    ) -> R<pb::GetCalibrationResponse> {
        ok(self.get_calibration_impl(req).await?)
    }

    async fn create_template(&self, req: Request<pb::CreateTemplateRequest>) -> R<pb::Template> {
        ok(self.create_template_impl(req).await?)
    }
    async fn get_template(&self, req: Request<pb::GetTemplateRequest>) -> R<pb::Template> {
        ok(self.get_template_impl(req).await?)
    }
    async fn list_templates(
        &self,
        req: Request<pb::ListTemplatesRequest>,
    ) -> R<pb::ListTemplatesResponse> {
        ok(self.list_templates_impl(req).await?)
    }
    async fn render_template(
        &self,
        req: Request<pb::RenderTemplateRequest>,
    ) -> R<pb::RenderTemplateResponse> {
        ok(self.render_template_impl(req).await?)
    }
    async fn create_experiment(
        &self,
        req: Request<pb::CreateExperimentRequest>,
    ) -> R<pb::Experiment> {
        ok(self.create_experiment_impl(req).await?)
    }
    async fn get_experiment(&self, req: Request<pb::GetExperimentRequest>) -> R<pb::Experiment> {
        ok(self.get_experiment_impl(req).await?)
    }
    async fn assign_variant(
        &self,
        req: Request<pb::AssignVariantRequest>,
    ) -> R<pb::AssignVariantResponse> {
        ok(self.assign_variant_impl(req).await?)
    }
    async fn record_outcome(&self, req: Request<pb::RecordOutcomeRequest>) -> R<pb::Outcome> {
        ok(self.record_outcome_impl(req).await?)
    }
    async fn get_experiment_results(
        &self,
        req: Request<pb::GetExperimentResultsRequest>,
    ) -> R<pb::ExperimentResults> {
        ok(self.get_experiment_results_impl(req).await?)
    }

    async fn get_scorecard(&self, req: Request<pb::GetScorecardRequest>) -> R<pb::Scorecard> {
        ok(self.get_scorecard_impl(req).await?)
    }
}
