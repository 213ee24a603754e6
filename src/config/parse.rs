//! The command line's value parsers: each turns one option's text into a value, or says, in one
//! line, why it cannot.

use std::time::Duration;

use crate::error::UsageError;
use crate::model::{LatencyMode, LockOrder, PinPolicy, WorkUnit};
use crate::registry;
pub use crate::runner::region::MAX_LOCKS;

/// The workloads, by CLI name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WorkloadChoice {
    /// Every operation adds one to a shared counter.
    Counter,
    /// Half the workers deposit 1, half withdraw 1, as often each; the balance must end where it
    /// started.
    Bank,
    /// Read-mostly: `--reads` percent of operations read a two-field record under the lock
    /// taken shared, the rest update it exclusively; a reader that sees the fields differ saw
    /// a torn write.
    Rw,
    /// Moves between `--accounts` accounts, each with its own lock, both held, taken in
    /// `--order`; the total balance must stay zero, and `naive` order can deadlock.
    Transfer,
}

/// Most workers a run may ask for.
pub const MAX_THREADS: usize = 4096;

/// Parses `--latency`: `full`, `off` or `sample=N`.
pub fn parse_latency(s: &str) -> Result<LatencyMode, UsageError> {
    match s.trim() {
        "full" => Ok(LatencyMode::Sample(1)),
        "off" => Ok(LatencyMode::Off),
        other => {
            let n = other.strip_prefix("sample=").ok_or_else(|| {
                UsageError::invalid(
                    "--latency",
                    s,
                    "expected full, off or sample=N (time every Nth acquisition)",
                )
            })?;
            match n.parse::<u32>() {
                Ok(0) | Err(_) => Err(UsageError::invalid(
                    "--latency",
                    s,
                    "N in sample=N must be a whole number from 1 to 4294967295",
                )),
                Ok(n) => Ok(LatencyMode::Sample(n)),
            }
        }
    }
}

/// Parses a backend name or alias into the registered name.
pub fn parse_backend(s: &str) -> Result<&'static str, UsageError> {
    let registry = registry::global();
    registry
        .get(s)
        .map(|e| e.name())
        .ok_or_else(|| UsageError::UnknownBackend {
            name: s.to_string(),
            valid: registry.names(),
        })
}

/// A list of backends, as `--backends` gives it (a newtype, so that clap takes it as one value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendList(pub Vec<&'static str>);

/// Parses a comma-separated list of backends (at least one, no repeats).
pub fn parse_backend_list(s: &str) -> Result<BackendList, UsageError> {
    let mut list = Vec::new();
    for name in s.split(',') {
        if name.trim().is_empty() {
            return Err(UsageError::invalid(
                "--backends",
                s,
                "empty name in the list",
            ));
        }
        let id = parse_backend(name)?;
        if list.contains(&id) {
            return Err(UsageError::invalid(
                "--backends",
                s,
                format!("'{}' appears twice", name.trim()),
            ));
        }
        list.push(id);
    }
    Ok(BackendList(list))
}

/// Thread counts of a sweep, as given; `Max` is resolved against the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThreadList {
    /// These counts, in this order.
    Counts(Vec<usize>),
    /// Powers of two up to the allowed CPUs, then that count and twice it.
    Max,
}

impl ThreadList {
    /// The counts for a machine with `cpus` allowed CPUs, ascending, without repeats.
    pub fn resolve(&self, cpus: usize) -> Vec<usize> {
        let mut counts = match self {
            ThreadList::Counts(c) => c.clone(),
            ThreadList::Max => {
                let mut c: Vec<usize> = std::iter::successors(Some(1usize), |n| Some(n * 2))
                    .take_while(|&n| n < cpus)
                    .collect();
                c.push(cpus.max(1));
                c.push(cpus.max(1) * 2);
                c
            }
        };
        counts.sort_unstable();
        counts.dedup();
        counts
    }
}

