//! The gRPC surface of the supply-chain service: requests are parsed into checked
//! values at this edge, authorised (see the service comment in the proto), and handed
//! to the store. Writes of live data go through `store::change`.

mod common;
mod countries;
mod coverage;
mod depots;
mod models;

use crate::{
    model::coverage::Params,
    store::{Table, change},
};
use std::{pin::Pin, time::Duration};
use symbolon_contracts::supplychain::v1::{
    self as pb, supply_chain_service_server::SupplyChainService,
};
use symbolon_platform::{Caller, Database, StoreError, db::Value, status, time::Clock};
use tokio::sync::watch;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

pub use crate::store::snapshot::Cache;

/// The SupplyChainService implementation.
#[derive(Clone)]
pub struct Api {
    db: Database,
    clock: Clock,
    params: Params,
    poll: Duration,
    shutdown: CancellationToken,
    cache: Cache,
    /// The last risk event sequence this replica committed: wakes local streams at
    /// once (other replicas' events are found by polling).
    events: watch::Sender<i64>,
}

impl Api {
    /// Serves from `db` with the coverage model `params`; risk streams poll every
    /// `poll` and end when `shutdown` is cancelled.
    pub fn new(
        db: Database,
        clock: Clock,
        params: Params,
        poll: Duration,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            db,
            clock,
            params,
            poll,
            shutdown,
            cache: Cache::default(),
            events: watch::Sender::new(0),
        }
    }

    /// Commits a change (re-assessing registrations when `reassess`) and wakes local
    /// risk streams.
    async fn commit(
        &self,
        ch: change::Change,
        now: i64,
        cause: &str,
        reassess: bool,
    ) -> Result<(), StoreError> {
        let done = ch.commit(&self.params, now, cause, reassess).await?;
        if !done.events.is_empty() {
            tracing::info!(
                cause,
                events = done.events.len(),
                last_seq = done.last_seq,
                "coverage risk changed"
            );
            self.events.send_replace(done.last_seq);
        }
        Ok(())
    }

    /// Row `id` of `T` in `scope` (deleted or not), or NOT_FOUND naming `name`.
    async fn found<T: Table>(&self, scope: &str, id: &str, name: &str) -> Result<T, Status> {
        crate::store::get::<T>(&self.db, scope, id)
            .await?
            .ok_or_else(|| status::not_found(name))
    }

    /// The vendor-global row `id` of `T` unless it is deleted, or NOT_FOUND naming `name`.
    async fn live<T: Table>(&self, id: &str, name: &str) -> Result<T, Status> {
        crate::store::get_live::<T>(&self.db, crate::store::GLOBAL, id)
            .await?
            .ok_or_else(|| status::not_found(name))
    }

    /// Ends the change of a create: committed when the row is new, rolled back when a
    /// retry found the first one (nothing was written).
    async fn finish_create(
        &self,
        ch: change::Change,
        created: bool,
        now: i64,
        cause: &str,
        reassess: bool,
    ) -> Result<(), StoreError> {
        if created {
            self.commit(ch, now, cause, reassess).await
        } else {
            ch.rollback().await
        }
    }
}

/// Inserts a row unless `key` was used before (`store::insert_once`); returns the row
/// and whether it is new. A conflict on the primary key is ALREADY_EXISTS for `name`.
async fn insert_once<T: Table>(
    ch: &mut change::Change,
    table: &str,
    columns: &[&str],
    values: Vec<Value>,
    key: Option<String>,
    name: &str,
) -> Result<(T, bool), Status> {
    match crate::store::insert_once::<T>(ch, table, columns, values, key).await {
        Ok(Some(written)) => Ok(written),
        Ok(None) => Err(status::internal(&"insert returned no row")),
        Err(StoreError::Conflict(_)) => Err(status::already_exists(name)),
        Err(e) => Err(e.into()),
    }
}

