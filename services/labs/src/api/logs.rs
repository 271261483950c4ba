//! The live optimisation log: appends (unary batch and client stream), watching
//! (replay, then follow), listing, verification and the access audit trail.

use super::{Api, access::*, convert, labs::list_pb};
use crate::{
    chain::Verifier,
    fanout::{Read, Subscription},
    store::{self, AccessRow, LogEntryRow, NewEntry},
    wire::{self, Batch, Encoded},
};
use futures::{Stream, StreamExt};
use std::{pin::Pin, sync::Arc, time::Duration};
use symbolon_contracts::labs::v1::{self as pb, MemberRole};
use symbolon_platform::{
    Caller, Violations,
    aip::{next_token, page, request_key, text},
    paging, status,
};
use tonic::{Status, Streaming};

/// Most entries in one append.
pub(crate) const MAX_BATCH: usize = 1000;
/// Entries read per database query while replaying.
const REPLAY_PAGE: i64 = 500;
/// How often a live watcher's membership is checked again.
const RECHECK: Duration = Duration::from_secs(5);

fn parse_entries(entries: Vec<pb::LogEntry>, v: &mut Violations) -> Vec<NewEntry> {
    if entries.is_empty() || entries.len() > MAX_BATCH {
        v.add("entries", format!("between 1 and {MAX_BATCH} entries"));
    }
    entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            text(
                v,
                &format!("entries[{i}].component"),
                &e.component,
                true,
                100,
            );
            text(
                v,
                &format!("entries[{i}].message"),
                &e.message,
                true,
                10_000,
            );
            if e.attributes.len() > 100 {
                v.add(format!("entries[{i}].attributes"), "at most 100 attributes");
            }
            for (k, val) in &e.attributes {
                if k.is_empty() || k.len() > 100 || val.len() > 1000 {
                    v.add(
                        format!("entries[{i}].attributes"),
                        "keys are 1-100 characters, values at most 1000",
                    );
                    break;
                }
            }
            NewEntry {
                component: e.component.trim().to_string(),
                message: e.message,
                attributes: e.attributes.into_iter().collect(),
            }
        })
        .collect()
}

/// Appends one batch for `method` (`AppendLogEntries`, or `StreamLogEntries` per
/// message): a request id is scoped to the method it came with, as everywhere.
pub(crate) async fn append(
    api: &Api,
    c: &Arc<Caller>,
    method: &str,
    r: pb::AppendLogEntriesRequest,
) -> Result<Vec<LogEntryRow>, Status> {
    let ids = parse("parent", &r.parent, &["labs"])?;
    let mut v = Violations::new();
    let key = request_key(c, method, &r.parent, &r, &mut v);
    let entries = parse_entries(r.entries, &mut v);
    v.into_result()?;
    let a = open(&api.db, c, ids[0]).await?;
    if !c.is_vendor() {
        return Err(status::permission_denied(
            "only vendor engineers append to the log",
        ));
    }
    a.require(&[MemberRole::VendorEngineer], "appending to the log")?;
    let key = key.map(|k| format!("{}:{k}", a.id()));
    let rows = store::append_log(&api.db, a.id(), entries, &c.subject, api.clock.now(), key)
        .await?
        .ok_or_else(|| status::not_found(&r.parent))?;
    api.fanout.wake(a.id());
    Ok(rows)
}

pub(crate) async fn append_log_entries(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::AppendLogEntriesRequest,
) -> Result<pb::AppendLogEntriesResponse, Status> {
    let rows = append(api, c, "AppendLogEntries", r).await?;
    Ok(pb::AppendLogEntriesResponse {
        entries: rows.iter().map(convert::log_entry).collect(),
    })
}

pub(crate) async fn stream_log_entries(
    api: &Api,
    c: &Arc<Caller>,
    mut s: Streaming<pb::AppendLogEntriesRequest>,
) -> Result<pb::StreamLogEntriesResponse, Status> {
    let mut out = pb::StreamLogEntriesResponse::default();
    let mut parent: Option<String> = None;
    while let Some(msg) = s.message().await? {
        match &parent {
            None => parent = Some(msg.parent.clone()),
            Some(p) if *p != msg.parent => {
                return Err(status::invalid_argument(
                    "parent",
                    "every message of one stream must name the same lab",
                ));
            }
            Some(_) => {}
        }
        // Each message is checked and appended on its own: access is re-checked per
        // batch, so a member removed mid-stream stops being able to append.
        let rows = append(api, c, "StreamLogEntries", msg).await?;
        out.entries_appended += rows.len() as i64;
        if let Some(last) = rows.last() {
            out.last_sequence = last.seq;
        }
    }
    Ok(out)
}

/// A stream of encoded watch events (see [`crate::wire`]).
pub(crate) type WatchStream = Pin<Box<dyn Stream<Item = Result<Encoded, Status>> + Send>>;

/// The same events as protobuf messages.
pub(crate) type DecodedWatchStream =
    Pin<Box<dyn Stream<Item = Result<pb::WatchLogEntriesResponse, Status>> + Send>>;

