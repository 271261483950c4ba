//! What the load tool calls: the bare echo, or a customers- or supply-chain-service method
//! on fixtures it first creates through the API.

use anyhow::{Context as _, bail};
use futures::{StreamExt as _, TryStreamExt as _};
use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use symbolon_contracts::{
    bench::v1::{EchoRequest, echo_service_client::EchoServiceClient},
    common::v1::LatLng,
    customers::v1::{
        CallForFireRequest, CreateCustomerRequest, CreateKeyPersonRequest, Customer, DecisionRole,
        EmotionalState, FireRequest, GetCustomerRequest, Incident, Industry, KeyPerson,
        ListCustomersRequest, Mood, OpenIncidentRequest, RankCustomersForAttentionRequest,
        RecordTouchpointRequest, Severity, Touchpoint, TouchpointKind,
        customers_service_client::CustomersServiceClient,
        dashboard_service_client::DashboardServiceClient,
        incidents_service_client::IncidentsServiceClient,
    },
    supplychain::v1::{
        AssessCoverageRequest, SiteLocation, supply_chain_service_client::SupplyChainServiceClient,
    },
};
use tonic::{
    Request, Status,
    metadata::{Ascii, MetadataValue},
    transport::Channel,
};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// The calls the tool can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// `symbolon.bench.v1.EchoService/Echo` on the bare echo server.
    Echo,
    /// `GetCustomer` of a random customer among the fixtures (authenticated, read path).
    GetCustomer,
    /// `RecordTouchpoint` on the fixtures' key persons (authenticated, durable write).
    RecordTouchpoint,
    /// Supply chain `AssessCoverage` of a Frankfurt site for one part within 4 h, on the
    /// supply-chain demo data (depots, stock levels), loaded first through the API.
    AssessCoverage,
    /// `OpenIncident` then `CallForFire` on it, one iteration per pair (two durable
    /// writes), on the fixture customers.
    OpenIncident,
    /// `RankCustomersForAttention` (admin): every live customer's quarter, ranked; its
    /// cost grows with the fixture customers.
    RankCustomers,
}

impl Kind {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Echo => "echo",
            Kind::GetCustomer => "get-customer",
            Kind::RecordTouchpoint => "record-touchpoint",
            Kind::AssessCoverage => "assess-coverage",
            Kind::OpenIncident => "open-incident",
            Kind::RankCustomers => "rank-customers",
        }
    }

    /// Fixtures created when `--fixtures` is not given.
    pub fn default_fixtures(self) -> usize {
        match self {
            Kind::Echo | Kind::AssessCoverage => 0,
            Kind::GetCustomer | Kind::RankCustomers => 1000,
            Kind::RecordTouchpoint | Kind::OpenIncident => 16,
        }
    }
}

/// A bearer token ready to go on every call, or none.
#[derive(Debug, Clone, Default)]
pub struct Auth(Option<MetadataValue<Ascii>>);

impl Auth {
    /// `authorization: Bearer TOKEN` on every call when `token` is set.
    pub fn new(token: Option<&str>) -> anyhow::Result<Self> {
        match token.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(Self(None)),
            Some(t) => Ok(Self(Some(
                format!("Bearer {t}")
                    .parse()
                    .context("the token is not a valid header value")?,
            ))),
        }
    }

    /// The token itself (without `Bearer `), if any.
    fn token(&self) -> Option<&str> {
        self.0
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
    }

    fn request<T>(&self, message: T) -> Request<T> {
        let mut req = Request::new(message);
        if let Some(v) = &self.0 {
            req.metadata_mut().insert("authorization", v.clone());
        }
        req
    }
}

/// What the calls work on, created before the measured run.
#[derive(Debug, Clone)]
pub enum Fixtures {
    /// Echo needs none: just the payload.
    Echo {
        /// Sent on every call.
        payload: Arc<Vec<u8>>,
    },
    /// Customer resource names to read.
    Customers(Arc<[String]>),
    /// (customer, key person) resource names to record touchpoints on.
    KeyPersons(Arc<[(String, String)]>),
    /// The one coverage question asked on every call.
    Coverage(Arc<AssessCoverageRequest>),
    /// Customer resource names to open incidents on.
    IncidentCustomers(Arc<[String]>),
    /// The customers the ranking reads (only counted: the call names none).
    Ranked(usize),
}

