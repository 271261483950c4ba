//! Least privilege, as `src/access.rs` declares it: customers are created, deleted and
//! undeleted by admins only; analysts never write; only the incident's frontline owner
//! (or an admin) calls for fire; a fire request is acted on by its department only.

use crate::helpers::*;
use symbolon_contracts::customers::v1::{
    self as pb, incidents_service_client::IncidentsServiceClient,
};
use symbolon_platform::Org;
use symbolon_testkit::{Backend, authed, both_backends};
use tonic::Code;

async fn customers_are_created_deleted_and_undeleted_by_admins_only(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", pb::Industry::Energy, "DE").await;
    let create = |id: &str| pb::CreateCustomerRequest {
        customer: Some(pb::Customer {
            display_name: "X".into(),
            industry: pb::Industry::Finance as i32,
            home_country: "FR".into(),
            ..Default::default()
        }),
        customer_id: id.into(),
        request_id: String::new(),
    };
    let name = || "customers/acme".to_string();
    for roles in [vec!["frontline"], vec!["analyst"], vec!["department:legal"]] {
        let t = app.keys.token("p@vendor", &Org::Vendor, &roles);
        let c = app.client();
        let r = c.clone().create_customer(authed(&t, create("beta"))).await;
        assert_eq!(code(r), Code::PermissionDenied, "{roles:?} created");
        let r = c
            .clone()
            .delete_customer(authed(
                &t,
                pb::DeleteCustomerRequest {
                    name: name(),
                    etag: String::new(),
                },
            ))
            .await;
        let err = r.unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{roles:?} deleted");
        assert!(err.message().contains("admin"), "{}", err.message());
        assert!(!err.message().contains("frontline"), "{}", err.message());
        let r = c
            .clone()
            .undelete_customer(authed(&t, pb::UndeleteCustomerRequest { name: name() }))
            .await;
        assert_eq!(code(r), Code::PermissionDenied, "{roles:?} undeleted");
    }
    // Nothing was created or deleted by the refused calls; the admin still may.
    let list = app
        .client()
        .list_customers(authed(&app.admin, pb::ListCustomersRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.customers.len(), 1);
    assert!(list.customers[0].delete_time.is_none());
    assert!(
        app.client()
            .create_customer(authed(&app.admin, create("beta")))
            .await
            .is_ok()
    );
    // Frontline still keeps the record up to date; analysts read and never write.
    let update = |t: &str| {
        let mut c = app.client();
        let t = t.to_string();
        async move {
            c.update_customer(authed(
                &t,
                pb::UpdateCustomerRequest {
                    customer: Some(pb::Customer {
                        name: "customers/acme".into(),
                        display_name: "Acme Energy".into(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["display_name".into()],
                    }),
                },
            ))
            .await
        }
    };
    let analyst = app.keys.token("a@vendor", &Org::Vendor, &["analyst"]);
    assert_eq!(code(update(&analyst).await), Code::PermissionDenied);
    assert!(
        app.client()
            .get_customer(authed(&analyst, pb::GetCustomerRequest { name: name() }))
            .await
            .is_ok()
    );
    let frontline = app.keys.token("f@vendor", &Org::Vendor, &["frontline"]);
    assert!(update(&frontline).await.is_ok());
}

async fn only_the_owner_calls_for_fire_and_only_the_department_acts(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", pb::Industry::Energy, "DE").await;
    app.site("acme", "plant").await;
    let mut incidents = IncidentsServiceClient::new(symbolon_testkit::channel(app.addr).await);
    let owner = app.keys.token("owner@vendor", &Org::Vendor, &["frontline"]);
    let colleague = app
        .keys
        .token("colleague@vendor", &Org::Vendor, &["frontline"]);
    let incident = incidents
        .open_incident(authed(
            &owner,
            pb::OpenIncidentRequest {
                parent: "customers/acme".into(),
                incident: Some(pb::Incident {
                    site: "customers/acme/sites/plant".into(),
                    severity: pb::Severity::Major as i32,
                    summary: "Line 3 stopped".into(),
                    detect_time: Some(now()),
                    ..Default::default()
                }),
                request_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let call = || pb::CallForFireRequest {
        parent: incident.name.clone(),
        fire_request: Some(pb::FireRequest {
            department: "legal".into(),
            ask: "A compliance letter".into(),
            acknowledge_within: Some(prost_types::Duration {
                seconds: 600,
                nanos: 0,
            }),
            fulfil_within: Some(prost_types::Duration {
                seconds: 7200,
                nanos: 0,
            }),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let refused = incidents
        .call_for_fire(authed(&colleague, call()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(refused.message().contains("owner"), "{}", refused.message());
    let analyst = app.keys.token("a@vendor", &Org::Vendor, &["analyst"]);
    assert_eq!(
        code(incidents.call_for_fire(authed(&analyst, call())).await),
        Code::PermissionDenied
    );
    // Nothing was mobilised by the refusals.
    let listed = incidents
        .list_fire_requests(authed(
            &app.admin,
            pb::ListFireRequestsRequest {
                parent: incident.name.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.fire_requests.is_empty());
    let fire = incidents
        .call_for_fire(authed(&owner, call()))
        .await
        .unwrap()
        .into_inner();
    assert!(
        incidents
            .call_for_fire(authed(&app.admin, call()))
            .await
            .is_ok(),
        "an admin may call for fire on any incident"
    );
    // Another department, an admin, frontline: none acts on legal's request.
    for (who, roles) in [
        ("rnd", vec!["department:rnd"]),
        ("admin", vec!["admin"]),
        ("frontline", vec!["frontline"]),
    ] {
        let t = app.keys.token("x@vendor", &Org::Vendor, &roles);
        let r = incidents
            .acknowledge_fire_request(authed(
                &t,
                pb::AcknowledgeFireRequestRequest {
                    name: fire.name.clone(),
                },
            ))
            .await;
        assert_eq!(code(r), Code::PermissionDenied, "{who} acknowledged");
    }
    let legal = app
        .keys
        .token("l@vendor", &Org::Vendor, &["department:legal"]);
    assert!(
        incidents
            .acknowledge_fire_request(authed(
                &legal,
                pb::AcknowledgeFireRequestRequest {
                    name: fire.name.clone(),
                },
            ))
            .await
            .is_ok()
    );
}

both_backends!(
    customers_are_created_deleted_and_undeleted_by_admins_only,
    only_the_owner_calls_for_fire_and_only_the_department_acts
);
