//! `[limits]` on one run: past each, the seed's verdict is `unknown` and
//! its reason names the limit, on each engine (a runaway seed must not
//! stall a sweep, and must not pass for valid either).

use shakedown::testing;
use shakedown_checkers::Outcome;

fn verdict_with(limits: &str, engine: &str) -> (Outcome, String) {
    let dir = std::env::temp_dir().join(format!("shakedown-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{engine}-{}.toml", limits.len()));
    let text = std::fs::read_to_string("tests/fixtures/register-valid.toml")
        .unwrap()
        .replace("ops = 60", "ops = 2000")
        .replace(
            "nodes = 1\n",
            &format!("nodes = 1\nengine = \"{engine}\"\n"),
        )
        + "\n[limits]\n"
        + limits
        + "\n";
    std::fs::write(&file, text).unwrap();
    let run = testing::run_one(&file, 1);
    let v = run.summary.verdict;
    (v.outcome, v.reason.unwrap_or_default())
}

#[test]
fn each_limit_gives_unknown_with_its_reason() {
    for engine in ["discrete", "turmoil"] {
        for (limit, needle) in [
            (
                "messages_delivered_max = 100",
                "limits.messages_delivered_max (100)",
            ),
            (
                "events_handled_max = 100",
                "limits.events_handled_max (100)",
            ),
            ("history_events_max = 30", "limits.history_events_max"),
            ("wall_time = \"1ns\"", "limits.wall_time (1ns)"),
        ] {
            let (outcome, reason) = verdict_with(limit, engine);
            assert_eq!(outcome, Outcome::Unknown, "{engine} {limit}: {reason}");
            assert!(reason.contains(needle), "{engine} {limit}: {reason}");
        }
        // Generous limits change nothing.
        let (outcome, reason) = verdict_with("messages_delivered_max = 1000000", engine);
        assert_eq!(outcome, Outcome::Valid, "{engine}: {reason}");
    }
}
