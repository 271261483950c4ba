//! Requests checked into the values the store writes; every bad field is collected
//! before anything is answered.

use super::super::store::Part;
use super::convert;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{Violations, aip, time};

/// The checked fields of an incident to open (its site is checked against the store
/// by the handler).
pub(super) struct Incident<'a> {
    pub(super) severity: i32,
    pub(super) summary: &'a str,
    pub(super) detect_time: i64,
}

pub(super) fn incident<'a>(v: &mut Violations, i: &'a pb::Incident, now: i64) -> Incident<'a> {
    if pb::Severity::try_from(i.severity).is_err() || i.severity == 0 {
        v.add(
            "incident.severity",
            "is required and must be a known severity",
        );
    }
    aip::text(v, "incident.summary", &i.summary, true, 4000);
    let detect_time = match i.detect_time.as_ref().map(time::from_timestamp) {
        None => {
            v.add("incident.detect_time", "is required");
            now
        }
        Some(Err(e)) => {
            v.add("incident.detect_time", e.to_string());
            now
        }
        Some(Ok(t)) if t > now + 300_000_000 => {
            v.add("incident.detect_time", "must not be in the future");
            now
        }
        Some(Ok(t)) => t,
    };
    Incident {
        severity: i.severity,
        summary: i.summary.trim(),
        detect_time,
    }
}

/// The checked fields of a call for fire.
pub(super) struct FireRequest<'a> {
    pub(super) department: String,
    pub(super) ask: &'a str,
    pub(super) parts: Vec<Part>,
    /// Time to acknowledge and to fulfil, in microseconds.
    pub(super) ack: i64,
    pub(super) fulfil: i64,
}

/// Checks a call for fire on an incident (`has_site`: whether parts can be delivered).
pub(super) fn fire_request<'a>(
    v: &mut Violations,
    f: &'a pb::FireRequest,
    has_site: bool,
) -> FireRequest<'a> {
    let department = f.department.trim().to_ascii_lowercase();
    if department.is_empty()
        || !department
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        v.add(
            "fire_request.department",
            "is required: lowercase letters, digits and '-' (e.g. supply-chain)",
        );
    }
    aip::text(v, "fire_request.ask", &f.ask, true, 4000);
    if !f.parts.is_empty() {
        if department != "supply-chain" {
            v.add(
                "fire_request.parts",
                "parts may only be requested from department supply-chain",
            );
        }
        if !has_site {
            v.add(
                "fire_request.parts",
                "parts need an incident with a site to deliver them to",
            );
        }
        if f.parts.len() > 100 {
            v.add("fire_request.parts", "at most 100 parts");
        }
    }
    for (i, p) in f.parts.iter().enumerate() {
        let field = format!("fire_request.parts[{i}]");
        if p.part_number.is_empty() {
            v.add(format!("{field}.part_number"), "is required");
        } else if !crate::commitments::check_part(&p.part_number) {
            v.add(
                format!("{field}.part_number"),
                "1 to 64 letters, digits, '.', '_' or '-'",
            );
        } else if f.parts[..i].iter().any(|q| q.part_number == p.part_number) {
            v.add(format!("{field}.part_number"), "each part may appear once");
        }
        if !(1..=1_000_000).contains(&p.quantity) {
            v.add(format!("{field}.quantity"), "must be between 1 and 1000000");
        }
    }
    let ack = f.acknowledge_within.as_ref().map(time::micros);
    let fulfil = f.fulfil_within.as_ref().map(time::micros);
    match ack {
        Some(a) if a > 0 => {}
        _ => v.add(
            "fire_request.acknowledge_within",
            "is required and must be positive",
        ),
    }
    match (ack, fulfil) {
        (_, None) => v.add("fire_request.fulfil_within", "is required"),
        (Some(a), Some(f)) if f < a => v.add(
            "fire_request.fulfil_within",
            "must be at least acknowledge_within",
        ),
        (_, Some(f)) if f <= 0 => v.add("fire_request.fulfil_within", "must be positive"),
        _ => {}
    }
    FireRequest {
        department,
        ask: f.ask.trim(),
        parts: f.parts.iter().map(convert::part).collect(),
        ack: ack.unwrap_or_default(),
        fulfil: fulfil.unwrap_or_default(),
    }
}

/// Checks the fault notice an incident closes with.
pub(super) fn notice<'a>(
    v: &mut Violations,
    n: &'a pb::FaultNotice,
) -> super::super::store::Notice<'a> {
    for (field, text) in [
        ("fault_notice.root_cause", &n.root_cause),
        ("fault_notice.customer_impact", &n.customer_impact),
        ("fault_notice.timeline", &n.timeline),
        ("fault_notice.what_changes", &n.what_changes),
    ] {
        aip::text(v, field, text, true, 8000);
    }
    super::super::store::Notice {
        root_cause: n.root_cause.trim(),
        customer_impact: n.customer_impact.trim(),
        timeline: n.timeline.trim(),
        what_changes: n.what_changes.trim(),
    }
}
