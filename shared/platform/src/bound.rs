//! Every call ends in time, with the status that says why.
//!
//! - **Deadline.** A call's deadline is the smaller of the server's bound
//!   (`SYMBOLON_REQUEST_TIMEOUT_MS`) and the client's `grpc-timeout`. When it passes
//!   before the handler answers, the call ends with DEADLINE_EXCEEDED (tonic's own
//!   timeout answers CANCELLED, which retry policies read as "the client gave up").
//!   While the handler runs, [`remaining`] tells how much time is left, so waits inside
//!   it (a pool connection, a call to another service) end no later than the call.
//! - **Cutoff.** At the end of a shutdown's drain, [`BoundLayer::cutoff`] ends whatever
//!   is still running with UNAVAILABLE (and `RetryInfo`): a unary call at once, a stream
//!   with UNAVAILABLE trailers after the messages already sent. So the drain bound holds
//!   whatever a handler waits for.
//!
//! Applies to the response future (a unary call, or a stream until its headers); the
//! messages of a stream have no deadline, only the cutoff.

use http_body::{Frame, SizeHint};
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tonic::codegen::Bytes;
use tonic::{Status, body::Body};

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Time left before the current call's deadline; `None` outside a call (background
/// tasks), which have no deadline of their own.
pub fn remaining() -> Option<Duration> {
    DEADLINE
        .try_with(|d| d.saturating_duration_since(Instant::now()))
        .ok()
}

/// The deadline of the current call, if any.
pub fn deadline() -> Option<Instant> {
    DEADLINE.try_with(|d| *d).ok()
}

/// Runs `f` with `deadline` as the current call's deadline (tests, and background work
/// that wants to be bounded like a call).
pub async fn within<F: Future>(deadline: Instant, f: F) -> F::Output {
    DEADLINE.scope(deadline, f).await
}

/// tonic's own timeout layer sits outside every layer we add and always honours the
/// client's `grpc-timeout`; ending a hair earlier lets our DEADLINE_EXCEEDED win over its
/// CANCELLED (the timer wheel has millisecond ticks).
const AHEAD_OF_TONIC: Duration = Duration::from_millis(1);

/// Bounds every call by its deadline and by the shutdown cutoff.
#[derive(Clone)]
pub struct BoundLayer {
    bound: Duration,
    cutoff: CancellationToken,
}

impl BoundLayer {
    /// Calls last at most `bound` (a shorter client deadline wins) and end with
    /// UNAVAILABLE once `cutoff` is cancelled.
    pub fn new(bound: Duration, cutoff: CancellationToken) -> Self {
        Self { bound, cutoff }
    }

    /// The token whose cancellation ends every call still running.
    pub fn cutoff(&self) -> &CancellationToken {
        &self.cutoff
    }
}

impl<S> tower::Layer<S> for BoundLayer {
    type Service = Bound<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Bound {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`BoundLayer`].
#[derive(Clone)]
pub struct Bound<S> {
    inner: S,
    layer: BoundLayer,
}

impl<S, B> tower::Service<http::Request<B>> for Bound<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let budget = match client_timeout(req.headers()) {
            Some(client) if client <= self.layer.bound => client.saturating_sub(AHEAD_OF_TONIC),
            _ => self.layer.bound,
        };
        let deadline = Instant::now() + budget;
        let cutoff = self.layer.cutoff.clone();
        let future = DEADLINE.scope(deadline, self.inner.call(req));
        Box::pin(async move {
            if cutoff.is_cancelled() {
                return Ok(cut_off().into_http());
            }
            tokio::select! {
                biased;
                res = future => Ok(res?.map(|inner| Body::new(CutoffBody::new(inner, cutoff)))),
                () = tokio::time::sleep_until(deadline) => Ok(deadline_exceeded(budget).into_http()),
                () = cutoff.cancelled() => Ok(cut_off().into_http()),
            }
        })
    }
}

fn deadline_exceeded(budget: Duration) -> Status {
    crate::status::deadline_exceeded(format!(
        "the call's deadline ({} ms) passed before it finished",
        budget.as_millis()
    ))
}

fn cut_off() -> Status {
    crate::status::unavailable("the server is shutting down; retry with the same request id")
}

