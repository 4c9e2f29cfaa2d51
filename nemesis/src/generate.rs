//! Schedules generated from a seed, in the manner of Jepsen's combined
//! nemesis: each chosen package (partition, kill, pause, clock, packet,
//! model) runs on its own, alternating quiet gaps and fault windows of about
//! its interval, every fault paired with its undo (the event's `duration`).
//!
//! Every generated schedule then ends the same way: at the end of the fault
//! period the network heals, every node resumes and restarts, clocks and
//! the network reset and model faults stop; then comes a quiet recovery
//! window in which the model can converge before the final reads.
//!
//! Process faults (kill, pause) and clock faults get concrete node indices
//! picked here, never two overlapping windows on one node, so a generated
//! schedule validates precisely and shrinks by narrowing its node lists.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::duration::SimDuration;
use crate::fault::{Distribution, Fault, Latency};
use crate::schedule::{Event, Schedule};
use crate::target::{minority, shuffle, Target};

/// A family of faults that the generator schedules on its own timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Package {
    /// random-halves, isolate, majorities-ring, bridge, one-way.
    Partition,
    /// crash, undone by restart.
    Kill,
    /// pause, undone by resume.
    Pause,
    /// clock-bump, clock-strobe, clock-drift, undone by clock-reset.
    Clock,
    /// packet-loss, packet-duplicate, packet-delay, undone by net-reset.
    Packet,
    /// the model's own faults (listed in [`GeneratorConfig::model_faults`]).
    Model,
}

impl Package {
    /// Every package, in a stable order.
    pub const ALL: [Package; 6] = [
        Package::Partition,
        Package::Kill,
        Package::Pause,
        Package::Clock,
        Package::Packet,
        Package::Model,
    ];

    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Package::Partition => "partition",
            Package::Kill => "kill",
            Package::Pause => "pause",
            Package::Clock => "clock",
            Package::Packet => "packet",
            Package::Model => "model",
        }
    }
}

fn default_interval() -> SimDuration {
    SimDuration::from_secs(10)
}
fn default_jitter() -> SimDuration {
    SimDuration::from_secs(3)
}
fn default_recovery() -> SimDuration {
    SimDuration::from_secs(10)
}
fn default_clock_offset_ms_max() -> u64 {
    10_000
}
fn default_packet_loss_rate_max() -> f64 {
    0.3
}
fn default_packet_delay_ms_max() -> u64 {
    200
}

/// How to generate a schedule. In a scenario file:
///
/// ```toml
/// [faults.generate]
/// packages = ["partition", "kill", "clock"]
/// interval = "10s"             # default gap and fault window, per package
/// jitter = "3s"                # each gap and window is interval ± U[0, jitter]
/// intervals = { kill = "20s" } # per-package interval
/// recovery = "10s"             # quiet window at the end
/// model_faults = [{ fault = "hint-backlog", throttle = 0.5 }]
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorConfig {
    /// The packages to run, each on its own timeline.
    pub packages: Vec<Package>,
    /// The default interval: about this long between faults, and each
    /// fault about this long.
    #[serde(default = "default_interval")]
    pub interval: SimDuration,
    /// Each gap and window is `interval ± U[0, jitter]` (at least 1 ms).
    #[serde(default = "default_jitter")]
    pub jitter: SimDuration,
    /// Per-package intervals, overriding `interval`.
    #[serde(default)]
    pub intervals: BTreeMap<Package, SimDuration>,
    /// The quiet window after everything is healed.
    #[serde(default = "default_recovery")]
    pub recovery: SimDuration,
    /// The model faults the `model` package picks from (each a fault table
    /// with its parameters and target).
    #[serde(default)]
    pub model_faults: Vec<Fault>,
    /// Largest clock offset, in milliseconds, for clock faults.
    #[serde(default = "default_clock_offset_ms_max")]
    pub clock_offset_ms_max: u64,
    /// Largest packet-loss and duplication rate.
    #[serde(default = "default_packet_loss_rate_max")]
    pub packet_loss_rate_max: f64,
    /// Largest base packet delay, in milliseconds.
    #[serde(default = "default_packet_delay_ms_max")]
    pub packet_delay_ms_max: u64,
    /// Swarm testing (Groce et al., ISSTA 2012): each seed runs a random
    /// non-empty subset of `packages`, each at a random intensity (its
    /// interval times 1/4 to 4, clock offsets, loss rates and delays scaled
    /// down at random), so that one scenario explores many fault mixes,
    /// including those where one fault is not drowned out by the others.
    /// Chosen from its own stream of the seed ([`Swarm::of`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub swarm: bool,
}

