//! Fault drills: the real binaries, a database or a dependency made to fail (a TCP
//! proxy that pauses or resets), processes killed. Each drill asserts counts — codes,
//! acknowledged writes found, duplicates — never speed.
//!
//! `SYMBOLON_DRILLS_HEAVY=1` runs more kills and more writers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{collections::BTreeMap, net::SocketAddr, sync::Arc, time::Duration};
use symbolon_contracts::{
    customers::v1::{self as cpb, customers_service_client::CustomersServiceClient},
    labs::v1::{self as lpb, labs_service_client::LabsServiceClient},
};
use symbolon_suite_tests::{free_addr, health, health_becomes, proxy::FaultProxy, start};
use symbolon_testkit::{Backend, Keys, TestDb, authed, postgres_admin_url};
use tonic::{Code, transport::Channel};
use tonic_health::pb::health_check_response::ServingStatus;

const CUSTOMERS_READY: &str = "symbolon.customers.v1.CustomersService";

fn heavy() -> bool {
    std::env::var("SYMBOLON_DRILLS_HEAVY").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// A channel that reconnects by itself after the service restarts.
fn lazy_channel(addr: SocketAddr) -> Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(1))
        .connect_lazy()
}

/// The PostgreSQL test database's URL rewritten to go through `proxy`, and the real
/// server's address for the proxy to forward to.
async fn through_proxy(url: &str) -> (SocketAddr, impl Fn(SocketAddr) -> String) {
    let admin = postgres_admin_url();
    let rest = admin.split_once("://").map_or(admin.as_str(), |(_, r)| r);
    let host_port = rest
        .rsplit_once('@')
        .map_or(rest, |(_, h)| h)
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let upstream = tokio::net::lookup_host(host_port.as_str())
        .await
        .unwrap()
        .next()
        .unwrap();
    let url = url.to_string();
    (upstream, move |proxy: SocketAddr| {
        url.replacen(&host_port, &proxy.to_string(), 1)
    })
}

/// What every service of a drill is started with.
fn base_env(keys: &Keys, database_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", database_url.to_string()),
        (
            "SYMBOLON_JWT_PUBLIC_KEY_FILE",
            keys.public_key_file().display().to_string(),
        ),
    ]
}

