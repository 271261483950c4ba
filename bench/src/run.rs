//! The closed loop: N workers, each with one call in flight, spread over M HTTP/2
//! connections, for a count of calls or a duration, after a warm-up whose calls are not
//! counted.

use crate::{
    cpu::{self, CpuWatch},
    scenario::{Auth, Caller, Fixtures},
    stats::{Recorder, Report},
};
use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, Instant},
};
use tonic::transport::Channel;

/// When to stop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// After this many measured calls (successful or not).
    Count(u64),
    /// After this long (measured part only).
    Duration(Duration),
}

/// How to load the target.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Calls in flight (one per worker).
    pub concurrency: usize,
    /// Not counted; the measured part starts after it.
    pub warmup: Duration,
    /// When the measured part ends.
    pub stop: Stop,
    /// Other processes whose CPU use to report (e.g. the server).
    pub watch_pids: Vec<u32>,
}

/// What the measured part yields, before labelling.
#[derive(Debug)]
pub struct Outcome {
    /// Merged over every worker.
    pub recorder: Recorder,
    /// From the end of warm-up to the last call's end.
    pub elapsed: Duration,
    /// CPU over the measured part.
    pub cpu: Vec<cpu::CpuUse>,
    /// Share of the whole machine busy over the measured part.
    pub machine_busy_percent: Option<f64>,
    /// Successful calls during warm-up (not in the figures; writes still happened).
    pub warmup_ok: u64,
}

/// Runs `plan` with worker `i` on `channels[i % channels.len()]`.
pub async fn run(
    plan: &Plan,
    channels: &[Channel],
    fixtures: &Fixtures,
    auth: &Auth,
) -> anyhow::Result<Outcome> {
    anyhow::ensure!(!channels.is_empty(), "at least one connection is needed");
    anyhow::ensure!(plan.concurrency > 0, "concurrency must be at least 1");
    let start = Instant::now();
    let measure_from = start + plan.warmup;
    let end = match plan.stop {
        Stop::Duration(d) => Some(measure_from + d),
        Stop::Count(_) => None,
    };
    let budget = Arc::new(AtomicI64::new(match plan.stop {
        Stop::Count(n) => i64::try_from(n).unwrap_or(i64::MAX),
        Stop::Duration(_) => i64::MAX,
    }));

    let mut workers = Vec::with_capacity(plan.concurrency);
    for i in 0..plan.concurrency {
        let mut caller = Caller::new(fixtures, channels[i % channels.len()].clone(), auth, i);
        let budget = budget.clone();
        workers.push(tokio::spawn(async move {
            let mut rec = Recorder::new();
            let mut warmup_ok = 0u64;
            loop {
                let t0 = Instant::now();
                if end.is_some_and(|end| t0 >= end) {
                    break;
                }
                let measured = t0 >= measure_from;
                if measured && budget.fetch_sub(1, Ordering::Relaxed) <= 0 {
                    break;
                }
                let result = caller.call().await;
                match (measured, result) {
                    (true, Ok(())) => rec.ok(t0.elapsed()),
                    (true, Err(status)) => rec.error(&status),
                    (false, Ok(())) => warmup_ok += 1,
                    (false, Err(_)) => {}
                }
            }
            (rec, warmup_ok, Instant::now())
        }));
    }

    tokio::time::sleep_until(measure_from.into()).await;
    let watch = CpuWatch::start(&plan.watch_pids);
    let mut recorder = Recorder::new();
    let mut last_end = measure_from;
    let mut warmup_ok = 0;
    for w in workers {
        let (rec, ok, ended) = w.await?;
        recorder.merge(&rec);
        warmup_ok += ok;
        last_end = last_end.max(ended);
    }
    let cpu = watch.stop();
    Ok(Outcome {
        recorder,
        elapsed: last_end.saturating_duration_since(measure_from),
        cpu,
        machine_busy_percent: watch.machine_busy_percent(),
        warmup_ok,
    })
}

/// Labels an outcome for reporting.
pub fn report(
    outcome: Outcome,
    label: String,
    scenario: &str,
    target: &str,
    concurrency: usize,
    connections: usize,
) -> Report {
    Report {
        label,
        scenario: scenario.to_string(),
        target: target.to_string(),
        concurrency,
        connections,
        elapsed: outcome.elapsed,
        recorder: outcome.recorder,
        cpu: outcome.cpu,
        machine_busy_percent: outcome.machine_busy_percent,
        warmup_ok: outcome.warmup_ok,
        cores: cpu::cores(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{self, Kind};
    use tokio::net::TcpListener;

    async fn echo_server() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(crate::echo::service())
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
        );
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn counts_exactly_the_requested_calls_against_echo() {
        let url = echo_server().await;
        let endpoint = tonic::transport::Endpoint::from_shared(url).unwrap();
        scenario::wait_ready(Kind::Echo, &endpoint, Duration::from_secs(5))
            .await
            .unwrap();
        let channels = vec![
            endpoint.connect().await.unwrap(),
            endpoint.connect().await.unwrap(),
        ];
        let auth = Auth::new(None).unwrap();
        let fixtures = scenario::prepare(Kind::Echo, channels[0].clone(), &auth, 0, 32)
            .await
            .unwrap();
        let plan = Plan {
            concurrency: 8,
            warmup: Duration::from_millis(100),
            stop: Stop::Count(500),
            watch_pids: vec![],
        };
        let out = run(&plan, &channels, &fixtures, &auth).await.unwrap();
        assert_eq!(out.recorder.ok_count(), 500);
        assert_eq!(out.recorder.error_count(), 0);
        assert!(out.recorder.quantile_us(0.5) > 0);
        assert!(out.cpu.iter().any(|c| c.pid.is_none()));
    }

    #[tokio::test]
    async fn counts_failures_by_code() {
        // Nothing listens there: every call fails with UNAVAILABLE.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect_lazy();
        let auth = Auth::new(None).unwrap();
        let fixtures = scenario::prepare(Kind::Echo, channel.clone(), &auth, 0, 8)
            .await
            .unwrap();
        let plan = Plan {
            concurrency: 2,
            warmup: Duration::ZERO,
            stop: Stop::Count(20),
            watch_pids: vec![],
        };
        let out = run(&plan, &[channel], &fixtures, &auth).await.unwrap();
        assert_eq!(out.recorder.ok_count(), 0);
        assert_eq!(out.recorder.errors()["Unavailable"].count, 20);
    }
}
