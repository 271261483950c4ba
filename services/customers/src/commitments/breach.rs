//! Breaches: a spare-parts clause promises named parts at named sites within a window.
//! A supply-chain fire request for one of those parts at one of those sites that is
//! fulfilled later than the window after it was raised — or still open when the window
//! has passed — broke the promise: the commitment turns `BREACHED` for good (risk events
//! no longer move it), with the reason and a status change. Fulfilment checks in its own
//! transaction; the incident timers check open requests on every sweep.

use super::{duration, human, micros, store};
use sqlx::{Any, Executor, Row, Transaction};
use symbolon_contracts::customers::v1 as pb;
use symbolon_platform::{StoreError, db::Sql};

/// A request for parts, as breach detection needs it.
pub(crate) struct Delivery<'a> {
    pub(crate) customer_id: &'a str,
    /// `customers/{customer}/sites/{site}` of the incident.
    pub(crate) site: &'a str,
    pub(crate) part_numbers: Vec<&'a str>,
    /// `customers/{c}/incidents/{i}/fireRequests/{f}`.
    pub(crate) fire_request: &'a str,
    pub(crate) requested_at: i64,
    /// When it was fulfilled, or now for one still open.
    pub(crate) at: i64,
    pub(crate) fulfilled: bool,
}

/// A commitment `Delivery` broke.
pub(crate) struct Broken {
    id: String,
    previous: i32,
    sequence: i64,
    reason: String,
}

/// A commitment not yet breached, as breach detection needs it.
pub(crate) struct Open {
    id: String,
    clauses: Vec<pb::CommitmentClause>,
    status: i32,
    last_change: i64,
}

/// The customer's commitments not yet breached.
pub(crate) async fn open_commitments<'c, E>(
    ex: E,
    customer_id: &str,
) -> Result<Vec<Open>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut q =
        Sql::new("SELECT id, clauses, status, last_change FROM commitments WHERE customer_id = ");
    q.bind(customer_id)
        .push(" AND status <> ")
        .bind(pb::CommitmentStatus::Breached as i64)
        .push(" ORDER BY id");
    let mut out = Vec::new();
    for row in q.query().fetch_all(ex).await? {
        out.push(Open {
            id: row.try_get("id")?,
            clauses: store::decode_clauses(&row.try_get::<String, _>("clauses")?).ok_or_else(
                || StoreError::Other(sqlx::Error::Decode("corrupt commitment clauses".into())),
            )?,
            status: row.try_get::<i64, _>("status")? as i32,
            last_change: row.try_get("last_change")?,
        });
    }
    Ok(out)
}

/// Which of `open` (the customer's commitments not yet breached) `d` broke.
pub(crate) fn broken_among(open: &[Open], d: &Delivery<'_>) -> Vec<Broken> {
    if d.site.is_empty() || d.part_numbers.is_empty() {
        return Vec::new();
    }
    open.iter()
        .filter_map(|c| {
            reason(&c.clauses, d).map(|reason| Broken {
                id: c.id.clone(),
                previous: c.status,
                sequence: c.last_change + 1,
                reason,
            })
        })
        .collect()
}

/// The customer's commitments, not yet breached, whose promise `d` broke.
pub(crate) async fn broken_by<'c, E>(ex: E, d: &Delivery<'_>) -> Result<Vec<Broken>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    if d.site.is_empty() || d.part_numbers.is_empty() {
        return Ok(Vec::new());
    }
    Ok(broken_among(&open_commitments(ex, d.customer_id).await?, d))
}

/// When `d`, still open, could next break one of `open` (commitments not breached): the
/// first end of a window not yet passed, plus one microsecond; `None` when none could.
pub(crate) fn next_due(open: &[Open], d: &Delivery<'_>) -> Option<i64> {
    if d.site.is_empty() || d.part_numbers.is_empty() {
        return None;
    }
    open.iter()
        .flat_map(|c| c.clauses.iter())
        .filter_map(|c| match &c.kind {
            Some(pb::commitment_clause::Kind::SpareParts(s))
                if s.sites.iter().any(|site| site == d.site)
                    && d.part_numbers
                        .iter()
                        .any(|p| s.part_numbers.iter().any(|q| q == p)) =>
            {
                s.window.as_ref().map(micros)
            }
            _ => None,
        })
        .map(|window| d.requested_at.saturating_add(window).saturating_add(1))
        .filter(|due| *due > d.at)
        .min()
}

