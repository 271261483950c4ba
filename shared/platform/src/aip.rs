//! Request helpers every handler uses the same way (AIP-134, 154, 155, 158): request ids,
//! etags, pages, update masks, and store outcomes as AIP errors.

use crate::{
    Caller, Database, Violations, paging, status,
    table::{self, ListQuery, Table, Write},
};
use prost_types::FieldMask;
use tonic::Status;

/// The stored key of a client `request_id` (AIP-155): scoped to the caller's
/// organisation, the method (or resource kind) and the parent it creates under, so the
/// same id sent by two callers, or by one caller to two methods or two parents, names
/// two requests; bound to the request's fingerprint, so the same id with another
/// request is refused (see [`crate::request_ids`]). A bad id is a violation of
/// `request_id`; no id means no idempotency.
pub fn request_key(
    caller: &Caller,
    method: &str,
    parent: &str,
    request: &impl symbolon_contracts::RequestId,
    v: &mut Violations,
) -> Option<String> {
    crate::request_ids::key(caller, method, parent, request, v)
}

/// The version an etag stands for. An etag we never issued matches no version, so it
/// fails as stale rather than being ignored.
pub fn etag_version(etag: &str) -> Option<i64> {
    if etag.is_empty() {
        None
    } else {
        Some(etag.parse().unwrap_or(-1))
    }
}

/// The etag of a row version.
pub fn etag(version: i64) -> String {
    version.to_string()
}

/// Page size and resume position, with violations recorded. `query` describes the
/// rest of the request, so a token is only valid for the query that issued it.
pub fn page(page_size: i32, token: &str, query: &str, v: &mut Violations) -> (i64, Option<String>) {
    let size = v
        .check("page_size", paging::page_size(page_size))
        .unwrap_or(1);
    let after = v
        .check("page_token", paging::decode_token(token, query))
        .flatten();
    (size, after)
}

/// Page size and resume position of a List request whose only other input is checked
/// elsewhere: INVALID_ARGUMENT naming `page_size` or `page_token` when bad.
pub fn checked_page(
    page_size: i32,
    token: &str,
    query: &str,
) -> Result<(i64, Option<String>), Status> {
    let mut v = Violations::new();
    let checked = page(page_size, token, query, &mut v);
    v.into_result()?;
    Ok(checked)
}

/// A List response's items and next page token from a page of rows: each row turned
/// into protobuf by `to_pb`, the items cut to the page's byte budget, the token bound
/// to `query`.
pub fn page_items<T, M: prost::Message>(
    page: table::Page<T>,
    query: &str,
    to_pb: impl FnMut(T) -> Result<M, Status>,
) -> Result<(Vec<M>, String), Status> {
    let mut items = page.rows.into_iter().map(to_pb).collect::<Result<_, _>>()?;
    let next_page_token = next_token(page.next.fit(&mut items), query);
    Ok((items, next_page_token))
}

/// The next page token for a page.
pub fn next_token(next_after: Option<String>, query: &str) -> String {
    next_after
        .map(|a| paging::encode_token(&a, query))
        .unwrap_or_default()
}

/// The update mask's paths, each checked against `allowed`. An empty mask means every
/// field the client populated (`populated`); `*` means all of `allowed`.
pub fn mask_paths(
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

/// The ids in resource name `name` of `collections` (e.g. `["customers", "sites"]`),
/// or INVALID_ARGUMENT naming `field`, the request field that carried it.
pub fn ids_of<'a>(
    field: &str,
    name: &'a str,
    collections: &[&str],
) -> Result<Vec<&'a str>, Status> {
    crate::names::parse(name, collections)
        .map_err(|e| crate::status::invalid_argument(field, e.to_string()))
}

/// What a List request asks for, beyond its page.
pub struct Listing<'a> {
    /// The scope column's value (`None`: every scope the caller may see).
    pub scope: Option<&'a str>,
    /// AIP-160 filter text.
    pub filter: &'a str,
    /// Everything else about the request, binding page tokens to it.
    pub query: &'a str,
    /// Include soft-deleted rows.
    pub show_deleted: bool,
}

/// What makes a List response's `next_page_token` once its items are built: the page
/// stops early at its byte budget (see [`paging`]).
pub struct NextPage {
    next: paging::Next,
    query: String,
}

impl NextPage {
    /// Cuts `items` (one per row read, in order) to the page's byte budget and returns
    /// the token of the page that follows, or "" at the end.
    pub fn token<M: prost::Message>(self, items: &mut Vec<M>) -> String {
        next_token(self.next.fit(items), &self.query)
    }
}

/// One List call end to end: checks `page_size` and `page_token`, reads a keyset page,
/// and returns the rows with what makes the next page token. Bad paging or filters are
/// INVALID_ARGUMENT naming the field.
pub async fn list_page<T: Table>(
    db: &Database,
    l: Listing<'_>,
    page_size: i32,
    page_token: &str,
) -> Result<(Vec<T>, NextPage), Status> {
    let (limit, after) = checked_page(page_size, page_token, l.query)?;
    let q = ListQuery {
        scope: l.scope,
        filter: l.filter,
        after,
        limit,
        show_deleted: l.show_deleted,
    };
    let page = table::list::<T>(db, q).await??;
    let next = NextPage {
        next: page.next,
        query: l.query.to_string(),
    };
    Ok((page.rows, next))
}

/// Turns a conditional write's outcome into the row or the AIP error.
pub fn written<T>(w: Write<T>, name: &str) -> Result<T, Status> {
    match w {
        Write::Done(t) => Ok(t),
        Write::NotFound => Err(status::not_found(name)),
        Write::Stale => Err(status::stale_etag(name)),
        Write::NotDeleted => Err(status::already_exists(name)),
    }
}

/// The id of a resource to create: the client's choice when it made one (checked,
/// a violation of `field` when bad), else a new one.
pub fn chosen_or_new_id(v: &mut Violations, field: &str, chosen: &str) -> String {
    if chosen.is_empty() {
        return crate::names::new_id();
    }
    v.check(field, crate::names::check_id(chosen));
    chosen.to_string()
}

/// Checks free text: required or not, and at most `max` characters.
pub fn text(v: &mut Violations, field: &str, value: &str, required: bool, max: usize) {
    if required && value.trim().is_empty() {
        v.add(field, "is required");
    } else if value.chars().count() > max {
        v.add(field, format!("must be at most {max} characters"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_accept_known_paths_star_and_empty() {
        let mut v = Violations::new();
        assert_eq!(mask_paths(None, &["a", "b"], &["b"], &mut v), vec!["b"]);
        let star = FieldMask {
            paths: vec!["*".into()],
        };
        assert_eq!(
            mask_paths(Some(&star), &["a", "b"], &[], &mut v),
            vec!["a", "b"]
        );
        assert!(v.is_empty());
        let bad = FieldMask {
            paths: vec!["a".into(), "owner".into()],
        };
        assert_eq!(mask_paths(Some(&bad), &["a", "b"], &[], &mut v), vec!["a"]);
        assert_eq!(v.fields().collect::<Vec<_>>(), vec!["update_mask.paths"]);
    }

    #[test]
    fn etags_we_never_issued_never_match() {
        assert_eq!(etag_version(""), None);
        assert_eq!(etag_version(&etag(7)), Some(7));
        assert_eq!(etag_version("W/\"x\""), Some(-1));
    }
}
