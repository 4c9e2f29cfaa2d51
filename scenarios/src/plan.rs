//! From a scenario and a seed to what one run needs: the simulator's
//! configuration (workload, network, the fault schedule generated for this
//! seed and merged with the explicit timeline) and the checker.

use crate::scenario::{KeyChoice, LatencyShape, LatencySpec, Scenario};
use shakedown_checkers::{
    model_by_name, AnyModel, Budget, Completion, Counterexample, History, Op, OpSummary, Value,
    Verdict,
};
use shakedown_nemesis::{Schedule, SimDuration};
use shakedown_sim::{
    KeyDistribution, Latency, LinkConfig, OpKind, OpLimit, Pacing, Shape, SimConfig, Workload,
};

/// Generated faults happen within `[0, this]` when neither `faults.until`
/// nor a workload duration says otherwise.
pub const DEFAULT_FAULTS_UNTIL: SimDuration = SimDuration::from_secs(30);
/// The quiet window after a timeline's last event, before final reads.
pub const DEFAULT_RECOVERY: SimDuration = SimDuration::from_secs(10);
/// The shortest default simulated time limit.
pub const DEFAULT_DURATION_MIN: SimDuration = SimDuration::from_secs(60);

/// The fault schedule of one seed, and when the cluster is quiet again.
#[derive(Clone, Debug, PartialEq)]
pub struct Faults {
    /// The explicit timeline merged with the generated events.
    pub schedule: Schedule,
    /// When no fault is in force and the recovery window has passed.
    pub quiet_at: SimDuration,
}

/// The schedule for `seed`: explicit timeline plus generated packages.
pub fn faults(scenario: &Scenario, seed: u64) -> Result<Faults, String> {
    let f = &scenario.file.faults;
    let timeline = scenario.timeline();
    match &f.generate {
        Some(config) => {
            // Generated faults that would clash with the timeline are left out.
            let generated = shakedown_nemesis::generate_around(
                config.get_ref(),
                &timeline,
                scenario.nodes(),
                faults_until(scenario),
                seed,
            )
            .map_err(|e| format!("[faults.generate]: {e}"))?;
            Ok(Faults {
                schedule: generated.schedule,
                quiet_at: generated.quiet_until,
            })
        }
        None => {
            let quiet_at = if timeline.events.is_empty() {
                SimDuration::ZERO
            } else {
                timeline
                    .last_time()
                    .saturating_add(f.recovery.unwrap_or(DEFAULT_RECOVERY))
            };
            Ok(Faults {
                schedule: timeline,
                quiet_at,
            })
        }
    }
}

/// Until when generated faults may run.
pub fn faults_until(scenario: &Scenario) -> SimDuration {
    let f = &scenario.file;
    f.faults
        .until
        .as_ref()
        .map(|u| *u.get_ref())
        .or_else(|| f.workload.duration.as_ref().map(|d| *d.get_ref()))
        .unwrap_or(DEFAULT_FAULTS_UNTIL)
}

fn latency(spec: &LatencySpec) -> Latency {
    Latency {
        base_ns: spec.base.as_nanos(),
        jitter_ns: spec.jitter.as_nanos(),
        shape: match spec.shape {
            LatencyShape::Uniform => Shape::Uniform,
            LatencyShape::Normal => Shape::Normal,
            LatencyShape::Exponential => Shape::Exponential,
        },
    }
}

/// The workload the simulator runs.
pub fn workload(scenario: &Scenario, final_reads_at: Option<SimDuration>) -> Workload {
    let w = &scenario.file.workload;
    let mix = w
        .mix
        .iter()
        .map(|(name, weight)| {
            let kind = match name.as_str() {
                "read" => OpKind::Read,
                "write" => OpKind::Write,
                "cas" => OpKind::Cas,
                "append" => OpKind::Append,
                "add" => OpKind::Add,
                other => OpKind::Other(other.to_owned()),
            };
            (kind, *weight)
        })
        .collect();
    let limit = match (&w.ops, &w.duration) {
        (Some(n), _) => OpLimit::Count(*n.get_ref()),
        (None, Some(d)) => OpLimit::DurationMs(d.get_ref().as_millis().max(1)),
        (None, None) => OpLimit::Count(200),
    };
    Workload {
        mix,
        keys: w.keys,
        key_distribution: match w.key_choice {
            None | Some(KeyChoice::Uniform) => KeyDistribution::Uniform,
            Some(KeyChoice::Zipf { exponent }) => KeyDistribution::Zipf { exponent },
        },
        unique_values: w.unique_values,
        value_range: w.value_range,
        pacing: match w.ops_per_s {
            Some(ops_per_s) => Pacing::Rate { ops_per_s },
            None => Pacing::ClosedLoop,
        },
        limit,
        timeout_ms: w.timeout.as_millis().max(1),
        final_reads_at_ms: final_reads_at.map(|t| t.as_millis()),
    }
}

