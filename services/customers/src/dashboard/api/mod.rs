//! The handlers of DashboardService, and the board built from what `store/` gathered.

mod named;

use super::calendar::Quarter;
use super::index::{self, Trouble};
use super::store::{
    gather::{self, Gathered},
    ranking,
};
use ranking::Score;
use std::collections::HashMap;
use symbolon_contracts::customers::v1::{self as pb, dashboard_service_server::DashboardService};
use symbolon_platform::{Caller, Database, names, paging, status, time::Clock};
use tonic::{Request, Response, Status};

/// The DashboardService implementation.
#[derive(Clone)]
pub struct Dashboard {
    db: Database,
    clock: Clock,
}

impl Dashboard {
    /// Reads from `db`; `clock` dates how long open incidents have been open.
    pub fn new(db: Database, clock: Clock) -> Self {
        Self { db, clock }
    }
}

use symbolon_platform::time::duration;

fn top(counts: HashMap<String, i32>, n: usize) -> Vec<pb::Mention> {
    let mut v: Vec<pb::Mention> = counts
        .into_iter()
        .map(|(text, count)| pb::Mention { text, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)));
    v.truncate(n);
    v
}

/// The mean of durations in microseconds (rounded toward zero), None without any. Summed
/// in i128, so no count of durations overflows; the mean of i64s fits an i64.
fn mean_micros(xs: &[i64]) -> Option<i64> {
    if xs.is_empty() {
        return None;
    }
    let sum: i128 = xs.iter().map(|x| i128::from(*x)).sum();
    i64::try_from(sum / xs.len() as i128).ok()
}

/// A count as an i32, at most `i32::MAX`.
fn saturating_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

struct Quarterly {
    dashboard: pb::TrustDashboard,
    open_critical: i32,
}

/// One customer's board for the quarter labelled `label`, from what was gathered.
fn board(customer_id: &str, g: Gathered, label: &str) -> Quarterly {
    let mean = |xs: Vec<i64>| mean_micros(&xs).map(duration);
    let troubles: Vec<Trouble> = g
        .incidents
        .iter()
        .map(|i| Trouble {
            severity: i.severity,
            time_to_acknowledge: i.time_to_acknowledge,
        })
        .collect();
    let open = saturating_i32(g.incidents.iter().filter(|i| i.is_open()).count());
    let open_critical = saturating_i32(
        g.incidents
            .iter()
            .filter(|i| i.is_open() && i.severity == pb::Severity::Critical as i32)
            .count(),
    );
    let mean_time_to_acknowledge = mean(
        g.incidents
            .iter()
            .filter_map(|i| i.time_to_acknowledge)
            .collect(),
    );
    let mean_time_to_resolve = mean(
        g.incidents
            .iter()
            .filter_map(|i| i.time_to_resolve)
            .collect(),
    );
    let (trust_index, contributions) = index::trust_index(&g.feelings, &troubles, g.promises);
    let mood_trend = named::month_moods(&g.feelings);
    Quarterly {
        dashboard: pb::TrustDashboard {
            customer: format!("customers/{customer_id}"),
            quarter: label.to_string(),
            mood_trend,
            top_anxieties: top(g.anxieties, gather::TOP),
            top_expectations: top(g.expectations, gather::TOP),
            incidents: g
                .incidents
                .into_iter()
                .map(|i| pb::IncidentSummary {
                    name: i.name,
                    severity: i.severity,
                    state: i.state,
                    summary: i.summary,
                    time_to_acknowledge: i.time_to_acknowledge.map(duration),
                    time_to_resolve: i.time_to_resolve.map(duration),
                    ..Default::default()
                })
                .collect(),
            open_incidents: open,
            mean_time_to_acknowledge,
            mean_time_to_resolve,
            commitments_healthy: g.promises.healthy,
            commitments_at_risk: g.promises.at_risk,
            commitments_breached: g.promises.breached,
            trust_index,
            contributions,
            ..Default::default()
        },
        open_critical,
    }
}

#[tonic::async_trait]
impl DashboardService for Dashboard {
    async fn get_trust_dashboard(
        &self,
        req: Request<pb::GetTrustDashboardRequest>,
    ) -> Result<Response<pb::TrustDashboard>, Status> {
        let (caller, r) = Caller::split(req)?;
        let mut v = symbolon_platform::Violations::new();
        let ids = v.check("customer", names::parse(&r.customer, &["customers"]));
        let quarter = v.check("quarter", Quarter::parse(&r.quarter));
        v.into_result()?;
        let (Some(ids), Some(quarter)) = (ids, quarter) else {
            return Err(status::invalid_argument("customer", "is required"));
        };
        caller.ensure_customer(ids[0], &r.customer)?;
        if symbolon_platform::table::get::<crate::store::CustomerRow>(&self.db, ids[0], ids[0])
            .await?
            .is_none()
        {
            return Err(status::not_found(&r.customer));
        }
        let (of_customer, people) = gather::gather_board(&self.db, ids[0], quarter).await?;
        let mut dashboard = board(ids[0], of_customer, &r.quarter).dashboard;
        let now = self.clock.now();
        named::read(&self.db, &caller, ids[0], people, now)
            .await?
            .fill(&mut dashboard);
        Ok(Response::new(dashboard))
    }

