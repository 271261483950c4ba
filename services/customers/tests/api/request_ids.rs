//! Request ids are scoped to the caller's organisation, the method and the parent: the
//! same id on two customers names two requests, and a retry still returns the first.

use crate::helpers::*;
use symbolon_contracts::customers::v1::{
    self as pb, incidents_service_client::IncidentsServiceClient,
};
use symbolon_platform::Org;
use symbolon_testkit::{Backend, authed, both_backends};
use tonic_types::StatusExt;

const R: &str = "6f0b8c3e-2d7a-4f4e-9a51-3c2b1d0e9f77";

async fn one_request_id_on_two_customers_creates_two_incidents(backend: Backend) {
    let app = spawn_app(backend).await;
    for id in ["alpha", "beta"] {
        app.customer(id, pb::Industry::Energy, "DE").await;
        app.site(id, "plant").await;
    }
    let mut incidents = IncidentsServiceClient::new(symbolon_testkit::channel(app.addr).await);
    // One detection time: a retry repeats its request exactly.
    let detected = now();
    let open = |customer: &str| pb::OpenIncidentRequest {
        parent: format!("customers/{customer}"),
        incident: Some(pb::Incident {
            site: format!("customers/{customer}/sites/plant"),
            severity: pb::Severity::Major as i32,
            summary: format!("{customer} line stopped"),
            detect_time: Some(detected),
            ..Default::default()
        }),
        request_id: R.into(),
    };
    let ann = app.keys.token("ann@vendor", &Org::Vendor, &["frontline"]);
    let bob = app.keys.token("bob@vendor", &Org::Vendor, &["frontline"]);
    let a = incidents
        .open_incident(authed(&ann, open("alpha")))
        .await
        .unwrap()
        .into_inner();
    let b = incidents
        .open_incident(authed(&bob, open("beta")))
        .await
        .unwrap()
        .into_inner();
    assert!(a.name.starts_with("customers/alpha/"), "{}", a.name);
    assert!(b.name.starts_with("customers/beta/"), "{}", b.name);
    assert_eq!(b.summary, "beta line stopped");
    // A retry is still the first result, and creates nothing.
    let again = incidents
        .open_incident(authed(&ann, open("alpha")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.name, a.name);
    for (customer, want) in [("alpha", &a), ("beta", &b)] {
        let listed = incidents
            .list_incidents(authed(
                &app.admin,
                pb::ListIncidentsRequest {
                    parent: format!("customers/{customer}"),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .incidents;
        assert_eq!(
            listed.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
            vec![want.name.as_str()]
        );
    }

    // The same id under two parents of the CRM, and for two kinds of resource.
    let site = |customer: &str, id: &str| pb::CreateSiteRequest {
        parent: format!("customers/{customer}"),
        site: Some(site_message("DE", 50.1, 8.6)),
        site_id: id.into(),
        request_id: R.into(),
    };
    let s1 = app
        .client()
        .create_site(authed(&app.admin, site("alpha", "depot")))
        .await
        .unwrap()
        .into_inner();
    let s2 = app
        .client()
        .create_site(authed(&app.admin, site("beta", "depot")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s1.name, "customers/alpha/sites/depot");
    assert_eq!(s2.name, "customers/beta/sites/depot");
}

const S: &str = "1d4f7a52-93c0-4b8e-8f61-5a7e2c9b0d34";

/// Asserts the answer to a reused request id: INVALID_ARGUMENT, reason
/// REQUEST_ID_REUSED, one violation naming `request_id`.
pub fn assert_reused<T: std::fmt::Debug>(result: Result<T, tonic::Status>) {
    let status = result.expect_err("a reused request id is refused");
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert_eq!(violated_fields(&status), vec!["request_id".to_string()]);
    let info = status.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "REQUEST_ID_REUSED", "{status:?}");
}

async fn touchpoints_of_alpha(app: &TestApp) -> Vec<pb::Touchpoint> {
    app.client()
        .list_touchpoints(authed(
            &app.admin,
            pb::ListTouchpointsRequest {
                parent: "customers/alpha".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .touchpoints
}

/// One id with another body is refused and writes nothing, on each kind of store path
/// (a plain insert, a grouped conditional insert, an insert inside a transaction);
/// the first body still replays.
async fn a_request_id_is_bound_to_its_first_request(backend: Backend) {
    let app = spawn_app(backend).await;

    // CreateCustomer: table::insert.
    let customer = |id: &str, name: &str| pb::CreateCustomerRequest {
        customer: Some(pb::Customer {
            display_name: name.into(),
            industry: pb::Industry::Energy as i32,
            home_country: "DE".into(),
            ..Default::default()
        }),
        customer_id: id.into(),
        request_id: R.into(),
    };
    let first = app
        .client()
        .create_customer(authed(&app.admin, customer("alpha", "Alpha")))
        .await
        .unwrap()
        .into_inner();
    assert_reused(
        app.client()
            .create_customer(authed(&app.admin, customer("beta", "Beta")))
            .await,
    );
    assert_reused(
        app.client()
            .create_customer(authed(&app.admin, customer("alpha", "Alpha renamed")))
            .await,
    );
    let replay = app
        .client()
        .create_customer(authed(&app.admin, customer("alpha", "Alpha")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((replay.name, replay.etag), (first.name, first.etag));
    let listed = app
        .client()
        .list_customers(authed(&app.admin, pb::ListCustomersRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .customers;
    assert_eq!(
        listed.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        vec!["customers/alpha"]
    );

    // RecordTouchpoint: a grouped conditional insert.
    app.key_person("alpha", "anna").await;
    // Built once each: a body is the same request only if every field is.
    let anxious = touchpoint_message("customers/alpha/keyPersons/anna", pb::Mood::Anxious);
    let calm = touchpoint_message("customers/alpha/keyPersons/anna", pb::Mood::Calm);
    let touchpoint = |mood: pb::Mood| pb::RecordTouchpointRequest {
        parent: "customers/alpha".into(),
        touchpoint: Some(if mood == pb::Mood::Anxious {
            anxious.clone()
        } else {
            calm.clone()
        }),
        request_id: R.into(),
    };
    let first = app
        .client()
        .record_touchpoint(authed(&app.admin, touchpoint(pb::Mood::Anxious)))
        .await
        .unwrap()
        .into_inner();
    assert_reused(
        app.client()
            .record_touchpoint(authed(&app.admin, touchpoint(pb::Mood::Calm)))
            .await,
    );
    let replay = app
        .client()
        .record_touchpoint(authed(&app.admin, touchpoint(pb::Mood::Anxious)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replay.name, first.name);
    let listed = touchpoints_of_alpha(&app).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].emotional_state, anxious.emotional_state);

    // OpenIncident: an insert inside a transaction.
    app.site("alpha", "plant").await;
    let mut incidents = IncidentsServiceClient::new(symbolon_testkit::channel(app.addr).await);
    let open = |summary: &str| pb::OpenIncidentRequest {
        parent: "customers/alpha".into(),
        incident: Some(pb::Incident {
            site: "customers/alpha/sites/plant".into(),
            severity: pb::Severity::Major as i32,
            summary: summary.into(),
            detect_time: Some(prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            ..Default::default()
        }),
        request_id: R.into(),
    };
    let frontline = app.keys.token("ann@vendor", &Org::Vendor, &["frontline"]);
    let first = incidents
        .open_incident(authed(&frontline, open("line stopped")))
        .await
        .unwrap()
        .into_inner();
    assert_reused(
        incidents
            .open_incident(authed(&frontline, open("something else")))
            .await,
    );
    let replay = incidents
        .open_incident(authed(&frontline, open("line stopped")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replay.name, first.name);
    let listed = incidents
        .list_incidents(authed(
            &app.admin,
            pb::ListIncidentsRequest {
                parent: "customers/alpha".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .incidents;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].summary, "line stopped");

    // CallForFire: its own claim, before the retry lookup and any parts reservation.
    let fire = |ask: &str| pb::CallForFireRequest {
        parent: first.name.clone(),
        fire_request: Some(pb::FireRequest {
            department: "rnd".into(),
            ask: ask.into(),
            acknowledge_within: Some(prost_types::Duration {
                seconds: 600,
                nanos: 0,
            }),
            fulfil_within: Some(prost_types::Duration {
                seconds: 3600,
                nanos: 0,
            }),
            ..Default::default()
        }),
        request_id: R.into(),
    };
    let called = incidents
        .call_for_fire(authed(&frontline, fire("root-cause the crash")))
        .await
        .unwrap()
        .into_inner();
    assert_reused(
        incidents
            .call_for_fire(authed(&frontline, fire("something else")))
            .await,
    );
    let replay = incidents
        .call_for_fire(authed(&frontline, fire("root-cause the crash")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replay.name, called.name);
    let listed = incidents
        .list_fire_requests(authed(
            &app.admin,
            pb::ListFireRequestsRequest {
                parent: first.name.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .fire_requests;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].ask, "root-cause the crash");
}

/// Concurrent calls with one id, half of them with another body: exactly one row, every
/// success is that row, every other call is REQUEST_ID_REUSED.
async fn racing_bodies_with_one_request_id_create_one_row(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("alpha", pb::Industry::Energy, "DE").await;
    app.key_person("alpha", "anna").await;
    let bodies = [pb::Mood::Anxious, pb::Mood::Calm]
        .map(|mood| touchpoint_message("customers/alpha/keyPersons/anna", mood));
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..16 {
        let mut client = app.client();
        let admin = app.admin.clone();
        let body = bodies[i % 2].clone();
        calls.spawn(async move {
            client
                .record_touchpoint(authed(
                    &admin,
                    pb::RecordTouchpointRequest {
                        parent: "customers/alpha".into(),
                        touchpoint: Some(body),
                        request_id: S.into(),
                    },
                ))
                .await
        });
    }
    let results = calls.join_all().await;
    let mut names = std::collections::BTreeSet::new();
    let mut moods = std::collections::BTreeSet::new();
    let mut refused = 0;
    for r in results {
        match r {
            Ok(t) => {
                let t = t.into_inner();
                names.insert(t.name);
                moods.insert(format!("{:?}", t.emotional_state));
            }
            Err(e) => {
                assert_reused::<()>(Err(e));
                refused += 1;
            }
        }
    }
    assert_eq!(names.len(), 1, "{names:?}");
    assert_eq!(moods.len(), 1, "every success is the one row: {moods:?}");
    assert_eq!(refused, 8, "the other body is refused every time");
    let listed = touchpoints_of_alpha(&app).await;
    assert_eq!(listed.len(), 1);
}

both_backends!(
    one_request_id_on_two_customers_creates_two_incidents,
    a_request_id_is_bound_to_its_first_request,
    racing_bodies_with_one_request_id_create_one_row,
);
