//! Where Argon2id runs: a small pool of threads of its own, one per core.
//!
//! Each hash takes 19 MiB. Run on tokio's blocking pool, a burst of logins spreads that
//! over dozens of threads, and the allocator keeps a freed 19 MiB block in each thread's
//! arena: the soak run saw the sandbox grow to 4 GiB after 560 logins. A fixed set of
//! threads reuses the same few blocks, so memory stays flat, and the queue in front of them
//! bounds how much password work runs at once whatever the traffic.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, LazyLock, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// The pool failed the job: it panicked, or no worker could be started.
#[derive(Debug, thiserror::Error)]
#[error("the password worker stopped before it finished")]
pub struct PasswordWorkStopped;

static QUEUE: LazyLock<Option<Mutex<Sender<Job>>>> = LazyLock::new(start_workers);

fn start_workers() -> Option<Mutex<Sender<Job>>> {
    let (sender, receiver) = channel::<Job>();
    let receiver = Arc::new(Mutex::new(receiver));
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let mut started = 0;
    for index in 0..workers {
        let receiver = receiver.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("dojo-password-{index}"))
            .spawn(move || work(&receiver));
        if spawned.is_ok() {
            started += 1;
        }
    }
    (started > 0).then(|| Mutex::new(sender))
}

fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            // A panicking job drops its answer channel, which its caller reports.
            Ok(job) => {
                let _ = panic::catch_unwind(AssertUnwindSafe(job));
            }
            Err(_) => return,
        }
    }
}

/// Runs `work` (hashing or checking a password) on the password threads.
pub async fn run<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordWorkStopped> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = answer.send(work());
    });
    let queue = QUEUE.as_ref().ok_or(PasswordWorkStopped)?;
    queue
        .lock()
        .map_err(|_| PasswordWorkStopped)?
        .send(job)
        .map_err(|_| PasswordWorkStopped)?;
    answered.await.map_err(|_| PasswordWorkStopped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_come_back_and_a_panic_is_an_error_not_a_lost_worker() {
        assert_eq!(run(|| 6 * 7).await.expect("an answer"), 42);
        let failed = run(|| -> u8 { panic!("a bug in password code") }).await;
        assert!(failed.is_err());
        // The pool still works after the panic.
        let answers = futures_join((0..8).map(|n| run(move || n * 2)));
        assert_eq!(answers.await, (0..8).map(|n| n * 2).collect::<Vec<_>>());
    }

    async fn futures_join<F: std::future::Future<Output = Result<u32, PasswordWorkStopped>>>(
        futures: impl Iterator<Item = F>,
    ) -> Vec<u32> {
        let mut out = Vec::new();
        for future in futures.collect::<Vec<_>>() {
            out.push(future.await.expect("an answer"));
        }
        out
    }
}
