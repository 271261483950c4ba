//! The CRM's answer to quality's one question about customers
//! ([`symbolon_quality::Customers`]): quality never reads the CRM's tables itself.

use crate::store::{self, CustomerRow};
use symbolon_platform::Database;
use tonic::Status;

/// Answers from the CRM's own store.
pub struct CrmCustomers {
    db: Database,
}

impl CrmCustomers {
    /// Answers from `db`, the CRM's database.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[tonic::async_trait]
impl symbolon_quality::Customers for CrmCustomers {
    async fn exists(&self, id: &str) -> Result<bool, Status> {
        let row = store::get::<CustomerRow>(&self.db, id, id).await?;
        Ok(row.is_some_and(|r| r.meta.delete_time.is_none()))
    }
}
