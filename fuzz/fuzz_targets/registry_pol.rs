//! Fuzz target: Registry.pol reader, special-value interpreter and firewall
//! policy mapping must never panic; whatever is read and writable must read
//! back identically.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smbguard_formats::gpfas::FirewallPolicy;
use smbguard_formats::registry_pol::{
    read_registry_pol, read_registry_pol_partial, resolve, write_registry_pol,
};

fuzz_target!(|data: &[u8]| {
    let outcome = read_registry_pol_partial(data);
    if let Some(err) = &outcome.error {
        assert!(err.offset().is_none_or(|o| o <= data.len()));
    }
    let _ = resolve(&outcome.entries);
    let (policy, _warnings) = FirewallPolicy::from_registry(&outcome.entries);
    if let Ok(entries) = policy.to_registry() {
        let (again, _) = FirewallPolicy::from_registry(&entries);
        assert_eq!(again, policy);
    }
    if let Ok(bytes) = write_registry_pol(&outcome.entries) {
        assert_eq!(
            read_registry_pol(&bytes).ok().as_ref(),
            Some(&outcome.entries)
        );
    }
});