/// The simulator's configuration for one seed.
pub fn sim_config(scenario: &Scenario, seed: u64) -> Result<SimConfig, String> {
    let f = &scenario.file;
    let faults = faults(scenario, seed)?;
    let final_reads_at = f.workload.final_reads.then_some(faults.quiet_at);
    let workload = workload(scenario, final_reads_at);
    let work_end = match &f.workload.duration {
        Some(d) => *d.get_ref(),
        None => SimDuration::ZERO,
    };
    let duration = match &f.limits.duration {
        Some(d) => *d.get_ref(),
        None => DEFAULT_DURATION_MIN.max(
            faults
                .quiet_at
                .max(work_end)
                .saturating_add(SimDuration::from_secs(30)),
        ),
    };
    let defaults = SimConfig::default();
    let mut limits = defaults.limits.clone();
    if let Some(n) = &f.limits.history_events_max {
        limits.history_events_max = *n.get_ref();
    }
    if let Some(n) = &f.limits.messages_delivered_max {
        limits.messages_delivered_max = *n.get_ref();
    }
    if let Some(n) = &f.limits.events_handled_max {
        limits.events_handled_max = *n.get_ref();
    }
    if let Some(w) = &f.limits.wall_time {
        limits.wall_time = Some((*w.get_ref()).into());
    }
    Ok(SimConfig {
        seed,
        nodes: scenario.nodes(),
        clients: *f.workload.clients.get_ref(),
        workload,
        network: LinkConfig {
            latency: f
                .network
                .latency
                .as_ref()
                .map_or(defaults.network.latency, latency),
            loss_rate: f.network.loss_rate.unwrap_or(0.0),
            duplicate_rate: f.network.duplicate_rate.unwrap_or(0.0),
        },
        client_latency: f
            .network
            .client_latency
            .as_ref()
            .map_or(defaults.client_latency, latency),
        duration_ms: duration.as_millis().max(1),
        tick_us: defaults.tick_us,
        metrics_interval_ms: defaults.metrics_interval_ms,
        ops: Vec::new(),
        nemesis: (!faults.schedule.events.is_empty()).then_some(faults.schedule),
        points: points(scenario, seed, work_end.max(faults.quiet_at), duration),
        limits,
        engine: scenario.engine.sim(),
        trace: false,
    })
}

/// The fault points of `seed` (`[faults.points]`): each candidate point is
/// armed with the scenario's `armed` chance (at least one is), and the
/// firing chance is drawn up to `probability`, from a stream of the seed
/// of its own. `work_end` is when faults and workload are over, `run_end`
/// the run's limit.
pub fn points(
    scenario: &Scenario,
    seed: u64,
    work_end: SimDuration,
    run_end: SimDuration,
) -> Option<shakedown_sim::PointPlan> {
    use rand::{Rng, SeedableRng};
    let spec = scenario.file.faults.points.as_ref()?.get_ref();
    if scenario.points.is_empty() {
        return None;
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x4152_4d45_445f_5054);
    let armed_chance = spec.armed.unwrap_or(0.5);
    let mut armed: Vec<String> = scenario
        .points
        .iter()
        .filter(|_| rng.random_bool(armed_chance))
        .cloned()
        .collect();
    if armed.is_empty() {
        armed.push(scenario.points[rng.random_range(0..scenario.points.len())].clone());
    }
    let most = spec.probability.unwrap_or(0.2);
    let probability = most * rng.random_range(0.1..=1.0);
    let [lo, hi] = spec
        .down
        .unwrap_or([SimDuration::from_millis(50), SimDuration::from_secs(1)]);
    let until = spec
        .until
        .or(scenario.file.faults.until.as_ref().map(|u| *u.get_ref()))
        .unwrap_or(if work_end.is_zero() {
            run_end
        } else {
            work_end
        });
    Some(shakedown_sim::PointPlan {
        points: armed,
        probability,
        actions: spec.actions.clone().unwrap_or_else(|| {
            vec![
                shakedown_sim::PointAction::Crash,
                shakedown_sim::PointAction::Pause,
            ]
        }),
        down_ms: (lo.as_millis(), hi.as_millis()),
        max_fires: spec.max.unwrap_or(3),
        from_ms: spec.from.unwrap_or(SimDuration::ZERO).as_millis(),
        until_ms: until.as_millis(),
    })
}

