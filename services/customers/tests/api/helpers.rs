use crate::requests;
use symbolon_contracts::{
    common::v1::LatLng,
    customers::v1::{
        self as pb, customers_service_client::CustomersServiceClient,
        incidents_service_client::IncidentsServiceClient,
    },
    supplychain::v1::{self as spb, supply_chain_service_client::SupplyChainServiceClient},
};
use symbolon_customers::{Application, CustomersConfig, incidents::IncidentTimers};
use symbolon_platform::time::Clock;
use symbolon_testkit::{Backend, By, Keys, TestDb, at, authed, server_config};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub type Client = CustomersServiceClient<Channel>;

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub keys: Keys,
    pub admin: String,
    pub channel: Channel,
    pub client: Client,
    pub shutdown: CancellationToken,
    pub timers: IncidentTimers,
    _db: TestDb,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with_clock(backend, Clock::system()).await
}

/// Starts the service telling time by `clock`. Background timer sweeps are slowed to
/// once an hour so that tests drive them with `TestApp::timers`.
pub async fn spawn_app_with_clock(backend: Backend, clock: Clock) -> TestApp {
    let db = TestDb::new(backend).await;
    let keys = Keys::new();
    let mut config = CustomersConfig::new(server_config("customers", &db.url, &keys));
    config.timer_interval = std::time::Duration::from_secs(3600);
    let app = Application::build_with_clock(config, clock)
        .await
        .expect("build");
    let timers = app.incident_timers();
    let addr = app.local_addr();
    let shutdown = app.shutdown_token();
    tokio::spawn(app.run_until_stopped());
    let channel = symbolon_testkit::channel(addr).await;
    let client = CustomersServiceClient::new(channel.clone());
    let admin = keys.vendor_admin();
    TestApp {
        addr,
        keys,
        admin,
        channel,
        client,
        shutdown,
        timers,
        _db: db,
    }
}

// Calls go to the service as its vendor admin.
impl Api for TestApp {
    fn caller(&self) -> By<'_> {
        at(&self.channel, &self.admin)
    }
}

impl TestApp {
    /// The service's database, for tests that check stored figures against raw rows.
    pub fn db_url(&self) -> &str {
        &self._db.url
    }

    pub fn client(&self) -> Client {
        self.client.clone()
    }

    pub async fn customer(&self, id: &str, industry: pb::Industry, country: &str) -> pb::Customer {
        self.call(symbolon_testkit::create_customer_request(
            id,
            format!("Customer {id}"),
            industry,
            country,
        ))
        .await
    }

    pub async fn site(&self, customer: &str, id: &str) -> pb::Site {
        self.call(requests::site(
            format!("customers/{customer}"),
            id,
            site_message("DE", 50.1, 8.7),
        ))
        .await
    }

    pub async fn key_person(&self, customer: &str, id: &str) -> pb::KeyPerson {
        self.call(pb::CreateKeyPersonRequest {
            parent: format!("customers/{customer}"),
            key_person: Some(pb::KeyPerson {
                display_name: "Dr. Anna Weber".into(),
                title: "CTO".into(),
                decision_role: pb::DecisionRole::DecisionMaker as i32,
                ..Default::default()
            }),
            key_person_id: id.into(),
            request_id: String::new(),
        })
        .await
    }

    pub async fn touchpoint(
        &self,
        customer: &str,
        key_person: &str,
        mood: pb::Mood,
    ) -> pb::Touchpoint {
        self.call(pb::RecordTouchpointRequest {
            parent: format!("customers/{customer}"),
            touchpoint: Some(touchpoint_message(
                &format!("customers/{customer}/keyPersons/{key_person}"),
                mood,
            )),
            request_id: String::new(),
        })
        .await
    }
}

pub fn site_message(country: &str, lat: f64, lng: f64) -> pb::Site {
    pb::Site {
        display_name: "Frankfurt core".into(),
        country: country.into(),
        location: Some(LatLng {
            latitude: lat,
            longitude: lng,
        }),
        ..Default::default()
    }
}

pub fn now() -> prost_types::Timestamp {
    let s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    prost_types::Timestamp {
        seconds: s - 60,
        nanos: 0,
    }
}

pub fn touchpoint_message(key_person: &str, mood: pb::Mood) -> pb::Touchpoint {
    pb::Touchpoint {
        kind: pb::TouchpointKind::Incident as i32,
        key_person: key_person.into(),
        occur_time: Some(now()),
        summary: "Night-time outage alarm".into(),
        emotional_state: Some(pb::EmotionalState {
            mood: mood as i32,
            intensity: 4,
        }),
        strategic_anxiety: "Regulator fines after one hour of outage".into(),
        implicit_expectations: vec!["Spare parts on site within the hour".into()],
        ..Default::default()
    }
}

pub use symbolon_testkit::{Api, assert_invalid, code, violated_fields};

/// Incident `incident`'s timeline as `token` reads it: the replay, until nothing more
/// arrives for half a second.
pub async fn timeline(
    incidents: &mut IncidentsServiceClient<Channel>,
    token: &str,
    incident: &str,
) -> Vec<pb::IncidentEvent> {
    let mut stream = incidents
        .watch_incident(authed(token, requests::watch(incident, 0)))
        .await
        .expect("watch")
        .into_inner();
    let mut events = Vec::new();
    // The replay comes at once; stop when nothing more arrives.
    while let Ok(Ok(Some(e))) =
        tokio::time::timeout(std::time::Duration::from_millis(500), stream.message()).await
    {
        events.push(e);
    }
    events
}

/// Creates `depot` at the supply-chain service and sets its `stock` (part, on hand).
pub async fn stocked_depot(
    sc: &mut SupplyChainServiceClient<Channel>,
    admin: &str,
    depot: spb::CreateDepotRequest,
    stock: &[(&str, i64)],
) {
    let id = depot.depot_id.clone();
    sc.create_depot(authed(admin, depot))
        .await
        .expect("create depot");
    for (part, on_hand) in stock {
        sc.set_stock_level(authed(
            admin,
            requests::stock(format!("depots/{id}/stockLevels/{part}"), *on_hand),
        ))
        .await
        .expect("set stock");
    }
}

/// Creates `customer` and then `sites` through the customers service at `channel`.
pub async fn customer_with_sites(
    channel: Channel,
    admin: &str,
    customer: pb::CreateCustomerRequest,
    sites: impl IntoIterator<Item = pb::CreateSiteRequest>,
) {
    let mut crm = CustomersServiceClient::new(channel);
    crm.create_customer(authed(admin, customer))
        .await
        .expect("create customer");
    for site in sites {
        crm.create_site(authed(admin, site))
            .await
            .expect("create site");
    }
}

/// Nordlicht Telecom with its Frankfurt core site, through the customers service at
/// `channel`: where the incident scenes happen.
pub async fn nordlicht_with_frankfurt_core(channel: Channel, admin: &str) {
    let telecom = pb::Industry::TelecomOperator;
    let customer = requests::customer("nordlicht", "Nordlicht Telecom", telecom, "DE");
    let core = site_message("DE", 50.11552, 8.68417);
    let site = requests::site("customers/nordlicht", "frankfurt-core", core);
    customer_with_sites(channel, admin, customer, [site]).await;
}
