//! Scorecards: per agent or team over a period.

use super::{QualityApi, READERS, convert};
use crate::{
    pb,
    store::{self, GroupBy},
};
use std::collections::HashMap;
use std::sync::Arc;
use symbolon_platform::{Caller, Violations, status, time};
use tonic::Status;

const DAY: i64 = 86_400_000_000;
/// Reports a scorecard reads at most.
const CAP: i64 = 200_000;

fn start_of(r: &pb::Report) -> i64 {
    r.conversation
        .as_ref()
        .and_then(|c| c.turns.first())
        .and_then(|t| t.send_time.as_ref())
        .and_then(|t| time::from_timestamp(t).ok())
        .unwrap_or_default()
}

/// Rolls reports up into a scorecard.
pub(crate) fn scorecard(
    subject: &str,
    start: i64,
    end: i64,
    bucket: i64,
    reports: &[pb::Report],
) -> pb::Scorecard {
    let n = reports.len() as i64;
    let mean = |xs: &mut dyn Iterator<Item = f64>| {
        let (s, c) = xs.fold((0.0, 0usize), |(s, c), x| (s + x, c + 1));
        if c > 0 { s / c as f64 } else { 0.0 }
    };
    let mut fails: HashMap<&str, (i64, i64)> = HashMap::new();
    for r in reports {
        for x in &r.results {
            let e = fails.entry(x.indicator_id.as_str()).or_default();
            if x.verdict == pb::Verdict::Fail as i32 {
                e.0 += 1;
                e.1 += 1;
            } else if x.verdict == pb::Verdict::Pass as i32 {
                e.1 += 1;
            }
        }
    }
    let mut top: Vec<pb::FailedIndicator> = fails
        .into_iter()
        .filter(|(_, (f, _))| *f > 0)
        .map(|(id, (f, applied))| pb::FailedIndicator {
            indicator_id: id.to_string(),
            failures: f,
            failure_rate: f as f64 / applied.max(1) as f64,
        })
        .collect();
    top.sort_by(|a, b| {
        b.failures
            .cmp(&a.failures)
            .then_with(|| a.indicator_id.cmp(&b.indicator_id))
    });
    top.truncate(10);
    let buckets = ((end - start + bucket - 1) / bucket).max(1) as usize;
    let mut sums = vec![(0.0, 0i64); buckets];
    for r in reports {
        let k = ((start_of(r) - start) / bucket).clamp(0, buckets as i64 - 1) as usize;
        sums[k].0 += r.score;
        sums[k].1 += 1;
    }
    let trend: Vec<pb::TrendPoint> = sums
        .iter()
        .enumerate()
        .map(|(k, (s, c))| pb::TrendPoint {
            start_time: Some(time::to_timestamp(start + k as i64 * bucket)),
            conversations: *c,
            mean_score: if *c > 0 { s / *c as f64 } else { 0.0 },
        })
        .collect();
    // Least squares over the buckets that have conversations.
    let pts: Vec<(f64, f64)> = trend
        .iter()
        .enumerate()
        .filter(|(_, p)| p.conversations > 0)
        .map(|(k, p)| (k as f64, p.mean_score))
        .collect();
    let slope = if pts.len() >= 2 {
        let m = pts.len() as f64;
        let (mx, my) = (
            pts.iter().map(|p| p.0).sum::<f64>() / m,
            pts.iter().map(|p| p.1).sum::<f64>() / m,
        );
        let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        if sxx > 0.0 { sxy / sxx } else { 0.0 }
    } else {
        0.0
    };
    pb::Scorecard {
        subject: subject.to_string(),
        start_time: Some(time::to_timestamp(start)),
        end_time: Some(time::to_timestamp(end)),
        conversations: n,
        mean_score: mean(&mut reports.iter().map(|r| r.score)),
        auto_fails: reports.iter().filter(|r| r.auto_failed).count() as i64,
        passed: reports.iter().filter(|r| r.passed).count() as i64,
        top_failed_indicators: top,
        trend,
        trend_slope: slope,
    }
}

impl QualityApi {
    pub(crate) async fn get_scorecard_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::GetScorecardRequest,
    ) -> Result<pb::Scorecard, Status> {
        let (column, value) = match r.subject.strip_prefix("teams/") {
            Some(team) => (GroupBy::Team, team.to_string()),
            None => (GroupBy::Agent, r.subject.clone()),
        };
        let own =
            column == GroupBy::Agent && caller.subject == r.subject && caller.has_role("frontline");
        if !(caller.is_vendor() && (own || READERS.iter().any(|role| caller.has_role(role)))) {
            return Err(status::permission_denied(
                "scorecards are for quality readers, and agents' own",
            ));
        }
        let mut v = Violations::new();
        if value.trim().is_empty() || r.subject.chars().count() > 200 {
            v.add("subject", "an agent's subject or teams/{team} is required");
        }
        let mut when = |field: &str, t: &Option<prost_types::Timestamp>| match t
            .as_ref()
            .map(time::from_timestamp)
        {
            None => {
                v.add(field, "is required");
                None
            }
            Some(Err(e)) => {
                v.add(field, e.to_string());
                None
            }
            Some(Ok(t)) => Some(t),
        };
        let start = when("start_time", &r.start_time);
        let end = when("end_time", &r.end_time);
        if let (Some(s), Some(e)) = (start, end) {
            if e <= s {
                v.add("end_time", "must be after start_time");
            } else if e - s > 400 * DAY {
                v.add("end_time", "the period is at most 400 days");
            }
        }
        if !(0..=366).contains(&r.bucket_days) {
            v.add("bucket_days", "must be between 1 and 366");
        }
        v.into_result()?;
        let (start, end) = (start.unwrap_or_default(), end.unwrap_or_default());
        let bucket = i64::from(if r.bucket_days == 0 { 7 } else { r.bucket_days }) * DAY;
        let reports = convert::reports(
            &store::reports_for(&self.db, column, &value, start, end, CAP).await?,
        )?;
        Ok(scorecard(&r.subject, start, end, bucket, &reports))
    }
}
