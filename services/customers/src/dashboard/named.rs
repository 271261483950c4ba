//! What the board names rather than counts: the commitments at risk or breached, the
//! incidents open now (with their times), and each key person's mood month by month.
//! Read for one customer's board only (the ranking needs the counts alone), in
//! statements of their own, so the index's gathering stays as it is.

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
    let (at_risk, breached) = commitments(db, caller, customer_id).await?;
    Ok(Named {
        at_risk,
        breached,
        open_incidents: open_incidents(db, customer_id, now).await?,
        key_person_moods: key_person_moods(db, customer_id, q).await?,
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

async fn commitments(
    db: &Database,
    caller: &Caller,
    customer_id: &str,
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
        let reason: String = row.try_get("status_reason")?;
        let summary = pb::CommitmentSummary {
            name: format!(
                "customers/{customer_id}/commitments/{}",
                row.try_get::<String, _>("id")?
            ),
            display_name: row.try_get("display_name")?,
            status,
            status_reason: visibility::text(caller, &reason).into_owned(),
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

async fn key_person_moods(
    db: &Database,
    customer_id: &str,
    q: Quarter,
) -> Result<Vec<pb::KeyPersonMood>, StoreError> {
    let mut tq = Sql::new(
        "SELECT t.key_person, t.occur_time, t.mood, t.intensity, k.display_name, k.title \
         FROM touchpoints t LEFT JOIN key_persons k ON k.customer_id = t.customer_id \
         AND (k.id = t.key_person OR t.key_person = 'customers/' || k.customer_id || '/keyPersons/' || k.id) \
         WHERE t.customer_id = ",
    );
    tq.bind(customer_id)
        .push(" AND t.occur_time >= ")
        .bind(q.start())
        .push(" AND t.occur_time < ")
        .bind(q.end());
    // Key person name → (display name, title, feelings), in name order.
    let mut people: BTreeMap<String, (String, String, Vec<Feeling>)> = BTreeMap::new();
    for row in tq.query().fetch_all(db.reader()).await? {
        let key: String = row.try_get("key_person")?;
        let name = if key.starts_with("customers/") {
            key
        } else {
            format!("customers/{customer_id}/keyPersons/{key}")
        };
        let entry = people.entry(name).or_insert_with(|| {
            (
                row.try_get::<Option<String>, _>("display_name")
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
                row.try_get::<Option<String>, _>("title")
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
                Vec::new(),
            )
        });
        entry.2.push(Feeling {
            month: month_of(row.try_get("occur_time")?),
            mood: row.try_get::<i64, _>("mood")? as i32,
            intensity: row.try_get::<i64, _>("intensity")? as i32,
            count: 1,
        });
    }
    Ok(people
        .into_iter()
        .map(
            |(key_person, (display_name, title, feelings))| pb::KeyPersonMood {
                key_person,
                display_name,
                title,
                months: month_moods(&feelings),
            },
        )
        .collect())
}
