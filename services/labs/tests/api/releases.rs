//! Co-signed releases: publication refused for missing, wrong-key, duplicate-signer and
//! tampered-statement signatures, each with its reason; offline verification of the
//! exported envelope.

use crate::{design::release_request, helpers::*};
use symbolon_contracts::labs::v1::{self as pb, MemberRole};
use symbolon_labs::{dsse, tools::to_proto as envelope};
use symbolon_testkit::{Backend, both_backends};
use tonic::{Code, Status};

struct Signer {
    private: String,
    public: String,
}

fn signer() -> Signer {
    let (private, public) = dsse::generate_signer_key().unwrap();
    Signer { private, public }
}

async fn register(w: &World, token: &str, s: &Signer) -> pb::SignerKey {
    w.by(token)
        .call(pb::RegisterSignerKeyRequest {
            parent: LAB.into(),
            signer_key: Some(pb::SignerKey {
                public_key_pem: s.public.clone(),
                ..Default::default()
            }),
        })
        .await
}

/// `statement` signed with `key`, as the API carries it.
fn signed(statement: &[u8], key: &Signer) -> pb::Envelope {
    envelope(dsse::sign_statement(statement, &key.private).unwrap())
}

async fn sign(
    w: &World,
    token: &str,
    release: &str,
    env: pb::Envelope,
) -> Result<pb::Release, Status> {
    w.by(token)
        .try_call(pb::SignReleaseRequest {
            name: release.into(),
            envelope: Some(env),
        })
        .await
}

async fn publish(w: &World, release: &str) -> Result<pb::Release, Status> {
    w.by(&w.rm())
        .try_call(pb::PublishReleaseRequest {
            name: release.into(),
        })
        .await
}

fn refused(r: Result<pb::Release, Status>, code: Code, why: &str) {
    let s = r.expect_err("expected a refusal");
    assert_eq!((s.code(), reason(&s).as_str()), (code, why), "{s:?}");
}

