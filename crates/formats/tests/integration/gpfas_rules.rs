//! Firewall and connection security rule strings: spec examples, real built-in
//! rules, real generator output, warnings and errors.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::net::{Ipv4Addr, Ipv6Addr};

use smbguard_formats::ErrorKind;
use smbguard_formats::gpfas::{
    Action, AddressKeyword, AddressKeyword2, ConSecAction, ConSecRuleRecord, Direction, EdgeDefer,
    FirewallRuleRecord, GpfasWarningKind, IcmpTypeCode, Ipv4Spec, Ipv6Spec, KeyModule, Platform,
    PlatformOp, PortEntry, PortKeyword, PortValue, Profile, SchemaVersion, Security, Security2,
    Security2_9, TrustTupleKeyword, check_field_value,
};

fn parse(s: &str) -> (FirewallRuleRecord, Vec<GpfasWarningKind>) {
    let (r, w) = FirewallRuleRecord::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    (r, w.into_iter().map(|w| w.kind).collect())
}

fn roundtrip_exact(s: &str) -> FirewallRuleRecord {
    let (r, w) = parse(s);
    assert!(w.is_empty(), "unexpected warnings for {s}: {w:?}");
    assert_eq!(
        r.to_rule_string().unwrap(),
        s,
        "canonical writer must reproduce {s}"
    );
    r
}

/// [MS-GPFAS] §4.2 (the C-string `\\` of the spec is a single backslash in the registry).
const SPEC_4_2: &str = r"v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Public|LPort=RPC|RPort=49000|LA4=192.168.1.0/255.255.255.0|LA4=192.168.0.0/255.255.255.0|RA4=LocalSubnet|RA6=LocalSubnet|App=c:\path\foo.exe|Name=Firewall Rule Test|Security=Authenticate|Security2_9=An-NoEncap|";

#[test]
fn spec_4_2_example_parses_and_is_written_back_byte_exact() {
    let r = roundtrip_exact(SPEC_4_2);
    assert_eq!(r.version, SchemaVersion::new(2, 10));
    assert_eq!(r.version.code(), 0x020A);
    assert_eq!(r.action, Some(Action::Allow));
    assert!(r.is_active());
    assert_eq!(r.direction, Some(Direction::In));
    assert_eq!(r.protocol, Some(6));
    assert_eq!(r.profiles, vec![Profile::Public]);
    assert!(!r.applies_to(Profile::Domain));
    assert_eq!(
        r.local_ports,
        vec![PortEntry {
            token_version: None,
            value: PortValue::Keyword(PortKeyword::Rpc)
        }]
    );
    assert_eq!(
        r.remote_ports,
        vec![PortEntry::new(PortValue::Single(49000))]
    );
    assert_eq!(
        r.local_v4,
        vec![
            Ipv4Spec::Masked(
                Ipv4Addr::new(192, 168, 1, 0),
                Ipv4Addr::new(255, 255, 255, 0)
            ),
            Ipv4Spec::Masked(
                Ipv4Addr::new(192, 168, 0, 0),
                Ipv4Addr::new(255, 255, 255, 0)
            ),
        ]
    );
    assert_eq!(
        r.local_v4[0].range(),
        Some((
            Ipv4Addr::new(192, 168, 1, 0),
            Ipv4Addr::new(192, 168, 1, 255)
        ))
    );
    assert_eq!(
        r.remote_v4,
        vec![Ipv4Spec::Keyword(AddressKeyword::LocalSubnet)]
    );
    assert_eq!(
        r.remote_v6,
        vec![Ipv6Spec::Keyword(AddressKeyword::LocalSubnet)]
    );
    assert_eq!(r.app.as_deref(), Some(r"c:\path\foo.exe"));
    assert_eq!(r.name.as_deref(), Some("Firewall Rule Test"));
    assert_eq!(r.security, Some(Security::Authenticate));
    assert_eq!(r.security2_9, Some(Security2_9::AnNoEncap));
    // The spec gives Size 540 for this value: UTF-16 with NUL terminator, counting
    // the two backslashes doubled as printed (2 more characters).
    assert_eq!((SPEC_4_2.encode_utf16().count() + 2 + 1) * 2, 540);
}

#[test]
fn spec_4_2_snapshot() {
    let (r, _) = parse(SPEC_4_2);
    insta::assert_debug_snapshot!("spec_4_2_record", r);
}

