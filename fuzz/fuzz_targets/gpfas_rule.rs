//! Fuzz target: MS-GPFAS firewall and connection security rule parsers must never
//! panic, and every parsed record must survive write → parse unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smbguard_formats::gpfas::{parse_consec_rule, parse_firewall_rule};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((rule, _)) = parse_firewall_rule(text) {
        let written = rule
            .to_rule_string()
            .expect("parsed values never contain `|`");
        assert_eq!(
            parse_firewall_rule(&written).map(|(r, _)| r).ok(),
            Some(rule)
        );
    }
    if let Ok((rule, _)) = parse_consec_rule(text) {
        let written = rule
            .to_rule_string()
            .expect("parsed values never contain `|`");
        assert_eq!(parse_consec_rule(&written).map(|(r, _)| r).ok(), Some(rule));
    }
});
