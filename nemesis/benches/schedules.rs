//! How long generating, validating and running schedules takes.
//!
//! `cargo bench -p shakedown-nemesis --bench schedules` prints one line per
//! figure.

use std::time::Instant;

use shakedown_nemesis::validate::{validate, Context};
use shakedown_nemesis::{
    generate, generate_around, Event, Fault, GeneratorConfig, Nemesis, NoRoles, Package, Schedule,
    SimDuration, Target,
};

fn time<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    println!("{label}: {:.3} ms", start.elapsed().as_secs_f64() * 1e3);
    out
}

fn main() {
    let config = GeneratorConfig {
        packages: Package::ALL[..5].to_vec(),
        ..GeneratorConfig::default()
    };
    for hours in [1u64, 24] {
        let until = SimDuration::from_secs(hours * 3600);
        let g = time(
            &format!("generate {hours}h (5 packages, 10s interval)"),
            || generate(&config, 5, until, 1).expect("generates"),
        );
        let events = g.schedule.events.len();
        let errors = time(&format!("validate {events} events"), || {
            validate(&g.schedule, &Context::new(5))
        });
        assert!(errors.is_empty());
        let steps = time(&format!("run the nemesis over {events} events"), || {
            Nemesis::new(&g.schedule, 5, 1).drain(&NoRoles).len()
        });
        println!("  ({steps} steps)");
        let timeline = Schedule::new(vec![Event::with_duration(
            SimDuration::from_secs(60),
            Fault::Crash {
                target: Target::Node(0),
            },
            SimDuration::from_secs(600),
        )]);
        time(
            &format!("generate_around a 1-event timeline, {hours}h"),
            || generate_around(&config, &timeline, 5, until, 1).expect("generates"),
        );
    }
}
