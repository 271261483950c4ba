//! The optimisation log's hash chain: entry `n` stores `prev_hash` (the hash of entry
//! `n-1`, or 64 zeros for the first) and `hash = sha256(prev_hash bytes || canonical
//! entry bytes)`. Changing, removing or reordering any entry breaks the chain at that
//! entry. The same verifier runs in `VerifyLog` and offline over an exported log
//! ([`verify_exported_log`], the `symbolon log verify` command).
//!
//! Nothing here knows tonic or sqlx.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One log entry as exported (JSON lines) and as hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedEntry {
    /// `labs/{lab}`.
    pub lab: String,
    /// 1, 2, 3, …
    pub sequence: i64,
    /// What was tuned.
    pub component: String,
    /// What happened.
    pub message: String,
    /// Parameters and measurements (sorted by key).
    pub attributes: BTreeMap<String, String>,
    /// Who appended it.
    pub author: String,
    /// Microseconds since the Unix epoch.
    pub create_time_micros: i64,
    /// Hex hash of the previous entry.
    pub prev_hash: String,
    /// Hex hash of this entry.
    pub hash: String,
}

#[derive(Serialize)]
struct Canonical<'a> {
    lab: &'a str,
    sequence: i64,
    component: &'a str,
    message: &'a str,
    attributes: &'a BTreeMap<String, String>,
    author: &'a str,
    create_time_micros: i64,
}

impl ExportedEntry {
    /// The bytes that are hashed: compact JSON, fixed field order, sorted attributes.
    pub fn canonical(&self) -> Vec<u8> {
        serde_json::to_vec(&Canonical {
            lab: &self.lab,
            sequence: self.sequence,
            component: &self.component,
            message: &self.message,
            attributes: &self.attributes,
            author: &self.author,
            create_time_micros: self.create_time_micros,
        })
        .unwrap_or_default()
    }

    /// The hash this entry must have after `prev_hash`.
    pub fn compute_hash(&self, prev_hash: &str) -> Option<String> {
        let prev = unhex(prev_hash)?;
        let mut h = Sha256::new();
        h.update(&prev);
        h.update(self.canonical());
        Some(crate::dsse::hex(&h.finalize()))
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// True when every entry checked out.
    pub valid: bool,
    /// Entries checked (up to and including the first bad one).
    pub checked: i64,
    /// The first bad sequence number, 0 when valid.
    pub first_bad_sequence: i64,
    /// Why it is bad; empty when valid.
    pub reason: String,
    /// The hash of the last good entry.
    pub head: String,
}

/// Verifies entries one at a time, in order.
#[derive(Debug, Clone)]
pub struct Verifier {
    next: i64,
    prev: String,
    checked: i64,
    bad: Option<(i64, String)>,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    /// Starts at sequence 1 after the genesis hash.
    pub fn new() -> Self {
        Self {
            next: 1,
            prev: GENESIS.into(),
            checked: 0,
            bad: None,
        }
    }

    /// Checks the next entry; returns false once the chain is broken (later entries are
    /// not looked at).
    pub fn push(&mut self, e: &ExportedEntry) -> bool {
        if self.bad.is_some() {
            return false;
        }
        self.checked += 1;
        let fail = |why: String| Some((e.sequence.min(self.next), why));
        self.bad = if e.sequence != self.next {
            Some((
                self.next,
                format!("entry {} is missing (found {} next)", self.next, e.sequence),
            ))
        } else if e.prev_hash != self.prev {
            fail(format!(
                "prev_hash of entry {} does not match the hash of entry {}",
                e.sequence,
                e.sequence - 1
            ))
        } else if e.compute_hash(&self.prev).as_deref() != Some(e.hash.as_str()) {
            fail(format!(
                "entry {} was changed: its content does not match its hash",
                e.sequence
            ))
        } else {
            None
        };
        if self.bad.is_some() {
            return false;
        }
        self.prev = e.hash.clone();
        self.next += 1;
        true
    }

    /// The result so far. `expected_last`, when known, catches entries removed at the end.
    pub fn finish(self, expected_last: Option<i64>) -> Verification {
        let (bad, head) = match (self.bad, expected_last) {
            (Some(b), _) => (Some(b), String::new()),
            (None, Some(last)) if last >= self.next => (
                Some((
                    self.next,
                    format!("entries {}..={last} are missing", self.next),
                )),
                String::new(),
            ),
            (None, _) => (None, self.prev),
        };
        match bad {
            Some((seq, reason)) => Verification {
                valid: false,
                checked: self.checked,
                first_bad_sequence: seq,
                reason,
                head,
            },
            None => Verification {
                valid: true,
                checked: self.checked,
                first_bad_sequence: 0,
                reason: String::new(),
                head,
            },
        }
    }
}

/// `symbolon log verify`: verifies an exported log (one JSON [`ExportedEntry`] per
/// line) offline.
pub fn verify_exported_log(jsonl: &str) -> Result<Verification, serde_json::Error> {
    let mut v = Verifier::new();
    for line in jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let e: ExportedEntry = serde_json::from_str(line)?;
        if !v.push(&e) {
            break;
        }
    }
    Ok(v.finish(None))
}

/// Builds a chain of entries (the server's append path and tests share it).
pub fn link(mut e: ExportedEntry, prev_hash: &str) -> ExportedEntry {
    e.prev_hash = prev_hash.to_string();
    e.hash = e.compute_hash(prev_hash).unwrap_or_default();
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<ExportedEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|i| {
                let e = link(
                    ExportedEntry {
                        lab: "labs/x".into(),
                        sequence: i,
                        component: "rrc".into(),
                        message: format!("step {i}"),
                        attributes: BTreeMap::from([("k".into(), i.to_string())]),
                        author: "eng".into(),
                        create_time_micros: i * 10,
                        prev_hash: String::new(),
                        hash: String::new(),
                    },
                    &prev,
                );
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn jsonl(entries: &[ExportedEntry]) -> String {
        entries
            .iter()
            .map(|e| serde_json::to_string(e).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_good_chain_verifies_and_a_changed_or_missing_entry_is_found()
    -> Result<(), serde_json::Error> {
        let good = chain(5);
        let v = verify_exported_log(&jsonl(&good))?;
        assert!(v.valid, "{v:?}");
        assert_eq!(v.head, good[4].hash);

        let mut changed = good.clone();
        changed[2].message = "edited".into();
        let v = verify_exported_log(&jsonl(&changed))?;
        assert_eq!((v.valid, v.first_bad_sequence), (false, 3));

        let mut removed = good.clone();
        removed.remove(1);
        let v = verify_exported_log(&jsonl(&removed))?;
        assert_eq!((v.valid, v.first_bad_sequence), (false, 2));
        Ok(())
    }
}
