//! Joint design (proposals, revisions, comments, two-sided approval) and test
//! verification (plans, runs, verdicts, evidence digests, derived status).

use crate::helpers::*;
use symbolon_contracts::labs::v1::{self as pb, MemberRole};
use symbolon_testkit::{Backend, both_backends};
use tonic::Code;

/// Creates `proposals/p1`, `testPlans/t1` and `releases/r1` in the lab.
async fn seed(w: &World) {
    w.by(&w.eng())
        .try_call(pb::CreateProposalRequest {
            parent: LAB.into(),
            proposal: Some(pb::Proposal {
                title: "PDCP reordering timer".into(),
                content: "Lower t-Reordering to 40 ms on the urban cluster.".into(),
                ..Default::default()
            }),
            proposal_id: "p1".into(),
            request_id: String::new(),
        })
        .await
        .expect("proposal");
    w.by(&w.eng())
        .try_call(pb::CreateTestPlanRequest {
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
        })
        .await
        .expect("test plan");
    w.by(&w.rm())
        .try_call(release_request("r1", vec![]))
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
    let name = format!("{LAB}/proposals/p1");
    let approve = |token: String, revision: i32| {
        let name = name.clone();
        w.by(&token)
            .try_call(pb::ApproveProposalRequest { name, revision })
    };
    let p = approve(w.eng(), 1).await.unwrap();
    assert_eq!(p.state, pb::ProposalState::InReview as i32);
    assert_eq!(p.vendor_approved_revision, 1);
    let p = approve(w.ceng(), 1).await.unwrap();
    assert_eq!(p.state, pb::ProposalState::Approved as i32);
    // A comment, then a new revision: approvals reset.
    w.by(&w.cto())
        .call(pb::CreateProposalCommentRequest {
            parent: name.clone(),
            comment: Some(pb::ProposalComment {
                body: "Also cover the rural cluster.".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await;
    let p = w
        .by(&w.eng())
        .call(pb::ReviseProposalRequest {
            name: name.clone(),
            content: "40 ms urban, 60 ms rural.".into(),
            etag: p.etag.clone(),
        })
        .await;
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
    let revisions = w
        .by(&w.ceng())
        .call(pb::ListProposalRevisionsRequest {
            parent: name.clone(),
            ..Default::default()
        })
        .await
        .revisions;
    assert_eq!(
        revisions.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let comments = w
        .by(&w.eng())
        .call(pb::ListProposalCommentsRequest {
            parent: name.clone(),
            ..Default::default()
        })
        .await
        .comments;
    assert_eq!((comments.len(), comments[0].revision), (1, 1));
}

async fn a_test_plans_status_derives_from_its_runs(backend: Backend) {
    let w = world(backend).await;
    seed(&w).await;
    let plan = format!("{LAB}/testPlans/t1");
    let status = || {
        let plan = plan.clone();
        let answer = w
            .by(&w.ceng())
            .try_call(pb::GetTestPlanRequest { name: plan });
        async move { answer.await.unwrap().status }
    };
    assert_eq!(status().await, pb::TestPlanStatus::NotRun as i32);
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
    let r = w
        .by(&w.eng())
        .call(run(vec![("handover", pb::Verdict::Passed)]))
        .await;
    assert_eq!(r.outcome, pb::TestPlanStatus::Incomplete as i32);
    w.by(&w.ceng())
        .call(run(vec![
            ("handover", pb::Verdict::Passed),
            ("throughput", pb::Verdict::Failed),
        ]))
        .await;
    assert_eq!(status().await, pb::TestPlanStatus::Failed as i32);
    w.by(&w.eng())
        .call(run(vec![
            ("handover", pb::Verdict::Passed),
            ("throughput", pb::Verdict::Passed),
        ]))
        .await;
    assert_eq!(status().await, pb::TestPlanStatus::Passed as i32);
    // Bad digests and unknown cases are named.
    let mut bad = run(vec![("nope", pb::Verdict::Passed)]);
    if let Some(r) = bad.test_run.as_mut() {
        r.results[0].evidence_sha256 = vec!["not-a-digest".into()];
    }
    let err = w.by(&w.eng()).try_call(bad).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let runs = w
        .by(&w.cto())
        .call(pb::ListTestRunsRequest {
            parent: plan.clone(),
            ..Default::default()
        })
        .await
        .test_runs;
    assert_eq!(runs.len(), 3);
}

both_backends!(
    a_proposal_is_approved_only_when_both_sides_approve_its_latest_revision,
    a_test_plans_status_derives_from_its_runs
);