/// What swarm testing chose for one seed: the packages kept, each with its
/// interval, and the scale of the fault parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Swarm {
    /// The packages this seed runs, with their intervals.
    pub packages: Vec<(Package, SimDuration)>,
    /// Clock offsets, loss rates and delays are scaled by this (0.1 to 1).
    pub intensity: f64,
}

impl Swarm {
    /// The choice for `seed` (independent of the fault stream itself).
    pub fn of(config: &GeneratorConfig, seed: u64) -> Swarm {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5357_4152_4d5f_4b45);
        let mut packages: Vec<Package> = config.packages.clone();
        packages.sort();
        let mut kept: Vec<Package> = packages
            .iter()
            .copied()
            .filter(|_| rng.random_bool(0.5))
            .collect();
        if kept.is_empty() && !packages.is_empty() {
            kept.push(packages[rng.random_range(0..packages.len())]);
        }
        const SCALES: [(u64, u64); 5] = [(1, 4), (1, 2), (1, 1), (2, 1), (4, 1)];
        let packages = kept
            .into_iter()
            .map(|p| {
                let (num, den) = SCALES[rng.random_range(0..SCALES.len())];
                let base = config.interval_of(p).as_nanos();
                let scaled = (u128::from(base) * u128::from(num) / u128::from(den))
                    .clamp(1_000_000, u128::from(u64::MAX));
                (p, SimDuration::from_nanos(scaled as u64))
            })
            .collect();
        let intensity = 0.1 + 0.9 * rng.random::<f64>();
        Swarm {
            packages,
            intensity,
        }
    }

    /// The generator configuration this choice gives.
    pub fn apply(&self, config: &GeneratorConfig) -> GeneratorConfig {
        let mut c = config.clone();
        c.swarm = false;
        c.packages = self.packages.iter().map(|(p, _)| *p).collect();
        c.intervals = self.packages.iter().copied().collect();
        c.clock_offset_ms_max = ((c.clock_offset_ms_max as f64) * self.intensity).max(1.0) as u64;
        c.packet_loss_rate_max *= self.intensity;
        c.packet_delay_ms_max = ((c.packet_delay_ms_max as f64) * self.intensity).max(1.0) as u64;
        c
    }
}

impl std::fmt::Display for Swarm {
    /// `swarm: kill every 1.5s, partition every 6s; intensity 0.42`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .packages
            .iter()
            .map(|(p, d)| format!("{} every {d}", p.name()))
            .collect();
        write!(
            f,
            "swarm: {}; intensity {:.2}",
            parts.join(", "),
            self.intensity
        )
    }
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            packages: vec![
                Package::Partition,
                Package::Kill,
                Package::Pause,
                Package::Clock,
                Package::Packet,
            ],
            interval: default_interval(),
            jitter: default_jitter(),
            intervals: BTreeMap::new(),
            recovery: default_recovery(),
            model_faults: Vec::new(),
            clock_offset_ms_max: default_clock_offset_ms_max(),
            packet_loss_rate_max: default_packet_loss_rate_max(),
            packet_delay_ms_max: default_packet_delay_ms_max(),
            swarm: false,
        }
    }
}

