//! Rows and engine results to protobuf messages.

use crate::model::coverage::{Best, Outcome, Params, Site, Snapshot};
use crate::store::{
    CountryRow, DepotRow, EventRow, ModelRow, RegistrationRow, ReservationRow, StockRow,
    StoredFactor,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use prost::Message;
use prost_types::Duration;
use symbolon_contracts::{common::v1::LatLng, supplychain::v1 as pb};
use symbolon_platform::{aip::etag, time::to_timestamp};

/// Hours as a protobuf duration.
pub fn duration_of_hours(h: f64) -> Duration {
    micros_to_duration((h * 3.6e9).round() as i64)
}

pub use symbolon_platform::time::{duration as micros_to_duration, micros as duration_to_micros};

/// A factor as stored, to protobuf.
pub fn factor(f: &StoredFactor) -> pb::FactorValue {
    pb::FactorValue {
        value: f.value,
        scale: f.scale,
        normalized_value: f.normalized,
        source: f.source.clone(),
        as_of_time: Some(to_timestamp(f.as_of)),
    }
}

/// A country profile.
pub fn country(r: CountryRow) -> pb::CountryProfile {
    pb::CountryProfile {
        name: format!("countryProfiles/{}", r.meta.id),
        country: r.meta.id.clone(),
        display_name: r.display_name,
        factors: r
            .factors
            .iter()
            .map(|(k, v)| (k.clone(), factor(v)))
            .collect(),
        create_time: Some(to_timestamp(r.meta.create_time)),
        update_time: Some(to_timestamp(r.meta.update_time)),
        etag: etag(r.meta.version),
    }
}

/// A scoring model.
pub fn model(r: ModelRow) -> pb::ScoringModel {
    pb::ScoringModel {
        name: format!("scoringModels/{}", r.meta.id),
        display_name: r.display_name,
        weights: r.weights.into_iter().collect(),
        version: r.model_version,
        active: r.active,
        description: r.description,
        create_time: Some(to_timestamp(r.meta.create_time)),
        update_time: Some(to_timestamp(r.meta.update_time)),
        etag: etag(r.meta.version),
    }
}

/// A depot.
pub fn depot(r: DepotRow) -> pb::Depot {
    pb::Depot {
        name: format!("depots/{}", r.meta.id),
        display_name: r.display_name,
        country: r.country,
        location: Some(LatLng {
            latitude: r.latitude,
            longitude: r.longitude,
        }),
        status: r.status,
        dispatch_preparation_time: Some(micros_to_duration(r.prep_micros)),
        create_time: Some(to_timestamp(r.meta.create_time)),
        update_time: Some(to_timestamp(r.meta.update_time)),
        etag: etag(r.meta.version),
    }
}

/// A stock level.
pub fn stock(r: StockRow) -> pb::StockLevel {
    pb::StockLevel {
        name: format!("depots/{}/stockLevels/{}", r.meta.scope, r.meta.id),
        part_number: r.meta.id,
        on_hand: r.on_hand,
        reserved: r.reserved,
        available: r.on_hand - r.reserved,
        update_time: Some(to_timestamp(r.meta.update_time)),
        etag: etag(r.meta.version),
    }
}

/// A reservation.
pub fn reservation(r: ReservationRow) -> pb::Reservation {
    pb::Reservation {
        name: format!("depots/{}/reservations/{}", r.meta.scope, r.meta.id),
        lines: r
            .lines
            .into_iter()
            .map(|l| pb::PartQuantity {
                part_number: l.part,
                quantity: l.quantity,
            })
            .collect(),
        reference: r.reference,
        state: r.state,
        reserved_by: r.reserved_by,
        create_time: Some(to_timestamp(r.meta.create_time)),
        update_time: Some(to_timestamp(r.meta.update_time)),
    }
}

/// A registration.
pub fn registration(r: RegistrationRow) -> pb::CoverageRegistration {
    pb::CoverageRegistration {
        name: format!("coverageRegistrations/{}", r.meta.id),
        site: Some(pb::SiteLocation {
            location: Some(LatLng {
                latitude: r.latitude,
                longitude: r.longitude,
            }),
            country: r.country,
            site: r.site_label,
        }),
        part_numbers: r.part_numbers,
        window: Some(micros_to_duration(r.window_micros)),
        reference: r.reference,
        state: r.state,
        assessment: decode_assessment(&r.assessment),
        registered_by: r.registered_by,
        create_time: Some(to_timestamp(r.meta.create_time)),
        update_time: Some(to_timestamp(r.meta.update_time)),
        etag: etag(r.meta.version),
    }
}

/// A risk event.
pub fn event(r: EventRow) -> pb::RiskEvent {
    pb::RiskEvent {
        sequence: r.seq,
        registration: format!("coverageRegistrations/{}", r.registration_id),
        reference: r.reference,
        previous_state: r.previous_state,
        state: r.state,
        previous_redundancy: r.previous_redundancy as i32,
        redundancy: r.redundancy as i32,
        cause: r.cause,
        assessment: decode_assessment(&r.assessment),
        event_time: Some(to_timestamp(r.event_time)),
    }
}

/// Stored form of an assessment.
pub fn encode_assessment(a: &pb::CoverageAssessment) -> String {
    STANDARD.encode(a.encode_to_vec())
}

/// Reads a stored assessment.
pub fn decode_assessment(s: &str) -> Option<pb::CoverageAssessment> {
    let bytes = STANDARD.decode(s).ok()?;
    pb::CoverageAssessment::decode(bytes.as_slice()).ok()
}

/// The registration state an assessment means.
pub fn state_of(a: &pb::CoverageAssessment) -> pb::CoverageState {
    if a.covered {
        pb::CoverageState::Covered
    } else {
        pb::CoverageState::AtRisk
    }
}

/// Assesses a stored registration.
pub fn assess_registration(
    snap: &Snapshot,
    params: &Params,
    r: &RegistrationRow,
) -> pb::CoverageAssessment {
    let site = pb::SiteLocation {
        location: Some(LatLng {
            latitude: r.latitude,
            longitude: r.longitude,
        }),
        country: r.country.clone(),
        site: r.site_label.clone(),
    };
    assess(
        snap,
        params,
        site,
        &r.part_numbers,
        r.window_micros as f64 / 3.6e9,
    )
}

/// Runs the engine for a validated site and turns the outcome into the message.
pub fn assess(
    snap: &Snapshot,
    params: &Params,
    site: pb::SiteLocation,
    parts: &[String],
    window_h: f64,
) -> pb::CoverageAssessment {
    let loc = site.location.unwrap_or_default();
    let s = Site {
        lat: loc.latitude,
        lon: loc.longitude,
        country: site.country.clone(),
    };
    let o = snap.assess(params, &s, parts, window_h);
    outcome(snap, params, site, parts, window_h, o)
}

fn option(snap: &Snapshot, params: &Params, b: &Best) -> pb::DepotOption {
    let d = &snap.depots[b.depot];
    let e = &b.eta;
    pb::DepotOption {
        depot: format!("depots/{}", d.id),
        display_name: d.display_name.clone(),
        country: d.country.clone(),
        status: d.status as i32,
        estimated_arrival: Some(duration_of_hours(e.total_h)),
        breakdown: Some(pb::ArrivalBreakdown {
            great_circle_km: e.great_circle_km,
            road_factor: params.road_factor,
            road_km: e.road_km,
            speed_kmh: params.speed_kmh,
            travel_time: Some(duration_of_hours(e.base_travel_h)),
            destination_reachability: e.reachability,
            reachability_slowdown: e.slowdown,
            dispatch_preparation: Some(duration_of_hours(e.prep_h)),
            border_delay: Some(duration_of_hours(e.border_h)),
            total: Some(duration_of_hours(e.total_h)),
        }),
        within_window: b.within,
    }
}

/// An engine outcome as the message.
pub fn outcome(
    snap: &Snapshot,
    params: &Params,
    site: pb::SiteLocation,
    parts: &[String],
    window_h: f64,
    o: Outcome,
) -> pb::CoverageAssessment {
    pb::CoverageAssessment {
        site: Some(site),
        part_numbers: parts.to_vec(),
        window: Some(duration_of_hours(window_h)),
        covered: o.covered,
        best: o.best.as_ref().map(|b| option(snap, params, b)),
        redundancy: o.redundancy as i32,
        resilience: Some(pb::SiteResilience {
            score: o.resilience.score,
            country_score: o.resilience.country_score,
            redundancy_component: o.resilience.redundancy_component,
            stock_depth_component: o.resilience.stock_component,
            country_weight: params.country_weight,
            redundancy_weight: params.redundancy_weight,
            stock_weight: params.stock_weight,
            model: snap.model.clone(),
            model_version: snap.model_version,
        }),
        unavailable_parts: o.unavailable_parts,
        reason: o.reason,
    }
}

/// The model parameters as the message.
pub fn params(p: &Params) -> pb::CoverageModel {
    pb::CoverageModel {
        road_factor: p.road_factor,
        speed_kmh: p.speed_kmh,
        max_reachability_slowdown: p.max_reachability_slowdown,
        default_reachability: p.default_reachability,
        degraded_preparation_factor: p.degraded_preparation_factor,
        cross_border_delay: Some(duration_of_hours(p.cross_border_delay_h)),
        target_redundancy: p.target_redundancy as i32,
        target_stock_depth: p.target_stock_depth,
        country_weight: p.country_weight,
        redundancy_weight: p.redundancy_weight,
        stock_weight: p.stock_weight,
    }
}
