//! Breaches: a spare-parts clause promises named parts at named sites within a window.
//! A supply-chain fire request for one of those parts at one of those sites that is
//! fulfilled later than the window after it was raised — or still open when the window
//! has passed — broke the promise: the commitment turns `BREACHED` for good (risk events
//! no longer move it), with the reason and a status change. Fulfilment checks in its own
//! transaction; the incident timers check open requests on every sweep.
//!
//! This file decides which commitments a request broke and when it could next break
//! one; their rows and statements are `store/breach.rs`, the promises are read from the
//! stored clauses by `api/clauses.rs`.

use super::api::clauses;
use super::store::breach::{self as rows, Broken, Promise};
use super::{duration, human};
use sqlx::{Any, Executor, Transaction};
use symbolon_platform::StoreError;

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

impl Delivery<'_> {
    /// Whether `p` covers this request's site and any of its parts.
    fn within(&self, p: &Promise) -> bool {
        p.sites.iter().any(|site| site == self.site)
            && self
                .part_numbers
                .iter()
                .any(|part| p.part_numbers.iter().any(|q| q == part))
    }
}

/// A commitment not yet breached, as breach detection needs it.
pub(crate) struct Open {
    id: String,
    promises: Vec<Promise>,
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
    rows::open(ex, customer_id)
        .await?
        .into_iter()
        .map(|row| {
            let decoded = clauses::decode(&row.clauses).ok_or_else(|| {
                StoreError::Other(sqlx::Error::Decode("corrupt commitment clauses".into()))
            })?;
            Ok(Open {
                id: row.id,
                promises: clauses::promises(&decoded),
                status: row.status,
                last_change: row.last_change,
            })
        })
        .collect()
}

/// Which of `open` (the customer's commitments not yet breached) `d` broke.
pub(crate) fn broken_among(open: &[Open], d: &Delivery<'_>) -> Vec<Broken> {
    if d.site.is_empty() || d.part_numbers.is_empty() {
        return Vec::new();
    }
    open.iter()
        .filter_map(|c| {
            reason(&c.promises, d).map(|reason| Broken {
                id: c.id.clone(),
                previous: c.status,
                sequence: c.last_change + 1,
                reason,
            })
        })
        .collect()
}

/// When `d`, still open, could next break one of `open` (commitments not breached): the
/// first end of a window not yet passed, plus one microsecond; `None` when none could.
pub(crate) fn next_due(open: &[Open], d: &Delivery<'_>) -> Option<i64> {
    if d.site.is_empty() || d.part_numbers.is_empty() {
        return None;
    }
    open.iter()
        .flat_map(|c| c.promises.iter())
        .filter(|p| d.within(p))
        .map(|p| d.requested_at.saturating_add(p.window).saturating_add(1))
        .filter(|due| *due > d.at)
        .min()
}

/// Marks every commitment `d` broke as `BREACHED`, in `tx`; returns their ids. A
/// commitment another transaction breached first is left to that one.
pub(crate) async fn breach(
    tx: &mut Transaction<'static, Any>,
    d: &Delivery<'_>,
) -> Result<Vec<String>, StoreError> {
    if d.site.is_empty() || d.part_numbers.is_empty() {
        return Ok(Vec::new());
    }
    let broken = broken_among(&open_commitments(&mut **tx, d.customer_id).await?, d);
    let mut breached = Vec::new();
    for b in broken {
        if rows::mark(tx, d.customer_id, &b, d.at).await? {
            breached.push(b.id);
        }
    }
    Ok(breached)
}

/// Why `d` broke one of `promises`, if it did.
fn reason(promises: &[Promise], d: &Delivery<'_>) -> Option<String> {
    let took = d.at - d.requested_at;
    promises.iter().find_map(|s| {
        if took <= s.window || !s.sites.iter().any(|site| site == d.site) {
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
            human(&duration(s.window)),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use symbolon_contracts::customers::v1 as pb;

    fn clause(sites: &[&str], parts: &[&str], window_secs: i64) -> Vec<Promise> {
        clauses::promises(&[pb::CommitmentClause {
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
        }])
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
        let c = clause(&["s/a"], &["P1", "P2"], 4 * 3600);
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
        let c = clause(&["s/a"], &["P1"], 4 * 3600);
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
        assert!(reason(&clauses::promises(&remote), &delivery("s/a", vec!["P1"], 5)).is_none());
    }
}
