//! `WatchLogEntries` responses encoded once and shared by every watcher.
//!
//! A live entry is delivered to every watcher of its lab, so converting it to protobuf
//! and encoding it per watcher would cost `watchers × entries` encodings. Instead a
//! [`Batch`] holds entries encoded once, and each watcher's stream sends slices of it
//! ([`Encoded`]), which the gRPC encoder ([`WatchCodec`]) only copies into the
//! connection's buffer.
//!
//! This works because of how protobuf lays out the two forms of a watch event: an entry
//! encoded as field 1 (`entry`) of `WatchLogEntriesResponse` is byte for byte the same
//! as one element of `LogEntryBatch.entries` (also field 1), so a batched event is the
//! header of field 3 (`entries`) followed by the concatenated single-entry events.

use crate::{api::convert, store::LogEntryRow};
use prost::{
    Message,
    bytes::{Buf, BufMut, Bytes},
    encoding::{WireType, encode_key, encode_varint},
};
use std::{marker::PhantomData, ops::Range};
use symbolon_contracts::labs::v1 as pb;
use tonic::{
    Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
};

/// Field number of `WatchLogEntriesResponse.entry` (and of `LogEntryBatch.entries`).
const ENTRY_FIELD: u32 = 1;
/// Field number of `WatchLogEntriesResponse.entries`.
const ENTRIES_FIELD: u32 = 3;
/// Most entries in one batched event.
pub const MAX_BATCH_ENTRIES: usize = 1000;
/// A batched event is closed before it grows past this many bytes (one larger entry is
/// sent alone): well under the 4 MiB gRPC clients accept by default.
const MAX_BATCH_BYTES: usize = 1 << 20;

/// Consecutive entries of one lab, each converted and encoded once.
#[derive(Debug)]
pub struct Batch {
    first: i64,
    /// Each entry as an encoded `WatchLogEntriesResponse { entry }`, back to back.
    wire: Bytes,
    /// Where each entry ends in `wire`.
    ends: Vec<usize>,
}

impl Batch {
    /// Encodes `rows`, which must be consecutive and non-empty.
    pub fn encode(rows: &[LogEntryRow]) -> Self {
        let mut wire = Vec::new();
        let mut ends = Vec::with_capacity(rows.len());
        for row in rows {
            prost::encoding::message::encode(ENTRY_FIELD, &convert::log_entry(row), &mut wire);
            ends.push(wire.len());
        }
        Self {
            first: rows.first().map_or(1, |r| r.seq),
            wire: Bytes::from(wire),
            ends,
        }
    }

    /// Sequence number of the first entry.
    pub fn first(&self) -> i64 {
        self.first
    }

    /// Sequence number of the last entry.
    pub fn last(&self) -> i64 {
        self.first + self.ends.len() as i64 - 1
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Encoded size in bytes.
    pub fn bytes(&self) -> usize {
        self.wire.len()
    }

    /// Byte range of entries `i..j`.
    fn span(&self, i: usize, j: usize) -> Range<usize> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        let end = if j == 0 { 0 } else { self.ends[j - 1] };
        start..end
    }

    /// The events delivering the entries from sequence `from` on (`from` within the
    /// batch): one per entry when `max_batch_entries` is 0, else `entries` events of at
    /// most that many entries.
    pub fn events(&self, from: i64, max_batch_entries: usize, mut out: impl FnMut(Encoded)) {
        let start = usize::try_from(from - self.first).unwrap_or(0);
        if max_batch_entries == 0 {
            for i in start..self.len() {
                out(Encoded::event(self.wire.slice(self.span(i, i + 1))));
            }
            return;
        }
        let max = max_batch_entries.min(MAX_BATCH_ENTRIES);
        let mut i = start;
        while i < self.len() {
            let mut j = i + 1;
            while j < self.len() && j - i < max && self.span(i, j + 1).len() <= MAX_BATCH_BYTES {
                j += 1;
            }
            out(Encoded::batch(self.wire.slice(self.span(i, j))));
            i = j;
        }
    }
}

/// One encoded `WatchLogEntriesResponse`: a short header (for batched events) and a
/// body shared with the [`Batch`] it came from.
#[derive(Debug, Clone)]
pub struct Encoded {
    head: [u8; 16],
    head_len: u8,
    body: Bytes,
}

impl Encoded {
    /// A whole encoded event.
    fn event(body: Bytes) -> Self {
        Self {
            head: [0; 16],
            head_len: 0,
            body,
        }
    }

    /// An `entries` event around encoded `LogEntryBatch.entries` elements.
    fn batch(entries: Bytes) -> Self {
        let mut head = [0u8; 16];
        let mut w = &mut head[..];
        encode_key(ENTRIES_FIELD, WireType::LengthDelimited, &mut w);
        encode_varint(entries.len() as u64, &mut w);
        let head_len = (16 - w.len()) as u8;
        Self {
            head,
            head_len,
            body: entries,
        }
    }

    /// Any other event (encoded here, not shared).
    pub fn message(m: &pb::WatchLogEntriesResponse) -> Self {
        Self::event(Bytes::from(m.encode_to_vec()))
    }

