//! Last-write-wins: versions stamped with the coordinator's clock, and the
//! merge rule every replica applies.
//!
//! A write's version is the coordinator's clock reading when the request
//! arrived, then the coordinator's id and the request id to break ties. A
//! replica keeps whichever version is larger. Clocks are trusted: a
//! coordinator whose clock runs behind stamps writes that lose to older
//! ones, which is how clock skew loses acknowledged writes in Cassandra.

use serde::{Deserialize, Serialize};
use shakedown_checkers::Value;

/// The version of a written value. Ordered by clock reading, then node,
/// then request: the order in which last-write-wins picks the winner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Version {
    /// The coordinator's clock when it accepted the write, in ns.
    pub ts_ns: i64,
    /// The coordinator's node index.
    pub node: u32,
    /// The client request id (unique in a run).
    pub seq: u64,
}

/// A value with its version: what a replica stores for a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// The value written.
    #[serde(with = "shakedown_sim::wire::value")]
    pub value: Value,
    /// Its version.
    pub version: Version,
}

/// The newer of two optional cells (`None` is older than everything).
pub fn newest<'a>(a: Option<&'a Cell>, b: Option<&'a Cell>) -> Option<&'a Cell> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.version > x.version { y } else { x }),
        (x, None) => x,
        (None, y) => y,
    }
}

/// True when `incoming` should replace `stored` under last-write-wins.
pub fn supersedes(incoming: &Cell, stored: Option<&Cell>) -> bool {
    stored.is_none_or(|s| incoming.version > s.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(v: i64, ts_ns: i64, node: u32) -> Cell {
        Cell {
            value: Value::Int(v),
            version: Version {
                ts_ns,
                node,
                seq: 0,
            },
        }
    }

    #[test]
    fn later_clock_wins_then_node_breaks_ties() {
        let early = cell(1, 10, 2);
        let late = cell(2, 20, 0);
        assert!(supersedes(&late, Some(&early)));
        assert!(!supersedes(&early, Some(&late)));
        assert!(supersedes(&early, None));
        let tie_low = cell(3, 20, 0);
        let tie_high = cell(4, 20, 1);
        assert!(supersedes(&tie_high, Some(&tie_low)));
        assert_eq!(newest(Some(&tie_low), Some(&tie_high)), Some(&tie_high));
        assert_eq!(newest(None, Some(&early)), Some(&early));
        // Applying the same cell twice changes nothing (hints are replayed
        // at least once).
        assert!(!supersedes(&late, Some(&late)));
    }
}
