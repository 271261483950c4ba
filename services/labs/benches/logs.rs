//! Labs log benchmark (`cargo bench -p symbolon-labs --bench logs`), on PostgreSQL
//! (`SYMBOLON_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`):
//!
//! 1. append throughput: entries/s for batches of 1, 100 and 1000 entries, one appender
//!    and four at once (each append is one transaction on the lab's counter row);
//! 2. fan-out: `LABS_BENCH_WATCHERS` (1000) watchers of one lab while entries are
//!    appended at `LABS_BENCH_RATE` (1000) per second for `LABS_BENCH_SECS` (10) s:
//!    delivery latency percentiles (from the entry's create time, taken by the service
//!    before the append commits and is acknowledged, to receipt by the watcher),
//!    deliveries/s, watchers told they fell behind, delivery errors (gaps, duplicates,
//!    disorder: must be 0), and the service's resident memory and CPU.
//!
//! Settings:
//! - `LABS_BENCH_BATCHES` (`100,0`): one fan-out round per value of the watchers'
//!   `max_batch_entries` (0: one `entry` event per entry, the default of the API);
//! - `LABS_BENCH_STREAMS_PER_CONNECTION` (50): watch streams per HTTP/2 connection;
//! - `LABS_BENCH_DECODE` (`lean`): `lean` watchers decode only what they measure (the
//!   sequence number and create time of every entry; the other fields are skipped);
//!   `full` decodes every field into the generated types, as an application would;
//! - `LABS_BENCH_SERVICE` (`process`): `process` runs the real `symbolon-labs` binary
//!   as a process of its own (its memory and CPU are then the service's alone);
//!   `inline` runs it inside this process.
//!
//! Everything runs on this machine's cores: the clients' decoding competes with the
//! service, so the figures are a floor. Printed, never asserted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use hdrhistogram::Histogram;
use prost::Message;
use std::{
    future::Future,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicI64, AtomicU64, Ordering},
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
use tonic::{
    Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    codegen::http,
    transport::Channel,
};

// The watchers share the machine with the service: the same allocator keeps their cost down.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn env_str(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// A `/proc/<pid>/status` figure in MiB (`pid` may be `self`).
fn status_mib(pid: &str, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// User + system CPU seconds of `pid` so far (`/proc/<pid>/stat`, in 1/100 s).
fn cpu_secs(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 1..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
        })
        .map_or(0.0, |ticks| ticks / 100.0)
}

/// CPU seconds of every PostgreSQL server process so far.
fn postgres_cpu_secs() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|pid| cpu_secs(&pid))
        .sum()
}

/// Busy CPU seconds of the whole machine so far (`/proc/stat`: all but idle and
/// iowait).
fn machine_busy_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|v| v.parse().ok())
        .collect();
    let idle = f.get(3).copied().unwrap_or(0.0) + f.get(4).copied().unwrap_or(0.0);
    (f.iter().sum::<f64>() - idle) / 100.0
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

// What a lean watcher decodes of `WatchLogEntriesResponse`: the same field numbers,
// every other field skipped (oneof members as optional fields decode the same).
#[derive(Clone, PartialEq, Message)]
struct LeanEntry {
    #[prost(int64, tag = "2")]
    sequence: i64,
    #[prost(message, optional, tag = "7")]
    create_time: Option<prost_types::Timestamp>,
}

#[derive(Clone, PartialEq, Message)]
struct LeanBatch {
    #[prost(message, repeated, tag = "1")]
    entries: Vec<LeanEntry>,
}

#[derive(Clone, PartialEq, Message)]
struct LeanResponse {
    #[prost(message, optional, tag = "1")]
    entry: Option<LeanEntry>,
    #[prost(message, optional, tag = "2")]
    fell_behind: Option<pb::FellBehind>,
    #[prost(message, optional, tag = "3")]
    entries: Option<LeanBatch>,
}

/// Client codec: the generated request, a lean response.
#[derive(Default)]
struct LeanCodec;
struct LeanEncoder;
struct LeanDecoder;

impl Codec for LeanCodec {
    type Encode = pb::WatchLogEntriesRequest;
    type Decode = LeanResponse;
    type Encoder = LeanEncoder;
    type Decoder = LeanDecoder;
    fn encoder(&mut self) -> LeanEncoder {
        LeanEncoder
    }
    fn decoder(&mut self) -> LeanDecoder {
        LeanDecoder
    }
}

