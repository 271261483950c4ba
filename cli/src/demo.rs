//! Demo data for `symbolon dev --demo`: customers across industries and countries,
//! their sites (real city coordinates from GeoNames, CC BY 4.0), key persons, and
//! touchpoints with varied moods. Every create carries a request id derived from what it
//! creates, so loading twice creates nothing twice.

use std::hash::{Hash, Hasher};
use symbolon_contracts::{
    common::v1::LatLng,
    customers::v1::{self as pb, customers_service_client::CustomersServiceClient},
};
use symbolon_platform::client::authed;
use tonic::{Code, transport::Channel};

struct DemoCustomer {
    id: &'static str,
    name: &'static str,
    industry: pb::Industry,
    country: &'static str,
    sites: &'static [(&'static str, &'static str, f64, f64)],
    people: &'static [(&'static str, &'static str, &'static str, pb::DecisionRole)],
}

const CUSTOMERS: &[DemoCustomer] = &[
    DemoCustomer {
        id: "nordlicht-telecom",
        name: "Nordlicht Telecom",
        industry: pb::Industry::TelecomOperator,
        country: "DE",
        sites: &[
            (
                "frankfurt-core",
                "Frankfurt core data centre",
                50.11552,
                8.68417,
            ),
            (
                "hamburg-noc",
                "Hamburg network operations centre",
                53.55073,
                9.99302,
            ),
            ("munich-edge", "Munich edge site", 48.13743, 11.57549),
        ],
        people: &[
            (
                "anna-weber",
                "Dr. Anna Weber",
                "CTO",
                pb::DecisionRole::DecisionMaker,
            ),
            (
                "jonas-richter",
                "Jonas Richter",
                "Head of Network Operations",
                pb::DecisionRole::Evaluator,
            ),
            (
                "petra-koch",
                "Petra Koch",
                "Head of Procurement",
                pb::DecisionRole::Gatekeeper,
            ),
        ],
    },
    DemoCustomer {
        id: "andes-energia",
        name: "Andes Energía",
        industry: pb::Industry::Energy,
        country: "CL",
        sites: &[
            (
                "santiago-control",
                "Santiago grid control room",
                -33.45694,
                -70.64827,
            ),
            (
                "antofagasta-substation",
                "Antofagasta substation",
                -23.65236,
                -70.3954,
            ),
        ],
        people: &[
            (
                "camila-rojas",
                "Camila Rojas",
                "CIO",
                pb::DecisionRole::DecisionMaker,
            ),
            (
                "diego-munoz",
                "Diego Muñoz",
                "OT Security Lead",
                pb::DecisionRole::Influencer,
            ),
        ],
    },
    DemoCustomer {
        id: "nairobi-digital-services",
        name: "Nairobi County Digital Services",
        industry: pb::Industry::Government,
        country: "KE",
        sites: &[
            (
                "nairobi-gov-cloud",
                "Nairobi government cloud",
                -1.28333,
                36.81667,
            ),
            (
                "mombasa-dr",
                "Mombasa disaster-recovery site",
                -4.05466,
                39.66359,
            ),
        ],
        people: &[
            (
                "wanjiru-kamau",
                "Wanjiru Kamau",
                "Director of ICT",
                pb::DecisionRole::DecisionMaker,
            ),
            (
                "otieno-odhiambo",
                "Otieno Odhiambo",
                "Data Protection Officer",
                pb::DecisionRole::Gatekeeper,
            ),
        ],
    },
    DemoCustomer {
        id: "banco-lusitano",
        name: "Banco Lusitano",
        industry: pb::Industry::Finance,
        country: "PT",
        sites: &[
            (
                "lisbon-dc",
                "Lisbon primary data centre",
                38.71667,
                -9.13333,
            ),
            (
                "porto-dc",
                "Porto secondary data centre",
                41.14961,
                -8.61099,
            ),
        ],
        people: &[
            (
                "ines-carvalho",
                "Inês Carvalho",
                "CTO",
                pb::DecisionRole::DecisionMaker,
            ),
            (
                "rui-almeida",
                "Rui Almeida",
                "Infrastructure Architect",
                pb::DecisionRole::Champion,
            ),
        ],
    },
    DemoCustomer {
        id: "sakura-precision",
        name: "Sakura Precision Manufacturing",
        industry: pb::Industry::Manufacturing,
        country: "JP",
        sites: &[
            (
                "nagoya-plant",
                "Nagoya production line 3",
                35.18147,
                136.90641,
            ),
            ("osaka-plant", "Osaka assembly plant", 34.69374, 135.50218),
        ],
        people: &[
            (
                "haruto-sato",
                "Haruto Sato",
                "Plant Director",
                pb::DecisionRole::DecisionMaker,
            ),
            (
                "yui-tanaka",
                "Yui Tanaka",
                "Automation Engineer",
                pb::DecisionRole::User,
            ),
        ],
    },
    DemoCustomer {
        id: "gulf-link-mobile",
        name: "Gulf Link Mobile",
        industry: pb::Industry::TelecomOperator,
        country: "AE",
        sites: &[
            ("dubai-core", "Dubai mobile core", 25.07725, 55.30927),
            (
                "abu-dhabi-core",
                "Abu Dhabi mobile core",
                24.45118,
                54.39696,
            ),
        ],
        people: &[
            (
                "omar-haddad",
                "Omar Haddad",
                "CTO",
                pb::DecisionRole::DecisionMaker,
            ),
            (
                "layla-nasser",
                "Layla Nasser",
                "Head of Radio Planning",
                pb::DecisionRole::Evaluator,
            ),
        ],
    },
];

/// (kind, mood, intensity, days ago, summary, anxiety, expectations)
type Moment = (
    pb::TouchpointKind,
    pb::Mood,
    i32,
    i64,
    &'static str,
    &'static str,
    &'static [&'static str],
);

