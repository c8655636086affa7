//! Property tests: write → read round trips for random records and entries, and
//! "never panics" on arbitrary bytes and strings.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use smbguard_formats::gpfas::{
    Action, AddressKeyword, AddressKeyword2, ConSecAction, ConSecRuleRecord, Direction, EdgeDefer,
    FirewallPolicy, FirewallRuleRecord, IcmpTypeCode, InterfaceType, Ipv4Spec, Ipv6Spec, KeyModule,
    Platform, PlatformOp, PortEntry, PortKeyword, PortValue, Profile, SchemaVersion, Security,
    Security2, Security2_9, TrustTupleKeyword, parse_consec_rule, parse_firewall_rule,
};
use smbguard_formats::registry_pol::{
    HEADER, RegData, RegType, RegistryEntry, read_registry_pol, read_registry_pol_partial, resolve,
    write_registry_pol,
};

/// 256 cases by default; `PROPTEST_CASES` overrides.
fn config() -> ProptestConfig {
    ProptestConfig::default()
}

fn pick<T: Clone + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(all)
}

fn version() -> impl Strategy<Value = SchemaVersion> {
    (any::<u8>(), any::<u8>()).prop_map(|(a, b)| SchemaVersion::new(a, b))
}

/// Free text for string fields: anything but `|` (the grammar cannot carry it).
fn text() -> impl Strategy<Value = String> {
    "[^|]{0,12}"
}

fn opt<S: Strategy>(s: S) -> impl Strategy<Value = Option<S::Value>> {
    proptest::option::of(s)
}

fn list<S: Strategy>(s: S) -> impl Strategy<Value = Vec<S::Value>> {
    proptest::collection::vec(s, 0..4)
}

/// An identifier that is not a known keyword of `known` (case-insensitively).
fn other_word(known: &'static [&'static str]) -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9]{0,8}".prop_filter("known keyword", move |s| {
        !known.iter().any(|k| k.eq_ignore_ascii_case(s))
    })
}

const PORT_KEYWORDS: &[&str] = &[
    "RPC",
    "RPC-EPMap",
    "Teredo",
    "IPTLSIn",
    "IPHTTPSIn",
    "IPTLSOut",
    "IPHTTPSOut",
    "Ply2Disc",
    "DHCP",
    "mDNS",
    "CortanaOut",
    "TcpCDPSvc",
];
const ADDR2_KEYWORDS: &[&str] = &[
    "IntrAnet",
    "IntErnet",
    "Ply2Renders",
    "RmtIntrAnet",
    "CaptivePortal",
];
const TTK_KEYWORDS: &[&str] = &[
    "Proximity",
    "ProxSharing",
    "WFDPrint",
    "WFDDisplay",
    "WFDDevices",
    "WFDKmDriver",
    "UPnP",
    "WFDCDPSvc",
];

fn port_entry() -> impl Strategy<Value = PortEntry> {
    let value = prop_oneof![
        any::<u16>().prop_map(PortValue::Single),
        (any::<u16>(), any::<u16>()).prop_map(|(a, b)| PortValue::Range(a, b)),
        other_word(PORT_KEYWORDS)
            .prop_map(|s| PortValue::Keyword(PortKeyword::Other(s)))
            .boxed(),
        proptest::sample::select(PORT_KEYWORDS)
            .prop_map(|s| PortValue::Keyword(PortKeyword::parse(s))),
    ];
    (opt(version()), value).prop_map(|(token_version, value)| PortEntry {
        token_version,
        value,
    })
}

fn v4(keywords: bool) -> BoxedStrategy<Ipv4Spec> {
    let addr = any::<u32>().prop_map(Ipv4Addr::from);
    let base = prop_oneof![
        addr.clone().prop_map(Ipv4Spec::Single),
        (addr.clone(), addr.clone()).prop_map(|(a, b)| Ipv4Spec::Range(a, b)),
        (addr.clone(), 0u8..=32).prop_map(|(a, n)| Ipv4Spec::Prefix(a, n)),
        (addr.clone(), addr).prop_map(|(a, m)| Ipv4Spec::Masked(a, m)),
    ];
    if keywords {
        prop_oneof![base, pick(AddressKeyword::ALL).prop_map(Ipv4Spec::Keyword)].boxed()
    } else {
        base.boxed()
    }
}

