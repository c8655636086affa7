//! Real Registry.pol files (fixtures/windows) are read and lowered
//! without error, read → write → read round-trips to equal entries, and the
//! lowered policy of the re-written file is the same policy.

use std::path::PathBuf;

use smbguard_audit::{lower_firewall_policy, read_registry_pol_policy};
use smbguard_formats::gpfas::FirewallPolicy;
use smbguard_formats::registry_pol::{read_registry_pol, write_registry_pol};
use smbguard_model::Profile;
use smbguard_semantics::compare_windows;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/windows")
}

const FILES: [&str; 3] = [
    "nsacyber-stig-firewall-gpo-backup/{3AD8D9F1-7CD7-4A0B-955A-8BBB76E51E23}/DomainSysvol/GPO/Machine/registry.pol",
    "hotcakex-windows-firewall-policies.registry.pol",
    "hotcakex-windows-networking-policies.registry.pol",
];

fn read(name: &str) -> Vec<u8> {
    let path = fixtures().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {} missing: {e}", path.display()))
}

#[test]
fn real_files_lower_without_error_and_round_trip() {
    for name in FILES {
        let bytes = read(name);
        let lowered = read_registry_pol_policy(&bytes, name).expect("a real file lowers");
        // Round trip: read → typed → write → read gives the same entries and policy.
        let entries = read_registry_pol(&bytes).expect("reads");
        let (typed, warnings) = FirewallPolicy::from_registry(&entries);
        let rewritten = write_registry_pol(&typed.to_registry().expect("writes")).expect("encodes");
        let again = read_registry_pol(&rewritten).expect("re-reads");
        let (typed_again, _) = FirewallPolicy::from_registry(&again);
        assert_eq!(typed, typed_again, "{name}");
        let relowered = lower_firewall_policy(&typed_again, &warnings, name);
        assert_eq!(lowered.policy, relowered.policy, "{name}");
        compare_windows(&lowered.policy, &relowered.policy).expect("same meaning");
    }
}

#[test]
fn stig_profiles_are_lowered_with_their_findings() {
    let name = FILES[0];
    let lowered = read_registry_pol_policy(&read(name), name).expect("lowers");
    assert_eq!(lowered.policy_version, Some(538));
    assert!(lowered.policy.rules.is_empty());
    for p in Profile::ALL {
        let d = lowered.policy.defaults(p);
        assert!(
            d.enabled && d.block_inbound && !d.block_outbound,
            "{p}: {d:?}"
        );
    }
    assert!(
        lowered
            .findings
            .iter()
            .any(|f| f.message.contains("AllowLocalPolicyMerge=0")),
        "{:?}",
        lowered.findings
    );
}

#[test]
fn hotcakex_outbound_default_block_is_lowered() {
    let name = FILES[1];
    let lowered = read_registry_pol_policy(&read(name), name).expect("lowers");
    assert_eq!(lowered.policy_version, Some(544));
    assert!(lowered.policy.defaults(Profile::Domain).block_outbound);
}

#[test]
fn non_firewall_values_are_counted_not_lowered() {
    let name = FILES[2];
    let lowered = read_registry_pol_policy(&read(name), name).expect("lowers");
    assert!(lowered.other_values > 0);
    assert!(lowered.policy.rules.is_empty());
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(read_registry_pol_policy(b"PReg\x02\x00\x00\x00[", "x").is_err());
    assert!(read_registry_pol_policy(b"", "x").is_err());
}
