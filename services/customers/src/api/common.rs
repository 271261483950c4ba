//! What every handler of this service does the same way: names, etags, request ids,
//! pages, update masks, and turning store outcomes into AIP errors.

use crate::store::{self, Table, Write};
use prost_types::FieldMask;
use symbolon_platform::{Caller, Violations, names, paging, status};
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
    let ids = names::parse(name, collections)
        .map_err(|e| status::invalid_argument(field, e.to_string()))?;
    Ok(Named {
        customer_id: ids[0],
        id: ids[ids.len() - 1],
    })
}

/// The idempotency key of a create: the caller's organisation plus its request id
/// (a UUID, AIP-155), so two tenants can never collide.
pub(crate) fn request_key(caller: &Caller, request_id: &str, v: &mut Violations) -> Option<String> {
    if request_id.is_empty() {
        return None;
    }
    match uuid::Uuid::parse_str(request_id) {
        Ok(id) => Some(format!("{}/{}", caller.org.claim(), id.hyphenated())),
        Err(_) => {
            v.add("request_id", "must be a UUID");
            None
        }
    }
}

/// The version an etag stands for. An etag we never issued matches no version, so it
/// fails as stale rather than being ignored.
pub(crate) fn etag_version(etag: &str) -> Option<i64> {
    if etag.is_empty() {
        None
    } else {
        Some(etag.parse().unwrap_or(-1))
    }
}

/// The etag of a version.
pub(crate) fn etag(version: i64) -> String {
    version.to_string()
}

/// Page size and resume position, with violations recorded.
pub(crate) fn page(
    page_size: i32,
    token: &str,
    query: &str,
    v: &mut Violations,
) -> (i64, Option<String>) {
    let size = v
        .check("page_size", paging::page_size(page_size))
        .unwrap_or(1);
    let after = v
        .check("page_token", paging::decode_token(token, query))
        .flatten();
    (size, after)
}

/// The next page token for a page.
pub(crate) fn next_token(next_after: Option<String>, query: &str) -> String {
    next_after
        .map(|a| paging::encode_token(&a, query))
        .unwrap_or_default()
}

/// The update mask's paths, each checked against `allowed`. An empty mask means every
/// field the client populated (`populated`); `*` means all of `allowed`.
pub(crate) fn mask_paths(
    mask: Option<&FieldMask>,
    allowed: &[&'static str],
    populated: &[&'static str],
    v: &mut Violations,
) -> Vec<&'static str> {
    let paths = mask.map(|m| m.paths.as_slice()).unwrap_or_default();
    if paths.is_empty() {
        return populated.to_vec();
    }
    if paths.iter().any(|p| p == "*") {
        return allowed.to_vec();
    }
    let mut out = Vec::new();
    for p in paths {
        match allowed.iter().find(|a| **a == p.as_str()) {
            Some(a) => out.push(*a),
            None => v.add(
                "update_mask.paths",
                format!("{p:?} cannot be updated; allowed: {}", allowed.join(", ")),
            ),
        }
    }
    out
}

/// Turns a conditional write's outcome into the resource or the AIP error.
pub(crate) fn written<T>(w: Write<T>, name: &str) -> Result<T, Status> {
    match w {
        Write::Done(t) => Ok(t),
        Write::NotFound => Err(status::not_found(name)),
        Write::Stale => Err(status::stale_etag(name)),
        Write::NotDeleted => Err(status::already_exists(name)),
    }
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

/// Checks the length of free text.
pub(crate) fn text(v: &mut Violations, field: &str, value: &str, required: bool, max: usize) {
    if required && value.trim().is_empty() {
        v.add(field, "is required");
    } else if value.chars().count() > max {
        v.add(field, format!("must be at most {max} characters"));
    }
}
