//! Registry entries ⇄ FirewallPolicy: real GPO fixtures, the MS-GPFAS §4
//! examples (rule, connection security rules, auth sets, crypto sets), the
//! KB3185535 pattern, and everything that does not fit.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use smbguard_formats::gpfas::{
    Action, AuthMethod, AuthPhase, BASE_KEY, ConSecAction, DefaultAction, FirewallPolicy,
    FirewallRuleRecord, PolicyWarningKind, PortEntry, PortValue, ProfileKey, SchemaVersion,
};
use smbguard_formats::registry_pol::{
    RegData, RegType, RegistryEntry, read_registry_pol, write_registry_pol,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/windows");

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{rel}")).unwrap()
}

#[test]
fn gpo_fixtures_map_to_typed_profiles_and_back_byte_exact() {
    let nsa = "nsacyber-stig-firewall-gpo-backup/{3AD8D9F1-7CD7-4A0B-955A-8BBB76E51E23}/DomainSysvol/GPO/Machine/registry.pol";
    for rel in [
        nsa,
        "hotcakex-windows-firewall-policies.registry.pol",
        "hotcakex-windows-networking-policies.registry.pol",
    ] {
        let bytes = fixture(rel);
        let entries = read_registry_pol(&bytes).unwrap();
        let (policy, warnings) = FirewallPolicy::from_registry(&entries);
        assert!(warnings.is_empty(), "{rel}: {warnings:?}");
        let back = policy.to_registry().unwrap();
        assert_eq!(back, entries, "{rel}: typed round trip changed the entries");
        assert_eq!(write_registry_pol(&back).unwrap(), bytes, "{rel}");
    }

    let (p, _) = FirewallPolicy::from_registry(&read_registry_pol(&fixture(nsa)).unwrap());
    assert_eq!(p.policy_version, Some(538));
    assert!(p.other_entries.is_empty() && p.rules.is_empty());
    let public = &p.profiles[&ProfileKey::Public];
    assert_eq!(public.firewall_enabled(), Some(true));
    assert_eq!(public.default_inbound(), Some(DefaultAction::Block));
    assert_eq!(public.default_outbound(), Some(DefaultAction::Allow));
    assert_eq!(public.local_policy_merge(), Some(false));
    assert_eq!(public.local_ipsec_policy_merge(), Some(false));
    assert_eq!(public.log_file_size, Some(16384));
    assert_eq!(p.profiles[&ProfileKey::Domain].local_policy_merge(), None);
    assert!(!p.profiles.contains_key(&ProfileKey::Standard));

    let (p, _) = FirewallPolicy::from_registry(
        &read_registry_pol(&fixture("hotcakex-windows-firewall-policies.registry.pol")).unwrap(),
    );
    assert_eq!(p.policy_version, Some(544));
    assert_eq!(p.profiles[&ProfileKey::Domain].shielded(), Some(true));
    assert_eq!(
        p.profiles[&ProfileKey::Domain].default_outbound(),
        Some(DefaultAction::Block)
    );

    let (p, _) = FirewallPolicy::from_registry(
        &read_registry_pol(&fixture(
            "hotcakex-windows-networking-policies.registry.pol",
        ))
        .unwrap(),
    );
    assert_eq!(p.other_entries.len(), 5);
    assert_eq!(p.policy_version, None);
}

fn key(sub: &str) -> String {
    format!(r"{BASE_KEY}\{sub}")
}

