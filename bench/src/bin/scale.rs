//! `symbolon-scale`: how the read methods' cost grows with the data. Writes a portfolio
//! of realistic rows straight into a customers database (the service's own column
//! lists, so its triggers keep the dashboard aggregates exactly as for API writes),
//! then measures the methods a quarterly review runs against a running customers
//! service: p50 with one call in flight, calls/s with 16, and the service's peak RSS.
//! `bench/scale.sh` runs it at several sizes and prints the growth from one to the next.
//!
//!   symbolon-scale --db URL --target URL --customers 1000 --secs 3 --watch-pid PID
//!   symbolon-scale --report results.jsonl

use anyhow::Context as _;
use clap::Parser;
use hdrhistogram::Histogram;
use serde_json::json;
use std::{
    collections::BTreeMap,
    future::Future,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use symbolon_contracts::customers::v1::{
    GetTrustDashboardRequest, ListCustomersRequest, ListIncidentsRequest, ListTouchpointsRequest,
    RankCustomersForAttentionRequest, customers_service_client::CustomersServiceClient,
    dashboard_service_client::DashboardServiceClient,
    incidents_service_client::IncidentsServiceClient,
};
use symbolon_platform::{
    Database,
    db::{Sql, Value},
};
use tonic::{
    Request,
    metadata::{Ascii, MetadataValue},
    transport::Channel,
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "symbolon-scale")]
struct Args {
    /// The customers database to fill (the service's schema; migrated if needed).
    #[arg(long)]
    db: Option<String>,
    /// The customers service reading it.
    #[arg(long)]
    target: Option<String>,
    /// Customers to write; each gets `--touchpoints` touchpoints, and one hot customer
    /// gets 1% of all touchpoints on top.
    #[arg(long, default_value_t = 1000)]
    customers: usize,
    #[arg(long, default_value_t = 100)]
    touchpoints: usize,
    /// Measured seconds per step (each step runs at 1 and at 16 in flight).
    #[arg(long, default_value_t = 3.0)]
    secs: f64,
    /// The service's pid, for its peak RSS.
    #[arg(long)]
    watch_pid: Option<u32>,
    /// A vendor admin token.
    #[arg(long, env = "SYMBOLON_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Label of this run (e.g. `postgres 10k`).
    #[arg(long, default_value = "")]
    label: String,
    /// Open supply-chain requests (with parts) to add before timing the incident timers'
    /// sweep; a few of them are due for a breach check (0: skip that step).
    #[arg(long, default_value_t = 6500)]
    sweep_open: usize,
    /// Print the growth table of the JSON lines in this file instead.
    #[arg(long)]
    report: Option<String>,
    /// Instead: write a fresh `jwt-public.pem` into this directory (for the service)
    /// and print a vendor admin token signed with its private key.
    #[arg(long)]
    keygen: Option<std::path::PathBuf>,
}

fn keygen(dir: &std::path::Path) -> anyhow::Result<()> {
    let keys = symbolon_platform::auth::DevKeys::generate().map_err(anyhow::Error::msg)?;
    std::fs::write(dir.join("jwt-public.pem"), &keys.public_pem)?;
    let minter = symbolon_platform::auth::Minter::from_pem(
        keys.private_pem.as_bytes(),
        "symbolon",
        "symbolon",
    )
    .map_err(anyhow::Error::msg)?;
    let token = minter
        .mint(
            "scale@vendor",
            &symbolon_platform::Org::Vendor,
            &["admin"],
            Duration::from_secs(6 * 3600),
        )
        .map_err(anyhow::Error::msg)?;
    println!("{token}");
    Ok(())
}

/// The measured quarter: complete, in the past, one of eight quarters of history.
const QUARTER: &str = "2026-Q3";
/// 2025-01-01T00:00:00Z and 2026-12-01T00:00:00Z: the history's span, in seconds.
const HISTORY_START: i64 = 1_735_689_600;
const HISTORY_END: i64 = 1_796_083_200;
/// 2026-07-01T00:00:00Z.
const QUARTER_START: &str = "2026-07-01T00:00:00Z";
const HOT: &str = "hot";

