//! Rows to protobuf, and the errors that name a row's state.

#[cfg(test)]
use super::super::store::EventKind;
use super::super::store::{
    EventRow, FireRequestRow, IncidentRow, Part, code, parts_from_json, settle::End,
};
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{
    status,
    time::{duration, to_timestamp},
};
use tonic::Status;

pub(super) fn incident(row: &IncidentRow) -> pb::Incident {
    pb::Incident {
        name: row.name(),
        site: row.site.clone(),
        severity: row.severity,
        summary: row.summary.clone(),
        detect_time: Some(to_timestamp(row.detect_time)),
        state: row.state,
        owner: row.owner.clone(),
        fault_notice: row.notice.as_ref().map(
            |[root_cause, customer_impact, timeline, what_changes]| pb::FaultNotice {
                root_cause: root_cause.clone(),
                customer_impact: customer_impact.clone(),
                timeline: timeline.clone(),
                what_changes: what_changes.clone(),
            },
        ),
        create_time: Some(to_timestamp(row.create_time)),
        acknowledge_time: row.acknowledge_time.map(to_timestamp),
        close_time: row.close_time.map(to_timestamp),
        time_to_acknowledge: row.acknowledge_time.map(|t| duration(t - row.detect_time)),
        time_to_resolve: row.close_time.map(|t| duration(t - row.detect_time)),
    }
}

pub(super) fn fire_request(row: &FireRequestRow) -> pb::FireRequest {
    pb::FireRequest {
        name: row.name(),
        department: row.department.clone(),
        ask: row.ask.clone(),
        acknowledge_within: Some(duration(row.ack_due - row.create_time)),
        fulfil_within: Some(duration(row.fulfil_due - row.create_time)),
        state: row.state,
        create_time: Some(to_timestamp(row.create_time)),
        acknowledge_due_time: Some(to_timestamp(row.ack_due)),
        fulfil_due_time: Some(to_timestamp(row.fulfil_due)),
        acknowledge_time: row.ack_time.map(to_timestamp),
        fulfil_time: row.fulfil_time.map(to_timestamp),
        acknowledged_by: row.acknowledged_by.clone(),
        fulfilled_by: row.fulfilled_by.clone(),
        time_to_acknowledge: row.ack_time.map(|t| duration(t - row.create_time)),
        time_to_fulfil: row.fulfil_time.map(|t| duration(t - row.create_time)),
        parts: parts_from_json(&row.parts)
            .into_iter()
            .map(|p| pb::PartQuantity {
                part_number: p.part_number,
                quantity: p.quantity,
            })
            .collect(),
        reservation: row.reservation.clone(),
    }
}

pub(super) fn event(row: EventRow) -> pb::IncidentEvent {
    pb::IncidentEvent {
        sequence: row.sequence,
        time: Some(to_timestamp(row.time)),
        kind: row.kind,
        actor: row.actor,
        fire_request: row.fire_request,
        message: row.message,
        notify: row.notify,
    }
}

pub(super) fn part(p: &pb::PartQuantity) -> Part {
    Part {
        part_number: p.part_number.clone(),
        quantity: p.quantity,
    }
}

/// A fire request state's name, e.g. FIRE_REQUEST_STATE_ACKNOWLEDGED.
pub(super) fn state_name(state: i32) -> &'static str {
    pb::FireRequestState::try_from(state)
        .unwrap_or_default()
        .as_str_name()
}

/// FAILED_PRECONDITION: the incident is no longer open.
pub(super) fn not_open(name: &str, state: i32) -> Status {
    let cancelled = state == code::INCIDENT_CANCELLED;
    status::failed_precondition(
        if cancelled {
            "INCIDENT_CANCELLED"
        } else {
            "INCIDENT_CLOSED"
        },
        name,
        if cancelled {
            "the incident is cancelled"
        } else {
            "the incident is closed"
        },
    )
}

/// FAILED_PRECONDITION for a close while requests are open: one violation per request.
pub(super) fn still_open(open: &[FireRequestRow]) -> Status {
    let violations: Vec<(String, String, String)> = open
        .iter()
        .map(|fr| {
            (
                "FIRE_REQUEST_OPEN".to_string(),
                fr.name(),
                format!(
                    "{} request is {}: fulfil or cancel it first",
                    fr.department,
                    state_name(fr.state)
                ),
            )
        })
        .collect();
    let n = open.len();
    status::failed_preconditions(
        "FIRE_REQUESTS_OPEN",
        format!(
            "{} still open: fulfil or cancel each before closing",
            plural(n, "fire request is", "fire requests are")
        ),
        &violations,
    )
}

/// "1 fire request is", "2 fire requests are".
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// FAILED_PRECONDITION: the request's reservation is being ended the other way.
pub(super) fn busy(fr: &FireRequestRow) -> Status {
    let doing = if fr.settlement == End::Dispatch.tag() {
        "being fulfilled (its parts are being dispatched)"
    } else {
        "being cancelled (its parts are being released)"
    };
    status::failed_precondition(
        "FIRE_REQUEST_SETTLING",
        &fr.name(),
        format!("the request is {doing}; retry that call to finish it"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_codes_are_the_published_numbers() {
        assert_eq!(code::INCIDENT_OPEN, pb::IncidentState::Open as i32);
        assert_eq!(code::INCIDENT_CLOSED, pb::IncidentState::Closed as i32);
        assert_eq!(
            code::INCIDENT_CANCELLED,
            pb::IncidentState::Cancelled as i32
        );
        assert_eq!(code::REQUESTED, pb::FireRequestState::Requested as i32);
        assert_eq!(
            code::ACKNOWLEDGED,
            pb::FireRequestState::Acknowledged as i32
        );
        assert_eq!(code::FULFILLED, pb::FireRequestState::Fulfilled as i32);
        assert_eq!(code::CANCELLED, pb::FireRequestState::Cancelled as i32);
        use pb::IncidentEventKind as K;
        for (ours, theirs) in [
            (EventKind::Opened, K::Opened),
            (EventKind::FireCalled, K::FireCalled),
            (EventKind::Acknowledged, K::Acknowledged),
            (EventKind::Fulfilled, K::Fulfilled),
            (EventKind::Warning, K::Warning),
            (EventKind::Escalated, K::Escalated),
            (EventKind::Closed, K::Closed),
            (EventKind::PartsReserved, K::PartsReserved),
            (EventKind::Cancelled, K::Cancelled),
            (EventKind::PartsReleased, K::PartsReleased),
            (EventKind::CommitmentBreached, K::CommitmentBreached),
            (EventKind::FireCancelled, K::FireCancelled),
            (EventKind::PartsDispatched, K::PartsDispatched),
        ] {
            assert_eq!(ours as i32, theirs as i32, "{ours:?}");
        }
    }
}