/// [MS-GPFAS] §4.2, §4.3, §4.4 as registry entries.
fn spec_section_4_entries() -> Vec<RegistryEntry> {
    let p1a = key(r"Phase1AuthenticationSets\{212D4E36-DB6E-4EAE-A65F-1C4615EBFDDB}");
    let p1b = key(r"Phase1AuthenticationSets\{D842F406-E895-406A-AC35-9837B6D499F4}");
    let p2a = key(r"Phase2AuthenticationSets\{A75A5046-E377-45CC-BD25-EC0F8E601CE1}");
    let p2b = key(r"Phase2AuthenticationSets\{967F0367-F879-42EC-938B-C89FE8289B26}");
    let c2 = key(r"Phase2CryptoSets\{CD863A4F-CD94-4763-AD25-69A1378D51EB}");
    let ca = "O=Contoso Corporation, CN=Contoso Corporate Root CA";
    vec![
        RegistryEntry::dword(key("PublicProfile"), "EnableFirewall", 1),
        RegistryEntry::dword(key("PublicProfile"), "DefaultInboundAction", 1),
        RegistryEntry::sz(
            key("FirewallRules"),
            "{F7EE5C6D-6C90-456B-9166-E301B1305A56}",
            r"v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Public|LPort=RPC|RPort=49000|LA4=192.168.1.0/255.255.255.0|LA4=192.168.0.0/255.255.255.0|RA4=LocalSubnet|RA6=LocalSubnet|App=c:\path\foo.exe|Name=Firewall Rule Test|Security=Authenticate|Security2_9=An-NoEncap|",
        ),
        RegistryEntry::sz(
            key("ConSecRules"),
            "{06BD9C7F-E80A-4A68-92A2-CCBF5351A60A}",
            "v2.10|Action=Secure|Active=TRUE|Profile=Private|Profile=Public|EP2_6=2006:1601::/32|EP2_6=2a01:110::/31|EP2_6=2001:4898::-2001:4898:a0:5084:ffff:ffff:ffff:ffff|EP2_6=2001:4898:e0:7025::-2001:4898:ffff:ffff:ffff:ffff:ffff:ffff|RTunnel6_2=2001:4898:e0:3084::2|Name=Tunnel From Internet To Corp|Desc=|Auth1Set={D842F406-E895-406A-AC35-9837B6D499F4}|Auth2Set={A75A5046-E377-45CC-BD25-EC0F8E601CE1}|Crypto2Set={CD863A4F-CD94-4763-AD25-69A1378D51EB}|EmbedCtxt=|",
        ),
        RegistryEntry::sz(
            key("ConSecRules"),
            "{797404C9-EEE0-4793-9271-9F09C834B902}",
            "v2.10|Action=DoNotSecure|Protocol=6|Active=TRUE|EP1Port=5357|EP1Port=5358|EP1Port=5363|EP2_4=157.56.56.23|EP2_4=157.56.59.42|EP2_4=157.56.56.92|EP2_4=157.56.59.49|EP2_4=157.56.61.37|Name=Exempt TCP Ports on Specific boxes|Desc=|EmbedCtxt=|",
        ),
        RegistryEntry::sz(
            key("ConSecRules"),
            "{840A0BA7-40F7-4ECE-A1E8-F9E8652F354B}",
            "v2.10|Action=SecureServer|Active=TRUE|Name=Domain Isolation Rule|Desc=AuthIP policy|Auth1Set={212D4E36-DB6E-4EAE-A65F-1C4615EBFDDB}|Auth2Set={967F0367-F879-42EC-938B-C89FE8289B26}|Crypto2Set={E9A15CB6-DFC4-41F8-8D14-CA62A4EC708F}|",
        ),
        RegistryEntry::sz(&p1a, "Version", "2.10"),
        RegistryEntry::sz(
            &p1a,
            "Name",
            "AuthIP Domain Isolation Rule - Phase 1 Auth Set",
        ),
        RegistryEntry::sz(format!(r"{p1a}\0000"), "Method", "MachineKerb"),
        RegistryEntry::sz(format!(r"{p1a}\0001"), "Method", "MachineCert"),
        RegistryEntry::sz(format!(r"{p1a}\0001"), "HealthCert", "FALSE"),
        RegistryEntry::sz(format!(r"{p1a}\0001"), "CAName", ca),
        RegistryEntry::sz(format!(r"{p1a}\0001"), "CertAccountMapping", "FALSE"),
        RegistryEntry::sz(format!(r"{p1a}\0001"), "ExcludeCAName", "FALSE"),
        RegistryEntry::sz(&p1b, "Version", "2.10"),
        RegistryEntry::sz(format!(r"{p1b}\0000"), "Method", "MachineCert"),
        RegistryEntry::sz(format!(r"{p1b}\0000"), "HealthCert", "FALSE"),
        RegistryEntry::sz(format!(r"{p1b}\0000"), "CAName", ca),
        RegistryEntry::sz(format!(r"{p1b}\0000"), "CertAccountMapping", "FALSE"),
        RegistryEntry::sz(format!(r"{p1b}\0000"), "ExcludeCAName", "FALSE"),
        RegistryEntry::sz(&p2a, "Version", "2.10"),
        RegistryEntry::sz(format!(r"{p2a}\0000"), "Method", "UserKerb"),
        RegistryEntry::sz(&p2b, "Version", "2.10"),
        RegistryEntry::sz(
            &p2b,
            "Name",
            "AuthIP Domain Isolation Rule - Phase 2 Auth Set",
        ),
        RegistryEntry::sz(format!(r"{p2b}\0000"), "Method", "UserKerb"),
        RegistryEntry::sz(format!(r"{p2b}\0001"), "Method", "UserNTLM"),
        RegistryEntry::sz(format!(r"{p2b}\0002"), "Method", "UserCert"),
        RegistryEntry::sz(format!(r"{p2b}\0002"), "CAName", "CN=TPM Root"),
        RegistryEntry::sz(format!(r"{p2b}\0002"), "CertAccountMapping", "TRUE"),
        RegistryEntry::sz(format!(r"{p2b}\0003"), "Method", "Anonymous"),
        RegistryEntry::sz(&c2, "Version", "2.10"),
        RegistryEntry::sz(&c2, "PFS", "Disable"),
        RegistryEntry::sz(format!(r"{c2}\0000"), "Protocol", "ESP"),
    ]
}

