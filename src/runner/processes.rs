//! The process runner: the workers are child processes of this same binary (re-executed, never
//! forked from a multi-threaded parent), sharing one `memfd` mapping that holds the region of
//! `region.rs`. Each child maps it, pins itself, checks in at the gate, runs the very hot loop
//! the threads run, and reports on stdout. The parent watches them: the time limit, a child that
//! dies (its death stops the others), and a grace period after which any child still running is
//! killed. Nothing is left behind: the memfd has no name in any file system, and every child is
//! reaped.

use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::RunError;
use super::affinity::{self, Topology};
use super::region::{ABORT, GO, Region};
use super::threads::{
    Plan, Progress, RawRun, STOP_GRACE, TICK, WorkerOutcome, all_running, request_stop, worker,
};
use crate::config::RunConfig;
use crate::locks::{self, Backend, BackendInfo, Visit};
use crate::measure::clock::Clock;
use crate::measure::recorder::{Recorder, decode_histogram, encode_histogram};
use crate::workload::Work;

/// How long the children have to map the region and check in.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the parent looks at its children.
const POLL: Duration = Duration::from_millis(10);

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
    pub fd: RawFd,
    /// Work-loop iterations inside the critical section (calibrated by the parent).
    pub cs_iterations: u64,
    /// Work-loop iterations between critical sections.
    pub think_iterations: u64,
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
    /// Raw clock at the start (the TSC, or the system-wide monotonic clock: both read the same
    /// in every process).
    pub start_raw: u64,
    /// Raw clock at the stop.
    pub stop_raw: u64,
    /// Latency histogram, compressed base64.
    pub latency_histogram: Option<String>,
    /// A robust mutex told this worker that a holder had died.
    pub owner_died: bool,
}

/// A `memfd` mapping, shared with the children through the inherited descriptor.
struct Mapping {
    fd: OwnedFd,
    at: NonNull<u8>,
    len: usize,
}

impl Mapping {
    /// A new anonymous file of `len` zero bytes, mapped shared. Not close-on-exec: the children
    /// inherit the descriptor.
    fn create(len: usize) -> io::Result<Mapping> {
        // SAFETY: the name is a valid C string; flags 0 (no MFD_CLOEXEC) on purpose.
        let fd = unsafe { libc::memfd_create(c"lockbench-region".as_ptr(), 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: memfd_create returned a fresh descriptor that nothing else owns.
        let mut fd = unsafe { OwnedFd::from_raw_fd(fd) };
        if fd.as_raw_fd() <= 2 {
            // A parent started with stdin, stdout or stderr closed got 0..2 back, which the
            // children's standard streams would overwrite: move it up (still inherited).
            // SAFETY: F_DUPFD duplicates our own descriptor to the lowest free number >= 3.
            let moved = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD, 3) };
            if moved < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: a fresh descriptor from fcntl; the old one closes when replaced.
            fd = unsafe { OwnedFd::from_raw_fd(moved) };
        }
        // SAFETY: ftruncate on our own descriptor; it zero-fills the file to `len`.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Self::map(fd, len)
    }

    /// Maps the inherited descriptor `fd` (a child's view of the parent's mapping).
    fn open(fd: RawFd, len: usize) -> io::Result<Mapping> {
        // Only a descriptor that is the parent's region will do (the hidden worker command can
        // be typed by anyone): /proc names a memfd "/memfd:<name> (deleted)".
        let target = std::fs::read_link(format!("/proc/self/fd/{fd}"))?;
        if fd <= 2
            || !target
                .to_string_lossy()
                .starts_with("/memfd:lockbench-region")
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "descriptor is not a lockbench shared region",
            ));
        }
        // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fstat writes into `st`; a bad `fd` is reported by its return value.
        if unsafe { libc::fstat(fd, &mut st) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if (st.st_size as u64) < len as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the shared region is smaller than this run needs",
            ));
        }
        // SAFETY: the descriptor was inherited from the parent for this process to own.
        Self::map(unsafe { OwnedFd::from_raw_fd(fd) }, len)
    }

    fn map(fd: OwnedFd, len: usize) -> io::Result<Mapping> {
        // SAFETY: a fresh shared mapping of `len` bytes of our descriptor; the kernel picks the
        // (page-aligned, so 128-aligned) address.
        let at = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if at == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping {
            fd,
            at: NonNull::new(at.cast()).expect("mmap does not return null on success"),
            len,
        })
    }
}

