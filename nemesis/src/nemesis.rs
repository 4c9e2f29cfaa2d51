//! The running nemesis: walks a schedule through simulated time and hands
//! the simulator concrete [`Action`]s, resolving targets with the seed's RNG
//! and the model's roles at the moment each fault starts.
//!
//! The simulator drives it: ask [`Nemesis::next_due`] when the next step is,
//! advance simulated time to it, call [`Nemesis::poll`], apply each step's
//! action and record the step in the history (process `nemesis`, `info`).
//!
//! Runtime rules (what validation cannot know in advance):
//! - `crash` and `pause` only pick nodes that are running (neither crashed
//!   nor paused); `restart` only affects crashed nodes, `resume` only paused
//!   ones. A fault left with no node becomes [`Action::Skip`].
//! - An undo acts on the nodes its start resolved to, as they are then:
//!   a crash window restarts the nodes it crashed that are still down.
//! - A partition replaces the one in force; a partition's own undo (`heal`)
//!   is skipped if another partition has replaced it since.
//! - At equal times, undos go before starts, and starts go in schedule order.

use std::collections::{BTreeMap, BTreeSet};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::action::{Action, Cut};
use crate::duration::SimDuration;
use crate::fault::Fault;
use crate::partition;
use crate::schedule::Schedule;
use crate::target::{Roles, Target};

/// Whether a step starts a fault, stops it, or is a step in between.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// The fault begins (Jepsen's `:start`).
    Start,
    /// A clock-strobe flip between start and stop.
    Flip,
    /// The fault ends, by its undo (Jepsen's `:stop`).
    Stop,
}

/// One thing the nemesis does at one time, for the simulator and the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// When, from the start of the run.
    pub at: SimDuration,
    /// The index of the schedule event this step belongs to.
    pub event: usize,
    /// Start, flip or stop.
    pub phase: Phase,
    /// The fault as written (for a stop: the fault being undone).
    pub fault: Fault,
    /// What to do.
    pub action: Action,
}

#[derive(Clone, Debug)]
enum Pending {
    Start {
        event: usize,
    },
    Stop {
        event: usize,
        action: Action,
        partition_generation: Option<u64>,
    },
    Flip {
        event: usize,
        nodes: Vec<usize>,
        offset_ms: i64,
        last: bool,
    },
}

/// What the nemesis believes about the cluster: which nodes are down or
/// frozen and which partition is in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterState {
    /// Crashed nodes.
    pub crashed: BTreeSet<usize>,
    /// Paused nodes.
    pub paused: BTreeSet<usize>,
    /// The partition in force, if any.
    pub cut: Option<Cut>,
}

/// Walks a schedule and resolves its faults into actions.
#[derive(Clone, Debug)]
pub struct Nemesis {
    node_count: usize,
    schedule: Schedule,
    rng: ChaCha8Rng,
    // Key: (time, 0 for stops and flips / 1 for starts, event index, sequence).
    queue: BTreeMap<(SimDuration, u8, usize, u64), Pending>,
    sequence: u64,
    partition_generation: u64,
    state: ClusterState,
}

impl Nemesis {
    /// A nemesis for `schedule` on a cluster of `node_count` nodes, drawing
    /// its random choices from `seed` alone. Validate the schedule first
    /// ([`validate()`](crate::validate())); an invalid one still runs without panicking,
    /// its bad steps becoming [`Action::Skip`].
    pub fn new(schedule: &Schedule, node_count: usize, seed: u64) -> Nemesis {
        let mut n = Nemesis {
            node_count,
            schedule: schedule.clone(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            queue: BTreeMap::new(),
            sequence: 0,
            partition_generation: 0,
            state: ClusterState::default(),
        };
        for (event, e) in schedule.events.iter().enumerate() {
            n.push(e.at, 1, event, Pending::Start { event });
        }
        n
    }

    fn push(&mut self, at: SimDuration, class: u8, event: usize, pending: Pending) {
        self.sequence += 1;
        self.queue
            .insert((at, class, event, self.sequence), pending);
    }

    /// When the next step is due, or `None` when the schedule is done.
    pub fn next_due(&self) -> Option<SimDuration> {
        self.queue.keys().next().map(|k| k.0)
    }

    /// What the nemesis believes about the cluster now.
    pub fn state(&self) -> &ClusterState {
        &self.state
    }

    /// The number of nodes.
    pub fn node_count(&self) -> usize {
        self.node_count
    }

    /// Every step due at or before `now`, in order, with its action
    /// resolved. `roles` answers role targets such as `leader`.
    pub fn poll(&mut self, now: SimDuration, roles: &dyn Roles) -> Vec<Step> {
        let mut steps = Vec::new();
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((at, ..), pending) = entry.remove_entry();
            steps.push(self.fire(at, pending, roles));
        }
        steps
    }

