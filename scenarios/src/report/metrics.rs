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
///
/// Written in JSON as a pair `[t_ns, value]` to keep `metrics.json` small;
/// an object `{"t_ns": .., "value": ..}` is read too.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(into = "PointJson", from = "PointJson")]
pub struct Point {
    /// Time in nanoseconds, on the same clock as the history's `:time`.
    pub t_ns: i64,
    /// The value at that time.
    pub value: f64,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum PointJson {
    Pair(i64, f64),
    Object { t_ns: i64, value: f64 },
}

impl From<Point> for PointJson {
    fn from(p: Point) -> Self {
        PointJson::Pair(p.t_ns, p.value)
    }
}

impl From<PointJson> for Point {
    fn from(p: PointJson) -> Self {
        match p {
            PointJson::Pair(t_ns, value) | PointJson::Object { t_ns, value } => {
                Point { t_ns, value }
            }
        }
    }
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

    /// The last finite value, if any.
    pub fn last_value(&self) -> Option<f64> {
        self.points
            .iter()
            .rev()
            .map(|p| p.value)
            .find(|v| v.is_finite())
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

/// The simulator's samples as report series: per node, the counters `sent`,
/// `delivered`, `dropped` and `duplicated`, and every model gauge the node
/// reported (`hint_backlog`, ...). Times are the simulator's, the same clock
/// as the history's `:time`.
impl From<&shakedown_sim::Metrics> for Metrics {
    fn from(sim: &shakedown_sim::Metrics) -> Self {
        let node_name = |i: usize| {
            sim.node_names
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("n{}", i + 1))
        };
        let nodes = sim
            .samples
            .iter()
            .map(|s| s.nodes.len().max(s.gauges.len()))
            .max()
            .unwrap_or(0);
        let mut series = Vec::new();
        type Pick = fn(&shakedown_sim::NodeCounters) -> u64;
        let counters: [(&str, Pick); 4] = [
            ("sent", |c| c.sent),
            ("delivered", |c| c.delivered),
            ("dropped", |c| c.dropped),
            ("duplicated", |c| c.duplicated),
        ];
        for (name, pick) in counters {
            for node in 0..nodes {
                let points = sim
                    .samples
                    .iter()
                    .filter_map(|s| s.nodes.get(node).map(|c| (s.time_ns, pick(c) as f64)));
                series.push(Series::counter(name, node_name(node), points));
            }
        }
        let mut gauge_names: Vec<&str> = Vec::new();
        for s in &sim.samples {
            for g in &s.gauges {
                for name in g.keys() {
                    if !gauge_names.contains(&name.as_str()) {
                        gauge_names.push(name);
                    }
                }
            }
        }
        for name in gauge_names {
            for node in 0..nodes {
                let points: Vec<(i64, f64)> = sim
                    .samples
                    .iter()
                    .filter_map(|s| {
                        s.gauges
                            .get(node)
                            .and_then(|g| g.get(name))
                            .filter(|v| v.is_finite())
                            .map(|v| (s.time_ns, *v))
                    })
                    .collect();
                if !points.is_empty() {
                    series.push(Series::gauge(name, node_name(node), points));
                }
            }
        }
        Metrics::new(series)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn points_are_pairs_in_json_and_objects_are_read_too() {
        let s = Series::gauge("g", "n1", [(5, 1.5)]);
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("[[5,1.5]]"), "{json}");
        let back: Series = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        let obj = json.replace("[[5,1.5]]", r#"[{"t_ns":5,"value":1.5}]"#);
        assert_eq!(serde_json::from_str::<Series>(&obj).unwrap(), s);
    }

    #[test]
    fn simulator_samples_become_counters_and_gauges() {
        let sample = |t: i64, sent: u64, backlog: Option<f64>| shakedown_sim::Sample {
            time_ns: t,
            nodes: vec![
                shakedown_sim::NodeCounters {
                    sent,
                    delivered: sent,
                    ..Default::default()
                },
                shakedown_sim::NodeCounters::default(),
            ],
            gauges: vec![
                backlog
                    .map(|b| BTreeMap::from([("hint_backlog".to_owned(), b)]))
                    .unwrap_or_default(),
                BTreeMap::new(),
            ],
        };
        let sim = shakedown_sim::Metrics {
            interval_ms: 10,
            node_names: vec!["n1".into(), "n2".into()],
            samples: vec![
                sample(0, 0, None),
                sample(10, 5, Some(3.0)),
                sample(20, 9, Some(1.0)),
            ],
        };
        let m = Metrics::from(&sim);
        assert_eq!(m.of_kind(SeriesKind::Counter).count(), 8);
        let sent_n1 = m
            .series
            .iter()
            .find(|s| s.name == "sent" && s.label == "n1")
            .unwrap();
        assert_eq!(
            sent_n1.points.iter().map(|p| p.value).collect::<Vec<_>>(),
            vec![0.0, 5.0, 9.0]
        );
        let gauges: Vec<&Series> = m.of_kind(SeriesKind::Gauge).collect();
        assert_eq!(gauges.len(), 1);
        assert_eq!(
            (gauges[0].label.as_str(), gauges[0].points.len()),
            ("n1", 2)
        );
    }
}
