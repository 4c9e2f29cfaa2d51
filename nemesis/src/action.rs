//! Resolved actions: what the simulator must do right now, on which nodes.
//!
//! A [`Fault`](crate::Fault) says "crash one node"; an [`Action`] says
//! "crash node 3". The running [`Nemesis`](crate::Nemesis) turns faults into
//! actions with the seed's RNG and the model's roles; the simulator applies
//! actions and records them in the history.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::fault::Latency;
use crate::param::Param;
use std::collections::BTreeMap;

/// A set of directed links that drop every message: `(from, to)` in the
/// set means messages sent by node `from` to node `to` are lost.
///
/// Jepsen calls this a grudge. A node never has a grudge against itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cut {
    links: BTreeSet<(usize, usize)>,
}

impl Cut {
    /// No link cut.
    pub fn none() -> Cut {
        Cut::default()
    }

    /// Cuts messages from every node of `from` to every node of `to`
    /// (self-links excepted).
    pub fn one_way(from: &[usize], to: &[usize]) -> Cut {
        let mut cut = Cut::none();
        cut.add_one_way(from, to);
        cut
    }

    /// Cuts both directions between `a` and `b`.
    pub fn between(a: &[usize], b: &[usize]) -> Cut {
        let mut cut = Cut::none();
        cut.add_one_way(a, b);
        cut.add_one_way(b, a);
        cut
    }

    /// Nodes talk only within their own group.
    pub fn groups(groups: &[Vec<usize>]) -> Cut {
        let mut cut = Cut::none();
        for (i, a) in groups.iter().enumerate() {
            for b in &groups[i + 1..] {
                cut.add_one_way(a, b);
                cut.add_one_way(b, a);
            }
        }
        cut
    }

    /// Adds the links from each of `from` to each of `to`.
    pub fn add_one_way(&mut self, from: &[usize], to: &[usize]) {
        for &f in from {
            for &t in to {
                if f != t {
                    self.links.insert((f, t));
                }
            }
        }
    }

    /// Cuts the single link `from -> to` (ignored if `from == to`).
    pub fn add_link(&mut self, from: usize, to: usize) {
        if from != to {
            self.links.insert((from, to));
        }
    }

    /// Whether messages from `from` to `to` are dropped.
    pub fn blocks(&self, from: usize, to: usize) -> bool {
        self.links.contains(&(from, to))
    }

    /// The cut links, in order.
    pub fn links(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.links.iter().copied()
    }

    /// The number of cut links.
    pub fn len(&self) -> usize {
        self.links.len()
    }

    /// Whether nothing is cut.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    /// For each node, the nodes it still hears from (itself included).
    pub fn visible(&self, node_count: usize) -> Vec<BTreeSet<usize>> {
        (0..node_count)
            .map(|to| {
                (0..node_count)
                    .filter(|&from| !self.blocks(from, to))
                    .collect()
            })
            .collect()
    }
}

/// One concrete thing for the simulator to do. Node lists are sorted,
/// without repeats, and may be empty (then the action does nothing).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Replace the current partition with this cut.
    Partition {
        /// The links that drop messages.
        cut: Cut,
    },
    /// Remove every partition.
    Heal,
    /// Kill these nodes: volatile state and unsynced writes are lost.
    Crash {
        /// Nodes.
        nodes: Vec<usize>,
    },
    /// Start these crashed nodes again from durable storage.
    Restart {
        /// Nodes.
        nodes: Vec<usize>,
    },
    /// Freeze these nodes.
    Pause {
        /// Nodes.
        nodes: Vec<usize>,
    },
    /// Unfreeze these nodes.
    Resume {
        /// Nodes.
        nodes: Vec<usize>,
    },
    /// Add `offset_ms` to these nodes' clocks.
    ClockBump {
        /// Nodes.
        nodes: Vec<usize>,
        /// Milliseconds, may be negative.
        offset_ms: i64,
    },
    /// Make these nodes' clocks advance `rate` clock seconds per simulated
    /// second from now on (keeping their current reading).
    ClockDrift {
        /// Nodes.
        nodes: Vec<usize>,
        /// Clock seconds per simulated second.
        rate: f64,
    },
    /// Set these nodes' clocks to simulated time, with no drift.
    ClockReset {
        /// Nodes.
        nodes: Vec<usize>,
    },
    /// Drop messages to or from these nodes with probability `rate`.
    PacketLoss {
        /// Nodes.
        nodes: Vec<usize>,
        /// 0.0 to 1.0.
        rate: f64,
    },
    /// Deliver messages to or from these nodes twice with probability `rate`.
    PacketDuplicate {
        /// Nodes.
        nodes: Vec<usize>,
        /// 0.0 to 1.0.
        rate: f64,
    },
    /// Draw the latency of messages to or from these nodes from `latency`.
    PacketDelay {
        /// Nodes.
        nodes: Vec<usize>,
        /// The distribution.
        latency: Latency,
    },
    /// Restore the scenario's own loss, duplication and latency on links to
    /// or from these nodes.
    NetReset {
        /// Nodes.
        nodes: Vec<usize>,
    },
    /// Start a model fault.
    ModelStart {
        /// Its name.
        name: String,
        /// Nodes.
        nodes: Vec<usize>,
        /// Its parameters.
        params: BTreeMap<String, Param>,
    },
    /// Stop a model fault.
    ModelStop {
        /// Its name.
        name: String,
        /// Nodes.
        nodes: Vec<usize>,
    },
    /// Nothing: the fault had no eligible node or could not resolve. The
    /// reason goes into the nemesis log.
    Skip {
        /// Why.
        reason: String,
    },
}

impl Action {
    /// The nodes acted on, if the action names nodes.
    pub fn nodes(&self) -> Option<&[usize]> {
        match self {
            Action::Crash { nodes }
            | Action::Restart { nodes }
            | Action::Pause { nodes }
            | Action::Resume { nodes }
            | Action::ClockBump { nodes, .. }
            | Action::ClockDrift { nodes, .. }
            | Action::ClockReset { nodes }
            | Action::PacketLoss { nodes, .. }
            | Action::PacketDuplicate { nodes, .. }
            | Action::PacketDelay { nodes, .. }
            | Action::NetReset { nodes }
            | Action::ModelStart { nodes, .. }
            | Action::ModelStop { nodes, .. } => Some(nodes),
            Action::Partition { .. } | Action::Heal | Action::Skip { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_cut_only_across_groups() {
        let cut = Cut::groups(&[vec![0, 1], vec![2]]);
        assert!(cut.blocks(0, 2) && cut.blocks(2, 0) && cut.blocks(1, 2));
        assert!(!cut.blocks(0, 1) && !cut.blocks(1, 0));
        assert_eq!(cut.len(), 4);
    }

    #[test]
    fn one_way_cuts_one_direction() {
        let cut = Cut::one_way(&[0], &[1, 2]);
        assert!(cut.blocks(0, 1) && cut.blocks(0, 2));
        assert!(!cut.blocks(1, 0) && !cut.blocks(2, 0));
    }
}
