//! Touchpoints: mandatory emotional fields, append-only corrections, filters.

use crate::helpers::*;
use crate::requests;
use symbolon_contracts::customers::v1 as pb;
use symbolon_testkit::{Backend, authed, both_backends};
use tonic::Code;

async fn every_missing_emotional_field_is_named(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", pb::Industry::TelecomOperator, "DE")
        .await;
    app.key_person("acme", "anna").await;
    let bare = pb::Touchpoint {
        kind: pb::TouchpointKind::Meeting as i32,
        key_person: "customers/acme/keyPersons/anna".into(),
        occur_time: Some(now()),
        ..Default::default()
    };
    let r = app.try_call(requests::record("customers/acme", bare)).await;
    assert_invalid(
        r,
        &[
            "touchpoint.emotional_state.mood",
            "touchpoint.emotional_state.intensity",
            "touchpoint.strategic_anxiety",
            "touchpoint.implicit_expectations",
        ],
    );
    for intensity in [0, 6] {
        let mut t = touchpoint_message("customers/acme/keyPersons/anna", pb::Mood::Angry);
        t.emotional_state = Some(pb::EmotionalState {
            mood: pb::Mood::Angry as i32,
            intensity,
        });
        let r = app.try_call(requests::record("customers/acme", t)).await;
        assert_invalid(r, &["touchpoint.emotional_state.intensity"]);
    }
    let listed = app
        .call(pb::ListTouchpointsRequest {
            parent: "customers/acme".into(),
            ..Default::default()
        })
        .await;
    assert!(
        listed.touchpoints.is_empty(),
        "a refused touchpoint leaves nothing behind"
    );
}

async fn corrections_are_new_touchpoints(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", pb::Industry::TelecomOperator, "DE")
        .await;
    app.key_person("acme", "anna").await;
    let original = app.touchpoint("acme", "anna", pb::Mood::Calm).await;
    let mut fix = touchpoint_message("customers/acme/keyPersons/anna", pb::Mood::Anxious);
    fix.corrects = original.name.clone();
    let correction = app
        .call(requests::record("customers/acme", fix.clone()))
        .await;
    assert_eq!(correction.corrects, original.name);
    let reread = app
        .call(pb::GetTouchpointRequest {
            name: original.name.clone(),
        })
        .await;
    assert_eq!(reread.corrected_by, correction.name);
    assert_eq!(
        reread.emotional_state.unwrap().mood,
        pb::Mood::Calm as i32,
        "the original is unchanged"
    );
    let second = app.try_call(requests::record("customers/acme", fix)).await;
    assert_eq!(code(second), Code::FailedPrecondition);
}

async fn list_filters_by_mood_kind_person_and_time(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", pb::Industry::TelecomOperator, "DE")
        .await;
    app.key_person("acme", "anna").await;
    app.key_person("acme", "jonas").await;
    app.touchpoint("acme", "anna", pb::Mood::Angry).await;
    app.touchpoint("acme", "anna", pb::Mood::Satisfied).await;
    app.touchpoint("acme", "jonas", pb::Mood::Angry).await;
    let list = |filter: &str| pb::ListTouchpointsRequest {
        parent: "customers/acme".into(),
        filter: filter.into(),
        ..Default::default()
    };
    let angry = app.call(list("mood = ANGRY")).await;
    assert_eq!(angry.touchpoints.len(), 2);
    let anna_angry = app
        .call(list(
            r#"mood = MOOD_ANGRY AND key_person = "customers/acme/keyPersons/anna""#,
        ))
        .await;
    assert_eq!(anna_angry.touchpoints.len(), 1);
    let future = app
        .call(list(
            r#"occur_time >= "2999-01-01T00:00:00Z" AND kind = INCIDENT"#,
        ))
        .await;
    assert!(future.touchpoints.is_empty());
    let past = app
        .call(list(
            r#"occur_time >= "2000-01-01T00:00:00Z" AND kind = INCIDENT"#,
        ))
        .await;
    assert_eq!(past.touchpoints.len(), 3);
    let bad = app.try_call(list("mood = HANGRY")).await;
    assert_invalid(bad, &["filter"]);
}

async fn key_person_must_belong_to_the_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", pb::Industry::TelecomOperator, "DE")
        .await;
    app.customer("other", pb::Industry::Finance, "PT").await;
    app.key_person("other", "bob").await;
    let t = touchpoint_message("customers/other/keyPersons/bob", pb::Mood::Calm);
    let r = app.try_call(requests::record("customers/acme", t)).await;
    assert_invalid(r, &["touchpoint.key_person"]);
}

