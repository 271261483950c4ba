//! Demo data for `symbolon dev --demo`: one joint lab per demo customer with vendor and
//! customer members, a design proposal approved by both sides, a test plan and a run,
//! a few hundred optimisation log entries, and one co-signed published release (signer
//! keys generated here, locally; the server only sees the public keys).
//!
//! Idempotent: every create carries a request id derived from what it creates, and a
//! lab whose log or release already exists is left as it is.

use crate::{dsse, tools};
use anyhow::Context;
use std::{
    hash::{Hash, Hasher},
    time::Duration,
};
use symbolon_contracts::{
    customers::v1::{self as cpb, customers_service_client::CustomersServiceClient},
    labs::v1::{self as pb, MemberRole, labs_service_client::LabsServiceClient},
};
use symbolon_platform::auth::{Minter, Org};
use symbolon_platform::client::authed;
use tonic::{Code, transport::Channel};

/// Demo customers and two of their key persons: (customer, executive, engineer).
pub const DEMO_LABS: &[(&str, &str, &str)] = &[
    ("nordlicht-telecom", "anna-weber", "jonas-richter"),
    ("andes-energia", "camila-rojas", "diego-munoz"),
    (
        "nairobi-digital-services",
        "wanjiru-kamau",
        "otieno-odhiambo",
    ),
    ("banco-lusitano", "ines-carvalho", "rui-almeida"),
    ("sakura-precision", "haruto-sato", "yui-tanaka"),
    ("gulf-link-mobile", "omar-haddad", "layla-nasser"),
];

const VENDOR_ENGINEER: &str = "li.wei@vendor";
const VENDOR_RELEASE_MANAGER: &str = "release.manager@vendor";
const COMPONENTS: &[&str] = &["rrc", "pdcp", "rlc", "mac-scheduler", "phy", "x2-handover"];

fn request_id(parts: &[&str]) -> String {
    let mut a = std::collections::hash_map::DefaultHasher::new();
    let mut b = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut a);
    ("symbolon-labs-demo", parts).hash(&mut b);
    uuid::Uuid::from_u64_pair(a.finish(), b.finish()).to_string()
}

/// "Already there" is success: the demo is idempotent.
fn tolerate<T>(r: Result<tonic::Response<T>, tonic::Status>) -> anyhow::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v.into_inner())),
        Err(s) if s.code() == Code::AlreadyExists => Ok(None),
        Err(s) => Err(anyhow::anyhow!("labs demo data: {s:?}")),
    }
}

struct Tokens {
    admin: String,
    eng: String,
    rm: String,
}

fn mint(m: &Minter, subject: &str, org: &Org, roles: &[&str]) -> anyhow::Result<String> {
    m.mint(subject, org, roles, Duration::from_secs(3600))
        .map_err(anyhow::Error::msg)
}

/// Loads the demo labs through the labs service on `labs` (the customers demo data must
/// already be loaded through `customers`). Key persons without a sign-in subject get
/// `{key-person}@{customer}`. Tokens for each actor are minted with `minter`.
pub async fn load_demo(
    labs: Channel,
    customers: Channel,
    minter: &Minter,
) -> anyhow::Result<String> {
    let mut client = LabsServiceClient::new(labs);
    let mut crm = CustomersServiceClient::new(customers);
    let t = Tokens {
        admin: mint(minter, "dev-admin", &Org::Vendor, &["admin"])?,
        eng: mint(minter, VENDOR_ENGINEER, &Org::Vendor, &["department:rnd"])?,
        rm: mint(
            minter,
            VENDOR_RELEASE_MANAGER,
            &Org::Vendor,
            &["release-manager"],
        )?,
    };
    let (mut labs_made, mut entries, mut releases) = (0, 0, 0);
    for (customer, exec, engineer) in DEMO_LABS {
        let org = Org::Customer(customer.to_string());
        let mut subjects = Vec::new();
        for kp in [exec, engineer] {
            subjects.push(ensure_subject(&mut crm, &t.admin, customer, kp).await?);
        }
        let exec_token = mint(minter, &subjects[0], &org, &["customer-executive"])?;
        let eng_token = mint(minter, &subjects[1], &org, &["customer-engineer"])?;
        let lab_id = format!("{customer}-lab");
        let lab = format!("labs/{lab_id}");
        let exists = client
            .get_lab(authed(&t.admin, pb::GetLabRequest { name: lab.clone() }))
            .await
            .is_ok();
        if !exists {
            tolerate(
            client
                .create_lab(authed(
                    &t.admin,
                    pb::CreateLabRequest {
                        lab: Some(pb::Lab {
                            customer: format!("customers/{customer}"),
                            display_name: format!("{customer} joint innovation lab"),
                            description: "Protocol-stack optimisation for the next release train."
                                .into(),
                            ..Default::default()
                        }),
                        lab_id: lab_id.clone(),
                        request_id: request_id(&[customer, "lab"]),
                    },
                ))
                .await,
        )?;
            labs_made += 1;
        }
        let members: [(&str, pb::Member); 4] = [
            (
                "vendor-engineer",
                pb::Member {
                    subject: VENDOR_ENGINEER.into(),
                    display_name: "Li Wei".into(),
                    roles: vec![MemberRole::VendorEngineer as i32],
                    ..Default::default()
                },
            ),
            (
                "release-manager",
                pb::Member {
                    subject: VENDOR_RELEASE_MANAGER.into(),
                    display_name: "Release manager".into(),
                    roles: vec![MemberRole::VendorReleaseManager as i32],
                    ..Default::default()
                },
            ),
            (
                exec,
                pb::Member {
                    key_person: format!("customers/{customer}/keyPersons/{exec}"),
                    roles: vec![MemberRole::CustomerExecutive as i32],
                    ..Default::default()
                },
            ),
            (
                engineer,
                pb::Member {
                    key_person: format!("customers/{customer}/keyPersons/{engineer}"),
                    roles: vec![MemberRole::CustomerEngineer as i32],
                    ..Default::default()
                },
            ),
        ];
        for (id, m) in members {
            tolerate(
                client
                    .create_member(authed(
                        &t.admin,
                        pb::CreateMemberRequest {
                            parent: lab.clone(),
                            member: Some(m),
                            member_id: id.to_string(),
                            request_id: request_id(&[customer, "member", id]),
                        },
                    ))
                    .await,
            )?;
        }
        design(&mut client, &t, &eng_token, &exec_token, customer, &lab).await?;
        entries += log(&mut client, &t, customer, &lab).await?;
        releases += release(&mut client, &t, &exec_token, customer, &lab).await?;
    }
    Ok(format!(
        "{labs_made} labs, {entries} log entries, {releases} co-signed releases"
    ))
}

