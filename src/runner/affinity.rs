//! Which CPU each worker is pinned to: the CPUs this process may use, their topology from sysfs,
//! and the placement policies.

use std::fs;

pub use crate::model::PinPolicy;

/// One logical CPU this process may run on, with its place in the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cpu {
    /// The OS's CPU number.
    pub id: usize,
    /// Physical package (socket).
    pub package: usize,
    /// Core within the package.
    pub core: usize,
}

/// The CPUs this process may use (its affinity mask), in CPU-number order.
#[derive(Clone, Debug)]
pub struct Topology {
    /// Allowed CPUs.
    pub cpus: Vec<Cpu>,
}

impl Topology {
    /// Reads the affinity mask and, for each allowed CPU, its package and core from sysfs
    /// (each CPU its own core where sysfs says nothing).
    pub fn detect() -> Topology {
        let mut ids: Vec<usize> = core_affinity::get_core_ids()
            .map(|ids| ids.into_iter().map(|c| c.id).collect())
            .unwrap_or_default();
        if ids.is_empty() {
            let n = std::thread::available_parallelism().map_or(1, |n| n.get());
            ids = (0..n).collect();
        }
        ids.sort_unstable();
        let cpus = ids
            .into_iter()
            .map(|id| Cpu {
                id,
                package: read_topology(id, "physical_package_id").unwrap_or(0),
                core: read_topology(id, "core_id").unwrap_or(id),
            })
            .collect();
        Topology { cpus }
    }

    /// Whether `id` is among the allowed CPUs.
    pub fn allows(&self, id: usize) -> bool {
        self.cpus.iter().any(|c| c.id == id)
    }

    /// The CPU for each of `threads` workers under `policy` (`None` where unpinned).
    pub fn placement(&self, policy: &PinPolicy, threads: usize) -> Vec<Option<usize>> {
        let order: Vec<usize> = match policy {
            PinPolicy::None => return vec![None; threads],
            PinPolicy::List(list) => list.clone(),
            PinPolicy::Compact => {
                let mut cpus = self.cpus.clone();
                cpus.sort_by_key(|c| (c.package, c.core, c.id));
                cpus.iter().map(|c| c.id).collect()
            }
            PinPolicy::Spread => self.spread_order(),
        };
        if order.is_empty() {
            return vec![None; threads];
        }
        (0..threads).map(|i| Some(order[i % order.len()])).collect()
    }

    /// First hardware thread of every core, cores alternating between packages; then the
    /// second hardware thread of every core; and so on.
    fn spread_order(&self) -> Vec<usize> {
        let mut keyed: Vec<((usize, usize, usize), usize)> = self
            .cpus
            .iter()
            .map(|c| {
                let sibling = self
                    .cpus
                    .iter()
                    .filter(|o| o.package == c.package && o.core == c.core && o.id < c.id)
                    .count();
                let mut cores_in_package: Vec<usize> = self
                    .cpus
                    .iter()
                    .filter(|o| o.package == c.package)
                    .map(|o| o.core)
                    .collect();
                cores_in_package.sort_unstable();
                cores_in_package.dedup();
                let core_rank = cores_in_package
                    .iter()
                    .position(|&k| k == c.core)
                    .unwrap_or(0);
                ((sibling, core_rank, c.package), c.id)
            })
            .collect();
        keyed.sort();
        keyed.into_iter().map(|(_, id)| id).collect()
    }
}

fn read_topology(cpu: usize, field: &str) -> Option<usize> {
    fs::read_to_string(format!("/sys/devices/system/cpu/cpu{cpu}/topology/{field}"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Pins the calling thread to `cpu`; `true` if the OS accepted it.
pub fn pin_current(cpu: usize) -> bool {
    core_affinity::set_for_current(core_affinity::CoreId { id: cpu })
}

/// The CPU the calling thread is running on right now, if the OS says.
pub fn current_cpu() -> Option<usize> {
    // SAFETY: sched_getcpu takes no arguments and only reads the calling thread's state.
    let cpu = unsafe { libc::sched_getcpu() };
    usize::try_from(cpu).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two packages, two cores each, two hardware threads per core; Linux numbers siblings
    /// apart (cpu 0 and 4 share a core).
    fn two_sockets() -> Topology {
        let mut cpus = Vec::new();
        for id in 0..8 {
            cpus.push(Cpu {
                id,
                package: (id / 2) % 2,
                core: id % 2,
            });
        }
        Topology { cpus }
    }

    #[test]
    fn compact_fills_a_core_then_a_package() {
        let t = two_sockets();
        let p = t.placement(&PinPolicy::Compact, 8);
        assert_eq!(p, [0, 4, 1, 5, 2, 6, 3, 7].map(Some).to_vec());
    }

    #[test]
    fn spread_uses_every_core_before_any_sibling() {
        let t = two_sockets();
        let p: Vec<usize> = t
            .placement(&PinPolicy::Spread, 8)
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(&p[..4], &[0, 2, 1, 3]);
        assert_eq!(&p[4..], &[4, 6, 5, 7]);
    }

    #[test]
    fn lists_wrap_and_none_is_unpinned() {
        let t = two_sockets();
        assert_eq!(
            t.placement(&PinPolicy::List(vec![3, 1]), 3),
            vec![Some(3), Some(1), Some(3)]
        );
        assert_eq!(t.placement(&PinPolicy::None, 2), vec![None, None]);
    }

    #[test]
    fn detect_finds_at_least_one_cpu() {
        let t = Topology::detect();
        assert!(!t.cpus.is_empty());
        assert!(t.allows(t.cpus[0].id));
    }
}
