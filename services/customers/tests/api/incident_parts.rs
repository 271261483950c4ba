//! Parts for an incident, against the real supply-chain service on loopback: a
//! supply-chain call for fire reserves them at the nearest depot that has them, a retry
//! reserves nothing twice, an unknown part or an outage writes nothing, and cancelling
//! the incident releases them.

use crate::helpers::{assert_invalid, stocked_depot, timeline};
use crate::requests;
use crate::two_services::{start_customers, start_supplychain};
use symbolon_contracts::customers::v1::{
    self as pb, incidents_service_client::IncidentsServiceClient,
};
use symbolon_contracts::supplychain::v1::{
    self as spb, supply_chain_service_client::SupplyChainServiceClient,
};
use symbolon_platform::auth::Org;
use symbolon_testkit::{Api, Backend, Keys, TestDb, at, authed, both_backends};
use tonic::{Code, transport::Channel};

fn call(
    incident: &str,
    department: &str,
    parts: &[(&str, i32)],
    request_id: &str,
) -> pb::CallForFireRequest {
    pb::CallForFireRequest {
        request_id: request_id.into(),
        ..requests::call_for_fire(
            incident,
            department,
            "Line cards to the Frankfurt core site",
            600,
            4 * 3600,
            parts,
        )
    }
}

async fn stock(sc: &mut SupplyChainServiceClient<Channel>, admin: &str, depot: &str) -> i64 {
    sc.get_stock_level(authed(
        admin,
        spb::GetStockLevelRequest {
            name: format!("depots/{depot}/stockLevels/SPX-400"),
        },
    ))
    .await
    .expect("get stock level")
    .into_inner()
    .reserved
}

async fn fire_request_count(api: &impl Api, token: &str, incident: &str) -> usize {
    api.by(token)
        .call(pb::ListFireRequestsRequest {
            parent: incident.into(),
            page_size: 100,
            page_token: String::new(),
        })
        .await
        .fire_requests
        .len()
}