type R<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl SupplyChainService for Api {
    async fn create_country_profile(
        &self,
        req: Request<pb::CreateCountryProfileRequest>,
    ) -> R<pb::CountryProfile> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            Api::create_country_profile(self, &c, r).await?,
        ))
    }

    async fn get_country_profile(
        &self,
        req: Request<pb::GetCountryProfileRequest>,
    ) -> R<pb::CountryProfile> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::get_country_profile(self, &c, r).await?))
    }

    async fn list_country_profiles(
        &self,
        req: Request<pb::ListCountryProfilesRequest>,
    ) -> R<pb::ListCountryProfilesResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            Api::list_country_profiles(self, &c, r).await?,
        ))
    }

    async fn update_country_profile(
        &self,
        req: Request<pb::UpdateCountryProfileRequest>,
    ) -> R<pb::CountryProfile> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            Api::update_country_profile(self, &c, r).await?,
        ))
    }

    async fn delete_country_profile(
        &self,
        req: Request<pb::DeleteCountryProfileRequest>,
    ) -> R<pb::CountryProfile> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            Api::delete_country_profile(self, &c, r).await?,
        ))
    }

    async fn create_scoring_model(
        &self,
        req: Request<pb::CreateScoringModelRequest>,
    ) -> R<pb::ScoringModel> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::create_scoring_model(self, &c, r).await?))
    }

    async fn get_scoring_model(
        &self,
        req: Request<pb::GetScoringModelRequest>,
    ) -> R<pb::ScoringModel> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::get_scoring_model(self, &c, r).await?))
    }

    async fn list_scoring_models(
        &self,
        req: Request<pb::ListScoringModelsRequest>,
    ) -> R<pb::ListScoringModelsResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::list_scoring_models(self, &c, r).await?))
    }

    async fn update_scoring_model(
        &self,
        req: Request<pb::UpdateScoringModelRequest>,
    ) -> R<pb::ScoringModel> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::update_scoring_model(self, &c, r).await?))
    }

    async fn delete_scoring_model(
        &self,
        req: Request<pb::DeleteScoringModelRequest>,
    ) -> R<pb::ScoringModel> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::delete_scoring_model(self, &c, r).await?))
    }

    async fn activate_scoring_model(
        &self,
        req: Request<pb::ActivateScoringModelRequest>,
    ) -> R<pb::ScoringModel> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            Api::activate_scoring_model(self, &c, r).await?,
        ))
    }

    async fn score_country(&self, req: Request<pb::ScoreCountryRequest>) -> R<pb::CountryScore> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::score_country(self, &c, r).await?))
    }

    async fn list_country_scores(
        &self,
        req: Request<pb::ListCountryScoresRequest>,
    ) -> R<pb::ListCountryScoresResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::list_country_scores(self, &c, r).await?))
    }

    async fn rank_countries(
        &self,
        req: Request<pb::RankCountriesRequest>,
    ) -> R<pb::RankCountriesResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::rank_countries(self, &c, r).await?))
    }

    async fn create_depot(&self, req: Request<pb::CreateDepotRequest>) -> R<pb::Depot> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::create_depot(self, &c, r).await?))
    }

    async fn get_depot(&self, req: Request<pb::GetDepotRequest>) -> R<pb::Depot> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::get_depot(self, &c, r).await?))
    }

    async fn list_depots(&self, req: Request<pb::ListDepotsRequest>) -> R<pb::ListDepotsResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::list_depots(self, &c, r).await?))
    }

    async fn update_depot(&self, req: Request<pb::UpdateDepotRequest>) -> R<pb::Depot> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::update_depot(self, &c, r).await?))
    }

    async fn delete_depot(&self, req: Request<pb::DeleteDepotRequest>) -> R<pb::Depot> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::delete_depot(self, &c, r).await?))
    }

    async fn set_stock_level(&self, req: Request<pb::SetStockLevelRequest>) -> R<pb::StockLevel> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::set_stock_level(self, &c, r).await?))
    }

    async fn get_stock_level(&self, req: Request<pb::GetStockLevelRequest>) -> R<pb::StockLevel> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::get_stock_level(self, &c, r).await?))
    }

    async fn list_stock_levels(
        &self,
        req: Request<pb::ListStockLevelsRequest>,
    ) -> R<pb::ListStockLevelsResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::list_stock_levels(self, &c, r).await?))
    }

    async fn create_reservation(
        &self,
        req: Request<pb::CreateReservationRequest>,
    ) -> R<pb::Reservation> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::create_reservation(self, &c, r).await?))
    }

    async fn get_reservation(&self, req: Request<pb::GetReservationRequest>) -> R<pb::Reservation> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::get_reservation(self, &c, r).await?))
    }

    async fn list_reservations(
        &self,
        req: Request<pb::ListReservationsRequest>,
    ) -> R<pb::ListReservationsResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::list_reservations(self, &c, r).await?))
    }

    async fn assess_coverage(
        &self,
        req: Request<pb::AssessCoverageRequest>,
    ) -> R<pb::CoverageAssessment> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::assess_coverage(self, &c, r).await?))
    }

    async fn batch_assess_coverage(
        &self,
        req: Request<pb::BatchAssessCoverageRequest>,
    ) -> R<pb::BatchAssessCoverageResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            Api::batch_assess_coverage(self, &c, r).await?,
        ))
    }

    async fn get_coverage_model(
        &self,
        req: Request<pb::GetCoverageModelRequest>,
    ) -> R<pb::CoverageModel> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::get_coverage_model(self, &c, r).await?))
    }

    async fn create_coverage_registration(
        &self,
        req: Request<pb::CreateCoverageRegistrationRequest>,
    ) -> R<pb::CoverageRegistration> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            Api::create_coverage_registration(self, &c, r).await?,
        ))
    }

    async fn get_coverage_registration(
        &self,
        req: Request<pb::GetCoverageRegistrationRequest>,
    ) -> R<pb::CoverageRegistration> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            Api::get_coverage_registration(self, &c, r).await?,
        ))
    }

    async fn list_coverage_registrations(
        &self,
        req: Request<pb::ListCoverageRegistrationsRequest>,
    ) -> R<pb::ListCoverageRegistrationsResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            Api::list_coverage_registrations(self, &c, r).await?,
        ))
    }

    async fn delete_coverage_registration(
        &self,
        req: Request<pb::DeleteCoverageRegistrationRequest>,
    ) -> R<pb::CoverageRegistration> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            Api::delete_coverage_registration(self, &c, r).await?,
        ))
    }

    async fn simulate_disruption(
        &self,
        req: Request<pb::SimulateDisruptionRequest>,
    ) -> R<pb::SimulateDisruptionResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(Api::simulate_disruption(self, &c, r).await?))
    }

    async fn import_country_factors(
        &self,
        req: Request<Streaming<pb::ImportCountryFactorsRequest>>,
    ) -> R<pb::ImportCountryFactorsResponse> {
        let (c, r) = Caller::split(req)?;
        Ok(Response::new(
            Api::import_country_factors(self, &c, r).await?,
        ))
    }

    async fn release_reservation(
        &self,
        req: Request<pb::ReleaseReservationRequest>,
    ) -> R<pb::Reservation> {
        let c = Caller::of(&req)?;
        Ok(Response::new(
            self.finish_reservation(&c, &req.into_inner().name, false)
                .await?,
        ))
    }

    async fn dispatch_reservation(
        &self,
        req: Request<pb::DispatchReservationRequest>,
    ) -> R<pb::Reservation> {
        let c = Caller::of(&req)?;
        Ok(Response::new(
            self.finish_reservation(&c, &req.into_inner().name, true)
                .await?,
        ))
    }

    type WatchRiskEventsStream =
        Pin<Box<dyn tokio_stream::Stream<Item = Result<pb::RiskEvent, Status>> + Send + 'static>>;

    async fn watch_risk_events(
        &self,
        req: Request<pb::WatchRiskEventsRequest>,
    ) -> R<Self::WatchRiskEventsStream> {
        let c = Caller::of(&req)?;
        let rx = Api::watch_risk_events(self, &c, req.into_inner())?;
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}
