//! Fault points: moments a model marks in its code ([`crate::Ctx::fault_point`])
//! where the nemesis may crash or pause the node that reaches them, in the
//! spirit of FoundationDB's BUGGIFY. A crash at "vote persisted" lands
//! after the write and before anything the node would do next, which a
//! crash at a scheduled time almost never does.
//!
//! Engine-neutral: the world asks [`PointState::reach`] whether a point
//! fires; the engines apply what fired through the shared fault driver.
//! Reaching a point that is not armed draws nothing from any random stream,
//! so marking points changes no run that does not use them.

use crate::node::NodeId;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// What happens to a node when a point fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PointAction {
    /// The node stops at the point: what it sent and wrote before the point
    /// stands (unsynced writes are lost, as in any crash), nothing after it
    /// happens; it restarts from storage after the down time.
    Crash,
    /// The node finishes the callback, then freezes for the down time: its
    /// timers and messages wait, as for a `pause` fault.
    Pause,
}

impl PointAction {
    /// The name in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            PointAction::Crash => "crash",
            PointAction::Pause => "pause",
        }
    }
}

/// Which points may fire in a run, how often, and what they do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointPlan {
    /// The armed points (names the model declares). A point not listed
    /// never fires.
    pub points: Vec<String>,
    /// Chance that an armed point fires each time a node reaches it.
    pub probability: f64,
    /// What a firing does, drawn per firing among these.
    pub actions: Vec<PointAction>,
    /// How long a crashed node stays down, or a paused one frozen: drawn
    /// uniformly in `[min, max]` milliseconds.
    pub down_ms: (u64, u64),
    /// The most firings in one run.
    pub max_fires: u32,
    /// Points fire only from this simulated time, in ms...
    pub from_ms: u64,
    /// ...until this one.
    pub until_ms: u64,
}

impl PointPlan {
    /// Checks the plan; the message says what to change.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.probability) {
            return Err(format!(
                "fault point probability {} is not a probability: use 0.0 to 1.0",
                self.probability
            ));
        }
        if self.actions.is_empty() {
            return Err("fault points have no action: give crash, pause or both".into());
        }
        if self.down_ms.0 > self.down_ms.1 {
            return Err(format!(
                "fault point down time {}..{} ms is empty",
                self.down_ms.0, self.down_ms.1
            ));
        }
        Ok(())
    }
}

/// The payload that unwinds a callback stopped by a crash at a point.
pub(crate) struct PointUnwind;

/// A point that fired: applied by the engine through the fault driver.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PointFire {
    pub(crate) node: NodeId,
    pub(crate) point: String,
    pub(crate) action: PointAction,
    pub(crate) down_ns: i64,
}

/// The run's fault-point decisions.
pub(crate) struct PointState {
    plan: Option<PointPlan>,
    rng: ChaCha8Rng,
    fired: u32,
    /// Firings not yet applied by the engine.
    pub(crate) pending: Vec<PointFire>,
}

impl PointState {
    pub(crate) fn new(plan: Option<PointPlan>, seed: u64) -> Self {
        PointState {
            plan,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x504f_494e_545f_5f5f),
            fired: 0,
            pending: Vec::new(),
        }
    }

    /// Node `node` reached `point` at simulated time `now_ns`: what, if
    /// anything, fires.
    pub(crate) fn reach(&mut self, node: NodeId, point: &str, now_ns: i64) -> Option<PointAction> {
        let plan = self.plan.as_ref()?;
        let now_ms = u64::try_from(now_ns / 1_000_000).unwrap_or(0);
        if self.fired >= plan.max_fires
            || now_ms < plan.from_ms
            || now_ms >= plan.until_ms
            || !plan.points.iter().any(|p| p == point)
            // One firing at a time per node: a node already struck waits.
            || self.pending.iter().any(|f| f.node == node)
        {
            return None;
        }
        if !self.rng.random_bool(plan.probability) {
            return None;
        }
        let action = plan.actions[self.rng.random_range(0..plan.actions.len())];
        let down_ms = self.rng.random_range(plan.down_ms.0..=plan.down_ms.1);
        self.fired += 1;
        self.pending.push(PointFire {
            node,
            point: point.to_owned(),
            action,
            down_ns: i64::try_from(down_ms)
                .unwrap_or(i64::MAX / 2)
                .saturating_mul(1_000_000),
        });
        Some(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(probability: f64) -> PointPlan {
        PointPlan {
            points: vec!["vote-persisted".into()],
            probability,
            actions: vec![PointAction::Crash],
            down_ms: (100, 100),
            max_fires: 2,
            from_ms: 10,
            until_ms: 1000,
        }
    }

    #[test]
    fn only_armed_points_fire_within_the_window_and_the_budget() {
        let mut s = PointState::new(Some(plan(1.0)), 1);
        assert_eq!(
            s.reach(NodeId(0), "vote-persisted", 5_000_000),
            None,
            "before the window"
        );
        assert_eq!(
            s.reach(NodeId(0), "entries-appended", 20_000_000),
            None,
            "not armed"
        );
        assert_eq!(
            s.reach(NodeId(0), "vote-persisted", 20_000_000),
            Some(PointAction::Crash)
        );
        assert_eq!(
            s.reach(NodeId(0), "vote-persisted", 21_000_000),
            None,
            "already struck"
        );
        assert_eq!(
            s.reach(NodeId(1), "vote-persisted", 22_000_000),
            Some(PointAction::Crash)
        );
        s.pending.clear();
        assert_eq!(
            s.reach(NodeId(2), "vote-persisted", 23_000_000),
            None,
            "budget spent"
        );
        assert_eq!(s.pending.len(), 0);
    }

    #[test]
    fn no_plan_and_zero_probability_never_fire() {
        let mut s = PointState::new(None, 1);
        assert_eq!(s.reach(NodeId(0), "vote-persisted", 20_000_000), None);
        let mut s = PointState::new(Some(plan(0.0)), 1);
        assert!((0..100).all(|i| s
            .reach(NodeId(0), "vote-persisted", 20_000_000 + i)
            .is_none()));
        assert!(plan(1.5).validate().is_err());
    }
}