impl Mapping {
    /// References into the region in this mapping, borrowing the mapping.
    ///
    /// # Safety
    /// The mapping holds a region made by `Region::<B>::init` for `workers` workers.
    unsafe fn view<B: Backend>(&self, workers: usize) -> super::region::View<'_, B> {
        // SAFETY: the caller's contract; the returned view borrows `self`, so the memory stays
        // mapped for as long as it is used.
        unsafe { Region::<B>::view(self.at, workers) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmapping what `map` mapped; views borrow the Mapping (`Mapping::view`), so
        // none is alive. The descriptor closes when `fd` drops.
        unsafe { libc::munmap(self.at.as_ptr().cast(), self.len) };
    }
}

/// One child and the threads reading its output.
struct Worker {
    child: Child,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
    status: Option<ExitStatus>,
}

impl Worker {
    fn output(&mut self) -> (String, String) {
        let join =
            |h: Option<JoinHandle<String>>| h.and_then(|h| h.join().ok()).unwrap_or_default();
        (join(self.stdout.take()), join(self.stderr.take()))
    }
}

/// Kills and reaps every child still running when dropped: no early return leaves one behind.
struct Workers(Vec<Worker>);

impl Drop for Workers {
    fn drop(&mut self) {
        for w in &mut self.0 {
            if w.status.is_none() {
                let _ = w.child.kill();
                w.status = w.child.wait().ok();
            }
        }
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

/// The parent side, generic over the backend (see [`Visit`]).
pub(crate) struct Parent<'a> {
    pub cfg: &'a RunConfig,
    pub topology: &'a Topology,
    pub plan: Plan,
    pub clock: Clock,
    pub on_progress: &'a mut dyn FnMut(&Progress),
}

impl Visit for Parent<'_> {
    type Output = Result<RawRun, RunError>;

    fn visit<B: Backend>(self, _info: &'static BackendInfo) -> Self::Output {
        run_parent::<B>(self)
    }
}

