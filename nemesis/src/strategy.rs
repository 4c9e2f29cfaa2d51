//! Proptest strategies for faults and schedules.
//!
//! [`schedule`] generates schedules that validate, where every fault is
//! undone by its own `duration` and the schedule ends with the final heal
//! of [`crate::generate::final_heal`]. Shrinking removes events, shortens
//! durations (toward 1 ms) and start times, and narrows explicit node lists;
//! because shrinking only frees nodes and time, a shrunk schedule stays
//! valid (and any event that would clash after shrinking is dropped).

use std::collections::BTreeMap;

use proptest::prelude::*;

use crate::duration::SimDuration;
use crate::fault::{Distribution, Fault, Latency};
use crate::generate::{final_heal, GeneratorConfig};
use crate::schedule::{Event, Schedule};
use crate::target::Target;
use crate::validate::{validate, Context};

/// Knobs for [`schedule`].
#[derive(Clone, Debug)]
pub struct ScheduleParams {
    /// Nodes in the cluster (at least 1).
    pub node_count: usize,
    /// Most fault events before the final heal.
    pub max_events: usize,
    /// Faults start within `[0, horizon_ms)`.
    pub horizon_ms: u64,
    /// Longest fault window, in milliseconds.
    pub max_duration_ms: u64,
    /// Model faults to draw from, if any (each a [`Fault::Model`]).
    pub model_faults: Vec<Fault>,
}

impl Default for ScheduleParams {
    fn default() -> Self {
        ScheduleParams {
            node_count: 5,
            max_events: 12,
            horizon_ms: 60_000,
            max_duration_ms: 20_000,
            model_faults: Vec::new(),
        }
    }
}

/// A target: explicit node sets (which shrink by losing nodes) or one of
/// the random forms.
pub fn target(node_count: usize) -> BoxedStrategy<Target> {
    let n = node_count.max(1);
    prop_oneof![
        3 => proptest::collection::btree_set(0..n, 1..=n).prop_map(|set| {
            let nodes: Vec<usize> = set.into_iter().collect();
            if nodes.len() == 1 { Target::Node(nodes[0]) } else { Target::Nodes(nodes) }
        }),
        1 => Just(Target::One),
        1 => Just(Target::Minority),
        1 => Just(Target::Majority),
        1 => Just(Target::All),
    ]
    .boxed()
}

/// A fault that starts something (never an undo such as heal or restart),
/// with sane parameters for `node_count` nodes.
pub fn fault(node_count: usize, model_faults: Vec<Fault>) -> BoxedStrategy<Fault> {
    let n = node_count.max(1);
    let t = move || target(n);
    let rate = (0u32..=100).prop_map(|h| f64::from(h) / 100.0);
    let offset = (-60_000i64..=60_000).prop_filter("a bump of 0 does nothing", |o| *o != 0);
    let mut choices: Vec<(u32, BoxedStrategy<Fault>)> = vec![
        (1, Just(Fault::RandomHalves).boxed()),
        (1, t().prop_map(|target| Fault::Isolate { target }).boxed()),
        (1, Just(Fault::MajoritiesRing).boxed()),
        (1, Just(Fault::Bridge).boxed()),
        (
            1,
            proptest::collection::btree_set(0..n, 1..=n)
                .prop_map(|from| Fault::OneWay {
                    from: Target::Nodes(from.into_iter().collect()),
                    to: None,
                })
                .boxed(),
        ),
        (
            1,
            proptest::collection::vec(0..3usize, n)
                .prop_map(|group_of| {
                    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
                    for (node, g) in group_of.into_iter().enumerate() {
                        groups.entry(g).or_default().push(node);
                    }
                    Fault::Groups {
                        groups: groups.into_values().collect(),
                    }
                })
                .boxed(),
        ),
        (3, t().prop_map(|target| Fault::Crash { target }).boxed()),
        (3, t().prop_map(|target| Fault::Pause { target }).boxed()),
        (
            1,
            (t(), offset.clone())
                .prop_map(|(target, offset_ms)| Fault::ClockBump { target, offset_ms })
                .boxed(),
        ),
        (
            1,
            (t(), offset, 1u64..=100, 1u64..=2_000)
                .prop_map(
                    |(target, offset_ms, period_ms, duration_ms)| Fault::ClockStrobe {
                        target,
                        offset_ms,
                        period_ms,
                        duration_ms,
                    },
                )
                .boxed(),
        ),
        (
            1,
            (t(), 1u32..=400)
                .prop_map(|(target, h)| Fault::ClockDrift {
                    target,
                    rate: f64::from(h) / 100.0,
                })
                .boxed(),
        ),
        (
            1,
            (t(), rate.clone())
                .prop_map(|(target, rate)| Fault::PacketLoss { target, rate })
                .boxed(),
        ),
        (
            1,
            (t(), rate)
                .prop_map(|(target, rate)| Fault::PacketDuplicate { target, rate })
                .boxed(),
        ),
        (
            1,
            (t(), 0u64..=1_000, 0u64..=1_000, 0usize..3)
                .prop_map(|(target, latency_ms, jitter_ms, d)| Fault::PacketDelay {
                    target,
                    latency: Latency {
                        latency_ms,
                        jitter_ms,
                        distribution: [
                            Distribution::Uniform,
                            Distribution::Normal,
                            Distribution::Exponential,
                        ][d],
                    },
                })
                .boxed(),
        ),
    ];
    if !model_faults.is_empty() {
        choices.push((2, proptest::sample::select(model_faults).boxed()));
    }
    proptest::strategy::Union::new_weighted(choices).boxed()
}

