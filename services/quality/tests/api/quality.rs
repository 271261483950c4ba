//! QualityService: standards and versions, unary and live inspection, review, disputes,
//! calibration, templates and experiments, scorecards, tenancy and bad input.

use crate::helpers::*;
use std::time::Duration;
use symbolon_contracts::customers::v1 as cpb;
use symbolon_contracts::quality::v1::{self as pb, quality_service_client::QualityServiceClient};
use symbolon_platform::Org;
use symbolon_quality::default_standard;
use symbolon_testkit::{Backend, authed, both_backends};
use tonic::{Code, transport::Channel};

type Q = QualityServiceClient<Channel>;

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

pub(crate) async fn client(app: &TestApp) -> Q {
    QualityServiceClient::new(symbolon_testkit::channel(app.addr).await)
}

fn agent_token(app: &TestApp, who: &str) -> String {
    app.keys.token(who, &Org::Vendor, &["frontline"])
}

fn reviewer_token(app: &TestApp) -> String {
    app.keys
        .token("rita@vendor", &Org::Vendor, &["department:quality"])
}

fn ts(s: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: T0 + s,
        nanos: 0,
    })
}

fn turn(s: pb::Speaker, t: i64, text: &str) -> pb::Turn {
    pb::Turn {
        speaker: s as i32,
        text: text.into(),
        send_time: ts(t),
    }
}

use pb::Speaker::{Agent as A, Customer as C};

/// A good Chinese support chat (by `agent`, for `customer` when not empty).
pub(crate) fn good_zh(id: &str, agent: &str, customer: &str, start: i64) -> pb::Conversation {
    pb::Conversation {
        conversation_id: id.into(),
        customer: customer.into(),
        agent: agent.into(),
        team: "team-east".into(),
        customer_display_name: "王女士".into(),
        turns: vec![
            turn(C, start, "在吗?充电器到货就是坏的,我很生气"),
            turn(
                A,
                start + 15,
                "王女士您好,我是小李,非常理解您的心情,给您带来不便非常抱歉",
            ),
            turn(C, start + 40, "那怎么办?"),
            turn(
                A,
                start + 60,
                "马上为您安排补发您的订单,无需退回,我会跟进处理",
            ),
            turn(C, start + 80, "好的"),
            turn(A, start + 95, "请问还有其他问题吗?祝您生活愉快"),
        ],
    }
}

/// A poor English chat: late, no greeting, demands proof, never confirms.
fn poor_en(id: &str, agent: &str, customer: &str, start: i64) -> pb::Conversation {
    symbolon_testkit::poor_chat(id, agent, customer, T0 + start)
}

pub(crate) async fn load_default(app: &TestApp, id: &str) -> pb::Standard {
    app.call(pb::CreateStandardRequest {
        standard: Some(default_standard()),
        standard_id: id.into(),
        request_id: String::new(),
    })
    .await
}

/// Report `name` as the caller of `token` sees it.
async fn report_as(app: &TestApp, token: &str, name: &str) -> pb::Report {
    app.by(token)
        .call(pb::GetReportRequest { name: name.into() })
        .await
}

pub(crate) async fn inspect(app: &TestApp, standard: &str, c: pb::Conversation) -> pb::Report {
    app.call(pb::InspectConversationRequest {
        standard: standard.into(),
        conversation: Some(c),
        request_id: String::new(),
        validate_only: false,
    })
    .await
}

fn result<'a>(r: &'a pb::Report, id: &str) -> &'a pb::IndicatorResult {
    r.results.iter().find(|x| x.indicator_id == id).unwrap()
}

async fn standards_are_versioned_and_reports_keep_theirs(backend: Backend) {
    let app = spawn_app(backend).await;
    let rid = symbolon_testkit::request_id();
    let create = |rid: String| pb::CreateStandardRequest {
        standard: Some(default_standard()),
        standard_id: "support".into(),
        request_id: rid,
    };
    let s = app.call(create(rid.clone())).await;
    assert_eq!(s.name, "standards/support");
    assert_eq!(s.version, 1);
    assert_eq!(s.current_version, "standards/support/versions/1");
    assert!(s.indicators.len() >= 40);
    let again = app.call(create(rid)).await;
    assert_eq!(
        again.name, s.name,
        "a retried create returns the first result"
    );

    let old = inspect(
        &app,
        "standards/support",
        poor_en("c-1", "li@vendor", "", 0),
    )
    .await;
    assert_eq!(old.standard_version, "standards/support/versions/1");

    // Renaming changes nothing that scores depend on: no new version.
    let renamed = app
        .call(pb::UpdateStandardRequest {
            standard: Some(pb::Standard {
                name: s.name.clone(),
                display_name: "Support chat".into(),
                etag: s.etag.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["display_name".into()],
            }),
        })
        .await;
    assert_eq!(
        (renamed.version, renamed.display_name.as_str()),
        (1, "Support chat")
    );

    // A stale etag overwrites nothing.
    let stale = app
        .try_call(pb::UpdateStandardRequest {
            standard: Some(pb::Standard {
                name: s.name.clone(),
                review_threshold: 50.0,
                etag: s.etag.clone(),
                ..Default::default()
            }),
            update_mask: None,
        })
        .await;
    assert_eq!(code(stale), Code::FailedPrecondition);

    // Dropping the proof indicator changes scores: version 2.
    let mut indicators = renamed.indicators.clone();
    indicators.retain(|i| i.id != "no-unnecessary-proof");
    let v2 = app
        .call(pb::UpdateStandardRequest {
            standard: Some(pb::Standard {
                name: s.name.clone(),
                indicators,
                etag: renamed.etag.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["indicators".into()],
            }),
        })
        .await;
    assert_eq!(v2.version, 2);
    assert_eq!(v2.display_name, "Support chat");

    let new = inspect(
        &app,
        "standards/support",
        poor_en("c-2", "li@vendor", "", 0),
    )
    .await;
    assert_eq!(new.standard_version, "standards/support/versions/2");
    assert!(
        new.results
            .iter()
            .all(|r| r.indicator_id != "no-unnecessary-proof")
    );
    let kept = report_as(&app, &app.admin, &old.name).await;
    assert_eq!(kept.standard_version, "standards/support/versions/1");
    assert_eq!(kept.score, old.score);
    assert_eq!(kept.results, old.results, "old reports are never rescored");
    // Pinning the old version still scores with it.
    let pinned = inspect(
        &app,
        "standards/support/versions/1",
        poor_en("c-3", "li@vendor", "", 0),
    )
    .await;
    assert_eq!(pinned.results, old.results);

    let versions = app
        .call(pb::ListStandardVersionsRequest {
            parent: s.name.clone(),
            page_size: 1,
            ..Default::default()
        })
        .await;
    assert_eq!(versions.versions.len(), 1);
    assert_eq!(versions.versions[0].name, "standards/support/versions/1");
    let rest = app
        .call(pb::ListStandardVersionsRequest {
            parent: s.name.clone(),
            page_size: 1,
            page_token: versions.next_page_token,
        })
        .await;
    assert_eq!(rest.versions[0].name, "standards/support/versions/2");
    let v1 = app
        .call(pb::GetStandardVersionRequest {
            name: "standards/support/versions/1".into(),
        })
        .await;
    assert!(
        v1.standard
            .unwrap()
            .indicators
            .iter()
            .any(|i| i.id == "no-unnecessary-proof")
    );
    assert_eq!(
        code(
            app.try_call(pb::GetStandardVersionRequest {
                name: "standards/support/versions/9".into()
            })
            .await
        ),
        Code::NotFound
    );
}

