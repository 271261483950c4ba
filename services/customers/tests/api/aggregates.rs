//! The dashboard and the ranking read aggregates the writes keep; here they are checked
//! against the same figures recomputed from the raw rows, after corrections (which
//! replace the touchpoint they correct, possibly moving it to another quarter),
//! incidents changing state, key persons and customers deleted, restored and created
//! after a quarter was first ranked. Boards are compared whole, the named parts (each
//! key person's months, open incidents, commitments) included.

use crate::helpers::*;
use symbolon_contracts::customers::v1::{self as pb};
use symbolon_customers::{
    dashboard::{attention_from_raw_rows, board_from_raw_rows},
    startup::MIGRATIONS,
};
use symbolon_platform::{Database, time::Clock};
use symbolon_testkit::{Backend, both_backends};

/// 2026-07-15T12:00:00Z: quarter 2026-Q3; months July to September follow.
const JULY: i64 = 1_784_116_800;
const DAY: i64 = 86_400;

struct Feel<'a> {
    customer: &'a str,
    person: &'a str,
    mood: pb::Mood,
    intensity: i32,
    at: i64,
    anxiety: &'a str,
    expectations: &'a [&'a str],
    corrects: Option<String>,
}

async fn record(app: &TestApp, f: Feel<'_>) -> pb::Touchpoint {
    let mut t = touchpoint_message(
        &format!("customers/{}/keyPersons/{}", f.customer, f.person),
        f.mood,
    );
    t.occur_time = Some(prost_types::Timestamp {
        seconds: f.at,
        nanos: 0,
    });
    t.emotional_state = Some(pb::EmotionalState {
        mood: f.mood as i32,
        intensity: f.intensity,
    });
    t.strategic_anxiety = f.anxiety.into();
    t.implicit_expectations = f.expectations.iter().map(|e| e.to_string()).collect();
    t.corrects = f.corrects.unwrap_or_default();
    app.call(pb::RecordTouchpointRequest {
        parent: format!("customers/{}", f.customer),
        touchpoint: Some(t),
        request_id: String::new(),
    })
    .await
}

fn feel<'a>(
    customer: &'a str,
    mood: pb::Mood,
    intensity: i32,
    at: i64,
    anxiety: &'a str,
) -> Feel<'a> {
    Feel {
        customer,
        person: "cto",
        mood,
        intensity,
        at,
        anxiety,
        expectations: &["Spare parts within the hour"],
        corrects: None,
    }
}

/// Every board of `customers` in `quarters` equals the one from the raw rows, whole.
async fn boards_agree(
    app: &TestApp,
    db: &Database,
    clock: &Clock,
    customers: &[&str],
    quarters: &[&str],
) {
    for c in customers {
        for q in quarters {
            let served = app
                .call(pb::GetTrustDashboardRequest {
                    customer: format!("customers/{c}"),
                    quarter: q.to_string(),
                })
                .await;
            let raw = board_from_raw_rows(db, c, q, clock.now()).await.unwrap();
            assert_eq!(served, raw, "board of {c} in {q}");
        }
    }
}

/// The whole ranking of `quarter`, a page of `size` at a time.
async fn ranking(app: &TestApp, quarter: &str, size: i32) -> Vec<pb::CustomerAttention> {
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .call(pb::RankCustomersForAttentionRequest {
                quarter: quarter.into(),
                page_size: size,
                page_token: token.clone(),
            })
            .await;
        assert!(page.customers.len() <= size as usize);
        all.extend(page.customers);
        if page.next_page_token.is_empty() {
            return all;
        }
        token = page.next_page_token;
    }
}

/// The ranking lists exactly the live `customers`, each with the score its raw rows
/// give, most in need first (ties by name).
async fn ranking_agrees(app: &TestApp, db: &Database, customers: &[&str], quarter: &str) {
    let ranked = ranking(app, quarter, 2).await;
    let mut want = Vec::new();
    for c in customers {
        let (attention, trust_index, reasons) =
            attention_from_raw_rows(db, c, quarter).await.unwrap();
        want.push((format!("customers/{c}"), attention, trust_index, reasons));
    }
    want.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let got: Vec<_> = ranked
        .into_iter()
        .map(|r| (r.customer, r.attention, r.trust_index, r.reasons))
        .collect();
    assert_eq!(got, want);
}

