//! Labs log benchmark (`cargo bench -p symbolon-labs`), on PostgreSQL
//! (`SYMBOLON_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`):
//!
//! 1. append throughput: entries/s for batches of 1, 100 and 1000 entries, one appender
//!    and four at once (each append is one transaction on the lab's counter row);
//! 2. fan-out: `LABS_BENCH_WATCHERS` (1000) watchers of one lab while entries are
//!    appended at `LABS_BENCH_RATE` (1000) per second for `LABS_BENCH_SECS` (10) s:
//!    delivery latency percentiles (append commit time to receipt), deliveries/s,
//!    watchers told they fell behind, and the resident memory of the process.
//!
//! Customers, labs and every client run in this one process, on the same cores: the
//! figures are a floor. Printed, never asserted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use hdrhistogram::Histogram;
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use symbolon_contracts::{
    customers::v1::{self as cpb, customers_service_client::CustomersServiceClient},
    labs::v1::{
        self as pb, MemberRole, labs_service_client::LabsServiceClient,
        watch_log_entries_response::Event,
    },
};
use symbolon_customers::{Application as Customers, CustomersConfig};
use symbolon_labs::{Application as Labs, LabsConfig};
use symbolon_platform::{auth::Org, time::from_timestamp};
use symbolon_testkit::{Backend, Keys, TestDb, authed, server_config};
use tokio::sync::Mutex;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