impl Encoder for LeanEncoder {
    type Item = pb::WatchLogEntriesRequest;
    type Error = Status;
    fn encode(&mut self, item: Self::Item, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode(dst)
            .map_err(|e| Status::internal(e.to_string()))
    }
}

impl Decoder for LeanDecoder {
    type Item = LeanResponse;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<LeanResponse>, Status> {
        LeanResponse::decode(src)
            .map(Some)
            .map_err(|e| Status::internal(e.to_string()))
    }
}

/// A watch event as the benchmark sees it.
trait Watched: Send + Sized + 'static {
    fn open(
        channel: Channel,
        req: tonic::Request<pb::WatchLogEntriesRequest>,
    ) -> impl Future<Output = Result<tonic::Streaming<Self>, Status>> + Send;
    /// Calls `f(sequence, create time in µs)` for every entry; the resume sequence of a
    /// fell-behind event.
    fn visit(&self, f: impl FnMut(i64, Option<i64>)) -> Option<i64>;
}

impl Watched for pb::WatchLogEntriesResponse {
    async fn open(
        channel: Channel,
        req: tonic::Request<pb::WatchLogEntriesRequest>,
    ) -> Result<tonic::Streaming<Self>, Status> {
        Ok(LabsServiceClient::new(channel)
            .watch_log_entries(req)
            .await?
            .into_inner())
    }

    fn visit(&self, mut f: impl FnMut(i64, Option<i64>)) -> Option<i64> {
        let time = |e: &pb::LogEntry| e.create_time.as_ref().and_then(|t| from_timestamp(t).ok());
        match &self.event {
            Some(Event::Entry(e)) => f(e.sequence, time(e)),
            Some(Event::Entries(b)) => b.entries.iter().for_each(|e| f(e.sequence, time(e))),
            Some(Event::FellBehind(fb)) => return Some(fb.resume_sequence),
            None => {}
        }
        None
    }
}

impl Watched for LeanResponse {
    async fn open(
        channel: Channel,
        req: tonic::Request<pb::WatchLogEntriesRequest>,
    ) -> Result<tonic::Streaming<Self>, Status> {
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready()
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let path =
            http::uri::PathAndQuery::from_static("/symbolon.labs.v1.LabsService/WatchLogEntries");
        Ok(grpc
            .server_streaming(req, path, LeanCodec)
            .await?
            .into_inner())
    }

    fn visit(&self, mut f: impl FnMut(i64, Option<i64>)) -> Option<i64> {
        let time = |e: &LeanEntry| {
            e.create_time
                .as_ref()
                .map(|t| t.seconds * 1_000_000 + i64::from(t.nanos) / 1000)
        };
        if let Some(e) = &self.entry {
            f(e.sequence, time(e));
        }
        if let Some(b) = &self.entries {
            b.entries.iter().for_each(|e| f(e.sequence, time(e)));
        }
        self.fell_behind.as_ref().map(|fb| fb.resume_sequence)
    }
}

/// What the watchers of one round counted.
struct Counts {
    delivered: AtomicU64,
    fell_behind: AtomicU64,
    /// Entries out of order, repeated or skipped.
    errors: AtomicU64,
    /// When the appender got the acknowledgement of each sequence number (µs; 0: not
    /// yet).
    acks: Vec<AtomicI64>,
    /// Worst latency from acknowledgement (µs) per second of the round.
    timeline: Vec<AtomicU64>,
    /// Start of the round (µs).
    start: i64,
}

impl Counts {
    fn new(entries: usize, secs: usize) -> Self {
        Self {
            delivered: AtomicU64::new(0),
            fell_behind: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            acks: (0..entries).map(|_| AtomicI64::new(0)).collect(),
            timeline: (0..secs).map(|_| AtomicU64::new(0)).collect(),
            start: now_micros(),
        }
    }

    fn acknowledged(&self, seq: i64, at: i64) {
        if let Some(a) = usize::try_from(seq).ok().and_then(|s| self.acks.get(s)) {
            a.store(at, Ordering::Relaxed);
        }
    }

    /// Latency from the acknowledgement of `seq` to `now` (1 µs when it arrived before
    /// the appender saw the acknowledgement).
    fn since_ack(&self, seq: i64, now: i64) -> Option<u64> {
        let ack = self
            .acks
            .get(usize::try_from(seq).ok()?)?
            .load(Ordering::Relaxed);
        let latency = if ack == 0 {
            1
        } else {
            (now - ack).max(1) as u64
        };
        let second = usize::try_from((now - self.start) / 1_000_000).ok()?;
        if let Some(t) = self.timeline.get(second) {
            t.fetch_max(latency, Ordering::Relaxed);
        }
        Some(latency)
    }
}

