//! Request ids (AIP-155) against the real services, generated from the descriptor set:
//! every method whose request message has a `request_id` field (or, for the live
//! inspection stream, whose first message has one), on SQLite and PostgreSQL. The table
//! below holds one valid request builder per such method; a method of the descriptor
//! set with a `request_id` and no entry fails the test (and so does an entry naming no
//! such method).
//!
//! Asserted for each method, with one request id R (the same R for every method, so
//! each method's first call also shows that ids are scoped to the method):
//! - (a) R with body A is OK and creates one resource (the matching List or Get counts
//!   one more);
//! - (b) R with A again is the same answer, byte for byte, and creates nothing;
//! - (c) R with a body B that differs in one field is INVALID_ARGUMENT with ErrorInfo
//!   reason `REQUEST_ID_REUSED` and one field violation, `request_id`, and creates
//!   nothing;
//! - (d) scoping: R with A sent to another parent (methods with a parent), or by a
//!   caller of another organisation (where one is admitted), creates its own resource
//!   under that scope and never returns the first one.
//!
//! Printed (past the harness's capture): the number of methods and calls per back end.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use prost::Message;
use prost_types::{Duration, FileDescriptorSet, Timestamp};
use std::collections::BTreeSet;
use std::io::Write;
use symbolon_contracts::common::v1::LatLng;
use symbolon_contracts::customers::v1 as cpb;
use symbolon_contracts::labs::v1::{self as lpb, MemberRole};
use symbolon_contracts::quality::v1 as qpb;
use symbolon_contracts::supplychain::v1 as spb;
use symbolon_customers::CustomersConfig;
use symbolon_labs::LabsConfig;
use symbolon_platform::auth::Org;
use symbolon_supplychain::SupplyChainConfig;
use symbolon_testkit::{
    Api, Backend, Keys, Raw, TestDb, at, authed, channel, create_depot_request, create_lab_request,
    server_config, set_stock_request,
};
use tonic::{Code, Status, transport::Channel};
use tonic_types::StatusExt;

/// The one request id of the whole matrix.
const R: &str = "6f0b8c3e-2d7a-4f4e-9a51-3c2b1d0e9f77";

/// Every method with a `request_id`, as `package.Service/Method`.
const METHODS: &[&str] = &[
    "symbolon.customers.v1.CustomersService/CreateCustomer",
    "symbolon.customers.v1.CustomersService/CreateSite",
    "symbolon.customers.v1.CustomersService/CreateKeyPerson",
    "symbolon.customers.v1.CustomersService/RecordTouchpoint",
    "symbolon.customers.v1.IncidentsService/OpenIncident",
    "symbolon.customers.v1.IncidentsService/CallForFire",
    "symbolon.customers.v1.CommitmentsService/CreateCommitment",
    "symbolon.supplychain.v1.SupplyChainService/CreateCountryProfile",
    "symbolon.supplychain.v1.SupplyChainService/CreateScoringModel",
    "symbolon.supplychain.v1.SupplyChainService/CreateDepot",
    "symbolon.supplychain.v1.SupplyChainService/CreateReservation",
    "symbolon.supplychain.v1.SupplyChainService/CreateCoverageRegistration",
    "symbolon.labs.v1.LabsService/CreateLab",
    "symbolon.labs.v1.LabsService/CreateMember",
    "symbolon.labs.v1.LabsService/CreateProposal",
    "symbolon.labs.v1.LabsService/CreateProposalComment",
    "symbolon.labs.v1.LabsService/CreateTestPlan",
    "symbolon.labs.v1.LabsService/CreateTestRun",
    "symbolon.labs.v1.LabsService/AppendLogEntries",
    "symbolon.labs.v1.LabsService/StreamLogEntries",
    "symbolon.labs.v1.LabsService/CreateRelease",
    "symbolon.quality.v1.QualityService/CreateStandard",
    "symbolon.quality.v1.QualityService/InspectConversation",
    "symbolon.quality.v1.QualityService/CreateDispute",
    "symbolon.quality.v1.QualityService/CreateTemplate",
    "symbolon.quality.v1.QualityService/CreateExperiment",
    "symbolon.quality.v1.QualityService/RecordOutcome",
    // Its id rides on the stream's first message (`start`); the request is the whole
    // stream (start, turns, finish), the answer its last message (the report).
    "symbolon.quality.v1.QualityService/InspectLive",
];

/// Which body of a method's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    A,
    B,
}

/// Where a request goes: the first scope, another parent, or the same parent by a
/// caller of another organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    First,
    OtherParent,
    OtherOrg,
}

/// The running suite and what was seeded in it.
struct Suite {
    keys: Keys,
    admin: String,
    cu: Channel,
    labs: Channel,
    sc: Channel,
    /// One open incident per customer (alpha, beta).
    incidents: [String; 2],
    /// One proposal and one test plan per lab (lab1 of alpha, lab2 of beta).
    proposals: [String; 2],
    plans: [String; 2],
    /// Two reports of agent li@vendor, and two experiments.
    reports: [String; 2],
    experiments: [String; 2],
    /// An indicator of the seeded standard, to dispute.
    indicator: String,
    template: String,
}

fn ts(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

fn hours(h: i64) -> Option<Duration> {
    Some(Duration {
        seconds: h * 3600,
        nanos: 0,
    })
}

fn tag(body: Body) -> &'static str {
    match body {
        Body::A => "A",
        Body::B => "B",
    }
}

