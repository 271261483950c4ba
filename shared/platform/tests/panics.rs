//! A handler that panics ends its own call with INTERNAL: the connection, the other
//! calls on it and the server go on. Without the containment layer the call is reset
//! (CANCELLED) instead.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use symbolon_contracts::bench::v1::{
    EchoRequest, EchoResponse,
    echo_service_client::EchoServiceClient,
    echo_service_server::{EchoService, EchoServiceServer},
};
use symbolon_platform::server::GrpcServer;
use symbolon_testkit::{Keys, server_config};
use tonic::{Code, Request, Response, Status};

struct Fragile;

#[tonic::async_trait]
impl EchoService for Fragile {
    async fn echo(&self, request: Request<EchoRequest>) -> Result<Response<EchoResponse>, Status> {
        let payload = request.into_inner().payload;
        if payload == b"panic" {
            panic!("a handler made to panic");
        }
        Ok(Response::new(EchoResponse { payload }))
    }
}

#[tokio::test]
async fn a_panicking_handler_ends_its_call_with_internal_and_nothing_else() {
    let keys = Keys::new();
    let mut server = GrpcServer::bind(server_config("echo", "sqlite::memory:", &keys))
        .await
        .unwrap();
    server.add_service(EchoServiceServer::new(Fragile));
    let addr = server.local_addr();
    let stop = server.shutdown_token();
    tokio::spawn(server.run());
    let mut client = EchoServiceClient::new(symbolon_testkit::channel(addr).await);

    let call = |payload: &'static [u8]| {
        let mut client = client.clone();
        async move {
            client
                .echo(EchoRequest {
                    payload: payload.to_vec(),
                })
                .await
        }
    };
    // Calls in flight on the same connection while one panics are untouched.
    let (a, b, c) = tokio::join!(call(b"before"), call(b"panic"), call(b"after"));
    assert_eq!(a.unwrap().into_inner().payload, b"before");
    let status = b.expect_err("the panicking call fails");
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert_eq!(status.message(), "internal error");
    assert_eq!(c.unwrap().into_inner().payload, b"after");

    // The server still answers, on the same channel, again and again.
    for _ in 0..3 {
        let again = client
            .echo(EchoRequest {
                payload: b"panic".to_vec(),
            })
            .await;
        assert_eq!(again.unwrap_err().code(), Code::Internal);
        let ok = client
            .echo(EchoRequest {
                payload: b"ok".to_vec(),
            })
            .await;
        assert_eq!(ok.unwrap().into_inner().payload, b"ok");
    }
    stop.cancel();
}