pub(crate) async fn watch_log_entries(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::WatchLogEntriesRequest,
) -> Result<WatchStream, Status> {
    let ids = parse("parent", &r.parent, &["labs"])?;
    let mut v = Violations::new();
    if r.start_sequence < 0 {
        v.add("start_sequence", "must not be negative");
    }
    if r.max_batch_entries < 0 {
        v.add("max_batch_entries", "must not be negative");
    }
    v.into_result()?;
    let a = open(&api.db, c, ids[0]).await?;
    let next = if r.start_sequence == 0 {
        a.lab.last_seq + 1
    } else {
        r.start_sequence
    };
    a.audit_read(api, "WatchLogEntries", format!("from sequence {next}"))
        .await?;
    let w = Watcher {
        api: api.clone(),
        caller: c.clone(),
        lab_id: a.id().to_string(),
        pos: Position {
            next,
            max_batch_entries: usize::try_from(r.max_batch_entries)
                .unwrap_or(0)
                .min(wire::MAX_BATCH_ENTRIES),
        },
        phase: Phase::Replay(None),
    };
    // Each step yields every event available at once; tonic encodes ready events into
    // one buffer, so a burst of entries leaves as one DATA frame.
    Ok(Box::pin(
        futures::stream::unfold(w, |mut w| async move {
            let events = w.step().await?;
            Some((futures::stream::iter(events), w))
        })
        .flatten(),
    ))
}

/// Where a watcher is.
enum Phase {
    /// Replaying stored entries; subscribed once the replay has caught up once (then
    /// one more pass covers entries committed between the replay and the subscription).
    Replay(Option<Subscription>),
    /// Following the lab's hub.
    Follow(Subscription, tokio::time::Interval),
    /// The stream has ended.
    Done,
}

/// One watcher: a state machine polled by its stream (no task of its own, so a
/// published batch wakes each watcher once, directly).
struct Watcher {
    api: Api,
    caller: Arc<Caller>,
    lab_id: String,
    pos: Position,
    phase: Phase,
}

/// What a watcher has delivered, and how it delivers.
struct Position {
    /// The next sequence to deliver.
    next: i64,
    /// 0: one `entry` event per entry; else at most this many per `entries` event.
    max_batch_entries: usize,
}

type Events = Vec<Result<Encoded, Status>>;

fn shutting_down(next: i64) -> Status {
    status::unavailable(format!(
        "the server is shutting down; resume from sequence {next}"
    ))
}

impl Position {
    /// Encodes entries read from the store (in sequence order, from `self.next` on)
    /// and moves past them. Runs of consecutive entries are encoded together; a hole
    /// in the store (entries removed behind the service's back, which `VerifyLog`
    /// reports) is skipped rather than waited for.
    fn stored(&mut self, rows: &[LogEntryRow], out: &mut Events) {
        let mut i = 0;
        while i < rows.len() {
            let mut j = i + 1;
            while j < rows.len() && rows[j].seq == rows[j - 1].seq + 1 {
                j += 1;
            }
            if rows[j - 1].seq >= self.next {
                let batch = Batch::encode(&rows[i..j]);
                self.next = self.next.max(batch.first());
                self.shared(&batch, out);
            }
            i = j;
        }
    }

    /// The events for `batch`'s entries from `self.next` on.
    fn shared(&mut self, batch: &Batch, out: &mut Events) {
        if batch.last() < self.next || batch.first() > self.next {
            return;
        }
        batch.events(self.next, self.max_batch_entries, |e| out.push(Ok(e)));
        self.next = batch.last() + 1;
    }
}

impl Watcher {
    /// The next events to send; `None` once the stream has ended.
    async fn step(&mut self) -> Option<Events> {
        match self.try_step().await {
            Ok(Some(events)) => Some(events),
            Ok(None) => {
                self.phase = Phase::Done;
                None
            }
            Err(status) => {
                self.phase = Phase::Done;
                Some(vec![Err(status)])
            }
        }
    }

