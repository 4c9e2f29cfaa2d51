//! Metrics a report can chart: named time series, engine-neutral.
//!
//! The scenario runner converts the simulator's run record into [`Metrics`];
//! a history from elsewhere has none. Saved as `metrics.json` in a run
//! directory, so `shakedown report RUN_DIR` can draw the same charts again.

use serde::{Deserialize, Serialize};

/// What a series measures, which decides how it is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesKind {
    /// A running total that only grows, such as messages sent by a node.
    /// Each point is the total so far. Drawn under "Messages per node" with a
    /// table of final totals.
    Counter,
    /// A level that goes up and down, such as hint backlog depth. Drawn as a
    /// step line under "Model gauges".
    Gauge,
}

/// One point of a series: simulated time in nanoseconds and the value then.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Time in nanoseconds, on the same clock as the history's `:time`.
    pub t_ns: i64,
    /// The value at that time.
    pub value: f64,
}

/// A named time series for one node or label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// What is measured: `sent`, `delivered`, `dropped`, `duplicated`,
    /// `hint_backlog`, ... Series with the same name share one chart.
    pub name: String,
    /// Whose it is: a node (`n1`) or any label; one line per label.
    pub label: String,
    /// Counter or gauge.
    pub kind: SeriesKind,
    /// Points in time order.
    pub points: Vec<Point>,
}

impl Series {
    /// A counter series (running totals) from `(t_ns, total)` pairs.
    pub fn counter(
        name: impl Into<String>,
        label: impl Into<String>,
        points: impl IntoIterator<Item = (i64, f64)>,
    ) -> Self {
        Self::new(SeriesKind::Counter, name, label, points)
    }

    /// A gauge series from `(t_ns, level)` pairs.
    pub fn gauge(
        name: impl Into<String>,
        label: impl Into<String>,
        points: impl IntoIterator<Item = (i64, f64)>,
    ) -> Self {
        Self::new(SeriesKind::Gauge, name, label, points)
    }

    fn new(
        kind: SeriesKind,
        name: impl Into<String>,
        label: impl Into<String>,
        points: impl IntoIterator<Item = (i64, f64)>,
    ) -> Self {
        Series {
            name: name.into(),
            label: label.into(),
            kind,
            points: points
                .into_iter()
                .map(|(t_ns, value)| Point { t_ns, value })
                .collect(),
        }
    }

    /// The last value, if any.
    pub fn last_value(&self) -> Option<f64> {
        self.points.last().map(|p| p.value)
    }
}

/// The metrics of one run: every series the report can chart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// All series, counters and gauges alike, in the order given.
    pub series: Vec<Series>,
}

impl Metrics {
    /// Metrics with these series.
    pub fn new(series: Vec<Series>) -> Self {
        Metrics { series }
    }

    /// True when there is no series.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// The series of one kind, in order.
    pub fn of_kind(&self, kind: SeriesKind) -> impl Iterator<Item = &Series> {
        self.series.iter().filter(move |s| s.kind == kind)
    }
}
