//! Several replicas starting at once on a fresh database: migrations are applied once
//! (sqlx takes a PostgreSQL advisory lock), every replica starts, and the schema works.

use symbolon_contracts::customers::v1 as pb;
use symbolon_customers::{Application, CustomersConfig};
use symbolon_testkit::{Backend, Keys, TestDb, authed, server_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_together_migrate_once() {
    let db = TestDb::new(Backend::Postgres).await;
    let keys = Keys::new();
    let build = || {
        Application::build(CustomersConfig::new(server_config(
            "customers",
            &db.url,
            &keys,
        )))
    };
    let (a, b, c) = tokio::join!(build(), build(), build());
    let apps = [
        a.expect("replica 1"),
        b.expect("replica 2"),
        c.expect("replica 3"),
    ];
    let addrs: Vec<_> = apps.iter().map(|a| a.local_addr()).collect();
    let tokens: Vec<_> = apps.iter().map(|a| a.shutdown_token()).collect();
    for app in apps {
        tokio::spawn(app.run_until_stopped());
    }
    // A customer written through one replica is read through another.
    let mut first = pb::customers_service_client::CustomersServiceClient::new(
        symbolon_testkit::channel(addrs[0]).await,
    );
    first
        .create_customer(authed(
            &keys.vendor_admin(),
            pb::CreateCustomerRequest {
                customer: Some(pb::Customer {
                    display_name: "Gulf Link".into(),
                    industry: pb::Industry::TelecomOperator as i32,
                    home_country: "AE".into(),
                    ..Default::default()
                }),
                customer_id: "gulf".into(),
                request_id: String::new(),
            },
        ))
        .await
        .unwrap();
    let mut third = pb::customers_service_client::CustomersServiceClient::new(
        symbolon_testkit::channel(addrs[2]).await,
    );
    let got = third
        .get_customer(authed(
            &keys.vendor_admin(),
            pb::GetCustomerRequest {
                name: "customers/gulf".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.home_country, "AE");
    for t in tokens {
        t.cancel();
    }
}