/// Why a schedule could not be generated.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum GenerateError {
    /// No nodes.
    #[error("cannot generate faults for a cluster of 0 nodes")]
    NoNodes,
    /// An interval of zero would schedule faults forever.
    #[error("the interval of package `{0}` is 0: give it a positive duration like \"10s\"")]
    ZeroInterval(&'static str),
    /// The model package needs faults to pick from.
    #[error("package `model` is on but `model_faults` is empty: list the model's faults, e.g. model_faults = [{{ fault = \"hint-backlog\" }}]")]
    NoModelFaults,
    /// A `model_faults` entry is a built-in fault.
    #[error(
        "model_faults[{index}] is the built-in fault `{name}`; list only faults the model defines"
    )]
    NotAModelFault {
        /// Its index in `model_faults`.
        index: usize,
        /// Its name.
        name: String,
    },
    /// A rate or bound is out of range.
    #[error("`{field}` is {value}: {expected}")]
    BadBound {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
    /// A package is listed twice.
    #[error("package `{0}` is listed twice")]
    DuplicatePackage(&'static str),
}

/// A generated schedule and the shape of its ending.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Generated {
    /// The events: the faults with their durations, then the final heal.
    pub schedule: Schedule,
    /// When the final heal, restart, resume and resets happen; no fault is
    /// in force after this.
    pub healed_at: SimDuration,
    /// When the quiet recovery window ends (`healed_at + recovery`): the
    /// time for the final reads.
    pub quiet_until: SimDuration,
}

impl GeneratorConfig {
    /// The interval of `package`.
    pub fn interval_of(&self, package: Package) -> SimDuration {
        self.intervals
            .get(&package)
            .copied()
            .unwrap_or(self.interval)
    }

    /// Checks the configuration on its own.
    pub fn check(&self) -> Result<(), GenerateError> {
        for (i, p) in self.packages.iter().enumerate() {
            if self.packages[..i].contains(p) {
                return Err(GenerateError::DuplicatePackage(p.name()));
            }
            if self.interval_of(*p).is_zero() {
                return Err(GenerateError::ZeroInterval(p.name()));
            }
        }
        if self.packages.contains(&Package::Model) && self.model_faults.is_empty() {
            return Err(GenerateError::NoModelFaults);
        }
        for (index, f) in self.model_faults.iter().enumerate() {
            if !matches!(f, Fault::Model { .. }) {
                return Err(GenerateError::NotAModelFault {
                    index,
                    name: f.name().to_string(),
                });
            }
        }
        if !(self.packet_loss_rate_max > 0.0 && self.packet_loss_rate_max <= 1.0) {
            return Err(GenerateError::BadBound {
                field: "packet_loss_rate_max",
                value: self.packet_loss_rate_max.to_string(),
                expected: "a rate above 0.0 and at most 1.0",
            });
        }
        if self.clock_offset_ms_max == 0
            || self.clock_offset_ms_max > crate::validate::CLOCK_OFFSET_MS_LIMIT
        {
            return Err(GenerateError::BadBound {
                field: "clock_offset_ms_max",
                value: self.clock_offset_ms_max.to_string(),
                expected: "between 1 and 31536000000 (one year)",
            });
        }
        if self.packet_delay_ms_max > crate::validate::LATENCY_MS_LIMIT {
            return Err(GenerateError::BadBound {
                field: "packet_delay_ms_max",
                value: self.packet_delay_ms_max.to_string(),
                expected: "at most 3600000 (one hour)",
            });
        }
        Ok(())
    }
}

/// A fault window one package wants: `[start, end)`.
struct Window {
    package: Package,
    start: SimDuration,
    end: SimDuration,
}

