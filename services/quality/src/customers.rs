//! The one thing quality asks about customers: whether a conversation's customer
//! exists. Quality never reads the CRM's tables; whoever serves it answers this —
//! the customers deployable from its own store, or, served apart, a client of
//! `CustomersService.GetCustomer` through `platform::client` (as labs does).

use std::sync::Arc;
use tonic::Status;

/// Answers quality's question about customers.
#[tonic::async_trait]
pub trait Customers: Send + Sync + 'static {
    /// Whether customer `id` exists and is not deleted.
    async fn exists(&self, id: &str) -> Result<bool, Status>;
}

/// A shared [`Customers`].
pub type SharedCustomers = Arc<dyn Customers>;
