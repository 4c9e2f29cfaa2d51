//! SVG charts: latency and throughput from the history, message counts and
//! model gauges from [`Metrics`]. Drawn here, in Rust, so they need no
//! script, and downsampled so a large history stays small.

use super::axis::{format_ns, nice_step, tick_label, tick_label_ns, Axis, AxisKind};
use super::escape::html;
use super::faults::Faults;
use super::metrics::{Metrics, Point, Series, SeriesKind};
use shakedown_checkers::{Completion, Op};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Colours for categories (op types, nodes), chosen to stay apart for most
/// kinds of colour blindness when paired with the dash patterns.
pub const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b8860b", "#b07aa1", "#ff9da7",
    "#9c755f", "#6b6b6b",
];

/// At most this many ops are drawn as individual latency points; past it,
/// latency is drawn per time bucket (median and maximum).
pub const SCATTER_OPS_MAX: usize = 3_000;
/// Time buckets for bucketed charts, at most.
pub const BUCKETS: usize = 120;
/// Points kept per metrics series (min and max per bucket keep the peaks).
pub const SERIES_POINTS_MAX: usize = 800;

/// Width of a full-width chart (latency, throughput).
const WIDTH: f64 = 1100.0;
/// Width of a chart in the two-column grid (messages, gauges).
const GRID_WIDTH: f64 = 680.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 28.0;

fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// How a y value maps to pixels.
#[derive(Clone, Copy)]
enum YScale {
    /// From 0 to `max`, ticks every `step` (a round number; at least 1 for
    /// integer series).
    Linear {
        max: f64,
        step: f64,
    },
    Log {
        lo_exp: i32,
        hi_exp: i32,
    },
}

impl YScale {
    fn linear(max: f64, integer: bool) -> Self {
        // An all-zero series still gets a readable 0..1 axis.
        let max = if max > 0.0 && max.is_finite() {
            max
        } else {
            1.0
        };
        let mut step = nice_step(max / 4.0);
        if integer {
            step = step.max(1.0).round();
        }
        YScale::Linear {
            max: (max / step).ceil() * step,
            step,
        }
    }

    fn log(min: f64, max: f64) -> Self {
        let lo_exp = min.max(1.0).log10().floor() as i32;
        let hi_exp = (max.max(1.0).log10().ceil() as i32).max(lo_exp + 1);
        YScale::Log { lo_exp, hi_exp }
    }

    fn y(&self, v: f64) -> f64 {
        let h = HEIGHT - TOP - BOTTOM;
        let frac = match *self {
            YScale::Linear { max, .. } => v / max,
            YScale::Log { lo_exp, hi_exp } => {
                (v.max(1.0).log10() - f64::from(lo_exp)) / f64::from(hi_exp - lo_exp)
            }
        };
        TOP + h * (1.0 - frac.clamp(0.0, 1.0))
    }

    /// Tick values and their labels.
    fn ticks(&self, unit: ValueUnit) -> Vec<(f64, String)> {
        match *self {
            YScale::Linear { max, step } => {
                let n = (max / step).round() as i64;
                (0..=n)
                    .map(|i| {
                        let v = step * i as f64;
                        let label = match unit {
                            ValueUnit::Nanos => tick_label_ns(v, step),
                            ValueUnit::Plain => fmt_value_step(v, step),
                        };
                        (v, label)
                    })
                    .collect()
            }
            YScale::Log { lo_exp, hi_exp } => (lo_exp..=hi_exp)
                .map(|e| {
                    let v = 10f64.powi(e);
                    let label = match unit {
                        ValueUnit::Nanos => tick_label_ns(v, v),
                        ValueUnit::Plain => tick_label(v, v),
                    };
                    (v, label)
                })
                .collect(),
        }
    }
}

