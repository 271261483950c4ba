//! What the board names rather than counts: the commitments at risk or breached, the
//! incidents open now (with their times), and each key person's mood month by month.
//! Read for one customer's board only (the ranking needs the counts alone), in
//! statements of their own, so the index's gathering stays as it is. The moods come
//! from the tallies per key person (migration 0014), where a corrected touchpoint
//! counts once, as its correction; [`read_raw`] tallies them from the touchpoints
//! instead, to check that.

use super::calendar::{Quarter, month_of};
use super::index::{Feeling, monthly};
use crate::visibility;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{Caller, Database, StoreError, db::Sql, time::to_timestamp};

/// The named parts of one customer's board.
pub(super) struct Named {
    pub(super) at_risk: Vec<pb::CommitmentSummary>,
    pub(super) breached: Vec<pb::CommitmentSummary>,
    pub(super) open_incidents: Vec<pb::IncidentSummary>,
    pub(super) key_person_moods: Vec<pb::KeyPersonMood>,
}

impl Named {
    /// Adds these to `d`.
    pub(super) fn fill(self, d: &mut pb::TrustDashboard) {
        d.commitments_kept = d.commitments_healthy;
        d.at_risk_commitments = self.at_risk;
        d.breached_commitments = self.breached;
        d.open_incident_summaries = self.open_incidents;
        d.key_person_moods = self.key_person_moods;
    }
}

/// Reads the named parts of customer `customer_id`'s board for quarter `q`, as
/// `caller` may see them; `now` dates how long open incidents have been open.
pub(super) async fn read(
    db: &Database,
    caller: &Caller,
    customer_id: &str,
    q: Quarter,
    now: i64,
) -> Result<Named, StoreError> {
    let (at_risk, breached) = commitments(db, customer_id, |r| {
        visibility::text(caller, r).into_owned()
    })
    .await?;
    Ok(Named {
        at_risk,
        breached,
        open_incidents: open_incidents(db, customer_id, now).await?,
        key_person_moods: key_person_moods(db, customer_id, q, Source::Tallies).await?,
    })
}

/// As [`read`] for vendor staff, the moods tallied from the raw touchpoints (those no
/// correction replaced): what the aggregates must agree with. For audits and tests.
pub(super) async fn read_raw(
    db: &Database,
    customer_id: &str,
    q: Quarter,
    now: i64,
) -> Result<Named, StoreError> {
    let (at_risk, breached) = commitments(db, customer_id, str::to_string).await?;
    Ok(Named {
        at_risk,
        breached,
        open_incidents: open_incidents(db, customer_id, now).await?,
        key_person_moods: key_person_moods(db, customer_id, q, Source::Touchpoints).await?,
    })
}

/// Months of `feelings` as the board shows them: count, mean valence, dominant mood.
pub(super) fn month_moods(feelings: &[Feeling]) -> Vec<pb::MonthMood> {
    monthly(feelings)
        .into_iter()
        .map(|(month, n, mean_valence)| {
            let mut by_mood: HashMap<i32, usize> = HashMap::new();
            for f in feelings.iter().filter(|f| f.month == month) {
                *by_mood.entry(f.mood).or_default() += f.count as usize;
            }
            let dominant = by_mood
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .and_then(|(m, _)| pb::Mood::try_from(m).ok())
                .map(|m| m.as_str_name().to_string())
                .unwrap_or_default();
            pb::MonthMood {
                month,
                touchpoints: n as i32,
                mean_valence,
                dominant_mood: dominant,
            }
        })
        .collect()
}

type Summaries = Vec<pb::CommitmentSummary>;

/// `reason` shows a status reason to the reader.
async fn commitments(
    db: &Database,
    customer_id: &str,
    reason: impl Fn(&str) -> String,
) -> Result<(Summaries, Summaries), StoreError> {
    let mut q = Sql::new(
        "SELECT id, display_name, status, status_reason, update_time FROM commitments WHERE customer_id = ",
    );
    q.bind(customer_id)
        .push(" AND status IN (")
        .bind(pb::CommitmentStatus::AtRisk as i64)
        .push(", ")
        .bind(pb::CommitmentStatus::Breached as i64)
        .push(") ORDER BY update_time, id");
    let (mut at_risk, mut breached) = (Vec::new(), Vec::new());
    for row in q.query().fetch_all(db.reader()).await? {
        let status = row.try_get::<i64, _>("status")? as i32;
        let why: String = row.try_get("status_reason")?;
        let summary = pb::CommitmentSummary {
            name: format!(
                "customers/{customer_id}/commitments/{}",
                row.try_get::<String, _>("id")?
            ),
            display_name: row.try_get("display_name")?,
            status,
            status_reason: reason(&why),
            update_time: Some(to_timestamp(row.try_get("update_time")?)),
        };
        if status == pb::CommitmentStatus::Breached as i32 {
            breached.push(summary);
        } else {
            at_risk.push(summary);
        }
    }
    Ok((at_risk, breached))
}

