//! Client request ids (AIP-155) that mean one request.
//!
//! A request id is scoped to the caller's organisation, the method and the parent it
//! targets, and it is bound to the request it first came with: the stored key ends
//! with a fingerprint of the request (SHA-256 of its encoding with `request_id`
//! cleared). Before a store path uses a key it [`claim`]s it: the first claim of a
//! scope records the fingerprint; a later one with another fingerprint is
//! [`StoreError::RequestIdReused`], so a reused id never creates a row nor returns the
//! first call's. Since only requests with the claimed fingerprint get past the claim,
//! the resource rows' unique `request_key` (scope and fingerprint) still allows one row
//! per scope, however many retries race.
//!
//! Choice: an id is bound from the first call that passed validation, whatever that
//! call's outcome (Stripe's keys bind once a request starts executing): a client that
//! changes its request sends a new id.

use crate::{
    Caller, StoreError, Violations,
    batch::{self, Batches},
    db::{Database, Sql},
    pool::Pool,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use symbolon_contracts::RequestId;
use tokio::sync::oneshot;

/// The stored key of `request`'s `request_id`: `None` without an id (no idempotency)
/// or with a bad one (a violation of `request_id`).
pub fn key(
    caller: &Caller,
    method: &str,
    parent: &str,
    request: &impl RequestId,
    v: &mut Violations,
) -> Option<String> {
    let request_id = request.request_id();
    if request_id.is_empty() {
        return None;
    }
    match uuid::Uuid::parse_str(request_id) {
        // Spaces never occur in organisations, methods, names, UUIDs or hex digits: no
        // two scopes spell the same key, and the fingerprint is the last word.
        Ok(id) => Some(format!(
            "{} {method} {parent} {} {}",
            caller.org.claim(),
            id.hyphenated(),
            fingerprint(request)
        )),
        Err(_) => {
            v.add("request_id", "must be a UUID");
            None
        }
    }
}

/// Hex SHA-256 of `request` without its id. prost encodes the fields of a message in
/// one fixed order, drops unknown fields and default values, and maps are BTreeMaps
/// (`shared/contracts/build.rs`), so equal requests give equal bytes; a new field left
/// unset adds no bytes, so fingerprints survive adding fields to a contract.
pub fn fingerprint(request: &impl RequestId) -> String {
    let digest = Sha256::digest(request.without_request_id().encode_to_vec());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored key's scope and fingerprint.
pub(crate) fn split(key: &str) -> Option<(&str, &str)> {
    key.rsplit_once(' ')
}

/// Binds `key`'s scope to its fingerprint, or checks it against the bound one: call
/// before the first use of a key. Nothing to do without a key.
///
/// Claims arriving while another is in flight share one statement, hence one commit
/// ([`Claims`]): the group-commit inserts they guard (RecordTouchpoint) would otherwise
/// pay a commit per call for their claims alone.
pub async fn claim(db: &Database, key: Option<&str>) -> Result<(), StoreError> {
    let Some((scope, fingerprint)) = key.and_then(split) else {
        return Ok(());
    };
    let (reply, answer) = oneshot::channel();
    batch::submit(
        db.claims(),
        db.writer(),
        Pending {
            scope: scope.to_string(),
            fingerprint: fingerprint.to_string(),
            reply,
        },
    );
    match answer.await {
        Ok(Some(bound)) if bound == fingerprint => Ok(()),
        Ok(Some(_)) => Err(StoreError::RequestIdReused),
        // The batch failed: a claim is idempotent, so the lone statement gives this
        // key its own answer (or its own error).
        Ok(None) | Err(_) => claim_on(db.writer(), key).await,
    }
}

/// Claims of one pool waiting to go together.
pub(crate) struct Claims {
    batches: Batches<Pending>,
}

impl std::fmt::Debug for Claims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claims").finish_non_exhaustive()
    }
}

impl Default for Claims {
    fn default() -> Self {
        Self {
            batches: Batches::new(1, 64),
        }
    }
}