fn conversation(id: &str) -> qpb::Conversation {
    use qpb::Speaker::{Agent as A, Customer as C};
    let turn = |s: qpb::Speaker, t: i64, text: &str| qpb::Turn {
        speaker: s as i32,
        text: text.into(),
        send_time: ts(1_767_225_600 + t),
    };
    qpb::Conversation {
        conversation_id: id.into(),
        customer: String::new(),
        agent: "li@vendor".into(),
        team: "team-east".into(),
        customer_display_name: "王女士".into(),
        turns: vec![
            turn(C, 0, "在吗?充电器到货就是坏的,我很生气"),
            turn(
                A,
                15,
                "王女士您好,我是小李,非常理解您的心情,给您带来不便非常抱歉",
            ),
            turn(C, 40, "那怎么办?"),
            turn(A, 60, "马上为您安排补发您的订单,无需退回,我会跟进处理"),
            turn(C, 80, "好的"),
            turn(A, 95, "请问还有其他问题吗?祝您生活愉快"),
        ],
    }
}

/// A poor chat by li@vendor: late, no greeting, demands proof (its reports fail
/// `no-unnecessary-proof`, which the agent may dispute).
fn poor_conversation(id: &str) -> qpb::Conversation {
    symbolon_testkit::poor_chat(id, "li@vendor", "", 1_767_225_600)
}

fn template(display_name: &str) -> qpb::Template {
    qpb::Template {
        scenario: "damaged-on-arrival".into(),
        display_name: display_name.into(),
        variants: vec![
            qpb::TemplateVariant {
                id: "plain".into(),
                text: "{customer_name}, we will replace order {order_id}.".into(),
                empathy_phrase: String::new(),
            },
            qpb::TemplateVariant {
                id: "empathic".into(),
                text: "{customer_name}, I understand how you feel: order {order_id} is on its way."
                    .into(),
                empathy_phrase: "I understand how you feel".into(),
            },
        ],
        empathy_phrases: vec!["I understand how you feel".into()],
        ..Default::default()
    }
}

fn append(lab: &str, body: Body) -> lpb::AppendLogEntriesRequest {
    lpb::AppendLogEntriesRequest {
        parent: lab.into(),
        entries: (0..2)
            .map(|i| lpb::LogEntry {
                component: "scheduler".into(),
                message: format!("step {i} of {}", tag(body)),
                ..Default::default()
            })
            .collect(),
        request_id: R.into(),
    }
}

impl Suite {
    fn vendor(&self, subject: &str, roles: &[&str]) -> String {
        self.keys.token(subject, &Org::Vendor, roles)
    }

    fn eng(&self) -> String {
        self.vendor("eng@vendor", &["department:rnd"])
    }

    /// alpha's engineer, a member of lab1.
    fn alpha_engineer(&self) -> String {
        self.keys.token(
            "jonas@alpha",
            &Org::Customer("alpha".into()),
            &["customer-engineer"],
        )
    }

    fn agent(&self) -> String {
        self.vendor("li@vendor", &["frontline"])
    }

    fn channel(&self, method: &str) -> Channel {
        if method.starts_with("symbolon.labs.") {
            self.labs.clone()
        } else if method.starts_with("symbolon.supplychain.") {
            self.sc.clone()
        } else {
            self.cu.clone()
        }
    }

