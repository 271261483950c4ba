//! AssessCoverage and BatchAssessCoverage against the running service.

use crate::helpers::*;
use symbolon_contracts::supplychain::v1 as pb;
use symbolon_testkit::{Backend, both_backends};

async fn coverage_answers_with_best_depot_and_breakdown(backend: Backend) {
    let app = spawn_app(backend).await;
    app.world().await;
    let (lat, lng) = FRANKFURT;
    let a = app.assess(lat, lng, "DE", &["RRU"], 4).await;
    assert!(a.covered, "{a:?}");
    let best = a.best.clone().unwrap();
    assert_eq!(best.depot, "depots/fra");
    assert!(best.within_window);
    let b = best.breakdown.unwrap();
    assert!((b.great_circle_km - 11.0).abs() < 3.0, "{b:?}");
    assert!((b.destination_reachability - 0.775).abs() < 1e-9);
    assert_eq!(hours(&b.dispatch_preparation), 0.5);
    assert_eq!(a.redundancy, 1, "Munich is more than 4 h away");
    let r = a.resilience.unwrap();
    assert!(r.score > 0.0 && r.score <= 100.0);
    assert!(r.country_score > 60.0, "{r:?}");
    assert_eq!(r.model, "scoringModels/baseline");

    // A longer window adds Munich: more redundancy, more resilience.
    let wide = app.assess(lat, lng, "DE", &["RRU"], 10).await;
    assert_eq!(wide.redundancy, 2);
    assert!(wide.resilience.unwrap().score > r.score);

    // Santiago: nothing nearby, but the best achievable time is reported.
    let far = app.assess(-33.45694, -70.64827, "CL", &["RRU"], 4).await;
    assert!(!far.covered);
    let fb = far.best.unwrap();
    assert!(!fb.within_window);
    assert!(hours(&fb.estimated_arrival) > 100.0);
    assert!(far.reason.contains("beyond"), "{}", far.reason);
    let none = app.assess(lat, lng, "DE", &["NOPE-1"], 4).await;
    assert_eq!(none.unavailable_parts, vec!["NOPE-1"]);
    assert!(none.best.is_none());

    // An outage moves the answer to the next depot; degraded slows preparation.
    app.set_status("fra", pb::DepotStatus::Degraded).await;
    let slow = app.assess(lat, lng, "DE", &["RRU"], 4).await;
    assert_eq!(
        hours(&slow.best.unwrap().breakdown.unwrap().dispatch_preparation),
        1.0
    );
    app.set_status("fra", pb::DepotStatus::Outage).await;
    let out = app.assess(lat, lng, "DE", &["RRU"], 4).await;
    assert!(!out.covered);
    assert_eq!(out.best.unwrap().depot, "depots/muc");
}

async fn customers_see_coverage_but_no_depots(backend: Backend) {
    let app = spawn_app(backend).await;
    app.world().await;
    let (lat, lng) = FRANKFURT;
    let a = app
        .by(&app.customer())
        .call(assess_request(lat, lng, "DE", &["RRU"], 4))
        .await;
    assert!(a.covered);
    let best = a.best.unwrap();
    // The place (display name, country), never the depot's name.
    assert!(best.depot.is_empty());
    assert_eq!(
        (best.display_name.as_str(), best.country.as_str()),
        ("Depot DE", "DE")
    );
    assert!(best.estimated_arrival.is_some());
    let list = app
        .by(&app.customer())
        .try_call(pb::ListDepotsRequest::default())
        .await;
    assert_eq!(code(list), tonic::Code::PermissionDenied);
}

async fn batch_assesses_many_sites_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    app.world().await;
    let mut requests = Vec::new();
    for i in 0..500 {
        // Alternate Frankfurt-area sites (covered) with Lisbon (not covered).
        if i % 2 == 0 {
            requests.push(assess_request(
                50.1 + f64::from(i) * 1e-4,
                8.68,
                "DE",
                &["RRU"],
                4,
            ));
        } else {
            requests.push(assess_request(38.71667, -9.13333, "PT", &["RRU"], 4));
        }
    }
    let out = app.call(pb::BatchAssessCoverageRequest { requests }).await;
    assert_eq!(out.assessments.len(), 500);
    for (i, a) in out.assessments.iter().enumerate() {
        assert_eq!(a.covered, i % 2 == 0, "site {i}");
    }
    // The model in force is published.
    let m = app.call(pb::GetCoverageModelRequest {}).await;
    assert_eq!(m.road_factor, 1.25);
    assert_eq!(m.target_redundancy, 3);
}

/// Stock levels are bounded (no i64::MAX that the coverage sums would overflow on), and
/// the largest allowed stock at several depots assesses without a panic.
async fn huge_stock_is_refused_and_the_largest_allowed_assesses(backend: Backend) {
    let app = spawn_app(backend).await;
    app.world().await;
    let huge = app.stock_as(&app.admin, "fra", "RRU", i64::MAX).await;
    assert_invalid(huge, &["stock_level.on_hand"]);
    let max = 1_000_000_000;
    app.stock("fra", "RRU", max).await;
    app.stock("muc", "RRU", max).await;
    let (lat, lng) = FRANKFURT;
    let a = app.assess(lat, lng, "DE", &["RRU"], 10).await;
    assert_eq!(a.redundancy, 2, "{a:?}");
    assert_eq!(a.resilience.unwrap().stock_depth_component, 1.0);
    // A what-if losing i64::MAX units is refused by name, not a panic.
    let lose = app
        .try_call(pb::SimulateDisruptionRequest {
            stock_losses: vec![pb::StockLoss {
                depot: "depots/fra".into(),
                part_number: "RRU".into(),
                quantity: i64::MAX,
            }],
            ..Default::default()
        })
        .await;
    assert_invalid(lose, &["stock_losses[0].quantity"]);
}

both_backends!(
    huge_stock_is_refused_and_the_largest_allowed_assesses,
    coverage_answers_with_best_depot_and_breakdown,
    customers_see_coverage_but_no_depots,
    batch_assesses_many_sites_in_order
);
