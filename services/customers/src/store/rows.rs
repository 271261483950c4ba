//! The rows of each table and how they are read.

use sqlx::{Row, any::AnyRow};
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::filter::{Field, Kind};
use symbolon_platform::table::{Meta, Table, meta};

/// A customer.
#[derive(Debug, Clone)]
pub struct CustomerRow {
    /// Shared columns (`id` = `customer_id`).
    pub meta: Meta,
    /// Display name.
    pub display_name: String,
    /// `pb::Industry` number.
    pub industry: i32,
    /// ISO alpha-2.
    pub home_country: String,
    /// Notes.
    pub description: String,
}

impl Table for CustomerRow {
    const NAME: &'static str = "customers";
    const SCOPE: &'static str = "customer_id";
    const COLUMNS: &'static str = "id, customer_id, create_time, update_time, delete_time, version, display_name, industry, home_country, description";
    const SOFT_DELETE: bool = true;
    const FILTER: &'static [Field] = &[
        Field {
            name: "industry",
            column: "industry",
            kind: Kind::Enum(enum_industry, "INDUSTRY_"),
        },
        Field {
            name: "home_country",
            column: "home_country",
            kind: Kind::UpperText,
        },
    ];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            meta: meta::<Self>(row)?,
            display_name: row.try_get("display_name")?,
            industry: row.try_get::<i64, _>("industry")? as i32,
            home_country: row.try_get("home_country")?,
            description: row.try_get("description")?,
        })
    }
    fn id(&self) -> &str {
        &self.meta.id
    }
}

/// A customer site.
#[derive(Debug, Clone)]
pub struct SiteRow {
    /// Shared columns.
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

impl Table for SiteRow {
    const NAME: &'static str = "sites";
    const SCOPE: &'static str = "customer_id";
    const COLUMNS: &'static str = "id, customer_id, create_time, update_time, delete_time, version, display_name, country, latitude, longitude, address";
    const SOFT_DELETE: bool = true;
    const FILTER: &'static [Field] = &[Field {
        name: "country",
        column: "country",
        kind: Kind::UpperText,
    }];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            meta: meta::<Self>(row)?,
            display_name: row.try_get("display_name")?,
            country: row.try_get("country")?,
            latitude: row.try_get("latitude")?,
            longitude: row.try_get("longitude")?,
            address: row.try_get("address")?,
        })
    }
    fn id(&self) -> &str {
        &self.meta.id
    }
}

/// A key person.
#[derive(Debug, Clone)]
pub struct KeyPersonRow {
    /// Shared columns.
    pub meta: Meta,
    /// Display name.
    pub display_name: String,
    /// Title.
    pub title: String,
    /// `pb::DecisionRole` number.
    pub decision_role: i32,
    /// E-mail.
    pub email: String,
    /// Sign-in subject.
    pub subject: String,
}

impl Table for KeyPersonRow {
    const NAME: &'static str = "key_persons";
    const SCOPE: &'static str = "customer_id";
    const COLUMNS: &'static str = "id, customer_id, create_time, update_time, delete_time, version, display_name, title, decision_role, email, subject";
    const SOFT_DELETE: bool = true;
    const FILTER: &'static [Field] = &[Field {
        name: "decision_role",
        column: "decision_role",
        kind: Kind::Enum(enum_decision_role, "DECISION_ROLE_"),
    }];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            meta: meta::<Self>(row)?,
            display_name: row.try_get("display_name")?,
            title: row.try_get("title")?,
            decision_role: row.try_get::<i64, _>("decision_role")? as i32,
            email: row.try_get("email")?,
            subject: row.try_get("subject")?,
        })
    }
    fn id(&self) -> &str {
        &self.meta.id
    }
}

/// A touchpoint (append-only).
#[derive(Debug, Clone)]
pub struct TouchpointRow {
    /// Id.
    pub id: String,
    /// Owning customer.
    pub customer_id: String,
    /// `pb::TouchpointKind` number.
    pub kind: i32,
    /// Key person resource name.
    pub key_person: String,
    /// Microseconds.
    pub occur_time: i64,
    /// Summary.
    pub summary: String,
    /// `pb::Mood` number.
    pub mood: i32,
    /// 1..=5.
    pub intensity: i32,
    /// The strategic anxiety.
    pub strategic_anxiety: String,
    /// Implicit expectations.
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
        Field {
            name: "key_person",
            column: "key_person",
            kind: Kind::Text,
        },
        Field {
            name: "kind",
            column: "kind",
            kind: Kind::Enum(enum_kind, "TOUCHPOINT_KIND_"),
        },
        Field {
            name: "mood",
            column: "mood",
            kind: Kind::Enum(enum_mood, "MOOD_"),
        },
        Field {
            name: "occur_time",
            column: "occur_time",
            kind: Kind::Time,
        },
    ];
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let expectations: String = row.try_get("implicit_expectations")?;
        Ok(Self {
            id: row.try_get("id")?,
            customer_id: row.try_get("customer_id")?,
            kind: row.try_get::<i64, _>("kind")? as i32,
            key_person: row.try_get("key_person")?,
            occur_time: row.try_get("occur_time")?,
            summary: row.try_get("summary")?,
            mood: row.try_get::<i64, _>("mood")? as i32,
            intensity: row.try_get::<i64, _>("intensity")? as i32,
            strategic_anxiety: row.try_get("strategic_anxiety")?,
            implicit_expectations: json_list::decode_list(&expectations)
                .map_err(|e| sqlx::Error::Decode(e.into()))?,
            corrects_id: row.try_get("corrects_id")?,
            corrected_by: row.try_get("corrected_by")?,
            recorded_by: row.try_get("recorded_by")?,
            create_time: row.try_get("create_time")?,
        })
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
