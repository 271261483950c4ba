//! The tenancy part of the policy matrix, generated from the descriptor set.
//!
//! Two tenants are seeded with one resource of every kind: customers `acme` and `other`
//! (a site, key persons, a touchpoint, an incident with a fire request, a commitment),
//! labs `labs/lab1` (acme's) and `labs/lab2` (other's) with members, a proposal, a test
//! plan and run and a release each, and a quality report of each (acme's conversation by
//! agent ann, other's by agent bob).
//!
//! Every method whose request names a resource (a `name` or `parent` field, a
//! `customer` or `site` field 1, or field 1 a message with a `name`, as updates carry
//! it) is called by each tenant-A caller its rule admits (acme's executive and
//! engineer; for labs also lab1's vendor engineer and release manager, who are no
//! members of lab2; for quality's own records agent ann):
//! - against tenant B's real resource (the matching kind): NOT_FOUND, never
//!   PERMISSION_DENIED and never OK;
//! - against its own resource with the same request: past validation and never
//!   NOT_FOUND, so the refusal above is the tenancy's;
//! - and no answer of a tenant-A call (lists and streams included) carries a row of B.
//!
//! A method naming a resource that no tenant-A caller may call is listed in [`EXEMPT`]
//! with the reason; the test fails on a method neither checked nor exempted, and on an
//! exemption of a method that is checked or names nothing. Lab1's non-members (a person
//! of acme, vendor R&D, vendor frontline with release-manager) get NOT_FOUND from every
//! method on lab1's resources and list none of it. Everything the admin reads of tenant
//! B (every Get and List of a known kind) is the same after tenant A's calls as before.
//! Customers are created and deleted by admins only (a refused create or delete with a
//! valid request changes nothing). Then the rules that are no tenancy: only the
//! incident's frontline owner or an admin calls for fire, and only the fire request's
//! department acknowledges or fulfils it (an admin does not stand in).

use super::*;
use prost::encoding::{WireType, encode_key, encode_varint};
use prost_types::DescriptorProto;
use std::collections::HashMap;
use symbolon_contracts::labs::v1::{self as lpb, MemberRole};
use symbolon_contracts::quality::v1 as qpb;
use symbolon_testkit::create_lab_request;

/// Methods naming a resource that no tenant-A caller may call, and why.
pub(super) const EXEMPT: &[(&str, &str)] = &[
    (
        "symbolon.customers.v1.CustomersService/CreateCustomer",
        ADMINS,
    ),
    ("symbolon.customers.v1.CustomersService/UpdateCustomer", CRM),
    (
        "symbolon.customers.v1.CustomersService/DeleteCustomer",
        ADMINS,
    ),
    (
        "symbolon.customers.v1.CustomersService/UndeleteCustomer",
        ADMINS,
    ),
    (
        "symbolon.customers.v1.CustomersService/RecordTouchpoint",
        CRM,
    ),
    ("symbolon.customers.v1.IncidentsService/OpenIncident", CRM),
    ("symbolon.customers.v1.IncidentsService/CallForFire", OWNER),
    (
        "symbolon.customers.v1.IncidentsService/AcknowledgeFireRequest",
        DEPARTMENT,
    ),
    (
        "symbolon.customers.v1.IncidentsService/FulfilFireRequest",
        DEPARTMENT,
    ),
    (
        "symbolon.customers.v1.IncidentsService/CancelFireRequest",
        CRM,
    ),
    ("symbolon.customers.v1.IncidentsService/CloseIncident", CRM),
    ("symbolon.customers.v1.IncidentsService/CancelIncident", CRM),
    (
        "symbolon.customers.v1.CommitmentsService/CreateCommitment",
        CRM,
    ),
    ("symbolon.labs.v1.LabsService/CreateLab", LAB_ADMINS),
    ("symbolon.labs.v1.LabsService/UpdateLab", LAB_ADMINS),
    ("symbolon.labs.v1.LabsService/DeleteMember", LAB_ADMINS),
    (
        "symbolon.quality.v1.QualityService/CreateStandard",
        VENDOR_ONLY,
    ),
    (
        "symbolon.quality.v1.QualityService/GetStandard",
        VENDOR_ONLY,
    ),
    (
        "symbolon.quality.v1.QualityService/UpdateStandard",
        VENDOR_ONLY,
    ),
    (
        "symbolon.quality.v1.QualityService/GetStandardVersion",
        VENDOR_ONLY,
    ),
    (
        "symbolon.quality.v1.QualityService/ListStandardVersions",
        VENDOR_ONLY,
    ),
    (
        "symbolon.quality.v1.QualityService/ReviewReport",
        VENDOR_ONLY,
    ),
    (
        "symbolon.quality.v1.QualityService/ResolveDispute",
        VENDOR_ONLY,
    ),
    (
        "symbolon.quality.v1.QualityService/CreateTemplate",
        VENDOR_ONLY,
    ),
    (
        "symbolon.quality.v1.QualityService/GetTemplate",
        VENDOR_ONLY,
    ),
    (
        "symbolon.quality.v1.QualityService/RenderTemplate",
        VENDOR_ONLY,
    ),
    (
        "symbolon.quality.v1.QualityService/CreateExperiment",
        VENDOR_ONLY,
    ),
    (
        "symbolon.quality.v1.QualityService/GetExperiment",
        VENDOR_ONLY,
    ),
    (
        "symbolon.quality.v1.QualityService/GetExperimentResults",
        VENDOR_ONLY,
    ),
    // Every method of the supply chain that names a resource: depots, stock,
    // reservations, country profiles, scoring models, coverage registrations.
    ("symbolon.supplychain.v1.SupplyChainService/*", VENDOR_ONLY),
];

