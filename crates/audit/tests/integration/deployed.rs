//! Deployed GPOs laid over smbguard's own policy (`overlay`): what they
//! configure wins, what they leave unconfigured does not, and a same-ID rule
//! replaces smbguard's copy.

use smbguard_audit::{DeployedGpo, overlay, read_deployed_gpo};
use smbguard_formats::registry_pol::{RegistryEntry, write_registry_pol};
use smbguard_model::{Profile, parse_estate};
use smbguard_semantics::{Action, WindowsPolicy, compile};

const BASE: &str = r"SOFTWARE\Policies\Microsoft\WindowsFirewall";

fn gpo(entries: &[RegistryEntry]) -> DeployedGpo {
    let bytes = write_registry_pol(entries).expect("encodes");
    read_deployed_gpo(&bytes, "deployed.pol").expect("reads")
}

fn dword(profile: &str, value: &str, data: u32) -> RegistryEntry {
    RegistryEntry::dword(format!(r"{BASE}\{profile}"), value, data)
}

/// The example's domain controllers' policy.
fn dcs() -> WindowsPolicy {
    let estate = parse_estate(smbguard_model::EXAMPLE_ESTATE)
        .expect("example parses")
        .estate;
    let plan = compile(&estate).expect("example compiles");
    plan.hosts
        .iter()
        .find(|h| h.group == "domain-controllers")
        .and_then(|h| h.windows())
        .expect("a Windows DC group")
        .clone()
}

#[test]
fn configured_values_win_and_unconfigured_ones_do_not() {
    let own = dcs();
    let shield = gpo(&[
        dword("DomainProfile", "DoNotAllowExceptions", 1),
        dword("PublicProfile", "AllowLocalPolicyMerge", 0),
    ]);
    let merged = overlay(&own, &[shield]);
    let domain = merged.defaults(Profile::Domain);
    assert!(domain.shielded);
    // Not configured by the GPO: smbguard's (Windows') values stay.
    assert_eq!(
        domain.block_inbound,
        own.defaults(Profile::Domain).block_inbound
    );
    assert!(domain.local_rules && domain.enabled);
    assert!(!merged.defaults(Profile::Public).local_rules);
    assert!(!merged.defaults(Profile::Private).shielded);
    assert_eq!(merged.rules, own.rules, "a GPO without rules adds none");
}

#[test]
fn the_higher_gpo_wins_a_conflict() {
    let own = dcs();
    let off = gpo(&[dword("DomainProfile", "DoNotAllowExceptions", 0)]);
    let on = gpo(&[dword("DomainProfile", "DoNotAllowExceptions", 1)]);
    assert!(
        overlay(&own, &[on.clone(), off.clone()])
            .defaults(Profile::Domain)
            .shielded
    );
    assert!(!overlay(&own, &[off, on]).defaults(Profile::Domain).shielded);
}

#[test]
fn a_same_id_rule_replaces_smbguards_copy_and_builtins_are_replaced_too() {
    let own = dcs();
    let target = own
        .rules
        .iter()
        .find(|r| r.action == Action::Allow)
        .expect("an allow rule");
    let text = "v2.10|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=445|";
    let foreign = gpo(&[
        RegistryEntry::sz(format!(r"{BASE}\FirewallRules"), target.id.clone(), text),
        RegistryEntry::sz(
            format!(r"{BASE}\FirewallRules"),
            "FPSSMBD-iWARP-In-TCP",
            "v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=5445|",
        ),
    ]);
    let merged = overlay(&own, &[foreign]);
    let copies: Vec<_> = merged.rules.iter().filter(|r| r.id == target.id).collect();
    assert_eq!(copies.len(), 1, "one rule per ID");
    assert_eq!(copies[0].action, Action::Block, "the GPO's copy wins");
    assert_eq!(merged.rules.len(), own.rules.len() + 1);
    assert!(merged.disabled_builtins.contains(&"FPSSMBD-iWARP-In-TCP"));
    assert!(merged.rules.iter().any(|r| r.id == "FPSSMBD-iWARP-In-TCP"));
}