/// The checker's model, from `[checker]`.
pub fn checker(scenario: &Scenario) -> Result<Box<dyn AnyModel>, String> {
    let c = &scenario.file.checker;
    let initial = match &c.initial {
        Some(s) => shakedown_checkers::edn::parse_value(s.get_ref()).map_err(|e| e.to_string())?,
        None => Value::Nil,
    };
    model_by_name(c.model.get_ref(), initial).map_err(|e| e.to_string())
}

/// Liveness (`[checker] require_final_reads`): every final read, the reads
/// invoked at or after `final_reads_at_ms`, completed `ok`. `None` when the
/// scenario does not ask for it or it holds; otherwise the invalid verdict,
/// with the first read that was not served as its counterexample.
pub fn final_reads_verdict(
    scenario: &Scenario,
    history: &History,
    final_reads_at_ms: Option<u64>,
) -> Option<Verdict> {
    let required = scenario
        .file
        .checker
        .require_final_reads
        .as_ref()
        .is_some_and(|r| *r.get_ref());
    if !required {
        return None;
    }
    let ops = history.client_ops().ok()?;
    let at_ns =
        final_reads_at_ms.map(|ms| i64::try_from(ms.saturating_mul(1_000_000)).unwrap_or(i64::MAX));
    let finals: Vec<&Op> = ops
        .iter()
        .filter(|op| {
            op.f == "read" && at_ns.is_some_and(|at| op.invoke_time_ns.is_some_and(|t| t >= at))
        })
        .collect();
    let explanation;
    let op = match finals.iter().find(|op| op.completion != Completion::Ok) {
        Some(op) => {
            let key = op
                .key
                .as_ref()
                .map_or_else(String::new, |k| format!(" of key {k}"));
            explanation = format!(
                "Liveness: the final read{key} by process {} was not served: it completed {}, \
                 though it was issued after the fault schedule and its recovery window.",
                op.process,
                match op.completion {
                    Completion::Fail => "fail",
                    _ => "info (timed out or unknown)",
                }
            );
            Some(OpSummary::from(*op))
        }
        None if finals.is_empty() => {
            explanation = "Liveness: no final read was issued before the run ended; \
                           give the run more simulated time (`[limits] duration`)."
                .to_owned();
            None
        }
        None => return None,
    };
    Some(Verdict::invalid(
        ops.len(),
        Counterexample {
            key: op.as_ref().and_then(|o| o.key.clone()),
            op,
            prefix: Vec::new(),
            states: Vec::new(),
            explanation,
        },
    ))
}

/// Everything the checker is told, from `[limits]`: the budget and the
/// step limit.
pub fn check_options(scenario: &Scenario) -> shakedown_checkers::CheckOptions {
    shakedown_checkers::CheckOptions {
        steps_limit: scenario.file.limits.check_steps,
        ..shakedown_checkers::CheckOptions::with_budget(budget(scenario))
    }
}

/// The checker's budget, from `[limits]`.
pub fn budget(scenario: &Scenario) -> Budget {
    let l = &scenario.file.limits;
    let default = Budget::default();
    Budget {
        time_limit: l.check_time.map(Into::into).or(default.time_limit),
        memory_limit_bytes: l
            .check_memory_mb
            .map(|mb| mb.saturating_mul(1 << 20))
            .or(default.memory_limit_bytes),
    }
}
