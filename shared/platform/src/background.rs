//! A service's background tasks (timers, stream consumers, fan-out hubs), stopped with
//! the server: each watches the shutdown token to end cleanly, and whatever is still
//! running when the server has drained — a task stuck on a database that does not
//! answer — is dropped, so a shutdown never waits on it.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Spawns and stops background tasks; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Background {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    stop: CancellationToken,
    running: AtomicUsize,
    ended: Notify,
}

impl Background {
    /// Runs `task` until it ends or the tasks are stopped.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        if self.inner.stop.is_cancelled() {
            return;
        }
        self.inner.running.fetch_add(1, Ordering::AcqRel);
        let running = Running(self.inner.clone());
        tokio::spawn(async move {
            let _running = running;
            tokio::select! {
                () = task => {}
                () = _running.0.stop.cancelled() => {}
            }
        });
    }

    /// How many tasks are running.
    pub fn running(&self) -> usize {
        self.inner.running.load(Ordering::Acquire)
    }

    /// Waits up to `grace` for the tasks to end by themselves (they watch the shutdown
    /// token), then drops the rest and waits up to `grace` again for them to go.
    /// Returns how many were dropped.
    pub async fn stop(&self, grace: Duration) -> usize {
        let _ = tokio::time::timeout(grace, self.all_ended()).await;
        let dropped = self.running();
        self.inner.stop.cancel();
        let _ = tokio::time::timeout(grace, self.all_ended()).await;
        dropped
    }

    async fn all_ended(&self) {
        loop {
            let ended = self.inner.ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if self.running() == 0 {
                return;
            }
            ended.await;
        }
    }
}

/// Counts a task until it ends, however it ends.
struct Running(Arc<Inner>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::AcqRel);
        self.0.ended.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stuck_task_is_dropped_and_a_polite_one_ends_by_itself() {
        let tasks = Background::default();
        let shutdown = CancellationToken::new();
        let polite = shutdown.clone();
        tasks.spawn(async move { polite.cancelled().await });
        tasks.spawn(std::future::pending());
        assert_eq!(tasks.running(), 2);
        shutdown.cancel();
        assert_eq!(tasks.stop(Duration::from_millis(100)).await, 1);
        assert_eq!(tasks.running(), 0);
        // Nothing starts after the stop.
        tasks.spawn(std::future::pending());
        assert_eq!(tasks.running(), 0);
    }
}
