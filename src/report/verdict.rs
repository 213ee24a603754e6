//! The verdict in words, as every report shows it: the HTML page's first section, summary.md's
//! first heading and the end of `sweep`'s output. The reading itself is `analysis::verdict`'s.

use super::format::{duration_ns, rate, regime_label, series_label};
use crate::model::{Caveat, Contrast, FindingGroup, Findings, SeriesKey, WorkerMode};

/// One group of the verdict: a heading ("2 threads", with the regime when a sweep has several)
/// and its sentences.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Paragraph {
    /// What the sentences are about.
    pub heading: String,
    /// Plain sentences, each ending in a full stop.
    pub sentences: Vec<String>,
}

/// `x` as a ratio: `1.32×`, `12×`.
pub fn times(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}×")
    } else {
        format!("{x:.2}×")
    }
}

/// "2 threads", "4 processes", or "2 workers" when the group mixes threads and processes.
fn workers_heading(g: &FindingGroup) -> String {
    let modes: Vec<WorkerMode> = g.ranking.iter().map(|r| r.series.mode).collect();
    let noun = if modes.iter().all(|m| *m == WorkerMode::Threads) {
        "thread"
    } else if modes.iter().all(|m| *m == WorkerMode::Processes) {
        "process"
    } else if modes.iter().all(|m| *m == WorkerMode::Tasks) {
        "task"
    } else {
        "worker"
    };
    let plural = match (g.workers, noun) {
        (1, _) => "",
        (_, "process") => "es",
        _ => "s",
    };
    format!("{} {noun}{plural}", g.workers)
}

