//! `AssessSiteCoverage`: a stored site's coverage by its resource name. The site is read
//! under the caller's tenancy, then the supply-chain service is asked, as the caller,
//! with the site's own location and country.

use super::{MAX_WINDOW, SupplyChain, check_part, micros, place_of};
use crate::visibility;
use std::collections::HashSet;
use symbolon_contracts::customers::v1 as pb;
use symbolon_contracts::supplychain::v1 as spb;
use symbolon_platform::{Caller, Database, Violations, names, status, table, time::Clock};
use tonic::Status;

/// Checks the request, reads the site, asks the supply-chain service.
pub(super) async fn assess_site(
    db: &Database,
    clock: &Clock,
    supply: Option<&SupplyChain>,
    caller: &Caller,
    r: pb::AssessSiteCoverageRequest,
) -> Result<pb::SiteCoverageAssessment, Status> {
    let mut v = Violations::new();
    let ids = v.check("site", names::parse(&r.site, &["customers", "sites"]));
    let distinct: HashSet<&str> = r.part_numbers.iter().map(String::as_str).collect();
    if r.part_numbers.is_empty() || r.part_numbers.len() > 50 {
        v.add("part_numbers", "needs 1 to 50 part numbers");
    } else if distinct.len() != r.part_numbers.len() {
        v.add("part_numbers", "must be distinct");
    }
    for (i, p) in r.part_numbers.iter().enumerate() {
        if !check_part(p) {
            v.add(
                format!("part_numbers[{i}]"),
                "must be 1-64 letters, digits, '.', '_' or '-'",
            );
        }
    }
    let window = r.window.as_ref().map(micros);
    if !window.is_some_and(|w| w > 0 && w <= MAX_WINDOW) {
        v.add("window", "is required, > 0 and at most 7 days");
    }
    v.into_result()?;
    let Some(ids) = ids else {
        return Err(status::invalid_argument("site", "is required"));
    };
    // Another customer's site, or one that is gone: NOT_FOUND, existence not revealed.
    caller.ensure_customer(ids[0], &r.site)?;
    let site = table::get::<crate::store::SiteRow>(db, ids[0], ids[1])
        .await?
        .filter(|s| s.meta.delete_time.is_none())
        .ok_or_else(|| status::not_found(&r.site))?;
    let supply =
        supply.ok_or_else(|| status::unavailable("the supply-chain service is not configured"))?;
    let request = spb::AssessCoverageRequest {
        site: Some(spb::SiteLocation {
            location: Some(symbolon_contracts::common::v1::LatLng {
                latitude: site.latitude,
                longitude: site.longitude,
            }),
            country: site.country.clone(),
            site: r.site.clone(),
        }),
        part_numbers: r.part_numbers.clone(),
        window: r.window,
    };
    let a = supply
        .batch_assess(caller, vec![request])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| status::unavailable("the supply-chain service gave no assessment"))?;
    let now = clock.now();
    Ok(pb::SiteCoverageAssessment {
        site: r.site,
        part_numbers: r.part_numbers,
        window: r.window,
        covered: a.covered,
        best: a.best.as_ref().map(|b| pb::CoverageEstimate {
            depot: visibility::id(caller, b.depot.clone()),
            place: place_of(b),
            arrival: b.estimated_arrival,
            within_window: b.within_window,
            assess_time: Some(symbolon_platform::time::to_timestamp(now)),
        }),
        redundancy: a.redundancy,
        resilience_score: a.resilience.map(|r| r.score).unwrap_or_default(),
        unavailable_parts: a.unavailable_parts,
        reason: visibility::text(caller, &a.reason).into_owned(),
    })
}
