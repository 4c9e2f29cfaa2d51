//! The scenario parser and its checks never panic: any bytes give a
//! scenario or an error with a position, and an accepted scenario plans a
//! run for any seed without panicking.
//!
//! RUSTC_BOOTSTRAP=1 cargo fuzz run scenario_parser -- -max_total_time=60

#![no_main]

use libfuzzer_sys::fuzz_target;
use shakedown::models::Registry;
use shakedown::scenario::Scenario;
use std::path::Path;
use std::sync::OnceLock;

static REGISTRY: OnceLock<Registry> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let registry = REGISTRY.get_or_init(Registry::builtin);
    match Scenario::parse(Path::new("fuzz.toml"), text, registry) {
        Ok(scenario) => {
            // Planning is what a run does first; it must not panic either.
            let _ = shakedown::plan::sim_config(&scenario, 7);
            let _ = shakedown::plan::checker(&scenario);
            let _ = shakedown::scenario::to_toml(&scenario.file);
        }
        Err(errors) => {
            // Rendering an error (positions, source line, caret) is part of it.
            let _ = errors.to_string();
        }
    }
});
