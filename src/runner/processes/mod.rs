//! Workers as processes: children of this same binary (re-executed, never forked from a
//! multi-threaded parent), sharing one `memfd` mapping that holds the region of `region.rs`.
//! Each child maps it and lives the life every worker lives (`worker.rs`), then reports on
//! stdout (`child.rs`). The parent supervises them as it does threads; beyond that, a child that
//! dies stops the others, and a child still running after the grace period is killed. Nothing is
//! left behind: the memfd has no name in any file system, and every child is reaped.

mod child;
mod mapping;

use std::io::Read;
use std::marker::PhantomData;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use child::run_child;
use mapping::Mapping;

use super::region::{Region, RegionView};
use super::supervise::{Event, Supervision, WorkerSet};
use super::{LoopSettings, RunError, Workers, worker};
use crate::analysis::WorkerRecord;
use crate::locks::Backend;
use crate::measure::clock::Clock;
use crate::measure::recorder::Tally;
use crate::measure::recorder::{Recorder, decode_histogram};
use crate::measure::usage::CpuUsage;
use crate::model::RunConfig;
use crate::workload::busy::BusyWork;
use crate::workload::drawn::DrawnWork;

/// How long the parent waits for a child whose output has ended to be reaped.
const REAP_STEP: Duration = Duration::from_millis(1);

/// The program the workers run: the very binary this process runs, even if the file it came
/// from has since been replaced (a rebuild during a sweep) or removed. A worker of another build
/// would lay the shared region out differently.
const THIS_BINARY: &str = "/proc/self/exe";

/// The parent's instructions to one worker process (its `--spec`).
#[derive(Debug, Serialize, Deserialize)]
pub struct WorkerSpec {
    /// The run.
    pub config: RunConfig,
    /// This worker's index.
    pub index: usize,
    /// CPU to pin to.
    pub cpu: Option<usize>,
    /// The inherited memfd of the shared region.
    pub fd: std::os::fd::RawFd,
    /// Work inside the critical section, sized by the parent (clock ticks are the same TSC in
    /// every process).
    pub cs_work: BusyWork,
    /// Work between critical sections.
    pub think: BusyWork,
    /// Work lengths drawn per operation instead, sized by the parent.
    #[serde(default)]
    pub draws: Option<DrawnWork>,
    /// The parent's process id: a child whose parent is gone leaves at once.
    pub parent: u32,
}

/// What a worker process prints on stdout when it is done.
#[derive(Debug, Serialize, Deserialize)]
pub struct WorkerReport {
    /// Whether pinning succeeded.
    pub pinned: bool,
    /// CPU just before the start.
    pub observed_cpu: Option<usize>,
    /// Operations completed.
    pub ops: u64,
    /// Operations inside the contended interval.
    pub window_ops: Option<u64>,
    /// Acquisitions after another worker's.
    pub handoffs: u64,
    /// Hand-offs inside the contended interval.
    pub window_handoffs: Option<u64>,
    /// Times it found another worker inside the critical section.
    pub exclusion_violations: u64,
    /// Clock ticks at the start (the TSC, or the system-wide monotonic clock: both read the
    /// same in every process).
    pub start_ticks: u64,
    /// Clock ticks at the stop.
    pub stop_ticks: u64,
    /// The latencies sampled outside the contended interval, compressed base64.
    pub latency_histogram: Option<String>,
    /// Those sampled inside it, likewise.
    pub window_latency_histogram: Option<String>,
    /// A robust mutex told this worker that a holder had died.
    pub owner_died: bool,
    /// CPU use over its whole loop.
    pub usage: Option<CpuUsage>,
    /// CPU use over the contended interval.
    pub window_usage: Option<CpuUsage>,
    /// Realised critical sections of the timed acquisitions.
    pub hold_ns: Tally,
    /// Realised think times.
    pub think_ns: Tally,
    /// The rw workload's reads.
    #[serde(default)]
    pub reads: u64,
    /// Its torn reads.
    #[serde(default)]
    pub torn_reads: u64,
    /// Acquisitions that gave up at their deadline.
    #[serde(default)]
    pub timeouts: u64,
    /// Its sampled waits of reads, compressed base64.
    #[serde(default)]
    pub read_latency_histogram: Option<String>,
    /// And of writes.
    #[serde(default)]
    pub write_latency_histogram: Option<String>,
    /// Its sampled waits that gave up.
    #[serde(default)]
    pub gave_up_histogram: Option<String>,
    /// `--wake-latency`: its timed hand-offs, those woken, and their latencies.
    #[serde(default)]
    pub timed_handoffs: u64,
    /// Those of them woken.
    #[serde(default)]
    pub woken: u64,
    /// Their latencies, compressed base64.
    #[serde(default)]
    pub wake_histogram: Option<String>,
}

