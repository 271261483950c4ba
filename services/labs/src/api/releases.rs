//! Co-signed release statements: created as drafts with a canonical statement, signed
//! with DSSE envelopes verified against registered Ed25519 keys, published only when
//! every required role is filled by a distinct signer, then immutable and exportable.

use super::{Api, access::*, convert, labs::list_scoped};
use crate::{
    dsse::{self, ArtifactDigest, Statement},
    store::{self, MemberRow, ReleaseRow, SignatureRow, SignerKeyRow},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use std::{collections::BTreeSet, sync::Arc};
use symbolon_contracts::labs::v1::{self as pb, MemberRole, ReleaseState};
use symbolon_platform::{
    Caller, StoreError, Violations,
    aip::{chosen_or_new_id, request_key, text},
    names, status,
};
use tonic::Status;

/// Roles every release needs.
const ALWAYS_REQUIRED: [MemberRole; 2] = [
    MemberRole::VendorReleaseManager,
    MemberRole::CustomerExecutive,
];

pub(crate) fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn role_name(r: i32) -> &'static str {
    MemberRole::try_from(r).map_or("MEMBER_ROLE_UNKNOWN", |r| r.as_str_name())
}

pub(crate) async fn create_release(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::CreateReleaseRequest,
) -> Result<pb::Release, Status> {
    let ids = parse("parent", &r.parent, &["labs"])?;
    let mut v = Violations::new();
    let key = request_key(c, "CreateRelease", &r.parent, &r, &mut v);
    let rel = r.release.unwrap_or_default();
    text(&mut v, "release.version", &rel.version, true, 100);
    text(&mut v, "release.notes", &rel.notes, false, 20_000);
    if rel.artifacts.is_empty() {
        v.add("release.artifacts", "at least one artifact is required");
    }
    for (i, a) in rel.artifacts.iter().enumerate() {
        text(
            &mut v,
            &format!("release.artifacts[{i}].name"),
            &a.name,
            true,
            300,
        );
        if !is_sha256(&a.sha256) {
            v.add(
                format!("release.artifacts[{i}].sha256"),
                "must be 64 lowercase hex digits",
            );
        }
    }
    let mut roles = BTreeSet::new();
    for (i, role) in rel.required_signer_roles.iter().enumerate() {
        match MemberRole::try_from(*role) {
            Ok(MemberRole::Unspecified) | Ok(MemberRole::Observer) | Err(_) => v.add(
                format!("release.required_signer_roles[{i}]"),
                "must be a known signing role",
            ),
            Ok(r) => {
                roles.insert(r as i32);
            }
        }
    }
    for r in ALWAYS_REQUIRED {
        if !roles.contains(&(r as i32)) {
            v.add(
                "release.required_signer_roles",
                format!("must include {}", r.as_str_name()),
            );
        }
    }
    let id = chosen_or_new_id(&mut v, "release_id", &r.release_id);
    v.into_result()?;
    let a = open(&api.db, c, ids[0]).await?;
    if !c.is_vendor() {
        return Err(status::permission_denied(
            "release statements are created by the vendor's release manager",
        ));
    }
    a.require(&[MemberRole::VendorReleaseManager], "creating a release")?;
    let roles: Vec<i32> = roles.into_iter().collect();
    let artifacts: Vec<ArtifactDigest> = rel
        .artifacts
        .iter()
        .map(|x| ArtifactDigest {
            name: x.name.trim().into(),
            sha256: x.sha256.clone(),
        })
        .collect();
    let name = format!("{}/releases/{id}", a.name());
    let statement = Statement {
        statement_type: dsse::STATEMENT_TYPE.into(),
        release: name.clone(),
        customer: format!("customers/{}", a.lab.customer_id),
        version: rel.version.trim().into(),
        artifacts: artifacts.clone(),
        notes: rel.notes.clone(),
        required_signer_roles: roles.iter().map(|r| role_name(*r).to_string()).collect(),
    };
    let canonical = String::from_utf8(statement.canonical()).unwrap_or_default();
    let now = api.clock.now();
    let row: ReleaseRow = store::insert(
        &api.db,
        &[
            "id",
            "lab_id",
            "release_version",
            "artifacts",
            "notes",
            "required_roles",
            "statement",
            "state",
            "create_time",
            "update_time",
        ],
        vec![
            id.into(),
            a.id().into(),
            rel.version.trim().into(),
            store::to_json(&artifacts).into(),
            rel.notes.into(),
            store::to_json(&roles).into(),
            canonical.into(),
            i64::from(ReleaseState::Draft as i32).into(),
            now.into(),
            now.into(),
        ],
        key,
    )
    .await
    .map_err(status::exists_on_conflict(&name))?;
    if row.meta.scope != a.id() {
        return Err(status::not_found(&r.parent));
    }
    Ok(convert::release(row, Vec::new()))
}

