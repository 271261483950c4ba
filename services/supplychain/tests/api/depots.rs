//! Depots, stock and reservations: idempotent, releasable, never oversold.

use crate::helpers::*;
use symbolon_contracts::supplychain::v1 as pb;
use symbolon_testkit::{Backend, authed, both_backends};
use tonic::Code;

fn reservation(parts: &[(&str, i64)]) -> pb::Reservation {
    pb::Reservation {
        lines: parts
            .iter()
            .map(|(p, q)| pb::PartQuantity {
                part_number: p.to_string(),
                quantity: *q,
            })
            .collect(),
        reference: "customers/acme/incidents/i-1".into(),
        ..Default::default()
    }
}

async fn reserve(
    app: &TestApp,
    token: &str,
    depot: &str,
    parts: &[(&str, i64)],
    request_id: &str,
) -> Result<pb::Reservation, tonic::Status> {
    app.by(token)
        .try_call(pb::CreateReservationRequest {
            parent: format!("depots/{depot}"),
            reservation: Some(reservation(parts)),
            request_id: request_id.into(),
            site: None,
        })
        .await
}

async fn stock_of(app: &TestApp, depot: &str, part: &str) -> pb::StockLevel {
    app.call(pb::GetStockLevelRequest {
        name: format!("depots/{depot}/stockLevels/{part}"),
    })
    .await
}

async fn reservations_are_idempotent_and_releasable(backend: Backend) {
    let app = spawn_app(backend).await;
    app.world().await;
    let frontline = app.vendor(&["frontline"]);
    let id = request_id();
    let first = reserve(&app, &frontline, "fra", &[("RRU", 2), ("BBU", 1)], &id)
        .await
        .unwrap();
    assert_eq!(first.state, pb::ReservationState::Active as i32);
    let retry = reserve(&app, &frontline, "fra", &[("RRU", 2), ("BBU", 1)], &id)
        .await
        .unwrap();
    assert_eq!(retry.name, first.name, "a retry returns the first result");
    // The same id with another request reserves nothing and returns nothing of the first.
    let reused = reserve(&app, &frontline, "fra", &[("RRU", 1)], &id)
        .await
        .unwrap_err();
    symbolon_testkit::assert_request_id_reused(&reused);
    let s = stock_of(&app, "fra", "RRU").await;
    assert_eq!((s.on_hand, s.reserved, s.available), (3, 2, 1));
    // All or nothing: BBU is gone, so RRU is not taken either.
    let short = reserve(
        &app,
        &frontline,
        "fra",
        &[("RRU", 1), ("BBU", 1)],
        &request_id(),
    )
    .await
    .unwrap_err();
    assert_eq!(short.code(), Code::FailedPrecondition);
    assert!(short.message().contains("BBU"), "{short:?}");
    assert_eq!(stock_of(&app, "fra", "RRU").await.available, 1);
    // Release gives the stock back, twice is harmless.
    for _ in 0..2 {
        let r = app
            .by(&frontline)
            .call(pb::ReleaseReservationRequest {
                name: first.name.clone(),
            })
            .await;
        assert_eq!(r.state, pb::ReservationState::Released as i32);
    }
    assert_eq!(stock_of(&app, "fra", "RRU").await.available, 3);
    // Dispatch takes stock out of the depot.
    let d = reserve(&app, &frontline, "muc", &[("RRU", 4)], &request_id())
        .await
        .unwrap();
    let out = app
        .by(&frontline)
        .call(pb::DispatchReservationRequest {
            name: d.name.clone(),
        })
        .await;
    assert_eq!(out.state, pb::ReservationState::Dispatched as i32);
    let s = stock_of(&app, "muc", "RRU").await;
    assert_eq!((s.on_hand, s.reserved), (6, 0));
    let again = app
        .by(&frontline)
        .try_call(pb::ReleaseReservationRequest { name: d.name })
        .await;
    assert_eq!(code(again), Code::FailedPrecondition);
    // Stock cannot be set below what is reserved; outage depots reserve nothing.
    reserve(&app, &frontline, "nbo", &[("RRU", 2)], &request_id())
        .await
        .unwrap();
    let below = app.stock_as(&app.admin, "nbo", "RRU", 1).await;
    assert_eq!(code(below), Code::FailedPrecondition);
    app.set_status("muc", pb::DepotStatus::Outage).await;
    let outage = reserve(&app, &frontline, "muc", &[("RRU", 1)], &request_id()).await;
    assert_eq!(code(outage), Code::FailedPrecondition);
    // Frontline may reserve but not change depots.
    let upd = app.stock_as(&frontline, "fra", "RRU", 100).await;
    assert_eq!(code(upd), Code::PermissionDenied);
    let dept = app.vendor(&["department:supply-chain"]);
    let ok = app.stock_as(&dept, "fra", "RRU", 100).await;
    assert!(ok.is_ok());
    // depots/-: the fastest depot for the site that has the parts.
    let (lat, lng) = FRANKFURT;
    let any = app
        .by(&frontline)
        .call(pb::CreateReservationRequest {
            parent: "depots/-".into(),
            reservation: Some(reservation(&[("RRU", 5)])),
            request_id: request_id(),
            site: Some(pb::SiteLocation {
                location: Some(symbolon_contracts::common::v1::LatLng {
                    latitude: lat,
                    longitude: lng,
                }),
                country: "DE".into(),
                site: String::new(),
            }),
        })
        .await;
    assert!(
        any.name.starts_with("depots/fra/reservations/"),
        "{}",
        any.name
    );
    let none = app
        .by(&frontline)
        .try_call(pb::CreateReservationRequest {
            parent: "depots/-".into(),
            reservation: Some(reservation(&[("RRU", 500)])),
            request_id: request_id(),
            site: None,
        })
        .await;
    assert_invalid(none, &["site"]);
    let customer = app.customer();
    let cust = reserve(&app, &customer, "fra", &[("RRU", 1)], &request_id()).await;
    assert_eq!(code(cust), Code::PermissionDenied);
}

