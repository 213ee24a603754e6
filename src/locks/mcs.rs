//! The MCS queue lock (Mellor-Crummey and Scott, 1991): waiters form a queue of nodes, one per
//! waiter, and each spins on a flag in its *own* node, so a release touches one waiter's cache
//! line instead of every waiter's. FIFO: the lock passes to the next node in the queue.
//!
//! The critical section is closure-style ([`Backend::with`]), so a waiter's node lives on its
//! stack for exactly as long as it takes part: no allocation, no thread-local. The queue's tail
//! points into waiters' stacks, so the lock cannot work across processes (another process's
//! stack is not in the shared mapping).

use std::marker::PhantomData;
use std::ptr;

use super::relax::{Relax, SpinThenYield};
use super::{Backend, Protection};
use crate::sync::{AtomicBool, AtomicPtr, Ordering};

/// One waiter's place in the queue, alone on its cache lines (the successor's spinning must not
/// disturb anyone else's).
#[repr(align(128))]
struct Node {
    /// The successor, once it has linked itself in.
    next: AtomicPtr<Node>,
    /// True while this waiter must wait; its predecessor clears it to hand the lock over.
    waiting: AtomicBool,
}

/// The MCS lock, generic over what a waiter does while its flag is set.
pub struct McsLock<R = SpinThenYield> {
    /// The last node in the queue (null: the lock is free).
    tail: AtomicPtr<Node>,
    _relax: PhantomData<fn() -> R>,
}

impl<R: Relax> McsLock<R> {
    /// A free lock.
    pub fn new() -> Self {
        McsLock {
            tail: AtomicPtr::new(ptr::null_mut()),
            _relax: PhantomData,
        }
    }

    /// Joins the queue with `node` and returns once it holds the lock.
    #[inline]
    fn acquire(&self, node: &Node) {
        let me = ptr::from_ref(node).cast_mut();
        // AcqRel: Release publishes our node's initialisation to the successor that will find
        // it here; Acquire makes the predecessor's node (its initialisation) visible to us
        // before we write into it, and, when the lock was free, pairs with the last holder's
        // Release compare-exchange that emptied the queue, so we see its critical section.
        let prev = self.tail.swap(me, Ordering::AcqRel);
        if prev.is_null() {
            return;
        }
        // SAFETY: `prev` was the tail: its owner is in `with`, and before its node goes away it
        // either empties the queue (impossible now: the tail is ours) or waits for this link
        // and hands over to us. So the node is alive until we link and are handed the lock.
        // Release: the predecessor's Acquire load of `next` sees our node initialised.
        unsafe { (*prev).next.store(me, Ordering::Release) };
        let mut relax = R::default();
        // Acquire: pairs with the predecessor's Release store of `false`, which publishes its
        // critical section to ours.
        while node.waiting.load(Ordering::Acquire) {
            relax.relax();
        }
    }

    /// Hands the lock to the successor of `node`, or frees it if there is none.
    #[inline]
    fn release(&self, node: &Node) {
        let me = ptr::from_ref(node).cast_mut();
        // Acquire: pairs with the successor's Release store of the link.
        let mut next = node.next.load(Ordering::Acquire);
        if next.is_null() {
            // Release on success: the next acquirer's AcqRel swap finds the queue empty and must
            // see our critical section. Relaxed on failure: a successor is linking in, and its
            // link (Acquire below) is what we wait for.
            if self
                .tail
                .compare_exchange(me, ptr::null_mut(), Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
            let mut relax = R::default();
            loop {
                // Acquire: as above.
                next = node.next.load(Ordering::Acquire);
                if !next.is_null() {
                    break;
                }
                relax.relax();
            }
        }
        // SAFETY: `next` linked itself to our node and waits on its own flag until we clear
        // it: its node is alive until this store, which is our last access to it.
        // Release: publishes our critical section to the successor's Acquire load.
        unsafe { (*next).waiting.store(false, Ordering::Release) };
    }
}

impl<R: Relax> Default for McsLock<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: Relax + 'static> Backend for McsLock<R> {
    const KIND: Protection = Protection::Lock;
    const CANNOT_TIME_OUT: Option<&'static str> = Some(
        "a queued waiter is linked into the queue and must be handed the lock: leaving needs a protocol (MCS-TO) this lock does not have",
    );

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned. The lock holds no
        // pointer to itself, so it may be made here.
        unsafe { at.write(Self::new()) }
    }

    #[inline]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        /// Releases the lock when dropped, also when the critical section panics, before the
        /// node it borrows goes away.
        struct Held<'a, R: Relax>(&'a McsLock<R>, &'a Node);
        impl<R: Relax> Drop for Held<'_, R> {
            #[inline]
            fn drop(&mut self) {
                self.0.release(self.1);
            }
        }
        let node = Node {
            next: AtomicPtr::new(ptr::null_mut()),
            waiting: AtomicBool::new(true),
        };
        self.acquire(&node);
        let _held = Held(self, &node);
        f()
    }
}

// `McsLock` is Send and Sync by its fields (atomics only); the nodes it points to belong to the
// threads inside `with`, which keep them alive as argued above.

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    use super::*;
    use crate::locks::relax::Spin;
    use crate::locks::stress::exact_count_backend;

    #[test]
    fn lots_and_lots() {
        exact_count_backend::<McsLock<SpinThenYield>>(4, 20_000);
        // Pure spinning: two threads (more would spin out time slices on a small machine).
        exact_count_backend::<McsLock<Spin>>(2, 20_000);
    }

    #[test]
    fn a_panic_inside_hands_the_lock_on() {
        let lock: McsLock = McsLock::new();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lock.with(|| panic!("inside"));
        }));
        assert!(caught.is_err());
        assert!(
            lock.tail.load(Ordering::Relaxed).is_null(),
            "the queue is empty"
        );
        assert_eq!(lock.with(|| 7), 7);
    }
}
