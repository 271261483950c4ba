//! Bad input of every shape: the right code, the field named, nothing written.

use crate::helpers::*;
use crate::requests;
use symbolon_contracts::customers::v1 as pb;
use symbolon_testkit::{Backend, authed, both_backends};
use tonic::Code;

async fn malformed_requests_name_their_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let c = app.client();
    let empty = c
        .clone()
        .create_customer(authed(&app.admin, pb::CreateCustomerRequest::default()))
        .await;
    assert_invalid(
        empty,
        &[
            "customer.display_name",
            "customer.industry",
            "customer.home_country",
        ],
    );
    let bad = c
        .clone()
        .create_customer(authed(
            &app.admin,
            pb::CreateCustomerRequest {
                customer: Some(pb::Customer {
                    display_name: "X".into(),
                    industry: 99,
                    home_country: "XX".into(),
                    ..Default::default()
                }),
                customer_id: "Not Valid!".into(),
                request_id: "not-a-uuid".into(),
            },
        ))
        .await;
    assert_invalid(
        bad,
        &[
            "customer.industry",
            "customer.home_country",
            "customer_id",
            "request_id",
        ],
    );

    app.customer("acme", pb::Industry::Energy, "FR").await;
    // Coordinates off the earth are refused by the codec, before the handler's checks;
    // a three-letter country by the handler.
    let sites: [((f64, f64), &[&str]); 2] = [
        (
            (91.0, -181.0),
            &["site.location.latitude", "site.location.longitude"],
        ),
        ((48.1, 11.6), &["site.country"]),
    ];
    for ((lat, lng), fields) in sites {
        let site = pb::Site {
            display_name: "Plant".into(),
            ..site_message("FRA", lat, lng)
        };
        let created = c
            .clone()
            .create_site(authed(
                &app.admin,
                requests::site("customers/acme", "", site),
            ))
            .await;
        assert_invalid(created, fields);
    }

    let pages = [
        (
            pb::ListSitesRequest {
                page_size: -1,
                ..Default::default()
            },
            "page_size",
        ),
        (
            pb::ListSitesRequest {
                page_token: "%%%garbage".into(),
                ..Default::default()
            },
            "page_token",
        ),
    ];
    for (request, field) in pages {
        let listed = c
            .clone()
            .list_sites(authed(
                &app.admin,
                pb::ListSitesRequest {
                    parent: "customers/acme".into(),
                    ..request
                },
            ))
            .await;
        assert_invalid(listed, &[field]);
    }
    let bad_name = c
        .clone()
        .get_customer(authed(
            &app.admin,
            pb::GetCustomerRequest {
                name: "acme".into(),
            },
        ))
        .await;
    assert_invalid(bad_name, &["name"]);
    let missing = c
        .clone()
        .get_customer(authed(
            &app.admin,
            pb::GetCustomerRequest {
                name: "customers/nope".into(),
            },
        ))
        .await;
    assert_eq!(code(missing), Code::NotFound);
    let wrong_etag = c
        .clone()
        .delete_customer(authed(
            &app.admin,
            pb::DeleteCustomerRequest {
                name: "customers/acme".into(),
                etag: "999".into(),
            },
        ))
        .await;
    assert_eq!(code(wrong_etag), Code::FailedPrecondition);
    let huge = c
        .clone()
        .list_customers(authed(
            &app.admin,
            pb::ListCustomersRequest {
                page_size: 100_000,
                ..Default::default()
            },
        ))
        .await;
    assert!(huge.is_ok(), "oversized pages are coerced, not refused");

    // None of the refused calls wrote anything.
    let sites = c
        .clone()
        .list_sites(authed(
            &app.admin,
            pb::ListSitesRequest {
                parent: "customers/acme".into(),
                show_deleted: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(sites.sites.is_empty());
    let acme = c
        .clone()
        .get_customer(authed(
            &app.admin,
            pb::GetCustomerRequest {
                name: "customers/acme".into(),
            },
        ))
        .await
        .unwrap();
    assert!(acme.into_inner().delete_time.is_none());
}

both_backends!(malformed_requests_name_their_fields);
