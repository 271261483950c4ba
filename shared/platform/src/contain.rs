//! Panic containment: a panic in a handler, or in a response stream while it is polled,
//! ends that one call with INTERNAL (logged with the method, inside the call's span so
//! its trace id goes along) instead of resetting the stream, and nothing else notices.
//! Without this layer hyper drops the call's task and the client sees `RST_STREAM`
//! (CANCELLED), which tells it nothing and invites a retry of the same bad request.

use futures::FutureExt;
use http::{Request, Response};
use http_body::{Body as HttpBody, Frame};
use std::{
    any::Any,
    future::Future,
    panic::AssertUnwindSafe,
    pin::Pin,
    task::{Context, Poll},
};
use tonic::{Status, body::Body};
use tower::{Layer, Service};

/// Adds [`ContainPanics`] around a service.
#[derive(Clone, Copy, Debug, Default)]
pub struct ContainPanicsLayer;

impl<S> Layer<S> for ContainPanicsLayer {
    type Service = ContainPanics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ContainPanics { inner }
    }
}

/// See the module docs.
#[derive(Clone, Debug)]
pub struct ContainPanics<S> {
    inner: S,
}

fn describe(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

fn internal() -> Status {
    Status::internal("internal error")
}

impl<S, B> Service<Request<B>> for ContainPanics<S>
where
    S: Service<Request<B>, Response = Response<Body>> + Send,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let method = request.uri().path().to_string();
        // A panic while the handler is being set up counts as the handler's too.
        let future = match std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
            Ok(f) => f,
            Err(panic) => {
                tracing::error!(%method, panic = describe(&*panic), "handler panicked");
                return Box::pin(async { Ok(internal().into_http()) });
            }
        };
        Box::pin(async move {
            match AssertUnwindSafe(future).catch_unwind().await {
                Ok(Ok(response)) => Ok(response.map(|body| {
                    Body::new(Contained {
                        inner: Some(Box::pin(body)),
                        method,
                    })
                })),
                Ok(Err(e)) => Err(e),
                Err(panic) => {
                    tracing::error!(%method, panic = describe(&*panic), "handler panicked");
                    Ok(internal().into_http())
                }
            }
        })
    }
}

/// A response body whose panics end it with INTERNAL trailers.
struct Contained {
    /// None once it panicked (and its trailers went out).
    inner: Option<Pin<Box<Body>>>,
    method: String,
}

impl HttpBody for Contained {
    type Data = <Body as HttpBody>::Data;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll_frame(cx))) {
            Ok(p) => p,
            Err(panic) => {
                tracing::error!(method = %self.method, panic = describe(&*panic), "response stream panicked");
                self.inner = None;
                let mut trailers = http::HeaderMap::new();
                let _ = internal().add_header(&mut trailers);
                Poll::Ready(Some(Ok(Frame::trailers(trailers))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner
            .as_ref()
            .map_or_else(http_body::SizeHint::default, |b| b.size_hint())
    }
}