/// The client's `grpc-timeout` (`<digits><unit>`, gRPC over HTTP/2); a malformed one is
/// ignored, as tonic does.
fn client_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let v = headers.get("grpc-timeout")?.to_str().ok()?;
    if v.len() < 2 || v.len() > 9 {
        return None;
    }
    let (digits, unit) = v.split_at(v.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// A response body that ends with UNAVAILABLE trailers when the cutoff comes first.
struct CutoffBody {
    /// `None` once ended by the cutoff (the stream behind it is dropped then).
    inner: Option<Body>,
    cutoff: Pin<Box<WaitForCancellationFutureOwned>>,
    ended: bool,
}

impl CutoffBody {
    fn new(inner: Body, cutoff: CancellationToken) -> Self {
        Self {
            inner: Some(inner),
            cutoff: Box::pin(cutoff.cancelled_owned()),
            ended: false,
        }
    }
}

impl http_body::Body for CutoffBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        if let Some(inner) = this.inner.as_mut() {
            match Pin::new(inner).poll_frame(cx) {
                Poll::Ready(None) => {
                    this.ended = true;
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(frame)) => {
                    if matches!(&frame, Ok(f) if f.is_trailers()) || frame.is_err() {
                        this.ended = true;
                    }
                    return Poll::Ready(Some(frame));
                }
                Poll::Pending => {}
            }
        }
        match this.cutoff.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.inner = None;
                this.ended = true;
                let mut trailers = http::HeaderMap::new();
                // Our own status always makes valid headers.
                let _ = cut_off().add_header(&mut trailers);
                Poll::Ready(Some(Ok(Frame::trailers(trailers))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.inner.as_ref().is_some_and(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        match &self.inner {
            Some(b) if !self.ended => b.size_hint(),
            _ => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Body as _;

    #[test]
    fn grpc_timeouts_parse_in_every_unit() {
        let parse = |v: &str| {
            let mut h = http::HeaderMap::new();
            h.insert("grpc-timeout", v.parse().unwrap_or_else(|e| panic!("{e}")));
            client_timeout(&h)
        };
        assert_eq!(parse("3S"), Some(Duration::from_secs(3)));
        assert_eq!(parse("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse("7u"), Some(Duration::from_micros(7)));
        assert_eq!(parse("10x"), None);
        assert_eq!(parse("m"), None);
        assert_eq!(parse("1234567890S"), None);
    }

    /// A response body that never yields: a stream waiting for its next message.
    struct Silent;

    impl http_body::Body for Silent {
        type Data = Bytes;
        type Error = Status;
        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
            Poll::Pending
        }
    }

    fn bounded<F, Fut>(
        bound: Duration,
        cutoff: &CancellationToken,
        handler: F,
    ) -> Bound<tower::util::ServiceFn<F>>
    where
        F: FnMut(http::Request<()>) -> Fut,
        Fut: Future<Output = Result<http::Response<Body>, std::convert::Infallible>>,
    {
        tower::Layer::layer(
            &BoundLayer::new(bound, cutoff.clone()),
            tower::service_fn(handler),
        )
    }

    fn grpc_status(headers: &http::HeaderMap) -> Option<&str> {
        headers.get("grpc-status").and_then(|v| v.to_str().ok())
    }

    #[tokio::test]
    async fn a_call_past_the_client_deadline_ends_with_deadline_exceeded() {
        use tower::{Service, ServiceExt};
        let cutoff = CancellationToken::new();
        let mut svc = bounded(Duration::from_secs(60), &cutoff, |_| std::future::pending());
        let req = http::Request::builder()
            .header("grpc-timeout", "50m")
            .body(())
            .unwrap_or_else(|e| panic!("{e}"));
        let res = match svc.ready().await {
            Ok(s) => s.call(req).await,
            Err(e) => match e {},
        };
        let res = res.unwrap_or_else(|e| match e {});
        assert_eq!(grpc_status(res.headers()), Some("4"), "DEADLINE_EXCEEDED");
        // And the server's own bound when the client sets none.
        let mut svc = bounded(Duration::from_millis(50), &cutoff, |_| {
            std::future::pending()
        });
        let res = svc
            .call(http::Request::new(()))
            .await
            .unwrap_or_else(|e| match e {});
        assert_eq!(grpc_status(res.headers()), Some("4"));
    }

    #[tokio::test]
    async fn the_cutoff_ends_calls_and_streams_with_unavailable() {
        use tower::Service;
        let cutoff = CancellationToken::new();
        let mut waiting = bounded(Duration::from_secs(60), &cutoff, |_| std::future::pending());
        let mut streaming = bounded(Duration::from_secs(60), &cutoff, |_| async {
            Ok(http::Response::new(Body::new(Silent)))
        });
        let call = tokio::spawn(waiting.call(http::Request::new(())));
        let stream = streaming
            .call(http::Request::new(()))
            .await
            .unwrap_or_else(|e| match e {});
        assert_eq!(
            grpc_status(stream.headers()),
            None,
            "the stream's headers went out"
        );
        cutoff.cancel();
        let res = call
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| match e {});
        assert_eq!(grpc_status(res.headers()), Some("14"), "UNAVAILABLE");
        let mut body = stream.into_body();
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        let trailers = frame
            .and_then(Result::ok)
            .and_then(|f| f.into_trailers().ok())
            .unwrap_or_default();
        assert_eq!(
            grpc_status(&trailers),
            Some("14"),
            "the stream ends UNAVAILABLE"
        );
    }

    #[tokio::test]
    async fn remaining_is_known_inside_a_call_only() {
        assert_eq!(remaining(), None);
        let left = within(Instant::now() + Duration::from_secs(5), async {
            remaining()
        })
        .await;
        assert!(left.is_some_and(|d| d <= Duration::from_secs(5) && d > Duration::ZERO));
    }
}