fn touchpoint(customer: &str, request_id: &str) -> cpb::RecordTouchpointRequest {
    cpb::RecordTouchpointRequest {
        parent: format!("customers/{customer}"),
        touchpoint: Some(cpb::Touchpoint {
            kind: cpb::TouchpointKind::Incident as i32,
            key_person: format!("customers/{customer}/keyPersons/cto"),
            occur_time: Some(prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            summary: "Night-time outage alarm".into(),
            emotional_state: Some(cpb::EmotionalState {
                mood: cpb::Mood::Anxious as i32,
                intensity: 4,
            }),
            strategic_anxiety: "Regulator fines after one hour of outage".into(),
            implicit_expectations: vec!["Spare parts on site within the hour".into()],
            ..Default::default()
        }),
        request_id: request_id.into(),
    }
}

/// A customer with a key person, for touchpoints.
async fn customer_with_key_person(
    client: &mut CustomersServiceClient<Channel>,
    admin: &str,
    id: &str,
) {
    client
        .create_customer(authed(
            admin,
            cpb::CreateCustomerRequest {
                customer: Some(cpb::Customer {
                    display_name: format!("Customer {id}"),
                    industry: cpb::Industry::TelecomOperator as i32,
                    home_country: "DE".into(),
                    ..Default::default()
                }),
                customer_id: id.into(),
                request_id: String::new(),
            },
        ))
        .await
        .unwrap();
    client
        .create_key_person(authed(
            admin,
            cpb::CreateKeyPersonRequest {
                parent: format!("customers/{id}"),
                key_person: Some(cpb::KeyPerson {
                    display_name: "Dr. Anna Weber".into(),
                    title: "CTO".into(),
                    decision_role: cpb::DecisionRole::DecisionMaker as i32,
                    ..Default::default()
                }),
                key_person_id: "cto".into(),
                request_id: String::new(),
            },
        ))
        .await
        .unwrap();
}

/// Every touchpoint of `customer`, by name.
async fn all_touchpoints(
    client: &mut CustomersServiceClient<Channel>,
    admin: &str,
    customer: &str,
) -> Vec<String> {
    let mut names = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_touchpoints(authed(
                admin,
                cpb::ListTouchpointsRequest {
                    parent: format!("customers/{customer}"),
                    page_size: 500,
                    page_token: page_token.clone(),
                    filter: String::new(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        names.extend(page.touchpoints.into_iter().map(|t| t.name));
        if page.next_page_token.is_empty() {
            return names;
        }
        page_token = page.next_page_token;
    }
}

/// Records a touchpoint, retrying with the same request id until it is acknowledged.
async fn record_until_acknowledged(
    client: &mut CustomersServiceClient<Channel>,
    admin: &str,
    customer: &str,
    request_id: &str,
) -> String {
    loop {
        let mut req = authed(admin, touchpoint(customer, request_id));
        req.set_timeout(Duration::from_secs(5));
        match client.record_touchpoint(req).await {
            Ok(t) => return t.into_inner().name,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

fn count_codes(results: &[Result<(), Code>]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in results {
        let key = match r {
            Ok(()) => "OK".to_string(),
            Err(c) => format!("{c:?}"),
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// PostgreSQL stops answering (every byte held) while calls run, then answers again.
/// Calls end within their deadline with DEADLINE_EXCEEDED or UNAVAILABLE, never
/// CANCELLED; readiness goes NOT_SERVING and back by itself while liveness stays
/// SERVING; nothing acknowledged is lost and the failed writes, retried with their
/// request ids, are each stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_database_fails_calls_in_time_and_recovers() {
    let db = TestDb::new(Backend::Postgres).await;
    let (upstream, via) = through_proxy(&db.url).await;
    let proxy = FaultProxy::start(upstream).await;
    let keys = Keys::new();
    let mut env = base_env(&keys, &via(proxy.addr));
    env.extend([
        ("SYMBOLON_REQUEST_TIMEOUT_MS", "2000".to_string()),
        ("SYMBOLON_DB_ACQUIRE_TIMEOUT_MS", "500".to_string()),
        ("SYMBOLON_DB_PROBE_INTERVAL_MS", "200".to_string()),
        ("SYMBOLON_DB_UNREADY_AFTER_MS", "1000".to_string()),
    ]);
    let customers = start("symbolon-customers", free_addr(), &env).await;
    let admin = keys.vendor_admin();
    let mut client = CustomersServiceClient::new(lazy_channel(customers.addr));
    customer_with_key_person(&mut client, &admin, "paused").await;
    let mut acknowledged = Vec::new();
    for _ in 0..5 {
        let id = uuid::Uuid::new_v4().to_string();
        acknowledged.push(record_until_acknowledged(&mut client, &admin, "paused", &id).await);
    }

    proxy.pause();
    let request_ids: Vec<String> = (0..16).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let mut calls = tokio::task::JoinSet::new();
    for (i, id) in request_ids.iter().enumerate() {
        let (mut client, admin, id) = (client.clone(), admin.clone(), id.clone());
        calls.spawn(async move {
            if i % 2 == 0 {
                client
                    .record_touchpoint(authed(&admin, touchpoint("paused", &id)))
                    .await
                    .map(|_| ())
                    .map_err(|s| s.code())
            } else {
                client
                    .get_customer(authed(
                        &admin,
                        cpb::GetCustomerRequest {
                            name: "customers/paused".into(),
                        },
                    ))
                    .await
                    .map(|_| ())
                    .map_err(|s| s.code())
            }
        });
    }
    let results = calls.join_all().await;
    let counts = count_codes(&results);
    println!("16 calls with PostgreSQL paused: {counts:?}");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(Code::DeadlineExceeded | Code::Unavailable))),
        "every call ends with DEADLINE_EXCEEDED or UNAVAILABLE: {counts:?}"
    );

    // Readiness follows the database, liveness does not.
    assert!(
        health_becomes(
            customers.addr,
            CUSTOMERS_READY,
            ServingStatus::NotServing,
            50
        )
        .await,
        "readiness goes NOT_SERVING while the database does not answer"
    );
    assert_eq!(
        health(customers.addr, "").await,
        Some(ServingStatus::Serving as i32),
        "liveness stays SERVING"
    );
    // Known unreachable: a call fails at once instead of waiting.
    let unready = client
        .get_customer(authed(
            &admin,
            cpb::GetCustomerRequest {
                name: "customers/paused".into(),
            },
        ))
        .await
        .map(|_| ())
        .map_err(|s| s.code());
    assert_eq!(unready, Err(Code::Unavailable));

    proxy.resume();
    assert!(
        health_becomes(customers.addr, CUSTOMERS_READY, ServingStatus::Serving, 100).await,
        "readiness comes back by itself"
    );
    for id in request_ids.iter().step_by(2) {
        acknowledged.push(record_until_acknowledged(&mut client, &admin, "paused", id).await);
    }
    let stored = all_touchpoints(&mut client, &admin, "paused").await;
    let mut distinct = stored.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), stored.len(), "no touchpoint stored twice");
    let mut want = acknowledged.clone();
    want.sort();
    assert_eq!(
        distinct, want,
        "every acknowledged write, and only those, stored"
    );
    customers.stop().await;
}

/// SIGTERM while PostgreSQL does not answer and calls wait on it: after the shutdown
/// delay and the drain timeout the calls end with UNAVAILABLE and the process exits 0
/// (it used to stay up for as long as the database stayed silent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_the_database_gone_exits_within_the_bound() {
    let db = TestDb::new(Backend::Postgres).await;
    let (upstream, via) = through_proxy(&db.url).await;
    let proxy = FaultProxy::start(upstream).await;
    let keys = Keys::new();
    let mut env = base_env(&keys, &via(proxy.addr));
    let (delay_ms, drain_ms) = (300u64, 1000u64);
    env.extend([
        ("SYMBOLON_SHUTDOWN_DELAY_MS", delay_ms.to_string()),
        ("SYMBOLON_DRAIN_TIMEOUT_MS", drain_ms.to_string()),
        // Nothing else ends the calls: only the drain bound can.
        ("SYMBOLON_REQUEST_TIMEOUT_MS", "120000".to_string()),
        ("SYMBOLON_DB_ACQUIRE_TIMEOUT_MS", "120000".to_string()),
        ("SYMBOLON_DB_UNREADY_AFTER_MS", "120000".to_string()),
    ]);
    let mut customers = start("symbolon-customers", free_addr(), &env).await;
    let admin = keys.vendor_admin();
    let mut client = CustomersServiceClient::new(lazy_channel(customers.addr));
    customer_with_key_person(&mut client, &admin, "gone").await;

    proxy.pause();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (mut client, admin) = (client.clone(), admin.clone());
        calls.spawn(async move {
            let id = uuid::Uuid::new_v4().to_string();
            client
                .record_touchpoint(authed(&admin, touchpoint("gone", &id)))
                .await
                .map(|_| ())
                .map_err(|s| s.code())
        });
    }
    // Let every call reach the database before the signal.
    tokio::time::sleep(Duration::from_millis(300)).await;
    customers.signal("TERM");
    // The bound plus a second, and slack for a loaded test machine: a hang is a hang.
    let limit = Duration::from_millis(delay_ms + drain_ms + 1000) + Duration::from_secs(5);
    let status = customers.exit_within(limit).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "exit 0 within the bound, the database still silent: {status:?}"
    );
    let results = calls.join_all().await;
    let counts = count_codes(&results);
    println!("8 calls in flight at SIGTERM, PostgreSQL paused: {counts:?}");
    assert_eq!(
        counts.get("Unavailable"),
        Some(&8),
        "every call still running at the bound ends with UNAVAILABLE: {counts:?}"
    );
    drop(proxy);
}

/// SIGKILL under concurrent writers, again and again, on both back ends: every
/// acknowledged touchpoint is there afterwards, and retries with the same request id
/// (across the kills) stored none twice.
async fn sigkill_during_concurrent_writes(backend: Backend) {
    let (kills, writers) = if heavy() { (40, 32) } else { (10, 8) };
    let db = TestDb::new(backend).await;
    let keys = Keys::new();
    let env = base_env(&keys, &db.url);
    let addr = free_addr();
    let mut customers = start("symbolon-customers", addr, &env).await;
    let admin = keys.vendor_admin();
    let mut client = CustomersServiceClient::new(lazy_channel(addr));
    customer_with_key_person(&mut client, &admin, "killed").await;

    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..writers {
        let (mut client, admin, acknowledged, stop) = (
            client.clone(),
            admin.clone(),
            acknowledged.clone(),
            stop.clone(),
        );
        tasks.spawn(async move {
            let mut issued = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Acquire) {
                let id = uuid::Uuid::new_v4().to_string();
                let name = record_until_acknowledged(&mut client, &admin, "killed", &id).await;
                acknowledged.lock().unwrap().push(name);
                issued += 1;
            }
            issued
        });
    }
    let acked = || acknowledged.lock().unwrap().len();
    for _ in 0..kills {
        // Some writes acknowledged by this process, then it dies mid-stream.
        let before = acked();
        let mut waited = 0;
        while acked() < before + 2 * writers {
            waited += 1;
            assert!(waited < 3000, "writes make progress after a restart");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        customers.kill().await;
        customers = start("symbolon-customers", addr, &env).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Release);
    let issued: usize = tasks.join_all().await.into_iter().sum();
    let acknowledged = acknowledged.lock().unwrap().clone();
    let stored = all_touchpoints(&mut client, &admin, "killed").await;
    let mut distinct = stored.clone();
    distinct.sort();
    distinct.dedup();
    let mut want = acknowledged.clone();
    want.sort();
    println!(
        "{backend:?}: {kills} SIGKILLs, {writers} writers: {} acknowledged, {} stored, {} distinct",
        want.len(),
        stored.len(),
        distinct.len()
    );
    assert_eq!(want.len(), issued, "every request id ended acknowledged");
    assert_eq!(distinct.len(), stored.len(), "no touchpoint stored twice");
    assert_eq!(distinct, want, "every acknowledged write is readable");
    customers.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_concurrent_writes_sqlite() {
    sigkill_during_concurrent_writes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_concurrent_writes_postgres() {
    sigkill_during_concurrent_writes(Backend::Postgres).await;
}

/// The customers service down (connections reset), then hung (bytes held), while labs
/// creates a lab: UNAVAILABLE each time and nothing written; once it is back, the same
/// request id creates the lab once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_down_or_hung_for_labs() {
    let keys = Keys::new();
    let (customers_db, labs_db) = (
        TestDb::new(Backend::Sqlite).await,
        TestDb::new(Backend::Sqlite).await,
    );
    let customers = start(
        "symbolon-customers",
        free_addr(),
        &base_env(&keys, &customers_db.url),
    )
    .await;
    let proxy = FaultProxy::start(customers.addr).await;
    let mut labs_env = base_env(&keys, &labs_db.url);
    labs_env.extend([
        ("SYMBOLON_CUSTOMERS_URL", format!("http://{}", proxy.addr)),
        ("SYMBOLON_LABS_CUSTOMERS_DEADLINE_MS", "1000".to_string()),
    ]);
    let labs = start("symbolon-labs", free_addr(), &labs_env).await;
    let admin = keys.vendor_admin();
    customer_with_key_person(
        &mut CustomersServiceClient::new(lazy_channel(customers.addr)),
        &admin,
        "acme",
    )
    .await;
    let mut client = LabsServiceClient::new(lazy_channel(labs.addr));
    let request_id = uuid::Uuid::new_v4().to_string();
    let create = |client: &mut LabsServiceClient<Channel>| {
        let mut client = client.clone();
        let (admin, request_id) = (admin.clone(), request_id.clone());
        async move {
            client
                .create_lab(authed(
                    &admin,
                    lpb::CreateLabRequest {
                        lab: Some(lpb::Lab {
                            customer: "customers/acme".into(),
                            display_name: "5G core lab".into(),
                            ..Default::default()
                        }),
                        lab_id: "core".into(),
                        request_id,
                    },
                ))
                .await
                .map(|l| l.into_inner().name)
        }
    };
    let labs_stored = |client: &mut LabsServiceClient<Channel>| {
        let mut client = client.clone();
        let admin = admin.clone();
        async move {
            client
                .list_labs(authed(&admin, lpb::ListLabsRequest::default()))
                .await
                .unwrap()
                .into_inner()
                .labs
                .len()
        }
    };

    proxy.reset();
    let down = create(&mut client).await.map_err(|s| s.code());
    assert_eq!(down, Err(Code::Unavailable), "customers down");
    assert_eq!(labs_stored(&mut client).await, 0, "nothing written");
    proxy.pause();
    let hung = create(&mut client).await.map_err(|s| s.code());
    assert_eq!(hung, Err(Code::Unavailable), "customers hung");
    assert_eq!(labs_stored(&mut client).await, 0, "nothing written");
    proxy.resume();
    let first = create(&mut client).await.unwrap();
    let again = create(&mut client).await.unwrap();
    assert_eq!(first, again, "the retry finds the lab the first call made");
    assert_eq!(labs_stored(&mut client).await, 1, "created once");
    labs.stop().await;
    customers.stop().await;
}
