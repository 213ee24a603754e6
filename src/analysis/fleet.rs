//! Many machines' sweeps as one fleet: files grouped by what they measured (never mixed across
//! workloads or run settings), and per regime and worker count each machine's figures beside
//! its own verdict, by the ranking rule every verdict uses.

use super::verdict;
use crate::model::{
    Answer, Difference, Fleet, FleetCell, FleetGroup, FleetMachine, FleetPoint, FleetRow, Regime,
    SeriesKey, SetApart, SweepResults, WorkerMode, Workload,
};

/// What files must share to be read together: the workload and how each run was made. The
/// lock, worker counts, regimes and repetitions may differ (points are matched on them).
#[derive(Clone, Debug, PartialEq)]
struct Measured {
    workload: Workload,
    ops: u64,
    duration_ms: Option<u64>,
    warmup_ms: u64,
    work_unit: &'static str,
    pin: String,
    latency: String,
    wake_latency: bool,
    timeout_ns: Option<u64>,
}

impl Measured {
    fn of(r: &SweepResults) -> Measured {
        let s = &r.settings;
        Measured {
            workload: s.workload,
            ops: s.ops,
            duration_ms: s.duration_ms,
            warmup_ms: s.warmup_ms,
            work_unit: s.work_unit.name(),
            pin: s.pin.clone(),
            latency: s.latency.clone(),
            wake_latency: s.wake_latency,
            timeout_ns: s.timeout_ns,
        }
    }

    /// In words: "counter, 1000000 operations per run, work unit time, pin compact, latency
    /// sample=256".
    fn words(&self) -> String {
        let workload = match self.workload {
            Workload::Counter => "counter".to_string(),
            Workload::Bank { initial } => format!("bank (initial {initial})"),
            Workload::Rw { reads } => format!("rw ({reads}% reads)"),
            Workload::Transfer { accounts, order } => {
                format!("transfer ({accounts} accounts, {})", order.name())
            }
        };
        let length = match self.duration_ms {
            Some(ms) => format!("{ms} ms per run"),
            None => format!("{} operations per run", self.ops),
        };
        let mut words = format!(
            "{workload}, {length}, warm-up {} ms, work unit {}, pin {}, latency {}",
            self.warmup_ms, self.work_unit, self.pin, self.latency
        );
        if self.wake_latency {
            words.push_str(", wake-up latency timed");
        }
        if let Some(ns) = self.timeout_ns {
            words.push_str(&format!(", acquisitions time out after {ns} ns"));
        }
        words
    }
}

/// The fleet of `files` (each named as given, with its results). Files that share what they
/// measured with no other are set apart; an error when no two files share it.
pub fn fleet(files: &[(String, SweepResults)]) -> Result<Fleet, String> {
    let mut kinds: Vec<(Measured, Vec<usize>)> = Vec::new();
    for (i, (_, r)) in files.iter().enumerate() {
        let m = Measured::of(r);
        match kinds.iter_mut().find(|(k, _)| *k == m) {
            Some((_, members)) => members.push(i),
            None => kinds.push((m, vec![i])),
        }
    }
    let (together, alone): (Vec<_>, Vec<_>) = kinds.into_iter().partition(|(_, m)| m.len() > 1);
    if together.is_empty() {
        let each: Vec<String> = alone
            .iter()
            .map(|(m, members)| format!("{}: {}", files[members[0]].0, m.words()))
            .collect();
        return Err(format!(
            "no two of these files measured the same workload with the same settings, so none \
             can be read beside another ({})",
            each.join("; ")
        ));
    }
    let mut groups: Vec<FleetGroup> = together
        .into_iter()
        .map(|(m, members)| group(&m, &members.iter().map(|&i| &files[i]).collect::<Vec<_>>()))
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.machines.len()));
    Ok(Fleet {
        groups,
        set_apart: alone
            .into_iter()
            .map(|(m, members)| SetApart {
                file: files[members[0]].0.clone(),
                measured: m.words(),
            })
            .collect(),
    })
}

