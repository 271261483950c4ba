//! The labs gRPC service as the server sees it: the generated `LabsServiceServer`, except
//! `WatchLogEntries`, whose events are encoded once per batch and shared by every
//! watcher (see [`crate::wire`]) instead of being encoded per watcher by the generated
//! codec. Same path, same request and response on the wire.

use super::{Api, logs};
use crate::wire::{Encoded, WatchCodec};
use std::{
    convert::Infallible,
    task::{Context, Poll},
};
use symbolon_contracts::labs::v1::{self as pb, labs_service_server::LabsServiceServer};
use symbolon_platform::Caller;
use tonic::{
    Request, Response, Status,
    body::Body,
    codegen::{Body as HttpBody, BoxFuture, Service, StdError, http},
    server::{Grpc, NamedService, ServerStreamingService},
};

const WATCH_PATH: &str = "/symbolon.labs.v1.LabsService/WatchLogEntries";

/// `symbolon.labs.v1.LabsService`.
#[derive(Clone)]
pub struct LabsRoutes {
    api: Api,
    generated: LabsServiceServer<Api>,
}

impl LabsRoutes {
    /// Serves `api` (behind `platform::access::Guard`, which authenticates).
    pub fn new(api: Api) -> Self {
        Self {
            generated: LabsServiceServer::new(api.clone()),
            api,
        }
    }
}

impl NamedService for LabsRoutes {
    const NAME: &'static str = <LabsServiceServer<Api> as NamedService>::NAME;
}

impl<B> Service<http::Request<B>> for LabsRoutes
where
    B: HttpBody + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        if req.uri().path() != WATCH_PATH {
            return self.generated.call(req);
        }
        let api = self.api.clone();
        Box::pin(async move {
            let mut grpc = Grpc::new(WatchCodec);
            Ok(grpc.server_streaming(Watch(api), req).await)
        })
    }
}

struct Watch(Api);

impl ServerStreamingService<pb::WatchLogEntriesRequest> for Watch {
    type Response = Encoded;
    type ResponseStream = logs::WatchStream;
    type Future = BoxFuture<Response<Self::ResponseStream>, Status>;

    fn call(&mut self, req: Request<pb::WatchLogEntriesRequest>) -> Self::Future {
        let api = self.0.clone();
        Box::pin(async move {
            let c = Caller::of(&req)?;
            Ok(Response::new(
                logs::watch_log_entries(&api, &c, req.into_inner()).await?,
            ))
        })
    }
}