/// Built-in SMB rules as quoted in the reference (Windows 11 v2.33 export) —
/// they use only canonical order, so the writer reproduces them exactly.
#[test]
fn builtin_smb_rules_roundtrip_exactly() {
    let fps_smb_in = "v2.33|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Private|Profile=Public|LPort=445|RA4=LocalSubnet|RA6=LocalSubnet|App=System|Name=@FirewallAPI.dll,-28511|Desc=@FirewallAPI.dll,-28514|EmbedCtxt=@FirewallAPI.dll,-28502|";
    let r = roundtrip_exact(fps_smb_in);
    assert_eq!(r.active, Some(false));
    assert!(!r.is_active());
    assert_eq!(r.profiles, vec![Profile::Private, Profile::Public]);
    assert_eq!(r.local_ports[0].value.range(), Some((445, 445)));

    let fps_smb_out = "v2.33|Action=Allow|Active=FALSE|Dir=Out|Protocol=6|Profile=Private|Profile=Public|RPort=445|RA4=LocalSubnet|RA6=LocalSubnet|App=System|Name=@FirewallAPI.dll,-28515|EmbedCtxt=@FirewallAPI.dll,-28502|";
    let r = roundtrip_exact(fps_smb_out);
    assert_eq!(r.direction, Some(Direction::Out));

    let no_scope = "v2.33|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Domain|LPort=445|App=System|Name=@FirewallAPI.dll,-28511|Desc=@FirewallAPI.dll,-28514|EmbedCtxt=@FirewallAPI.dll,-28502|";
    roundtrip_exact(no_scope);

    // Netlogon-NamedPipe-In: no Profile token = all profiles.
    let netlogon = "v2.27|Action=Allow|Active=FALSE|Dir=In|Protocol=6|LPort=445|App=System|Name=@netlogon.dll,-1003|Desc=@netlogon.dll,-1006|EmbedCtxt=@netlogon.dll,-1010|";
    let r = roundtrip_exact(netlogon);
    assert!(r.profiles.is_empty());
    assert!(r.applies_to(Profile::Domain) && r.applies_to(Profile::Public));

    for s in [
        "v2.33|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Private|Profile=Public|LPort=445|RA4=LocalSubnet|RA6=LocalSubnet|App=System|Name=@FirewallAPI.dll,-29257|Desc=@FirewallAPI.dll,-29258|EmbedCtxt=@FirewallAPI.dll,-29252|",
        "v2.33|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Private|Profile=Public|LPort=445|RA4=LocalSubnet|RA6=LocalSubnet|App=System|Name=@FirewallAPI.dll,-29507|Desc=@FirewallAPI.dll,-29508|EmbedCtxt=@FirewallAPI.dll,-29502|",
        "v2.33|Action=Allow|Active=FALSE|Dir=In|Protocol=6|LPort=5445|App=System|Name=@FirewallAPI.dll,-28603|Desc=@FirewallAPI.dll,-28606|EmbedCtxt=@FirewallAPI.dll,-28602|",
    ] {
        roundtrip_exact(s);
    }
}