/// `digits` as a whole number; where it is not one, why, if a reason more telling than "not a
/// number" applies (a negative count; one past the largest).
fn whole(digits: &str) -> Result<u64, Option<String>> {
    let d = digits.trim();
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if d.strip_prefix('-').is_some_and(all_digits) {
        return Err(Some("a count cannot be negative".to_string()));
    }
    if all_digits(d) {
        return d
            .parse()
            .map_err(|_| Some(format!("too large: at most {}", u64::MAX)));
    }
    Err(None)
}

/// Parses a worker count (`--threads` and `--processes` of `run`): a whole number from 1 to
/// [`MAX_THREADS`].
pub fn parse_workers(s: &str) -> Result<usize, UsageError> {
    let bad = |reason: String| UsageError::invalid("worker count", s, reason);
    let n = whole(s).map_err(|why| {
        bad(why.unwrap_or_else(|| "expected a whole number such as 8".to_string()))
    })?;
    match usize::try_from(n) {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(bad(format!("must be from 1 to {MAX_THREADS}"))),
    }
}

/// Parses `--threads` of a sweep: `1,2,4,8`, `1..8` or `max`.
pub fn parse_thread_list(s: &str) -> Result<ThreadList, UsageError> {
    let t = s.trim();
    if t == "max" {
        return Ok(ThreadList::Max);
    }
    let bad = |reason: &str| UsageError::invalid("--threads", s, reason.to_string());
    let number = |p: &str| -> Result<usize, UsageError> {
        let n = whole(p).map_err(|why| {
            bad(&why.unwrap_or_else(|| {
                "expected a list such as 1,2,4,8, a range such as 1..8, or max".to_string()
            }))
        })?;
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if n == 0 || n > MAX_THREADS {
            return Err(bad(&format!(
                "thread counts must be from 1 to {MAX_THREADS}"
            )));
        }
        Ok(n)
    };
    if t.is_empty() {
        return Err(bad("the list is empty"));
    }
    if let Some((a, b)) = t.split_once("..") {
        let (a, b) = (number(a)?, number(b.trim_start_matches('='))?);
        if a > b {
            return Err(bad("the range is empty"));
        }
        return Ok(ThreadList::Counts((a..=b).collect()));
    }
    t.split(',')
        .map(number)
        .collect::<Result<Vec<_>, _>>()
        .map(ThreadList::Counts)
}

/// Parses a count: digits with optional `_` separators and an optional `k`, `M` or `G` suffix
/// (`1000000`, `1_000_000`, `1M`).
pub fn parse_count(s: &str) -> Result<u64, UsageError> {
    let t = s.trim().replace('_', "");
    let (digits, scale) = match t.as_bytes().last() {
        Some(b'k' | b'K') => (&t[..t.len() - 1], 1_000),
        Some(b'M') => (&t[..t.len() - 1], 1_000_000),
        Some(b'G') => (&t[..t.len() - 1], 1_000_000_000),
        _ => (&t[..], 1),
    };
    let n = whole(digits).map_err(|why| {
        UsageError::invalid(
            "count",
            s,
            why.unwrap_or_else(|| {
                "expected a whole number such as 1000000, 1_000_000 or 1M".to_string()
            }),
        )
    })?;
    n.checked_mul(scale)
        .ok_or_else(|| UsageError::invalid("count", s, "too large"))
}

/// Parses a duration such as `200ns`, `1us`, `1.5ms`, `60s`, `2m`.
pub fn parse_duration(s: &str) -> Result<Duration, UsageError> {
    let t = s.trim();
    let (number, unit) = t.split_at(
        t.find(|c: char| c.is_ascii_alphabetic() || c == 'µ')
            .unwrap_or(t.len()),
    );
    let value: f64 = number.parse().map_err(|_| {
        UsageError::invalid(
            "duration",
            s,
            "expected a number and a unit, such as 200ns, 1us, 5ms or 60s",
        )
    })?;
    let unit_ns = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        "" => {
            return Err(UsageError::invalid(
                "duration",
                s,
                "a unit is needed: ns, us, ms, s, m or h",
            ));
        }
        _ => {
            return Err(UsageError::invalid(
                "duration",
                s,
                "unknown unit; use ns, us, ms, s, m or h",
            ));
        }
    };
    let ns = value * unit_ns;
    if !ns.is_finite() || !(0.0..=1e9 * 86_400.0 * 365.0).contains(&ns) {
        return Err(UsageError::invalid(
            "duration",
            s,
            "must be between 0 and a year",
        ));
    }
    Ok(Duration::from_nanos(ns.round() as u64))
}

