//! Building and running the service (the zero2prod shape: `Application::build` binds
//! its own port, so tests start the real thing on port 0).

use crate::{
    api::{Api, LabsRoutes},
    customers::Customers,
    fanout::Fanout,
};
use std::time::Duration;
use symbolon_platform::{
    config::{ConfigError, Env, ServerConfig},
    db::Backend,
    server::{BoundService, StartError, open_and_bind},
    time::Clock,
};

symbolon_platform::migrations!();

/// Everything the labs service is configured with.
#[derive(Debug, Clone)]
pub struct LabsConfig {
    /// The shared server settings.
    pub server: ServerConfig,
    /// The customers service (`SYMBOLON_CUSTOMERS_URL`, default `http://127.0.0.1:50051`).
    pub customers_url: String,
    /// Deadline of each call to the customers service
    /// (`SYMBOLON_LABS_CUSTOMERS_DEADLINE_MS`, default 2000).
    pub customers_deadline: Duration,
    /// Log entries a lab's live ring holds per replica; a watcher further behind is told
    /// to resume (`SYMBOLON_LABS_WATCH_BUFFER`, default 4096).
    pub watch_buffer: usize,
    /// A lab's hub reads and publishes new entries at most once per this interval, so
    /// appends arriving meanwhile reach every watcher in one message: longer saves CPU
    /// per entry with many watchers, at the cost of latency
    /// (`SYMBOLON_LABS_WATCH_COALESCE_MS`, default 10: with 1,000 watchers at 1,000
    /// entries/s on 2 cores, 4 ms left the machine saturated and p99 delivery at
    /// ~220 ms, 10 ms brought it under 50 ms, 50 ms added its own wait).
    pub watch_coalesce: Duration,
}

/// PostgreSQL connections the live-log hubs of one replica read on.
const FANOUT_READERS: u32 = 2;

impl LabsConfig {
    /// Reads `SYMBOLON_LABS_*` / `SYMBOLON_*` variables.
    pub fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            server: ServerConfig::from_env(env, "labs", crate::DEFAULT_PORT)?,
            customers_url: env.get("CUSTOMERS_URL", "http://127.0.0.1:50051".to_string())?,
            customers_deadline: env.millis("CUSTOMERS_DEADLINE_MS", 2000)?,
            watch_buffer: env.get("WATCH_BUFFER", 4096)?,
            watch_coalesce: env.millis("WATCH_COALESCE_MS", 10)?,
        })
    }

    /// Test and embedding defaults around a server configuration.
    pub fn new(server: ServerConfig, customers_url: impl Into<String>) -> Self {
        Self {
            server,
            customers_url: customers_url.into(),
            customers_deadline: Duration::from_secs(2),
            watch_buffer: 4096,
            watch_coalesce: Duration::from_millis(10),
        }
    }
}

/// A built, bound, not yet running labs service.
pub struct Application {
    service: BoundService,
}

symbolon_platform::application!(Application, LabsConfig, service);

impl Application {
    /// As [`Application::build`], with a given clock.
    pub async fn build_with_clock(config: LabsConfig, clock: Clock) -> Result<Self, StartError> {
        let customers = Customers::new(&config.customers_url, config.customers_deadline)
            .map_err(StartError::service_url("customers"))?;
        let url = config.server.database_url.clone();
        let (db, mut server) = open_and_bind::<StartError>(config.server, &MIGRATIONS).await?;
        let shutdown = server.shutdown_token();
        // The hubs read new entries on connections of their own: behind a burst of
        // appends holding every shared connection, delivery would wait for the burst.
        let fanout = Fanout::new(
            db.with_own_readers(FANOUT_READERS).await?,
            shutdown.clone(),
            server.background(),
            config.watch_buffer,
            config.watch_coalesce,
        );
        if db.backend() == Backend::Postgres {
            fanout.listen_postgres(url);
        }
        let api = Api::new(db.clone(), clock, customers, fanout, shutdown);
        server.add_guarded(LabsRoutes::new(api), &crate::access::LABS);
        Ok(Self {
            service: BoundService::new(server, vec![db]),
        })
    }
}
