//! Request messages the tests build again and again, so each scene says only what is
//! particular to it. The commitments bench includes this file by path.
#![allow(dead_code)]

use symbolon_contracts::{common::v1::LatLng, customers::v1 as pb, supplychain::v1 as spb};

/// `secs` as a protobuf duration.
pub(crate) fn dur(secs: i64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: secs,
        nanos: 0,
    })
}

/// Creates operational depot `id` at `(latitude, longitude)`, preparing a dispatch in
/// 30 minutes.
pub(crate) fn depot(
    id: &str,
    display_name: impl Into<String>,
    country: &str,
    (latitude, longitude): (f64, f64),
) -> spb::CreateDepotRequest {
    spb::CreateDepotRequest {
        depot: Some(spb::Depot {
            display_name: display_name.into(),
            country: country.into(),
            location: Some(LatLng {
                latitude,
                longitude,
            }),
            status: spb::DepotStatus::Operational as i32,
            dispatch_preparation_time: dur(1800),
            ..Default::default()
        }),
        depot_id: id.into(),
        request_id: String::new(),
    }
}

/// Sets stock level `name` (`depots/{d}/stockLevels/{part}`) to `on_hand`.
pub(crate) fn stock(name: impl Into<String>, on_hand: i64) -> spb::SetStockLevelRequest {
    spb::SetStockLevelRequest {
        stock_level: Some(spb::StockLevel {
            name: name.into(),
            on_hand,
            ..Default::default()
        }),
    }
}

/// Creates customer `id`.
pub(crate) fn customer(
    id: &str,
    display_name: impl Into<String>,
    industry: pb::Industry,
    home_country: &str,
) -> pb::CreateCustomerRequest {
    pb::CreateCustomerRequest {
        customer: Some(pb::Customer {
            display_name: display_name.into(),
            industry: industry as i32,
            home_country: home_country.into(),
            ..Default::default()
        }),
        customer_id: id.into(),
        request_id: String::new(),
    }
}

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