async fn open_incidents(
    db: &Database,
    customer_id: &str,
    now: i64,
) -> Result<Vec<pb::IncidentSummary>, StoreError> {
    let mut q = Sql::new(
        "SELECT id, severity, state, summary, detect_time, acknowledge_time FROM incidents WHERE customer_id = ",
    );
    q.bind(customer_id)
        .push(" AND state = ")
        .bind(pb::IncidentState::Open as i64)
        .push(" ORDER BY detect_time, id");
    let mut out = Vec::new();
    for row in q.query().fetch_all(db.reader()).await? {
        let detect: i64 = row.try_get("detect_time")?;
        out.push(pb::IncidentSummary {
            name: format!(
                "customers/{customer_id}/incidents/{}",
                row.try_get::<String, _>("id")?
            ),
            severity: row.try_get::<i64, _>("severity")? as i32,
            state: row.try_get::<i64, _>("state")? as i32,
            summary: row.try_get("summary")?,
            time_to_acknowledge: row
                .try_get::<Option<i64>, _>("acknowledge_time")?
                .map(|t| super::duration(t - detect)),
            time_to_resolve: None,
            open_for: Some(super::duration((now - detect).max(0))),
            detect_time: Some(to_timestamp(detect)),
        });
    }
    Ok(out)
}

/// Where the key persons' moods are counted from.
#[derive(Clone, Copy, PartialEq)]
enum Source {
    /// The tallies the writes keep: months × key persons × moods × intensities rows.
    Tallies,
    /// The quarter's touchpoints that no correction replaced.
    Touchpoints,
}

/// (month, mood, intensity) → touchpoints, per key person as written.
type Tally = BTreeMap<(String, i32, i32), i64>;

async fn key_person_moods(
    db: &Database,
    customer_id: &str,
    q: Quarter,
    source: Source,
) -> Result<Vec<pb::KeyPersonMood>, StoreError> {
    let tq = match source {
        Source::Tallies => {
            let mut tq = Sql::new(
                "SELECT key_person, month, mood, intensity, n FROM touchpoint_tallies WHERE customer_id = ",
            );
            tq.bind(customer_id)
                .push(" AND month >= ")
                .bind(month_of(q.start()))
                .push(" AND month < ")
                .bind(month_of(q.end()))
                .push(" AND n > 0");
            tq
        }
        Source::Touchpoints => {
            let mut tq = Sql::new(
                "SELECT key_person, occur_time, mood, intensity, 1 AS n FROM touchpoints t WHERE customer_id = ",
            );
            tq.bind(customer_id)
                .push(" AND occur_time >= ")
                .bind(q.start())
                .push(" AND occur_time < ")
                .bind(q.end())
                .push(
                    " AND NOT EXISTS (SELECT 1 FROM touchpoints c WHERE c.customer_id = t.customer_id AND c.corrects_id = t.id)",
                );
            tq
        }
    };
    // Key person name → tally, in name order (a key person written both as a name and
    // as a bare id is one person).
    let mut people: BTreeMap<String, Tally> = BTreeMap::new();
    for row in tq.query().fetch_all(db.reader()).await? {
        let key: String = row.try_get("key_person")?;
        let name = if key.starts_with("customers/") {
            key
        } else {
            format!("customers/{customer_id}/keyPersons/{key}")
        };
        let month = match source {
            Source::Tallies => row.try_get("month")?,
            Source::Touchpoints => month_of(row.try_get("occur_time")?),
        };
        *people
            .entry(name)
            .or_default()
            .entry((
                month,
                row.try_get::<i64, _>("mood")? as i32,
                row.try_get::<i64, _>("intensity")? as i32,
            ))
            .or_default() += row.try_get::<i64, _>("n")?;
    }
    people.retain(|_, tally| tally.values().any(|n| *n > 0));
    let who = profiles(db, customer_id, people.keys()).await?;
    Ok(people
        .into_iter()
        .map(|(key_person, tally)| {
            let (display_name, title) = who.get(&key_person).cloned().unwrap_or_default();
            let feelings: Vec<Feeling> = tally
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(|((month, mood, intensity), count)| Feeling {
                    month,
                    mood,
                    intensity,
                    count,
                })
                .collect();
            pb::KeyPersonMood {
                key_person,
                display_name,
                title,
                months: month_moods(&feelings),
            }
        })
        .collect())
}

/// Display name and title of each of `names` (`customers/{c}/keyPersons/{k}`) that is
/// a key person of the customer; one statement, bound by the board's few key persons.
async fn profiles<'a>(
    db: &Database,
    customer_id: &str,
    names: impl Iterator<Item = &'a String>,
) -> Result<HashMap<String, (String, String)>, StoreError> {
    let prefix = format!("customers/{customer_id}/keyPersons/");
    let ids: Vec<&str> = names.filter_map(|n| n.strip_prefix(&prefix)).collect();
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut kq = Sql::new("SELECT id, display_name, title FROM key_persons WHERE customer_id = ");
    kq.bind(customer_id).push(" AND id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            kq.push(", ");
        }
        kq.bind(*id);
    }
    kq.push(")");
    for row in kq.query().fetch_all(db.reader()).await? {
        let id: String = row.try_get("id")?;
        out.insert(
            format!("{prefix}{id}"),
            (row.try_get("display_name")?, row.try_get("title")?),
        );
    }
    Ok(out)
}
