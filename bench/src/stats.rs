//! Latency histograms (HDR, microseconds), error counts by gRPC code, and the report.

use crate::cpu::CpuUse;
use hdrhistogram::Histogram;
use std::{collections::BTreeMap, time::Duration};

/// Highest latency the histogram tracks exactly (60 s, in µs); longer ones saturate.
const MAX_US: u64 = 60_000_000;

/// What one worker saw: latencies of successful calls, and failures by gRPC code.
#[derive(Debug, Clone)]
pub struct Recorder {
    latency: Histogram<u64>,
    errors: BTreeMap<i32, ErrorCount>,
}

/// Failures of one gRPC code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCount {
    /// How many.
    pub count: u64,
    /// The message of the first one, to tell what went wrong.
    pub sample: String,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    /// An empty recorder: 1 µs to 60 s at 3 significant figures.
    pub fn new() -> Self {
        // Constant, valid bounds: this cannot fail.
        let latency = Histogram::new_with_bounds(1, MAX_US, 3)
            .unwrap_or_else(|e| panic!("histogram bounds: {e}"));
        Self {
            latency,
            errors: BTreeMap::new(),
        }
    }

    /// A successful call that took `latency`.
    pub fn ok(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency.saturating_record(us.clamp(1, MAX_US));
    }

    /// A failed call.
    pub fn error(&mut self, status: &tonic::Status) {
        let entry = self
            .errors
            .entry(status.code() as i32)
            .or_insert_with(|| ErrorCount {
                count: 0,
                sample: status.message().to_string(),
            });
        entry.count += 1;
    }

    /// Adds what `other` saw.
    pub fn merge(&mut self, other: &Recorder) {
        // Same bounds on both sides, so adding cannot fail; saturate if it somehow did.
        if self.latency.add(&other.latency).is_err() {
            for v in other.latency.iter_recorded() {
                self.latency
                    .saturating_record_n(v.value_iterated_to(), v.count_at_value());
            }
        }
        for (code, e) in &other.errors {
            let entry = self.errors.entry(*code).or_insert_with(|| ErrorCount {
                count: 0,
                sample: e.sample.clone(),
            });
            entry.count += e.count;
        }
    }

    /// Successful calls.
    pub fn ok_count(&self) -> u64 {
        self.latency.len()
    }

    /// Failed calls.
    pub fn error_count(&self) -> u64 {
        self.errors.values().map(|e| e.count).sum()
    }

    /// Failures by gRPC code name (`Unavailable`, `Unauthenticated`, ...).
    pub fn errors(&self) -> BTreeMap<String, ErrorCount> {
        self.errors
            .iter()
            .map(|(code, e)| (code_name(*code), e.clone()))
            .collect()
    }

    /// Latency at quantile `q` (0..=1) in µs; 0 with no samples.
    pub fn quantile_us(&self, q: f64) -> u64 {
        if self.latency.is_empty() {
            0
        } else {
            self.latency.value_at_quantile(q)
        }
    }

    /// Longest latency in µs.
    pub fn max_us(&self) -> u64 {
        self.latency.max()
    }

    /// Shortest latency in µs.
    pub fn min_us(&self) -> u64 {
        if self.latency.is_empty() {
            0
        } else {
            self.latency.min()
        }
    }

    /// Mean latency in µs.
    pub fn mean_us(&self) -> f64 {
        self.latency.mean()
    }
}

fn code_name(code: i32) -> String {
    format!("{:?}", tonic::Code::from_i32(code))
}

/// The outcome of one load run.
#[derive(Debug, Clone)]
pub struct Report {
    /// A name for the run (`--label`, or the scenario).
    pub label: String,
    /// The scenario.
    pub scenario: String,
    /// The server's URL.
    pub target: String,
    /// Calls in flight.
    pub concurrency: usize,
    /// HTTP/2 connections.
    pub connections: usize,
    /// Wall time of the measured part (warm-up excluded).
    pub elapsed: Duration,
    /// What the workers saw during the measured part.
    pub recorder: Recorder,
    /// CPU use over the measured part: the tool first, then each `--watch-pid`.
    pub cpu: Vec<CpuUse>,
    /// Share of the whole machine busy over the measured part, whoever used it.
    pub machine_busy_percent: Option<f64>,
    /// Successful calls during warm-up, not in the figures (their writes did happen).
    pub warmup_ok: u64,
    /// Logical cores of the machine.
    pub cores: usize,
}

