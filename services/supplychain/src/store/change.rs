//! Changes of live data.
//!
//! Every write that can alter coverage (depots, stock, reservations, country profiles,
//! scoring models, registrations) runs inside a [`Change`]:
//!
//! 1. `BEGIN`, then lock the single `sc_state` row (`SELECT … FOR UPDATE` on
//!    PostgreSQL; SQLite has a single writer connection). Changes are therefore
//!    serialised across every replica sharing the database.
//! 2. The caller's statements run on the transaction.
//! 3. On commit, every live registration is re-assessed against a snapshot read inside
//!    the same transaction; registrations whose state, redundancy or best depot changed are
//!    updated and a risk event is appended with the next sequence number.
//! 4. `data_version` is bumped (replicas drop their cached snapshot) and the
//!    transaction commits.
//!
//! So a change and its re-assessment commit or fail together, re-assessment happens
//! exactly once (by the replica that made the change), and sequence numbers are
//! gap-free and in commit order — a subscriber resuming after sequence n on any replica
//! gets exactly the events after n.
//!
//! Registrations are the one write that leaves live data alone: on PostgreSQL every
//! change also holds an advisory lock, which [`begin_registration`] takes in share mode,
//! so registrations run beside one another (their commits flushed together) but never
//! beside a change of live data: the snapshot a registration is assessed against is
//! still the one in force when it commits, and the next change re-assesses it. They
//! append no event and leave `data_version` as it is (the snapshot did not change).

use super::{EventRow, RegistrationRow, Table, snapshot};
use crate::{convert, model::coverage::Params};
use sqlx::{Any, AnyConnection, Transaction};
use symbolon_platform::{
    Database, StoreError,
    db::{Backend, Sql},
};

/// The advisory lock key of changes ("SYMCHGES").
const CHANGE_LOCK: i64 = 0x5359_4D43_4847_4553;

/// An open change.
pub struct Change {
    tx: Transaction<'static, Any>,
    last_seq: i64,
    data_version: i64,
    /// Registrations only: nothing to re-assess, no version to bump.
    registration: bool,
}

/// What a committed change produced.
#[derive(Debug, Default)]
pub struct Committed {
    /// The last risk event sequence after the commit.
    pub last_seq: i64,
    /// Events appended.
    pub events: Vec<EventRow>,
}

/// Starts a change, waiting for any other change to commit first.
pub async fn begin(db: &Database) -> Result<Change, StoreError> {
    start(db, false).await
}

/// Starts a change that only adds registrations: it waits for changes of live data, not
/// for other registrations (on PostgreSQL; SQLite has one writer anyway).
pub async fn begin_registration(db: &Database) -> Result<Change, StoreError> {
    start(db, true).await
}

async fn start(db: &Database, registration: bool) -> Result<Change, StoreError> {
    let mut tx = db.writer().begin().await?;
    let postgres = db.backend() == Backend::Postgres;
    if postgres {
        // An advisory lock, shared by registrations and exclusive for changes: it is a
        // heavyweight lock, so a change waiting for it holds back registrations that
        // come after it (with row share locks they would keep overtaking it).
        let take = if registration {
            "SELECT pg_advisory_xact_lock_shared($1)"
        } else {
            "SELECT pg_advisory_xact_lock($1)"
        };
        sqlx::query(take)
            .bind(CHANGE_LOCK)
            .execute(&mut *tx)
            .await?;
    } else {
        // Take SQLite's write lock now (waiting on busy_timeout), not at the first
        // write: a deferred transaction that read first could not upgrade if another
        // process wrote meanwhile.
        sqlx::query("UPDATE sc_state SET data_version = data_version WHERE id = 1")
            .execute(&mut *tx)
            .await?;
    }
    // Changes lock the row too, as releases before the advisory lock did: so they
    // still wait for those during a rolling upgrade.
    let lock = if postgres && !registration {
        "SELECT data_version, last_event_seq FROM sc_state WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT data_version, last_event_seq FROM sc_state WHERE id = 1"
    };
    let row = sqlx::query(lock).fetch_one(&mut *tx).await?;
    let last_seq: i64 = sqlx::Row::try_get(&row, "last_event_seq")?;
    let data_version: i64 = sqlx::Row::try_get(&row, "data_version")?;
    Ok(Change {
        tx,
        last_seq,
        data_version,
        registration,
    })
}

impl Change {
    /// The data version this change sees (and, being locked, keeps until it commits).
    pub fn data_version(&self) -> i64 {
        self.data_version
    }

    /// The connection of the transaction.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Runs a statement; returns the rows affected.
    pub async fn exec(&mut self, sql: &Sql) -> Result<u64, StoreError> {
        Ok(sql.query().execute(&mut *self.tx).await?.rows_affected())
    }

