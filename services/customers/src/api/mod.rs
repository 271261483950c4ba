//! The gRPC surface of the customers service: requests are parsed into checked values
//! at this edge, authorised, and handed to the store.

pub(crate) mod common;
mod convert;
mod crud;
mod customers;
mod key_persons;
mod sites;
mod touchpoints;

use crud::{List, Resource};
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

    // The standard methods of `crud` with this service's database and clock, answered
    // as responses: every handler below is one of them applied to its request's fields.

    async fn create<T: Resource>(
        &self,
        caller: &Caller,
        parent: Option<&str>,
        resource: Option<T::Proto>,
        id: &str,
        request: &impl symbolon_contracts::RequestId,
    ) -> R<T::Proto> {
        let created =
            crud::create::<T>(&self.db, &self.clock, caller, parent, resource, id, request).await?;
        Ok(Response::new(created))
    }

    async fn get<T: Resource>(&self, caller: &Caller, name: &str) -> R<T::Proto> {
        Ok(Response::new(crud::get::<T>(&self.db, caller, name).await?))
    }

    async fn list<T: Resource>(
        &self,
        caller: &Caller,
        l: List<'_>,
    ) -> Result<(Vec<T::Proto>, String), Status> {
        crud::list::<T>(&self.db, caller, l).await
    }

    async fn update<T: Resource>(
        &self,
        caller: &Caller,
        resource: Option<T::Proto>,
        mask: Option<&prost_types::FieldMask>,
    ) -> R<T::Proto> {
        let updated = crud::update::<T>(&self.db, &self.clock, caller, resource, mask).await?;
        Ok(Response::new(updated))
    }

    async fn delete<T: Resource>(&self, caller: &Caller, name: &str, etag: &str) -> R<T::Proto> {
        let deleted = crud::delete::<T>(&self.db, &self.clock, caller, name, etag).await?;
        Ok(Response::new(deleted))
    }

    async fn undelete<T: Resource>(&self, caller: &Caller, name: &str) -> R<T::Proto> {
        let undeleted = crud::undelete::<T>(&self.db, &self.clock, caller, name).await?;
        Ok(Response::new(undeleted))
    }
}

/// The paging fields every list request of a standard resource has.
trait ListRequest {
    fn paging<'a>(&'a self, parent: Option<&'a str>) -> List<'a>;
}

macro_rules! list_request {
    ($($request:ty),*) => {$(
        impl ListRequest for $request {
            fn paging<'a>(&'a self, parent: Option<&'a str>) -> List<'a> {
                List {
                    parent,
                    page_size: self.page_size,
                    page_token: &self.page_token,
                    filter: &self.filter,
                    show_deleted: self.show_deleted,
                }
            }
        }
    )*};
}

list_request!(
    pb::ListCustomersRequest,
    pb::ListSitesRequest,
    pb::ListKeyPersonsRequest
);

