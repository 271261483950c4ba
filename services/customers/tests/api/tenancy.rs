//! Tenancy: a customer's people never see another customer's data, on any method.

use crate::helpers::*;
use futures_free::BoxFut;
use symbolon_contracts::customers::v1 as pb;
use symbolon_testkit::{Backend, authed, both_backends};
use tonic::Code;

mod futures_free {
    pub type BoxFut =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), tonic::Status>> + Send>>;
}

macro_rules! call {
    ($client:expr, $token:expr, $method:ident, $req:expr) => {{
        let mut c = $client.clone();
        let t = $token.clone();
        let r = $req;
        Box::pin(async move { c.$method(authed(&t, r)).await.map(|_| ()) }) as BoxFut
    }};
}

async fn customer_people_never_reach_another_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    for id in ["alpha", "beta"] {
        app.customer(id, pb::Industry::Energy, "CL").await;
        app.site(id, "plant").await;
        app.key_person(id, "cto").await;
    }
    let beta_tp = app.touchpoint("beta", "cto", pb::Mood::Anxious).await;
    app.touchpoint("alpha", "cto", pb::Mood::Calm).await;
    let c = app.client();
    // An executive of alpha: the strongest customer role.
    let alpha = app
        .keys
        .customer("alpha", &["customer-engineer", "customer-executive"]);
    let b = |s: &str| format!("customers/beta{s}");

    let attempts: Vec<(&str, BoxFut)> = vec![
        (
            "GetCustomer",
            call!(
                c,
                alpha,
                get_customer,
                pb::GetCustomerRequest { name: b("") }
            ),
        ),
        (
            "UpdateCustomer",
            call!(
                c,
                alpha,
                update_customer,
                pb::UpdateCustomerRequest {
                    customer: Some(pb::Customer {
                        name: b(""),
                        display_name: "x".into(),
                        ..Default::default()
                    }),
                    update_mask: None
                }
            ),
        ),
        (
            "DeleteCustomer",
            call!(
                c,
                alpha,
                delete_customer,
                pb::DeleteCustomerRequest {
                    name: b(""),
                    etag: String::new()
                }
            ),
        ),
        (
            "UndeleteCustomer",
            call!(
                c,
                alpha,
                undelete_customer,
                pb::UndeleteCustomerRequest { name: b("") }
            ),
        ),
        (
            "CreateCustomer",
            call!(
                c,
                alpha,
                create_customer,
                pb::CreateCustomerRequest {
                    customer: Some(pb::Customer {
                        display_name: "x".into(),
                        industry: 1,
                        home_country: "DE".into(),
                        ..Default::default()
                    }),
                    customer_id: "gamma".into(),
                    request_id: String::new()
                }
            ),
        ),
        (
            "CreateSite",
            call!(
                c,
                alpha,
                create_site,
                pb::CreateSiteRequest {
                    parent: b(""),
                    site: Some(site_message("CL", -33.4, -70.6)),
                    site_id: String::new(),
                    request_id: String::new()
                }
            ),
        ),
        (
            "GetSite",
            call!(
                c,
                alpha,
                get_site,
                pb::GetSiteRequest {
                    name: b("/sites/plant")
                }
            ),
        ),
        (
            "ListSites",
            call!(
                c,
                alpha,
                list_sites,
                pb::ListSitesRequest {
                    parent: b(""),
                    ..Default::default()
                }
            ),
        ),
        (
            "UpdateSite",
            call!(
                c,
                alpha,
                update_site,
                pb::UpdateSiteRequest {
                    site: Some(pb::Site {
                        name: b("/sites/plant"),
                        display_name: "x".into(),
                        ..Default::default()
                    }),
                    update_mask: None
                }
            ),
        ),
        (
            "DeleteSite",
            call!(
                c,
                alpha,
                delete_site,
                pb::DeleteSiteRequest {
                    name: b("/sites/plant"),
                    etag: String::new()
                }
            ),
        ),
        (
            "UndeleteSite",
            call!(
                c,
                alpha,
                undelete_site,
                pb::UndeleteSiteRequest {
                    name: b("/sites/plant")
                }
            ),
        ),
        (
            "CreateKeyPerson",
            call!(
                c,
                alpha,
                create_key_person,
                pb::CreateKeyPersonRequest {
                    parent: b(""),
                    key_person: Some(pb::KeyPerson {
                        display_name: "x".into(),
                        title: "y".into(),
                        decision_role: 1,
                        ..Default::default()
                    }),
                    key_person_id: String::new(),
                    request_id: String::new()
                }
            ),
        ),
        (
            "GetKeyPerson",
            call!(
                c,
                alpha,
                get_key_person,
                pb::GetKeyPersonRequest {
                    name: b("/keyPersons/cto")
                }
            ),
        ),
        (
            "ListKeyPersons",
            call!(
                c,
                alpha,
                list_key_persons,
                pb::ListKeyPersonsRequest {
                    parent: b(""),
                    ..Default::default()
                }
            ),
        ),
        (
            "UpdateKeyPerson",
            call!(
                c,
                alpha,
                update_key_person,
                pb::UpdateKeyPersonRequest {
                    key_person: Some(pb::KeyPerson {
                        name: b("/keyPersons/cto"),
                        title: "x".into(),
                        ..Default::default()
                    }),
                    update_mask: None
                }
            ),
        ),
        (
            "DeleteKeyPerson",
            call!(
                c,
                alpha,
                delete_key_person,
                pb::DeleteKeyPersonRequest {
                    name: b("/keyPersons/cto"),
                    etag: String::new()
                }
            ),
        ),
        (
            "UndeleteKeyPerson",
            call!(
                c,
                alpha,
                undelete_key_person,
                pb::UndeleteKeyPersonRequest {
                    name: b("/keyPersons/cto")
                }
            ),
        ),
        (
            "RecordTouchpoint",
            call!(
                c,
                alpha,
                record_touchpoint,
                pb::RecordTouchpointRequest {
                    parent: b(""),
                    touchpoint: Some(touchpoint_message(&b("/keyPersons/cto"), pb::Mood::Calm)),
                    request_id: String::new()
                }
            ),
        ),
        (
            "GetTouchpoint",
            call!(
                c,
                alpha,
                get_touchpoint,
                pb::GetTouchpointRequest {
                    name: beta_tp.name.clone()
                }
            ),
        ),
        (
            "ListTouchpoints",
            call!(
                c,
                alpha,
                list_touchpoints,
                pb::ListTouchpointsRequest {
                    parent: b(""),
                    ..Default::default()
                }
            ),
        ),
    ];
    for (method, attempt) in attempts {
        let code = attempt.await.err().map(|s| s.code());
        assert!(
            matches!(code, Some(Code::NotFound) | Some(Code::PermissionDenied)),
            "{method} on another customer's data answered {code:?}"
        );
    }

    // Lists never include another customer's rows.
    let customers = c
        .clone()
        .list_customers(authed(&alpha, pb::ListCustomersRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        customers
            .customers
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        vec!["customers/alpha"]
    );

    // The same person does reach their own data (so the refusals above are about tenancy).
    let own = c
        .clone()
        .list_touchpoints(authed(
            &alpha,
            pb::ListTouchpointsRequest {
                parent: "customers/alpha".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.touchpoints.len(), 1);
    let own_site = c
        .clone()
        .update_site(authed(
            &alpha,
            pb::UpdateSiteRequest {
                site: Some(pb::Site {
                    name: "customers/alpha/sites/plant".into(),
                    address: "Gate 4".into(),
                    ..Default::default()
                }),
                update_mask: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own_site.address, "Gate 4");
    // Beta's data is untouched by all of the above.
    let beta = c
        .clone()
        .get_site(authed(
            &app.admin,
            pb::GetSiteRequest {
                name: b("/sites/plant"),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(beta.display_name, "Frankfurt core");
    assert!(beta.delete_time.is_none());
}

async fn customer_engineers_cannot_write_vendor_records(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("alpha", pb::Industry::Energy, "CL").await;
    app.key_person("alpha", "cto").await;
    let engineer = app.keys.customer("alpha", &["customer-engineer"]);
    let r = app
        .client()
        .record_touchpoint(authed(
            &engineer,
            pb::RecordTouchpointRequest {
                parent: "customers/alpha".into(),
                touchpoint: Some(touchpoint_message(
                    "customers/alpha/keyPersons/cto",
                    pb::Mood::Calm,
                )),
                request_id: String::new(),
            },
        ))
        .await;
    assert_eq!(code(r), Code::PermissionDenied);
    let r = app
        .client()
        .create_site(authed(
            &engineer,
            pb::CreateSiteRequest {
                parent: "customers/alpha".into(),
                site: Some(site_message("CL", 1.0, 1.0)),
                ..Default::default()
            },
        ))
        .await;
    assert_eq!(code(r), Code::PermissionDenied);
    // An analyst reads but does not write.
    let analyst = app
        .keys
        .token("ana", &symbolon_platform::Org::Vendor, &["analyst"]);
    assert!(
        app.client()
            .get_customer(authed(
                &analyst,
                pb::GetCustomerRequest {
                    name: "customers/alpha".into()
                }
            ))
            .await
            .is_ok()
    );
    let r = app
        .client()
        .delete_customer(authed(
            &analyst,
            pb::DeleteCustomerRequest {
                name: "customers/alpha".into(),
                etag: String::new(),
            },
        ))
        .await;
    assert_eq!(code(r), Code::PermissionDenied);
}

both_backends!(
    customer_people_never_reach_another_customer,
    customer_engineers_cannot_write_vendor_records
);