fn v6(keywords: bool) -> BoxedStrategy<Ipv6Spec> {
    let addr = any::<u128>().prop_map(Ipv6Addr::from);
    let base = prop_oneof![
        addr.clone().prop_map(Ipv6Spec::Single),
        (addr.clone(), addr.clone()).prop_map(|(a, b)| Ipv6Spec::Range(a, b)),
        (addr, 0u8..=128).prop_map(|(a, n)| Ipv6Spec::Prefix(a, n)),
    ];
    if keywords {
        prop_oneof![base, pick(AddressKeyword::ALL).prop_map(Ipv6Spec::Keyword)].boxed()
    } else {
        base.boxed()
    }
}

fn addr2() -> impl Strategy<Value = AddressKeyword2> {
    prop_oneof![
        proptest::sample::select(ADDR2_KEYWORDS).prop_map(AddressKeyword2::parse),
        other_word(ADDR2_KEYWORDS).prop_map(AddressKeyword2::Other),
    ]
}

fn ttk() -> impl Strategy<Value = TrustTupleKeyword> {
    use TrustTupleKeyword as T;
    prop_oneof![
        proptest::sample::select(vec![
            T::Proximity,
            T::ProxSharing,
            T::WfdPrint,
            T::WfdDisplay,
            T::WfdDevices,
            T::WfdKmDriver,
            T::UPnP,
            T::WfdCdpSvc,
        ]),
        (opt(version()), other_word(TTK_KEYWORDS)).prop_map(|(token_version, value)| T::Other {
            token_version,
            value
        }),
    ]
}

/// Unknown fields: tokens no parser knows, with or without `=`.
fn unknown_field() -> impl Strategy<Value = String> {
    ("Zz[a-z0-9]{0,5}", opt(text())).prop_map(|(t, v)| match v {
        Some(v) => format!("{t}={v}"),
        None => t,
    })
}

fn icmp() -> impl Strategy<Value = IcmpTypeCode> {
    (any::<u8>(), opt(any::<u8>())).prop_map(|(icmp_type, code)| IcmpTypeCode { icmp_type, code })
}

fn platform() -> impl Strategy<Value = Platform> {
    (0u8..=7, any::<u8>(), any::<u8>()).prop_map(|(platform, major, minor)| Platform {
        platform,
        major,
        minor,
    })
}

prop_compose! {
    fn firewall_rule()(
        head in (version(), opt(pick(Action::ALL)), opt(any::<bool>()), opt(pick(Direction::ALL)), opt(any::<u8>()), list(pick(Profile::ALL))),
        ports in (list(port_entry()), list(port_entry()), list(icmp()), list(icmp())),
        addrs in (list(v4(false)), list(v6(false)), list(v4(true)), list(v6(true)), list(addr2()), list(addr2())),
        ifs in (list(text()), list(pick(InterfaceType::ALL))),
        strs in (opt(text()), opt(text()), opt(text()), opt(text()), opt(text()), opt(text()), opt(text()), opt(text()), opt(text()), opt(text()), opt(text())),
        flags in (opt(any::<bool>()), opt(pick(EdgeDefer::ALL)), opt(any::<bool>()), opt(any::<bool>()), opt(any::<bool>()), opt(any::<bool>()), opt(version())),
        sec in (opt(pick(Security::ALL)), opt(pick(Security2_9::ALL)), opt(pick(Security2::ALL)), list(platform()), opt(pick(PlatformOp::ALL))),
        tail in (opt(text()), list(ttk()), list(text()), opt(text()), list(unknown_field())),
    ) -> FirewallRuleRecord {
        let mut r = FirewallRuleRecord::new(head.0);
        (r.action, r.active, r.direction, r.protocol, r.profiles) = (head.1, head.2, head.3, head.4, head.5);
        (r.local_ports, r.remote_ports, r.icmp4, r.icmp6) = ports;
        (r.local_v4, r.local_v6, r.remote_v4, r.remote_v6, r.remote_v4_keywords, r.remote_v6_keywords) = addrs;
        (r.interfaces, r.interface_types) = ifs;
        (r.app, r.service, r.name, r.description, r.embedded_context, r.remote_machine_auth, r.remote_user_auth,
            r.local_user_auth, r.local_user_auth2_24, r.local_user_owner, r.app_package_id) = strs;
        (r.edge, r.defer, r.loose_source_mapping, r.auth_bypass_out, r.local_only_mapping, r.profile_crossing, r.skip_version) = flags;
        (r.security, r.security2_9, r.security2, r.platforms, r.platform_op) = sec;
        (r.security_realm_id, r.trust_tuple_keywords, r.network_names, _, r.unknown) = (tail.0, tail.1, tail.2, tail.3, tail.4);
        r
    }
}

