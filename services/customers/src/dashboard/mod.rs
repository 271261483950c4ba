//! The trust dashboard (`symbolon.customers.v1.DashboardService`): the quarterly
//! business review board of one customer, and the portfolio ranked for attention.
//! The index itself is in [`index`], documented so an analyst can redo it by hand.

mod calendar;
mod index;
mod named;

use crate::store::json_list;
use calendar::{Quarter, month_of};
use index::{Feeling, Promises, Trouble};
use sqlx::Row;
use std::collections::HashMap;
use symbolon_contracts::customers::v1::{self as pb, dashboard_service_server::DashboardService};
use symbolon_platform::{Caller, Database, StoreError, db::Sql, names, paging, status};
use tonic::{Request, Response, Status};

/// The DashboardService implementation.
#[derive(Clone)]
pub struct Dashboard {
    db: Database,
}

impl Dashboard {
    /// Reads from `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
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

/// What the quarter holds for one customer, as read: enough for its board.
#[derive(Default)]
struct Gathered {
    feelings: Vec<Feeling>,
    anxieties: HashMap<String, i32>,
    expectations: HashMap<String, i32>,
    incidents: Vec<Occurrence>,
    promises: Promises,
}

/// One incident of the quarter, as read; times in microseconds after its detection.
struct Occurrence {
    name: String,
    severity: i32,
    state: i32,
    summary: String,
    time_to_acknowledge: Option<i64>,
    time_to_resolve: Option<i64>,
}

impl Occurrence {
    fn is_open(&self) -> bool {
        self.state == pb::IncidentState::Open as i32
    }
}

struct Quarterly {
    dashboard: pb::TrustDashboard,
    open_critical: i32,
}

/// Reads quarter `q` of one customer, or of every customer when `customer_id` is `None`:
/// three statements whatever the number of customers (the ranking used to make three
/// per customer).
async fn gather(
    db: &Database,
    customer_id: Option<&str>,
    q: Quarter,
) -> Result<HashMap<String, Gathered>, StoreError> {
    let (start, end) = (q.start(), q.end());
    let mut all: HashMap<String, Gathered> = HashMap::new();
    let mut tq = Sql::new(
        "SELECT customer_id, occur_time, mood, intensity, strategic_anxiety, implicit_expectations FROM touchpoints WHERE occur_time >= ",
    );
    tq.bind(start).push(" AND occur_time < ").bind(end);
    if let Some(id) = customer_id {
        tq.push(" AND customer_id = ").bind(id);
    }
    for row in tq.query().fetch_all(db.reader()).await? {
        let g = all.entry(row.try_get("customer_id")?).or_default();
        g.feelings.push(Feeling {
            month: month_of(row.try_get("occur_time")?),
            mood: row.try_get::<i64, _>("mood")? as i32,
            intensity: row.try_get::<i64, _>("intensity")? as i32,
        });
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

    let mut iq = Sql::new(
        "SELECT customer_id, id, severity, state, summary, detect_time, acknowledge_time, close_time FROM incidents WHERE detect_time >= ",
    );
    iq.bind(start).push(" AND detect_time < ").bind(end);
    if let Some(id) = customer_id {
        iq.push(" AND customer_id = ").bind(id);
    }
    iq.push(" ORDER BY detect_time, id");
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

    for (owner, (healthy, at_risk, breached)) in crate::commitments::counts(db, customer_id).await?
    {
        all.entry(owner).or_default().promises = Promises {
            healthy,
            at_risk,
            breached,
        };
    }
    Ok(all)
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
    let mood_trend = named::month_moods(&g.feelings);
    Quarterly {
        dashboard: pb::TrustDashboard {
            customer: format!("customers/{customer_id}"),
            quarter: label.to_string(),
            mood_trend,
            top_anxieties: top(g.anxieties, 5),
            top_expectations: top(g.expectations, 5),
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
        let mut gathered = gather(&self.db, Some(ids[0]), quarter).await?;
        let of_customer = gathered.remove(ids[0]).unwrap_or_default();
        let mut dashboard = board(ids[0], of_customer, &r.quarter).dashboard;
        let now = symbolon_platform::time::Clock::system().now();
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
        let rows = Sql::new(
            "SELECT id, display_name FROM customers WHERE delete_time IS NULL ORDER BY id",
        )
        .query()
        .fetch_all(self.db.reader())
        .await
        .map_err(StoreError::from)?;
        let mut gathered = gather(&self.db, None, quarter).await?;
        let mut ranked = Vec::new();
        for row in rows {
            let id: String = row.try_get("id").map_err(StoreError::from)?;
            let of_customer = gathered.remove(&id).unwrap_or_default();
            let q = board(&id, of_customer, &r.quarter);
            let mut losses: Vec<&pb::Contribution> = q.dashboard.contributions.iter().collect();
            // Worst first: the points each input left on the table.
            losses.sort_by(|a, b| {
                (b.weight * 100.0 - b.points).total_cmp(&(a.weight * 100.0 - a.points))
            });
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
            ranked.push(pb::CustomerAttention {
                customer: format!("customers/{id}"),
                display_name: row.try_get("display_name").map_err(StoreError::from)?,
                trust_index: q.dashboard.trust_index,
                attention: 100.0 - q.dashboard.trust_index + 10.0 * f64::from(q.open_critical),
                reasons,
            });
        }
        ranked.sort_by(|a, b| {
            b.attention
                .total_cmp(&a.attention)
                .then_with(|| a.customer.cmp(&b.customer))
        });
        ranked.truncate(size as usize);
        Ok(Response::new(pb::RankCustomersForAttentionResponse {
            customers: ranked,
        }))
    }
}
