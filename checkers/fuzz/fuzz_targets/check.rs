//! Whatever history the EDN reader accepts, every model checks it without
//! panicking, within a small budget.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shakedown_checkers::{edn, model_by_name, Budget, Value, MODELS};
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(history) = edn::parse_history(text) else {
        return;
    };
    let budget = Budget {
        time_limit: Some(Duration::from_millis(50)),
        memory_limit_bytes: Some(64 << 20),
    };
    for (name, _) in MODELS {
        for initial in [Value::Nil, Value::Int(0)] {
            if let Ok(model) = model_by_name(name, initial) {
                let _ = model.check_history(&history, budget);
            }
        }
    }
});