fn run_parent<B: Backend>(p: Parent<'_>) -> Result<RawRun, RunError> {
    let cfg = p.cfg;
    let n = cfg.threads;
    let setup = |what: &'static str| move |source: io::Error| RunError::Setup { what, source };
    let map = Mapping::create(Region::<B>::layout(n).size())
        .map_err(setup("creating the shared memory (memfd)"))?;
    // SAFETY: a fresh mapping of the region's size, zero-filled, page-aligned, alive until the
    // end of this function, after every child has been reaped.
    unsafe { Region::<B>::init(map.at, cfg.workload.initial() as u64) };
    // SAFETY: initialised just above.
    let view = unsafe { map.view::<B>(n) };
    let exe = std::env::current_exe().map_err(setup("finding the lockbench executable"))?;

    let mut workers = Workers(Vec::with_capacity(n));
    for (index, cpu) in p.topology.placement(&cfg.pin, n).into_iter().enumerate() {
        let spec = WorkerSpec {
            config: cfg.clone(),
            index,
            cpu,
            fd: map.fd.as_raw_fd(),
            cs_iterations: p.plan.cs_work.iterations(),
            think_iterations: p.plan.think.iterations(),
            parent: std::process::id(),
        };
        let spawned = Command::new(&exe)
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
                // Release (with the Acquire in the children's wait): leave without running.
                view.gate.signal.store(ABORT, Ordering::Release);
                return Err(RunError::Spawn { index, source });
            }
        };
        let read = |mut from: Box<dyn Read + Send>| {
            thread::spawn(move || {
                let mut text = String::new();
                let _ = from.read_to_string(&mut text);
                text
            })
        };
        let stdout = child.stdout.take().map(|o| read(Box::new(o)));
        let stderr = child.stderr.take().map(|e| read(Box::new(e)));
        workers.0.push(Worker {
            child,
            stdout,
            stderr,
            status: None,
        });
    }

    // Every child checks in (mapped, pinned) before any starts.
    let waiting_since = Instant::now();
    // Acquire: pairs with each child's Release check-in (nothing else is published by it).
    while (view.gate.arrived.load(Ordering::Acquire) as usize) < n {
        for (index, w) in workers.0.iter_mut().enumerate() {
            if let Ok(Some(status)) = w.child.try_wait() {
                w.status = Some(status);
                view.gate.signal.store(ABORT, Ordering::Release);
                let (_, stderr) = w.output();
                let message = match first_line(&stderr) {
                    "" => describe(status),
                    line => format!("{} ({line})", describe(status)),
                };
                return Err(RunError::WorkerFailedToStart { index, message });
            }
        }
        if waiting_since.elapsed() > START_TIMEOUT {
            view.gate.signal.store(ABORT, Ordering::Release);
            return Err(RunError::WorkerFailedToStart {
                index: view.gate.arrived.load(Ordering::Relaxed) as usize,
                message: format!(
                    "not every worker checked in within {} s",
                    START_TIMEOUT.as_secs()
                ),
            });
        }
        thread::sleep(Duration::from_millis(1));
    }
    // Release: the children's Acquire load of the signal sees everything the parent set up.
    view.gate.signal.store(GO, Ordering::Release);

    let started = Instant::now();
    let deadline = started + Duration::from_millis(cfg.max_time_ms);
    let mut stop_requested: Option<Instant> = None;
    let mut died: Option<(usize, ExitStatus)> = None;
    let mut last_report = started;
    loop {
        let mut running = 0;
        for (index, w) in workers.0.iter_mut().enumerate() {
            if w.status.is_some() {
                continue;
            }
            match w.child.try_wait() {
                Ok(Some(status)) => {
                    w.status = Some(status);
                    if !status.success() && died.is_none() {
                        // A worker died: stop the others at once, so that nobody waits on a
                        // lock it may still hold.
                        died = Some((index, status));
                        request_stop(view.control, &p.clock);
                        stop_requested.get_or_insert_with(Instant::now);
                    }
                }
                Ok(None) => running += 1,
                Err(_) => running += 1,
            }
        }
        if running == 0 {
            break;
        }
        let now = Instant::now();
        if now.duration_since(last_report) >= TICK {
            last_report = now;
            let done_ops = view
                .progress
                .iter()
                .map(|l| l.0.load(Ordering::Relaxed))
                .sum();
            (p.on_progress)(&Progress {
                done_ops,
                total_ops: cfg.ops,
                elapsed: now - started,
            });
        }
        let all_done = || {
            view.progress
                .iter()
                .map(|l| l.0.load(Ordering::Relaxed))
                .sum::<u64>()
                >= cfg.ops
        };
        match stop_requested {
            None if now >= deadline && !all_done() => {
                request_stop(view.control, &p.clock);
                stop_requested = Some(now);
            }
            Some(at) if now >= at + STOP_GRACE => {
                // Still running after the grace period (waiting for a lock whose holder died,
                // or spinning): kill them. `Workers` reaps them.
                for w in workers.0.iter_mut().filter(|w| w.status.is_none()) {
                    let _ = w.child.kill();
                    w.status = w.child.wait().ok();
                }
                if died.is_none() {
                    return Err(RunError::DidNotStop {
                        stuck: running,
                        threads: n,
                        grace_s: STOP_GRACE.as_secs(),
                    });
                }
                break;
            }
            _ => {}
        }
        thread::sleep(POLL);
    }

    let mut reports = Vec::with_capacity(n);
    let mut owner_died_in = None;
    let mut died_said = String::new();
    for (index, w) in workers.0.iter_mut().enumerate() {
        let (stdout, stderr) = w.output();
        if died.is_some_and(|(i, _)| i == index) {
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
    if let Some((index, status)) = died {
        return Err(RunError::WorkerDied {
            index,
            how: if died_said.is_empty() {
                describe(status)
            } else {
                format!("{} ({died_said})", describe(status))
            },
            owner: owner_died_in
                .map(|i| {
                    format!("; the robust mutex reported its owner dead (EOWNERDEAD) to worker {i}")
                })
                .unwrap_or_default(),
        });
    }

    let placement = p.topology.placement(&cfg.pin, n);
    let workers_out = reports
        .into_iter()
        .enumerate()
        .map(|(index, r)| {
            let mut rec = Recorder::new();
            rec.ops = r.ops;
            rec.window_ops = r.window_ops;
            rec.handoffs = r.handoffs;
            if let Some(h) = r
                .latency_histogram
                .as_deref()
                .and_then(|h| decode_histogram(h).ok())
            {
                let _ = rec.wait_ns.add(&h);
            }
            WorkerOutcome {
                requested_cpu: placement[index],
                pinned: r.pinned,
                observed_cpu: r.observed_cpu,
                quota: cfg.quota(index),
                start_raw: r.start_raw,
                stop_raw: r.stop_raw,
                rec,
            }
        })
        .collect();
    // Relaxed: every child has exited and been reaped, which orders its writes before these.
    let control = view.control;
    let window_start = control.window_start_raw.load(Ordering::Relaxed);
    Ok(RawRun {
        workers: workers_out,
        counter: view.data.counter.load(Ordering::Relaxed),
        window_start_raw: (window_start != 0).then_some(window_start),
        window_end_raw: control.window_end_raw.load(Ordering::Relaxed),
        stopped_by_time_limit: stop_requested.is_some(),
        clock: p.clock,
    })
}

/// The child side: runs one worker as `spec` says and returns its report.
pub fn run_child(spec: &WorkerSpec) -> anyhow::Result<WorkerReport> {
    locks::visit(spec.config.backend, ChildSide { spec })
}

struct ChildSide<'a> {
    spec: &'a WorkerSpec,
}

