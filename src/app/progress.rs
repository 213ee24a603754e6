//! Progress on the terminal: a bar per run, a bar per sweep, a spinner for calibration. Hidden
//! with `--quiet`; drawn on stderr, so that stdout stays clean for tables and JSON. No bar has a
//! ticking thread of its own: on a small machine its every wake would preempt a pinned worker.
//! They are redrawn from the supervisor's progress tick and between runs.

use indicatif::{ProgressBar, ProgressStyle};

use crate::model::RunConfig;
use crate::report::format;
use crate::runner::Progress;

/// The bar of one run of `cfg`: operations done of its total, or for a timed run, time passed
/// of its length (in milliseconds, warm-up included).
pub(crate) fn run_bar(quiet: bool, cfg: &RunConfig) -> ProgressBar {
    let len = match cfg.duration_ms {
        Some(ms) => ms + cfg.warmup_ms,
        None => cfg.ops,
    };
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len)
    };
    let template = if cfg.timed() {
        "{spinner} {bar:40} {elapsed} of {msg}"
    } else {
        "{spinner} {bar:40} {pos}/{len} ops, {elapsed} (limit {msg}), ETA {eta}"
    };
    bar.set_style(ProgressStyle::with_template(template).expect("the template is valid"));
    bar.set_message(format::duration_ns(
        cfg.duration_ms
            .map_or(cfg.max_time_ms, |ms| ms + cfg.warmup_ms) as f64
            * 1e6,
    ));
    bar
}

/// A progress callback that moves `bar`. Short runs finish before the first tick and never
/// show it.
pub(crate) fn follow(bar: &ProgressBar) -> impl FnMut(&Progress) + '_ {
    let mut shown = false;
    move |p| {
        if !shown {
            bar.reset_elapsed();
            shown = true;
        }
        bar.set_position(match p.total_ops {
            Some(_) => p.done_ops,
            None => p.elapsed.as_millis() as u64,
        });
        bar.tick();
    }
}

/// The bar of a sweep of `runs` runs.
pub(crate) fn sweep_bar(quiet: bool, runs: u64) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(runs)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:30} {pos}/{len} runs, {elapsed}, ETA {eta}: {msg}",
        )
        .expect("the template is valid"),
    );
    bar
}

/// A spinner with `message`, for work of a few seconds; `tick` it to turn it.
pub(crate) fn spinner(message: &'static str) -> ProgressBar {
    let spinner = ProgressBar::new_spinner().with_message(message);
    spinner.tick();
    spinner
}
