//! Scripted-reply templates (`quality_templates`), their experiments
//! (`quality_experiments`) and the experiments' outcomes (`quality_outcomes`).

use super::body;
use super::{Keyed, filtered_page, id_by_request_key, insert_keyed};
use sqlx::{FromRow, any::AnyRow};
use symbolon_platform::{
    Database, StoreError,
    db::{Sql, Value},
    filter::{Field, FilterError, Kind},
    table::Page,
};

/// A template or an experiment: an encoded body and the column its list pages by.
#[derive(Debug, Clone, FromRow)]
pub struct ScriptRow {
    /// Id.
    pub id: String,
    /// The template or experiment, encoded.
    #[sqlx(rename = "body_bytes")]
    pub body: Vec<u8>,
    /// Microseconds.
    pub create_time: i64,
}

/// Which body table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script<'a> {
    /// A template, with its scenario.
    Template {
        /// The scenario templates are filtered by.
        scenario: &'a str,
    },
    /// An experiment, with the template it tests.
    Experiment {
        /// The template's id.
        template_id: &'a str,
    },
}

impl Script<'_> {
    fn table(self) -> &'static str {
        match self {
            Script::Template { .. } => "quality_templates",
            Script::Experiment { .. } => "quality_experiments",
        }
    }
}

/// Which table [`get_script`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptKind {
    /// `quality_templates`.
    Template,
    /// `quality_experiments`.
    Experiment,
}

/// Inserts a template or experiment; returns the id now holding it (the first one's
/// for a retried request key).
pub async fn insert_script(
    db: &Database,
    script: Script<'_>,
    id: &str,
    content: &[u8],
    now: i64,
    request_key: Option<String>,
) -> Result<String, StoreError> {
    let table = script.table();
    let (column, value) = match script {
        Script::Template { scenario } => ("scenario", scenario),
        Script::Experiment { template_id } => ("template_id", template_id),
    };
    let mut columns = vec!["id", column, "create_time"];
    columns.extend_from_slice(body::COLUMNS);
    let mut values: Vec<Value> = vec![id.into(), value.into(), now.into()];
    values.extend(body::values(content));
    Ok(
        match insert_keyed(db, table, &columns, values, request_key).await? {
            Keyed::New(tx) => {
                tx.commit().await?;
                id.to_string()
            }
            Keyed::Before(id) => id,
        },
    )
}

/// Reads a template or experiment.
pub async fn get_script(
    db: &Database,
    kind: ScriptKind,
    id: &str,
) -> Result<Option<ScriptRow>, StoreError> {
    let table = match kind {
        ScriptKind::Template => "quality_templates",
        ScriptKind::Experiment => "quality_experiments",
    };
    let mut sql = Sql::new(&format!(
        "SELECT id, body_bytes, create_time FROM {table} WHERE id = "
    ));
    sql.bind(id);
    sql.read_one::<ScriptRow>(db).await
}

/// One page of templates.
pub async fn list_templates(
    db: &Database,
    filter_text: &str,
    after: Option<String>,
    limit: i64,
) -> Result<Result<Page<ScriptRow>, FilterError>, StoreError> {
    const FIELDS: &[Field] = &[Field::column("scenario", Kind::Text)];
    let sql = Sql::new("SELECT id, body_bytes, create_time FROM quality_templates WHERE 1 = 1");
    filtered_page(
        db,
        sql,
        (filter_text, FIELDS),
        after,
        limit,
        |r: &ScriptRow| r.id.clone(),
    )
    .await
}

// ---------------------------------------------------------------------------------
// Outcomes.

/// What happened in one conversation of an experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The conversation.
    pub conversation_id: String,
    /// The customer the variant was assigned to.
    pub customer_key: String,
    /// The variant used.
    pub variant_id: String,
    /// The conversation's quality score, if known.
    pub qa_score: Option<f64>,
    /// The customer's satisfaction, if given.
    pub csat: Option<i32>,
    /// Whether it was resolved, if known.
    pub resolved: Option<bool>,
}

/// A stored outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeRow {
    /// The outcome.
    pub outcome: Outcome,
    /// Microseconds.
    pub create_time: i64,
}

