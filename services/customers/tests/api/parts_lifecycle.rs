//! A spare part followed from reservation to dispatch, through the real customers and
//! supply-chain services on loopback, with the Lima depot's figures asserted at every
//! step: fulfilling dispatches (on hand and reserved both drop), cancelling releases,
//! closing refuses while a request is open, cancelling the incident settles everything;
//! each step exactly once across retries, replicas and a crash between the two
//! services' writes.

use crate::helpers::{site_message, timeline};
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
use tonic_types::StatusExt;

/// (on hand, reserved) of SPX-400 at Lima.
async fn lima(sc: &mut SupplyChainServiceClient<Channel>, admin: &str) -> (i64, i64) {
    let s = sc
        .get_stock_level(authed(
            admin,
            spb::GetStockLevelRequest {
                name: "depots/lima/stockLevels/SPX-400".into(),
            },
        ))
        .await
        .expect("get stock level")
        .into_inner();
    (s.on_hand, s.reserved)
}

async fn reservation_state(
    sc: &mut SupplyChainServiceClient<Channel>,
    admin: &str,
    name: &str,
) -> i32 {
    sc.get_reservation(authed(
        admin,
        spb::GetReservationRequest { name: name.into() },
    ))
    .await
    .expect("get reservation")
    .into_inner()
    .state
}

fn call(incident: &str) -> pb::CallForFireRequest {
    requests::call_for_fire(
        incident,
        "supply-chain",
        "A spare line card to the Lima core site",
        600,
        4 * 3600,
        &[("SPX-400", 1)],
    )
}

fn fulfil(name: &str) -> pb::FulfilFireRequestRequest {
    requests::fulfil(name, "board shipped")
}

fn notice() -> pb::FaultNotice {
    pb::FaultNotice {
        root_cause: "A line card failed after a power surge".into(),
        customer_impact: "Data service lost in Lima for 40 minutes".into(),
        timeline: "02:39 detected, 02:41 part called, 03:30 restored".into(),
        what_changes: "Surge protection on every core rack".into(),
    }
}

