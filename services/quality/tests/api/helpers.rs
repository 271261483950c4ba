use symbolon_contracts::customers::v1::{
    self as pb, customers_service_client::CustomersServiceClient,
};
use symbolon_customers::{Application, CustomersConfig};
pub use symbolon_testkit::{Api, assert_invalid, code, violated_fields};
use symbolon_testkit::{Backend, By, Keys, TestDb, at, authed, server_config};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub channel: Channel,
    pub keys: Keys,
    pub admin: String,
    pub shutdown: CancellationToken,
    running: Option<tokio::task::JoinHandle<()>>,
    db: Option<TestDb>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts the customers deployable, which serves quality, on a fresh database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    start(TestDb::new(backend).await).await
}

/// Starts the customers deployable on `db` (which may hold an earlier release's data).
pub async fn start(db: TestDb) -> TestApp {
    let keys = Keys::new();
    let config = CustomersConfig::new(server_config("customers", &db.url, &keys));
    let app = Application::build(config).await.expect("build");
    let addr = app.local_addr();
    let shutdown = app.shutdown_token();
    let running = tokio::spawn(async move {
        let _ = app.run_until_stopped().await;
    });
    let admin = keys.vendor_admin();
    let channel = symbolon_testkit::channel(addr).await;
    TestApp {
        addr,
        channel,
        keys,
        admin,
        shutdown,
        running: Some(running),
        db: Some(db),
    }
}

// Calls go to the service as its vendor admin.
impl Api for TestApp {
    fn caller(&self) -> By<'_> {
        at(&self.channel, &self.admin)
    }
}

impl TestApp {
    /// Shuts the deployable down, its database closed, and hands the database back.
    pub async fn stop(mut self) -> TestDb {
        self.shutdown.cancel();
        if let Some(running) = self.running.take() {
            running.await.expect("server task");
        }
        self.db.take().expect("database")
    }

    /// The database it runs on.
    pub fn db(&self) -> &TestDb {
        self.db.as_ref().expect("database")
    }

    /// Creates customer `id` through the customers service.
    pub async fn customer(&self, id: &str, industry: pb::Industry, country: &str) -> pb::Customer {
        CustomersServiceClient::new(symbolon_testkit::channel(self.addr).await)
            .create_customer(authed(
                &self.admin,
                symbolon_testkit::create_customer_request(
                    id,
                    format!("Customer {id}"),
                    industry,
                    country,
                ),
            ))
            .await
            .expect("create customer")
            .into_inner()
    }
}