/// Generates a schedule for `node_count` nodes whose faults all start and
/// end within `[0, faults_until]`, from `seed` alone.
pub fn generate(
    config: &GeneratorConfig,
    node_count: usize,
    faults_until: SimDuration,
    seed: u64,
) -> Result<Generated, GenerateError> {
    if node_count == 0 {
        return Err(GenerateError::NoNodes);
    }
    config.check()?;
    if config.swarm {
        let chosen = Swarm::of(config, seed).apply(config);
        return generate(&chosen, node_count, faults_until, seed);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);

    // Each package's windows, on its own timeline: gap, window, gap, window…
    let mut windows = Vec::new();
    let mut packages = config.packages.clone();
    packages.sort();
    for package in packages {
        let interval = config.interval_of(package);
        let mut t = SimDuration::ZERO;
        loop {
            let gap = jittered(interval, config.jitter, &mut rng);
            let len = jittered(interval, config.jitter, &mut rng);
            let start = t.saturating_add(gap);
            let end = start.saturating_add(len);
            if end > faults_until {
                break;
            }
            windows.push(Window {
                package,
                start,
                end,
            });
            t = end;
        }
    }
    windows.sort_by_key(|w| (w.start, w.package));

    // Nodes busy with a process or clock fault, until when.
    let mut process_busy_until = vec![SimDuration::ZERO; node_count];
    let mut clock_busy_until = vec![SimDuration::ZERO; node_count];
    let mut events = Vec::new();
    for w in &windows {
        let duration = w.end.saturating_sub(w.start);
        let fault = match w.package {
            Package::Partition => Some(partition_fault(node_count, &mut rng)),
            Package::Kill | Package::Pause => {
                let nodes = pick_free(&mut process_busy_until, w, node_count, &mut rng);
                nodes.map(|nodes| {
                    let target = node_target(nodes);
                    if w.package == Package::Kill {
                        Fault::Crash { target }
                    } else {
                        Fault::Pause { target }
                    }
                })
            }
            Package::Clock => {
                let free: Vec<usize> = (0..node_count)
                    .filter(|&n| clock_busy_until[n] <= w.start)
                    .collect();
                if free.is_empty() {
                    None
                } else {
                    let node = free[rng.random_range(0..free.len())];
                    clock_busy_until[node] = w.end;
                    Some(clock_fault(Target::Node(node), duration, config, &mut rng))
                }
            }
            Package::Packet => Some(packet_fault(node_count, config, &mut rng)),
            Package::Model => {
                let f = config.model_faults[rng.random_range(0..config.model_faults.len())].clone();
                Some(f)
            }
        };
        if let Some(fault) = fault {
            events.push(Event::with_duration(w.start, fault, duration));
        }
    }

    let healed_at = faults_until.max(
        events
            .iter()
            .filter_map(Event::end)
            .max()
            .unwrap_or(SimDuration::ZERO),
    );
    events.extend(final_heal(config, healed_at));
    Ok(Generated {
        schedule: Schedule::new(events),
        healed_at,
        quiet_until: healed_at.saturating_add(config.recovery),
    })
}

