//! What a report says about how its run was made: the scenario's
//! description and settings, the engine, the cluster's size and the command.
//!
//! Stored in `results.json` (every field optional, so run directories
//! written before these fields existed still load), and shown at the top of
//! the report so a reader knows what they are looking at before any chart.

use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};

/// How a run was made. Empty for a history from elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunContext {
    /// The scenario's `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Settings worth seeing at a glance, in order: `(name, value)` such as
    /// `("stale_reads", "true")` or `("clients", "6")`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<(String, String)>,
    /// The simulation engine (`turmoil`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// Nodes in the cluster (`n0` to `n{nodes-1}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<usize>,
    /// The checker model's initial state, as EDN (`nil` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial: Option<String>,
    /// The command that made the run (`shakedown run scenarios/x.toml`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The scenario file's name and text, shown folded away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_file: Option<(String, String)>,
}

impl RunContext {
    /// True when nothing is known (a history from elsewhere).
    pub fn is_empty(&self) -> bool {
        *self == RunContext::default()
    }

    /// The context of the run of `seed` of `scenario`.
    pub fn of_scenario(scenario: &Scenario, seed: u64) -> Self {
        let file = &scenario.file;
        let mut settings = Vec::new();
        if let Some(table) = &file.cluster.settings {
            for (name, value) in table.get_ref() {
                settings.push((name.clone(), value.to_string()));
            }
        }
        for (name, value) in scenario.knob_values(seed) {
            settings.push((format!("{name} (knob)"), value.to_string()));
        }
        settings.push((
            "clients".to_owned(),
            file.workload.clients.get_ref().to_string(),
        ));
        RunContext {
            description: file.description.clone(),
            settings,
            engine: Some(scenario.engine.name().to_owned()),
            nodes: Some(*file.cluster.nodes.get_ref()),
            initial: file.checker.initial.as_ref().map(|i| i.get_ref().clone()),
            command: Some(made_by(scenario, seed)),
            scenario_file: Some((scenario.path.display().to_string(), scenario.text.clone())),
        }
    }
}

/// The command that made a run of `scenario`: `shakedown <subcommand>
/// <file>` from the CLI, `cargo test --test <binary>` from a test. Flags are
/// left out (an output directory, say), so two runs of the same seed still
/// write byte-identical reports.
fn made_by(scenario: &Scenario, seed: u64) -> String {
    let args: Vec<String> = std::env::args().collect();
    let program = args
        .first()
        .map(|a| {
            std::path::Path::new(a)
                .file_stem()
                .map_or_else(|| a.clone(), |s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    let file = scenario.path.display();
    if program == "shakedown" {
        match args.get(1).map(String::as_str) {
            Some(sub @ ("run" | "shrink" | "sweep")) => format!("shakedown {sub} {file}"),
            Some("replay") => format!("shakedown replay {file} --seed {seed:#x}"),
            _ => format!("shakedown … {file}"),
        }
    } else {
        // A test binary is named `<test>-<hash>`.
        let test = program
            .rsplit_once('-')
            .filter(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
            .map_or(program.as_str(), |(name, _)| name);
        format!("cargo test --test {test} (scenario {file})")
    }
}
