//! What every handler does the same way: roles, names, validation of shared shapes.

use symbolon_contracts::supplychain::v1 as pb;
pub(crate) use symbolon_platform::aip::*;
use symbolon_platform::{Caller, Violations, country::CountryCode, names, status};
use tonic::Status;

/// Vendor roles that may read.
pub(crate) const READERS: &[&str] = &["admin", "analyst", "frontline", "department:supply-chain"];
/// Vendor roles that maintain country profiles and scoring models (analysts read and
/// never write: see `access.rs`).
pub(crate) const PROFILE_WRITERS: &[&str] = &["admin", "department:supply-chain"];
/// Vendor roles that maintain depots and stock.
pub(crate) const DEPOT_WRITERS: &[&str] = &["admin", "department:supply-chain"];

/// Longest accepted window: a week.
pub(crate) const MAX_WINDOW_MICROS: i64 = 7 * 24 * 3_600_000_000;

/// PERMISSION_DENIED unless the caller is vendor staff with at least one role.
pub(crate) fn require_any_vendor(c: &Caller) -> Result<(), Status> {
    if c.is_vendor() && !c.roles.is_empty() {
        Ok(())
    } else {
        Err(status::permission_denied(
            "this method is for the vendor's staff (any vendor role)",
        ))
    }
}

/// Parses `{collection}/{id}` with a platform id.
pub(crate) fn parse_id(field: &str, name: &str, collection: &str) -> Result<String, Status> {
    symbolon_platform::aip::ids_of(field, name, &[collection]).map(|ids| ids[0].to_string())
}

/// Parses `countryProfiles/{country}` (any case) to the upper-case code.
pub(crate) fn parse_country_name(field: &str, name: &str) -> Result<String, Status> {
    let code = name.strip_prefix("countryProfiles/").ok_or_else(|| {
        status::invalid_argument(field, "must look like countryProfiles/{country}")
    })?;
    CountryCode::parse(code)
        .map(|c| c.to_string())
        .map_err(|e| status::invalid_argument(field, e.to_string()))
}

/// Checks a part number: 1-64 of letters, digits, '.', '_', '-'.
pub(crate) fn check_part(part: &str) -> Result<(), &'static str> {
    let ok = (1..=64).contains(&part.len())
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err("part numbers are 1-64 characters of letters, digits, '.', '_' and '-'")
    }
}

/// Parses `depots/{depot}/{collection}/{id}`; `id` is a part number for stock.
pub(crate) fn parse_depot_child(
    field: &str,
    name: &str,
    collection: &str,
) -> Result<(String, String), Status> {
    let parts: Vec<&str> = name.split('/').collect();
    let shape = || {
        status::invalid_argument(
            field,
            format!("must look like depots/{{depot}}/{collection}/{{id}}"),
        )
    };
    if parts.len() != 4 || parts[0] != "depots" || parts[2] != collection {
        return Err(shape());
    }
    names::check_id(parts[1]).map_err(|e| status::invalid_argument(field, e.to_string()))?;
    if collection == "stockLevels" {
        check_part(parts[3]).map_err(|e| status::invalid_argument(field, e))?;
    } else {
        names::check_id(parts[3]).map_err(|e| status::invalid_argument(field, e.to_string()))?;
    }
    Ok((parts[1].to_string(), parts[3].to_string()))
}

/// Checks a site to assess; returns the normalised site.
pub(crate) fn check_site(
    v: &mut Violations,
    field: &str,
    site: Option<&pb::SiteLocation>,
) -> pb::SiteLocation {
    let Some(s) = site else {
        v.add(field, "is required");
        return pb::SiteLocation::default();
    };
    v.location(&format!("{field}.location"), s.location.as_ref());
    let country = v
        .check(&format!("{field}.country"), CountryCode::parse(&s.country))
        .map(|c| c.to_string())
        .unwrap_or_default();
    text(v, &format!("{field}.site"), &s.site, false, 300);
    pb::SiteLocation {
        location: s.location,
        country,
        site: s.site.clone(),
    }
}

/// Checks a parts list (non-empty, valid, de-duplicated in order).
pub(crate) fn check_parts(v: &mut Violations, field: &str, parts: &[String]) -> Vec<String> {
    if parts.is_empty() {
        v.add(field, "at least one part number is required");
    }
    if parts.len() > 100 {
        v.add(field, "at most 100 part numbers");
    }
    let mut out: Vec<String> = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        match check_part(p.trim()) {
            Ok(()) => {
                if !out.iter().any(|o| o == p.trim()) {
                    out.push(p.trim().to_string());
                }
            }
            Err(e) => v.add(format!("{field}[{i}]"), e),
        }
    }
    out
}

/// Checks a window: required, > 0, at most 7 days. Returns microseconds.
pub(crate) fn check_window(
    v: &mut Violations,
    field: &str,
    window: Option<&prost_types::Duration>,
) -> i64 {
    match window {
        None => {
            v.add(field, "is required, e.g. 4h");
            0
        }
        Some(d) => {
            let m = crate::convert::duration_to_micros(d);
            if d.seconds < 0 || d.nanos < 0 || m <= 0 {
                v.add(field, "must be positive");
            } else if m > MAX_WINDOW_MICROS {
                v.add(field, "must be at most 7 days");
            }
            m
        }
    }
}

/// One List call over the rows of `T` in `scope` (deleted ones left out): its page (paging and `filter`
/// checked, page tokens bound to `query`), each row turned into protobuf by `to_pb`,
/// and the next page token.
pub(crate) async fn list_pb<T, M>(
    db: &symbolon_platform::Database,
    (scope, filter, query): (&str, &str, &str),
    page_size: i32,
    page_token: &str,
    to_pb: fn(T) -> M,
) -> Result<(Vec<M>, String), Status>
where
    T: symbolon_platform::table::Table,
    M: prost::Message,
{
    let listing = Listing {
        scope: Some(scope),
        filter,
        query,
        show_deleted: false,
    };
    let (rows, next_page) = list_page::<T>(db, listing, page_size, page_token).await?;
    let mut items = rows.into_iter().map(to_pb).collect();
    let next_page_token = next_page.token(&mut items);
    Ok((items, next_page_token))
}