async fn ensure_subject(
    crm: &mut CustomersServiceClient<Channel>,
    admin: &str,
    customer: &str,
    kp: &str,
) -> anyhow::Result<String> {
    let name = format!("customers/{customer}/keyPersons/{kp}");
    let person = crm
        .get_key_person(authed(
            admin,
            cpb::GetKeyPersonRequest { name: name.clone() },
        ))
        .await
        .with_context(|| format!("{name} (load the customers demo data first)"))?
        .into_inner();
    if !person.subject.is_empty() {
        return Ok(person.subject);
    }
    let subject = format!("{kp}@{customer}");
    crm.update_key_person(authed(
        admin,
        cpb::UpdateKeyPersonRequest {
            key_person: Some(cpb::KeyPerson {
                name,
                subject: subject.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["subject".into()],
            }),
        },
    ))
    .await
    .context("setting a key person's subject")?;
    Ok(subject)
}

async fn design(
    client: &mut LabsServiceClient<Channel>,
    t: &Tokens,
    eng_token: &str,
    exec_token: &str,
    customer: &str,
    lab: &str,
) -> anyhow::Result<()> {
    tolerate(
        client
            .create_proposal(authed(
                &t.eng,
                pb::CreateProposalRequest {
                    parent: lab.into(),
                    proposal: Some(pb::Proposal {
                        title: "Shorter PDCP t-Reordering on dense urban cells".into(),
                        content: "Lower t-Reordering from 100 ms to 40 ms on the urban cluster; \
                                  expect 8-12 % lower tail latency for VoLTE with no increase in \
                                  RLC retransmissions."
                            .into(),
                        ..Default::default()
                    }),
                    proposal_id: "pdcp-reordering".into(),
                    request_id: request_id(&[customer, "proposal"]),
                },
            ))
            .await,
    )?;
    let p = format!("{lab}/proposals/pdcp-reordering");
    for token in [&t.eng, exec_token] {
        // Approving twice is harmless.
        let _ = client
            .approve_proposal(authed(
                token,
                pb::ApproveProposalRequest {
                    name: p.clone(),
                    revision: 1,
                },
            ))
            .await;
    }
    tolerate(
        client
            .create_test_plan(authed(
                &t.eng,
                pb::CreateTestPlanRequest {
                    parent: lab.into(),
                    test_plan: Some(pb::TestPlan {
                        title: "Urban cluster drive test".into(),
                        cases: vec![
                            pb::TestCase {
                                id: "volte-latency".into(),
                                title: "VoLTE p99 latency below 80 ms".into(),
                                expected_result: "p99 < 80 ms over 2 h".into(),
                            },
                            pb::TestCase {
                                id: "handover".into(),
                                title: "Handover success rate at least 99.5 %".into(),
                                expected_result: "≥ 99.5 %".into(),
                            },
                        ],
                        ..Default::default()
                    }),
                    test_plan_id: "drive-test".into(),
                    request_id: request_id(&[customer, "plan"]),
                },
            ))
            .await,
    )?;
    let digest = |s: &str| dsse::hex(&<sha2::Sha256 as sha2::Digest>::digest(s.as_bytes()));
    tolerate(
        client
            .create_test_run(authed(
                eng_token,
                pb::CreateTestRunRequest {
                    parent: format!("{lab}/testPlans/drive-test"),
                    test_run: Some(pb::TestRun {
                        results: vec![
                            pb::CaseResult {
                                case_id: "volte-latency".into(),
                                verdict: pb::Verdict::Passed as i32,
                                evidence_sha256: vec![digest(&format!("{customer} volte capture"))],
                                note: "p99 71 ms".into(),
                            },
                            pb::CaseResult {
                                case_id: "handover".into(),
                                verdict: pb::Verdict::Passed as i32,
                                evidence_sha256: vec![digest(&format!("{customer} ho report"))],
                                note: "99.7 %".into(),
                            },
                        ],
                        ..Default::default()
                    }),
                    request_id: request_id(&[customer, "run"]),
                },
            ))
            .await,
    )?;
    Ok(())
}

