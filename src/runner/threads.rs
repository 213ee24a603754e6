//! Workers as threads of this process, sharing a region on the heap.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

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
    region: Arc<HeapRegion<B>>,
    handles: Vec<JoinHandle<Result<WorkerRecord, NoStart>>>,
    /// One message per worker whose loop has ended.
    ended: Receiver<()>,
    ended_seen: usize,
    clock: Clock,
}

impl<B: Backend> ThreadWorkers<B> {
    /// Spawns one thread per entry of `placement` (its CPU, or none); they wait at the gate.
    pub(crate) fn start(
        cfg: &RunConfig,
        placement: &[Option<usize>],
        settings: LoopSettings,
        clock: &Clock,
    ) -> Result<Self, RunError> {
        // Two's complement: the bank's balance may dip below zero while it runs.
        let initial = crate::workload::start_value(cfg.workload);
        let region = Arc::new(HeapRegion::<B>::new(
            cfg.workers,
            cfg.locks as usize,
            initial,
        ));
        let (ended_tx, ended) = mpsc::channel::<()>();
        let mut handles = Vec::with_capacity(cfg.workers);
        for (index, &cpu) in placement.iter().enumerate() {
            let (shared, clock, ended_tx) = (Arc::clone(&region), clock.clone(), ended_tx.clone());
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
        Ok(ThreadWorkers {
            region,
            handles,
            ended,
            ended_seen: 0,
            clock: clock.clone(),
        })
    }
}

impl<B: Backend> WorkerSet for ThreadWorkers<B> {
    fn len(&self) -> usize {
        self.handles.len()
    }

    fn wait(&mut self, timeout: Duration) -> Vec<Event> {
        match self.ended.recv_timeout(timeout) {
            Ok(()) => {
                self.ended_seen += 1;
                vec![Event::Finished]
            }
            // Every thread has ended, some without a word (a panic): all of them are done.
            Err(RecvTimeoutError::Disconnected) => {
                let rest = self.handles.len() - self.ended_seen;
                self.ended_seen = self.handles.len();
                vec![Event::Finished; rest]
            }
            Err(RecvTimeoutError::Timeout) => Vec::new(),
        }
    }

    fn done_ops(&self) -> u64 {
        super::done_ops(&self.region.view())
    }

    fn request_stop(&mut self) {
        self.region
            .view()
            .control
            .request_stop(|| self.clock.raw_ordered());
    }

    fn end_warmup(&mut self) {
        super::end_warmup(&self.region.view(), &self.clock);
    }

    fn waits(&self) -> Vec<super::supervise::WaitLine> {
        super::wait_lines(&self.region.view())
    }

    fn kill_running(&mut self) -> usize {
        // Threads cannot be killed; they are left behind, and the command exits.
        self.handles.iter().filter(|h| !h.is_finished()).count()
    }
}

impl<B: Backend> Workers for ThreadWorkers<B> {
    type Lock = B;

    fn view(&self) -> RegionView<'_, B> {
        self.region.view()
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
