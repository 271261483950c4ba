//! The rows of each table and how they are read.

use sqlx::any::AnyRow;
use symbolon_platform::table;
use symbolon_platform::table::{Meta, json};

/// A lab (its scope column is its own id).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LabRow {
    /// Shared columns (`scope` = `id`).
    #[sqlx(skip)]
    pub meta: Meta,
    /// The owning customer id.
    pub customer_id: String,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Last log sequence.
    pub last_seq: i64,
}

table!(
    LabRow,
    "labs",
    "id",
    "id, customer_id, display_name, description, last_seq, create_time, update_time, delete_time, version",
    true,
    id: meta.id,
    meta: meta
);

/// A lab member.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    /// Shared columns (`scope` = lab id).
    #[sqlx(skip)]
    pub meta: Meta,
    /// `customers/{c}/keyPersons/{k}` or empty for vendor staff.
    pub key_person: String,
    /// Sign-in subject.
    pub subject: String,
    /// `vendor` or `customers/{c}`.
    pub org: String,
    /// `MemberRole` numbers.
    #[sqlx(skip)]
    pub roles: Vec<i32>,
    /// Display name.
    pub display_name: String,
}

table!(
    MemberRow,
    "members",
    "lab_id",
    "id, lab_id, key_person, subject, org, roles, display_name, create_time, update_time, delete_time, version",
    false,
    id: meta.id,
    meta: meta,
    json: [roles]
);

/// A registered signer key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignerKeyRow {
    /// Key id.
    pub id: String,
    /// Lab id.
    pub lab_id: String,
    /// Owning member id.
    pub member_id: String,
    /// Owner's subject.
    pub subject: String,
    /// SPKI PEM.
    pub public_key_pem: String,
    /// Micros.
    pub create_time: i64,
}

table!(
    SignerKeyRow,
    "signer_keys",
    "lab_id",
    "id, lab_id, member_id, subject, public_key_pem, create_time",
    false,
    id: id
);

/// A proposal.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProposalRow {
    /// Shared columns (`scope` = lab id).
    #[sqlx(skip)]
    pub meta: Meta,
    /// Title.
    pub title: String,
    /// Author subject.
    pub author: String,
    /// Latest revision number.
    pub latest_revision: i64,
    /// Revision approved by the vendor side.
    pub vendor_approved: i64,
    /// Revision approved by the customer side.
    pub customer_approved: i64,
    /// The latest revision's content (joined).
    pub content: String,
}

table!(
    ProposalRow,
    "proposals",
    "lab_id",
    "id, lab_id, title, author, latest_revision, vendor_approved, customer_approved, \
     create_time, update_time, delete_time, version, \
     COALESCE((SELECT r.content FROM proposal_revisions r WHERE r.parent = proposals.lab_id || '/' || proposals.id \
      AND r.number = proposals.latest_revision), '') AS content",
    false,
    id: meta.id,
    meta: meta
);

/// A proposal revision.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RevisionRow {
    /// `{lab}/{proposal}`.
    pub parent: String,
    /// Zero-padded number.
    pub id: String,
    /// Number.
    pub number: i64,
    /// Content.
    pub content: String,
    /// Author.
    pub author: String,
    /// Micros.
    pub create_time: i64,
}

table!(
    RevisionRow,
    "proposal_revisions",
    "parent",
    "parent, id, number, content, author, create_time",
    false,
    id: id
);

/// A comment.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommentRow {
    /// `{lab}/{proposal}`.
    pub parent: String,
    /// Id.
    pub id: String,
    /// Revision commented on.
    pub revision: i64,
    /// Text.
    pub body: String,
    /// Author.
    pub author: String,
    /// Micros.
    pub create_time: i64,
}

table!(
    CommentRow,
    "proposal_comments",
    "parent",
    "parent, id, revision, body, author, create_time",
    false,
    id: id
);

/// A test case as stored.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CaseDef {
    /// Case id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Expected result.
    pub expected: String,
}

/// A test plan.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TestPlanRow {
    /// Shared columns (`scope` = lab id).
    #[sqlx(skip)]
    pub meta: Meta,
    /// Title.
    pub title: String,
    /// Cases.
    #[sqlx(skip)]
    pub cases: Vec<CaseDef>,
}