prop_compose! {
    fn consec_rule()(
        head in (version(), opt(pick(ConSecAction::ALL)), opt(any::<bool>()), opt(any::<u8>()), list(pick(Profile::ALL))),
        eps in (list(port_entry()), list(port_entry()), list(v4(true)), list(v4(true)), list(v6(true)), list(v6(true))),
        tunnels in (opt(any::<u32>().prop_map(Ipv4Addr::from)), opt(any::<u128>().prop_map(Ipv6Addr::from)), opt(any::<u32>().prop_map(Ipv4Addr::from)), opt(any::<u128>().prop_map(Ipv6Addr::from)), opt(text()), list(v4(true)), list(v6(true))),
        strs in (opt(text()), opt(text()), opt(text()), opt(text()), opt(text()), opt(text()), opt(text()), opt(text())),
        flags in (opt(any::<bool>()), opt(any::<bool>()), opt(any::<bool>()), list(pick(KeyModule::ALL)), opt(any::<bool>()), opt(any::<bool>()), opt(any::<u32>()), opt(any::<bool>())),
        misc in (list(platform()), opt(pick(PlatformOp::ALL)), opt(version()), list(text()), list(pick(InterfaceType::ALL)), list(unknown_field())),
    ) -> ConSecRuleRecord {
        let mut r = ConSecRuleRecord::new(head.0);
        (r.action, r.active, r.protocol, r.profiles) = (head.1, head.2, head.3, head.4);
        (r.endpoint1_ports, r.endpoint2_ports, r.endpoint1_v4, r.endpoint2_v4, r.endpoint1_v6, r.endpoint2_v6) = eps;
        (r.remote_tunnel_v4, r.remote_tunnel_v6, r.local_tunnel_v4_dtm, r.local_tunnel_v6_dtm, r.remote_tunnel_fqdn,
            r.remote_tunnel_endpoints_v4, r.remote_tunnel_endpoints_v6) = tunnels;
        (r.name, r.description, r.auth1_set, r.auth2_set, r.crypto2_set, r.embedded_context,
            r.transport_machine_authz_sddl, r.transport_user_authz_sddl) = strs;
        (r.secure_in_clear_out, r.bypass_tunnel, r.authz, r.key_modules, r.key_manager_dictate,
            r.key_manager_notify, r.forward_lifetime, r.security_realm_enabled) = flags;
        (r.platforms, r.platform_op, r.skip_version, r.interfaces, r.interface_types, r.unknown) = misc;
        r
    }
}

const KNOWN_CODES: &[u32] = &[0, 1, 2, 3, 4, 5, 7, 11];

/// Names as the grammar allows them: printable, no control characters.
fn name() -> impl Strategy<Value = String> {
    "[^\\x00-\\x1f]{0,20}"
}