#[test]
fn spec_section_4_examples() {
    let entries = spec_section_4_entries();
    let (p, warnings) = FirewallPolicy::from_registry(&entries);
    assert!(warnings.is_empty(), "{warnings:?}");

    assert_eq!(
        p.profiles[&ProfileKey::Public].default_inbound(),
        Some(DefaultAction::Block)
    );
    assert_eq!(p.rules.len(), 1);
    assert_eq!(p.rules[0].0, "{F7EE5C6D-6C90-456B-9166-E301B1305A56}");
    assert_eq!(p.consec_rules.len(), 3);
    assert_eq!(p.consec_rules[2].1.action, Some(ConSecAction::SecureServer));

    let p1 = p
        .phase1_auth_sets
        .get("{212d4e36-db6e-4eae-a65f-1c4615ebfddb}")
        .unwrap();
    assert_eq!(p1.version, Some(SchemaVersion::V2_10));
    assert_eq!(
        p1.name.as_deref(),
        Some("AuthIP Domain Isolation Rule - Phase 1 Auth Set")
    );
    assert_eq!(p1.suites.len(), 2);
    assert_eq!(p1.suites[0].0, "0000");
    assert_eq!(p1.suites[0].1.method, Some(AuthMethod::MachineKerb));
    assert_eq!(p1.suites[1].1.method, Some(AuthMethod::MachineCert));
    assert_eq!(p1.suites[1].1.health_cert, Some(false));
    assert_eq!(
        p1.suites[1].1.ca_name.as_deref(),
        Some("O=Contoso Corporation, CN=Contoso Corporate Root CA")
    );
    let p2 = p
        .phase2_auth_sets
        .get("{967F0367-F879-42EC-938B-C89FE8289B26}")
        .unwrap();
    let methods: Vec<_> = p2
        .suites
        .iter()
        .map(|(_, s)| s.method.clone().unwrap())
        .collect();
    assert_eq!(
        methods,
        vec![
            AuthMethod::UserKerb,
            AuthMethod::UserNtlm,
            AuthMethod::UserCert,
            AuthMethod::Anonymous
        ]
    );
    assert_eq!(p2.suites[2].1.cert_account_mapping, Some(true));
    // The §4 phase 2 crypto set is typed (§2.2.5): nothing is left over.
    assert!(p.other_entries.is_empty(), "{:?}", p.other_entries);
    let qm = p
        .phase2_crypto_sets
        .get("{cd863a4f-cd94-4763-ad25-69a1378d51eb}")
        .unwrap();
    assert_eq!(qm.version.as_deref(), Some("2.10"));
    assert_eq!(qm.pfs.as_deref(), Some("Disable"));
    assert_eq!(qm.suites[0].1.protocol.as_deref(), Some("ESP"));
    assert!(!qm.suites[0].1.is_auth_no_encap());

    // Typed round trip; output differs from the input only in canonical forms.
    let back = p.to_registry().unwrap();
    assert_eq!(FirewallPolicy::from_registry(&back), (p.clone(), vec![]));
    let changed: Vec<_> = entries.iter().filter(|e| !back.contains(e)).collect();
    // UserNTLM → UserNtlm; the DoNotSecure example gets `Active` before `Protocol`.
    assert_eq!(changed.len(), 2, "{changed:#?}");
    let auth_in: Vec<_> = entries
        .iter()
        .filter(|e| e.key.contains("Authentication"))
        .collect();
    let auth_out: Vec<_> = back
        .iter()
        .filter(|e| e.key.contains("Authentication"))
        .collect();
    assert_eq!(auth_in.len(), auth_out.len());
    for (a, b) in auth_in.iter().zip(&auth_out) {
        if a.value == "Method" && a.data.as_str() == Some("UserNTLM") {
            assert_eq!(b.data.as_str(), Some("UserNtlm"));
        } else {
            assert_eq!(a, b, "auth set entries keep the §4.4 order");
        }
    }

    // And through a real file.
    let bytes = write_registry_pol(&back).unwrap();
    let (p2, w) = FirewallPolicy::from_registry(&read_registry_pol(&bytes).unwrap());
    assert!(w.is_empty());
    assert_eq!(p2, p);
}

