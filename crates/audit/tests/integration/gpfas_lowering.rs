//! Lowering of MS-GPFAS records into the IR: built-ins, keywords, bypass
//! forms, connection security rules and auth sets.

use smbguard_audit::read_registry_pol_policy;
use smbguard_formats::registry_pol::{RegistryEntry, write_registry_pol};
use smbguard_model::{AddrSet, PortSet, Profile};
use smbguard_semantics::{Action, Direction, Security};

const BASE: &str = r"SOFTWARE\Policies\Microsoft\WindowsFirewall";

fn lower(entries: &[RegistryEntry]) -> smbguard_audit::LoweredWindows {
    let bytes = write_registry_pol(entries).expect("encodes");
    read_registry_pol_policy(&bytes, "test.pol").expect("lowers")
}

fn rule(id: &str, text: &str) -> RegistryEntry {
    RegistryEntry::sz(format!(r"{BASE}\FirewallRules"), id, text)
}

#[test]
fn same_id_builtin_with_active_false_is_a_disabled_builtin() {
    let l = lower(&[rule(
        "FPS-SMB-In-TCP",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Private|Profile=Public|LPort=445|RA4=LocalSubnet|RA6=LocalSubnet|App=System|",
    )]);
    assert_eq!(l.policy.disabled_builtins, ["FPS-SMB-In-TCP"]);
    assert!(l.policy.rules.is_empty());
}

#[test]
fn local_subnet_is_read_as_the_widest_set_with_a_finding() {
    let l = lower(&[rule(
        "{A}",
        "v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=445|RA4=LocalSubnet|",
    )]);
    let r = &l.policy.rules[0];
    assert_eq!(r.remote_addresses, AddrSet::any_v4());
    assert_eq!(r.local_ports, PortSet::single(445));
    assert!(
        l.findings.iter().any(|f| f.message.contains("LocalSubnet")),
        "{:?}",
        l.findings
    );
}

#[test]
fn bypass_forms_inbound_and_outbound() {
    let l = lower(&[
        rule(
            "in",
            "v2.10|Action=ByPass|Active=TRUE|Dir=In|Protocol=6|LPort=445|RMauth=O:LSD:(A;;CC;;;S-1-5-21-1-2-3-4)|Security=Authenticate|Security2_9=An-NoEncap|",
        ),
        rule(
            "out",
            "v2.10|Action=Allow|Active=TRUE|Dir=Out|Protocol=6|RPort=445|RA4=10.0.0.1|Security=Authenticate|Security2_9=An-NoEncap|AuthByPassOut=TRUE|",
        ),
    ]);
    let inb = l.policy.rules.iter().find(|r| r.id == "in").expect("in");
    assert_eq!(
        (inb.action, inb.security),
        (Action::Bypass, Security::AuthenticateNoEncap)
    );
    assert_eq!(inb.remote_machines, ["S-1-5-21-1-2-3-4"]);
    let out = l.policy.rules.iter().find(|r| r.id == "out").expect("out");
    assert_eq!(
        (out.action, out.direction),
        (Action::Bypass, Direction::Outbound)
    );
    assert!(
        out.remote_addresses.v6.is_empty(),
        "RA4 only: IPv6 does not match"
    );
}

#[test]
fn consec_rule_with_kerberos_sets_isolates() {
    let l = lower(&[
        RegistryEntry::sz(
            format!(r"{BASE}\ConSecRules"),
            "csr",
            "v2.10|Action=Boundary|Active=TRUE|Auth1Set={p1}|Auth2Set={p2}|",
        ),
        RegistryEntry::sz(
            format!(r"{BASE}\Phase1AuthenticationSets\{{p1}}\0000"),
            "Method",
            "MachineKerb",
        ),
        RegistryEntry::sz(
            format!(r"{BASE}\Phase2AuthenticationSets\{{p2}}\0000"),
            "Method",
            "UserKerb",
        ),
    ]);
    assert!(Profile::ALL.iter().all(|p| l.policy.has_isolation(*p)));
}

