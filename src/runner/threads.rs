//! Workers as threads of this process, sharing a region on the heap.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::deadlock::WaitLine;
use super::hot_loop::Seat;
use super::region::{HeapRegion, RegionView};
use super::supervise::{Event, Supervision, WorkerSet};
use super::worker::{self, NoStart};
use super::{LoopSettings, RunError, Workers};
use crate::analysis::WorkerRecord;
use crate::locks::Backend;
use crate::measure::clock::Clock;
use crate::model::RunConfig;

/// The started worker threads.
pub(crate) struct ThreadWorkers<B: Backend> {
    heap: OnHeap<B>,
    handles: Vec<JoinHandle<Result<WorkerRecord, NoStart>>>,
}

/// What workers of this process (threads, or tasks) share with the supervisor: the region on
/// the heap, and a message from each worker whose loop has ended.
pub(super) struct OnHeap<B: Backend> {
    pub region: Arc<HeapRegion<B>>,
    ended: Receiver<()>,
    ended_seen: usize,
    clock: Clock,
}

impl<B: Backend> OnHeap<B> {
    /// A region for `cfg`, and the sender each worker signals its end with.
    pub fn new(cfg: &RunConfig, clock: &Clock) -> (Self, mpsc::Sender<()>) {
        // Two's complement: the bank's balance may dip below zero while it runs.
        let initial = crate::workload::start_value(cfg.workload);
        let region = Arc::new(HeapRegion::<B>::new(
            cfg.workers,
            cfg.locks as usize,
            initial,
        ));
        let (ended_tx, ended) = mpsc::channel::<()>();
        let heap = OnHeap {
            region,
            ended,
            ended_seen: 0,
            clock: clock.clone(),
        };
        (heap, ended_tx)
    }

    /// [`WorkerSet::wait`] for `workers` workers.
    pub fn wait(&mut self, workers: usize, timeout: Duration) -> Vec<Event> {
        match self.ended.recv_timeout(timeout) {
            Ok(()) => {
                self.ended_seen += 1;
                vec![Event::Finished]
            }
            // Every worker has ended, some without a word (a panic): all of them are done.
            Err(RecvTimeoutError::Disconnected) => {
                let rest = workers - self.ended_seen;
                self.ended_seen = workers;
                vec![Event::Finished; rest]
            }
            Err(RecvTimeoutError::Timeout) => Vec::new(),
        }
    }

    /// [`WorkerSet::done_ops`].
    pub fn done_ops(&self) -> u64 {
        super::done_ops(&self.region.view())
    }

    /// [`WorkerSet::request_stop`].
    pub fn request_stop(&self) {
        self.region
            .view()
            .control
            .request_stop(|| self.clock.raw_ordered());
    }

    /// [`WorkerSet::end_warmup`].
    pub fn end_warmup(&self) {
        super::end_warmup(&self.region.view(), &self.clock);
    }

    /// [`WorkerSet::waits`].
    pub fn waits(&self) -> Vec<WaitLine> {
        super::wait_lines(&self.region.view())
    }
}

impl<B: Backend> ThreadWorkers<B> {
    /// Spawns one thread per entry of `placement` (its CPU, or none); they wait at the gate.
    pub(crate) fn start(
        cfg: &RunConfig,
        placement: &[Option<usize>],
        settings: LoopSettings,
        clock: &Clock,
    ) -> Result<Self, RunError> {
        let (heap, ended_tx) = OnHeap::<B>::new(cfg, clock);
        let region = &heap.region;
        let mut handles = Vec::with_capacity(cfg.workers);
        for (index, &cpu) in placement.iter().enumerate() {
            let (shared, clock, ended_tx) = (Arc::clone(region), clock.clone(), ended_tx.clone());
            let seat = Seat {
                index,
                quota: super::quota(cfg, index),
            };
            let spawned = thread::Builder::new()
                .name(format!("lockbench-{index}"))
                .spawn(move || {
                    let record = worker::work(&shared.view(), seat, cpu, settings, &clock);
                    if record.is_ok() {
                        let _ = ended_tx.send(());
                    }
                    record
                });
            match spawned {
                Ok(h) => handles.push(h),
                Err(source) => {
                    worker::open_gate(region.view().gate, false);
                    for h in handles {
                        let _ = h.join();
                    }
                    return Err(RunError::Spawn { index, source });
                }
            }
        }
        Ok(ThreadWorkers { heap, handles })
    }
}

impl<B: Backend> WorkerSet for ThreadWorkers<B> {
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
        // Threads cannot be killed; they are left behind, and the command exits.
        self.handles.iter().filter(|h| !h.is_finished()).count()
    }
}

impl<B: Backend> Workers for ThreadWorkers<B> {
    type Lock = B;

    fn view(&self) -> RegionView<'_, B> {
        self.heap.region.view()
    }

    fn failed_to_start(&mut self) -> Option<RunError> {
        None
    }

    fn collect(&mut self, _: &Supervision) -> Result<Vec<WorkerRecord>, RunError> {
        let mut records = Vec::with_capacity(self.handles.len());
        for (index, h) in self.handles.drain(..).enumerate() {
            match h.join() {
                Ok(Ok(record)) => records.push(record),
                Ok(Err(why)) => {
                    return Err(RunError::WorkerFailedToStart {
                        index,
                        message: format!("it left the start gate without running ({why:?})"),
                    });
                }
                Err(payload) => {
                    let message = payload
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "(no message)".to_string());
                    return Err(RunError::WorkerPanicked { index, message });
                }
            }
        }
        Ok(records)
    }
}
