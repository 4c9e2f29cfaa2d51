//! Every history in `checkers/histories/MANIFEST.tsv` (vendored from the project's reference set) gets its listed
//! verdict, with its listed model and initial state.

use shakedown_checkers::{edn, model_by_name, read_history_file, Budget, Outcome};
use std::path::PathBuf;
use std::time::Duration;

fn histories_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("histories")
}

#[test]
fn reference_histories_get_their_listed_verdicts() {
    let dir = histories_dir();
    let manifest =
        std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("checkers/histories/MANIFEST.tsv");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in manifest.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, model, initial, expected, ..] = cols.as_slice() else {
            panic!("bad manifest line {line:?}")
        };
        let initial = edn::parse_value(initial).unwrap();
        let model = model_by_name(model, initial).unwrap();
        let history = read_history_file(dir.join(file)).unwrap();
        let budget = Budget {
            time_limit: Some(Duration::from_secs(60)),
            memory_limit_bytes: Some(2 << 30),
        };
        let verdict = model.check_history(&history, budget).unwrap();
        let expected = match *expected {
            "valid" => Outcome::Valid,
            "invalid" => Outcome::Invalid,
            other => panic!("unknown expected verdict {other}"),
        };
        if verdict.outcome != expected {
            wrong.push(format!(
                "{file}: expected {expected:?}, got {:?} ({:?})",
                verdict.outcome, verdict.reason
            ));
        }
        if expected == Outcome::Invalid {
            let ce = verdict
                .counterexample
                .as_ref()
                .expect("an invalid verdict carries a counterexample");
            assert!(ce.op.is_some(), "{file}: the counterexample names the op");
            assert!(
                !ce.states.is_empty(),
                "{file}: the counterexample shows states"
            );
            assert!(!ce.explanation.is_empty());
        }
        checked += 1;
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked >= 11, "only {checked} histories listed");
}
