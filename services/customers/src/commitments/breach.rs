//! Breaches: a spare-parts clause promises named parts at named sites within a window.
//! When a supply-chain fire request for one of those parts at one of those sites is
//! fulfilled later than the window after it was raised, the promise was not kept: the
//! commitment turns `BREACHED` for good (risk events no longer move it), with the reason
//! and a status change, in the fulfilment's own transaction.

use super::{duration, human, micros, store};
use sqlx::{Any, Row, Transaction};
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{StoreError, db::Sql};

/// A fulfilled request for parts, as breach detection needs it.
pub(crate) struct Fulfilment<'a> {
    pub(crate) customer_id: &'a str,
    /// `customers/{customer}/sites/{site}` of the incident.
    pub(crate) site: &'a str,
    pub(crate) part_numbers: Vec<&'a str>,
    /// `customers/{c}/incidents/{i}/fireRequests/{f}`.
    pub(crate) fire_request: &'a str,
    pub(crate) requested_at: i64,
    pub(crate) fulfilled_at: i64,
}

/// Marks every commitment of the customer whose promise `f` broke as `BREACHED`;
/// returns their ids.
pub(crate) async fn on_fulfilled(
    tx: &mut Transaction<'static, Any>,
    f: &Fulfilment<'_>,
) -> Result<Vec<String>, StoreError> {
    if f.site.is_empty() || f.part_numbers.is_empty() {
        return Ok(Vec::new());
    }
    let took = f.fulfilled_at - f.requested_at;
    let mut q =
        Sql::new("SELECT id, clauses, status, last_change FROM commitments WHERE customer_id = ");
    q.bind(f.customer_id)
        .push(" AND status <> ")
        .bind(pb::CommitmentStatus::Breached as i64)
        .push(" ORDER BY id");
    let rows = q.query().fetch_all(&mut **tx).await?;
    let mut breached = Vec::new();
    for row in rows {
        let id: String = row.try_get("id")?;
        let clauses =
            store::decode_clauses(&row.try_get::<String, _>("clauses")?).ok_or_else(|| {
                StoreError::Other(sqlx::Error::Decode("corrupt commitment clauses".into()))
            })?;
        let Some(reason) = broken(&clauses, f, took) else {
            continue;
        };
        let previous = row.try_get::<i64, _>("status")? as i32;
        let sequence = row.try_get::<i64, _>("last_change")? + 1;
        let mut u = Sql::new("UPDATE commitments SET status = ");
        u.bind(pb::CommitmentStatus::Breached as i64)
            .push(", status_reason = ")
            .bind(reason.as_str())
            .push(", update_time = ")
            .bind(f.fulfilled_at)
            .push(", version = version + 1, last_change = ")
            .bind(sequence)
            .push(" WHERE customer_id = ")
            .bind(f.customer_id)
            .push(" AND id = ")
            .bind(id.as_str());
        u.query().execute(&mut **tx).await?;
        store::append_change(
            tx,
            f.customer_id,
            &id,
            sequence,
            previous,
            pb::CommitmentStatus::Breached as i32,
            &reason,
            0,
            f.fulfilled_at,
        )
        .await?;
        breached.push(id);
    }
    Ok(breached)
}

/// Why `f`, which took `took` µs, broke one of `clauses`, if it did.
fn broken(clauses: &[pb::CommitmentClause], f: &Fulfilment<'_>, took: i64) -> Option<String> {
    clauses.iter().find_map(|c| {
        let Some(pb::commitment_clause::Kind::SpareParts(s)) = &c.kind else {
            return None;
        };
        let window = s.window.as_ref().map(micros)?;
        if took <= window || !s.sites.iter().any(|site| site == f.site) {
            return None;
        }
        let part = f
            .part_numbers
            .iter()
            .find(|p| s.part_numbers.iter().any(|q| q == *p))?;
        Some(format!(
            "{} brought {part} to {} {} after it was raised; the commitment promises {}",
            f.fire_request,
            f.site,
            human(&duration(took)),
            human(&duration(window)),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause(sites: &[&str], parts: &[&str], window_secs: i64) -> pb::CommitmentClause {
        pb::CommitmentClause {
            kind: Some(pb::commitment_clause::Kind::SpareParts(
                pb::SparePartsClause {
                    sites: sites.iter().map(|s| s.to_string()).collect(),
                    part_numbers: parts.iter().map(|p| p.to_string()).collect(),
                    window: Some(prost_types::Duration {
                        seconds: window_secs,
                        nanos: 0,
                    }),
                },
            )),
        }
    }

    fn fulfilment<'a>(site: &'a str, parts: Vec<&'a str>) -> Fulfilment<'a> {
        Fulfilment {
            customer_id: "acme",
            site,
            part_numbers: parts,
            fire_request: "customers/acme/incidents/i/fireRequests/f",
            requested_at: 0,
            fulfilled_at: 5 * 3_600_000_000,
        }
    }

    #[test]
    fn late_for_a_promised_part_at_a_promised_site_breaks_the_promise() {
        let c = [clause(&["s/a"], &["P1", "P2"], 4 * 3600)];
        let why = broken(&c, &fulfilment("s/a", vec!["X", "P2"]), 5 * 3_600_000_000);
        assert_eq!(
            why.as_deref(),
            Some(
                "customers/acme/incidents/i/fireRequests/f brought P2 to s/a 5h00m after it was raised; the commitment promises 4h00m"
            )
        );
    }

    #[test]
    fn in_time_another_site_or_other_parts_keep_it() {
        let c = [clause(&["s/a"], &["P1"], 4 * 3600)];
        let late = 5 * 3_600_000_000;
        assert!(broken(&c, &fulfilment("s/a", vec!["P1"]), 4 * 3_600_000_000).is_none());
        assert!(broken(&c, &fulfilment("s/b", vec!["P1"]), late).is_none());
        assert!(broken(&c, &fulfilment("s/a", vec!["P9"]), late).is_none());
        let remote = [pb::CommitmentClause {
            kind: Some(pb::commitment_clause::Kind::RemoteExpert(
                pb::RemoteExpertClause {
                    hours_per_day: 24,
                    days_per_week: 7,
                },
            )),
        }];
        assert!(broken(&remote, &fulfilment("s/a", vec!["P1"]), late).is_none());
    }
}
