//! The report's time axis: where each event of a history sits.
//!
//! Shakedown's own histories carry `:time` in simulated nanoseconds from the
//! start of the run, and the axis shows those times as they are: a fault at
//! 1 s is at 1 s. Times that cannot be from a run's start (negative, or
//! wall-clock stamps far larger than the history's span) are shown from the
//! first event instead, and the page says so. Many histories from elsewhere
//! (knossos' test data) carry no `:time`; then the axis is the event index,
//! which still shows order and overlap.

use shakedown_checkers::History;

/// What the axis counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisKind {
    /// Nanoseconds: the history's `:time`, or since its first event (see
    /// [`Axis::t0_ns`]).
    Nanos,
    /// Event positions in the history.
    Events,
}

impl AxisKind {
    /// The name the page's script uses.
    pub fn name(self) -> &'static str {
        match self {
            AxisKind::Nanos => "ns",
            AxisKind::Events => "events",
        }
    }
}

/// How late the first `:time` may be for times still to count from 0: a
/// minute, or the history's span if longer.
const FROM_ZERO_SLACK_NS: i64 = 60_000_000_000;

/// Positions of every event on the axis.
#[derive(Debug, Clone)]
pub struct Axis {
    /// Nanoseconds or event index.
    pub kind: AxisKind,
    /// Position of event `i` (nanoseconds since [`Axis::t0_ns`], or `i`).
    pub pos: Vec<i64>,
    /// The end of the axis: at least the last position, and never 0.
    pub end: i64,
    /// On a nanosecond axis, the `:time` of position 0: 0 when the times
    /// count from the run's start (Shakedown's simulated time), else the
    /// first event's. Metrics are shifted by it to line up with the timeline.
    pub t0_ns: i64,
}

impl Axis {
    /// The axis for a history: nanoseconds when every client event has a
    /// `:time`, event positions otherwise. Events without `:time` on a
    /// nanosecond axis (a nemesis note, say) take the time of the event before.
    pub fn of(history: &History) -> Self {
        let timed = !history.is_empty()
            && history
                .events
                .iter()
                .filter(|e| e.process.is_client())
                .all(|e| e.time_ns.is_some())
            && history.events.iter().any(|e| e.time_ns.is_some());
        if !timed {
            let pos: Vec<i64> = (0..history.len() as i64).collect();
            let end = (history.len() as i64).max(1);
            return Axis {
                kind: AxisKind::Events,
                pos,
                end,
                t0_ns: 0,
            };
        }
        let first = history
            .events
            .iter()
            .filter_map(|e| e.time_ns)
            .min()
            .unwrap_or(0);
        let last = history
            .events
            .iter()
            .filter_map(|e| e.time_ns)
            .max()
            .unwrap_or(0);
        // From zero, unless the times are clearly not from a run's start.
        let t0 = if first >= 0 && first <= (last - first).max(FROM_ZERO_SLACK_NS) {
            0
        } else {
            first
        };
        let mut last = 0i64;
        let mut pos = Vec::with_capacity(history.len());
        for e in &history.events {
            if let Some(t) = e.time_ns {
                last = t.saturating_sub(t0).max(last);
            }
            pos.push(last);
        }
        let end = pos.iter().copied().max().unwrap_or(0).max(1);
        Axis {
            kind: AxisKind::Nanos,
            pos,
            end,
            t0_ns: t0,
        }
    }

    /// Formats a position for people, precise enough to tell apart the two
    /// ends of a short op late in a run, without trailing zeros:
    /// `5.402 s`, `21.912345 s`, `40.125 ms`, `event 12`.
    pub fn format(&self, at: i64) -> String {
        match self.kind {
            AxisKind::Nanos if at.unsigned_abs() >= 1_000_000_000 => {
                format!("{} s", trim_decimals(at as f64 / 1e9, 6, 3))
            }
            AxisKind::Nanos if at.unsigned_abs() >= 1_000_000 => {
                format!("{} ms", trim_decimals(at as f64 / 1e6, 3, 0))
            }
            AxisKind::Nanos => format_ns(at),
            AxisKind::Events => format!("event {at}"),
        }
    }

    /// What the axis shows, in words, for the page's header.
    pub fn describe(&self) -> &'static str {
        match self.kind {
            AxisKind::Nanos if self.t0_ns == 0 => "simulated time from the run's start (0 s)",
            AxisKind::Nanos => "time since the first event (the history's :time is not from 0)",
            AxisKind::Events => "event order (history has no :time)",
        }
    }
}

/// `v` with at most `max` decimals, trailing zeros dropped down to `min`.
fn trim_decimals(v: f64, max: usize, min: usize) -> String {
    let mut s = format!("{v:.max$}");
    if let Some(dot) = s.find('.') {
        while s.len() > dot + 1 + min && s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
}

/// The smallest of 1, 2 or 5 times a power of ten that is at least `raw`
/// (a tick step whose labels are round numbers).
pub fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= raw * (1.0 - 1e-9) {
            return m * mag;
        }
    }
    10.0 * mag
}