    async fn try_step(&mut self) -> Result<Option<Events>, Status> {
        let mut out = Events::new();
        loop {
            match &mut self.phase {
                Phase::Done => return Ok(None),
                Phase::Replay(_) => {
                    let rows = tokio::select! {
                        _ = self.api.shutdown.cancelled() => return Err(shutting_down(self.pos.next)),
                        r = store::log_range(&self.api.db, &self.lab_id, self.pos.next, None, REPLAY_PAGE) => r?,
                    };
                    let more = rows.len() as i64 == REPLAY_PAGE;
                    self.pos.stored(&rows, &mut out);
                    if !more {
                        // Caught up: subscribe (then replay once more), or follow.
                        self.phase = match std::mem::replace(&mut self.phase, Phase::Done) {
                            Phase::Replay(Some(sub)) => {
                                let mut recheck = tokio::time::interval(RECHECK);
                                recheck.reset();
                                Phase::Follow(sub, recheck)
                            }
                            _ => Phase::Replay(Some(self.api.fanout.subscribe(&self.lab_id))),
                        };
                    }
                    if !out.is_empty() {
                        return Ok(Some(out));
                    }
                }
                Phase::Follow(sub, recheck) => {
                    if sub.head() >= self.pos.next {
                        match sub.read(self.pos.next) {
                            Read::Entries(batches) => {
                                for b in &batches {
                                    self.pos.shared(b, &mut out);
                                }
                                if !out.is_empty() {
                                    return Ok(Some(out));
                                }
                            }
                            Read::Missing { to } => {
                                // Not in the ring: read it from the store.
                                let rows = store::log_range(
                                    &self.api.db,
                                    &self.lab_id,
                                    self.pos.next,
                                    Some(to),
                                    REPLAY_PAGE,
                                )
                                .await?;
                                self.pos.stored(&rows, &mut out);
                                if !out.is_empty() {
                                    return Ok(Some(out));
                                }
                                tracing::warn!(
                                    lab = %self.lab_id,
                                    "log entries {}..={to} are missing from the store; skipped",
                                    self.pos.next
                                );
                                self.pos.next = to + 1;
                                continue;
                            }
                            Read::FellBehind => {
                                // Too slow to keep up: tell the watcher where to resume
                                // and end the stream, rather than buffer without bound.
                                self.phase = Phase::Done;
                                return Ok(Some(vec![Ok(Encoded::message(
                                    &pb::WatchLogEntriesResponse {
                                        event: Some(
                                            pb::watch_log_entries_response::Event::FellBehind(
                                                pb::FellBehind {
                                                    resume_sequence: self.pos.next,
                                                },
                                            ),
                                        ),
                                    },
                                ))]));
                            }
                        }
                    }
                    tokio::select! {
                        _ = self.api.shutdown.cancelled() => return Err(shutting_down(self.pos.next)),
                        _ = recheck.tick() => {
                            // Membership may have been revoked: the lab then no longer
                            // exists for this caller.
                            open(&self.api.db, &self.caller, &self.lab_id).await?;
                        }
                        _ = sub.changed() => {}
                    }
                }
            }
        }
    }
}

pub(crate) async fn list_log_entries(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::ListLogEntriesRequest,
) -> Result<pb::ListLogEntriesResponse, Status> {
    let ids = parse("parent", &r.parent, &["labs"])?;
    let query = format!("log;{}", r.parent);
    let mut v = Violations::new();
    let (limit, after) = page(r.page_size, &r.page_token, &query, &mut v);
    if r.after_sequence < 0 {
        v.add("after_sequence", "must not be negative");
    }
    v.into_result()?;
    let after: i64 = match after {
        Some(a) => a.parse().map_err(|_| {
            status::invalid_argument("page_token", paging::PageError::BadToken.to_string())
        })?,
        None => r.after_sequence,
    };
    let a = open(&api.db, c, ids[0]).await?;
    let detail = format!("after sequence {after}, up to {limit} entries");
    a.audit_read(api, "ListLogEntries", detail).await?;
    let rows = store::log_range(&api.db, a.id(), after + 1, None, limit).await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|l| l.seq.to_string()))
        .flatten();
    let ends = rows.iter().map(|l| l.seq.to_string()).collect();
    let mut entries = rows.iter().map(convert::log_entry).collect();
    let next = paging::Next::new(ends, next, api.db.page_bytes()).fit(&mut entries);
    Ok(pb::ListLogEntriesResponse {
        entries,
        next_page_token: next_token(next, &query),
    })
}

pub(crate) async fn verify_log(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::VerifyLogRequest,
) -> Result<pb::VerifyLogResponse, Status> {
    let a = open_named(&api.db, c, "parent", &r.parent).await?;
    a.audit_read(api, "VerifyLog", "whole log".into()).await?;
    let mut verifier = Verifier::new();
    let mut from = 1;
    'pages: loop {
        let rows = store::log_range(&api.db, a.id(), from, None, 1000).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            if !verifier.push(&row.exported()) {
                break 'pages;
            }
            from = row.seq + 1;
        }
    }
    let v = verifier.finish(Some(a.lab.last_seq));
    Ok(pb::VerifyLogResponse {
        valid: v.valid,
        entries_checked: v.checked,
        first_bad_sequence: v.first_bad_sequence,
        reason: v.reason,
        head_hash: v.head,
    })
}

pub(crate) async fn list_access_records(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::ListAccessRecordsRequest,
) -> Result<pb::ListAccessRecordsResponse, Status> {
    let a = open_named(&api.db, c, "parent", &r.parent).await?;
    let (access_records, next_page_token) = list_pb::<AccessRow, _>(
        api,
        a.id(),
        &format!("access;{}", r.parent),
        (r.page_size, &r.page_token),
        convert::access_record,
    )
    .await?;
    Ok(pb::ListAccessRecordsResponse {
        access_records,
        next_page_token,
    })
}