/// Like [`generate`], but around an explicit `timeline` (a scenario's
/// `[[faults.timeline]]`): the result's schedule holds the timeline's events
/// first, at the same indices (so validation errors still point at the
/// file), then the generated faults that do not clash with them (a generated
/// event that would make the schedule invalid is left out), then the final
/// heal, placed after both the fault period and the timeline's last event.
pub fn generate_around(
    config: &GeneratorConfig,
    timeline: &Schedule,
    node_count: usize,
    faults_until: SimDuration,
    seed: u64,
) -> Result<Generated, GenerateError> {
    let generated = generate(config, node_count, faults_until, seed)?;
    if timeline.events.is_empty() {
        return Ok(generated);
    }
    let ctx = crate::validate::Context::new(node_count);
    let mut merged = timeline.clone();
    // A generated window that closed before a candidate starts has no effect
    // on it or on anything later (its undo restored what it took), so each
    // candidate is checked against the timeline and the windows still open:
    // linear in the run's length rather than quadratic.
    let mut open: Vec<Event> = Vec::new();
    for e in generated
        .schedule
        .events
        .iter()
        .filter(|e| e.duration.is_some())
    {
        open.retain(|o| o.end().is_some_and(|end| end > e.at));
        let mut without = timeline.clone();
        without.events.extend(open.iter().cloned());
        let mut with = without.clone();
        with.events.push(e.clone());
        let before = crate::validate::validate(&without, &ctx).len();
        if crate::validate::validate(&with, &ctx).len() <= before {
            merged.events.push(e.clone());
            open.push(e.clone());
        }
    }
    // The check above is local; confirm it on the whole schedule. Drop any
    // generated event an error names; if errors name only timeline events,
    // redo the selection exactly (quadratic, and rare).
    let timeline_len = timeline.events.len();
    let baseline = crate::validate::validate(timeline, &ctx).len();
    loop {
        let errors = crate::validate::validate(&merged, &ctx);
        if errors.len() <= baseline {
            break;
        }
        let mut culprits: Vec<usize> = errors
            .iter()
            .map(|e| e.event)
            .filter(|i| *i >= timeline_len)
            .collect();
        if culprits.is_empty() {
            merged = timeline.clone();
            for e in generated
                .schedule
                .events
                .iter()
                .filter(|e| e.duration.is_some())
            {
                merged.events.push(e.clone());
                if crate::validate::validate(&merged, &ctx).len() > baseline {
                    merged.events.pop();
                }
            }
            break;
        }
        culprits.sort_unstable();
        culprits.dedup();
        for i in culprits.into_iter().rev() {
            merged.events.remove(i);
        }
    }
    let healed_at = faults_until.max(merged.last_time());
    merged.events.extend(final_heal(config, healed_at));
    Ok(Generated {
        schedule: merged,
        healed_at,
        quiet_until: healed_at.saturating_add(config.recovery),
    })
}

/// The events that end every generated schedule: heal the network, resume
/// and restart every node, reset clocks and the network, stop model faults.
pub fn final_heal(config: &GeneratorConfig, at: SimDuration) -> Vec<Event> {
    let mut events = vec![
        Event::new(at, Fault::Heal),
        Event::new(
            at,
            Fault::Resume {
                target: Target::All,
            },
        ),
        Event::new(
            at,
            Fault::Restart {
                target: Target::All,
            },
        ),
        Event::new(
            at,
            Fault::ClockReset {
                target: Target::All,
            },
        ),
        Event::new(
            at,
            Fault::NetReset {
                target: Target::All,
            },
        ),
    ];
    let mut stopped = Vec::new();
    for f in &config.model_faults {
        if let Fault::Model { name, .. } = f {
            if !stopped.contains(name) {
                stopped.push(name.clone());
                events.push(Event::new(
                    at,
                    Fault::ModelStop {
                        name: name.clone(),
                        target: Target::All,
                    },
                ));
            }
        }
    }
    events
}

/// `interval ± U[0, jitter]`, at least one millisecond.
fn jittered<R: Rng + ?Sized>(
    interval: SimDuration,
    jitter: SimDuration,
    rng: &mut R,
) -> SimDuration {
    let j = jitter.as_nanos().min(interval.as_nanos());
    let base = interval.as_nanos();
    let nanos = if j == 0 {
        base
    } else {
        let delta = rng.random_range(0..=2 * j);
        (base - j).saturating_add(delta)
    };
    SimDuration::from_nanos(nanos.max(1_000_000))
}

fn node_target(nodes: Vec<usize>) -> Target {
    if nodes.len() == 1 {
        Target::Node(nodes[0])
    } else {
        Target::Nodes(nodes)
    }
}

/// One node or a minority, among the nodes free for the whole window;
/// marks them busy. `None` if none is free.
fn pick_free<R: Rng + ?Sized>(
    busy_until: &mut [SimDuration],
    w: &Window,
    node_count: usize,
    rng: &mut R,
) -> Option<Vec<usize>> {
    let mut free: Vec<usize> = (0..node_count)
        .filter(|&n| busy_until[n] <= w.start)
        .collect();
    if free.is_empty() {
        return None;
    }
    shuffle(&mut free, rng);
    let want = if rng.random_bool(0.5) {
        1
    } else {
        minority(node_count).max(1)
    };
    free.truncate(want);
    free.sort_unstable();
    for &n in &free {
        busy_until[n] = w.end;
    }
    Some(free)
}