    async fn rank_customers_for_attention(
        &self,
        req: Request<pb::RankCustomersForAttentionRequest>,
    ) -> Result<Response<pb::RankCustomersForAttentionResponse>, Status> {
        let caller = Caller::of(&req)?;
        caller.require_vendor(&["admin", "analyst", "frontline"])?;
        let r = req.into_inner();
        let mut v = symbolon_platform::Violations::new();
        let quarter = v.check("quarter", Quarter::parse(&r.quarter));
        let size = v.check("page_size", paging::page_size(r.page_size));
        v.into_result()?;
        let (Some(quarter), Some(size)) = (quarter, size) else {
            return Err(status::invalid_argument("quarter", "is required"));
        };
        let query = format!("rank;{}", gather::label(quarter));
        let after = match paging::decode_token(&r.page_token, &query) {
            Ok(token) => token
                .map(|t| ranking::Cursor::decode(&t).ok_or(paging::PageError::BadToken))
                .transpose(),
            Err(e) => Err(e),
        }
        .map_err(|e| status::invalid_argument("page_token", e.to_string()))?;
        ranking::refresh(&self.db, quarter, score).await?;
        let (rows, next) = ranking::page(&self.db, quarter, after, size).await?;
        let mut customers = rows
            .into_iter()
            .map(|r| pb::CustomerAttention {
                customer: format!("customers/{}", r.customer_id),
                display_name: r.display_name,
                trust_index: r.trust_index,
                attention: r.attention,
                reasons: r.reasons,
            })
            .collect();
        let next_page_token = next
            .fit(&mut customers)
            .map(|c| paging::encode_token(&c, &query))
            .unwrap_or_default();
        Ok(Response::new(pb::RankCustomersForAttentionResponse {
            customers,
            next_page_token,
        }))
    }
}

/// One customer's board for `quarter` (`YYYY-Qn`) recomputed from the raw rows rather
/// than the aggregates, as vendor staff see it at `now` (microseconds): what
/// GetTrustDashboard must answer, in full. Reads the quarter's whole history of
/// touchpoints; for audits and tests.
pub async fn board_from_raw_rows(
    db: &Database,
    customer_id: &str,
    quarter: &str,
    now: i64,
) -> Result<pb::TrustDashboard, Status> {
    let q =
        Quarter::parse(quarter).map_err(|e| status::invalid_argument("quarter", e.to_string()))?;
    let g = gather::gather_raw(db, customer_id, q).await?;
    let mut dashboard = board(customer_id, g, quarter).dashboard;
    named::read_raw(db, customer_id, q, now)
        .await?
        .fill(&mut dashboard);
    Ok(dashboard)
}

/// The attention score of one customer's quarter from the raw rows: what the ranking
/// must list for it (attention, trust index, reasons).
pub async fn attention_from_raw_rows(
    db: &Database,
    customer_id: &str,
    quarter: &str,
) -> Result<(f64, f64, Vec<String>), Status> {
    let q =
        Quarter::parse(quarter).map_err(|e| status::invalid_argument("quarter", e.to_string()))?;
    let g = gather::gather_raw(db, customer_id, q).await?;
    let s = score(customer_id, g, &gather::label(q));
    Ok((s.attention, s.trust_index, s.reasons))
}

/// Attention and reasons of one customer's quarter.
fn score(customer_id: &str, g: gather::Gathered, label: &str) -> Score {
    let q = board(customer_id, g, label);
    let mut losses: Vec<&pb::Contribution> = q.dashboard.contributions.iter().collect();
    // Worst first: the points each input left on the table.
    losses.sort_by(|a, b| (b.weight * 100.0 - b.points).total_cmp(&(a.weight * 100.0 - a.points)));
    let mut reasons: Vec<String> = losses
        .iter()
        .filter(|c| c.weight * 100.0 - c.points > 0.5)
        .take(2)
        .map(|c| {
            format!(
                "{}: -{:.1} points ({})",
                c.input,
                c.weight * 100.0 - c.points,
                c.explanation
            )
        })
        .collect();
    if q.open_critical > 0 {
        reasons.insert(
            0,
            index::plural(
                q.open_critical as usize,
                "open critical incident",
                "open critical incidents",
            ),
        );
    }
    Score {
        attention: 100.0 - q.dashboard.trust_index + 10.0 * f64::from(q.open_critical),
        trust_index: q.dashboard.trust_index,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::super::store::code;
    use super::*;

    #[test]
    fn stored_codes_are_the_published_numbers() {
        assert_eq!(code::INCIDENT_OPEN, pb::IncidentState::Open as i32);
        assert_eq!(code::AT_RISK, pb::CommitmentStatus::AtRisk as i32);
        assert_eq!(code::BREACHED, pb::CommitmentStatus::Breached as i32);
    }

    #[test]
    fn mean_durations_neither_overflow_nor_divide_by_zero() {
        assert_eq!(mean_micros(&[]), None);
        assert_eq!(mean_micros(&[1, 2, 4]), Some(2));
        assert_eq!(mean_micros(&[i64::MAX, i64::MAX, i64::MAX]), Some(i64::MAX));
        assert_eq!(mean_micros(&[i64::MIN, i64::MIN]), Some(i64::MIN));
        assert_eq!(saturating_i32(usize::MAX), i32::MAX);
        assert_eq!(saturating_i32(7), 7);
    }
}