fn batch(lab: &str, n: usize) -> pb::AppendLogEntriesRequest {
    pb::AppendLogEntriesRequest {
        parent: lab.into(),
        entries: (0..n)
            .map(|i| pb::LogEntry {
                component: "mac-scheduler".into(),
                message: format!("iteration {i}: PF weight 0.{i}, cell-edge throughput +2.1 %"),
                attributes: [("iteration".to_string(), i.to_string())].into(),
                ..Default::default()
            })
            .collect(),
        request_id: String::new(),
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    // Warnings and errors of the services (e.g. the cause of an INTERNAL) on stderr.
    let _telemetry = symbolon_platform::telemetry::init(
        "labs-bench",
        symbolon_platform::telemetry::LogFormat::Text,
    )
    .ok();
    let customers_db = TestDb::new(Backend::Postgres).await;
    let labs_db = TestDb::new(Backend::Postgres).await;
    let keys = Keys::new();
    let customers = Customers::build(CustomersConfig::new(server_config(
        "customers",
        &customers_db.url,
        &keys,
    )))
    .await
    .unwrap();
    let customers_addr = customers.local_addr();
    let mut services = vec![customers.shutdown_token()];
    tokio::spawn(customers.run_until_stopped());
    let mut server = server_config("labs", &labs_db.url, &keys);
    server.concurrency_limit = 100_000;
    let labs = Labs::build(LabsConfig::new(server, format!("http://{customers_addr}")))
        .await
        .unwrap();
    let labs_addr = labs.local_addr();
    services.push(labs.shutdown_token());
    tokio::spawn(labs.run_until_stopped());
    let admin = keys.vendor_admin();
    let eng = keys.token("eng@vendor", &Org::Vendor, &[]);
    let watcher = keys.token("jonas@acme", &Org::Customer("acme".into()), &[]);

    let mut crm = CustomersServiceClient::new(symbolon_testkit::channel(customers_addr).await);
    crm.create_customer(authed(
        &admin,
        cpb::CreateCustomerRequest {
            customer: Some(cpb::Customer {
                display_name: "Acme".into(),
                industry: cpb::Industry::TelecomOperator as i32,
                home_country: "DE".into(),
                ..Default::default()
            }),
            customer_id: "acme".into(),
            request_id: String::new(),
        },
    ))
    .await
    .unwrap();
    crm.create_key_person(authed(
        &admin,
        cpb::CreateKeyPersonRequest {
            parent: "customers/acme".into(),
            key_person: Some(cpb::KeyPerson {
                display_name: "Jonas".into(),
                title: "Engineer".into(),
                decision_role: cpb::DecisionRole::Evaluator as i32,
                subject: "jonas@acme".into(),
                ..Default::default()
            }),
            key_person_id: "jonas".into(),
            request_id: String::new(),
        },
    ))
    .await
    .unwrap();
    let c = LabsServiceClient::new(symbolon_testkit::channel(labs_addr).await);
    let lab = |id: &'static str| {
        let mut c = c.clone();
        let admin = admin.clone();
        async move {
            c.create_lab(authed(
                &admin,
                pb::CreateLabRequest {
                    lab: Some(pb::Lab {
                        customer: "customers/acme".into(),
                        display_name: id.into(),
                        ..Default::default()
                    }),
                    lab_id: id.into(),
                    request_id: String::new(),
                },
            ))
            .await
            .unwrap();
            for m in [
                pb::Member {
                    subject: "eng@vendor".into(),
                    roles: vec![MemberRole::VendorEngineer as i32],
                    ..Default::default()
                },
                pb::Member {
                    key_person: "customers/acme/keyPersons/jonas".into(),
                    roles: vec![MemberRole::CustomerEngineer as i32],
                    ..Default::default()
                },
            ] {
                c.create_member(authed(
                    &admin,
                    pb::CreateMemberRequest {
                        parent: format!("labs/{id}"),
                        member: Some(m),
                        ..Default::default()
                    },
                ))
                .await
                .unwrap();
            }
            format!("labs/{id}")
        }
    };

    println!("== labs log benchmark (PostgreSQL, one process) ==");
    // 1. Append throughput.
    let throughput_lab = lab("throughput").await;
    for (size, appenders) in [(1, 1), (100, 1), (1000, 1), (100, 4), (1000, 4)] {
        let calls = (20_000 / size).clamp(20, 2000) / appenders;
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..appenders {
            let mut c = c.clone();
            let (eng, lab) = (eng.clone(), throughput_lab.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..calls {
                    c.append_log_entries(authed(&eng, batch(&lab, size)))
                        .await
                        .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let secs = started.elapsed().as_secs_f64();
        let n = (calls * appenders * size) as f64;
        println!(
            "append  batch={size:>4} appenders={appenders}: {:>9.0} entries/s ({:>7.1} appends/s)",
            n / secs,
            (calls * appenders) as f64 / secs
        );
    }

    // 2. Fan-out.
    let watchers = env("LABS_BENCH_WATCHERS", 1000) as usize;
    let rate = env("LABS_BENCH_RATE", 1000);
    let secs = env("LABS_BENCH_SECS", 10);
    let fan_lab = lab("fanout").await;
    let rss_before = rss_mib();
    let hist = Arc::new(Mutex::new(
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap(),
    ));
    let delivered = Arc::new(AtomicU64::new(0));
    let fell_behind = Arc::new(AtomicU64::new(0));
    let stop = tokio_util::sync::CancellationToken::new();
    // `LABS_BENCH_STREAMS_PER_CONNECTION` (100) watch streams per HTTP/2 connection.
    let per_conn = env("LABS_BENCH_STREAMS_PER_CONNECTION", 100).max(1) as usize;
    let batch_entries = env("LABS_BENCH_BATCH", 0) as i32;
    let mut channels = Vec::new();
    for _ in 0..watchers.div_ceil(per_conn) {
        channels.push(symbolon_testkit::channel(labs_addr).await);
    }
    let mut tasks = Vec::new();
    for i in 0..watchers {
        let mut wc = LabsServiceClient::new(channels[i / per_conn].clone());
        let (token, lab) = (watcher.clone(), fan_lab.clone());
        let (hist, delivered, fell_behind, stop) = (
            hist.clone(),
            delivered.clone(),
            fell_behind.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut local = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
            let mut next = 0;
            'outer: loop {
                let mut s = wc
                    .watch_log_entries(authed(
                        &token,
                        pb::WatchLogEntriesRequest {
                            parent: lab.clone(),
                            start_sequence: next,
                            max_batch_entries: batch_entries,
                        },
                    ))
                    .await
                    .unwrap()
                    .into_inner();
                loop {
                    let msg = tokio::select! {
                        _ = stop.cancelled() => break 'outer,
                        m = s.message() => m,
                    };
                    let mut receive = |e: &pb::LogEntry, now: i64| {
                        let sent = e.create_time.as_ref().and_then(|t| from_timestamp(t).ok());
                        if let Some(sent) = sent {
                            let _ = local.record((now - sent).max(1) as u64);
                        }
                        delivered.fetch_add(1, Ordering::Relaxed);
                    };
                    match msg {
                        Ok(Some(pb::WatchLogEntriesResponse {
                            event: Some(Event::Entry(e)),
                        })) => receive(&e, now_micros()),
                        Ok(Some(pb::WatchLogEntriesResponse {
                            event: Some(Event::Entries(b)),
                        })) => {
                            let now = now_micros();
                            for e in &b.entries {
                                receive(e, now);
                            }
                        }
                        Ok(Some(pb::WatchLogEntriesResponse {
                            event: Some(Event::FellBehind(f)),
                        })) => {
                            fell_behind.fetch_add(1, Ordering::Relaxed);
                            next = f.resume_sequence;
                            continue 'outer;
                        }
                        _ => break 'outer,
                    }
                }
            }
            hist.lock().await.add(&local).unwrap();
        }));
    }
    // Let every watcher subscribe.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_watching = rss_mib();
    // Append `rate` entries per second in batches of rate/100 every 10 ms.
    let per_tick = (rate / 100).max(1) as usize;
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let appended = Arc::new(AtomicU64::new(0));
    let mut peak = rss_watching;
    let mut pending = Vec::new();
    let mut ticks = 0u64;
    while started.elapsed() < Duration::from_secs(secs) {
        tick.tick().await;
        // Appends are issued at the rate regardless of how long each takes (they queue
        // on the lab's counter row and commit in order).
        let (mut c, eng, lab, appended) =
            (c.clone(), eng.clone(), fan_lab.clone(), appended.clone());
        pending.push(tokio::spawn(async move {
            match c
                .append_log_entries(authed(&eng, batch(&lab, per_tick)))
                .await
            {
                Ok(_) => {
                    appended.fetch_add(per_tick as u64, Ordering::Relaxed);
                }
                Err(s) => eprintln!("append failed: {:?} {}", s.code(), s.message()),
            }
        }));
        ticks += 1;
        if ticks.is_multiple_of(100) {
            peak = peak.max(rss_mib());
        }
    }
    for p in pending {
        p.await.unwrap();
    }
    let appended = appended.load(Ordering::Relaxed);
    let append_secs = started.elapsed().as_secs_f64();
    // Drain.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.cancel();
    for t in tasks {
        let _ = t.await;
    }
    let h = hist.lock().await;
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "fan-out ({per_conn} streams per connection) {watchers} watchers, {:.0} entries/s appended for {secs} s: {} of {} deliveries, {:.0} deliveries/s",
        appended as f64 / append_secs,
        delivered.load(Ordering::Relaxed),
        appended * watchers as u64,
        delivered.load(Ordering::Relaxed) as f64 / (append_secs + 2.0),
    );
    println!(
        "fan-out delivery latency: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 <= 50 ms)",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        h.max() as f64 / 1000.0
    );
    println!(
        "fan-out watchers told they fell behind: {}",
        fell_behind.load(Ordering::Relaxed)
    );
    println!(
        "memory (RSS of the whole process: both services and all clients): {rss_before:.0} MiB before watchers, {rss_watching:.0} MiB with {watchers} idle watchers, {peak:.0} MiB peak while appending"
    );
    // Stop the services before their databases are dropped.
    for s in services {
        s.cancel();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
}
