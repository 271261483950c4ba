//! Joint design (proposals, revisions, comments, two-sided approval) and test
//! verification (plans, runs, verdicts, evidence digests, derived status).

use crate::helpers::*;
use symbolon_contracts::labs::v1::{self as pb, MemberRole};
use symbolon_testkit::{Backend, authed, both_backends};
use tonic::Code;

/// Creates `proposals/p1`, `testPlans/t1` and `releases/r1` in the lab.
pub async fn seed(w: &World) {
    let mut c = w.client();
    c.create_proposal(authed(
        &w.eng(),
        pb::CreateProposalRequest {
            parent: LAB.into(),
            proposal: Some(pb::Proposal {
                title: "PDCP reordering timer".into(),
                content: "Lower t-Reordering to 40 ms on the urban cluster.".into(),
                ..Default::default()
            }),
            proposal_id: "p1".into(),
            request_id: String::new(),
        },
    ))
    .await
    .expect("proposal");
    c.create_test_plan(authed(
        &w.eng(),
        pb::CreateTestPlanRequest {
            parent: LAB.into(),
            test_plan: Some(pb::TestPlan {
                title: "Drive test".into(),
                cases: vec![
                    pb::TestCase {
                        id: "handover".into(),
                        title: "Handover success rate ≥ 99.5 %".into(),
                        ..Default::default()
                    },
                    pb::TestCase {
                        id: "throughput".into(),
                        title: "Cell-edge throughput +10 %".into(),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }),
            test_plan_id: "t1".into(),
            request_id: String::new(),
        },
    ))
    .await
    .expect("test plan");
    c.create_release(authed(&w.rm(), release_request("r1", vec![])))
        .await
        .expect("release");
}

pub fn release_request(id: &str, extra_roles: Vec<MemberRole>) -> pb::CreateReleaseRequest {
    let mut roles = vec![
        MemberRole::VendorReleaseManager as i32,
        MemberRole::CustomerExecutive as i32,
    ];
    roles.extend(extra_roles.into_iter().map(|r| r as i32));
    pb::CreateReleaseRequest {
        parent: LAB.into(),
        release: Some(pb::Release {
            version: "24.3.1".into(),
            artifacts: vec![pb::Artifact {
                name: "gnb-stack-24.3.1.tar.zst".into(),
                sha256: "3a".repeat(32),
            }],
            notes: "PDCP t-Reordering 40 ms; scheduler fairness fix.".into(),
            required_signer_roles: roles,
            ..Default::default()
        }),
        release_id: id.into(),
        request_id: String::new(),
    }
}

async fn a_proposal_is_approved_only_when_both_sides_approve_its_latest_revision(backend: Backend) {
    let w = world(backend).await;
    seed(&w).await;
    let mut c = w.client();
    let name = format!("{LAB}/proposals/p1");
    let approve = |token: String, revision: i32| {
        let mut c = w.client();
        let name = name.clone();
        async move {
            c.approve_proposal(authed(
                &token,
                pb::ApproveProposalRequest { name, revision },
            ))
            .await
            .map(|r| r.into_inner())
        }
    };
    let p = approve(w.eng(), 1).await.unwrap();
    assert_eq!(p.state, pb::ProposalState::InReview as i32);
    assert_eq!(p.vendor_approved_revision, 1);
    let p = approve(w.ceng(), 1).await.unwrap();
    assert_eq!(p.state, pb::ProposalState::Approved as i32);
    // A comment, then a new revision: approvals reset.
    c.create_proposal_comment(authed(
        &w.cto(),
        pb::CreateProposalCommentRequest {
            parent: name.clone(),
            comment: Some(pb::ProposalComment {
                body: "Also cover the rural cluster.".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        },
    ))
    .await
    .unwrap();
    let p = c
        .revise_proposal(authed(
            &w.eng(),
            pb::ReviseProposalRequest {
                name: name.clone(),
                content: "40 ms urban, 60 ms rural.".into(),
                etag: p.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (p.latest_revision, p.state),
        (2, pb::ProposalState::InReview as i32)
    );
    assert_eq!(p.content, "40 ms urban, 60 ms rural.");
    // Approving the old revision is refused; an observer may not approve.
    let err = approve(w.ceng(), 1).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(reason(&err), "REVISION_NOT_LATEST");
    approve(w.cto(), 2).await.unwrap();
    let p = approve(w.rm(), 2).await.unwrap();
    assert_eq!(p.state, pb::ProposalState::Approved as i32);
    let revisions = c
        .list_proposal_revisions(authed(
            &w.ceng(),
            pb::ListProposalRevisionsRequest {
                parent: name.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert_eq!(
        revisions.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let comments = c
        .list_proposal_comments(authed(
            &w.eng(),
            pb::ListProposalCommentsRequest {
                parent: name.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .comments;
    assert_eq!((comments.len(), comments[0].revision), (1, 1));
}

async fn a_test_plans_status_derives_from_its_runs(backend: Backend) {
    let w = world(backend).await;
    seed(&w).await;
    let mut c = w.client();
    let plan = format!("{LAB}/testPlans/t1");
    let status = |c: &mut Client| {
        let mut c = c.clone();
        let plan = plan.clone();
        let t = w.ceng();
        async move {
            c.get_test_plan(authed(&t, pb::GetTestPlanRequest { name: plan }))
                .await
                .unwrap()
                .into_inner()
                .status
        }
    };
    assert_eq!(status(&mut c).await, pb::TestPlanStatus::NotRun as i32);
    let run = |results: Vec<(&str, pb::Verdict)>| pb::CreateTestRunRequest {
        parent: plan.clone(),
        test_run: Some(pb::TestRun {
            results: results
                .into_iter()
                .map(|(id, v)| pb::CaseResult {
                    case_id: id.into(),
                    verdict: v as i32,
                    evidence_sha256: vec!["0f".repeat(32)],
                    note: String::new(),
                })
                .collect(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let r = c
        .create_test_run(authed(
            &w.eng(),
            run(vec![("handover", pb::Verdict::Passed)]),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.outcome, pb::TestPlanStatus::Incomplete as i32);
    c.create_test_run(authed(
        &w.ceng(),
        run(vec![
            ("handover", pb::Verdict::Passed),
            ("throughput", pb::Verdict::Failed),
        ]),
    ))
    .await
    .unwrap();
    assert_eq!(status(&mut c).await, pb::TestPlanStatus::Failed as i32);
    c.create_test_run(authed(
        &w.eng(),
        run(vec![
            ("handover", pb::Verdict::Passed),
            ("throughput", pb::Verdict::Passed),
        ]),
    ))
    .await
    .unwrap();
    assert_eq!(status(&mut c).await, pb::TestPlanStatus::Passed as i32);
    // Bad digests and unknown cases are named.
    let mut bad = run(vec![("nope", pb::Verdict::Passed)]);
    if let Some(r) = bad.test_run.as_mut() {
        r.results[0].evidence_sha256 = vec!["not-a-digest".into()];
    }
    let err = c.create_test_run(authed(&w.eng(), bad)).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let runs = c
        .list_test_runs(authed(
            &w.cto(),
            pb::ListTestRunsRequest {
                parent: plan.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .test_runs;
    assert_eq!(runs.len(), 3);
}

/// A proposal (written with its first revision in one transaction) retried with its
/// request id is the first; the same id with another proposal is refused, nothing made.
async fn a_proposal_request_id_is_bound_to_its_first_request(backend: Backend) {
    let w = world(backend).await;
    let mut c = w.client();
    let id = symbolon_testkit::request_id();
    let create = |title: &str| pb::CreateProposalRequest {
        parent: LAB.into(),
        proposal: Some(pb::Proposal {
            title: title.into(),
            content: "Lower t-Reordering to 40 ms.".into(),
            ..Default::default()
        }),
        proposal_id: String::new(),
        request_id: id.clone(),
    };
    let first = c
        .create_proposal(authed(&w.eng(), create("PDCP timer")))
        .await
        .unwrap()
        .into_inner();
    let retry = c
        .create_proposal(authed(&w.eng(), create("PDCP timer")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry.name, first.name);
    let reused = c
        .create_proposal(authed(&w.eng(), create("Another idea")))
        .await
        .unwrap_err();
    symbolon_testkit::assert_request_id_reused(&reused);
    let listed = c
        .list_proposals(authed(
            &w.eng(),
            pb::ListProposalsRequest {
                parent: LAB.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .proposals;
    assert_eq!(
        listed.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(),
        vec!["PDCP timer"]
    );
}

both_backends!(
    a_proposal_is_approved_only_when_both_sides_approve_its_latest_revision,
    a_test_plans_status_derives_from_its_runs,
    a_proposal_request_id_is_bound_to_its_first_request
);
