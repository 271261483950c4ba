//! Coverage registrations, what-if simulation, and the resumable risk stream across
//! replicas.

use crate::helpers::*;
use std::time::Duration;
use symbolon_contracts::{common::v1::LatLng, supplychain::v1 as pb};
use symbolon_testkit::{Backend, authed, both_backends};
use tonic::Streaming;

/// A four-hour registration of `parts` at site `site` of customer acme.
fn registration(
    site: &str,
    (lat, lng): (f64, f64),
    cc: &str,
    parts: &[&str],
    reference: &str,
) -> pb::CoverageRegistration {
    pb::CoverageRegistration {
        site: Some(pb::SiteLocation {
            location: Some(LatLng {
                latitude: lat,
                longitude: lng,
            }),
            country: cc.into(),
            site: format!("customers/acme/sites/{site}"),
        }),
        part_numbers: parts.iter().map(|p| p.to_string()).collect(),
        window: Some(prost_types::Duration {
            seconds: 4 * 3600,
            nanos: 0,
        }),
        reference: reference.into(),
        ..Default::default()
    }
}

async fn register(
    app: &TestApp,
    id: &str,
    lat: f64,
    lng: f64,
    cc: &str,
    parts: &[&str],
    reference: &str,
) -> pb::CoverageRegistration {
    app.call(pb::CreateCoverageRegistrationRequest {
        coverage_registration: Some(registration(id, (lat, lng), cc, parts, reference)),
        coverage_registration_id: id.into(),
        request_id: request_id(),
    })
    .await
}

