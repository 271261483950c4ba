//! Joint design: proposals with revisions and comments; approved only when both sides
//! approved the latest revision (a new revision resets approvals).

use super::{Api, access::*, convert, labs::list_pb};
use crate::store::{self, CommentRow, ProposalRow, RevisionRow, Side};
use std::sync::Arc;
use symbolon_contracts::labs::v1::{self as pb, MemberRole};
use symbolon_platform::{
    Caller, Violations,
    aip::{chosen_or_new_id, etag_version, request_key, text, written},
    names, status,
};
use tonic::Status;

pub(crate) async fn create_proposal(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::CreateProposalRequest,
) -> Result<pb::Proposal, Status> {
    let ids = parse("parent", &r.parent, &["labs"])?;
    let mut v = Violations::new();
    let key = request_key(c, "CreateProposal", &r.parent, &r, &mut v);
    let p = r.proposal.unwrap_or_default();
    text(&mut v, "proposal.title", &p.title, true, 300);
    text(&mut v, "proposal.content", &p.content, true, 100_000);
    let id = chosen_or_new_id(&mut v, "proposal_id", &r.proposal_id);
    v.into_result()?;
    let a = open(&api.db, c, ids[0]).await?;
    a.require(CONTRIBUTORS, "writing a proposal")?;
    let name = format!("{}/proposals/{id}", a.name());
    let row = store::create_proposal(
        &api.db,
        a.id(),
        &id,
        p.title.trim(),
        &p.content,
        &c.subject,
        api.clock.now(),
        key,
    )
    .await
    .map_err(status::exists_on_conflict(&name))?;
    Ok(convert::proposal(row))
}

/// The proposal named `name`, sent in request field `field` (`name` or `parent`).
async fn proposal(
    api: &Api,
    c: &Arc<Caller>,
    field: &str,
    name: &str,
) -> Result<(Access, ProposalRow), Status> {
    child(&api.db, c, field, name, &["labs", "proposals"]).await
}

pub(crate) async fn get_proposal(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::GetProposalRequest,
) -> Result<pb::Proposal, Status> {
    Ok(convert::proposal(
        proposal(api, c, "name", &r.name).await?.1,
    ))
}

pub(crate) async fn list_proposals(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::ListProposalsRequest,
) -> Result<pb::ListProposalsResponse, Status> {
    let a = open_named(&api.db, c, "parent", &r.parent).await?;
    let (proposals, next_page_token) = list_pb::<ProposalRow, _>(
        api,
        a.id(),
        &format!("proposals;{}", r.parent),
        (r.page_size, &r.page_token),
        convert::proposal,
    )
    .await?;
    Ok(pb::ListProposalsResponse {
        proposals,
        next_page_token,
    })
}

pub(crate) async fn revise_proposal(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::ReviseProposalRequest,
) -> Result<pb::Proposal, Status> {
    let mut v = Violations::new();
    v.check("name", names::parse(&r.name, &["labs", "proposals"]));
    text(&mut v, "content", &r.content, true, 100_000);
    v.into_result()?;
    let (a, p) = proposal(api, c, "name", &r.name).await?;
    a.require(CONTRIBUTORS, "revising a proposal")?;
    let w = store::revise_proposal(
        &api.db,
        a.id(),
        &p.meta.id,
        &r.content,
        &c.subject,
        etag_version(&r.etag),
        api.clock.now(),
    )
    .await?;
    Ok(convert::proposal(written(w, &r.name)?))
}

pub(crate) async fn list_proposal_revisions(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::ListProposalRevisionsRequest,
) -> Result<pb::ListProposalRevisionsResponse, Status> {
    let (a, p) = proposal(api, c, "parent", &r.parent).await?;
    let (revisions, next_page_token) = list_pb::<RevisionRow, _>(
        api,
        &store::parent_key(a.id(), &p.meta.id),
        &format!("revisions;{}", r.parent),
        (r.page_size, &r.page_token),
        convert::revision,
    )
    .await?;
    Ok(pb::ListProposalRevisionsResponse {
        revisions,
        next_page_token,
    })
}

pub(crate) async fn approve_proposal(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::ApproveProposalRequest,
) -> Result<pb::Proposal, Status> {
    let mut v = Violations::new();
    v.check("name", names::parse(&r.name, &["labs", "proposals"]));
    if r.revision <= 0 {
        v.add("revision", "the revision being approved is required");
    }
    v.into_result()?;
    let (a, p) = proposal(api, c, "name", &r.name).await?;
    let side = a.side();
    match side {
        Side::Vendor => a.require(
            &[MemberRole::VendorEngineer, MemberRole::VendorReleaseManager],
            "approving for the vendor",
        )?,
        Side::Customer => a.require(
            &[MemberRole::CustomerEngineer, MemberRole::CustomerExecutive],
            "approving for the customer",
        )?,
    }
    let w = store::approve_proposal(
        &api.db,
        a.id(),
        &p.meta.id,
        side,
        i64::from(r.revision),
        api.clock.now(),
    )
    .await?;
    match w {
        store::Write::Stale => Err(status::failed_precondition(
            "REVISION_NOT_LATEST",
            &r.name,
            format!(
                "revision {} is not the latest revision of {}; review the latest and approve it",
                r.revision, r.name
            ),
        )),
        other => Ok(convert::proposal(written(other, &r.name)?)),
    }
}

pub(crate) async fn create_proposal_comment(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::CreateProposalCommentRequest,
) -> Result<pb::ProposalComment, Status> {
    let mut v = Violations::new();
    let key = request_key(c, "CreateProposalComment", &r.parent, &r, &mut v);
    v.check("parent", names::parse(&r.parent, &["labs", "proposals"]));
    let cm = r.comment.unwrap_or_default();
    text(&mut v, "comment.body", &cm.body, true, 20_000);
    if cm.revision < 0 {
        v.add("comment.revision", "must not be negative");
    }
    v.into_result()?;
    let (a, p) = proposal(api, c, "parent", &r.parent).await?;
    a.require(CONTRIBUTORS, "commenting")?;
    let revision = if cm.revision == 0 {
        p.latest_revision
    } else {
        i64::from(cm.revision)
    };
    if revision > p.latest_revision {
        return Err(status::invalid_argument(
            "comment.revision",
            format!("the latest revision is {}", p.latest_revision),
        ));
    }
    let row: CommentRow = store::insert(
        &api.db,
        &["parent", "id", "revision", "body", "author", "create_time"],
        vec![
            store::parent_key(a.id(), &p.meta.id).into(),
            names::new_id().into(),
            revision.into(),
            cm.body.into(),
            c.subject.clone().into(),
            api.clock.now().into(),
        ],
        key,
    )
    .await?;
    Ok(convert::comment(row))
}

pub(crate) async fn list_proposal_comments(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::ListProposalCommentsRequest,
) -> Result<pb::ListProposalCommentsResponse, Status> {
    let (a, p) = proposal(api, c, "parent", &r.parent).await?;
    let (comments, next_page_token) = list_pb::<CommentRow, _>(
        api,
        &store::parent_key(a.id(), &p.meta.id),
        &format!("comments;{}", r.parent),
        (r.page_size, &r.page_token),
        convert::comment,
    )
    .await?;
    Ok(pb::ListProposalCommentsResponse {
        comments,
        next_page_token,
    })
}
