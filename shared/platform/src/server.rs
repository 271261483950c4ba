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
//! 3. the call's bound (`bound::BoundLayer`): DEADLINE_EXCEEDED at the smaller of the
//!    configured bound and the client's `grpc-timeout`, UNAVAILABLE at the shutdown
//!    cutoff. Inside observation, so spans and metrics record those codes.
//! 4. panic containment (`contain`): a panicking handler or response stream ends its
//!    own call with INTERNAL, inside the span so observation records it.
//! 5. authentication: an interceptor on each Symbolon service (not on health or
//!    reflection, which probes and grpcurl use without a token).
//!
//! Health: `""` is liveness — SERVING while the process serves, NOT_SERVING once it
//! shuts down; a database outage leaves it alone (restarting the pod would not bring
//! the database back). Each service's own name is readiness — SERVING only while the
//! database answers ([`GrpcServer::follow_database`]) and the server is not shutting
//! down.
//!
//! Shutdown (SIGTERM/SIGINT or [`GrpcServer::shutdown_token`]): health goes
//! NOT_SERVING, after `shutdown_delay` the listener closes and in-flight calls get up to
//! `drain_timeout` to finish. Then whatever still runs ends with UNAVAILABLE (the
//! cutoff), background tasks ([`GrpcServer::background`]) are dropped, and `run`
//! returns within [`AFTER_CUTOFF`] + twice [`BACKGROUND_GRACE`], whatever the database
//! does.

use crate::{
    Database,
    access::{Guard, ServicePolicy},
    auth::Authenticator,
    background::Background,
    bound::BoundLayer,
    config::ServerConfig,
    db::Migrations,
    status::StoreError,
};
use std::{convert::Infallible, net::SocketAddr, time::Duration};
use tokio::{net::TcpListener, sync::watch};
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

/// A service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not be opened or migrated.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The server could not be set up.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The URL of a service it calls is invalid.
    #[error("{service} service URL: {source}")]
    ServiceUrl {
        /// That service, as operators name it (`customers`, `supply-chain`).
        service: &'static str,
        /// Why.
        source: tonic::transport::Error,
    },
}

impl StartError {
    /// The error of a bad URL of `service`.
    pub fn service_url(service: &'static str) -> impl FnOnce(tonic::transport::Error) -> Self {
        move |source| Self::ServiceUrl { service, source }
    }
}

/// What every service's `Application` shares around its own
/// `build_with_clock(config, clock)`: `build` (on the system clock),
/// `run_until_stopped`, and `Deref` to the [`BoundService`] in field `$field`.
#[macro_export]
macro_rules! application {
    ($app:ident, $config:ty, $field:ident) => {
        impl $app {
            /// Opens the store, applies migrations, binds the port.
            pub async fn build(config: $config) -> Result<Self, $crate::server::StartError> {
                Self::build_with_clock(config, $crate::time::Clock::system()).await
            }

            /// Serves until shut down, then closes the stores.
            pub async fn run_until_stopped(self) -> Result<(), $crate::server::ServerError> {
                self.$field.run_until_stopped().await
            }

            /// Builds with `config` and serves until shut down: what `main` runs.
            pub async fn serve(config: $config) -> Result<(), $crate::server::StartError> {
                Ok(Self::build(config).await?.run_until_stopped().await?)
            }
        }

        // The address and shutdown token come from the shared bound service.
        impl ::std::ops::Deref for $app {
            type Target = $crate::server::BoundService;

            fn deref(&self) -> &$crate::server::BoundService {
                &self.$field
            }
        }
    };
}

/// Implements a generated gRPC service trait for a service's handlers: one line per
/// unary method, `method(Request) -> Response = handler;`, each answered by
/// `handler(self, &caller, request)` for the authenticated caller ([`Caller::split`]);
/// the methods that are not so plain (streams, their types) follow in braces, as
/// written in the trait.
///
/// [`Caller::split`]: crate::Caller::split
#[macro_export]
macro_rules! grpc_service {
    (
        impl $service:ident for $api:ty;
        $($method:ident($req:ty) -> $resp:ty = $handler:path;)*
        { $($rest:tt)* }
    ) => {
        #[::tonic::async_trait]
        impl $service for $api {
            $(
                async fn $method(
                    &self,
                    req: ::tonic::Request<$req>,
                ) -> ::std::result::Result<::tonic::Response<$resp>, ::tonic::Status> {
                    let (caller, r) = $crate::Caller::split(req)?;
                    Ok(::tonic::Response::new($handler(self, &caller, r).await?))
                }
            )*
            $($rest)*
        }
    };
}

/// Opens the service's store at `config.database_url` (migrated) and binds its server,
/// which follows the store for readiness: the first steps of every service's start.
pub async fn open_and_bind<E>(
    config: ServerConfig,
    migrations: &Migrations,
) -> Result<(Database, GrpcServer), E>
where
    E: From<StoreError> + From<ServerError>,
{
    let db = Database::connect_with(&config.database_url, migrations, config.database).await?;
    let mut server = GrpcServer::bind(config).await?;
    server.follow_database(&db);
    Ok((db, server))
}

