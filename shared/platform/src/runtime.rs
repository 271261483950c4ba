//! The Tokio runtime every binary runs on, sized to the CPUs the process may use.
//!
//! `SYMBOLON_WORKER_THREADS` (or `SYMBOLON_<SERVICE>_WORKER_THREADS`) sets the number
//! of worker threads; by default it is the number of CPUs the process may use, which
//! follows a cgroup CPU limit: a Kubernetes pod with `limits.cpu: 1` gets one.
//!
//! With one, customers and supply-chain run Tokio's current-thread scheduler, not a
//! multi-thread one with a single worker. The multi-thread scheduler runs a task woken by the running
//! task next (its "LIFO slot"): each handler that finishes wakes its HTTP/2
//! connection's task, which then writes that one response before the next handler
//! runs — one `writev` per call. The current-thread scheduler queues the connection
//! task behind the handlers already woken, so one write carries all their responses.
//! Measured on 2 cores (GetCustomer on PostgreSQL, 32 in flight, load tool on one
//! thread): 42k–46k calls/s with one multi-thread worker, 56k–60k on the current
//! thread, at ~12 µs of service CPU a call instead of ~20.
//!
//! That suits services whose calls each answer once. The labs service fans each log
//! entry out to up to a thousand live watchers, and there the current-thread scheduler
//! measured worse: p99 from append to receipt 100 ms against 24 ms with one multi-thread
//! worker (`cargo bench -p symbolon-labs --bench logs`, 1,000 watchers, batches of
//! 100; 48 ms against 24 ms one entry per event). So a binary says which [`Scheduler`]
//! it wants, and labs keeps the multi-thread one.

use crate::config::{ConfigError, Env};
use std::num::NonZeroUsize;
use tokio::runtime::{Builder, Runtime};

/// The runtime could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// `SYMBOLON_WORKER_THREADS` is not a positive number.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The operating system refused (threads, the I/O driver).
    #[error("cannot start the runtime: {0}")]
    Io(#[from] std::io::Error),
}

/// Which scheduler a binary runs on when it has one worker (with more, always the
/// multi-thread one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduler {
    /// Tokio's current-thread scheduler with one worker: for services whose calls each
    /// answer once (customers, supply-chain, the bench's echo server).
    CurrentThreadWhenOne,
    /// The multi-thread scheduler whatever the count: for a service that fans events
    /// out to many long-lived streams (labs).
    MultiThread,
}

/// Worker threads: `SYMBOLON_WORKER_THREADS`, else the CPUs this process may use.
pub fn worker_threads(env: &Env<'_>) -> Result<NonZeroUsize, ConfigError> {
    let cpus = std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN);
    env.get("WORKER_THREADS", cpus)
}

/// The runtime for `env`: multi-thread, or current-thread when `scheduler` asks for it
/// and there is one worker.
pub fn build(env: &Env<'_>, scheduler: Scheduler) -> Result<Runtime, RuntimeError> {
    let workers = worker_threads(env)?;
    let mut builder = if workers.get() == 1 && scheduler == Scheduler::CurrentThreadWhenOne {
        Builder::new_current_thread()
    } else {
        let mut b = Builder::new_multi_thread();
        b.worker_threads(workers.get());
        b
    };
    Ok(builder.enable_all().build()?)
}

/// A service's `main` up to its own part: the runtime for `scheduler` (sized from
/// `service`'s environment), JSON logs and telemetry as `service`, then `run` with that
/// environment, to its end.
pub fn serve<E, F, Fut>(service: &str, scheduler: Scheduler, run: F) -> Result<(), E>
where
    E: From<RuntimeError> + From<crate::telemetry::TelemetryError>,
    F: FnOnce(Env<'static>) -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
{
    let env = Env::process(service);
    build(&env, scheduler)?.block_on(async {
        let _telemetry = crate::telemetry::init(service, crate::telemetry::LogFormat::Json)?;
        run(env).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::runtime::RuntimeFlavor;

    fn env(value: Option<&'static str>) -> Env<'static> {
        Env::from_fn("customers", move |k| {
            value
                .filter(|_| k == "SYMBOLON_WORKER_THREADS")
                .map(str::to_string)
        })
    }

    #[test]
    fn one_worker_is_the_current_thread_scheduler() -> Result<(), RuntimeError> {
        let rt = build(&env(Some("1")), Scheduler::CurrentThreadWhenOne)?;
        assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
        assert_eq!(rt.block_on(async { 6 * 7 }), 42);
        Ok(())
    }

    #[test]
    fn a_fan_out_service_keeps_the_multi_thread_scheduler_with_one_worker()
    -> Result<(), RuntimeError> {
        let rt = build(&env(Some("1")), Scheduler::MultiThread)?;
        assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::MultiThread);
        assert_eq!(rt.metrics().num_workers(), 1);
        Ok(())
    }

    #[test]
    fn more_workers_are_the_multi_thread_scheduler() -> Result<(), RuntimeError> {
        let rt = build(&env(Some("3")), Scheduler::CurrentThreadWhenOne)?;
        assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::MultiThread);
        assert_eq!(rt.metrics().num_workers(), 3);
        Ok(())
    }

    #[test]
    fn by_default_one_worker_per_usable_cpu() -> Result<(), Box<dyn std::error::Error>> {
        let cpus = std::thread::available_parallelism()?;
        assert_eq!(worker_threads(&env(None))?, cpus);
        Ok(())
    }

    #[test]
    fn zero_or_garbage_is_refused_by_name() {
        for bad in ["0", "two", "-1"] {
            match build(&env(Some(bad)), Scheduler::MultiThread) {
                Err(RuntimeError::Config(e)) => {
                    assert!(e.to_string().contains("SYMBOLON_WORKER_THREADS"), "{e}")
                }
                other => panic!("{bad}: {:?}", other.map(|_| ())),
            }
        }
    }
}
