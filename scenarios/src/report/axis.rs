//! The report's time axis: where each event of a history sits.
//!
//! Shakedown's own histories carry `:time` in simulated nanoseconds. Many
//! histories from elsewhere (knossos' test data) carry none; then the axis is
//! the event index, which still shows order and overlap.

use shakedown_checkers::History;

/// What the axis counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisKind {
    /// Nanoseconds since the first event.
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

/// Positions of every event on the axis.
#[derive(Debug, Clone)]
pub struct Axis {
    /// Nanoseconds or event index.
    pub kind: AxisKind,
    /// Position of event `i` (nanoseconds since the first timed event, or `i`).
    pub pos: Vec<i64>,
    /// The end of the axis: at least the last position, and never 0.
    pub end: i64,
    /// On a nanosecond axis, the `:time` of position 0 (the first timed
    /// event); metrics are shifted by it to line up with the timeline.
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
        let t0 = history
            .events
            .iter()
            .filter_map(|e| e.time_ns)
            .min()
            .unwrap_or(0);
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
    /// ends of a short op late in a run: `21.912345 s`, `40.125 ms`, `event 12`.
    pub fn format(&self, at: i64) -> String {
        match self.kind {
            AxisKind::Nanos if at.unsigned_abs() >= 1_000_000_000 => {
                format!("{:.6} s", at as f64 / 1e9)
            }
            AxisKind::Nanos if at.unsigned_abs() >= 1_000_000 => {
                format!("{:.3} ms", at as f64 / 1e6)
            }
            AxisKind::Nanos => format_ns(at),
            AxisKind::Events => format!("event {at}"),
        }
    }
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
        assert_eq!(axis.pos, vec![0, 0, 2_000]);
        let untimed = History::new(vec![Event::new(
            Process::Client(0),
            EventType::Invoke,
            "read",
            Value::Nil,
        )]);
        assert_eq!(Axis::of(&untimed).kind, AxisKind::Events);
    }

    #[test]
    fn formats_durations() {
        assert_eq!(format_ns(1_250_000_000), "1.25 s");
        assert_eq!(format_ns(40_000_000), "40.0 ms");
        assert_eq!(format_ns(512), "512 ns");
    }
}
