//! The async mutexes: `tokio::sync::Mutex` and the async-lock crate's `Mutex`. In `--tasks` mode
//! a task awaits its turn ([`Backend::with_async`]): while it waits it gives its worker thread to
//! another task, where every other backend blocks the thread. With `--threads` they are taken
//! with their blocking calls (`blocking_lock`, `lock_blocking`), which is what synchronous code
//! sharing them with async code does.

use super::{Backend, Protection};

/// `tokio::sync::Mutex` (a fair, FIFO semaphore of one permit).
pub struct TokioMutex(tokio::sync::Mutex<()>);

impl Backend for TokioMutex {
    const KIND: Protection = Protection::Lock;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned; this type may move.
        unsafe { at.write(TokioMutex(tokio::sync::Mutex::new(()))) }
    }

    #[inline]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        // Outside a runtime (a worker thread of `--threads`), as synchronous code takes it.
        let _guard = self.0.blocking_lock();
        f()
    }

    #[inline]
    async fn with_async<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let _guard = self.0.lock().await;
        f()
    }
}

/// `async_lock::Mutex` (the async-lock crate, smol's: waits on an event; eventually fair, as a
/// waiter starved for 0.5 ms forces fair hand-offs).
pub struct AsyncLockMutex(async_lock::Mutex<()>);

impl Backend for AsyncLockMutex {
    const KIND: Protection = Protection::Lock;

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned; this type may move.
        unsafe { at.write(AsyncLockMutex(async_lock::Mutex::new(()))) }
    }

    #[inline]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        let _guard = self.0.lock_blocking();
        f()
    }

    #[inline]
    async fn with_async<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let _guard = self.0.lock().await;
        f()
    }
}

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::locks::stress::InPlace;

    /// While another thread holds the lock, a task waiting for it in `with_async` gives the
    /// runtime's only thread to a third task, and gets in once the lock is released. A
    /// backend whose wait blocks the thread (the await path gone) never lets the third task
    /// run: tokio's mutex panics at a blocking lock inside a runtime, async-lock's blocks; the
    /// check gives up after 10 s rather than hang.
    fn a_waiting_task_gives_its_thread_away<B: Backend>() {
        let lock = Arc::new(InPlace::<B>::new());
        let (held_tx, held_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let holder = {
            let lock = Arc::clone(&lock);
            std::thread::spawn(move || {
                lock.with(|| {
                    held_tx.send(()).unwrap();
                    let _ = release_rx.recv();
                })
            })
        };
        held_rx.recv().unwrap();
        let (done_tx, done_rx) = mpsc::channel();
        let runtime_thread = {
            let lock = Arc::clone(&lock);
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                let outcome = runtime.block_on(async move {
                    let entered = Arc::new(AtomicBool::new(false));
                    let waiter = {
                        let (lock, entered) = (Arc::clone(&lock), Arc::clone(&entered));
                        tokio::spawn(async move {
                            lock.with_async(|| entered.store(true, SeqCst)).await;
                        })
                    };
                    let ran = Arc::new(AtomicBool::new(false));
                    let other = {
                        let ran = Arc::clone(&ran);
                        tokio::spawn(async move { ran.store(true, SeqCst) })
                    };
                    other.await.unwrap();
                    for _ in 0..100 {
                        tokio::task::yield_now().await;
                    }
                    let waited = !entered.load(SeqCst);
                    release_tx.send(()).unwrap();
                    let finished = waiter.await.is_ok();
                    (ran.load(SeqCst), waited, finished && entered.load(SeqCst))
                });
                let _ = done_tx.send(outcome);
            })
        };
        let outcome = done_rx.recv_timeout(Duration::from_secs(10));
        assert_eq!(
            outcome,
            Ok((true, true, true)),
            "(another task ran while one waited, it waited, it then got in)"
        );
        holder.join().unwrap();
        runtime_thread.join().unwrap();
    }

    #[test]
    fn tokio_awaits_its_turn() {
        a_waiting_task_gives_its_thread_away::<TokioMutex>();
    }

    #[test]
    fn async_lock_awaits_its_turn() {
        a_waiting_task_gives_its_thread_away::<AsyncLockMutex>();
    }
}
