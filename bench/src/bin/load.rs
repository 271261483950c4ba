//! `symbolon-load`: drives a gRPC server with N calls in flight over M HTTP/2
//! connections, for a count of calls or a duration, and reports throughput, HDR latency
//! percentiles, failures by gRPC code, and its own CPU use (so a saturated generator is
//! visible).

use anyhow::Context as _;
use clap::Parser;
use std::time::{Duration, Instant};
use symbolon_bench::{
    run::{self, Plan, Stop},
    scenario::{self, Auth, Kind},
};
use tonic::transport::Endpoint;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The Symbolon load tool.
#[derive(Debug, Parser)]
#[command(name = "symbolon-load", version)]
struct Args {
    /// The server, e.g. `http://127.0.0.1:50051`.
    #[arg(long, default_value = "http://127.0.0.1:50050")]
    target: String,
    /// What to call.
    #[arg(long, value_enum, default_value = "echo")]
    scenario: Kind,
    /// Calls in flight at once (one closed-loop worker each).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// HTTP/2 connections the calls are spread over (round robin by worker).
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Stop after this many measured calls.
    #[arg(long, conflicts_with = "duration")]
    requests: Option<u64>,
    /// Stop after this many seconds of measurement (default 10 unless --requests).
    #[arg(long)]
    duration: Option<f64>,
    /// Seconds of load before measuring, not counted.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Bearer token sent as `authorization: Bearer TOKEN` on every call.
    #[arg(long, env = "SYMBOLON_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Resources to work on: customers for get-customer (reused when they exist, so
    /// the table holds this many), customer + key-person pairs for record-touchpoint.
    /// Default 1000 and 16.
    #[arg(long)]
    fixtures: Option<usize>,
    /// Echo payload size in bytes.
    #[arg(long, default_value_t = 64)]
    payload_bytes: usize,
    /// Client-side deadline of each call, in seconds.
    #[arg(long, default_value_t = 10.0)]
    call_timeout: f64,
    /// First wait up to this many seconds for the target to answer (Echo, or the
    /// health check for a service).
    #[arg(long, default_value_t = 0.0)]
    wait: f64,
    /// Only wait for the target (with --wait), then exit.
    #[arg(long)]
    wait_only: bool,
    /// Also report the CPU use of this process (e.g. the server); repeatable.
    #[arg(long = "watch-pid")]
    watch_pids: Vec<u32>,
    /// Name of the run in the report (default: the scenario).
    #[arg(long)]
    label: Option<String>,
    /// Worker threads of the tool's runtime (default: one per core). With 1, Tokio's
    /// current-thread scheduler, which writes the calls woken together in one go.
    #[arg(long)]
    threads: Option<usize>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Write the echo scenario's request as a gRPC frame (for h2load -d) and exit.
    #[arg(long, value_name = "FILE")]
    write_echo_frame: Option<std::path::PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(path) = &args.write_echo_frame {
        std::fs::write(path, scenario::echo_grpc_frame(args.payload_bytes))
            .with_context(|| format!("writing {}", path.display()))?;
        return Ok(());
    }
    // With no subscriber, every span h2 opens (one per connection poll) is also sent
    // to the `log` facade: ~1.5% of the tool's CPU for nothing. Nothing here is traced.
    let _ = tracing::subscriber::set_global_default(tracing::subscriber::NoSubscriber::default());
    let mut rt = match args.threads {
        Some(0 | 1) => tokio::runtime::Builder::new_current_thread(),
        Some(n) => {
            let mut rt = tokio::runtime::Builder::new_multi_thread();
            rt.worker_threads(n);
            rt
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    rt.enable_all();
    rt.build()?.block_on(run_tool(args))
}

async fn run_tool(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.concurrency > 0, "--concurrency must be at least 1");
    anyhow::ensure!(args.connections > 0, "--connections must be at least 1");
    let endpoint = Endpoint::from_shared(args.target.clone())
        .with_context(|| format!("bad --target {}", args.target))?
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs_f64(args.call_timeout.max(0.001)));

    if args.wait > 0.0 || args.wait_only {
        scenario::wait_ready(
            args.scenario,
            &endpoint,
            Duration::from_secs_f64(args.wait.max(0.0)),
        )
        .await?;
        if args.wait_only {
            return Ok(());
        }
    }

    let mut channels = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        channels.push(
            endpoint
                .connect()
                .await
                .with_context(|| format!("connecting to {}", args.target))?,
        );
    }
    let auth = Auth::new(args.token.as_deref())?;

    let fixtures_wanted = args
        .fixtures
        .unwrap_or_else(|| args.scenario.default_fixtures());
    let t = Instant::now();
    let fixtures = scenario::prepare(
        args.scenario,
        channels[0].clone(),
        &auth,
        fixtures_wanted,
        args.payload_bytes,
    )
    .await?;
    if !fixtures.is_empty() {
        eprintln!(
            "{}: {} fixture(s) ready in {:.1} s",
            args.scenario.name(),
            fixtures.len(),
            t.elapsed().as_secs_f64()
        );
    }

    let stop = match (args.requests, args.duration) {
        (Some(n), _) => Stop::Count(n),
        (None, Some(s)) => Stop::Duration(Duration::from_secs_f64(s.max(0.0))),
        (None, None) => Stop::Duration(Duration::from_secs(10)),
    };
    let plan = Plan {
        concurrency: args.concurrency,
        warmup: Duration::from_secs_f64(args.warmup.max(0.0)),
        stop,
        watch_pids: args.watch_pids.clone(),
    };
    let outcome = run::run(&plan, &channels, &fixtures, &auth).await?;
    let report = run::report(
        outcome,
        args.label
            .clone()
            .unwrap_or_else(|| args.scenario.name().to_string()),
        args.scenario.name(),
        &args.target,
        args.concurrency,
        args.connections,
    );
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}
