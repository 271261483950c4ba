//! The first article's story as one test, against the real customers and supply-chain
//! services: a carrier's core-network alarm at night → an incident → calls for fire to
//! supply chain (spare parts reserved at the nearest depot) and R&D → warning and
//! escalation timers on a controllable clock → a candid fault notice → closed.

use crate::requests;
use crate::{
    helpers::code,
    two_services::{start_customers_at, start_supplychain},
};
use std::time::Duration;
use symbolon_contracts::{
    customers::v1::{self as pb, incidents_service_client::IncidentsServiceClient},
    supplychain::v1::{self as spb, supply_chain_service_client::SupplyChainServiceClient},
};
use symbolon_platform::{Org, time::Clock};
use symbolon_testkit::{Api, Backend, Keys, TestDb, at, authed, both_backends};
use tonic::Code;

async fn a_night_outage_from_alarm_to_candid_close(backend: Backend) {
    let keys = Keys::new();
    let admin = keys.vendor_admin();
    let (sc_db, cu_db) = (TestDb::new(backend).await, TestDb::new(backend).await);
    let sc_run = start_supplychain(&sc_db.url, &keys, None).await;
    let night = 1_790_040_000_000_000; // 02:40 UTC
    let clock = Clock::manual(night);
    let (cu, timers) = start_customers_at(&cu_db.url, &keys, sc_run.addr, clock.clone()).await;

    // Spare-parts centres: Frankfurt airport (near the site) and Munich (further).
    let mut sc = SupplyChainServiceClient::new(symbolon_testkit::channel(sc_run.addr).await);
    for (id, (lat, lng)) in [("fra", (50.05, 8.57)), ("muc", (48.35, 11.78))] {
        let depot = requests::depot(id, format!("{id} spare-parts centre"), "DE", (lat, lng));
        crate::helpers::stocked_depot(&mut sc, &admin, depot, &[("SPX-400", 4)]).await;
    }

    let channel = symbolon_testkit::channel(cu.addr).await;
    crate::helpers::nordlicht_with_frankfurt_core(channel.clone(), &admin).await;

    let frontline = keys.token("li.wei", &Org::Vendor, &["frontline"]);
    let supply = keys.token("sc.duty", &Org::Vendor, &["department:supply-chain"]);
    let rnd = keys.token("rnd.duty", &Org::Vendor, &["department:rnd"]);
    let mut incidents = IncidentsServiceClient::new(channel.clone());
    let api = at(&channel, &admin);

    // 02:40: the core network alarm.
    let incident = api
        .by(&frontline)
        .call(requests::open_incident(
            "customers/nordlicht",
            "customers/nordlicht/sites/frankfurt-core",
            pb::Severity::Critical,
            "Core network outage alarm: two provinces without data service",
            symbolon_platform::time::to_timestamp(night - 60_000_000),
        ))
        .await;

    // Calling for fire, no approval chain: spare parts from supply chain, a fix from R&D.
    let parts = api
        .by(&frontline)
        .call(pb::CallForFireRequest {
            request_id: "6d1f4e0e-5d5a-4c8f-9f0e-1a2b3c4d5e6f".into(),
            ..requests::call_for_fire(
                &incident.name,
                "supply-chain",
                "Two SPX-400 line cards to Frankfurt core",
                600,
                4 * 3600,
                &[("SPX-400", 2)],
            )
        })
        .await;
    assert!(
        parts.reservation.starts_with("depots/fra/"),
        "reserved at the nearest depot: {}",
        parts.reservation
    );
    let fix = api
        .by(&frontline)
        .call(requests::call_for_fire(
            &incident.name,
            "rnd",
            "Root-cause the routing crash",
            1200,
            8 * 3600,
            &[],
        ))
        .await;

    // Only the named department acknowledges; supply chain does within two minutes.
    let wrong = api
        .by(&rnd)
        .try_call(requests::acknowledge(parts.name.clone()))
        .await;
    assert_eq!(code(wrong), Code::PermissionDenied);
    clock.advance(Duration::from_secs(120));
    api.by(&supply)
        .call(requests::acknowledge(parts.name.clone()))
        .await;

    // R&D stays silent: a warning at 75% of its 20 minutes, an escalation after 20.
    clock.advance(Duration::from_secs(15 * 60 - 120));
    timers.sweep().await.unwrap();
    clock.advance(Duration::from_secs(6 * 60));
    timers.sweep().await.unwrap();
    timers.sweep().await.unwrap();

    api.by(&rnd)
        .call(requests::fulfil(fix.name.clone(), "Hotfix deployed"))
        .await;
    api.by(&supply)
        .call(requests::fulfil(parts.name.clone(), "Cards installed"))
        .await;
    let closed = api
        .by(&frontline)
        .call(requests::close_routing_outage(incident.name.clone()))
        .await;
    assert_eq!(closed.state, pb::IncidentState::Closed as i32);
    assert_eq!(closed.time_to_acknowledge.unwrap().seconds, 180);

    // The customer reads the whole timeline, in order.
    let customer = keys.customer("nordlicht", &["customer-executive"]);
    let kinds: Vec<_> = crate::helpers::timeline(&mut incidents, &customer, &incident.name)
        .await
        .iter()
        .map(|e| pb::IncidentEventKind::try_from(e.kind).unwrap())
        .collect();
    use pb::IncidentEventKind::*;
    assert_eq!(
        kinds,
        vec![
            Opened,
            FireCalled,
            PartsReserved,
            FireCalled,
            Acknowledged,
            Warning,
            Escalated,
            Fulfilled,
            Fulfilled,
            PartsDispatched,
            Closed
        ]
    );
    // The parts were held at Frankfurt once, and left it when the request was fulfilled.
    let fra = sc
        .get_stock_level(authed(
            &admin,
            spb::GetStockLevelRequest {
                name: "depots/fra/stockLevels/SPX-400".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fra.reserved, 0);
    assert_eq!(fra.on_hand, 4 - 2);
    cu.stop().await;
    sc_run.stop().await;
}

both_backends!(a_night_outage_from_alarm_to_candid_close);