/// Latencies seen by one watcher: from the entry's create time (taken by the service
/// before the append commits) and from the append's acknowledgement.
struct Latencies {
    from_create: Histogram<u64>,
    from_ack: Histogram<u64>,
}

impl Latencies {
    fn new() -> Self {
        let h = || Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        Self {
            from_create: h(),
            from_ack: h(),
        }
    }
}

/// One watcher: from the lab's next entry on, reconnecting where told after falling
/// behind, until `stop`.
async fn watcher<T: Watched>(
    channel: Channel,
    token: String,
    lab: String,
    batch_entries: i32,
    counts: Arc<Counts>,
    stop: tokio_util::sync::CancellationToken,
) -> Latencies {
    let mut hist = Latencies::new();
    // 0: from the next entry appended; then exactly the one after the last received.
    let mut next = 0;
    'outer: loop {
        let req = authed(
            &token,
            pb::WatchLogEntriesRequest {
                parent: lab.clone(),
                start_sequence: next,
                max_batch_entries: batch_entries,
            },
        );
        let mut s = match T::open(channel.clone(), req).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("watch failed: {:?} {}", e.code(), e.message());
                counts.errors.fetch_add(1, Ordering::Relaxed);
                break;
            }
        };
        loop {
            let msg = tokio::select! {
                _ = stop.cancelled() => break 'outer,
                m = s.message() => m,
            };
            let Ok(Some(event)) = msg else {
                if let Err(e) = msg {
                    eprintln!("watch ended: {:?} {}", e.code(), e.message());
                    counts.errors.fetch_add(1, Ordering::Relaxed);
                }
                break 'outer;
            };
            let now = now_micros();
            let mut n = 0;
            let resume = event.visit(|seq, sent| {
                if next != 0 && seq != next {
                    counts.errors.fetch_add(1, Ordering::Relaxed);
                }
                next = seq + 1;
                if let Some(sent) = sent {
                    let _ = hist.from_create.record((now - sent).max(1) as u64);
                }
                if let Some(l) = counts.since_ack(seq, now) {
                    let _ = hist.from_ack.record(l);
                }
                n += 1;
            });
            counts.delivered.fetch_add(n, Ordering::Relaxed);
            if let Some(resume) = resume {
                counts.fell_behind.fetch_add(1, Ordering::Relaxed);
                next = resume;
                continue 'outer;
            }
        }
    }
    hist
}

/// The labs service under test.
enum Service {
    Inline(tokio_util::sync::CancellationToken),
    Process(tokio::process::Child),
}

impl Service {
    /// `/proc` name of the service's process.
    fn pid(&self) -> String {
        match self {
            Service::Inline(_) => "self".into(),
            Service::Process(c) => c.id().map_or("self".into(), |p| p.to_string()),
        }
    }

    async fn stop(self) {
        match self {
            Service::Inline(t) => t.cancel(),
            Service::Process(mut c) => {
                let _ = c.start_kill();
                let _ = c.wait().await;
            }
        }
    }
}

async fn free_port() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