/// A small deterministic generator (SplitMix64): the same data on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// An index into `weights`, drawn in proportion to them.
    fn weighted(&mut self, weights: &[u64]) -> usize {
        let mut x = self.below(weights.iter().sum());
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        0
    }
}

/// Moods by number (pb::Mood) and how often key persons show them: mostly content,
/// anxious rarely (0.5%).
const MOODS: [(i64, u64); 9] = [
    (2, 300),
    (3, 250),
    (4, 200),
    (5, 100),
    (1, 60),
    (9, 45),
    (7, 30),
    (8, 10),
    (6, 5),
];
const ANXIETIES: [&str; 12] = [
    "Regulator fines after an outage",
    "Budget cuts next fiscal year",
    "Vendor lock-in",
    "Data sovereignty",
    "Skills shortage in operations",
    "Migration deadline slipping",
    "Board pressure on uptime",
    "Security audit findings",
    "Spare parts lead times",
    "Competitor price war",
    "Energy costs",
    "Merger integration",
];
const EXPECTATIONS: [&str; 10] = [
    "Spare parts on site within the hour",
    "A named engineer",
    "Candid fault notes",
    "Proactive capacity warnings",
    "Local-language support",
    "Quarterly roadmap briefings",
    "Faster change approvals",
    "On-site training",
    "Transparent pricing",
    "Executive sponsor",
];

fn micros(seconds: i64) -> i64 {
    seconds * 1_000_000
}

/// Rows go in multi-row statements of this many, in transactions of a few statements.
const ROWS_PER_STATEMENT: usize = 500;