    /// The event decoded again (for the generated service trait and for tests).
    pub fn decode(&self) -> Result<pb::WatchLogEntriesResponse, Status> {
        let buf = (&self.head[..self.head_len as usize]).chain(self.body.clone());
        pb::WatchLogEntriesResponse::decode(buf)
            .map_err(|e| Status::internal(format!("re-decoding a watch event: {e}")))
    }

    /// Encoded length.
    pub fn len(&self) -> usize {
        self.head_len as usize + self.body.len()
    }

    /// Whether the event is empty (it never is).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The gRPC codec of `WatchLogEntries`: decodes the request like the generated codec,
/// writes pre-encoded responses as they are.
#[derive(Debug, Default, Clone, Copy)]
pub struct WatchCodec;

/// Writes [`Encoded`] events.
#[derive(Debug, Default)]
pub struct WatchEncoder;

/// Reads `WatchLogEntriesRequest`s.
#[derive(Debug, Default)]
pub struct RequestDecoder<T>(PhantomData<T>);

impl Codec for WatchCodec {
    type Encode = Encoded;
    type Decode = pb::WatchLogEntriesRequest;
    type Encoder = WatchEncoder;
    type Decoder = RequestDecoder<pb::WatchLogEntriesRequest>;

    fn encoder(&mut self) -> Self::Encoder {
        WatchEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        RequestDecoder(PhantomData)
    }
}

impl Encoder for WatchEncoder {
    type Item = Encoded;
    type Error = Status;

    fn encode(&mut self, item: Encoded, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.reserve(item.len());
        dst.put_slice(&item.head[..item.head_len as usize]);
        dst.put_slice(&item.body);
        Ok(())
    }
}

impl<T: Message + Default + Send + 'static> Decoder for RequestDecoder<T> {
    type Item = T;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<T>, Status> {
        T::decode(src)
            .map(Some)
            .map_err(|e| Status::invalid_argument(format!("malformed request: {e}")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use pb::watch_log_entries_response::Event;

    fn row(seq: i64, message: String) -> LogEntryRow {
        LogEntryRow {
            lab_id: "l".into(),
            seq,
            component: "rrc".into(),
            message,
            attributes: [("k".to_string(), seq.to_string())].into(),
            author: "eng@vendor".into(),
            create_time: 1_700_000_000_000_000 + seq,
            prev_hash: "0".repeat(64),
            hash: format!("{seq:064}"),
        }
    }

    fn rows(first: i64, n: i64) -> Vec<LogEntryRow> {
        (first..first + n)
            .map(|s| row(s, format!("m{s}")))
            .collect()
    }

    #[test]
    fn single_events_decode_to_the_entries() {
        let rows = rows(7, 5);
        let b = Batch::encode(&rows);
        assert_eq!((b.first(), b.last(), b.len()), (7, 11, 5));
        let mut out = Vec::new();
        b.events(9, 0, |e| out.push(e));
        let got: Vec<_> = out.iter().map(|e| e.decode().unwrap().event).collect();
        let want: Vec<_> = rows[2..]
            .iter()
            .map(|r| Some(Event::Entry(convert::log_entry(r))))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn batched_events_split_by_count_and_decode_to_the_entries() {
        let rows = rows(1, 10);
        let b = Batch::encode(&rows);
        let mut out = Vec::new();
        b.events(2, 4, |e| out.push(e));
        let sizes: Vec<Vec<i64>> = out
            .iter()
            .map(|e| match e.decode().unwrap().event {
                Some(Event::Entries(batch)) => batch.entries.iter().map(|e| e.sequence).collect(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(sizes, vec![vec![2, 3, 4, 5], vec![6, 7, 8, 9], vec![10]]);
        let Some(Event::Entries(first)) = out[0].decode().unwrap().event else {
            panic!()
        };
        assert_eq!(first.entries[0], convert::log_entry(&rows[1]));
    }

    #[test]
    fn batched_events_stay_under_the_byte_bound() {
        // Entries of ~300 KiB: three fit in 1 MiB, the fourth starts a new event.
        let big: Vec<_> = (1..=7).map(|s| row(s, "x".repeat(300 << 10))).collect();
        let b = Batch::encode(&big);
        let mut out = Vec::new();
        b.events(1, 1000, |e| out.push(e));
        assert!(out.iter().all(|e| e.len() <= MAX_BATCH_BYTES + 16));
        let counts: Vec<usize> = out
            .iter()
            .map(|e| match e.decode().unwrap().event {
                Some(Event::Entries(batch)) => batch.entries.len(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(counts, vec![3, 3, 1]);
        // An entry larger than the bound goes alone.
        let huge = Batch::encode(&[row(1, "y".repeat(2 << 20)), row(2, "z".into())]);
        out.clear();
        huge.events(1, 1000, |e| out.push(e));
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn other_events_round_trip() {
        let m = pb::WatchLogEntriesResponse {
            event: Some(Event::FellBehind(pb::FellBehind {
                resume_sequence: 42,
            })),
        };
        assert_eq!(Encoded::message(&m).decode().unwrap(), m);
    }
}
