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

symbolon_platform::grpc_service! {
    impl SupplyChainService for Api;
    create_country_profile(pb::CreateCountryProfileRequest) -> pb::CountryProfile = Api::create_country_profile;
    get_country_profile(pb::GetCountryProfileRequest) -> pb::CountryProfile = Api::get_country_profile;
    list_country_profiles(pb::ListCountryProfilesRequest) -> pb::ListCountryProfilesResponse = Api::list_country_profiles;
    update_country_profile(pb::UpdateCountryProfileRequest) -> pb::CountryProfile = Api::update_country_profile;
    delete_country_profile(pb::DeleteCountryProfileRequest) -> pb::CountryProfile = Api::delete_country_profile;
    create_scoring_model(pb::CreateScoringModelRequest) -> pb::ScoringModel = Api::create_scoring_model;
    get_scoring_model(pb::GetScoringModelRequest) -> pb::ScoringModel = Api::get_scoring_model;
    list_scoring_models(pb::ListScoringModelsRequest) -> pb::ListScoringModelsResponse = Api::list_scoring_models;
    update_scoring_model(pb::UpdateScoringModelRequest) -> pb::ScoringModel = Api::update_scoring_model;
    delete_scoring_model(pb::DeleteScoringModelRequest) -> pb::ScoringModel = Api::delete_scoring_model;
    activate_scoring_model(pb::ActivateScoringModelRequest) -> pb::ScoringModel = Api::activate_scoring_model;
    score_country(pb::ScoreCountryRequest) -> pb::CountryScore = Api::score_country;
    list_country_scores(pb::ListCountryScoresRequest) -> pb::ListCountryScoresResponse = Api::list_country_scores;
    rank_countries(pb::RankCountriesRequest) -> pb::RankCountriesResponse = Api::rank_countries;
    create_depot(pb::CreateDepotRequest) -> pb::Depot = Api::create_depot;
    get_depot(pb::GetDepotRequest) -> pb::Depot = Api::get_depot;
    list_depots(pb::ListDepotsRequest) -> pb::ListDepotsResponse = Api::list_depots;
    update_depot(pb::UpdateDepotRequest) -> pb::Depot = Api::update_depot;
    delete_depot(pb::DeleteDepotRequest) -> pb::Depot = Api::delete_depot;
    set_stock_level(pb::SetStockLevelRequest) -> pb::StockLevel = Api::set_stock_level;
    get_stock_level(pb::GetStockLevelRequest) -> pb::StockLevel = Api::get_stock_level;
    list_stock_levels(pb::ListStockLevelsRequest) -> pb::ListStockLevelsResponse = Api::list_stock_levels;
    create_reservation(pb::CreateReservationRequest) -> pb::Reservation = Api::create_reservation;
    get_reservation(pb::GetReservationRequest) -> pb::Reservation = Api::get_reservation;
    list_reservations(pb::ListReservationsRequest) -> pb::ListReservationsResponse = Api::list_reservations;
    assess_coverage(pb::AssessCoverageRequest) -> pb::CoverageAssessment = Api::assess_coverage;
    batch_assess_coverage(pb::BatchAssessCoverageRequest) -> pb::BatchAssessCoverageResponse = Api::batch_assess_coverage;
    get_coverage_model(pb::GetCoverageModelRequest) -> pb::CoverageModel = Api::get_coverage_model;
    create_coverage_registration(pb::CreateCoverageRegistrationRequest) -> pb::CoverageRegistration = Api::create_coverage_registration;
    get_coverage_registration(pb::GetCoverageRegistrationRequest) -> pb::CoverageRegistration = Api::get_coverage_registration;
    list_coverage_registrations(pb::ListCoverageRegistrationsRequest) -> pb::ListCoverageRegistrationsResponse = Api::list_coverage_registrations;
    delete_coverage_registration(pb::DeleteCoverageRegistrationRequest) -> pb::CoverageRegistration = Api::delete_coverage_registration;
    simulate_disruption(pb::SimulateDisruptionRequest) -> pb::SimulateDisruptionResponse = Api::simulate_disruption;
    release_reservation(pb::ReleaseReservationRequest) -> pb::Reservation = Api::release_reservation;
    dispatch_reservation(pb::DispatchReservationRequest) -> pb::Reservation = Api::dispatch_reservation;
    {
        async fn import_country_factors(
            &self,
            req: Request<Streaming<pb::ImportCountryFactorsRequest>>,
        ) -> R<pb::ImportCountryFactorsResponse> {
            let (c, r) = Caller::split(req)?;
            Ok(Response::new(
                Api::import_country_factors(self, &c, r).await?,
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
}