async fn aggregates_agree_with_raw_rows(backend: Backend) {
    // A still clock: open incidents' ages are the same in both boards.
    let clock = Clock::manual(Clock::system().now());
    let app = spawn_app_with_clock(backend, clock.clone()).await;
    let db = Database::connect(app.db_url(), &MIGRATIONS).await.unwrap();
    for id in ["hot", "calm", "gone"] {
        app.customer(id, pb::Industry::Energy, "DE").await;
        app.key_person(id, "cto").await;
    }
    app.key_person("hot", "cfo").await;
    let moods = [
        pb::Mood::Angry,
        pb::Mood::Anxious,
        pb::Mood::Satisfied,
        pb::Mood::Calm,
        pb::Mood::Frustrated,
    ];
    let anxieties = ["Regulator fines", "Budget cuts", "Vendor lock-in"];
    let mut recorded = Vec::new();
    for i in 0..18i64 {
        let mut f = feel(
            "hot",
            moods[i as usize % moods.len()],
            (i % 5 + 1) as i32,
            JULY + i * 5 * DAY,
            anxieties[i as usize % anxieties.len()],
        );
        if i % 3 == 0 {
            f.person = "cfo";
        }
        f.expectations = if i % 2 == 0 {
            &["Spare parts within the hour", "A named engineer"]
        } else {
            &["A named engineer", "A named engineer"]
        };
        recorded.push(record(&app, f).await);
    }
    record(
        &app,
        feel("calm", pb::Mood::Delighted, 5, JULY, "Nothing much"),
    )
    .await;
    record(&app, feel("gone", pb::Mood::Angry, 5, JULY, "Everything")).await;
    // Last quarter, to be kept apart.
    record(
        &app,
        feel("hot", pb::Mood::Delighted, 5, JULY - 60 * DAY, "Old news"),
    )
    .await;

    // A correction replaces a July touchpoint with a calmer one...
    let fixed = record(
        &app,
        Feel {
            corrects: Some(recorded[0].name.clone()),
            ..feel("hot", pb::Mood::Calm, 2, JULY + DAY, "Budget cuts")
        },
    )
    .await;
    // ...and a correction of that correction moves it into the previous quarter.
    record(
        &app,
        Feel {
            corrects: Some(fixed.name.clone()),
            ..feel("hot", pb::Mood::Neutral, 3, JULY - 30 * DAY, "Moved back")
        },
    )
    .await;
    // Another one, of a September touchpoint, within its month.
    record(
        &app,
        Feel {
            corrects: Some(recorded[14].name.clone()),
            expectations: &["Candid fault notes"],
            ..feel(
                "hot",
                pb::Mood::Angry,
                5,
                JULY + 70 * DAY,
                "Regulator fines",
            )
        },
    )
    .await;

    let open = |customer: &str, severity: pb::Severity, at: i64| {
        app.call(pb::OpenIncidentRequest {
            parent: format!("customers/{customer}"),
            incident: Some(pb::Incident {
                severity: severity as i32,
                summary: "Grid telemetry lost".into(),
                detect_time: Some(prost_types::Timestamp {
                    seconds: at,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        })
    };
    open("hot", pb::Severity::Critical, JULY + 3 * DAY).await;
    let minor = open("calm", pb::Severity::Minor, JULY + 4 * DAY).await;

    // A correction heard from someone else: the cfo's September touchpoint becomes the
    // cto's, the cfo's month loses it.
    record(
        &app,
        Feel {
            corrects: Some(recorded[15].name.clone()),
            ..feel(
                "hot",
                pb::Mood::Satisfied,
                4,
                JULY + 76 * DAY,
                "Budget cuts",
            )
        },
    )
    .await;

    let quarters = ["2026-Q3", "2026-Q2"];
    boards_agree(&app, &db, &clock, &["hot", "calm", "gone"], &quarters).await;
    // Both key persons are on the board, corrections in place of what they corrected: of
    // the quarter's 16 touchpoints the cfo said 6, one corrected into June, one into
    // the cto's words.
    let board = board_from_raw_rows(&db, "hot", "2026-Q3", clock.now())
        .await
        .unwrap();
    let said: Vec<(String, i32)> = board
        .key_person_moods
        .iter()
        .map(|k| {
            let n = k.months.iter().map(|m| m.touchpoints).sum();
            (k.key_person.clone(), n)
        })
        .collect();
    assert_eq!(
        said,
        vec![
            ("customers/hot/keyPersons/cfo".to_string(), 4),
            ("customers/hot/keyPersons/cto".to_string(), 11),
        ]
    );
    ranking_agrees(&app, &db, &["hot", "calm", "gone"], "2026-Q3").await;

    // Written after the quarter was ranked: each moves its row.
    app.call(pb::CancelIncidentRequest {
        name: minor.name.clone(),
        reason: "False alarm".into(),
    })
    .await;
    record(
        &app,
        feel("calm", pb::Mood::Angry, 5, JULY + 2 * DAY, "Sudden worry"),
    )
    .await;
    app.customer("late", pb::Industry::Finance, "PT").await;
    app.call(pb::DeleteCustomerRequest {
        name: "customers/gone".into(),
        etag: String::new(),
    })
    .await;
    // A key person leaves: their months stay on the board, in both.
    app.call(pb::DeleteKeyPersonRequest {
        name: "customers/hot/keyPersons/cfo".into(),
        etag: String::new(),
    })
    .await;
    clock.advance(std::time::Duration::from_secs(3 * 3600));
    boards_agree(&app, &db, &clock, &["hot", "calm", "late"], &quarters).await;
    ranking_agrees(&app, &db, &["hot", "calm", "late"], "2026-Q3").await;

    app.call(pb::UndeleteCustomerRequest {
        name: "customers/gone".into(),
    })
    .await;
    ranking_agrees(&app, &db, &["hot", "calm", "late", "gone"], "2026-Q3").await;
    // A quarter ranked for the first time lists every customer, quiet ones too.
    ranking_agrees(&app, &db, &["hot", "calm", "late", "gone"], "2026-Q2").await;
    db.close().await;
}

/// A page token belongs to its quarter; another quarter's is INVALID_ARGUMENT.
async fn ranking_tokens_are_bound_to_their_quarter(backend: Backend) {
    let app = spawn_app(backend).await;
    for id in ["a", "b"] {
        app.customer(id, pb::Industry::Energy, "DE").await;
    }
    let first = app
        .call(pb::RankCustomersForAttentionRequest {
            quarter: "2026-Q3".into(),
            page_size: 1,
            page_token: String::new(),
        })
        .await;
    assert_eq!(first.customers.len(), 1);
    assert!(!first.next_page_token.is_empty());
    let other = app
        .try_call(pb::RankCustomersForAttentionRequest {
            quarter: "2026-Q4".into(),
            page_size: 1,
            page_token: first.next_page_token,
        })
        .await;
    assert_invalid(other, &["page_token"]);
}

both_backends!(
    aggregates_agree_with_raw_rows,
    ranking_tokens_are_bound_to_their_quarter
);