async fn log(
    client: &mut LabsServiceClient<Channel>,
    t: &Tokens,
    customer: &str,
    lab: &str,
) -> anyhow::Result<usize> {
    let mut n = 0;
    for batch in 0..3 {
        let entries: Vec<pb::LogEntry> = (0..100)
            .map(|i| {
                let step = batch * 100 + i;
                let component = COMPONENTS[step % COMPONENTS.len()];
                pb::LogEntry {
                    component: component.into(),
                    message: format!(
                        "iteration {step}: tuned {component}, KPI delta {:+.1} %",
                        ((step * 37) % 19) as f64 / 4.0 - 2.0
                    ),
                    attributes: [
                        ("iteration".to_string(), step.to_string()),
                        ("cell_cluster".to_string(), "urban-1".to_string()),
                    ]
                    .into(),
                    ..Default::default()
                }
            })
            .collect();
        let appended = client
            .append_log_entries(authed(
                &t.eng,
                pb::AppendLogEntriesRequest {
                    parent: lab.into(),
                    entries,
                    request_id: request_id(&[customer, "log", &batch.to_string()]),
                },
            ))
            .await
            .map_err(|s| anyhow::anyhow!("labs demo log: {s:?}"))?
            .into_inner();
        n += appended.entries.len();
    }
    Ok(n)
}

async fn release(
    client: &mut LabsServiceClient<Channel>,
    t: &Tokens,
    exec_token: &str,
    customer: &str,
    lab: &str,
) -> anyhow::Result<usize> {
    let name = format!("{lab}/releases/24-3-1");
    tolerate(
        client
            .create_release(authed(
                &t.rm,
                pb::CreateReleaseRequest {
                    parent: lab.into(),
                    release: Some(pb::Release {
                        version: "24.3.1".into(),
                        artifacts: vec![pb::Artifact {
                            name: "gnb-stack-24.3.1.tar.zst".into(),
                            sha256: dsse::hex(&<sha2::Sha256 as sha2::Digest>::digest(
                                format!("{customer} gnb-stack-24.3.1").as_bytes(),
                            )),
                        }],
                        notes: "PDCP t-Reordering 40 ms on urban cells; scheduler fairness fix."
                            .into(),
                        required_signer_roles: vec![
                            MemberRole::VendorReleaseManager as i32,
                            MemberRole::CustomerExecutive as i32,
                        ],
                        ..Default::default()
                    }),
                    release_id: "24-3-1".into(),
                    request_id: request_id(&[customer, "release"]),
                },
            ))
            .await,
    )?;
    let current = client
        .get_release(authed(&t.rm, pb::GetReleaseRequest { name: name.clone() }))
        .await
        .map_err(|s| anyhow::anyhow!("labs demo release: {s:?}"))?
        .into_inner();
    if current.state == pb::ReleaseState::Published as i32 {
        return Ok(0);
    }
    for token in [t.rm.as_str(), exec_token] {
        let (private, public) = dsse::generate_signer_key()?;
        client
            .register_signer_key(authed(
                token,
                pb::RegisterSignerKeyRequest {
                    parent: lab.into(),
                    signer_key: Some(pb::SignerKey {
                        public_key_pem: public,
                        ..Default::default()
                    }),
                },
            ))
            .await
            .map_err(|s| anyhow::anyhow!("labs demo key: {s:?}"))?;
        match tools::sign_release(client.clone(), token, &name, &private).await {
            Ok(_) => {}
            // Signed in an earlier, interrupted run: each signer counts once anyway.
            Err(e) if e.to_string().contains("SignRelease") => {}
            Err(e) => return Err(e),
        }
    }
    client
        .publish_release(authed(&t.rm, pb::PublishReleaseRequest { name }))
        .await
        .map_err(|s| anyhow::anyhow!("labs demo publish: {s:?}"))?;
    Ok(1)
}