fn partition_fault<R: Rng + ?Sized>(node_count: usize, rng: &mut R) -> Fault {
    match rng.random_range(0..5) {
        0 => Fault::RandomHalves,
        1 => Fault::Isolate {
            target: Target::Node(rng.random_range(0..node_count)),
        },
        2 => Fault::MajoritiesRing,
        3 => Fault::Bridge,
        _ => Fault::OneWay {
            from: Target::Node(rng.random_range(0..node_count)),
            to: None,
        },
    }
}

fn clock_fault<R: Rng + ?Sized>(
    target: Target,
    window: SimDuration,
    config: &GeneratorConfig,
    rng: &mut R,
) -> Fault {
    let max = i64::try_from(config.clock_offset_ms_max).unwrap_or(i64::MAX);
    let offset_ms = {
        let magnitude = rng.random_range(1..=max);
        if rng.random_bool(0.5) {
            -magnitude
        } else {
            magnitude
        }
    };
    match rng.random_range(0..3) {
        0 => Fault::ClockBump { target, offset_ms },
        1 => {
            let period_ms = rng.random_range(1..=100u64);
            let duration_ms = (window.as_millis() / 2).max(period_ms);
            Fault::ClockStrobe {
                target,
                offset_ms,
                period_ms,
                duration_ms,
            }
        }
        _ => {
            // 0.5× to 2× speed, in hundredths, never exactly 1.
            let hundredths = loop {
                let h = rng.random_range(50..=200u32);
                if h != 100 {
                    break h;
                }
            };
            Fault::ClockDrift {
                target,
                rate: f64::from(hundredths) / 100.0,
            }
        }
    }
}