/// Brings forward the breach check of the customer's open requests at the sites a new
/// commitment with `clauses` promises, to when its shortest window ends for each, in
/// the commitment's transaction: a request the sweep had dated before the commitment
/// existed is checked again in time. Bounded by the customer's open incidents there.
pub(crate) async fn schedule(
    tx: &mut Transaction<'static, Any>,
    customer_id: &str,
    clauses: &[pb::CommitmentClause],
) -> Result<(), StoreError> {
    let promised = clauses.iter().filter_map(|c| match &c.kind {
        Some(pb::commitment_clause::Kind::SpareParts(s)) => {
            s.window.as_ref().map(|w| (micros(w), &s.sites))
        }
        _ => None,
    });
    let Some(window) = promised.clone().map(|(w, _)| w).min() else {
        return Ok(());
    };
    let mut sites: Vec<&str> = promised
        .flat_map(|(_, sites)| sites.iter().map(String::as_str))
        .collect();
    sites.sort_unstable();
    sites.dedup();
    if sites.is_empty() {
        return Ok(());
    }
    let due = "create_time + ";
    let mut u = Sql::new(
        "UPDATE fire_requests SET breach_due = CASE WHEN breach_due IS NULL OR breach_due > ",
    );
    u.push(due)
        .bind(window.saturating_add(1))
        .push(" THEN ")
        .push(due)
        .bind(window.saturating_add(1))
        .push(
            " ELSE breach_due END WHERE state IN (1, 2) AND parts <> '[]' AND incident_key IN (\
               SELECT customer_id || '/' || id FROM incidents WHERE customer_id = ",
        )
        .bind(customer_id)
        .push(" AND state = ")
        .bind(pb::IncidentState::Open as i64)
        .push(" AND site IN (");
    for (i, site) in sites.iter().enumerate() {
        if i > 0 {
            u.push(", ");
        }
        u.bind(*site);
    }
    u.push("))");
    u.query().execute(&mut **tx).await?;
    Ok(())
}

/// Marks every commitment `d` broke as `BREACHED`, in `tx`; returns their ids. A
/// commitment another transaction breached first is left to that one.
pub(crate) async fn breach(
    tx: &mut Transaction<'static, Any>,
    d: &Delivery<'_>,
) -> Result<Vec<String>, StoreError> {
    let mut breached = Vec::new();
    for b in broken_by(&mut **tx, d).await? {
        let mut u = Sql::new("UPDATE commitments SET status = ");
        u.bind(pb::CommitmentStatus::Breached as i64)
            .push(", status_reason = ")
            .bind(b.reason.as_str())
            .push(", update_time = ")
            .bind(d.at)
            .push(", version = version + 1, last_change = ")
            .bind(b.sequence)
            .push(" WHERE customer_id = ")
            .bind(d.customer_id)
            .push(" AND id = ")
            .bind(b.id.as_str())
            .push(" AND status <> ")
            .bind(pb::CommitmentStatus::Breached as i64);
        if u.query().execute(&mut **tx).await?.rows_affected() != 1 {
            continue;
        }
        store::append_change(
            tx,
            d.customer_id,
            &b.id,
            b.sequence,
            b.previous,
            pb::CommitmentStatus::Breached as i32,
            &b.reason,
            0,
            d.at,
        )
        .await?;
        breached.push(b.id);
    }
    Ok(breached)
}

/// Why `d` broke one of `clauses`, if it did.
fn reason(clauses: &[pb::CommitmentClause], d: &Delivery<'_>) -> Option<String> {
    let took = d.at - d.requested_at;
    clauses.iter().find_map(|c| {
        let Some(pb::commitment_clause::Kind::SpareParts(s)) = &c.kind else {
            return None;
        };
        let window = s.window.as_ref().map(micros)?;
        if took <= window || !s.sites.iter().any(|site| site == d.site) {
            return None;
        }
        let part = d
            .part_numbers
            .iter()
            .find(|p| s.part_numbers.iter().any(|q| q == *p))?;
        let what = if d.fulfilled {
            format!("brought {part} to {}", d.site)
        } else {
            format!("has not brought {part} to {}", d.site)
        };
        Some(format!(
            "{} {what} {} after it was raised; the commitment promises {}",
            d.fire_request,
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

    fn delivery<'a>(site: &'a str, parts: Vec<&'a str>, hours: i64) -> Delivery<'a> {
        Delivery {
            customer_id: "acme",
            site,
            part_numbers: parts,
            fire_request: "customers/acme/incidents/i/fireRequests/f",
            requested_at: 0,
            at: hours * 3_600_000_000,
            fulfilled: true,
        }
    }

    #[test]
    fn late_for_a_promised_part_at_a_promised_site_breaks_the_promise() {
        let c = [clause(&["s/a"], &["P1", "P2"], 4 * 3600)];
        let why = reason(&c, &delivery("s/a", vec!["X", "P2"], 5));
        assert_eq!(
            why.as_deref(),
            Some(
                "customers/acme/incidents/i/fireRequests/f brought P2 to s/a 5h00m after it was raised; the commitment promises 4h00m"
            )
        );
        let open = Delivery {
            fulfilled: false,
            ..delivery("s/a", vec!["P1"], 5)
        };
        assert_eq!(
            reason(&c, &open).as_deref(),
            Some(
                "customers/acme/incidents/i/fireRequests/f has not brought P1 to s/a 5h00m after it was raised; the commitment promises 4h00m"
            )
        );
    }

    #[test]
    fn in_time_another_site_or_other_parts_keep_it() {
        let c = [clause(&["s/a"], &["P1"], 4 * 3600)];
        assert!(reason(&c, &delivery("s/a", vec!["P1"], 4)).is_none());
        assert!(reason(&c, &delivery("s/b", vec!["P1"], 5)).is_none());
        assert!(reason(&c, &delivery("s/a", vec!["P9"], 5)).is_none());
        let remote = [pb::CommitmentClause {
            kind: Some(pb::commitment_clause::Kind::RemoteExpert(
                pb::RemoteExpertClause {
                    hours_per_day: 24,
                    days_per_week: 7,
                },
            )),
        }];
        assert!(reason(&remote, &delivery("s/a", vec!["P1"], 5)).is_none());
    }
}
