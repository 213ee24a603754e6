//! A sweep: every configuration, repeated, in rounds. Within a round every point runs once, so
//! that drift of the machine (frequency, neighbours, heat) touches every backend alike rather
//! than favouring the one whose repetitions came first.

use super::RunError;
use super::affinity::Topology;
use crate::config::RunConfig;
use crate::results::{Repetition, SweepResults};
use crate::workload::WorkCalibration;

/// Runs `repeat` rounds of `configs` (one per entry of `results.points`, in the same order),
/// adding each run to its point. `before` is told which run starts; `after` sees the results
/// after every run (to rewrite the report files) and may stop the sweep by failing.
pub fn run_sweep(
    configs: &[RunConfig],
    repeat: u32,
    topology: &Topology,
    calibration: Option<WorkCalibration>,
    results: &mut SweepResults,
    before: &mut dyn FnMut(usize, u32, &RunConfig),
    after: &mut dyn FnMut(&SweepResults) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    assert_eq!(
        configs.len(),
        results.points.len(),
        "one point per configuration"
    );
    results.complete = false;
    for round in 0..repeat {
        for (index, cfg) in configs.iter().enumerate() {
            before(index, round, cfg);
            let run: Result<_, RunError> = super::run(cfg, topology, calibration, &mut |_| {});
            let run = match run {
                Ok(r) => r,
                Err(e) => {
                    after(results)?;
                    return Err(anyhow::Error::new(e).context(format!(
                        "{} at {} threads, round {}",
                        cfg.backend.info().name,
                        cfg.threads,
                        round + 1
                    )));
                }
            };
            results.points[index].push(Repetition::of(round, &run));
            if round + 1 == repeat && index + 1 == configs.len() {
                results.complete = true;
            }
            after(results)?;
        }
    }
    results.complete = true;
    Ok(())
}
