//! Rows to protobuf resources.

use crate::store::*;
use symbolon_contracts::labs::v1 as pb;
use symbolon_platform::{aip::etag, time::to_timestamp};

pub(crate) fn lab(r: LabRow) -> pb::Lab {
    pb::Lab {
        name: format!("labs/{}", r.meta.id),
        customer: format!("customers/{}", r.customer_id),
        display_name: r.display_name,
        description: r.description,
        last_log_sequence: r.last_seq,
        create_time: Some(to_timestamp(r.meta.create_time)),
        update_time: Some(to_timestamp(r.meta.update_time)),
        etag: etag(r.meta.version),
    }
}

pub(crate) fn member(r: MemberRow) -> pb::Member {
    pb::Member {
        name: format!("labs/{}/members/{}", r.meta.scope, r.meta.id),
        key_person: r.key_person,
        subject: r.subject,
        org: r.org,
        roles: r.roles,
        display_name: r.display_name,
        create_time: Some(to_timestamp(r.meta.create_time)),
    }
}

pub(crate) fn signer_key(r: SignerKeyRow) -> pb::SignerKey {
    pb::SignerKey {
        name: format!("labs/{}/signerKeys/{}", r.lab_id, r.id),
        member: format!("labs/{}/members/{}", r.lab_id, r.member_id),
        public_key_pem: r.public_key_pem,
        key_id: r.id,
        create_time: Some(to_timestamp(r.create_time)),
    }
}

pub(crate) fn proposal(r: ProposalRow) -> pb::Proposal {
    let approved =
        r.vendor_approved == r.latest_revision && r.customer_approved == r.latest_revision;
    pb::Proposal {
        name: format!("labs/{}/proposals/{}", r.meta.scope, r.meta.id),
        title: r.title,
        content: r.content,
        latest_revision: r.latest_revision as i32,
        state: if approved {
            pb::ProposalState::Approved
        } else {
            pb::ProposalState::InReview
        } as i32,
        vendor_approved_revision: r.vendor_approved as i32,
        customer_approved_revision: r.customer_approved as i32,
        author: r.author,
        create_time: Some(to_timestamp(r.meta.create_time)),
        update_time: Some(to_timestamp(r.meta.update_time)),
        etag: etag(r.meta.version),
    }
}

fn split(parent: &str) -> (&str, &str) {
    parent.split_once('/').unwrap_or((parent, ""))
}

pub(crate) fn revision(r: RevisionRow) -> pb::ProposalRevision {
    let (lab, p) = split(&r.parent);
    pb::ProposalRevision {
        name: format!("labs/{lab}/proposals/{p}/revisions/{}", r.number),
        number: r.number as i32,
        content: r.content,
        author: r.author,
        create_time: Some(to_timestamp(r.create_time)),
    }
}

pub(crate) fn comment(r: CommentRow) -> pb::ProposalComment {
    let (lab, p) = split(&r.parent);
    pb::ProposalComment {
        name: format!("labs/{lab}/proposals/{p}/comments/{}", r.id),
        body: r.body,
        revision: r.revision as i32,
        author: r.author,
        create_time: Some(to_timestamp(r.create_time)),
    }
}

pub(crate) fn test_plan(r: TestPlanRow, latest: Option<&TestRunRow>) -> pb::TestPlan {
    let name = format!("labs/{}/testPlans/{}", r.meta.scope, r.meta.id);
    pb::TestPlan {
        latest_run: latest
            .map(|l| format!("{name}/testRuns/{}", l.id))
            .unwrap_or_default(),
        status: latest.map_or(pb::TestPlanStatus::NotRun as i32, |l| l.outcome),
        name,
        title: r.title,
        cases: r
            .cases
            .into_iter()
            .map(|c| pb::TestCase {
                id: c.id,
                title: c.title,
                expected_result: c.expected,
            })
            .collect(),
        create_time: Some(to_timestamp(r.meta.create_time)),
    }
}

pub(crate) fn test_run(r: TestRunRow) -> pb::TestRun {
    let (lab, plan) = split(&r.parent);
    pb::TestRun {
        name: format!("labs/{lab}/testPlans/{plan}/testRuns/{}", r.id),
        results: r
            .results
            .into_iter()
            .map(|c| pb::CaseResult {
                case_id: c.case_id,
                verdict: c.verdict,
                evidence_sha256: c.evidence,
                note: c.note,
            })
            .collect(),
        outcome: r.outcome,
        author: r.author,
        create_time: Some(to_timestamp(r.create_time)),
    }
}

pub(crate) fn log_entry(r: &LogEntryRow) -> pb::LogEntry {
    pb::LogEntry {
        name: format!("labs/{}/logEntries/{}", r.lab_id, r.seq),
        sequence: r.seq,
        component: r.component.clone(),
        message: r.message.clone(),
        attributes: r
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        author: r.author.clone(),
        create_time: Some(to_timestamp(r.create_time)),
        prev_hash: r.prev_hash.clone(),
        hash: r.hash.clone(),
    }
}

pub(crate) fn access_record(r: AccessRow) -> pb::AccessRecord {
    pb::AccessRecord {
        name: format!("labs/{}/accessRecords/{}", r.lab_id, r.id),
        subject: r.subject,
        org: r.org,
        method: r.method,
        detail: r.detail,
        access_time: Some(to_timestamp(r.access_time)),
    }
}

pub(crate) fn release(r: ReleaseRow, sigs: Vec<SignatureRow>) -> pb::Release {
    let lab = r.meta.scope.clone();
    pb::Release {
        name: format!("labs/{lab}/releases/{}", r.meta.id),
        version: r.release_version,
        artifacts: r
            .artifacts
            .into_iter()
            .map(|a| pb::Artifact {
                name: a.name,
                sha256: a.sha256,
            })
            .collect(),
        notes: r.notes,
        required_signer_roles: r.required_roles,
        state: r.state,
        statement: r.statement.into_bytes(),
        payload_type: crate::dsse::STATEMENT_PAYLOAD_TYPE.into(),
        signatures: sigs
            .into_iter()
            .map(|s| pb::ReleaseSignature {
                key_id: s.key_id,
                member: format!("labs/{lab}/members/{}", s.member_id),
                subject: s.subject,
                roles: s.roles,
                sig: base64::Engine::decode(&base64::engine::general_purpose::STANDARD, s.sig)
                    .unwrap_or_default(),
                sign_time: Some(to_timestamp(s.sign_time)),
            })
            .collect(),
        create_time: Some(to_timestamp(r.meta.create_time)),
        publish_time: r.publish_time.map(to_timestamp),
        etag: etag(r.meta.version),
    }
}