/// The KB3185535 pattern a compiler would emit (reference §7), with built-in
/// rules disabled by same-ID override.
#[test]
fn kb3185535_policy_roundtrip_through_registry_pol() {
    let mut p = FirewallPolicy {
        policy_version: Some(0x021A),
        ..FirewallPolicy::default()
    };
    for key in [ProfileKey::Domain, ProfileKey::Private, ProfileKey::Public] {
        let s = p.profiles.entry(key).or_default();
        s.enable_firewall = Some(1);
        s.default_inbound_action = Some(1);
    }
    let mut block = FirewallRuleRecord::new(SchemaVersion::V2_10);
    block.action = Some(Action::Block);
    block.active = Some(true);
    block.direction = Some(smbguard_formats::gpfas::Direction::In);
    block.protocol = Some(6);
    block
        .local_ports
        .push(PortEntry::new(PortValue::Single(445)));
    block.name = Some("SMB: block inbound".into());
    let mut bypass = block.clone();
    bypass.action = Some(Action::ByPass);
    bypass.remote_machine_auth = Some("O:LSD:(A;;CC;;;S-1-5-21-1-2-3-1111)".into());
    bypass.security = Some(smbguard_formats::gpfas::Security::Authenticate);
    bypass.security2_9 = Some(smbguard_formats::gpfas::Security2_9::AnNoEncap);
    let (mut fps, _) = FirewallRuleRecord::parse("v2.33|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Private|Profile=Public|LPort=445|RA4=LocalSubnet|RA6=LocalSubnet|App=System|Name=@FirewallAPI.dll,-28511|Desc=@FirewallAPI.dll,-28514|EmbedCtxt=@FirewallAPI.dll,-28502|").unwrap();
    fps.active = Some(false);
    p.rules = vec![
        ("{00000000-0000-0000-0000-000000000001}".into(), block),
        ("{00000000-0000-0000-0000-000000000002}".into(), bypass),
        ("FPS-SMB-In-TCP".into(), fps),
    ];
    let (mut csr, _) = smbguard_formats::gpfas::ConSecRuleRecord::parse(
        "v2.10|Action=Boundary|Active=TRUE|Auth1Set={p1}|Auth2Set={p2}|Name=SMB isolation|",
    )
    .unwrap();
    csr.embedded_context = Some("SMB lateral movement".into());
    p.consec_rules.push(("{csr}".into(), csr));
    let set = p.phase1_auth_sets.set_for_test("{p1}");
    set.version = Some(SchemaVersion::V2_10);
    set.suites.push((
        "0000".into(),
        smbguard_formats::gpfas::AuthSuite {
            method: Some(AuthMethod::MachineKerb),
            ..Default::default()
        },
    ));
    p.directives
        .push(RegistryEntry::delete_all_values(key("FirewallRules")));

    let entries = p.to_registry().unwrap();
    assert_eq!(entries[0].value, "**DelVals.");
    assert_eq!(
        entries[1],
        RegistryEntry::dword(BASE_KEY, "PolicyVersion", 538)
    );
    let bytes = write_registry_pol(&entries).unwrap();
    let (back, warnings) = FirewallPolicy::from_registry(&read_registry_pol(&bytes).unwrap());
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(back, p);
}