/// A plain tick label, with `k`/`M` for large values.
fn fmt_value_step(v: f64, step: f64) -> String {
    if step >= 1e6 {
        format!("{}M", tick_label(v / 1e6, step / 1e6))
    } else if step >= 1e4 {
        format!("{}k", tick_label(v / 1e3, step / 1e3))
    } else {
        tick_label(v, step)
    }
}

/// A chart's x range and units.
#[derive(Clone, Copy)]
struct XScale {
    end: i64,
    kind: AxisKind,
    width: f64,
}

impl XScale {
    fn x(&self, at: i64) -> f64 {
        LEFT + (self.width - LEFT - RIGHT) * (at as f64 / self.end.max(1) as f64).clamp(0.0, 1.0)
    }

    fn label(&self, at: i64) -> String {
        match self.kind {
            AxisKind::Nanos => format_ns(at),
            AxisKind::Events => at.to_string(),
        }
    }

    /// Round tick positions (about eight) and their labels.
    fn ticks(&self) -> Vec<(i64, String)> {
        let step = nice_step(self.end.max(1) as f64 / 10.0);
        let step = if self.kind == AxisKind::Events {
            step.max(1.0)
        } else {
            step
        };
        let n = (self.end as f64 / step).floor() as i64;
        (0..=n)
            .map(|i| {
                let v = step * i as f64;
                let label = match self.kind {
                    AxisKind::Nanos => tick_label_ns(v, step),
                    AxisKind::Events => tick_label(v, step),
                };
                (v.round() as i64, label)
            })
            .collect()
    }
}

fn fmt_value(v: f64, unit: ValueUnit) -> String {
    match unit {
        ValueUnit::Nanos => format_ns(v.round() as i64),
        ValueUnit::Plain => {
            if v.abs() >= 1e6 {
                format!("{:.1}M", v / 1e6)
            } else if v.abs() >= 1e4 {
                format!("{:.1}k", v / 1e3)
            } else if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.2}")
            }
        }
    }
}

#[derive(Clone, Copy)]
enum ValueUnit {
    Nanos,
    Plain,
}

/// What one chart plots: its id, title and scales.
struct Frame<'a> {
    id: &'a str,
    title: &'a str,
    x: XScale,
    y: YScale,
    y_unit: ValueUnit,
    y_label: &'a str,
}

/// Starts a chart: frame, axes, ticks and shaded fault windows.
fn open_chart(out: &mut String, frame: Frame<'_>, faults: Option<&Faults>) {
    let Frame {
        id,
        title,
        x,
        y,
        y_unit,
        y_label,
    } = frame;
    let _ = write!(
        out,
        r#"<figure class="chart" id="{id}"><figcaption>{title}</figcaption><svg viewBox="0 0 {width} {HEIGHT}" width="{width}" height="{HEIGHT}" role="img" aria-label="{title}">"#,
        id = html(id),
        title = html(title),
        width = x.width,
    );
    if let Some(faults) = faults {
        for w in &faults.windows {
            let (x0, x1) = (x.x(w.start), x.x(w.end));
            let _ = write!(
                out,
                r#"<rect class="fault" x="{x0:.1}" y="{TOP}" width="{:.1}" height="{:.1}"><title>{}</title></rect>"#,
                (x1 - x0).max(1.0),
                HEIGHT - TOP - BOTTOM,
                html(&format!("{} {}", w.name, w.detail)),
            );
        }
    }
    let bottom = HEIGHT - BOTTOM;
    let _ = write!(
        out,
        r#"<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{}" y2="{bottom}"/>"#,
        x.width - RIGHT
    );
    let _ = write!(
        out,
        r#"<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/>"#
    );
    for (i, (at, label)) in x.ticks().into_iter().enumerate() {
        let px = x.x(at);
        let anchor = if i == 0 {
            "start"
        } else if px > x.width - RIGHT - 20.0 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            out,
            r#"<line class="tick" x1="{px:.1}" y1="{bottom}" x2="{px:.1}" y2="{:.1}"/><text class="xtick" x="{px:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            bottom + 4.0,
            bottom + 16.0,
            html(&label),
        );
    }
    for (v, label) in y.ticks(y_unit) {
        let py = y.y(v);
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" y1="{py:.1}" x2="{}" y2="{py:.1}"/><text class="ytick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            x.width - RIGHT,
            LEFT - 4.0,
            py + 4.0,
            html(&label),
        );
    }
    let _ = write!(
        out,
        r#"<text class="ylabel" x="12" y="{:.1}" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"#,
        TOP + (HEIGHT - TOP - BOTTOM) / 2.0,
        TOP + (HEIGHT - TOP - BOTTOM) / 2.0,
        html(y_label),
    );
}