fn entry() -> impl Strategy<Value = RegistryEntry> {
    let typed = prop_oneof![
        "[^\\x00]{0,30}".prop_map(|s| (RegType::Sz, RegData::String(s))),
        "[^\\x00]{0,30}".prop_map(|s| (RegType::ExpandSz, RegData::String(s))),
        proptest::collection::vec("[^\\x00]{1,8}", 0..4)
            .prop_map(|v| (RegType::MultiSz, RegData::MultiString(v))),
        any::<u32>().prop_map(|v| (RegType::Dword, RegData::Dword(v))),
        any::<u32>().prop_map(|v| (RegType::DwordBigEndian, RegData::Dword(v))),
        any::<u64>().prop_map(|v| (RegType::Qword, RegData::Qword(v))),
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| (RegType::Binary, RegData::Bytes(b))),
        (
            any::<u32>().prop_filter("known", |c| !KNOWN_CODES.contains(c)),
            proptest::collection::vec(any::<u8>(), 0..10)
        )
            .prop_map(|(c, b)| (RegType::Other(c), RegData::Bytes(b))),
        // Raw bytes under a typed kind: kept only if they are not canonical.
        (
            pick(
                &[
                    RegType::Sz,
                    RegType::MultiSz,
                    RegType::Dword,
                    RegType::Qword,
                    RegType::None
                ][..]
            ),
            proptest::collection::vec(any::<u8>(), 0..12)
        )
            .prop_map(|(k, b)| (k, RegData::decode(k, &b))),
    ];
    (name(), name(), typed).prop_map(|(key, value, (kind, data))| RegistryEntry {
        key,
        value,
        kind,
        data,
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn firewall_record_write_parse_roundtrip(r in firewall_rule()) {
        let s = r.to_rule_string().unwrap();
        let (parsed, _warnings) = parse_firewall_rule(&s).unwrap();
        prop_assert_eq!(&parsed, &r, "string: {}", s);
        prop_assert_eq!(parsed.to_rule_string().unwrap(), s);
    }

    #[test]
    fn consec_record_write_parse_roundtrip(r in consec_rule()) {
        let s = r.to_rule_string().unwrap();
        let (parsed, _warnings) = parse_consec_rule(&s).unwrap();
        prop_assert_eq!(&parsed, &r, "string: {}", s);
    }

    #[test]
    fn registry_entries_write_read_roundtrip(entries in proptest::collection::vec(entry(), 0..12)) {
        let bytes = write_registry_pol(&entries).unwrap();
        prop_assert_eq!(read_registry_pol(&bytes).unwrap(), entries.clone());
        // Deterministic.
        prop_assert_eq!(write_registry_pol(&entries).unwrap(), bytes);
    }

    #[test]
    fn registry_reader_never_panics_on_bytes(tail in proptest::collection::vec(any::<u8>(), 0..300), with_header in any::<bool>()) {
        let mut bytes = if with_header { HEADER.to_vec() } else { Vec::new() };
        bytes.extend(tail);
        let outcome = read_registry_pol_partial(&bytes);
        if let Some(err) = &outcome.error {
            prop_assert!(err.offset().is_some_and(|o| o <= bytes.len()));
        }
        let _ = resolve(&outcome.entries);
        let _ = FirewallPolicy::from_registry(&outcome.entries);
    }

    #[test]
    fn registry_reader_survives_mutations(entries in proptest::collection::vec(entry(), 1..6), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
        let mut bytes = write_registry_pol(&entries).unwrap();
        for (i, b) in flips {
            let at = i.index(bytes.len());
            bytes[at] = b;
        }
        let outcome = read_registry_pol_partial(&bytes);
        // Whatever was read must either be writable and stable, or rejected by the writer.
        if let Ok(rewritten) = write_registry_pol(&outcome.entries) {
            prop_assert_eq!(read_registry_pol(&rewritten).unwrap(), outcome.entries);
        }
    }

    #[test]
    fn rule_parsers_never_panic_and_reparse_stably(s in "\\PC{0,80}") {
        for text in [s.clone(), format!("v2.10|{s}")] {
            if let Ok((r, _)) = parse_firewall_rule(&text) {
                let w = r.to_rule_string().unwrap();
                prop_assert_eq!(parse_firewall_rule(&w).unwrap().0, r);
            }
            if let Ok((r, _)) = parse_consec_rule(&text) {
                let w = r.to_rule_string().unwrap();
                prop_assert_eq!(parse_consec_rule(&w).unwrap().0, r);
            }
        }
    }

    #[test]
    fn rule_parsers_on_token_soup(fields in proptest::collection::vec((pick(TOKENS), "[-A-Za-z0-9.:/*{}_ ]{0,12}"), 0..10)) {
        let text = fields.iter().fold("v2.30|".to_owned(), |mut acc, (t, v)| {
            acc.push_str(t);
            acc.push('=');
            acc.push_str(v);
            acc.push('|');
            acc
        });
        if let Ok((r, _)) = parse_firewall_rule(&text) {
            prop_assert_eq!(parse_firewall_rule(&r.to_rule_string().unwrap()).unwrap().0, r);
        }
        if let Ok((r, _)) = parse_consec_rule(&text) {
            prop_assert_eq!(parse_consec_rule(&r.to_rule_string().unwrap()).unwrap().0, r);
        }
    }

    #[test]
    fn policy_from_to_registry_is_stable(rules in proptest::collection::vec(firewall_rule(), 0..3), consec in proptest::collection::vec(consec_rule(), 0..2), extra in proptest::collection::vec(policy_entry(), 0..12)) {
        let base = smbguard_formats::gpfas::BASE_KEY;
        let mut entries: Vec<RegistryEntry> = rules.iter().enumerate()
            .map(|(i, r)| RegistryEntry::sz(format!(r"{base}\FirewallRules"), format!("{{r{i}}}"), r.to_rule_string().unwrap()))
            .collect();
        entries.extend(consec.iter().enumerate()
            .map(|(i, r)| RegistryEntry::sz(format!(r"{base}\ConSecRules"), format!("{{c{i}}}"), r.to_rule_string().unwrap())));
        entries.extend(extra);
        let (p1, _) = FirewallPolicy::from_registry(&entries);
        let written = p1.to_registry().unwrap();
        let (p2, _) = FirewallPolicy::from_registry(&written);
        prop_assert_eq!(&p2, &p1);
        prop_assert_eq!(p2.to_registry().unwrap(), written);
    }
}

const TOKENS: &[&str] = &[
    "Action",
    "Active",
    "Dir",
    "Protocol",
    "Profile",
    "LPort",
    "RPort",
    "LPort2_10",
    "RPort2_10",
    "LPort2_20",
    "LPort2_24",
    "Security",
    "Security2_9",
    "Security2",
    "IF",
    "IFType",
    "App",
    "Svc",
    "LA4",
    "RA4",
    "LA6",
    "RA6",
    "Name",
    "Desc",
    "EmbedCtxt",
    "Edge",
    "Defer",
    "LSM",
    "ICMP4",
    "ICMP6",
    "Platform",
    "Platform2",
    "RMauth",
    "RUAuth",
    "AuthByPassOut",
    "SkipVer",
    "LOM",
    "PCross",
    "LUAuth",
    "RA42",
    "RA62",
    "LUOwn",
    "AppPkgId",
    "TTK",
    "TTK2_22",
    "TTK2_27",
    "TTK2_28",
    "LUAuth2_24",
    "NNm",
    "SecurityRealmId",
    "EP1Port",
    "EP2Port",
    "EP1Port2_10",
    "EP1_4",
    "EP2_4",
    "EP1_6",
    "EP2_6",
    "Auth1Set",
    "Auth2Set",
    "Crypto2Set",
    "RTunnel4",
    "RTunnel6_2",
    "RTunnelFqdn",
    "RTunEndpts4",
    "KeyMod",
    "FwdLifetime",
    "SecureInClearOut",
    "Authz",
    "Bogus",
];

/// Entries under the firewall keys (valid, invalid and unknown) plus directives.
fn policy_entry() -> impl Strategy<Value = RegistryEntry> {
    let base = smbguard_formats::gpfas::BASE_KEY;
    let sub = pick(
        &[
            "",
            "DomainProfile",
            "PrivateProfile",
            "PublicProfile",
            "StandardProfile",
            r"PublicProfile\Logging",
            "FirewallRules",
            "ConSecRules",
            r"Phase1AuthenticationSets\{a}",
            r"Phase1AuthenticationSet\{a}\0000",
            r"Phase1AuthenticationSets\{a}\0000",
            r"Phase2AuthenticationSets\{b}\0001",
            "Phase2AuthenticationSets",
            "Phase2AuthenticationSet",
            r"Phase2CryptoSets\{c}",
            "MainModeRules",
            r"PublicProfile\",
            r"FirewallRules\X",
        ][..],
    );
    let value = pick(
        &[
            "PolicyVersion",
            "EnableFirewall",
            "DefaultInboundAction",
            "LogFilePath",
            "LogFileSize",
            "Version",
            "Name",
            "Method",
            "HealthCert",
            "CAName",
            "SkipVersion",
            "DisabledInterfaces",
            "Other",
            "{x}",
            "{X}",
            "**DelVals.",
            "**Del.{x}",
            "{E5A5D32A-4BCE-4E4D-B07F-4AB1BA7E5FE4}",
            "**DeleteKeys",
            "**soft.EnableFirewall",
        ][..],
    );
    let data = prop_oneof![
        any::<u32>().prop_map(|v| (RegType::Dword, RegData::Dword(v))),
        pick(
            &[
                "TRUE",
                "FALSE",
                "2.10",
                "MachineKerb",
                "UserKerb",
                "x",
                "v2.10|Action=Block|",
                "FirewallRules",
                " "
            ][..]
        )
        .prop_map(|s| (RegType::Sz, RegData::String(s.to_owned()))),
        proptest::collection::vec(any::<u8>(), 0..5)
            .prop_map(|b| (RegType::Binary, RegData::Bytes(b))),
    ];
    (sub, value, data).prop_map(move |(sub, value, (kind, data))| RegistryEntry {
        key: if sub.is_empty() {
            base.to_owned()
        } else {
            format!(r"{base}\{sub}")
        },
        value: value.to_owned(),
        kind,
        data,
    })
}
