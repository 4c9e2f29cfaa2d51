//! The fault catalog: every built-in fault with its parameters and a
//! one-line description. `shakedown list faults` prints it, and parsing uses
//! it to suggest the right parameter name for a misspelt one.

use std::fmt::Write as _;

use serde::Serialize;

/// What kind of thing a fault disturbs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Network partitions and heal.
    Partition,
    /// Process crashes and pauses.
    Process,
    /// Node clocks.
    Clock,
    /// Packet loss, duplication and delay.
    Network,
    /// Faults a cluster model defines.
    Model,
}

impl Category {
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Category::Partition => "partition",
            Category::Process => "process",
            Category::Clock => "clock",
            Category::Network => "network",
            Category::Model => "model",
        }
    }
}

/// One parameter of a fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParamInfo {
    /// Its key in a scenario file.
    pub name: &'static str,
    /// Its type, in words (`target`, `integer ≥ 1`, `0.0..=1.0`…).
    pub kind: &'static str,
    /// Its default, or `None` if it must be given.
    pub default: Option<&'static str>,
    /// What it does.
    pub description: &'static str,
}

/// One fault in the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FaultInfo {
    /// Its name in a scenario file (`fault = "…"`).
    pub name: &'static str,
    /// What it disturbs.
    pub category: Category,
    /// One line saying what it does.
    pub description: &'static str,
    /// Its parameters.
    pub params: Vec<ParamInfo>,
    /// The fault that undoes it, if it is not itself an undo.
    pub undo: Option<&'static str>,
}

const fn param(
    name: &'static str,
    kind: &'static str,
    default: Option<&'static str>,
    description: &'static str,
) -> ParamInfo {
    ParamInfo {
        name,
        kind,
        default,
        description,
    }
}

fn target(default: &'static str, description: &'static str) -> ParamInfo {
    param("target", "target", Some(default), description)
}

/// Every built-in fault, in a stable order (grouped by category).
pub fn catalog() -> Vec<FaultInfo> {
    use Category::*;
    let f = |name, category, description, params, undo| FaultInfo {
        name,
        category,
        description,
        params,
        undo,
    };
    vec![
        f("random-halves", Partition, "cut the cluster into two random halves (the first one smaller when the count is odd)", vec![], Some("heal")),
        f("isolate", Partition, "cut the target nodes off from all the others", vec![target("one", "the nodes to cut off")], Some("heal")),
        f("majorities-ring", Partition, "every node sees a majority, and no two nodes see the same majority", vec![], Some("heal")),
        f("bridge", Partition, "two halves that cannot talk, joined by one random node that talks to both", vec![], Some("heal")),
        f("one-way", Partition, "drop messages from `from` to `to`; the other direction still flows", vec![
            param("from", "target", Some("one"), "senders whose messages are dropped"),
            param("to", "target", Some("every node not in `from`"), "receivers that no longer hear from `from`"),
        ], Some("heal")),
        f("groups", Partition, "explicit groups: nodes talk only within their group; unlisted nodes form one more group", vec![
            param("groups", "list of lists of node indices", None, "the groups, disjoint, e.g. [[0, 1], [2, 3, 4]]"),
        ], Some("heal")),
        f("heal", Partition, "remove every partition: all links carry messages again", vec![], None),
        f("crash", Process, "kill the target nodes: volatile state and unsynced writes are lost", vec![target("one", "the nodes to kill (picked among running nodes)")], Some("restart")),
        f("restart", Process, "start crashed nodes again from their durable storage", vec![target("all", "the nodes to restart (only crashed ones are affected)")], None),
        f("pause", Process, "freeze the target nodes: they handle nothing; messages wait and timers fire late", vec![target("one", "the nodes to pause (picked among running nodes)")], Some("resume")),
        f("resume", Process, "let paused nodes run again; everything queued is handled", vec![target("all", "the nodes to resume (only paused ones are affected)")], None),
        f("clock-bump", Clock, "jump the target nodes' clocks by an offset (negative goes back in time)", vec![
            target("one", "the nodes whose clocks jump"),
            param("offset_ms", "integer ms, may be negative", None, "how far the clocks jump"),
        ], Some("clock-reset")),
        f("clock-strobe", Clock, "flip the target nodes' clocks back and forth by an offset every period, for a while", vec![
            target("one", "the nodes whose clocks flip"),
            param("offset_ms", "integer ms, may be negative", None, "the size of each flip"),
            param("period_ms", "integer ms ≥ 1", Some("10"), "time between flips"),
            param("duration_ms", "integer ms ≥ 1", None, "how long the flipping lasts; the clock ends where it started"),
        ], Some("clock-reset")),
        f("clock-drift", Clock, "make the target nodes' clocks run fast or slow", vec![
            target("one", "the nodes whose clocks drift"),
            param("rate", "float, clock seconds per simulated second", None, "1.0 is true time, 1.01 is 1% fast, 0.5 half speed"),
        ], Some("clock-reset")),
        f("clock-reset", Clock, "set the target nodes' clocks back to simulated time, with no drift", vec![target("all", "the nodes whose clocks reset")], None),
        f("packet-loss", Network, "drop each message to or from the target nodes with a probability", vec![
            target("all", "messages to or from these nodes are affected"),
            param("rate", "float 0.0..=1.0", None, "the probability that a message is dropped"),
        ], Some("net-reset")),
        f("packet-duplicate", Network, "deliver each message to or from the target nodes twice with a probability", vec![
            target("all", "messages to or from these nodes are affected"),
            param("rate", "float 0.0..=1.0", None, "the probability that a message is delivered twice"),
        ], Some("net-reset")),
        f("packet-delay", Network, "delay messages to or from the target nodes; jitter reorders them", vec![
            target("all", "messages to or from these nodes are affected"),
            param("latency_ms", "integer ms ≥ 0", None, "the base latency"),
            param("jitter_ms", "integer ms ≥ 0", Some("0"), "spread around the base latency"),
            param("distribution", "\"uniform\" | \"normal\" | \"exponential\"", Some("\"uniform\""), "uniform: latency + U[0, jitter]; normal: N(latency, jitter) cut at 0; exponential: latency + Exp(mean jitter)"),
        ], Some("net-reset")),
        f("net-reset", Network, "restore the scenario's own loss, duplication and latency on links to or from the target nodes", vec![target("all", "the nodes whose links reset")], None),
        f("model-stop", Model, "stop a model fault started earlier", vec![
            param("name", "string", None, "the model fault to stop"),
            target("all", "the nodes it stops on"),
        ], None),
    ]
}

