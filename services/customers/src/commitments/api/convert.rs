//! Rows to protobuf, as the caller may see them.

use super::super::store::{CommitmentRow, CoverageRow, StatusChangeRow};
use crate::visibility;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{
    Caller, aip, status,
    time::{duration, to_timestamp},
};
use tonic::Status;

/// A commitment with its coverage, as `caller` may see it (INTERNAL if its stored
/// clauses do not decode).
pub(super) fn commitment(
    caller: &Caller,
    row: &CommitmentRow,
    coverage: &[CoverageRow],
) -> Result<pb::Commitment, Status> {
    let clauses = super::clauses::decode(&row.clauses)
        .ok_or_else(|| status::internal(&format!("corrupt clauses of {}", row.name())))?;
    Ok(visible(
        caller,
        pb::Commitment {
            name: row.name(),
            display_name: row.display_name.clone(),
            clauses,
            status: row.status,
            status_reason: row.status_reason.clone(),
            coverage: coverage
                .iter()
                .map(|c| site_coverage(c, row.create_time))
                .collect(),
            risk_accepted: row.risk_accepted,
            created_by: row.created_by.clone(),
            create_time: Some(to_timestamp(row.create_time)),
            update_time: Some(to_timestamp(row.update_time)),
            etag: aip::etag(row.version),
        },
    ))
}

/// One site's coverage as vendor staff see it; `created` is the commitment's creation
/// time, when the promise was assessed.
fn site_coverage(r: &CoverageRow, created: i64) -> pb::SiteCoverage {
    let best_arrival = r.best_arrival.map(duration);
    let promised = pb::CoverageEstimate {
        depot: r.best_depot.clone(),
        place: r.promised_place.clone(),
        arrival: best_arrival,
        within_window: r.promised_within != 0,
        assess_time: Some(to_timestamp(created)),
    };
    // Rows written before present-tense coverage hold only the promise.
    let current = if r.assess_time == 0 {
        promised.clone()
    } else {
        pb::CoverageEstimate {
            depot: r.current_depot.clone(),
            place: r.current_place.clone(),
            arrival: r.current_arrival.map(duration),
            within_window: r.current_within != 0,
            assess_time: Some(to_timestamp(r.assess_time)),
        }
    };
    pb::SiteCoverage {
        clause: r.clause,
        site: r.site.clone(),
        registration: r.registration.clone(),
        covered: r.covered != 0,
        best_arrival,
        best_depot: r.best_depot.clone(),
        redundancy: r.redundancy,
        promised: Some(promised),
        current: Some(current),
    }
}

/// A commitment as `caller` may see it: customer people get places and times, not
/// supply-chain ids.
fn visible(caller: &Caller, mut c: pb::Commitment) -> pb::Commitment {
    if visibility::sees_ids(caller) {
        return c;
    }
    c.status_reason = visibility::redact(&c.status_reason).into_owned();
    for s in &mut c.coverage {
        s.registration.clear();
        s.best_depot.clear();
        for e in [&mut s.promised, &mut s.current].into_iter().flatten() {
            e.depot.clear();
        }
    }
    c
}

/// A status change, its reason as `caller` may read it.
pub(super) fn status_change(caller: &Caller, r: &StatusChangeRow) -> pb::CommitmentStatusChange {
    pb::CommitmentStatusChange {
        name: format!(
            "customers/{}/commitments/{}/statusChanges/{}",
            r.customer_id,
            r.commitment_id,
            r.id.trim_start_matches('0')
        ),
        sequence: r.id.parse().unwrap_or_default(),
        previous_status: r.previous_status,
        status: r.status,
        reason: visibility::text(caller, &r.reason).into_owned(),
        risk_event_sequence: r.risk_sequence,
        change_time: Some(to_timestamp(r.change_time)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::store::code;
    use super::*;

    #[test]
    fn stored_codes_are_the_published_numbers() {
        use pb::CommitmentStatus as S;
        assert_eq!(code::UNSPECIFIED, S::Unspecified as i32);
        assert_eq!(code::HEALTHY, S::Healthy as i32);
        assert_eq!(code::AT_RISK, S::AtRisk as i32);
        assert_eq!(code::BREACHED, S::Breached as i32);
    }
}
