//! Every request is held to its fields' input rules before a handler runs (the codec,
//! `symbolon_contracts::hygiene`): NUL and control characters, bidirectional overrides,
//! invisible characters in identifiers, lengths, implausible times. The field named is
//! the one sent, and nothing is written.

use crate::helpers::*;
use crate::requests;
use symbolon_contracts::customers::v1 as pb;
use symbolon_testkit::{Backend, authed, both_backends};
use tonic::Code;

async fn bad_text_and_times_are_refused_and_nothing_is_written(backend: Backend) {
    let app = spawn_app(backend).await;
    let c = app.client();
    let create = |display_name: &str, customer_id: &str| {
        let mut c = c.clone();
        let request = authed(
            &app.admin,
            requests::customer(customer_id, display_name, pb::Industry::Energy, "DE"),
        );
        async move { c.create_customer(request).await }
    };
    assert_invalid(
        create("Acme\0Energy", "acme").await,
        &["customer.display_name"],
    );
    assert_invalid(
        create("Acme\u{202E}ygrenE", "acme").await,
        &["customer.display_name"],
    );
    assert_invalid(
        create("Acme\nEnergy", "acme").await,
        &["customer.display_name"],
    );
    assert_invalid(
        create(&"A".repeat(1025), "acme").await,
        &["customer.display_name"],
    );
    assert_invalid(create("Acme", "ac\u{200B}me").await, &["customer_id"]);
    let missing = c
        .clone()
        .get_customer(authed(
            &app.admin,
            pb::GetCustomerRequest {
                name: "customers/acme".into(),
            },
        ))
        .await;
    assert_eq!(
        code(missing),
        Code::NotFound,
        "a refused create wrote a row"
    );
    // Text that is merely unusual passes.
    let ok = create("Acme Énergie – 北区 👍", "acme").await.unwrap();
    assert_eq!(ok.into_inner().display_name, "Acme Énergie – 北区 👍");

    // A key person's subject is an identifier people read: no bidi, no zero width.
    let person = |subject: &str| {
        let mut c = c.clone();
        let request = authed(
            &app.admin,
            pb::CreateKeyPersonRequest {
                parent: "customers/acme".into(),
                key_person: Some(pb::KeyPerson {
                    display_name: "Anna".into(),
                    subject: subject.into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        async move { c.create_key_person(request).await }
    };
    assert_invalid(person("anna\u{202E}@acme").await, &["key_person.subject"]);
    assert_invalid(person(" anna@acme").await, &["key_person.subject"]);

    // Year 0001 is no detection time; the incidents service refuses it by name.
    let mut incidents =
        symbolon_contracts::customers::v1::incidents_service_client::IncidentsServiceClient::new(
            symbolon_testkit::channel(app.addr).await,
        );
    let ancient = incidents
        .open_incident(authed(
            &app.admin,
            pb::OpenIncidentRequest {
                parent: "customers/acme".into(),
                incident: Some(pb::Incident {
                    summary: "Core router down".into(),
                    detect_time: Some(prost_types::Timestamp {
                        seconds: -62_135_596_800,
                        nanos: 0,
                    }),
                    ..Default::default()
                }),
                request_id: String::new(),
            },
        ))
        .await;
    assert_invalid(ancient, &["incident.detect_time"]);
}

both_backends!(bad_text_and_times_are_refused_and_nothing_is_written);
