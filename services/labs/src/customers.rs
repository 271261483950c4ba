//! Calls to the customers service, acting as the caller (their token is forwarded), with
//! a short deadline. Anything but a clear answer — transport errors, UNAVAILABLE,
//! DEADLINE_EXCEEDED — becomes UNAVAILABLE at once, and the caller writes nothing.

use std::time::Duration;
use symbolon_contracts::customers::v1::{
    self as pb, customers_service_client::CustomersServiceClient,
};
use symbolon_platform::{
    Caller,
    client::{Peer, TracedChannel},
    status,
};
use tonic::{Code, Status};

/// A client of the customers service.
#[derive(Clone)]
pub struct Customers {
    peer: Peer,
}

impl Customers {
    /// A lazily connecting client of the customers service at `url`.
    pub fn new(url: &str, deadline: Duration) -> Result<Self, tonic::transport::Error> {
        Ok(Self {
            peer: Peer::new(url, deadline)?,
        })
    }

    fn client(&self) -> CustomersServiceClient<TracedChannel> {
        CustomersServiceClient::new(self.peer.channel())
    }

    /// Whether `customers/{id}` exists (and is not deleted) for this caller.
    pub async fn customer_exists(&self, caller: &Caller, id: &str) -> Result<bool, Status> {
        let req = self.peer.request(
            caller,
            pb::GetCustomerRequest {
                name: format!("customers/{id}"),
            },
        );
        match self.client().get_customer(req).await {
            Ok(c) => Ok(c.into_inner().delete_time.is_none()),
            Err(s) => answer(s).map(|()| false),
        }
    }

    /// The live key person `name` (`customers/{c}/keyPersons/{k}`), if it exists for this
    /// caller.
    pub async fn key_person(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<Option<pb::KeyPerson>, Status> {
        let req = self
            .peer
            .request(caller, pb::GetKeyPersonRequest { name: name.into() });
        match self.client().get_key_person(req).await {
            Ok(k) => {
                let k = k.into_inner();
                Ok(k.delete_time.is_none().then_some(k))
            }
            Err(s) => answer(s).map(|()| None),
        }
    }
}

/// NOT_FOUND is an answer (`Ok`); the caller's own authentication problems pass
/// through; everything else means the customers service cannot answer now.
fn answer(s: Status) -> Result<(), Status> {
    match s.code() {
        Code::NotFound => Ok(()),
        Code::Unauthenticated | Code::PermissionDenied | Code::InvalidArgument => Err(s),
        _ => {
            tracing::warn!(code = ?s.code(), message = s.message(), "customers service unavailable");
            Err(status::unavailable(format!(
                "the customers service is unavailable ({}); nothing was written, retry with the same request id",
                s.code().description()
            )))
        }
    }
}
