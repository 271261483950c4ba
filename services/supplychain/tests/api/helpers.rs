use prost_types::{Duration, Timestamp};
use symbolon_contracts::{
    common::v1::LatLng,
    supplychain::v1::{self as pb, supply_chain_service_client::SupplyChainServiceClient},
};
use symbolon_platform::auth::Org;
use symbolon_supplychain::{Application, SupplyChainConfig};
use symbolon_testkit::{Backend, By, Keys, TestDb, at, authed, server_config};
use tokio_util::sync::CancellationToken;
use tonic::{Status, transport::Channel};

pub type Client = SupplyChainServiceClient<Channel>;

/// One running instance.
pub struct Instance {
    pub addr: std::net::SocketAddr,
    pub channel: Channel,
    pub client: Client,
    pub shutdown: CancellationToken,
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub struct TestApp {
    pub keys: Keys,
    pub admin: String,
    pub instance: Instance,
    pub db: TestDb,
}

pub async fn start(url: &str, keys: &Keys) -> Instance {
    let mut config = SupplyChainConfig::with_server(server_config("supplychain", url, keys));
    config.risk_poll = std::time::Duration::from_millis(100);
    let app = Application::build(config).await.expect("build");
    let addr = app.local_addr();
    let shutdown = app.shutdown_token();
    tokio::spawn(app.run_until_stopped());
    let channel = symbolon_testkit::channel(addr).await;
    let client = SupplyChainServiceClient::new(channel.clone());
    Instance {
        addr,
        channel,
        client,
        shutdown,
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let db = TestDb::new(backend).await;
    let keys = Keys::new();
    let instance = start(&db.url, &keys).await;
    let admin = keys.vendor_admin();
    TestApp {
        keys,
        admin,
        instance,
        db,
    }
}

// Calls go to the service as its vendor admin.
impl Api for TestApp {
    fn caller(&self) -> By<'_> {
        at(&self.instance.channel, &self.admin)
    }
}

impl TestApp {
    pub fn client(&self) -> Client {
        self.instance.client.clone()
    }

    pub async fn client_channel(&self) -> Channel {
        symbolon_testkit::channel(self.instance.addr).await
    }

    pub fn vendor(&self, roles: &[&str]) -> String {
        self.keys.token("someone@vendor", &Org::Vendor, roles)
    }

    pub fn customer(&self) -> String {
        self.keys.customer("acme", &["customer-engineer"])
    }

    /// A second instance on the same database (replicas).
    pub async fn replica(&self) -> Instance {
        start(&self.db.url, &self.keys).await
    }

    pub async fn country(&self, cc: &str, stability: f64, lpi: f64) -> pb::CountryProfile {
        self.call(pb::UpdateCountryProfileRequest {
            country_profile: Some(pb::CountryProfile {
                name: format!("countryProfiles/{cc}"),
                display_name: cc.into(),
                factors: [
                    (
                        "political_stability".to_string(),
                        factor(stability, pb::Scale::WgiEstimate),
                    ),
                    (
                        "logistics_reachability".to_string(),
                        factor(lpi, pb::Scale::Lpi),
                    ),
                ]
                .into_iter()
                .collect(),
                ..Default::default()
            }),
            update_mask: None,
            allow_missing: true,
        })
        .await
    }

    pub async fn model(&self, id: &str, weights: &[(&str, f64)]) -> pb::ScoringModel {
        self.call(pb::CreateScoringModelRequest {
            scoring_model: Some(pb::ScoringModel {
                display_name: format!("Model {id}"),
                weights: weights.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
                ..Default::default()
            }),
            scoring_model_id: id.into(),
            request_id: String::new(),
        })
        .await
    }

    pub async fn depot(&self, id: &str, cc: &str, lat: f64, lng: f64) -> pb::Depot {
        self.call(pb::CreateDepotRequest {
            depot: Some(depot_message(cc, lat, lng)),
            depot_id: id.into(),
            request_id: String::new(),
        })
        .await
    }

    pub async fn stock(&self, depot: &str, part: &str, on_hand: i64) -> pb::StockLevel {
        self.stock_as(&self.admin, depot, part, on_hand)
            .await
            .expect("set stock")
    }