pub(crate) struct Pending {
    scope: String,
    fingerprint: String,
    /// The fingerprint bound to the scope, or `None` when the batch failed.
    reply: oneshot::Sender<Option<String>>,
}

impl batch::Statement for Claims {
    type Item = Pending;

    fn batches(&self) -> &Batches<Pending> {
        &self.batches
    }

    async fn run(&self, pool: &Pool, batch: Vec<Pending>) {
        // One row per scope: an upsert may not touch a row twice in one statement, and
        // of two racing claims of a scope in one batch the first binds it, as it would
        // one after the other.
        let mut scopes: Vec<(&str, &str)> = Vec::with_capacity(batch.len());
        for p in &batch {
            if !scopes.iter().any(|(s, _)| *s == p.scope) {
                scopes.push((&p.scope, &p.fingerprint));
            }
        }
        let sql = upsert_claims(scopes.into_iter());
        let bound: Option<HashMap<String, String>> = match sql.query().fetch_all(pool).await {
            Ok(rows) => rows
                .iter()
                .map(|row| {
                    Some((
                        sqlx::Row::try_get(row, 0).ok()?,
                        sqlx::Row::try_get(row, 1).ok()?,
                    ))
                })
                .collect(),
            Err(e) => {
                tracing::debug!(error = %e, claims = batch.len(), "grouped claim failed");
                None
            }
        };
        for p in batch {
            let answer = bound.as_ref().and_then(|b| b.get(&p.scope).cloned());
            let _ = p.reply.send(answer);
        }
    }
}

/// One statement claiming each (scope, fingerprint) of `claims` (distinct scopes): it
/// returns the fingerprint each scope is bound to, this one or the one before.
pub(crate) fn upsert_claims<'a>(claims: impl Iterator<Item = (&'a str, &'a str)>) -> Sql {
    let mut sql = Sql::new("INSERT INTO request_fingerprints (scope, fingerprint) VALUES ");
    for (i, (scope, fingerprint)) in claims.enumerate() {
        sql.push(if i > 0 { ", (" } else { "(" })
            .bind_list([scope.into(), fingerprint.into()])
            .push(")");
    }
    sql.push(
        " ON CONFLICT (scope) DO UPDATE SET fingerprint = request_fingerprints.fingerprint \
         RETURNING scope, fingerprint",
    );
    sql
}

/// [`claim`] on `ex`: inside a transaction, the claim commits or rolls back with the
/// row it guards (on SQLite the only writer connection may be that transaction's).
pub async fn claim_on<'c, E>(ex: E, key: Option<&str>) -> Result<(), StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let Some((scope, fingerprint)) = key.and_then(split) else {
        return Ok(());
    };
    // One round trip: a fresh scope is inserted; a known one returns its fingerprint
    // (the no-op update makes RETURNING answer on conflict, on both back ends).
    let mut sql = Sql::new("INSERT INTO request_fingerprints (scope, fingerprint) VALUES (");
    sql.bind(scope).push(", ").bind(fingerprint).push(
        ") ON CONFLICT (scope) DO UPDATE SET fingerprint = request_fingerprints.fingerprint \
             RETURNING fingerprint",
    );
    let bound: String = sqlx::Row::try_get(&sql.query().fetch_one(ex).await?, 0)?;
    if bound == fingerprint {
        Ok(())
    } else {
        Err(StoreError::RequestIdReused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use symbolon_contracts::customers::v1::{CreateCustomerRequest, Customer};

    fn request(id: &str, name: &str) -> CreateCustomerRequest {
        CreateCustomerRequest {
            request_id: id.into(),
            customer: Some(Customer {
                display_name: name.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_fingerprint_ignores_the_id_and_nothing_else() {
        let a = request("0b7c6bd8-58a1-4d0b-9a0e-0d7f1b7b9c11", "Andes");
        let b = request("4f1c9d8e-0000-4000-8000-000000000000", "Andes");
        let c = request("0b7c6bd8-58a1-4d0b-9a0e-0d7f1b7b9c11", "Andes Energia");
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
        assert_eq!(fingerprint(&a).len(), 64);
    }
}
