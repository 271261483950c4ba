//! Incidents and calling for fire: the night-time outage story, timers on a manual
//! clock, the live timeline with resume, and who may do what.

use crate::helpers::*;
use crate::requests::{self, dur};
use std::time::Duration;
use symbolon_contracts::customers::v1::{
    self as pb, incidents_service_client::IncidentsServiceClient,
};
use symbolon_platform::{Org, time::Clock};
use symbolon_testkit::{Backend, authed, both_backends};
use tokio_stream::StreamExt;
use tonic::Code;

async fn outage_at_night_from_alarm_to_candid_close(backend: Backend) {
    let start = 1_790_000_000_000_000; // a fixed night, in microseconds
    let clock = Clock::manual(start);
    let app = spawn_app_with_clock(backend, clock.clone()).await;
    app.customer("nordlicht", pb::Industry::TelecomOperator, "DE")
        .await;
    app.site("nordlicht", "frankfurt-core").await;
    let mut incidents = IncidentsServiceClient::new(symbolon_testkit::channel(app.addr).await);
    let frontline = app.keys.token("li.wei", &Org::Vendor, &["frontline"]);
    let supply = app
        .keys
        .token("sc.duty", &Org::Vendor, &["department:supply-chain"]);
    let rnd = app
        .keys
        .token("rnd.duty", &Org::Vendor, &["department:rnd"]);
    let customer = app.keys.customer("nordlicht", &["customer-engineer"]);
    let stranger = app.keys.customer("other", &["customer-executive"]);

    // 02:40, the core network alarm.
    let incident = app
        .by(&frontline)
        .call(pb::OpenIncidentRequest {
            parent: "customers/nordlicht".into(),
            incident: Some(pb::Incident {
                site: "customers/nordlicht/sites/frankfurt-core".into(),
                severity: pb::Severity::Critical as i32,
                summary: "Core network outage alarm: two provinces without data service".into(),
                detect_time: Some(symbolon_platform::time::to_timestamp(start - 60_000_000)),
                ..Default::default()
            }),
            request_id: "3f1c1a52-8b1e-4c55-9d1e-0f6f8d0c2a11".into(),
        })
        .await;
    assert_eq!(incident.state, pb::IncidentState::Open as i32);
    assert_eq!(incident.owner, "li.wei");

    // Calls for fire, with no approval chain: supply chain for spare parts, R&D for the fix.
    let call = |department: &str, ask: &str, ack: i64, fulfil: i64| {
        requests::call_for_fire(&incident.name, department, ask, ack, fulfil, &[])
    };
    let parts = app
        .by(&frontline)
        .call(call(
            "supply-chain",
            "2 line cards SPX-400 to Frankfurt",
            600,
            4 * 3600,
        ))
        .await;
    let fix = app
        .by(&frontline)
        .call(call("rnd", "Root-cause the routing crash", 1200, 8 * 3600))
        .await;

    // Only the named department acknowledges.
    let wrong = app
        .by(&rnd)
        .try_call(requests::acknowledge(parts.name.clone()))
        .await;
    assert_eq!(code(wrong), Code::PermissionDenied);
    let wrong = app
        .try_call(requests::acknowledge(parts.name.clone()))
        .await;
    assert_eq!(code(wrong), Code::PermissionDenied);

    // Supply chain acknowledges within two minutes.
    clock.advance(Duration::from_secs(120));
    let acked = app
        .by(&supply)
        .call(requests::acknowledge(parts.name.clone()))
        .await;
    assert_eq!(acked.state, pb::FireRequestState::Acknowledged as i32);
    assert_eq!(acked.time_to_acknowledge.unwrap().seconds, 120);

    // R&D stays silent: at 75% of its 20 minutes a warning, after 20 an escalation —
    // each exactly once however often the timers run.
    clock.advance(Duration::from_secs(15 * 60 - 120)); // 15 min after the call
    app.timers.sweep().await.unwrap();
    app.timers.sweep().await.unwrap();
    clock.advance(Duration::from_secs(6 * 60)); // 21 min
    app.timers.sweep().await.unwrap();
    app.timers.sweep().await.unwrap();

    // R&D finally fulfils; supply chain delivers.
    app.by(&rnd)
        .call(requests::fulfil(fix.name.clone(), "Hotfix deployed"))
        .await;
    app.by(&supply)
        .call(requests::fulfil(parts.name.clone(), "Cards installed"))
        .await;

    // Closing needs a candid fault notice, every field.
    let vague = app
        .by(&frontline)
        .try_call(pb::CloseIncidentRequest {
            name: incident.name.clone(),
            fault_notice: Some(pb::FaultNotice {
                root_cause: "A glitch".into(),
                ..Default::default()
            }),
        })
        .await;
    assert_invalid(
        vague,
        &[
            "fault_notice.customer_impact",
            "fault_notice.timeline",
            "fault_notice.what_changes",
        ],
    );
    let closed = app
        .by(&frontline)
        .call(requests::close_routing_outage(incident.name.clone()))
        .await;
    assert_eq!(closed.state, pb::IncidentState::Closed as i32);
    assert_eq!(closed.time_to_acknowledge.unwrap().seconds, 60 + 120);
    assert!(closed.time_to_resolve.unwrap().seconds > 21 * 60);

    // The customer's own people read the notice; other customers cannot see the incident.
    let seen = app
        .by(&customer)
        .call(pb::GetIncidentRequest {
            name: incident.name.clone(),
        })
        .await;
    assert!(
        seen.fault_notice
            .unwrap()
            .what_changes
            .contains("staged window")
    );
    let hidden = app
        .by(&stranger)
        .try_call(pb::GetIncidentRequest {
            name: incident.name.clone(),
        })
        .await;
    assert_eq!(code(hidden), Code::NotFound);
    let hidden = incidents
        .watch_incident(authed(&stranger, requests::watch(incident.name.clone(), 0)))
        .await;
    assert_eq!(code(hidden.map(|_| ())), Code::NotFound);

    // The whole timeline, in order, without gaps.
    let events = timeline(&mut incidents, &customer, &incident.name).await;
    let kinds: Vec<_> = events
        .iter()
        .map(|e| pb::IncidentEventKind::try_from(e.kind).unwrap())
        .collect();
    use pb::IncidentEventKind::*;
    assert_eq!(
        kinds,
        vec![
            Opened,
            FireCalled,
            FireCalled,
            Acknowledged,
            Warning,
            Escalated,
            Fulfilled,
            Fulfilled,
            Closed
        ],
        "{events:#?}"
    );
    assert_eq!(
        events.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        (1..=9).collect::<Vec<_>>()
    );
    let escalation = &events[5];
    assert_eq!(escalation.fire_request, fix.name);
    assert_eq!(
        escalation.notify,
        vec!["department:rnd-lead".to_string(), "li.wei".to_string()]
    );
    assert_eq!(escalation.actor, "symbolon");

    // A retried open with the same request id returns the same incident; the same id
    // with another request is refused.
    let open = |summary: &str| pb::OpenIncidentRequest {
        parent: "customers/nordlicht".into(),
        incident: Some(pb::Incident {
            site: "customers/nordlicht/sites/frankfurt-core".into(),
            severity: pb::Severity::Critical as i32,
            summary: summary.into(),
            detect_time: Some(symbolon_platform::time::to_timestamp(start - 60_000_000)),
            ..Default::default()
        }),
        request_id: "3f1c1a52-8b1e-4c55-9d1e-0f6f8d0c2a11".into(),
    };
    let again = app
        .by(&frontline)
        .call(open(
            "Core network outage alarm: two provinces without data service",
        ))
        .await;
    assert_eq!(again.name, incident.name);
    let reused = app.by(&frontline).try_call(open("retry")).await;
    crate::request_ids::assert_reused(reused);
}

