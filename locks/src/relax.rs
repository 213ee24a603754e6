//! What a waiting thread does between two looks at the lock (the relax strategy of spin-rs,
//! with the backoff shape of crossbeam-utils).
//!
//! A strategy is a type parameter of our locks, so the wait loop is compiled for it: there is
//! no call through a pointer while spinning. A fresh value is made for every wait.

use crate::sync::{spin_loop, yield_now};

/// One step of waiting; called each time a waiter finds the lock still taken.
pub trait Relax: Default {
    /// Waits a little before the next look at the lock.
    fn relax(&mut self);
}

/// Pure spinning with the CPU's spin hint. Fastest hand-off when every waiter has a core of its
/// own; collapses when threads outnumber cores (a waiter may spin out a whole time slice while
/// the holder, or the next in line, is not running).
#[derive(Debug, Default)]
pub struct Spin;

impl Relax for Spin {
    #[inline(always)]
    fn relax(&mut self) {
        spin_loop();
    }
}

/// Yields the CPU at every look. Slow hand-off, but never burns a time slice.
#[derive(Debug, Default)]
pub struct Yield;

impl Relax for Yield {
    #[inline]
    fn relax(&mut self) {
        yield_now();
    }
}

/// Spins [`SpinThenYield::SPINS`] times, then yields at every further look. Keeps a fair lock
/// (whose next owner is fixed) bounded when threads outnumber cores.
#[derive(Debug, Default)]
pub struct SpinThenYield {
    spins: u32,
}

impl SpinThenYield {
    /// How many spin hints before the waiter starts yielding.
    pub const SPINS: u32 = 128;
}

impl Relax for SpinThenYield {
    #[inline]
    fn relax(&mut self) {
        if self.spins < Self::SPINS {
            self.spins += 1;
            spin_loop();
        } else {
            yield_now();
        }
    }
}

/// Exponential backoff: 1, 2, 4, ... up to 2^[`Backoff::SPIN_LIMIT`] spin hints per look, then
/// a yield per look (the shape of crossbeam-utils' `Backoff::snooze`).
#[derive(Debug, Default)]
pub struct Backoff {
    step: u32,
}

impl Backoff {
    /// Largest exponent of the spin phase: at most 2^6 = 64 hints in one step.
    pub const SPIN_LIMIT: u32 = 6;
}

impl Relax for Backoff {
    #[inline]
    fn relax(&mut self) {
        if self.step <= Self::SPIN_LIMIT {
            for _ in 0..(1u32 << self.step) {
                spin_loop();
            }
            self.step += 1;
        } else {
            yield_now();
        }
    }
}
