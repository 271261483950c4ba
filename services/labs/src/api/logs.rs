//! The live optimisation log: appends (unary batch and client stream), watching
//! (replay, then follow), listing, verification and the access audit trail.

use super::{Api, access::*, convert, labs::list_scoped};
use crate::{
    chain::Verifier,
    store::{self, AccessRow, LogEntryRow, NewEntry},
};
use std::{sync::Arc, time::Duration};
use symbolon_contracts::labs::v1::{self as pb, MemberRole};
use symbolon_platform::{
    Caller, Violations,
    aip::{next_token, page, request_key, text},
    paging, status,
};
use tokio::sync::{broadcast::error::RecvError, mpsc};
use tonic::{Status, Streaming};

/// Most entries in one append.
pub(crate) const MAX_BATCH: usize = 1000;
/// Entries read per database query while replaying.
const REPLAY_PAGE: i64 = 500;
/// Messages buffered per watcher between its task and the connection.
const WATCHER_BUFFER: usize = 64;
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

pub(crate) async fn append(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::AppendLogEntriesRequest,
) -> Result<Vec<LogEntryRow>, Status> {
    let ids = parse("parent", &r.parent, &["labs"])?;
    let mut v = Violations::new();
    let key = request_key(c, &r.request_id, &mut v);
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
    let rows = append(api, c, r).await?;
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
        let rows = append(api, c, msg).await?;
        out.entries_appended += rows.len() as i64;
        if let Some(last) = rows.last() {
            out.last_sequence = last.seq;
        }
    }
    Ok(out)
}

type Tx = mpsc::Sender<Result<pb::WatchLogEntriesResponse, Status>>;

/// A stream of watch events.
pub(crate) type WatchStream =
    tokio_stream::wrappers::ReceiverStream<Result<pb::WatchLogEntriesResponse, Status>>;

pub(crate) async fn watch_log_entries(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::WatchLogEntriesRequest,
) -> Result<WatchStream, Status> {
    let ids = parse("parent", &r.parent, &["labs"])?;
    if r.start_sequence < 0 {
        return Err(status::invalid_argument(
            "start_sequence",
            "must not be negative",
        ));
    }
    let a = open(&api.db, c, ids[0]).await?;
    let next = if r.start_sequence == 0 {
        a.lab.last_seq + 1
    } else {
        r.start_sequence
    };
    a.audit_read(
        &api.db,
        api.clock.now(),
        "WatchLogEntries",
        format!("from sequence {next}"),
    )
    .await?;
    let (tx, rx) = mpsc::channel(WATCHER_BUFFER);
    let api = api.clone();
    let caller = c.clone();
    let lab_id = a.id().to_string();
    tokio::spawn(async move {
        let mut w = Watcher {
            api,
            caller,
            lab_id,
            tx,
            next,
        };
        if let Err(s) = w.run().await {
            let _ = w.tx.send(Err(s)).await;
        }
    });
    Ok(WatchStream::new(rx))
}

struct Watcher {
    api: Api,
    caller: Arc<Caller>,
    lab_id: String,
    tx: Tx,
    next: i64,
}

/// Why a watcher stopped without an error.
enum Stop {
    /// The client went away or the server is shutting down.
    Gone,
}

impl Watcher {
    /// Sends one event; `Err(Gone)` when the client left or the server stops.
    async fn send(&self, event: pb::watch_log_entries_response::Event) -> Result<(), Stop> {
        let msg = Ok(pb::WatchLogEntriesResponse { event: Some(event) });
        tokio::select! {
            r = self.tx.send(msg) => r.map_err(|_| Stop::Gone),
            _ = self.api.shutdown.cancelled() => Err(Stop::Gone),
        }
    }

