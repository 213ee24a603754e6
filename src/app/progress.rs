//! Progress on the terminal: a bar per run, a bar per sweep, a spinner for calibration. Hidden
//! with `--quiet`; drawn on stderr, so that stdout stays clean for tables and JSON. No bar has a
//! ticking thread of its own: on a small machine its every wake would preempt a pinned worker.
//! They are redrawn from the supervisor's progress tick and between runs.

use indicatif::{ProgressBar, ProgressStyle};

use crate::report::format;
use crate::runner::Progress;

/// The bar of one run of `total_ops` operations under a `max_time_ms` limit.
pub(crate) fn run_bar(quiet: bool, total_ops: u64, max_time_ms: u64) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total_ops)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} ops, {elapsed} (limit {msg}), ETA {eta}",
        )
        .expect("the template is valid"),
    );
    bar.set_message(format::duration_ns(max_time_ms as f64 * 1e6));
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
        bar.set_position(p.done_ops);
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