fn name(s: &SeriesKey) -> String {
    series_label(s)
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The fewest repetitions that let the ranking rule tell any two locks apart (2 of their 2⁵
/// relabellings are as extreme as any outcome).
const PAIR_ROUNDS: usize = 5;

/// A claim's p-value in words: "p = 0.012, adjusted for 10 comparisons".
pub fn adjusted(p: f64, comparisons: usize) -> String {
    let p = if p < 0.001 {
        "p < 0.001".to_string()
    } else {
        format!("p = {p:.3}")
    };
    match comparisons {
        0 | 1 => p,
        n => format!("{p}, adjusted for {n} comparisons"),
    }
}

/// Whether the fastest is ahead of the other, in words that say what was tested: "beyond the
/// noise" is the ranking rule's claim; "the spread of either" is added only where every
/// repetition of one beat every repetition of the other.
fn beyond(c: &Contrast) -> String {
    let p = c.p.map_or(String::new(), |p| {
        format!(" ({})", adjusted(p, c.comparisons))
    });
    match (c.clear, c.ranges_apart) {
        (true, true) => format!("beyond the noise and the spread of either{p}"),
        (true, false) => format!("beyond the noise, though their ranges overlap{p}"),
        (false, _) => format!("within the noise of the repetitions{p}"),
    }
}

/// The verdict, a paragraph per group.
pub fn paragraphs(f: &Findings) -> Vec<Paragraph> {
    f.groups
        .iter()
        .map(|g| {
            let heading = if f.many_regimes {
                format!("{} · {}", regime_label(&g.regime), workers_heading(g))
            } else {
                workers_heading(g)
            };
            Paragraph {
                heading,
                sentences: sentences(g),
            }
        })
        .collect()
}

fn sentences(g: &FindingGroup) -> Vec<String> {
    let mut out = Vec::new();
    let uncontended = if g.workers == 1 { "Uncontended: " } else { "" };
    match (g.ranking.as_slice(), g.leaders) {
        ([], _) => out.push("No lock could be ranked.".to_string()),
        // A sentence may begin with a lock's name, which keeps its case.
        ([only], _) => out.push(format!(
            "{uncontended}only {} was measured: {} ops/s.",
            name(&only.series),
            rate(only.ops_per_sec.median)
        )),
        ([top, ..], _) if g.unjudged.is_some() => {
            let next = g.versus_next.as_ref().map_or(String::new(), |c| {
                format!(", {} {}", times(c.ratio), name(&c.other))
            });
            out.push(format!(
                "{uncontended}{} measured fastest ({} ops/s{next}), but with {}: no verdict on \
                 the order.",
                name(&top.series),
                rate(top.ops_per_sec.median),
                g.unjudged.as_deref().unwrap_or_default()
            ));
        }
        ([top, ..], 1) => {
            let next = g.versus_next.as_ref().map_or(String::new(), |c| {
                format!(": {} {}, {}", times(c.ratio), name(&c.other), beyond(c))
            });
            out.push(format!(
                "{uncontended}{} is fastest ({} ops/s){next}.",
                name(&top.series),
                rate(top.ops_per_sec.median)
            ));
        }
        (ranking, leaders) => {
            let names: Vec<String> = ranking[..leaders].iter().map(|r| name(&r.series)).collect();
            let rates: Vec<String> = ranking[..leaders]
                .iter()
                .map(|r| rate(r.ops_per_sec.median))
                .collect();
            let between = if leaders == 2 { "between" } else { "among" };
            let no_winner = if uncontended.is_empty() {
                "No clear winner"
            } else {
                "no clear winner"
            };
            let few = if g.rounds < PAIR_ROUNDS {
                format!(
                    " ({} repetitions tell only locks far apart; two close ones need \
                     {PAIR_ROUNDS}: rerun with --repeat {PAIR_ROUNDS})",
                    g.rounds
                )
            } else {
                String::new()
            };
            out.push(format!(
                "{uncontended}{no_winner} {between} {} ({} ops/s): none is ahead of the \
                 {} beyond the noise{few}.",
                and_list(&names),
                and_list(&rates),
                if leaders == 2 { "other" } else { "others" }
            ));
            if let Some(c) = &g.versus_next {
                out.push(format!(
                    "{} is {} {}, {}.",
                    name(&ranking[0].series),
                    times(c.ratio),
                    name(&c.other),
                    beyond(c)
                ));
            }
        }
    }
    if let Some(c) = &g.versus_std
        && g.ranking.len() > 1
    {
        let std_leads = g.ranking[..g.leaders].iter().any(|r| r.series == c.other);
        let said = g.versus_next.as_ref().is_some_and(|n| n.other == c.other);
        if !std_leads && !said {
            out.push(format!(
                "Against std: {}, {}.",
                times(c.ratio),
                if g.unjudged.is_some() {
                    "no verdict".to_string()
                } else {
                    beyond(c)
                }
            ));
        }
    }
    if g.oversubscribed {
        out.push(format!(
            "Oversubscribed ({} workers on {} CPUs): the scheduler decides as much as the lock.",
            g.workers, g.cpus
        ));
    }
    out.extend(caveats(&g.caveats));
    if !g.excluded.is_empty() {
        let names: Vec<String> = g
            .excluded
            .iter()
            .map(|(s, why)| format!("{} ({why})", name(s)))
            .collect();
        out.push(format!("Not ranked: {}.", and_list(&names)));
    }
    out
}

/// The caveats in words: one sentence per starving or CPU-hungry lock; the locks with a wide
/// spread, short runs or whole-run figures each named in one sentence.
fn caveats(all: &[Caveat]) -> Vec<String> {
    let mut out = Vec::new();
    let (mut wide, mut widest) = (Vec::new(), 0.0_f64);
    let (mut short, mut whole) = (Vec::new(), Vec::new());
    for c in all {
        match c {
            Caveat::Starves {
                series,
                handoff_rate,
                max_wait_ns,
                p50_wait_ns,
            } => out.push(format!(
                "{} starves waiters: only {:.0}% of acquisitions went to another worker, and \
                 the longest wait was {} (median {}).",
                name(series),
                handoff_rate * 100.0,
                duration_ns(*max_wait_ns as f64),
                duration_ns(*p50_wait_ns as f64)
            )),
            Caveat::CpuHungry {
                series,
                cpu_ns_per_op,
                thriftiest,
                thriftiest_ns_per_op,
            } => out.push(format!(
                "{} burns {} of CPU per operation, {} {}'s {}.",
                name(series),
                duration_ns(*cpu_ns_per_op),
                times(cpu_ns_per_op / thriftiest_ns_per_op.max(f64::MIN_POSITIVE)),
                name(thriftiest),
                duration_ns(*thriftiest_ns_per_op)
            )),
            Caveat::WideSpread {
                series,
                relative_width,
            } => {
                wide.push(name(series));
                widest = widest.max(*relative_width);
            }
            Caveat::ShortRuns { series, .. } => short.push(name(series)),
            Caveat::WholeRun { series } => whole.push(name(series)),
        }
    }
    if !wide.is_empty() {
        out.push(format!(
            "The repetitions of {} lie up to {:.0}% apart: rerun with more --repeat on a quieter \
             machine.",
            and_list(&wide),
            widest * 100.0
        ));
    }
    if !short.is_empty() {
        out.push(format!(
            "Some runs of {} were too short or mostly uncontended: rerun with a longer --duration.",
            and_list(&short)
        ));
    }
    if !whole.is_empty() {
        out.push(format!(
            "Some runs of {} had no contended interval: their figures cover the whole run.",
            and_list(&whole)
        ));
    }
    out
}

/// The verdict as plain text for the terminal: a line per group.
pub fn render_text(f: &Findings) -> String {
    let mut o = String::from("Verdict:\n");
    for p in paragraphs(f) {
        o.push_str(&format!("  {}: {}\n", p.heading, p.sentences.join(" ")));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Ranked, Regime, Spread};

    fn key(b: &str) -> SeriesKey {
        SeriesKey {
            backend: b.to_string(),
            mode: WorkerMode::Threads,
        }
    }

    fn ranked(b: &str, median: f64) -> Ranked {
        Ranked {
            series: key(b),
            ops_per_sec: Spread {
                median,
                min: median * 0.95,
                max: median * 1.05,
            },
            repetitions: 3,
        }
    }

    fn group() -> FindingGroup {
        FindingGroup {
            regime: Regime::default(),
            workers: 2,
            oversubscribed: false,
            cpus: 2,
            ranking: vec![
                ranked("ticket", 30e6),
                ranked("spin", 20e6),
                ranked("std", 10e6),
            ],
            leaders: 1,
            unjudged: None,
            rounds: 5,
            versus_next: Some(Contrast {
                other: key("spin"),
                ratio: 1.5,
                clear: true,
                p: Some(0.0123),
                comparisons: 3,
                ranges_apart: false,
            }),
            versus_std: Some(Contrast {
                other: key("std"),
                ratio: 3.0,
                clear: true,
                p: Some(0.0004),
                comparisons: 3,
                ranges_apart: true,
            }),
            caveats: vec![],
            excluded: vec![],
        }
    }

    #[test]
    fn a_clear_winner_is_named_with_its_margins() {
        let s = sentences(&group());
        assert_eq!(
            s,
            [
                "ticket is fastest (30.0 M ops/s): 1.50× spin, beyond the noise, though their \
                 ranges overlap (p = 0.012, adjusted for 3 comparisons).",
                "Against std: 3.00×, beyond the noise and the spread of either (p < 0.001, \
                 adjusted for 3 comparisons)."
            ]
        );
    }

    #[test]
    fn overlapping_leaders_have_no_winner() {
        let mut g = group();
        g.leaders = 2;
        g.versus_next = g.versus_std.clone();
        let s = sentences(&g);
        assert_eq!(
            s[0],
            "No clear winner between ticket and spin (30.0 M and 20.0 M ops/s): none is ahead of \
             the other beyond the noise."
        );
        assert_eq!(
            s[1],
            "ticket is 3.00× std, beyond the noise and the spread of either (p < 0.001, \
             adjusted for 3 comparisons)."
        );
    }

    #[test]
    fn a_difference_within_the_noise_says_so_with_its_p() {
        let mut g = group();
        let c = g.versus_std.as_mut().unwrap();
        c.clear = false;
        c.p = Some(0.31);
        let s = sentences(&g);
        assert_eq!(
            s[1],
            "Against std: 3.00×, within the noise of the repetitions (p = 0.310, adjusted for 3 \
             comparisons)."
        );
    }

    #[test]
    fn too_few_repetitions_give_no_verdict() {
        let mut g = group();
        g.unjudged = Some("1 repetition of some lock: at least 3 are needed".to_string());
        g.versus_std.as_mut().unwrap().clear = false;
        let s = sentences(&g);
        assert!(
            s[0].starts_with(
                "ticket measured fastest (30.0 M ops/s, 1.50× spin), but with 1 repetition"
            ),
            "{s:?}"
        );
        assert_eq!(s[1], "Against std: 3.00×, no verdict.");
    }

    #[test]
    fn caveats_and_exclusions_are_spelt_out() {
        let mut g = group();
        g.workers = 8;
        g.oversubscribed = true;
        g.caveats = vec![Caveat::Starves {
            series: key("ticket"),
            handoff_rate: 0.03,
            max_wait_ns: 12_000_000,
            p50_wait_ns: 40,
        }];
        g.excluded = vec![(key("my-lock"), "failed verification".to_string())];
        let s = sentences(&g).join(" ");
        assert!(s.contains("Oversubscribed (8 workers on 2 CPUs)"), "{s}");
        assert!(
            s.contains("ticket starves waiters: only 3% of acquisitions went to another worker, and the longest wait was 12.0 ms (median 40.0 ns)."),
            "{s}"
        );
        assert!(
            s.ends_with("Not ranked: my-lock (failed verification)."),
            "{s}"
        );
    }
}
