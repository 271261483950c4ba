//! Bad input of every shape: the right code, the field named, nothing written.

use crate::helpers::*;
use crate::requests;
use symbolon_contracts::customers::v1 as pb;
use symbolon_testkit::{Backend, both_backends};
use tonic::Code;

async fn malformed_requests_name_their_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let empty = app.try_call(pb::CreateCustomerRequest::default()).await;
    assert_invalid(
        empty,
        &[
            "customer.display_name",
            "customer.industry",
            "customer.home_country",
        ],
    );
    let bad = app
        .try_call(pb::CreateCustomerRequest {
            customer: Some(pb::Customer {
                display_name: "X".into(),
                industry: 99,
                home_country: "XX".into(),
                ..Default::default()
            }),
            customer_id: "Not Valid!".into(),
            request_id: "not-a-uuid".into(),
        })
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
        let created = app
            .try_call(requests::site("customers/acme", "", site))
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
        let listed = app
            .try_call(pb::ListSitesRequest {
                parent: "customers/acme".into(),
                ..request
            })
            .await;
        assert_invalid(listed, &[field]);
    }
    let bad_name = app
        .try_call(pb::GetCustomerRequest {
            name: "acme".into(),
        })
        .await;
    assert_invalid(bad_name, &["name"]);
    let missing = app
        .try_call(pb::GetCustomerRequest {
            name: "customers/nope".into(),
        })
        .await;
    assert_eq!(code(missing), Code::NotFound);
    let wrong_etag = app
        .try_call(pb::DeleteCustomerRequest {
            name: "customers/acme".into(),
            etag: "999".into(),
        })
        .await;
    assert_eq!(code(wrong_etag), Code::FailedPrecondition);
    let huge = app
        .try_call(pb::ListCustomersRequest {
            page_size: 100_000,
            ..Default::default()
        })
        .await;
    assert!(huge.is_ok(), "oversized pages are coerced, not refused");

    // None of the refused calls wrote anything.
    let sites = app
        .call(pb::ListSitesRequest {
            parent: "customers/acme".into(),
            show_deleted: true,
            ..Default::default()
        })
        .await;
    assert!(sites.sites.is_empty());
    let acme = app
        .call(pb::GetCustomerRequest {
            name: "customers/acme".into(),
        })
        .await;
    assert!(acme.delete_time.is_none());
}

both_backends!(malformed_requests_name_their_fields);