trait SetForTest {
    fn set_for_test(&mut self, id: &str) -> &mut smbguard_formats::gpfas::AuthSet;
}

impl SetForTest for smbguard_formats::gpfas::AuthSets {
    fn set_for_test(&mut self, id: &str) -> &mut smbguard_formats::gpfas::AuthSet {
        self.sets.push((id.to_owned(), Default::default()));
        &mut self.sets.last_mut().unwrap().1
    }
}

#[test]
fn misfits_are_kept_verbatim_with_warnings() {
    let entries = vec![
        RegistryEntry::sz(BASE_KEY, "PolicyVersion", "538"), // wrong type
        RegistryEntry::dword(BASE_KEY, "NoSuchGlobal", 1),   // unknown value
        RegistryEntry::sz(key("FirewallRules"), "bad", "v2.10|Protocol=Any|"), // rejected rule
        RegistryEntry::dword(key("FirewallRules"), "dw", 1), // rule with wrong type
        RegistryEntry::sz(key("FirewallRules"), "warn", "v2.10|Action=Allow|Frob=1|"), // kept, warned
        RegistryEntry::sz(
            key(r"Phase1AuthenticationSet\{s}\0000"),
            "Method",
            "MachineKerb",
        ), // singular key
        RegistryEntry::sz(
            key(r"Phase2AuthenticationSets\{t}\0000"),
            "Method",
            "MachineKerb",
        ), // wrong phase
        RegistryEntry::sz(
            key(r"Phase2AuthenticationSets\{t}\0000"),
            "HealthCert",
            "maybe",
        ), // invalid bool
        RegistryEntry::sz(
            key("Phase2AuthenticationSets"),
            "{E5A5D32A-4BCE-4E4D-B07F-4AB1BA7E5FE4}",
            "{renamed}",
        ),
        RegistryEntry::sz(
            key(r"DomainProfile\Logging"),
            "LogFilePath",
            r"%windir%\fw.log",
        ),
        RegistryEntry::sz(key("DomainProfile"), "EnableFirewall", "1"), // wrong type
        RegistryEntry::sz(key(r"MainModeRules"), "{mm}", "v2.10|Name=x|"), // not modelled, silent
    ];
    // A deletion marker placed first acts on the client's previous state only.
    let entries: Vec<_> = std::iter::once(RegistryEntry::delete_all_values(key("FirewallRules")))
        .chain(entries)
        .collect();
    let (p, warnings) = FirewallPolicy::from_registry(&entries);
    let mut kinds: Vec<(&str, &PolicyWarningKind)> = warnings
        .iter()
        .map(|w| (w.value.as_str(), &w.kind))
        .collect();
    // Key spelling is fixed before anything else.
    assert_eq!(
        kinds.remove(0),
        ("Method", &PolicyWarningKind::NonCanonicalKeyName)
    );
    assert!(
        matches!(
            kinds[0],
            (
                "PolicyVersion",
                PolicyWarningKind::WrongType {
                    expected: RegType::Dword,
                    found: RegType::Sz
                }
            )
        ),
        "{kinds:?}"
    );
    assert_eq!(kinds[1], ("NoSuchGlobal", &PolicyWarningKind::UnknownValue));
    assert!(matches!(
        kinds[2],
        ("bad", PolicyWarningKind::RuleRejected(_))
    ));
    assert!(matches!(
        kinds[3],
        ("dw", PolicyWarningKind::WrongType { .. })
    ));
    assert!(matches!(kinds[4], ("warn", PolicyWarningKind::Rule(_))));
    assert_eq!(
        kinds[5],
        ("Method", &PolicyWarningKind::MethodNotAllowedInPhase)
    );
    assert_eq!(
        kinds[6],
        (
            "HealthCert",
            &PolicyWarningKind::InvalidValue("expected TRUE or FALSE")
        )
    );
    assert!(matches!(
        kinds[7],
        ("EnableFirewall", PolicyWarningKind::WrongType { .. })
    ));
    assert_eq!(kinds.len(), 8);

    assert_eq!(p.policy_version, None);
    assert_eq!(p.rules.len(), 1);
    assert_eq!(p.rules[0].1.unknown, vec!["Frob=1"]);
    assert!(p.phase1_auth_sets.get("{s}").is_some());
    assert_eq!(
        p.phase2_auth_sets.renamed_defaults,
        vec![(
            AuthPhase::Phase2.default_set_id().to_owned(),
            "{renamed}".to_owned()
        )]
    );
    assert_eq!(
        p.profiles[&ProfileKey::Domain].log_file_path.as_deref(),
        Some(r"%windir%\fw.log")
    );
    assert_eq!(p.directives.len(), 1);
    let other: Vec<&str> = p.other_entries.iter().map(|e| e.value.as_str()).collect();
    assert_eq!(
        other,
        vec![
            "PolicyVersion",
            "NoSuchGlobal",
            "bad",
            "dw",
            "HealthCert",
            "EnableFirewall",
            "{mm}"
        ]
    );

    // Stable under a second round.
    let again = FirewallPolicy::from_registry(&p.to_registry().unwrap()).0;
    assert_eq!(again, p);
}