/// Real strings from public exports: SN-GPO style, GSecurity style, PlayTo.
#[test]
fn real_world_strings() {
    // Outbound SMB rule of the SN-GPO sample (v2.20).
    let r = roundtrip_exact(
        "v2.20|Action=Allow|Active=TRUE|Dir=Out|Protocol=6|Profile=Domain|RPort=445|RA4=127.0.0.1|App=System|Name=@FirewallAPI.dll,-25401|",
    );
    assert_eq!(r.remote_v4, vec![Ipv4Spec::Single(Ipv4Addr::LOCALHOST)]);

    // Port ranges under LPort2_10, repeated (union).
    let r = roundtrip_exact(
        "v2.31|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort2_10=1-66|LPort2_10=69-55554|LPort2_10=55556-65535|Name=TCP|EmbedCtxt=GSecurity|",
    );
    assert_eq!(r.local_ports.len(), 3);
    assert_eq!(r.local_ports[1].value, PortValue::Range(69, 55554));
    assert_eq!(r.local_ports[1].token_version, Some(SchemaVersion::V2_10));

    // LPort2_10 keywords; RA4 after EmbedCtxt (hand-edited order) parses without warnings.
    let s = "v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort2_10=IPTLSIn|LPort2_10=IPHTTPSIn|App=System|Name=@FirewallAPI.dll,-25426|Desc=@FirewallAPI.dll,-25428|EmbedCtxt=@FirewallAPI.dll,-25000|RA4=LocalSubnet|RA6=LocalSubnet|";
    let (r, w) = parse(s);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(
        r.local_ports[0].value,
        PortValue::Keyword(PortKeyword::IpTlsIn)
    );
    let rewritten = r.to_rule_string().unwrap();
    assert!(
        rewritten.contains("|RA4=LocalSubnet|RA6=LocalSubnet|App=System|"),
        "{rewritten}"
    );
    assert_eq!(parse(&rewritten).0, r);

    // LPort2_20 keyword, Svc, expanded app path.
    let r = roundtrip_exact(
        r"v2.33|Action=Block|Active=TRUE|Dir=In|Protocol=17|Profile=Public|LPort2_20=Ply2Disc|App=%SystemRoot%\system32\svchost.exe|Svc=ssdpsrv|Name=@FirewallAPI.dll,-36104|Desc=@FirewallAPI.dll,-36105|EmbedCtxt=@FirewallAPI.dll,-36001|",
    );
    assert_eq!(
        r.local_ports[0].value,
        PortValue::Keyword(PortKeyword::Ply2Disc)
    );
    assert_eq!(r.service.as_deref(), Some("ssdpsrv"));

    // LUAuth SDDL, Edge + Defer.
    let r = roundtrip_exact(
        "v2.32|Action=Allow|Active=TRUE|Dir=In|Name=x|LUAuth=O:LSD:(D;;CC;;;S-1-2-1)|Edge=TRUE|Defer=App|",
    );
    assert_eq!(
        r.local_user_auth.as_deref(),
        Some("O:LSD:(D;;CC;;;S-1-2-1)")
    );
    assert!(r.is_edge());
    assert_eq!(r.defer, Some(EdgeDefer::App));

    // ICMP, Platform/Platform2, RA42/RA62, AppPkgId.
    let r = roundtrip_exact(
        "v2.20|Action=Allow|Active=TRUE|Dir=In|Protocol=58|Profile=Domain|ICMP6=128:*|RA42=IntrAnet|RA62=IntrAnet|App=System|Name=Echo|AppPkgId=S-1-15-2-1|Platform=2:6:2|Platform2=GTEQ|",
    );
    assert_eq!(
        r.icmp6,
        vec![IcmpTypeCode {
            icmp_type: 128,
            code: None
        }]
    );
    assert_eq!(r.remote_v4_keywords, vec![AddressKeyword2::Intranet]);
    assert_eq!(
        r.platforms,
        vec![Platform {
            platform: 2,
            major: 6,
            minor: 2
        }]
    );
    assert_eq!(r.platform_op, Some(PlatformOp::Gteq));
    assert_eq!(r.app_package_id.as_deref(), Some("S-1-15-2-1"));

    // Address ranges (SN-GPO uses RA4 ranges).
    let r = roundtrip_exact(
        "v2.20|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=135|RA4=127.0.0.2-127.0.0.3|RA6=fe80::/64|RA6=2001:db8::1-2001:db8::ff|Name=r|",
    );
    assert_eq!(
        r.remote_v4[0],
        Ipv4Spec::Range(Ipv4Addr::new(127, 0, 0, 2), Ipv4Addr::new(127, 0, 0, 3))
    );
    assert_eq!(
        r.remote_v6[0].range(),
        Some((
            "fe80::".parse::<Ipv6Addr>().unwrap(),
            "fe80::ffff:ffff:ffff:ffff".parse::<Ipv6Addr>().unwrap()
        ))
    );
}