async fn inspection_scores_with_evidence_in_both_languages(backend: Backend) {
    let app = spawn_app(backend).await;
    load_default(&app, "support").await;
    let good = inspect(
        &app,
        "standards/support",
        good_zh("zh-1", "li@vendor", "", 0),
    )
    .await;
    assert!(good.name.starts_with("reports/"));
    assert!(!good.auto_failed);
    assert!(good.score >= 80.0, "score {}", good.score);
    assert!(good.passed);
    let empathy = result(&good, "empathy-when-upset");
    assert_eq!(empathy.verdict, pb::Verdict::Pass as i32);
    assert_eq!(empathy.evidence[0].turn_index, 1);
    assert_eq!(empathy.evidence[0].phrase, "非常理解您的心情");
    assert_eq!(
        result(&good, "first-response-30s").evidence[0].delay,
        Some(prost_types::Duration {
            seconds: 15,
            nanos: 0
        })
    );
    assert_eq!(
        result(&good, "human-on-request").verdict,
        pb::Verdict::NotApplicable as i32
    );
    assert!(
        good.results
            .iter()
            .all(|r| r.source == pb::VerdictSource::Automatic as i32)
    );

    let poor = inspect(
        &app,
        "standards/support",
        poor_en("en-1", "li@vendor", "", 0),
    )
    .await;
    let proof = result(&poor, "no-unnecessary-proof");
    assert_eq!(proof.verdict, pb::Verdict::Fail as i32);
    assert_eq!(proof.evidence[0].turn_index, 3);
    assert_eq!(proof.evidence[0].phrase, "proof of purchase");
    let frt = result(&poor, "first-response-30s");
    assert_eq!(
        (frt.verdict, frt.evidence[0].delay),
        (
            pb::Verdict::Fail as i32,
            Some(prost_types::Duration {
                seconds: 120,
                nanos: 0
            })
        )
    );
    assert_eq!(result(&poor, "greeting").verdict, pb::Verdict::Fail as i32);
    assert_eq!(
        result(&poor, "apology-when-upset").verdict,
        pb::Verdict::Fail as i32
    );
    assert!(poor.score < good.score);
    assert_eq!(poor.review_state, pb::ReviewState::Pending as i32);
    assert!(
        poor.review_reasons
            .contains(&(pb::ReviewReason::LowScore as i32))
    );

    // The review queue.
    let pending = app
        .call(pb::ListReportsRequest {
            filter: "review_state = PENDING".into(),
            ..Default::default()
        })
        .await;
    let names: Vec<&str> = pending.reports.iter().map(|r| r.name.as_str()).collect();
    assert!(
        names.contains(&poor.name.as_str()) && !names.contains(&good.name.as_str()),
        "{names:?}"
    );

    // validate_only stores nothing.
    let dry = app
        .call(pb::InspectConversationRequest {
            standard: "standards/support".into(),
            conversation: Some(good_zh("zh-2", "li@vendor", "", 0)),
            request_id: String::new(),
            validate_only: true,
        })
        .await;
    assert!(dry.name.is_empty());
    assert_eq!(dry.score, good.score);
    // A retried inspection stores one report.
    let rid = symbolon_testkit::request_id();
    let mut names = Vec::new();
    for _ in 0..2 {
        let r = app
            .call(pb::InspectConversationRequest {
                standard: "standards/support".into(),
                conversation: Some(good_zh("zh-3", "li@vendor", "", 0)),
                request_id: rid.clone(),
                validate_only: false,
            })
            .await;
        names.push(r.name);
    }
    assert_eq!(names[0], names[1]);
}

