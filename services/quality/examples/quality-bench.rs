//! Quality inspection benchmark (never a timed test):
//!
//! 1. Throughput of the rule inspector on one core: 30-turn conversations (Chinese and
//!    English, varied) against the default standard (45 indicators).
//! 2. Live-stream hint latency over real gRPC: a running customers service on SQLite,
//!    one `InspectLive` stream, the time from sending a turn to receiving its first
//!    hint; p50/p99/max.
//!
//! `cargo run --release -p symbolon-quality --example quality-bench [seconds] [turns]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};
use symbolon_contracts::quality::v1::{self as pb, quality_service_client::QualityServiceClient};
use symbolon_customers::{Application, CustomersConfig};
use symbolon_quality::{
    default_standard,
    inspect::{CompiledStandard, RuleInspector, inspect},
};
use symbolon_testkit::{Backend, Keys, TestDb, authed, server_config};

// As the service runs (glibc malloc was a fifth of the inspector's time here).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const T0: i64 = 1_767_225_600;

fn turn(speaker: pb::Speaker, t: i64, text: String) -> pb::Turn {
    pb::Turn {
        speaker: speaker as i32,
        text,
        send_time: Some(prost_types::Timestamp {
            seconds: T0 + t,
            nanos: 0,
        }),
    }
}

