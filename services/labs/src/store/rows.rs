//! The rows of each table and how they are read.

use sqlx::{Row, any::AnyRow};
use symbolon_platform::filter::Field;
use symbolon_platform::table::{Meta, Table, meta};

fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T, sqlx::Error> {
    let s: String = row.try_get(column)?;
    serde_json::from_str(&s).map_err(|e| sqlx::Error::Decode(e.into()))
}

macro_rules! table {
    ($row:ty, $name:literal, $scope:literal, $columns:literal, $soft:expr, $id:ident $(. $idp:ident)*) => {
        impl Table for $row {
            const NAME: &'static str = $name;
            const SCOPE: &'static str = $scope;
            const COLUMNS: &'static str = $columns;
            const SOFT_DELETE: bool = $soft;
            const FILTER: &'static [Field] = &[];
            fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
                Self::read(row)
            }
            fn id(&self) -> &str {
                &self.$id $(.$idp)*
            }
        }
    };
}

/// A lab (its scope column is its own id).
#[derive(Debug, Clone)]
pub struct LabRow {
    /// Shared columns (`scope` = `id`).
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

impl LabRow {
    fn read(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            meta: meta::<Self>(row)?,
            customer_id: row.try_get("customer_id")?,
            display_name: row.try_get("display_name")?,
            description: row.try_get("description")?,
            last_seq: row.try_get("last_seq")?,
        })
    }
}
table!(
    LabRow,
    "labs",
    "id",
    "id, customer_id, display_name, description, last_seq, create_time, update_time, delete_time, version",
    true,
    meta.id
);

/// A lab member.
#[derive(Debug, Clone)]
pub struct MemberRow {
    /// Shared columns (`scope` = lab id).
    pub meta: Meta,
    /// `customers/{c}/keyPersons/{k}` or empty for vendor staff.
    pub key_person: String,
    /// Sign-in subject.
    pub subject: String,
    /// `vendor` or `customers/{c}`.
    pub org: String,
    /// `MemberRole` numbers.
    pub roles: Vec<i32>,
    /// Display name.
    pub display_name: String,
}

impl MemberRow {
    fn read(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            meta: meta::<Self>(row)?,
            key_person: row.try_get("key_person")?,
            subject: row.try_get("subject")?,
            org: row.try_get("org")?,
            roles: json(row, "roles")?,
            display_name: row.try_get("display_name")?,
        })
    }
}
table!(
    MemberRow,
    "members",
    "lab_id",
    "id, lab_id, key_person, subject, org, roles, display_name, create_time, update_time, delete_time, version",
    false,
    meta.id
);

/// A registered signer key.
#[derive(Debug, Clone)]
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

impl SignerKeyRow {
    fn read(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            lab_id: row.try_get("lab_id")?,
            member_id: row.try_get("member_id")?,
            subject: row.try_get("subject")?,
            public_key_pem: row.try_get("public_key_pem")?,
            create_time: row.try_get("create_time")?,
        })
    }
}
table!(
    SignerKeyRow,
    "signer_keys",
    "lab_id",
    "id, lab_id, member_id, subject, public_key_pem, create_time",
    false,
    id
);

/// A proposal.
#[derive(Debug, Clone)]
pub struct ProposalRow {
    /// Shared columns (`scope` = lab id).
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

impl ProposalRow {
    fn read(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            meta: meta::<Self>(row)?,
            title: row.try_get("title")?,
            author: row.try_get("author")?,
            latest_revision: row.try_get("latest_revision")?,
            vendor_approved: row.try_get("vendor_approved")?,
            customer_approved: row.try_get("customer_approved")?,
            content: row
                .try_get::<Option<String>, _>("content")?
                .unwrap_or_default(),
        })
    }
}
table!(
    ProposalRow,
    "proposals",
    "lab_id",
    "id, lab_id, title, author, latest_revision, vendor_approved, customer_approved, \
     create_time, update_time, delete_time, version, \
     (SELECT r.content FROM proposal_revisions r WHERE r.parent = proposals.lab_id || '/' || proposals.id \
      AND r.number = proposals.latest_revision) AS content",
    false,
    meta.id
);

/// A proposal revision.
#[derive(Debug, Clone)]
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

impl RevisionRow {
    fn read(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            parent: row.try_get("parent")?,
            id: row.try_get("id")?,
            number: row.try_get("number")?,
            content: row.try_get("content")?,
            author: row.try_get("author")?,
            create_time: row.try_get("create_time")?,
        })
    }
}
table!(
    RevisionRow,
    "proposal_revisions",
    "parent",
    "parent, id, number, content, author, create_time",
    false,
    id
);

/// A comment.
#[derive(Debug, Clone)]
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