/// Ends a chart with its legend: `(label, colour, dash)` entries.
fn close_chart(out: &mut String, legend: &[(String, &str, &str)], note: Option<&str>) {
    out.push_str("</svg><div class=\"legend\">");
    for (label, colour, dash) in legend {
        let _ = write!(
            out,
            r#"<span><svg width="28" height="10"><line x1="1" y1="5" x2="27" y2="5" stroke="{colour}" stroke-width="3" stroke-dasharray="{dash}"/></svg>{}</span>"#,
            html(label)
        );
    }
    if let Some(note) = note {
        let _ = write!(out, r#"<span class="note">{}</span>"#, html(note));
    }
    out.push_str("</div></figure>");
}

fn polyline(out: &mut String, points: &[(f64, f64)], colour: &str, dash: &str) {
    polyline_width(out, points, colour, dash, 1.6);
}

/// A line of `width` pixels. Lines of one chart are drawn widest first, so
/// where two coincide both colours still show, one inside the other.
fn polyline_width(out: &mut String, points: &[(f64, f64)], colour: &str, dash: &str, width: f64) {
    if points.is_empty() {
        return;
    }
    out.push_str(r#"<polyline fill="none" stroke=""#);
    out.push_str(colour);
    let _ = write!(
        out,
        r#"" stroke-width="{width:.1}" stroke-dasharray="{dash}" points=""#
    );
    for (x, y) in points {
        let _ = write!(out, "{x:.1},{y:.1} ");
    }
    out.push_str("\"/>");
}

const DASHES: [&str; 4] = ["", "6 3", "2 2", "8 3 2 3"];

/// Latency per op type over time (by invocation time), log scale.
pub fn latency(ops: &[Op], axis: &Axis, faults: &Faults) -> String {
    // (f, completion, start, latency)
    let mut fs: Vec<&str> = Vec::new();
    let mut points: Vec<(usize, Completion, i64, i64)> = Vec::new();
    for op in ops {
        let Some(c) = op.complete_index else { continue };
        let start = axis.pos.get(op.invoke_index).copied().unwrap_or(0);
        let latency = axis.pos.get(c).copied().unwrap_or(start) - start;
        let fi = match fs.iter().position(|f| *f == op.f) {
            Some(i) => i,
            None => {
                fs.push(&op.f);
                fs.len() - 1
            }
        };
        points.push((fi, op.completion, start, latency.max(0)));
    }
    let x = XScale {
        end: axis.end,
        kind: axis.kind,
        width: WIDTH,
    };
    let min = points.iter().map(|p| p.3).min().unwrap_or(1) as f64;
    let max = points.iter().map(|p| p.3).max().unwrap_or(1) as f64;
    let y = YScale::log(min, max);
    let (unit, y_label) = match axis.kind {
        AxisKind::Nanos => (ValueUnit::Nanos, "latency"),
        AxisKind::Events => (ValueUnit::Plain, "latency (events)"),
    };
    let mut out = String::new();
    open_chart(
        &mut out,
        Frame {
            id: "chart-latency",
            title: "Latency per op type",
            x,
            y,
            y_unit: unit,
            y_label,
        },
        Some(faults),
    );
    let mut legend: Vec<(String, &str, &str)> = Vec::new();
    let note = if points.len() <= SCATTER_OPS_MAX {
        for &(fi, completion, start, lat) in &points {
            let (px, py) = (x.x(start), y.y(lat as f64));
            let c = color(fi);
            let tip = html(&format!(
                "{} {} at {}: {}",
                fs[fi],
                completion_name(completion),
                x.label(start),
                fmt_value(lat as f64, unit)
            ));
            match completion {
                Completion::Ok => {
                    let _ = write!(
                        out,
                        r#"<circle cx="{px:.1}" cy="{py:.1}" r="2.5" fill="{c}"><title>{tip}</title></circle>"#
                    );
                }
                Completion::Fail => {
                    let _ = write!(
                        out,
                        r#"<path d="M{:.1} {:.1}l6 6m0 -6l-6 6" stroke="{c}" stroke-width="1.5"><title>{tip}</title></path>"#,
                        px - 3.0,
                        py - 3.0
                    );
                }
                Completion::Info => {
                    let _ = write!(
                        out,
                        r#"<circle cx="{px:.1}" cy="{py:.1}" r="3" fill="none" stroke="{c}" stroke-width="1.2"><title>{tip}</title></circle>"#
                    );
                }
            }
        }
        for (i, f) in fs.iter().enumerate() {
            legend.push(((*f).to_owned(), color(i), ""));
        }
        "● ok   × fail   ○ info (timed out)".to_owned()
    } else {
        // Per f and bucket: median and maximum latency.
        let mut buckets: Vec<Vec<Vec<i64>>> = vec![vec![Vec::new(); BUCKETS]; fs.len()];
        for &(fi, _, start, lat) in &points {
            let b = bucket_of(start, axis.end, BUCKETS);
            buckets[fi][b].push(lat);
        }
        for (fi, f) in fs.iter().enumerate() {
            let mut p50 = Vec::new();
            let mut pmax = Vec::new();
            for (b, lats) in buckets[fi].iter_mut().enumerate() {
                if lats.is_empty() {
                    continue;
                }
                lats.sort_unstable();
                let mid = bucket_mid(b, axis.end, BUCKETS);
                p50.push((x.x(mid), y.y(lats[lats.len() / 2] as f64)));
                pmax.push((x.x(mid), y.y(*lats.last().unwrap_or(&0) as f64)));
            }
            polyline(&mut out, &p50, color(fi), "");
            polyline(&mut out, &pmax, color(fi), "2 2");
            legend.push((format!("{f} median"), color(fi), ""));
            legend.push((format!("{f} max"), color(fi), "2 2"));
        }
        format!("{} completed ops in {BUCKETS} time buckets", points.len())
    };
    let info_open = ops.iter().filter(|o| o.complete_index.is_none()).count();
    let note = if info_open > 0 {
        format!("{note}; {info_open} ops never completed (not shown)")
    } else {
        note
    };
    close_chart(&mut out, &legend, Some(&note));
    out
}

fn completion_name(c: Completion) -> &'static str {
    match c {
        Completion::Ok => "ok",
        Completion::Fail => "fail",
        Completion::Info => "info",
    }
}

fn bucket_of(at: i64, end: i64, buckets: usize) -> usize {
    ((at.max(0) as i128 * buckets as i128 / (end.max(1) as i128 + 1)) as usize).min(buckets - 1)
}

fn bucket_mid(b: usize, end: i64, buckets: usize) -> i64 {
    ((2 * b as i128 + 1) * (end.max(1) as i128 + 1) / (2 * buckets as i128)) as i64
}

/// Completions per second (or per bucket of events) over time, by type.
pub fn throughput(ops: &[Op], axis: &Axis, faults: &Faults) -> String {
    // About five completions per bucket on average, so a short history
    // does not draw a comb of spikes; never more than BUCKETS.
    let completed = ops.iter().filter(|o| o.complete_index.is_some()).count();
    let buckets = (completed / 5).clamp(8, BUCKETS);
    let mut counts = vec![vec![0u64; buckets]; 3];
    for op in ops {
        let Some(c) = op.complete_index else { continue };
        let at = axis.pos.get(c).copied().unwrap_or(0);
        let k = match op.completion {
            Completion::Ok => 0,
            Completion::Fail => 1,
            Completion::Info => 2,
        };
        counts[k][bucket_of(at, axis.end, buckets)] += 1;
    }
    let (scale, y_label) = match axis.kind {
        AxisKind::Nanos => (
            1e9 * buckets as f64 / (axis.end.max(1) as f64 + 1.0),
            "ops/s",
        ),
        AxisKind::Events => (1.0, "ops per bucket"),
    };
    let max = counts
        .iter()
        .flat_map(|c| c.iter())
        .copied()
        .max()
        .unwrap_or(0) as f64
        * scale;
    let x = XScale {
        end: axis.end,
        kind: axis.kind,
        width: WIDTH,
    };
    let y = YScale::linear(max, false);
    let mut out = String::new();
    open_chart(
        &mut out,
        Frame {
            id: "chart-throughput",
            title: "Throughput",
            x,
            y,
            y_unit: ValueUnit::Plain,
            y_label,
        },
        Some(faults),
    );
    let styles = [
        ("ok", "#2e7d32", ""),
        ("fail", "#c62828", "6 3"),
        ("info", "#6b6b6b", "2 2"),
    ];
    let mut legend = Vec::new();
    for (k, (name, colour, dash)) in styles.iter().enumerate() {
        if counts[k].iter().all(|&c| c == 0) {
            continue;
        }
        let pts: Vec<(f64, f64)> = (0..buckets)
            .map(|b| {
                (
                    x.x(bucket_mid(b, axis.end, buckets)),
                    y.y(counts[k][b] as f64 * scale),
                )
            })
            .collect();
        polyline(&mut out, &pts, colour, dash);
        legend.push(((*name).to_owned(), *colour, *dash));
    }
    close_chart(
        &mut out,
        &legend,
        Some(&format!("completions in {buckets} time buckets")),
    );
    out
}

/// Keeps at most [`SERIES_POINTS_MAX`] points: per bucket, the first, the
/// minimum and the maximum, so peaks survive.
fn downsample(points: &[Point], t_lo: i64, t_hi: i64) -> Vec<Point> {
    if points.len() <= SERIES_POINTS_MAX {
        return points.to_vec();
    }
    let buckets = SERIES_POINTS_MAX / 3;
    let span = (t_hi - t_lo).max(1) as i128 + 1;
    let mut out: Vec<Point> = Vec::with_capacity(SERIES_POINTS_MAX);
    let mut i = 0;
    while i < points.len() {
        let b = ((points[i].t_ns - t_lo).max(0) as i128 * buckets as i128 / span) as usize;
        let mut j = i;
        let (mut lo, mut hi) = (i, i);
        while j < points.len()
            && ((points[j].t_ns - t_lo).max(0) as i128 * buckets as i128 / span) as usize == b
        {
            if points[j].value < points[lo].value {
                lo = j;
            }
            if points[j].value > points[hi].value {
                hi = j;
            }
            j += 1;
        }
        let mut keep = [i, lo, hi, j - 1];
        keep.sort_unstable();
        let mut last = usize::MAX;
        for k in keep {
            if k != last {
                out.push(points[k]);
                last = k;
            }
        }
        i = j;
    }
    out
}

/// One chart per series name of this kind, one line per label; for
/// counters, also a table of final totals (rows: labels, columns: names).
pub fn metrics(metrics: &Metrics, kind: SeriesKind, axis: &Axis, faults: &Faults) -> String {
    let series: Vec<&Series> = metrics.of_kind(kind).collect();
    if series.is_empty() {
        return String::new();
    }
    // The x range: the timeline's when the history is timed, so charts line
    // up; otherwise the metrics' own.
    let (t0, end, kind_x, shade) = match axis.kind {
        AxisKind::Nanos => {
            let last = series
                .iter()
                .flat_map(|s| s.points.iter())
                .map(|p| p.t_ns - axis.t0_ns)
                .max()
                .unwrap_or(0);
            (
                axis.t0_ns,
                axis.end.max(last),
                AxisKind::Nanos,
                Some(faults),
            )
        }
        AxisKind::Events => {
            let lo = series
                .iter()
                .flat_map(|s| s.points.iter())
                .map(|p| p.t_ns)
                .min()
                .unwrap_or(0);
            let hi = series
                .iter()
                .flat_map(|s| s.points.iter())
                .map(|p| p.t_ns)
                .max()
                .unwrap_or(0);
            (lo, (hi - lo).max(1), AxisKind::Nanos, None)
        }
    };
    let x = XScale {
        end,
        kind: kind_x,
        width: GRID_WIDTH,
    };
    let mut names: Vec<&str> = Vec::new();
    let mut labels: Vec<&str> = Vec::new();
    for s in &series {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
        if !labels.contains(&s.label.as_str()) {
            labels.push(&s.label);
        }
    }
    let mut out = String::new();
    let prefix = match kind {
        SeriesKind::Counter => "counter",
        SeriesKind::Gauge => "gauge",
    };
    out.push_str(r#"<div class="chart-grid">"#);
    let mut always_zero: Vec<&str> = Vec::new();
    for (ni, name) in names.iter().enumerate() {
        let group: Vec<&&Series> = series.iter().filter(|s| s.name == *name).collect();
        // A series that is zero throughout says nothing a line could show:
        // it is named under the charts instead of drawn.
        let drawn: Vec<&&Series> = group
            .iter()
            .copied()
            .filter(|s| {
                s.points
                    .iter()
                    .any(|p| p.value.is_finite() && p.value != 0.0)
            })
            .collect();
        if drawn.is_empty() {
            always_zero.push(name);
            continue;
        }
        let max = drawn
            .iter()
            .flat_map(|s| s.points.iter())
            .map(|p| p.value)
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        let integer = drawn
            .iter()
            .flat_map(|s| s.points.iter())
            .all(|p| !p.value.is_finite() || p.value.fract() == 0.0);
        let y = YScale::linear(max, integer);
        open_chart(
            &mut out,
            Frame {
                id: &format!("chart-{prefix}-{ni}"),
                title: name,
                x,
                y,
                y_unit: ValueUnit::Plain,
                y_label: name,
            },
            shade,
        );
        // Series with identical points are one line with a joint label.
        let mut lines: Vec<(Vec<&str>, &Series)> = Vec::new();
        for s in &drawn {
            match lines.iter_mut().find(|(_, other)| other.points == s.points) {
                Some((labels, _)) => labels.push(&s.label),
                None => lines.push((vec![&s.label], s)),
            }
        }
        let zero_labels: Vec<&str> = group
            .iter()
            .filter(|s| !drawn.iter().any(|d| std::ptr::eq::<Series>(**d, ***s)))
            .map(|s| s.label.as_str())
            .collect();
        let count = lines.len();
        let mut legend = Vec::new();
        for (k, (line_labels, s)) in lines.iter().enumerate() {
            let li = labels.iter().position(|l| *l == s.label).unwrap_or(0);
            // NaN or infinite samples cannot be drawn; leave gaps' ends joined.
            let finite: Vec<Point> = s
                .points
                .iter()
                .copied()
                .filter(|p| p.value.is_finite())
                .collect();
            let pts = downsample(&finite, t0, t0 + end);
            let mut line = Vec::with_capacity(pts.len() * 2);
            for (i, p) in pts.iter().enumerate() {
                let px = x.x(p.t_ns - t0);
                let py = y.y(p.value);
                if kind == SeriesKind::Gauge && i > 0 {
                    // A gauge holds its level until the next sample.
                    let prev_y = line.last().map_or(py, |&(_, y)| y);
                    line.push((px, prev_y));
                }
                line.push((px, py));
            }
            let dash = DASHES[(li / PALETTE.len()) % DASHES.len()];
            let width = 1.6 + 1.4 * (count - 1 - k) as f64;
            polyline_width(&mut out, &line, color(li), dash, width);
            legend.push((line_labels.join(" = "), color(li), dash));
        }
        let note = (!zero_labels.is_empty())
            .then(|| format!("{}: 0 throughout (not drawn)", zero_labels.join(", ")));
        close_chart(&mut out, &legend, note.as_deref());
    }
    out.push_str("</div>");
    if !always_zero.is_empty() {
        let _ = write!(
            out,
            r#"<p class="muted zero-series">0 throughout on every node, not drawn: {}.</p>"#,
            html(&always_zero.join(", "))
        );
    }
    if kind == SeriesKind::Counter {
        out.push_str(r#"<table class="totals"><thead><tr><th>node</th>"#);
        for name in &names {
            let _ = write!(out, "<th>{}</th>", html(name));
        }
        out.push_str("</tr></thead><tbody>");
        let mut totals: BTreeMap<(&str, &str), f64> = BTreeMap::new();
        for s in &series {
            if let Some(v) = s.last_value() {
                *totals
                    .entry((s.label.as_str(), s.name.as_str()))
                    .or_insert(0.0) += v;
            }
        }
        for label in &labels {
            let _ = write!(out, "<tr><td>{}</td>", html(label));
            for name in &names {
                let cell = totals
                    .get(&(*label, *name))
                    .map_or("–".to_owned(), |v| fmt_value(*v, ValueUnit::Plain));
                let _ = write!(out, "<td>{}</td>", html(&cell));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_keeps_peaks_and_bounds_size() {
        let mut pts: Vec<Point> = (0..100_000)
            .map(|i| Point {
                t_ns: i,
                value: 1.0,
            })
            .collect();
        pts[54_321].value = 99.0;
        let out = downsample(&pts, 0, 100_000);
        assert!(out.len() <= SERIES_POINTS_MAX + 4, "{}", out.len());
        assert!(out.iter().any(|p| p.value == 99.0));
        assert!(out.windows(2).all(|w| w[0].t_ns <= w[1].t_ns));
    }

    #[test]
    fn linear_scales_tick_at_round_values_and_integers_for_integer_series() {
        let labels = |y: YScale| -> Vec<String> {
            y.ticks(ValueUnit::Plain)
                .into_iter()
                .map(|(_, l)| l)
                .collect()
        };
        assert_eq!(labels(YScale::linear(3.0, true)), vec!["0", "1", "2", "3"]);
        assert_eq!(
            labels(YScale::linear(470.0, true)),
            vec!["0", "200", "400", "600"]
        );
        assert_eq!(labels(YScale::linear(1.0, false)), vec!["0", "0.5", "1"]);
        let ns: Vec<String> = YScale::linear(1.7e9, false)
            .ticks(ValueUnit::Nanos)
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        assert_eq!(ns, vec!["0 s", "0.5 s", "1 s", "1.5 s", "2 s"]);
    }

    #[test]
    fn time_ticks_are_round() {
        let x = XScale {
            end: 4_015_000_000,
            kind: AxisKind::Nanos,
            width: WIDTH,
        };
        let labels: Vec<String> = x.ticks().into_iter().map(|(_, l)| l).collect();
        assert_eq!(
            labels,
            vec!["0 s", "0.5 s", "1 s", "1.5 s", "2 s", "2.5 s", "3 s", "3.5 s", "4 s"]
        );
    }
}
