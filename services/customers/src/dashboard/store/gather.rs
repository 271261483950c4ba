//! What a quarter holds for some customers, read for their boards: from the aggregates
//! the database keeps in each write's transaction (migration 0012: tallies per month,
//! mood and intensity; mention counts per quarter), or — to check those — from the raw
//! touchpoints. Both give the same [`Gathered`], so the board built from either is the
//! same to the last bit. Incidents of the quarter and commitment counts are read from
//! their tables through indexes led by the customer, in both.

use super::super::calendar::{Quarter, month_of};
use super::super::index::{Feeling, Promises};
use super::named::{PersonTallies, Source, Tally, key_person_tallies};
use crate::store::json_list;
use sqlx::Row;
use std::collections::HashMap;
use symbolon_platform::{Database, StoreError, db::Sql};

/// How many anxieties and expectations a board names.
pub(crate) const TOP: usize = 5;

/// What the quarter holds for one customer, as read: enough for its board.
#[derive(Default)]
pub(crate) struct Gathered {
    /// In (month, mood, intensity) order.
    pub(crate) feelings: Vec<Feeling>,
    pub(crate) anxieties: HashMap<String, i32>,
    pub(crate) expectations: HashMap<String, i32>,
    pub(crate) incidents: Vec<Occurrence>,
    pub(crate) promises: Promises,
}

/// One incident of the quarter, as read; times in microseconds after its detection.
pub(crate) struct Occurrence {
    pub(crate) name: String,
    pub(crate) severity: i32,
    pub(crate) state: i32,
    pub(crate) summary: String,
    pub(crate) time_to_acknowledge: Option<i64>,
    pub(crate) time_to_resolve: Option<i64>,
}

impl Occurrence {
    pub(crate) fn is_open(&self) -> bool {
        self.state == super::code::INCIDENT_OPEN
    }
}

/// `YYYY-Qn`, as the aggregates key quarters.
pub(crate) fn label(q: Quarter) -> String {
    format!("{:04}-Q{}", q.year, q.q)
}

fn in_list(sql: &mut Sql, column: &str, ids: &[String]) {
    sql.push(column)
        .push(" IN (")
        .bind_list(ids.iter().map(|id| id.as_str().into()))
        .push(")");
}

fn feelings(tally: Tally) -> Vec<Feeling> {
    tally
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|((month, mood, intensity), count)| Feeling {
            month,
            mood,
            intensity,
            count,
        })
        .collect()
}

/// Quarter `q` of each of `ids` (at most a few hundred: they are bound in one
/// statement) from the aggregates: rows read are bounded by months × moods ×
/// intensities per customer, plus the quarter's incidents. With `mentions`, the top
/// anxieties and expectations too (two short index reads per customer; the ranking
/// needs none).
pub(crate) async fn gather(
    db: &Database,
    ids: &[String],
    q: Quarter,
    mentions: bool,
) -> Result<HashMap<String, Gathered>, StoreError> {
    let mut all: HashMap<String, Gathered> = HashMap::new();
    if ids.is_empty() {
        return Ok(all);
    }
    let mut tq =
        Sql::new("SELECT customer_id, month, mood, intensity, n FROM touchpoint_tallies WHERE ");
    in_list(&mut tq, "customer_id", ids);
    tq.push(" AND month >= ")
        .bind(month_of(q.start()))
        .push(" AND month < ")
        .bind(month_of(q.end()))
        .push(" AND n > 0");
    let mut tallies: HashMap<String, Tally> = HashMap::new();
    for row in tq.query().fetch_all(db.reader()).await? {
        let key = (
            row.try_get::<String, _>("month")?,
            row.try_get::<i64, _>("mood")? as i32,
            row.try_get::<i64, _>("intensity")? as i32,
        );
        *tallies
            .entry(row.try_get("customer_id")?)
            .or_default()
            .entry(key)
            .or_default() += row.try_get::<i64, _>("n")?;
    }
    for (id, tally) in tallies {
        all.entry(id).or_default().feelings = feelings(tally);
    }
    if mentions {
        let quarter = label(q);
        for id in ids {
            let g = all.entry(id.clone()).or_default();
            g.anxieties = top_mentions(db, id, &quarter, 1).await?;
            g.expectations = top_mentions(db, id, &quarter, 2).await?;
        }
    }
    incidents_and_promises(db, ids, q, &mut all).await?;
    Ok(all)
}