#[test]
fn dangling_auth_set_reference_cannot_isolate() {
    // The Antignis pattern: sets named but never created.
    let l = lower(&[RegistryEntry::sz(
        format!(r"{BASE}\ConSecRules"),
        "csr",
        "v2.28|Action=SecureServer|Active=TRUE|Auth1Set=ComputerKerberos|Auth2Set=UserKerberos|",
    )]);
    assert!(!l.policy.has_isolation(Profile::Domain));
    assert!(
        l.findings
            .iter()
            .any(|f| f.message.contains("does not define")),
        "{:?}",
        l.findings
    );
}

#[test]
fn shield_up_removes_inbound_allows_in_that_profile() {
    let l = lower(&[
        rule(
            "a",
            "v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=445|",
        ),
        RegistryEntry::dword(format!(r"{BASE}\PublicProfile"), "DoNotAllowExceptions", 1),
    ]);
    assert!(!l.policy.rules[0].profiles.contains(Profile::Public));
    assert!(l.policy.rules[0].profiles.contains(Profile::Domain));
}

#[test]
fn non_tcp_udp_rules_are_dropped() {
    let l = lower(&[rule(
        "icmp",
        "v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=1|ICMP4=8:*|",
    )]);
    assert!(l.policy.rules.is_empty());
}

#[test]
fn shielded_mode_and_merge_off_reach_the_profile_defaults() {
    // The DoD STIG firewall GPO sets both merge values to 0 for Public.
    let l = lower(&[
        RegistryEntry::dword(format!(r"{BASE}\DomainProfile"), "DoNotAllowExceptions", 1),
        RegistryEntry::dword(format!(r"{BASE}\PublicProfile"), "AllowLocalPolicyMerge", 0),
        RegistryEntry::dword(
            format!(r"{BASE}\PublicProfile"),
            "AllowLocalIPsecPolicyMerge",
            0,
        ),
    ]);
    let domain = l.policy.defaults(Profile::Domain);
    assert!(domain.shielded && domain.local_rules && domain.local_ipsec_rules);
    let public = l.policy.defaults(Profile::Public);
    assert!(!public.shielded && !public.local_rules && !public.local_ipsec_rules);
    assert!(!l.policy.defaults(Profile::Private).shielded);
}

#[test]
fn crypto_set_with_null_encapsulation_first_is_read_back() {
    let set = "{11111111-2222-3333-4444-555555555555}";
    let suite = |index: &str, value: &str, text: &str| {
        RegistryEntry::sz(
            format!(r"{BASE}\Phase2CryptoSets\{set}\{index}"),
            value,
            text,
        )
    };
    let consec = RegistryEntry::sz(
        format!(r"{BASE}\ConSecRules"),
        "iso",
        format!("v2.10|Action=Boundary|Active=TRUE|Name=iso|Crypto2Set={set}|"),
    );
    let with = lower(&[
        consec.clone(),
        suite("0000", "Protocol", "ESP"),
        suite("0000", "2_9Protocol", "AUTH_NO_ENCAP"),
        suite("0000", "SkipVersion", "2.9"),
        suite("0001", "Protocol", "ESP"),
        suite("0001", "2_1EspHash", "SHA256"),
    ]);
    assert!(with.policy.connection_security[0].null_encapsulation);
    // Spellings outside MS-GPFAS §2.2.5.27's grammar are not null
    // encapsulation: Windows would not read them as such either.
    for (value, text) in [
        ("2_9Protocol", "AuthNoEncap"),
        ("Protocol", "AUTH_NO_ENCAP"),
    ] {
        let off_grammar = lower(&[consec.clone(), suite("0000", value, text)]);
        assert!(
            !off_grammar.policy.connection_security[0].null_encapsulation,
            "{value}={text}"
        );
    }
    // ESP first: the bypass rules' null encapsulation is not what is offered.
    let esp_first = lower(&[
        consec.clone(),
        suite("0000", "Protocol", "ESP"),
        suite("0001", "2_9Protocol", "AUTH_NO_ENCAP"),
    ]);
    assert!(!esp_first.policy.connection_security[0].null_encapsulation);
    // A dangling set reference is read as the default set, with a finding.
    let dangling = lower(&[consec]);
    assert!(!dangling.policy.connection_security[0].null_encapsulation);
    assert!(
        dangling
            .findings
            .iter()
            .any(|f| f.message.contains("Crypto2Set"))
    );
}
