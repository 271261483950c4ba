//! The trust dashboard and the attention ranking, checked against hand-computed figures.

use crate::helpers::*;
use symbolon_contracts::customers::v1::{self as pb};
use symbolon_testkit::{Backend, both_backends};
use tonic::Code;

/// 2026-07-15T12:00:00Z and 2026-09-15T12:00:00Z, in seconds.
const JULY: i64 = 1_784_116_800;
const SEPTEMBER: i64 = 1_789_473_600;

async fn feel(
    app: &TestApp,
    customer: &str,
    mood: pb::Mood,
    intensity: i32,
    at: i64,
    anxiety: &str,
) {
    let mut t = touchpoint_message(&format!("customers/{customer}/keyPersons/cto"), mood);
    t.occur_time = Some(prost_types::Timestamp {
        seconds: at,
        nanos: 0,
    });
    t.emotional_state = Some(pb::EmotionalState {
        mood: mood as i32,
        intensity,
    });
    t.strategic_anxiety = anxiety.into();
    app.call(pb::RecordTouchpointRequest {
        parent: format!("customers/{customer}"),
        touchpoint: Some(t),
        request_id: String::new(),
    })
    .await;
}

async fn dashboard_matches_the_documented_index(backend: Backend) {
    let app = spawn_app(backend).await;
    for id in ["calm", "angry"] {
        app.customer(id, pb::Industry::Finance, "PT").await;
        app.key_person(id, "cto").await;
    }
    feel(&app, "calm", pb::Mood::Satisfied, 5, JULY, "Budget cuts").await;
    feel(
        &app,
        "calm",
        pb::Mood::Delighted,
        5,
        SEPTEMBER,
        "Budget cuts",
    )
    .await;
    feel(&app, "angry", pb::Mood::Angry, 4, JULY, "Regulator fines").await;
    feel(
        &app,
        "angry",
        pb::Mood::Angry,
        4,
        JULY + 3600,
        "Regulator fines",
    )
    .await;
    feel(
        &app,
        "angry",
        pb::Mood::Angry,
        4,
        JULY - 90 * 86_400,
        "Outside the quarter",
    )
    .await;
    app.call(pb::OpenIncidentRequest {
        parent: "customers/angry".into(),
        incident: Some(pb::Incident {
            severity: pb::Severity::Critical as i32,
            summary: "Payment switch down".into(),
            detect_time: Some(prost_types::Timestamp {
                seconds: JULY + 7200,
                nanos: 0,
            }),
            ..Default::default()
        }),
        request_id: String::new(),
    })
    .await;

    let d = app
        .call(pb::GetTrustDashboardRequest {
            customer: "customers/angry".into(),
            quarter: "2026-Q3".into(),
        })
        .await;
    // sentiment (−0.8 + 1) / 2 = 0.1 → 4; one month → 0.5 → 5; one critical → 1/2 → 12.5;
    // never acknowledged → 0; no commitments → 15. Total 36.5.
    let points: Vec<(String, f64)> = d
        .contributions
        .iter()
        .map(|c| (c.input.clone(), (c.points * 1000.0).round() / 1000.0))
        .collect();
    assert_eq!(
        points,
        vec![
            ("sentiment".into(), 4.0),
            ("mood_trend".into(), 5.0),
            ("incident_load".into(), 12.5),
            ("responsiveness".into(), 0.0),
            ("commitments".into(), 15.0),
        ]
    );
    assert!((d.trust_index - 36.5).abs() < 1e-6, "{}", d.trust_index);
    assert_eq!(d.mood_trend.len(), 1);
    assert_eq!(d.mood_trend[0].month, "2026-07");
    assert_eq!(
        d.mood_trend[0].touchpoints, 2,
        "the touchpoint outside the quarter does not count"
    );
    assert_eq!(d.mood_trend[0].dominant_mood, "MOOD_ANGRY");
    assert_eq!(
        d.top_anxieties[0],
        pb::Mention {
            text: "Regulator fines".into(),
            count: 2
        }
    );
    assert_eq!(d.open_incidents, 1);
    // Named, not only counted: the open incident with its times, each key person's
    // months, and explanations whose plurals read right.
    assert_eq!(d.open_incident_summaries.len(), 1);
    let open = &d.open_incident_summaries[0];
    assert_eq!(open.summary, "Payment switch down");
    assert!(open.name.starts_with("customers/angry/incidents/"));
    assert!(open.time_to_acknowledge.is_none());
    assert!(open.open_for.as_ref().is_some_and(|t| t.seconds > 0));
    assert_eq!(d.key_person_moods.len(), 1);
    let cto = &d.key_person_moods[0];
    assert_eq!(cto.key_person, "customers/angry/keyPersons/cto");
    assert_eq!(cto.display_name, "Dr. Anna Weber");
    assert_eq!(cto.title, "CTO");
    assert_eq!(cto.months.len(), 1);
    assert_eq!(cto.months[0].touchpoints, 2);
    assert_eq!(cto.months[0].dominant_mood, "MOOD_ANGRY");
    let explained: Vec<&str> = d
        .contributions
        .iter()
        .map(|c| c.explanation.as_str())
        .collect();
    assert!(explained[0].starts_with("2 touchpoints,"), "{explained:?}");
    assert!(explained[2].starts_with("1 incident,"), "{explained:?}");

    // The customer's own people see their board; others do not.
    let own = app.keys.customer("angry", &["customer-executive"]);
    assert!(
        app.by(&own)
            .try_call(pb::GetTrustDashboardRequest {
                customer: "customers/angry".into(),
                quarter: "2026-Q3".into()
            })
            .await
            .is_ok()
    );
    let other = app.keys.customer("calm", &["customer-executive"]);
    let hidden = app
        .by(&other)
        .try_call(pb::GetTrustDashboardRequest {
            customer: "customers/angry".into(),
            quarter: "2026-Q3".into(),
        })
        .await;
    assert_eq!(code(hidden), Code::NotFound);
    let ranking_denied = app
        .by(&own)
        .try_call(pb::RankCustomersForAttentionRequest {
            quarter: "2026-Q3".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(code(ranking_denied), Code::PermissionDenied);
    let bad = app
        .try_call(pb::GetTrustDashboardRequest {
            customer: "angry".into(),
            quarter: "Q3".into(),
        })
        .await;
    assert_invalid(bad, &["customer", "quarter"]);

    // The angry customer with an open critical incident comes first, with its reasons.
    let ranking = app
        .call(pb::RankCustomersForAttentionRequest {
            quarter: "2026-Q3".into(),
            ..Default::default()
        })
        .await;
    let order: Vec<&str> = ranking
        .customers
        .iter()
        .map(|c| c.customer.as_str())
        .collect();
    assert_eq!(order, vec!["customers/angry", "customers/calm"]);
    assert!((ranking.customers[0].attention - (100.0 - 36.5 + 10.0)).abs() < 1e-6);
    assert_eq!(ranking.customers[0].reasons[0], "1 open critical incident");
    assert!(
        ranking.customers[0].reasons[0].contains("open critical"),
        "{:?}",
        ranking.customers[0].reasons
    );
    assert!(ranking.customers[1].trust_index > 80.0);
    // The ranking reads every customer's quarter at once; each figure is that
    // customer's own board.
    for ranked in &ranking.customers {
        let board = app
            .call(pb::GetTrustDashboardRequest {
                customer: ranked.customer.clone(),
                quarter: "2026-Q3".into(),
            })
            .await;
        assert_eq!(board.trust_index, ranked.trust_index, "{}", ranked.customer);
    }
}

both_backends!(dashboard_matches_the_documented_index);
