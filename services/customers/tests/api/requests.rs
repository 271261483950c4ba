//! Request messages the tests build again and again, so each scene says only what is
//! particular to it. The commitments bench includes this file by path.
#![allow(dead_code)]

use symbolon_contracts::customers::v1 as pb;

/// `secs` as a protobuf duration.
pub(crate) fn dur(secs: i64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: secs,
        nanos: 0,
    })
}

// The depot, its stock and the customer are the testkit's seed requests, under the
// names these tests and the commitments bench call them by.
pub(crate) use symbolon_testkit::{
    create_customer_request as customer, create_depot_request as depot, set_stock_request as stock,
};

/// Creates `site` as site `id` of `parent` (`customers/{c}`).
pub(crate) fn site(parent: impl Into<String>, id: &str, site: pb::Site) -> pb::CreateSiteRequest {
    pb::CreateSiteRequest {
        parent: parent.into(),
        site: Some(site),
        site_id: id.into(),
        request_id: String::new(),
    }
}

/// A remote expert on call around the clock.
pub(crate) fn remote_expert_always() -> pb::CommitmentClause {
    pb::CommitmentClause {
        kind: Some(pb::commitment_clause::Kind::RemoteExpert(
            pb::RemoteExpertClause {
                hours_per_day: 24,
                days_per_week: 7,
            },
        )),
    }
}

/// Any of `part_numbers` at any of `sites` (resource names) within `window_secs`.
pub(crate) fn spare_parts(
    sites: Vec<String>,
    part_numbers: Vec<String>,
    window_secs: i64,
) -> pb::CommitmentClause {
    pb::CommitmentClause {
        kind: Some(pb::commitment_clause::Kind::SpareParts(
            pb::SparePartsClause {
                sites,
                part_numbers,
                window: dur(window_secs),
            },
        )),
    }
}

/// Fulfils fire request `name` with `note`.
pub(crate) fn fulfil(name: impl Into<String>, note: &str) -> pb::FulfilFireRequestRequest {
    pb::FulfilFireRequestRequest {
        name: name.into(),
        note: note.into(),
    }
}

/// Closes incident `name` with the candid fault notice of the night-outage scene: the
/// routing daemon's crash, every field filled.
pub(crate) fn close_routing_outage(name: impl Into<String>) -> pb::CloseIncidentRequest {
    pb::CloseIncidentRequest {
        name: name.into(),
        fault_notice: Some(pb::FaultNotice {
            root_cause: "A routing daemon crashed on a malformed update after the 02:00 upgrade"
                .into(),
            customer_impact: "Data service lost in two provinces for 38 minutes".into(),
            timeline: "02:39 detected, 02:41 parts and R&D called, 03:17 restored".into(),
            what_changes: "Input validation in the daemon; upgrades move to a staged window".into(),
        }),
    }
}

/// Opens an incident under `parent` (`customers/{c}`) at `site` (a resource name, or
/// empty for none).
pub(crate) fn open_incident(
    parent: impl Into<String>,
    site: &str,
    severity: pb::Severity,
    summary: impl Into<String>,
    detect_time: prost_types::Timestamp,
) -> pb::OpenIncidentRequest {
    pb::OpenIncidentRequest {
        parent: parent.into(),
        incident: Some(pb::Incident {
            site: site.into(),
            severity: severity as i32,
            summary: summary.into(),
            detect_time: Some(detect_time),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

/// Calls `department` to incident `parent` for `ask`, to acknowledge within
/// `acknowledge_secs` and fulfil within `fulfil_secs`, with `parts` (number, quantity).
pub(crate) fn call_for_fire(
    parent: impl Into<String>,
    department: &str,
    ask: &str,
    acknowledge_secs: i64,
    fulfil_secs: i64,
    parts: &[(&str, i32)],
) -> pb::CallForFireRequest {
    pb::CallForFireRequest {
        parent: parent.into(),
        fire_request: Some(pb::FireRequest {
            department: department.into(),
            ask: ask.into(),
            acknowledge_within: dur(acknowledge_secs),
            fulfil_within: dur(fulfil_secs),
            parts: parts
                .iter()
                .map(|(part_number, quantity)| pb::PartQuantity {
                    part_number: (*part_number).into(),
                    quantity: *quantity,
                })
                .collect(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

/// Acknowledges fire request `name`.
pub(crate) fn acknowledge(name: impl Into<String>) -> pb::AcknowledgeFireRequestRequest {
    pb::AcknowledgeFireRequestRequest { name: name.into() }
}

/// Records `touchpoint` under `parent` (`customers/{c}`).
pub(crate) fn record(
    parent: impl Into<String>,
    touchpoint: pb::Touchpoint,
) -> pb::RecordTouchpointRequest {
    pb::RecordTouchpointRequest {
        parent: parent.into(),
        touchpoint: Some(touchpoint),
        request_id: String::new(),
    }
}

/// Cancels incident `name` for `reason` (may be empty).
pub(crate) fn cancel_incident(name: impl Into<String>, reason: &str) -> pb::CancelIncidentRequest {
    pb::CancelIncidentRequest {
        name: name.into(),
        reason: reason.into(),
    }
}

/// Cancels fire request `name` for `reason` (may be empty).
pub(crate) fn cancel_fire(name: impl Into<String>, reason: &str) -> pb::CancelFireRequestRequest {
    pb::CancelFireRequestRequest {
        name: name.into(),
        reason: reason.into(),
    }
}

/// Watches incident `name`'s timeline after event `after_sequence`.
pub(crate) fn watch(name: impl Into<String>, after_sequence: i64) -> pb::WatchIncidentRequest {
    pb::WatchIncidentRequest {
        name: name.into(),
        after_sequence,
    }
}

/// Customer `acme`'s non-stop guarantee: a remote expert around the clock, and `parts`
/// at its `sites` (ids) within 4 hours.
pub(crate) fn create_commitment(
    sites: &[&str],
    parts: &[&str],
    accept_risk: bool,
    request_id: &str,
) -> pb::CreateCommitmentRequest {
    pb::CreateCommitmentRequest {
        parent: "customers/acme".into(),
        commitment: Some(pb::Commitment {
            display_name: "Production line non-stop guarantee".into(),
            clauses: vec![
                remote_expert_always(),
                spare_parts(
                    sites
                        .iter()
                        .map(|s| format!("customers/acme/sites/{s}"))
                        .collect(),
                    parts.iter().map(|p| p.to_string()).collect(),
                    4 * 3600,
                ),
            ],
            ..Default::default()
        }),
        request_id: request_id.into(),
        accept_risk,
    }
}