#[test]
fn directives_delete_earlier_values_and_are_kept() {
    let rules = key("FirewallRules");
    let entries = vec![
        RegistryEntry::sz(&rules, "old", "v2.10|Action=Allow|"),
        RegistryEntry::delete_all_values(&rules),
        RegistryEntry::sz(&rules, "new", "v2.10|Action=Block|"),
        RegistryEntry {
            key: rules.clone(),
            value: "**Del.gone".into(),
            kind: RegType::Dword,
            data: RegData::Dword(0),
        },
    ];
    let (p, w) = FirewallPolicy::from_registry(&entries);
    assert!(w.is_empty());
    assert_eq!(p.rules.len(), 1);
    assert_eq!(p.rules[0].0, "new");
    assert_eq!(p.directives.len(), 2);
    let out = p.to_registry().unwrap();
    assert_eq!(out[0].value, "**DelVals.");
    assert_eq!(out[1].value, "**Del.gone");
    assert_eq!(out[2].value, "new");
}

#[test]
fn pipe_in_rule_value_fails_to_write_naming_rule_and_field() {
    let rule = FirewallRuleRecord {
        name: Some("a|b".into()),
        ..FirewallRuleRecord::default()
    };
    let p = FirewallPolicy {
        rules: vec![("{id}".into(), rule)],
        ..FirewallPolicy::default()
    };
    let e = p.to_registry().unwrap_err();
    assert_eq!(
        e.location(),
        &smbguard_formats::Location::PolicyRule { id: "{id}".into() }
    );
    assert!(e.to_string().contains("`Name`"), "{e}");
}
