//! Fuzz target: the estate parser, validator and compiler must never panic;
//! every diagnostic's span lies inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match smbguard_model::parse_estate(text) {
        Ok(parsed) => {
            let _ = smbguard_semantics::compile(&parsed.estate);
        }
        Err(rejected) => {
            for d in &rejected.diagnostics {
                if let Some(span) = &d.span {
                    assert!(span.end <= text.len());
                }
            }
        }
    }
});
