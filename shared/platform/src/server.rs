//! The one gRPC server stack every service runs.
//!
//! Layers, outermost first (why each is there, and why in that order):
//! 1. load shed + concurrency limit: past `concurrency_limit` calls in flight, new calls
//!    fail at once (UNAVAILABLE) instead of queueing without bound. Shed must sit above
//!    the limit to see it as not ready.
//! 2. observation (`observe::ObserveLayer`): every admitted call gets a server span with
//!    the OpenTelemetry RPC attributes, parented on the caller's W3C `traceparent`, and
//!    its `rpc.server.duration`; both end when the response ends (a stream's trailers),
//!    with the status it ended with. Health checks get no span.
//! 3. tonic's own deadline (`Server::timeout`): the smaller of the configured bound and
//!    the client's `grpc-timeout`.
//! 4. authentication: an interceptor on each Symbolon service (not on health or
//!    reflection, which probes and grpcurl use without a token).
//!
//! Shutdown (SIGTERM/SIGINT or [`GrpcServer::shutdown_token`]): health goes
//! NOT_SERVING, after `shutdown_delay` the listener closes and in-flight calls get up to
//! `drain_timeout` to finish.

use crate::{auth::Authenticator, config::ServerConfig};
use std::{convert::Infallible, net::SocketAddr};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::{
    body::Body,
    server::NamedService,
    service::RoutesBuilder,
    transport::{Server, server::TcpIncoming},
};
use tonic_health::{ServingStatus, server::HealthReporter};
use tower::ServiceBuilder;

/// The server failed to start or to run.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Token verification could not be set up.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthSetupError),
    /// Reflection could not load the descriptors.
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// A bound, not yet running, gRPC server with health and reflection.
pub struct GrpcServer {
    config: ServerConfig,
    listener: TcpListener,
    auth: Authenticator,
    health: HealthReporter,
    routes: RoutesBuilder,
    services: Vec<&'static str>,
    shutdown: CancellationToken,
}

impl GrpcServer {
    /// Binds `config.listen_addr` (port 0 picks a free port) and loads the token keys.
    pub async fn bind(config: ServerConfig) -> Result<Self, ServerError> {
        let auth = Authenticator::from_config(&config.auth)?;
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .map_err(|source| ServerError::Bind {
                addr: config.listen_addr,
                source,
            })?;
        let (health, health_service) = tonic_health::server::health_reporter();
        let mut routes = RoutesBuilder::default();
        routes.add_service(health_service);
        Ok(Self {
            config,
            listener,
            auth,
            health,
            routes,
            services: Vec::new(),
            shutdown: CancellationToken::new(),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.config.listen_addr)
    }

    /// The token verifier, for `access::Guard::new(svc, auth, &POLICY)`.
    pub fn authenticator(&self) -> Authenticator {
        self.auth.clone()
    }

    /// Cancelling it starts a graceful shutdown; long streams watch it to end in time.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// The health reporter, for services that track their dependencies.
    pub fn health(&self) -> HealthReporter {
        self.health.clone()
    }

    /// Registers a gRPC service; its health is reported under its full name.
    pub fn add_service<S>(&mut self, service: S) -> &mut Self
    where
        S: tower::Service<http::Request<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.services.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// Serves until SIGTERM/SIGINT or the shutdown token, then drains.
    pub async fn run(self) -> Result<(), ServerError> {
        let Self {
            config,
            listener,
            health,
            routes,
            services,
            shutdown,
            ..
        } = self;
        for name in &services {
            health
                .set_service_status(*name, ServingStatus::Serving)
                .await;
        }
        // Reflection advertises exactly what this server serves; the descriptor sets also
        // carry google.rpc so grpcurl can print error details.
        let reflection = || {
            let mut b = tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(symbolon_contracts::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET);
            for name in services.iter().copied().chain([
                "grpc.health.v1.Health",
                "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection",
            ]) {
                b = b.with_service_name(name);
            }
            b
        };
        // Both reflection versions: grpcurl 1.8 speaks v1alpha, newer tools v1.
        let mut routes = routes;
        routes.add_service(reflection().build_v1()?);
        routes.add_service(reflection().build_v1alpha()?);
        let signal_token = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = shutdown_signal() => signal_token.cancel(),
                _ = signal_token.cancelled() => {}
            }
        });

        let stop_accepting = CancellationToken::new();
        let drain = {
            let health = health.clone();
            let stop_accepting = stop_accepting.clone();
            let shutdown = shutdown.clone();
            let delay = config.shutdown_delay;
            async move {
                shutdown.cancelled().await;
                tracing::info!("shutting down: reporting NOT_SERVING");
                health
                    .set_service_status("", ServingStatus::NotServing)
                    .await;
                for name in &services {
                    health
                        .set_service_status(*name, ServingStatus::NotServing)
                        .await;
                }
                // Give load balancers time to notice before the listener closes.
                tokio::time::sleep(delay).await;
                stop_accepting.cancel();
            }
        };
        tokio::spawn(drain);

        let layers = ServiceBuilder::new()
            .load_shed()
            .concurrency_limit(config.concurrency_limit)
            .layer(crate::observe::ObserveLayer::default())
            .into_inner();
        let mut builder = Server::builder();
        if !config.max_connection_age.is_zero() {
            // Periodic reconnects let kube-proxy spread long-lived HTTP/2 clients over
            // replicas added since they connected; in-flight calls finish first.
            builder = builder.max_connection_age(config.max_connection_age);
        }
        let serve = builder
            .timeout(config.request_timeout)
            .layer(layers)
            .add_routes(routes.routes())
            .serve_with_incoming_shutdown(
                // Server::tcp_nodelay is ignored with an incoming stream: set it here, or
                // Nagle holds small responses back for tens of milliseconds.
                TcpIncoming::from(listener).with_nodelay(Some(true)),
                {
                    let stop = stop_accepting.clone();
                    async move { stop.cancelled().await }
                },
            );
        tokio::pin!(serve);
        tracing::info!(service = %config.service, addr = %config.listen_addr, "serving");
        tokio::select! {
            result = &mut serve => result?,
            _ = async {
                stop_accepting.cancelled().await;
                tokio::time::sleep(config.drain_timeout).await;
            } => {
                tracing::warn!("drain timeout reached; closing remaining calls");
            }
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on SIGTERM (what Kubernetes sends to start a graceful shutdown) or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
