//! The live optimisation log: replay-then-follow across reconnects, backpressure, the
//! hash chain (tampering detected online and offline), idempotent appends, the access
//! audit trail.

use crate::helpers::*;
use std::time::{Duration, Instant};
use symbolon_contracts::labs::v1::{self as pb, watch_log_entries_response::Event};
use symbolon_testkit::{Backend, authed, both_backends, call};
use tonic::Code;

async fn watch(w: &World, token: &str, from: i64) -> tonic::Streaming<pb::WatchLogEntriesResponse> {
    watch_batched(w, token, from, 0).await
}

async fn watch_batched(
    w: &World,
    token: &str,
    from: i64,
    max_batch_entries: i32,
) -> tonic::Streaming<pb::WatchLogEntriesResponse> {
    w.client()
        .watch_log_entries(authed(
            token,
            pb::WatchLogEntriesRequest {
                parent: LAB.into(),
                start_sequence: from,
                max_batch_entries,
            },
        ))
        .await
        .expect("watch")
        .into_inner()
}

async fn replay_then_follow_and_resume_without_gaps_or_duplicates(backend: Backend) {
    let w = world(backend).await;
    let eng = w.eng();
    w.append(&eng, LAB, 1, 10).await;
    let mut s = watch(&w, &w.ceng(), 1).await;
    // Replay of what is stored…
    assert_eq!(take_entries(&mut s, 10).await, (1..=10).collect::<Vec<_>>());
    // …then live entries as they are appended.
    w.append(&eng, LAB, 11, 3).await;
    assert_eq!(take_entries(&mut s, 3).await, vec![11, 12, 13]);
    // The watcher disconnects; more entries are appended meanwhile.
    drop(s);
    w.append(&eng, LAB, 14, 4).await;
    w.append(&eng, LAB, 18, 3).await;
    // Reconnecting from the next sequence delivers exactly the missed entries, in
    // order, and then follows live again.
    let mut s = watch(&w, &w.ceng(), 14).await;
    assert_eq!(take_entries(&mut s, 7).await, (14..=20).collect::<Vec<_>>());
    let appender = {
        let channel = w.labs_channel.clone();
        let eng = eng.clone();
        tokio::spawn(async move {
            for i in 0..5 {
                call(&channel, &eng, append_request(LAB, 21 + i, 1))
                    .await
                    .unwrap();
            }
        })
    };
    assert_eq!(take_entries(&mut s, 5).await, (21..=25).collect::<Vec<_>>());
    appender.await.unwrap();
    // Nothing more arrives: no duplicates.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), s.message())
            .await
            .is_err()
    );
    // start_sequence 0 means "only new entries".
    let mut s = watch(&w, &w.cto(), 0).await;
    w.append(&eng, LAB, 26, 1).await;
    assert_eq!(take_entries(&mut s, 1).await, vec![26]);
}

async fn a_slow_watcher_does_not_block_appends_and_is_told_to_resume(backend: Backend) {
    // A ring of 32 entries per lab.
    let w = world_with(backend, 32).await;
    let eng = w.eng();
    // Two stalled watchers: one entry per event, and batched.
    let slow = watch(&w, &w.ceng(), 1).await;
    let slow_batched = watch_batched(&w, &w.ceng(), 1, 50).await;
    let total = 3000;
    let started = Instant::now();
    for b in 0..30 {
        let mut req = append_request(LAB, 1 + b * 100, 100);
        for e in &mut req.entries {
            e.message = format!("{} {}", e.message, "x".repeat(2000));
        }
        let t = Instant::now();
        w.by(&eng).call(req).await;
        assert!(
            t.elapsed() < Duration::from_secs(3),
            "an append waited for a watcher"
        );
    }
    eprintln!(
        "{total} entries appended in {:?} with a stalled watcher",
        started.elapsed()
    );
    // The watcher now reads: a contiguous prefix, then "fell behind" with where to
    // resume; resuming delivers the rest, contiguous.
    for (mut slow, batched) in [(slow, false), (slow_batched, true)] {
        let mut seen: Vec<i64> = Vec::new();
        let resume = loop {
            match next_event(&mut slow).await {
                Some(Event::Entry(e)) if !batched => seen.push(e.sequence),
                Some(Event::Entries(b)) if batched => {
                    assert!(b.entries.len() <= 50);
                    seen.extend(b.entries.iter().map(|e| e.sequence));
                }
                Some(Event::FellBehind(f)) => break f.resume_sequence,
                other => panic!("unexpected {other:?} (batched: {batched})"),
            }
        };
        assert_eq!(seen, (1..resume).collect::<Vec<_>>());
        assert!(resume <= total as i64, "the watcher never fell behind");
        assert!(slow.message().await.unwrap().is_none(), "the stream ends");
        let rest = (total as i64 - resume + 1) as usize;
        let rest = if batched {
            let mut s = watch_batched(&w, &w.ceng(), resume, 50).await;
            take_batched(&mut s, rest, 50).await.0
        } else {
            let mut s = watch(&w, &w.ceng(), resume).await;
            take_entries(&mut s, rest).await
        };
        assert_eq!(rest, (resume..=total as i64).collect::<Vec<_>>());
    }
}

