//! RPC metrics (OpenTelemetry RPC semantic conventions): `rpc.server.duration`, a
//! histogram in milliseconds per `rpc.system`, `rpc.service`, `rpc.method` and
//! `rpc.grpc.status_code`. Without a meter provider (no OTLP endpoint) recording is a
//! no-op.
//!
//! A call is measured until its response ends, and its status is read where gRPC puts
//! it: in the headers of a trailers-only response (a handler's error), otherwise in the
//! trailers — so a stream that fails after its first message counts with its error, and
//! a call whose client went away before the end counts as CANCELLED.

use http_body::{Body, Frame, SizeHint};
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
    type Response = http::Response<MeteredBody<R>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let (service, method) = split_path(req.uri().path());
        let call = Call {
            duration: self.duration.clone(),
            start: Instant::now(),
            service,
            method,
        };
        let future = self.inner.call(req);
        Box::pin(async move {
            let res = match future.await {
                Ok(res) => res,
                Err(e) => {
                    call.finish(UNKNOWN);
                    return Err(e);
                }
            };
            // A trailers-only response (a handler's error) ends here.
            let call = match grpc_status(res.headers()) {
                Some(code) => {
                    call.finish(code);
                    None
                }
                None => Some(call),
            };
            Ok(res.map(|inner| MeteredBody { inner, call }))
        })
    }
}

const UNKNOWN: i64 = 2;
const CANCELLED: i64 = 1;

fn grpc_status(headers: &http::HeaderMap) -> Option<i64> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
}

/// One call being measured.
struct Call {
    duration: Histogram<f64>,
    start: Instant,
    service: String,
    method: String,
}

impl Call {
    fn finish(self, code: i64) {
        self.duration.record(
            self.start.elapsed().as_secs_f64() * 1000.0,
            &[
                KeyValue::new("rpc.system", "grpc"),
                KeyValue::new("rpc.service", self.service),
                KeyValue::new("rpc.method", self.method),
                KeyValue::new("rpc.grpc.status_code", code),
            ],
        );
    }
}

/// A response body that records its call when it ends.
pub struct MeteredBody<B> {
    inner: B,
    /// Taken when recorded.
    call: Option<Call>,
}

impl<B> MeteredBody<B> {
    fn finish(&mut self, code: i64) {
        if let Some(call) = self.call.take() {
            call.finish(code);
        }
    }
}

impl<B: Body + Unpin> Body for MeteredBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    let code = grpc_status(trailers).unwrap_or(UNKNOWN);
                    self.finish(code);
                }
            }
            Poll::Ready(Some(Err(_))) => self.finish(UNKNOWN),
            // Ended without trailers: nothing said otherwise.
            Poll::Ready(None) => self.finish(0),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for MeteredBody<B> {
    fn drop(&mut self) {
        // Dropped before its end: the client went away (or the server closed).
        self.finish(CANCELLED);
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