impl Fixtures {
    /// How many resources the run works on.
    pub fn len(&self) -> usize {
        match self {
            Fixtures::Echo { .. } => 0,
            Fixtures::Customers(c) => c.len(),
            Fixtures::KeyPersons(k) => k.len(),
            Fixtures::Coverage(_) => 1,
            Fixtures::IncidentCustomers(c) => c.len(),
            Fixtures::Ranked(n) => *n,
        }
    }

    /// True for echo, which needs no resources.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The Echo request the echo scenario sends, with a `payload_bytes`-byte payload.
pub fn echo_request(payload_bytes: usize) -> EchoRequest {
    EchoRequest {
        payload: (0..payload_bytes).map(|i| (i % 251) as u8).collect(),
    }
}

/// That request as one gRPC message on the wire (uncompressed flag, big-endian length,
/// protobuf): the body an HTTP/2 tool such as h2load can POST to
/// `/symbolon.bench.v1.EchoService/Echo`.
pub fn echo_grpc_frame(payload_bytes: usize) -> Vec<u8> {
    let message = prost::Message::encode_to_vec(&echo_request(payload_bytes));
    let len = u32::try_from(message.len()).unwrap_or(u32::MAX);
    let mut frame = Vec::with_capacity(5 + message.len());
    frame.push(0);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&message);
    frame
}

/// The part `assess-coverage` asks for (stocked by the supply-chain demo data).
pub const COVERAGE_PART: &str = "RRU-5258";

/// The `assess-coverage` question: a Frankfurt site, one part, a 4 h window.
pub fn coverage_request() -> AssessCoverageRequest {
    AssessCoverageRequest {
        site: Some(SiteLocation {
            location: Some(LatLng {
                latitude: 50.11552,
                longitude: 8.68417,
            }),
            country: "DE".into(),
            site: "Frankfurt (bench)".into(),
        }),
        part_numbers: vec![COVERAGE_PART.into()],
        window: Some(prost_types::Duration {
            seconds: 4 * 3600,
            nanos: 0,
        }),
    }
}

/// Creates (or, for `get-customer`, reuses) the resources a scenario needs.
///
/// `get-customer` reuses the live customers already listed and creates only the missing
/// ones, so repeated runs keep the table at `count` rows (what the pgbench table mirrors).
/// `assess-coverage` loads the supply-chain demo data (idempotent) and checks once that
/// the question is answered.
pub async fn prepare(
    kind: Kind,
    channel: Channel,
    auth: &Auth,
    count: usize,
    payload_bytes: usize,
) -> anyhow::Result<Fixtures> {
    let mut client = CustomersServiceClient::new(channel.clone());
    match kind {
        Kind::Echo => Ok(Fixtures::Echo {
            payload: Arc::new(echo_request(payload_bytes).payload),
        }),
        Kind::GetCustomer | Kind::RankCustomers => {
            let mut names = existing_customers(&mut client, auth, count).await?;
            let missing = count.saturating_sub(names.len());
            let created: Vec<String> = futures::stream::iter(0..missing)
                .map(|i| {
                    let mut client = client.clone();
                    async move { create_customer(&mut client, auth, i).await }
                })
                .buffer_unordered(16)
                .try_collect()
                .await?;
            names.extend(created);
            if names.is_empty() {
                bail!("{} needs at least one fixture (--fixtures)", kind.name());
            }
            if kind == Kind::RankCustomers {
                return Ok(Fixtures::Ranked(names.len()));
            }
            Ok(Fixtures::Customers(names.into()))
        }
        Kind::RecordTouchpoint => {
            let pairs: Vec<(String, String)> = futures::stream::iter(0..count.max(1))
                .map(|i| {
                    let mut client = client.clone();
                    async move {
                        let customer = create_customer(&mut client, auth, i).await?;
                        let person = create_key_person(&mut client, auth, &customer, i).await?;
                        anyhow::Ok((customer, person))
                    }
                })
                .buffer_unordered(16)
                .try_collect()
                .await?;
            Ok(Fixtures::KeyPersons(pairs.into()))
        }
        Kind::AssessCoverage => {
            let token = auth
                .token()
                .context("assess-coverage needs an admin token to load its fixtures")?;
            symbolon_supplychain::demo::load_demo(channel.clone(), token)
                .await
                .context("loading the supply-chain demo data")?;
            let request = coverage_request();
            SupplyChainServiceClient::new(channel)
                .assess_coverage(auth.request(request.clone()))
                .await
                .context("the first AssessCoverage")?;
            Ok(Fixtures::Coverage(Arc::new(request)))
        }
        Kind::OpenIncident => {
            let names: Vec<String> = futures::stream::iter(0..count.max(1))
                .map(|i| {
                    let mut client = client.clone();
                    async move { create_customer(&mut client, auth, i).await }
                })
                .buffer_unordered(16)
                .try_collect()
                .await?;
            Ok(Fixtures::IncidentCustomers(names.into()))
        }
    }
}

