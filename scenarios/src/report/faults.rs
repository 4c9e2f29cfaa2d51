//! Fault windows: the nemesis events of a history paired into spans.
//!
//! Nemesis activity is recorded as `info` events of a named process
//! (`:nemesis`). Conventions differ: Jepsen logs each nemesis op twice (its
//! invocation and its completion, both `info`), names ops `:start`/`:stop`,
//! `:start-partition`/`:stop-partition`, `:kill`/`:start`, `:pause`/`:resume`;
//! others put the phase in the value. So pairing is tolerant: an event that
//! opens a fault opens (or extends) a window of that fault's name; an event
//! that closes one closes it (a repeated close extends the window just
//! closed); anything else is drawn as a labelled instant.

use super::axis::Axis;
use super::describe::describe_action_json;
use shakedown_checkers::{History, Value};

/// A span during which a fault was active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultWindow {
    /// The fault's name (`partition`, `kill`, `pause`, `clock`, ...).
    pub name: String,
    /// What the nemesis said about it: the most informative value seen, as EDN.
    pub detail: String,
    /// Axis position where it began.
    pub start: i64,
    /// Axis position where it ended (the axis end if it never did).
    pub end: i64,
    /// True if no event closed it.
    pub open_ended: bool,
    /// The nodes it affected most (an isolated node, a crashed one), by
    /// index; empty when the history does not say.
    pub nodes: Vec<usize>,
    /// What those nodes were meanwhile: `isolated`, `crashed`, …
    pub state: String,
}

/// A nemesis event that neither opens nor closes a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultMark {
    /// The event's `:f`.
    pub name: String,
    /// Its value, as EDN, or in words when Shakedown's simulator wrote it.
    pub detail: String,
    /// Axis position.
    pub at: i64,
    /// The nodes it acted on, by index (empty when unknown).
    pub nodes: Vec<usize>,
}

/// The nemesis activity of a history, ready to draw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Windows, in the order they opened.
    pub windows: Vec<FaultWindow>,
    /// Instant events.
    pub marks: Vec<FaultMark>,
}

#[derive(Debug, PartialEq, Eq)]
enum Role {
    Open(String),
    Close(String),
    /// Closes every open window (`:stop`, `:heal`, `:stop-all`...).
    CloseAll,
    /// Closes a window of this name if one is open, else opens `fault`
    /// (Jepsen's `:start`: restart after `:kill`, or begin a generic fault).
    StartOrReopen,
    Instant,
}

/// Pairs of (opening verb, closing verbs) beyond the `start-X`/`stop-X` forms.
const VERB_PAIRS: &[(&str, &[&str])] = &[
    ("partition", &["heal", "heal-partition", "unpartition"]),
    ("kill", &["restart", "revive", "recover"]),
    ("crash", &["restart", "revive", "recover"]),
    ("pause", &["resume", "unpause"]),
    ("bump-clock", &["reset-clock", "reset"]),
    ("strobe-clock", &["reset-clock", "reset"]),
    ("skew-clock", &["reset-clock", "reset"]),
    ("drift-clock", &["reset-clock", "reset"]),
    ("throttle-hints", &["unthrottle-hints"]),
];

const CLOSE_ALL: &[&str] = &[
    "stop",
    "heal",
    "heal-all",
    "stop-all",
    "end",
    "recover-all",
    "reset-all",
];

fn keyword_or_str(v: &Value) -> Option<&str> {
    match v {
        Value::Keyword(k) | Value::Str(k) | Value::Symbol(k) => Some(k),
        _ => None,
    }
}

/// The phase a nemesis event states explicitly, if any: an extra field
/// `:phase` (or the value itself) of `:start`/`:stop`/`:begin`/`:end`.
fn explicit_phase(phase: Option<&Value>, value: &Value) -> Option<bool> {
    let word = phase
        .and_then(keyword_or_str)
        .or_else(|| keyword_or_str(value))?;
    match word {
        // A step in between (a clock strobe's flip) keeps the window open.
        "start" | "begin" | "open" | "flip" => Some(true),
        "stop" | "end" | "close" | "heal" => Some(false),
        _ => None,
    }
}