table!(
    TestPlanRow,
    "test_plans",
    "lab_id",
    "id, lab_id, title, cases, create_time, update_time, delete_time, version",
    false,
    id: meta.id,
    meta: meta,
    json: [cases]
);

/// One case result as stored.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CaseResultDef {
    /// Case id.
    pub case_id: String,
    /// `Verdict` number.
    pub verdict: i32,
    /// Evidence digests.
    pub evidence: Vec<String>,
    /// Note.
    pub note: String,
}

/// A test run.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TestRunRow {
    /// `{lab}/{plan}`.
    pub parent: String,
    /// Id.
    pub id: String,
    /// Results.
    #[sqlx(skip)]
    pub results: Vec<CaseResultDef>,
    /// `TestPlanStatus` number.
    #[sqlx(try_from = "i64")]
    pub outcome: i32,
    /// Author.
    pub author: String,
    /// Micros.
    pub create_time: i64,
}

table!(
    TestRunRow,
    "test_runs",
    "parent",
    "parent, id, results, outcome, author, create_time",
    false,
    id: id,
    json: [results]
);

/// A log entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogEntryRow {
    /// Lab id.
    pub lab_id: String,
    /// Sequence.
    pub seq: i64,
    /// Component.
    pub component: String,
    /// Message.
    pub message: String,
    /// Attributes.
    #[sqlx(skip)]
    pub attributes: std::collections::BTreeMap<String, String>,
    /// Author.
    pub author: String,
    /// Micros.
    pub create_time: i64,
    /// Hex.
    pub prev_hash: String,
    /// Hex.
    pub hash: String,
}

impl LogEntryRow {
    /// Reads one row.
    pub fn read(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let mut r: Self = sqlx::FromRow::from_row(row)?;
        r.attributes = json(row, "attributes")?;
        Ok(r)
    }

    /// The entry as the chain sees it.
    pub fn exported(&self) -> crate::chain::ExportedEntry {
        crate::chain::ExportedEntry {
            lab: format!("labs/{}", self.lab_id),
            sequence: self.seq,
            component: self.component.clone(),
            message: self.message.clone(),
            attributes: self.attributes.clone(),
            author: self.author.clone(),
            create_time_micros: self.create_time,
            prev_hash: self.prev_hash.clone(),
            hash: self.hash.clone(),
        }
    }
}

/// An access record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessRow {
    /// Id.
    pub id: String,
    /// Lab id.
    pub lab_id: String,
    /// Subject.
    pub subject: String,
    /// Org claim.
    pub org: String,
    /// Method.
    pub method: String,
    /// Detail.
    pub detail: String,
    /// Micros.
    pub access_time: i64,
}

table!(
    AccessRow,
    "access_records",
    "lab_id",
    "id, lab_id, subject, org, method, detail, access_time",
    false,
    id: id
);

/// A release.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReleaseRow {
    /// Shared columns (`scope` = lab id).
    #[sqlx(skip)]
    pub meta: Meta,
    /// Release version.
    pub release_version: String,
    /// Artifacts.
    #[sqlx(skip)]
    pub artifacts: Vec<crate::dsse::ArtifactDigest>,
    /// Notes.
    pub notes: String,
    /// Required `MemberRole` numbers.
    #[sqlx(skip)]
    pub required_roles: Vec<i32>,
    /// Canonical statement.
    pub statement: String,
    /// `ReleaseState` number.
    #[sqlx(try_from = "i64")]
    pub state: i32,
    /// Micros.
    pub publish_time: Option<i64>,
}

table!(
    ReleaseRow,
    "releases",
    "lab_id",
    "id, lab_id, release_version, artifacts, notes, required_roles, statement, state, \
     publish_time, create_time, update_time, delete_time, version",
    false,
    id: meta.id,
    meta: meta,
    json: [artifacts, required_roles]
);

/// An accepted release signature.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignatureRow {
    /// Key id.
    pub key_id: String,
    /// Member id.
    pub member_id: String,
    /// Subject.
    pub subject: String,
    /// Roles when signed.
    #[sqlx(skip)]
    pub roles: Vec<i32>,
    /// Base64 signature.
    pub sig: String,
    /// Micros.
    pub sign_time: i64,
}

impl SignatureRow {
    /// Reads one row.
    pub fn read(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let mut r: Self = sqlx::FromRow::from_row(row)?;
        r.roles = json(row, "roles")?;
        Ok(r)
    }
}
