//! Calls from one service to another: a channel with a connect timeout and the client
//! tracing layer (W3C trace context injected), and a request builder that carries the
//! caller's bearer token and a deadline.

use crate::auth::Caller;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};
use tonic_tracing_opentelemetry::middleware::client::{OtelGrpcLayer, OtelGrpcService};

/// A channel to another Symbolon service, traced.
pub type TracedChannel = OtelGrpcService<Channel>;

/// A channel to `uri` that connects lazily, so a dependency that is down makes calls
/// fail fast with UNAVAILABLE rather than blocking start-up.
/// `call_timeout` bounds every call on the client side too, so a hung peer cannot hang
/// the caller.
pub fn channel(
    uri: &str,
    connect_timeout: Duration,
    call_timeout: Duration,
) -> Result<TracedChannel, tonic::transport::Error> {
    let channel = Endpoint::from_shared(uri.to_string())?
        .connect_timeout(connect_timeout)
        .timeout(call_timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true)
        .connect_lazy();
    Ok(tower::ServiceBuilder::new()
        .layer(OtelGrpcLayer)
        .service(channel))
}

/// Wraps `message` in a request that acts as `caller` and ends after `deadline`.
pub fn request<T>(caller: &Caller, message: T, deadline: Duration) -> tonic::Request<T> {
    let mut req = tonic::Request::new(message);
    req.set_timeout(deadline);
    if let Ok(v) = format!("Bearer {}", caller.token).parse() {
        req.metadata_mut().insert("authorization", v);
    }
    req
}
