//! The trust dashboard (`symbolon.customers.v1.DashboardService`): the quarterly
//! business review board of one customer, and the portfolio ranked for attention.
//! The index itself is in [`index`], documented so an analyst can redo it by hand;
//! [`gather`] reads a quarter (from the aggregates the writes keep), [`ranking`] pages
//! through the portfolio by attention.

mod calendar;
mod gather;
mod index;
mod named;
mod ranking;

use calendar::Quarter;
use gather::Gathered;
use index::Trouble;
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

fn duration(micros: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    }
}

fn top(counts: HashMap<String, i32>, n: usize) -> Vec<pb::Mention> {
    let mut v: Vec<pb::Mention> = counts
        .into_iter()
        .map(|(text, count)| pb::Mention { text, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)));
    v.truncate(n);
    v
}

struct Quarterly {
    dashboard: pb::TrustDashboard,
    open_critical: i32,
}

/// One customer's board for the quarter labelled `label`, from what was gathered.
fn board(customer_id: &str, g: Gathered, label: &str) -> Quarterly {
    let mean =
        |xs: Vec<i64>| (!xs.is_empty()).then(|| duration(xs.iter().sum::<i64>() / xs.len() as i64));
    let troubles: Vec<Trouble> = g
        .incidents
        .iter()
        .map(|i| Trouble {
            severity: i.severity,
            time_to_acknowledge: i.time_to_acknowledge,
        })
        .collect();
    let open = g.incidents.iter().filter(|i| i.is_open()).count() as i32;
    let open_critical = g
        .incidents
        .iter()
        .filter(|i| i.is_open() && i.severity == pb::Severity::Critical as i32)
        .count() as i32;
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
    let mood_trend = index::monthly(&g.feelings)
        .into_iter()
        .map(|(month, n, mean_valence)| {
            let mut by_mood: HashMap<i32, i64> = HashMap::new();
            for f in g.feelings.iter().filter(|f| f.month == month) {
                *by_mood.entry(f.mood).or_default() += f.count;
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
        .collect();
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
        let caller = Caller::of(&req)?;
        let r = req.into_inner();
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
        let mut gathered = gather::gather(&self.db, &[ids[0].to_string()], quarter, true).await?;
        let of_customer = gathered.remove(ids[0]).unwrap_or_default();
        let mut dashboard = board(ids[0], of_customer, &r.quarter).dashboard;
        let now = self.clock.now();
        named::read(&self.db, &caller, ids[0], quarter, now)
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
        ranking::refresh(&self.db, quarter).await?;
        let (customers, next) = ranking::page(&self.db, quarter, after, size).await?;
        let next_page_token = next
            .map(|c| paging::encode_token(&c.encode(), &query))
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
    let s = ranking::score(customer_id, g, &gather::label(q));
    Ok((s.attention, s.trust_index, s.reasons))
}