const ADMINS: &str = "admins only (PERMISSION_DENIED to everyone else in the role matrix); \
                      admins reach every customer";
const CRM: &str = "vendor staff only (customers are PERMISSION_DENIED in the role matrix), \
                   who reach every customer";
const OWNER: &str = "vendor staff only; the incident-owner rule is checked below";
const DEPARTMENT: &str = "departments only; the fire request's department rule is checked below";
const LAB_ADMINS: &str = "vendor admins only, who reach every lab";
const VENDOR_ONLY: &str = "vendor-internal: no customer role is admitted (PERMISSION_DENIED in \
                           the role matrix) and the vendor's roles reach all of it";

/// Where a request names its target.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// A string field of the request.
    Field(u32),
    /// A string field `name` (the inner number) of a message field (the outer).
    Nested(u32, u32),
}

fn target_of(m: &DescriptorProto, messages: &HashMap<String, &DescriptorProto>) -> Option<Target> {
    use prost_types::field_descriptor_proto::Type;
    let string = |f: &prost_types::FieldDescriptorProto| f.r#type() == Type::String;
    if let Some(f) = m
        .field
        .iter()
        .find(|f| string(f) && matches!(f.name(), "name" | "parent"))
    {
        return Some(Target::Field(f.number() as u32));
    }
    let first = m.field.iter().find(|f| f.number() == 1)?;
    if string(first) && matches!(first.name(), "customer" | "site") {
        return Some(Target::Field(1));
    }
    if first.r#type() == Type::Message {
        let inner = messages.get(first.type_name())?;
        let name = inner
            .field
            .iter()
            .find(|f| string(f) && f.name() == "name")?;
        return Some(Target::Nested(1, name.number() as u32));
    }
    None
}

fn encode_target(t: Target, value: &str) -> Vec<u8> {
    let mut out = Vec::new();
    match t {
        Target::Field(n) => prost::encoding::string::encode(n, &value.to_string(), &mut out),
        Target::Nested(outer, inner) => {
            let mut msg = Vec::new();
            prost::encoding::string::encode(inner, &value.to_string(), &mut msg);
            encode_key(outer, WireType::LengthDelimited, &mut out);
            encode_varint(msg.len() as u64, &mut out);
            out.extend(msg);
        }
    }
    out
}

/// The kind of resource a method's target names (the seeded pair it is tried on).
fn kind_of(method: &str) -> Option<&'static str> {
    Some(match method {
        "GetCustomer" | "CreateSite" | "ListSites" | "CreateKeyPerson" | "ListKeyPersons"
        | "ListTouchpoints" | "ListIncidents" | "ListCommitments" | "GetTrustDashboard" => {
            "customer"
        }
        "GetSite" | "UpdateSite" | "DeleteSite" | "UndeleteSite" | "AssessSiteCoverage" => "site",
        "GetKeyPerson" | "UpdateKeyPerson" | "DeleteKeyPerson" | "UndeleteKeyPerson" => {
            "key person"
        }
        "GetTouchpoint" => "touchpoint",
        "GetIncident" | "ListFireRequests" | "WatchIncident" => "incident",
        "GetCommitment" | "ListCommitmentStatusChanges" => "commitment",
        "GetLab" | "CreateMember" | "ListMembers" | "CreateProposal" | "ListProposals"
        | "CreateTestPlan" | "ListTestPlans" | "AppendLogEntries" | "StreamLogEntries"
        | "WatchLogEntries" | "ListLogEntries" | "VerifyLog" | "ListAccessRecords"
        | "RegisterSignerKey" | "ListSignerKeys" | "CreateRelease" | "ListReleases" => "lab",
        "GetMember" => "member",
        "GetProposal"
        | "ReviseProposal"
        | "ListProposalRevisions"
        | "ApproveProposal"
        | "CreateProposalComment"
        | "ListProposalComments" => "proposal",
        "GetTestPlan" | "CreateTestRun" | "ListTestRuns" => "test plan",
        "GetTestRun" => "test run",
        "GetRelease" | "SignRelease" | "PublishRelease" | "ExportRelease" => "release",
        "GetReport" | "CreateDispute" | "ListDisputes" => "report",
        _ => return None,
    })
}

