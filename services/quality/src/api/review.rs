//! Human review: overrides, disputes, calibration.

use super::{QualityApi, READERS, REVIEWERS, convert, inspection::apply_totals, parse_name};
use crate::{inspect, pb, store};
use prost::Message;
use std::collections::BTreeMap;
use std::sync::Arc;
use symbolon_platform::{Caller, Violations, aip, names, status, table::Write, time};
use tonic::Status;

fn verdict_ok(v: i32) -> bool {
    matches!(
        pb::Verdict::try_from(v),
        Ok(pb::Verdict::Pass | pb::Verdict::Fail | pb::Verdict::NotApplicable)
    )
}

impl QualityApi {
    /// Recomputes a report's figures with its version's thresholds.
    async fn rescore(&self, r: &mut pb::Report) -> Result<(), Status> {
        let (threshold, min_conf) = self.version_thresholds(&r.standard_version).await?;
        let totals = inspect::score(&mut r.results, threshold, min_conf);
        apply_totals(r, &totals);
        Ok(())
    }

    fn mark_reviewed(&self, r: &mut pb::Report, reviewer: &str) {
        r.review_state = pb::ReviewState::Reviewed as i32;
        r.reviewer = reviewer.to_string();
        r.review_time = Some(time::to_timestamp(self.clock.now()));
    }