async fn live_hints_arrive_before_the_conversation_ends(backend: Backend) {
    use pb::inspect_live_request::Event;
    use pb::inspect_live_response::Event as Out;
    let app = spawn_app(backend).await;
    let mut q = client(&app).await;
    let mut s = default_standard();
    // A one-second first-response limit, so the wall-clock timer can be seen.
    for i in &mut s.indicators {
        if i.id == "first-response-30s" {
            i.threshold = Some(prost_types::Duration {
                seconds: 1,
                nanos: 0,
            });
        }
    }
    app.call(pb::CreateStandardRequest {
        standard: Some(s),
        standard_id: "live".into(),
        request_id: String::new(),
    })
    .await;
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let send = |e: Event| {
        let tx = tx.clone();
        async move {
            tx.send(pb::InspectLiveRequest { event: Some(e) })
                .await
                .unwrap()
        }
    };
    let token = agent_token(&app, "li@vendor");
    let mut out = q
        .inspect_live(authed(
            &token,
            tokio_stream::wrappers::ReceiverStream::new(rx),
        ))
        .await
        .unwrap()
        .into_inner();
    let mut next = async || -> pb::InspectLiveResponse {
        tokio::time::timeout(Duration::from_secs(10), out.message())
            .await
            .expect("a message in time")
            .unwrap()
            .expect("stream open")
    };
    send(live_start("live-1")).await;
    send(Event::Turn(turn(C, 0, "充电器坏了,我火冒三丈!"))).await;
    let mut upset = Vec::new();
    while upset.len() < 2 {
        match next().await.event {
            Some(Out::Hint(h)) => upset.push(h),
            other => panic!("expected hints, got {other:?}"),
        }
    }
    assert!(
        upset
            .iter()
            .all(|h| h.kind == pb::HintKind::CustomerUpset as i32),
        "{upset:?}"
    );
    assert!(upset.iter().any(|h| h.suggestion == "非常理解您的心情"));
    // No reply for over a second: the server says the customer is waiting, by itself.
    let waiting = next().await;
    match waiting.event {
        Some(Out::Hint(h)) => {
            assert_eq!(h.kind, pb::HintKind::CustomerWaiting as i32, "{h:?}");
            assert_eq!(h.indicator_id, "first-response-30s");
        }
        other => panic!("expected a waiting hint, got {other:?}"),
    }
    send(Event::Turn(turn(A, 2, "请提供购买凭证"))).await;
    let mut kinds = Vec::new();
    while !kinds.contains(&(pb::HintKind::MissingGreeting as i32)) {
        match next().await.event {
            Some(Out::Hint(h)) => kinds.push(h.kind),
            other => panic!("expected hints, got {other:?}"),
        }
    }
    assert!(
        kinds.contains(&(pb::HintKind::ForbiddenPhrase as i32)),
        "{kinds:?}"
    );
    assert!(
        !kinds.contains(&(pb::HintKind::LateReply as i32)),
        "already hinted as waiting"
    );
    // Ticks from the client's clock work too.
    send(Event::Turn(turn(C, 10, "你们太差了"))).await;
    send(Event::Tick(pb::LiveTick { now: ts(80) })).await;
    let waiting = loop {
        match next().await.event {
            Some(Out::Hint(h)) if h.kind == pb::HintKind::CustomerWaiting as i32 => break h,
            Some(Out::Hint(h)) => assert_eq!(h.kind, pb::HintKind::CustomerUpset as i32),
            other => panic!("expected hints, got {other:?}"),
        }
    };
    assert_eq!(waiting.message, "customer waiting 70 s");
    assert_eq!(waiting.turn_index, 2);
    send(Event::Turn(turn(A, 85, "非常抱歉让您久等了"))).await;
    send(Event::Finish(pb::LiveFinish {})).await;
    let report = loop {
        match next().await.event {
            Some(Out::Report(r)) => break r,
            Some(Out::Hint(_)) => continue,
            None => panic!("empty event"),
        }
    };
    assert_eq!(report.conversation.as_ref().unwrap().turns.len(), 4);
    assert_eq!(
        result(&report, "no-unnecessary-proof").verdict,
        pb::Verdict::Fail as i32
    );
    let stored = report_as(&app, &token, &report.name).await;
    assert_eq!(stored.results, report.results);

    // A stream that does not start with `start` is refused; so is a turn out of order.
    let (_tx2, rx2) = live_requests(vec![Event::Turn(turn(C, 0, "hi"))]).await;
    let mut bad = q
        .inspect_live(authed(&token, rx2))
        .await
        .unwrap()
        .into_inner();
    let err = bad.message().await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let (_tx3, rx3) = live_requests(vec![
        live_start("live-2"),
        Event::Turn(turn(A, 10, "您好")),
        Event::Turn(turn(A, 5, "earlier")),
    ])
    .await;
    let mut bad = q
        .inspect_live(authed(&token, rx3))
        .await
        .unwrap()
        .into_inner();
    let err = loop {
        match bad.message().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("expected an error"),
            Err(e) => break e,
        }
    };
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&err), vec!["turn.send_time".to_string()]);
}

/// The start of live inspection `id` under `standards/live`, the conversation's turns
/// to follow.
fn live_start(id: &str) -> pb::inspect_live_request::Event {
    let mut header = good_zh(id, "li@vendor", "", 0);
    header.turns.clear();
    pb::inspect_live_request::Event::Start(pb::LiveStart {
        standard: "standards/live".into(),
        conversation: Some(header),
        request_id: String::new(),
    })
}

/// A live-inspection request stream holding `events`; it stays open while the sender
/// lives, as a client's does mid-conversation.
async fn live_requests(
    events: Vec<pb::inspect_live_request::Event>,
) -> (
    tokio::sync::mpsc::Sender<pb::InspectLiveRequest>,
    tokio_stream::wrappers::ReceiverStream<pb::InspectLiveRequest>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(events.len().max(1));
    for e in events {
        tx.send(pb::InspectLiveRequest { event: Some(e) })
            .await
            .unwrap();
    }
    (tx, tokio_stream::wrappers::ReceiverStream::new(rx))
}

