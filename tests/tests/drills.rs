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
    supplychain::v1::{self as spb, supply_chain_service_client::SupplyChainServiceClient},
};
use symbolon_platform::Org;
use symbolon_suite_tests::{Service, free_addr, health, health_becomes, proxy::FaultProxy, start};
use symbolon_testkit::{
    Backend, Keys, TestDb, authed, create_customer_request, create_depot_request,
    create_key_person_request, create_site_request, postgres_admin_url, set_stock_request,
};
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
    let telecom = cpb::Industry::TelecomOperator;
    let customer = create_customer_request(id, format!("Customer {id}"), telecom, "DE");
    client
        .create_customer(authed(admin, customer))
        .await
        .unwrap();
    let person = create_key_person_request(format!("customers/{id}"), "cto", "Dr. Anna Weber", "");
    client
        .create_key_person(authed(admin, person))
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
    let signalled = std::time::Instant::now();
    customers.signal("TERM");
    // The bound plus a second, and slack for a loaded test machine: a hang is a hang.
    let limit = Duration::from_millis(delay_ms + drain_ms + 1000) + Duration::from_secs(5);
    let status = customers.exit_within(limit).await;
    // A figure for the record, not an assertion.
    println!(
        "SIGTERM to exit, PostgreSQL paused: {} ms (delay + drain = {} ms)",
        signalled.elapsed().as_millis(),
        delay_ms + drain_ms
    );
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

/// Customers on `db`, holding customer acme with its key person: what the labs drills
/// check their lab against.
async fn customers_with_acme(keys: &Keys, db: &TestDb) -> Service {
    let customers = start("symbolon-customers", free_addr(), &base_env(keys, &db.url)).await;
    customer_with_key_person(
        &mut CustomersServiceClient::new(lazy_channel(customers.addr)),
        &keys.vendor_admin(),
        "acme",
    )
    .await;
    customers
}