/// Records an outcome; `Ok(None)` when the conversation already has one (from another
/// request).
pub async fn insert_outcome(
    db: &Database,
    experiment_id: &str,
    o: &Outcome,
    now: i64,
    request_key: Option<String>,
) -> Result<Option<OutcomeRow>, StoreError> {
    symbolon_platform::request_ids::claim(db, request_key.as_deref()).await?;
    if let Some(k) = &request_key
        && let Some(id) = id_by_request_key(db, "quality_outcomes", k).await?
    {
        return get_outcome(db, &id).await;
    }
    let id = symbolon_platform::names::new_id();
    let mut sql = Sql::new(
        "INSERT INTO quality_outcomes (id, experiment_id, conversation_id, customer_key, variant_id, has_qa_score, qa_score, has_csat, csat, has_resolved, resolved, create_time, request_key) VALUES (",
    );
    let vals: Vec<Value> = vec![
        id.clone().into(),
        experiment_id.into(),
        o.conversation_id.clone().into(),
        o.customer_key.clone().into(),
        o.variant_id.clone().into(),
        i64::from(o.qa_score.is_some()).into(),
        o.qa_score.unwrap_or_default().into(),
        i64::from(o.csat.is_some()).into(),
        i64::from(o.csat.unwrap_or_default()).into(),
        i64::from(o.resolved.is_some()).into(),
        i64::from(o.resolved.unwrap_or_default()).into(),
        now.into(),
        request_key.into(),
    ];
    let n = vals.len();
    for (k, v) in vals.into_iter().enumerate() {
        sql.bind(v);
        sql.push(if k + 1 < n { ", " } else { ")" });
    }
    sql.push(" ON CONFLICT DO NOTHING");
    if sql.query().execute(db.writer()).await?.rows_affected() == 0 {
        return Ok(None);
    }
    get_outcome(db, &id).await
}

const OUTCOME_COLUMNS: &str = "conversation_id, customer_key, variant_id, has_qa_score, qa_score, has_csat, csat, has_resolved, resolved, create_time";

/// An outcome's columns; `has_*` flag the optional figures.
#[derive(FromRow)]
struct OutcomeColumns {
    conversation_id: String,
    customer_key: String,
    variant_id: String,
    has_qa_score: i64,
    qa_score: f64,
    has_csat: i64,
    csat: i64,
    has_resolved: i64,
    resolved: i64,
    create_time: i64,
}

fn outcome_row(r: &AnyRow) -> Result<OutcomeRow, sqlx::Error> {
    let c = OutcomeColumns::from_row(r)?;
    let csat = i32::try_from(c.csat).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(OutcomeRow {
        outcome: Outcome {
            conversation_id: c.conversation_id,
            customer_key: c.customer_key,
            variant_id: c.variant_id,
            qa_score: (c.has_qa_score != 0).then_some(c.qa_score),
            csat: (c.has_csat != 0).then_some(csat),
            resolved: (c.has_resolved != 0).then_some(c.resolved != 0),
        },
        create_time: c.create_time,
    })
}

async fn get_outcome(db: &Database, id: &str) -> Result<Option<OutcomeRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {OUTCOME_COLUMNS} FROM quality_outcomes WHERE id = "
    ));
    sql.bind(id);
    Ok(sql
        .query()
        .fetch_optional(db.reader())
        .await?
        .as_ref()
        .map(outcome_row)
        .transpose()?)
}

/// Every outcome of an experiment (at most `cap`).
pub async fn outcomes(
    db: &Database,
    experiment_id: &str,
    cap: i64,
) -> Result<Vec<OutcomeRow>, StoreError> {
    let mut sql = Sql::new(&format!(
        "SELECT {OUTCOME_COLUMNS} FROM quality_outcomes WHERE experiment_id = "
    ));
    sql.bind(experiment_id)
        .push(" ORDER BY id LIMIT ")
        .bind(cap);
    let rows = sql.query().fetch_all(db.reader()).await?;
    Ok(rows
        .iter()
        .map(outcome_row)
        .collect::<Result<Vec<_>, _>>()?)
}
