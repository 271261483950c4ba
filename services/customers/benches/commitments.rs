//! CreateCommitment benchmark (`cargo bench -p symbolon-customers --bench commitments`):
//! the two-service path — customers → supply-chain `BatchAssessCoverage` →
//! `CreateCoverageRegistration` → one customers transaction — with 32 calls in flight
//! (`COMMITMENTS_BENCH_CONCURRENCY`) for `COMMITMENTS_BENCH_SECS` (5) seconds, against
//! a bare tonic echo server measured the same way in the same run.
//!
//! Backend: SQLite unless `COMMITMENTS_BENCH_BACKEND=postgres` (then
//! `SYMBOLON_TEST_POSTGRES_URL`). Both services and every client share this process and
//! its cores: the figures are a floor. Printed, never asserted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/api/requests.rs"]
mod requests;

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};
use symbolon_contracts::{
    bench::v1::{
        EchoRequest, EchoResponse, echo_service_client::EchoServiceClient, echo_service_server,
    },
    common::v1::LatLng,
    customers::v1::{
        self as pb, commitments_service_client::CommitmentsServiceClient,
        customers_service_client::CustomersServiceClient,
    },
    supplychain::v1::{self as spb, supply_chain_service_client::SupplyChainServiceClient},
};
use symbolon_customers::CustomersConfig;
use symbolon_platform::auth::Org;
use symbolon_supplychain::SupplyChainConfig;
use symbolon_testkit::{Backend, Keys, TestDb, authed, server_config};
use tonic::{Request, Response, Status, transport::Channel};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone, Copy)]
struct Echo;

#[tonic::async_trait]
impl echo_service_server::EchoService for Echo {
    async fn echo(&self, r: Request<EchoRequest>) -> Result<Response<EchoResponse>, Status> {
        Ok(Response::new(EchoResponse {
            payload: r.into_inner().payload,
        }))
    }
}

struct Figures {
    ok: usize,
    errors: usize,
    p50: Duration,
    p99: Duration,
    rps: f64,
}