impl Report {
    /// Successful calls per second.
    pub fn rps(&self) -> f64 {
        self.recorder.ok_count() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The load tool's own CPU use, if it could be read.
    pub fn tool_cpu(&self) -> Option<&CpuUse> {
        self.cpu.iter().find(|c| c.pid.is_none())
    }

    /// True when the tool used at least 90% of every core: its figures then measure
    /// the tool, not the server.
    pub fn generator_saturated(&self) -> bool {
        self.tool_cpu()
            .is_some_and(|c| c.percent_of_machine >= 90.0)
    }

    /// One flat JSON object (flat so that shell scripts can pick fields with sed).
    pub fn to_json(&self) -> serde_json::Value {
        let r = &self.recorder;
        let errors: serde_json::Map<String, serde_json::Value> = r
            .errors()
            .into_iter()
            .map(|(k, e)| (k, serde_json::json!({"count": e.count, "sample": e.sample})))
            .collect();
        let watched: Vec<serde_json::Value> = self
            .cpu
            .iter()
            .filter_map(|c| {
                c.pid.map(|pid| {
                    serde_json::json!({
                        "pid": pid,
                        "cores_used": round2(c.cores_used),
                        "percent_of_machine": round2(c.percent_of_machine),
                    })
                })
            })
            .collect();
        let tool = self.tool_cpu();
        serde_json::json!({
            "label": self.label,
            "scenario": self.scenario,
            "target": self.target,
            "concurrency": self.concurrency,
            "connections": self.connections,
            "elapsed_s": round2(self.elapsed.as_secs_f64()),
            "ok": r.ok_count(),
            "warmup_ok": self.warmup_ok,
            "error_count": r.error_count(),
            "rps": round2(self.rps()),
            "p50_us": r.quantile_us(0.50),
            "p90_us": r.quantile_us(0.90),
            "p99_us": r.quantile_us(0.99),
            "p999_us": r.quantile_us(0.999),
            "max_us": r.max_us(),
            "min_us": r.min_us(),
            "mean_us": round2(r.mean_us()),
            "tool_cpu_percent": tool.map(|c| round2(c.percent_of_machine)),
            "tool_cpu_cores": tool.map(|c| round2(c.cores_used)),
            "machine_busy_percent": self.machine_busy_percent.map(round2),
            "cores": self.cores,
            "generator_saturated": self.generator_saturated(),
            "watched_cpu": watched,
            "errors": errors,
        })
    }

    /// The human-readable report.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let r = &self.recorder;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{}: {} against {}, {} in flight over {} connection(s)",
            self.label, self.scenario, self.target, self.concurrency, self.connections
        );
        let _ = writeln!(
            s,
            "  calls       {} ok, {} failed in {:.2} s",
            r.ok_count(),
            r.error_count(),
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(s, "  throughput  {:.1} calls/s", self.rps());
        let _ = writeln!(
            s,
            "  latency µs  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  (min {}, mean {:.0})",
            r.quantile_us(0.50),
            r.quantile_us(0.90),
            r.quantile_us(0.99),
            r.quantile_us(0.999),
            r.max_us(),
            r.min_us(),
            r.mean_us()
        );
        for (code, e) in r.errors() {
            let _ = writeln!(s, "  error       {code}: {} (first: {})", e.count, e.sample);
        }
        for c in &self.cpu {
            let who = match c.pid {
                None => "load tool".to_string(),
                Some(pid) => format!("pid {pid}"),
            };
            let _ = writeln!(
                s,
                "  cpu         {who}: {:.2} cores = {:.1}% of {} cores",
                c.cores_used, c.percent_of_machine, self.cores
            );
        }
        if let Some(busy) = self.machine_busy_percent {
            let _ = writeln!(
                s,
                "  cpu         whole machine: {busy:.1}% busy (everything, other processes included)"
            );
        }
        if self.generator_saturated() {
            let _ = writeln!(
                s,
                "  WARNING     the load tool used ≥ 90% of the machine: these figures measure the tool"
            );
        }
        s
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_latencies_and_errors() {
        let mut a = Recorder::new();
        let mut b = Recorder::new();
        for us in 1..=100u64 {
            a.ok(Duration::from_micros(us));
            b.ok(Duration::from_micros(us + 100));
        }
        a.error(&tonic::Status::unavailable("down"));
        b.error(&tonic::Status::unavailable("still down"));
        b.error(&tonic::Status::unauthenticated("no token"));
        a.merge(&b);
        assert_eq!(a.ok_count(), 200);
        assert_eq!(a.error_count(), 3);
        assert_eq!(a.quantile_us(0.5), 100);
        assert_eq!(a.max_us(), 200);
        let errors = a.errors();
        assert_eq!(errors["Unavailable"].count, 2);
        assert_eq!(errors["Unavailable"].sample, "down");
        assert_eq!(errors["Unauthenticated"].count, 1);
    }

    #[test]
    fn report_is_flat_json_with_rates() {
        let mut r = Recorder::new();
        for _ in 0..1000 {
            r.ok(Duration::from_micros(250));
        }
        let report = Report {
            label: "x".into(),
            scenario: "echo".into(),
            target: "http://127.0.0.1:1".into(),
            concurrency: 1,
            connections: 1,
            elapsed: Duration::from_secs(2),
            recorder: r,
            cpu: vec![CpuUse {
                pid: None,
                cores_used: 1.9,
                percent_of_machine: 95.0,
            }],
            machine_busy_percent: Some(99.0),
            warmup_ok: 0,
            cores: 2,
        };
        let j = report.to_json();
        assert_eq!(j["rps"], 500.0);
        assert_eq!(j["p50_us"], 250);
        assert_eq!(j["generator_saturated"], true);
        assert!(report.to_text().contains("WARNING"));
    }
}