/// A built, bound, not yet running service: its server and the stores it closes once
/// the server has stopped. Each service's `Application` wraps one.
pub struct BoundService {
    server: GrpcServer,
    stores: Vec<Database>,
}

impl BoundService {
    /// `server`, closing `stores` (in order) after it has stopped.
    pub fn new(server: GrpcServer, stores: Vec<Database>) -> Self {
        Self { server, stores }
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Cancel to shut down gracefully.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.server.shutdown_token()
    }

    /// Serves until shut down, then closes the stores.
    pub async fn run_until_stopped(self) -> Result<(), ServerError> {
        let result = self.server.run().await;
        for store in self.stores {
            store.close().await;
        }
        result
    }
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
    background: Background,
    database: Option<Database>,
}

/// How long, after the cutoff, the last answers get to go out before the connections
/// are closed.
pub const AFTER_CUTOFF: Duration = Duration::from_millis(300);
/// How long background tasks get to end by themselves once the server has stopped,
/// and again once dropped.
pub const BACKGROUND_GRACE: Duration = Duration::from_millis(100);

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
            background: Background::default(),
            database: None,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.config.listen_addr)
    }

    /// The token verifier (the guard of [`GrpcServer::add_guarded`] uses it).
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

    /// Where the service runs its background tasks, so they stop with the server.
    pub fn background(&self) -> Background {
        self.background.clone()
    }

    /// Readiness follows `db`: probed while the server runs, NOT_SERVING after it has
    /// been unreachable for a while, SERVING again by itself when it answers.
    pub fn follow_database(&mut self, db: &Database) -> &mut Self {
        self.database = Some(db.clone());
        self
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

    /// Serves `service` (a generated `…Server`) behind the [`Guard`] of `policy`: every
    /// call authenticated and admitted by its method's declared rule before it runs.
    pub fn add_guarded<S>(&mut self, service: S, policy: &'static ServicePolicy) -> &mut Self
    where
        S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let guarded = Guard::new(service, self.authenticator(), policy);
        self.add_service(guarded)
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
            background,
            database,
            ..
        } = self;
        for name in &services {
            health
                .set_service_status(*name, ServingStatus::Serving)
                .await;
        }
        // Ends the database watch once the server has stopped (it keeps readiness true
        // to the database during the drain too).
        let stopped = CancellationToken::new();
        let mut reachable = match &database {
            Some(db) => {
                background.spawn(db.clone().watch_reachability(stopped.clone()));
                db.reachable()
            }
            None => watch::Sender::new(true).subscribe(),
        };
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
                // Readiness follows the database until the shutdown; one task does both,
                // so a late "reachable again" never undoes NOT_SERVING.
                loop {
                    tokio::select! {
                        biased;
                        () = shutdown.cancelled() => break,
                        changed = reachable.changed() => {
                            if changed.is_err() {
                                shutdown.cancelled().await;
                                break;
                            }
                            let status = if *reachable.borrow_and_update() {
                                ServingStatus::Serving
                            } else {
                                ServingStatus::NotServing
                            };
                            for name in &services {
                                health.set_service_status(*name, status).await;
                            }
                        }
                    }
                }
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

        let cutoff = CancellationToken::new();
        let layers = ServiceBuilder::new()
            .load_shed()
            .concurrency_limit(config.concurrency_limit)
            .layer(crate::observe::ObserveLayer::default())
            .layer(BoundLayer::new(config.request_timeout, cutoff.clone()))
            .layer(crate::contain::ContainPanicsLayer)
            .into_inner();
        let mut builder = Server::builder();
        if !config.max_connection_age.is_zero() {
            // Periodic reconnects let kube-proxy spread long-lived HTTP/2 clients over
            // replicas added since they connected; in-flight calls finish first.
            builder = builder.max_connection_age(config.max_connection_age);
        }
        // No `Server::timeout`: its expiry answers CANCELLED; `BoundLayer` keeps the bound.
        let serve = builder
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
        // Boxed so that dropping it closes every connection before the tasks stop.
        let mut serve = Box::pin(serve);
        tracing::info!(service = %config.service, addr = %config.listen_addr, "serving");
        let served = tokio::select! {
            result = &mut serve => result,
            _ = async {
                stop_accepting.cancelled().await;
                tokio::time::sleep(config.drain_timeout).await;
            } => {
                tracing::warn!("drain timeout reached; ending remaining calls with UNAVAILABLE");
                cutoff.cancel();
                match tokio::time::timeout(AFTER_CUTOFF, &mut serve).await {
                    Ok(result) => result,
                    Err(_) => {
                        tracing::warn!("connections still open after the cutoff; closing them");
                        Ok(())
                    }
                }
            }
        };
        drop(serve);
        stopped.cancel();
        let dropped = background.stop(BACKGROUND_GRACE).await;
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "background tasks still running at shutdown were dropped"
            );
        }
        tracing::info!("stopped");
        Ok(served?)
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
