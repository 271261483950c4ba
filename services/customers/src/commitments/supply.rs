//! Calls to the supply-chain service. Commitment creation acts as the caller (their
//! token is forwarded, with a short deadline); the risk consumer acts with the service's
//! own token. Anything but a clear answer — transport errors, UNAVAILABLE,
//! DEADLINE_EXCEEDED — becomes UNAVAILABLE at once, and nothing is written.

use std::time::Duration;
use symbolon_contracts::supplychain::v1::{
    self as pb, supply_chain_service_client::SupplyChainServiceClient,
};
use symbolon_platform::{
    Caller,
    client::{self, Peer, TracedChannel},
    status,
};
use tonic::{Code, Status};

/// A client of the supply-chain service.
#[derive(Clone)]
pub struct SupplyChain {
    peer: Peer,
    stream_channel: TracedChannel,
}

impl SupplyChain {
    /// A lazily connecting client of the supply-chain service at `url`; every unary call
    /// ends after `deadline`.
    pub fn new(url: &str, deadline: Duration) -> Result<Self, tonic::transport::Error> {
        Ok(Self {
            peer: Peer::new(url, deadline)?,
            // The channel timeout bounds the wait for response headers only, so the
            // risk stream may run for days on it.
            stream_channel: client::channel(url, Duration::from_secs(1), Duration::from_secs(10))?,
        })
    }

    fn client(&self) -> SupplyChainServiceClient<TracedChannel> {
        SupplyChainServiceClient::new(self.peer.channel())
    }

    /// Assesses every request against one snapshot, as `caller`.
    pub async fn batch_assess(
        &self,
        caller: &Caller,
        requests: Vec<pb::AssessCoverageRequest>,
    ) -> Result<Vec<pb::CoverageAssessment>, Status> {
        let n = requests.len();
        let req = self
            .peer
            .request(caller, pb::BatchAssessCoverageRequest { requests });
        let out = self
            .client()
            .batch_assess_coverage(req)
            .await
            .map_err(answer)?
            .into_inner()
            .assessments;
        if out.len() != n {
            return Err(status::unavailable(
                "the supply-chain service answered a different number of assessments",
            ));
        }
        Ok(out)
    }

    /// Registers coverage with a client-chosen id and request id, so a retry returns the
    /// first registration.
    pub async fn register(
        &self,
        caller: &Caller,
        id: &str,
        registration: pb::CoverageRegistration,
    ) -> Result<pb::CoverageRegistration, Status> {
        let req = self.peer.request(
            caller,
            pb::CreateCoverageRegistrationRequest {
                coverage_registration: Some(registration),
                coverage_registration_id: id.to_string(),
                request_id: id.to_string(),
            },
        );
        match self.client().create_coverage_registration(req).await {
            Ok(r) => Ok(r.into_inner()),
            // Registered by an earlier attempt with another request key: read it.
            Err(s) if s.code() == Code::AlreadyExists => {
                let req = self.peer.request(
                    caller,
                    pb::GetCoverageRegistrationRequest {
                        name: format!("coverageRegistrations/{id}"),
                    },
                );
                Ok(self
                    .client()
                    .get_coverage_registration(req)
                    .await
                    .map_err(answer)?
                    .into_inner())
            }
            Err(s) => Err(answer(s)),
        }
    }

    /// Deletes a registration, best effort (a create that failed half way).
    pub async fn unregister(&self, caller: &Caller, name: &str) {
        let req = self.peer.request(
            caller,
            pb::DeleteCoverageRegistrationRequest { name: name.into() },
        );
        if let Err(e) = self.client().delete_coverage_registration(req).await {
            tracing::warn!(registration = name, error = %e, "could not delete a coverage registration");
        }
    }