    /// Runs the whole schedule at once, as if nothing else happened between
    /// steps (for tests, reports and dry runs).
    pub fn drain(&mut self, roles: &dyn Roles) -> Vec<Step> {
        self.poll(SimDuration::MAX, roles)
    }

    fn running(&self) -> BTreeSet<usize> {
        (0..self.node_count)
            .filter(|n| !self.state.crashed.contains(n) && !self.state.paused.contains(n))
            .collect()
    }

    fn resolve(
        &mut self,
        target: &Target,
        eligible: &BTreeSet<usize>,
        roles: &dyn Roles,
    ) -> Result<Vec<usize>, String> {
        target
            .resolve(self.node_count, eligible, roles, &mut self.rng)
            .map_err(|e| e.to_string())
    }

    fn fire(&mut self, at: SimDuration, pending: Pending, roles: &dyn Roles) -> Step {
        match pending {
            Pending::Start { event } => {
                let e = self.schedule.events[event].clone();
                let action = match self.start(&e.fault, roles) {
                    Ok(action) => action,
                    Err(reason) => Action::Skip { reason },
                };
                self.apply(&action);
                if let (Some(duration), false) = (e.duration, matches!(action, Action::Skip { .. }))
                {
                    if let Some(undo) = undo_action(&action) {
                        let generation = matches!(action, Action::Partition { .. })
                            .then_some(self.partition_generation);
                        self.push(
                            at.saturating_add(duration),
                            0,
                            event,
                            Pending::Stop {
                                event,
                                action: undo,
                                partition_generation: generation,
                            },
                        );
                    }
                }
                if let (
                    Fault::ClockStrobe {
                        offset_ms,
                        period_ms,
                        duration_ms,
                        ..
                    },
                    Action::ClockBump { nodes, .. },
                ) = (&e.fault, &action)
                {
                    self.schedule_strobe(
                        at,
                        event,
                        nodes.clone(),
                        *offset_ms,
                        *period_ms,
                        *duration_ms,
                    );
                }
                Step {
                    at,
                    event,
                    phase: Phase::Start,
                    fault: e.fault,
                    action,
                }
            }
            Pending::Stop {
                event,
                action,
                partition_generation,
            } => {
                let fault = self.schedule.events[event].fault.clone();
                let action = self.current_undo(action, partition_generation);
                self.apply(&action);
                Step {
                    at,
                    event,
                    phase: Phase::Stop,
                    fault,
                    action,
                }
            }
            Pending::Flip {
                event,
                nodes,
                offset_ms,
                last,
            } => {
                let fault = self.schedule.events[event].fault.clone();
                Step {
                    at,
                    event,
                    phase: if last { Phase::Stop } else { Phase::Flip },
                    fault,
                    action: Action::ClockBump { nodes, offset_ms },
                }
            }
        }
    }