    /// Sends entries from `self.next` up to `to` (inclusive; all when `None`) from the
    /// database, in order.
    async fn replay(&mut self, to: Option<i64>) -> Result<Result<(), Stop>, Status> {
        loop {
            let rows =
                store::log_range(&self.api.db, &self.lab_id, self.next, to, REPLAY_PAGE).await?;
            let done = (rows.len() as i64) < REPLAY_PAGE;
            for row in &rows {
                if let Err(stop) = self
                    .send(pb::watch_log_entries_response::Event::Entry(
                        convert::log_entry(row),
                    ))
                    .await
                {
                    return Ok(Err(stop));
                }
                self.next = row.seq + 1;
            }
            if done {
                return Ok(Ok(()));
            }
        }
    }

    async fn run(&mut self) -> Result<(), Status> {
        // 1. Replay what is stored.
        if self.replay(None).await?.is_err() {
            return Ok(());
        }
        // 2. Follow: subscribe, then catch up once more to cover entries committed
        //    between the replay's last read and the subscription.
        let mut rx = self.api.fanout.subscribe(&self.lab_id);
        if self.replay(None).await?.is_err() {
            return Ok(());
        }
        let mut recheck = tokio::time::interval(RECHECK);
        recheck.tick().await;
        loop {
            tokio::select! {
                _ = self.api.shutdown.cancelled() => {
                    return Err(status::unavailable(format!(
                        "the server is shutting down; resume from sequence {}", self.next
                    )));
                }
                _ = recheck.tick() => {
                    // Membership may have been revoked: the lab then no longer exists
                    // for this caller.
                    open(&self.api.db, &self.caller, &self.lab_id).await?;
                }
                r = rx.recv() => match r {
                    Ok(entry) => {
                        if entry.seq < self.next {
                            continue;
                        }
                        if entry.seq > self.next {
                            // A gap (the hub got ahead of us): fill it from the store.
                            if self.replay(Some(entry.seq)).await?.is_err() {
                                return Ok(());
                            }
                            continue;
                        }
                        if self.send(pb::watch_log_entries_response::Event::Entry(
                            convert::log_entry(&entry),
                        )).await.is_err() {
                            return Ok(());
                        }
                        self.next = entry.seq + 1;
                    }
                    Err(RecvError::Lagged(_)) => {
                        // Too slow to keep up: tell the watcher where to resume and end
                        // the stream, rather than buffer without bound.
                        let _ = self.send(pb::watch_log_entries_response::Event::FellBehind(
                            pb::FellBehind { resume_sequence: self.next },
                        )).await;
                        return Ok(());
                    }
                    Err(RecvError::Closed) => {
                        return Err(status::unavailable(format!(
                            "the server is shutting down; resume from sequence {}", self.next
                        )));
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
    a.audit_read(
        &api.db,
        api.clock.now(),
        "ListLogEntries",
        format!("after sequence {after}, up to {limit} entries"),
    )
    .await?;
    let rows = store::log_range(&api.db, a.id(), after + 1, None, limit).await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|l| l.seq.to_string()))
        .flatten();
    Ok(pb::ListLogEntriesResponse {
        entries: rows.iter().map(convert::log_entry).collect(),
        next_page_token: next_token(next, &query),
    })
}

pub(crate) async fn verify_log(
    api: &Api,
    c: &Arc<Caller>,
    r: pb::VerifyLogRequest,
) -> Result<pb::VerifyLogResponse, Status> {
    let ids = parse("parent", &r.parent, &["labs"])?;
    let a = open(&api.db, c, ids[0]).await?;
    a.audit_read(&api.db, api.clock.now(), "VerifyLog", "whole log".into())
        .await?;
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
    let ids = parse("parent", &r.parent, &["labs"])?;
    let a = open(&api.db, c, ids[0]).await?;
    let (rows, next_page_token) = list_scoped::<AccessRow>(
        api,
        a.id(),
        &format!("access;{}", r.parent),
        r.page_size,
        &r.page_token,
    )
    .await?;
    Ok(pb::ListAccessRecordsResponse {
        access_records: rows.into_iter().map(convert::access_record).collect(),
        next_page_token,
    })
}
