//! RPC metrics (OpenTelemetry RPC semantic conventions): `rpc.server.duration`, a
//! histogram in milliseconds per `rpc.system`, `rpc.service`, `rpc.method` and
//! `rpc.grpc.status_code`. Without a meter provider (no OTLP endpoint) recording is a
//! no-op.

use opentelemetry::{KeyValue, metrics::Histogram};
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};

/// Records the duration of every call.
#[derive(Clone)]
pub struct RpcMetricsLayer {
    duration: Histogram<f64>,
}

impl Default for RpcMetricsLayer {
    fn default() -> Self {
        let duration = opentelemetry::global::meter("symbolon")
            .f64_histogram("rpc.server.duration")
            .with_unit("ms")
            .with_description("Duration of inbound RPCs")
            .build();
        Self { duration }
    }
}

impl<S> tower::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics {
            inner,
            duration: self.duration.clone(),
        }
    }
}

/// The service of [`RpcMetricsLayer`].
#[derive(Clone)]
pub struct RpcMetrics<S> {
    inner: S,
    duration: Histogram<f64>,
}

impl<S, B, R> tower::Service<http::Request<B>> for RpcMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let (service, method) = split_path(req.uri().path());
        let start = Instant::now();
        let future = self.inner.call(req);
        let duration = self.duration.clone();
        Box::pin(async move {
            let result = future.await;
            // Errors from handlers travel in the headers (trailers-only responses); a
            // successful unary response has its OK in the trailers.
            let code = match &result {
                Ok(res) => res
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(0),
                Err(_) => 2,
            };
            duration.record(
                start.elapsed().as_secs_f64() * 1000.0,
                &[
                    KeyValue::new("rpc.system", "grpc"),
                    KeyValue::new("rpc.service", service),
                    KeyValue::new("rpc.method", method),
                    KeyValue::new("rpc.grpc.status_code", code),
                ],
            );
            result
        })
    }
}

/// `/pkg.Service/Method` → (`pkg.Service`, `Method`).
fn split_path(path: &str) -> (String, String) {
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let service = parts.next().unwrap_or_default().to_string();
    let method = parts.next().unwrap_or_default().to_string();
    (service, method)
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_split_into_service_and_method() {
        assert_eq!(
            super::split_path("/symbolon.customers.v1.CustomersService/GetCustomer"),
            (
                "symbolon.customers.v1.CustomersService".to_string(),
                "GetCustomer".to_string()
            )
        );
        assert_eq!(super::split_path("/"), (String::new(), String::new()));
    }
}