/// One child and the threads reading its output.
struct ChildWorker {
    child: Child,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
    status: Option<ExitStatus>,
}

impl ChildWorker {
    fn output(&mut self) -> (String, String) {
        let join =
            |h: Option<JoinHandle<String>>| h.and_then(|h| h.join().ok()).unwrap_or_default();
        (join(self.stdout.take()), join(self.stderr.take()))
    }
}

/// The started worker processes and their shared mapping. Kills and reaps every child still
/// running when dropped: no early return leaves one behind.
pub(crate) struct ProcessWorkers<B: Backend> {
    children: Vec<ChildWorker>,
    /// A child's index when its stdout has ended (it exited, or is exiting).
    ended: Receiver<usize>,
    map: Mapping,
    cfg: RunConfig,
    placement: Vec<Option<usize>>,
    clock: Clock,
    _lock: PhantomData<fn() -> B>,
}

impl<B: Backend> ProcessWorkers<B> {
    /// Makes the shared region and starts one child per entry of `placement`; they check in
    /// at the gate.
    pub(crate) fn start(
        cfg: &RunConfig,
        placement: &[Option<usize>],
        settings: LoopSettings,
        clock: &Clock,
    ) -> Result<Self, RunError> {
        let n = cfg.workers;
        let setup =
            |what: &'static str| move |source: std::io::Error| RunError::Setup { what, source };
        let map = Mapping::create(Region::<B>::layout(n, cfg.locks as usize).size())
            .map_err(setup("creating the shared memory (memfd)"))?;
        let initial = crate::workload::start_value(cfg.workload);
        // SAFETY: a fresh mapping of the region's size, zero-filled; `ProcessWorkers` keeps it
        // mapped until every child has been reaped (its Drop runs before its fields').
        unsafe { map.init::<B>(n, cfg.locks as usize, initial) };
        // Children must stay ours to reap: a parent that inherited SIGCHLD ignored would have the
        // kernel reap them, and `try_wait` could never see them end.
        // SAFETY: resetting one signal's disposition to its default has no other effect.
        unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
        let (ended_tx, ended) = mpsc::channel();
        let mut set = ProcessWorkers {
            children: Vec::with_capacity(n),
            ended,
            map,
            cfg: cfg.clone(),
            placement: placement.to_vec(),
            clock: clock.clone(),
            _lock: PhantomData,
        };
        for (index, &cpu) in placement.iter().enumerate() {
            let spec = WorkerSpec {
                config: cfg.clone(),
                index,
                cpu,
                fd: set.map.fd(),
                cs_work: settings.cs_work,
                think: settings.think,
                draws: settings.draws.cloned(),
                parent: std::process::id(),
            };
            let spawned = Command::new(THIS_BINARY)
                .arg("__worker")
                .arg("--spec")
                .arg(serde_json::to_string(&spec).expect("a spec serialises"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn();
            let mut child = match spawned {
                Ok(c) => c,
                Err(source) => {
                    worker::open_gate(set.view().gate, false);
                    return Err(RunError::Spawn { index, source });
                }
            };
            // Each stream is read to its end on a thread of its own; the end of stdout (the
            // child exited) wakes the supervisor.
            let read = |mut from: Box<dyn Read + Send>, ended: Option<mpsc::Sender<usize>>| {
                thread::spawn(move || {
                    let mut text = String::new();
                    let _ = from.read_to_string(&mut text);
                    if let Some(ended) = ended {
                        let _ = ended.send(index);
                    }
                    text
                })
            };
            let stdout = child
                .stdout
                .take()
                .map(|o| read(Box::new(o), Some(ended_tx.clone())));
            let stderr = child.stderr.take().map(|e| read(Box::new(e), None));
            set.children.push(ChildWorker {
                child,
                stdout,
                stderr,
                status: None,
            });
        }
        Ok(set)
    }

    /// The reports of the children that ended well, or the error that explains why not all did.
    fn reports(&mut self, died: Option<usize>) -> Result<Vec<WorkerReport>, RunError> {
        let mut reports = Vec::with_capacity(self.children.len());
        let mut owner_died_in = None;
        let mut died_said = String::new();
        for (index, w) in self.children.iter_mut().enumerate() {
            let (stdout, stderr) = w.output();
            if died == Some(index) {
                died_said = first_line(&stderr).to_string();
            }
            if w.status.is_some_and(|s| s.success()) {
                match serde_json::from_str::<WorkerReport>(stdout.trim()) {
                    Ok(r) => {
                        if r.owner_died {
                            owner_died_in.get_or_insert(index);
                        }
                        reports.push(r);
                    }
                    Err(e) => {
                        return Err(RunError::WorkerFailedToStart {
                            index,
                            message: format!("its report is unreadable: {e}"),
                        });
                    }
                }
            } else if died.is_none() {
                let how = w.status.map_or("ended".to_string(), describe);
                let detail = first_line(&stderr);
                return Err(RunError::WorkerDied {
                    index,
                    how: if detail.is_empty() {
                        how
                    } else {
                        format!("{how} ({detail})")
                    },
                    owner: String::new(),
                });
            }
        }
        if let Some(index) = died {
            let status = self.children[index].status;
            let how = status.map_or("ended".to_string(), describe);
            return Err(RunError::WorkerDied {
                index,
                how: if died_said.is_empty() {
                    how
                } else {
                    format!("{how} ({died_said})")
                },
                owner: owner_died_in
                    .map(|i| {
                        format!(
                            "; the robust mutex reported its owner dead (EOWNERDEAD) to worker {i}"
                        )
                    })
                    .unwrap_or_default(),
            });
        }
        Ok(reports)
    }
}

impl<B: Backend> Drop for ProcessWorkers<B> {
    fn drop(&mut self) {
        self.kill_running();
    }
}

impl<B: Backend> WorkerSet for ProcessWorkers<B> {
    fn len(&self) -> usize {
        self.children.len()
    }

    fn wait(&mut self, timeout: Duration) -> Vec<Event> {
        let ended = match self.ended.recv_timeout(timeout) {
            Ok(index) => Some(index),
            Err(RecvTimeoutError::Timeout) => None,
            // Every child's output has ended already: they are exiting.
            Err(RecvTimeoutError::Disconnected) => {
                thread::sleep(timeout.min(REAP_STEP));
                None
            }
        };
        let mut events = self.reap();
        // A child closes its output just before it exits: give that exit a moment to land.
        if let Some(index) = ended {
            for _ in 0..1000 {
                if self.children[index].status.is_some() {
                    break;
                }
                thread::sleep(REAP_STEP);
                events.extend(self.reap());
            }
        }
        events
    }

    fn done_ops(&self) -> u64 {
        super::done_ops(&self.view())
    }

    fn request_stop(&mut self) {
        self.view()
            .control
            .request_stop(|| self.clock.raw_ordered());
    }

    fn end_warmup(&mut self) {
        super::end_warmup(&self.view(), &self.clock);
    }

    fn waits(&self) -> Vec<super::deadlock::WaitLine> {
        super::wait_lines(&Workers::view(self))
    }

    fn kill_running(&mut self) -> usize {
        let mut running = 0;
        for w in self.children.iter_mut().filter(|w| w.status.is_none()) {
            running += 1;
            let _ = w.child.kill();
            w.status = w.child.wait().ok();
        }
        running
    }
}

impl<B: Backend> ProcessWorkers<B> {
    /// The children that have exited since the last look, as events.
    fn reap(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        for (index, w) in self.children.iter_mut().enumerate() {
            if w.status.is_some() {
                continue;
            }
            // An error from try_wait leaves the child counted as running.
            if let Ok(Some(status)) = w.child.try_wait() {
                w.status = Some(status);
                events.push(if status.success() {
                    Event::Finished
                } else {
                    Event::Died { index }
                });
            }
        }
        events
    }
}

impl<B: Backend> Workers for ProcessWorkers<B> {
    type Lock = B;

    fn view(&self) -> RegionView<'_, B> {
        // SAFETY: `start` made a region for `cfg.workers` workers and `cfg.locks` locks here.
        unsafe {
            self.map
                .view::<B>(self.cfg.workers, self.cfg.locks as usize)
        }
    }

    fn failed_to_start(&mut self) -> Option<RunError> {
        for (index, w) in self.children.iter_mut().enumerate() {
            if let Ok(Some(status)) = w.child.try_wait() {
                w.status = Some(status);
                let (_, stderr) = w.output();
                let message = match first_line(&stderr) {
                    "" => describe(status),
                    line => format!("{} ({line})", describe(status)),
                };
                return Some(RunError::WorkerFailedToStart { index, message });
            }
        }
        None
    }

    fn collect(&mut self, supervision: &Supervision) -> Result<Vec<WorkerRecord>, RunError> {
        let reports = self.reports(supervision.died)?;
        Ok(reports
            .into_iter()
            .enumerate()
            .map(|(index, r)| {
                let mut rec = Recorder::new();
                rec.ops = r.ops;
                rec.window_ops = r.window_ops;
                rec.handoffs = r.handoffs;
                rec.window_handoffs = r.window_handoffs;
                rec.exclusion_violations = r.exclusion_violations;
                rec.usage = r.usage;
                rec.window_usage = r.window_usage;
                rec.hold_ns = r.hold_ns;
                rec.think_ns = r.think_ns;
                rec.reads = r.reads;
                rec.torn_reads = r.torn_reads;
                rec.timeouts = r.timeouts;
                let decoded =
                    |h: &Option<String>| h.as_deref().and_then(|h| decode_histogram(h).ok());
                if let Some(h) = decoded(&r.read_latency_histogram) {
                    let _ = rec.read_wait_ns.add(&h);
                }
                if let Some(h) = decoded(&r.write_latency_histogram) {
                    let _ = rec.write_wait_ns.add(&h);
                }
                if let Some(h) = decoded(&r.gave_up_histogram) {
                    let _ = rec.gave_up_ns.add(&h);
                }
                rec.timed_handoffs = r.timed_handoffs;
                rec.woken = r.woken;
                if let Some(h) = decoded(&r.wake_histogram) {
                    let _ = rec.wake_ns.add(&h);
                }
                if let Some(h) = decoded(&r.latency_histogram) {
                    let _ = rec.wait_ns.add(&h);
                }
                if let Some(h) = decoded(&r.window_latency_histogram) {
                    let _ = rec.window_wait_ns.add(&h);
                }
                WorkerRecord {
                    requested_cpu: self.placement[index],
                    pinned: r.pinned,
                    observed_cpu: r.observed_cpu,
                    quota: super::quota(&self.cfg, index),
                    start_ticks: r.start_ticks,
                    stop_ticks: r.stop_ticks,
                    rec,
                }
            })
            .collect())
    }
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (_, Some(sig)) => format!(
            "was killed by signal {sig}{}",
            if sig == libc::SIGKILL {
                " (SIGKILL)"
            } else {
                ""
            }
        ),
        (Some(code), _) => format!("exited with status {code}"),
        _ => "ended".to_string(),
    }
}
fn first_line(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}