    /// Runs a query returning at most one row of `T`.
    pub async fn one<T: Table>(&mut self, sql: &Sql) -> Result<Option<T>, StoreError> {
        symbolon_platform::table::fetch_optional(&mut *self.tx, sql).await
    }

    /// Gives up: nothing is written.
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }

    /// Re-assesses registrations (when `reassess`), records risk events with `cause`,
    /// bumps the data version and commits. A registration change only commits.
    pub async fn commit(
        mut self,
        params: &Params,
        now: i64,
        cause: &str,
        reassess: bool,
    ) -> Result<Committed, StoreError> {
        if self.registration {
            // Live data did not change: nothing to re-assess, the snapshot stands, and
            // the share lock forbids the update below.
            self.tx.commit().await?;
            return Ok(Committed {
                last_seq: self.last_seq,
                events: Vec::new(),
            });
        }
        let mut events = Vec::new();
        if reassess {
            events = self.reassess(params, now, cause).await?;
        }
        let last_seq = self.last_seq;
        let mut bump =
            Sql::new("UPDATE sc_state SET data_version = data_version + 1, last_event_seq = ");
        bump.bind(last_seq).push(" WHERE id = 1");
        bump.query().execute(&mut *self.tx).await?;
        self.tx.commit().await?;
        Ok(Committed { last_seq, events })
    }

    async fn reassess(
        &mut self,
        params: &Params,
        now: i64,
        cause: &str,
    ) -> Result<Vec<EventRow>, StoreError> {
        let regs: Vec<RegistrationRow> = super::all_live(&mut *self.tx).await?;
        if regs.is_empty() {
            return Ok(Vec::new());
        }
        let snap = snapshot::load(&mut self.tx).await?;
        let mut events = Vec::new();
        for r in regs {
            let a = convert::assess_registration(&snap, params, &r);
            let state = convert::state_of(&a);
            let redundancy = i64::from(a.redundancy);
            // The best depot counts too: a commitment shows what holds now, and a site
            // at risk whose best depot moved (Lima in outage, Santiago next) is news.
            let best = |a: &symbolon_contracts::supplychain::v1::CoverageAssessment| {
                a.best.as_ref().map(|b| b.depot.clone())
            };
            let same_best = convert::decode_assessment(&r.assessment)
                .is_some_and(|before| best(&before) == best(&a));
            if state as i32 == r.state && redundancy == r.redundancy && same_best {
                continue;
            }
            let encoded = convert::encode_assessment(&a);
            let mut up = Sql::new("UPDATE coverage_registrations SET state = ");
            up.bind(state as i32)
                .push(", redundancy = ")
                .bind(redundancy)
                .push(", assessment = ")
                .bind(encoded.clone())
                .push(", update_time = ")
                .bind(now)
                .push(", version = version + 1 WHERE id = ")
                .bind(r.meta.id.clone());
            self.exec(&up).await?;
            self.last_seq += 1;
            let ev = EventRow {
                seq: self.last_seq,
                registration_id: r.meta.id.clone(),
                reference: r.reference.clone(),
                previous_state: r.state,
                state: state as i32,
                previous_redundancy: r.redundancy,
                redundancy,
                cause: cause.to_string(),
                assessment: encoded,
                event_time: now,
            };
            let mut ins = Sql::new(
                "INSERT INTO risk_events (seq, registration_id, reference, previous_state, \
                 state, previous_redundancy, redundancy, cause, assessment, event_time) VALUES (",
            );
            ins.bind_list([
                ev.seq.into(),
                ev.registration_id.clone().into(),
                ev.reference.clone().into(),
                ev.previous_state.into(),
                ev.state.into(),
                ev.previous_redundancy.into(),
                ev.redundancy.into(),
                ev.cause.clone().into(),
                ev.assessment.clone().into(),
                ev.event_time.into(),
            ])
            .push(")");
            self.exec(&ins).await?;
            events.push(ev);
        }
        Ok(events)
    }
}

/// Events after `after`, oldest first, at most `limit`.
pub async fn events_after(
    db: &Database,
    after: i64,
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    let mut sql = Sql::new(
        "SELECT seq, registration_id, reference, previous_state, state, previous_redundancy, \
         redundancy, cause, assessment, event_time FROM risk_events WHERE seq > ",
    );
    sql.bind(after).push(" ORDER BY seq LIMIT ").bind(limit);
    let rows = sql.query().fetch_all(db.reader()).await?;
    Ok(rows
        .iter()
        .map(EventRow::from_row)
        .collect::<Result<_, _>>()?)
}