/// A schedule that validates for `params.node_count` nodes and ends healed.
pub fn schedule(params: ScheduleParams) -> BoxedStrategy<Schedule> {
    let n = params.node_count.max(1);
    let raw_event = (
        0..params.horizon_ms.max(1),
        1..=params.max_duration_ms.max(1),
        fault(n, params.model_faults.clone()),
    )
        .prop_map(|(at_ms, duration_ms, fault)| {
            Event::with_duration(
                SimDuration::from_millis(at_ms),
                fault,
                SimDuration::from_millis(duration_ms),
            )
        });
    let model_faults = params.model_faults.clone();
    proptest::collection::vec(raw_event, 0..=params.max_events)
        .prop_map(move |raw| repaired(raw, n, &model_faults))
        .boxed()
}

/// Keeps the events (in time order) that do not clash with those kept
/// before them, then appends the final heal after the last undo.
pub fn repaired(mut raw: Vec<Event>, node_count: usize, model_faults: &[Fault]) -> Schedule {
    raw.sort_by_key(|e| e.at);
    let ctx = Context::new(node_count);
    let mut kept = Schedule::default();
    for e in raw {
        kept.events.push(e);
        if !validate(&kept, &ctx).is_empty() {
            kept.events.pop();
        }
    }
    let end = kept.last_time();
    let config = GeneratorConfig {
        model_faults: model_faults.to_vec(),
        ..GeneratorConfig::default()
    };
    kept.events.extend(final_heal(&config, end));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{generate, Package};
    use crate::nemesis::Nemesis;
    use crate::target::NoRoles;
    use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

    fn ends_healed(schedule: &Schedule, nodes: usize, seed: u64) -> bool {
        let mut nemesis = Nemesis::new(schedule, nodes, seed);
        nemesis.drain(&NoRoles);
        let s = nemesis.state();
        s.crashed.is_empty() && s.paused.is_empty() && s.cut.is_none()
    }

    proptest! {
        #![proptest_config(Config { cases: 64, ..Config::default() })]

        #[test]
        fn strategy_schedules_validate_and_end_healed(
            seed: u64,
            (nodes, s) in (1usize..=7).prop_flat_map(|nodes| {
                (Just(nodes), schedule(ScheduleParams { node_count: nodes, ..ScheduleParams::default() }))
            }),
        ) {
            prop_assert!(validate(&s, &Context::new(nodes)).is_empty());
            prop_assert!(ends_healed(&s, nodes, seed));
        }

        #[test]
        fn generated_schedules_validate_end_healed_and_repeat(
            nodes in 1usize..=9,
            seed: u64,
            until_s in 0u64..=300,
            interval_s in 1u64..=30,
            packages in proptest::sample::subsequence(Package::ALL[..5].to_vec(), 1..=5),
        ) {
            let config = GeneratorConfig {
                packages,
                interval: SimDuration::from_secs(interval_s),
                jitter: SimDuration::from_secs(interval_s / 2),
                ..GeneratorConfig::default()
            };
            let until = SimDuration::from_secs(until_s);
            let g = generate(&config, nodes, until, seed).unwrap();
            prop_assert_eq!(&g, &generate(&config, nodes, until, seed).unwrap());
            prop_assert!(validate(&g.schedule, &Context::new(nodes)).is_empty());
            prop_assert!(g.healed_at >= until);
            prop_assert!(ends_healed(&g.schedule, nodes, seed));
        }

        #[test]
        fn generating_around_any_valid_timeline_stays_valid(
            seed: u64,
            timeline in schedule(ScheduleParams { max_events: 6, horizon_ms: 100_000, ..ScheduleParams::default() }),
        ) {
            let config = GeneratorConfig {
                packages: crate::generate::Package::ALL[..5].to_vec(),
                interval: SimDuration::from_secs(5),
                ..GeneratorConfig::default()
            };
            let g = crate::generate::generate_around(&config, &timeline, 5, SimDuration::from_secs(120), seed).unwrap();
            prop_assert_eq!(&g.schedule.events[..timeline.events.len()], &timeline.events[..]);
            let errors = validate(&g.schedule, &Context::new(5));
            prop_assert!(errors.is_empty(), "{:?}", errors);
            prop_assert!(ends_healed(&g.schedule, 5, seed));
        }

        #[test]
        fn schedules_round_trip_through_toml(s in schedule(ScheduleParams::default())) {
            #[derive(serde::Serialize, serde::Deserialize)]
            struct File { timeline: Schedule }
            let text = toml::to_string(&File { timeline: s.clone() }).unwrap();
            let back: File = toml::from_str(&text).unwrap();
            prop_assert_eq!(back.timeline, s);
        }
    }

    /// A property that fails whenever node 2 is crashed for more than 5 s
    /// shrinks to the crash that shows it: on node 2 alone, for just over
    /// 5 s, from time 0, with at most one other event left (proptest's vec
    /// shrinking does not always retry removals after simplifying elements).
    #[test]
    fn shrinking_removes_events_shortens_durations_and_narrows_targets() {
        use proptest::test_runner::{RngAlgorithm, TestRng};
        let mut runner = TestRunner::new_with_rng(
            Config {
                cases: 2_000,
                ..Config::default()
            },
            TestRng::deterministic_rng(RngAlgorithm::ChaCha),
        );
        let params = ScheduleParams {
            max_events: 10,
            ..ScheduleParams::default()
        };
        let result = runner.run(&schedule(params), |s| {
            let long_crash_of_2 = s.events.iter().any(|e| match (&e.fault, e.duration) {
                (Fault::Crash { target }, Some(d)) => {
                    target.explicit_nodes().is_some_and(|ns| ns.contains(&2))
                        && d > SimDuration::from_secs(5)
                }
                _ => false,
            });
            if long_crash_of_2 {
                Err(TestCaseError::fail("node 2 down too long"))
            } else {
                Ok(())
            }
        });
        let Err(TestError::Fail(_, minimal)) = result else {
            panic!("expected a failure, got {result:?}");
        };
        let faults: Vec<&Event> = minimal
            .events
            .iter()
            .filter(|e| e.duration.is_some())
            .collect();
        assert!(faults.len() <= 2, "{minimal:#?}");
        let crashes: Vec<&&Event> = faults
            .iter()
            .filter(|e| matches!(e.fault, Fault::Crash { .. }))
            .collect();
        assert_eq!(crashes.len(), 1, "{minimal:#?}");
        assert_eq!(
            crashes[0].fault,
            Fault::Crash {
                target: Target::Node(2)
            }
        );
        assert_eq!(crashes[0].duration, Some(SimDuration::from_millis(5_001)));
        assert_eq!(crashes[0].at, SimDuration::ZERO);
    }
}
