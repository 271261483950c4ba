//! The gRPC surface of the labs service: requests are parsed into checked values at
//! this edge, the caller's access to the lab is established (members and vendor admins
//! only; NOT_FOUND for everyone else), and the store is called.

mod access;
pub(crate) mod convert;
mod labs;
mod logs;
mod proposals;
mod releases;
mod route;
mod tests;

pub use route::LabsRoutes;

use crate::{customers::Customers, fanout::Fanout};
use futures::StreamExt;
use symbolon_contracts::labs::v1::{self as pb, labs_service_server::LabsService};
use symbolon_platform::{Caller, Database, time::Clock};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

/// The LabsService implementation.
#[derive(Clone)]
pub struct Api {
    db: Database,
    clock: Clock,
    customers: Customers,
    fanout: Fanout,
    shutdown: CancellationToken,
}

impl Api {
    /// Serves from `db`, checking customers and key persons with `customers`, delivering
    /// live log entries through `fanout`; streams end when `shutdown` is cancelled.
    pub fn new(
        db: Database,
        clock: Clock,
        customers: Customers,
        fanout: Fanout,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            db,
            clock,
            customers,
            fanout,
            shutdown,
        }
    }
}

type R<T> = Result<Response<T>, Status>;

symbolon_platform::grpc_service! {
    impl LabsService for Api;
    create_lab(pb::CreateLabRequest) -> pb::Lab = labs::create_lab;
    get_lab(pb::GetLabRequest) -> pb::Lab = labs::get_lab;
    list_labs(pb::ListLabsRequest) -> pb::ListLabsResponse = labs::list_labs;
    update_lab(pb::UpdateLabRequest) -> pb::Lab = labs::update_lab;
    create_member(pb::CreateMemberRequest) -> pb::Member = labs::create_member;
    get_member(pb::GetMemberRequest) -> pb::Member = labs::get_member;
    list_members(pb::ListMembersRequest) -> pb::ListMembersResponse = labs::list_members;
    create_proposal(pb::CreateProposalRequest) -> pb::Proposal = proposals::create_proposal;
    get_proposal(pb::GetProposalRequest) -> pb::Proposal = proposals::get_proposal;
    list_proposals(pb::ListProposalsRequest) -> pb::ListProposalsResponse = proposals::list_proposals;
    revise_proposal(pb::ReviseProposalRequest) -> pb::Proposal = proposals::revise_proposal;
    list_proposal_revisions(pb::ListProposalRevisionsRequest) -> pb::ListProposalRevisionsResponse = proposals::list_proposal_revisions;
    approve_proposal(pb::ApproveProposalRequest) -> pb::Proposal = proposals::approve_proposal;
    create_proposal_comment(pb::CreateProposalCommentRequest) -> pb::ProposalComment = proposals::create_proposal_comment;
    list_proposal_comments(pb::ListProposalCommentsRequest) -> pb::ListProposalCommentsResponse = proposals::list_proposal_comments;
    create_test_plan(pb::CreateTestPlanRequest) -> pb::TestPlan = tests::create_test_plan;
    get_test_plan(pb::GetTestPlanRequest) -> pb::TestPlan = tests::get_test_plan;
    list_test_plans(pb::ListTestPlansRequest) -> pb::ListTestPlansResponse = tests::list_test_plans;
    create_test_run(pb::CreateTestRunRequest) -> pb::TestRun = tests::create_test_run;
    get_test_run(pb::GetTestRunRequest) -> pb::TestRun = tests::get_test_run;
    list_test_runs(pb::ListTestRunsRequest) -> pb::ListTestRunsResponse = tests::list_test_runs;
    append_log_entries(pb::AppendLogEntriesRequest) -> pb::AppendLogEntriesResponse = logs::append_log_entries;
    list_log_entries(pb::ListLogEntriesRequest) -> pb::ListLogEntriesResponse = logs::list_log_entries;
    verify_log(pb::VerifyLogRequest) -> pb::VerifyLogResponse = logs::verify_log;
    list_access_records(pb::ListAccessRecordsRequest) -> pb::ListAccessRecordsResponse = logs::list_access_records;
    register_signer_key(pb::RegisterSignerKeyRequest) -> pb::SignerKey = labs::register_signer_key;
    list_signer_keys(pb::ListSignerKeysRequest) -> pb::ListSignerKeysResponse = labs::list_signer_keys;
    create_release(pb::CreateReleaseRequest) -> pb::Release = releases::create_release;
    get_release(pb::GetReleaseRequest) -> pb::Release = releases::get_release;
    list_releases(pb::ListReleasesRequest) -> pb::ListReleasesResponse = releases::list_releases;
    sign_release(pb::SignReleaseRequest) -> pb::Release = releases::sign_release;
    publish_release(pb::PublishReleaseRequest) -> pb::Release = releases::publish_release;
    export_release(pb::ExportReleaseRequest) -> pb::ExportReleaseResponse = releases::export_release;
    delete_member(pb::DeleteMemberRequest) -> () = labs::delete_member;
    {
        type WatchLogEntriesStream = logs::DecodedWatchStream;

        async fn stream_log_entries(
            &self,
            req: Request<Streaming<pb::AppendLogEntriesRequest>>,
        ) -> R<pb::StreamLogEntriesResponse> {
            let (c, r) = Caller::split(req)?;
            Ok(Response::new(logs::stream_log_entries(self, &c, r).await?))
        }

        async fn watch_log_entries(
            &self,
            req: Request<pb::WatchLogEntriesRequest>,
        ) -> R<Self::WatchLogEntriesStream> {
            // Served by [`LabsRoutes`] with events encoded once for all watchers; this is
            // the same stream, decoded, for whoever serves `Api` with the generated server.
            let c = Caller::of(&req)?;
            let events = logs::watch_log_entries(self, &c, req.into_inner()).await?;
            Ok(Response::new(Box::pin(events.map(|e| e?.decode()))))
        }
    }
}