/// One group: its machines, what differs between their files, and its points.
fn group(m: &Measured, files: &[&(String, SweepResults)]) -> FleetGroup {
    let results: Vec<&SweepResults> = files.iter().map(|(_, r)| r).collect();
    let machines = machines(files);
    let findings: Vec<_> = results.iter().map(|r| verdict::findings(r)).collect();
    // Every (regime, workers) any machine measured, in the first file's order, then the rest.
    let mut keys: Vec<(Regime, usize)> = Vec::new();
    for f in &findings {
        for g in &f.groups {
            if !keys.contains(&(g.regime, g.workers)) {
                keys.push((g.regime, g.workers));
            }
        }
    }
    let points = keys
        .into_iter()
        .map(|(regime, workers)| {
            let mut series: Vec<SeriesKey> = Vec::new();
            let mut rows = Vec::new();
            for (machine, (r, f)) in results.iter().zip(&findings).enumerate() {
                let Some(g) = f
                    .groups
                    .iter()
                    .find(|g| g.regime == regime && g.workers == workers)
                else {
                    continue;
                };
                for p in r
                    .points
                    .iter()
                    .filter(|p| p.regime == regime && p.workers == workers)
                {
                    let key = p.key();
                    if !series.contains(&key) {
                        series.push(key);
                    }
                }
                let std = g
                    .ranking
                    .iter()
                    .find(|x| x.series.backend == "std" && x.series.mode == WorkerMode::Threads)
                    .map(|x| x.ops_per_sec.median);
                let answer = if let Some(why) = &g.unjudged {
                    Answer::Unjudged { why: why.clone() }
                } else if g.ranking.is_empty() {
                    Answer::Unjudged {
                        why: "no lock could be ranked".to_string(),
                    }
                } else if let [only] = g.ranking.as_slice() {
                    Answer::Unjudged {
                        why: format!("only {} was measured", only.series.backend),
                    }
                } else if g.leaders == 1 {
                    Answer::Clear {
                        winner: g.ranking[0].series.clone(),
                        ratio: g.versus_next.as_ref().map_or(f64::INFINITY, |c| c.ratio),
                    }
                } else {
                    Answer::Together {
                        leaders: g.ranking[..g.leaders]
                            .iter()
                            .map(|x| x.series.clone())
                            .collect(),
                    }
                };
                rows.push((machine, g.oversubscribed, answer, g.ranking.clone(), std));
            }
            let rows = rows
                .into_iter()
                .map(|(machine, oversubscribed, answer, ranking, std)| FleetRow {
                    machine,
                    cells: series
                        .iter()
                        .map(|key| {
                            ranking
                                .iter()
                                .find(|x| &x.series == key)
                                .map(|x| FleetCell {
                                    ops_per_sec: x.ops_per_sec,
                                    vs_std: std
                                        .filter(|s| *s > 0.0)
                                        .map(|s| x.ops_per_sec.median / s),
                                })
                        })
                        .collect(),
                    answer,
                    oversubscribed,
                })
                .collect();
            FleetPoint {
                regime,
                workers,
                series,
                rows,
            }
        })
        .collect();
    FleetGroup {
        workload: m.workload,
        settings: m.words(),
        differences: differences(&results),
        machines,
        points,
    }
}

/// The machines of a group, each named by its host; where two share a host name, by the host
/// and the CPU; where those are shared too, by the host and the file.
fn machines(files: &[&(String, SweepResults)]) -> Vec<FleetMachine> {
    let hosts: Vec<(&str, &str)> = files
        .iter()
        .map(|(_, r)| {
            (
                r.environment.hostname.as_str(),
                r.environment.cpu_model.as_str(),
            )
        })
        .collect();
    files
        .iter()
        .enumerate()
        .map(|(i, (file, r))| {
            let e = &r.environment;
            let same_host = hosts.iter().filter(|h| h.0 == hosts[i].0).count() > 1;
            let same_cpu = hosts.iter().filter(|h| **h == hosts[i]).count() > 1;
            FleetMachine {
                label: match (same_host, same_cpu) {
                    (false, _) => e.hostname.clone(),
                    (true, false) => format!("{} · {}", e.hostname, e.cpu_model),
                    (true, true) => format!("{} ({file})", e.hostname),
                },
                file: file.clone(),
                host: e.hostname.clone(),
                cpu_model: e.cpu_model.clone(),
                logical_cpus: e.logical_cpus,
                allowed_cpus: e.allowed_cpus.len(),
                physical_cores: e.physical_cores,
                virtualized: e.virtualized,
                lockbench_version: e.lockbench_version.clone(),
                started_utc: r.started_utc.clone(),
                pause_ns: e.pause_ns,
                timer_floor_ns: e.clock.ordered_floor_ns,
                costs: e.costs.clone(),
            }
        })
        .collect()
}

/// One setting of a results file, in words.
type Setting = fn(&SweepResults) -> String;