async fn parts_are_reserved_at_the_nearest_depot_once_and_released_on_cancel(backend: Backend) {
    let keys = Keys::new();
    let admin = keys.vendor_admin();
    let sc_db = TestDb::new(backend).await;
    let cu_db = TestDb::new(backend).await;
    let sc_run = start_supplychain(&sc_db.url, &keys, None).await;
    let sc_addr = sc_run.addr;
    let cu = start_customers(&cu_db.url, &keys, sc_addr, None).await;
    let mut sc = SupplyChainServiceClient::new(symbolon_testkit::channel(sc_addr).await);

    // Two depots with SPX-400: Frankfurt airport near the site, Munich further away.
    for (id, (lat, lng), n) in [("fra", (50.05, 8.57), 3), ("muc", (48.35, 11.78), 5)] {
        let depot = requests::depot(id, format!("Depot {id}"), "DE", (lat, lng));
        stocked_depot(&mut sc, &admin, depot, &[("SPX-400", n)]).await;
    }
    let channel = symbolon_testkit::channel(cu.addr).await;
    crate::helpers::nordlicht_with_frankfurt_core(channel.clone(), &admin).await;

    let mut incidents = IncidentsServiceClient::new(channel.clone());
    let api = at(&channel, &admin);
    let frontline = keys.token("li.wei", &Org::Vendor, &["frontline"]);
    let open = |site: &str| {
        requests::open_incident(
            "customers/nordlicht",
            site,
            pb::Severity::Critical,
            "Core network outage",
            crate::helpers::now(),
        )
    };
    let incident = api
        .by(&frontline)
        .call(open("customers/nordlicht/sites/frankfurt-core"))
        .await;
    let siteless = api.by(&frontline).call(open("")).await;

    // Reserved at the nearer depot.
    let rid = "7b0d5c1e-2f7a-4d3b-9a61-52a0c1f4e001";
    let fr = api
        .by(&frontline)
        .call(call(&incident.name, "supply-chain", &[("SPX-400", 2)], rid))
        .await;
    assert!(
        fr.reservation.starts_with("depots/fra/reservations/"),
        "{}",
        fr.reservation
    );
    assert_eq!(fr.parts.len(), 1);
    assert_eq!(fr.parts[0].part_number, "SPX-400");
    assert_eq!(fr.parts[0].quantity, 2);
    assert_eq!(stock(&mut sc, &admin, "fra").await, 2);
    assert_eq!(stock(&mut sc, &admin, "muc").await, 0);
    let reservation = sc
        .get_reservation(authed(
            &admin,
            spb::GetReservationRequest {
                name: fr.reservation.clone(),
            },
        ))
        .await
        .expect("get reservation")
        .into_inner();
    assert_eq!(reservation.reference, fr.name);
    assert_eq!(reservation.state, spb::ReservationState::Active as i32);

    // A retry answers with the same request and reserves nothing more.
    let again = api
        .by(&frontline)
        .call(call(&incident.name, "supply-chain", &[("SPX-400", 2)], rid))
        .await;
    assert_eq!(again.name, fr.name);
    assert_eq!(again.reservation, fr.reservation);
    assert_eq!(stock(&mut sc, &admin, "fra").await, 2);
    assert_eq!(stock(&mut sc, &admin, "muc").await, 0);

    // More than the nearest depot has left: the next one that has them all.
    let far = api
        .by(&frontline)
        .call(call(&incident.name, "supply-chain", &[("SPX-400", 4)], ""))
        .await;
    assert!(far.reservation.starts_with("depots/muc/reservations/"));
    assert_eq!(stock(&mut sc, &admin, "muc").await, 4);

    // An unknown part: FAILED_PRECONDITION, nothing written.
    let events_before = timeline(&mut incidents, &frontline, &incident.name)
        .await
        .len();
    let err = api
        .by(&frontline)
        .try_call(call(
            &incident.name,
            "supply-chain",
            &[("NOPE-1", 1)],
            "7b0d5c1e-2f7a-4d3b-9a61-52a0c1f4e002",
        ))
        .await
        .expect_err("unknown part");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert!(err.message().contains("NOPE-1"), "{err:?}");
    assert_eq!(
        fire_request_count(&api, &frontline, &incident.name).await,
        2
    );
    assert_eq!(
        timeline(&mut incidents, &frontline, &incident.name)
            .await
            .len(),
        events_before
    );

    // Bad input names each field.
    assert_invalid(
        api.by(&frontline)
            .try_call(call(&incident.name, "rnd", &[("SPX-400", 1)], ""))
            .await,
        &["fire_request.parts"],
    );
    assert_invalid(
        api.by(&frontline)
            .try_call(call(&siteless.name, "supply-chain", &[("SPX-400", 1)], ""))
            .await,
        &["fire_request.parts"],
    );
    assert_invalid(
        api.by(&frontline)
            .try_call(call(
                &incident.name,
                "supply-chain",
                &[("SPX-400", 0), ("", 1)],
                "",
            ))
            .await,
        &[
            "fire_request.parts[0].quantity",
            "fire_request.parts[1].part_number",
        ],
    );

    // The supply-chain service down: UNAVAILABLE, nothing written, nothing cancelled.
    sc_run.stop().await;
    let err = api
        .by(&frontline)
        .try_call(call(
            &incident.name,
            "supply-chain",
            &[("SPX-400", 1)],
            "7b0d5c1e-2f7a-4d3b-9a61-52a0c1f4e003",
        ))
        .await
        .expect_err("supply chain down");
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    let err = api
        .by(&frontline)
        .try_call(requests::cancel_incident(
            incident.name.clone(),
            "false alarm",
        ))
        .await
        .expect_err("supply chain down");
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert_eq!(
        fire_request_count(&api, &frontline, &incident.name).await,
        2
    );
    let still = api
        .by(&frontline)
        .call(pb::GetIncidentRequest {
            name: incident.name.clone(),
        })
        .await;
    assert_eq!(still.state, pb::IncidentState::Open as i32);
    let sc_run = start_supplychain(&sc_db.url, &keys, Some(sc_addr)).await;
    let mut sc = SupplyChainServiceClient::new(symbolon_testkit::channel(sc_addr).await);
    assert_eq!(stock(&mut sc, &admin, "fra").await, 2);

    // Cancelling releases everything.
    let cancelled = api
        .by(&frontline)
        .call(requests::cancel_incident(
            incident.name.clone(),
            "false alarm",
        ))
        .await;
    assert_eq!(cancelled.state, pb::IncidentState::Cancelled as i32);
    assert_eq!(stock(&mut sc, &admin, "fra").await, 0);
    assert_eq!(stock(&mut sc, &admin, "muc").await, 0);
    let events = timeline(&mut incidents, &frontline, &incident.name).await;
    let kinds: Vec<i32> = events.iter().map(|e| e.kind).collect();
    use pb::IncidentEventKind as K;
    assert_eq!(
        kinds,
        [
            K::Opened,
            K::FireCalled,
            K::PartsReserved,
            K::FireCalled,
            K::PartsReserved,
            K::FireCancelled,
            K::PartsReleased,
            K::FireCancelled,
            K::PartsReleased,
            K::Cancelled,
        ]
        .map(|k| k as i32),
        "{events:?}"
    );
    assert!(events[2].message.contains("SPX-400 x2"), "{events:?}");
    assert!(
        events[5..9]
            .iter()
            .any(|e| e.kind == K::PartsReleased as i32
                && e.fire_request == fr.name
                && e.message.contains("SPX-400 x2")),
        "{events:?}"
    );

    // Once cancelled, no more: neither cancel nor call for fire.
    let err = api
        .by(&frontline)
        .try_call(requests::cancel_incident(incident.name.clone(), ""))
        .await
        .expect_err("cancel twice");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let err = api
        .by(&frontline)
        .try_call(call(&incident.name, "rnd", &[], ""))
        .await
        .expect_err("call for fire on a cancelled incident");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");

    // Only frontline staff cancel.
    let rnd = keys.token("rnd.duty", &Org::Vendor, &["department:rnd"]);
    let err = api
        .by(&rnd)
        .try_call(requests::cancel_incident(siteless.name.clone(), ""))
        .await
        .expect_err("not frontline");
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");

    cu.stop().await;
    sc_run.stop().await;
}

both_backends!(parts_are_reserved_at_the_nearest_depot_once_and_released_on_cancel);
