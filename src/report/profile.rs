//! A program's profile (its own locks, as the probe measured them) on the terminal and as an
//! HTML page with each lock's wait and hold distributions.

use std::fmt::Write as _;

use crate::model::{LockKind, LockProfile, Profile};
use crate::report::charts;
use crate::report::format::{duration_ns, grouped, percent, rate};

/// The share of all waiting that `lock` accounts for.
fn wait_share(p: &Profile, lock: &LockProfile) -> f64 {
    let all: u64 = p.locks.iter().map(|l| l.wait.total_ns).sum();
    lock.wait.total_ns as f64 / all.max(1) as f64
}

/// Acquisitions per second over the program's run.
fn per_second(p: &Profile, lock: &LockProfile) -> f64 {
    lock.acquisitions as f64 / (p.wall_ns.max(1) as f64 / 1e9)
}

/// The lines above the table: what ran, under which lock, how it ended.
pub fn header(p: &Profile) -> Vec<String> {
    let ended = match &p.ended {
        crate::model::Ended::Exit => "it exited".to_string(),
        crate::model::Ended::Panic { message } => format!("a thread panicked ({message})"),
        crate::model::Ended::Signal { signal } => format!("{signal} ended it"),
        crate::model::Ended::OnDemand => "written on demand, while it ran".to_string(),
    };
    let mut lines = vec![
        format!("program   {}", p.program.join(" ")),
        format!(
            "backend   {} ({}){}",
            p.backend.name,
            p.backend.summary,
            if p.locks.iter().any(|l| l.kind == LockKind::Rwlock) && !p.readers_share {
                "; readers do not share it"
            } else {
                ""
            }
        ),
        format!(
            "run       {} from the first lock to the profile, {} thread{} took a lock; {ended}",
            duration_ns(p.wall_ns as f64),
            p.threads,
            if p.threads == 1 { "" } else { "s" }
        ),
        format!(
            "machine   {}, {} CPUs this program could use",
            p.environment.cpu_model,
            p.environment.allowed_cpus.len()
        ),
    ];
    if !p.environment.lock_crates.is_empty() {
        let crates: Vec<String> = p
            .environment
            .lock_crates
            .iter()
            .map(|c| format!("{} {}", c.name, c.version))
            .collect();
        lines.push(format!("crates    {}", crates.join(", ")));
    }
    if !p.recorded {
        lines.push(
            "recorded  nothing per acquisition (LOCKBENCH_RECORD=off): only the frame above"
                .to_string(),
        );
    }
    if p.unrecorded > 0 {
        lines.push(format!(
            "unrecorded {} acquisitions (taken while their thread was being torn down)",
            grouped(p.unrecorded)
        ));
    }
    lines
}

/// The program's locks on the terminal, hottest (most time waited) first, at most `top`.
pub fn table(p: &Profile, top: usize) -> String {
    let mut out = header(p).join("\n");
    out.push_str("\n\n");
    if p.locks.is_empty() {
        out.push_str("no probe lock was taken\n");
        return out;
    }
    let head = [
        "lock",
        "objects",
        "acquired",
        "per s",
        "waited",
        "wait share",
        "wait p50",
        "wait p99",
        "wait max",
        "hold p50",
        "hold p99",
        "hand-offs",
        "waiters",
    ];
    let rows: Vec<[String; 13]> = p
        .locks
        .iter()
        .take(top)
        .map(|l| {
            [
                match l.kind {
                    LockKind::Mutex => l.name.clone(),
                    LockKind::Rwlock => format!(
                        "{} (rw, {} read)",
                        l.name,
                        percent(l.shared_acquisitions as f64 / l.acquisitions.max(1) as f64)
                    ),
                },
                grouped(l.instances),
                grouped(l.acquisitions),
                rate(per_second(p, l)),
                percent(l.contention()),
                percent(wait_share(p, l)),
                duration_ns(l.wait.p50_ns as f64),
                duration_ns(l.wait.p99_ns as f64),
                duration_ns(l.wait.max_ns as f64),
                duration_ns(l.hold.p50_ns as f64),
                duration_ns(l.hold.p99_ns as f64),
                percent(l.handoff_rate()),
                format!("{:.2} (max {})", l.waiters_mean, l.waiters_max),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, (c, w)) in cells.zip(&widths).enumerate() {
            let pad = w - c.chars().count();
            if i == 0 {
                let _ = write!(s, "{c}{}", " ".repeat(pad));
            } else {
                let _ = write!(s, "  {}{c}", " ".repeat(pad));
            }
        }
        s.trim_end().to_string()
    };
    out.push_str(&line(&mut head.iter().copied()));
    out.push('\n');
    for r in &rows {
        out.push_str(&line(&mut r.iter().map(String::as_str)));
        out.push('\n');
    }
    if p.locks.len() > top {
        let _ = writeln!(out, "... and {} more (--top)", p.locks.len() - top);
    }
    out.push_str(&condvars(p));
    let _ = writeln!(
        out,
        "\nwaited: acquisitions that found the lock taken; wait share: of all the time the \
         program's threads waited for its locks; hand-offs: acquisitions by another thread than \
         the last holder; waiters: still waiting when it was taken; holds: {}.",
        match p.hold_sampling {
            1 => "every one timed".to_string(),
            n => format!("one acquisition in {n} timed"),
        }
    );
    out
}

/// The condition variables the program waited on, most slept first (nothing if none).
fn condvars(p: &Profile) -> String {
    let mut out = String::new();
    for c in &p.condvars {
        if out.is_empty() {
            out.push_str("\ncondition variable: waits (timed out), sleep p50, p99, in all\n");
        }
        let _ = writeln!(
            out,
            "{}: {} ({}), {}, {}, {}",
            c.name,
            grouped(c.waits),
            grouped(c.timed_out),
            duration_ns(c.sleep.p50_ns as f64),
            duration_ns(c.sleep.p99_ns as f64),
            duration_ns(c.sleep.total_ns as f64)
        );
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The profile as one self-contained HTML page: the table, then each of the hottest `top`
/// locks' wait and hold distributions.
pub fn html(p: &Profile, top: usize) -> String {
    let mut body = String::new();
    let _ = write!(body, "<pre>{}</pre>", escape(&table(p, top)));
    for l in p.locks.iter().take(top) {
        let _ = write!(body, "<section><h2>{}</h2>", escape(&l.name));
        match charts::profile_distributions(l) {
            Ok(svg) => body.push_str(&svg),
            Err(why) => {
                let _ = write!(body, "<p>{}</p>", escape(&why));
            }
        }
        body.push_str("</section>");
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>lockbench profile: {}</title><style>body{{font-family:sans-serif;margin:1.5em;\
         max-width:1100px}}pre{{font-size:13px;overflow-x:auto}}svg{{max-width:100%;\
         height:auto}}</style></head><body><h1>Your program's locks</h1>{body}</body></html>\n",
        escape(p.program.first().map_or("", String::as_str))
    )
}
