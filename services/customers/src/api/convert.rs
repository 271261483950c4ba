//! Rows to protobuf resources.

use crate::store::{CustomerRow, KeyPersonRow, SiteRow, TouchpointRow};
use symbolon_contracts::{common::v1::LatLng, customers::v1 as pb};
use symbolon_platform::aip::etag;
use symbolon_platform::time::to_timestamp;

pub(crate) fn customer(r: CustomerRow) -> pb::Customer {
    pb::Customer {
        name: format!("customers/{}", r.meta.id),
        display_name: r.display_name,
        industry: r.industry,
        home_country: r.home_country,
        description: r.description,
        create_time: Some(to_timestamp(r.meta.create_time)),
        update_time: Some(to_timestamp(r.meta.update_time)),
        delete_time: r.meta.delete_time.map(to_timestamp),
        etag: etag(r.meta.version),
    }
}

pub(crate) fn site(r: SiteRow) -> pb::Site {
    pb::Site {
        name: format!("customers/{}/sites/{}", r.meta.scope, r.meta.id),
        display_name: r.display_name,
        country: r.country,
        location: Some(LatLng {
            latitude: r.latitude,
            longitude: r.longitude,
        }),
        address: r.address,
        create_time: Some(to_timestamp(r.meta.create_time)),
        update_time: Some(to_timestamp(r.meta.update_time)),
        delete_time: r.meta.delete_time.map(to_timestamp),
        etag: etag(r.meta.version),
    }
}

pub(crate) fn key_person(r: KeyPersonRow) -> pb::KeyPerson {
    pb::KeyPerson {
        name: format!("customers/{}/keyPersons/{}", r.meta.scope, r.meta.id),
        display_name: r.display_name,
        title: r.title,
        decision_role: r.decision_role,
        email: r.email,
        subject: r.subject,
        create_time: Some(to_timestamp(r.meta.create_time)),
        update_time: Some(to_timestamp(r.meta.update_time)),
        delete_time: r.meta.delete_time.map(to_timestamp),
        etag: etag(r.meta.version),
    }
}

pub(crate) fn touchpoint(r: TouchpointRow) -> pb::Touchpoint {
    let name = |id: &str| format!("customers/{}/touchpoints/{id}", r.customer_id);
    pb::Touchpoint {
        name: name(&r.id),
        kind: r.kind,
        key_person: r.key_person.clone(),
        occur_time: Some(to_timestamp(r.occur_time)),
        summary: r.summary.clone(),
        emotional_state: Some(pb::EmotionalState {
            mood: r.mood,
            intensity: r.intensity,
        }),
        strategic_anxiety: r.strategic_anxiety.clone(),
        implicit_expectations: r.implicit_expectations.clone(),
        corrects: r.corrects_id.as_deref().map(name).unwrap_or_default(),
        recorded_by: r.recorded_by.clone(),
        create_time: Some(to_timestamp(r.create_time)),
        corrected_by: r.corrected_by.as_deref().map(name).unwrap_or_default(),
    }
}
