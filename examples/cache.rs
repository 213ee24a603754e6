//! A memoising cache shared by worker threads: an `lru::LruCache` behind a lock (its `get`
//! reorders the list, so even a hit needs the lock exclusively), keys drawn from a Zipf
//! distribution as real request streams are (a few keys are asked for most of the time), and a
//! miss computed outside the lock and then inserted. Its locks are the probe's:
//!
//! ```text
//! cargo run --release --example cache -- --threads 4 --lookups 200000
//! LOCKBENCH_PROFILE=cache.json LOCKBENCH_BACKEND=spin cargo run --release --example cache
//! ```
//!
//! `--shards N` splits the cache into N (a key's shard is its hash): N lock objects of one name,
//! the usual cure for one hot lock; the profile shows them as one lock with N objects.

use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Instant;

use lockbench_probe::{Mutex, named_mutex};
use lru::LruCache;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand_distr::{Distribution, Zipf};

struct Options {
    threads: usize,
    lookups: u64,
    keys: u64,
    capacity: usize,
    shards: usize,
    skew: f64,
    work: u32,
    panic_after: Option<u64>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        lookups: 200_000,
        keys: 100_000,
        capacity: 10_000,
        shards: 1,
        skew: 1.1,
        work: 200,
        panic_after: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("{a} needs a value (usage: --help)"))?;
        let whole = |what: &str| -> Result<u64, String> {
            value
                .parse::<u64>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{what} takes a positive whole number, not '{value}'"))
        };
        match a.as_str() {
            "--threads" => o.threads = whole("--threads")? as usize,
            "--lookups" => o.lookups = whole("--lookups")?,
            "--keys" => o.keys = whole("--keys")?,
            "--capacity" => o.capacity = whole("--capacity")? as usize,
            "--shards" => o.shards = whole("--shards")? as usize,
            // For lockbench's tests: a worker panics holding the lock after N lookups.
            "--panic-after" => o.panic_after = Some(whole("--panic-after")?),
            "--work" => o.work = u32::try_from(whole("--work")?).map_err(|e| e.to_string())?,
            "--skew" => {
                o.skew = value
                    .parse()
                    .ok()
                    .filter(|s: &f64| *s > 0.0)
                    .ok_or_else(|| format!("--skew takes a positive number, not '{value}'"))?
            }
            _ => {
                return Err(format!(
                    "unknown option {a}; usage: cache [--threads N] [--lookups N per thread] \
                     [--keys N] [--capacity N] [--shards N] [--skew S] [--work N]"
                ));
            }
        }
    }
    Ok(o)
}

/// The value of `key`, at the price of `rounds` rounds of mixing: what a miss costs.
fn compute(key: u64, rounds: u32) -> u64 {
    let mut x = key;
    for _ in 0..rounds {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 29;
    }
    x
}

fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("cache: {e}");
            return ExitCode::from(2);
        }
    };
    let per_shard = NonZeroUsize::new((o.capacity / o.shards).max(1)).expect("at least 1");
    let shards: Vec<Mutex<LruCache<u64, u64>>> = (0..o.shards)
        .map(|_| named_mutex("lru", LruCache::new(per_shard)))
        .collect();
    let zipf = match Zipf::new(o.keys as f64, o.skew) {
        Ok(z) => z,
        Err(e) => {
            eprintln!("cache: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let hits: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..o.threads)
            .map(|t| {
                let (shards, zipf, o) = (&shards, &zipf, &o);
                s.spawn(move || {
                    let mut rng = SmallRng::seed_from_u64(0x5eed + t as u64);
                    let mut hits = 0u64;
                    let mut checksum = 0u64;
                    for done in 0..o.lookups {
                        if t == 0 && o.panic_after == Some(done) {
                            let _held = shards[0].lock();
                            panic!("asked to panic after {done} lookups");
                        }
                        let key = zipf.sample(&mut rng) as u64;
                        let shard = &shards[(compute(key, 1) % shards.len() as u64) as usize];
                        let cached = shard.lock().get(&key).copied();
                        let value = match cached {
                            Some(v) => {
                                hits += 1;
                                v
                            }
                            None => {
                                let v = compute(key, o.work);
                                shard.lock().put(key, v);
                                v
                            }
                        };
                        checksum = checksum.wrapping_add(value);
                    }
                    std::hint::black_box(checksum);
                    hits
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("worker")).sum()
    });
    let seconds = started.elapsed().as_secs_f64();
    // Every value the cache kept is the one its key computes to: a lock that let two threads
    // into the list at once shows here (or crashes the list first).
    for shard in &shards {
        for (key, value) in shard.lock().iter() {
            if *value != compute(*key, o.work) {
                eprintln!("cache: the cache holds a wrong value for key {key}");
                return ExitCode::from(3);
            }
        }
    }
    let lookups = o.lookups * o.threads as u64;
    println!(
        "threads: {}, lookups: {lookups}, keys: {}, capacity: {}, shards: {}",
        o.threads, o.keys, o.capacity, o.shards
    );
    println!("hit ratio: {:.3}", hits as f64 / lookups as f64);
    println!(
        "lookups per second: {:.0}",
        lookups as f64 / seconds.max(1e-9)
    );
    ExitCode::SUCCESS
}
