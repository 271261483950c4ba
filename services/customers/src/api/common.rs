//! What every handler of this service does the same way: names, etags, request ids,
//! pages, update masks, and turning store outcomes into AIP errors.

use crate::store::{self, Table};
pub(crate) use symbolon_platform::aip::*;
use symbolon_platform::{Caller, status};
use tonic::Status;

/// Vendor roles that maintain CRM records.
pub(crate) const CRM_WRITERS: &[&str] = &["admin", "frontline"];

/// A parsed resource name: its customer and its own id.
pub(crate) struct Named<'a> {
    pub(crate) customer_id: &'a str,
    pub(crate) id: &'a str,
}

/// Parses `name` (reported as `field`) against `collections`, e.g. `["customers", "sites"]`.
pub(crate) fn parse_name<'a>(
    field: &str,
    name: &'a str,
    collections: &[&str],
) -> Result<Named<'a>, Status> {
    let ids = ids_of(field, name, collections)?;
    Ok(Named {
        customer_id: ids[0],
        id: ids[ids.len() - 1],
    })
}

/// Reads a resource the caller may see (deleted ones included, AIP-164), or NOT_FOUND.
pub(crate) async fn fetch<T: Table>(
    db: &symbolon_platform::Database,
    caller: &Caller,
    name: &str,
    n: &Named<'_>,
) -> Result<T, Status> {
    caller.ensure_customer(n.customer_id, name)?;
    store::get::<T>(db, n.customer_id, n.id)
        .await?
        .ok_or_else(|| status::not_found(name))
}

/// The customer must exist and be live before children are added under it.
pub(crate) async fn live_parent(
    db: &symbolon_platform::Database,
    caller: &Caller,
    parent: &str,
) -> Result<String, Status> {
    let n = parse_name("parent", parent, &["customers"])?;
    let c: store::CustomerRow = fetch(db, caller, parent, &n).await?;
    if c.meta.delete_time.is_some() {
        return Err(status::not_found(parent));
    }
    Ok(c.meta.id)
}

/// May this caller maintain the sites and key persons of `customer_id`? Vendor CRM
/// writers may, and so may the customer's own executives.
pub(crate) fn ensure_may_edit_children(
    caller: &Caller,
    customer_id: &str,
    name: &str,
) -> Result<(), Status> {
    caller.ensure_customer(customer_id, name)?;
    if caller.is_vendor() {
        return caller.require_vendor(CRM_WRITERS);
    }
    if caller.has_role("customer-executive") {
        return Ok(());
    }
    Err(status::permission_denied(
        "only vendor CRM staff or the customer's executives may change this",
    ))
}

/// One page of `T` under customer `parent` (`customers/{c}`), which the caller must be
/// allowed to see; with that customer's id. `kind` binds page tokens to the listing.
pub(crate) async fn customer_page<'a, T: Table>(
    db: &symbolon_platform::Database,
    caller: &Caller,
    kind: &str,
    parent: &'a str,
    filter: &str,
    page_size: i32,
    page_token: &str,
) -> Result<(&'a str, Vec<T>, String), Status> {
    let n = parse_name("parent", parent, &["customers"])?;
    caller.ensure_customer(n.customer_id, parent)?;
    let query = format!("{kind};{parent};{filter}");
    let listing = Listing {
        scope: Some(n.customer_id),
        filter,
        query: &query,
        show_deleted: false,
    };
    let (rows, next) = list_page::<T>(db, listing, page_size, page_token).await?;
    Ok((n.customer_id, rows, next))
}

/// One unfiltered page of `T` in `scope` (a parent already opened for the caller),
/// page tokens bound to `query`.
pub(crate) async fn scoped_page<T: Table>(
    db: &symbolon_platform::Database,
    scope: &str,
    query: &str,
    page_size: i32,
    page_token: &str,
) -> Result<(Vec<T>, String), Status> {
    let listing = Listing {
        scope: Some(scope),
        filter: "",
        query,
        show_deleted: false,
    };
    list_page::<T>(db, listing, page_size, page_token).await
}
