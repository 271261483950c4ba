//! Request ids under a race. Binding, replay, refusal of another body and scoping (by
//! organisation, method and parent) are asserted for every method with a request id by
//! the generated matrix, `cli/tests/request_id_matrix.rs`; what it does not do is race.

use crate::helpers::*;
use symbolon_contracts::customers::v1 as pb;
use symbolon_testkit::{Backend, authed, both_backends};
use tonic_types::StatusExt;

const S: &str = "1d4f7a52-93c0-4b8e-8f61-5a7e2c9b0d34";

/// Asserts the answer to a reused request id: INVALID_ARGUMENT, reason
/// REQUEST_ID_REUSED, one violation naming `request_id`.
pub fn assert_reused<T: std::fmt::Debug>(result: Result<T, tonic::Status>) {
    let status = result.expect_err("a reused request id is refused");
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert_eq!(violated_fields(&status), vec!["request_id".to_string()]);
    let info = status.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "REQUEST_ID_REUSED", "{status:?}");
}

async fn touchpoints_of_alpha(app: &TestApp) -> Vec<pb::Touchpoint> {
    app.call(pb::ListTouchpointsRequest {
        parent: "customers/alpha".into(),
        ..Default::default()
    })
    .await
    .touchpoints
}

/// Concurrent calls with one id, half of them with another body: exactly one row, every
/// success is that row, every other call is REQUEST_ID_REUSED.
async fn racing_bodies_with_one_request_id_create_one_row(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("alpha", pb::Industry::Energy, "DE").await;
    app.key_person("alpha", "anna").await;
    let bodies = [pb::Mood::Anxious, pb::Mood::Calm]
        .map(|mood| touchpoint_message("customers/alpha/keyPersons/anna", mood));
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..16 {
        let mut client = app.client();
        let admin = app.admin.clone();
        let body = bodies[i % 2].clone();
        calls.spawn(async move {
            client
                .record_touchpoint(authed(
                    &admin,
                    pb::RecordTouchpointRequest {
                        parent: "customers/alpha".into(),
                        touchpoint: Some(body),
                        request_id: S.into(),
                    },
                ))
                .await
        });
    }
    let results = calls.join_all().await;
    let mut names = std::collections::BTreeSet::new();
    let mut moods = std::collections::BTreeSet::new();
    let mut refused = 0;
    for r in results {
        match r {
            Ok(t) => {
                let t = t.into_inner();
                names.insert(t.name);
                moods.insert(format!("{:?}", t.emotional_state));
            }
            Err(e) => {
                assert_reused::<()>(Err(e));
                refused += 1;
            }
        }
    }
    assert_eq!(names.len(), 1, "{names:?}");
    assert_eq!(moods.len(), 1, "every success is the one row: {moods:?}");
    assert_eq!(refused, 8, "the other body is refused every time");
    let listed = touchpoints_of_alpha(&app).await;
    assert_eq!(listed.len(), 1);
}

both_backends!(racing_bodies_with_one_request_id_create_one_row);
