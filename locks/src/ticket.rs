//! A ticket lock: FIFO. A thread takes the next ticket and waits until the lock serves it, as
//! at a bakery counter. Fair by construction, and so sensitive to preemption: if the thread
//! whose turn it is is not running, everyone behind it waits (the reason the default relax
//! strategy yields after a short spin).

use std::marker::PhantomData;

use crate::raw::RawLock;
use crate::relax::{Relax, SpinThenYield};
use crate::sync::{AtomicU32, Ordering};

/// FIFO ticket lock, generic over what a waiter does between looks.
///
/// Both counters share one cache line, as in the classic form; callers pad the lock as a whole.
/// They wrap at 2^32, which is harmless while fewer than 2^32 threads wait at once. One limit
/// remains in `try_lock`: a thread paused between its two instructions while exactly a multiple
/// of 2^32 tickets are handed out could see a stale match. Packing both counters into one
/// 64-bit word would close it at the price of the classic layout; four billion acquisitions in
/// one preemption is not a case this benchmark meets.
pub struct TicketLock<R = SpinThenYield> {
    next_ticket: AtomicU32,
    now_serving: AtomicU32,
    _relax: PhantomData<fn() -> R>,
}

// SAFETY: tickets are handed out once each by `fetch_add`, and `lock` returns only to the thread
// whose ticket equals `now_serving`; `now_serving` is advanced only by the holder in `unlock`.
// The Acquire loads of `now_serving` pair with the Release store in `unlock`, so each holder's
// writes happen-before the next holder's critical section.
unsafe impl<R: Relax> RawLock for TicketLock<R> {
    const CANNOT_GIVE_UP: Option<&'static str> = Some(
        "a drawn ticket must be served: a waiter that left would leave the lock waiting for it forever",
    );

    fn new() -> Self {
        TicketLock {
            next_ticket: AtomicU32::new(0),
            now_serving: AtomicU32::new(0),
            _relax: PhantomData,
        }
    }

    #[inline]
    fn lock(&self) {
        // Relaxed: taking a ticket only needs atomicity (each ticket once); the ordering with the
        // previous holder comes from the Acquire load of `now_serving` below.
        let ticket = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        // Acquire: pairs with the Release store in `unlock` of the holder before us.
        if self.now_serving.load(Ordering::Acquire) == ticket {
            return;
        }
        let mut relax = R::default();
        loop {
            relax.relax();
            // Acquire: as above.
            if self.now_serving.load(Ordering::Acquire) == ticket {
                return;
            }
        }
    }

    #[inline]
    fn try_lock(&self) -> bool {
        // Acquire: pairs with the Release store in `unlock` that wrote this value, so if the
        // compare-exchange below succeeds we have seen the last holder's critical section.
        let serving = self.now_serving.load(Ordering::Acquire);
        // Relaxed: success means no ticket is outstanding beyond `serving`, i.e. the lock is
        // free and now ours; the Acquire above already ordered us after the last release.
        self.next_ticket
            .compare_exchange(
                serving,
                serving.wrapping_add(1),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    #[inline]
    unsafe fn unlock(&self) {
        // Relaxed: `now_serving` changes only in `unlock`, by the holder; our own Acquire load
        // that let us in already read the latest value (read-read coherence).
        let serving = self.now_serving.load(Ordering::Relaxed);
        // Release: publishes the critical section to the next ticket's Acquire load.
        self.now_serving
            .store(serving.wrapping_add(1), Ordering::Release);
    }
}

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    use super::*;
    use crate::relax::Spin;

    #[test]
    fn smoke() {
        let lock: TicketLock = TicketLock::new();
        lock.lock();
        assert!(!lock.try_lock(), "a held lock must refuse try_lock");
        // SAFETY: this thread took the lock just above.
        unsafe { lock.unlock() };
        assert!(lock.try_lock());
        assert!(!lock.try_lock());
        // SAFETY: this thread took the lock just above.
        unsafe { lock.unlock() };
        lock.lock();
        // SAFETY: this thread took the lock just above.
        unsafe { lock.unlock() };
    }

    #[test]
    fn serves_in_ticket_order() {
        // A waiter holding ticket 1 must not get in before ticket 0 is released.
        let lock: TicketLock = TicketLock::new();
        lock.lock();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                lock.lock();
                // SAFETY: this thread took the lock just above.
                unsafe { lock.unlock() };
            });
            // Ticket 1 is taken by the waiter once next_ticket reaches 2.
            while lock.next_ticket.load(Ordering::Relaxed) < 2 {
                std::thread::yield_now();
            }
            assert!(!waiter.is_finished());
            assert!(!lock.try_lock(), "try_lock must not jump the queue");
            // SAFETY: this thread took the lock just above.
            unsafe { lock.unlock() };
        });
        assert!(lock.try_lock());
        // SAFETY: this thread took the lock just above.
        unsafe { lock.unlock() };
    }

    #[test]
    fn lots_and_lots() {
        crate::stress::exact_count::<TicketLock>(4, 20_000);
        crate::stress::exact_count::<TicketLock<Spin>>(2, 20_000);
    }
}