    /// Flips at `start + k × period` for k = 1..=flips, alternating sign, an
    /// odd number of flips so the clock ends where it started.
    fn schedule_strobe(
        &mut self,
        start: SimDuration,
        event: usize,
        nodes: Vec<usize>,
        offset_ms: i64,
        period_ms: u64,
        duration_ms: u64,
    ) {
        let period_ms = period_ms.max(1);
        // Capped (as validation caps it) so that an unvalidated schedule
        // cannot queue an unbounded number of flips.
        let mut flips = (duration_ms / period_ms).clamp(1, crate::validate::STROBE_FLIPS_LIMIT);
        if flips % 2 == 0 {
            flips -= 1;
        }
        for k in 1..=flips {
            let sign = if k % 2 == 1 { -1 } else { 1 };
            let at = start.saturating_add(SimDuration::from_millis(k.saturating_mul(period_ms)));
            self.push(
                at,
                0,
                event,
                Pending::Flip {
                    event,
                    nodes: nodes.clone(),
                    offset_ms: offset_ms.saturating_mul(sign),
                    last: k == flips,
                },
            );
        }
    }

    /// Narrows an undo to what still needs undoing now.
    fn current_undo(&self, action: Action, partition_generation: Option<u64>) -> Action {
        match action {
            Action::Heal => match partition_generation {
                Some(g) if g != self.partition_generation => Action::Skip {
                    reason: "a later partition replaced this one; it is not healed here".into(),
                },
                _ => Action::Heal,
            },
            Action::Restart { nodes } => {
                let nodes: Vec<usize> = nodes
                    .into_iter()
                    .filter(|n| self.state.crashed.contains(n))
                    .collect();
                if nodes.is_empty() {
                    Action::Skip {
                        reason: "the crashed nodes were already restarted".into(),
                    }
                } else {
                    Action::Restart { nodes }
                }
            }
            Action::Resume { nodes } => {
                let nodes: Vec<usize> = nodes
                    .into_iter()
                    .filter(|n| self.state.paused.contains(n))
                    .collect();
                if nodes.is_empty() {
                    Action::Skip {
                        reason: "the paused nodes were already resumed".into(),
                    }
                } else {
                    Action::Resume { nodes }
                }
            }
            other => other,
        }
    }

    fn start(&mut self, fault: &Fault, roles: &dyn Roles) -> Result<Action, String> {
        let n = self.node_count;
        let all: BTreeSet<usize> = (0..n).collect();
        let nonempty = |nodes: Vec<usize>, what: &str| {
            if nodes.is_empty() {
                Err(format!("no node to {what}"))
            } else {
                Ok(nodes)
            }
        };
        Ok(match fault {
            Fault::RandomHalves => Action::Partition {
                cut: partition::random_halves(n, &mut self.rng),
            },
            Fault::Isolate { target } => {
                let nodes = self.resolve(target, &all, roles)?;
                Action::Partition {
                    cut: partition::isolate(&nodes, n),
                }
            }
            Fault::MajoritiesRing => Action::Partition {
                cut: partition::majorities_ring(n, &mut self.rng),
            },
            Fault::Bridge => Action::Partition {
                cut: partition::bridge(n, &mut self.rng),
            },
            Fault::OneWay { from, to } => {
                let from = self.resolve(from, &all, roles)?;
                let rest: BTreeSet<usize> =
                    all.iter().copied().filter(|x| !from.contains(x)).collect();
                let to = match to {
                    Some(t) => Some(self.resolve(t, &rest, roles)?),
                    None => None,
                };
                Action::Partition {
                    cut: partition::one_way(&from, to.as_deref(), n),
                }
            }
            Fault::Groups { groups } => {
                if let Some(bad) = groups.iter().flatten().find(|x| **x >= n) {
                    return Err(format!(
                        "node {bad} does not exist: the cluster has {n} nodes"
                    ));
                }
                Action::Partition {
                    cut: partition::groups(groups, n),
                }
            }
            Fault::Heal => Action::Heal,
            Fault::Crash { target } => {
                let running = self.running();
                let nodes = self.resolve(target, &running, roles)?;
                let nodes = nodes.into_iter().filter(|x| running.contains(x)).collect();
                Action::Crash {
                    nodes: nonempty(nodes, "crash: every target is already crashed or paused")?,
                }
            }
            Fault::Pause { target } => {
                let running = self.running();
                let nodes = self.resolve(target, &running, roles)?;
                let nodes = nodes.into_iter().filter(|x| running.contains(x)).collect();
                Action::Pause {
                    nodes: nonempty(nodes, "pause: every target is already crashed or paused")?,
                }
            }
            Fault::Restart { target } => {
                let crashed = self.state.crashed.clone();
                let nodes = self.resolve(target, &crashed, roles)?;
                let nodes = nodes.into_iter().filter(|x| crashed.contains(x)).collect();
                Action::Restart {
                    nodes: nonempty(nodes, "restart: no target is crashed")?,
                }
            }
            Fault::Resume { target } => {
                let paused = self.state.paused.clone();
                let nodes = self.resolve(target, &paused, roles)?;
                let nodes = nodes.into_iter().filter(|x| paused.contains(x)).collect();
                Action::Resume {
                    nodes: nonempty(nodes, "resume: no target is paused")?,
                }
            }
            Fault::ClockBump { target, offset_ms }
            | Fault::ClockStrobe {
                target, offset_ms, ..
            } => Action::ClockBump {
                nodes: self.resolve(target, &all, roles)?,
                offset_ms: *offset_ms,
            },
            Fault::ClockDrift { target, rate } => Action::ClockDrift {
                nodes: self.resolve(target, &all, roles)?,
                rate: *rate,
            },
            Fault::ClockReset { target } => Action::ClockReset {
                nodes: self.resolve(target, &all, roles)?,
            },
            Fault::PacketLoss { target, rate } => Action::PacketLoss {
                nodes: self.resolve(target, &all, roles)?,
                rate: *rate,
            },
            Fault::PacketDuplicate { target, rate } => Action::PacketDuplicate {
                nodes: self.resolve(target, &all, roles)?,
                rate: *rate,
            },
            Fault::PacketDelay { target, latency } => Action::PacketDelay {
                nodes: self.resolve(target, &all, roles)?,
                latency: *latency,
            },
            Fault::NetReset { target } => Action::NetReset {
                nodes: self.resolve(target, &all, roles)?,
            },
            Fault::Model {
                name,
                target,
                params,
            } => Action::ModelStart {
                name: name.clone(),
                nodes: self.resolve(target, &all, roles)?,
                params: params.clone(),
            },
            Fault::ModelStop { name, target } => Action::ModelStop {
                name: name.clone(),
                nodes: self.resolve(target, &all, roles)?,
            },
        })
    }