async fn load(
    api: &Api,
    c: &Arc<Caller>,
    name: &str,
) -> Result<(Access, ReleaseRow, Vec<SignatureRow>), Status> {
    let (a, row) = child::<ReleaseRow>(&api.db, c, "name", name, &["labs", "releases"]).await?;
    let sigs = store::signatures(&api.db, a.id(), &row.meta.id).await?;
    Ok((a, row, sigs))
}

pub(crate) async fn get_release(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::GetReleaseRequest,
) -> Result<pb::Release, Status> {
    let (_, row, sigs) = load(api, c, &r.name).await?;
    Ok(convert::release(row, sigs))
}

pub(crate) async fn list_releases(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::ListReleasesRequest,
) -> Result<pb::ListReleasesResponse, Status> {
    let a = open_named(&api.db, c, "parent", &r.parent).await?;
    let (rows, next_page) = list_scoped::<ReleaseRow>(
        api,
        a.id(),
        &format!("releases;{}", r.parent),
        r.page_size,
        &r.page_token,
    )
    .await?;
    let mut releases = Vec::with_capacity(rows.len());
    for row in rows {
        let sigs = store::signatures(&api.db, a.id(), &row.meta.id).await?;
        releases.push(convert::release(row, sigs));
    }
    let next_page_token = next_page.token(&mut releases);
    Ok(pb::ListReleasesResponse {
        releases,
        next_page_token,
    })
}

fn refused(reason: &str, subject: &str, description: String) -> Status {
    status::failed_precondition(reason, subject, description)
}

pub(crate) async fn sign_release(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::SignReleaseRequest,
) -> Result<pb::Release, Status> {
    let env = r.envelope.unwrap_or_default();
    let mut v = Violations::new();
    v.check("name", names::parse(&r.name, &["labs", "releases"]));
    if env.signatures.is_empty() {
        v.add("envelope.signatures", "at least one signature is required");
    }
    v.into_result()?;
    let (a, row, existing) = load(api, c, &r.name).await?;
    if row.state == ReleaseState::Published as i32 {
        return Err(refused(
            "RELEASE_PUBLISHED",
            &r.name,
            format!("{} is published and immutable", r.name),
        ));
    }
    if env.payload_type != dsse::STATEMENT_PAYLOAD_TYPE || env.payload != row.statement.as_bytes() {
        return Err(refused(
            "STATEMENT_MISMATCH",
            &r.name,
            "the signed payload is not this release's canonical statement (tampered or stale); \
             sign the `statement` bytes of the release as they are"
                .into(),
        ));
    }
    let now = api.clock.now();
    let mut new: Vec<SignatureRow> = Vec::new();
    for s in &env.signatures {
        let key = store::get::<SignerKeyRow>(&api.db, a.id(), &s.keyid)
            .await?
            .ok_or_else(|| {
                refused(
                    "KEY_NOT_REGISTERED",
                    &s.keyid,
                    format!("no signer key {:?} is registered in this lab", s.keyid),
                )
            })?;
        let public =
            dsse::parse_public_key(&key.public_key_pem).map_err(|e| status::internal(&e))?;
        if dsse::verify_signature(&env.payload_type, &env.payload, &s.sig, &public).is_err() {
            return Err(refused(
                "SIGNATURE_INVALID",
                &s.keyid,
                format!(
                    "the signature for key {} does not verify against the registered key",
                    s.keyid
                ),
            ));
        }
        let member = store::get::<MemberRow>(&api.db, a.id(), &key.member_id)
            .await?
            .ok_or_else(|| {
                refused(
                    "SIGNER_NOT_MEMBER",
                    &s.keyid,
                    "the key's owner is no longer a member of the lab".into(),
                )
            })?;
        let duplicate = existing.iter().any(|x| x.member_id == member.meta.id)
            || new.iter().any(|x| x.member_id == member.meta.id);
        if duplicate {
            return Err(refused(
                "DUPLICATE_SIGNER",
                &format!("{}/members/{}", a.name(), member.meta.id),
                format!(
                    "{} has already signed this release; each signer counts once",
                    member.subject
                ),
            ));
        }
        new.push(SignatureRow {
            key_id: key.id,
            member_id: member.meta.id,
            subject: member.subject,
            roles: member.roles,
            sig: STANDARD.encode(&s.sig),
            sign_time: now,
        });
    }
    store::add_signatures(&api.db, a.id(), &row.meta.id, &new)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => refused(
                "DUPLICATE_SIGNER",
                &r.name,
                "a signer has already signed this release; each signer counts once".into(),
            ),
            other => other.into(),
        })?;
    let (_, row, sigs) = load(api, c, &r.name).await?;
    Ok(convert::release(row, sigs))
}