/// Antignis (huntandhackett/Antignis GPO.cs) output: the KB3185535 pattern.
/// Its connection security rule references auth sets it never creates — the
/// dangling reference is a lowering concern; here it must simply parse.
#[test]
fn antignis_style_strings() {
    let block = "v2.28|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=445|Name=Antignis block SMB|EmbedCtxt=Antignis|";
    let r = roundtrip_exact(block);
    assert_eq!(r.action, Some(Action::Block));

    let bypass = "v2.28|Action=ByPass|Active=TRUE|Dir=In|Protocol=6|LPort=445|Name=Antignis bypass|RMauth=O:LSD:(A;;CC;;;S-1-5-21-1-2-3-1111)|RUAuth=O:LSD:(A;;CC;;;S-1-5-21-1-2-3-2222)|Security=Authenticate|Security2_9=An-NoEncap|";
    let r = roundtrip_exact(bypass);
    assert_eq!(r.action, Some(Action::ByPass));
    assert_eq!(
        r.remote_machine_auth.as_deref(),
        Some("O:LSD:(A;;CC;;;S-1-5-21-1-2-3-1111)")
    );
    assert_eq!(
        r.remote_user_auth.as_deref(),
        Some("O:LSD:(A;;CC;;;S-1-5-21-1-2-3-2222)")
    );

    // Spec-prose spelling RMAuth is accepted; RMauth is written.
    let (r2, w) = parse(&bypass.replace("RMauth=", "RMAuth="));
    assert!(w.is_empty());
    assert_eq!(r2, r);

    let csr = "v2.28|Action=SecureServer|Protocol=6|Active=TRUE|EP1Port=445|Auth1Set=ComputerKerberos|Auth2Set=UserKerberos|Crypto2Set={E5A5D32A-4BCE-4e4d-B07F-4AB1BA7E5FE2}|EmbedCtxt=|";
    let (c, w) = ConSecRuleRecord::parse(csr).unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(c.action, Some(ConSecAction::SecureServer));
    assert_eq!(c.auth1_set.as_deref(), Some("ComputerKerberos"));
    assert_eq!(c.auth2_set.as_deref(), Some("UserKerberos"));
    assert_eq!(c.embedded_context.as_deref(), Some(""));
    assert_eq!(
        c.endpoint1_ports,
        vec![PortEntry::new(PortValue::Single(445))]
    );
    let written = c.to_rule_string().unwrap();
    assert_eq!(
        written,
        "v2.28|Action=SecureServer|Active=TRUE|Protocol=6|EP1Port=445|Auth1Set=ComputerKerberos|Auth2Set=UserKerberos|Crypto2Set={E5A5D32A-4BCE-4e4d-B07F-4AB1BA7E5FE2}|EmbedCtxt=|"
    );
    assert_eq!(ConSecRuleRecord::parse(&written).unwrap().0, c);
}

/// [MS-GPFAS] §4.3 connection security rule examples.
#[test]
fn spec_4_3_consec_examples() {
    let tunnel = "v2.10|Action=Secure|Active=TRUE|Profile=Private|Profile=Public|EP2_6=2006:1601::/32|EP2_6=2a01:110::/31|EP2_6=2001:4898::-2001:4898:a0:5084:ffff:ffff:ffff:ffff|EP2_6=2001:4898:e0:7025::-2001:4898:ffff:ffff:ffff:ffff:ffff:ffff|RTunnel6_2=2001:4898:e0:3084::2|Name=Tunnel From Internet To Corp|Desc=|Auth1Set={D842F406-E895-406A-AC35-9837B6D499F4}|Auth2Set={A75A5046-E377-45CC-BD25-EC0F8E601CE1}|Crypto2Set={CD863A4F-CD94-4763-AD25-69A1378D51EB}|EmbedCtxt=|";
    let (c, w) = ConSecRuleRecord::parse(tunnel).unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(c.action, Some(ConSecAction::Secure));
    assert_eq!(c.endpoint2_v6.len(), 4);
    assert_eq!(
        c.endpoint2_v6[1],
        Ipv6Spec::Prefix("2a01:110::".parse().unwrap(), 31)
    );
    assert_eq!(
        c.remote_tunnel_v6_dtm,
        Some("2001:4898:e0:3084::2".parse().unwrap())
    );
    // Canonical order equals the spec's order for this one.
    assert_eq!(c.to_rule_string().unwrap(), tunnel);

    let exempt = "v2.10|Action=DoNotSecure|Protocol=6|Active=TRUE|EP1Port=5357|EP1Port=5358|EP1Port=5363|EP2_4=157.56.56.23|EP2_4=157.56.59.42|EP2_4=157.56.56.92|EP2_4=157.56.59.49|EP2_4=157.56.61.37|Name=Exempt TCP Ports on Specific boxes|Desc=|EmbedCtxt=|";
    let (c, w) = ConSecRuleRecord::parse(exempt).unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(c.action, Some(ConSecAction::DoNotSecure));
    assert_eq!(c.endpoint1_ports.len(), 3);
    assert_eq!(c.endpoint2_v4.len(), 5);
    assert_eq!(
        ConSecRuleRecord::parse(&c.to_rule_string().unwrap())
            .unwrap()
            .0,
        c
    );

    let isolation = "v2.10|Action=SecureServer|Active=TRUE|Name=Domain Isolation Rule|Desc=AuthIP policy|Auth1Set={212D4E36-DB6E-4EAE-A65F-1C4615EBFDDB}|Auth2Set={967F0367-F879-42EC-938B-C89FE8289B26}|Crypto2Set={E9A15CB6-DFC4-41F8-8D14-CA62A4EC708F}|";
    let (c, w) = ConSecRuleRecord::parse(isolation).unwrap();
    assert!(w.is_empty());
    assert_eq!(c.to_rule_string().unwrap(), isolation);
    assert!(c.is_active());
    assert!(c.profiles.is_empty());
}

