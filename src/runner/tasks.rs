//! Workers as tasks (`--tasks`) on a tokio multi-threaded runtime, sharing a region on the heap:
//! the question async code asks, an async mutex or a blocking one held with no await inside.
//! The runtime's worker threads are `--threads`, pinned as threads are; each task checks in at
//! the same gate, runs the same bookkeeping, and yields to the runtime after every chunk.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::deadlock::WaitLine;
use super::hot_loop::{self, Seat};
use super::region::{ABORT, GO, Gate, RegionView};
use super::supervise::{Event, Supervision, WorkerSet};
use super::threads::OnHeap;
use super::worker::{NoStart, START_TIMEOUT};
use super::{LoopSettings, RunError, Workers, affinity};
use crate::analysis::WorkerRecord;
use crate::locks::Backend;
use crate::measure::clock::Clock;
use crate::model::RunConfig;

/// The runtime and its started tasks.
pub(crate) struct TaskWorkers<B: Backend> {
    runtime: Option<tokio::runtime::Runtime>,
    heap: OnHeap<B>,
    handles: Vec<tokio::task::JoinHandle<Result<WorkerRecord, NoStart>>>,
}

impl<B: Backend> TaskWorkers<B> {
    /// Builds a runtime of one worker thread per entry of `placement` (each pinned to its CPU,
    /// or not), and spawns `cfg.workers` tasks; they wait at the gate.
    pub(crate) fn start(
        cfg: &RunConfig,
        placement: &[Option<usize>],
        settings: LoopSettings,
        clock: &Clock,
    ) -> Result<Self, RunError> {
        let cpus: Arc<[Option<usize>]> = placement.into();
        let next_thread = Arc::new(AtomicUsize::new(0));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(placement.len().max(1))
            .thread_name("lockbench-rt")
            .on_thread_start(move || {
                // Relaxed: a ticket per thread; nothing else is published by it.
                let i = next_thread.fetch_add(1, Ordering::Relaxed);
                if let Some(&Some(cpu)) = cpus.get(i) {
                    affinity::pin_current(cpu);
                }
            })
            .build()
            .map_err(|source| RunError::Setup {
                what: "could not start the tokio runtime",
                source,
            })?;
        let (heap, ended_tx) = OnHeap::<B>::new(cfg, clock);
        let handles = (0..cfg.workers)
            .map(|index| {
                let (shared, clock, ended_tx) =
                    (Arc::clone(&heap.region), clock.clone(), ended_tx.clone());
                let seat = Seat {
                    index,
                    quota: super::quota(cfg, index),
                };
                runtime.spawn(async move {
                    let view = shared.view();
                    check_in_and_wait(view.gate).await?;
                    view.control.arrive();
                    while !view.control.all_arrived(view.progress.len()) {
                        tokio::task::yield_now().await;
                    }
                    let out = hot_loop::run_task(&view, seat, settings, &clock).await;
                    let _ = ended_tx.send(());
                    Ok(WorkerRecord {
                        requested_cpu: None,
                        pinned: false,
                        observed_cpu: None,
                        quota: seat.quota,
                        start_ticks: out.start_ticks,
                        stop_ticks: out.stop_ticks,
                        rec: out.rec,
                    })
                })
            })
            .collect();
        Ok(TaskWorkers {
            runtime: Some(runtime),
            heap,
            handles,
        })
    }
}

/// A task's check-in at the gate: as a thread's, but yielding to the runtime while it waits,
/// so that the other tasks on its thread can check in too.
async fn check_in_and_wait(gate: &Gate) -> Result<(), NoStart> {
    // Release: pairs with the supervisor's Acquire count of check-ins.
    gate.arrived.fetch_add(1, Ordering::Release);
    let arrived_at = Instant::now();
    loop {
        // Acquire: pairs with the supervisor's Release store of the signal.
        match gate.signal.load(Ordering::Acquire) {
            GO => return Ok(()),
            ABORT => return Err(NoStart::Aborted),
            _ if arrived_at.elapsed() > START_TIMEOUT * 2 => return Err(NoStart::TimedOut),
            _ => tokio::task::yield_now().await,
        }
    }
}

impl<B: Backend> WorkerSet for TaskWorkers<B> {
    fn len(&self) -> usize {
        self.handles.len()
    }

    fn wait(&mut self, timeout: Duration) -> Vec<Event> {
        self.heap.wait(self.handles.len(), timeout)
    }

    fn done_ops(&self) -> u64 {
        self.heap.done_ops()
    }

    fn request_stop(&mut self) {
        self.heap.request_stop();
    }

    fn end_warmup(&mut self) {
        self.heap.end_warmup();
    }

    fn waits(&self) -> Vec<WaitLine> {
        self.heap.waits()
    }

    fn kill_running(&mut self) -> usize {
        // A task blocked in a lock cannot be cancelled; the runtime is let go in the
        // background when this set is dropped.
        self.handles.iter().filter(|h| !h.is_finished()).count()
    }
}

impl<B: Backend> Workers for TaskWorkers<B> {
    type Lock = B;

    fn view(&self) -> RegionView<'_, B> {
        self.heap.region.view()
    }

    fn failed_to_start(&mut self) -> Option<RunError> {
        None
    }

    fn collect(&mut self, _: &Supervision) -> Result<Vec<WorkerRecord>, RunError> {
        let handles: Vec<_> = self.handles.drain(..).collect();
        let runtime = self
            .runtime
            .as_ref()
            .expect("the runtime lives until the set is dropped");
        runtime.block_on(async {
            let mut records = Vec::with_capacity(handles.len());
            for (index, h) in handles.into_iter().enumerate() {
                match h.await {
                    Ok(Ok(record)) => records.push(record),
                    Ok(Err(why)) => {
                        return Err(RunError::WorkerFailedToStart {
                            index,
                            message: format!(
                                "the task left the start gate without running ({why:?})"
                            ),
                        });
                    }
                    Err(e) => {
                        return Err(RunError::WorkerPanicked {
                            index,
                            message: e.to_string(),
                        });
                    }
                }
            }
            Ok(records)
        })
    }
}

impl<B: Backend> Drop for TaskWorkers<B> {
    fn drop(&mut self) {
        // Never wait here for a task that cannot end (one stuck in a lock after a failed run).
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
