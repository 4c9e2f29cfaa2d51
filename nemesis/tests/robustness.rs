//! Bad input never panics: arbitrary tables as events, arbitrary schedules
//! through validation and through the running nemesis.

use std::collections::BTreeMap;

use proptest::prelude::*;
use shakedown_nemesis::validate::{validate, Context};
use shakedown_nemesis::{Event, Fault, Nemesis, NoRoles, Param, Schedule, SimDuration, Target};

fn param() -> impl Strategy<Value = Param> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Param::Bool),
        any::<i64>().prop_map(Param::Int),
        prop_oneof![
            any::<f64>(),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-0.0)
        ]
        .prop_map(Param::Float),
        prop_oneof![
            Just("crash".to_string()),
            Just("one".to_string()),
            Just("-5s".to_string()),
            Just("10s".to_string()),
            Just("majority".to_string()),
            "[a-z0-9 .-]{0,12}",
        ]
        .prop_map(Param::Str),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Param::List),
            proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4).prop_map(Param::Table),
        ]
    })
}

fn table() -> impl Strategy<Value = BTreeMap<String, Param>> {
    let names: Vec<&'static str> = shakedown_nemesis::catalog()
        .iter()
        .map(|f| f.name)
        .chain(["nonsense", "hint-backlog"])
        .collect();
    let keys = prop_oneof![
        Just("target".to_string()),
        Just("from".to_string()),
        Just("to".to_string()),
        Just("rate".to_string()),
        Just("offset_ms".to_string()),
        Just("period_ms".to_string()),
        Just("duration_ms".to_string()),
        Just("latency_ms".to_string()),
        Just("jitter_ms".to_string()),
        Just("distribution".to_string()),
        Just("groups".to_string()),
        Just("name".to_string()),
        Just("at".to_string()),
        Just("duration".to_string()),
        "[a-z_]{1,8}",
    ];
    (
        proptest::sample::select(names),
        proptest::collection::btree_map(keys, param(), 0..6),
    )
        .prop_map(|(name, mut map)| {
            map.insert("fault".into(), Param::Str(name.into()));
            map
        })
}

fn wild_target() -> impl Strategy<Value = Target> {
    prop_oneof![
        (0usize..12).prop_map(Target::Node),
        proptest::collection::vec(0usize..12, 0..5).prop_map(Target::Nodes),
        Just(Target::One),
        Just(Target::Minority),
        Just(Target::Majority),
        Just(Target::All),
        Just(Target::Role("leader".into())),
    ]
}

fn wild_fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        Just(Fault::RandomHalves),
        Just(Fault::Bridge),
        Just(Fault::MajoritiesRing),
        Just(Fault::Heal),
        wild_target().prop_map(|target| Fault::Crash { target }),
        wild_target().prop_map(|target| Fault::Restart { target }),
        wild_target().prop_map(|target| Fault::Pause { target }),
        wild_target().prop_map(|target| Fault::Resume { target }),
        wild_target().prop_map(|target| Fault::Isolate { target }),
        (wild_target(), proptest::option::of(wild_target()))
            .prop_map(|(from, to)| Fault::OneWay { from, to }),
        proptest::collection::vec(proptest::collection::vec(0usize..12, 0..4), 0..4)
            .prop_map(|groups| Fault::Groups { groups }),
        (wild_target(), any::<i64>())
            .prop_map(|(target, offset_ms)| Fault::ClockBump { target, offset_ms }),
        (wild_target(), any::<i64>(), 0u64..50, 0u64..5_000).prop_map(
            |(target, offset_ms, period_ms, duration_ms)| Fault::ClockStrobe {
                target,
                offset_ms,
                period_ms,
                duration_ms
            }
        ),
        (wild_target(), any::<f64>()).prop_map(|(target, rate)| Fault::ClockDrift { target, rate }),
        (wild_target(), any::<f64>()).prop_map(|(target, rate)| Fault::PacketLoss { target, rate }),
        wild_target().prop_map(|target| Fault::NetReset { target }),
    ]
}

fn wild_schedule() -> impl Strategy<Value = Schedule> {
    proptest::collection::vec(
        (
            0u64..10_000,
            proptest::option::of(0u64..10_000),
            wild_fault(),
        )
            .prop_map(|(at, d, fault)| Event {
                at: SimDuration::from_millis(at),
                fault,
                duration: d.map(SimDuration::from_millis),
            }),
        0..12,
    )
    .prop_map(Schedule::new)
}

proptest! {
    #[test]
    fn any_table_reads_as_an_event_or_an_error(t in table()) {
        // Either outcome is fine; a panic is not.
        let _ = Event::from_params(t.clone());
        let _ = Fault::from_params(t);
    }

    #[test]
    fn any_schedule_validates_or_names_its_events(s in wild_schedule(), nodes in 0usize..8) {
        let errors = validate(&s, &Context::new(nodes));
        for e in &errors {
            prop_assert!(e.event < s.events.len());
            prop_assert_eq!(e.at, s.events[e.event].at);
            let prefix = format!("event {} (", e.event);
            prop_assert!(e.to_string().starts_with(&prefix), "{}", e);
        }
    }

    #[test]
    fn any_schedule_runs_without_panicking(s in wild_schedule(), nodes in 0usize..8, seed: u64) {
        let mut nemesis = Nemesis::new(&s, nodes, seed);
        let steps = nemesis.drain(&NoRoles);
        prop_assert!(steps.windows(2).all(|w| w[0].at <= w[1].at));
        for step in &steps {
            if let Some(ns) = step.action.nodes() {
                prop_assert!(ns.iter().all(|n| *n < nodes.max(1)) || ns.is_empty() || nodes == 0);
            }
        }
    }
}