/// The rest of a valid request (without its target, which is appended: a later
/// occurrence of a field wins), where the target alone would not pass validation.
fn filler(method: &str, own_lab_member: &str) -> Vec<u8> {
    match method {
        "CreateSite" => cpb_site().encode_to_vec(),
        "CreateKeyPerson" => pb::CreateKeyPersonRequest {
            key_person: Some(pb::KeyPerson {
                display_name: "New person".into(),
                title: "COO".into(),
                decision_role: pb::DecisionRole::Influencer as i32,
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec(),
        "UpdateSite" => pb::UpdateSiteRequest {
            site: Some(pb::Site {
                address: "Gate 4".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["address".into()],
            }),
        }
        .encode_to_vec(),
        "UpdateKeyPerson" => pb::UpdateKeyPersonRequest {
            key_person: Some(pb::KeyPerson {
                title: "CEO".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["title".into()],
            }),
        }
        .encode_to_vec(),
        "AssessSiteCoverage" => pb::AssessSiteCoverageRequest {
            part_numbers: vec!["RRU".into()],
            window: Some(prost_types::Duration {
                seconds: 4 * 3600,
                nanos: 0,
            }),
            ..Default::default()
        }
        .encode_to_vec(),
        "CreateMember" => lpb::CreateMemberRequest {
            member: Some(lpb::Member {
                key_person: "customers/acme/keyPersons/jonas".into(),
                roles: vec![MemberRole::CustomerEngineer as i32],
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec(),
        "GetTrustDashboard" => pb::GetTrustDashboardRequest {
            quarter: "2026-Q4".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        "ApproveProposal" => lpb::ApproveProposalRequest {
            revision: 1,
            ..Default::default()
        }
        .encode_to_vec(),
        // One (unverifiable) signature: past validation, refused after the release is
        // found.
        "SignRelease" => lpb::SignReleaseRequest {
            envelope: Some(lpb::Envelope {
                payload: b"{}".to_vec(),
                payload_type: "application/vnd.in-toto+json".into(),
                signatures: vec![lpb::Signature {
                    keyid: "k".into(),
                    sig: vec![0; 64],
                }],
            }),
            ..Default::default()
        }
        .encode_to_vec(),
        "CreateProposal" => lpb::CreateProposalRequest {
            proposal: Some(proposal()),
            ..Default::default()
        }
        .encode_to_vec(),
        "ReviseProposal" => lpb::ReviseProposalRequest {
            content: "Lower t-Reordering to 35 ms.".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        "CreateProposalComment" => lpb::CreateProposalCommentRequest {
            comment: Some(lpb::ProposalComment {
                body: "Also cover the rural cluster.".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec(),
        "CreateTestPlan" => lpb::CreateTestPlanRequest {
            test_plan: Some(test_plan()),
            ..Default::default()
        }
        .encode_to_vec(),
        "CreateTestRun" => lpb::CreateTestRunRequest {
            test_run: Some(test_run()),
            ..Default::default()
        }
        .encode_to_vec(),
        "AppendLogEntries" | "StreamLogEntries" => lpb::AppendLogEntriesRequest {
            entries: vec![lpb::LogEntry {
                component: "scheduler".into(),
                message: "step".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
        .encode_to_vec(),
        "RegisterSignerKey" => lpb::RegisterSignerKeyRequest {
            signer_key: Some(lpb::SignerKey {
                member: own_lab_member.into(),
                public_key_pem: symbolon_labs::dsse::generate_signer_key().unwrap().1,
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec(),
        "CreateRelease" => lpb::CreateReleaseRequest {
            release: Some(release("24.3.2")),
            ..Default::default()
        }
        .encode_to_vec(),
        "CreateDispute" => qpb::CreateDisputeRequest {
            dispute: Some(qpb::Dispute {
                indicator_id: "no-unnecessary-proof".into(),
                reason: "the customer asked for a refund above the proof-free limit".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec(),
        _ => Vec::new(),
    }
}

fn cpb_site() -> pb::CreateSiteRequest {
    pb::CreateSiteRequest {
        site: Some(pb::Site {
            display_name: "Annex".into(),
            country: "DE".into(),
            location: Some(symbolon_contracts::common::v1::LatLng {
                latitude: 50.2,
                longitude: 8.8,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn proposal() -> lpb::Proposal {
    lpb::Proposal {
        title: "PDCP timer".into(),
        content: "Lower t-Reordering to 40 ms.".into(),
        ..Default::default()
    }
}

fn test_plan() -> lpb::TestPlan {
    lpb::TestPlan {
        title: "Drive test".into(),
        cases: vec![lpb::TestCase {
            id: "handover".into(),
            title: "Handover success rate ≥ 99.5 %".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn test_run() -> lpb::TestRun {
    lpb::TestRun {
        results: vec![lpb::CaseResult {
            case_id: "handover".into(),
            verdict: lpb::Verdict::Passed as i32,
            evidence_sha256: vec!["0f".repeat(32)],
            note: String::new(),
        }],
        ..Default::default()
    }
}

fn release(version: &str) -> lpb::Release {
    lpb::Release {
        version: version.into(),
        artifacts: vec![lpb::Artifact {
            name: format!("gnb-stack-{version}.tar.zst"),
            sha256: "3a".repeat(32),
        }],
        notes: "Scheduler fairness fix.".into(),
        required_signer_roles: vec![
            MemberRole::VendorReleaseManager as i32,
            MemberRole::CustomerExecutive as i32,
        ],
        ..Default::default()
    }
}

/// A poor chat (2026-01-01) by `agent`, for `customer`.
fn conversation(id: &str, agent: &str, customer: &str) -> qpb::Conversation {
    symbolon_testkit::poor_chat(id, agent, customer, 1_767_225_600)
}

/// What was seeded: per kind, tenant A's resource and tenant B's.
pub(super) struct World {
    pub(super) pairs: HashMap<&'static str, [String; 2]>,
    /// Substrings that mark a row of tenant B.
    pub(super) marks_of_b: Vec<String>,
    /// The fire request (department legal) on acme's incident, opened by owner@vendor.
    pub(super) fire: String,
    pub(super) incident: String,
}

/// Seeds both tenants through the real services (as the admin, the incident's owner
/// and the labs' members).
pub(super) async fn seed(keys: &Keys, cu: Channel, labs_ch: Channel) -> World {
    let admin = keys.vendor_admin();
    let owner = keys.token("owner@vendor", &Org::Vendor, &["frontline"]);
    let crm = at(&cu, &admin);
    let labs = at(&labs_ch, &admin);
    let mut pairs: HashMap<&'static str, [String; 2]> = HashMap::new();
    let mut put = |kind: &'static str, i: usize, name: String| {
        pairs.entry(kind).or_default()[i] = name;
    };
    super::seed(cu.clone(), &admin).await;
    crm.call(qpb::CreateStandardRequest {
        standard: Some(symbolon_quality::default_standard()),
        standard_id: "support".into(),
        request_id: String::new(),
    })
    .await;
    let mut fire = String::new();
    let mut incident_a = String::new();
    for (i, c) in ["acme", "other"].into_iter().enumerate() {
        let parent = format!("customers/{c}");
        put("customer", i, parent.clone());
        put("site", i, format!("{parent}/sites/plant"));
        put("key person", i, format!("{parent}/keyPersons/anna"));
        // jonas becomes a member of the lab in the matrix (CreateMember); intern never.
        for id in ["jonas", "intern"] {
            crm.call(pb::CreateKeyPersonRequest {
                parent: parent.clone(),
                key_person: Some(pb::KeyPerson {
                    display_name: id.into(),
                    title: "Network engineer".into(),
                    decision_role: pb::DecisionRole::Influencer as i32,
                    subject: format!("{id}@{c}"),
                    ..Default::default()
                }),
                key_person_id: id.into(),
                request_id: String::new(),
            })
            .await;
        }
        let tp = crm
            .call(pb::ListTouchpointsRequest {
                parent: parent.clone(),
                ..Default::default()
            })
            .await
            .touchpoints;
        put("touchpoint", i, tp[0].name.clone());
        let incident = crm
            .by(&owner)
            .call(pb::OpenIncidentRequest {
                parent: parent.clone(),
                incident: Some(pb::Incident {
                    site: format!("{parent}/sites/plant"),
                    severity: pb::Severity::Major as i32,
                    summary: "Line 3 stopped".into(),
                    detect_time: Some(prost_types::Timestamp {
                        seconds: 1_760_000_000,
                        nanos: 0,
                    }),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .name;
        put("incident", i, incident.clone());
        let f = crm
            .by(&owner)
            .call(pb::CallForFireRequest {
                parent: incident.clone(),
                fire_request: Some(fire_request()),
                request_id: String::new(),
            })
            .await
            .name;
        if i == 0 {
            fire = f;
            incident_a = incident;
        }
        let commitment = crm
            .call(pb::CreateCommitmentRequest {
                parent: parent.clone(),
                commitment: Some(pb::Commitment {
                    display_name: "Remote expert around the clock".into(),
                    clauses: vec![pb::CommitmentClause {
                        kind: Some(pb::commitment_clause::Kind::RemoteExpert(
                            pb::RemoteExpertClause {
                                hours_per_day: 24,
                                days_per_week: 7,
                            },
                        )),
                    }],
                    ..Default::default()
                }),
                request_id: String::new(),
                accept_risk: false,
            })
            .await
            .name;
        put("commitment", i, commitment);

        // The lab of the customer: lab1 (acme) has eng, rm and anna as members; lab2
        // (other) has eng2, rm2 and other's anna.
        let lab = format!("labs/lab{}", i + 1);
        put("lab", i, lab.clone());
        labs.call(create_lab_request(
            format!("lab{}", i + 1),
            &parent,
            format!("Lab of {c}"),
        ))
        .await;
        let suffix = if i == 0 { "" } else { "2" };
        let members = [
            (
                format!("eng{suffix}"),
                format!("eng{suffix}@vendor"),
                String::new(),
                vec![MemberRole::VendorEngineer],
            ),
            (
                format!("rm{suffix}"),
                format!("rm{suffix}@vendor"),
                String::new(),
                vec![MemberRole::VendorReleaseManager],
            ),
            (
                "anna".to_string(),
                String::new(),
                format!("{parent}/keyPersons/anna"),
                vec![MemberRole::CustomerExecutive, MemberRole::CustomerEngineer],
            ),
        ];
        for (id, subject, key_person, roles) in members {
            let m = labs
                .call(lpb::CreateMemberRequest {
                    parent: lab.clone(),
                    member: Some(lpb::Member {
                        subject,
                        key_person,
                        roles: roles.into_iter().map(|r| r as i32).collect(),
                        ..Default::default()
                    }),
                    member_id: id.clone(),
                    request_id: String::new(),
                })
                .await;
            if id == "anna" {
                put("member", i, m.name);
            }
        }
        let eng = keys.token(
            &format!("eng{suffix}@vendor"),
            &Org::Vendor,
            &["department:rnd"],
        );
        let rm = keys.token(
            &format!("rm{suffix}@vendor"),
            &Org::Vendor,
            &["release-manager"],
        );
        let p = labs
            .by(&eng)
            .call(lpb::CreateProposalRequest {
                parent: lab.clone(),
                proposal: Some(proposal()),
                proposal_id: "p1".into(),
                request_id: String::new(),
            })
            .await
            .name;
        put("proposal", i, p);
        let plan = labs
            .by(&eng)
            .call(lpb::CreateTestPlanRequest {
                parent: lab.clone(),
                test_plan: Some(test_plan()),
                test_plan_id: "t1".into(),
                request_id: String::new(),
            })
            .await
            .name;
        let run = labs
            .by(&eng)
            .call(lpb::CreateTestRunRequest {
                parent: plan.clone(),
                test_run: Some(test_run()),
                request_id: String::new(),
            })
            .await
            .name;
        put("test plan", i, plan);
        put("test run", i, run);
        let r = labs
            .by(&rm)
            .call(lpb::CreateReleaseRequest {
                parent: lab.clone(),
                release: Some(release("24.3.1")),
                release_id: "r1".into(),
                request_id: String::new(),
            })
            .await
            .name;
        put("release", i, r);

        // A report: acme's conversation by agent ann, other's by agent bob.
        let agent = ["ann@vendor", "bob@vendor"][i];
        let report = crm
            .call(qpb::InspectConversationRequest {
                standard: "standards/support".into(),
                conversation: Some(conversation(&format!("conv-{c}"), agent, &parent)),
                request_id: String::new(),
                validate_only: false,
            })
            .await
            .name;
        put("report", i, report);
    }
    let mut marks_of_b = vec!["customers/other".to_string(), "labs/lab2".to_string()];
    marks_of_b.push(pairs["report"][1].clone());
    World {
        pairs,
        marks_of_b,
        fire,
        incident: incident_a,
    }
}

fn fire_request() -> pb::FireRequest {
    pb::FireRequest {
        department: "legal".into(),
        ask: "A compliance letter".into(),
        acknowledge_within: Some(prost_types::Duration {
            seconds: 600,
            nanos: 0,
        }),
        fulfil_within: Some(prost_types::Duration {
            seconds: 7200,
            nanos: 0,
        }),
        ..Default::default()
    }
}

/// One tenant-A caller: its token and roles.
struct TenantCaller {
    what: &'static str,
    token: String,
    roles: Vec<Role>,
    /// Its member in lab1 (for requests that name the caller's member).
    member: &'static str,
}

fn tenant_callers(keys: &Keys, tenancy: Tenancy) -> Vec<TenantCaller> {
    let executive = TenantCaller {
        what: "acme's executive (anna@acme)",
        token: keys.token(
            "anna@acme",
            &Org::Customer("acme".into()),
            &["customer-engineer", "customer-executive"],
        ),
        roles: vec![Role::CustomerEngineer, Role::CustomerExecutive],
        member: "labs/lab1/members/anna",
    };
    match tenancy {
        Tenancy::Customer => vec![executive],
        Tenancy::LabMember => vec![
            executive,
            TenantCaller {
                what: "lab1's vendor engineer",
                token: keys.token("eng@vendor", &Org::Vendor, &["department:rnd"]),
                roles: vec![Role::Department("rnd".into())],
                member: "labs/lab1/members/eng",
            },
            TenantCaller {
                what: "lab1's release manager",
                token: keys.token("rm@vendor", &Org::Vendor, &["release-manager"]),
                roles: vec![Role::ReleaseManager],
                member: "labs/lab1/members/rm",
            },
        ],
        Tenancy::Own => vec![
            executive,
            TenantCaller {
                what: "agent ann",
                token: keys.token("ann@vendor", &Org::Vendor, &["frontline"]),
                roles: vec![Role::Frontline],
                member: "",
            },
        ],
        _ => Vec::new(),
    }
}

/// Callers who are no members of lab1 (acme's lab): a person of acme, vendor staff of
/// R&D, vendor frontline with release-manager. To them lab1 does not exist.
fn outsiders(keys: &Keys) -> Vec<TenantCaller> {
    vec![
        TenantCaller {
            what: "acme's intern, no member of lab1",
            token: keys.token(
                "intern@acme",
                &Org::Customer("acme".into()),
                &["customer-engineer", "customer-executive"],
            ),
            roles: vec![Role::CustomerEngineer, Role::CustomerExecutive],
            member: "",
        },
        TenantCaller {
            what: "vendor R&D, no member of lab1",
            token: keys.token("stranger@vendor", &Org::Vendor, &["department:rnd"]),
            roles: vec![Role::Department("rnd".into())],
            member: "",
        },
        TenantCaller {
            what: "vendor frontline and release manager, no member of lab1",
            token: keys.token(
                "front@vendor",
                &Org::Vendor,
                &["frontline", "release-manager"],
            ),
            roles: vec![Role::Frontline, Role::ReleaseManager],
            member: "",
        },
    ]
}

/// Calls `path` with an encoded request, however it streams: the answer's bytes (the
/// first message of a server stream, empty when it stays silent).
async fn send(
    ch: Channel,
    path: &str,
    method: &prost_types::MethodDescriptorProto,
    request: Vec<u8>,
    token: &str,
) -> Result<Vec<u8>, Status> {
    let mut grpc = tonic::client::Grpc::new(ch);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let path: tonic::codegen::http::uri::PathAndQuery = path.parse().unwrap();
    match (method.client_streaming(), method.server_streaming()) {
        (false, false) => grpc
            .unary(authed(token, request), path, Raw)
            .await
            .map(tonic::Response::into_inner),
        (true, false) => grpc
            .client_streaming(authed(token, tokio_stream::once(request)), path, Raw)
            .await
            .map(tonic::Response::into_inner),
        (false, true) => {
            let mut s = grpc
                .server_streaming(authed(token, request), path, Raw)
                .await?
                .into_inner();
            match tokio::time::timeout(Duration::from_millis(500), s.message()).await {
                Ok(Ok(Some(m))) => Ok(m),
                Ok(Ok(None)) | Err(_) => Ok(Vec::new()),
                Ok(Err(e)) => Err(e),
            }
        }
        (true, true) => Err(Status::unimplemented("bidirectional: not targeted")),
    }
}

/// What the admin reads of tenant B: every unary Get and List of a known kind, on B's
/// resource. Tenant A's calls must leave it as it was.
async fn view_of_b(
    world: &World,
    fds: &FileDescriptorSet,
    messages: &HashMap<String, &DescriptorProto>,
    admin: &str,
    channel_of: &impl Fn(&str) -> Channel,
) -> Vec<(String, Result<Vec<u8>, Code>)> {
    let mut out = Vec::new();
    for file in &fds.file {
        let package = file.package();
        if !package.starts_with("symbolon.") {
            continue;
        }
        for service in &file.service {
            for method in &service.method {
                let name = method.name();
                if method.client_streaming()
                    || method.server_streaming()
                    || !(name.starts_with("Get") || name.starts_with("List"))
                    || name == "GetTrustDashboard"
                {
                    continue;
                }
                let (Some(kind), Some(target)) = (
                    kind_of(name),
                    messages
                        .get(method.input_type())
                        .and_then(|m| target_of(m, messages)),
                ) else {
                    continue;
                };
                let path = format!("/{package}.{}/{name}", service.name());
                let mut r = filler(name, "");
                r.extend(encode_target(target, &world.pairs[kind][1]));
                let got = send(channel_of(package), &path, method, r, admin)
                    .await
                    .map_err(|s| s.code());
                out.push((path, got));
            }
        }
    }
    out
}

/// The generated tenancy checks: the number of calls and the failures.
pub(super) async fn check(
    keys: &Keys,
    world: &World,
    fds: &FileDescriptorSet,
    policies: &[&'static ServicePolicy],
    channel_of: impl Fn(&str) -> Channel,
) -> (usize, usize, Vec<String>) {
    let messages: HashMap<String, &DescriptorProto> = fds
        .file
        .iter()
        .flat_map(|f| {
            f.message_type
                .iter()
                .map(move |m| (format!(".{}.{}", f.package(), m.name()), m))
        })
        .collect();
    let exempt = |full: &str| {
        EXEMPT.iter().find(|(m, _)| {
            *m == full
                || m.strip_suffix('*')
                    .is_some_and(|prefix| full.starts_with(prefix))
        })
    };
    let admin = keys.vendor_admin();
    let b_before = view_of_b(world, fds, &messages, &admin, &channel_of).await;
    let mut exempted = std::collections::BTreeSet::new();
    let mut calls = 0;
    let mut outsider_calls = 0;
    let mut checked = 0;
    let mut failures = Vec::new();
    let leaks = |bytes: &[u8]| -> Option<String> {
        world
            .marks_of_b
            .iter()
            .find(|m| bytes.windows(m.len()).any(|w| w == m.as_bytes()))
            .cloned()
    };
    for file in &fds.file {
        let package = file.package();
        if !package.starts_with("symbolon.") || package == "symbolon.bench.v1" {
            continue;
        }
        for service in &file.service {
            let full_service = format!("{package}.{}", service.name());
            let policy = policies.iter().find(|p| p.service == full_service);
            for method in &service.method {
                let full = format!("{full_service}/{}", method.name());
                let path = format!("/{full}");
                let Some(rule) = policy.and_then(|p| p.rule(method.name())) else {
                    continue;
                };
                let input = messages.get(method.input_type()).copied();
                let target = input.and_then(|m| target_of(m, &messages));
                let callers: Vec<TenantCaller> = tenant_callers(keys, rule.tenancy)
                    .into_iter()
                    .filter(|c| rule.admits(&c.roles))
                    .collect();
                let ch = channel_of(package);
                let Some(target) = target else {
                    // Names nothing: what tenant A's callers get carries no row of B.
                    if method.client_streaming() && method.server_streaming() {
                        continue;
                    }
                    for c in &callers {
                        calls += 1;
                        if let Ok(bytes) =
                            send(ch.clone(), &path, method, Vec::new(), &c.token).await
                            && let Some(mark) = leaks(&bytes)
                        {
                            failures.push(format!("{full} as {}: carries {mark}", c.what));
                        }
                    }
                    // A lab's outsiders list none of it.
                    if rule.tenancy == Tenancy::LabMember {
                        for c in outsiders(keys).iter().filter(|c| rule.admits(&c.roles)) {
                            calls += 1;
                            if let Ok(bytes) =
                                send(ch.clone(), &path, method, Vec::new(), &c.token).await
                                && bytes.windows(9).any(|w| w == b"labs/lab1")
                            {
                                failures.push(format!("{full} as {}: carries lab1", c.what));
                            }
                        }
                    }
                    continue;
                };
                if callers.is_empty() {
                    if let Some((m, _)) = exempt(&full) {
                        exempted.insert(*m);
                    } else {
                        failures.push(format!(
                            "{full}: names a resource, no tenant-A caller is admitted, and \
                             it is not exempted with a reason"
                        ));
                    }
                    continue;
                }
                if let Some((_, why)) = exempt(&full) {
                    failures.push(format!("{full}: checked, yet exempted ({why})"));
                }
                let Some(kind) = kind_of(method.name()) else {
                    failures.push(format!(
                        "{full}: names a resource, but the matrix knows no kind for it"
                    ));
                    continue;
                };
                let [own, foreign] = &world.pairs[kind];
                checked += 1;
                let mut reached = false;
                for c in &callers {
                    let request = |name: &str| {
                        let mut r = filler(method.name(), c.member);
                        r.extend(encode_target(target, name));
                        r
                    };
                    calls += 2;
                    match send(ch.clone(), &path, method, request(foreign), &c.token).await {
                        Err(s) if s.code() == Code::NotFound => {}
                        Err(s) => failures.push(format!(
                            "{full} as {} on B's {kind} {foreign}: {:?} {}",
                            c.what,
                            s.code(),
                            s.message()
                        )),
                        Ok(b) => failures.push(format!(
                            "{full} as {} on B's {kind} {foreign}: OK ({} bytes)",
                            c.what,
                            b.len()
                        )),
                    }
                    match send(ch.clone(), &path, method, request(own), &c.token).await {
                        Ok(bytes) => {
                            reached = true;
                            if let Some(mark) = leaks(&bytes) {
                                failures.push(format!("{full} as {}: carries {mark}", c.what));
                            }
                        }
                        Err(s)
                            if matches!(
                                s.code(),
                                Code::FailedPrecondition
                                    | Code::AlreadyExists
                                    | Code::Aborted
                                    | Code::PermissionDenied
                            ) =>
                        {
                            // Reached its own tenant's resource; a state or member-role
                            // rule answered.
                            if s.code() != Code::PermissionDenied {
                                reached = true;
                            }
                        }
                        Err(s) => failures.push(format!(
                            "{full} as {} on its own {kind} {own}: {:?} {} (the request \
                             must pass validation: give it a filler)",
                            c.what,
                            s.code(),
                            s.message()
                        )),
                    }
                }
                if !reached {
                    failures.push(format!("{full}: no tenant-A caller reached its own {kind}"));
                }
                // A lab's non-members: its resources are NOT_FOUND to them.
                if rule.tenancy == Tenancy::LabMember {
                    for c in outsiders(keys).iter().filter(|c| rule.admits(&c.roles)) {
                        let mut r = filler(method.name(), c.member);
                        r.extend(encode_target(target, own));
                        calls += 1;
                        outsider_calls += 1;
                        match send(ch.clone(), &path, method, r, &c.token).await {
                            Err(s) if s.code() == Code::NotFound => {}
                            other => failures.push(format!(
                                "{full} as {} on lab1's {kind} {own}: {:?}",
                                c.what,
                                other.map(|b| b.len())
                            )),
                        }
                    }
                }
            }
        }
    }

    let b_after = view_of_b(world, fds, &messages, &admin, &channel_of).await;
    calls += b_before.len() + b_after.len();
    let _ = writeln!(
        std::io::stderr(),
        "tenancy: {} reads of B's data compared, {outsider_calls} calls by lab1's non-members",
        b_before.len()
    );
    if outsider_calls < 40 {
        failures.push(format!("too few calls by lab outsiders: {outsider_calls}"));
    }
    if b_before.len() < 15 {
        failures.push(format!("too few reads of B's data: {}", b_before.len()));
    }
    for ((path, before), (_, after)) in b_before.iter().zip(&b_after) {
        if before.is_err() {
            failures.push(format!("{path} by the admin on B's resource: {before:?}"));
        } else if before != after {
            failures.push(format!("{path}: B's data changed under tenant A's calls"));
        }
    }
    for (m, _) in EXEMPT {
        if !exempted.contains(m) {
            failures.push(format!(
                "{m}: exempted, yet it names no resource or is checked"
            ));
        }
    }

    // Not tenancy: the incident's owner, and the fire request's department.
    let (more, mut rules) =
        owner_and_department(keys, world, channel_of("symbolon.customers.v1")).await;
    failures.append(&mut rules);
    (calls + more, checked, failures)
}

async fn owner_and_department(keys: &Keys, world: &World, cu: Channel) -> (usize, Vec<String>) {
    use pb::incidents_service_client::IncidentsServiceClient;
    let incidents_channel = cu.clone();
    let mut incidents = IncidentsServiceClient::new(cu);
    let mut failures = Vec::new();
    let mut calls = 0;
    let token = |who: &str, role: &str| keys.token(who, &Org::Vendor, &[role]);
    let fires = |incidents: &mut IncidentsServiceClient<Channel>| {
        let mut c = incidents.clone();
        let admin = keys.vendor_admin();
        let parent = world.incident.clone();
        async move {
            c.list_fire_requests(authed(
                &admin,
                pb::ListFireRequestsRequest {
                    parent,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .fire_requests
            .len()
        }
    };
    let call = || pb::CallForFireRequest {
        parent: world.incident.clone(),
        fire_request: Some(fire_request()),
        request_id: String::new(),
    };
    let before = fires(&mut incidents).await;
    calls += 1;
    match incidents
        .call_for_fire(authed(&token("colleague@vendor", "frontline"), call()))
        .await
    {
        Err(s) if s.code() == Code::PermissionDenied && s.message().contains("owner") => {}
        other => failures.push(format!(
            "CallForFire by a frontline colleague who does not own the incident: {:?}",
            other.map(|r| r.into_inner().name)
        )),
    }
    if fires(&mut incidents).await != before {
        failures.push("CallForFire refused to a colleague yet mobilised".into());
    }
    for (who, t) in [
        ("the owner", token("owner@vendor", "frontline")),
        ("an admin", keys.vendor_admin()),
    ] {
        calls += 1;
        if let Err(s) = incidents.call_for_fire(authed(&t, call())).await {
            failures.push(format!("CallForFire by {who}: {s:?}"));
        }
    }
    // Customers are created and deleted by admins only: a refused create (with a
    // valid body) or delete changes nothing.
    let mut crm = CustomersServiceClient::new(incidents_channel.clone());
    let customers = |crm: &mut CustomersServiceClient<Channel>| {
        let mut c = crm.clone();
        let admin = keys.vendor_admin();
        async move {
            c.list_customers(authed(
                &admin,
                pb::ListCustomersRequest {
                    show_deleted: true,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .customers
        }
    };
    let before = customers(&mut crm).await;
    for role in ["frontline", "analyst", "department:legal"] {
        let t = token("p@vendor", role);
        calls += 2;
        let created = crm
            .create_customer(authed(
                &t,
                symbolon_testkit::create_customer_request(
                    "gamma",
                    "Gamma",
                    pb::Industry::Finance,
                    "FR",
                ),
            ))
            .await;
        let deleted = crm
            .delete_customer(authed(
                &t,
                pb::DeleteCustomerRequest {
                    name: "customers/acme".into(),
                    etag: String::new(),
                },
            ))
            .await;
        for (what, r) in [
            ("CreateCustomer", created.map(|_| ())),
            ("DeleteCustomer", deleted.map(|_| ())),
        ] {
            if r.as_ref().err().map(Status::code) != Some(Code::PermissionDenied) {
                failures.push(format!("{what} by {role}: {r:?}"));
            }
        }
    }
    if customers(&mut crm).await != before {
        failures.push("refused creates and deletes of customers changed them".into());
    }

    // Another department, an admin, frontline: none acts on legal's request.
    for (method, act) in [
        ("AcknowledgeFireRequest", true),
        ("FulfilFireRequest", false),
    ] {
        for (who, roles) in [
            ("department:rnd", "department:rnd"),
            ("admin", "admin"),
            ("frontline", "frontline"),
        ] {
            calls += 1;
            let t = token("x@vendor", roles);
            let r = if act {
                incidents
                    .acknowledge_fire_request(authed(
                        &t,
                        pb::AcknowledgeFireRequestRequest {
                            name: world.fire.clone(),
                        },
                    ))
                    .await
            } else {
                incidents
                    .fulfil_fire_request(authed(
                        &t,
                        pb::FulfilFireRequestRequest {
                            name: world.fire.clone(),
                            ..Default::default()
                        },
                    ))
                    .await
            };
            if r.as_ref().err().map(Status::code) != Some(Code::PermissionDenied) {
                failures.push(format!(
                    "{method} on legal's request by {who}: {:?}",
                    r.map(|r| r.into_inner().state)
                ));
            }
        }
    }
    let legal = token("l@vendor", "department:legal");
    calls += 2;
    if let Err(s) = incidents
        .acknowledge_fire_request(authed(
            &legal,
            pb::AcknowledgeFireRequestRequest {
                name: world.fire.clone(),
            },
        ))
        .await
    {
        failures.push(format!("AcknowledgeFireRequest by legal: {s:?}"));
    }
    if let Err(s) = incidents
        .fulfil_fire_request(authed(
            &legal,
            pb::FulfilFireRequestRequest {
                name: world.fire.clone(),
                note: "Letter sent".into(),
            },
        ))
        .await
    {
        failures.push(format!("FulfilFireRequest by legal: {s:?}"));
    }
    (calls, failures)
}