/// The settings that differ between the files: lockbench's version, the backends, worker
/// counts, regimes (with their CPU hogs), repetitions and time limit.
fn differences(results: &[&SweepResults]) -> Vec<Difference> {
    let fields: [(&str, Setting); 8] = [
        ("lockbench version", |r| {
            r.environment.lockbench_version.clone()
        }),
        ("schema version", |r| r.schema_version.to_string()),
        ("backends", |r| r.settings.backends.join(",")),
        ("threads", |r| join(&r.settings.threads)),
        ("processes", |r| join(&r.settings.processes)),
        ("regimes (locks, cs-work ns, think ns, CPU hogs)", |r| {
            r.settings
                .regimes
                .iter()
                .map(|g| {
                    format!(
                        "({}, {}, {}, {})",
                        g.locks, g.cs_work_ns, g.think_ns, g.noise
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        }),
        ("repetitions", |r| r.settings.repeat.to_string()),
        ("time limit ms", |r| r.settings.max_time_ms.to_string()),
    ];
    fields
        .iter()
        .filter_map(|(what, value)| {
            let values: Vec<String> = results.iter().map(|r| value(r)).collect();
            values.iter().any(|v| v != &values[0]).then(|| Difference {
                what: what.to_string(),
                values,
            })
        })
        .collect()
}

fn join(counts: &[usize]) -> String {
    counts
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xeon() -> SweepResults {
        // Read when the test runs, not compiled in: a copy of the crate without reports/ (the
        // loom mutants' scratch crate) must still build its unit tests.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/2-core-xeon-vm/results.json"
        );
        SweepResults::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn machines_are_read_together_only_when_they_measured_the_same() {
        let a = xeon();
        let mut b = xeon();
        b.environment.hostname = "other".into();
        // The other machine is twice as fast at everything, and lacks one backend.
        for p in &mut b.points {
            for rep in &mut p.repetitions {
                rep.ops_per_sec *= 2.0;
            }
            if let Some(s) = &mut p.ops_per_sec {
                s.median *= 2.0;
                s.min *= 2.0;
                s.max *= 2.0;
            }
        }
        b.points.retain(|p| p.backend != "pthread");
        b.settings.repeat = 5;
        let mut bank = xeon();
        bank.settings.workload = Workload::Bank { initial: 200 };
        let files = vec![
            ("a.json".to_string(), a),
            ("b.json".to_string(), b),
            ("bank.json".to_string(), bank),
        ];
        let f = fleet(&files).unwrap();
        assert_eq!(f.groups.len(), 1);
        assert_eq!(f.set_apart.len(), 1);
        assert_eq!(f.set_apart[0].file, "bank.json");
        assert!(f.set_apart[0].measured.starts_with("bank"));
        let g = &f.groups[0];
        assert_eq!(g.machines.len(), 2);
        assert_eq!(g.machines[1].label, "other");
        let point = g.points.iter().find(|p| p.workers == 2).unwrap();
        assert_eq!(point.rows.len(), 2);
        let pthread = point
            .series
            .iter()
            .position(|s| s.backend == "pthread")
            .unwrap();
        assert!(point.rows[0].cells[pthread].is_some());
        assert!(point.rows[1].cells[pthread].is_none(), "not measured there");
        // Normalised to each machine's own std, the two machines read the same.
        let std = point
            .series
            .iter()
            .position(|s| s.backend == "std")
            .unwrap();
        for row in &point.rows {
            let v = row.cells[std].as_ref().unwrap().vs_std.unwrap();
            assert!((v - 1.0).abs() < 1e-9);
        }
        let spin = point
            .series
            .iter()
            .position(|s| s.backend == "spin")
            .unwrap();
        let (x, y) = (
            point.rows[0].cells[spin].as_ref().unwrap(),
            point.rows[1].cells[spin].as_ref().unwrap(),
        );
        assert!((x.vs_std.unwrap() - y.vs_std.unwrap()).abs() < 1e-9);
        assert!((y.ops_per_sec.median / x.ops_per_sec.median - 2.0).abs() < 1e-9);
        // What differs between the files is said.
        assert_eq!(g.differences.len(), 1, "{:?}", g.differences);
        assert_eq!(g.differences[0].what, "repetitions");
        assert_eq!(g.differences[0].values, ["3", "5"]);

        // Two files of different workloads only: nothing to read together.
        let only = vec![files[0].clone(), files[2].clone()];
        let err = fleet(&only).unwrap_err();
        assert!(err.contains("no two of these files"), "{err}");
        assert!(err.contains("bank.json: bank"), "{err}");
    }
}
