//! The attention ranking, paged from an index: each (customer, quarter) row of
//! `customer_quarters` keeps its attention score, and a page is the next rows of
//! `(quarter, attention DESC, customer_id)` after the token's position — a bounded read
//! whatever the number of customers or the history behind them.
//!
//! Scores are kept fresh lazily: every write that changes an input of a quarter's trust
//! index bumps the row's `version` in its own transaction (triggers, migration 0012);
//! a ranking call first rescores the rows whose `scored_version` lags, a chunk at a
//! time, from the aggregates. So a call costs what changed since the last one, not what
//! exists. The first ranking of a quarter gives every customer a row there (once; new
//! customers then get theirs when created).

use super::super::calendar::Quarter;
use super::gather::{self, Gathered};
use sqlx::Row;
use symbolon_platform::{Database, StoreError, db::Backend, db::Sql, paging};

/// Rows rescored per statement.
const CHUNK: i64 = 200;

/// A customer's place in the ranking.
pub(crate) struct Score {
    pub(crate) attention: f64,
    pub(crate) trust_index: f64,
    pub(crate) reasons: Vec<String>,
}

/// A row of the ranking.
pub(crate) struct Ranked {
    pub(crate) customer_id: String,
    pub(crate) display_name: String,
    pub(crate) trust_index: f64,
    pub(crate) attention: f64,
    pub(crate) reasons: Vec<String>,
}