    fn apply(&mut self, action: &Action) {
        match action {
            Action::Partition { cut } => {
                self.partition_generation += 1;
                self.state.cut = Some(cut.clone());
            }
            Action::Heal => self.state.cut = None,
            Action::Crash { nodes } => self.state.crashed.extend(nodes),
            Action::Restart { nodes } => {
                for x in nodes {
                    self.state.crashed.remove(x);
                }
            }
            Action::Pause { nodes } => self.state.paused.extend(nodes),
            Action::Resume { nodes } => {
                for x in nodes {
                    self.state.paused.remove(x);
                }
            }
            _ => {}
        }
    }
}

/// The action that undoes a resolved start, on the same nodes.
pub fn undo_action(action: &Action) -> Option<Action> {
    Some(match action {
        Action::Partition { .. } => Action::Heal,
        Action::Crash { nodes } => Action::Restart {
            nodes: nodes.clone(),
        },
        Action::Pause { nodes } => Action::Resume {
            nodes: nodes.clone(),
        },
        Action::ClockBump { nodes, .. } | Action::ClockDrift { nodes, .. } => Action::ClockReset {
            nodes: nodes.clone(),
        },
        Action::PacketLoss { nodes, .. }
        | Action::PacketDuplicate { nodes, .. }
        | Action::PacketDelay { nodes, .. } => Action::NetReset {
            nodes: nodes.clone(),
        },
        Action::ModelStart { name, nodes, .. } => Action::ModelStop {
            name: name.clone(),
            nodes: nodes.clone(),
        },
        Action::Heal
        | Action::Restart { .. }
        | Action::Resume { .. }
        | Action::ClockReset { .. }
        | Action::NetReset { .. }
        | Action::ModelStop { .. }
        | Action::Skip { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Event;
    use crate::target::NoRoles;

    fn secs(s: u64) -> SimDuration {
        SimDuration::from_secs(s)
    }

    #[test]
    fn a_crash_window_restarts_the_same_node() {
        let schedule = Schedule::new(vec![Event::with_duration(
            secs(1),
            Fault::Crash {
                target: Target::One,
            },
            secs(2),
        )]);
        let mut nemesis = Nemesis::new(&schedule, 5, 42);
        assert_eq!(nemesis.next_due(), Some(secs(1)));
        assert!(nemesis
            .poll(SimDuration::from_millis(999), &NoRoles)
            .is_empty());
        let start = nemesis.poll(secs(1), &NoRoles);
        let Action::Crash { nodes } = &start[0].action else {
            panic!("{start:?}")
        };
        assert_eq!(nodes.len(), 1);
        assert_eq!(nemesis.state().crashed, nodes.iter().copied().collect());
        assert_eq!(nemesis.next_due(), Some(secs(3)));
        let stop = nemesis.poll(secs(3), &NoRoles);
        assert_eq!(stop[0].phase, Phase::Stop);
        assert_eq!(
            stop[0].action,
            Action::Restart {
                nodes: nodes.clone()
            }
        );
        assert!(nemesis.state().crashed.is_empty());
        assert_eq!(nemesis.next_due(), None);
    }

    #[test]
    fn crash_one_skips_nodes_already_down() {
        let schedule = Schedule::new(vec![
            Event::new(
                secs(1),
                Fault::Crash {
                    target: Target::Nodes(vec![0, 1, 2, 3]),
                },
            ),
            Event::new(
                secs(2),
                Fault::Crash {
                    target: Target::One,
                },
            ),
            Event::new(
                secs(3),
                Fault::Crash {
                    target: Target::One,
                },
            ),
        ]);
        let steps = Nemesis::new(&schedule, 5, 7).drain(&NoRoles);
        assert_eq!(steps[1].action, Action::Crash { nodes: vec![4] });
        assert!(matches!(steps[2].action, Action::Skip { .. }));
    }

    #[test]
    fn strobe_flips_an_odd_number_of_times_and_ends_where_it_started() {
        let fault = Fault::ClockStrobe {
            target: Target::Node(1),
            offset_ms: 100,
            period_ms: 10,
            duration_ms: 100,
        };
        let steps =
            Nemesis::new(&Schedule::new(vec![Event::new(secs(1), fault)]), 3, 1).drain(&NoRoles);
        let total: i64 = steps
            .iter()
            .map(|s| match s.action {
                Action::ClockBump { offset_ms, .. } => offset_ms,
                _ => panic!("{s:?}"),
            })
            .sum();
        assert_eq!(total, 0);
        assert_eq!(steps.len(), 10, "start plus nine flips");
        assert_eq!(steps.last().map(|s| s.phase), Some(Phase::Stop));
        assert!(steps.windows(2).all(|w| w[0].at < w[1].at));
    }

    #[test]
    fn a_replaced_partition_is_not_healed_by_the_first_undo() {
        let schedule = Schedule::new(vec![
            Event::with_duration(secs(1), Fault::RandomHalves, secs(10)),
            Event::new(secs(5), Fault::Bridge),
        ]);
        let steps = Nemesis::new(&schedule, 5, 3).drain(&NoRoles);
        assert!(matches!(steps[2].action, Action::Skip { .. }), "{steps:?}");
    }

    #[test]
    fn same_seed_same_steps() {
        let schedule = Schedule::new(vec![
            Event::with_duration(secs(1), Fault::RandomHalves, secs(3)),
            Event::with_duration(
                secs(2),
                Fault::Crash {
                    target: Target::Minority,
                },
                secs(3),
            ),
            Event::new(
                secs(9),
                Fault::ClockBump {
                    target: Target::One,
                    offset_ms: 5,
                },
            ),
        ]);
        let a = Nemesis::new(&schedule, 5, 99).drain(&NoRoles);
        let b = Nemesis::new(&schedule, 5, 99).drain(&NoRoles);
        assert_eq!(a, b);
    }
}
