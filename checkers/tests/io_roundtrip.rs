//! Export then import gives back the identical history, in EDN and in JSONL;
//! every shared reference history parses.

use proptest::prelude::*;
use shakedown_checkers::value::Float;
use shakedown_checkers::{edn, jsonl, Event, EventType, History, Process, Value};
use std::path::PathBuf;

fn name() -> impl Strategy<Value = String> {
    // Keyword and symbol names as Jepsen writes them.
    "[a-z][a-z0-9*+!?<>=_-]{0,8}(/[a-z][a-z0-9-]{0,4})?".prop_filter("reserved", |s| {
        !matches!(s.as_str(), "nil" | "true" | "false")
    })
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        prop_oneof![
            any::<f64>().prop_filter("canonical NaN only", |x| !x.is_nan()),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(-0.0),
        ]
        .prop_map(|x| Value::Float(Float(x))),
        any::<String>().prop_map(Value::Str),
        name().prop_map(Value::Keyword),
        name().prop_map(Value::Symbol),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Vector),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Set),
            prop::collection::vec((inner.clone(), inner), 0..3).prop_map(Value::Map),
        ]
    })
}

fn event() -> impl Strategy<Value = Event> {
    (
        prop_oneof![
            any::<i64>().prop_map(Process::Client),
            name().prop_map(Process::Named)
        ],
        prop_oneof![
            Just(EventType::Invoke),
            Just(EventType::Ok),
            Just(EventType::Fail),
            Just(EventType::Info)
        ],
        prop_oneof![name(), any::<String>()],
        prop::option::of(value()),
        value(),
        prop::option::of(any::<i64>()),
        prop::option::of(any::<i64>()),
        prop::collection::vec(
            (
                prop_oneof![name().prop_map(Value::Keyword), value()],
                value(),
            ),
            0..3,
        ),
    )
        .prop_map(
            |(process, kind, f, key, value, time_ns, index, extra)| Event {
                process,
                kind,
                f,
                key,
                value,
                time_ns,
                index,
                // A map cannot hold the same key twice, nor a field's own name.
                extra: dedup_extra(extra),
            },
        )
}

fn dedup_extra(extra: Vec<(Value, Value)>) -> Vec<(Value, Value)> {
    let reserved = ["process", "type", "f", "key", "value", "time", "index"];
    let mut out: Vec<(Value, Value)> = Vec::new();
    for (k, v) in extra {
        let is_field = matches!(&k, Value::Keyword(n) if reserved.contains(&n.as_str()));
        if !is_field && !out.iter().any(|(seen, _)| *seen == k) {
            out.push((k, v));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn edn_export_then_import_is_identical(events in prop::collection::vec(event(), 0..6)) {
        let h = History::new(events);
        let text = edn::write_history(&h);
        let back = edn::parse_history(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back, h);
    }

    #[test]
    fn jsonl_export_then_import_is_identical(events in prop::collection::vec(event(), 0..6)) {
        let h = History::new(events);
        let text = jsonl::write_history(&h);
        let back = jsonl::parse_history(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back, h);
    }

    #[test]
    fn edn_values_round_trip(v in value()) {
        let text = v.to_string();
        prop_assert_eq!(edn::parse_value(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?, v);
    }
}

fn shared_histories() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("histories")
}

#[test]
fn every_reference_history_parses_and_round_trips() {
    let dir = shared_histories();
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("checkers/histories") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("edn") {
            continue;
        }
        let h = shakedown_checkers::read_history_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(h.len() >= 4, "{}", path.display());
        assert!(h.client_ops().is_ok(), "{}", path.display());
        assert_eq!(edn::parse_history(&edn::write_history(&h)).unwrap(), h);
        assert_eq!(jsonl::parse_history(&jsonl::write_history(&h)).unwrap(), h);
        count += 1;
    }
    assert!(
        count >= 11,
        "found only {count} histories in {}",
        dir.display()
    );
}

#[test]
fn file_errors_name_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("shakedown-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.edn");
    std::fs::write(&path, "{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0 :type :ok :f :read :value [1}\n").unwrap();
    let e = shakedown_checkers::read_history_file(&path)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with(&format!("{}:2:", path.display())), "{e}");
    let path = dir.join("bad.jsonl");
    std::fs::write(&path, "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":x}\n").unwrap();
    let e = shakedown_checkers::read_history_file(&path)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with(&format!("{}:2:45:", path.display())), "{e}");
    let e = shakedown_checkers::read_history_file(dir.join("missing.edn"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.edn"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