    /// Sets the stock of `part` at `depot` as the caller of `token`.
    pub async fn stock_as(
        &self,
        token: &str,
        depot: &str,
        part: &str,
        on_hand: i64,
    ) -> Result<pb::StockLevel, Status> {
        self.by(token)
            .try_call(pb::SetStockLevelRequest {
                stock_level: Some(pb::StockLevel {
                    name: format!("depots/{depot}/stockLevels/{part}"),
                    on_hand,
                    ..Default::default()
                }),
            })
            .await
    }

    /// The first page of country profiles, as the admin sees it.
    pub async fn country_profiles(&self) -> Vec<pb::CountryProfile> {
        self.call(pb::ListCountryProfilesRequest::default())
            .await
            .country_profiles
    }

    pub async fn set_status(&self, depot: &str, status: pb::DepotStatus) -> pb::Depot {
        self.set_status_via(self.client(), depot, status).await
    }

    /// [`Self::set_status`] through `client` (another replica's, say).
    pub async fn set_status_via(
        &self,
        mut client: Client,
        depot: &str,
        status: pb::DepotStatus,
    ) -> pb::Depot {
        client
            .update_depot(authed(
                &self.admin,
                pb::UpdateDepotRequest {
                    depot: Some(pb::Depot {
                        name: format!("depots/{depot}"),
                        status: status as i32,
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["status".into()],
                    }),
                },
            ))
            .await
            .expect("update depot")
            .into_inner()
    }

    /// Every coverage registration (up to 100), in name order.
    pub async fn registrations(&self) -> Vec<pb::CoverageRegistration> {
        self.call(pb::ListCoverageRegistrationsRequest {
            page_size: 100,
            ..Default::default()
        })
        .await
        .coverage_registrations
    }

    pub async fn assess(
        &self,
        lat: f64,
        lng: f64,
        cc: &str,
        parts: &[&str],
        hours: i64,
    ) -> pb::CoverageAssessment {
        self.call(assess_request(lat, lng, cc, parts, hours)).await
    }

    /// Germany and Kenya with real-ish values, a model, and depots at Frankfurt airport
    /// (RRU ×3, BBU ×1), Munich (RRU ×10) and Nairobi (RRU ×2).
    pub async fn world(&self) {
        self.country("DE", 0.5955, 4.1).await;
        self.country("KE", -0.8, 2.8).await;
        self.model(
            "baseline",
            &[
                ("political_stability", 0.5),
                ("logistics_reachability", 0.5),
            ],
        )
        .await;
        self.depot("fra", "DE", 50.05, 8.57).await;
        self.depot("muc", "DE", 48.14, 11.58).await;
        self.depot("nbo", "KE", -1.32, 36.93).await;
        self.stock("fra", "RRU", 3).await;
        self.stock("fra", "BBU", 1).await;
        self.stock("muc", "RRU", 10).await;
        self.stock("nbo", "RRU", 2).await;
    }
}

pub const FRANKFURT: (f64, f64) = (50.11552, 8.68417);

pub fn factor(value: f64, scale: pb::Scale) -> pb::FactorValue {
    pb::FactorValue {
        value,
        scale: scale as i32,
        normalized_value: 0.0,
        source: "test".into(),
        as_of_time: Some(Timestamp {
            seconds: 1_640_995_200,
            nanos: 0,
        }),
    }
}

pub fn depot_message(cc: &str, lat: f64, lng: f64) -> pb::Depot {
    pb::Depot {
        display_name: format!("Depot {cc}"),
        country: cc.into(),
        location: Some(LatLng {
            latitude: lat,
            longitude: lng,
        }),
        status: pb::DepotStatus::Operational as i32,
        dispatch_preparation_time: Some(Duration {
            seconds: 1800,
            nanos: 0,
        }),
        ..Default::default()
    }
}

pub fn assess_request(
    lat: f64,
    lng: f64,
    cc: &str,
    parts: &[&str],
    hours: i64,
) -> pb::AssessCoverageRequest {
    pb::AssessCoverageRequest {
        site: Some(pb::SiteLocation {
            location: Some(LatLng {
                latitude: lat,
                longitude: lng,
            }),
            country: cc.into(),
            site: "customers/acme/sites/s1".into(),
        }),
        part_numbers: parts.iter().map(|p| p.to_string()).collect(),
        window: Some(Duration {
            seconds: hours * 3600,
            nanos: 0,
        }),
    }
}

pub fn hours(d: &Option<Duration>) -> f64 {
    d.as_ref()
        .map(|d| d.seconds as f64 / 3600.0)
        .unwrap_or(f64::NAN)
}

pub use symbolon_testkit::{Api, assert_invalid, code, request_id};
