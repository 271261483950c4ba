//! Graceful shutdown of the real binary: SIGTERM during in-flight calls.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use symbolon_contracts::customers::v1::{
    self as pb, customers_service_client::CustomersServiceClient,
};
use symbolon_testkit::{Keys, authed};
/// When a call started, and how it ended.
type Outcome = (Instant, Result<(), tonic::Code>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_calls_and_exits_zero() {
    sigterm_drains_in_flight_calls("2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_calls_on_the_current_thread_runtime() {
    sigterm_drains_in_flight_calls("1").await;
}

/// The service with `workers` runtime worker threads (1: the current-thread scheduler).
async fn sigterm_drains_in_flight_calls(workers: &str) {
    let keys = Keys::new();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_symbolon-customers"))
        .env("SYMBOLON_LISTEN_ADDR", addr.to_string())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/c.db?mode=rwc", dir.path().display()),
        )
        .env("SYMBOLON_JWT_PUBLIC_KEY_FILE", keys.public_key_file())
        .env("SYMBOLON_SHUTDOWN_DELAY_MS", "1500")
        .env("SYMBOLON_LOG", "warn")
        .env("SYMBOLON_WORKER_THREADS", workers)
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let channel = loop {
        match tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
        {
            Ok(c) => break c,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    let admin = keys.vendor_admin();
    let mut client = CustomersServiceClient::new(channel.clone());
    client
        .create_customer(authed(
            &admin,
            pb::CreateCustomerRequest {
                customer: Some(pb::Customer {
                    display_name: "A".into(),
                    industry: 1,
                    home_country: "DE".into(),
                    ..Default::default()
                }),
                customer_id: "acme".into(),
                request_id: String::new(),
            },
        ))
        .await
        .unwrap();

    // Callers keep calls in flight the whole time; each records when it started and
    // how it ended.
    let sigterm_at: Arc<Mutex<Option<Instant>>> = Arc::default();
    let results: Arc<Mutex<Vec<Outcome>>> = Arc::default();
    let mut workers = Vec::new();
    for _ in 0..8 {
        let mut client = client.clone();
        let admin = admin.clone();
        let results = results.clone();
        workers.push(tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(4);
            while Instant::now() < deadline {
                let started = Instant::now();
                let r = client
                    .get_customer(authed(
                        &admin,
                        pb::GetCustomerRequest {
                            name: "customers/acme".into(),
                        },
                    ))
                    .await
                    .map(|_| ())
                    .map_err(|s| s.code());
                let failed = r.is_err();
                results.lock().unwrap().push((started, r));
                if failed {
                    break;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id().unwrap().to_string();
    *sigterm_at.lock().unwrap() = Some(Instant::now());
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );

    // During the shutdown delay the server still answers, and says NOT_SERVING.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut health = tonic_health_client(channel.clone());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::NotServing as i32
    );

    let exit = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("exits in time")
        .unwrap();
    assert!(exit.success(), "exit status {exit:?}");
    for w in workers {
        w.await.unwrap();
    }
    let sigterm = sigterm_at.lock().unwrap().unwrap();
    let results = results.lock().unwrap();
    let before: Vec<_> = results.iter().filter(|(t, _)| *t < sigterm).collect();
    assert!(before.len() > 8, "calls were in flight before SIGTERM");
    assert!(
        before.iter().all(|(_, r)| r.is_ok()),
        "every call started before SIGTERM completed: {before:?}"
    );
}

fn tonic_health_client(
    channel: tonic::transport::Channel,
) -> tonic_health::pb::health_client::HealthClient<tonic::transport::Channel> {
    tonic_health::pb::health_client::HealthClient::new(channel)
}