/// The lab the labs drills create: `labs/core` of customer acme.
fn core_lab(request_id: String) -> lpb::CreateLabRequest {
    lpb::CreateLabRequest {
        lab: Some(lpb::Lab {
            customer: "customers/acme".into(),
            display_name: "5G core lab".into(),
            ..Default::default()
        }),
        lab_id: "core".into(),
        request_id,
    }
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
    let customers = customers_with_acme(&keys, &customers_db).await;
    let proxy = FaultProxy::start(customers.addr).await;
    let mut labs_env = base_env(&keys, &labs_db.url);
    labs_env.extend([
        ("SYMBOLON_CUSTOMERS_URL", format!("http://{}", proxy.addr)),
        ("SYMBOLON_LABS_CUSTOMERS_DEADLINE_MS", "1000".to_string()),
    ]);
    let labs = start("symbolon-labs", free_addr(), &labs_env).await;
    let admin = keys.vendor_admin();
    let mut client = LabsServiceClient::new(lazy_channel(labs.addr));
    let request_id = uuid::Uuid::new_v4().to_string();
    let create = |client: &mut LabsServiceClient<Channel>| {
        let mut client = client.clone();
        let (admin, request_id) = (admin.clone(), request_id.clone());
        async move {
            client
                .create_lab(authed(&admin, core_lab(request_id)))
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

/// Appends one entry to `lab`, retrying with the same request id until acknowledged;
/// its sequence number.
async fn append_until_acknowledged(
    client: &mut LabsServiceClient<Channel>,
    admin: &str,
    lab: &str,
    n: usize,
) -> i64 {
    let request_id = uuid::Uuid::new_v4().to_string();
    loop {
        let mut req = authed(
            admin,
            lpb::AppendLogEntriesRequest {
                parent: lab.into(),
                entries: vec![lpb::LogEntry {
                    component: "rrc".into(),
                    message: format!("step {n}"),
                    ..Default::default()
                }],
                request_id: request_id.clone(),
            },
        );
        req.set_timeout(Duration::from_secs(5));
        match client.append_log_entries(req).await {
            Ok(r) => return r.into_inner().entries[0].sequence,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// A watcher follows a lab's live log while labs is SIGKILLed and restarted, again and
/// again, under appends: resuming after the last sequence it saw, it gets every
/// acknowledged entry exactly once, in order, with no gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_labs_watcher_across_sigkills() {
    let kills = if heavy() { 20 } else { 5 };
    let keys = Keys::new();
    let (customers_db, labs_db) = (
        TestDb::new(Backend::Sqlite).await,
        TestDb::new(Backend::Sqlite).await,
    );
    let customers = customers_with_acme(&keys, &customers_db).await;
    let mut labs_env = base_env(&keys, &labs_db.url);
    labs_env.push((
        "SYMBOLON_CUSTOMERS_URL",
        format!("http://{}", customers.addr),
    ));
    let addr = free_addr();
    let mut labs = start("symbolon-labs", addr, &labs_env).await;
    let admin = keys.vendor_admin();
    let mut client = LabsServiceClient::new(lazy_channel(addr));
    let lab = client
        .create_lab(authed(&admin, core_lab(String::new())))
        .await
        .unwrap()
        .into_inner()
        .name;

    // The watcher: reconnects after any end, from the sequence after the last it saw.
    let seen = Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let watcher = {
        let (mut client, admin, lab, seen) =
            (client.clone(), admin.clone(), lab.clone(), seen.clone());
        tokio::spawn(async move {
            loop {
                let next = seen.lock().unwrap().last().map_or(1, |s| s + 1);
                let stream = client
                    .watch_log_entries(authed(
                        &admin,
                        lpb::WatchLogEntriesRequest {
                            parent: lab.clone(),
                            start_sequence: next,
                            ..Default::default()
                        },
                    ))
                    .await;
                let Ok(stream) = stream else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let mut stream = stream.into_inner();
                while let Ok(Some(msg)) = stream.message().await {
                    if let Some(lpb::watch_log_entries_response::Event::Entry(e)) = msg.event {
                        seen.lock().unwrap().push(e.sequence);
                    }
                }
            }
        })
    };

    let mut appended = Vec::new();
    let mut n = 0;
    for _ in 0..kills {
        for _ in 0..10 {
            n += 1;
            appended.push(append_until_acknowledged(&mut client, &admin, &lab, n).await);
        }
        labs.kill().await;
        labs = start("symbolon-labs", addr, &labs_env).await;
    }
    for _ in 0..10 {
        n += 1;
        appended.push(append_until_acknowledged(&mut client, &admin, &lab, n).await);
    }
    // The watcher catches up with the last acknowledged entry.
    let last = *appended.iter().max().unwrap();
    let mut waited = 0;
    while seen.lock().unwrap().last().copied() < Some(last) {
        waited += 1;
        assert!(waited < 3000, "the watcher catches up");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    watcher.abort();
    let seen = seen.lock().unwrap().clone();
    println!(
        "labs watcher across {kills} SIGKILLs: {} appended, {} delivered",
        appended.len(),
        seen.len()
    );
    let expected: Vec<i64> = (1..=last).collect();
    assert_eq!(seen, expected, "every entry once, in order, no gap");
    appended.sort();
    assert_eq!(appended, expected, "each append acknowledged once");
    labs.stop().await;
    customers.stop().await;
}

/// Supply-chain with a depot and stock, customers (following the risk stream with a
/// service token) calling it through a fault proxy.
struct CommitmentWorld {
    keys: Keys,
    admin: String,
    _dbs: (TestDb, TestDb),
    _token_dir: TempDir,
    customers_env: Vec<(&'static str, String)>,
    customers: Option<Service>,
    supplychain: Service,
    proxy: FaultProxy,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl CommitmentWorld {
    async fn new(backend: Backend) -> Self {
        let keys = Keys::new();
        let admin = keys.vendor_admin();
        let (sc_db, cu_db) = (TestDb::new(backend).await, TestDb::new(backend).await);
        let dir = std::env::temp_dir().join(format!("symbolon-drill-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let token_file = dir.join("service-token");
        std::fs::write(
            &token_file,
            keys.token("service:customers", &Org::Vendor, &["analyst"]),
        )
        .unwrap();
        let mut sc_env = base_env(&keys, &sc_db.url);
        sc_env.push(("SYMBOLON_SUPPLYCHAIN_RISK_POLL_MS", "100".to_string()));
        let supplychain = start("symbolon-supplychain", free_addr(), &sc_env).await;
        let proxy = FaultProxy::start(supplychain.addr).await;
        let mut customers_env = base_env(&keys, &cu_db.url);
        customers_env.extend([
            ("SYMBOLON_SUPPLYCHAIN_URL", format!("http://{}", proxy.addr)),
            ("SYMBOLON_SUPPLYCHAIN_DEADLINE_MS", "1000".to_string()),
            (
                "SYMBOLON_SERVICE_TOKEN_FILE",
                token_file.display().to_string(),
            ),
        ]);
        let customers = start("symbolon-customers", free_addr(), &customers_env).await;
        let w = Self {
            keys,
            admin,
            _dbs: (sc_db, cu_db),
            _token_dir: TempDir(dir),
            customers_env,
            customers: Some(customers),
            supplychain,
            proxy,
        };
        let mut sc = w.supplychain();
        let depot = create_depot_request("fra", "Frankfurt airport", "DE", (50.05, 8.57));
        sc.create_depot(authed(&w.admin, depot)).await.unwrap();
        let stock = set_stock_request("depots/fra/stockLevels/RRU-5258", 3);
        sc.set_stock_level(authed(&w.admin, stock)).await.unwrap();
        let mut crm = CustomersServiceClient::new(lazy_channel(w.customers_addr()));
        customer_with_key_person(&mut crm, &w.admin, "acme").await;
        let core = (50.11552, 8.68417);
        let site = create_site_request("customers/acme", "frankfurt", "Frankfurt core", "DE", core);
        crm.create_site(authed(&w.admin, site)).await.unwrap();
        w
    }

    fn supplychain(&self) -> SupplyChainServiceClient<Channel> {
        SupplyChainServiceClient::new(lazy_channel(self.supplychain.addr))
    }

    fn commitments(&self) -> cpb::commitments_service_client::CommitmentsServiceClient<Channel> {
        cpb::commitments_service_client::CommitmentsServiceClient::new(lazy_channel(
            self.customers_addr(),
        ))
    }

    async fn create(&self, request_id: &str) -> Result<cpb::Commitment, Code> {
        let frontline = self
            .keys
            .token("fiona@vendor", &Org::Vendor, &["frontline"]);
        let request = cpb::CreateCommitmentRequest {
            parent: "customers/acme".into(),
            commitment: Some(cpb::Commitment {
                display_name: "Production line non-stop guarantee".into(),
                clauses: vec![cpb::CommitmentClause {
                    kind: Some(cpb::commitment_clause::Kind::SpareParts(
                        cpb::SparePartsClause {
                            sites: vec!["customers/acme/sites/frankfurt".into()],
                            part_numbers: vec!["RRU-5258".into()],
                            window: Some(prost_types::Duration {
                                seconds: 4 * 3600,
                                nanos: 0,
                            }),
                        },
                    )),
                }],
                ..Default::default()
            }),
            request_id: request_id.into(),
            accept_risk: false,
        };
        self.commitments()
            .create_commitment(authed(&frontline, request))
            .await
            .map(tonic::Response::into_inner)
            .map_err(|s| s.code())
    }

    async fn stored(&self) -> (usize, usize) {
        let commitments = self
            .commitments()
            .list_commitments(authed(
                &self.admin,
                cpb::ListCommitmentsRequest {
                    parent: "customers/acme".into(),
                    page_size: 100,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .commitments
            .len();
        let registrations = self
            .supplychain()
            .list_coverage_registrations(authed(
                &self.admin,
                spb::ListCoverageRegistrationsRequest {
                    page_size: 1000,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .coverage_registrations
            .len();
        (commitments, registrations)
    }

    async fn set_depot(&self, status: spb::DepotStatus) {
        self.supplychain()
            .update_depot(authed(
                &self.admin,
                spb::UpdateDepotRequest {
                    depot: Some(spb::Depot {
                        name: "depots/fra".into(),
                        status: status as i32,
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["status".into()],
                    }),
                },
            ))
            .await
            .unwrap();
    }

    /// Asks every 100 ms, at most `tries` times, until the commitment has `status`.
    async fn becomes(&self, name: &str, status: cpb::CommitmentStatus, tries: usize) -> bool {
        for _ in 0..tries {
            let c = self
                .commitments()
                .get_commitment(authed(
                    &self.admin,
                    cpb::GetCommitmentRequest { name: name.into() },
                ))
                .await;
            if c.is_ok_and(|c| c.into_inner().status == status as i32) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    async fn history(&self, name: &str) -> Vec<cpb::CommitmentStatusChange> {
        self.commitments()
            .list_commitment_status_changes(authed(
                &self.admin,
                cpb::ListCommitmentStatusChangesRequest {
                    parent: name.into(),
                    page_size: 100,
                    page_token: String::new(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .status_changes
    }

    async fn kill_and_restart_customers(&mut self) {
        let addr = self.customers_addr();
        if let Some(old) = self.customers.take() {
            old.kill().await;
        }
        self.customers = Some(start("symbolon-customers", addr, &self.customers_env).await);
    }

    fn customers_addr(&self) -> SocketAddr {
        self.customers.as_ref().map(|c| c.addr).unwrap()
    }
}

/// Supply-chain down (connections reset), then hung (bytes held), for CreateCommitment:
/// UNAVAILABLE each time with nothing written on either side; once it is back, the same
/// request id creates the commitment and its registration once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supplychain_down_or_hung_for_create_commitment() {
    let w = CommitmentWorld::new(Backend::Sqlite).await;
    let request_id = uuid::Uuid::new_v4().to_string();
    w.proxy.reset();
    assert_eq!(w.create(&request_id).await.err(), Some(Code::Unavailable));
    assert_eq!(w.stored().await, (0, 0), "nothing written while down");
    w.proxy.pause();
    assert_eq!(w.create(&request_id).await.err(), Some(Code::Unavailable));
    assert_eq!(w.stored().await.0, 0, "no commitment while hung");
    w.proxy.resume();
    let first = w.create(&request_id).await.unwrap();
    let again = w.create(&request_id).await.unwrap();
    assert_eq!(first.name, again.name, "the retry finds the first one");
    assert_eq!(w.stored().await, (1, 1), "one commitment, one registration");
}

/// The risk stream's cursor across SIGKILLs of customers: depot changes made while
/// customers is down are applied once it is back, each exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_risk_cursor_across_sigkills_of_customers() {
    let mut w = CommitmentWorld::new(Backend::Sqlite).await;
    let c = w.create(&uuid::Uuid::new_v4().to_string()).await.unwrap();
    assert_eq!(c.status, cpb::CommitmentStatus::Healthy as i32);
    let rounds = if heavy() { 10 } else { 2 };
    for _ in 0..rounds {
        for (status, want) in [
            (spb::DepotStatus::Outage, cpb::CommitmentStatus::AtRisk),
            (
                spb::DepotStatus::Operational,
                cpb::CommitmentStatus::Healthy,
            ),
        ] {
            w.kill_and_restart_customers().await;
            w.set_depot(status).await;
            assert!(
                w.becomes(&c.name, want, 300).await,
                "{} becomes {want:?}",
                c.name
            );
        }
    }
    let history = w.history(&c.name).await;
    let statuses: Vec<i32> = history.iter().map(|h| h.status).collect();
    let mut expected = vec![cpb::CommitmentStatus::Healthy as i32];
    for _ in 0..rounds {
        expected.push(cpb::CommitmentStatus::AtRisk as i32);
        expected.push(cpb::CommitmentStatus::Healthy as i32);
    }
    println!(
        "risk cursor across {} SIGKILLs: {} status changes",
        2 * rounds,
        history.len()
    );
    assert_eq!(statuses, expected, "each risk event applied once");
    let sequences: Vec<i64> = history.iter().map(|h| h.sequence).collect();
    assert_eq!(sequences, (1..=expected.len() as i64).collect::<Vec<_>>());
}
