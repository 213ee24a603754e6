//! A string interner shared by worker threads: every word gets a small number, the same one for
//! the same word, kept in 64 bins (a word's bin is its hash), each bin a map behind its own
//! lock, the 64 locks made at one line of the source, as sharded tables are. Threads intern
//! the words of a synthetic text (a Zipf-like vocabulary: a few words most of the time), so
//! the bins are taken unevenly and, with 64 of them, rarely at once. Its locks are the probe's:
//!
//! ```text
//! cargo run --release --example interner -- --threads 4 --words 2000000
//! LOCKBENCH_PROFILE=interner.json cargo run --release --example interner
//! ```

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::process::ExitCode;
use std::time::Instant;

use lockbench_probe::{Mutex, named_mutex};

/// Bins, each behind its own lock.
const BINS: usize = 64;

fn options() -> Result<(usize, u64, u64), String> {
    let (mut threads, mut words, mut vocabulary) = (
        std::thread::available_parallelism().map_or(2, |n| n.get()),
        1_000_000,
        50_000,
    );
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "-h" || a == "--help" {
            return Err("usage: interner [--threads N] [--words N] [--vocabulary N]".into());
        }
        let value = args
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|&n| n > 0);
        let value = value.ok_or_else(|| format!("{a} takes a positive whole number"))?;
        match a.as_str() {
            "--threads" => threads = value as usize,
            "--words" => words = value,
            "--vocabulary" => vocabulary = value,
            _ => return Err(format!("unknown option {a} (usage: --help)")),
        }
    }
    Ok((threads, words, vocabulary))
}

/// The interner: a word's number, made on first sight.
struct Interner {
    bins: Vec<Mutex<HashMap<String, u32>>>,
    hasher: RandomState,
    next: std::sync::atomic::AtomicU32,
}

impl Interner {
    fn new() -> Interner {
        Interner {
            bins: (0..BINS)
                .map(|_| named_mutex("bins", HashMap::new()))
                .collect(),
            hasher: RandomState::new(),
            next: std::sync::atomic::AtomicU32::new(0),
        }
    }

    fn intern(&self, word: &str) -> u32 {
        let bin = self.hasher.hash_one(word) as usize % BINS;
        let mut map = self.bins[bin].lock();
        if let Some(&n) = map.get(word) {
            return n;
        }
        // Relaxed: a unique number is all that is needed.
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        map.insert(word.to_string(), n);
        n
    }
}

/// The `i`th word of thread `t`'s text: word number k of the vocabulary with a chance
/// falling as 1/k (by inverting the harmonic sum's approximation, ln k).
fn word(t: usize, i: u64, vocabulary: u64) -> String {
    let mut x = (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (t as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    let u = (x >> 11) as f64 / (1u64 << 53) as f64;
    let k = ((vocabulary as f64).ln() * u).exp() as u64;
    format!("w{k}")
}

fn main() -> ExitCode {
    let (threads, words, vocabulary) = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("interner: {e}");
            return ExitCode::from(2);
        }
    };
    let interner = Interner::new();
    let started = Instant::now();
    let checksum: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let interner = &interner;
                s.spawn(move || {
                    let share = words / threads as u64;
                    (0..share)
                        .map(|i| u64::from(interner.intern(&word(t, i, vocabulary))))
                        .sum::<u64>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker panicked"))
            .sum()
    });
    let seconds = started.elapsed().as_secs_f64();
    let distinct: usize = interner.bins.iter().map(|b| b.lock().len()).sum();
    println!(
        "words: {}, distinct: {distinct}, checksum {checksum}",
        words / threads as u64 * threads as u64
    );
    println!("words per second: {:.0}", words as f64 / seconds.max(1e-9));
    ExitCode::SUCCESS
}