/// A tick label for `v` nanoseconds on an axis with ticks every `step_ns`:
/// the unit and decimals follow the step, so labels read `0 s`, `0.5 s`,
/// `1 s`, `1.5 s` or `20 ms`, `40 ms`.
pub fn tick_label_ns(v: f64, step_ns: f64) -> String {
    let (unit, name) = if step_ns >= 1e8 {
        (1e9, "s")
    } else if step_ns >= 1e5 {
        (1e6, "ms")
    } else if step_ns >= 1e2 {
        (1e3, "µs")
    } else {
        (1.0, "ns")
    };
    let decimals = (-(step_ns / unit).log10()).ceil().max(0.0) as usize;
    format!("{} {name}", trim_decimals(v / unit, decimals, 0))
}

/// A plain tick label for `v` with ticks every `step`.
pub fn tick_label(v: f64, step: f64) -> String {
    let decimals = (-step.log10()).ceil().max(0.0) as usize;
    trim_decimals(v, decimals, 0)
}

/// A duration in nanoseconds for people, with three significant digits.
pub fn format_ns(ns: i64) -> String {
    let abs = ns.unsigned_abs() as f64;
    let sign = if ns < 0 { "-" } else { "" };
    let (v, unit) = if abs >= 1e9 {
        (abs / 1e9, "s")
    } else if abs >= 1e6 {
        (abs / 1e6, "ms")
    } else if abs >= 1e3 {
        (abs / 1e3, "µs")
    } else {
        (abs, "ns")
    };
    let digits = if v >= 100.0 || unit == "ns" {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{sign}{v:.digits$} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use shakedown_checkers::{Event, EventType, Process, Value};

    #[test]
    fn uses_nanoseconds_only_when_client_events_are_timed() {
        let timed = History::new(vec![
            Event::new(Process::Client(0), EventType::Invoke, "read", Value::Nil).at(1_000),
            Event::new(Process::nemesis(), EventType::Info, "start", Value::Nil),
            Event::new(Process::Client(0), EventType::Ok, "read", 1.into()).at(3_000),
        ]);
        let axis = Axis::of(&timed);
        assert_eq!(axis.kind, AxisKind::Nanos);
        assert_eq!(axis.pos, vec![1_000, 1_000, 3_000], "simulated time from 0");
        let wall = History::new(vec![
            Event::new(Process::Client(0), EventType::Invoke, "read", Value::Nil)
                .at(1_700_000_000_000_000_000),
            Event::new(Process::Client(0), EventType::Ok, "read", 1.into())
                .at(1_700_000_000_000_002_000),
        ]);
        let axis = Axis::of(&wall);
        assert_eq!(
            axis.pos,
            vec![0, 2_000],
            "wall-clock stamps from the first event"
        );
        assert!(axis.describe().contains("first event"));
        let untimed = History::new(vec![Event::new(
            Process::Client(0),
            EventType::Invoke,
            "read",
            Value::Nil,
        )]);
        assert_eq!(Axis::of(&untimed).kind, AxisKind::Events);
    }

    #[test]
    fn formats_positions_without_trailing_zeros() {
        let axis = Axis {
            kind: AxisKind::Nanos,
            pos: Vec::new(),
            end: 1,
            t0_ns: 0,
        };
        assert_eq!(axis.format(1_000_000_000), "1.000 s");
        assert_eq!(axis.format(5_402_000_000), "5.402 s");
        assert_eq!(axis.format(5_402_123_000), "5.402123 s");
        assert_eq!(axis.format(230_000_000), "230 ms");
        assert_eq!(axis.format(230_125_000), "230.125 ms");
    }

    #[test]
    fn tick_steps_and_labels_are_round() {
        assert_eq!(nice_step(0.4e9), 0.5e9);
        assert_eq!(nice_step(501.25e6), 1e9);
        assert_eq!(nice_step(0.3), 0.5);
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(tick_label_ns(1.5e9, 0.5e9), "1.5 s");
        assert_eq!(tick_label_ns(1e9, 0.5e9), "1 s");
        assert_eq!(tick_label_ns(0.0, 0.5e9), "0 s");
        assert_eq!(tick_label_ns(40e6, 20e6), "40 ms");
        assert_eq!(tick_label(0.5, 0.1), "0.5");
        assert_eq!(tick_label(20.0, 5.0), "20");
    }

    #[test]
    fn formats_durations() {
        assert_eq!(format_ns(1_250_000_000), "1.25 s");
        assert_eq!(format_ns(40_000_000), "40.0 ms");
        assert_eq!(format_ns(512), "512 ns");
    }
}