    /// Reserves `lines` at the serving depot with the earliest arrival at `site` that
    /// has every line, as `caller`. `request_id` (a UUID) makes a retry return the first
    /// reservation. No depot with the parts is FAILED_PRECONDITION with the supply-chain
    /// service's message.
    pub async fn reserve(
        &self,
        caller: &Caller,
        request_id: &str,
        site: pb::SiteLocation,
        reservation: pb::Reservation,
    ) -> Result<pb::Reservation, Status> {
        let req = self.peer.request(
            caller,
            pb::CreateReservationRequest {
                parent: "depots/-".into(),
                reservation: Some(reservation),
                request_id: request_id.to_string(),
                site: Some(site),
            },
        );
        match self.client().create_reservation(req).await {
            Ok(r) => Ok(r.into_inner()),
            Err(s) if s.code() == Code::FailedPrecondition => Err(s),
            Err(s) => Err(answer(s)),
        }
    }

    /// Releases a reservation, as `caller`; releasing a released one is fine. A
    /// reservation that is gone or can no longer be released (dispatched) is the inner
    /// `Err` with the supply-chain service's reason: there is nothing left to give back.
    pub async fn release(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<Result<pb::Reservation, String>, Status> {
        let req = self
            .peer
            .request(caller, pb::ReleaseReservationRequest { name: name.into() });
        settled(self.client().release_reservation(req).await)
    }

    /// Dispatches a reservation (its stock leaves the depot), as `caller`; dispatching a
    /// dispatched one returns it unchanged, so a retry after a lost answer is harmless.
    /// A reservation that is gone or was released is the inner `Err` with the
    /// supply-chain service's reason.
    pub async fn dispatch(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<Result<pb::Reservation, String>, Status> {
        let req = self
            .peer
            .request(caller, pb::DispatchReservationRequest { name: name.into() });
        settled(self.client().dispatch_reservation(req).await)
    }

    /// Where depot `name` (`depots/{depot}`) is, in words ("Lima, PE"), as `caller`;
    /// `None` when it cannot be read now (the text then names no place).
    pub async fn depot_place(&self, caller: &Caller, name: &str) -> Option<String> {
        let req = self
            .peer
            .request(caller, pb::GetDepotRequest { name: name.into() });
        let d = self.client().get_depot(req).await.ok()?.into_inner();
        Some(crate::visibility::place(&d.display_name, &d.country, name))
    }

    /// Opens the risk stream after `after_sequence`, presenting `token`.
    pub async fn watch(
        &self,
        token: &str,
        after_sequence: i64,
    ) -> Result<tonic::Streaming<pb::RiskEvent>, Status> {
        let mut req = tonic::Request::new(pb::WatchRiskEventsRequest { after_sequence });
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| Status::unauthenticated("the service token is not a valid header"))?;
        req.metadata_mut().insert("authorization", value);
        Ok(SupplyChainServiceClient::new(self.stream_channel.clone())
            .watch_risk_events(req)
            .await?
            .into_inner())
    }
}

/// A release's or dispatch's answer: a reservation gone, or no longer in a state to
/// settle that way, is the inner `Err` with the supply-chain service's reason.
fn settled(
    answered: Result<tonic::Response<pb::Reservation>, Status>,
) -> Result<Result<pb::Reservation, String>, Status> {
    match answered {
        Ok(r) => Ok(Ok(r.into_inner())),
        Err(s) if matches!(s.code(), Code::FailedPrecondition | Code::NotFound) => {
            Ok(Err(s.message().to_string()))
        }
        Err(s) => Err(answer(s)),
    }
}

/// The caller's own authentication or input problems pass through; everything else
/// means the supply-chain service cannot answer now.
fn answer(s: Status) -> Status {
    match s.code() {
        Code::Unauthenticated | Code::PermissionDenied | Code::InvalidArgument => s,
        _ => {
            tracing::warn!(code = ?s.code(), message = s.message(), "supply-chain service unavailable");
            status::unavailable(format!(
                "the supply-chain service is unavailable ({}); nothing was written, retry with the same request id",
                s.code().description()
            ))
        }
    }
}
