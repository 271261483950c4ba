//! Standard methods: create (idempotent), get, keyset pages with filters, update with
//! mask and etag, soft delete and undelete.

use crate::helpers::*;
use prost_types::FieldMask;
use symbolon_contracts::customers::v1 as pb;
use symbolon_testkit::{Backend, both_backends};
use tonic::Code;

async fn create_is_idempotent_by_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let request = || pb::CreateCustomerRequest {
        customer: Some(pb::Customer {
            display_name: "Nordlicht Telecom".into(),
            industry: pb::Industry::TelecomOperator as i32,
            home_country: "de".into(),
            ..Default::default()
        }),
        customer_id: String::new(),
        request_id: "5b0ad5a4-4c45-4bb4-9d8f-2c3fb0a8f6a1".into(),
    };
    let first = app.call(request()).await;
    let retry = app.call(request()).await;
    assert_eq!(first.name, retry.name, "a retry returns the first result");
    assert_eq!(first.home_country, "DE");
    let all = app.call(pb::ListCustomersRequest::default()).await;
    assert_eq!(all.customers.len(), 1, "nothing was created twice");
    // A chosen id that exists already is ALREADY_EXISTS.
    app.customer("acme", pb::Industry::Energy, "FR").await;
    let again = app
        .try_call(pb::CreateCustomerRequest {
            customer_id: "acme".into(),
            request_id: String::new(),
            ..request()
        })
        .await;
    assert_eq!(code(again), Code::AlreadyExists);
}

async fn pages_walk_every_row_once_with_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    for i in 0..7 {
        let (industry, country) = if i % 2 == 0 {
            (pb::Industry::Energy, "NA")
        } else {
            (pb::Industry::Finance, "PT")
        };
        app.customer(&format!("c-{i}"), industry, country).await;
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = app
            .call(pb::ListCustomersRequest {
                page_size: 2,
                page_token: token.clone(),
                ..Default::default()
            })
            .await;
        pages += 1;
        assert!(page.customers.len() <= 2);
        seen.extend(page.customers.into_iter().map(|c| c.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 4);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 7, "every customer exactly once: {seen:?}");

    let energy_in_namibia = app
        .call(pb::ListCustomersRequest {
            filter: r#"industry = ENERGY AND home_country = "NA""#.into(),
            ..Default::default()
        })
        .await;
    assert_eq!(energy_in_namibia.customers.len(), 4);
    assert!(
        energy_in_namibia
            .customers
            .iter()
            .all(|c| c.industry == pb::Industry::Energy as i32)
    );

    // A token is bound to its query.
    let first = app
        .call(pb::ListCustomersRequest {
            page_size: 1,
            ..Default::default()
        })
        .await;
    let reused = app
        .try_call(pb::ListCustomersRequest {
            page_size: 1,
            page_token: first.next_page_token,
            filter: "industry = FINANCE".into(),
            ..Default::default()
        })
        .await;
    assert_invalid(reused, &["page_token"]);
}

async fn update_honours_mask_and_etag(backend: Backend) {
    let app = spawn_app(backend).await;
    let c = app.customer("acme", pb::Industry::Energy, "FR").await;
    let updated = app
        .call(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer {
                name: c.name.clone(),
                display_name: "ACME Énergie".into(),
                home_country: "ZZ".into(), // not in the mask: ignored, so not validated
                etag: c.etag.clone(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["display_name".into()],
            }),
        })
        .await;
    assert_eq!(updated.display_name, "ACME Énergie");
    assert_eq!(updated.home_country, "FR");
    assert_ne!(updated.etag, c.etag);

    // The old etag is stale: FAILED_PRECONDITION, and nothing is overwritten.
    let stale = app
        .try_call(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer {
                name: c.name.clone(),
                display_name: "Lost write".into(),
                etag: c.etag.clone(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["display_name".into()],
            }),
        })
        .await;
    assert_eq!(code(stale), Code::FailedPrecondition);
    let now = app
        .call(pb::GetCustomerRequest {
            name: c.name.clone(),
        })
        .await;
    assert_eq!(now.display_name, "ACME Énergie");

    let bad_path = app
        .try_call(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer {
                name: c.name.clone(),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["create_time".into()],
            }),
        })
        .await;
    assert_invalid(bad_path, &["update_mask.paths"]);
}

async fn soft_delete_hides_and_undelete_restores(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", pb::Industry::Energy, "FR").await;
    let site = app.site("acme", "plant-1").await;
    let deleted = app
        .call(pb::DeleteSiteRequest {
            name: site.name.clone(),
            etag: site.etag.clone(),
        })
        .await;
    assert!(deleted.delete_time.is_some());
    let list = |show_deleted| pb::ListSitesRequest {
        parent: "customers/acme".into(),
        show_deleted,
        ..Default::default()
    };
    let visible = app.call(list(false)).await;
    assert!(visible.sites.is_empty());
    let all = app.call(list(true)).await;
    assert_eq!(all.sites.len(), 1, "nothing is lost");
    let twice = app
        .try_call(pb::DeleteSiteRequest {
            name: site.name.clone(),
            etag: String::new(),
        })
        .await;
    assert_eq!(code(twice), Code::NotFound);
    let restored = app
        .call(pb::UndeleteSiteRequest {
            name: site.name.clone(),
        })
        .await;
    assert!(restored.delete_time.is_none());
    assert_eq!(restored.display_name, site.display_name);
    let again = app
        .try_call(pb::UndeleteSiteRequest { name: site.name })
        .await;
    assert_eq!(code(again), Code::AlreadyExists);
}

async fn key_persons_round_trip(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", pb::Industry::Government, "KE").await;
    let kp = app.key_person("acme", "wanjiru").await;
    assert_eq!(kp.name, "customers/acme/keyPersons/wanjiru");
    let got = app
        .call(pb::GetKeyPersonRequest {
            name: kp.name.clone(),
        })
        .await;
    assert_eq!(got.title, "CTO");
    assert_eq!(got.decision_role, pb::DecisionRole::DecisionMaker as i32);
    let listed = app
        .call(pb::ListKeyPersonsRequest {
            parent: "customers/acme".into(),
            filter: "decision_role = INFLUENCER".into(),
            ..Default::default()
        })
        .await;
    assert!(listed.key_persons.is_empty());
}

both_backends!(
    create_is_idempotent_by_request_id,
    pages_walk_every_row_once_with_filters,
    update_honours_mask_and_etag,
    soft_delete_hides_and_undelete_restores,
    key_persons_round_trip,
);
