//! Time as a node sees it: [`Timestamp`] readings of its own clock, and the
//! [`NodeClock`] that maps simulated time to them.
//!
//! Simulated time is the one true time of a run (nanoseconds since the run
//! started). A node never sees it. It sees its own clock, which the nemesis
//! can set, bump and make drift: `local = anchor_local + (sim - anchor_sim) *
//! rate`. That is what makes clock faults break systems that trust clocks
//! (leases, last-write-wins) and leave correct ones alone.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Sub};
use std::time::Duration;

/// A reading of a node's clock, in nanoseconds. It can be negative (a clock
/// bumped back past its start) and it is not monotonic: compare readings only
/// if you mean to trust the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The reading in nanoseconds.
    pub fn as_nanos(self) -> i64 {
        self.0
    }

    /// The reading in whole milliseconds (rounded toward negative infinity).
    pub fn as_millis(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// How far `self` is after `earlier`, or `None` if it is not after it.
    pub fn since(self, earlier: Timestamp) -> Option<Duration> {
        let d = self.0.checked_sub(earlier.0)?;
        u64::try_from(d).ok().map(Duration::from_nanos)
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(duration_ns(d)))
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(duration_ns(d)))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}ms", self.0 as f64 / 1e6)
    }
}

/// A duration in nanoseconds, saturating at `i64::MAX`.
pub(crate) fn duration_ns(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// One node's clock: an offset and a rate relative to simulated time.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeClock {
    anchor_sim_ns: i64,
    anchor_local_ns: i64,
    rate: f64,
}

impl Default for NodeClock {
    fn default() -> Self {
        NodeClock {
            anchor_sim_ns: 0,
            anchor_local_ns: 0,
            rate: 1.0,
        }
    }
}

impl NodeClock {
    /// A clock that agrees with simulated time.
    pub fn new() -> Self {
        Self::default()
    }

    /// The nemesis's `clock-set` at simulated `now`, refusing absurd readings.
    /// Every engine applies clock faults through these `fault_*` methods.
    pub fn fault_set(
        &mut self,
        now: i64,
        to: Timestamp,
    ) -> Result<crate::control::Applied, crate::control::ControlError> {
        use crate::control::{Applied, ControlError, CLOCK_OFFSET_NS_MAX};
        if to.0.unsigned_abs() > CLOCK_OFFSET_NS_MAX as u64 {
            return Err(ControlError::BadValue(format!(
                "clock reading {to} is absurd: at most 10 years from the start"
            )));
        }
        self.set(now, to);
        Ok(Applied::Changed)
    }

    /// `clock-bump` by `delta_ns`, refusing a clock more than 10 years off.
    pub fn fault_bump(
        &mut self,
        now: i64,
        delta_ns: i64,
    ) -> Result<crate::control::Applied, crate::control::ControlError> {
        use crate::control::{Applied, ControlError, CLOCK_OFFSET_NS_MAX};
        let after = self.offset_ns_at(now).saturating_add(delta_ns);
        if delta_ns.unsigned_abs() > CLOCK_OFFSET_NS_MAX as u64
            || after.unsigned_abs() > CLOCK_OFFSET_NS_MAX as u64
        {
            return Err(ControlError::BadValue(format!(
                "clock bump of {delta_ns} ns is absurd: a clock may be at most 10 years off"
            )));
        }
        self.bump(now, delta_ns);
        Ok(Applied::Changed)
    }

    /// `clock-drift` to `rate` clock seconds per second.
    pub fn fault_drift(
        &mut self,
        now: i64,
        rate: f64,
    ) -> Result<crate::control::Applied, crate::control::ControlError> {
        use crate::control::{Applied, ControlError, CLOCK_RATE_RANGE};
        if !CLOCK_RATE_RANGE.contains(&rate) {
            return Err(ControlError::BadValue(format!(
                "clock rate {rate} is absurd: use 0.01 to 100 clock seconds per second (1.0 is true time)"
            )));
        }
        self.set_rate(now, rate);
        Ok(Applied::Changed)
    }

    /// `clock-reset`: back to simulated time (no change if already there).
    pub fn fault_reset(&mut self) -> crate::control::Applied {
        if *self == NodeClock::new() {
            return crate::control::Applied::NoChange;
        }
        self.reset();
        crate::control::Applied::Changed
    }

    /// The local reading at simulated time `sim_ns`.
    pub fn local_at(&self, sim_ns: i64) -> Timestamp {
        let elapsed = sim_ns.saturating_sub(self.anchor_sim_ns);
        let scaled = if self.rate == 1.0 {
            elapsed
        } else {
            (elapsed as f64 * self.rate) as i64
        };
        Timestamp(self.anchor_local_ns.saturating_add(scaled))
    }

    /// Local offset from simulated time at `sim_ns`, in nanoseconds.
    pub fn offset_ns_at(&self, sim_ns: i64) -> i64 {
        self.local_at(sim_ns).0.saturating_sub(sim_ns)
    }

    /// The current rate (1.0 = no drift).
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Sets the reading at `sim_ns` to `local`, keeping the rate.
    pub fn set(&mut self, sim_ns: i64, local: Timestamp) {
        self.anchor_sim_ns = sim_ns;
        self.anchor_local_ns = local.0;
    }

    /// Moves the clock by `delta_ns` (negative: back) at `sim_ns`.
    pub fn bump(&mut self, sim_ns: i64, delta_ns: i64) {
        let now = self.local_at(sim_ns);
        self.set(sim_ns, Timestamp(now.0.saturating_add(delta_ns)));
    }

    /// From `sim_ns` on, the clock advances `rate` local ns per simulated ns.
    /// The caller validates `rate` (finite, positive).
    pub fn set_rate(&mut self, sim_ns: i64, rate: f64) {
        let now = self.local_at(sim_ns);
        self.anchor_sim_ns = sim_ns;
        self.anchor_local_ns = now.0;
        self.rate = rate;
    }

    /// Back to agreeing with simulated time.
    pub fn reset(&mut self) {
        *self = NodeClock::default();
    }

    /// Simulated nanoseconds that pass while this clock advances `local_ns`.
    pub fn sim_span_ns(&self, local_ns: i64) -> i64 {
        if self.rate == 1.0 {
            local_ns
        } else {
            (local_ns as f64 / self.rate).ceil() as i64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bump_and_drift_move_only_the_local_reading() {
        let mut c = NodeClock::new();
        assert_eq!(c.local_at(1_000), Timestamp(1_000));
        c.bump(1_000, -5_000);
        assert_eq!(c.local_at(2_000), Timestamp(-3_000));
        c.set_rate(2_000, 2.0);
        assert_eq!(c.local_at(3_000), Timestamp(-1_000));
        assert_eq!(c.sim_span_ns(1_000), 500);
        c.reset();
        assert_eq!(c.local_at(7), Timestamp(7));
    }

    #[test]
    fn timestamp_arithmetic() {
        let t = Timestamp(5_000_000);
        assert_eq!(t.as_millis(), 5);
        assert_eq!(Timestamp(-1).as_millis(), -1);
        assert_eq!((t + Duration::from_millis(1)).0, 6_000_000);
        assert_eq!(
            t.since(Timestamp(4_000_000)),
            Some(Duration::from_millis(1))
        );
        assert_eq!(Timestamp(0).since(t), None);
    }
}
