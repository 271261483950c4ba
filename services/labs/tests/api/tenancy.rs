//! Labs and members are checked against the customers service: a lab's customer and a
//! member's key person must exist and belong together, and membership is what makes a
//! lab visible. That a lab's non-members and other customers' people get NOT_FOUND from
//! every method and stream, and list none of it, is asserted for every method by the
//! generated policy matrix (`cli/tests/policy_matrix/tenancy.rs`).

use crate::helpers::*;
use symbolon_contracts::labs::v1::{self as pb, MemberRole};
use symbolon_testkit::{Backend, both_backends};
use tonic::Code;

async fn labs_and_members_are_checked_against_the_customers_service(backend: Backend) {
    let w = world(backend).await;
    // An unknown customer.
    let err = w
        .try_call(pb::CreateLabRequest {
            lab: Some(pb::Lab {
                customer: "customers/nobody".into(),
                display_name: "x".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    // Only vendor admins create labs.
    let err = w
        .by(&w.eng())
        .try_call(pb::CreateLabRequest {
            lab: Some(pb::Lab {
                customer: "customers/acme".into(),
                display_name: "x".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
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
    let wrong_role =
        key_person_member(&w, LAB, "intern", INTERN, vec![MemberRole::VendorEngineer]).await;
    assert_eq!(code(wrong_role), Code::InvalidArgument);
    // The customer's executive may add their own people; the member takes the key
    // person's subject, so that person now sees the lab.
    let m = w
        .by(&w.cto())
        .call(key_person_member_request(
            LAB,
            "intern",
            INTERN,
            vec![MemberRole::Observer],
        ))
        .await;
    assert_eq!(
        (m.subject.as_str(), m.org.as_str()),
        ("intern@acme", "customers/acme")
    );
    w.by(&w.customer("acme", "intern@acme"))
        .call(pb::GetLabRequest { name: LAB.into() })
        .await;
    // An observer cannot write, a customer engineer cannot add people.
    let err = w
        .by(&w.customer("acme", "intern@acme"))
        .try_call(append_request(LAB, 0, 1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = w
        .by(&w.ceng())
        .try_call(pb::CreateMemberRequest {
            parent: LAB.into(),
            member: Some(pb::Member {
                key_person: "customers/acme/keyPersons/nosub".into(),
                roles: vec![MemberRole::Observer as i32],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // Removing a member hides the lab from them again.
    w.call(pb::DeleteMemberRequest {
        name: format!("{LAB}/members/intern"),
    })
    .await;
    let err = w
        .by(&w.customer("acme", "intern@acme"))
        .try_call(pb::GetLabRequest { name: LAB.into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

both_backends!(labs_and_members_are_checked_against_the_customers_service);
