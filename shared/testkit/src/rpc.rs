//! Sending a request by its type: every unary request message knows its service's
//! client, its method and its answer (`Rpc`, generated from `proto/` by `build.rs`), so
//! a test writes the request and the caller, not the client and the unwrapping.

use std::pin::Pin;
use tonic::{Status, transport::Channel};

/// An answer on its way. It borrows nothing, so it may be kept, spawned or returned
/// from a closure.
pub type Pending<T> = Pin<Box<dyn Future<Output = Result<T, Status>> + Send>>;

/// A unary request message: what it is sent to and what it answers.
pub trait Rpc: Sized {
    /// The answer's message.
    type Reply: Send + 'static;
    /// Sends the request as the caller of `token` on `channel`.
    fn send(self, channel: Channel, token: &str) -> Pending<Self::Reply>;
}

/// Sends `request` as the caller of `token` on `channel`: the answer's message, or the
/// refusal.
pub fn call<R: Rpc>(channel: &Channel, token: &str, request: R) -> Pending<R::Reply> {
    request.send(channel.clone(), token)
}

/// A running service a test calls, as its vendor admin unless told otherwise ([`Api::by`]).
pub trait Api {
    /// Where the calls go and the token they carry.
    fn caller(&self) -> By<'_>;

    /// The same service, called as the caller of `token`.
    fn by<'a>(&'a self, token: &'a str) -> By<'a> {
        at(self.caller().channel, token)
    }

    /// Sends `request` as [`Api::caller`]: the answer's message; a refusal panics with
    /// its status (what `.unwrap().into_inner()` said at each call before).
    fn call<R: Rpc>(&self, request: R) -> Pin<Box<dyn Future<Output = R::Reply> + Send>> {
        let By { channel, token } = self.caller();
        let pending = request.send(channel.clone(), token);
        Box::pin(async move {
            match pending.await {
                Ok(reply) => reply,
                Err(status) => panic!("the call failed: {status:?}"),
            }
        })
    }

    /// Sends `request` as [`Api::caller`]: the answer's message, or the refusal.
    fn try_call<R: Rpc>(&self, request: R) -> Pending<R::Reply> {
        let By { channel, token } = self.caller();
        request.send(channel.clone(), token)
    }
}

/// A service and who calls it: [`Api::by`], or [`at`] for a test that holds channels
/// rather than an app.
#[derive(Clone, Copy)]
pub struct By<'a> {
    channel: &'a Channel,
    token: &'a str,
}

/// The service at the end of `channel`, called as the caller of `token`.
pub fn at<'a>(channel: &'a Channel, token: &'a str) -> By<'a> {
    By { channel, token }
}

impl Api for By<'_> {
    fn caller(&self) -> By<'_> {
        *self
    }
}

include!(concat!(env!("OUT_DIR"), "/rpc.rs"));