const MOMENTS: &[Moment] = &[
    (
        pb::TouchpointKind::Incident,
        pb::Mood::Anxious,
        5,
        2,
        "Core network outage alarm at 02:40; two provinces lost data service for 38 minutes.",
        "The regulator fines outages over an hour; the board questions the network strategy.",
        &[
            "Spare parts on site before the regulator's one-hour mark",
            "A candid root-cause report, not a sales pitch",
        ],
    ),
    (
        pb::TouchpointKind::InformalConversation,
        pb::Mood::Concerned,
        3,
        9,
        "Coffee after the quarterly review.",
        "Fear of being locked into one vendor while budgets shrink.",
        &[
            "Open interfaces documented before the next tender",
            "Senior engineers who stay on the account",
        ],
    ),
    (
        pb::TouchpointKind::Meeting,
        pb::Mood::Satisfied,
        4,
        20,
        "Joint roadmap workshop.",
        "Needs visible innovation to defend the budget.",
        &["A joint lab result to show the board this quarter"],
    ),
    (
        pb::TouchpointKind::SupportChat,
        pb::Mood::Frustrated,
        3,
        33,
        "Ticket reopened twice for the same alarm.",
        "The operations team is overloaded and losing trust in the tools.",
        &[
            "Fix it once, explain it once",
            "No demand to reproduce the issue again",
        ],
    ),
    (
        pb::TouchpointKind::Order,
        pb::Mood::Delighted,
        4,
        58,
        "Expansion order signed after the pilot.",
        "Growth targets depend on rolling out before the competitor.",
        &["Delivery dates that hold", "Local deployment team"],
    ),
];

fn request_id(parts: &[&str]) -> String {
    let mut a = std::collections::hash_map::DefaultHasher::new();
    let mut b = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut a);
    ("symbolon-demo", parts).hash(&mut b);
    uuid::Uuid::from_u64_pair(a.finish(), b.finish()).to_string()
}

/// Treats "already there" as success: the demo is idempotent.
fn tolerate<T>(r: Result<tonic::Response<T>, tonic::Status>) -> anyhow::Result<()> {
    match r {
        Ok(_) => Ok(()),
        Err(s) if s.code() == Code::AlreadyExists => Ok(()),
        Err(s) => Err(anyhow::anyhow!("demo data: {s:?}")),
    }
}

/// Loads the demo CRM into the customers service at `url`.
pub(crate) async fn load(url: &str, token: &str) -> anyhow::Result<String> {
    let channel = Channel::from_shared(url.to_string())?.connect().await?;
    let mut client = CustomersServiceClient::new(channel);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let (mut sites, mut people, mut touchpoints) = (0, 0, 0);
    for c in CUSTOMERS {
        tolerate(
            client
                .create_customer(authed(
                    token,
                    pb::CreateCustomerRequest {
                        customer: Some(pb::Customer {
                            display_name: c.name.into(),
                            industry: c.industry as i32,
                            home_country: c.country.into(),
                            ..Default::default()
                        }),
                        customer_id: c.id.into(),
                        request_id: request_id(&[c.id]),
                    },
                ))
                .await,
        )?;
        let parent = format!("customers/{}", c.id);
        for (id, name, lat, lng) in c.sites {
            tolerate(
                client
                    .create_site(authed(
                        token,
                        pb::CreateSiteRequest {
                            parent: parent.clone(),
                            site: Some(pb::Site {
                                display_name: (*name).into(),
                                country: c.country.into(),
                                location: Some(LatLng {
                                    latitude: *lat,
                                    longitude: *lng,
                                }),
                                ..Default::default()
                            }),
                            site_id: (*id).into(),
                            request_id: request_id(&[c.id, id]),
                        },
                    ))
                    .await,
            )?;
            sites += 1;
        }
        for (id, name, title, role) in c.people {
            tolerate(
                client
                    .create_key_person(authed(
                        token,
                        pb::CreateKeyPersonRequest {
                            parent: parent.clone(),
                            key_person: Some(pb::KeyPerson {
                                display_name: (*name).into(),
                                title: (*title).into(),
                                decision_role: *role as i32,
                                ..Default::default()
                            }),
                            key_person_id: (*id).into(),
                            request_id: request_id(&[c.id, "person", id]),
                        },
                    ))
                    .await,
            )?;
            people += 1;
        }
        for (i, (kind, mood, intensity, days_ago, summary, anxiety, expectations)) in
            MOMENTS.iter().enumerate()
        {
            let person = c.people[i % c.people.len()].0;
            tolerate(
                client
                    .record_touchpoint(authed(
                        token,
                        pb::RecordTouchpointRequest {
                            parent: parent.clone(),
                            touchpoint: Some(pb::Touchpoint {
                                kind: *kind as i32,
                                key_person: format!("{parent}/keyPersons/{person}"),
                                occur_time: Some(prost_types::Timestamp {
                                    seconds: now - days_ago * 86_400,
                                    nanos: 0,
                                }),
                                summary: (*summary).into(),
                                emotional_state: Some(pb::EmotionalState {
                                    mood: *mood as i32,
                                    intensity: *intensity,
                                }),
                                strategic_anxiety: (*anxiety).into(),
                                implicit_expectations: expectations
                                    .iter()
                                    .map(|e| e.to_string())
                                    .collect(),
                                ..Default::default()
                            }),
                            request_id: request_id(&[c.id, "touchpoint", &i.to_string()]),
                        },
                    ))
                    .await,
            )?;
            touchpoints += 1;
        }
    }
    Ok(format!(
        "{} customers, {sites} sites, {people} key persons, {touchpoints} touchpoints",
        CUSTOMERS.len()
    ))
}