/// A comma-separated list of values, as `sweep` takes `--locks`, `--cs-work` and `--think`
/// (`run` takes one); a newtype, so that clap takes it as one value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct List<T>(pub Vec<T>);

impl<T: Copy> List<T> {
    /// The one value of a list that `run` was given, or the reason it has several.
    pub fn single(&self, flag: &'static str) -> Result<T, UsageError> {
        match self.0.as_slice() {
            [one] => Ok(*one),
            _ => Err(UsageError::invalid(
                flag,
                format!("{} values", self.0.len()),
                "`run` measures one setting: give one value (lists are for `sweep`)",
            )),
        }
    }
}

/// Splits a comma-separated list, refusing empty elements and repeats.
fn parse_list<T: PartialEq>(
    flag: &'static str,
    s: &str,
    one: impl Fn(&str) -> Result<T, UsageError>,
) -> Result<List<T>, UsageError> {
    let mut list = Vec::new();
    for item in s.split(',') {
        if item.trim().is_empty() {
            return Err(UsageError::invalid(flag, s, "empty element in the list"));
        }
        let value = one(item)?;
        if list.contains(&value) {
            return Err(UsageError::invalid(
                flag,
                s,
                format!("'{}' appears twice", item.trim()),
            ));
        }
        list.push(value);
    }
    Ok(List(list))
}

/// Parses `--locks`: a count of locks from 1 to [`MAX_LOCKS`], or a list of them (`1,64,100k`).
pub fn parse_locks(s: &str) -> Result<List<u64>, UsageError> {
    parse_list("--locks", s, |item| {
        let n = parse_count(item).map_err(|_| {
            UsageError::invalid("--locks", s, "expected whole numbers such as 1, 64 or 100k")
        })?;
        if !(1..=MAX_LOCKS).contains(&n) {
            return Err(UsageError::invalid(
                "--locks",
                s,
                format!("lock counts must be from 1 to {MAX_LOCKS}"),
            ));
        }
        Ok(n)
    })
}

/// The most CPU hogs `--noise` may start: one per CPU, on the largest machines.
pub const MAX_NOISE: u64 = 4096;

/// Parses `--noise`: CPU hogs, a count or (for `sweep`) a list of counts, 0 for none.
pub fn parse_noise(s: &str) -> Result<List<u64>, UsageError> {
    parse_list("--noise", s, |item| {
        let n = parse_count(item).map_err(|_| {
            UsageError::invalid(
                "--noise",
                s,
                "expected whole numbers of CPU hogs such as 0, 1 or 2",
            )
        })?;
        if n > MAX_NOISE {
            return Err(UsageError::invalid(
                "--noise",
                s,
                format!("at most {MAX_NOISE} CPU hogs"),
            ));
        }
        Ok(n)
    })
}

/// Parses a duration, or a list of them, for `flag`.
pub fn parse_duration_list(
    flag: &'static str,
) -> impl Fn(&str) -> Result<List<Duration>, UsageError> + Clone {
    move |s: &str| {
        parse_list(flag, s, |item| {
            parse_duration(item).map_err(|e| UsageError::invalid(flag, s, e.reason()))
        })
    }
}

/// Parses `--work-unit`: `time` or `instructions`.
pub fn parse_work_unit(s: &str) -> Result<WorkUnit, UsageError> {
    match s.trim() {
        "time" => Ok(WorkUnit::Time),
        "instructions" => Ok(WorkUnit::Instructions),
        _ => Err(UsageError::invalid(
            "--work-unit",
            s,
            "expected time or instructions",
        )),
    }
}

