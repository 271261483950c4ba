//! Every call observed to its end: its server span (OpenTelemetry RPC semantic
//! conventions, parented on the caller's W3C `traceparent`) and `rpc.server.duration`,
//! a histogram in milliseconds per `rpc.system`, `rpc.service`, `rpc.method` and
//! `rpc.grpc.status_code`. Without an OTLP endpoint both cost next to nothing.
//!
//! A call lasts until its response ends, and its status is read where gRPC puts it: in
//! the headers of a trailers-only response (a handler's error), otherwise in the
//! trailers. So a stream that fails after its first message is recorded with its error
//! (a span closed at the headers would say OK and last a few microseconds), and a call
//! whose client went away before the end is recorded as CANCELLED. Health checks get no
//! span: probes would drown real traffic.

use http_body::{Body, Frame, SizeHint};
use opentelemetry::{KeyValue, metrics::Histogram, trace::TraceContextExt};
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};
use tonic_tracing_opentelemetry::middleware::filters;
use tracing_opentelemetry_instrumentation_sdk::{self as otel, http as otel_http};

/// Observes every call: a span and a duration.
#[derive(Clone)]
pub struct ObserveLayer {
    duration: Histogram<f64>,
}

impl Default for ObserveLayer {
    fn default() -> Self {
        let duration = opentelemetry::global::meter("symbolon")
            .f64_histogram("rpc.server.duration")
            .with_unit("ms")
            .with_description("Duration of inbound RPCs")
            .build();
        Self { duration }
    }
}

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Observe {
            inner,
            duration: self.duration.clone(),
        }
    }
}

/// The service of [`ObserveLayer`].
#[derive(Clone)]
pub struct Observe<S> {
    inner: S,
    duration: Histogram<f64>,
}

impl<S, B, R> tower::Service<http::Request<B>> for Observe<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<ObservedBody<R>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let path = req.uri().path();
        let (span, fallback) = if !filters::reject_healthcheck(path) {
            (tracing::Span::none(), None)
        } else {
            let span = otel_http::grpc_server::make_span_from_request(&req);
            // With no OpenTelemetry layer the span is disabled: the caller's context is
            // then attached around the handler instead, so outgoing calls still carry it.
            // (Only when there is one: attaching an empty context on every poll is waste.)
            let fallback =
                otel::set_parent_or_fallback(&span, otel_http::extract_context(req.headers()))
                    .filter(|cx| cx.has_active_span());
            (span, fallback)
        };
        let (service, method) = split_path(path);
        let call = Call {
            duration: self.duration.clone(),
            start: Instant::now(),
            service,
            method,
            span,
            fallback,
        };
        let future = call.within(|| self.inner.call(req));
        Box::pin(async move {
            let mut future = std::pin::pin!(future);
            let res =
                match std::future::poll_fn(|cx| call.within(|| future.as_mut().poll(cx))).await {
                    Ok(res) => res,
                    Err(e) => {
                        call.finish(UNKNOWN, None);
                        return Err(e);
                    }
                };
            // A trailers-only response (a handler's error) ends here.
            let call = match grpc_status(res.headers()) {
                Some(code) => {
                    call.finish(code, res.headers().get("grpc-message"));
                    None
                }
                None => Some(call),
            };
            Ok(res.map(|inner| ObservedBody { inner, call }))
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

/// One call being observed; its span stays open as long as this does.
struct Call {
    duration: Histogram<f64>,
    start: Instant,
    service: String,
    method: String,
    span: tracing::Span,
    fallback: Option<opentelemetry::Context>,
}

impl Call {
    /// Runs `f` inside the call's span (and the caller's context, when the span is off).
    fn within<T>(&self, f: impl FnOnce() -> T) -> T {
        let _context = self.fallback.clone().map(opentelemetry::Context::attach);
        self.span.in_scope(f)
    }

    fn finish(self, code: i64, message: Option<&http::HeaderValue>) {
        self.span.record("rpc.grpc.status_code", code);
        // The server-side error codes of the semantic conventions; the others (NOT_FOUND,
        // PERMISSION_DENIED…) are the caller's mistakes, not the server's.
        let error = u16::try_from(code).map_or(true, |c| otel_http::grpc::status_is_error(c, true));
        self.span
            .record("otel.status_code", if error { "ERROR" } else { "OK" });
        if error && let Some(m) = message.and_then(|m| m.to_str().ok()) {
            self.span.record("exception.message", m);
        }
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

/// A response body that finishes its call when it ends.
pub struct ObservedBody<B> {
    inner: B,
    /// Taken when recorded.
    call: Option<Call>,
}

impl<B> ObservedBody<B> {
    fn finish(&mut self, code: i64, message: Option<&http::HeaderValue>) {
        if let Some(call) = self.call.take() {
            call.finish(code, message);
        }
    }
}

impl<B: Body + Unpin> Body for ObservedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        // A stream's messages are produced here: inside its span.
        let this = &mut *self;
        let polled = match &this.call {
            Some(call) => call.within(|| Pin::new(&mut this.inner).poll_frame(cx)),
            None => Pin::new(&mut this.inner).poll_frame(cx),
        };
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    let code = grpc_status(trailers).unwrap_or(UNKNOWN);
                    self.finish(code, trailers.get("grpc-message"));
                }
            }
            Poll::Ready(Some(Err(_))) => self.finish(UNKNOWN, None),
            // Ended without trailers: nothing said otherwise.
            Poll::Ready(None) => self.finish(0, None),
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

impl<B> Drop for ObservedBody<B> {
    fn drop(&mut self) {
        // Dropped before its end: the client went away (or the server closed).
        self.finish(CANCELLED, None);
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
