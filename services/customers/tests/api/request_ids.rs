//! Request ids are scoped to the caller's organisation, the method and the parent: the
//! same id on two customers names two requests, and a retry still returns the first.

use crate::helpers::*;
use symbolon_contracts::customers::v1::{
    self as pb, incidents_service_client::IncidentsServiceClient,
};
use symbolon_platform::Org;
use symbolon_testkit::{Backend, authed, both_backends};

const R: &str = "6f0b8c3e-2d7a-4f4e-9a51-3c2b1d0e9f77";

async fn one_request_id_on_two_customers_creates_two_incidents(backend: Backend) {
    let app = spawn_app(backend).await;
    for id in ["alpha", "beta"] {
        app.customer(id, pb::Industry::Energy, "DE").await;
        app.site(id, "plant").await;
    }
    let mut incidents = IncidentsServiceClient::new(symbolon_testkit::channel(app.addr).await);
    let open = |customer: &str| pb::OpenIncidentRequest {
        parent: format!("customers/{customer}"),
        incident: Some(pb::Incident {
            site: format!("customers/{customer}/sites/plant"),
            severity: pb::Severity::Major as i32,
            summary: format!("{customer} line stopped"),
            detect_time: Some(now()),
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

both_backends!(one_request_id_on_two_customers_creates_two_incidents);
