//! The gRPC surface of the customers service: requests are parsed into checked values
//! at this edge, authorised, and handed to the store.

pub(crate) mod common;
mod convert;
mod crud;
mod customers;
mod key_persons;
mod sites;
mod touchpoints;

use crud::List;
use customers::Customers;
use key_persons::KeyPersons;
use sites::Sites;
use symbolon_contracts::customers::v1::{self as pb, customers_service_server::CustomersService};
use symbolon_platform::{Caller, Database, time::Clock};
use tonic::{Request, Response, Status};

/// The CustomersService implementation.
#[derive(Clone)]
pub struct Api {
    db: Database,
    clock: Clock,
}

impl Api {
    /// Serves from `db`, telling time by `clock`.
    pub fn new(db: Database, clock: Clock) -> Self {
        Self { db, clock }
    }
}

type R<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl CustomersService for Api {
    async fn create_customer(&self, req: Request<pb::CreateCustomerRequest>) -> R<pb::Customer> {
        let c = Caller::of(&req)?;
        let r = req.into_inner();
        let out = crud::create::<Customers>(
            &self.db,
            &self.clock,
            &c,
            None,
            r.customer.clone(),
            &r.customer_id,
            &r,
        )
        .await?;
        Ok(Response::new(out))
    }

    async fn get_customer(&self, req: Request<pb::GetCustomerRequest>) -> R<pb::Customer> {
        let c = Caller::of(&req)?;
        Ok(Response::new(
            crud::get::<Customers>(&self.db, &c, &req.into_inner().name).await?,
        ))
    }

    async fn list_customers(
        &self,
        req: Request<pb::ListCustomersRequest>,
    ) -> R<pb::ListCustomersResponse> {
        let c = Caller::of(&req)?;
        let r = req.into_inner();
        let l = List {
            parent: None,
            page_size: r.page_size,
            page_token: &r.page_token,
            filter: &r.filter,
            show_deleted: r.show_deleted,
        };
        let (customers, next_page_token) = crud::list::<Customers>(&self.db, &c, l).await?;
        Ok(Response::new(pb::ListCustomersResponse {
            customers,
            next_page_token,
        }))
    }

    async fn update_customer(&self, req: Request<pb::UpdateCustomerRequest>) -> R<pb::Customer> {
        let c = Caller::of(&req)?;
        let r = req.into_inner();
        Ok(Response::new(
            crud::update::<Customers>(
                &self.db,
                &self.clock,
                &c,
                r.customer,
                r.update_mask.as_ref(),
            )
            .await?,
        ))
    }

    async fn delete_customer(&self, req: Request<pb::DeleteCustomerRequest>) -> R<pb::Customer> {
        let c = Caller::of(&req)?;
        let r = req.into_inner();
        Ok(Response::new(
            crud::delete::<Customers>(&self.db, &self.clock, &c, &r.name, &r.etag).await?,
        ))
    }

    async fn undelete_customer(
        &self,
        req: Request<pb::UndeleteCustomerRequest>,
    ) -> R<pb::Customer> {
        let c = Caller::of(&req)?;
        Ok(Response::new(
            crud::undelete::<Customers>(&self.db, &self.clock, &c, &req.into_inner().name).await?,
        ))
    }

    async fn create_site(&self, req: Request<pb::CreateSiteRequest>) -> R<pb::Site> {
        let c = Caller::of(&req)?;
        let r = req.into_inner();
        let out = crud::create::<Sites>(
            &self.db,
            &self.clock,
            &c,
            Some(&r.parent),
            r.site.clone(),
            &r.site_id,
            &r,
        )
        .await?;
        Ok(Response::new(out))
    }

    async fn get_site(&self, req: Request<pb::GetSiteRequest>) -> R<pb::Site> {
        let c = Caller::of(&req)?;
        Ok(Response::new(
            crud::get::<Sites>(&self.db, &c, &req.into_inner().name).await?,
        ))
    }

    async fn list_sites(&self, req: Request<pb::ListSitesRequest>) -> R<pb::ListSitesResponse> {
        let c = Caller::of(&req)?;
        let r = req.into_inner();
        let l = List {
            parent: Some(&r.parent),
            page_size: r.page_size,
            page_token: &r.page_token,
            filter: &r.filter,
            show_deleted: r.show_deleted,
        };
        let (sites, next_page_token) = crud::list::<Sites>(&self.db, &c, l).await?;
        Ok(Response::new(pb::ListSitesResponse {
            sites,
            next_page_token,
        }))
    }

    async fn update_site(&self, req: Request<pb::UpdateSiteRequest>) -> R<pb::Site> {
        let c = Caller::of(&req)?;
        let r = req.into_inner();
        Ok(Response::new(
            crud::update::<Sites>(&self.db, &self.clock, &c, r.site, r.update_mask.as_ref())
                .await?,
        ))
    }

    async fn delete_site(&self, req: Request<pb::DeleteSiteRequest>) -> R<pb::Site> {
        let c = Caller::of(&req)?;
        let r = req.into_inner();
        Ok(Response::new(
            crud::delete::<Sites>(&self.db, &self.clock, &c, &r.name, &r.etag).await?,
        ))
    }

    async fn undelete_site(&self, req: Request<pb::UndeleteSiteRequest>) -> R<pb::Site> {
        let c = Caller::of(&req)?;
        Ok(Response::new(
            crud::undelete::<Sites>(&self.db, &self.clock, &c, &req.into_inner().name).await?,
        ))
    }

    async fn create_key_person(
        &self,
        req: Request<pb::CreateKeyPersonRequest>,
    ) -> R<pb::KeyPerson> {
        let c = Caller::of(&req)?;
        let r = req.into_inner();
        let out = crud::create::<KeyPersons>(
            &self.db,
            &self.clock,
            &c,
            Some(&r.parent),
            r.key_person.clone(),
            &r.key_person_id,
            &r,
        )
        .await?;
        Ok(Response::new(out))
    }

    async fn get_key_person(&self, req: Request<pb::GetKeyPersonRequest>) -> R<pb::KeyPerson> {
        let c = Caller::of(&req)?;
        Ok(Response::new(
            crud::get::<KeyPersons>(&self.db, &c, &req.into_inner().name).await?,
        ))
    }

    async fn list_key_persons(
        &self,
        req: Request<pb::ListKeyPersonsRequest>,
    ) -> R<pb::ListKeyPersonsResponse> {
        let c = Caller::of(&req)?;
        let r = req.into_inner();
        let l = List {
            parent: Some(&r.parent),
            page_size: r.page_size,
            page_token: &r.page_token,
            filter: &r.filter,
            show_deleted: r.show_deleted,
        };
        let (key_persons, next_page_token) = crud::list::<KeyPersons>(&self.db, &c, l).await?;
        Ok(Response::new(pb::ListKeyPersonsResponse {
            key_persons,
            next_page_token,
        }))
    }

    async fn update_key_person(
        &self,
        req: Request<pb::UpdateKeyPersonRequest>,
    ) -> R<pb::KeyPerson> {
        let c = Caller::of(&req)?;
        let r = req.into_inner();
        Ok(Response::new(
            crud::update::<KeyPersons>(
                &self.db,
                &self.clock,
                &c,
                r.key_person,
                r.update_mask.as_ref(),
            )
            .await?,
        ))
    }

    async fn delete_key_person(
        &self,
        req: Request<pb::DeleteKeyPersonRequest>,
    ) -> R<pb::KeyPerson> {
        let c = Caller::of(&req)?;
        let r = req.into_inner();
        Ok(Response::new(
            crud::delete::<KeyPersons>(&self.db, &self.clock, &c, &r.name, &r.etag).await?,
        ))
    }

    async fn undelete_key_person(
        &self,
        req: Request<pb::UndeleteKeyPersonRequest>,
    ) -> R<pb::KeyPerson> {
        let c = Caller::of(&req)?;
        Ok(Response::new(
            crud::undelete::<KeyPersons>(&self.db, &self.clock, &c, &req.into_inner().name).await?,
        ))
    }

    async fn record_touchpoint(
        &self,
        req: Request<pb::RecordTouchpointRequest>,
    ) -> R<pb::Touchpoint> {
        Api::record_touchpoint(self, req).await
    }

    async fn get_touchpoint(&self, req: Request<pb::GetTouchpointRequest>) -> R<pb::Touchpoint> {
        Api::get_touchpoint(self, req).await
    }

    async fn list_touchpoints(
        &self,
        req: Request<pb::ListTouchpointsRequest>,
    ) -> R<pb::ListTouchpointsResponse> {
        Api::list_touchpoints(self, req).await
    }
}