fn packet_fault<R: Rng + ?Sized>(
    node_count: usize,
    config: &GeneratorConfig,
    rng: &mut R,
) -> Fault {
    let target = if rng.random_bool(0.5) {
        Target::All
    } else {
        Target::Node(rng.random_range(0..node_count))
    };
    // Rates in hundredths, so that schedules print cleanly.
    let rate_max = ((config.packet_loss_rate_max * 100.0).floor() as u32).max(1);
    let rate = f64::from(rng.random_range(1..=rate_max)) / 100.0;
    match rng.random_range(0..3) {
        0 => Fault::PacketLoss { target, rate },
        1 => Fault::PacketDuplicate { target, rate },
        _ => {
            let latency_ms = rng.random_range(0..=config.packet_delay_ms_max);
            let jitter_ms = rng.random_range(0..=config.packet_delay_ms_max.max(1));
            let distribution = match rng.random_range(0..3) {
                0 => Distribution::Uniform,
                1 => Distribution::Normal,
                _ => Distribution::Exponential,
            };
            Fault::PacketDelay {
                target,
                latency: Latency {
                    latency_ms,
                    jitter_ms,
                    distribution,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nemesis::Nemesis;
    use crate::target::NoRoles;
    use std::collections::BTreeSet;

    fn all_packages() -> GeneratorConfig {
        GeneratorConfig {
            packages: Package::ALL.to_vec(),
            model_faults: vec![Fault::Model {
                name: "hint-backlog".into(),
                target: Target::All,
                params: BTreeMap::new(),
            }],
            ..GeneratorConfig::default()
        }
    }

    #[test]
    fn same_seed_same_schedule_and_different_seeds_differ() {
        let config = all_packages();
        let until = SimDuration::from_secs(120);
        let a = generate(&config, 5, until, 7).unwrap();
        let b = generate(&config, 5, until, 7).unwrap();
        assert_eq!(a, b);
        let c = generate(&config, 5, until, 8).unwrap();
        assert_ne!(a.schedule, c.schedule);
    }

    #[test]
    fn every_package_shows_up_and_every_fault_has_an_undo() {
        let g = generate(&all_packages(), 5, SimDuration::from_secs(300), 1).unwrap();
        let healed = g.healed_at;
        for e in &g.schedule.events {
            if e.at < healed {
                assert!(e.duration.is_some(), "{e:?}");
                assert!(e.end().unwrap() <= healed);
                assert!(e.fault.undo().is_some());
            }
        }
        let names: Vec<&str> = g.schedule.events.iter().map(|e| e.fault.name()).collect();
        for want in [
            "crash",
            "pause",
            "hint-backlog",
            "heal",
            "restart",
            "resume",
            "clock-reset",
            "net-reset",
            "model-stop",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        assert_eq!(
            g.quiet_until,
            healed.saturating_add(SimDuration::from_secs(10))
        );
    }

    #[test]
    fn a_run_of_a_generated_schedule_ends_healed() {
        for seed in 0..20 {
            let g = generate(&all_packages(), 5, SimDuration::from_secs(100), seed).unwrap();
            let mut nemesis = Nemesis::new(&g.schedule, 5, seed);
            let steps = nemesis.drain(&NoRoles);
            assert!(steps.iter().all(|s| s.at <= g.healed_at));
            let state = nemesis.state();
            assert!(
                state.crashed.is_empty() && state.paused.is_empty() && state.cut.is_none(),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn generated_schedules_validate() {
        for seed in 0..50 {
            for nodes in [1, 2, 3, 5, 7] {
                let g = generate(&all_packages(), nodes, SimDuration::from_secs(90), seed).unwrap();
                let errors =
                    crate::validate::validate(&g.schedule, &crate::validate::Context::new(nodes));
                assert!(errors.is_empty(), "seed {seed}, {nodes} nodes: {errors:?}");
            }
        }
    }

    #[test]
    fn generating_around_a_timeline_keeps_it_first_and_avoids_clashes() {
        let timeline = Schedule::new(vec![
            Event::with_duration(
                SimDuration::from_secs(5),
                Fault::Crash {
                    target: Target::Node(0),
                },
                SimDuration::from_secs(200),
            ),
            Event::with_duration(
                SimDuration::from_secs(30),
                Fault::RandomHalves,
                SimDuration::from_secs(20),
            ),
            Event::new(
                SimDuration::from_secs(150),
                Fault::Pause {
                    target: Target::Node(1),
                },
            ),
        ]);
        for seed in 0..20 {
            let g = generate_around(
                &all_packages(),
                &timeline,
                5,
                SimDuration::from_secs(120),
                seed,
            )
            .unwrap();
            assert_eq!(&g.schedule.events[..3], &timeline.events[..]);
            let errors = crate::validate::validate(&g.schedule, &crate::validate::Context::new(5));
            assert!(errors.is_empty(), "seed {seed}: {errors:?}");
            assert_eq!(
                g.healed_at,
                SimDuration::from_secs(205),
                "after the timeline's last undo"
            );
            let kept = g.schedule.events.len() - 3 - final_heal(&all_packages(), g.healed_at).len();
            assert!(
                kept > 5,
                "seed {seed}: most generated faults kept, got {kept}"
            );
            let mut nemesis = Nemesis::new(&g.schedule, 5, seed);
            nemesis.drain(&NoRoles);
            let state = nemesis.state();
            assert!(state.crashed.is_empty() && state.paused.is_empty() && state.cut.is_none());
        }
    }

    #[test]
    fn config_errors_are_caught() {
        let mut c = GeneratorConfig {
            packages: vec![Package::Model],
            ..GeneratorConfig::default()
        };
        assert_eq!(
            generate(&c, 3, SimDuration::from_secs(10), 0),
            Err(GenerateError::NoModelFaults)
        );
        c.packages = vec![Package::Kill, Package::Kill];
        assert!(matches!(
            generate(&c, 3, SimDuration::from_secs(10), 0),
            Err(GenerateError::DuplicatePackage(_))
        ));
        c.packages = vec![Package::Kill];
        c.interval = SimDuration::ZERO;
        assert!(matches!(
            generate(&c, 3, SimDuration::from_secs(10), 0),
            Err(GenerateError::ZeroInterval(_))
        ));
        assert_eq!(
            generate(
                &GeneratorConfig::default(),
                0,
                SimDuration::from_secs(10),
                0
            ),
            Err(GenerateError::NoNodes)
        );
    }

    #[test]
    fn config_reads_from_toml() {
        let c: GeneratorConfig = toml::from_str(
            "packages = [\"partition\", \"kill\"]\ninterval = \"5s\"\nintervals = { kill = \"20s\" }\n",
        )
        .unwrap();
        assert_eq!(c.interval_of(Package::Partition), SimDuration::from_secs(5));
        assert_eq!(c.interval_of(Package::Kill), SimDuration::from_secs(20));
        assert!(toml::from_str::<GeneratorConfig>("packages = [\"kil\"]").is_err());
        assert!(toml::from_str::<GeneratorConfig>("packages = []\nintervall = \"1s\"").is_err());
    }

    #[test]
    fn swarm_picks_a_different_mix_per_seed_and_generates_only_it() {
        let config = GeneratorConfig {
            swarm: true,
            ..all_packages()
        };
        let until = SimDuration::from_secs(120);
        let mut mixes = BTreeSet::new();
        let mut singles = 0;
        for seed in 0..64 {
            let swarm = Swarm::of(&config, seed);
            assert!(!swarm.packages.is_empty());
            assert!((0.1..=1.0).contains(&swarm.intensity));
            let kept: Vec<Package> = swarm.packages.iter().map(|(p, _)| *p).collect();
            singles += usize::from(kept.len() == 1);
            for (p, d) in &swarm.packages {
                let base = config.interval_of(*p).as_nanos();
                assert!(
                    d.as_nanos() >= base / 4 && d.as_nanos() <= base * 4,
                    "{swarm}"
                );
            }
            let g = generate(&config, 5, until, seed).unwrap();
            assert_eq!(
                g,
                generate(&config, 5, until, seed).unwrap(),
                "deterministic"
            );
            let fault_packages: BTreeSet<&str> = g
                .schedule
                .events
                .iter()
                .filter(|e| e.at < g.healed_at)
                .map(|e| match &e.fault {
                    Fault::Bridge
                    | Fault::Isolate { .. }
                    | Fault::MajoritiesRing
                    | Fault::OneWay { .. }
                    | Fault::RandomHalves => "partition",
                    Fault::Crash { .. } => "kill",
                    Fault::Pause { .. } => "pause",
                    Fault::PacketDelay { .. }
                    | Fault::PacketDuplicate { .. }
                    | Fault::PacketLoss { .. } => "packet",
                    Fault::Model { .. } => "model",
                    _ => "clock",
                })
                .collect();
            for p in &fault_packages {
                assert!(kept.iter().any(|k| k.name() == *p), "{p} not in {swarm}");
            }
            mixes.insert(kept);
        }
        // 6 packages give 63 non-empty subsets: 64 seeds must see many.
        assert!(mixes.len() >= 20, "only {} mixes", mixes.len());
        assert!(singles >= 1, "no seed ran a single package");
        // Without swarm, the schedule is what it always was.
        let plain = all_packages();
        assert_eq!(
            generate(&plain, 5, until, 3).unwrap(),
            generate(&plain, 5, until, 3).unwrap()
        );
        assert_ne!(
            generate(&config, 5, until, 3).unwrap().schedule,
            generate(&plain, 5, until, 3).unwrap().schedule
        );
    }

    #[test]
    fn swarm_reads_from_toml() {
        let c: GeneratorConfig = toml::from_str("packages = [\"kill\"]\nswarm = true\n").unwrap();
        assert!(c.swarm);
    }
}