impl CommentRow {
    fn read(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            parent: row.try_get("parent")?,
            id: row.try_get("id")?,
            revision: row.try_get("revision")?,
            body: row.try_get("body")?,
            author: row.try_get("author")?,
            create_time: row.try_get("create_time")?,
        })
    }
}
table!(
    CommentRow,
    "proposal_comments",
    "parent",
    "parent, id, revision, body, author, create_time",
    false,
    id
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
#[derive(Debug, Clone)]
pub struct TestPlanRow {
    /// Shared columns (`scope` = lab id).
    pub meta: Meta,
    /// Title.
    pub title: String,
    /// Cases.
    pub cases: Vec<CaseDef>,
}

impl TestPlanRow {
    fn read(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            meta: meta::<Self>(row)?,
            title: row.try_get("title")?,
            cases: json(row, "cases")?,
        })
    }
}
table!(
    TestPlanRow,
    "test_plans",
    "lab_id",
    "id, lab_id, title, cases, create_time, update_time, delete_time, version",
    false,
    meta.id
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
#[derive(Debug, Clone)]
pub struct TestRunRow {
    /// `{lab}/{plan}`.
    pub parent: String,
    /// Id.
    pub id: String,
    /// Results.
    pub results: Vec<CaseResultDef>,
    /// `TestPlanStatus` number.
    pub outcome: i32,
    /// Author.
    pub author: String,
    /// Micros.
    pub create_time: i64,
}

impl TestRunRow {
    fn read(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            parent: row.try_get("parent")?,
            id: row.try_get("id")?,
            results: json(row, "results")?,
            outcome: row.try_get::<i64, _>("outcome")? as i32,
            author: row.try_get("author")?,
            create_time: row.try_get("create_time")?,
        })
    }
}
table!(
    TestRunRow,
    "test_runs",
    "parent",
    "parent, id, results, outcome, author, create_time",
    false,
    id
);

/// A log entry.
#[derive(Debug, Clone)]
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
        Ok(Self {
            lab_id: row.try_get("lab_id")?,
            seq: row.try_get("seq")?,
            component: row.try_get("component")?,
            message: row.try_get("message")?,
            attributes: json(row, "attributes")?,
            author: row.try_get("author")?,
            create_time: row.try_get("create_time")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        })
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
#[derive(Debug, Clone)]
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

impl AccessRow {
    fn read(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            lab_id: row.try_get("lab_id")?,
            subject: row.try_get("subject")?,
            org: row.try_get("org")?,
            method: row.try_get("method")?,
            detail: row.try_get("detail")?,
            access_time: row.try_get("access_time")?,
        })
    }
}
table!(
    AccessRow,
    "access_records",
    "lab_id",
    "id, lab_id, subject, org, method, detail, access_time",
    false,
    id
);

/// A release.
#[derive(Debug, Clone)]
pub struct ReleaseRow {
    /// Shared columns (`scope` = lab id).
    pub meta: Meta,
    /// Release version.
    pub release_version: String,
    /// Artifacts.
    pub artifacts: Vec<crate::dsse::ArtifactDigest>,
    /// Notes.
    pub notes: String,
    /// Required `MemberRole` numbers.
    pub required_roles: Vec<i32>,
    /// Canonical statement.
    pub statement: String,
    /// `ReleaseState` number.
    pub state: i32,
    /// Micros.
    pub publish_time: Option<i64>,
}

impl ReleaseRow {
    fn read(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            meta: meta::<Self>(row)?,
            release_version: row.try_get("release_version")?,
            artifacts: json(row, "artifacts")?,
            notes: row.try_get("notes")?,
            required_roles: json(row, "required_roles")?,
            statement: row.try_get("statement")?,
            state: row.try_get::<i64, _>("state")? as i32,
            publish_time: row.try_get("publish_time")?,
        })
    }
}
table!(
    ReleaseRow,
    "releases",
    "lab_id",
    "id, lab_id, release_version, artifacts, notes, required_roles, statement, state, \
     publish_time, create_time, update_time, delete_time, version",
    false,
    meta.id
);

/// An accepted release signature.
#[derive(Debug, Clone)]
pub struct SignatureRow {
    /// Key id.
    pub key_id: String,
    /// Member id.
    pub member_id: String,
    /// Subject.
    pub subject: String,
    /// Roles when signed.
    pub roles: Vec<i32>,
    /// Base64 signature.
    pub sig: String,
    /// Micros.
    pub sign_time: i64,
}

impl SignatureRow {
    /// Reads one row.
    pub fn read(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            key_id: row.try_get("key_id")?,
            member_id: row.try_get("member_id")?,
            subject: row.try_get("subject")?,
            roles: json(row, "roles")?,
            sig: row.try_get("sig")?,
            sign_time: row.try_get("sign_time")?,
        })
    }
}
