//! Inspection (unary and live) and reading reports.

use super::{
    INSPECTORS, LiveStream, QualityApi, READERS, convert, may_see_report, parse_name,
    standards::Resolved,
};
use crate::{
    inspect::{self, Inspection, Totals, live::LiveSession},
    pb,
    store::{self, NewReport, ReportScope},
    validate,
};
use prost::Message;
use std::{sync::Arc, time::Duration};
use symbolon_platform::{Caller, Violations, aip, names, status, time};
use tokio::sync::mpsc;
use tonic::{Request, Status, Streaming};

/// Copies totals into a report.
pub(crate) fn apply_totals(r: &mut pb::Report, t: &Totals) {
    r.score = t.score;
    r.raw_score = t.raw_score;
    r.auto_failed = t.auto_failed;
    r.passed = t.passed;
    r.confidence = t.confidence;
    r.human_verdicts = t.human;
}

/// A new report from an inspection.
pub(crate) fn build_report(
    res: &Resolved,
    conversation: pb::Conversation,
    i: Inspection,
) -> pb::Report {
    let mut r = pb::Report {
        standard_version: res.compiled.version_name.clone(),
        touchpoint_type: res.compiled.touchpoint_type,
        conversation: Some(conversation),
        results: i.results,
        review_state: if i.totals.reasons.is_empty() {
            pb::ReviewState::NotRequired
        } else {
            pb::ReviewState::Pending
        } as i32,
        review_reasons: i.totals.reasons.iter().map(|r| *r as i32).collect(),
        ..Default::default()
    };
    apply_totals(&mut r, &i.totals);
    r
}

fn conversation_start(c: &pb::Conversation) -> i64 {
    c.turns
        .first()
        .and_then(|t| t.send_time.as_ref())
        .and_then(|t| time::from_timestamp(t).ok())
        .unwrap_or_default()
}

impl QualityApi {
    /// May `caller` inspect `c`? Agents inspect only their own conversations.
    fn may_inspect(caller: &Caller, c: &pb::Conversation) -> Result<(), Status> {
        caller.require_vendor(INSPECTORS)?;
        let broad = INSPECTORS
            .iter()
            .filter(|r| **r != "frontline")
            .any(|r| caller.has_role(r));
        if !broad && c.agent != caller.subject {
            return Err(status::permission_denied(
                "frontline agents inspect only their own conversations (conversation.agent must be you)",
            ));
        }
        Ok(())
    }

    /// The conversation's customer, if named, must exist.
    async fn check_customer(
        &self,
        c: &pb::Conversation,
        field: &str,
        v: &mut Violations,
    ) -> Result<(), Status> {
        if let Ok(ids) = names::parse(&c.customer, &["customers"])
            && !self.customers.exists(ids[0]).await?
        {
            v.add(field, "no such customer");
        }
        Ok(())
    }

    /// Inspects and (unless `validate_only`) stores the report.
    async fn inspect_and_store(
        &self,
        res: &Resolved,
        conversation: pb::Conversation,
        key: Option<String>,
        validate_only: bool,
    ) -> Result<pb::Report, Status> {
        let i = inspect::inspect(self.inspector.as_ref(), &res.compiled, &conversation);
        let start = conversation_start(&conversation);
        let report = build_report(res, conversation, i);
        if validate_only {
            return Ok(report);
        }
        let c = report.conversation.clone().unwrap_or_default();
        let body = report.encode_to_vec();
        let row = store::insert_report(
            &self.db,
            &names::new_id(),
            &NewReport {
                customer_id: c.customer.strip_prefix("customers/").unwrap_or_default(),
                customer: &c.customer,
                agent: &c.agent,
                team: &c.team,
                standard_id: &res.standard_id,
                standard_version: res.version_no,
                conversation_id: &c.conversation_id,
                conversation_time: start,
                scores: convert::scores(&report, &body),
            },
            self.clock.now(),
            key,
        )
        .await?;
        convert::report(row)
    }