fn classify(f: &str, phase: Option<bool>) -> Role {
    let f = f.to_ascii_lowercase().replace('_', "-");
    if let Some(opening) = phase {
        return if opening {
            Role::Open(f)
        } else {
            Role::Close(f)
        };
    }
    if f == "start" {
        return Role::StartOrReopen;
    }
    if CLOSE_ALL.contains(&f.as_str()) {
        return Role::CloseAll;
    }
    for (prefix, open) in [
        ("start-", true),
        ("begin-", true),
        ("stop-", false),
        ("end-", false),
        ("heal-", false),
    ] {
        if let Some(rest) = f.strip_prefix(prefix) {
            return if open {
                Role::Open(rest.to_owned())
            } else {
                Role::Close(rest.to_owned())
            };
        }
    }
    for (suffix, open) in [
        ("-start", true),
        ("-begin", true),
        ("-stop", false),
        ("-end", false),
    ] {
        if let Some(rest) = f.strip_suffix(suffix) {
            return if open {
                Role::Open(rest.to_owned())
            } else {
                Role::Close(rest.to_owned())
            };
        }
    }
    if VERB_PAIRS.iter().any(|(open, _)| *open == f) {
        return Role::Open(f);
    }
    if VERB_PAIRS
        .iter()
        .any(|(_, closes)| closes.contains(&f.as_str()))
    {
        return Role::Close(f);
    }
    Role::Instant
}

/// Whether a window named `window` is closed by the name `closer`.
fn closes(window: &str, closer: &str) -> bool {
    window == closer
        || VERB_PAIRS
            .iter()
            .any(|(open, closes)| *open == window && closes.contains(&closer))
        || (closer == "partition" && window.starts_with("partition"))
}

/// The `:nodes` entry of a map value, as EDN: which nodes a step acted on.
fn nodes_of(value: &Value) -> Option<String> {
    match value {
        Value::Map(entries) => entries
            .iter()
            .find(|(k, _)| matches!(k, Value::Keyword(n) if n == "nodes"))
            .map(|(_, v)| v.to_string()),
        _ => None,
    }
}

/// The `:nodes` of a map value as indices, and its `:detail` text.
fn nodes_and_detail(value: &Value) -> (Vec<usize>, Option<&str>) {
    let Value::Map(entries) = value else {
        return (Vec::new(), None);
    };
    let mut nodes = Vec::new();
    let mut detail = None;
    for (k, v) in entries {
        match (k, v) {
            (Value::Keyword(k), Value::Vector(items)) if k == "nodes" => {
                nodes = items
                    .iter()
                    .filter_map(Value::as_int)
                    .filter_map(|i| usize::try_from(i).ok())
                    .collect();
            }
            (Value::Keyword(k), Value::Str(text)) if k == "detail" => detail = Some(text.as_str()),
            _ => {}
        }
    }
    (nodes, detail)
}

/// What a nemesis value says, for people: EDN, except that a map's keyword
/// keys and string values are written bare (`nodes [0 1], detail heal`).
fn detail_of(value: &Value) -> String {
    let bare = |v: &Value| match v {
        Value::Str(s) | Value::Keyword(s) => s.clone(),
        v => v.to_string(),
    };
    match value {
        Value::Nil => String::new(),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| format!("{} {}", bare(k), bare(v)))
            .collect::<Vec<_>>()
            .join(", "),
        v => v.to_string(),
    }
}

impl Faults {
    /// Pairs the nemesis events of `history` on `axis`, cluster size unknown.
    #[cfg(test)]
    pub fn of(history: &History, axis: &Axis) -> Self {
        Self::of_cluster(history, axis, None)
    }