async fn review_overrides_and_disputes(backend: Backend) {
    let app = spawn_app(backend).await;
    load_default(&app, "support").await;
    let poor = inspect(
        &app,
        "standards/support",
        poor_en("en-1", "li@vendor", "", 0),
    )
    .await;
    assert_eq!(poor.review_state, pb::ReviewState::Pending as i32);
    let reviewer = reviewer_token(&app);
    let agent = agent_token(&app, "li@vendor");

    // Agents may not review; a reviewer's verdict overrides and is kept beside the automatic one.
    let req = |etag: &str| pb::ReviewReportRequest {
        name: poor.name.clone(),
        overrides: vec![pb::VerdictOverride {
            indicator_id: "greeting".into(),
            verdict: pb::Verdict::Pass as i32,
            note: "greeted by voice before the chat".into(),
        }],
        etag: etag.into(),
    };
    assert_eq!(
        code(app.by(&agent).try_call(req(&poor.etag)).await),
        Code::PermissionDenied
    );
    assert_eq!(
        code(app.by(&reviewer).try_call(req("999")).await),
        Code::FailedPrecondition
    );
    let reviewed = app.by(&reviewer).call(req(&poor.etag)).await;
    let g = result(&reviewed, "greeting");
    assert_eq!(
        (g.verdict, g.automatic_verdict, g.source),
        (
            pb::Verdict::Pass as i32,
            pb::Verdict::Fail as i32,
            pb::VerdictSource::Human as i32
        )
    );
    assert_eq!(g.reviewer_note, "greeted by voice before the chat");
    assert_eq!(
        result(&reviewed, "first-response-30s").source,
        pb::VerdictSource::Automatic as i32
    );
    assert_eq!(reviewed.human_verdicts, 1);
    assert!(reviewed.score > poor.score);
    assert_eq!(reviewed.review_state, pb::ReviewState::Reviewed as i32);
    assert_eq!(reviewed.reviewer, "rita@vendor");
    let bad = app
        .by(&reviewer)
        .try_call(pb::ReviewReportRequest {
            name: poor.name.clone(),
            overrides: vec![pb::VerdictOverride {
                indicator_id: "nope".into(),
                verdict: 9,
                note: String::new(),
            }],
            etag: String::new(),
        })
        .await;
    assert_invalid(bad, &["overrides[0].indicator_id", "overrides[0].verdict"]);

    // The agent disputes the proof verdict; another agent may not.
    let dispute = pb::CreateDisputeRequest {
        parent: poor.name.clone(),
        dispute: Some(pb::Dispute {
            indicator_id: "no-unnecessary-proof".into(),
            reason: "the customer asked for a refund above the proof-free limit".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let other = app.keys.token("wang@vendor", &Org::Vendor, &["frontline"]);
    assert_eq!(
        code(app.by(&other).try_call(dispute.clone()).await),
        Code::NotFound,
        "another agent does not even see the report"
    );
    let d = app.by(&agent).call(dispute.clone()).await;
    assert_eq!(d.state, pb::DisputeState::Open as i32);
    assert_eq!(d.raised_by, "li@vendor");
    assert!(d.name.starts_with(&format!("{}/disputes/", poor.name)));
    let back = report_as(&app, &agent, &poor.name).await;
    assert_eq!(back.review_state, pb::ReviewState::Pending as i32);
    assert!(
        back.review_reasons
            .contains(&(pb::ReviewReason::Disputed as i32))
    );
    let open = app
        .by(&reviewer)
        .call(pb::ListDisputesRequest {
            parent: "reports/-".into(),
            filter: "state = OPEN".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(open.disputes.len(), 1);

    assert_eq!(
        code(
            app.by(&agent)
                .try_call(pb::ResolveDisputeRequest {
                    name: d.name.clone(),
                    resolution: pb::DisputeState::Upheld as i32,
                    note: String::new()
                })
                .await
        ),
        Code::PermissionDenied
    );
    let resolved = app
        .by(&reviewer)
        .call(pb::ResolveDisputeRequest {
            name: d.name.clone(),
            resolution: pb::DisputeState::Upheld as i32,
            note: "policy allows it".into(),
        })
        .await;
    assert_eq!(resolved.state, pb::DisputeState::Upheld as i32);
    assert_eq!(resolved.resolved_by, "rita@vendor");
    let after = report_as(&app, &agent, &poor.name).await;
    let p = result(&after, "no-unnecessary-proof");
    assert_eq!(
        (p.verdict, p.automatic_verdict, p.source),
        (
            pb::Verdict::Pass as i32,
            pb::Verdict::Fail as i32,
            pb::VerdictSource::Human as i32
        )
    );
    assert_eq!(after.human_verdicts, 2);
    assert_eq!(after.review_state, pb::ReviewState::Reviewed as i32);
    assert!(after.score > reviewed.score);
    assert_eq!(
        code(
            app.by(&reviewer)
                .try_call(pb::ResolveDisputeRequest {
                    name: d.name.clone(),
                    resolution: pb::DisputeState::Rejected as i32,
                    note: String::new()
                })
                .await
        ),
        Code::FailedPrecondition
    );
    // Disputing a verdict that is already what is asked for.
    assert_eq!(
        code(app.by(&agent).try_call(dispute).await),
        Code::FailedPrecondition
    );

    // Calibration: greeting and proof disagreed once each; the rest agreed.
    let cal = app
        .by(&reviewer)
        .call(pb::GetCalibrationRequest {
            standard: "standards/support".into(),
            min_reviews: 1,
            ..Default::default()
        })
        .await;
    assert_eq!(cal.reviewed_reports, 1);
    let greet = cal
        .indicators
        .iter()
        .find(|c| c.indicator_id == "greeting")
        .unwrap();
    assert_eq!(
        (
            greet.reviewed,
            greet.agreed,
            greet.false_fails,
            greet.agreement_rate
        ),
        (1, 0, 1, 0.0)
    );
    assert!(greet.weak);
    let frt = cal
        .indicators
        .iter()
        .find(|c| c.indicator_id == "first-response-30s")
        .unwrap();
    assert_eq!((frt.agreement_rate, frt.weak), (1.0, false));
    assert!(
        cal.indicators[0].agreement_rate <= cal.indicators[cal.indicators.len() - 1].agreement_rate,
        "weakest first"
    );
    assert!(cal.overall_agreement_rate > 0.8 && cal.overall_agreement_rate < 1.0);
}

async fn experiments_report_winners_with_confidence(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut q = client(&app).await;
    let cs = app
        .keys
        .token("lin@vendor", &Org::Vendor, &["department:customer-service"]);
    let t = app
        .by(&cs)
        .call(pb::CreateTemplateRequest {
            template: Some(pb::Template {
                scenario: "damaged-on-arrival".into(),
                display_name: "Damaged item on arrival".into(),
                variants: vec![
                    pb::TemplateVariant {
                        id: "plain".into(),
                        text: "{customer_name}, we will replace order {order_id}.".into(),
                        empathy_phrase: String::new(),
                    },
                    pb::TemplateVariant {
                        id: "empathic".into(),
                        text:
                            "{customer_name},非常理解您的心情。订单 {order_id} 我们直接为您补发。"
                                .into(),
                        empathy_phrase: "非常理解您的心情".into(),
                    },
                ],
                empathy_phrases: vec![
                    "非常理解您的心情".into(),
                    "I understand how you feel".into(),
                ],
                ..Default::default()
            }),
            template_id: "damaged".into(),
            request_id: String::new(),
        })
        .await;
    assert_eq!(
        t.placeholders,
        vec!["customer_name".to_string(), "order_id".to_string()]
    );
    let mut values = std::collections::BTreeMap::new();
    values.insert("customer_name".to_string(), "王女士".to_string());
    let empathic = |values: &std::collections::BTreeMap<String, String>| {
        authed(
            &cs,
            pb::RenderTemplateRequest {
                name: t.name.clone(),
                variant_id: "empathic".into(),
                values: values.clone(),
                ..Default::default()
            },
        )
    };
    let missing = q.render_template(empathic(&values)).await;
    assert_invalid(missing, &["values[order_id]"]);
    values.insert("order_id".to_string(), "A-1".to_string());
    let text = q
        .render_template(empathic(&values))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        text.text,
        "王女士,非常理解您的心情。订单 A-1 我们直接为您补发。"
    );

    let e = app
        .by(&cs)
        .call(pb::CreateExperimentRequest {
            experiment: Some(pb::Experiment {
                template: t.name.clone(),
                primary_metric: pb::Metric::QaScore as i32,
                min_samples: 10,
                ..Default::default()
            }),
            experiment_id: "damaged-ab".into(),
            request_id: String::new(),
        })
        .await;
    assert_eq!(
        e.variants,
        vec!["plain".to_string(), "empathic".to_string()]
    );
    assert_eq!(e.confidence_threshold, 0.95);
    // Sticky: the same customer always gets the same variant; find ten of each.
    let mut by_variant: std::collections::HashMap<String, Vec<String>> = Default::default();
    for k in 0..200 {
        let key = format!("customers/c{k}");
        let a = app
            .by(&cs)
            .call(pb::AssignVariantRequest {
                experiment: e.name.clone(),
                customer_key: key.clone(),
            })
            .await;
        let b = app
            .by(&cs)
            .call(pb::AssignVariantRequest {
                experiment: e.name.clone(),
                customer_key: key.clone(),
            })
            .await;
        assert_eq!(a.variant_id, b.variant_id);
        by_variant.entry(a.variant_id).or_default().push(key);
    }
    // The rendered variant follows the assignment.
    let key = by_variant["empathic"][0].clone();
    let r = app
        .by(&cs)
        .call(pb::RenderTemplateRequest {
            name: t.name.clone(),
            values,
            experiment: e.name.clone(),
            customer_key: key,
            ..Default::default()
        })
        .await;
    assert_eq!(r.variant_id, "empathic");

    // Control: QA 1..5 twice, 4 of 10 resolved; empathic: QA 3..7 twice, 9 of 10 resolved.
    // Welch: means 3 and 5, variances 20/9 each: t = 2 / sqrt(4/9) = 3, df = 18,
    // two-sided p = 0.0076854. z-test: pooled 0.65, z = 0.5 / sqrt(0.65 * 0.35 * 0.2)
    // = 2.344036, p = 0.0190763.
    let mut n = 0;
    for (variant, base, resolved) in [("plain", 1.0, 4), ("empathic", 3.0, 9)] {
        for (k, key) in by_variant[variant].iter().take(10).enumerate() {
            let o = pb::Outcome {
                conversation_id: format!("conv-{n}"),
                customer_key: key.clone(),
                qa_score: Some(base + (k % 5) as f64),
                csat: Some(if variant == "plain" { 3 } else { 4 } + (k % 2) as i32),
                resolved: Some(k < resolved),
                ..Default::default()
            };
            n += 1;
            let rec = app
                .by(&cs)
                .call(pb::RecordOutcomeRequest {
                    experiment: e.name.clone(),
                    outcome: Some(o),
                    request_id: String::new(),
                })
                .await;
            assert_eq!(rec.variant_id, variant);
        }
    }
    let dup = pb::Outcome {
        conversation_id: "conv-0".into(),
        customer_key: by_variant["plain"][0].clone(),
        resolved: Some(true),
        ..Default::default()
    };
    assert_eq!(
        code(
            app.by(&cs)
                .try_call(pb::RecordOutcomeRequest {
                    experiment: e.name.clone(),
                    outcome: Some(dup),
                    request_id: String::new()
                })
                .await
        ),
        Code::AlreadyExists
    );
    let bad = pb::Outcome {
        conversation_id: "x".into(),
        customer_key: by_variant["plain"][0].clone(),
        csat: Some(6),
        variant_id: "empathic".into(),
        ..Default::default()
    };
    assert_invalid(
        app.by(&cs)
            .try_call(pb::RecordOutcomeRequest {
                experiment: e.name.clone(),
                outcome: Some(bad),
                request_id: String::new(),
            })
            .await,
        &["outcome.csat"],
    );

    let res = app
        .call(pb::GetExperimentResultsRequest {
            name: e.name.clone(),
        })
        .await;
    assert_eq!((res.qa_score[0].mean, res.qa_score[1].mean), (3.0, 5.0));
    assert_eq!(res.qa_score[0].samples, 10);
    let qa = res
        .comparisons
        .iter()
        .find(|c| c.metric == pb::Metric::QaScore as i32)
        .unwrap();
    assert!((qa.statistic - 3.0).abs() < 1e-9, "{qa:?}");
    assert!((qa.degrees_of_freedom - 18.0).abs() < 1e-9);
    assert!((qa.p_value - 0.007_685_4).abs() < 1e-6, "{qa:?}");
    assert_eq!(qa.test, "welch-t");
    let rr = res
        .comparisons
        .iter()
        .find(|c| c.metric == pb::Metric::ResolutionRate as i32)
        .unwrap();
    assert!((rr.difference - 0.5).abs() < 1e-12);
    assert!((rr.statistic - 2.344_036).abs() < 1e-6, "{rr:?}");
    assert!((rr.p_value - 0.019_076_3).abs() < 1e-6, "{rr:?}");
    assert_eq!(res.winner, "empathic", "{}", res.explanation);
    assert!(res.explanation.contains("0.95"));
}

async fn no_winner_below_the_threshold(backend: Backend) {
    let app = spawn_app(backend).await;
    let t = app
        .call(pb::CreateTemplateRequest {
            template: Some(pb::Template {
                scenario: "late-delivery".into(),
                variants: vec![
                    pb::TemplateVariant {
                        id: "a".into(),
                        text: "Sorry, {customer_name}.".into(),
                        empathy_phrase: String::new(),
                    },
                    pb::TemplateVariant {
                        id: "b".into(),
                        text: "So sorry for the wait, {customer_name}.".into(),
                        empathy_phrase: String::new(),
                    },
                ],
                ..Default::default()
            }),
            template_id: String::new(),
            request_id: String::new(),
        })
        .await;
    let e = app
        .call(pb::CreateExperimentRequest {
            experiment: Some(pb::Experiment {
                template: t.name.clone(),
                primary_metric: pb::Metric::ResolutionRate as i32,
                min_samples: 2,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await;
    // Half of each variant's conversations resolved: no difference at all.
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for k in 0..12 {
        let key = format!("k{k}");
        let v = app
            .call(pb::AssignVariantRequest {
                experiment: e.name.clone(),
                customer_key: key.clone(),
            })
            .await
            .variant_id;
        let n = seen.entry(v).or_default();
        *n += 1;
        let o = pb::Outcome {
            conversation_id: format!("c{k}"),
            customer_key: key,
            resolved: Some(n.is_multiple_of(2)),
            ..Default::default()
        };
        app.call(pb::RecordOutcomeRequest {
            experiment: e.name.clone(),
            outcome: Some(o),
            request_id: String::new(),
        })
        .await;
    }
    let res = app
        .call(pb::GetExperimentResultsRequest {
            name: e.name.clone(),
        })
        .await;
    assert!(res.winner.is_empty(), "{res:?}");
    assert!(res.qa_score.is_empty(), "no QA scores were recorded");
    let bad = app
        .try_call(pb::CreateExperimentRequest {
            experiment: Some(pb::Experiment {
                template: "templates/nope".into(),
                // In the contract's range (0 to 1), below the handler's 0.5.
                confidence_threshold: 0.2,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await;
    assert_invalid(
        bad,
        &[
            "experiment.template",
            "experiment.primary_metric",
            "experiment.confidence_threshold",
        ],
    );
}

async fn scorecards_roll_up_agents_and_teams(backend: Backend) {
    let app = spawn_app(backend).await;
    load_default(&app, "support").await;
    let day = 86_400;
    let mut scores = Vec::new();
    for (k, good) in [(0, true), (1, false), (8, true), (9, true)] {
        let c = if good {
            good_zh(&format!("c{k}"), "li@vendor", "", k * day)
        } else {
            poor_en(&format!("c{k}"), "li@vendor", "", k * day)
        };
        scores.push(inspect(&app, "standards/support", c).await.score);
    }
    inspect(
        &app,
        "standards/support",
        poor_en("other", "wang@vendor", "", 0),
    )
    .await;
    let req = |subject: &str| pb::GetScorecardRequest {
        subject: subject.into(),
        start_time: ts(0),
        end_time: ts(14 * day),
        bucket_days: 7,
    };
    let me = agent_token(&app, "li@vendor");
    let card = app.by(&me).call(req("li@vendor")).await;
    assert_eq!(card.conversations, 4);
    let mean = scores.iter().sum::<f64>() / 4.0;
    assert!((card.mean_score - mean).abs() < 1e-9);
    assert_eq!(card.trend.len(), 2);
    assert_eq!(
        (card.trend[0].conversations, card.trend[1].conversations),
        (2, 2)
    );
    assert!(card.trend_slope > 0.0, "the second week was better");
    assert!(!card.top_failed_indicators.is_empty());
    let top = &card.top_failed_indicators[0];
    assert!(top.failures >= 1 && top.failure_rate > 0.0);
    assert_eq!(
        code(app.by(&me).try_call(req("wang@vendor")).await),
        Code::PermissionDenied
    );
    let team = app.call(req("teams/team-east")).await;
    assert_eq!(team.conversations, 5);
    let bad = app
        .try_call(pb::GetScorecardRequest {
            subject: String::new(),
            start_time: ts(10),
            end_time: ts(5),
            bucket_days: -1,
        })
        .await;
    // A number out of its range is refused by the codec, before the handler's checks.
    assert_invalid(bad, &["bucket_days"]);
}

async fn tenancy_and_bad_input(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", cpb::Industry::Retail, "CN").await;
    app.customer("globex", cpb::Industry::Retail, "DE").await;
    load_default(&app, "support").await;
    let acme = inspect(
        &app,
        "standards/support",
        good_zh("a-1", "li@vendor", "customers/acme", 0),
    )
    .await;
    let globex = inspect(
        &app,
        "standards/support",
        poor_en("g-1", "li@vendor", "customers/globex", 0),
    )
    .await;
    let internal = inspect(
        &app,
        "standards/support",
        poor_en("i-1", "li@vendor", "", 0),
    )
    .await;
    let acme_eng = app.keys.customer("acme", &["customer-engineer"]);
    let get = |name: &str| pb::GetReportRequest { name: name.into() };
    assert!(app.by(&acme_eng).try_call(get(&acme.name)).await.is_ok());
    assert_eq!(
        code(app.by(&acme_eng).try_call(get(&globex.name)).await),
        Code::NotFound
    );
    assert_eq!(
        code(app.by(&acme_eng).try_call(get(&internal.name)).await),
        Code::NotFound
    );
    let listed = app
        .by(&acme_eng)
        .call(pb::ListReportsRequest::default())
        .await;
    assert_eq!(
        listed
            .reports
            .iter()
            .map(|r| r.name.clone())
            .collect::<Vec<_>>(),
        vec![acme.name.clone()]
    );
    let filtered = app
        .by(&acme_eng)
        .call(pb::ListReportsRequest {
            filter: "customer = \"customers/globex\"".into(),
            ..Default::default()
        })
        .await;
    assert!(filtered.reports.is_empty());
    // Customers neither inspect, read standards, nor dispute.
    let r = app
        .by(&acme_eng)
        .try_call(pb::InspectConversationRequest {
            standard: "standards/support".into(),
            conversation: Some(good_zh("x", "li@vendor", "customers/acme", 0)),
            ..Default::default()
        })
        .await;
    assert_eq!(code(r), Code::PermissionDenied);
    assert_eq!(
        code(
            app.by(&acme_eng)
                .try_call(pb::GetStandardRequest {
                    name: "standards/support".into()
                })
                .await
        ),
        Code::PermissionDenied
    );
    // A frontline agent inspects only their own conversations and sees only their reports.
    let wang = agent_token(&app, "wang@vendor");
    let r = app
        .by(&wang)
        .try_call(pb::InspectConversationRequest {
            standard: "standards/support".into(),
            conversation: Some(good_zh("x", "li@vendor", "", 0)),
            ..Default::default()
        })
        .await;
    assert_eq!(code(r), Code::PermissionDenied);
    assert_eq!(
        code(app.by(&wang).try_call(get(&acme.name)).await),
        Code::NotFound
    );
    let none = app.by(&wang).call(pb::ListReportsRequest::default()).await;
    assert!(none.reports.is_empty());
    let nobody = app.keys.token("x@vendor", &Org::Vendor, &[]);
    assert_eq!(
        code(
            app.by(&nobody)
                .try_call(pb::ListReportsRequest::default())
                .await
        ),
        Code::PermissionDenied
    );
    assert_eq!(
        code(
            app.by(&wang)
                .try_call(pb::CreateStandardRequest {
                    standard: Some(default_standard()),
                    ..Default::default()
                })
                .await
        ),
        Code::PermissionDenied
    );

    // Bad input names every field.
    let empty = app
        .try_call(pb::InspectConversationRequest::default())
        .await;
    assert_invalid(
        empty,
        &[
            "standard",
            "conversation.conversation_id",
            "conversation.agent",
            "conversation.turns",
        ],
    );
    let mut c = good_zh("b-1", "li@vendor", "customers/nobody", 0);
    c.turns[1].send_time = ts(-5);
    c.turns[2].speaker = 0;
    c.turns[3].send_time = None;
    let r = app
        .try_call(pb::InspectConversationRequest {
            standard: "standards/support".into(),
            conversation: Some(c),
            request_id: "nope".into(),
            validate_only: false,
        })
        .await;
    assert_invalid(
        r,
        &[
            "request_id",
            "conversation.customer",
            "conversation.turns[1].send_time",
            "conversation.turns[2].speaker",
            "conversation.turns[3].send_time",
        ],
    );
    let r = app
        .try_call(pb::InspectConversationRequest {
            standard: "standards/missing".into(),
            conversation: Some(good_zh("b-2", "li@vendor", "", 0)),
            ..Default::default()
        })
        .await;
    assert_eq!(code(r), Code::NotFound);
    let r = app
        .try_call(pb::InspectConversationRequest {
            standard: "standards/support/versions/zero".into(),
            conversation: Some(good_zh("b-3", "li@vendor", "", 0)),
            ..Default::default()
        })
        .await;
    assert_invalid(r, &["standard"]);
    let mut s = default_standard();
    s.indicators[0].weight = 0.0;
    s.indicators[1].id = s.indicators[0].id.clone();
    s.indicators[11].threshold = None;
    s.indicators[2].kind = 77;
    // In the contract's range (0 to 100) yet refused with the rest: the handler's
    // rules are reported together.
    s.review_threshold = 100.0;
    s.indicators[3].weight = -1.0;
    let out_of_range = app
        .try_call(pb::CreateStandardRequest {
            standard: Some(s.clone()),
            standard_id: "Bad Id".into(),
            request_id: String::new(),
        })
        .await;
    // A number out of its contract range is refused by the codec, before the handler.
    assert_invalid(out_of_range, &["standard.indicators[3].weight"]);
    s.indicators[3].weight = default_standard().indicators[3].weight;
    let r = app
        .try_call(pb::CreateStandardRequest {
            standard: Some(s),
            standard_id: "Bad Id".into(),
            request_id: String::new(),
        })
        .await;
    assert_invalid(
        r,
        &[
            "standard.indicators[0].weight",
            "standard.indicators[1].id",
            "standard.indicators[11].threshold",
            "standard.indicators[2].kind",
            "standard_id",
        ],
    );
    assert_eq!(
        code(
            app.try_call(pb::CreateStandardRequest {
                standard: Some(default_standard()),
                standard_id: "support".into(),
                request_id: String::new()
            })
            .await
        ),
        Code::AlreadyExists
    );
    let r = app
        .try_call(pb::ListReportsRequest {
            filter: "score > 3".into(),
            page_size: -1,
            ..Default::default()
        })
        .await;
    assert_eq!(code(r), Code::InvalidArgument);
    let r = app.try_call(get("reports/Not_Valid")).await;
    assert_invalid(r, &["name"]);
    let r = app.try_call(get("reports/missing")).await;
    assert_eq!(code(r), Code::NotFound);
}

/// EvaluateStandard through the service: the held-out corpus, a draft, reviewed reports
/// as labels, and who may ask.
async fn evaluate_standard_against_labels(backend: Backend) {
    use symbolon_quality::{
        evaluate,
        inspect::{CompiledStandard, RuleInspector},
        labelled_from_jsonl,
    };
    let app = spawn_app(backend).await;
    load_default(&app, "support").await;
    let heldout =
        labelled_from_jsonl(include_str!("../../corpus/labelled.jsonl"), Some("heldout")).unwrap();
    let labels: i32 = heldout.iter().map(|c| c.labels.len() as i32).sum();
    let reviewer = reviewer_token(&app);
    let r = app
        .by(&reviewer)
        .call(pb::EvaluateStandardRequest {
            standard: "standards/support".into(),
            conversations: heldout.clone(),
            max_disagreements: 5,
            ..Default::default()
        })
        .await;
    assert_eq!(r.standard_version, "standards/support/versions/1");
    assert_eq!(r.conversations as usize, heldout.len());
    let overall = r.overall.clone().unwrap();
    assert_eq!(overall.labels, labels);
    assert_eq!(r.slices[0], overall, "overall first");
    // The service's figures are the inspector's, computed the same way here.
    let local = evaluate::evaluate(
        &RuleInspector,
        &CompiledStandard::compile(&default_standard(), "standards/support/versions/1"),
        &heldout,
        5,
    );
    assert_eq!(r, local);
    for lang in ["zh", "en"] {
        let f = r
            .slices
            .iter()
            .find(|f| f.language == lang && f.group == "natural" && f.indicator_id.is_empty())
            .unwrap();
        assert!(f.labels > 0 && f.agreement >= 0.9, "{f:?}");
    }

    // A draft: one conversation labelled against what it says is one disagreement,
    // with the inspector's evidence.
    let mut wrong = heldout[0].clone();
    let empathy = wrong
        .labels
        .iter_mut()
        .find(|l| l.indicator_id == "no-rudeness")
        .unwrap();
    let truth = empathy.verdict;
    empathy.verdict = if truth == pb::Verdict::Fail as i32 {
        pb::Verdict::Pass as i32
    } else {
        pb::Verdict::Fail as i32
    };
    let d = app
        .by(&reviewer)
        .call(pb::EvaluateStandardRequest {
            draft: Some(default_standard()),
            conversations: vec![wrong.clone()],
            ..Default::default()
        })
        .await;
    assert!(d.standard_version.is_empty());
    let dis: Vec<_> = d
        .disagreements
        .iter()
        .filter(|x| x.indicator_id == "no-rudeness")
        .collect();
    assert_eq!(dis.len(), 1, "{:?}", d.disagreements);
    assert!(!dis[0].evidence.is_empty());

    // Reviewed reports are labels too: the reviewer said the greeting passed.
    let poor = inspect(
        &app,
        "standards/support",
        poor_en("en-1", "li@vendor", "", 0),
    )
    .await;
    app.by(&reviewer)
        .call(pb::ReviewReportRequest {
            name: poor.name.clone(),
            overrides: vec![pb::VerdictOverride {
                indicator_id: "greeting".into(),
                verdict: pb::Verdict::Pass as i32,
                note: "greeted by voice".into(),
            }],
            etag: poor.etag.clone(),
        })
        .await;
    let rev = app
        .by(&reviewer)
        .call(pb::EvaluateStandardRequest {
            standard: "standards/support".into(),
            include_reviewed_reports: true,
            ..Default::default()
        })
        .await;
    assert_eq!(rev.conversations, 1);
    assert_eq!(rev.disagreement_count, 1);
    assert_eq!(rev.disagreements[0].indicator_id, "greeting");
    assert_eq!(rev.disagreements[0].group, "reviewed");

    // Bad input names its fields; only the vendor's QA people may ask.
    let mut unknown = heldout[0].clone();
    unknown.labels[0].indicator_id = "nope".into();
    let bad = app
        .by(&reviewer)
        .try_call(pb::EvaluateStandardRequest {
            standard: "standards/support".into(),
            conversations: vec![unknown],
            ..Default::default()
        })
        .await;
    assert_invalid(bad, &["conversations[0].labels[0].indicator_id"]);
    let bad = app
        .by(&reviewer)
        .try_call(pb::EvaluateStandardRequest {
            standard: "standards/support".into(),
            draft: Some(default_standard()),
            max_disagreements: -1,
            ..Default::default()
        })
        .await;
    // A number out of its range is refused by the codec, before the handler's checks.
    assert_invalid(bad, &["max_disagreements"]);
    let missing = app
        .by(&reviewer)
        .try_call(pb::EvaluateStandardRequest {
            standard: "standards/missing".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(code(missing), Code::NotFound);
    for token in [
        agent_token(&app, "li@vendor"),
        app.keys
            .token("eve@acme", &Org::Customer("acme".into()), &["admin"]),
    ] {
        let r = app
            .by(&token)
            .try_call(pb::EvaluateStandardRequest {
                standard: "standards/support".into(),
                ..Default::default()
            })
            .await;
        assert_eq!(code(r), Code::PermissionDenied);
    }
}

both_backends!(
    evaluate_standard_against_labels,
    standards_are_versioned_and_reports_keep_theirs,
    inspection_scores_with_evidence_in_both_languages,
    live_hints_arrive_before_the_conversation_ends,
    review_overrides_and_disputes,
    experiments_report_winners_with_confidence,
    no_winner_below_the_threshold,
    scorecards_roll_up_agents_and_teams,
    tenancy_and_bad_input,
);
