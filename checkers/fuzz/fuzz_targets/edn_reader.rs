//! The EDN reader never panics, and what it reads, it writes back exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shakedown_checkers::edn;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = edn::parse_value(text);
    if let Ok(history) = edn::parse_history(text) {
        let written = edn::write_history(&history);
        let back = edn::parse_history(&written).expect("written EDN reads back");
        assert_eq!(
            back, history,
            "EDN round trip changed the history:\n{written}"
        );
    }
});
