//! Calls from one service to another: a channel with a connect timeout and the client
//! tracing layer (W3C trace context injected), and a request builder that carries the
//! caller's bearer token and a deadline.

use crate::auth::Caller;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};
use tonic_tracing_opentelemetry::middleware::client::{OtelGrpcLayer, OtelGrpcService};

/// `message` with `token` as its bearer credential, for tools, demos and tests that
/// call a service as someone; a token that is not a valid header value is refused.
pub fn try_authed<T>(
    token: &str,
    message: T,
) -> Result<tonic::Request<T>, tonic::metadata::errors::InvalidMetadataValue> {
    let mut r = tonic::Request::new(message);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    Ok(r)
}

/// [`try_authed`], leaving an unusable token out: the service then answers
/// UNAUTHENTICATED.
pub fn authed<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    if let Ok(v) = format!("Bearer {token}").parse() {
        r.metadata_mut().insert("authorization", v);
    }
    r
}

/// A channel to another Symbolon service, traced.
pub type TracedChannel = OtelGrpcService<Channel>;

/// Another Symbolon service that handlers call as their caller: its channel, and the
/// deadline of every unary call on it.
#[derive(Clone)]
pub struct Peer {
    channel: TracedChannel,
    deadline: Duration,
}

impl Peer {
    /// A lazily connecting peer at `uri` ([`channel`], a second to connect); each unary
    /// call ends after `deadline`.
    pub fn new(uri: &str, deadline: Duration) -> Result<Self, tonic::transport::Error> {
        Ok(Self {
            channel: channel(uri, Duration::from_secs(1), deadline)?,
            deadline,
        })
    }

    /// The channel, for the peer's generated client.
    pub fn channel(&self) -> TracedChannel {
        self.channel.clone()
    }

    /// `message` as `caller`'s request, within this peer's deadline ([`request`]).
    pub fn request<T>(&self, caller: &Caller, message: T) -> tonic::Request<T> {
        request(caller, message, self.deadline)
    }
}

/// A channel to `uri` that connects lazily, so a dependency that is down makes calls
/// fail fast with UNAVAILABLE rather than blocking start-up. `call_timeout` bounds every
/// call on the client side too, so a hung peer cannot hang the caller.
///
/// `http://host:port` dials one address (a ClusterIP Service, or a mesh sidecar that
/// balances per call). `dns:///host:port` balances calls over every address the name
/// resolves to, re-resolved every [`RESOLVE_EVERY`]: point it at a headless Service to
/// spread calls over the replicas without a mesh.
pub fn channel(
    uri: &str,
    connect_timeout: Duration,
    call_timeout: Duration,
) -> Result<TracedChannel, tonic::transport::Error> {
    let endpoint = move |uri: String| -> Result<Endpoint, tonic::transport::Error> {
        Ok(Endpoint::from_shared(uri)?
            .connect_timeout(connect_timeout)
            .timeout(call_timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_while_idle(true))
    };
    let channel = match uri.strip_prefix("dns:///") {
        Some(target) => {
            // Checked now, so a malformed target fails at start-up, not on every call.
            endpoint(format!("http://{target}"))?;
            let resolve = |target: String| async move {
                tokio::net::lookup_host(target.as_str())
                    .await
                    .map(|a| a.collect::<Vec<_>>())
            };
            balanced(target.to_string(), endpoint, resolve)
        }
        None => endpoint(uri.to_string())?.connect_lazy(),
    };
    Ok(tower::ServiceBuilder::new()
        .layer(OtelGrpcLayer)
        .service(channel))
}

/// How often a `dns:///` target is resolved again.
pub const RESOLVE_EVERY: Duration = Duration::from_secs(15);

/// A channel balancing over the addresses of `target` (`host:port`), kept in step with
/// DNS by a background task that ends when the channel is dropped.
fn balanced<R, F>(
    target: String,
    endpoint: impl Fn(String) -> Result<Endpoint, tonic::transport::Error> + Send + 'static,
    resolve: R,
) -> Channel
where
    R: Fn(String) -> F + Send + 'static,
    F: std::future::Future<Output = std::io::Result<Vec<std::net::SocketAddr>>> + Send,
{
    use std::collections::HashSet;
    use tonic::transport::channel::Change;
    let (channel, changes) = Channel::balance_channel::<std::net::SocketAddr>(64);
    tokio::spawn(async move {
        let mut known: HashSet<std::net::SocketAddr> = HashSet::new();
        loop {
            match resolve(target.clone()).await {
                Ok(addrs) => {
                    let now: HashSet<_> = addrs.into_iter().collect();
                    for addr in now.difference(&known) {
                        if let Ok(e) = endpoint(format!("http://{addr}"))
                            && changes.send(Change::Insert(*addr, e)).await.is_err()
                        {
                            return;
                        }
                    }
                    for addr in known.difference(&now) {
                        if changes.send(Change::Remove(*addr)).await.is_err() {
                            return;
                        }
                    }
                    known = now;
                }
                Err(e) => {
                    tracing::warn!(%target, error = %e, "cannot resolve; keeping the last addresses")
                }
            }
            tokio::select! {
                _ = changes.closed() => return,
                _ = tokio::time::sleep(RESOLVE_EVERY) => {}
            }
        }
    });
    channel
}

/// Wraps `message` in a request that acts as `caller` and ends after `deadline`, or
/// sooner when the call being served has less time left (its own deadline ends it
/// then, with DEADLINE_EXCEEDED).
pub fn request<T>(caller: &Caller, message: T, deadline: Duration) -> tonic::Request<T> {
    let mut req = tonic::Request::new(message);
    let deadline = crate::bound::remaining().map_or(deadline, |left| left.min(deadline));
    req.set_timeout(deadline);
    if let Ok(v) = format!("Bearer {}", caller.token).parse() {
        req.metadata_mut().insert("authorization", v);
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_health::{ServingStatus, pb::health_client::HealthClient};

    /// A health server on a loopback port that reports `who` as `status`.
    async fn server(status: ServingStatus) -> std::net::SocketAddr {
        let (reporter, service) = tonic_health::server::health_reporter();
        reporter.set_service_status("who", status).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
        addr
    }

    #[tokio::test]
    async fn calls_spread_over_every_resolved_address() {
        let a = server(ServingStatus::Serving).await;
        let b = server(ServingStatus::NotServing).await;
        let endpoint = |uri: String| {
            Endpoint::from_shared(uri).map(|e| e.connect_timeout(Duration::from_secs(1)))
        };
        let resolve = move |_target: String| async move { Ok(vec![a, b]) };
        let mut client = HealthClient::new(balanced("replicas:50051".into(), endpoint, resolve));
        let (mut on_a, mut on_b) = (0, 0);
        for _ in 0..60 {
            let r = client
                .check(tonic_health::pb::HealthCheckRequest {
                    service: "who".into(),
                })
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .into_inner();
            if r.status == ServingStatus::Serving as i32 {
                on_a += 1
            } else {
                on_b += 1
            }
        }
        assert!(
            on_a > 0 && on_b > 0,
            "both replicas served: {on_a} / {on_b}"
        );
    }
}