async fn insert_rows(db: &Database, head: &str, rows: &[Vec<Value>]) -> anyhow::Result<()> {
    let mut tx = db.writer().begin().await?;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(head);
        sql.push(" VALUES ");
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(");
            for (j, v) in row.iter().enumerate() {
                if j > 0 {
                    sql.push(", ");
                }
                sql.bind(v.clone());
            }
            sql.push(")");
        }
        sql.query().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn customer_id(i: usize) -> String {
    if i == 0 {
        HOT.to_string()
    } else {
        format!("c{i:07}")
    }
}

/// Customers whose rows one server-side statement writes on PostgreSQL.
const CUSTOMERS_PER_STATEMENT: usize = 5000;

/// As [`load`], on PostgreSQL, with the rows drawn by the database itself
/// (`INSERT … SELECT` over `generate_series`, `random()` seeded for the same data on
/// every run): the same tables, columns and distributions, and the same
/// statement-level trigger keeping the aggregates, without sending every row over
/// the wire — what makes 10M touchpoints loadable in minutes. Returns the seconds.
async fn load_server_side(db: &Database, n: usize, per: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let now = micros(HISTORY_END);
    let span = HISTORY_END - HISTORY_START;
    let hot_extra = (n * per) / 100;
    let quote = |xs: &[&str]| {
        xs.iter()
            .map(|x| format!("'{}'", x.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let anxieties = quote(&ANXIETIES);
    let expectations = quote(&EXPECTATIONS);
    let mut mood_case = String::from("CASE");
    let total: u64 = MOODS.iter().map(|m| m.1).sum();
    let mut upto = 0;
    for (mood, w) in MOODS {
        upto += w;
        mood_case.push_str(&format!(" WHEN r < {upto} THEN {mood}"));
    }
    mood_case.push_str(" ELSE 6 END");
    let id_of = "CASE WHEN i = 0 THEN 'hot' ELSE 'c' || lpad(i::text, 7, '0') END";
    // One row per touchpoint of customers `i` in [first, last) with `count` each,
    // ids from `base` on (increasing, as the service's time-ordered ids are).
    let touchpoints = |first: usize, last: usize, count: usize, people: usize, base: usize| {
        format!(
            "INSERT INTO touchpoints (id, customer_id, kind, key_person, occur_time, summary, mood, intensity, \
             strategic_anxiety, implicit_expectations, recorded_by, create_time) \
             SELECT lpad(to_hex({base} + g), 16, '0'), cid, 1 + floor(random() * 6)::bigint, \
             'customers/' || cid || '/keyPersons/kp' || floor(random() * {people})::bigint, at, 'Weekly call', \
             {mood_case}, 1 + floor(random() * 5)::bigint, \
             (ARRAY[{anxieties}])[1 + floor(random() * 12)::int], \
             CASE WHEN random() < 0.5 THEN json_build_array((ARRAY[{expectations}])[1 + floor(random() * 10)::int]) \
             ELSE json_build_array((ARRAY[{expectations}])[1 + floor(random() * 10)::int], \
             (ARRAY[{expectations}])[1 + floor(random() * 10)::int]) END::text, 'bench', at \
             FROM (SELECT (i - {first}) * {count} + k AS g, {id_of} AS cid, \
             ({HISTORY_START} + floor(random() * {span})::bigint) * 1000000 AS at, random() * {total} AS r \
             FROM generate_series({first}, {last} - 1) AS i, generate_series(0, {count} - 1) AS k) AS d"
        )
    };
    let mut tx = db.writer().begin().await?;
    Sql::new("SELECT setseed(0.21)")
        .query()
        .execute(&mut *tx)
        .await?;
    let mut base = 0;
    for first in (0..n).step_by(CUSTOMERS_PER_STATEMENT) {
        let last = (first + CUSTOMERS_PER_STATEMENT).min(n);
        for sql in [
            format!(
                "INSERT INTO customers (id, customer_id, display_name, industry, home_country, create_time, update_time) \
                 SELECT {id_of}, {id_of}, 'Customer ' || i, 1 + i % 5, \
                 (ARRAY['DE', 'FR', 'PT', 'AE', 'SG', 'BR'])[1 + i % 6], {now}, {now} \
                 FROM generate_series({first}, {last} - 1) AS i"
            ),
            format!(
                "INSERT INTO key_persons (id, customer_id, display_name, title, decision_role, create_time, update_time) \
                 SELECT 'kp' || p, {id_of}, 'Person ' || p, 'CTO', 1 + p % 3, {now}, {now} \
                 FROM generate_series({first}, {last} - 1) AS i, \
                 generate_series(0, CASE WHEN i = 0 THEN 9 ELSE 0 END) AS p"
            ),
            format!(
                "INSERT INTO incidents (id, customer_id, severity, summary, detect_time, state, owner, create_time, \
                 acknowledge_time, close_time) \
                 SELECT lpad(to_hex({base} + row_number() OVER ()), 16, '0'), cid, \
                 CASE WHEN s < 0.05 THEN 1 WHEN s < 0.25 THEN 2 WHEN s < 0.70 THEN 3 ELSE 4 END, \
                 'Link flapping at a core site', detect, CASE WHEN o < 0.1 THEN 1 ELSE 2 END, 'bench', detect, ack, \
                 CASE WHEN o < 0.1 THEN NULL ELSE ack + (1 + floor(random() * 48)::bigint) * 3600000000 END \
                 FROM (SELECT {id_of} AS cid, d AS detect, d + (5 + floor(random() * 120)::bigint) * 60000000 AS ack, \
                 random() AS s, random() AS o \
                 FROM (SELECT i, ({HISTORY_START} + floor(random() * {span})::bigint) * 1000000 AS d \
                 FROM generate_series({first}, {last} - 1) AS i, \
                 generate_series(1, CASE WHEN i = 0 THEN {hot_incidents} ELSE 4 END) AS k) AS x) AS y",
                hot_incidents = 4 + n / 25
            ),
            touchpoints(first, last, per, 1, base),
        ] {
            Sql::new(&sql).query().execute(&mut *tx).await?;
        }
        base += (last - first) * per + 1_000_000;
        tx.commit().await?;
        tx = db.writer().begin().await?;
        eprintln!(
            "[scale] {last} customers written, {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    // The hot customer's share, over its ten key persons, in statements of a million.
    let mut done = 0;
    while done < hot_extra {
        let count = (hot_extra - done).min(1_000_000);
        Sql::new(&touchpoints(0, 1, count, 10, base))
            .query()
            .execute(&mut *tx)
            .await?;
        base += count;
        done += count;
    }
    tx.commit().await?;
    Sql::new("ANALYZE").query().execute(db.writer()).await?;
    Ok(started.elapsed().as_secs_f64())
}

/// Writes `n` customers with a key person each, `per` touchpoints each over two years
/// (the hot customer: 1% of all on top, over 10 key persons), and 4 incidents each
/// (mostly closed, some open). Returns the seconds it took.
async fn load(db: &Database, n: usize, per: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut rng = Rng(21);
    let now = micros(HISTORY_END);
    let span = HISTORY_END - HISTORY_START;
    let hot_touchpoints = (n * per) / 100;
    let batch = 2000 / per.max(1) + 1;
    for first in (0..n).step_by(batch) {
        let last = (first + batch).min(n);
        let mut customers = Vec::new();
        let mut persons = Vec::new();
        let mut touchpoints = Vec::new();
        let mut incidents = Vec::new();
        for i in first..last {
            let id = customer_id(i);
            customers.push(vec![
                Value::from(id.as_str()),
                id.as_str().into(),
                format!("Customer {i}").into(),
                Value::from(1 + (i % 5) as i64),
                ["DE", "FR", "PT", "AE", "SG", "BR"][i % 6].into(),
                now.into(),
                now.into(),
            ]);
            let people = if i == 0 { 10 } else { 1 };
            for p in 0..people {
                persons.push(vec![
                    Value::from(format!("kp{p}")),
                    id.as_str().into(),
                    format!("Person {p}").into(),
                    "CTO".into(),
                    Value::from(1 + (p % 3) as i64),
                    now.into(),
                    now.into(),
                ]);
            }
            let count = if i == 0 { per + hot_touchpoints } else { per };
            for _ in 0..count {
                let at = micros(HISTORY_START + rng.below(span as u64) as i64);
                let mood = MOODS[rng.weighted(&MOODS.map(|m| m.1))].0;
                let mut heard = vec![EXPECTATIONS[rng.below(10) as usize].to_string()];
                if rng.below(2) == 0 {
                    heard.push(EXPECTATIONS[rng.below(10) as usize].to_string());
                }
                touchpoints.push(vec![
                    Value::from(symbolon_platform::names::new_id()),
                    id.as_str().into(),
                    Value::from(1 + rng.below(6) as i64),
                    format!("customers/{id}/keyPersons/kp{}", rng.below(people)).into(),
                    at.into(),
                    "Weekly call".into(),
                    mood.into(),
                    Value::from(1 + rng.below(5) as i64),
                    ANXIETIES[rng.below(12) as usize].into(),
                    serde_json::to_string(&heard)?.into(),
                    "bench".into(),
                    at.into(),
                ]);
            }
            let troubles = if i == 0 { 4 + n / 25 } else { 4 };
            for _ in 0..troubles {
                let detect = micros(HISTORY_START + rng.below(span as u64) as i64);
                let open = rng.below(10) == 0;
                let ack = detect + micros(60 * (5 + rng.below(120) as i64));
                incidents.push(vec![
                    Value::from(symbolon_platform::names::new_id()),
                    id.as_str().into(),
                    Value::from(1 + rng.weighted(&[5, 20, 45, 30]) as i64),
                    "Link flapping at a core site".into(),
                    detect.into(),
                    Value::from(if open { 1 } else { 2 }),
                    "bench".into(),
                    detect.into(),
                    Value::OptInt(Some(ack)),
                    Value::OptInt((!open).then(|| ack + micros(3600 * (1 + rng.below(48) as i64)))),
                ]);
            }
        }
        insert_rows(
            db,
            "INSERT INTO customers (id, customer_id, display_name, industry, home_country, create_time, update_time)",
            &customers,
        )
        .await?;
        insert_rows(
            db,
            "INSERT INTO key_persons (id, customer_id, display_name, title, decision_role, create_time, update_time)",
            &persons,
        )
        .await?;
        insert_rows(
            db,
            "INSERT INTO touchpoints (id, customer_id, kind, key_person, occur_time, summary, mood, intensity, strategic_anxiety, implicit_expectations, recorded_by, create_time)",
            &touchpoints,
        )
        .await?;
        insert_rows(
            db,
            "INSERT INTO incidents (id, customer_id, severity, summary, detect_time, state, owner, create_time, acknowledge_time, close_time)",
            &incidents,
        )
        .await?;
    }
    if db.backend() == symbolon_platform::db::Backend::Postgres {
        Sql::new("ANALYZE").query().execute(db.writer()).await?;
    }
    Ok(started.elapsed().as_secs_f64())
}

type Bearer = MetadataValue<Ascii>;

fn authed<T>(bearer: &Bearer, message: T) -> Request<T> {
    let mut r = Request::new(message);
    r.metadata_mut().insert("authorization", bearer.clone());
    r
}

/// p50 (ms) at one call in flight and calls/s at 16, each for `secs`.
async fn measure<F, Fut>(secs: f64, call: F) -> anyhow::Result<(f64, f64)>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let call = Arc::new(call);
    // Warm-up: the first call may do one-time work (a quarter's first ranking).
    call(0).await?;
    let mut hist = Histogram::<u64>::new(3)?;
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let mut i = 1;
    while Instant::now() < end {
        let t = Instant::now();
        call(i).await?;
        hist.record(t.elapsed().as_micros() as u64)?;
        i += 1;
    }
    let p50 = hist.value_at_quantile(0.5) as f64 / 1000.0;
    let started = Instant::now();
    let end = started + Duration::from_secs_f64(secs);
    let mut workers = Vec::new();
    for w in 0..16u64 {
        let call = call.clone();
        workers.push(tokio::spawn(async move {
            let mut done = 0u64;
            let mut i = w * 1_000_000;
            while Instant::now() < end {
                call(i).await?;
                done += 1;
                i += 1;
            }
            anyhow::Ok(done)
        }));
    }
    let mut calls = 0;
    for w in workers {
        calls += w.await??;
    }
    Ok((p50, calls as f64 / started.elapsed().as_secs_f64()))
}

fn peak_rss_mib(pid: Option<u32>) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

async fn run(args: &Args) -> anyhow::Result<()> {
    let url = args.db.as_deref().context("--db is required")?;
    let target = args.target.clone().context("--target is required")?;
    let token: Arc<Bearer> = Arc::new(
        format!(
            "Bearer {}",
            args.token.as_deref().context("a token is required")?
        )
        .parse()?,
    );
    let db = Database::connect(url, &symbolon_customers::startup::MIGRATIONS).await?;
    eprintln!(
        "[scale] loading {} customers × {} touchpoints",
        args.customers, args.touchpoints
    );
    let load_secs = if db.backend() == symbolon_platform::db::Backend::Postgres {
        load_server_side(&db, args.customers, args.touchpoints).await?
    } else {
        load(&db, args.customers, args.touchpoints).await?
    };
    eprintln!("[scale] loaded in {load_secs:.1} s");
    let channel: Channel = tonic::transport::Endpoint::from_shared(target)?
        .connect()
        .await?;
    let n = args.customers;
    let mut figures: BTreeMap<String, (f64, f64)> = BTreeMap::new();

    macro_rules! step {
        ($name:expr, $client:ident, |$i:ident| $body:expr) => {{
            let channel = channel.clone();
            let token = token.clone();
            let name: String = $name.into();
            eprintln!("[scale] {name}");
            let f = measure(args.secs, move |$i: u64| {
                let $client = (channel.clone(), token.clone());
                let call = $body;
                async move {
                    call.await?;
                    anyhow::Ok(())
                }
            })
            .await
            .with_context(|| name.clone())?;
            figures.insert(name, f);
        }};
    }

    step!("GetTrustDashboard hot", c, |_i| async move {
        DashboardServiceClient::new(c.0.clone())
            .get_trust_dashboard(authed(
                &c.1,
                GetTrustDashboardRequest {
                    customer: format!("customers/{HOT}"),
                    quarter: QUARTER.into(),
                },
            ))
            .await
    });
    step!("GetTrustDashboard typical", c, |i| async move {
        DashboardServiceClient::new(c.0.clone())
            .get_trust_dashboard(authed(
                &c.1,
                GetTrustDashboardRequest {
                    customer: format!(
                        "customers/{}",
                        customer_id(1 + (i as usize * 7919) % (n - 1).max(1))
                    ),
                    quarter: QUARTER.into(),
                },
            ))
            .await
    });
    step!("RankCustomersForAttention page of 50", c, |_i| async move {
        DashboardServiceClient::new(c.0.clone())
            .rank_customers_for_attention(authed(
                &c.1,
                RankCustomersForAttentionRequest {
                    quarter: QUARTER.into(),
                    page_size: 50,
                    page_token: String::new(),
                },
            ))
            .await
    });
    let ranking_rss = peak_rss_mib(args.watch_pid);
    for (label, filter) in [
        (
            "ListTouchpoints hot mood = ANXIOUS",
            "mood = ANXIOUS".to_string(),
        ),
        (
            "ListTouchpoints hot kind = MEETING",
            "kind = MEETING".to_string(),
        ),
        (
            "ListTouchpoints hot key_person = kp3",
            format!(r#"key_person = "customers/{HOT}/keyPersons/kp3""#),
        ),
        (
            "ListTouchpoints hot occur_time >= quarter",
            format!(r#"occur_time >= "{QUARTER_START}""#),
        ),
        (
            "ListTouchpoints hot occur_time >= future (none)",
            r#"occur_time >= "2030-01-01T00:00:00Z""#.to_string(),
        ),
    ] {
        step!(label, c, |_i| {
            let filter = filter.clone();
            async move {
                CustomersServiceClient::new(c.0.clone())
                    .list_touchpoints(authed(
                        &c.1,
                        ListTouchpointsRequest {
                            parent: format!("customers/{HOT}"),
                            filter,
                            page_size: 50,
                            page_token: String::new(),
                        },
                    ))
                    .await
            }
        });
    }
    for (label, filter) in [
        ("ListIncidents hot state = OPEN", "state = OPEN".to_string()),
        (
            "ListIncidents hot severity = CRITICAL",
            "severity = CRITICAL".to_string(),
        ),
        (
            "ListIncidents hot detect_time >= quarter",
            format!(r#"detect_time >= "{QUARTER_START}""#),
        ),
    ] {
        step!(label, c, |_i| {
            let filter = filter.clone();
            async move {
                IncidentsServiceClient::new(c.0.clone())
                    .list_incidents(authed(
                        &c.1,
                        ListIncidentsRequest {
                            parent: format!("customers/{HOT}"),
                            filter,
                            page_size: 50,
                            page_token: String::new(),
                        },
                    ))
                    .await
            }
        });
    }
    // A token half-way through the customers, reached with large pages.
    let mut customers = CustomersServiceClient::new(channel.clone());
    let mut deep = String::new();
    let mut seen = 0;
    while seen < n / 2 {
        let page = customers
            .list_customers(authed(
                &token,
                ListCustomersRequest {
                    page_size: 1000.min((n / 2 - seen).max(1)) as i32,
                    page_token: deep.clone(),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner();
        seen += page.customers.len();
        deep = page.next_page_token;
        if deep.is_empty() {
            break;
        }
    }
    let deep: Arc<str> = deep.into();
    eprintln!("[scale] the deep page is page {} of ListCustomers", n / 100);
    step!("ListCustomers a page half-way (deep)", c, |_i| {
        let deep = deep.clone();
        async move {
            CustomersServiceClient::new(c.0.clone())
                .list_customers(authed(
                    &c.1,
                    ListCustomersRequest {
                        page_size: 50,
                        page_token: deep.to_string(),
                        ..Default::default()
                    },
                ))
                .await
        }
    });

    if args.sweep_open > 0 {
        for (name, f) in sweep(&db, url, n, args.sweep_open).await? {
            figures.insert(name, f);
        }
    }

    let peak = peak_rss_mib(args.watch_pid);
    println!(
        "{}: {} customers, {} touchpoints (hot: {}), loaded in {load_secs:.1} s",
        args.label,
        n,
        n * args.touchpoints + n * args.touchpoints / 100,
        args.touchpoints + n * args.touchpoints / 100
    );
    println!(
        "{:<50} {:>10} {:>12}",
        "method", "p50 ms c=1", "calls/s c=16"
    );
    for (name, (p50, rps)) in &figures {
        println!("{name:<50} {p50:>10.2} {rps:>12.0}");
    }
    if let Some(p) = peak {
        println!(
            "service peak RSS {p:.0} MiB (after the ranking at 16 in flight: {:.0} MiB)",
            ranking_rss.unwrap_or(p)
        );
    }
    let line = json!({
        "label": args.label,
        "customers": n,
        "load_secs": load_secs,
        "peak_rss_mib": peak,
        "figures": figures.iter().map(|(k, (p50, rps))| (k.clone(), json!({"p50_ms": p50, "rps": rps}))).collect::<serde_json::Map<_, _>>(),
        "time": SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
    });
    eprintln!("{line}");
    if let Ok(path) = std::env::var("SCALE_RESULTS") {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        writeln!(f, "{line}")?;
    }
    db.close().await;
    Ok(())
}

/// Requests among the open ones whose breach check is due when the sweep is timed.
const SWEEP_DUE: usize = 5;

/// The incident timers' sweep with `open` open supply-chain requests (one per open
/// incident, spread over the customers), of which [`SWEEP_DUE`] are due for a breach
/// check and the rest dated (later, or never: nothing they could break). Times the
/// service's own sweep (`IncidentTimers::sweep`, on an application built on the same
/// database and not serving, warmed by one sweep before the requests are written): the
/// first after they are, with the due ones, then the median of 20 with nothing due. Figures as (p50 ms, sweeps/s at one in flight).
async fn sweep(
    db: &Database,
    url: &str,
    customers: usize,
    open: usize,
) -> anyhow::Result<Vec<(String, (f64, f64))>> {
    eprintln!("[scale] incident timers' sweep over {open} open requests");
    let app = symbolon_customers::Application::build(symbolon_customers::CustomersConfig::new(
        server_config(url)?,
    ))
    .await?;
    let timers = app.incident_timers();
    // Once before the requests exist: the pool's connections and statements are made.
    timers.sweep().await?;
    let now = micros(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)?
            .as_secs()
            .try_into()?,
    );
    let far = now + micros(30 * 86_400);
    let (mut incidents, mut requests) = (Vec::new(), Vec::new());
    for k in 0..open {
        let customer = customer_id(1 + k % customers.saturating_sub(1).max(1));
        let incident = format!("sweep{k}");
        incidents.push(vec![
            Value::from(incident.as_str()),
            customer.as_str().into(),
            Value::from(2),
            "Card failure".into(),
            (now - micros(3600)).into(),
            Value::from(1),
            "bench".into(),
            now.into(),
            Value::OptInt(None),
            Value::OptInt(None),
            format!("customers/{customer}/sites/s1").into(),
        ]);
        let breach_due = if k < SWEEP_DUE {
            Some(now - 1)
        } else if k % 2 == 0 {
            Some(far)
        } else {
            None
        };
        requests.push(vec![
            Value::from("f1"),
            format!("{customer}/{incident}").into(),
            customer.as_str().into(),
            incident.as_str().into(),
            "supply-chain".into(),
            "A line card".into(),
            Value::from(1),
            (now - micros(3600)).into(),
            far.into(),
            far.into(),
            far.into(),
            far.into(),
            r#"[{"part_number":"RRU-5258","quantity":1}]"#.into(),
            Value::OptInt(breach_due),
        ]);
    }
    insert_rows(
        db,
        "INSERT INTO incidents (id, customer_id, severity, summary, detect_time, state, owner, create_time, acknowledge_time, close_time, site)",
        &incidents,
    )
    .await?;
    insert_rows(
        db,
        "INSERT INTO fire_requests (id, incident_key, customer_id, incident_id, department, ask, state, create_time, ack_warn_at, ack_due, fulfil_warn_at, fulfil_due, parts, breach_due)",
        &requests,
    )
    .await?;
    if db.backend() == symbolon_platform::db::Backend::Postgres {
        Sql::new("ANALYZE fire_requests")
            .query()
            .execute(db.writer())
            .await?;
    }
    let started = Instant::now();
    timers.sweep().await?;
    let first = started.elapsed().as_secs_f64() * 1e3;
    let mut idle = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        timers.sweep().await?;
        idle.push(started.elapsed().as_secs_f64() * 1e3);
    }
    idle.sort_by(f64::total_cmp);
    let p50 = idle[idle.len() / 2];
    app.shutdown_token().cancel();
    Ok(vec![
        (
            format!("Incident timers' sweep, {open} open, {SWEEP_DUE} due"),
            (first, 1e3 / first),
        ),
        (
            format!("Incident timers' sweep, {open} open, none due"),
            (p50, 1e3 / p50),
        ),
    ])
}

/// Settings for an application that is built but never serves: loopback port 0, a
/// throw-away verification key.
fn server_config(url: &str) -> anyhow::Result<symbolon_platform::config::ServerConfig> {
    use symbolon_platform::config::{AuthConfig, DEFAULT_DEPARTMENTS};
    let keys = symbolon_platform::auth::DevKeys::generate().map_err(anyhow::Error::msg)?;
    let key_file = std::env::temp_dir().join(format!("symbolon-scale-{}.pem", std::process::id()));
    std::fs::write(&key_file, &keys.public_pem)?;
    Ok(symbolon_platform::config::ServerConfig {
        service: "customers".into(),
        listen_addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: url.into(),
        auth: AuthConfig {
            public_key_file: Some(key_file),
            jwks_file: None,
            issuer: "symbolon".into(),
            audience: "symbolon".into(),
            max_lifetime: Duration::from_secs(86_400),
            leeway: Duration::from_secs(30),
            departments: DEFAULT_DEPARTMENTS.iter().map(|d| d.to_string()).collect(),
        },
        request_timeout: Duration::from_secs(10),
        concurrency_limit: 1024,
        shutdown_delay: Duration::ZERO,
        drain_timeout: Duration::from_secs(5),
        max_connection_age: Duration::ZERO,
        database: Default::default(),
    })
}

/// The p50 growth from each run to the next of the same backend, per method.
fn report(path: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)?;
    let runs: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut by_backend: BTreeMap<String, Vec<&serde_json::Value>> = BTreeMap::new();
    for r in &runs {
        let label = r["label"].as_str().unwrap_or_default();
        let backend = label
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        by_backend.entry(backend).or_default().push(r);
    }
    for (backend, mut runs) in by_backend {
        runs.sort_by_key(|r| r["customers"].as_u64());
        println!(
            "\n{backend}: p50 ms at 1 in flight / calls/s at 16, growth of p50 to the next size"
        );
        let Some(first) = runs.first() else { continue };
        let names: Vec<String> = first["figures"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        let mut header = format!("{:<50}", "method");
        for r in &runs {
            header.push_str(&format!(" {:>18}", format!("{} customers", r["customers"])));
        }
        header.push_str("  growth");
        println!("{header}");
        for name in names {
            let mut line = format!("{name:<50}");
            let mut p50s = Vec::new();
            for r in &runs {
                let f = &r["figures"][&name];
                let p50 = f["p50_ms"].as_f64().unwrap_or(f64::NAN);
                p50s.push(p50);
                line.push_str(&format!(
                    " {:>18}",
                    format!("{p50:.2} / {:.0}", f["rps"].as_f64().unwrap_or(f64::NAN))
                ));
            }
            let growth: Vec<String> = p50s
                .windows(2)
                .map(|w| format!("{:.2}×", w[1] / w[0]))
                .collect();
            line.push_str(&format!("  {}", growth.join(", ")));
            println!("{line}");
        }
        let rss: Vec<String> = runs
            .iter()
            .map(|r| format!("{:.0}", r["peak_rss_mib"].as_f64().unwrap_or(f64::NAN)))
            .collect();
        let loads: Vec<String> = runs
            .iter()
            .map(|r| format!("{:.0} s", r["load_secs"].as_f64().unwrap_or(f64::NAN)))
            .collect();
        println!("{:<50} {}", "service peak RSS MiB", rss.join(" / "));
        println!("{:<50} {}", "loading took", loads.join(" / "));
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(dir) = &args.keygen {
        return keygen(dir);
    }
    match &args.report {
        Some(path) => report(path),
        None => run(&args).await,
    }
}
