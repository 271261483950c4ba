//! Requests that seed the records many tests start from: customers, their sites and
//! key persons, depots and their stock. Each scene names only what is particular to it.

use symbolon_contracts::{
    common::v1::LatLng, customers::v1 as pb, labs::v1 as lpb, quality::v1 as qpb,
    supplychain::v1 as spb,
};

/// A request creating customer `id` named `display_name`, without a request id.
pub fn create_customer_request(
    id: &str,
    display_name: impl Into<String>,
    industry: pb::Industry,
    home_country: &str,
) -> pb::CreateCustomerRequest {
    pb::CreateCustomerRequest {
        customer: Some(pb::Customer {
            display_name: display_name.into(),
            industry: industry as i32,
            home_country: home_country.into(),
            ..Default::default()
        }),
        customer_id: id.into(),
        request_id: String::new(),
    }
}

/// A request creating site `id` of `parent` (`customers/{c}`) named `display_name`, in
/// `country` at `(latitude, longitude)`.
pub fn create_site_request(
    parent: impl Into<String>,
    id: &str,
    display_name: &str,
    country: &str,
    (latitude, longitude): (f64, f64),
) -> pb::CreateSiteRequest {
    pb::CreateSiteRequest {
        parent: parent.into(),
        site: Some(pb::Site {
            display_name: display_name.into(),
            country: country.into(),
            location: Some(LatLng {
                latitude,
                longitude,
            }),
            ..Default::default()
        }),
        site_id: id.into(),
        request_id: String::new(),
    }
}

/// A request creating key person `id` of `parent` (`customers/{c}`): a CTO and decision
/// maker named `display_name`, signing in as `subject` (empty for nobody).
pub fn create_key_person_request(
    parent: impl Into<String>,
    id: &str,
    display_name: &str,
    subject: impl Into<String>,
) -> pb::CreateKeyPersonRequest {
    pb::CreateKeyPersonRequest {
        parent: parent.into(),
        key_person: Some(pb::KeyPerson {
            display_name: display_name.into(),
            title: "CTO".into(),
            decision_role: pb::DecisionRole::DecisionMaker as i32,
            subject: subject.into(),
            ..Default::default()
        }),
        key_person_id: id.into(),
        request_id: String::new(),
    }
}

/// A request creating operational depot `id` at `(latitude, longitude)`, preparing a
/// dispatch in 30 minutes.
pub fn create_depot_request(
    id: &str,
    display_name: impl Into<String>,
    country: &str,
    (latitude, longitude): (f64, f64),
) -> spb::CreateDepotRequest {
    spb::CreateDepotRequest {
        depot: Some(spb::Depot {
            display_name: display_name.into(),
            country: country.into(),
            location: Some(LatLng {
                latitude,
                longitude,
            }),
            status: spb::DepotStatus::Operational as i32,
            dispatch_preparation_time: Some(prost_types::Duration {
                seconds: 1800,
                nanos: 0,
            }),
            ..Default::default()
        }),
        depot_id: id.into(),
        request_id: String::new(),
    }
}

/// A request setting stock level `name` (`depots/{d}/stockLevels/{part}`) to `on_hand`.
pub fn set_stock_request(name: impl Into<String>, on_hand: i64) -> spb::SetStockLevelRequest {
    spb::SetStockLevelRequest {
        stock_level: Some(spb::StockLevel {
            name: name.into(),
            on_hand,
            ..Default::default()
        }),
    }
}

/// A request creating lab `id` of `customer` (`customers/{c}`) named `display_name`,
/// without a request id.
pub fn create_lab_request(
    id: impl Into<String>,
    customer: impl Into<String>,
    display_name: impl Into<String>,
) -> lpb::CreateLabRequest {
    lpb::CreateLabRequest {
        lab: Some(lpb::Lab {
            customer: customer.into(),
            display_name: display_name.into(),
            ..Default::default()
        }),
        lab_id: id.into(),
        request_id: String::new(),
    }
}

/// Seeds tenant `customer` through `crm` (the customers service, as its admin): the
/// customer (energy, Germany), its site `plant` near Frankfurt and its key persons
/// `people` (id, display name, subject) — the world the generated matrices run in, once
/// per tenant.
pub async fn seed_tenant(crm: &impl crate::Api, customer: &str, people: &[(&str, &str, String)]) {
    let energy = pb::Industry::Energy;
    crm.call(create_customer_request(
        customer,
        format!("Customer {customer}"),
        energy,
        "DE",
    ))
    .await;
    let parent = format!("customers/{customer}");
    crm.call(create_site_request(
        &parent,
        "plant",
        "Plant",
        "DE",
        (50.1, 8.7),
    ))
    .await;
    for (id, display_name, subject) in people {
        crm.call(create_key_person_request(
            &parent,
            id,
            display_name,
            subject,
        ))
        .await;
    }
}

/// A poor English support chat (late, no greeting, demands proof, never confirms) by
/// `agent`, for `customer` when not empty, its first turn at `start` (Unix seconds).
pub fn poor_chat(id: &str, agent: &str, customer: &str, start: i64) -> qpb::Conversation {
    use qpb::Speaker::{Agent as A, Customer as C};
    let turn = |s: qpb::Speaker, t: i64, text: &str| qpb::Turn {
        speaker: s as i32,
        text: text.into(),
        send_time: Some(prost_types::Timestamp {
            seconds: start + t,
            nanos: 0,
        }),
    };
    qpb::Conversation {
        conversation_id: id.into(),
        customer: customer.into(),
        agent: agent.into(),
        team: "team-east".into(),
        customer_display_name: "Anna".into(),
        turns: vec![
            turn(C, 0, "My charger arrived broken. This is ridiculous!"),
            turn(A, 120, "Order number?"),
            turn(C, 130, "12345"),
            turn(
                A,
                200,
                "Please send proof of purchase and a video evidence of the fault.",
            ),
        ],
    }
}