    /// The scopes besides the first that `method` is tried in.
    fn scopes(method: &str) -> &'static [Scope] {
        match name(method) {
            "CreateCustomer"
            | "CreateCountryProfile"
            | "CreateScoringModel"
            | "CreateDepot"
            | "CreateCoverageRegistration"
            | "CreateLab"
            | "CreateStandard"
            | "InspectConversation"
            | "InspectLive"
            | "CreateTemplate"
            | "CreateExperiment" => &[],
            "CreateProposal" | "CreateProposalComment" | "CreateTestPlan" | "CreateTestRun" => {
                &[Scope::OtherParent, Scope::OtherOrg]
            }
            _ => &[Scope::OtherParent],
        }
    }

    /// The caller of `method` in `scope`.
    fn token(&self, method: &str, scope: Scope) -> String {
        if scope == Scope::OtherOrg {
            return self.alpha_engineer();
        }
        match name(method) {
            "CreateProposal"
            | "CreateProposalComment"
            | "CreateTestPlan"
            | "CreateTestRun"
            | "AppendLogEntries"
            | "StreamLogEntries" => self.eng(),
            "CreateRelease" => self.vendor("rm@vendor", &["release-manager"]),
            "CreateDispute" => self.agent(),
            _ => self.admin.clone(),
        }
    }

    /// Index 0 or 1 of the seeded pairs: the other parent is the second.
    fn pick(scope: Scope) -> usize {
        usize::from(scope == Scope::OtherParent)
    }

    /// The encoded request of `method` with `body` in `scope`, its id R.
    fn request(&self, method: &str, body: Body, scope: Scope) -> Vec<u8> {
        let i = Self::pick(scope);
        let customer = ["customers/alpha", "customers/beta"][i];
        let lab = ["labs/lab1", "labs/lab2"][i];
        let depot = ["depots/fra", "depots/muc"][i];
        let t = tag(body);
        let r = R.to_string();
        match name(method) {
            "CreateCustomer" => cpb::CreateCustomerRequest {
                customer: Some(cpb::Customer {
                    display_name: format!("Idempotent {t}"),
                    industry: cpb::Industry::Energy as i32,
                    home_country: "DE".into(),
                    ..Default::default()
                }),
                customer_id: "idem".into(),
                request_id: r,
            }
            .encode_to_vec(),
            "CreateSite" => cpb::CreateSiteRequest {
                parent: customer.into(),
                site: Some(cpb::Site {
                    display_name: format!("Depot site {t}"),
                    country: "DE".into(),
                    location: Some(LatLng {
                        latitude: 50.1,
                        longitude: 8.6,
                    }),
                    ..Default::default()
                }),
                site_id: "idem".into(),
                request_id: r,
            }
            .encode_to_vec(),
            "CreateKeyPerson" => cpb::CreateKeyPersonRequest {
                parent: customer.into(),
                key_person: Some(cpb::KeyPerson {
                    display_name: format!("Person {t}"),
                    title: "COO".into(),
                    decision_role: cpb::DecisionRole::Influencer as i32,
                    ..Default::default()
                }),
                key_person_id: "idem".into(),
                request_id: r,
            }
            .encode_to_vec(),
            "RecordTouchpoint" => cpb::RecordTouchpointRequest {
                parent: customer.into(),
                touchpoint: Some(cpb::Touchpoint {
                    kind: cpb::TouchpointKind::Meeting as i32,
                    key_person: format!("{customer}/keyPersons/anna"),
                    occur_time: ts(1_760_000_000),
                    summary: format!("Review {t}"),
                    emotional_state: Some(cpb::EmotionalState {
                        mood: cpb::Mood::Concerned as i32,
                        intensity: 3,
                    }),
                    strategic_anxiety: "Outages before the audit".into(),
                    implicit_expectations: vec!["Spare parts within the hour".into()],
                    ..Default::default()
                }),
                request_id: r,
            }
            .encode_to_vec(),
            "OpenIncident" => cpb::OpenIncidentRequest {
                parent: customer.into(),
                incident: Some(cpb::Incident {
                    site: format!("{customer}/sites/plant"),
                    severity: cpb::Severity::Major as i32,
                    summary: format!("Line stopped {t}"),
                    detect_time: ts(1_760_000_000),
                    ..Default::default()
                }),
                request_id: r,
            }
            .encode_to_vec(),
            "CallForFire" => cpb::CallForFireRequest {
                parent: self.incidents[i].clone(),
                fire_request: Some(cpb::FireRequest {
                    department: "rnd".into(),
                    ask: format!("Root-cause the crash {t}"),
                    acknowledge_within: Some(Duration {
                        seconds: 600,
                        nanos: 0,
                    }),
                    fulfil_within: hours(1),
                    ..Default::default()
                }),
                request_id: r,
            }
            .encode_to_vec(),
            "CreateCommitment" => cpb::CreateCommitmentRequest {
                parent: customer.into(),
                commitment: Some(cpb::Commitment {
                    display_name: format!("Remote expert {t}"),
                    clauses: vec![cpb::CommitmentClause {
                        kind: Some(cpb::commitment_clause::Kind::RemoteExpert(
                            cpb::RemoteExpertClause {
                                hours_per_day: 24,
                                days_per_week: 7,
                            },
                        )),
                    }],
                    ..Default::default()
                }),
                request_id: r,
                accept_risk: false,
            }
            .encode_to_vec(),
            "CreateCountryProfile" => spb::CreateCountryProfileRequest {
                country_profile: Some(spb::CountryProfile {
                    country: "FR".into(),
                    display_name: format!("France {t}"),
                    ..Default::default()
                }),
                request_id: r,
            }
            .encode_to_vec(),
            "CreateScoringModel" => spb::CreateScoringModelRequest {
                scoring_model: Some(spb::ScoringModel {
                    display_name: format!("Model {t}"),
                    weights: [("political_stability".to_string(), 1.0)].into(),
                    ..Default::default()
                }),
                scoring_model_id: "idem".into(),
                request_id: r,
            }
            .encode_to_vec(),
            "CreateDepot" => spb::CreateDepotRequest {
                request_id: r,
                ..create_depot_request("idem", format!("Depot {t}"), "DE", (50.05, 8.57))
            }
            .encode_to_vec(),
            "CreateReservation" => spb::CreateReservationRequest {
                parent: depot.into(),
                reservation: Some(spb::Reservation {
                    lines: vec![spb::PartQuantity {
                        part_number: "RRU".into(),
                        quantity: if body == Body::A { 1 } else { 2 },
                    }],
                    reference: "customers/alpha/incidents/i-1".into(),
                    ..Default::default()
                }),
                request_id: r,
                site: None,
            }
            .encode_to_vec(),
            "CreateCoverageRegistration" => spb::CreateCoverageRegistrationRequest {
                coverage_registration: Some(spb::CoverageRegistration {
                    site: Some(spb::SiteLocation {
                        location: Some(LatLng {
                            latitude: 50.1,
                            longitude: 8.6,
                        }),
                        country: "DE".into(),
                        site: "Plant".into(),
                    }),
                    part_numbers: vec!["RRU".into()],
                    window: hours(4),
                    reference: format!("customers/alpha/commitments/{t}"),
                    ..Default::default()
                }),
                coverage_registration_id: "idem".into(),
                request_id: r,
            }
            .encode_to_vec(),
            "CreateLab" => lpb::CreateLabRequest {
                request_id: r,
                ..create_lab_request("idem", "customers/alpha", format!("Lab {t}"))
            }
            .encode_to_vec(),
            "CreateMember" => lpb::CreateMemberRequest {
                parent: lab.into(),
                member: Some(lpb::Member {
                    subject: format!("member-{t}@vendor"),
                    roles: vec![MemberRole::Observer as i32],
                    ..Default::default()
                }),
                member_id: "idem".into(),
                request_id: r,
            }
            .encode_to_vec(),
            "CreateProposal" => lpb::CreateProposalRequest {
                parent: lab.into(),
                proposal: Some(lpb::Proposal {
                    title: format!("PDCP timer {t}"),
                    content: "Lower t-Reordering to 40 ms.".into(),
                    ..Default::default()
                }),
                proposal_id: String::new(),
                request_id: r,
            }
            .encode_to_vec(),
            "CreateProposalComment" => lpb::CreateProposalCommentRequest {
                parent: self.proposals[i].clone(),
                comment: Some(lpb::ProposalComment {
                    body: format!("Also cover the rural cluster {t}"),
                    ..Default::default()
                }),
                request_id: r,
            }
            .encode_to_vec(),
            "CreateTestPlan" => lpb::CreateTestPlanRequest {
                parent: lab.into(),
                test_plan: Some(lpb::TestPlan {
                    title: format!("Drive test {t}"),
                    cases: vec![lpb::TestCase {
                        id: "handover".into(),
                        title: "Handover success rate ≥ 99.5 %".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                test_plan_id: String::new(),
                request_id: r,
            }
            .encode_to_vec(),
            "CreateTestRun" => lpb::CreateTestRunRequest {
                parent: self.plans[i].clone(),
                test_run: Some(lpb::TestRun {
                    results: vec![lpb::CaseResult {
                        case_id: "handover".into(),
                        verdict: if body == Body::A {
                            lpb::Verdict::Passed
                        } else {
                            lpb::Verdict::Failed
                        } as i32,
                        evidence_sha256: vec!["0f".repeat(32)],
                        note: String::new(),
                    }],
                    ..Default::default()
                }),
                request_id: r,
            }
            .encode_to_vec(),
            // The same bodies on both methods: their ids are scoped apart.
            "AppendLogEntries" | "StreamLogEntries" => append(lab, body).encode_to_vec(),
            "CreateRelease" => lpb::CreateReleaseRequest {
                parent: lab.into(),
                release: Some(lpb::Release {
                    version: "24.3.1".into(),
                    artifacts: vec![lpb::Artifact {
                        name: "gnb-stack-24.3.1.tar.zst".into(),
                        sha256: "3a".repeat(32),
                    }],
                    notes: format!("Scheduler fairness fix {t}"),
                    required_signer_roles: vec![
                        MemberRole::VendorReleaseManager as i32,
                        MemberRole::CustomerExecutive as i32,
                    ],
                    ..Default::default()
                }),
                release_id: "idem".into(),
                request_id: r,
            }
            .encode_to_vec(),
            "CreateStandard" => qpb::CreateStandardRequest {
                standard: Some(qpb::Standard {
                    display_name: format!("Support {t}"),
                    ..symbolon_quality::default_standard()
                }),
                standard_id: "idem".into(),
                request_id: r,
            }
            .encode_to_vec(),
            "InspectConversation" => qpb::InspectConversationRequest {
                standard: "standards/support".into(),
                conversation: Some(conversation(&format!("idem-{t}"))),
                request_id: r,
                validate_only: false,
            }
            .encode_to_vec(),
            "CreateDispute" => qpb::CreateDisputeRequest {
                parent: self.reports[i].clone(),
                dispute: Some(qpb::Dispute {
                    indicator_id: self.indicator.clone(),
                    reason: format!("the customer asked for it {t}"),
                    ..Default::default()
                }),
                request_id: r,
            }
            .encode_to_vec(),
            "CreateTemplate" => qpb::CreateTemplateRequest {
                template: Some(template(&format!("Damaged {t}"))),
                template_id: "idem".into(),
                request_id: r,
            }
            .encode_to_vec(),
            // B names another experiment id: nothing may be created under it.
            "CreateExperiment" => qpb::CreateExperimentRequest {
                experiment: Some(qpb::Experiment {
                    template: self.template.clone(),
                    primary_metric: qpb::Metric::QaScore as i32,
                    min_samples: 10,
                    ..Default::default()
                }),
                experiment_id: if body == Body::A { "idem" } else { "idem-b" }.into(),
                request_id: r,
            }
            .encode_to_vec(),
            "RecordOutcome" => qpb::RecordOutcomeRequest {
                experiment: self.experiments[i].clone(),
                outcome: Some(qpb::Outcome {
                    conversation_id: format!("idem-{t}"),
                    customer_key: "customers/c1".into(),
                    qa_score: Some(3.0),
                    ..Default::default()
                }),
                request_id: r,
            }
            .encode_to_vec(),
            // The stream's messages, each length-prefixed (see `live_messages`).
            "InspectLive" => {
                let mut header = conversation(&format!("live-{}", i));
                let turns = std::mem::take(&mut header.turns);
                let mut out = Vec::new();
                let mut put = |m: qpb::InspectLiveRequest| {
                    m.encode_length_delimited(&mut out).unwrap();
                };
                put(qpb::InspectLiveRequest {
                    event: Some(qpb::inspect_live_request::Event::Start(qpb::LiveStart {
                        standard: "standards/support".into(),
                        conversation: Some(header),
                        request_id: r,
                    })),
                });
                for (k, mut turn) in turns.into_iter().enumerate() {
                    // B: the customer's last word differs.
                    if body == Body::B && k == 4 {
                        turn.text = "谢谢".into();
                    }
                    put(qpb::InspectLiveRequest {
                        event: Some(qpb::inspect_live_request::Event::Turn(turn)),
                    });
                }
                put(qpb::InspectLiveRequest {
                    event: Some(qpb::inspect_live_request::Event::Finish(qpb::LiveFinish {})),
                });
                out
            }
            other => panic!("no request builder for {other}"),
        }
    }

    /// How many resources of `method`'s kind exist in `scope`, as the matching List
    /// (or Get) answers the admin.
    async fn count(&self, method: &str, scope: Scope) -> usize {
        let i = Self::pick(scope);
        let customer = ["customers/alpha", "customers/beta"][i].to_string();
        let lab = ["labs/lab1", "labs/lab2"][i].to_string();
        let (path, request) = match name(method) {
            "CreateCustomer" => (
                "symbolon.customers.v1.CustomersService/ListCustomers",
                cpb::ListCustomersRequest {
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateSite" => (
                "symbolon.customers.v1.CustomersService/ListSites",
                cpb::ListSitesRequest {
                    parent: customer,
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateKeyPerson" => (
                "symbolon.customers.v1.CustomersService/ListKeyPersons",
                cpb::ListKeyPersonsRequest {
                    parent: customer,
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "RecordTouchpoint" => (
                "symbolon.customers.v1.CustomersService/ListTouchpoints",
                cpb::ListTouchpointsRequest {
                    parent: customer,
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "OpenIncident" => (
                "symbolon.customers.v1.IncidentsService/ListIncidents",
                cpb::ListIncidentsRequest {
                    parent: customer,
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CallForFire" => (
                "symbolon.customers.v1.IncidentsService/ListFireRequests",
                cpb::ListFireRequestsRequest {
                    parent: self.incidents[i].clone(),
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateCommitment" => (
                "symbolon.customers.v1.CommitmentsService/ListCommitments",
                cpb::ListCommitmentsRequest {
                    parent: customer,
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateCountryProfile" => (
                "symbolon.supplychain.v1.SupplyChainService/ListCountryProfiles",
                spb::ListCountryProfilesRequest {
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateScoringModel" => (
                "symbolon.supplychain.v1.SupplyChainService/ListScoringModels",
                spb::ListScoringModelsRequest {
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateDepot" => (
                "symbolon.supplychain.v1.SupplyChainService/ListDepots",
                spb::ListDepotsRequest {
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateReservation" => (
                "symbolon.supplychain.v1.SupplyChainService/ListReservations",
                spb::ListReservationsRequest {
                    parent: ["depots/fra", "depots/muc"][i].into(),
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateCoverageRegistration" => (
                "symbolon.supplychain.v1.SupplyChainService/ListCoverageRegistrations",
                spb::ListCoverageRegistrationsRequest {
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateLab" => (
                "symbolon.labs.v1.LabsService/ListLabs",
                lpb::ListLabsRequest {
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateMember" => (
                "symbolon.labs.v1.LabsService/ListMembers",
                lpb::ListMembersRequest {
                    parent: lab,
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateProposal" => (
                "symbolon.labs.v1.LabsService/ListProposals",
                lpb::ListProposalsRequest {
                    parent: lab,
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateProposalComment" => (
                "symbolon.labs.v1.LabsService/ListProposalComments",
                lpb::ListProposalCommentsRequest {
                    parent: self.proposals[i].clone(),
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateTestPlan" => (
                "symbolon.labs.v1.LabsService/ListTestPlans",
                lpb::ListTestPlansRequest {
                    parent: lab,
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateTestRun" => (
                "symbolon.labs.v1.LabsService/ListTestRuns",
                lpb::ListTestRunsRequest {
                    parent: self.plans[i].clone(),
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "AppendLogEntries" | "StreamLogEntries" => (
                "symbolon.labs.v1.LabsService/ListLogEntries",
                lpb::ListLogEntriesRequest {
                    parent: lab,
                    page_size: 1000,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateRelease" => (
                "symbolon.labs.v1.LabsService/ListReleases",
                lpb::ListReleasesRequest {
                    parent: lab,
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateStandard" => (
                "symbolon.quality.v1.QualityService/ListStandards",
                qpb::ListStandardsRequest {
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "InspectConversation" | "InspectLive" => (
                "symbolon.quality.v1.QualityService/ListReports",
                qpb::ListReportsRequest {
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateDispute" => (
                "symbolon.quality.v1.QualityService/ListDisputes",
                qpb::ListDisputesRequest {
                    parent: self.reports[i].clone(),
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            "CreateTemplate" => (
                "symbolon.quality.v1.QualityService/ListTemplates",
                qpb::ListTemplatesRequest {
                    page_size: 100,
                    ..Default::default()
                }
                .encode_to_vec(),
            ),
            // No list: the experiments of A's and B's ids that Get finds.
            "CreateExperiment" => {
                let mut n = 0;
                for id in ["experiments/idem", "experiments/idem-b"] {
                    let got = unary(
                        self.cu.clone(),
                        "symbolon.quality.v1.QualityService/GetExperiment",
                        qpb::GetExperimentRequest { name: id.into() }.encode_to_vec(),
                        &self.admin,
                    )
                    .await;
                    match got {
                        Ok(_) => n += 1,
                        Err(s) if s.code() == Code::NotFound => {}
                        Err(s) => panic!("GetExperiment {id}: {s:?}"),
                    }
                }
                return n;
            }
            // No list: the samples the experiment's results count.
            "RecordOutcome" => {
                let got = unary(
                    self.cu.clone(),
                    "symbolon.quality.v1.QualityService/GetExperimentResults",
                    qpb::GetExperimentResultsRequest {
                        name: self.experiments[i].clone(),
                    }
                    .encode_to_vec(),
                    &self.admin,
                )
                .await
                .expect("experiment results");
                let results = qpb::ExperimentResults::decode(got.as_slice()).unwrap();
                return results.qa_score.iter().map(|s| s.samples as usize).sum();
            }
            other => panic!("no count for {other}"),
        };
        let answer = unary(self.channel(path), path, request, &self.admin)
            .await
            .unwrap_or_else(|s| panic!("{path}: {s:?}"));
        repeated_field_1(&answer)
    }

    /// Sends `method`'s request with `body` in `scope`: the answer's bytes.
    async fn send(&self, method: &str, body: Body, scope: Scope) -> Result<Vec<u8>, Status> {
        let request = self.request(method, body, scope);
        let token = self.token(method, scope);
        if name(method) == "StreamLogEntries" {
            let mut grpc = tonic::client::Grpc::new(self.labs.clone());
            grpc.ready()
                .await
                .map_err(|e| Status::unavailable(e.to_string()))?;
            let path = format!("/{method}").parse().unwrap();
            return grpc
                .client_streaming(authed(&token, tokio_stream::once(request)), path, Raw)
                .await
                .map(tonic::Response::into_inner);
        }
        if name(method) == "InspectLive" {
            let mut messages = Vec::new();
            let mut rest = request.as_slice();
            while !rest.is_empty() {
                let len = prost::encoding::decode_varint(&mut rest).unwrap() as usize;
                messages.push(rest[..len].to_vec());
                rest = &rest[len..];
            }
            let mut grpc = tonic::client::Grpc::new(self.cu.clone());
            grpc.ready()
                .await
                .map_err(|e| Status::unavailable(e.to_string()))?;
            let path = format!("/{method}").parse().unwrap();
            let mut answers = grpc
                .streaming(authed(&token, tokio_stream::iter(messages)), path, Raw)
                .await?
                .into_inner();
            // Hints, then the report: the answer is the last message.
            let mut last = Vec::new();
            while let Some(m) = answers.message().await? {
                last = m;
            }
            return Ok(last);
        }
        unary(self.channel(method), method, request, &token).await
    }
}

fn name(method: &str) -> &str {
    method.rsplit('/').next().unwrap_or(method)
}

/// A unary call of `method` (`package.Service/Method`) with an encoded request.
async fn unary(
    ch: Channel,
    method: &str,
    request: Vec<u8>,
    token: &str,
) -> Result<Vec<u8>, Status> {
    let mut grpc = tonic::client::Grpc::new(ch);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let path = format!("/{method}").parse().unwrap();
    grpc.unary(authed(token, request), path, Raw)
        .await
        .map(tonic::Response::into_inner)
}

/// How many times field 1 (length-delimited) occurs at the top of a message: the rows
/// of a List answer.
fn repeated_field_1(mut bytes: &[u8]) -> usize {
    use prost::encoding::{DecodeContext, WireType, decode_key, skip_field};
    let mut n = 0;
    while !bytes.is_empty() {
        let (field, wire) = decode_key(&mut bytes).expect("a key");
        if field == 1 && wire == WireType::LengthDelimited {
            n += 1;
        }
        skip_field(wire, field, &mut bytes, DecodeContext::default()).expect("a field");
    }
    n
}

/// The string in field 1 of an answer (a resource's name), if any.
fn field_1_string(mut bytes: &[u8]) -> Option<String> {
    use prost::encoding::{DecodeContext, WireType, decode_key, skip_field};
    while !bytes.is_empty() {
        let (field, wire) = decode_key(&mut bytes).ok()?;
        if field == 1 && wire == WireType::LengthDelimited {
            let mut s = String::new();
            prost::encoding::string::merge(wire, &mut s, &mut bytes, DecodeContext::default())
                .ok()?;
            return Some(s);
        }
        skip_field(wire, field, &mut bytes, DecodeContext::default()).ok()?;
    }
    None
}

/// The methods of the descriptor set whose request has a `request_id` field (`direct`)
/// or holds one in a message field (`nested`).
fn methods_with_request_ids() -> (BTreeSet<String>, BTreeSet<String>) {
    let fds = FileDescriptorSet::decode(symbolon_contracts::FILE_DESCRIPTOR_SET).unwrap();
    let messages: std::collections::HashMap<String, &prost_types::DescriptorProto> = fds
        .file
        .iter()
        .flat_map(|f| {
            f.message_type
                .iter()
                .map(move |m| (format!(".{}.{}", f.package(), m.name()), m))
        })
        .collect();
    let has_id =
        |m: &prost_types::DescriptorProto| m.field.iter().any(|f| f.name() == "request_id");
    let (mut direct, mut nested) = (BTreeSet::new(), BTreeSet::new());
    for file in &fds.file {
        let package = file.package();
        if !package.starts_with("symbolon.") || package == "symbolon.bench.v1" {
            continue;
        }
        for service in &file.service {
            for method in &service.method {
                let Some(input) = messages.get(method.input_type()) else {
                    continue;
                };
                let path = format!("{package}.{}/{}", service.name(), method.name());
                if has_id(input) {
                    direct.insert(path);
                } else if input
                    .field
                    .iter()
                    .any(|f| messages.get(f.type_name()).is_some_and(|m| has_id(m)))
                {
                    nested.insert(path);
                }
            }
        }
    }
    (direct, nested)
}

#[test]
fn every_method_with_a_request_id_has_an_entry() {
    let (direct, nested) = methods_with_request_ids();
    let table: BTreeSet<String> = METHODS.iter().map(|m| m.to_string()).collect();
    let all: BTreeSet<String> = direct.union(&nested).cloned().collect();
    let missing: Vec<_> = all.difference(&table).collect();
    let stale: Vec<_> = table.difference(&all).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "methods with a request_id and no entry: {missing:?}; entries of no such method: {stale:?}"
    );
    assert_eq!(
        nested.iter().collect::<Vec<_>>(),
        ["symbolon.quality.v1.QualityService/InspectLive"],
        "request ids nested in a request message (a stream's first)"
    );
    assert!(direct.len() >= 27, "{direct:?}");
}

/// Stops one service.
type Stop = Box<dyn FnOnce() + Send>;

/// Starts supply chain, customers (with quality) and labs on `backend`; seeds two of
/// every parent.
async fn suite(backend: Backend) -> (Suite, Vec<Stop>, Vec<TestDb>) {
    let keys = Keys::new();
    let dbs = vec![
        TestDb::new(backend).await,
        TestDb::new(backend).await,
        TestDb::new(backend).await,
    ];
    let sc = symbolon_supplychain::Application::build(SupplyChainConfig::with_server(
        server_config("supplychain", &dbs[0].url, &keys),
    ))
    .await
    .expect("supply chain");
    let sc_addr = sc.local_addr();
    let stop = sc.shutdown_token();
    let mut stops: Vec<Stop> = vec![Box::new(move || stop.cancel())];
    tokio::spawn(sc.run_until_stopped());
    let cu = symbolon_customers::Application::build(
        CustomersConfig::new(server_config("customers", &dbs[1].url, &keys))
            .with_supplychain(format!("http://{sc_addr}"), None),
    )
    .await
    .expect("customers");
    let cu_addr = cu.local_addr();
    let stop = cu.shutdown_token();
    stops.push(Box::new(move || stop.cancel()));
    tokio::spawn(cu.run_until_stopped());
    let labs = symbolon_labs::Application::build(LabsConfig::new(
        server_config("labs", &dbs[2].url, &keys),
        format!("http://{cu_addr}"),
    ))
    .await
    .expect("labs");
    let labs_addr = labs.local_addr();
    let stop = labs.shutdown_token();
    stops.push(Box::new(move || stop.cancel()));
    tokio::spawn(labs.run_until_stopped());
    let admin = keys.vendor_admin();
    let mut s = Suite {
        keys,
        admin,
        cu: channel(cu_addr).await,
        labs: channel(labs_addr).await,
        sc: channel(sc_addr).await,
        incidents: Default::default(),
        proposals: Default::default(),
        plans: Default::default(),
        reports: Default::default(),
        experiments: Default::default(),
        indicator: String::new(),
        template: String::new(),
    };
    seed(&mut s).await;
    (s, stops, dbs)
}

async fn seed(s: &mut Suite) {
    let admin = s.admin.clone();
    // The channels are cloned out of the suite, which the seed fills in as it goes.
    let (cu_channel, labs_channel, sc_channel) = (s.cu.clone(), s.labs.clone(), s.sc.clone());
    let cu = at(&cu_channel, &admin);
    let labs = at(&labs_channel, &admin);
    let sc = at(&sc_channel, &admin);
    for (i, c) in ["alpha", "beta"].into_iter().enumerate() {
        let people = ["anna", "jonas"].map(|id| (id, id, format!("{id}@{c}")));
        symbolon_testkit::seed_tenant(&cu, c, &people).await;
        let parent = format!("customers/{c}");
        s.incidents[i] = cu
            .call(cpb::OpenIncidentRequest {
                parent: parent.clone(),
                incident: Some(cpb::Incident {
                    site: format!("{parent}/sites/plant"),
                    severity: cpb::Severity::Major as i32,
                    summary: "Seeded outage".into(),
                    detect_time: ts(1_760_000_000),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .name;

        // Labs: lab1 of alpha, lab2 of beta; engineer, release manager and the
        // customer's engineer are members; a proposal and a test plan each.
        let lab = format!("labs/lab{}", i + 1);
        labs.call(create_lab_request(
            format!("lab{}", i + 1),
            &parent,
            format!("Lab of {c}"),
        ))
        .await;
        for (id, subject, key_person, role) in [
            ("eng", "eng@vendor", "", MemberRole::VendorEngineer),
            ("rm", "rm@vendor", "", MemberRole::VendorReleaseManager),
            (
                "jonas",
                "",
                &*format!("{parent}/keyPersons/jonas"),
                MemberRole::CustomerEngineer,
            ),
        ] {
            labs.call(lpb::CreateMemberRequest {
                parent: lab.clone(),
                member: Some(lpb::Member {
                    subject: subject.into(),
                    key_person: key_person.into(),
                    roles: vec![role as i32],
                    ..Default::default()
                }),
                member_id: id.into(),
                request_id: String::new(),
            })
            .await;
        }
        s.proposals[i] = labs
            .by(&s.eng())
            .call(lpb::CreateProposalRequest {
                parent: lab.clone(),
                proposal: Some(lpb::Proposal {
                    title: "Seeded".into(),
                    content: "Seeded proposal.".into(),
                    ..Default::default()
                }),
                proposal_id: "p1".into(),
                request_id: String::new(),
            })
            .await
            .name;
        s.plans[i] = labs
            .by(&s.eng())
            .call(lpb::CreateTestPlanRequest {
                parent: lab.clone(),
                test_plan: Some(lpb::TestPlan {
                    title: "Seeded plan".into(),
                    cases: vec![lpb::TestCase {
                        id: "handover".into(),
                        title: "Handover".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                test_plan_id: "t1".into(),
                request_id: String::new(),
            })
            .await
            .name;
    }

    // Supply chain: two depots with stock.
    for (id, lat, lng) in [("fra", 50.05, 8.57), ("muc", 48.14, 11.58)] {
        sc.call(create_depot_request(id, id, "DE", (lat, lng)))
            .await;
        sc.call(set_stock_request(
            format!("depots/{id}/stockLevels/RRU"),
            10,
        ))
        .await;
    }

    // Quality: a standard, two reports of li@vendor, a template, two experiments.
    cu.call(qpb::CreateStandardRequest {
        standard: Some(symbolon_quality::default_standard()),
        standard_id: "support".into(),
        request_id: String::new(),
    })
    .await;
    for i in 0..2 {
        let report = cu
            .call(qpb::InspectConversationRequest {
                standard: "standards/support".into(),
                conversation: Some(poor_conversation(&format!("seed-{i}"))),
                request_id: String::new(),
                validate_only: false,
            })
            .await;
        s.reports[i] = report.name;
        s.indicator = "no-unnecessary-proof".into();
    }
    s.template = cu
        .call(qpb::CreateTemplateRequest {
            template: Some(template("Seeded")),
            template_id: "seeded".into(),
            request_id: String::new(),
        })
        .await
        .name;
    for i in 0..2 {
        s.experiments[i] = cu
            .call(qpb::CreateExperimentRequest {
                experiment: Some(qpb::Experiment {
                    template: s.template.clone(),
                    primary_metric: qpb::Metric::QaScore as i32,
                    min_samples: 10,
                    ..Default::default()
                }),
                experiment_id: format!("exp{i}"),
                request_id: String::new(),
            })
            .await
            .name;
    }
}

/// Whether `status` is the refusal of a reused request id.
fn reused(status: &Status) -> bool {
    let fields: Vec<String> = status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default();
    status.code() == Code::InvalidArgument
        && fields == ["request_id"]
        && status
            .get_details_error_info()
            .is_some_and(|i| i.reason == "REQUEST_ID_REUSED")
}

async fn matrix(backend: Backend) {
    let (s, stops, _dbs) = suite(backend).await;
    let mut failures = Vec::new();
    let mut calls = 0usize;
    for &method in METHODS {
        let mut fail = |what: String| failures.push(format!("{method}: {what}"));
        let before = s.count(method, Scope::First).await;
        // (a) R with A.
        calls += 1;
        let first = match s.send(method, Body::A, Scope::First).await {
            Ok(b) => b,
            Err(e) => {
                fail(format!("(a) R with A: {e:?}"));
                continue;
            }
        };
        let made = s.count(method, Scope::First).await;
        if made <= before {
            fail(format!("(a) created nothing ({before} → {made})"));
        }
        // (b) R with A again: the same answer, nothing more.
        calls += 1;
        match s.send(method, Body::A, Scope::First).await {
            Ok(again) if again == first => {}
            Ok(again) => fail(format!(
                "(b) the replay differs: {:?} vs {:?}",
                field_1_string(&again),
                field_1_string(&first)
            )),
            Err(e) => fail(format!("(b) the replay failed: {e:?}")),
        }
        let after = s.count(method, Scope::First).await;
        if after != made {
            fail(format!("(b) the replay created ({made} → {after})"));
        }
        // (c) R with B: refused, nothing made.
        calls += 1;
        match s.send(method, Body::B, Scope::First).await {
            Err(e) if reused(&e) => {}
            other => fail(format!(
                "(c) R with B: {:?}",
                other.map(|b| field_1_string(&b))
            )),
        }
        let after = s.count(method, Scope::First).await;
        if after != made {
            fail(format!("(c) the refused body created ({made} → {after})"));
        }
        // (d) R with A in another scope: its own resource.
        for &scope in Suite::scopes(method) {
            let before = s.count(method, scope).await;
            let first_before = s.count(method, Scope::First).await;
            calls += 1;
            match s.send(method, Body::A, scope).await {
                Ok(other) => {
                    // By the first resource's name where the answer has one (answers
                    // without, such as counts, are checked by the counts below).
                    let first_name = field_1_string(&first)
                        .filter(|n| n.contains('/'))
                        .unwrap_or_default();
                    if !first_name.is_empty()
                        && other
                            .windows(first_name.len())
                            .any(|w| w == first_name.as_bytes())
                    {
                        fail(format!("(d) {scope:?} returned the first result"));
                    }
                }
                Err(e) => fail(format!("(d) {scope:?}: {e:?}")),
            }
            let after = s.count(method, scope).await;
            if after <= before {
                fail(format!(
                    "(d) {scope:?} created nothing ({before} → {after})"
                ));
            }
            if scope == Scope::OtherParent && s.count(method, Scope::First).await != first_before {
                fail(format!("(d) {scope:?} wrote to the first parent"));
            }
        }
    }
    for stop in stops {
        stop();
    }
    // Past the harness's capture, as the fuzzer writes its counts.
    let _ = writeln!(
        std::io::stderr(),
        "request ids, {backend:?}: {} methods, {calls} calls",
        METHODS.len()
    );
    assert!(
        failures.is_empty(),
        "{} request-id rules broken:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_id_is_bound_scoped_and_replayed_on_sqlite() {
    matrix(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_id_is_bound_scoped_and_replayed_on_postgres() {
    matrix(Backend::Postgres).await;
}