#[test]
fn consec_tokens_keymod_and_flags() {
    let s = "v2.20|Action=Boundary|Active=TRUE|Protocol=6|Profile=Domain|EP1Port2_10=440-450|EP1_4=LocalSubnet|RTunnel4=10.0.0.1|RTunnelFqdn=gw.example|RTunEndpts4=10.1.0.0/16|Name=x|Platform=2:6:1|SkipVer=2.10|SecureInClearOut=TRUE|ByPassTunnel=FALSE|Authz=TRUE|KeyMod=AuthIP|KeyMod=IkeV2|KeyManagerDictate=TRUE|KeyManagerNotify=FALSE|FwdLifetime=4294967295|TransportMachineAuthzSDDL=D:(A;;CC;;;S-1-5-11)|TransportUserAuthzSDDL=D:(A;;CC;;;S-1-5-11)|SecurityRealmEnabled=FALSE|";
    let (c, w) = ConSecRuleRecord::parse(s).unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(c.key_modules, vec![KeyModule::AuthIp, KeyModule::IkeV2]);
    assert_eq!(c.forward_lifetime, Some(u32::MAX));
    assert_eq!(c.remote_tunnel_v4, Some(Ipv4Addr::new(10, 0, 0, 1)));
    assert_eq!(c.endpoint1_ports[0].value, PortValue::Range(440, 450));
    assert_eq!(c.to_rule_string().unwrap(), s);
    assert!(ConSecRuleRecord::parse("v2.10|FwdLifetime=4294967296|").is_err());
}

#[test]
fn every_firewall_token_roundtrips() {
    let s = r"v2.30|Action=Block|Active=TRUE|Dir=Out|Protocol=17|Profile=Domain|Profile=Private|LPort=53|LPort2_10=1000-2000|LPort2_20=DHCP|LPort2_24=mDNS|RPort=53|RPort2_10=IPHTTPSOut|LA4=10.0.0.0/8|LA6=fe80::/10|RA4=DNS|RA4=DHCP|RA4=WINS|RA4=DefaultGateway|RA6=::1|RA42=IntErnet|RA42=Ply2Renders|RA62=RmtIntrAnet|RA62=CaptivePortal|IF={4D36E972-E325-11CE-BFC1-08002BE10318}|IFType=Lan|IFType=Wireless|IFType=RemoteAccess|App=C:\x.exe|Svc=*|Name=n|Desc=d|RMauth=O:LSD:(A;;CC;;;WD)|RUAuth=O:LSD:(A;;CC;;;WD)|LUAuth=O:LSD:(A;;CC;;;WD)|LUAuth2_24=QUJD|LUOwn=S-1-5-18|AppPkgId=S-1-15-2-2|EmbedCtxt=g|Platform=2:10:0|Platform2=GTEQ|SkipVer=2.20|Security=AuthenticateEncrypt|Security2_9=An-NoEncap|Security2=AnE-Nego|AuthByPassOut=TRUE|Edge=FALSE|Defer=User|LSM=TRUE|LOM=FALSE|PCross=TRUE|TTK=Proximity|TTK=ProxSharing|TTK2_22=WFDPrint|TTK2_22=WFDDisplay|TTK2_22=WFDDevices|TTK2_27=WFDKmDriver|TTK2_27=UPnP|TTK2_28=WFDCDPSvc|NNm=net1|NNm=net2|SecurityRealmId=realm|";
    let r = roundtrip_exact(s);
    assert_eq!(r.security2, Some(Security2::AnENego));
    assert_eq!(r.trust_tuple_keywords.len(), 8);
    assert_eq!(r.trust_tuple_keywords[7], TrustTupleKeyword::WfdCdpSvc);
    assert_eq!(r.local_ports[3].token_version, Some(SchemaVersion::V2_24));
    assert_eq!(r.network_names, vec!["net1", "net2"]);
    assert_eq!(r.skip_version, Some(SchemaVersion::V2_20));
    // PCROSS (spec prose spelling) is accepted.
    let (r2, w) = parse(&s.replace("PCross=", "PCROSS="));
    assert!(w.is_empty());
    assert_eq!(r2, r);
}

