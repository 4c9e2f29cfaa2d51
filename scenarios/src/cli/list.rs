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
    /// Print JSON (one document on stdout) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `shakedown list` and returns the exit code.
pub fn run(args: Args, registry: &Registry) -> u8 {
    match args.what {
        What::Models if args.json => {
            let models: Vec<serde_json::Value> = registry
                .iter()
                .map(|m| {
                    let info = m.inspect(&toml::Table::new(), 5).ok();
                    serde_json::json!({
                        "name": m.name(),
                        "description": m.description(),
                        "kind": if m.is_service() { "service" } else { "callback" },
                        "settings": registry.settings(m.name()),
                        "knobs": registry.knobs(m.name()),
                        "faults": info.as_ref().map(|i| i.faults.clone()).unwrap_or_default(),
                        "roles": info.as_ref().map(|i| i.roles.clone()).unwrap_or_default(),
                        "fault_points": info
                            .as_ref()
                            .map(|i| i.points.iter().map(|(n, d)| serde_json::json!({"name": n, "description": d})).collect::<Vec<_>>())
                            .unwrap_or_default(),
                        "unsupported_faults": info
                            .as_ref()
                            .map(|i| i.unsupported_faults.iter().map(|(f, why)| serde_json::json!({"fault": f, "why": why})).collect::<Vec<_>>())
                            .unwrap_or_default(),
                    })
                })
                .collect();
            outln!("{}", serde_json::Value::Array(models));
            EXIT_VALID
        }
        What::Models => {
            for (i, m) in registry.iter().enumerate() {
                if i > 0 {
                    outln!();
                }
                let kind = if m.is_service() {
                    "async service"
                } else {
                    "callback model"
                };
                outln!("{}  ({kind})", m.name());
                outln!("  {}", m.description());
                let settings = registry.settings(m.name());
                if settings.is_empty() {
                    outln!("  [cluster.settings]: no fixed keys known");
                } else {
                    outln!("  [cluster.settings]:");
                    let width = settings.iter().map(|s| s.name.len()).max().unwrap_or(0);
                    for s in &settings {
                        let given = match (&s.default, s.required) {
                            (_, true) => "required".to_owned(),
                            (Some(d), false) => format!("default {d}"),
                            (None, false) => "optional".to_owned(),
                        };
                        outln!("    {:<width$}  {:<12} {given}", s.name, s.kind);
                    }
                }
                let knobs = registry.knobs(m.name());
                if !knobs.is_empty() {
                    let list: Vec<String> = knobs
                        .iter()
                        .map(|k| format!("{} {}..={}", k.name, k.min, k.max))
                        .collect();
                    outln!("  knobs (`knobs = true`): {}", list.join(", "));
                }
                if let Ok(info) = m.inspect(&toml::Table::new(), 5) {
                    if !info.faults.is_empty() {
                        let names: Vec<&str> =
                            info.faults.iter().map(|f| f.name.as_str()).collect();
                        outln!("  model faults: {}", names.join(", "));
                    }
                    if !info.roles.is_empty() {
                        outln!("  roles: {}", info.roles.join(", "));
                    }
                    if !info.points.is_empty() {
                        outln!("  fault points ([faults.points]):");
                        let width = info.points.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
                        for (name, what) in &info.points {
                            outln!("    {name:<width$}  {what}");
                        }
                    }
                }
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
            if args.json {
                let notes_of = |notes: &[(&str, &str)]| -> Vec<serde_json::Value> {
                    notes
                        .iter()
                        .map(|(fault, note)| serde_json::json!({"fault": fault, "note": note}))
                        .collect()
                };
                let notes = notes_of(shakedown_sim::service::FAULT_NOTES);
                let madsim_notes = notes_of(shakedown_sim::service::MADSIM_FAULT_NOTES);
                outln!(
                    "{}",
                    serde_json::json!({
                        "faults": shakedown_nemesis::catalog(),
                        "model_faults": faults,
                        "on_async_services": notes,
                        "on_async_services_on_madsim": madsim_notes,
                    })
                );
                return EXIT_VALID;
            }
            crate::stdio::out(format_args!(
                "{}",
                shakedown_nemesis::render_catalog(&faults)
            ));
            outln!("\nOn async services (models registered with register_service), on turmoil:");
            for (fault, note) in shakedown_sim::service::FAULT_NOTES {
                outln!("  {fault:<17} {note}");
            }
            outln!("\nOn async services on madsim (a build with --cfg madsim):");
            for (fault, note) in shakedown_sim::service::MADSIM_FAULT_NOTES {
                outln!("  {fault:<17} {note}");
            }
            EXIT_VALID
        }
        What::Scenarios => list_scenarios(registry, &args.dir, args.json),
    }
}

fn list_scenarios(registry: &Registry, dir: &std::path::Path, json: bool) -> u8 {
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
    let mut rows = Vec::new();
    for path in paths {
        match Scenario::load(&path, registry) {
            Ok(s) if json => rows.push(serde_json::json!({
                "path": path.display().to_string(),
                "expect": s.expect().name(),
                "model": s.model(),
                "nodes": s.nodes(),
                "seeds": s.seeds().len(),
                "description": s.file.description,
            })),
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
                let message = e.0.first().map(|e| e.to_string()).unwrap_or_default();
                if json {
                    rows.push(serde_json::json!({
                        "path": path.display().to_string(),
                        "error": message,
                    }));
                } else {
                    outln!("{:<40} BAD: {message}", path.display());
                }
                code = EXIT_BAD_INPUT;
            }
        }
    }
    if json {
        outln!("{}", serde_json::Value::Array(rows));
    }
    code
}