async fn publication_needs_every_role_from_distinct_verified_signers(backend: Backend) {
    let w = world(backend).await;
    let (rm, cto, rogue) = (signer(), signer(), signer());
    let rm_key = register(&w, &w.rm(), &rm).await;
    register(&w, &w.cto(), &cto).await;
    let release = w.by(&w.rm()).call(release_request("r1", vec![])).await;
    let name = release.name.clone();
    // What is signed is the canonical statement the server shows.
    let statement = dsse::Statement::parse(&release.statement).unwrap();
    assert_eq!(statement.version, "24.3.1");
    assert_eq!(statement.release, name);
    assert_eq!(
        statement.required_signer_roles,
        vec![
            "MEMBER_ROLE_CUSTOMER_EXECUTIVE",
            "MEMBER_ROLE_VENDOR_RELEASE_MANAGER"
        ]
    );

    // The release manager signs. Missing: the customer executive.
    sign(&w, &w.rm(), &name, signed(&release.statement, &rm))
        .await
        .unwrap();
    let err = publish(&w, &name).await.unwrap_err();
    assert_eq!(reason(&err), "SIGNATURES_MISSING");
    assert!(
        err.message().contains("MEMBER_ROLE_CUSTOMER_EXECUTIVE"),
        "{err:?}"
    );

    // Tampered statement: the CTO signs different notes.
    let mut tampered = statement.clone();
    tampered.notes = "No known issues.".into();
    refused(
        sign(&w, &w.cto(), &name, signed(&tampered.canonical(), &cto)).await,
        Code::FailedPrecondition,
        "STATEMENT_MISMATCH",
    );
    // An unregistered key.
    refused(
        sign(&w, &w.cto(), &name, signed(&release.statement, &rogue)).await,
        Code::FailedPrecondition,
        "KEY_NOT_REGISTERED",
    );
    // A wrong key: signed by another key, claiming the CTO's… or the RM's key id.
    let mut forged = dsse::sign_statement(&release.statement, &rogue.private).unwrap();
    forged.signatures[0].keyid = dsse::key_id(&dsse::parse_public_key(&cto.public).unwrap());
    refused(
        sign(&w, &w.cto(), &name, envelope(forged)).await,
        Code::FailedPrecondition,
        "SIGNATURE_INVALID",
    );
    // The release manager again, with a second key: a signer counts once.
    let rm2 = signer();
    register(&w, &w.rm(), &rm2).await;
    refused(
        sign(&w, &w.rm(), &name, signed(&release.statement, &rm2)).await,
        Code::FailedPrecondition,
        "DUPLICATE_SIGNER",
    );
    // Nobody registers a key for someone else: the key is the caller's own.
    let err = w
        .try_call(pb::RegisterSignerKeyRequest {
            parent: LAB.into(),
            signer_key: Some(pb::SignerKey {
                public_key_pem: signer().public,
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // Still not publishable.
    assert_eq!(
        reason(&publish(&w, &name).await.unwrap_err()),
        "SIGNATURES_MISSING"
    );

    // The CTO signs the real statement: now it publishes.
    sign(&w, &w.cto(), &name, signed(&release.statement, &cto))
        .await
        .unwrap();
    let published = publish(&w, &name).await.unwrap();
    assert_eq!(published.state, pb::ReleaseState::Published as i32);
    assert_eq!(published.signatures.len(), 2);
    // Immutable.
    refused(
        sign(&w, &w.rm(), &name, signed(&release.statement, &rm2)).await,
        Code::FailedPrecondition,
        "RELEASE_PUBLISHED",
    );

    // Exported and verified offline with only the public keys.
    let exported = w
        .by(&w.cto())
        .call(pb::ExportReleaseRequest { name: name.clone() })
        .await;
    let v = dsse::verify_envelope(&exported.dsse_json, &[&rm.public, &cto.public]).unwrap();
    assert_eq!(v.statement, statement);
    assert!(v.signed_by.contains(&rm_key.key_id));
    // A changed byte in the exported statement, or a missing signer, fails offline.
    let mut env = dsse::Envelope::from_json(&exported.dsse_json).unwrap();
    env.payload = String::from_utf8(env.payload)
        .unwrap()
        .replace("24.3.1", "24.3.2")
        .into_bytes();
    assert!(matches!(
        dsse::verify_envelope(&env.to_json(), &[&rm.public, &cto.public]),
        Err(dsse::DsseError::BadSignature(_))
    ));
    assert!(matches!(
        dsse::verify_envelope(&exported.dsse_json, &[&rm.public, &signer().public]),
        Err(dsse::DsseError::MissingSignature(_))
    ));
}

async fn one_person_cannot_fill_two_required_roles(backend: Backend) {
    let w = world(backend).await;
    // A vendor person who is both engineer and release manager.
    vendor_member(
        &w,
        LAB,
        "both",
        "both@vendor",
        vec![MemberRole::VendorEngineer, MemberRole::VendorReleaseManager],
    )
    .await;
    let both_token = w.vendor("both@vendor");
    let (both, cto) = (signer(), signer());
    register(&w, &both_token, &both).await;
    register(&w, &w.cto(), &cto).await;
    let release = w
        .by(&w.rm())
        .call(release_request("r2", vec![MemberRole::VendorEngineer]))
        .await;
    for (t, s) in [(&both_token, &both), (&w.cto(), &cto)] {
        sign(&w, t, &release.name, signed(&release.statement, s))
            .await
            .unwrap();
    }
    let err = publish(&w, &release.name).await.unwrap_err();
    assert_eq!(reason(&err), "SIGNATURES_MISSING");
    assert!(err.message().contains("counts once"), "{err:?}");
    // Offline, two signers do not satisfy three roles either.
    let rm = signer();
    register(&w, &w.rm(), &rm).await;
    sign(&w, &w.rm(), &release.name, signed(&release.statement, &rm))
        .await
        .unwrap();
    let published = publish(&w, &release.name).await.unwrap();
    assert_eq!(published.signatures.len(), 3);
}

both_backends!(
    publication_needs_every_role_from_distinct_verified_signers,
    one_person_cannot_fill_two_required_roles
);
