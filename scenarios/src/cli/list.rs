//! `shakedown list`: the models, scenarios and faults there are.

use super::{bad_input, EXIT_BAD_INPUT, EXIT_VALID};
use crate::models::Registry;
use crate::scenario::Scenario;
use crate::stdio::outln;
use std::path::PathBuf;

/// What to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// Cluster models a scenario's `[cluster] model` may name.
    Models,
    /// Scenario files in a directory (default `scenarios/`).
    Scenarios,
    /// Every fault a timeline may schedule, with its parameters.
    Faults,
}

/// Arguments of `shakedown list`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// models, scenarios or faults.
    #[arg(value_enum)]
    pub what: What,
    /// For `scenarios`: the directory to look in.
    #[arg(default_value = "scenarios")]
    pub dir: PathBuf,
}

/// Runs `shakedown list` and returns the exit code.
pub fn run(args: Args, registry: &Registry) -> u8 {
    match args.what {
        What::Models => {
            for m in registry.iter() {
                outln!("{:<16} {}", m.name(), m.description());
            }
            EXIT_VALID
        }
        What::Faults => {
            let mut faults: Vec<shakedown_nemesis::ModelFaultInfo> = Vec::new();
            for m in registry.iter() {
                // Each model's faults with its default settings.
                if let Ok(info) = m.inspect(&toml::Table::new(), 5) {
                    for mut f in info.faults {
                        if !faults.iter().any(|g| g.name == f.name) {
                            f.description = format!("[{}] {}", m.name(), f.description);
                            faults.push(f);
                        }
                    }
                }
            }
            crate::stdio::out(format_args!(
                "{}",
                shakedown_nemesis::render_catalog(&faults)
            ));
            outln!("\nOn async services (models registered with register_service):");
            for (fault, note) in shakedown_sim::service::FAULT_NOTES {
                outln!("  {fault:<17} {note}");
            }
            EXIT_VALID
        }
        What::Scenarios => list_scenarios(registry, &args.dir),
    }
}

fn list_scenarios(registry: &Registry, dir: &std::path::Path) -> u8 {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return bad_input(format!("{}: {e}", dir.display())),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| p.file_name().is_some_and(|n| n != "Cargo.toml"))
        .collect();
    paths.sort();
    let mut code = EXIT_VALID;
    for path in paths {
        match Scenario::load(&path, registry) {
            Ok(s) => outln!(
                "{:<40} expect {:<7} {:<14} {:>3} nodes {:>6} seeds  {}",
                path.display(),
                s.expect().name(),
                s.model(),
                s.nodes(),
                s.seeds().len(),
                s.file.description.as_deref().unwrap_or("")
            ),
            Err(e) => {
                outln!(
                    "{:<40} BAD: {}",
                    path.display(),
                    e.0.first().map(|e| e.message.as_str()).unwrap_or("")
                );
                code = EXIT_BAD_INPUT;
            }
        }
    }
    code
}
