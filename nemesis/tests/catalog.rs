//! The fault catalog as `shakedown list faults` prints it.

use shakedown_nemesis::{catalog, render_catalog, Fault, ModelFaultInfo, ModelParamInfo, Param};
use std::collections::BTreeMap;

#[test]
fn catalog_text_lists_every_fault_with_its_parameters() {
    let text = render_catalog(&[]);
    for fault in catalog() {
        assert!(text.contains(fault.name), "{} missing", fault.name);
        for p in &fault.params {
            assert!(text.contains(p.name), "{}.{} missing", fault.name, p.name);
        }
    }
    insta::assert_snapshot!("catalog", text);
}

#[test]
fn model_faults_are_listed_after_the_built_ins() {
    let text = render_catalog(&[ModelFaultInfo {
        name: "hint-backlog".into(),
        description: "hold hinted handoffs instead of replaying them".into(),
        params: vec![ModelParamInfo {
            name: "throttle".into(),
            kind: "float 0.0..=1.0".into(),
            default: Some("0.0".into()),
            description: "share of hints replayed while the fault lasts".into(),
        }],
    }]);
    let model = text.find("hint-backlog").expect("listed");
    assert!(model > text.find("net-reset").expect("listed"));
    assert!(text.contains("throttle (float 0.0..=1.0, default 0.0)"));
}

/// Every catalog entry can be written as a scenario event and read back.
#[test]
fn every_catalog_entry_reads_from_a_scenario_table() {
    for info in catalog() {
        let mut table: BTreeMap<String, Param> = BTreeMap::new();
        table.insert("fault".into(), info.name.into());
        for p in info.params.iter().filter(|p| p.default.is_none()) {
            let v = match p.name {
                "groups" => Param::List(vec![Param::List(vec![Param::Int(0)])]),
                "rate" => Param::Float(0.25),
                "name" => "hint-backlog".into(),
                _ => Param::Int(3),
            };
            table.insert(p.name.to_string(), v);
        }
        let fault = Fault::from_params(table).unwrap_or_else(|e| panic!("{}: {e}", info.name));
        assert_eq!(fault.name(), info.name);
        assert_eq!(
            fault.undo().map(|u| u.name().to_string()),
            info.undo.map(str::to_string)
        );
    }
}