impl Visit for ChildSide<'_> {
    type Output = anyhow::Result<WorkerReport>;

    fn visit<B: Backend>(self, _info: &'static BackendInfo) -> Self::Output {
        let spec = self.spec;
        let cfg = &spec.config;
        let n = cfg.threads;
        // If the parent dies, so do we: no orphan spins on a lock forever.
        // SAFETY: prctl with PR_SET_PDEATHSIG and a signal number only sets a process attribute.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
        // It may have died before the prctl: then our parent is someone else already.
        // SAFETY: getppid has no preconditions.
        if unsafe { libc::getppid() } as u32 != spec.parent {
            anyhow::bail!("the parent process is gone");
        }
        if spec.index >= n || cfg.backend.info().not_across_processes.is_some() {
            anyhow::bail!("this worker spec does not describe a process run");
        }
        let map = Mapping::open(spec.fd, Region::<B>::layout(n).size())?;
        // SAFETY: the parent initialised the region for `n` workers before starting us.
        let view = unsafe { map.view::<B>(n) };
        let clock = Clock::new();
        let pinned = spec.cpu.is_some_and(affinity::pin_current);
        let observed_cpu = affinity::current_cpu();
        // Release: pairs with the parent's Acquire count of check-ins.
        view.gate.arrived.fetch_add(1, Ordering::Release);
        let mut spins = 0u32;
        let arrived_at = Instant::now();
        loop {
            // Acquire: pairs with the parent's Release store of the signal.
            match view.gate.signal.load(Ordering::Acquire) {
                GO => break,
                ABORT => anyhow::bail!("the parent called the run off before the start"),
                _ if arrived_at.elapsed() > START_TIMEOUT * 2 => {
                    anyhow::bail!("no start signal from the parent")
                }
                _ if spins < 1000 => {
                    spins += 1;
                    std::hint::spin_loop();
                }
                _ => thread::sleep(Duration::from_micros(50)),
            }
        }
        all_running(view.control, n);
        let plan = Plan {
            cs_work: Work::from_iterations(spec.cs_iterations),
            think: Work::from_iterations(spec.think_iterations),
            latency: cfg.latency,
        };
        let delta = cfg.workload.delta(spec.index) as u64;
        let (start_raw, stop_raw, rec) = worker::<B>(
            &view,
            spec.index,
            cfg.quota(spec.index),
            delta,
            plan,
            &clock,
        );
        Ok(WorkerReport {
            pinned,
            observed_cpu,
            ops: rec.ops,
            window_ops: rec.window_ops,
            handoffs: rec.handoffs,
            start_raw,
            stop_raw,
            latency_histogram: (!rec.wait_ns.is_empty()).then(|| encode_histogram(&rec.wait_ns)),
            owner_died: crate::locks::pshared::owner_died_seen(),
        })
    }
}