    /// Checks what an inspection is asked (fields under `prefix`): a standard, and a
    /// conversation (`live`: still going) of a customer that exists.
    async fn check_inspection(
        &self,
        prefix: &str,
        standard: &str,
        conversation: &pb::Conversation,
        live: bool,
        v: &mut Violations,
    ) -> Result<(), Status> {
        if standard.is_empty() {
            v.add(format!("{prefix}standard"), "is required");
        }
        validate::conversation(conversation, &format!("{prefix}conversation"), live, v);
        self.check_customer(conversation, &format!("{prefix}conversation.customer"), v)
            .await
    }

    pub(crate) async fn inspect_conversation_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::InspectConversationRequest,
    ) -> Result<pb::Report, Status> {
        let conversation = r.conversation.clone().unwrap_or_default();
        Self::may_inspect(caller, &conversation)?;
        let mut v = Violations::new();
        let key = aip::request_key(caller, "InspectConversation", "", &r, &mut v);
        self.check_inspection("", &r.standard, &conversation, false, &mut v)
            .await?;
        v.into_result()?;
        let res = self.resolve_standard("standard", &r.standard).await?;
        self.inspect_and_store(&res, conversation, key, r.validate_only)
            .await
    }

    pub(crate) fn inspect_live_impl(
        &self,
        req: Request<Streaming<pb::InspectLiveRequest>>,
    ) -> Result<LiveStream, Status> {
        let caller = Caller::of(&req)?;
        caller.require_vendor(INSPECTORS)?;
        let inbound = req.into_inner();
        let (tx, rx) = mpsc::channel(64);
        let api = self.clone();
        tokio::spawn(async move {
            if let Err(e) = api.run_live(caller, inbound, &tx).await {
                let _ = tx.send(Err(e)).await;
            }
        });
        Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx)))
    }

    async fn run_live(
        &self,
        caller: Arc<Caller>,
        mut inbound: Streaming<pb::InspectLiveRequest>,
        tx: &mpsc::Sender<Result<pb::InspectLiveResponse, Status>>,
    ) -> Result<(), Status> {
        use pb::inspect_live_request::Event;
        use pb::inspect_live_response::Event as Out;
        let start = match inbound.message().await? {
            Some(pb::InspectLiveRequest {
                event: Some(Event::Start(s)),
            }) => s,
            _ => {
                return Err(status::invalid_argument(
                    "start",
                    "the first message must be `start`",
                ));
            }
        };
        let conversation = start.conversation.clone().unwrap_or_default();
        Self::may_inspect(&caller, &conversation)?;
        let mut v = Violations::new();
        let key = aip::request_key(&caller, "InspectLive", "", &start, &mut v);
        self.check_inspection("start.", &start.standard, &conversation, true, &mut v)
            .await?;
        v.into_result()?;
        let res = self
            .resolve_standard("start.standard", &start.standard)
            .await?;
        let mut session = LiveSession::new(res.compiled.clone(), conversation);

        let send = |hints: Vec<pb::Hint>| async move {
            for h in hints {
                if tx
                    .send(Ok(pb::InspectLiveResponse {
                        event: Some(Out::Hint(h)),
                    }))
                    .await
                    .is_err()
                {
                    return false;
                }
            }
            true
        };
        // A wall-clock timer per wait: fires a waiting hint if no reply comes in time.
        let mut armed_for: Option<usize> = None;
        let mut timer: Option<(std::pin::Pin<Box<tokio::time::Sleep>>, i64)> = None;
        loop {
            match session.pending_wait() {
                Some((index, limit)) if armed_for != Some(index) => {
                    armed_for = Some(index);
                    let d = Duration::from_micros(limit.max(0) as u64);
                    timer = Some((Box::pin(tokio::time::sleep(d)), limit));
                }
                Some(_) => {}
                None => {
                    timer = None;
                    if session.waiting_index().is_none() {
                        armed_for = None;
                    }
                }
            }
            let fire = async {
                match timer.as_mut() {
                    Some((t, _)) => t.as_mut().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                msg = inbound.message() => match msg? {
                    None => break,
                    Some(pb::InspectLiveRequest { event: None }) => {
                        return Err(status::invalid_argument("event", "is required"));
                    }
                    Some(pb::InspectLiveRequest { event: Some(event) }) => match event {
                        Event::Finish(_) => break,
                        Event::Start(_) => {
                            return Err(status::invalid_argument("start", "may be sent only once"));
                        }
                        Event::Tick(t) => {
                            let now = t
                                .now
                                .as_ref()
                                .map(time::from_timestamp)
                                .ok_or_else(|| status::invalid_argument("tick.now", "is required"))?
                                .map_err(|e| status::invalid_argument("tick.now", e.to_string()))?;
                            if !send(session.tick(now)).await {
                                return Ok(());
                            }
                        }
                        Event::Turn(turn) => {
                            let mut v = Violations::new();
                            if session.turns().len() >= validate::MAX_TURNS {
                                v.add("turn", format!("at most {} turns", validate::MAX_TURNS));
                            }
                            validate::turn(&turn, "turn", session.last_time(), &mut v);
                            v.into_result()?;
                            if !send(session.push(turn)).await {
                                return Ok(());
                            }
                        }
                    },
                },
                _ = fire => {
                    let waited = timer.as_ref().map(|(_, l)| *l).unwrap_or_default();
                    timer = None;
                    if !send(session.timer_fired(waited)).await {
                        return Ok(());
                    }
                }
                _ = self.shutdown.cancelled() => {
                    return Err(status::unavailable("the server is shutting down; inspect the conversation again"));
                }
            }
        }
        let conversation = session.into_conversation();
        if conversation.turns.is_empty() {
            return Err(status::invalid_argument(
                "turn",
                "at least one turn is required before finishing",
            ));
        }
        // The request is the whole stream: its id is bound to the start and every turn
        // (a retry with other turns is another request), not to the start alone.
        let key = match key {
            Some(_) => {
                let whole = pb::LiveStart {
                    conversation: Some(conversation.clone()),
                    ..start.clone()
                };
                aip::request_key(&caller, "InspectLive", "", &whole, &mut Violations::new())
            }
            None => None,
        };
        let report = self
            .inspect_and_store(&res, conversation, key, false)
            .await?;
        let _ = tx
            .send(Ok(pb::InspectLiveResponse {
                event: Some(Out::Report(report)),
            }))
            .await;
        Ok(())
    }

    /// A report the caller may see, with its row version.
    pub(crate) async fn visible_report(
        &self,
        caller: &Caller,
        name: &str,
        field: &str,
    ) -> Result<convert::Report, Status> {
        let ids = parse_name(field, name, &["reports"])?;
        let row = store::get_report(&self.db, ids[0])
            .await?
            .ok_or_else(|| status::not_found(name))?;
        if !may_see_report(caller, &row.customer_id, &row.agent) {
            return Err(status::not_found(name));
        }
        convert::Report::from_row(row)
    }

    pub(crate) async fn get_report_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::GetReportRequest,
    ) -> Result<pb::Report, Status> {
        let name = r.name;
        Ok(self
            .visible_report(caller, &name, "name")
            .await?
            .into_proto())
    }

    pub(crate) async fn list_reports_impl(
        &self,
        caller: &Arc<Caller>,
        r: pb::ListReportsRequest,
    ) -> Result<pb::ListReportsResponse, Status> {
        let scope = if let Some(c) = caller.customer_id() {
            ReportScope {
                customer_id: Some(c.to_string()),
                agent: None,
            }
        } else if READERS.iter().any(|role| caller.has_role(role)) {
            ReportScope::default()
        } else if caller.has_role("frontline") {
            ReportScope {
                customer_id: None,
                agent: Some(caller.subject.clone()),
            }
        } else {
            return Err(status::permission_denied(
                "listing reports needs a quality role",
            ));
        };
        let query = format!("reports;{}", r.filter);
        let (limit, after) = aip::checked_page(r.page_size, &r.page_token, &query)?;
        let page = store::list_reports(&self.db, &scope, &r.filter, after, limit).await??;
        let (reports, next_page_token) = aip::page_items(page, &query, convert::report)?;
        Ok(pb::ListReportsResponse {
            reports,
            next_page_token,
        })
    }
}