async fn watch(client: &mut Client, token: &str, after: i64) -> Streaming<pb::RiskEvent> {
    client
        .watch_risk_events(authed(
            token,
            pb::WatchRiskEventsRequest {
                after_sequence: after,
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn next(stream: &mut Streaming<pb::RiskEvent>) -> pb::RiskEvent {
    tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("an event within 10 s")
        .unwrap()
        .expect("stream open")
}

async fn simulation_lists_what_breaks_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.world().await;
    let (lat, lng) = FRANKFURT;
    let fra = register(
        &app,
        "fra-site",
        lat,
        lng,
        "DE",
        &["RRU"],
        "customers/acme/commitments/c1",
    )
    .await;
    assert_eq!(fra.state, pb::CoverageState::Covered as i32);
    let bbu = register(
        &app,
        "fra-bbu",
        lat,
        lng,
        "DE",
        &["BBU"],
        "customers/acme/commitments/c2",
    )
    .await;
    assert_eq!(bbu.state, pb::CoverageState::Covered as i32);
    let lis = register(
        &app,
        "lisbon",
        38.71667,
        -9.13333,
        "PT",
        &["RRU"],
        "customers/acme/commitments/c3",
    )
    .await;
    assert_eq!(lis.state, pb::CoverageState::AtRisk as i32);

    let sim = app
        .call(pb::SimulateDisruptionRequest {
            depot_outages: vec![],
            stock_losses: vec![pb::StockLoss {
                depot: "depots/fra".into(),
                part_number: "BBU".into(),
                quantity: 0,
            }],
            country_shocks: vec![],
        })
        .await;
    assert_eq!(sim.registrations_assessed, 3);
    assert_eq!(sim.registrations_broken, 1);
    let broken: Vec<&str> = sim
        .impacts
        .iter()
        .filter(|i| i.breaks)
        .map(|i| i.reference.as_str())
        .collect();
    assert_eq!(broken, vec!["customers/acme/commitments/c2"]);
    assert!(
        sim.impacts[0].reason.contains("BBU"),
        "{:?}",
        sim.impacts[0].reason
    );

    let outage = app
        .call(pb::SimulateDisruptionRequest {
            depot_outages: vec!["depots/fra".into()],
            ..Default::default()
        })
        .await;
    assert_eq!(outage.registrations_broken, 2);
    let bad = app
        .try_call(pb::SimulateDisruptionRequest {
            depot_outages: vec!["depots/nowhere".into()],
            country_shocks: vec![pb::CountryShock {
                country: "DE".into(),
                factor: "logistics_reachability".into(),
                normalized_value: 2.0,
            }],
            ..Default::default()
        })
        .await;
    assert_invalid(
        bad,
        &["depot_outages[0]", "country_shocks[0].normalized_value"],
    );
    // Live data is untouched.
    let a = app.assess(lat, lng, "DE", &["BBU"], 4).await;
    assert!(a.covered);
    let still = app
        .call(pb::GetCoverageRegistrationRequest { name: bbu.name })
        .await;
    assert_eq!(still.state, pb::CoverageState::Covered as i32);
}

async fn live_changes_stream_risk_events_with_resume(backend: Backend) {
    let app = spawn_app(backend).await;
    app.world().await;
    let (lat, lng) = FRANKFURT;
    register(&app, "fra-site", lat, lng, "DE", &["RRU"], "c1").await;
    register(&app, "fra-bbu", lat, lng, "DE", &["BBU"], "c2").await;
    let mut client = app.client();
    let mut stream = watch(&mut client, &app.admin, 0).await;

    // Outage at Frankfurt: both registrations break (Munich is > 4 h away).
    app.set_status("fra", pb::DepotStatus::Outage).await;
    let e1 = next(&mut stream).await;
    let e2 = next(&mut stream).await;
    assert_eq!((e1.sequence, e2.sequence), (1, 2));
    let mut refs = vec![e1.reference.clone(), e2.reference.clone()];
    refs.sort();
    assert_eq!(refs, vec!["c1", "c2"]);
    assert_eq!(e1.previous_state, pb::CoverageState::Covered as i32);
    assert_eq!(e1.state, pb::CoverageState::AtRisk as i32);
    assert!(e1.cause.contains("OPERATIONAL -> OUTAGE"), "{}", e1.cause);
    assert!(e1.assessment.is_some());
    let registration = app
        .call(pb::ListCoverageRegistrationsRequest {
            filter: "state = COVERAGE_STATE_AT_RISK".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(registration.coverage_registrations.len(), 2);

    // The subscriber goes away; changes happen meanwhile.
    drop(stream);
    app.set_status("fra", pb::DepotStatus::Operational).await; // 3, 4: covered again
    app.stock("fra", "BBU", 0).await; // 5: c2 at risk
    app.stock("fra", "RRU", 3).await; // no change: no event

    // It resumes after the last sequence it processed and gets exactly what it missed.
    let mut resumed = watch(&mut client, &app.admin, 2).await;
    let missed: Vec<pb::RiskEvent> = vec![
        next(&mut resumed).await,
        next(&mut resumed).await,
        next(&mut resumed).await,
    ];
    let seqs: Vec<i64> = missed.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, vec![3, 4, 5]);
    assert_eq!(missed[2].reference, "c2");
    assert!(
        missed[2].cause.contains("stock of BBU: 1 -> 0"),
        "{}",
        missed[2].cause
    );
    // Nothing more.
    let quiet = tokio::time::timeout(Duration::from_millis(600), resumed.message()).await;
    assert!(quiet.is_err(), "no extra events: {quiet:?}");
}

/// Two replicas on one database: a change made through one is re-assessed once, and a
/// subscriber of the other gets every event in order.
async fn replicas_share_the_stream_and_reassess_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = app.replica().await;
    app.world().await;
    let (lat, lng) = FRANKFURT;
    register(&app, "fra-site", lat, lng, "DE", &["RRU"], "c1").await;
    let mut other_client = other.client.clone();
    let mut on_other = watch(&mut other_client, &app.admin, 0).await;
    let mut on_first = watch(&mut app.client(), &app.admin, 0).await;
    // Changes through both replicas, interleaved.
    app.set_status("fra", pb::DepotStatus::Outage).await; // 1: at risk
    app.set_status_via(other.client.clone(), "fra", pb::DepotStatus::Operational)
        .await; // 2: covered
    for stream in [&mut on_other, &mut on_first] {
        let a = next(stream).await;
        let b = next(stream).await;
        assert_eq!((a.sequence, b.sequence), (1, 2));
        assert_eq!(a.state, pb::CoverageState::AtRisk as i32);
        assert_eq!(b.state, pb::CoverageState::Covered as i32);
        let quiet = tokio::time::timeout(Duration::from_millis(500), stream.message()).await;
        assert!(quiet.is_err(), "each change is re-assessed once: {quiet:?}");
    }
}

/// Registrations run beside one another but never beside a change of live data: those
/// racing an outage all end at risk — assessed after it, or re-assessed by it — and
/// none is left covered by a snapshot the outage made stale.
async fn registrations_racing_a_change_all_see_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = app.replica().await;
    app.world().await;
    let (lat, lng) = FRANKFURT;
    let registrations = (0..24).map(|i| {
        let app = &app;
        async move {
            register(app, &format!("race-{i}"), lat, lng, "DE", &["RRU"], "race").await;
        }
    });
    let outage = async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        // Through another replica: the lock is the database's, not a process's.
        app.set_status_via(other.client.clone(), "fra", pb::DepotStatus::Outage)
            .await;
    };
    tokio::join!(futures::future::join_all(registrations), outage);
    let all = app.registrations().await;
    assert_eq!(all.len(), 24);
    let covered: Vec<&str> = all
        .iter()
        .filter(|r| r.state != pb::CoverageState::AtRisk as i32)
        .map(|r| r.name.as_str())
        .collect();
    assert!(
        covered.is_empty(),
        "still covered after the outage: {covered:?}"
    );
}

/// The same request sent eight times at once registers once, and every answer is that
/// registration.
async fn concurrent_retries_register_once(backend: Backend) {
    let app = spawn_app(backend).await;
    app.world().await;
    let request_id = request_id();
    let calls = (0..8).map(|_| {
        let mut client = app.client();
        let request_id = request_id.clone();
        let token = app.admin.clone();
        async move {
            client
                .create_coverage_registration(authed(
                    &token,
                    pb::CreateCoverageRegistrationRequest {
                        coverage_registration: Some(registration(
                            "hq",
                            FRANKFURT,
                            "DE",
                            &["RRU"],
                            "retried",
                        )),
                        coverage_registration_id: String::new(),
                        request_id,
                    },
                ))
                .await
                .map(|r| r.into_inner().name)
        }
    });
    let names: Vec<String> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("every retry succeeds"))
        .collect();
    assert!(names.iter().all(|n| n == &names[0]), "{names:?}");
    let all = app.registrations().await;
    assert_eq!(all.len(), 1, "{all:#?}");
}

both_backends!(
    simulation_lists_what_breaks_and_changes_nothing,
    live_changes_stream_risk_events_with_resume,
    replicas_share_the_stream_and_reassess_once,
    registrations_racing_a_change_all_see_it,
    concurrent_retries_register_once
);