async fn batched_watch_delivers_exactly_the_entries_in_order(backend: Backend) {
    let w = world(backend).await;
    let eng = w.eng();
    w.append(&eng, LAB, 1, 10).await;
    // Replay in events of at most 4 entries.
    let mut s = watch_batched(&w, &w.ceng(), 1, 4).await;
    let (got, events) = take_batched(&mut s, 10, 4).await;
    assert_eq!(got, (1..=10).collect::<Vec<_>>());
    assert_eq!(events, 3, "4 + 4 + 2");
    // Live: an append of 25 entries arrives whole, in events of at most 4.
    w.append(&eng, LAB, 11, 25).await;
    let (got, _) = take_batched(&mut s, 25, 4).await;
    assert_eq!(got, (11..=35).collect::<Vec<_>>());
    // Many small appends at once, each entry exactly once and in order.
    let appender = {
        let channel = w.labs_channel.clone();
        let eng = eng.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                call(&channel, &eng, append_request(LAB, 36 + i, 1))
                    .await
                    .unwrap();
            }
        })
    };
    let (got, _) = take_batched(&mut s, 20, 4).await;
    assert_eq!(got, (36..=55).collect::<Vec<_>>());
    appender.await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), s.message())
            .await
            .is_err(),
        "nothing more arrives"
    );
    // A reconnect in the middle delivers exactly the missed entries; a watcher without
    // batching on the same lab still gets one entry per event.
    drop(s);
    w.append(&eng, LAB, 56, 5).await;
    let mut s = watch_batched(&w, &w.ceng(), 50, 1000).await;
    let mut single = watch(&w, &w.ceng(), 58).await;
    let (got, _) = take_batched(&mut s, 11, 1000).await;
    assert_eq!(got, (50..=60).collect::<Vec<_>>());
    assert_eq!(take_entries(&mut single, 3).await, vec![58, 59, 60]);
    w.append(&eng, LAB, 61, 2).await;
    assert_eq!(take_batched(&mut s, 2, 1000).await.0, vec![61, 62]);
    assert_eq!(take_entries(&mut single, 2).await, vec![61, 62]);
    // More than 1000 is taken as 1000; negative is invalid.
    let mut s = watch_batched(&w, &w.ceng(), 1, i32::MAX).await;
    let (got, events) = take_batched(&mut s, 62, 1000).await;
    assert_eq!((got, events), ((1..=62).collect::<Vec<_>>(), 1));
    let err = w
        .client()
        .watch_log_entries(authed(
            &w.ceng(),
            pb::WatchLogEntriesRequest {
                parent: LAB.into(),
                start_sequence: 1,
                max_batch_entries: -1,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
}

async fn exec(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    sqlx::query(sql).execute(&pool).await.unwrap();
    pool.close().await;
}

async fn verify(w: &World) -> pb::VerifyLogResponse {
    w.by(&w.cto())
        .call(pb::VerifyLogRequest { parent: LAB.into() })
        .await
}

async fn tampering_is_detected_online_and_offline(backend: Backend) {
    let w = world(backend).await;
    let entries = w.append(&w.eng(), LAB, 1, 20).await;
    assert_eq!(entries[0].prev_hash, symbolon_labs::chain::GENESIS);
    assert_eq!(entries[1].prev_hash, entries[0].hash);
    let v = verify(&w).await;
    assert!(v.valid, "{v:?}");
    assert_eq!(
        (v.entries_checked, v.head_hash.as_str()),
        (20, entries[19].hash.as_str())
    );
    let exported = symbolon_labs::tools::export_log(w.client(), &w.cto(), LAB)
        .await
        .unwrap();
    assert!(
        symbolon_labs::chain::verify_exported_log(&exported)
            .unwrap()
            .valid
    );

    exec(
        &w.labs_db.url,
        "UPDATE log_entries SET message = 'nothing to see' WHERE lab_id = 'lab1' AND seq = 7",
    )
    .await;
    let v = verify(&w).await;
    assert_eq!((v.valid, v.first_bad_sequence), (false, 7), "{v:?}");
    let exported = symbolon_labs::tools::export_log(w.client(), &w.cto(), LAB)
        .await
        .unwrap();
    let offline = symbolon_labs::chain::verify_exported_log(&exported).unwrap();
    assert_eq!((offline.valid, offline.first_bad_sequence), (false, 7));

    // Removing an entry (even re-linking the next one) is found too.
    exec(
        &w.labs_db.url,
        "DELETE FROM log_entries WHERE lab_id = 'lab1' AND seq = 3",
    )
    .await;
    let v = verify(&w).await;
    assert_eq!((v.valid, v.first_bad_sequence), (false, 3), "{v:?}");
    // Removing the tail is caught by the lab's counter.
    exec(
        &w.labs_db.url,
        "DELETE FROM log_entries WHERE lab_id = 'lab1' AND seq >= 2",
    )
    .await;
    let v = verify(&w).await;
    assert_eq!((v.valid, v.first_bad_sequence), (false, 2), "{v:?}");
}

async fn appends_are_idempotent_and_customer_reads_are_audited(backend: Backend) {
    let w = world(backend).await;
    let mut c = w.client();
    let mut req = append_request(LAB, 1, 3);
    req.request_id = symbolon_testkit::request_id();
    let a = w.by(&w.eng()).call(req.clone()).await;
    let mut other = append_request(LAB, 1, 4);
    other.request_id = req.request_id.clone();
    let b = w.by(&w.eng()).call(req).await;
    assert_eq!(a, b);
    // The same id with another batch appends nothing (the sequence numbers below
    // continue from the first batch) and returns nothing of the first.
    let reused = w.by(&w.eng()).try_call(other).await.unwrap_err();
    symbolon_testkit::assert_request_id_reused(&reused);
    // Client streaming: each message is one batch.
    let out = c
        .stream_log_entries(authed(
            &w.eng(),
            tokio_stream::iter(vec![append_request(LAB, 4, 2), append_request(LAB, 6, 5)]),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((out.entries_appended, out.last_sequence), (7, 10));
    // Customer engineers cannot append.
    let err = w
        .by(&w.ceng())
        .try_call(append_request(LAB, 0, 1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // Reads by the customer's people are recorded; the vendor's are not.
    w.by(&w.ceng())
        .call(pb::ListLogEntriesRequest {
            parent: LAB.into(),
            ..Default::default()
        })
        .await;
    let mut s = watch(&w, &w.ceng(), 5).await;
    take_entries(&mut s, 2).await;
    w.by(&w.eng())
        .call(pb::ListLogEntriesRequest {
            parent: LAB.into(),
            ..Default::default()
        })
        .await;
    let records = w
        .by(&w.cto())
        .call(pb::ListAccessRecordsRequest {
            parent: LAB.into(),
            ..Default::default()
        })
        .await
        .access_records;
    let seen: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r.subject.as_str(), r.method.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("jonas@acme", "ListLogEntries"),
            ("jonas@acme", "WatchLogEntries"),
        ]
    );
}

async fn a_watcher_removed_from_the_lab_is_cut_off(backend: Backend) {
    let w = world(backend).await;
    let mut s = watch(&w, &w.ceng(), 1).await;
    w.call(pb::DeleteMemberRequest {
        name: format!("{LAB}/members/jonas"),
    })
    .await;
    let end = tokio::time::timeout(Duration::from_secs(10), s.message())
        .await
        .expect("ends in time");
    assert_eq!(end.unwrap_err().code(), Code::NotFound);
}

both_backends!(
    replay_then_follow_and_resume_without_gaps_or_duplicates,
    a_slow_watcher_does_not_block_appends_and_is_told_to_resume,
    batched_watch_delivers_exactly_the_entries_in_order,
    tampering_is_detected_online_and_offline,
    appends_are_idempotent_and_customer_reads_are_audited,
    a_watcher_removed_from_the_lab_is_cut_off
);
