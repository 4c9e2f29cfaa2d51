//! The JSONL reader never panics, and what it reads, it writes back exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shakedown_checkers::jsonl;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(history) = jsonl::parse_history(text) {
        let written = jsonl::write_history(&history);
        let back = jsonl::parse_history(&written).expect("written JSONL reads back");
        assert_eq!(
            back, history,
            "JSONL round trip changed the history:\n{written}"
        );
    }
});