/// A varied 30-turn support chat.
fn conversation(k: usize) -> pb::Conversation {
    let zh = k.is_multiple_of(2);
    let mut turns = Vec::with_capacity(30);
    for i in 0..15 {
        let t = (i * 40 + (k % 7) * 3) as i64;
        let (c, a) = if zh {
            (
                match (i + k) % 5 {
                    0 => format!("在吗?订单{k}的充电器坏了,我很生气"),
                    1 => "那什么时候能到?我急用".to_string(),
                    2 => "能不能退款?".to_string(),
                    3 => "好的,谢谢".to_string(),
                    _ => "我是老客户了,你们这次太差了".to_string(),
                },
                match i {
                    0 => "王女士您好,我是小李,非常理解您的心情,给您带来不便非常抱歉".to_string(),
                    14 => "请问还有其他问题吗?祝您生活愉快".to_string(),
                    _ if (i + k).is_multiple_of(3) => format!("马上为您查询您的订单{k},请稍等"),
                    _ if (i + k) % 3 == 1 => {
                        "退款将在3个工作日内到账,感谢您一直以来的支持".to_string()
                    }
                    _ => "已为您安排补发,我会跟进处理".to_string(),
                },
            )
        } else {
            (
                match (i + k) % 5 {
                    0 => format!("Hi, the charger of order {k} arrived broken, I'm angry"),
                    1 => "When will it arrive? It's urgent".to_string(),
                    2 => "Can I get a refund?".to_string(),
                    3 => "OK, thanks".to_string(),
                    _ => "I'm a loyal customer and this is terrible".to_string(),
                },
                match i {
                    0 => "Hello Anna, I'm Li. I understand how you feel, sorry!".to_string(),
                    14 => "Is there anything else? Have a nice day".to_string(),
                    _ if (i + k).is_multiple_of(3) => {
                        format!("Let me check your order {k}, one moment")
                    }
                    _ if (i + k) % 3 == 1 => {
                        "The refund arrives within 3 business days, thank you for your loyalty"
                            .to_string()
                    }
                    _ => "I'll arrange a replacement and keep you updated".to_string(),
                },
            )
        };
        turns.push(turn(pb::Speaker::Customer, t, c));
        turns.push(turn(pb::Speaker::Agent, t + 15 + (k % 11) as i64, a));
    }
    pb::Conversation {
        conversation_id: format!("bench-{k}"),
        agent: "li@vendor".into(),
        team: "team-east".into(),
        customer_display_name: if zh {
            "王女士".into()
        } else {
            "Anna".into()
        },
        turns,
        ..Default::default()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn throughput(seconds: f64) {
    let standard = CompiledStandard::compile(&default_standard(), "standards/default/versions/1");
    let convs: Vec<pb::Conversation> = (0..256).map(conversation).collect();
    // Warm up.
    let mut checksum = 0.0;
    for c in &convs {
        checksum += inspect(&RuleInspector, &standard, c).totals.score;
    }
    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed().as_secs_f64() < seconds {
        for c in &convs {
            checksum += inspect(&RuleInspector, &standard, c).totals.score;
        }
        n += convs.len();
    }
    let el = start.elapsed().as_secs_f64();
    println!(
        "inspection throughput: {:.0} conversations/s on one core ({n} conversations of 30 turns, {} indicators, {:.1} µs each; mean score {:.2})",
        n as f64 / el,
        standard.indicators.len(),
        el * 1e6 / n as f64,
        checksum / (n + convs.len()) as f64
    );
}

async fn live_latency(turns: usize) {
    use pb::inspect_live_request::Event;
    use pb::inspect_live_response::Event as Out;
    let db = TestDb::new(Backend::Sqlite).await;
    let keys = Keys::new();
    let app = Application::build(CustomersConfig::new(server_config(
        "customers",
        &db.url,
        &keys,
    )))
    .await
    .expect("start");
    let addr = app.local_addr();
    let shutdown = app.shutdown_token();
    tokio::spawn(app.run_until_stopped());
    let admin = keys.vendor_admin();
    let mut q = QualityServiceClient::new(symbolon_testkit::channel(addr).await);
    symbolon_quality::upload_standard(&mut q, &admin, "bench", default_standard(), "")
        .await
        .expect("standard");
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let mut out = q
        .inspect_live(authed(
            &admin,
            tokio_stream::wrappers::ReceiverStream::new(rx),
        ))
        .await
        .expect("stream")
        .into_inner();
    let mut header = conversation(0);
    header.turns.clear();
    tx.send(pb::InspectLiveRequest {
        event: Some(Event::Start(pb::LiveStart {
            standard: "standards/bench".into(),
            conversation: Some(header),
            request_id: String::new(),
        })),
    })
    .await
    .unwrap();
    let mut lat = Vec::with_capacity(turns);
    for i in 0..turns {
        let t = (i * 10) as i64;
        // Each turn calls for a hint: an upset customer, or an agent's forbidden phrase.
        let (who, text) = if i.is_multiple_of(2) {
            (pb::Speaker::Customer, format!("第{i}次了,我火冒三丈!"))
        } else {
            (pb::Speaker::Agent, format!("请提供购买凭证 {i}"))
        };
        let sent = Instant::now();
        tx.send(pb::InspectLiveRequest {
            event: Some(Event::Turn(turn(who, t, text))),
        })
        .await
        .unwrap();
        // The first hint about this turn; hints still queued from earlier turns (how many
        // a turn yields depends on the standard) are skipped.
        loop {
            match out.message().await {
                Ok(Some(pb::InspectLiveResponse {
                    event: Some(Out::Hint(h)),
                })) if h.turn_index as usize == i => {
                    lat.push(sent.elapsed());
                    break;
                }
                Ok(Some(_)) => {}
                Ok(None) => panic!("the stream ended at turn {i}"),
                Err(e) => panic!("turn {i}: {e}"),
            }
        }
    }
    drop(tx);
    shutdown.cancel();
    let skip = turns.min(50);
    let mut measured: Vec<Duration> = lat[skip..].to_vec();
    measured.sort();
    println!(
        "live hint latency over gRPC (turn sent -> first hint received, {} turns after {skip} warm-up): p50 {:?}, p99 {:?}, max {:?}",
        measured.len(),
        percentile(&measured, 0.5),
        percentile(&measured, 0.99),
        measured.last().copied().unwrap_or_default()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: f64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3.0);
    let turns: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2000);
    throughput(seconds);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(live_latency(turns));
}
