//! Limits on one run: past each, the run stops with an error that names
//! the limit (the runner turns it into the verdict `unknown`), on each
//! engine, so that one runaway seed never stalls a sweep.

use shakedown_sim::models::PrimaryBackupModel;
use shakedown_sim::{run, Engine, Limits, SimConfig, SimError};
use std::time::Duration;

fn stopped_by(engine: Engine, limits: Limits) -> String {
    let config = SimConfig {
        seed: 9,
        engine: Some(engine),
        limits,
        ..SimConfig::default()
    };
    match run(&config, PrimaryBackupModel::default()) {
        Err(SimError::Engine { message, .. }) => message,
        Err(e) => panic!("{engine}: expected a limit, got {e}"),
        Ok(r) => panic!("{engine}: expected a limit, the run ended {:?}", r.ended),
    }
}

#[test]
fn each_limit_stops_the_run_and_names_itself() {
    for engine in shakedown_sim::engine::ENGINES
        .iter()
        .copied()
        .filter(|e| e.is_built_in())
    {
        let m = stopped_by(
            engine,
            Limits {
                messages_delivered_max: 50,
                ..Limits::default()
            },
        );
        assert!(m.contains("limits.messages_delivered_max (50)"), "{m}");
        let m = stopped_by(
            engine,
            Limits {
                events_handled_max: 80,
                ..Limits::default()
            },
        );
        assert!(m.contains("limits.events_handled_max (80)"), "{m}");
        let m = stopped_by(
            engine,
            Limits {
                history_events_max: 10,
                ..Limits::default()
            },
        );
        assert!(m.contains("limits.history_events_max"), "{m}");
        let m = stopped_by(
            engine,
            Limits {
                wall_time: Some(Duration::from_nanos(1)),
                ..Limits::default()
            },
        );
        assert!(m.contains("limits.wall_time (1ns)"), "{m}");
    }
}

#[test]
fn default_limits_leave_an_ordinary_run_alone() {
    for engine in shakedown_sim::engine::ENGINES
        .iter()
        .copied()
        .filter(|e| e.is_built_in())
    {
        let config = SimConfig {
            seed: 9,
            engine: Some(engine),
            ..SimConfig::default()
        };
        let r = run(&config, PrimaryBackupModel::default()).expect("run");
        assert!(r.delivered > 50, "{engine}: {} delivered", r.delivered);
    }
}

#[test]
fn history_events_max_has_a_ceiling() {
    let config = SimConfig {
        limits: Limits {
            history_events_max: shakedown_sim::config::HISTORY_EVENTS_CEILING + 1,
            ..Limits::default()
        },
        ..SimConfig::default()
    };
    let e = config.validate().unwrap_err().to_string();
    assert!(
        e.contains("history_events_max") && e.contains("100000000"),
        "{e}"
    );
}
