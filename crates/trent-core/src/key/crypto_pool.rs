//! A fixed pool of one thread per core for slow private-key operations (RSA
//! signing and decryption), fed by a queue.
//!
//! Why not `spawn_blocking` per request: with a blocking task per request,
//! every operation pays a round of thread wake-ups (task to blocking thread,
//! back to the async worker, then the next request's hand-off) during which a
//! core idles; for RSA-2048 that is a tenth of the work, and under load from
//! other processes it grows. Pool threads instead take the next queued job the
//! moment one finishes, so with requests waiting every core stays busy, and
//! never more than one private-key operation runs per core (more would only
//! time-slice the same cores). The async threads never run this work.

use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, Sender, channel};

use parking_lot::Mutex;

use crate::error::{KmsError, KmsResult};

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Pool {
    queue: Mutex<Sender<Job>>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        let rx: &'static Mutex<Receiver<Job>> = Box::leak(Box::new(Mutex::new(rx)));
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        for i in 0..cores {
            let spawned = std::thread::Builder::new().name(format!("trent-crypto-{i}")).spawn(move || {
                loop {
                    let job = rx.lock().recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
            if let Err(e) = spawned {
                tracing::error!("cannot start crypto pool thread: {e}");
            }
        }
        Pool { queue: Mutex::new(tx) }
    })
}

/// Runs `work` on the pool and waits for its result without blocking the caller's thread.
pub async fn run<R, F>(work: F) -> KmsResult<R>
where
    R: Send + 'static,
    F: FnOnce() -> KmsResult<R> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    pool().queue.lock().send(job).map_err(|_| KmsError::internal("crypto pool is gone"))?;
    rx.await.map_err(|_| KmsError::internal("crypto pool dropped a job"))?
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn runs_jobs_and_returns_results() {
        let mut handles = Vec::new();
        for i in 0..32u32 {
            handles.push(tokio::spawn(super::run(move || Ok(i * 2))));
        }
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(h.await.unwrap().unwrap(), i as u32 * 2);
        }
        let e =
            super::run(|| -> crate::error::KmsResult<()> { Err(crate::error::KmsError::invalid_ciphertext()) }).await;
        assert!(e.is_err());
    }
}