/// Gives every customer a row in `quarter` the first time it is ranked. On PostgreSQL
/// the customers table is share-locked meanwhile, so a customer created concurrently
/// either is seen here or sees the quarter from its own insert trigger.
async fn ensure_ranked(db: &Database, quarter: &str) -> Result<(), StoreError> {
    let mut known = Sql::new("SELECT quarter FROM ranked_quarters WHERE quarter = ");
    known.bind(quarter);
    if known.query().fetch_optional(db.reader()).await?.is_some() {
        return Ok(());
    }
    let mut tx = db.writer().begin().await?;
    let mut mark = Sql::new("INSERT INTO ranked_quarters (quarter) VALUES (");
    mark.bind(quarter)
        .push(") ON CONFLICT (quarter) DO NOTHING");
    mark.query().execute(&mut *tx).await?;
    if db.backend() == Backend::Postgres {
        Sql::new("LOCK TABLE customers IN SHARE MODE")
            .query()
            .execute(&mut *tx)
            .await?;
    }
    let mut fill = Sql::new("INSERT INTO customer_quarters (customer_id, quarter) SELECT id, ");
    fill.bind(quarter)
        .push(" FROM customers WHERE true ON CONFLICT (customer_id, quarter) DO NOTHING");
    fill.query().execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Rescores the rows of quarter `q` written since they were last scored; each row at
/// most once per call, [`CHUNK`] at a time (memory stays bounded).
/// Stale rows are rescored by `score` (customer, what was gathered, quarter label).
pub(crate) async fn refresh(
    db: &Database,
    q: Quarter,
    score: impl Fn(&str, Gathered, &str) -> Score,
) -> Result<(), StoreError> {
    let label = gather::label(q);
    ensure_ranked(db, &label).await?;
    let mut after = String::new();
    loop {
        let mut stale = Sql::new(
            "SELECT customer_id, version FROM customer_quarters WHERE version <> scored_version AND quarter = ",
        );
        stale
            .bind(label.as_str())
            .push(" AND customer_id > ")
            .bind(after.as_str())
            .push(" ORDER BY customer_id LIMIT ")
            .bind(CHUNK);
        let rows = stale.query().fetch_all(db.reader()).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get("customer_id")?;
        let mut ids = Vec::with_capacity(rows.len());
        let mut versions = Vec::with_capacity(rows.len());
        for row in &rows {
            ids.push(row.try_get::<String, _>("customer_id")?);
            versions.push(row.try_get::<i64, _>("version")?);
        }
        let mut gathered = gather::gather(db, &ids, q, false).await?;
        // Written only where no write came in since the version was read: a row that
        // moved meanwhile stays stale for the next call.
        let mut upsert = Sql::new(
            "INSERT INTO customer_quarters (customer_id, quarter, version, scored_version, attention, trust_index, reasons) VALUES ",
        );
        for (i, (id, version)) in ids.iter().zip(&versions).enumerate() {
            let s = score(id, gathered.remove(id).unwrap_or_default(), &label);
            upsert
                .push(if i > 0 { ", (" } else { "(" })
                .bind_list([
                    id.as_str().into(),
                    label.as_str().into(),
                    (*version).into(),
                    (*version).into(),
                    s.attention.into(),
                    s.trust_index.into(),
                    serde_json::to_string(&s.reasons)
                        .unwrap_or_else(|_| "[]".into())
                        .into(),
                ])
                .push(")");
        }
        upsert.push(
            " ON CONFLICT (customer_id, quarter) DO UPDATE SET scored_version = excluded.scored_version, \
             attention = excluded.attention, trust_index = excluded.trust_index, reasons = excluded.reasons \
             WHERE customer_quarters.version = excluded.scored_version",
        );
        upsert.query().execute(db.writer()).await?;
        if (rows.len() as i64) < CHUNK {
            return Ok(());
        }
    }
}

/// Where a page resumes: after this attention and customer.
pub(crate) struct Cursor {
    pub(crate) attention: f64,
    pub(crate) customer_id: String,
}

impl Cursor {
    pub(crate) fn encode(&self) -> String {
        format!("{}:{}", self.attention, self.customer_id)
    }

    pub(crate) fn decode(s: &str) -> Option<Self> {
        let (a, c) = s.split_once(':')?;
        Some(Self {
            attention: a.parse().ok()?,
            customer_id: c.to_string(),
        })
    }
}

/// Up to `limit` live customers of quarter `q` after `after`, most in need first, and
/// the cursor of the next page when there is one.
pub(crate) async fn page(
    db: &Database,
    q: Quarter,
    after: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<Ranked>, paging::Next), StoreError> {
    let mut sql = Sql::new(
        "SELECT q.customer_id, q.attention, q.trust_index, q.reasons, c.display_name \
         FROM customer_quarters q JOIN customers c ON c.id = q.customer_id \
         WHERE c.delete_time IS NULL AND q.quarter = ",
    );
    sql.bind(gather::label(q));
    if let Some(a) = &after {
        sql.push(" AND q.attention <= ")
            .bind(a.attention)
            .push(" AND (q.attention < ")
            .bind(a.attention)
            .push(" OR q.customer_id > ")
            .bind(a.customer_id.as_str())
            .push(")");
    }
    sql.push(" ORDER BY q.attention DESC, q.customer_id LIMIT ")
        .bind(limit + 1);
    let rows = sql.query().fetch_all(db.reader()).await?;
    let mut out = Vec::with_capacity(rows.len());
    // Where the next page resumes after each row (encoded cursors), so the page can
    // stop early at its byte budget.
    let mut ends = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let customer_id: String = row.try_get("customer_id")?;
        let attention: f64 = row.try_get("attention")?;
        if i as i64 == limit {
            break;
        }
        ends.push(
            Cursor {
                attention,
                customer_id: customer_id.clone(),
            }
            .encode(),
        );
        let reasons: String = row.try_get("reasons")?;
        out.push(Ranked {
            customer_id,
            display_name: row.try_get("display_name")?,
            trust_index: row.try_get("trust_index")?,
            attention,
            reasons: serde_json::from_str(&reasons).unwrap_or_default(),
        });
    }
    let after_page = if rows.len() as i64 > limit {
        ends.last().cloned()
    } else {
        None
    };
    Ok((out, paging::Next::new(ends, after_page, db.page_bytes())))
}
