//! `symbolon dev --demo`: the labs demo loads against the real services, twice.

use crate::helpers::*;
use symbolon_contracts::{
    customers::v1::{self as cpb, customers_service_client::CustomersServiceClient},
    labs::v1 as pb,
};
use symbolon_labs::demo::{DEMO_LABS, load_demo};
use symbolon_testkit::{Backend, authed, both_backends};

async fn the_demo_loads_and_is_idempotent(backend: Backend) {
    let w = world(backend).await;
    let customers = symbolon_testkit::channel(
        w.customers_url
            .trim_start_matches("http://")
            .parse()
            .unwrap(),
    )
    .await;
    let mut crm = CustomersServiceClient::new(customers.clone());
    // What the customers demo creates (key persons without a sign-in subject).
    for (customer, exec, engineer) in DEMO_LABS {
        crm.create_customer(authed(
            &w.admin,
            symbolon_testkit::create_customer_request(
                customer,
                *customer,
                cpb::Industry::TelecomOperator,
                "DE",
            ),
        ))
        .await
        .unwrap();
        for kp in [exec, engineer] {
            crm.create_key_person(authed(
                &w.admin,
                cpb::CreateKeyPersonRequest {
                    parent: format!("customers/{customer}"),
                    key_person: Some(cpb::KeyPerson {
                        display_name: kp.to_string(),
                        title: "CTO".into(),
                        decision_role: cpb::DecisionRole::DecisionMaker as i32,
                        ..Default::default()
                    }),
                    key_person_id: kp.to_string(),
                    request_id: String::new(),
                },
            ))
            .await
            .unwrap();
        }
    }
    let summary = load_demo(w.labs_channel.clone(), customers.clone(), w.keys.minter())
        .await
        .unwrap();
    assert_eq!(summary, "6 labs, 1800 log entries, 6 co-signed releases");
    let lab = "labs/nordlicht-telecom-lab";
    let v = w.call(pb::VerifyLogRequest { parent: lab.into() }).await;
    assert!(v.valid && v.entries_checked == 300, "{v:?}");
    let r = w
        .call(pb::GetReleaseRequest {
            name: format!("{lab}/releases/24-3-1"),
        })
        .await;
    assert_eq!(
        (r.state, r.signatures.len()),
        (pb::ReleaseState::Published as i32, 2)
    );
    // Again: nothing new.
    let again = load_demo(w.labs_channel.clone(), customers, w.keys.minter())
        .await
        .unwrap();
    assert_eq!(again, "0 labs, 1800 log entries, 0 co-signed releases");
    let v = w.call(pb::VerifyLogRequest { parent: lab.into() }).await;
    assert_eq!(v.entries_checked, 300);
}

both_backends!(the_demo_loads_and_is_idempotent);