#[test]
fn values_are_matched_case_insensitively_and_written_canonically() {
    let (r, w) = parse("v2.10|Action=block|Active=true|Dir=in|Protocol=6|LPort=rpc-epmap|Name=x|");
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(
        r.to_rule_string().unwrap(),
        "v2.10|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=RPC-EPMap|Name=x|"
    );
}

#[test]
fn warnings() {
    let kinds = |s: &str| parse(s).1;

    // Unknown tokens are kept and reported (spec: unknown entries MUST be ignored).
    let (r, w) = parse("v2.33|Action=Allow|RA43=Something|Dir=In|Bogus|");
    assert_eq!(
        w,
        vec![
            GpfasWarningKind::UnknownToken,
            GpfasWarningKind::MalformedField
        ]
    );
    assert_eq!(r.unknown, vec!["RA43=Something", "Bogus"]);
    assert_eq!(
        r.to_rule_string().unwrap(),
        "v2.33|Action=Allow|Dir=In|RA43=Something|Bogus|"
    );

    // Repeated at-most-once token: warning, last wins.
    let (r, w) = parse("v2.10|Action=Allow|Action=Block|");
    assert_eq!(w, vec![GpfasWarningKind::DuplicateToken]);
    assert_eq!(r.action, Some(Action::Block));

    // Ports need a preceding Protocol=6/17.
    assert_eq!(
        kinds("v2.10|LPort=445|Protocol=6|"),
        vec![GpfasWarningKind::PortWithoutTcpUdp]
    );
    assert_eq!(
        kinds("v2.10|Protocol=1|RPort=445|"),
        vec![GpfasWarningKind::PortWithoutTcpUdp]
    );
    assert_eq!(
        kinds("v2.10|Protocol=6|ICMP4=8:*|"),
        vec![GpfasWarningKind::IcmpWithoutIcmpProtocol]
    );
    assert!(kinds("v2.10|Protocol=1|ICMP4=8:0|").is_empty());
    let w = kinds("v2.10|Protocol=6|LPort=1|ICMP4=8:*|");
    assert!(w.contains(&GpfasWarningKind::PortsAndIcmp));

    // Version gates.
    assert_eq!(
        kinds("v2.0|Security2_9=An-NoEncap|"),
        vec![GpfasWarningKind::TokenNewerThanRule {
            required: SchemaVersion::new(2, 9)
        }]
    );
    assert_eq!(
        kinds("v2.1|Defer=App|"),
        vec![GpfasWarningKind::TokenNewerThanRule {
            required: SchemaVersion::V2_10
        }]
    );
    assert_eq!(
        kinds("v2.10|Protocol=6|LPort2_20=Ply2Disc|"),
        vec![GpfasWarningKind::TokenNewerThanRule {
            required: SchemaVersion::V2_20
        }]
    );

    // Missing final `|`.
    let (r, w) = parse("v2.10|Action=Allow|Dir=In");
    assert_eq!(w, vec![GpfasWarningKind::MissingTerminator]);
    assert_eq!(r.direction, Some(Direction::In));

    // Odd but representable values.
    assert_eq!(
        kinds("v2.10|Protocol=6|LPort=5000-5020|"),
        vec![GpfasWarningKind::ValueFormForToken]
    );
    assert_eq!(
        kinds("v2.10|Protocol=6|LPort2_10=20-10|"),
        vec![GpfasWarningKind::ReversedRange]
    );
    assert_eq!(
        kinds("v2.10|RA4=10.0.0.9-10.0.0.1|"),
        vec![GpfasWarningKind::ReversedRange]
    );
    assert_eq!(
        kinds("v2.10|LA4=10.0.0.0/255.0.255.0|"),
        vec![GpfasWarningKind::NonContiguousMask]
    );
    assert_eq!(
        kinds("v2.33|Protocol=6|LPort2_24=FancyNew|"),
        vec![GpfasWarningKind::UnknownKeyword("FancyNew".into())]
    );
    assert_eq!(
        kinds("v2.22|TTK=WFDPrint|"),
        vec![GpfasWarningKind::KeywordUnderOtherToken]
    );
}