async fn depots_list_filter_and_update(backend: Backend) {
    let app = spawn_app(backend).await;
    app.world().await;
    let d = app.set_status("nbo", pb::DepotStatus::Outage).await;
    assert_eq!(d.status, pb::DepotStatus::Outage as i32);
    let list = app
        .call(pb::ListDepotsRequest {
            filter: "status = DEPOT_STATUS_OUTAGE".into(),
            ..Default::default()
        })
        .await;
    let names: Vec<&str> = list.depots.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, vec!["depots/nbo"]);
    let page = app
        .call(pb::ListDepotsRequest {
            page_size: 2,
            ..Default::default()
        })
        .await;
    assert_eq!(page.depots.len(), 2);
    assert!(!page.next_page_token.is_empty());
    let stock = app
        .call(pb::ListStockLevelsRequest {
            parent: "depots/fra".into(),
            ..Default::default()
        })
        .await;
    let parts: Vec<&str> = stock
        .stock_levels
        .iter()
        .map(|s| s.part_number.as_str())
        .collect();
    assert_eq!(parts, vec!["BBU", "RRU"]);
}

/// Many concurrent reservations race for 10 units on PostgreSQL (real concurrent
/// transactions): exactly 10 succeed, the rest are refused, and the books balance.
async fn never_oversells_under_concurrency(backend: Backend) {
    let app = spawn_app(backend).await;
    app.depot("hub", "DE", 50.0, 8.5).await;
    app.stock("hub", "RRU", 10).await;
    let replica = app.replica().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let mut client = if i % 2 == 0 {
            app.client()
        } else {
            replica.client.clone()
        };
        let token = app.admin.clone();
        let request_id = request_id();
        tasks.spawn(async move {
            let mut ok = 0;
            // Each request is retried once with the same id: idempotency under load.
            for _ in 0..2 {
                let r = client
                    .create_reservation(authed(
                        &token,
                        pb::CreateReservationRequest {
                            parent: "depots/hub".into(),
                            reservation: Some(reservation(&[("RRU", 1)])),
                            request_id: request_id.clone(),
                            site: None,
                        },
                    ))
                    .await;
                match r {
                    Ok(r) => ok = ok.max(if r.into_inner().name.is_empty() { 0 } else { 1 }),
                    Err(s) => assert_eq!(s.code(), Code::FailedPrecondition, "{s:?}"),
                }
            }
            ok
        });
    }
    let mut granted = 0;
    while let Some(r) = tasks.join_next().await {
        granted += r.unwrap();
    }
    assert_eq!(granted, 10, "exactly the stock on hand is reserved");
    let s = stock_of(&app, "hub", "RRU").await;
    assert_eq!((s.on_hand, s.reserved, s.available), (10, 10, 0));
    let all = app
        .call(pb::ListReservationsRequest {
            parent: "depots/hub".into(),
            page_size: 1000,
            ..Default::default()
        })
        .await;
    assert_eq!(all.reservations.len(), 10, "retries created nothing twice");
}

both_backends!(
    reservations_are_idempotent_and_releasable,
    depots_list_filter_and_update
);

mod postgres_only {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn never_oversells_under_concurrency() {
        super::never_oversells_under_concurrency(symbolon_testkit::Backend::Postgres).await
    }
}