type R<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl CustomersService for Api {
    async fn create_customer(&self, req: Request<pb::CreateCustomerRequest>) -> R<pb::Customer> {
        let (c, r) = Caller::split(req)?;
        self.create::<Customers>(&c, None, r.customer.clone(), &r.customer_id, &r)
            .await
    }

    async fn get_customer(&self, req: Request<pb::GetCustomerRequest>) -> R<pb::Customer> {
        let (c, r) = Caller::split(req)?;
        self.get::<Customers>(&c, &r.name).await
    }

    async fn list_customers(
        &self,
        req: Request<pb::ListCustomersRequest>,
    ) -> R<pb::ListCustomersResponse> {
        let (c, r) = Caller::split(req)?;
        let (customers, next_page_token) = self.list::<Customers>(&c, r.paging(None)).await?;
        Ok(Response::new(pb::ListCustomersResponse {
            customers,
            next_page_token,
        }))
    }

    async fn update_customer(&self, req: Request<pb::UpdateCustomerRequest>) -> R<pb::Customer> {
        let (c, r) = Caller::split(req)?;
        self.update::<Customers>(&c, r.customer, r.update_mask.as_ref())
            .await
    }

    async fn delete_customer(&self, req: Request<pb::DeleteCustomerRequest>) -> R<pb::Customer> {
        let (c, r) = Caller::split(req)?;
        self.delete::<Customers>(&c, &r.name, &r.etag).await
    }

    async fn undelete_customer(
        &self,
        req: Request<pb::UndeleteCustomerRequest>,
    ) -> R<pb::Customer> {
        let (c, r) = Caller::split(req)?;
        self.undelete::<Customers>(&c, &r.name).await
    }

    async fn create_site(&self, req: Request<pb::CreateSiteRequest>) -> R<pb::Site> {
        let (c, r) = Caller::split(req)?;
        self.create::<Sites>(&c, Some(&r.parent), r.site.clone(), &r.site_id, &r)
            .await
    }

    async fn get_site(&self, req: Request<pb::GetSiteRequest>) -> R<pb::Site> {
        let (c, r) = Caller::split(req)?;
        self.get::<Sites>(&c, &r.name).await
    }

    async fn list_sites(&self, req: Request<pb::ListSitesRequest>) -> R<pb::ListSitesResponse> {
        let (c, r) = Caller::split(req)?;
        let (sites, next_page_token) = self.list::<Sites>(&c, r.paging(Some(&r.parent))).await?;
        Ok(Response::new(pb::ListSitesResponse {
            sites,
            next_page_token,
        }))
    }

    async fn update_site(&self, req: Request<pb::UpdateSiteRequest>) -> R<pb::Site> {
        let (c, r) = Caller::split(req)?;
        self.update::<Sites>(&c, r.site, r.update_mask.as_ref())
            .await
    }

    async fn delete_site(&self, req: Request<pb::DeleteSiteRequest>) -> R<pb::Site> {
        let (c, r) = Caller::split(req)?;
        self.delete::<Sites>(&c, &r.name, &r.etag).await
    }

    async fn undelete_site(&self, req: Request<pb::UndeleteSiteRequest>) -> R<pb::Site> {
        let (c, r) = Caller::split(req)?;
        self.undelete::<Sites>(&c, &r.name).await
    }

    async fn create_key_person(
        &self,
        req: Request<pb::CreateKeyPersonRequest>,
    ) -> R<pb::KeyPerson> {
        let (c, r) = Caller::split(req)?;
        let (parent, id) = (Some(r.parent.as_str()), r.key_person_id.as_str());
        self.create::<KeyPersons>(&c, parent, r.key_person.clone(), id, &r)
            .await
    }

    async fn get_key_person(&self, req: Request<pb::GetKeyPersonRequest>) -> R<pb::KeyPerson> {
        let (c, r) = Caller::split(req)?;
        self.get::<KeyPersons>(&c, &r.name).await
    }

    async fn list_key_persons(
        &self,
        req: Request<pb::ListKeyPersonsRequest>,
    ) -> R<pb::ListKeyPersonsResponse> {
        let (c, r) = Caller::split(req)?;
        let l = r.paging(Some(&r.parent));
        let (key_persons, next_page_token) = self.list::<KeyPersons>(&c, l).await?;
        Ok(Response::new(pb::ListKeyPersonsResponse {
            key_persons,
            next_page_token,
        }))
    }

    async fn update_key_person(
        &self,
        req: Request<pb::UpdateKeyPersonRequest>,
    ) -> R<pb::KeyPerson> {
        let (c, r) = Caller::split(req)?;
        self.update::<KeyPersons>(&c, r.key_person, r.update_mask.as_ref())
            .await
    }

    async fn delete_key_person(
        &self,
        req: Request<pb::DeleteKeyPersonRequest>,
    ) -> R<pb::KeyPerson> {
        let (c, r) = Caller::split(req)?;
        self.delete::<KeyPersons>(&c, &r.name, &r.etag).await
    }

    async fn undelete_key_person(
        &self,
        req: Request<pb::UndeleteKeyPersonRequest>,
    ) -> R<pb::KeyPerson> {
        let (c, r) = Caller::split(req)?;
        self.undelete::<KeyPersons>(&c, &r.name).await
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