    /// Pairs the nemesis events of `history` on `axis`, for a cluster of
    /// `node_count` nodes if known (it helps to say who a partition cut
    /// off). Shakedown's own nemesis events are put into words.
    pub fn of_cluster(history: &History, axis: &Axis, node_count: Option<usize>) -> Self {
        let mut faults = Faults::default();
        // Indices into `faults.windows` of windows still open.
        let mut open: Vec<usize> = Vec::new();
        // For each window closed by the latest closing event: a second,
        // identical close (Jepsen's completion) extends it.
        let mut just_closed: Vec<(String, usize)> = Vec::new();
        // Per window: the schedule event it belongs to, when the nemesis
        // records one (`:event 3`); starts and stops then pair exactly.
        let mut ids: Vec<Option<i64>> = Vec::new();
        // Per window: the `:nodes` of its start, to pair a stop exactly.
        let mut window_nodes: Vec<Option<String>> = Vec::new();
        for (i, e) in history.events.iter().enumerate() {
            if e.process.is_client() {
                continue;
            }
            let at = axis.pos.get(i).copied().unwrap_or(0);
            let detail = detail_of(&e.value);
            let event_id = e.extra_field("event").and_then(Value::as_int);
            if let Some(phase) = e.extra_field("phase").and_then(keyword_or_str) {
                // Shakedown's simulator: `:f` names the fault and `:phase`
                // says start, flip, stop or apply; one event per step.
                let name = e.f.to_ascii_lowercase().replace('_', "-");
                let nodes = nodes_of(&e.value);
                let (indices, action) = nodes_and_detail(&e.value);
                let described = action.and_then(|a| describe_action_json(a, node_count));
                let (detail, affected, state) = match described {
                    Some(d) => (d.label, d.nodes, d.state),
                    None => (detail, indices, name.clone()),
                };
                match phase {
                    "start" | "begin" => {
                        open.push(faults.windows.len());
                        ids.push(event_id);
                        window_nodes.push(nodes);
                        faults.windows.push(FaultWindow {
                            name,
                            detail,
                            start: at,
                            end: at,
                            open_ended: true,
                            nodes: affected,
                            state,
                        });
                        continue;
                    }
                    "flip" if open.iter().any(|&w| faults.windows[w].name == name) => continue,
                    "stop" | "end" => {
                        let candidates: Vec<usize> = open
                            .iter()
                            .copied()
                            .filter(|&w| {
                                faults.windows[w].name == name
                                    && (event_id.is_none()
                                        || ids[w].is_none()
                                        || ids[w] == event_id)
                            })
                            .collect();
                        let chosen = candidates
                            .iter()
                            .copied()
                            .find(|&w| nodes.is_some() && window_nodes[w] == nodes)
                            .or_else(|| candidates.first().copied());
                        if let Some(w) = chosen {
                            open.retain(|&o| o != w);
                            faults.windows[w].end = at;
                            faults.windows[w].open_ended = false;
                            continue;
                        }
                    }
                    _ => {}
                }
                // An instant step (`apply`), or a flip or stop with no window
                // open to match.
                let name = match phase {
                    "apply" => e.f.clone(),
                    _ => format!("{} ({phase})", e.f),
                };
                faults.marks.push(FaultMark {
                    name,
                    detail,
                    at,
                    nodes: affected,
                });
                continue;
            }
            let phase = explicit_phase(e.extra_field("phase"), &e.value);
            let same_event = |ids: &[Option<i64>], w: usize| {
                event_id.is_none() || ids[w].is_none() || ids[w] == event_id
            };
            // With an explicit phase in the value, the value is not a detail.
            let detail = if phase.is_some() && e.extra_field("phase").is_none() {
                String::new()
            } else {
                detail
            };
            let role = match classify(&e.f, phase) {
                Role::StartOrReopen => {
                    let restarts_killed = open
                        .iter()
                        .any(|&w| closes(&faults.windows[w].name, "restart"));
                    if restarts_killed || just_closed.iter().any(|(c, _)| c == "restart") {
                        Role::Close("restart".to_owned())
                    } else {
                        Role::Open("fault".to_owned())
                    }
                }
                role => role,
            };
            match role {
                Role::Open(name) => {
                    just_closed.clear();
                    if let Some(&w) = open
                        .iter()
                        .find(|&&w| faults.windows[w].name == name && same_event(&ids, w))
                    {
                        // Jepsen's completion of the opening op, or another
                        // target of the same fault: keep one window.
                        let window = &mut faults.windows[w];
                        if !detail.is_empty() && !window.detail.contains(&detail) {
                            if !window.detail.is_empty() {
                                window.detail.push_str("; ");
                            }
                            window.detail.push_str(&detail);
                        }
                    } else {
                        open.push(faults.windows.len());
                        ids.push(event_id);
                        window_nodes.push(None);
                        faults.windows.push(FaultWindow {
                            state: name.clone(),
                            name,
                            detail,
                            start: at,
                            end: at,
                            open_ended: true,
                            nodes: Vec::new(),
                        });
                    }
                }
                Role::Close(closer) => {
                    let before = open.len();
                    let mut closed = Vec::new();
                    open.retain(|&w| {
                        if closes(&faults.windows[w].name, &closer) && same_event(&ids, w) {
                            closed.push(w);
                            false
                        } else {
                            true
                        }
                    });
                    if before != open.len() {
                        just_closed.clear();
                        for w in closed {
                            faults.windows[w].end = at;
                            faults.windows[w].open_ended = false;
                            just_closed.push((closer.clone(), w));
                        }
                    } else if just_closed.iter().any(|(c, _)| *c == closer) {
                        for (_, w) in just_closed.iter().filter(|(c, _)| *c == closer) {
                            faults.windows[*w].end = at;
                        }
                    } else {
                        faults.marks.push(FaultMark {
                            name: e.f.clone(),
                            detail,
                            at,
                            nodes: Vec::new(),
                        });
                    }
                }
                Role::CloseAll => {
                    if !open.is_empty() {
                        just_closed.clear();
                        for w in open.drain(..) {
                            faults.windows[w].end = at;
                            faults.windows[w].open_ended = false;
                            just_closed.push(("*".to_owned(), w));
                        }
                    } else if just_closed.iter().any(|(c, _)| c == "*") {
                        for (_, w) in &just_closed {
                            faults.windows[*w].end = at;
                        }
                    } else {
                        faults.marks.push(FaultMark {
                            name: e.f.clone(),
                            detail,
                            at,
                            nodes: Vec::new(),
                        });
                    }
                }
                Role::Instant | Role::StartOrReopen => {
                    faults.marks.push(FaultMark {
                        name: e.f.clone(),
                        detail,
                        at,
                        nodes: Vec::new(),
                    });
                }
            }
        }
        for w in open {
            faults.windows[w].end = axis.end;
        }
        faults
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shakedown_checkers::{Event, EventType, Process};

    fn nem(f: &str, value: Value, t: i64) -> Event {
        Event::new(Process::nemesis(), EventType::Info, f, value).at(t)
    }

    fn client(t: i64) -> Event {
        Event::new(Process::Client(0), EventType::Invoke, "read", Value::Nil).at(t)
    }

    #[test]
    fn pairs_jepsen_style_double_logged_start_stop() {
        let h = History::new(vec![
            client(0),
            nem("start", Value::Nil, 10),
            nem("start", Value::Str("Cut off {n1 #{n2}}".into()), 12),
            nem("stop", Value::Nil, 50),
            nem("stop", Value::Str("fully connected".into()), 52),
            client(100),
        ]);
        let f = Faults::of(&h, &Axis::of(&h));
        assert_eq!(f.windows.len(), 1, "{f:?}");
        let w = &f.windows[0];
        assert_eq!((w.start, w.end, w.open_ended), (10, 52, false));
        assert!(w.detail.contains("Cut off"));
        assert!(f.marks.is_empty());
    }

    #[test]
    fn pairs_named_faults_kill_start_and_leaves_unclosed_ones_open() {
        let h = History::new(vec![
            client(0),
            nem("start-partition", Value::keyword("majority"), 5),
            nem("kill", Value::Str("n1".into()), 10),
            nem("start", Value::Str("n1".into()), 20),
            nem("pause", Value::Str("n2".into()), 30),
            nem("stop-partition", Value::Nil, 40),
            nem("bump-clock", Value::Int(100), 45),
            nem("resume", Value::Str("n2".into()), 50),
            nem("check-offsets", Value::Nil, 55),
            client(100),
        ]);
        let f = Faults::of(&h, &Axis::of(&h));
        let spans: Vec<_> = f
            .windows
            .iter()
            .map(|w| (w.name.as_str(), w.start, w.end, w.open_ended))
            .collect();
        assert_eq!(
            spans,
            vec![
                ("partition", 5, 40, false),
                ("kill", 10, 20, false),
                ("pause", 30, 50, false),
                ("bump-clock", 45, 100, true),
            ]
        );
        assert_eq!(f.marks.len(), 1);
        assert_eq!(f.marks[0].name, "check-offsets");
    }

    #[test]
    fn schedule_event_ids_pair_overlapping_faults_of_one_name() {
        let step = |t: i64, phase: &str, event: i64, node: &str| {
            let mut e = nem("crash", Value::Str(node.into()), t);
            e.extra
                .push((Value::keyword("phase"), Value::keyword(phase)));
            e.extra.push((Value::keyword("event"), Value::Int(event)));
            e
        };
        let h = History::new(vec![
            client(0),
            step(10, "start", 0, "n1"),
            step(20, "start", 1, "n2"),
            step(30, "stop", 0, "n1"),
            step(40, "stop", 1, "n2"),
            client(50),
        ]);
        let f = Faults::of(&h, &Axis::of(&h));
        let spans: Vec<_> = f.windows.iter().map(|w| (w.start, w.end)).collect();
        assert_eq!(spans, vec![(10, 30), (20, 40)]);
    }

    #[test]
    fn simulator_steps_pair_by_fault_and_nodes() {
        let step = |t: i64, f: &str, phase: &str, nodes: &[i64]| {
            let value = Value::Map(vec![(
                Value::keyword("nodes"),
                Value::Vector(nodes.iter().map(|&n| Value::Int(n)).collect()),
            )]);
            let mut e = nem(f, value, t);
            e.extra
                .push((Value::keyword("phase"), Value::keyword(phase)));
            e
        };
        let h = History::new(vec![
            client(0),
            step(10, "crash", "start", &[0]),
            step(15, "partition", "start", &[1, 2]),
            step(20, "crash", "start", &[3]),
            step(25, "clock-strobe", "start", &[4]),
            step(26, "clock-strobe", "flip", &[4]),
            step(30, "crash", "stop", &[3]),
            step(35, "partition", "stop", &[]),
            step(38, "clock-bump", "apply", &[1]),
            step(40, "crash", "stop", &[0]),
            client(60),
        ]);
        let f = Faults::of(&h, &Axis::of(&h));
        let spans: Vec<_> = f
            .windows
            .iter()
            .map(|w| (w.name.as_str(), w.start, w.end, w.open_ended))
            .collect();
        assert_eq!(
            spans,
            vec![
                ("crash", 10, 40, false),
                ("partition", 15, 35, false),
                ("crash", 20, 30, false),
                ("clock-strobe", 25, 60, true),
            ]
        );
        assert_eq!(f.marks.len(), 1);
        assert_eq!(f.marks[0].name, "clock-bump");
    }

    #[test]
    fn simulator_actions_read_as_words_with_the_nodes_they_hit() {
        let step = |t: i64, phase: &str, detail: &str| {
            let value = Value::Map(vec![
                (
                    Value::keyword("nodes"),
                    Value::Vector(vec![Value::Int(0), Value::Int(1), Value::Int(2)]),
                ),
                (Value::keyword("detail"), Value::Str(detail.into())),
            ]);
            let mut e = nem("isolate", value, t);
            e.extra
                .push((Value::keyword("phase"), Value::keyword(phase)));
            e
        };
        let cut = r#"{"action":"partition","cut":{"links":[[0,1],[1,0],[1,2],[2,1]]}}"#;
        let h = History::new(vec![
            client(0),
            step(10, "start", cut),
            step(20, "stop", r#"{"action":"heal"}"#),
            client(30),
        ]);
        let f = Faults::of_cluster(&h, &Axis::of(&h), Some(3));
        assert_eq!(f.windows.len(), 1);
        let w = &f.windows[0];
        assert_eq!(w.detail, "n1 isolated from n0, n2");
        assert_eq!(
            (w.nodes.as_slice(), w.state.as_str()),
            (&[1][..], "isolated")
        );
        assert_eq!((w.start, w.end), (10, 20));
    }

    #[test]
    fn an_explicit_phase_field_pairs_by_name() {
        let mut start = nem("hint-backlog", Value::Str("n3".into()), 5);
        start
            .extra
            .push((Value::keyword("phase"), Value::keyword("start")));
        let mut stop = nem("hint-backlog", Value::Nil, 9);
        stop.extra
            .push((Value::keyword("phase"), Value::keyword("stop")));
        let h = History::new(vec![client(0), start, stop, client(20)]);
        let f = Faults::of(&h, &Axis::of(&h));
        assert_eq!(f.windows.len(), 1);
        assert_eq!((f.windows[0].start, f.windows[0].end), (5, 9));
        assert_eq!(f.windows[0].detail, "\"n3\"");
    }
}
