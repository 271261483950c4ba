//! What the board names rather than counts: the commitments at risk or breached, the
//! incidents open now (with their times), and each key person's mood month by month.
//! Read for one customer's board only (the ranking needs the counts alone), in
//! statements of their own, so the index's gathering stays as it is.

use super::super::calendar::Quarter;
use super::super::index::{Feeling, monthly};
use super::super::store::named;
use crate::visibility;
use std::collections::HashMap;
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{
    Caller, Database, StoreError,
    time::{duration, to_timestamp},
};

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

/// Reads the named parts of customer `customer_id`'s board, as `caller` may see them;
/// `now` dates how long open incidents have been open. `tallies` are the key persons'
/// of the quarter, already read for the board's figures (`gather::gather_board`).
pub(super) async fn read(
    db: &Database,
    caller: &Caller,
    customer_id: &str,
    tallies: named::PersonTallies,
    now: i64,
) -> Result<Named, StoreError> {
    read_from(
        db,
        |r| visibility::text(caller, r).into_owned(),
        customer_id,
        tallies,
        now,
    )
    .await
}

/// As [`read`] for vendor staff, the moods tallied from the raw touchpoints (those no
/// correction replaced): what the aggregates must agree with. For audits and tests.
pub(super) async fn read_raw(
    db: &Database,
    customer_id: &str,
    q: Quarter,
    now: i64,
) -> Result<Named, StoreError> {
    let tallies = named::key_person_tallies(db, customer_id, q, named::Source::Touchpoints).await?;
    read_from(db, str::to_string, customer_id, tallies, now).await
}

/// `reason` shows a commitment's status reason to the reader.
async fn read_from(
    db: &Database,
    reason: impl Fn(&str) -> String,
    customer_id: &str,
    tallies: named::PersonTallies,
    now: i64,
) -> Result<Named, StoreError> {
    let (at_risk, breached) = commitments(
        reason,
        customer_id,
        named::commitments(db, customer_id).await?,
    );
    let people = named::people(db, customer_id, tallies).await?;
    Ok(Named {
        at_risk,
        breached,
        open_incidents: open_incidents(
            customer_id,
            named::open_incidents(db, customer_id).await?,
            now,
        ),
        key_person_moods: people
            .into_iter()
            .map(
                |(key_person, (display_name, title, feelings))| pb::KeyPersonMood {
                    key_person,
                    display_name,
                    title,
                    months: month_moods(&feelings),
                },
            )
            .collect(),
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

/// The commitments at risk and those breached, their reasons shown by `reason`.
fn commitments(
    reason: impl Fn(&str) -> String,
    customer_id: &str,
    rows: Vec<named::Promise>,
) -> (Vec<pb::CommitmentSummary>, Vec<pb::CommitmentSummary>) {
    let (mut at_risk, mut breached) = (Vec::new(), Vec::new());
    for row in rows {
        let summary = pb::CommitmentSummary {
            name: format!("customers/{customer_id}/commitments/{}", row.id),
            display_name: row.display_name,
            status: row.status,
            status_reason: reason(&row.status_reason),
            update_time: Some(to_timestamp(row.update_time)),
        };
        if row.status == pb::CommitmentStatus::Breached as i32 {
            breached.push(summary);
        } else {
            at_risk.push(summary);
        }
    }
    (at_risk, breached)
}

/// The open incidents, dated by `now`.
fn open_incidents(
    customer_id: &str,
    rows: Vec<named::OpenIncident>,
    now: i64,
) -> Vec<pb::IncidentSummary> {
    rows.into_iter()
        .map(|row| pb::IncidentSummary {
            name: format!("customers/{customer_id}/incidents/{}", row.id),
            severity: row.severity,
            state: row.state,
            summary: row.summary,
            time_to_acknowledge: row.acknowledge_time.map(|t| duration(t - row.detect_time)),
            time_to_resolve: None,
            open_for: Some(duration((now - row.detect_time).max(0))),
            detect_time: Some(to_timestamp(row.detect_time)),
        })
        .collect()
}