/// Assigns required roles to distinct signers (bipartite matching by augmenting
/// paths); returns the roles left unfilled.
pub(crate) fn unfilled_roles(required: &[i32], signers: &[Vec<i32>]) -> Vec<i32> {
    fn assign(
        role: usize,
        required: &[i32],
        signers: &[Vec<i32>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for (s, roles) in signers.iter().enumerate() {
            if seen[s] || !roles.contains(&required[role]) {
                continue;
            }
            seen[s] = true;
            if owner[s].is_none_or(|other| assign(other, required, signers, seen, owner)) {
                owner[s] = Some(role);
                return true;
            }
        }
        false
    }
    let mut owner = vec![None; signers.len()];
    let mut unfilled = Vec::new();
    for role in 0..required.len() {
        let mut seen = vec![false; signers.len()];
        if !assign(role, required, signers, &mut seen, &mut owner) {
            unfilled.push(required[role]);
        }
    }
    unfilled
}

pub(crate) async fn publish_release(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::PublishReleaseRequest,
) -> Result<pb::Release, Status> {
    let (a, row, sigs) = load(api, c, &r.name).await?;
    a.require(&[MemberRole::VendorReleaseManager], "publishing a release")?;
    if row.state == ReleaseState::Published as i32 {
        return Ok(convert::release(row, sigs));
    }
    // Every stored signature is verified again against the registered key.
    for s in &sigs {
        let key = store::get::<SignerKeyRow>(&api.db, a.id(), &s.key_id).await?;
        let ok = key.is_some_and(|k| {
            dsse::parse_public_key(&k.public_key_pem).is_ok_and(|p| {
                STANDARD.decode(&s.sig).is_ok_and(|sig| {
                    dsse::verify_signature(
                        dsse::STATEMENT_PAYLOAD_TYPE,
                        row.statement.as_bytes(),
                        &sig,
                        &p,
                    )
                    .is_ok()
                })
            })
        });
        if !ok {
            return Err(refused(
                "SIGNATURE_INVALID",
                &s.key_id,
                format!(
                    "the signature of {} with key {} no longer verifies",
                    s.subject, s.key_id
                ),
            ));
        }
    }
    let signer_roles: Vec<Vec<i32>> = sigs.iter().map(|s| s.roles.clone()).collect();
    let unfilled = unfilled_roles(&row.required_roles, &signer_roles);
    if !unfilled.is_empty() {
        let multi: Vec<String> = sigs
            .iter()
            .filter(|s| {
                s.roles
                    .iter()
                    .filter(|r| row.required_roles.contains(r))
                    .count()
                    > 1
            })
            .map(|s| s.subject.clone())
            .collect();
        let mut description = format!(
            "required signer roles without a distinct signer: {}",
            unfilled
                .iter()
                .map(|r| role_name(*r))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !multi.is_empty() {
            description.push_str(&format!(
                " (each signer counts once: {} holds several required roles)",
                multi.join(", ")
            ));
        }
        return Err(refused("SIGNATURES_MISSING", &r.name, description));
    }
    store::publish_release(
        &api.db,
        a.id(),
        &row.meta.id,
        ReleaseState::Published as i32,
        ReleaseState::Draft as i32,
        api.clock.now(),
    )
    .await?;
    let (_, row, sigs) = load(api, c, &r.name).await?;
    Ok(convert::release(row, sigs))
}

pub(crate) async fn export_release(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::ExportReleaseRequest,
) -> Result<pb::ExportReleaseResponse, Status> {
    let (_, row, sigs) = load(api, c, &r.name).await?;
    if row.state != ReleaseState::Published as i32 {
        return Err(refused(
            "RELEASE_NOT_PUBLISHED",
            &r.name,
            format!("{} is not published yet", r.name),
        ));
    }
    let env = dsse::Envelope {
        payload: row.statement.into_bytes(),
        payload_type: dsse::STATEMENT_PAYLOAD_TYPE.into(),
        signatures: sigs
            .iter()
            .map(|s| dsse::DsseSignature {
                keyid: s.key_id.clone(),
                sig: STANDARD.decode(&s.sig).unwrap_or_default(),
            })
            .collect(),
    };
    Ok(pb::ExportReleaseResponse {
        dsse_json: env.to_json(),
        envelope: Some(crate::tools::to_proto(env)),
    })
}

#[cfg(test)]
mod tests {
    use super::unfilled_roles;

    #[test]
    fn each_signer_fills_at_most_one_role() {
        // One person with both roles fills only one.
        assert_eq!(unfilled_roles(&[1, 2], &[vec![1, 2]]), vec![2]);
        // Two people: the matching finds the assignment even if greedy would not.
        assert!(unfilled_roles(&[1, 2], &[vec![1, 2], vec![1]]).is_empty());
        assert_eq!(unfilled_roles(&[1, 2], &[]), vec![1, 2]);
    }
}
