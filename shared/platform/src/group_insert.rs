//! Conditional inserts ([`crate::table::insert_where`]) into one table that arrive
//! while another is in flight go to the database together: one
//! `INSERT … SELECT … WHERE … UNION ALL SELECT … WHERE …` statement, hence one
//! commit and one durable flush for the lot — a group commit the database cannot do
//! as well by itself, since each lone statement still pays its own round trip, plan
//! and commit record. Every row keeps its own condition. The statement commits all
//! its rows or none, and a caller hears back only after it committed.
//!
//! On PostgreSQL the request-id claims of the batch's rows ([`crate::request_ids`]) go
//! in the same statement, as a data-modifying `WITH`: a row is inserted only if its
//! claim bound the scope to its own fingerprint, and the claims commit with the rows
//! (a claim whose row's condition fails still binds its scope, as a claim made first
//! would). One round trip and one commit a batch, instead of one for the claims and
//! one for the rows.
//!
//! When the database refuses the batch (a constraint, a bad value), nothing was
//! written, and each insert runs alone for its own answer. When the connection fails
//! half-way, whether it committed is unknown, as for a lone statement: each caller
//! gets UNAVAILABLE.

use crate::{
    StoreError,
    batch::{self, BatchStats, Batches, Statements},
    db::Sql,
    pool::Pool,
    request_ids,
    table::{self, Table},
};
use sqlx::{Row, any::AnyRow};
use std::{any::TypeId, collections::HashMap, sync::Arc};
use tokio::sync::oneshot;

/// Insert statements of one table in flight at once.
const SLOTS: usize = 1;
/// The most rows one statement carries.
const MAX_BATCH: usize = 64;

/// The insert queues of one pool, a queue per table type and column list.
#[derive(Debug, Default)]
pub(crate) struct GroupInserts {
    tables: Statements<(TypeId, String), Queue>,
}

/// One insert: `head` (`INSERT INTO t (columns)`), then `select` (`SELECT values WHERE
/// condition`), then `tail` (`ON CONFLICT … RETURNING …`).
pub(crate) struct Statement<'a> {
    pub(crate) head: String,
    pub(crate) select: Sql,
    pub(crate) tail: &'a str,
    /// The new row's id, to find it among the returned ones.
    pub(crate) id: String,
    /// The request key to claim in the same statement (PostgreSQL only: SQLite has no
    /// data-modifying `WITH`); `select` must end with its condition, parenthesized.
    pub(crate) claim: Option<String>,
}

/// One insert as a statement of its own.
pub(crate) fn alone(head: &str, select: &Sql, tail: &str) -> Sql {
    let mut sql = Sql::new(head);
    sql.append(select).push(tail);
    sql
}

impl GroupInserts {
    /// Runs `insert`, batched with concurrent inserts of the same shape. The new row,
    /// or `None` when its condition did not hold (or its request key was taken).
    pub(crate) async fn insert<T: Table>(
        &self,
        pool: &Pool,
        insert: Statement<'_>,
    ) -> Result<Option<T>, StoreError> {
        let queue = self.queue::<T>(&insert.head, insert.tail);
        let (reply, answer) = oneshot::channel();
        batch::submit(
            &queue,
            pool,
            Pending {
                id: insert.id.clone(),
                select: insert.select.clone(),
                claim: insert.claim.clone(),
                reply,
            },
        );
        match answer.await {
            Ok(Outcome::Done(row)) => Ok(row.as_ref().map(T::from_row).transpose()?),
            Ok(Outcome::Refused) => {
                // Nothing was written, the claims neither: this one goes alone, first.
                crate::request_ids::claim_on(pool, insert.claim.as_deref()).await?;
                table::fetch_optional(pool, &alone(&insert.head, &insert.select, insert.tail)).await
            }
            Ok(Outcome::Lost(why)) => Err(StoreError::Unavailable(sqlx::Error::Io(
                std::io::Error::other(why),
            ))),
            Err(_) => Err(StoreError::Unavailable(sqlx::Error::WorkerCrashed)),
        }
    }

    pub(crate) fn stats(&self) -> BatchStats {
        self.tables.stats()
    }

    fn queue<T: Table>(&self, head: &str, tail: &str) -> Arc<Queue> {
        self.tables
            .get((TypeId::of::<T>(), head.to_string()), || Queue {
                head: head.to_string(),
                tail: format!("{tail}, id AS group_insert_id"),
                batches: Batches::new(SLOTS, MAX_BATCH),
            })
    }
}

struct Pending {
    id: String,
    select: Sql,
    claim: Option<String>,
    reply: oneshot::Sender<Outcome>,
}

enum Outcome {
    /// Committed; the row if its condition held.
    Done(Option<AnyRow>),
    /// The database refused the whole batch: nothing was written.
    Refused,
    /// The batch failed in a way that leaves its fate unknown.
    Lost(String),
}

struct Queue {
    head: String,
    tail: String,
    batches: Batches<Pending>,
}

impl batch::Statement for Queue {
    type Item = Pending;

    fn batches(&self) -> &Batches<Pending> {
        &self.batches
    }

    async fn run(&self, pool: &Pool, batch: Vec<Pending>) {
        // One claim per scope, in scope order (an upsert may not touch a row twice in
        // one statement; concurrent batches lock scopes in one order): of two claims of
        // a scope in one batch the first binds it, as it would one after the other.
        let mut claims: Vec<(usize, &str, &str)> = batch
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let (scope, fingerprint) = request_ids::split(p.claim.as_deref()?)?;
                Some((i, scope, fingerprint))
            })
            .collect();
        claims.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(&b.0)));
        claims.dedup_by(|later, first| later.1 == first.1);
        let mut sql = Sql::new("");
        if !claims.is_empty() {
            let upsert = request_ids::upsert_claims(claims.iter().map(|c| (c.1, c.2)));
            sql.push("WITH group_claims AS (")
                .append(&upsert)
                .push(") ");
        }
        sql.push(&self.head);
        for (i, p) in batch.iter().enumerate() {
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            sql.append(&p.select);
            if let Some((scope, fingerprint)) = p.claim.as_deref().and_then(request_ids::split) {
                sql.push(" AND EXISTS (SELECT 1 FROM group_claims WHERE scope = ")
                    .bind(scope)
                    .push(" AND fingerprint = ")
                    .bind(fingerprint)
                    .push(")");
            }
        }
        sql.push(&self.tail);
        let rows = match sql.query().fetch_all(pool).await {
            Ok(rows) => rows,
            Err(e) => {
                let outcome = || match &e {
                    sqlx::Error::Database(_) => Outcome::Refused,
                    other => Outcome::Lost(other.to_string()),
                };
                tracing::debug!(error = %e, rows = batch.len(), "group insert failed");
                for p in batch {
                    let _ = p.reply.send(outcome());
                }
                return;
            }
        };
        let returned = rows.len();
        let mut found: HashMap<String, AnyRow> = rows
            .into_iter()
            .filter_map(|row| Some((row.try_get("group_insert_id").ok()?, row)))
            .collect();
        // A row that cannot be told apart leaves every unmatched caller unsure whether
        // it was the one written: none may read that as "not inserted".
        let unsure = found.len() < returned;
        for p in batch {
            // The caller may have gone (deadline, cancellation): its row stays written,
            // as a lone statement's would.
            let _ = p.reply.send(match found.remove(&p.id) {
                Some(row) => Outcome::Done(Some(row)),
                None if unsure => Outcome::Lost("a returned row had no id".into()),
                None => Outcome::Done(None),
            });
        }
    }
}
