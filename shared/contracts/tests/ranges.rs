//! Numbers are held to their ranges by the generated checks, before any handler: an
//! out-of-range or non-finite value is INVALID_ARGUMENT naming the field as sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use symbolon_contracts::{common::v1 as common, customers::v1 as customers, hygiene};
use symbolon_contracts::{labs::v1 as labs, supplychain::v1 as supply};
use tonic_types::StatusExt;

fn refused<T: hygiene::Walk>(request: &T) -> Vec<String> {
    let status = hygiene::check(request).expect_err("refused");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

fn site(latitude: f64, longitude: f64) -> customers::CreateSiteRequest {
    customers::CreateSiteRequest {
        parent: "customers/acme".into(),
        site: Some(customers::Site {
            location: Some(common::LatLng {
                latitude,
                longitude,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn coordinates_lie_on_the_earth() {
    assert!(hygiene::check(&site(-90.0, 180.0)).is_ok());
    assert_eq!(
        refused(&site(90.5, -181.0)),
        ["site.location.latitude", "site.location.longitude"]
    );
    assert_eq!(refused(&site(f64::NAN, 0.0)), ["site.location.latitude"]);
}

#[test]
fn stock_and_quantities_stay_far_from_overflow() {
    let stock = |on_hand| supply::SetStockLevelRequest {
        stock_level: Some(supply::StockLevel {
            name: "depots/fra/stockLevels/RRU".into(),
            on_hand,
            ..Default::default()
        }),
    };
    assert!(hygiene::check(&stock(1_000_000_000)).is_ok());
    assert_eq!(refused(&stock(i64::MAX)), ["stock_level.on_hand"]);
    assert_eq!(refused(&stock(-1)), ["stock_level.on_hand"]);
    let loss = supply::SimulateDisruptionRequest {
        stock_losses: vec![supply::StockLoss {
            depot: "depots/fra".into(),
            part_number: "RRU".into(),
            quantity: 1_000_000_001,
        }],
        ..Default::default()
    };
    assert_eq!(refused(&loss), ["stock_losses[0].quantity"]);
}

#[test]
fn counts_and_sequences_are_never_negative() {
    let list = customers::ListSitesRequest {
        parent: "customers/acme".into(),
        page_size: -1,
        ..Default::default()
    };
    assert_eq!(refused(&list), ["page_size"]);
    let log = labs::ListLogEntriesRequest {
        parent: "labs/l".into(),
        after_sequence: i64::MIN,
        ..Default::default()
    };
    assert_eq!(refused(&log), ["after_sequence"]);
}

#[test]
fn an_emotion_is_at_most_five_strong() {
    let touchpoint = |intensity| customers::RecordTouchpointRequest {
        parent: "customers/acme".into(),
        touchpoint: Some(customers::Touchpoint {
            emotional_state: Some(customers::EmotionalState {
                intensity,
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert!(hygiene::check(&touchpoint(5)).is_ok());
    assert_eq!(
        refused(&touchpoint(6)),
        ["touchpoint.emotional_state.intensity"]
    );
}
