//! Starting the customers and supply-chain services together, for the tests of the flows
//! between them.

use std::{net::SocketAddr, time::Duration};
use symbolon_customers::{CustomersConfig, incidents::IncidentTimers};
use symbolon_platform::time::Clock;
use symbolon_supplychain::SupplyChainConfig;
use symbolon_testkit::{Keys, server_config};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running service: its address, how to stop it, and its task.
pub struct Running {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl Running {
    /// Runs `app` (its address and shutdown token already taken) in a task of its own.
    fn spawn<E>(
        addr: SocketAddr,
        shutdown: CancellationToken,
        app: impl Future<Output = Result<(), E>> + Send + 'static,
    ) -> Self {
        let task = tokio::spawn(async move {
            let _ = app.await;
        });
        Running {
            addr,
            shutdown,
            task,
        }
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(15), self.task).await;
    }
}

/// Starts supply-chain on `url`, on `addr` if given (a restart on the same port).
pub async fn start_supplychain(url: &str, keys: &Keys, addr: Option<SocketAddr>) -> Running {
    let mut server = server_config("supplychain", url, keys);
    if let Some(a) = addr {
        server.listen_addr = a;
    }
    let mut config = SupplyChainConfig::with_server(server);
    config.risk_poll = Duration::from_millis(100);
    // The port of a stopped instance may take a moment to be free again.
    let mut tries = 0;
    let app = loop {
        match symbolon_supplychain::Application::build(config.clone()).await {
            Ok(app) => break app,
            Err(_) if tries < 50 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("supply-chain did not start: {e}"),
        }
    };
    Running::spawn(
        app.local_addr(),
        app.shutdown_token(),
        app.run_until_stopped(),
    )
}

/// Starts customers on `url`, calling supply-chain at `sc_addr`; with a service token
/// file it also follows the risk stream.
pub async fn start_customers(
    url: &str,
    keys: &Keys,
    sc_addr: SocketAddr,
    token: Option<&std::path::Path>,
) -> Running {
    customers(url, keys, sc_addr, token, Clock::system())
        .await
        .0
}

/// As [`start_customers`], telling time by `clock` (timers are then swept by the test).
pub async fn start_customers_at(
    url: &str,
    keys: &Keys,
    sc_addr: SocketAddr,
    clock: Clock,
) -> (Running, IncidentTimers) {
    customers(url, keys, sc_addr, None, clock).await
}

async fn customers(
    url: &str,
    keys: &Keys,
    sc_addr: SocketAddr,
    token: Option<&std::path::Path>,
    clock: Clock,
) -> (Running, IncidentTimers) {
    let mut config = CustomersConfig::new(server_config("customers", url, keys))
        .with_supplychain(format!("http://{sc_addr}"), token.map(|t| t.to_path_buf()));
    config.timer_interval = Duration::from_secs(3600);
    config.supplychain_deadline = Duration::from_secs(2);
    let app = symbolon_customers::Application::build_with_clock(config, clock)
        .await
        .expect("customers build");
    let timers = app.incident_timers();
    let running = Running::spawn(
        app.local_addr(),
        app.shutdown_token(),
        app.run_until_stopped(),
    );
    (running, timers)
}
