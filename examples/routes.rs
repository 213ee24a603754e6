//! A routing table read by every request and changed now and then: one `RwLock` over a map
//! from a request's key to its route, worker threads each looking routes up (a read, the lock
//! taken shared) and, one time in `--writes-per 1000` (0.5% by default), replacing a route (a
//! write, exclusive). The read-mostly lock that reader-writer locks exist for; its locks are
//! the probe's:
//!
//! ```text
//! cargo run --release --example routes -- --threads 4 --lookups 2000000
//! LOCKBENCH_PROFILE=routes.json LOCKBENCH_BACKEND=std-rwlock cargo run --release --example routes
//! ```

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use lockbench_probe::{RwLock, named_rwlock};

fn options() -> Result<(usize, u64, u64), String> {
    let (mut threads, mut lookups, mut writes_per) = (
        std::thread::available_parallelism().map_or(2, |n| n.get()),
        1_000_000,
        5,
    );
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "-h" || a == "--help" {
            return Err("usage: routes [--threads N] [--lookups N] [--writes-per-1000 N]".into());
        }
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        let value = value.ok_or_else(|| format!("{a} takes a whole number"))?;
        match a.as_str() {
            "--threads" if value > 0 => threads = value as usize,
            "--lookups" if value > 0 => lookups = value,
            "--writes-per-1000" if value <= 1000 => writes_per = value,
            _ => {
                return Err(format!(
                    "{a} {value}: not an option with that value (usage: --help)"
                ));
            }
        }
    }
    Ok((threads, lookups, writes_per))
}

/// A route: where a request goes, and how it was chosen.
#[derive(Clone)]
struct Route {
    backend: String,
    weight: u32,
}

/// A generator of request keys for one thread (xorshift64).
struct Keys(u64);

impl Keys {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const ROUTES: u64 = 4096;

fn main() -> ExitCode {
    let (threads, lookups, writes_per) = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("routes: {e}");
            return ExitCode::from(2);
        }
    };
    let table: RwLock<HashMap<u64, Route>> = named_rwlock(
        "table",
        (0..ROUTES)
            .map(|k| {
                (
                    k,
                    Route {
                        backend: format!("10.0.{}.{}", k / 256, k % 256),
                        weight: 1,
                    },
                )
            })
            .collect(),
    );
    let started = Instant::now();
    let weights: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let table = &table;
                s.spawn(move || {
                    let mut keys = Keys((t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
                    let mut seen = 0u64;
                    for _ in 0..lookups / threads as u64 {
                        let k = keys.next();
                        if k % 1000 < writes_per {
                            let route = Route {
                                backend: format!("10.1.0.{}", k % 256),
                                weight: (k % 7) as u32 + 1,
                            };
                            table.write().insert(k % ROUTES, route);
                        } else {
                            let table = table.read();
                            let route = &table[&(k % ROUTES)];
                            seen += u64::from(route.weight) + route.backend.len() as u64 % 2;
                        }
                    }
                    seen
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker panicked"))
            .sum()
    });
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "lookups: {}, weights seen: {weights}",
        lookups / threads as u64 * threads as u64
    );
    println!(
        "lookups per second: {:.0}",
        lookups as f64 / seconds.max(1e-9)
    );
    ExitCode::SUCCESS
}