/// The one-statement insert falls back to the checks one by one, which answer exactly:
/// an unknown key person of the right customer, an unknown parent, a retried request.
async fn failed_conditions_and_retries_answer_exactly(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", pb::Industry::TelecomOperator, "DE")
        .await;
    app.key_person("acme", "anna").await;
    let record = |parent: &str, key_person: &str, request_id: &str| {
        let req = pb::RecordTouchpointRequest {
            parent: parent.into(),
            touchpoint: Some(touchpoint_message(key_person, pb::Mood::Calm)),
            request_id: request_id.into(),
        };
        let mut client = app.client();
        let admin = app.admin.clone();
        async move { client.record_touchpoint(authed(&admin, req)).await }
    };
    let r = record("customers/acme", "customers/acme/keyPersons/nobody", "").await;
    assert_invalid(r, &["touchpoint.key_person"]);
    let r = record("customers/ghost", "customers/ghost/keyPersons/anna", "").await;
    assert_eq!(r.unwrap_err().code(), Code::NotFound);
    let id = "6f1c9b1e-3f5a-4c61-9a55-2d0c7a1e9b10";
    let first = record("customers/acme", "customers/acme/keyPersons/anna", id)
        .await
        .unwrap()
        .into_inner();
    let again = record("customers/acme", "customers/acme/keyPersons/anna", id)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        first.name, again.name,
        "a retry answers with the first touchpoint"
    );
}

/// A time filter pages in (occur time, id) order: recorded out of time order, the
/// touchpoints come back oldest first, each once, across pages of two; a touchpoint
/// recorded between two pages, before the cursor, does not shift the pages.
async fn time_filtered_pages_follow_occur_time(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", pb::Industry::TelecomOperator, "DE")
        .await;
    app.key_person("acme", "anna").await;
    let base = now().seconds - 10_000;
    let record = |offset: i64| {
        let mut t = touchpoint_message("customers/acme/keyPersons/anna", pb::Mood::Calm);
        t.occur_time = Some(prost_types::Timestamp {
            seconds: base + offset,
            nanos: 0,
        });
        let mut client = app.client();
        let admin = app.admin.clone();
        async move {
            client
                .record_touchpoint(authed(&admin, requests::record("customers/acme", t)))
                .await
                .unwrap()
                .into_inner()
        }
    };
    for offset in [50, 10, 40, 20, 30] {
        record(offset).await;
    }
    let filter = format!(
        r#"occur_time >= "{}""#,
        prost_types::Timestamp {
            seconds: base + 15,
            nanos: 0
        }
    );
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .call(pb::ListTouchpointsRequest {
                parent: "customers/acme".into(),
                filter: filter.clone(),
                page_size: 2,
                page_token: token.clone(),
            })
            .await;
        if seen.is_empty() {
            // Older than the cursor: it must not show up, nor push a row off a page.
            record(16).await;
        }
        seen.extend(
            page.touchpoints
                .iter()
                .map(|t| t.occur_time.map_or(0, |o| o.seconds - base)),
        );
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, vec![20, 30, 40, 50]);
}

/// Records a touchpoint of anna's at `secs_ago` seconds before now; returns its name.
async fn record_at(app: &TestApp, secs_ago: i64) -> String {
    let mut t = touchpoint_message("customers/acme/keyPersons/anna", pb::Mood::Calm);
    let mut at = now();
    at.seconds -= secs_ago;
    t.occur_time = Some(at);
    app.call(requests::record("customers/acme", t)).await.name
}

/// Keyset pages hold under writes: while a client pages through the touchpoints (in id
/// order, and in occur-time order under a time filter), new ones are recorded between
/// its pages, some sorting before its position and some after. Every touchpoint that
/// existed when it started is listed exactly once, and nothing is listed twice.
async fn pages_never_skip_or_repeat_under_concurrent_writes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("acme", pb::Industry::TelecomOperator, "DE")
        .await;
    app.key_person("acme", "anna").await;
    let mut before = std::collections::BTreeSet::new();
    for i in 0..40 {
        before.insert(record_at(&app, 1000 + i * 10).await);
    }
    for filter in ["", r#"occur_time >= "2000-01-01T00:00:00Z""#] {
        let mut seen = Vec::new();
        let mut token = String::new();
        let mut written = 0;
        loop {
            let page = app
                .call(pb::ListTouchpointsRequest {
                    parent: "customers/acme".into(),
                    filter: filter.into(),
                    page_size: 7,
                    page_token: token.clone(),
                })
                .await;
            seen.extend(page.touchpoints.into_iter().map(|t| t.name));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
            // Between pages: one older than everything, one newer, one in the middle.
            for secs_ago in [5000, 0, 1200] {
                record_at(&app, secs_ago + written).await;
                written += 1;
            }
        }
        let unique: std::collections::BTreeSet<_> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "a row listed twice ({filter:?})");
        let missing: Vec<_> = before.difference(&unique).collect();
        assert!(missing.is_empty(), "skipped {missing:?} ({filter:?})");
        assert!(written > 0, "writes happened between pages");
    }
}

both_backends!(
    every_missing_emotional_field_is_named,
    corrections_are_new_touchpoints,
    list_filters_by_mood_kind_person_and_time,
    time_filtered_pages_follow_occur_time,
    key_person_must_belong_to_the_customer,
    failed_conditions_and_retries_answer_exactly,
    pages_never_skip_or_repeat_under_concurrent_writes,
);