/// Parses `--order`: `ordered` or `naive`.
pub fn parse_order(s: &str) -> Result<LockOrder, UsageError> {
    match s.trim() {
        "ordered" => Ok(LockOrder::Ordered),
        "naive" => Ok(LockOrder::Naive),
        _ => Err(UsageError::invalid(
            "--order",
            s,
            "expected ordered (the lower-numbered account's lock first) or naive (the source's first)",
        )),
    }
}

/// Parses `--pin`: `compact`, `spread`, `none`, or a CPU list such as `0,2,4-7`.
pub fn parse_pin(s: &str) -> Result<PinPolicy, UsageError> {
    match s.trim() {
        "compact" => return Ok(PinPolicy::Compact),
        "spread" => return Ok(PinPolicy::Spread),
        "none" => return Ok(PinPolicy::None),
        _ => {}
    }
    let bad = || {
        UsageError::invalid(
            "--pin",
            s,
            "expected compact, spread, none or a CPU list such as 0,2,4-7",
        )
    };
    let mut cpus = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) =
                    (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
                if a > b || b - a > 65_536 {
                    return Err(bad());
                }
                cpus.extend(a..=b);
            }
            None => cpus.push(part.parse().map_err(|_| bad())?),
        }
    }
    Ok(PinPolicy::List(cpus))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_inputs() {
        assert_eq!(parse_count("1_000_000"), Ok(1_000_000));
        assert_eq!(parse_count("1M"), Ok(1_000_000));
        assert_eq!(parse_count("250k"), Ok(250_000));
        assert!(parse_count("-1").is_err());
        assert!(parse_count("1.5M").is_err());
        assert_eq!(parse_duration("200ns"), Ok(Duration::from_nanos(200)));
        assert_eq!(parse_duration("1us"), Ok(Duration::from_micros(1)));
        assert_eq!(parse_duration("1.5ms"), Ok(Duration::from_micros(1500)));
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("60").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
        assert_eq!(parse_latency("full"), Ok(LatencyMode::Sample(1)));
        assert_eq!(parse_latency("sample=64"), Ok(LatencyMode::Sample(64)));
        assert!(parse_latency("sample=0").is_err());
        assert!(parse_latency("sometimes").is_err());
        assert_eq!(parse_pin("0,2-4"), Ok(PinPolicy::List(vec![0, 2, 3, 4])));
        assert!(parse_pin("4-2").is_err());
        assert!(parse_pin("a,b").is_err());
        assert_eq!(parse_backend("parking_lot"), Ok("parking-lot"));
        assert_eq!(
            parse_backend_list("std, ticket"),
            Ok(BackendList(vec!["std", "ticket"]))
        );
        assert!(parse_backend_list("std,,ticket").is_err());
        assert!(parse_backend_list("std,std").is_err());
        assert!(parse_backend_list("std,nope").is_err());
        assert_eq!(
            parse_thread_list("1,2,4"),
            Ok(ThreadList::Counts(vec![1, 2, 4]))
        );
        assert_eq!(
            parse_thread_list("1..4").unwrap().resolve(2),
            vec![1, 2, 3, 4]
        );
        assert_eq!(parse_thread_list("max").unwrap().resolve(2), vec![1, 2, 4]);
        assert_eq!(
            parse_thread_list("max").unwrap().resolve(16),
            vec![1, 2, 4, 8, 16, 32]
        );
        assert_eq!(parse_thread_list("8,1,8").unwrap().resolve(2), vec![1, 8]);
        assert!(parse_thread_list("").is_err());
        assert!(parse_thread_list("0,1").is_err());
        assert!(parse_thread_list("4..2").is_err());
        assert!(matches!(
            parse_backend("no-such-lock"),
            Err(UsageError::UnknownBackend { .. })
        ));
    }
}
