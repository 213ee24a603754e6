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