/// Runs `concurrency` loops of `call` for `secs`, each loop with its own client.
async fn drive<F, Fut>(concurrency: usize, secs: u64, call: F) -> Figures
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            while Instant::now() < end {
                let t = Instant::now();
                if call(worker).await {
                    lat.push(t.elapsed());
                } else {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    let wall = start.elapsed().as_secs_f64();
    all.sort();
    let q = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Figures {
        ok: all.len(),
        errors,
        p50: q(0.50),
        p99: q(0.99),
        rps: all.len() as f64 / wall,
    }
}

fn print(label: &str, f: &Figures) {
    println!(
        "{label:<42} ok {:>7}  errors {:>4}  p50 {:>9.3} ms  p99 {:>9.3} ms  {:>9.0} req/s",
        f.ok,
        f.errors,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
        f.rps
    );
}

async fn channel(addr: SocketAddr) -> Channel {
    symbolon_testkit::channel(addr).await
}

#[tokio::main]
async fn main() {
    let concurrency = env("COMMITMENTS_BENCH_CONCURRENCY", 32) as usize;
    let secs = env("COMMITMENTS_BENCH_SECS", 5);
    let backend = match std::env::var("COMMITMENTS_BENCH_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let keys = Keys::new();
    let admin = keys.vendor_admin();
    let frontline = keys.token("bench@vendor", &Org::Vendor, &["frontline"]);

    // Baseline: a bare tonic echo server.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let echo_addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(echo_service_server::EchoServiceServer::new(Echo))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );

    // The two services.
    let sc_db = TestDb::new(backend).await;
    let cu_db = TestDb::new(backend).await;
    let sc = symbolon_supplychain::Application::build(SupplyChainConfig::with_server(
        server_config("supplychain", &sc_db.url, &keys),
    ))
    .await
    .unwrap();
    let sc_addr = sc.local_addr();
    tokio::spawn(sc.run_until_stopped());
    let token_dir = tempfile::tempdir().unwrap();
    let token_file = token_dir.path().join("token");
    std::fs::write(
        &token_file,
        keys.token("service:customers", &Org::Vendor, &["analyst"]),
    )
    .unwrap();
    let mut config = CustomersConfig::new(server_config("customers", &cu_db.url, &keys))
        .with_supplychain(format!("http://{sc_addr}"), Some(token_file));
    config.timer_interval = Duration::from_secs(3600);
    let cu = symbolon_customers::Application::build(config)
        .await
        .unwrap();
    let cu_addr = cu.local_addr();
    tokio::spawn(cu.run_until_stopped());

    let mut sc_client = SupplyChainServiceClient::new(channel(sc_addr).await);
    sc_client
        .create_depot(authed(
            &admin,
            requests::depot("fra", "Frankfurt airport", "DE", (50.05, 8.57)),
        ))
        .await
        .unwrap();
    sc_client
        .set_stock_level(authed(
            &admin,
            requests::stock("depots/fra/stockLevels/RRU-5258", 5),
        ))
        .await
        .unwrap();
    let mut crm = CustomersServiceClient::new(channel(cu_addr).await);
    crm.create_customer(authed(
        &admin,
        requests::customer("acme", "ACME", pb::Industry::TelecomOperator, "DE"),
    ))
    .await
    .unwrap();
    crm.create_site(authed(
        &admin,
        requests::site(
            "customers/acme",
            "frankfurt",
            pb::Site {
                display_name: "Frankfurt plant".into(),
                country: "DE".into(),
                location: Some(LatLng {
                    latitude: 50.11552,
                    longitude: 8.68417,
                }),
                ..Default::default()
            },
        ),
    ))
    .await
    .unwrap();

    let request = || {
        let id = uuid::Uuid::new_v4().to_string();
        requests::create_commitment(&["frankfurt"], &["RRU-5258"], false, &id)
    };

    // Clients share one HTTP/2 connection per target, as a service mesh sidecar would.
    let echo = EchoServiceClient::new(channel(echo_addr).await);
    let commitments = CommitmentsServiceClient::new(channel(cu_addr).await);

    // Warm up both.
    for _ in 0..50 {
        let _ = echo
            .clone()
            .echo(EchoRequest {
                payload: vec![0; 64],
            })
            .await;
        let _ = commitments
            .clone()
            .create_commitment(authed(&frontline, request()))
            .await;
    }

    println!(
        "CreateCommitment, two services in one process, {backend:?}, {concurrency} in flight, {secs} s each ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let e = echo.clone();
    let baseline = drive(concurrency, secs, move |_| {
        let mut e = e.clone();
        async move {
            e.echo(EchoRequest {
                payload: vec![0; 64],
            })
            .await
            .is_ok()
        }
    })
    .await;
    print("bare tonic echo (baseline)", &baseline);
    let c = commitments.clone();
    let f = frontline.clone();
    let create = drive(concurrency, secs, move |_| {
        let mut c = c.clone();
        let req = authed(&f, request());
        async move { c.create_commitment(req).await.is_ok() }
    })
    .await;
    print("CreateCommitment (two-service path)", &create);

    // Where the time goes: the two supply-chain calls alone, at the same concurrency.
    let site = spb::SiteLocation {
        location: Some(LatLng {
            latitude: 50.11552,
            longitude: 8.68417,
        }),
        country: "DE".into(),
        site: "customers/acme/sites/frankfurt".into(),
    };
    let window = requests::dur(4 * 3600);
    let assess = spb::AssessCoverageRequest {
        site: Some(site.clone()),
        part_numbers: vec!["RRU-5258".into()],
        window,
    };
    let scc = SupplyChainServiceClient::new(channel(sc_addr).await);
    let (c, f) = (scc.clone(), frontline.clone());
    let batch = drive(concurrency, secs, move |_| {
        let mut c = c.clone();
        let req = authed(
            &f,
            spb::BatchAssessCoverageRequest {
                requests: vec![assess.clone(), assess.clone()],
            },
        );
        async move { c.batch_assess_coverage(req).await.is_ok() }
    })
    .await;
    print("  supply-chain BatchAssessCoverage", &batch);
    let (c, f) = (scc.clone(), frontline.clone());
    let register = drive(concurrency, secs, move |_| {
        let mut c = c.clone();
        let id = uuid::Uuid::new_v4().to_string();
        let req = authed(
            &f,
            spb::CreateCoverageRegistrationRequest {
                coverage_registration: Some(spb::CoverageRegistration {
                    site: Some(site.clone()),
                    part_numbers: vec!["RRU-5258".into()],
                    window,
                    reference: "bench".into(),
                    ..Default::default()
                }),
                coverage_registration_id: id.clone(),
                request_id: id,
            },
        );
        async move { c.create_coverage_registration(req).await.is_ok() }
    })
    .await;
    print("  supply-chain CreateCoverageRegistration", &register);
    println!(
        "ratio vs echo: throughput {:.3}, p50 latency ×{:.1}",
        create.rps / baseline.rps.max(1.0),
        create.p50.as_secs_f64() / baseline.p50.as_secs_f64().max(1e-9)
    );
}
