//! Support for suite tests: the service binaries as the images run them, an
//! in-process OTLP receiver that keeps every span and metric it is sent, and a
//! fault-injecting TCP proxy for the drills.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod parsers;
pub mod proxy;

use opentelemetry_proto::tonic::collector::{
    metrics::v1::{
        ExportMetricsServiceRequest, ExportMetricsServiceResponse,
        metrics_service_server::{MetricsService, MetricsServiceServer},
    },
    trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
};
use std::{
    net::SocketAddr,
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::process::{Child, Command};
use tonic::{Request, Response, Status};

/// What the receiver was sent.
#[derive(Default, Clone)]
pub struct Received {
    /// Every trace export.
    pub traces: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
    /// Every metrics export.
    pub metrics: Arc<Mutex<Vec<ExportMetricsServiceRequest>>>,
}

#[tonic::async_trait]
impl TraceService for Received {
    async fn export(
        &self,
        req: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.traces.lock().unwrap().push(req.into_inner());
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

#[tonic::async_trait]
impl MetricsService for Received {
    async fn export(
        &self,
        req: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        self.metrics.lock().unwrap().push(req.into_inner());
        Ok(Response::new(ExportMetricsServiceResponse {
            partial_success: None,
        }))
    }
}

/// Starts an OTLP/gRPC receiver on a loopback port.
pub async fn otlp_receiver() -> (SocketAddr, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let received = Received::default();
    let server = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(received.clone()))
        .add_service(MetricsServiceServer::new(received.clone()))
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
    tokio::spawn(server);
    (addr, received)
}

/// The directory holding the workspace's binaries (built by `cargo test --workspace`).
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    // target/<profile>/deps/<test> → target/<profile>
    exe.parent()
        .and_then(|p| p.parent())
        .expect("target dir")
        .to_path_buf()
}

/// A service binary running as a process; killed when dropped.
pub struct Service {
    /// Its address.
    pub addr: SocketAddr,
    /// The process.
    pub child: Child,
}

/// The health of `service` (`""`: liveness) at `addr`, `None` when it cannot be asked.
pub async fn health(addr: SocketAddr, service: &str) -> Option<i32> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .ok()?
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(2))
        .connect()
        .await
        .ok()?;
    tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: service.into(),
        })
        .await
        .ok()
        .map(|r| r.into_inner().status)
}

/// Asks every `every` until `service`'s health is `status`, at most `tries` times;
/// whether it got there.
pub async fn health_becomes(
    addr: SocketAddr,
    service: &str,
    status: tonic_health::pb::health_check_response::ServingStatus,
    tries: usize,
) -> bool {
    for _ in 0..tries {
        if health(addr, service).await == Some(status as i32) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

/// A free loopback port.
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Starts `binary` (e.g. `symbolon-customers`) with `env`, and waits until it accepts
/// connections.
pub async fn start(binary: &str, addr: SocketAddr, env: &[(&str, String)]) -> Service {
    let path = bin_dir().join(binary);
    assert!(
        path.exists(),
        "{} is missing: run the suite with `cargo test --workspace` (scripts/test.sh), which builds every service binary",
        path.display()
    );
    let mut cmd = Command::new(path);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SYMBOLON_LISTEN_ADDR", addr.to_string())
        .env("SYMBOLON_LOG", "warn")
        // Tests have no load balancer to tell; a test may set its own.
        .env("SYMBOLON_SHUTDOWN_DELAY_MS", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start service");
    // Migrations first: on a loaded machine that takes a while.
    for _ in 0..1200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Service { addr, child };
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{binary} exited before listening on {addr}: {status}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{binary} did not start on {addr}");
}

impl Service {
    /// Sends `signal` (`TERM`, `KILL`…) to the process.
    pub fn signal(&self, signal: &str) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args([&format!("-{signal}"), &pid.to_string()])
                .status();
        }
    }

    /// SIGKILL, and wait until the process is gone.
    pub async fn kill(mut self) {
        self.signal("KILL");
        let _ = self.child.wait().await;
    }

    /// Waits at most `limit` for the process to exit.
    pub async fn exit_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .ok()
            .and_then(Result::ok)
    }

    /// SIGTERM, then wait for a clean exit (which flushes telemetry).
    pub async fn stop(mut self) {
        self.signal("TERM");
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await;
        assert!(
            matches!(status, Ok(Ok(s)) if s.success()),
            "service did not exit cleanly: {status:?}"
        );
    }
}