    pub(crate) async fn review_report_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::ReviewReportRequest,
    ) -> Result<pb::Report, Status> {
        caller.require_vendor(REVIEWERS)?;
        let row = self.visible_report(caller, &r.name, "name").await?;
        if let Some(expected) = aip::etag_version(&r.etag)
            && expected != row.version
        {
            return Err(status::stale_etag(&r.name));
        }
        let mut report = row.report.clone();
        let mut v = Violations::new();
        for (k, o) in r.overrides.iter().enumerate() {
            if !verdict_ok(o.verdict) {
                v.add(
                    format!("overrides[{k}].verdict"),
                    "must be PASS, FAIL or NOT_APPLICABLE",
                );
            }
            if o.note.chars().count() > 2000 {
                v.add(
                    format!("overrides[{k}].note"),
                    "must be at most 2000 characters",
                );
            }
            if r.overrides[..k]
                .iter()
                .any(|p| p.indicator_id == o.indicator_id)
            {
                v.add(
                    format!("overrides[{k}].indicator_id"),
                    "is overridden twice",
                );
            }
            match report
                .results
                .iter_mut()
                .find(|x| x.indicator_id == o.indicator_id)
            {
                None => v.add(
                    format!("overrides[{k}].indicator_id"),
                    "is not an indicator of this report",
                ),
                Some(x) => {
                    x.verdict = o.verdict;
                    x.source = pb::VerdictSource::Human as i32;
                    x.reviewer_note = o.note.clone();
                }
            }
        }
        v.into_result()?;
        self.rescore(&mut report).await?;
        let id = row.id.clone();
        if store::open_disputes(&self.db, &id).await? == 0 {
            self.mark_reviewed(&mut report, &caller.subject);
        } else {
            report.reviewer = caller.subject.clone();
            report.review_time = Some(time::to_timestamp(self.clock.now()));
        }
        let body = report.encode_to_vec();
        let w = store::update_report(
            &self.db,
            &id,
            row.version,
            &convert::scores(&report, &body),
            self.clock.now(),
        )
        .await?;
        convert::report(aip::written(w, &r.name)?)
    }

    pub(crate) async fn create_dispute_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::CreateDisputeRequest,
    ) -> Result<pb::Dispute, Status> {
        let row = self.visible_report(caller, &r.parent, "parent").await?;
        if !(caller.is_vendor() && (caller.subject == row.agent || caller.has_role("admin"))) {
            return Err(status::permission_denied(
                "only the report's agent may dispute its verdicts",
            ));
        }
        let mut v = Violations::new();
        let key = aip::request_key(caller, "CreateDispute", &r.parent, &r, &mut v);
        let mut d = r.dispute.unwrap_or_default();
        if d.requested_verdict == 0 {
            d.requested_verdict = pb::Verdict::Pass as i32;
        }
        if !matches!(
            pb::Verdict::try_from(d.requested_verdict),
            Ok(pb::Verdict::Pass | pb::Verdict::NotApplicable)
        ) {
            v.add(
                "dispute.requested_verdict",
                "must be PASS or NOT_APPLICABLE",
            );
        }
        aip::text(&mut v, "dispute.reason", &d.reason, true, 2000);
        let mut report = row.report.clone();
        let current = report
            .results
            .iter()
            .find(|x| x.indicator_id == d.indicator_id)
            .map(|x| x.verdict);
        if current.is_none() {
            v.add("dispute.indicator_id", "is not an indicator of this report");
        }
        v.into_result()?;
        if current == Some(d.requested_verdict) {
            return Err(status::failed_precondition(
                "VERDICT_ALREADY_GIVEN",
                &r.parent,
                format!("{} already has the verdict asked for", d.indicator_id),
            ));
        }
        let now = self.clock.now();
        d.state = pb::DisputeState::Open as i32;
        d.raised_by = caller.subject.clone();
        d.create_time = Some(time::to_timestamp(now));
        d.resolved_by.clear();
        d.resolution_note.clear();
        d.resolve_time = None;
        report.review_state = pb::ReviewState::Pending as i32;
        if !report
            .review_reasons
            .contains(&(pb::ReviewReason::Disputed as i32))
        {
            report
                .review_reasons
                .push(pb::ReviewReason::Disputed as i32);
        }
        let (dispute_body, report_body) = (d.encode_to_vec(), report.encode_to_vec());
        let w = store::insert_dispute(
            &self.db,
            &names::new_id(),
            &row.id,
            &store::NewDispute {
                agent: &d.raised_by,
                state: convert::dispute_state(d.state),
                body: &dispute_body,
            },
            (&convert::scores(&report, &report_body), row.version),
            now,
            key,
        )
        .await?;
        match w {
            Write::Done(d) => convert::dispute(d),
            Write::Stale => Err(status::unavailable(
                "the report changed concurrently; retry with the same request id",
            )),
            _ => Err(status::not_found(&r.parent)),
        }
    }

    pub(crate) async fn list_disputes_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::ListDisputesRequest,
    ) -> Result<pb::ListDisputesResponse, Status> {
        let report_id = if r.parent == "reports/-" {
            None
        } else {
            let row = self.visible_report(caller, &r.parent, "parent").await?;
            Some(row.id)
        };
        let agent = if !caller.is_vendor() {
            return Err(status::permission_denied(
                "disputes are internal to the vendor",
            ));
        } else if READERS.iter().any(|role| caller.has_role(role)) {
            None
        } else if caller.has_role("frontline") {
            Some(caller.subject.clone())
        } else {
            return Err(status::permission_denied(
                "listing disputes needs a quality role",
            ));
        };
        let query = format!("disputes;{};{}", r.parent, r.filter);
        let (limit, after) = aip::checked_page(r.page_size, &r.page_token, &query)?;
        let page = store::list_disputes(
            &self.db,
            report_id.as_deref(),
            agent.as_deref(),
            &r.filter,
            after,
            limit,
        )
        .await??;
        let (disputes, next_page_token) = aip::page_items(page, &query, convert::dispute)?;
        Ok(pb::ListDisputesResponse {
            disputes,
            next_page_token,
        })
    }

    pub(crate) async fn resolve_dispute_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::ResolveDisputeRequest,
    ) -> Result<pb::Dispute, Status> {
        caller.require_vendor(REVIEWERS)?;
        let ids = parse_name("name", &r.name, &["reports", "disputes"])?;
        let mut v = Violations::new();
        let upheld = match pb::DisputeState::try_from(r.resolution) {
            Ok(pb::DisputeState::Upheld) => true,
            Ok(pb::DisputeState::Rejected) => false,
            _ => {
                v.add("resolution", "must be UPHELD or REJECTED");
                false
            }
        };
        aip::text(&mut v, "note", &r.note, false, 2000);
        v.into_result()?;
        let d = store::get_dispute(&self.db, ids[0], ids[1])
            .await?
            .ok_or_else(|| status::not_found(&r.name))?;
        let mut d = convert::Dispute::from_row(d)?;
        if d.dispute.state != pb::DisputeState::Open as i32 {
            return Err(status::failed_precondition(
                "DISPUTE_RESOLVED",
                &r.name,
                "the dispute is already resolved",
            ));
        }
        let row = store::get_report(&self.db, ids[0])
            .await?
            .ok_or_else(|| status::not_found(&r.name))?;
        let row = convert::Report::from_row(row)?;
        let mut report = row.report.clone();
        if upheld
            && let Some(x) = report
                .results
                .iter_mut()
                .find(|x| x.indicator_id == d.dispute.indicator_id)
        {
            x.verdict = d.dispute.requested_verdict;
            x.source = pb::VerdictSource::Human as i32;
            x.reviewer_note = if r.note.is_empty() {
                format!("dispute upheld: {}", d.dispute.reason)
            } else {
                r.note.clone()
            };
        }
        self.rescore(&mut report).await?;
        if store::open_disputes(&self.db, &row.id).await? <= 1 {
            self.mark_reviewed(&mut report, &caller.subject);
        }
        let now = self.clock.now();
        d.dispute.state = if upheld {
            pb::DisputeState::Upheld
        } else {
            pb::DisputeState::Rejected
        } as i32;
        d.dispute.resolved_by = caller.subject.clone();
        d.dispute.resolution_note = r.note.clone();
        d.dispute.resolve_time = Some(time::to_timestamp(now));
        let (dispute_body, report_body) = (d.dispute.encode_to_vec(), report.encode_to_vec());
        let written = store::resolve_dispute(
            &self.db,
            &d.report_id,
            &d.id,
            convert::dispute_state(d.dispute.state),
            &dispute_body,
            (&convert::scores(&report, &report_body), row.version),
            now,
        )
        .await?;
        match written {
            Write::Done(d) => convert::dispute(d),
            Write::Stale => Err(status::failed_precondition(
                "CONCURRENT_CHANGE",
                &r.name,
                "the dispute or its report changed concurrently; read them again",
            )),
            _ => Err(status::not_found(&r.name)),
        }
    }

    pub(crate) async fn get_calibration_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::GetCalibrationRequest,
    ) -> Result<pb::GetCalibrationResponse, Status> {
        caller.require_vendor(READERS)?;
        let ids = parse_name("standard", &r.standard, &["standards"])?;
        let mut v = Violations::new();
        let start = match r.start_time.as_ref().map(time::from_timestamp) {
            None => i64::MIN,
            Some(Ok(t)) => t,
            Some(Err(e)) => {
                v.add("start_time", e.to_string());
                0
            }
        };
        let end = match r.end_time.as_ref().map(time::from_timestamp) {
            None => i64::MAX,
            Some(Ok(t)) => t,
            Some(Err(e)) => {
                v.add("end_time", e.to_string());
                0
            }
        };
        if !(0.0..=1.0).contains(&r.weak_threshold) {
            v.add("weak_threshold", "must be between 0 and 1");
        }
        if r.min_reviews < 0 {
            v.add("min_reviews", "must not be negative");
        }
        v.into_result()?;
        if store::get_standard(&self.db, ids[0]).await?.is_none() {
            return Err(status::not_found(&r.standard));
        }
        let weak = if r.weak_threshold == 0.0 {
            0.8
        } else {
            r.weak_threshold
        };
        let min_reviews = if r.min_reviews == 0 {
            5
        } else {
            i64::from(r.min_reviews)
        };
        let reports = convert::reports(
            &store::reviewed_reports(&self.db, ids[0], start, end, 100_000).await?,
        )?;
        let mut per: BTreeMap<String, pb::IndicatorCalibration> = BTreeMap::new();
        let (mut all, mut agreed_all) = (0i64, 0i64);
        for rep in &reports {
            for x in &rep.results {
                let na = pb::Verdict::NotApplicable as i32;
                if x.automatic_verdict == na && x.verdict == na {
                    continue;
                }
                let c =
                    per.entry(x.indicator_id.clone())
                        .or_insert_with(|| pb::IndicatorCalibration {
                            indicator_id: x.indicator_id.clone(),
                            ..Default::default()
                        });
                c.reviewed += 1;
                all += 1;
                if x.automatic_verdict == x.verdict {
                    c.agreed += 1;
                    agreed_all += 1;
                } else if x.automatic_verdict == pb::Verdict::Pass as i32
                    && x.verdict == pb::Verdict::Fail as i32
                {
                    c.false_passes += 1;
                } else if x.automatic_verdict == pb::Verdict::Fail as i32
                    && x.verdict == pb::Verdict::Pass as i32
                {
                    c.false_fails += 1;
                }
            }
        }
        let mut indicators: Vec<pb::IndicatorCalibration> = per
            .into_values()
            .map(|mut c| {
                c.agreement_rate = if c.reviewed > 0 {
                    c.agreed as f64 / c.reviewed as f64
                } else {
                    0.0
                };
                c.weak = c.reviewed >= min_reviews && c.agreement_rate < weak;
                c
            })
            .collect();
        // Weakest first.
        indicators.sort_by(|a, b| {
            a.agreement_rate
                .total_cmp(&b.agreement_rate)
                .then_with(|| a.indicator_id.cmp(&b.indicator_id))
        });
        Ok(pb::GetCalibrationResponse {
            indicators,
            reviewed_reports: reports.len() as i64,
            overall_agreement_rate: if all > 0 {
                agreed_all as f64 / all as f64
            } else {
                0.0
            },
        })
    }
}
