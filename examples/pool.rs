//! A thread pool: the main thread submits small jobs to a queue behind one lock, with a
//! condition variable that wakes an idle worker; the workers take jobs from the queue, run
//! them (a few microseconds of hashing each), and add each result to a total behind a second
//! lock. The queue is what every worker and the submitter meet at, as in most pools built on
//! a mutex and a condition variable. Its locks are the probe's:
//!
//! ```text
//! cargo run --release --example pool -- --threads 4 --jobs 200000
//! LOCKBENCH_PROFILE=pool.json LOCKBENCH_BACKEND=ticket cargo run --release --example pool
//! ```

use std::collections::VecDeque;
use std::process::ExitCode;
use std::time::Instant;

use lockbench_probe::{Condvar, Mutex, named_mutex};

fn options() -> Result<(usize, u64, u64), String> {
    let (mut threads, mut jobs, mut work) = (
        std::thread::available_parallelism().map_or(2, |n| n.get()),
        200_000,
        1_000,
    );
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "-h" || a == "--help" {
            return Err("usage: pool [--threads N] [--jobs N] [--work ROUNDS]".into());
        }
        let value = args
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|&n| n > 0);
        let value = value.ok_or_else(|| format!("{a} takes a positive whole number"))?;
        match a.as_str() {
            "--threads" => threads = value as usize,
            "--jobs" => jobs = value,
            "--work" => work = value,
            _ => return Err(format!("unknown option {a} (usage: --help)")),
        }
    }
    Ok((threads, jobs, work))
}

/// The queue: jobs waiting, and whether more will come.
struct Queue {
    jobs: VecDeque<u64>,
    closed: bool,
}

/// One job: `rounds` of a hash's mixing step over its seed.
fn run(seed: u64, rounds: u64) -> u64 {
    let mut x = seed.wrapping_mul(2) | 1;
    for _ in 0..rounds {
        x ^= x >> 31;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
    x
}

fn main() -> ExitCode {
    let (threads, jobs, work) = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("pool: {e}");
            return ExitCode::from(2);
        }
    };
    let queue = named_mutex(
        "queue",
        Queue {
            jobs: VecDeque::new(),
            closed: false,
        },
    );
    let ready = Condvar::new();
    let total: Mutex<u64> = named_mutex("total", 0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let mut q = queue.lock();
                    while q.jobs.is_empty() && !q.closed {
                        ready.wait(&mut q);
                    }
                    let Some(job) = q.jobs.pop_front() else { break };
                    drop(q);
                    let result = run(job, work);
                    let mut total = total.lock();
                    *total = total.wrapping_add(result);
                }
            });
        }
        // The submitter: jobs in batches of 16, a wake-up for each batch.
        for batch in 0..jobs.div_ceil(16) {
            let mut q = queue.lock();
            let from = batch * 16;
            q.jobs.extend(from..(from + 16).min(jobs));
            drop(q);
            ready.notify_all();
        }
        queue.lock().closed = true;
        ready.notify_all();
    });
    let seconds = started.elapsed().as_secs_f64();
    println!("jobs: {jobs}, result {:016x}", *total.lock());
    println!("jobs per second: {:.0}", jobs as f64 / seconds.max(1e-9));
    ExitCode::SUCCESS
}
