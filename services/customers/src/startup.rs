//! Building and running the service (the zero2prod shape: `Application::build` binds
//! its own port, so tests start the real thing on port 0).

use crate::{
    api::Api,
    commitments::{Commitments, RiskConsumer, SupplyChain},
    dashboard::Dashboard,
    incidents::{IncidentTimers, Incidents},
};
use std::sync::Arc;
use std::time::Duration;
use symbolon_contracts::customers::v1::customers_service_server::CustomersServiceServer;
use symbolon_contracts::customers::v1::{
    commitments_service_server::CommitmentsServiceServer,
    dashboard_service_server::DashboardServiceServer,
    incidents_service_server::IncidentsServiceServer,
};
use symbolon_contracts::quality::v1::quality_service_server::QualityServiceServer;
use symbolon_platform::{
    config::{ConfigError, Env, ServerConfig},
    server::{BoundService, StartError, open_and_bind},
    time::Clock,
};
use symbolon_quality::QualityApi;

// Versions 3 and 9 of earlier releases made quality's tables, which quality's own
// migrations now adopt (`symbolon_quality::schema`); databases that applied them still
// start, hence `ignore_missing`.
symbolon_platform::migrations!(ignore_missing);

/// Everything the customers service is configured with.
#[derive(Debug, Clone)]
pub struct CustomersConfig {
    /// The shared server settings.
    pub server: ServerConfig,
    /// How often incident timers are swept (`SYMBOLON_TIMER_INTERVAL_MS`, default 1000).
    pub timer_interval: Duration,
    /// The supply-chain service (`SYMBOLON_SUPPLYCHAIN_URL`); without it commitments
    /// cannot be created (UNAVAILABLE) and no risk events are followed.
    pub supplychain_url: Option<String>,
    /// Deadline of each call to the supply-chain service
    /// (`SYMBOLON_SUPPLYCHAIN_DEADLINE_MS`, default 2000).
    pub supplychain_deadline: Duration,
    /// A file holding the vendor token this service presents to the supply-chain
    /// service for its own background work, the risk stream
    /// (`SYMBOLON_SERVICE_TOKEN_FILE`; mint one with `symbolon token`). Without it the
    /// risk stream is not followed.
    pub service_token_file: Option<std::path::PathBuf>,
}

impl CustomersConfig {
    /// Defaults around the given server settings.
    pub fn new(server: ServerConfig) -> Self {
        Self {
            server,
            timer_interval: Duration::from_secs(1),
            supplychain_url: None,
            supplychain_deadline: Duration::from_secs(2),
            service_token_file: None,
        }
    }

    /// Uses the supply-chain service at `url`, following its risk stream with the token
    /// in `service_token_file` (when given).
    pub fn with_supplychain(
        mut self,
        url: impl Into<String>,
        service_token_file: Option<std::path::PathBuf>,
    ) -> Self {
        self.supplychain_url = Some(url.into());
        self.service_token_file = service_token_file;
        self
    }

    /// Reads `SYMBOLON_CUSTOMERS_*` / `SYMBOLON_*` variables.
    pub fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            server: ServerConfig::from_env(env, "customers", crate::DEFAULT_PORT)?,
            timer_interval: env.millis("TIMER_INTERVAL_MS", 1000)?,
            supplychain_url: env.opt("SUPPLYCHAIN_URL"),
            supplychain_deadline: env.millis("SUPPLYCHAIN_DEADLINE_MS", 2000)?,
            service_token_file: env.opt("SERVICE_TOKEN_FILE").map(std::path::PathBuf::from),
        })
    }
}

/// A built, bound, not yet running customers service.
pub struct Application {
    service: BoundService,
    incidents: Incidents,
}

symbolon_platform::application!(Application, CustomersConfig, service);

impl Application {
    /// As [`Application::build`], with a given clock (tests drive timers with it).
    pub async fn build_with_clock(
        config: CustomersConfig,
        clock: Clock,
    ) -> Result<Self, StartError> {
        let supply = match &config.supplychain_url {
            Some(url) => Some(
                SupplyChain::new(url, config.supplychain_deadline)
                    .map_err(StartError::service_url("supply-chain"))?,
            ),
            None => None,
        };
        let (db, mut server) = open_and_bind::<StartError>(config.server, &MIGRATIONS).await?;
        let api = Api::new(db.clone(), clock.clone());
        server.add_guarded(CustomersServiceServer::new(api), &crate::access::CUSTOMERS);
        let quality_db = symbolon_quality::schema::open(&db).await?;
        let quality_api = QualityApi::new(
            quality_db.clone(),
            clock.clone(),
            server.shutdown_token(),
            Arc::new(crate::quality_link::CrmCustomers::new(db.clone())),
        );
        server.add_guarded(
            QualityServiceServer::new(quality_api),
            &symbolon_quality::access::QUALITY,
        );
        let incidents = Incidents::new(
            db.clone(),
            clock.clone(),
            supply.clone(),
            server.shutdown_token(),
        );
        server.add_guarded(
            IncidentsServiceServer::new(incidents.clone()),
            &crate::access::INCIDENTS,
        );
        server.add_guarded(
            DashboardServiceServer::new(Dashboard::new(db.clone(), clock.clone())),
            &crate::access::DASHBOARD,
        );
        server.add_guarded(
            CommitmentsServiceServer::new(Commitments::new(
                db.clone(),
                clock.clone(),
                supply.clone(),
            )),
            &crate::access::COMMITMENTS,
        );
        match (supply, config.service_token_file) {
            (Some(supply), Some(token_file)) => {
                let consumer = RiskConsumer::new(db.clone(), clock.clone(), supply, token_file);
                server
                    .background()
                    .spawn(consumer.run(server.shutdown_token()));
            }
            (Some(_), None) => tracing::warn!(
                "SYMBOLON_SERVICE_TOKEN_FILE is not set: commitments will not follow supply-chain risk events"
            ),
            _ => {}
        }
        incidents.spawn_timers(config.timer_interval, &server.background());
        Ok(Self {
            // The CRM's store closes before quality's, as it always has.
            service: BoundService::new(server, vec![db, quality_db]),
            incidents,
        })
    }

    /// The incident timers (tests sweep them after moving a manual clock).
    pub fn incident_timers(&self) -> IncidentTimers {
        self.incidents.timers()
    }
}
