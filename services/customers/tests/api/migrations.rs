//! Several replicas starting at once on a fresh database: migrations are applied once
//! (sqlx takes a PostgreSQL advisory lock), every replica starts, and the schema works.
//! Upgrades: rows an earlier release wrote read back the same after its migrations.

use crate::requests;
use prost::Message;
use sqlx::migrate::Migrator;
use symbolon_contracts::customers::v1 as pb;
use symbolon_customers::{Application, CustomersConfig, startup::MIGRATIONS};
use symbolon_testkit::{
    Backend, Keys, TestDb, authed, both_backends, connect, run_sql as run, server_config,
};

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
            requests::customer("gulf", "Gulf Link", pb::Industry::TelecomOperator, "AE"),
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

both_backends!(clauses_stored_as_hex_read_back_the_same_after_the_upgrade);

/// Clauses as the previous release stores them: the `Commitment` message holding only
/// its clauses, encoded, in hex.
fn hex_of(clauses: &[pb::CommitmentClause]) -> String {
    pb::Commitment {
        clauses: clauses.to_vec(),
        ..Default::default()
    }
    .encode_to_vec()
    .iter()
    .map(|b| format!("{b:02x}"))
    .collect()
}

fn clauses(part: &str) -> Vec<pb::CommitmentClause> {
    vec![
        requests::spare_parts(
            vec!["customers/gulf/sites/dubai".into()],
            vec![part.into(), "FAN-2".into()],
            4 * 3600,
        ),
        requests::remote_expert_always(),
    ]
}

/// Inserts commitment `id` as the previous release writes one: hex clauses only.
async fn insert_as_the_previous_release(c: &mut sqlx::AnyConnection, id: &str, hex: &str) {
    run(
        c,
        &format!(
            "INSERT INTO commitments (id, customer_id, display_name, clauses, status, status_reason, \
             risk_accepted, created_by, create_time, update_time, version, last_change) \
             VALUES ('{id}', 'gulf', 'Written as hex', '{hex}', 1, 'created: every site is covered', \
             0, 'someone', 5, 5, 1, 1)"
        ),
    )
    .await;
}

/// Rows whose bytes are missing or differ from their hex text (which the previous
/// release reads).
async fn clauses_out_of_step(c: &mut sqlx::AnyConnection, backend: Backend) -> i64 {
    let bytes_hex = match backend {
        Backend::Postgres => "encode(clauses_bytes, 'hex')",
        Backend::Sqlite => "lower(hex(clauses_bytes))",
    };
    let sql = format!(
        "SELECT count(*) FROM commitments WHERE clauses_bytes IS NULL OR {bytes_hex} <> clauses"
    );
    sqlx::query_scalar(&sql).fetch_one(c).await.unwrap()
}

/// A database the previous release made (migrations up to 0017) holds a commitment
/// with hex clauses; after the upgrade (0018 adds `clauses_bytes`) it reads back the
/// same, and so do the rows the previous release's pods write and rewrite during the
/// rollout.
async fn clauses_stored_as_hex_read_back_the_same_after_the_upgrade(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut c = connect(&db.url).await;
    let all = match backend {
        Backend::Postgres => MIGRATIONS.postgres,
        Backend::Sqlite => MIGRATIONS.sqlite,
    };
    let previous = Migrator {
        migrations: all
            .migrations
            .iter()
            .filter(|m| m.version < 18)
            .cloned()
            .collect::<Vec<_>>()
            .into(),
        ..Migrator::DEFAULT
    };
    previous.run(&mut c).await.unwrap();
    run(
        &mut c,
        "INSERT INTO customers (id, customer_id, display_name, industry, home_country, \
         create_time, update_time) VALUES ('gulf', 'gulf', 'Gulf Link', 1, 'AE', 5, 5)",
    )
    .await;
    insert_as_the_previous_release(&mut c, "before", &hex_of(&clauses("PSU-1"))).await;

    let keys = Keys::new();
    let app = Application::build(CustomersConfig::new(server_config(
        "customers",
        &db.url,
        &keys,
    )))
    .await
    .expect("the upgrade applies 0018");
    let addr = app.local_addr();
    let shutdown = app.shutdown_token();
    tokio::spawn(app.run_until_stopped());
    let client = pb::commitments_service_client::CommitmentsServiceClient::new(
        symbolon_testkit::channel(addr).await,
    );
    let admin = keys.vendor_admin();
    let get = |id: &str| {
        let mut client = client.clone();
        let request = authed(
            &admin,
            pb::GetCommitmentRequest {
                name: format!("customers/gulf/commitments/{id}"),
            },
        );
        async move {
            client
                .get_commitment(request)
                .await
                .unwrap()
                .into_inner()
                .clauses
        }
    };
    assert_eq!(get("before").await, clauses("PSU-1"));

    // The previous release's pods keep writing hex only until the rollout ends.
    insert_as_the_previous_release(&mut c, "during", &hex_of(&clauses("PSU-2"))).await;
    assert_eq!(get("during").await, clauses("PSU-2"));
    run(
        &mut c,
        &format!(
            "UPDATE commitments SET clauses = '{}' WHERE id = 'during'",
            hex_of(&clauses("PSU-3"))
        ),
    )
    .await;
    assert_eq!(get("during").await, clauses("PSU-3"));
    assert_eq!(clauses_out_of_step(&mut c, backend).await, 0);
    shutdown.cancel();
}
