//! The customers service down: fast UNAVAILABLE and nothing half-written. Two replicas
//! on one PostgreSQL database: gap-free sequence numbers and live delivery across them.

use crate::helpers::*;
use std::time::{Duration, Instant};
use symbolon_contracts::labs::v1::{self as pb, MemberRole};
use symbolon_testkit::{Backend, authed, both_backends};
use tonic::Code;

/// Asserts a call refused UNAVAILABLE within 3 s of `t`, not left to its deadline.
fn unavailable_within_3s<T: std::fmt::Debug>(r: Result<T, tonic::Status>, t: Instant) {
    let err = r.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
}

async fn customers_down_is_unavailable_fast_and_writes_nothing(backend: Backend) {
    let w = world(backend).await;
    // A replica of labs whose customers service is unreachable.
    let mut down = w.replica(&dead_url().await, 4096).await;
    let t = Instant::now();
    let refused = down
        .create_lab(authed(
            &w.admin,
            pb::CreateLabRequest {
                lab: Some(pb::Lab {
                    customer: "customers/acme".into(),
                    display_name: "Lab while down".into(),
                    ..Default::default()
                }),
                lab_id: "down".into(),
                request_id: symbolon_testkit::request_id(),
            },
        ))
        .await;
    unavailable_within_3s(refused, t);
    let t = Instant::now();
    let refused = down
        .create_member(authed(
            &w.admin,
            key_person_member_request(LAB, "intern", INTERN, vec![MemberRole::Observer]),
        ))
        .await;
    unavailable_within_3s(refused, t);
    // Nothing was written.
    let labs = w.call(pb::ListLabsRequest::default()).await.labs;
    assert_eq!(labs.len(), 1);
    let err = w
        .try_call(pb::GetMemberRequest {
            name: format!("{LAB}/members/intern"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // Reads and appends that need no customers check still work on that replica.
    down.append_log_entries(authed(&w.eng(), append_request(LAB, 1, 2)))
        .await
        .unwrap();
}

async fn two_replicas_append_gap_free_and_deliver_live_across(backend: Backend) {
    let w = world(backend).await;
    let other = w.replica(&w.customers_url, 4096).await;
    // Watchers on replica B see what is appended on replica A, live: one entry per
    // event, and batched.
    let watch = |max_batch_entries| {
        let mut c = other.clone();
        let token = w.ceng();
        async move {
            c.watch_log_entries(authed(
                &token,
                pb::WatchLogEntriesRequest {
                    parent: LAB.into(),
                    start_sequence: 1,
                    max_batch_entries,
                },
            ))
            .await
            .unwrap()
            .into_inner()
        }
    };
    let mut s = watch(0).await;
    let mut batched = watch(64).await;
    // Both replicas append at once.
    let mut tasks = Vec::new();
    for client in [w.client(), other.clone(), w.client(), other.clone()] {
        let eng = w.eng();
        tasks.push(tokio::spawn(async move {
            let mut c = client;
            for i in 0..10 {
                c.append_log_entries(authed(&eng, append_request(LAB, i * 10, 10)))
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let got = take_entries(&mut s, 400).await;
    assert_eq!(got, (1..=400).collect::<Vec<_>>());
    let (got, _) = take_batched(&mut batched, 400, 64).await;
    assert_eq!(got, (1..=400).collect::<Vec<_>>());
    let v = w
        .by(&w.eng())
        .call(pb::VerifyLogRequest { parent: LAB.into() })
        .await;
    assert!(v.valid && v.entries_checked == 400, "{v:?}");
}

async fn many_concurrent_appends_get_consecutive_ranges(backend: Backend) {
    let w = world(backend).await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let append = w.by(&w.eng()).try_call(append_request(LAB, i * 10, 10));
        tasks.push(tokio::spawn(append));
    }
    let mut ranges = Vec::new();
    for t in tasks {
        let entries = t.await.unwrap().unwrap().entries;
        let seqs: Vec<i64> = entries.iter().map(|e| e.sequence).collect();
        // Each batch is one consecutive range.
        assert_eq!(seqs, (seqs[0]..seqs[0] + 10).collect::<Vec<_>>());
        ranges.push(seqs[0]);
    }
    ranges.sort();
    assert_eq!(ranges, (0..60).map(|i| 1 + i * 10).collect::<Vec<_>>());
}

both_backends!(
    customers_down_is_unavailable_fast_and_writes_nothing,
    two_replicas_append_gap_free_and_deliver_live_across,
    many_concurrent_appends_get_consecutive_ranges
);
