//! Bad input of every shape: INVALID_ARGUMENT naming each field, nothing written.

use crate::helpers::*;
use prost_types::Duration;
use symbolon_contracts::supplychain::v1 as pb;
use symbolon_testkit::{Backend, both_backends};

async fn bad_input_names_the_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    // Out-of-range factors, unknown country.
    let bad = app
        .try_call(pb::CreateCountryProfileRequest {
            country_profile: Some(pb::CountryProfile {
                country: "ZZ".into(),
                factors: [
                    (
                        "political_stability".to_string(),
                        factor(3.9, pb::Scale::WgiEstimate),
                    ),
                    (
                        "logistics_reachability".to_string(),
                        factor(0.5, pb::Scale::Lpi),
                    ),
                    (
                        "partner_maturity".to_string(),
                        factor(101.0, pb::Scale::PercentileRank),
                    ),
                    ("other".to_string(), factor(1.5, pb::Scale::Unit)),
                    ("noscale".to_string(), factor(0.5, pb::Scale::Unspecified)),
                ]
                .into_iter()
                .collect(),
                ..Default::default()
            }),
            request_id: "nope".into(),
        })
        .await;
    assert_invalid(
        bad,
        &[
            "country_profile.country",
            "country_profile.factors.political_stability.value",
            "country_profile.factors.logistics_reachability.value",
            "country_profile.factors.partner_maturity.value",
            "country_profile.factors.other.value",
            "country_profile.factors.noscale.scale",
            "request_id",
        ],
    );
    // Weights not summing to 1, negative weight.
    for (weights, field) in [
        ([("a", 0.5), ("b", 0.4)], "scoring_model.weights"),
        ([("a", 1.5), ("b", -0.5)], "scoring_model.weights.b"),
    ] {
        let w = app
            .try_call(pb::CreateScoringModelRequest {
                scoring_model: Some(pb::ScoringModel {
                    display_name: "x".into(),
                    weights: weights.map(|(k, w)| (k.to_string(), w)).into(),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await;
        assert_invalid(w, &[field]);
    }
    // A location off the earth is refused by the codec, before the handler's checks.
    let r = app
        .try_call(assess_request(91.0, 8.0, "DE", &["RRU"], 4))
        .await;
    assert_invalid(r, &["site.location.latitude"]);
    // Negative window, empty parts, unknown country: reported together.
    let mut req = assess_request(50.0, 8.0, "XX", &[], 4);
    req.window = Some(Duration {
        seconds: -3600,
        nanos: 0,
    });
    let r = app.try_call(req).await;
    assert_invalid(r, &["site.country", "part_numbers", "window"]);
    let mut req = assess_request(50.0, 8.0, "DE", &["ok", "bad part!"], 4);
    req.window = None;
    let r = app.try_call(req).await;
    assert_invalid(r, &["part_numbers[1]", "window"]);
    let batch = app
        .try_call(pb::BatchAssessCoverageRequest {
            requests: vec![
                assess_request(50.0, 8.0, "DE", &["RRU"], 4),
                assess_request(50.0, 8.0, "DE", &[], 4),
            ],
        })
        .await;
    assert_invalid(batch, &["requests[1].part_numbers"]);
    // Depots.
    let d = app
        .try_call(pb::CreateDepotRequest {
            depot: Some(pb::Depot {
                country: "DEU".into(),
                dispatch_preparation_time: Some(Duration {
                    seconds: -1,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            depot_id: "Bad Id".into(),
            request_id: String::new(),
        })
        .await;
    assert_invalid(
        d,
        &[
            "depot.display_name",
            "depot.country",
            "depot.location",
            "depot.status",
            "depot.dispatch_preparation_time",
            "depot_id",
        ],
    );
    let res = app
        .try_call(pb::CreateReservationRequest {
            parent: "depots/fra".into(),
            reservation: Some(pb::Reservation {
                lines: vec![pb::PartQuantity {
                    part_number: "RRU".into(),
                    quantity: 0,
                }],
                ..Default::default()
            }),
            request_id: String::new(),
            site: None,
        })
        .await;
    assert_invalid(res, &["reservation.lines[0].quantity"]);
    let list = app.country_profiles().await;
    assert!(list.is_empty(), "nothing was written");
}

both_backends!(bad_input_names_the_fields);
