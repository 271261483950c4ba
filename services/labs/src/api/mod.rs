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

#[tonic::async_trait]
impl LabsService for Api {
    type WatchLogEntriesStream = logs::DecodedWatchStream;

    async fn create_lab(&self, req: Request<pb::CreateLabRequest>) -> R<pb::Lab> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(labs::create_lab(self, &c, r).await?))
    }

    async fn get_lab(&self, req: Request<pb::GetLabRequest>) -> R<pb::Lab> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(labs::get_lab(self, &c, r).await?))
    }

    async fn list_labs(&self, req: Request<pb::ListLabsRequest>) -> R<pb::ListLabsResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(labs::list_labs(self, &c, r).await?))
    }

    async fn update_lab(&self, req: Request<pb::UpdateLabRequest>) -> R<pb::Lab> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(labs::update_lab(self, &c, r).await?))
    }

    async fn create_member(&self, req: Request<pb::CreateMemberRequest>) -> R<pb::Member> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(labs::create_member(self, &c, r).await?))
    }

    async fn get_member(&self, req: Request<pb::GetMemberRequest>) -> R<pb::Member> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(labs::get_member(self, &c, r).await?))
    }

    async fn list_members(
        &self,
        req: Request<pb::ListMembersRequest>,
    ) -> R<pb::ListMembersResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(labs::list_members(self, &c, r).await?))
    }

    async fn create_proposal(&self, req: Request<pb::CreateProposalRequest>) -> R<pb::Proposal> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            proposals::create_proposal(self, &c, r).await?,
        ))
    }

    async fn get_proposal(&self, req: Request<pb::GetProposalRequest>) -> R<pb::Proposal> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(proposals::get_proposal(self, &c, r).await?))
    }

    async fn list_proposals(
        &self,
        req: Request<pb::ListProposalsRequest>,
    ) -> R<pb::ListProposalsResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(proposals::list_proposals(self, &c, r).await?))
    }

    async fn revise_proposal(&self, req: Request<pb::ReviseProposalRequest>) -> R<pb::Proposal> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            proposals::revise_proposal(self, &c, r).await?,
        ))
    }

    async fn list_proposal_revisions(
        &self,
        req: Request<pb::ListProposalRevisionsRequest>,
    ) -> R<pb::ListProposalRevisionsResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            proposals::list_proposal_revisions(self, &c, r).await?,
        ))
    }

    async fn approve_proposal(&self, req: Request<pb::ApproveProposalRequest>) -> R<pb::Proposal> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            proposals::approve_proposal(self, &c, r).await?,
        ))
    }

    async fn create_proposal_comment(
        &self,
        req: Request<pb::CreateProposalCommentRequest>,
    ) -> R<pb::ProposalComment> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            proposals::create_proposal_comment(self, &c, r).await?,
        ))
    }

    async fn list_proposal_comments(
        &self,
        req: Request<pb::ListProposalCommentsRequest>,
    ) -> R<pb::ListProposalCommentsResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            proposals::list_proposal_comments(self, &c, r).await?,
        ))
    }

    async fn create_test_plan(&self, req: Request<pb::CreateTestPlanRequest>) -> R<pb::TestPlan> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(tests::create_test_plan(self, &c, r).await?))
    }

    async fn get_test_plan(&self, req: Request<pb::GetTestPlanRequest>) -> R<pb::TestPlan> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(tests::get_test_plan(self, &c, r).await?))
    }

    async fn list_test_plans(
        &self,
        req: Request<pb::ListTestPlansRequest>,
    ) -> R<pb::ListTestPlansResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(tests::list_test_plans(self, &c, r).await?))
    }

    async fn create_test_run(&self, req: Request<pb::CreateTestRunRequest>) -> R<pb::TestRun> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(tests::create_test_run(self, &c, r).await?))
    }

    async fn get_test_run(&self, req: Request<pb::GetTestRunRequest>) -> R<pb::TestRun> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(tests::get_test_run(self, &c, r).await?))
    }

    async fn list_test_runs(
        &self,
        req: Request<pb::ListTestRunsRequest>,
    ) -> R<pb::ListTestRunsResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(tests::list_test_runs(self, &c, r).await?))
    }

    async fn append_log_entries(
        &self,
        req: Request<pb::AppendLogEntriesRequest>,
    ) -> R<pb::AppendLogEntriesResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(logs::append_log_entries(self, &c, r).await?))
    }

    async fn list_log_entries(
        &self,
        req: Request<pb::ListLogEntriesRequest>,
    ) -> R<pb::ListLogEntriesResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(logs::list_log_entries(self, &c, r).await?))
    }

    async fn verify_log(&self, req: Request<pb::VerifyLogRequest>) -> R<pb::VerifyLogResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(logs::verify_log(self, &c, r).await?))
    }

    async fn list_access_records(
        &self,
        req: Request<pb::ListAccessRecordsRequest>,
    ) -> R<pb::ListAccessRecordsResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(logs::list_access_records(self, &c, r).await?))
    }

    async fn register_signer_key(
        &self,
        req: Request<pb::RegisterSignerKeyRequest>,
    ) -> R<pb::SignerKey> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(labs::register_signer_key(self, &c, r).await?))
    }

    async fn list_signer_keys(
        &self,
        req: Request<pb::ListSignerKeysRequest>,
    ) -> R<pb::ListSignerKeysResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(labs::list_signer_keys(self, &c, r).await?))
    }

    async fn create_release(&self, req: Request<pb::CreateReleaseRequest>) -> R<pb::Release> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(releases::create_release(self, &c, r).await?))
    }

    async fn get_release(&self, req: Request<pb::GetReleaseRequest>) -> R<pb::Release> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(releases::get_release(self, &c, r).await?))
    }

    async fn list_releases(
        &self,
        req: Request<pb::ListReleasesRequest>,
    ) -> R<pb::ListReleasesResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(releases::list_releases(self, &c, r).await?))
    }

    async fn sign_release(&self, req: Request<pb::SignReleaseRequest>) -> R<pb::Release> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(releases::sign_release(self, &c, r).await?))
    }

    async fn publish_release(&self, req: Request<pb::PublishReleaseRequest>) -> R<pb::Release> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(releases::publish_release(self, &c, r).await?))
    }

    async fn export_release(
        &self,
        req: Request<pb::ExportReleaseRequest>,
    ) -> R<pb::ExportReleaseResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(releases::export_release(self, &c, r).await?))
    }

    async fn delete_member(&self, req: Request<pb::DeleteMemberRequest>) -> R<()> {
        let c = Caller::of(&req)?;
        labs::delete_member(self, &c, req.into_inner()).await?;
        Ok(Response::new(()))
    }

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
