//! Two replicas of the customers service on one PostgreSQL database: a warning or an
//! escalation fires exactly once, however many replicas sweep the timers at once.

use crate::requests;
use std::time::Duration;
use symbolon_contracts::customers::v1::{
    self as pb, incidents_service_client::IncidentsServiceClient,
};
use symbolon_customers::{Application, CustomersConfig};
use symbolon_platform::time::Clock;
use symbolon_testkit::{Backend, Keys, TestDb, authed, server_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_fire_once_across_replicas() {
    let db = TestDb::new(Backend::Postgres).await;
    let keys = Keys::new();
    let start = 1_790_000_000_000_000;
    // Each replica has its own clock; the test moves both alike.
    let clocks = [Clock::manual(start), Clock::manual(start)];
    let mut apps = Vec::new();
    for clock in &clocks {
        let mut config = CustomersConfig::new(server_config("customers", &db.url, &keys));
        config.timer_interval = Duration::from_secs(3600);
        apps.push(
            Application::build_with_clock(config, clock.clone())
                .await
                .unwrap(),
        );
    }
    let timers: Vec<_> = apps.iter().map(|a| a.incident_timers()).collect();
    let addr = apps[0].local_addr();
    let shutdown: Vec<_> = apps.iter().map(|a| a.shutdown_token()).collect();
    for app in apps {
        tokio::spawn(app.run_until_stopped());
    }
    let admin = keys.vendor_admin();
    let channel = symbolon_testkit::channel(addr).await;
    pb::customers_service_client::CustomersServiceClient::new(channel.clone())
        .create_customer(authed(
            &admin,
            requests::customer(
                "nordlicht",
                "Nordlicht",
                pb::Industry::TelecomOperator,
                "DE",
            ),
        ))
        .await
        .unwrap();
    let mut incidents = IncidentsServiceClient::new(channel);
    let incident = incidents
        .open_incident(authed(
            &admin,
            requests::open_incident(
                "customers/nordlicht",
                "",
                pb::Severity::Critical,
                "Core outage",
                symbolon_platform::time::to_timestamp(start),
            ),
        ))
        .await
        .unwrap()
        .into_inner();
    let mut requests = Vec::new();
    for department in ["rnd", "legal", "delivery"] {
        requests.push(
            incidents
                .call_for_fire(authed(
                    &admin,
                    requests::call_for_fire(&incident.name, department, "Help", 600, 3600, &[]),
                ))
                .await
                .unwrap(),
        );
    }
    // Past every acknowledgement and fulfilment deadline: 4 timer events per request.
    for clock in &clocks {
        clock.advance(Duration::from_secs(2 * 3600));
    }
    let (a, b) = tokio::join!(
        async {
            let mut n = 0;
            for _ in 0..5 {
                n += timers[0].sweep().await.unwrap();
            }
            n
        },
        async {
            let mut n = 0;
            for _ in 0..5 {
                n += timers[1].sweep().await.unwrap();
            }
            n
        }
    );
    assert_eq!(
        a + b,
        3 * 4,
        "each warning and escalation fired once across both replicas ({a} + {b})"
    );

    let events = crate::helpers::timeline(&mut incidents, &admin, &incident.name).await;
    let timer_events = events.iter().filter(|e| e.actor == "symbolon").count();
    assert_eq!(timer_events, 12);
    assert_eq!(
        events.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        (1..=events.len() as i64).collect::<Vec<_>>(),
        "gap-free"
    );
    for t in shutdown {
        t.cancel();
    }
}