#[test]
fn errors() {
    let err = |s: &str| FirewallRuleRecord::parse(s).unwrap_err().kind().clone();
    assert_eq!(err(""), ErrorKind::Empty);
    assert!(matches!(err("Action=Allow|"), ErrorKind::BadVersion { .. }));
    assert!(matches!(
        err("v2|Action=Allow|"),
        ErrorKind::BadVersion { .. }
    ));
    assert!(matches!(err("v2.256|"), ErrorKind::BadVersion { .. }));
    // Seen in a buggy generator: both invalid per §2.2.2.19.
    let e = err("v2.10|Action=Allow|Protocol=Any|");
    assert!(
        matches!(&e, ErrorKind::InvalidValue { field_index: 2, token, value, .. } if token == "Protocol" && value == "Any"),
        "{e:?}"
    );
    assert!(matches!(
        err("v2.10|Protocol=6|LPort=|"),
        ErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        err("v2.10|Protocol=6|LPort=70000|"),
        ErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        err("v2.10|Protocol=256|"),
        ErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        err("v2.10|Action=Deny|"),
        ErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        err("v2.10|Active=yes|"),
        ErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        err("v2.10|RA4=300.1.1.1|"),
        ErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        err("v2.10|RA4=10.0.0.0/33|"),
        ErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        err("v2.10|LA4=LocalSubnet|"),
        ErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        err("v2.10|RA6=::/129|"),
        ErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        err("v2.10|ICMP4=8|"),
        ErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        err("v2.10|Platform=8:6:2|"),
        ErrorKind::InvalidValue { .. }
    ));
    let msg = err("v2.10|Action=Allow|Protocol=Any|").to_string();
    assert!(msg.contains("Protocol=Any"), "{msg}");
}

#[test]
fn pipe_in_value_is_rejected_with_the_field_name() {
    let mut r = FirewallRuleRecord {
        action: Some(Action::Block),
        name: Some("SMB | block".into()),
        ..FirewallRuleRecord::default()
    };
    let e = r.to_rule_string().unwrap_err().kind().clone();
    assert_eq!(
        e,
        ErrorKind::PipeInValue {
            field: "Name".into()
        }
    );
    assert!(e.to_string().contains("`Name`"));

    r.name = Some("ok".into());
    r.remote_machine_auth = Some("O:LSD:(A;;CC;;;S-1|2)".into());
    assert_eq!(
        r.to_rule_string().unwrap_err().kind().clone(),
        ErrorKind::PipeInValue {
            field: "RMauth".into()
        }
    );

    assert!(check_field_value("Desc", "fine = ok").is_ok());
    assert!(check_field_value("Desc", "a|b").is_err());
}

/// The strings a compiler would emit for the KB3185535 pattern (reference §7).
#[test]
fn built_records_write_expected_strings() {
    let mut block = FirewallRuleRecord::new(SchemaVersion::V2_10);
    block.action = Some(Action::Block);
    block.active = Some(true);
    block.direction = Some(Direction::In);
    block.protocol = Some(6);
    block
        .local_ports
        .push(PortEntry::new(PortValue::Single(445)));
    block.name = Some("SMB: block inbound".into());
    block.embedded_context = Some("SMB lateral movement".into());
    assert_eq!(
        block.to_rule_string().unwrap(),
        "v2.10|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=445|Name=SMB: block inbound|EmbedCtxt=SMB lateral movement|"
    );
    let mut complement = block.clone();
    complement.remote_v4 = vec![
        Ipv4Spec::Range(Ipv4Addr::new(0, 0, 0, 0), Ipv4Addr::new(10, 0, 0, 9)),
        Ipv4Spec::Range(Ipv4Addr::new(10, 0, 0, 11), Ipv4Addr::BROADCAST),
    ];
    complement
        .local_ports
        .push(PortEntry::new(PortValue::Range(5000, 5020)));
    let s = complement.to_rule_string().unwrap();
    assert!(
        s.contains(
            "|LPort=445|LPort2_10=5000-5020|RA4=0.0.0.0-10.0.0.9|RA4=10.0.0.11-255.255.255.255|"
        ),
        "{s}"
    );
    assert_eq!(FirewallRuleRecord::parse(&s).unwrap(), (complement, vec![]));
}
