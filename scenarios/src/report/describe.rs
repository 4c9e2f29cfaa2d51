//! Faults in words: what a nemesis action did, to which nodes.
//!
//! Shakedown's simulator records each nemesis step with its action as JSON
//! (`{"action":"partition","cut":{"links":[[0,2],[2,0],…]}}`). A reader
//! wants "n2 isolated from n0, n1", and wants to see which nodes a fault
//! affected, so the report can mark them and say whether the node that
//! served a stale read was cut off at the time.

use shakedown_nemesis::{Action, Cut, Param};
use std::collections::BTreeSet;

/// A nemesis action in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    /// What happened, for people: `n2 isolated from n0, n1`.
    pub label: String,
    /// The nodes it affected most (the isolated side of a partition, the
    /// crashed node), by index.
    pub nodes: Vec<usize>,
    /// What those nodes were while it lasted: `isolated`, `crashed`, …
    pub state: String,
}

/// Node names for people: `n0, n2`.
pub fn node_list(nodes: &[usize]) -> String {
    nodes
        .iter()
        .map(|n| format!("n{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn percent(rate: f64) -> String {
    let p = rate * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

fn signed_ms(ms: i64) -> String {
    let sign = if ms < 0 { "−" } else { "+" };
    let abs = ms.unsigned_abs();
    if abs >= 1000 && abs % 1000 == 0 {
        format!("{sign}{} s", abs / 1000)
    } else if abs >= 1000 {
        format!("{sign}{} s", abs as f64 / 1000.0)
    } else {
        format!("{sign}{abs} ms")
    }
}

/// Describes `detail`, the JSON of a nemesis [`Action`], if it is one.
pub fn describe_action_json(detail: &str, node_count: Option<usize>) -> Option<Described> {
    if !detail.trim_start().starts_with('{') {
        return None;
    }
    let action: Action = serde_json::from_str(detail).ok()?;
    Some(describe_action(&action, node_count))
}

/// Describes one nemesis action.
pub fn describe_action(action: &Action, node_count: Option<usize>) -> Described {
    let on = |nodes: &[usize], label: String, state: &str| Described {
        label,
        nodes: nodes.to_vec(),
        state: state.to_owned(),
    };
    match action {
        Action::Partition { cut } => describe_cut(cut, node_count),
        Action::Heal => on(&[], "network healed".to_owned(), "healed"),
        Action::Crash { nodes } => on(nodes, format!("{} crashed", node_list(nodes)), "crashed"),
        Action::Restart { nodes } => on(
            nodes,
            format!("{} restarted", node_list(nodes)),
            "restarted",
        ),
        Action::Pause { nodes } => on(nodes, format!("{} paused", node_list(nodes)), "paused"),
        Action::Resume { nodes } => on(nodes, format!("{} resumed", node_list(nodes)), "resumed"),
        Action::ClockBump { nodes, offset_ms } => on(
            nodes,
            format!(
                "clock of {} moved {}",
                node_list(nodes),
                signed_ms(*offset_ms)
            ),
            &format!("clock {}", signed_ms(*offset_ms)),
        ),
        Action::ClockDrift { nodes, rate } => on(
            nodes,
            format!("clock of {} runs at {rate}× speed", node_list(nodes)),
            &format!("clock ×{rate}"),
        ),
        Action::ClockReset { nodes } => on(
            nodes,
            format!("clock of {} reset", node_list(nodes)),
            "clock reset",
        ),
        Action::PacketLoss { nodes, rate } => on(
            nodes,
            format!(
                "{} of messages to or from {} lost",
                percent(*rate),
                node_list(nodes)
            ),
            &format!("{} loss", percent(*rate)),
        ),
        Action::PacketDuplicate { nodes, rate } => on(
            nodes,
            format!(
                "{} of messages to or from {} duplicated",
                percent(*rate),
                node_list(nodes)
            ),
            &format!("{} duplicated", percent(*rate)),
        ),
        Action::PacketDelay { nodes, .. } => on(
            nodes,
            format!("messages to or from {} delayed", node_list(nodes)),
            "delayed",
        ),
        Action::NetReset { nodes } => on(
            nodes,
            format!("network of {} back to normal", node_list(nodes)),
            "network reset",
        ),
        Action::ModelStart {
            name,
            nodes,
            params,
        } => {
            let params: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{k} {}", param_text(v)))
                .collect();
            let with = if params.is_empty() {
                String::new()
            } else {
                format!(" ({})", params.join(", "))
            };
            on(nodes, format!("{name} on {}{with}", node_list(nodes)), name)
        }
        Action::ModelStop { name, nodes } => on(
            nodes,
            format!("{name} stopped on {}", node_list(nodes)),
            name,
        ),
        Action::Skip { reason } => on(&[], format!("skipped: {reason}"), "skipped"),
    }
}

fn param_text(p: &Param) -> String {
    serde_json::to_string(p)
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned()
}

/// A partition in words. Symmetric cuts that split the nodes into groups
/// read as "n2 isolated from n0, n1" or "n0, n1 | n2, n3, n4"; other cuts
/// (a bridge, a ring of majorities, one-way cuts) list who cannot reach
/// whom.
pub fn describe_cut(cut: &Cut, node_count: Option<usize>) -> Described {
    let links: Vec<(usize, usize)> = cut.links().collect();
    if links.is_empty() {
        return Described {
            label: "no link cut".to_owned(),
            nodes: Vec::new(),
            state: "connected".to_owned(),
        };
    }
    let seen = links.iter().map(|&(a, b)| a.max(b)).max().unwrap_or(0) + 1;
    let n = node_count.unwrap_or(0).max(seen);
    let symmetric = links.iter().all(|&(a, b)| cut.blocks(b, a));
    if symmetric {
        // Who each node still reaches (itself included).
        let reach: Vec<BTreeSet<usize>> = (0..n)
            .map(|a| (0..n).filter(|&b| a == b || !cut.blocks(a, b)).collect())
            .collect();
        let is_grouping =
            (0..n).all(|a| (0..n).all(|b| reach[a] == reach[b] || reach[a].is_disjoint(&reach[b])));
        if is_grouping {
            let mut groups: Vec<Vec<usize>> = Vec::new();
            for set in &reach {
                let g: Vec<usize> = set.iter().copied().collect();
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
            // Smaller sides first; the largest side is "the rest".
            groups.sort_by_key(|g| (g.len(), g[0]));
            let largest = groups.pop().unwrap_or_default();
            if groups.len() == 1 && groups[0].len() == 1 {
                return Described {
                    label: format!(
                        "{} isolated from {}",
                        node_list(&groups[0]),
                        node_list(&largest)
                    ),
                    nodes: groups[0].clone(),
                    state: "isolated".to_owned(),
                };
            }
            let minority: Vec<usize> = groups.iter().flatten().copied().collect();
            let mut sides: Vec<String> = groups.iter().map(|g| node_list(g)).collect();
            sides.push(node_list(&largest));
            return Described {
                label: format!("split {}", sides.join(" | ")),
                nodes: minority,
                state: "cut off".to_owned(),
            };
        }
    }
    // Group sources by the set of nodes they cannot send to.
    let mut rows: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    for a in 0..n {
        let blocked: Vec<usize> = (0..n).filter(|&b| cut.blocks(a, b)).collect();
        if blocked.is_empty() {
            continue;
        }
        match rows.iter_mut().find(|(_, to)| *to == blocked) {
            Some((from, _)) => from.push(a),
            None => rows.push((vec![a], blocked)),
        }
    }
    let (verb, state) = if symmetric {
        ("cut from", "partly cut off")
    } else {
        ("cannot send to", "one-way cut")
    };
    let mut parts = Vec::new();
    let mut done: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    for (from, to) in &rows {
        // A symmetric pair of rows says the same thing twice.
        if symmetric && done.iter().any(|(f, t)| f == to && t == from) {
            continue;
        }
        parts.push(format!("{} {verb} {}", node_list(from), node_list(to)));
        done.push((from.clone(), to.clone()));
    }
    let touched: BTreeSet<usize> = links.iter().flat_map(|&(a, b)| [a, b]).collect();
    let untouched: Vec<usize> = (0..n).filter(|x| !touched.contains(x)).collect();
    let mut label = parts.join("; ");
    if !untouched.is_empty() && symmetric {
        label.push_str(&format!(" ({} reaches all)", node_list(&untouched)));
    }
    Described {
        label,
        nodes: touched.into_iter().collect(),
        state: state.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_node_cut_from_the_rest_is_isolated() {
        let cut = Cut::between(&[2], &[0, 1]);
        let d = describe_cut(&cut, Some(3));
        assert_eq!(d.label, "n2 isolated from n0, n1");
        assert_eq!(d.nodes, vec![2]);
        assert_eq!(d.state, "isolated");
    }

    #[test]
    fn halves_groups_bridges_and_one_way_cuts() {
        let halves = describe_cut(&Cut::groups(&[vec![0, 1], vec![2, 3, 4]]), Some(5));
        assert_eq!(halves.label, "split n0, n1 | n2, n3, n4");
        assert_eq!(halves.nodes, vec![0, 1]);
        let bridge = describe_cut(&Cut::between(&[0, 1], &[3, 4]), Some(5));
        assert_eq!(bridge.label, "n0, n1 cut from n3, n4 (n2 reaches all)");
        let one_way = describe_cut(&Cut::one_way(&[0], &[1, 2]), Some(3));
        assert_eq!(one_way.label, "n0 cannot send to n1, n2");
        assert_eq!(one_way.state, "one-way cut");
    }

    #[test]
    fn simulator_json_reads_as_words() {
        let json = r#"{"action":"partition","cut":{"links":[[0,2],[1,2],[2,0],[2,1]]}}"#;
        let d = describe_action_json(json, Some(3)).expect("an action");
        assert_eq!(d.label, "n2 isolated from n0, n1");
        let crash = describe_action_json(r#"{"action":"crash","nodes":[1]}"#, None).unwrap();
        assert_eq!(
            (crash.label.as_str(), crash.nodes.as_slice()),
            ("n1 crashed", &[1][..])
        );
        let bump = describe_action_json(
            r#"{"action":"clock-bump","nodes":[0],"offset_ms":-5000}"#,
            None,
        )
        .unwrap();
        assert_eq!(bump.label, "clock of n0 moved −5 s");
        assert_eq!(describe_action_json("n0->n2", None), None);
    }
}
