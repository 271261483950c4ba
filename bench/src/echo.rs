//! The bare echo service: returns the payload it was sent, and does nothing else.

use symbolon_contracts::bench::v1::{EchoRequest, EchoResponse, echo_service_server};
use tonic::{Request, Response, Status};

/// Implements `symbolon.bench.v1.EchoService`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Echo;

#[tonic::async_trait]
impl echo_service_server::EchoService for Echo {
    async fn echo(&self, request: Request<EchoRequest>) -> Result<Response<EchoResponse>, Status> {
        Ok(Response::new(EchoResponse {
            payload: request.into_inner().payload,
        }))
    }
}

/// The service, ready for `Server::add_service`.
pub fn service() -> echo_service_server::EchoServiceServer<Echo> {
    echo_service_server::EchoServiceServer::new(Echo)
}