async fn a_part_from_reservation_to_dispatch_exactly_once(backend: Backend) {
    let keys = Keys::new();
    let admin = keys.vendor_admin();
    let sc_db = TestDb::new(backend).await;
    let cu_db = TestDb::new(backend).await;
    let sc_run = start_supplychain(&sc_db.url, &keys, None).await;
    let sc_addr = sc_run.addr;
    // Two replicas of the customers service on one database.
    let cu = start_customers(&cu_db.url, &keys, sc_addr, None).await;
    let cu2 = start_customers(&cu_db.url, &keys, sc_addr, None).await;
    let mut sc = SupplyChainServiceClient::new(symbolon_testkit::channel(sc_addr).await);
    let depot = requests::depot("lima", "Lima", "PE", (-12.02, -77.11));
    crate::helpers::stocked_depot(&mut sc, &admin, depot, &[("SPX-400", 5)]).await;

    let channel = symbolon_testkit::channel(cu.addr).await;
    let customer = requests::customer("andes", "Andes Energía", pb::Industry::Energy, "PE");
    let site = requests::site(
        "customers/andes",
        "lima-core",
        site_message("PE", -12.05, -77.04),
    );
    crate::helpers::customer_with_sites(channel.clone(), &admin, customer, [site]).await;
    let mut incidents = IncidentsServiceClient::new(channel.clone());
    let api = at(&channel, &admin);
    let channel2 = symbolon_testkit::channel(cu2.addr).await;
    let api2 = at(&channel2, &admin);
    let frontline = keys.token("li.wei", &Org::Vendor, &["frontline"]);
    let supply = keys.token("ana.supply", &Org::Vendor, &["department:supply-chain"]);
    let open = || {
        requests::open_incident(
            "customers/andes",
            "customers/andes/sites/lima-core",
            pb::Severity::Critical,
            "Night outage at the Lima core",
            crate::helpers::now(),
        )
    };
    let incident = api.by(&frontline).call(open()).await;

    // Reserved: on hand 5, reserved 1.
    let first = api.by(&frontline).call(call(&incident.name)).await;
    assert!(first.reservation.starts_with("depots/lima/reservations/"));
    assert_eq!(lima(&mut sc, &admin).await, (5, 1));

    // The supply-chain service down: the fulfilment is UNAVAILABLE, nothing changes.
    sc_run.stop().await;
    let err = api
        .by(&supply)
        .try_call(fulfil(&first.name))
        .await
        .expect_err("supply chain down");
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    let sc_run = start_supplychain(&sc_db.url, &keys, Some(sc_addr)).await;
    let mut sc = SupplyChainServiceClient::new(symbolon_testkit::channel(sc_addr).await);
    assert_eq!(lima(&mut sc, &admin).await, (5, 1));
    // Meanwhile its cancellation is refused: the request is being fulfilled.
    let err = api
        .by(&frontline)
        .try_call(requests::cancel_fire(first.name.clone(), ""))
        .await
        .expect_err("being fulfilled");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");

    // A crash between the two writes: the supply-chain side dispatched (as if the
    // customers replica died right after its call), the customers side never wrote.
    sc.dispatch_reservation(authed(
        &admin,
        spb::DispatchReservationRequest {
            name: first.reservation.clone(),
        },
    ))
    .await
    .expect("dispatch");
    assert_eq!(lima(&mut sc, &admin).await, (4, 0));
    // The retry, through both replicas at once: fulfilled once, dispatched once.
    let (a, b) = tokio::join!(
        api.by(&supply).call(fulfil(&first.name)),
        api2.by(&supply).call(fulfil(&first.name)),
    );
    assert_eq!(a.state, pb::FireRequestState::Fulfilled as i32);
    assert_eq!(a.fulfil_time, b.fulfil_time);
    assert_eq!(lima(&mut sc, &admin).await, (4, 0));
    assert_eq!(
        reservation_state(&mut sc, &admin, &first.reservation).await,
        spb::ReservationState::Dispatched as i32
    );
    // And once more later: the same answer, the same figures.
    let again = api.by(&supply).call(fulfil(&first.name)).await;
    assert_eq!(again.fulfil_time, a.fulfil_time);
    assert_eq!(lima(&mut sc, &admin).await, (4, 0));

    // A second part, fulfilled in one go: on hand 4 → 3, reserved 1 → 0.
    let second = api.by(&frontline).call(call(&incident.name)).await;
    assert_eq!(lima(&mut sc, &admin).await, (4, 1));
    api.by(&supply)
        .try_call(fulfil(&second.name))
        .await
        .expect("fulfil second");
    assert_eq!(lima(&mut sc, &admin).await, (3, 0));

    // A third, no longer needed: cancelling releases it (reserved 1 → 0, on hand kept),
    // twice is the same.
    let third = api.by(&frontline).call(call(&incident.name)).await;
    assert_eq!(lima(&mut sc, &admin).await, (3, 1));
    let cancel = requests::cancel_fire(third.name.clone(), "the spare on site fitted");
    let c1 = api.by(&frontline).call(cancel.clone()).await;
    assert_eq!(c1.state, pb::FireRequestState::Cancelled as i32);
    assert_eq!(lima(&mut sc, &admin).await, (3, 0));
    let c2 = api2.by(&supply).call(cancel).await;
    assert_eq!(c2.state, c1.state);
    assert_eq!(lima(&mut sc, &admin).await, (3, 0));
    assert_eq!(
        reservation_state(&mut sc, &admin, &third.reservation).await,
        spb::ReservationState::Released as i32
    );
    // A cancelled request is not fulfilled, a fulfilled one not cancelled.
    let err = api
        .by(&supply)
        .try_call(fulfil(&third.name))
        .await
        .expect_err("fulfil a cancelled request");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let err = api
        .by(&frontline)
        .try_call(requests::cancel_fire(second.name.clone(), ""))
        .await
        .expect_err("cancel a fulfilled request");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    // Another department may not cancel it.
    let rnd = keys.token("rnd.duty", &Org::Vendor, &["department:rnd"]);
    let err = api
        .by(&rnd)
        .try_call(requests::cancel_fire(first.name.clone(), ""))
        .await
        .expect_err("another department");
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");

    // A fourth still open: the close is refused, naming it, and nothing changes.
    let fourth = api.by(&frontline).call(call(&incident.name)).await;
    assert_eq!(lima(&mut sc, &admin).await, (3, 1));
    let err = api
        .by(&frontline)
        .try_call(pb::CloseIncidentRequest {
            name: incident.name.clone(),
            fault_notice: Some(notice()),
        })
        .await
        .expect_err("a request is open");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert!(err.message().contains("1 fire request is"), "{err:?}");
    let subjects: Vec<String> = err
        .get_details_precondition_failure()
        .expect("precondition failure")
        .violations
        .into_iter()
        .map(|v| v.subject)
        .collect();
    assert_eq!(subjects, vec![fourth.name.clone()]);
    api.by(&supply)
        .try_call(fulfil(&fourth.name))
        .await
        .expect("fulfil fourth");
    assert_eq!(lima(&mut sc, &admin).await, (2, 0));
    let closed = api
        .by(&frontline)
        .call(pb::CloseIncidentRequest {
            name: incident.name.clone(),
            fault_notice: Some(notice()),
        })
        .await;
    assert_eq!(closed.state, pb::IncidentState::Closed as i32);

    // The timeline tells it: three dispatches, one release.
    let events = timeline(&mut incidents, &frontline, &incident.name).await;
    use pb::IncidentEventKind as K;
    let count = |k: K| events.iter().filter(|e| e.kind == k as i32).count();
    assert_eq!(count(K::PartsReserved), 4, "{events:?}");
    assert_eq!(count(K::PartsDispatched), 3, "{events:?}");
    assert_eq!(count(K::Fulfilled), 3, "{events:?}");
    assert_eq!(count(K::FireCancelled), 1, "{events:?}");
    assert_eq!(count(K::PartsReleased), 1, "{events:?}");
    let dispatched = events
        .iter()
        .find(|e| e.kind == K::PartsDispatched as i32)
        .unwrap();
    assert_eq!(dispatched.fire_request, first.name);
    assert!(dispatched.message.contains("SPX-400 x1"), "{dispatched:?}");

    // Cancelling an incident settles every open request: acknowledged or not, each is
    // cancelled and its parts released.
    let other = api.by(&frontline).call(open()).await;
    let r1 = api.by(&frontline).call(call(&other.name)).await;
    let r2 = api.by(&frontline).call(call(&other.name)).await;
    api.by(&supply)
        .call(requests::acknowledge(r2.name.clone()))
        .await;
    assert_eq!(lima(&mut sc, &admin).await, (2, 2));
    let cancelled = api2
        .by(&frontline)
        .call(requests::cancel_incident(other.name.clone(), "false alarm"))
        .await;
    assert_eq!(cancelled.state, pb::IncidentState::Cancelled as i32);
    assert_eq!(lima(&mut sc, &admin).await, (2, 0));
    for r in [&r1, &r2] {
        assert_eq!(
            reservation_state(&mut sc, &admin, &r.reservation).await,
            spb::ReservationState::Released as i32
        );
    }
    let listed = api
        .by(&frontline)
        .call(pb::ListFireRequestsRequest {
            parent: other.name.clone(),
            page_size: 10,
            page_token: String::new(),
        })
        .await
        .fire_requests;
    assert!(
        listed
            .iter()
            .all(|f| f.state == pb::FireRequestState::Cancelled as i32),
        "{listed:?}"
    );

    cu.stop().await;
    cu2.stop().await;
    sc_run.stop().await;
}

both_backends!(a_part_from_reservation_to_dispatch_exactly_once);