/// Starts the `symbolon-labs` binary and waits until it answers.
async fn spawn_labs(db: &str, keys: &Keys, customers: SocketAddr) -> (Service, SocketAddr) {
    let addr = free_port().await;
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_symbolon-labs"))
        .env("SYMBOLON_LABS_LISTEN_ADDR", addr.to_string())
        .env("SYMBOLON_LABS_DATABASE_URL", db)
        .env("SYMBOLON_LABS_JWT_PUBLIC_KEY_FILE", keys.public_key_file())
        .env("SYMBOLON_LABS_CUSTOMERS_URL", format!("http://{customers}"))
        .env("SYMBOLON_LABS_CONCURRENCY_LIMIT", "100000")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start symbolon-labs");
    let started = Instant::now();
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "symbolon-labs did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (Service::Process(child), addr)
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
    let customers_stop = customers.shutdown_token();
    tokio::spawn(customers.run_until_stopped());
    let in_process = env_str("LABS_BENCH_SERVICE", "process") == "inline";
    let (service, labs_addr) = if in_process {
        let mut server = server_config("labs", &labs_db.url, &keys);
        server.concurrency_limit = 100_000;
        let labs = Labs::build(LabsConfig::new(server, format!("http://{customers_addr}")))
            .await
            .unwrap();
        let addr = labs.local_addr();
        let token = labs.shutdown_token();
        tokio::spawn(labs.run_until_stopped());
        (Service::Inline(token), addr)
    } else {
        spawn_labs(&labs_db.url, &keys, customers_addr).await
    };
    let pid = service.pid();
    let admin = keys.vendor_admin();
    let eng = keys.token("eng@vendor", &Org::Vendor, &["department:rnd"]);
    let watcher_token = keys.token(
        "jonas@acme",
        &Org::Customer("acme".into()),
        &["customer-engineer"],
    );

    let mut crm = CustomersServiceClient::new(symbolon_testkit::channel(customers_addr).await);
    crm.create_customer(authed(
        &admin,
        symbolon_testkit::create_customer_request(
            "acme",
            "Acme",
            cpb::Industry::TelecomOperator,
            "DE",
        ),
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
    let lab = |id: String| {
        let mut c = c.clone();
        let admin = admin.clone();
        async move {
            c.create_lab(authed(
                &admin,
                pb::CreateLabRequest {
                    lab: Some(pb::Lab {
                        customer: "customers/acme".into(),
                        display_name: id.clone(),
                        ..Default::default()
                    }),
                    lab_id: id.clone(),
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

    println!(
        "== labs log benchmark (PostgreSQL; service {}) ==",
        if in_process {
            "inside the benchmark process"
        } else {
            "as its own process (symbolon-labs)"
        }
    );
    // 1. Append throughput.
    let throughput_lab = lab("throughput".into()).await;
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

    // 2. Fan-out, one round per batching mode.
    let watchers = env("LABS_BENCH_WATCHERS", 1000) as usize;
    let rate = env("LABS_BENCH_RATE", 1000);
    let secs = env("LABS_BENCH_SECS", 10);
    let per_conn = env("LABS_BENCH_STREAMS_PER_CONNECTION", 50).max(1) as usize;
    let lean = env_str("LABS_BENCH_DECODE", "lean") != "full";
    let modes: Vec<i32> = env_str("LABS_BENCH_BATCHES", "100,0")
        .split(',')
        .filter_map(|m| m.trim().parse().ok())
        .collect();
    for (round, batch_entries) in modes.into_iter().enumerate() {
        let fan_lab = lab(format!("fanout{round}")).await;
        let rss_before = status_mib(&pid, "VmRSS:");
        let counts = Arc::new(Counts::new(
            (rate * (secs + 5)) as usize + 10_000,
            secs as usize + 10,
        ));
        let stop = tokio_util::sync::CancellationToken::new();
        let mut channels = Vec::new();
        for _ in 0..watchers.div_ceil(per_conn) {
            channels.push(symbolon_testkit::channel(labs_addr).await);
        }
        let mut tasks = Vec::new();
        for i in 0..watchers {
            let args = (
                channels[i / per_conn].clone(),
                watcher_token.clone(),
                fan_lab.clone(),
                batch_entries,
                counts.clone(),
                stop.clone(),
            );
            tasks.push(if lean {
                tokio::spawn(watcher::<LeanResponse>(
                    args.0, args.1, args.2, args.3, args.4, args.5,
                ))
            } else {
                tokio::spawn(watcher::<pb::WatchLogEntriesResponse>(
                    args.0, args.1, args.2, args.3, args.4, args.5,
                ))
            });
        }
        // Let every watcher subscribe.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss_watching = status_mib(&pid, "VmRSS:");
        // Append `rate` entries per second in batches of rate/100 every 10 ms.
        let per_tick = (rate / 100).max(1) as usize;
        let cpu_start = cpu_secs(&pid);
        let bench_cpu_start = cpu_secs("self");
        let pg_cpu_start = postgres_cpu_secs();
        let machine_start = machine_busy_secs();
        let started = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        let appended = Arc::new(AtomicU64::new(0));
        let mut peak = rss_watching;
        let mut pending = Vec::new();
        let mut ticks = 0u64;
        while started.elapsed() < Duration::from_secs(secs) {
            tick.tick().await;
            // Appends are issued at the rate regardless of how long each takes (they
            // queue on the lab's counter row and commit in order).
            let (mut c, eng, lab, appended, counts) = (
                c.clone(),
                eng.clone(),
                fan_lab.clone(),
                appended.clone(),
                counts.clone(),
            );
            pending.push(tokio::spawn(async move {
                match c
                    .append_log_entries(authed(&eng, batch(&lab, per_tick)))
                    .await
                {
                    Ok(r) => {
                        let now = now_micros();
                        for e in &r.get_ref().entries {
                            counts.acknowledged(e.sequence, now);
                        }
                        appended.fetch_add(per_tick as u64, Ordering::Relaxed);
                    }
                    Err(s) => eprintln!("append failed: {:?} {}", s.code(), s.message()),
                }
            }));
            ticks += 1;
            if ticks.is_multiple_of(100) {
                peak = peak.max(status_mib(&pid, "VmRSS:"));
            }
        }
        for p in pending {
            p.await.unwrap();
        }
        let appended = appended.load(Ordering::Relaxed);
        let append_secs = started.elapsed().as_secs_f64();
        let cpu = cpu_secs(&pid) - cpu_start;
        let bench_cpu = cpu_secs("self") - bench_cpu_start;
        let pg_cpu = postgres_cpu_secs() - pg_cpu_start;
        let busy = machine_busy_secs() - machine_start;
        // Drain.
        tokio::time::sleep(Duration::from_secs(2)).await;
        stop.cancel();
        let mut all = Latencies::new();
        for t in tasks {
            if let Ok(local) = t.await {
                all.from_create.add(&local.from_create).unwrap();
                all.from_ack.add(&local.from_ack).unwrap();
            }
        }
        let h = &all.from_ack;
        let delivered = counts.delivered.load(Ordering::Relaxed);
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        let mode = if batch_entries > 0 {
            format!("max_batch_entries={batch_entries}")
        } else {
            "one entry per event".to_string()
        };
        println!(
            "fan-out [{mode}; {} decode; {per_conn} streams per connection] {watchers} watchers, {:.0} entries/s appended for {secs} s: {delivered} of {} deliveries, {:.0} deliveries/s",
            if lean { "lean" } else { "full" },
            appended as f64 / append_secs,
            appended * watchers as u64,
            delivered as f64 / (append_secs + 2.0),
        );
        println!(
            "fan-out [{mode}] delivery latency from append acknowledgement to receipt: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms (target p99 <= 50 ms)",
            ms(0.5),
            ms(0.9),
            ms(0.99),
            ms(0.999),
            h.max() as f64 / 1000.0
        );
        let c = &all.from_create;
        let cms = |q: f64| c.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "fan-out [{mode}] latency from the entry's create time (before its append commits) to receipt: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            cms(0.5),
            cms(0.99),
            c.max() as f64 / 1000.0
        );
        if env("LABS_BENCH_TIMELINE", 0) == 1 {
            let worst: Vec<String> = counts
                .timeline
                .iter()
                .map(|t| format!("{:.0}", t.load(Ordering::Relaxed) as f64 / 1000.0))
                .collect();
            println!(
                "fan-out [{mode}] worst latency from acknowledgement per second (ms): {}",
                worst.join(" ")
            );
        }
        println!(
            "fan-out [{mode}] watchers told they fell behind: {}; delivery errors (gaps, duplicates, disorder): {}",
            counts.fell_behind.load(Ordering::Relaxed),
            counts.errors.load(Ordering::Relaxed),
        );
        let whose = if in_process {
            "RSS of the whole process: services and clients"
        } else {
            "RSS of the symbolon-labs process"
        };
        println!(
            "fan-out [{mode}] memory ({whose}): {rss_before:.0} MiB before watchers, {rss_watching:.0} MiB with {watchers} idle watchers, {peak:.0} MiB peak while appending; {} CPU while appending: {:.0} % of one core",
            if in_process { "process" } else { "service" },
            100.0 * cpu / append_secs
        );
        let others = busy - bench_cpu - pg_cpu - if in_process { 0.0 } else { cpu };
        println!(
            "fan-out [{mode}] CPU while appending, in % of one core: {} {:.0}, PostgreSQL {:.0}, anything else on the machine {:.0}{}",
            if in_process {
                "this process (services, clients, appender)"
            } else {
                "this benchmark process (clients, appender, customers)"
            },
            100.0 * bench_cpu / append_secs,
            100.0 * pg_cpu / append_secs,
            100.0 * others.max(0.0) / append_secs,
            if others / append_secs > 0.15 {
                " (other work disturbed this round: run it again on a quiet machine)"
            } else {
                ""
            },
        );
    }
    // Stop the services before their databases are dropped.
    service.stop().await;
    customers_stop.cancel();
    tokio::time::sleep(Duration::from_millis(500)).await;
}
