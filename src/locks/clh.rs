//! The CLH queue lock (Craig; Landin and Hagersten, 1993-94): like MCS, waiters form a FIFO queue
//! and each spins on one cache line of its own, but here a waiter spins on its *predecessor's*
//! node, which it finds by swapping its own node into the tail. There is no `next` link, so a
//! release is a single store, with no wait for a successor to link in.
//!
//! A node outlives its owner's critical section (the successor is still spinning on it), so
//! nodes cannot live on the stack as MCS nodes do. They are recycled, which is where CLH locks go
//! wrong: after a release a thread must *not* reuse its own node (its successor may not yet have
//! seen the release; re-locking the node would strand it). What the thread may reuse is its
//! predecessor's node: once that node showed the lock released, nobody else will ever read it.
//! So each acquisition trades nodes: a thread enters with one node and leaves with its
//! predecessor's, which it keeps, per thread, for its next acquisition of any CLH lock.
//!
//! Every node is a heap allocation that is always owned by exactly one thing: the thread that
//! holds it as its spare (freed when the thread ends), a thread inside `with` (its own node, until
//! it releases), a waiter (its predecessor's node, once released), or a lock whose queue ends in it
//! (the tail of an idle lock, freed when the lock is dropped). The nodes are in one process's
//! heap, so the lock cannot work across processes.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr;

use super::relax::{Relax, SpinThenYield};
use super::{Backend, Protection};
use crate::sync::{AtomicBool, AtomicPtr, Ordering, thread_local_const};

/// The flag one waiter spins on, alone on its cache lines.
#[repr(align(128))]
struct Node {
    /// True from its owner's arrival until its owner releases the lock.
    locked: AtomicBool,
    /// While the node is a thread's spare: the next spare of that thread (a thread inside
    /// several CLH locks at once leaves with several). Only the node's owner touches it; a
    /// node changes owner through `locked` (Release, then Acquire), which carries this too.
    next_spare: Cell<*mut Node>,
}

impl Node {
    fn boxed(locked: bool) -> *mut Node {
        Box::into_raw(Box::new(Node {
            locked: AtomicBool::new(locked),
            next_spare: Cell::new(ptr::null_mut()),
        }))
    }
}

/// A thread's spare nodes, a list through `next_spare` (empty until its first acquisition),
/// freed when the thread ends. One node is all a thread needs unless it nests CLH locks.
struct Spares(Cell<*mut Node>);

impl Spares {
    /// Takes a spare node, or makes one.
    #[inline]
    fn take(&self) -> *mut Node {
        let node = self.0.get();
        if node.is_null() {
            return Node::boxed(true);
        }
        // SAFETY: a spare node is owned by this thread alone (see the module's ownership
        // argument), so its list link is ours to read.
        self.0
            .set(unsafe { (*node).next_spare.replace(ptr::null_mut()) });
        node
    }

    /// Keeps `node`, now owned by this thread, for a later acquisition.
    #[inline]
    fn keep(&self, node: *mut Node) {
        // SAFETY: as above: the caller hands over a node that it owns.
        unsafe { (*node).next_spare.set(self.0.get()) };
        self.0.set(node);
    }
}

impl Drop for Spares {
    fn drop(&mut self) {
        let mut node = self.0.get();
        while !node.is_null() {
            // SAFETY: every node on the list is owned by this thread alone and is freed once,
            // here.
            let boxed = unsafe { Box::from_raw(node) };
            node = boxed.next_spare.get();
        }
    }
}

thread_local_const! {
    static SPARES: Spares = Spares(Cell::new(ptr::null_mut()));
}

/// The CLH lock, generic over what a waiter does while its predecessor holds the lock.
pub struct ClhLock<R = SpinThenYield> {
    /// The last node in the queue: while the lock is idle, a released node that it owns.
    tail: AtomicPtr<Node>,
    _relax: PhantomData<fn() -> R>,
}

impl<R: Relax> ClhLock<R> {
    /// A free lock (its queue holds one released node).
    pub fn new() -> Self {
        ClhLock {
            tail: AtomicPtr::new(Node::boxed(false)),
            _relax: PhantomData,
        }
    }

    /// Queues `node` (owned by the caller, not in any queue) and returns once the lock is held,
    /// with the predecessor's node, which the caller now owns.
    #[inline]
    fn acquire(&self, node: *mut Node) -> *mut Node {
        // SAFETY: the caller owns `node` and nobody else can see it until the swap below.
        // Relaxed: the swap's Release publishes this store to whoever finds the node.
        unsafe { (*node).locked.store(true, Ordering::Relaxed) };
        // AcqRel: Release publishes our node's `true` to our successor, which reads it after
        // finding the node here; Acquire makes the predecessor's node, as its owner left it,
        // visible to us before we read it.
        let pred = self.tail.swap(node, Ordering::AcqRel);
        let mut relax = R::default();
        // SAFETY: `pred` was the tail, so nobody but us will ever wait on it, and its owner
        // (the lock, or the thread that queued it) hands it to us without freeing it: it is
        // alive until we own it, once it reads `false`.
        // Acquire: pairs with the predecessor's Release store of `false`, which publishes its
        // critical section to ours (and, for a node that came with the lock, its creation).
        while unsafe { (*pred).locked.load(Ordering::Acquire) } {
            relax.relax();
        }
        pred
    }
}