async fn existing_customers(
    client: &mut CustomersServiceClient<Channel>,
    auth: &Auth,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut page_token = String::new();
    while names.len() < count {
        let page = client
            .list_customers(auth.request(ListCustomersRequest {
                page_size: 1000,
                page_token: page_token.clone(),
                filter: String::new(),
                show_deleted: false,
            }))
            .await
            .context("listing existing customers")?
            .into_inner();
        names.extend(page.customers.into_iter().map(|c| c.name));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    names.truncate(count);
    Ok(names)
}

async fn create_customer(
    client: &mut CustomersServiceClient<Channel>,
    auth: &Auth,
    i: usize,
) -> anyhow::Result<String> {
    let customer = client
        .create_customer(auth.request(CreateCustomerRequest {
            customer: Some(Customer {
                display_name: format!("Bench Customer {i}"),
                industry: Industry::TelecomOperator as i32,
                home_country: "DE".into(),
                description: "Created by symbolon-load as a benchmark fixture.".into(),
                ..Default::default()
            }),
            customer_id: String::new(),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await
        .context("creating a fixture customer")?
        .into_inner();
    Ok(customer.name)
}

async fn create_key_person(
    client: &mut CustomersServiceClient<Channel>,
    auth: &Auth,
    customer: &str,
    i: usize,
) -> anyhow::Result<String> {
    let person = client
        .create_key_person(auth.request(CreateKeyPersonRequest {
            parent: customer.to_string(),
            key_person: Some(KeyPerson {
                display_name: format!("Bench Person {i}"),
                title: "CTO".into(),
                decision_role: DecisionRole::DecisionMaker as i32,
                email: format!("bench{i}@example.com"),
                ..Default::default()
            }),
            key_person_id: String::new(),
            request_id: uuid::Uuid::new_v4().to_string(),
        }))
        .await
        .context("creating a fixture key person")?
        .into_inner();
    Ok(person.name)
}

/// One worker's means of making calls.
#[derive(Debug)]
pub enum Caller {
    /// Calls Echo.
    Echo {
        /// The client, on this worker's connection.
        client: EchoServiceClient<Channel>,
        /// Sent on every call.
        payload: Arc<Vec<u8>>,
    },
    /// Calls GetCustomer.
    GetCustomer {
        /// The client, on this worker's connection.
        client: CustomersServiceClient<Channel>,
        /// Customers to read.
        names: Arc<[String]>,
        /// The token.
        auth: Auth,
        /// xorshift64 state: which customer next.
        rng: u64,
    },
    /// Calls RecordTouchpoint.
    RecordTouchpoint {
        /// The client, on this worker's connection.
        client: CustomersServiceClient<Channel>,
        /// Key persons to record on.
        targets: Arc<[(String, String)]>,
        /// The token.
        auth: Auth,
        /// Which target next.
        next: usize,
    },
    /// Calls AssessCoverage.
    AssessCoverage {
        /// The client, on this worker's connection.
        client: SupplyChainServiceClient<Channel>,
        /// Asked on every call.
        request: Arc<AssessCoverageRequest>,
        /// The token.
        auth: Auth,
    },
    /// Calls RankCustomersForAttention.
    RankCustomers {
        /// The client, on this worker's connection.
        client: DashboardServiceClient<Channel>,
        /// The token.
        auth: Auth,
    },
    /// Calls OpenIncident, then CallForFire on the new incident.
    OpenIncident {
        /// The client, on this worker's connection.
        client: IncidentsServiceClient<Channel>,
        /// Customers to open incidents on.
        customers: Arc<[String]>,
        /// The token.
        auth: Auth,
        /// Which customer next.
        next: usize,
    },
}

impl Caller {
    /// Worker `worker`'s caller on `channel`.
    pub fn new(fixtures: &Fixtures, channel: Channel, auth: &Auth, worker: usize) -> Self {
        match fixtures {
            Fixtures::Echo { payload } => Caller::Echo {
                client: EchoServiceClient::new(channel),
                payload: payload.clone(),
            },
            Fixtures::Customers(names) => Caller::GetCustomer {
                client: CustomersServiceClient::new(channel),
                names: names.clone(),
                auth: auth.clone(),
                rng: 0x9E37_79B9_7F4A_7C15 ^ ((worker as u64 + 1) * 0xBF58_476D_1CE4_E5B9),
            },
            Fixtures::KeyPersons(targets) => Caller::RecordTouchpoint {
                client: CustomersServiceClient::new(channel),
                targets: targets.clone(),
                auth: auth.clone(),
                next: worker,
            },
            Fixtures::Coverage(request) => Caller::AssessCoverage {
                client: SupplyChainServiceClient::new(channel),
                request: request.clone(),
                auth: auth.clone(),
            },
            Fixtures::Ranked(_) => Caller::RankCustomers {
                client: DashboardServiceClient::new(channel),
                auth: auth.clone(),
            },
            Fixtures::IncidentCustomers(customers) => Caller::OpenIncident {
                client: IncidentsServiceClient::new(channel),
                customers: customers.clone(),
                auth: auth.clone(),
                next: worker,
            },
        }
    }

    /// Makes one call.
    pub async fn call(&mut self) -> Result<(), Status> {
        match self {
            Caller::Echo { client, payload } => {
                client
                    .echo(EchoRequest {
                        payload: payload.to_vec(),
                    })
                    .await?;
            }
            Caller::GetCustomer {
                client,
                names,
                auth,
                rng,
            } => {
                *rng ^= *rng << 13;
                *rng ^= *rng >> 7;
                *rng ^= *rng << 17;
                let name = &names[(*rng % names.len() as u64) as usize];
                client
                    .get_customer(auth.request(GetCustomerRequest { name: name.clone() }))
                    .await?;
            }
            Caller::RecordTouchpoint {
                client,
                targets,
                auth,
                next,
            } => {
                let (customer, person) = &targets[*next % targets.len()];
                *next = next.wrapping_add(1);
                client
                    .record_touchpoint(auth.request(touchpoint(customer, person)))
                    .await?;
            }
            Caller::AssessCoverage {
                client,
                request,
                auth,
            } => {
                client
                    .assess_coverage(auth.request(AssessCoverageRequest::clone(request)))
                    .await?;
            }
            Caller::RankCustomers { client, auth } => {
                client
                    .rank_customers_for_attention(auth.request(RankCustomersForAttentionRequest {
                        quarter: RANKED_QUARTER.into(),
                        page_size: 10,
                        page_token: String::new(),
                    }))
                    .await?;
            }
            Caller::OpenIncident {
                client,
                customers,
                auth,
                next,
            } => {
                let customer = &customers[*next % customers.len()];
                *next = next.wrapping_add(1);
                let incident = client
                    .open_incident(auth.request(open_incident(customer)))
                    .await?
                    .into_inner();
                client
                    .call_for_fire(auth.request(call_for_fire(&incident.name)))
                    .await?;
            }
        }
        Ok(())
    }
}

/// The quarter `rank-customers` asks for. The fixture customers have no touchpoints or
/// incidents in any quarter, so which one changes nothing: the call's cost is reading
/// every customer's quarter.
const RANKED_QUARTER: &str = "2026-Q4";

fn minute_ago() -> prost_types::Timestamp {
    // Never in the future, even with a little clock skew.
    let t = SystemTime::now()
        .checked_sub(Duration::from_secs(60))
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .unwrap_or_default();
    prost_types::Timestamp {
        seconds: i64::try_from(t.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(t.subsec_nanos()).unwrap_or(0),
    }
}

fn open_incident(customer: &str) -> OpenIncidentRequest {
    OpenIncidentRequest {
        parent: customer.to_string(),
        incident: Some(Incident {
            severity: Severity::Major as i32,
            summary: "Radio units at the Frankfurt site dropped off the network.".into(),
            detect_time: Some(minute_ago()),
            ..Default::default()
        }),
        request_id: uuid::Uuid::new_v4().to_string(),
    }
}

fn call_for_fire(incident: &str) -> CallForFireRequest {
    CallForFireRequest {
        parent: incident.to_string(),
        fire_request: Some(FireRequest {
            department: "supply-chain".into(),
            ask: "A replacement RRU-5258 on site within 4 hours.".into(),
            acknowledge_within: Some(prost_types::Duration {
                seconds: 15 * 60,
                nanos: 0,
            }),
            fulfil_within: Some(prost_types::Duration {
                seconds: 4 * 3600,
                nanos: 0,
            }),
            ..Default::default()
        }),
        request_id: uuid::Uuid::new_v4().to_string(),
    }
}

fn touchpoint(customer: &str, person: &str) -> RecordTouchpointRequest {
    RecordTouchpointRequest {
        parent: customer.to_string(),
        touchpoint: Some(Touchpoint {
            kind: TouchpointKind::Meeting as i32,
            key_person: person.to_string(),
            occur_time: Some(minute_ago()),
            summary: "Quarterly service review; the outage of last month came up.".into(),
            emotional_state: Some(EmotionalState {
                mood: Mood::Concerned as i32,
                intensity: 3,
            }),
            strategic_anxiety: "Another outage before the regulator's audit.".into(),
            implicit_expectations: vec!["A named engineer on call during the audit.".into()],
            ..Default::default()
        }),
        request_id: uuid::Uuid::new_v4().to_string(),
    }
}

/// Waits up to `timeout` for the target to answer: Echo for the echo server, the
/// standard health check (overall status SERVING) for a Symbolon service.
pub async fn wait_ready(
    kind: Kind,
    endpoint: &tonic::transport::Endpoint,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let last = match probe(kind, endpoint).await {
            Ok(()) => return Ok(()),
            Err(e) => format!("{e:#}"),
        };
        if Instant::now() >= deadline {
            bail!(
                "{} not ready after {:.1} s: {last}",
                endpoint.uri(),
                timeout.as_secs_f64()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn probe(kind: Kind, endpoint: &tonic::transport::Endpoint) -> anyhow::Result<()> {
    let channel = endpoint.connect().await?;
    match kind {
        Kind::Echo => {
            EchoServiceClient::new(channel)
                .echo(EchoRequest::default())
                .await?;
        }
        _ => {
            let status = HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await?
                .into_inner()
                .status;
            if status != ServingStatus::Serving as i32 {
                bail!("health status {status}");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_frame_is_length_prefixed_protobuf() {
        let frame = echo_grpc_frame(64);
        // tag 0x0a (field 1, length-delimited), length 64, then the payload.
        assert_eq!(&frame[..7], &[0, 0, 0, 0, 66, 0x0a, 64]);
        assert_eq!(frame.len(), 5 + 66);
        let decoded: EchoRequest = prost::Message::decode(&frame[5..]).unwrap();
        assert_eq!(decoded, echo_request(64));
    }

    #[test]
    fn touchpoint_has_every_required_field() {
        let req = touchpoint("customers/a", "customers/a/keyPersons/b");
        let t = req.touchpoint.unwrap();
        assert_eq!(t.key_person, "customers/a/keyPersons/b");
        assert!(t.occur_time.is_some_and(|o| o.seconds > 0));
        assert!(
            t.emotional_state
                .is_some_and(|e| (1..=5).contains(&e.intensity))
        );
        assert!(!t.strategic_anxiety.is_empty());
        assert!(!t.implicit_expectations.is_empty());
        assert!(uuid::Uuid::parse_str(&req.request_id).is_ok());
    }

    #[test]
    fn incident_pair_has_every_required_field() {
        let open = open_incident("customers/a");
        let i = open.incident.unwrap();
        assert_eq!(open.parent, "customers/a");
        assert_ne!(i.severity, Severity::Unspecified as i32);
        assert!(!i.summary.is_empty());
        assert!(i.detect_time.is_some_and(|d| d.seconds > 0));
        let fire = call_for_fire("customers/a/incidents/b")
            .fire_request
            .unwrap();
        let ack = fire.acknowledge_within.unwrap().seconds;
        assert!(ack > 0 && fire.fulfil_within.unwrap().seconds >= ack);
        assert!(!fire.department.is_empty() && !fire.ask.is_empty());
    }

    #[test]
    fn coverage_question_is_frankfurt_rru_in_four_hours() {
        let r = coverage_request();
        let site = r.site.unwrap();
        assert_eq!(site.country, "DE");
        assert!(
            site.location
                .is_some_and(|l| (l.latitude - 50.11552).abs() < 1e-9)
        );
        assert_eq!(r.part_numbers, vec![COVERAGE_PART.to_string()]);
        assert_eq!(r.window.unwrap().seconds, 4 * 3600);
    }

    #[test]
    fn token_goes_in_the_authorization_header() {
        let auth = Auth::new(Some("abc")).unwrap();
        let req = auth.request(());
        assert_eq!(req.metadata().get("authorization").unwrap(), "Bearer abc");
        assert_eq!(auth.token(), Some("abc"));
        assert!(
            Auth::new(Some("  "))
                .unwrap()
                .request(())
                .metadata()
                .is_empty()
        );
    }
}
