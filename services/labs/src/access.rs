//! Who may call each RPC of `symbolon.labs.v1.LabsService`, enforced by
//! `platform::access::Guard` before any handler runs (see `docs/access.md`).
//!
//! Every role may reach a lab's methods, and then only as a member of that lab (or a
//! vendor admin): `api/access.rs` opens the lab and checks the member's lab roles, and
//! to anyone else the lab is NOT_FOUND. Creating and changing labs and removing members
//! is for vendor admins (adding a key person also for the customer's executive member,
//! which the handler checks by lab role); writing the optimisation log and releases is for the vendor's
//! people (members with the lab role the handler names).

use symbolon_platform::access::{ADMIN, EVERYONE, ServicePolicy, Tenancy::*, VENDOR, rule};

/// `symbolon.labs.v1.LabsService`.
pub static LABS: ServicePolicy = ServicePolicy {
    service: "symbolon.labs.v1.LabsService",
    rules: &[
        rule("CreateLab", &[ADMIN], Customer),
        rule("GetLab", EVERYONE, LabMember),
        rule("ListLabs", EVERYONE, LabMember),
        rule("UpdateLab", &[ADMIN], LabMember),
        rule("CreateMember", EVERYONE, LabMember),
        rule("GetMember", EVERYONE, LabMember),
        rule("ListMembers", EVERYONE, LabMember),
        rule("DeleteMember", &[ADMIN], LabMember),
        rule("CreateProposal", EVERYONE, LabMember),
        rule("GetProposal", EVERYONE, LabMember),
        rule("ListProposals", EVERYONE, LabMember),
        rule("ReviseProposal", EVERYONE, LabMember),
        rule("ListProposalRevisions", EVERYONE, LabMember),
        rule("ApproveProposal", EVERYONE, LabMember),
        rule("CreateProposalComment", EVERYONE, LabMember),
        rule("ListProposalComments", EVERYONE, LabMember),
        rule("CreateTestPlan", EVERYONE, LabMember),
        rule("GetTestPlan", EVERYONE, LabMember),
        rule("ListTestPlans", EVERYONE, LabMember),
        rule("CreateTestRun", EVERYONE, LabMember),
        rule("GetTestRun", EVERYONE, LabMember),
        rule("ListTestRuns", EVERYONE, LabMember),
        rule("AppendLogEntries", VENDOR, LabMember),
        rule("StreamLogEntries", VENDOR, LabMember),
        rule("WatchLogEntries", EVERYONE, LabMember),
        rule("ListLogEntries", EVERYONE, LabMember),
        rule("VerifyLog", EVERYONE, LabMember),
        rule("ListAccessRecords", EVERYONE, LabMember),
        rule("RegisterSignerKey", EVERYONE, LabMember),
        rule("ListSignerKeys", EVERYONE, LabMember),
        rule("CreateRelease", VENDOR, LabMember),
        rule("GetRelease", EVERYONE, LabMember),
        rule("ListReleases", EVERYONE, LabMember),
        rule("SignRelease", EVERYONE, LabMember),
        rule("PublishRelease", VENDOR, LabMember),
        rule("ExportRelease", EVERYONE, LabMember),
    ],
};