/// The catalog entry for a built-in fault name.
pub fn info(name: &str) -> Option<FaultInfo> {
    catalog().into_iter().find(|f| f.name == name)
}

/// A fault that a cluster model defines, for validation and the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModelFaultInfo {
    /// Its name (`hint-backlog`); must not clash with a built-in fault.
    pub name: String,
    /// One line saying what it does.
    pub description: String,
    /// Its parameters (besides `target`, which every model fault takes).
    pub params: Vec<ModelParamInfo>,
}

/// A parameter of a model fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModelParamInfo {
    /// Its key.
    pub name: String,
    /// Its type, in words.
    pub kind: String,
    /// Its default, or `None` if it must be given.
    pub default: Option<String>,
    /// What it does.
    pub description: String,
}

/// The catalog as text for a terminal: one block per fault, grouped by
/// category, with model faults (if any) at the end.
pub fn render_catalog(model_faults: &[ModelFaultInfo]) -> String {
    let mut out = String::new();
    let mut last = None;
    for fault in catalog() {
        if last != Some(fault.category) {
            let _ = writeln!(
                out,
                "{}{}:",
                if last.is_some() { "\n" } else { "" },
                fault.category.name()
            );
            last = Some(fault.category);
        }
        let undo = fault
            .undo
            .map(|u| format!(" (undone by {u})"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {:<17} {}{}", fault.name, fault.description, undo);
        for p in &fault.params {
            let default = p
                .default
                .map(|d| format!(", default {d}"))
                .unwrap_or_else(|| ", required".into());
            let _ = writeln!(
                out,
                "      {} ({}{}): {}",
                p.name, p.kind, default, p.description
            );
        }
    }
    if !model_faults.is_empty() {
        let _ = writeln!(out, "\nmodel faults (undone by model-stop):");
        for fault in model_faults {
            let _ = writeln!(out, "  {:<17} {}", fault.name, fault.description);
            for p in &fault.params {
                let default = p
                    .default
                    .as_ref()
                    .map(|d| format!(", default {d}"))
                    .unwrap_or_else(|| ", required".into());
                let _ = writeln!(
                    out,
                    "      {} ({}{}): {}",
                    p.name, p.kind, default, p.description
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "\nevery event also takes `at` (when it starts, e.g. \"10s\") and optionally `duration` (undo it after, e.g. \"5s\").\n\
         targets: a node index (0-based), a list of indices, \"one\", \"minority\", \"majority\", \"all\", or a model role such as \"leader\"."
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_kebab_case() {
        let names: Vec<_> = catalog().iter().map(|f| f.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        for n in names {
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{n}");
        }
    }

    #[test]
    fn every_undo_is_in_the_catalog() {
        for f in catalog() {
            if let Some(u) = f.undo {
                assert!(info(u).is_some(), "{} undone by unknown {u}", f.name);
            }
        }
    }
}
