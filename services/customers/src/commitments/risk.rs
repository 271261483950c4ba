//! The risk-stream consumer: follows the supply-chain service's `WatchRiskEvents` from the
//! last sequence stored here and turns commitments `AT_RISK` and back to `HEALTHY`.
//!
//! - Each event is applied in one transaction that first advances the cursor
//!   (`UPDATE … SET sequence = n WHERE sequence < n`): an event at or below the cursor
//!   changes nothing, so a replayed or concurrently applied event counts once.
//! - On PostgreSQL only the replica holding a session advisory lock (on a dedicated
//!   connection) consumes; the others try again every few seconds and take over when
//!   its connection dies.
//! - When the supply-chain service goes away the consumer reconnects with backoff and
//!   resumes after the stored sequence, so restarts of either service lose nothing.
//! - It acts with the service token read from a file (re-read on every connection, so
//!   a rotated token is picked up).

use super::{SupplyChain, api, store};
use sqlx::{AnyConnection, Connection};
use std::{path::PathBuf, time::Duration};
use symbolon_platform::{Database, db::Backend, time::Clock};
use tokio_util::sync::CancellationToken;

/// How often a replica without the lock tries again, and the lock connection is checked.
const LOCK_RETRY: Duration = Duration::from_secs(2);
/// Reconnect backoff bounds.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

/// The background consumer of supply-chain risk events.
#[derive(Clone)]
pub struct RiskConsumer {
    db: Database,
    clock: Clock,
    supply: SupplyChain,
    token_file: PathBuf,
}

enum Outcome {
    /// Shut down.
    Stop,
    /// The advisory lock connection failed: take the lock again.
    LockLost,
    /// The stream ended or failed: reconnect after a pause.
    Retry(String),
}

impl RiskConsumer {
    /// A consumer that presents the token in `token_file`.
    pub fn new(db: Database, clock: Clock, supply: SupplyChain, token_file: PathBuf) -> Self {
        Self {
            db,
            clock,
            supply,
            token_file,
        }
    }

    /// Runs until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            let mut lock = match self.db.backend() {
                Backend::Sqlite => None,
                Backend::Postgres => match store::risk::take_lock(&self.db).await {
                    Ok(Some(conn)) => {
                        tracing::info!("this replica consumes the supply-chain risk stream");
                        Some(conn)
                    }
                    Ok(None) => {
                        tracing::debug!("another replica consumes the risk stream");
                        if pause(&shutdown, LOCK_RETRY).await {
                            return;
                        }
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot take the risk consumer lock");
                        if pause(&shutdown, LOCK_RETRY).await {
                            return;
                        }
                        continue;
                    }
                },
            };
            let mut backoff = BACKOFF_MIN;
            loop {
                match self.follow(&shutdown, lock.as_mut(), &mut backoff).await {
                    Outcome::Stop => {
                        if let Some(conn) = lock.take() {
                            let _ = conn.close().await;
                        }
                        return;
                    }
                    Outcome::LockLost => {
                        tracing::warn!("risk consumer lock connection lost; taking it again");
                        break;
                    }
                    Outcome::Retry(why) => {
                        tracing::info!(reason = %why, retry_in = ?backoff, "risk stream interrupted");
                        if pause(&shutdown, backoff).await {
                            if let Some(conn) = lock.take() {
                                let _ = conn.close().await;
                            }
                            return;
                        }
                        backoff = (backoff * 2).min(BACKOFF_MAX);
                    }
                }
            }
        }
    }

    async fn follow(
        &self,
        shutdown: &CancellationToken,
        mut lock: Option<&mut AnyConnection>,
        backoff: &mut Duration,
    ) -> Outcome {
        let after = match store::risk::cursor(&self.db).await {
            Ok(c) => c,
            Err(e) => return Outcome::Retry(format!("reading the cursor: {e}")),
        };
        let token = match std::fs::read_to_string(&self.token_file) {
            Ok(t) => t.trim().to_string(),
            Err(e) => {
                return Outcome::Retry(format!(
                    "reading the service token {}: {e}",
                    self.token_file.display()
                ));
            }
        };
        let mut stream = tokio::select! {
            () = shutdown.cancelled() => return Outcome::Stop,
            s = self.supply.watch(&token, after) => match s {
                Ok(s) => s,
                Err(e) => return Outcome::Retry(format!("opening the risk stream: {e}")),
            },
        };
        tracing::info!(
            after_sequence = after,
            "following the supply-chain risk stream"
        );
        let mut check = tokio::time::interval(LOCK_RETRY);
        check.tick().await;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return Outcome::Stop,
                _ = check.tick(), if lock.is_some() => {
                    if let Some(conn) = lock.as_deref_mut()
                        && conn.ping().await.is_err()
                    {
                        return Outcome::LockLost;
                    }
                }
                msg = stream.message() => match msg {
                    Ok(Some(event)) => {
                        *backoff = BACKOFF_MIN;
                        // A store hiccup: retry the same event until it is applied.
                        let mut wait = BACKOFF_MIN;
                        while let Err(e) = api::risk::apply(&self.db, &self.clock, &event).await {
                            tracing::warn!(sequence = event.sequence, error = %e, "applying a risk event failed; retrying");
                            if pause(shutdown, wait).await {
                                return Outcome::Stop;
                            }
                            wait = (wait * 2).min(BACKOFF_MAX);
                        }
                    }
                    Ok(None) => return Outcome::Retry("the risk stream ended".into()),
                    Err(e) => return Outcome::Retry(format!("the risk stream failed: {e}")),
                },
            }
        }
    }
}

/// Sleeps for `d`; true when shut down meanwhile.
async fn pause(shutdown: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        () = shutdown.cancelled() => true,
        () = tokio::time::sleep(d) => false,
    }
}