/// Releases the lock held through `node`. The node now belongs to the successor (or, while none
/// comes, to the lock).
#[inline]
fn release(node: *mut Node) {
    // SAFETY: we hold the lock through `node`, which stays alive: its next owner is the thread
    // that spins on it, and it frees nothing (see the module's ownership argument).
    // Release: publishes our critical section to the successor's Acquire load.
    unsafe { (*node).locked.store(false, Ordering::Release) };
}

impl<R: Relax> Default for ClhLock<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R> Drop for ClhLock<R> {
    fn drop(&mut self) {
        // Nobody is inside or waiting (we have `&mut self`), so the tail is a released node
        // that the lock owns.
        let node = self.tail.load(Ordering::Relaxed);
        // SAFETY: as above: owned by the lock alone, freed once, here.
        drop(unsafe { Box::from_raw(node) });
    }
}

impl<R: Relax + 'static> Backend for ClhLock<R> {
    const KIND: Protection = Protection::Lock;
    const CANNOT_TIME_OUT: Option<&'static str> = Some(
        "a queued waiter's node is what its successor spins on: leaving needs a protocol (CLH-TO) this lock does not have",
    );

    unsafe fn init_at(at: *mut Self) {
        // SAFETY: the caller's contract: `at` is writable and aligned. The lock holds no
        // pointer to itself, so it may be made here.
        unsafe { at.write(Self::new()) }
    }

    #[inline]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        /// Releases the lock when dropped, also when the critical section panics, and keeps the
        /// predecessor's node as this thread's spare.
        struct Held {
            mine: *mut Node,
            pred: *mut Node,
        }
        impl Drop for Held {
            #[inline]
            fn drop(&mut self) {
                release(self.mine);
                let pred = self.pred;
                SPARES.with(|spares| spares.keep(pred));
            }
        }
        let node = SPARES.with(Spares::take);
        let pred = self.acquire(node);
        let _held = Held { mine: node, pred };
        f()
    }
}

// SAFETY: `ClhLock` holds a pointer to a node that it owns (while idle) or that the threads
// inside `with` own; nodes are only touched through their atomic flag and are freed once by their
// single owner, so the lock may be sent and shared between threads.
unsafe impl<R> Send for ClhLock<R> {}
// SAFETY: as above.
unsafe impl<R> Sync for ClhLock<R> {}

#[cfg(all(test, not(lockbench_loom)))]
mod tests {
    use super::*;
    use crate::locks::relax::Spin;
    use crate::locks::stress::exact_count_backend;

    #[test]
    fn lots_and_lots() {
        exact_count_backend::<ClhLock<SpinThenYield>>(4, 20_000);
        // Pure spinning: two threads (more would spin out time slices on a small machine).
        exact_count_backend::<ClhLock<Spin>>(2, 20_000);
    }

    #[test]
    fn a_thread_trades_its_node_for_its_predecessors() {
        // A thread of its own, so that its spares are this test's alone.
        std::thread::spawn(|| {
            let lock: ClhLock = ClhLock::new();
            let first_tail = lock.tail.load(Ordering::Relaxed);
            lock.with(|| ());
            // The lock's first node is now this thread's spare; the node it came with ends
            // the queue.
            let spare = SPARES.with(|s| s.0.get());
            assert_eq!(spare, first_tail);
            assert_ne!(lock.tail.load(Ordering::Relaxed), first_tail);
            // The next acquisition enters with the spare and leaves with the other node.
            let tail = lock.tail.load(Ordering::Relaxed);
            lock.with(|| ());
            assert_eq!(lock.tail.load(Ordering::Relaxed), first_tail);
            assert_eq!(SPARES.with(|s| s.0.get()), tail);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn nodes_travel_between_locks() {
        // One thread, two locks, taken in turn and nested: the nodes move between the queues
        // and the thread, which keeps two spares after a nested pair; every lock still works
        // and each node is freed once (under miri, checked). A thread of its own, so that its
        // spares are this test's alone.
        std::thread::spawn(|| {
            let a: ClhLock = ClhLock::new();
            let b: ClhLock = ClhLock::new();
            let mut n = 0;
            for _ in 0..10 {
                a.with(|| n += 1);
                b.with(|| a.with(|| n += 1));
            }
            assert_eq!(n, 20);
            let first = SPARES.with(|s| s.0.get());
            // SAFETY: this thread's spares, owned by it.
            let second = unsafe { (*first).next_spare.get() };
            assert!(!second.is_null(), "two spares after nesting");
            // SAFETY: as above.
            let third = unsafe { (*second).next_spare.get() };
            assert!(third.is_null(), "and no more");
        })
        .join()
        .unwrap();
    }

    #[test]
    fn a_panic_inside_hands_the_lock_on() {
        let lock: ClhLock = ClhLock::new();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lock.with(|| panic!("inside"));
        }));
        assert!(caught.is_err());
        let tail = lock.tail.load(Ordering::Relaxed);
        assert!(
            // SAFETY: the tail of an idle lock is a live node that the lock owns.
            !unsafe { (*tail).locked.load(Ordering::Relaxed) },
            "released"
        );
        assert_eq!(lock.with(|| 7), 7);
    }
}
