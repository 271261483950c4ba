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