async fn watch_replays_then_follows_and_resumes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", pb::Industry::Energy, "CL").await;
    let mut incidents = IncidentsServiceClient::new(symbolon_testkit::channel(app.addr).await);
    let incident = app
        .call(requests::open_incident(
            "customers/acme",
            "",
            pb::Severity::Concern,
            "Data-sovereignty worry",
            now(),
        ))
        .await;
    let call = |ask: &str| requests::call_for_fire(&incident.name, "legal", ask, 3600, 86_400, &[]);
    let mut watch = incidents
        .watch_incident(authed(
            &app.admin,
            requests::watch(incident.name.clone(), 0),
        ))
        .await
        .unwrap()
        .into_inner();
    let first = watch.next().await.unwrap().unwrap();
    assert_eq!(first.sequence, 1);
    // Live: an event appended now arrives on the open stream.
    app.call(call("Compliance letter")).await;
    let live = tokio::time::timeout(Duration::from_secs(2), watch.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(live.sequence, 2);
    drop(watch);
    // Missed while disconnected, then resumed from the last sequence seen.
    app.call(call("Data-residency annex")).await;
    app.call(call("Local hosting option")).await;
    let mut resumed = incidents
        .watch_incident(authed(
            &app.admin,
            requests::watch(incident.name.clone(), 2),
        ))
        .await
        .unwrap()
        .into_inner();
    let a = resumed.next().await.unwrap().unwrap();
    let b = resumed.next().await.unwrap().unwrap();
    assert_eq!((a.sequence, b.sequence), (3, 4));
    assert!(a.message.contains("Data-residency") && b.message.contains("Local hosting"));
    let nothing_more = tokio::time::timeout(Duration::from_millis(400), resumed.next()).await;
    assert!(nothing_more.is_err(), "no duplicates, nothing invented");
}

async fn bad_calls_for_fire_are_refused_whole(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", pb::Industry::Energy, "CL").await;
    let bad_open = app
        .try_call(pb::OpenIncidentRequest {
            parent: "customers/acme".into(),
            ..Default::default()
        })
        .await;
    assert_invalid(
        bad_open,
        &[
            "incident.severity",
            "incident.summary",
            "incident.detect_time",
        ],
    );
    let engineer = app.keys.customer("acme", &["customer-engineer"]);
    let denied = app
        .by(&engineer)
        .try_call(pb::OpenIncidentRequest {
            parent: "customers/acme".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(code(denied), Code::PermissionDenied);
    let incident = app
        .call(requests::open_incident(
            "customers/acme",
            "",
            pb::Severity::Major,
            "Substation link down",
            now(),
        ))
        .await;
    let bad = app
        .try_call(pb::CallForFireRequest {
            parent: incident.name.clone(),
            fire_request: Some(pb::FireRequest {
                department: "Supply Chain!".into(),
                acknowledge_within: dur(-5),
                fulfil_within: dur(-10),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await;
    assert_invalid(
        bad,
        &[
            "fire_request.department",
            "fire_request.ask",
            "fire_request.acknowledge_within",
            "fire_request.fulfil_within",
        ],
    );
    let listed = app
        .call(pb::ListFireRequestsRequest {
            parent: incident.name.clone(),
            ..Default::default()
        })
        .await;
    assert!(listed.fire_requests.is_empty(), "nothing half-written");
}

both_backends!(
    outage_at_night_from_alarm_to_candid_close,
    watch_replays_then_follows_and_resumes,
    bad_calls_for_fire_are_refused_whole,
);
