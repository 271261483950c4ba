//! The rows of each table and how they are read.

use sqlx::{Row, any::AnyRow};
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::filter::{Field, Kind};
use symbolon_platform::table::{Meta, Table};

/// The `Table` of a soft-deleted CRM resource of a customer: the shared columns (read
/// into `meta`), then its own `columns`.
macro_rules! resource_table {
    ($row:ty, $name:literal, $columns:literal, $filter:expr) => {
        symbolon_platform::table!(
            $row,
            $name,
            "customer_id",
            concat!(
                "id, customer_id, create_time, update_time, delete_time, version, ",
                $columns
            ),
            true,
            id: meta.id,
            meta: meta,
            filter: $filter
        );
    };
}

/// A customer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomerRow {
    /// Shared columns (`id` = `customer_id`).
    #[sqlx(skip)]
    pub meta: Meta,
    /// Display name.
    pub display_name: String,
    /// `pb::Industry` number.
    #[sqlx(try_from = "i64")]
    pub industry: i32,
    /// ISO alpha-2.
    pub home_country: String,
    /// Notes.
    pub description: String,
}

resource_table!(
    CustomerRow,
    "customers",
    "display_name, industry, home_country, description",
    &[
        Field::column("industry", Kind::Enum(enum_industry, "INDUSTRY_")),
        Field::column("home_country", Kind::UpperText),
    ]
);

/// A customer site.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SiteRow {
    /// Shared columns.
    #[sqlx(skip)]
    pub meta: Meta,
    /// Display name.
    pub display_name: String,
    /// ISO alpha-2.
    pub country: String,
    /// WGS84 degrees.
    pub latitude: f64,
    /// WGS84 degrees.
    pub longitude: f64,
    /// Address.
    pub address: String,
}

resource_table!(
    SiteRow,
    "sites",
    "display_name, country, latitude, longitude, address",
    &[Field::column("country", Kind::UpperText)]
);

/// A key person.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyPersonRow {
    /// Shared columns.
    #[sqlx(skip)]
    pub meta: Meta,
    /// Display name.
    pub display_name: String,
    /// Title.
    pub title: String,
    /// `pb::DecisionRole` number.
    #[sqlx(try_from = "i64")]
    pub decision_role: i32,
    /// E-mail.
    pub email: String,
    /// Sign-in subject.
    pub subject: String,
}

resource_table!(
    KeyPersonRow,
    "key_persons",
    "display_name, title, decision_role, email, subject",
    &[Field::column(
        "decision_role",
        Kind::Enum(enum_decision_role, "DECISION_ROLE_"),
    )]
);

/// A touchpoint (append-only).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TouchpointRow {
    /// Id.
    pub id: String,
    /// Owning customer.
    pub customer_id: String,
    /// `pb::TouchpointKind` number.
    #[sqlx(try_from = "i64")]
    pub kind: i32,
    /// Key person resource name.
    pub key_person: String,
    /// Microseconds.
    pub occur_time: i64,
    /// Summary.
    pub summary: String,
    /// `pb::Mood` number.
    #[sqlx(try_from = "i64")]
    pub mood: i32,
    /// 1..=5.
    #[sqlx(try_from = "i64")]
    pub intensity: i32,
    /// The strategic anxiety.
    pub strategic_anxiety: String,
    /// Implicit expectations (a JSON list in its column, see [`json_list`]).
    #[sqlx(skip)]
    pub implicit_expectations: Vec<String>,
    /// The touchpoint this one corrects.
    pub corrects_id: Option<String>,
    /// The touchpoint that corrects this one.
    pub corrected_by: Option<String>,
    /// Who recorded it.
    pub recorded_by: String,
    /// Microseconds.
    pub create_time: i64,
}

impl Table for TouchpointRow {
    const NAME: &'static str = "touchpoints";
    const SCOPE: &'static str = "customer_id";
    const COLUMNS: &'static str = "id, customer_id, kind, key_person, occur_time, summary, mood, intensity, \
        strategic_anxiety, implicit_expectations, corrects_id, recorded_by, create_time, \
        (SELECT c.id FROM touchpoints c WHERE c.customer_id = touchpoints.customer_id \
        AND c.corrects_id = touchpoints.id) AS corrected_by";
    // A touchpoint just recorded is corrected by nothing yet.
    const RETURNING: &'static str = "id, customer_id, kind, key_person, occur_time, summary, mood, intensity, \
        strategic_anxiety, implicit_expectations, corrects_id, recorded_by, create_time, \
        CAST(NULL AS TEXT) AS corrected_by";
    const SOFT_DELETE: bool = false;
    const FILTER: &'static [Field] = &[
        Field::column("key_person", Kind::Text),
        Field::column("kind", Kind::Enum(enum_kind, "TOUCHPOINT_KIND_")),
        Field::column("mood", Kind::Enum(enum_mood, "MOOD_")),
        Field::column("occur_time", Kind::Time),
    ];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let mut r: Self = sqlx::FromRow::from_row(row)?;
        let expectations: String = row.try_get("implicit_expectations")?;
        r.implicit_expectations =
            json_list::decode_list(&expectations).map_err(|e| sqlx::Error::Decode(e.into()))?;
        Ok(r)
    }
    fn id(&self) -> &str {
        &self.id
    }
}

fn enum_industry(s: &str) -> Option<i32> {
    pb::Industry::from_str_name(s).map(|v| v as i32)
}
fn enum_decision_role(s: &str) -> Option<i32> {
    pb::DecisionRole::from_str_name(s).map(|v| v as i32)
}
fn enum_kind(s: &str) -> Option<i32> {
    pb::TouchpointKind::from_str_name(s).map(|v| v as i32)
}
fn enum_mood(s: &str) -> Option<i32> {
    pb::Mood::from_str_name(s).map(|v| v as i32)
}

/// Lists of strings are stored as a JSON array in one TEXT column (the same on both
/// databases).
pub(crate) mod json_list {
    /// Encodes a list of strings as a JSON array.
    pub(crate) fn encode_list(items: &[String]) -> String {
        serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
    }
    /// Decodes a JSON array of strings.
    pub(crate) fn decode_list(s: &str) -> Result<Vec<String>, serde_json::Error> {
        serde_json::from_str(s)
    }
}