/// Quarter `q` of one customer for its board, as [`gather`] with mentions, and the
/// tallies of its key persons: the tally rows (months × key persons × moods ×
/// intensities) are read once, per key person, and the customer's feelings are their
/// sum — the board names each key person's months from the same rows.
pub(crate) async fn gather_board(
    db: &Database,
    id: &str,
    q: Quarter,
) -> Result<(Gathered, PersonTallies), StoreError> {
    let people = key_person_tallies(db, id, q, Source::Tallies).await?;
    let mut tally = Tally::new();
    for person in people.values() {
        for (key, n) in person {
            *tally.entry(key.clone()).or_default() += n;
        }
    }
    let quarter = label(q);
    let g = Gathered {
        feelings: feelings(tally),
        anxieties: top_mentions(db, id, &quarter, 1).await?,
        expectations: top_mentions(db, id, &quarter, 2).await?,
        ..Gathered::default()
    };
    let ids = [id.to_string()];
    let mut all = HashMap::from([(id.to_string(), g)]);
    incidents_and_promises(db, &ids, q, &mut all).await?;
    Ok((all.remove(id).unwrap_or_default(), people))
}

/// The [`TOP`] most heard texts of `topic` (1 anxieties, 2 expectations), ties by text.
async fn top_mentions(
    db: &Database,
    id: &str,
    quarter: &str,
    topic: i64,
) -> Result<HashMap<String, i32>, StoreError> {
    let mut sql = Sql::new("SELECT text, n FROM touchpoint_mentions WHERE customer_id = ");
    sql.bind(id)
        .push(" AND quarter = ")
        .bind(quarter)
        .push(" AND topic = ")
        .bind(topic)
        .push(" AND n > 0 ORDER BY n DESC, text LIMIT ")
        .bind(TOP as i64);
    let mut out = HashMap::new();
    for row in sql.query().fetch_all(db.reader()).await? {
        out.insert(row.try_get("text")?, row.try_get::<i64, _>("n")? as i32);
    }
    Ok(out)
}

/// Quarter `q` of one customer from the raw touchpoints (those no correction replaced),
/// tallied in memory: what the aggregates must agree with. Costs the quarter's
/// touchpoints; for audits and tests, not for serving.
pub(crate) async fn gather_raw(
    db: &Database,
    id: &str,
    q: Quarter,
) -> Result<Gathered, StoreError> {
    let sql = super::uncorrected_touchpoints(
        "occur_time, mood, intensity, strategic_anxiety, implicit_expectations",
        id,
        q,
    );
    let mut tally = Tally::new();
    let mut g = Gathered::default();
    for row in sql.query().fetch_all(db.reader()).await? {
        let key = (
            month_of(row.try_get("occur_time")?),
            row.try_get::<i64, _>("mood")? as i32,
            row.try_get::<i64, _>("intensity")? as i32,
        );
        *tally.entry(key).or_default() += 1;
        *g.anxieties
            .entry(
                row.try_get::<String, _>("strategic_anxiety")?
                    .trim()
                    .to_string(),
            )
            .or_default() += 1;
        let list: String = row.try_get("implicit_expectations")?;
        for e in json_list::decode_list(&list).unwrap_or_default() {
            *g.expectations.entry(e.trim().to_string()).or_default() += 1;
        }
    }
    g.feelings = feelings(tally);
    let ids = [id.to_string()];
    let mut all = HashMap::from([(id.to_string(), g)]);
    incidents_and_promises(db, &ids, q, &mut all).await?;
    Ok(all.remove(id).unwrap_or_default())
}

/// The quarter's incidents (what the board lists) and the commitment counts of `ids`.
async fn incidents_and_promises(
    db: &Database,
    ids: &[String],
    q: Quarter,
    all: &mut HashMap<String, Gathered>,
) -> Result<(), StoreError> {
    let mut iq = Sql::new(
        "SELECT customer_id, id, severity, state, summary, detect_time, acknowledge_time, close_time FROM incidents WHERE ",
    );
    in_list(&mut iq, "customer_id", ids);
    iq.push(" AND detect_time >= ")
        .bind(q.start())
        .push(" AND detect_time < ")
        .bind(q.end())
        .push(" ORDER BY customer_id, detect_time, id");
    for row in iq.query().fetch_all(db.reader()).await? {
        let owner: String = row.try_get("customer_id")?;
        let detect: i64 = row.try_get("detect_time")?;
        let occurrence = Occurrence {
            name: format!(
                "customers/{owner}/incidents/{}",
                row.try_get::<String, _>("id")?
            ),
            severity: row.try_get::<i64, _>("severity")? as i32,
            state: row.try_get::<i64, _>("state")? as i32,
            summary: row.try_get("summary")?,
            time_to_acknowledge: row
                .try_get::<Option<i64>, _>("acknowledge_time")?
                .map(|t| t - detect),
            time_to_resolve: row
                .try_get::<Option<i64>, _>("close_time")?
                .map(|t| t - detect),
        };
        all.entry(owner).or_default().incidents.push(occurrence);
    }
    for (owner, (healthy, at_risk, breached)) in crate::commitments::counts(db, ids).await? {
        all.entry(owner).or_default().promises = Promises {
            healthy,
            at_risk,
            breached,
        };
    }
    Ok(())
}
