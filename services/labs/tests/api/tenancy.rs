//! Only members and vendor admins see a lab: everyone else gets NOT_FOUND from every
//! method and stream.

use crate::helpers::*;
use symbolon_contracts::labs::v1::{self as pb, MemberRole};
use symbolon_testkit::{Backend, authed, both_backends};
use tonic::Code;

type BoxFut =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), tonic::Status>> + Send>>;

macro_rules! call {
    ($client:expr, $token:expr, $method:ident, $req:expr) => {{
        let mut c = $client.clone();
        let t = $token.to_string();
        let r = $req;
        Box::pin(async move { c.$method(authed(&t, r)).await.map(|_| ()) }) as BoxFut
    }};
}

fn key_pem() -> String {
    symbolon_labs::dsse::generate_signer_key().unwrap().1
}

fn attempts(c: &Client, t: &str) -> Vec<(&'static str, BoxFut)> {
    let l = LAB.to_string();
    let sha = "ab".repeat(32);
    vec![
        (
            "GetLab",
            call!(c, t, get_lab, pb::GetLabRequest { name: l.clone() }),
        ),
        (
            "UpdateLab",
            call!(
                c,
                t,
                update_lab,
                pb::UpdateLabRequest {
                    lab: Some(pb::Lab {
                        name: l.clone(),
                        display_name: "x".into(),
                        ..Default::default()
                    }),
                    update_mask: None
                }
            ),
        ),
        (
            "CreateMember",
            call!(
                c,
                t,
                create_member,
                pb::CreateMemberRequest {
                    parent: l.clone(),
                    member: Some(pb::Member {
                        subject: "x@vendor".into(),
                        roles: vec![MemberRole::Observer as i32],
                        ..Default::default()
                    }),
                    member_id: String::new(),
                    request_id: String::new()
                }
            ),
        ),
        (
            "GetMember",
            call!(
                c,
                t,
                get_member,
                pb::GetMemberRequest {
                    name: format!("{l}/members/eng")
                }
            ),
        ),
        (
            "ListMembers",
            call!(
                c,
                t,
                list_members,
                pb::ListMembersRequest {
                    parent: l.clone(),
                    ..Default::default()
                }
            ),
        ),
        (
            "DeleteMember",
            call!(
                c,
                t,
                delete_member,
                pb::DeleteMemberRequest {
                    name: format!("{l}/members/eng")
                }
            ),
        ),
        (
            "CreateProposal",
            call!(
                c,
                t,
                create_proposal,
                pb::CreateProposalRequest {
                    parent: l.clone(),
                    proposal: Some(pb::Proposal {
                        title: "t".into(),
                        content: "c".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }
            ),
        ),
        (
            "GetProposal",
            call!(
                c,
                t,
                get_proposal,
                pb::GetProposalRequest {
                    name: format!("{l}/proposals/p1")
                }
            ),
        ),
        (
            "ListProposals",
            call!(
                c,
                t,
                list_proposals,
                pb::ListProposalsRequest {
                    parent: l.clone(),
                    ..Default::default()
                }
            ),
        ),
        (
            "ReviseProposal",
            call!(
                c,
                t,
                revise_proposal,
                pb::ReviseProposalRequest {
                    name: format!("{l}/proposals/p1"),
                    content: "new".into(),
                    etag: String::new()
                }
            ),
        ),
        (
            "ListProposalRevisions",
            call!(
                c,
                t,
                list_proposal_revisions,
                pb::ListProposalRevisionsRequest {
                    parent: format!("{l}/proposals/p1"),
                    ..Default::default()
                }
            ),
        ),
        (
            "ApproveProposal",
            call!(
                c,
                t,
                approve_proposal,
                pb::ApproveProposalRequest {
                    name: format!("{l}/proposals/p1"),
                    revision: 1
                }
            ),
        ),
        (
            "CreateProposalComment",
            call!(
                c,
                t,
                create_proposal_comment,
                pb::CreateProposalCommentRequest {
                    parent: format!("{l}/proposals/p1"),
                    comment: Some(pb::ProposalComment {
                        body: "hi".into(),
                        ..Default::default()
                    }),
                    request_id: String::new()
                }
            ),
        ),
        (
            "ListProposalComments",
            call!(
                c,
                t,
                list_proposal_comments,
                pb::ListProposalCommentsRequest {
                    parent: format!("{l}/proposals/p1"),
                    ..Default::default()
                }
            ),
        ),
        (
            "CreateTestPlan",
            call!(
                c,
                t,
                create_test_plan,
                pb::CreateTestPlanRequest {
                    parent: l.clone(),
                    test_plan: Some(pb::TestPlan {
                        title: "t".into(),
                        cases: vec![pb::TestCase {
                            id: "a".into(),
                            title: "a".into(),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                    ..Default::default()
                }
            ),
        ),
        (
            "GetTestPlan",
            call!(
                c,
                t,
                get_test_plan,
                pb::GetTestPlanRequest {
                    name: format!("{l}/testPlans/t1")
                }
            ),
        ),
        (
            "ListTestPlans",
            call!(
                c,
                t,
                list_test_plans,
                pb::ListTestPlansRequest {
                    parent: l.clone(),
                    ..Default::default()
                }
            ),
        ),
        (
            "CreateTestRun",
            call!(
                c,
                t,
                create_test_run,
                pb::CreateTestRunRequest {
                    parent: format!("{l}/testPlans/t1"),
                    test_run: Some(pb::TestRun {
                        results: vec![pb::CaseResult {
                            case_id: "a".into(),
                            verdict: pb::Verdict::Passed as i32,
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                    request_id: String::new()
                }
            ),
        ),
        (
            "GetTestRun",
            call!(
                c,
                t,
                get_test_run,
                pb::GetTestRunRequest {
                    name: format!("{l}/testPlans/t1/testRuns/x")
                }
            ),
        ),
        (
            "ListTestRuns",
            call!(
                c,
                t,
                list_test_runs,
                pb::ListTestRunsRequest {
                    parent: format!("{l}/testPlans/t1"),
                    ..Default::default()
                }
            ),
        ),
        (
            "AppendLogEntries",
            call!(c, t, append_log_entries, append_request(&l, 0, 1)),
        ),
        (
            "StreamLogEntries",
            call!(
                c,
                t,
                stream_log_entries,
                tokio_stream::iter(vec![append_request(&l, 0, 1)])
            ),
        ),
        (
            "WatchLogEntries",
            call!(
                c,
                t,
                watch_log_entries,
                pb::WatchLogEntriesRequest {
                    parent: l.clone(),
                    start_sequence: 1,
                    ..Default::default()
                }
            ),
        ),
        (
            "ListLogEntries",
            call!(
                c,
                t,
                list_log_entries,
                pb::ListLogEntriesRequest {
                    parent: l.clone(),
                    ..Default::default()
                }
            ),
        ),
        (
            "VerifyLog",
            call!(c, t, verify_log, pb::VerifyLogRequest { parent: l.clone() }),
        ),
        (
            "ListAccessRecords",
            call!(
                c,
                t,
                list_access_records,
                pb::ListAccessRecordsRequest {
                    parent: l.clone(),
                    ..Default::default()
                }
            ),
        ),
        (
            "RegisterSignerKey",
            call!(
                c,
                t,
                register_signer_key,
                pb::RegisterSignerKeyRequest {
                    parent: l.clone(),
                    signer_key: Some(pb::SignerKey {
                        public_key_pem: key_pem(),
                        ..Default::default()
                    })
                }
            ),
        ),
        (
            "ListSignerKeys",
            call!(
                c,
                t,
                list_signer_keys,
                pb::ListSignerKeysRequest {
                    parent: l.clone(),
                    ..Default::default()
                }
            ),
        ),
        (
            "CreateRelease",
            call!(
                c,
                t,
                create_release,
                pb::CreateReleaseRequest {
                    parent: l.clone(),
                    release: Some(pb::Release {
                        version: "1".into(),
                        artifacts: vec![pb::Artifact {
                            name: "a".into(),
                            sha256: sha.clone()
                        }],
                        required_signer_roles: vec![
                            MemberRole::VendorReleaseManager as i32,
                            MemberRole::CustomerExecutive as i32
                        ],
                        ..Default::default()
                    }),
                    ..Default::default()
                }
            ),
        ),
        (
            "GetRelease",
            call!(
                c,
                t,
                get_release,
                pb::GetReleaseRequest {
                    name: format!("{l}/releases/r1")
                }
            ),
        ),
        (
            "ListReleases",
            call!(
                c,
                t,
                list_releases,
                pb::ListReleasesRequest {
                    parent: l.clone(),
                    ..Default::default()
                }
            ),
        ),
        (
            "SignRelease",
            call!(
                c,
                t,
                sign_release,
                pb::SignReleaseRequest {
                    name: format!("{l}/releases/r1"),
                    envelope: Some(pb::Envelope {
                        payload: b"{}".to_vec(),
                        payload_type: "x".into(),
                        signatures: vec![pb::Signature {
                            keyid: "k".into(),
                            sig: vec![0; 64]
                        }]
                    })
                }
            ),
        ),
        (
            "PublishRelease",
            call!(
                c,
                t,
                publish_release,
                pb::PublishReleaseRequest {
                    name: format!("{l}/releases/r1")
                }
            ),
        ),
        (
            "ExportRelease",
            call!(
                c,
                t,
                export_release,
                pb::ExportReleaseRequest {
                    name: format!("{l}/releases/r1")
                }
            ),
        ),
    ]
}

async fn outsiders_get_not_found_from_every_method_and_stream(backend: Backend) {
    let w = world(backend).await;
    // Resources that exist, so NOT_FOUND is about visibility, not absence.
    w.append(&w.eng(), LAB, 1, 3).await;
    crate::design::seed(&w).await;
    let outsiders = [
        ("vendor staff, not a member", w.vendor("stranger@vendor")),
        (
            "vendor frontline, not a member",
            w.keys.token(
                "front@vendor",
                &symbolon_platform::auth::Org::Vendor,
                &["frontline", "release-manager"],
            ),
        ),
        (
            "the customer's person, not a member",
            w.customer("acme", "intern@acme"),
        ),
        ("another customer's CTO", w.customer("other", "boss@other")),
    ];
    let c = w.client();
    for (who, token) in &outsiders {
        for (method, fut) in attempts(&c, token) {
            // NOT_FOUND, or the guard's refusal of a role that may never call the
            // method (admin-only ones), which says nothing about this lab.
            let got = fut.await.err();
            let guard_refusal = got.as_ref().is_some_and(|s| {
                s.code() == Code::PermissionDenied && s.message().contains("needs one of the roles")
            });
            assert!(
                guard_refusal || got.as_ref().map(|s| s.code()) == Some(Code::NotFound),
                "{method} by {who}: {got:?}"
            );
        }
        let labs = c
            .clone()
            .list_labs(authed(token, pb::ListLabsRequest::default()))
            .await
            .unwrap()
            .into_inner()
            .labs;
        assert!(labs.is_empty(), "ListLabs by {who}: {labs:?}");
    }
    // Members see the lab, and only their labs.
    create_lab(&w, "lab2", "acme").await;
    for token in [w.eng(), w.rm(), w.cto(), w.ceng()] {
        let labs = c
            .clone()
            .list_labs(authed(&token, pb::ListLabsRequest::default()))
            .await
            .unwrap()
            .into_inner()
            .labs;
        assert_eq!(
            labs.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
            vec![LAB]
        );
    }
    let all = c
        .clone()
        .list_labs(authed(&w.admin, pb::ListLabsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .labs;
    assert_eq!(all.len(), 2);
}

async fn labs_and_members_are_checked_against_the_customers_service(backend: Backend) {
    let w = world(backend).await;
    let mut c = w.client();
    // An unknown customer.
    let err = c
        .create_lab(authed(
            &w.admin,
            pb::CreateLabRequest {
                lab: Some(pb::Lab {
                    customer: "customers/nobody".into(),
                    display_name: "x".into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    // Only vendor admins create labs.
    let err = c
        .create_lab(authed(
            &w.eng(),
            pb::CreateLabRequest {
                lab: Some(pb::Lab {
                    customer: "customers/acme".into(),
                    display_name: "x".into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // A key person of another customer, an unknown one, one without a subject, and a
    // vendor role for a key person are all refused.
    let other = key_person_member(
        &w,
        LAB,
        "boss",
        "customers/other/keyPersons/boss",
        vec![MemberRole::CustomerExecutive],
    )
    .await;
    assert_eq!(code(other), Code::InvalidArgument);
    let ghost = key_person_member(
        &w,
        LAB,
        "ghost",
        "customers/acme/keyPersons/ghost",
        vec![MemberRole::CustomerEngineer],
    )
    .await;
    assert_eq!(code(ghost), Code::InvalidArgument);
    let nosub = key_person_member(
        &w,
        LAB,
        "nosub",
        "customers/acme/keyPersons/nosub",
        vec![MemberRole::Observer],
    )
    .await;
    assert_eq!(code(nosub), Code::FailedPrecondition);
    let wrong_role = key_person_member(
        &w,
        LAB,
        "intern",
        "customers/acme/keyPersons/intern",
        vec![MemberRole::VendorEngineer],
    )
    .await;
    assert_eq!(code(wrong_role), Code::InvalidArgument);
    // The customer's executive may add their own people; the member takes the key
    // person's subject, so that person now sees the lab.
    let m = c
        .create_member(authed(
            &w.cto(),
            pb::CreateMemberRequest {
                parent: LAB.into(),
                member: Some(pb::Member {
                    key_person: "customers/acme/keyPersons/intern".into(),
                    roles: vec![MemberRole::Observer as i32],
                    ..Default::default()
                }),
                member_id: "intern".into(),
                request_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (m.subject.as_str(), m.org.as_str()),
        ("intern@acme", "customers/acme")
    );
    c.get_lab(authed(
        &w.customer("acme", "intern@acme"),
        pb::GetLabRequest { name: LAB.into() },
    ))
    .await
    .unwrap();
    // An observer cannot write, a customer engineer cannot add people.
    let err = c
        .append_log_entries(authed(
            &w.customer("acme", "intern@acme"),
            append_request(LAB, 0, 1),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = c
        .create_member(authed(
            &w.ceng(),
            pb::CreateMemberRequest {
                parent: LAB.into(),
                member: Some(pb::Member {
                    key_person: "customers/acme/keyPersons/nosub".into(),
                    roles: vec![MemberRole::Observer as i32],
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // Removing a member hides the lab from them again.
    c.delete_member(authed(
        &w.admin,
        pb::DeleteMemberRequest {
            name: format!("{LAB}/members/intern"),
        },
    ))
    .await
    .unwrap();
    let err = c
        .get_lab(authed(
            &w.customer("acme", "intern@acme"),
            pb::GetLabRequest { name: LAB.into() },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

both_backends!(
    outsiders_get_not_found_from_every_method_and_stream,
    labs_and_members_are_checked_against_the_customers_service
);
