//! The audit's input readers on real and synthesized exports (see
//! fixtures/MANIFEST.md): `.reg` files, `.wfw` hives, `Get-NetFirewallRule`
//! CSV/JSON exports, `testparm -s` output; firewall store classification.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use smbguard_formats::firewall_store::{FirewallStore, LOCAL_STORE_KEY, classify, store_entries};
use smbguard_formats::gpfas::{Action, Direction, FirewallPolicy, ProfileKey};
use smbguard_formats::hive::read_wfw;
use smbguard_formats::netfw_export::{ExportFormat, read_netfw_csv, read_netfw_json};
use smbguard_formats::reg_file::{RegFormat, RootKey, read_reg_file};
use smbguard_formats::registry_pol::{RegData, RegType};
use smbguard_formats::smb_conf::{SambaSettings, read_smb_conf};
use smbguard_formats::{ErrorKind, Location, TextEncoding};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures");

fn fixture(rel: &str) -> Vec<u8> {
    let path = format!("{FIXTURES}/{rel}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {path}: {e}"))
}

fn utf16_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

#[test]
fn regedit5_export_of_every_store() {
    let file = read_reg_file(&fixture("windows/synthetic-firewall-stores.reg"), 1252).unwrap();
    assert_eq!(file.format, RegFormat::Regedit5);
    assert_eq!(file.encoding, TextEncoding::Utf16Le);
    assert!(file.skipped.is_empty(), "{:?}", file.skipped);
    assert!(file.values.iter().all(|v| v.root == RootKey::LocalMachine));
    let entries = file.entries();
    let count = |store| store_entries(&entries, store).len();
    assert_eq!(count(FirewallStore::GroupPolicy), 6);
    assert_eq!(count(FirewallStore::Local), 5);
    assert_eq!(count(FirewallStore::Mdm), 1);
    assert_eq!(count(FirewallStore::ServiceHardening), 1);
    assert_eq!(count(FirewallStore::Defaults), 1);

    // Escaped backslashes are unescaped before the MS-GPFAS grammar sees them.
    let local = store_entries(&entries, FirewallStore::Local);
    let (policy, warnings) = FirewallPolicy::from_registry(&local);
    assert!(warnings.is_empty(), "{warnings:?}");
    let backup = &policy.rules[1].1;
    assert_eq!(
        backup.app.as_deref(),
        Some(r"C:\Program Files\Contoso Backup\agent.exe")
    );
    let bypass = &policy.rules[2].1;
    assert_eq!(bypass.action, Some(Action::ByPass));
    let standard = &policy.profiles[&ProfileKey::Standard];
    assert_eq!(standard.enable_firewall, Some(0));
    // The hex(2) value continued over several lines is one REG_EXPAND_SZ.
    let dll = entries.iter().find(|e| e.value == "ServiceDll").unwrap();
    assert_eq!(dll.kind, RegType::ExpandSz);
    assert_eq!(
        dll.data,
        RegData::String(r"%SystemRoot%\System32\srvsvc.dll".to_owned())
    );

    let gpo = store_entries(&entries, FirewallStore::GroupPolicy);
    let (gpo, _) = FirewallPolicy::from_registry(&gpo);
    assert_eq!(gpo.policy_version, Some(538));
    assert_eq!(gpo.consec_rules.len(), 1);
    assert_eq!(
        gpo.profiles[&ProfileKey::Domain].allow_local_policy_merge,
        Some(0)
    );
}

#[test]
fn regedit5_value_types_and_deletions() {
    let file = read_reg_file(&fixture("windows/synthetic-firewall-stores.reg"), 1252).unwrap();
    let get = |name: &str| {
        &file
            .values
            .iter()
            .find(|v| v.entry.value == name)
            .unwrap()
            .entry
    };
    assert_eq!(
        get("NullSessionPipes").data,
        RegData::MultiString(vec!["SMB2_10".into(), "SMB3_11".into()])
    );
    assert_eq!(get("").data, RegData::String("default value".into()));
    assert_eq!(get("Binary").kind, RegType::Binary);
    assert_eq!(get("Binary").data, RegData::Bytes(vec![1, 2, 3]));
    assert_eq!(get("Qword").data, RegData::Qword(16));
    let deleted: Vec<_> = file.deletions.iter().map(|d| d.value.as_deref()).collect();
    assert_eq!(deleted, [Some("Removed-Rule"), None]);
    let rule = file
        .values
        .iter()
        .find(|v| v.entry.value == "FPS-SMB-In-TCP")
        .unwrap();
    assert_eq!(rule.line, 27);
}

#[test]
fn regedit4_in_an_ansi_code_page() {
    let file = read_reg_file(&fixture("windows/synthetic-regedit4-cp1252.reg"), 1252).unwrap();
    assert_eq!(file.format, RegFormat::Regedit4);
    assert_eq!(file.encoding, TextEncoding::CodePage(1252));
    let rule = &file.values[0].entry;
    assert_eq!(rule.value, "Règle-SMB");
    assert!(rule.data.as_str().unwrap().contains("Blocage SMB entrant"));
    let log = file
        .values
        .iter()
        .find(|v| v.entry.value == "LogFilePath")
        .unwrap();
    assert_eq!(
        log.entry.data,
        RegData::String(r"%SystemRoot%\Système".into())
    );
}

#[test]
fn reg_file_errors_are_located() {
    let err = read_reg_file(b"hello\r\n[HKLM\\X]\r\n", 1252).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MissingHeader { .. }));
    assert_eq!(err.location(), &Location::Line { line: 1 });

    let text = "Windows Registry Editor Version 5.00\r\n\r\n\"orphan\"=dword:1\r\n[HKEY_NOWHERE\\X]\r\n\"a\"=dword:1\r\n[HKLM\\Soft]\r\n\"bad\"=dword:123456789\r\n\"unterminated=\"x\"\r\n\"ok\"=\"a\\\\b\\\"c\"\r\n";
    let file = read_reg_file(&utf16_with_bom(text), 1252).unwrap();
    let lines: Vec<_> = file.skipped.iter().map(|e| e.location().clone()).collect();
    assert_eq!(
        lines,
        [3, 4, 5, 7, 8].map(|line| Location::Line { line }).to_vec()
    );
    assert_eq!(file.values.len(), 1);
    assert_eq!(file.values[0].entry.data, RegData::String("a\\b\"c".into()));
    assert_eq!(file.values[0].line, 9);

    let odd = [0xFF, 0xFE, b'W'];
    assert!(matches!(
        read_reg_file(&odd, 1252).unwrap_err().kind(),
        ErrorKind::Undecodable(_)
    ));
}

#[test]
fn firewall_stores_are_told_apart() {
    let cases = [
        (
            r"SOFTWARE\Policies\Microsoft\WindowsFirewall\FirewallRules",
            FirewallStore::GroupPolicy,
            "FirewallRules",
        ),
        (
            r"software\policies\microsoft\windowsfirewall",
            FirewallStore::GroupPolicy,
            "",
        ),
        (
            r"SYSTEM\ControlSet001\Services\SharedAccess\Parameters\FirewallPolicy\DomainProfile",
            FirewallStore::Local,
            "DomainProfile",
        ),
        (
            r"SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\Mdm\FirewallRules",
            FirewallStore::Mdm,
            "FirewallRules",
        ),
        (
            r"SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\RestrictedServices\AppIso\FirewallRules",
            FirewallStore::ServiceHardening,
            r"RestrictedServices\AppIso\FirewallRules",
        ),
        (
            r"SYSTEM\CurrentControlSet\Services\SharedAccess\Defaults\FirewallPolicy\FirewallRules",
            FirewallStore::Defaults,
            "FirewallRules",
        ),
    ];
    for (key, store, rest) in cases {
        assert_eq!(classify(key), Some((store, rest)), "{key}");
    }
    for outside in [
        r"SOFTWARE\Policies\Microsoft\WindowsFirewallX",
        r"SYSTEM\ControlSetX\Services\SharedAccess\Parameters\FirewallPolicy",
        r"SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters",
        r"SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters",
    ] {
        assert_eq!(classify(outside), None, "{outside}");
    }
}

#[test]
fn real_wfw_export_reads_as_the_local_store() {
    let file = read_wfw(&fixture("windows/luthfina16-firewall.wfw")).unwrap();
    assert_eq!(file.entries.len(), 445);
    assert!(
        file.entries
            .iter()
            .all(|e| e.key.starts_with(LOCAL_STORE_KEY))
    );
    let local = store_entries(&file.entries, FirewallStore::Local);
    assert_eq!(local.len(), file.entries.len());
    let (policy, warnings) = FirewallPolicy::from_registry(&local);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(policy.policy_version, Some(542));
    assert_eq!(policy.rules.len(), 412);
    assert_eq!(policy.consec_rules.len(), 1);
    assert!(policy.other_entries.is_empty());
    let inbound_allows = policy
        .rules
        .iter()
        .filter(|(_, r)| r.action == Some(Action::Allow) && r.direction == Some(Direction::In))
        .count();
    insta::assert_snapshot!(
        "wfw_summary",
        format!(
            "root {}\nrules {}\ninbound allows {}\nprofiles {:?}\nfirst rule {}",
            file.root_name,
            policy.rules.len(),
            inbound_allows,
            policy.profiles.keys().collect::<Vec<_>>(),
            policy.rules[0].0,
        )
    );
}

#[test]
fn wfw_garbage_is_an_error_not_a_panic() {
    let real = fixture("windows/luthfina16-firewall.wfw");
    assert!(matches!(
        read_wfw(b"not a hive").unwrap_err().kind(),
        ErrorKind::Hive(_)
    ));
    for cut in [4, 512, 4096, 4200, 20_000] {
        let _ = read_wfw(&real[..cut]);
    }
    let mut damaged = real.clone();
    for i in (4096..damaged.len()).step_by(97) {
        damaged[i] ^= 0x5A;
    }
    let _ = read_wfw(&damaged);
}

fn lowered(format: ExportFormat) -> Vec<String> {
    let export = match format {
        ExportFormat::Csv => read_netfw_csv(
            &fixture("windows/synthetic-netfirewallrule-cp1252.csv"),
            1252,
        )
        .unwrap(),
        ExportFormat::Json => {
            read_netfw_json(&fixture("windows/synthetic-netfirewallrule.json")).unwrap()
        }
    };
    assert_eq!(export.format, format);
    let mut out: Vec<String> = export
        .rules
        .iter()
        .map(|r| {
            format!(
                "{} {} {:?}",
                r.id,
                r.record.to_rule_string().unwrap(),
                r.not_carried
            )
        })
        .collect();
    out.extend(export.skipped.iter().map(|e| format!("skipped: {e}")));
    out
}

#[test]
fn netfirewallrule_csv_in_code_page_1252() {
    let export = read_netfw_csv(
        &fixture("windows/synthetic-netfirewallrule-cp1252.csv"),
        1252,
    )
    .unwrap();
    assert_eq!(export.encoding, TextEncoding::CodePage(1252));
    assert_eq!(export.rules.len(), 6);
    assert_eq!(export.skipped.len(), 1);
    assert_eq!(
        export.skipped[0].location(),
        &Location::Record {
            index: 6,
            field: Some("Action".into())
        }
    );
    let smb = &export.rules[0].record;
    assert_eq!(
        smb.name.as_deref(),
        Some("Datei- und Druckerfreigabe (SMB eingehend)")
    );
    assert!(smb.description.as_deref().unwrap().contains("für"));
    insta::assert_snapshot!("netfw_csv", lowered(ExportFormat::Csv).join("\n"));
}

#[test]
fn netfirewallrule_json_matches_the_csv() {
    let json = lowered(ExportFormat::Json);
    let csv = lowered(ExportFormat::Csv);
    // The same six rules; JSON adds the numeric-enum rule, CSV the unreadable one.
    assert_eq!(json[..6], csv[..6]);
    assert!(json[6].starts_with("Numeric-Enums v2.30|Action=Block|Active=TRUE|Dir=In|Protocol=6|Profile=Domain|Profile=Public|LPort=445|LPort=139|RA4=203.0.113.0/24|"));
}

#[test]
fn netfirewallrule_bad_inputs() {
    let err = read_netfw_csv(b"\"Foo\";\"Bar\"\r\n\"1\";\"2\"\r\n", 1252).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MissingHeader { .. }));
    let err = read_netfw_json(b"[{\"Name\": 1,").unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Json(_)));
    let export = read_netfw_json(b"[3, {\"Name\":\"x\",\"Enabled\":\"True\",\"Direction\":\"Inbound\",\"Action\":\"Allow\",\"Program\":\"a|b\"}]").unwrap();
    assert!(export.rules.is_empty());
    let where_: Vec<_> = export
        .skipped
        .iter()
        .map(|e| e.location().clone())
        .collect();
    assert_eq!(
        where_,
        [
            Location::Record {
                index: 0,
                field: None
            },
            Location::Record {
                index: 1,
                field: Some("Program".into())
            }
        ]
    );
    // `#TYPE` line and `,` delimiter (Export-Csv's defaults in Windows PowerShell).
    let csv = "#TYPE System.Management.Automation.PSCustomObject\r\n\"Name\",\"Enabled\",\"Direction\",\"Action\",\"LocalPort\",\"Protocol\"\r\n\"r\",\"True\",\"Inbound\",\"Allow\",\"445\",\"TCP\"\r\n";
    let export = read_netfw_csv(csv.as_bytes(), 1252).unwrap();
    assert_eq!(
        export.rules[0].record.to_rule_string().unwrap(),
        "v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=445|"
    );
}

#[test]
fn testparm_output_and_smb_conf() {
    let conf = read_smb_conf(&fixture("samba/testparm-s.txt"), 1252).unwrap();
    assert!(conf.skipped.is_empty(), "{:?}", conf.skipped);
    let names: Vec<_> = conf.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["global", "finance", "public"]);
    let settings = SambaSettings::from_conf(&conf);
    assert_eq!(settings.server_min_protocol.as_deref(), Some("SMB3_00"));
    assert_eq!(settings.server_signing.as_deref(), Some("required"));
    assert_eq!(settings.ntlm_auth.as_deref(), Some("disabled"));
    assert_eq!(settings.server_smb_encrypt.as_deref(), Some("desired"));
    assert_eq!(settings.shares[0].smb_encrypt.as_deref(), Some("required"));
    assert_eq!(settings.shares[1].guest_ok.as_deref(), Some("Yes"));

    // The smb.conf it came from: synonyms and spacing resolve to the same parameters.
    let raw = SambaSettings::from_conf(&read_smb_conf(&fixture("samba/smb.conf"), 1252).unwrap());
    assert_eq!(raw.server_signing.as_deref(), Some("mandatory"));
    assert_eq!(raw.shares[0].smb_encrypt.as_deref(), Some("required"));
    assert_eq!(raw.client_min_protocol, settings.client_min_protocol);

    let err = read_smb_conf(b"Load smb config files from /x\n", 1252).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MissingHeader { .. }));
    let conf = read_smb_conf(
        b"[global]\n server_min_PROTOCOL = SMB2\n nonsense\n min protocol = \\\n   SMB3\n",
        1252,
    )
    .unwrap();
    assert_eq!(conf.skipped[0].location(), &Location::Line { line: 3 });
    assert_eq!(
        conf.global().unwrap().get("server min protocol"),
        Some("SMB3")
    );
}

mod never_panic {
    use proptest::prelude::*;
    use smbguard_formats::Location;
    use smbguard_formats::hive::read_wfw;
    use smbguard_formats::netfw_export::{read_netfw_csv, read_netfw_json};
    use smbguard_formats::reg_file::read_reg_file;
    use smbguard_formats::smb_conf::read_smb_conf;

    /// A line number reported for a text of `lines` lines is inside it.
    fn line_inside(location: &Location, lines: usize) -> bool {
        match location {
            Location::Line { line } => (1..=lines.max(1)).contains(line),
            _ => true,
        }
    }

    /// Line-shaped fragments of every grammar, so random inputs reach deep.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("Windows Registry Editor Version 5.00".to_owned()),
            Just("REGEDIT4".to_owned()),
            Just(
                r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\WindowsFirewall\FirewallRules]"
                    .to_owned()
            ),
            Just(r"[-HKLM\X]".to_owned()),
            "\"[a-z\\\\\"]{0,6}\"=(dword:[0-9a-fA-F]{0,9}|hex(\\([0-9a-f]{0,3}\\))?:[0-9a-f, ]{0,12}\\\\?|\"[^\\r\\n]{0,10}\"?|-)",
            Just("[global]".to_owned()),
            "[a-z ]{1,10} = [^\\r\\n]{0,10}\\\\?",
            "\"Name\";\"Action\";\"Direction\";\"Enabled\";\"LocalPort\"",
            "\"[a-z]{0,4}\";\"(Allow|Block|x)\";\"(Inbound|2)\";\"True\";\"[0-9,A-Za-z-]{0,8}\"",
            "[^\\r\\n]{0,16}",
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(fragment(), 0..12).prop_map(|lines| lines.join("\r\n"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn text_readers_never_panic(text in text(), utf16 in any::<bool>()) {
            let lines = text.split('\n').count();
            let bytes = if utf16 { super::utf16_with_bom(&text) } else { text.clone().into_bytes() };
            match read_reg_file(&bytes, 1252) {
                Ok(file) => {
                    prop_assert!(file.skipped.iter().all(|e| line_inside(e.location(), lines)));
                    prop_assert!(file.values.iter().all(|v| (1..=lines).contains(&v.line)));
                }
                Err(e) => prop_assert!(line_inside(e.location(), lines)),
            }
            if let Ok(conf) = read_smb_conf(&bytes, 1252) {
                prop_assert!(conf.skipped.iter().all(|e| line_inside(e.location(), lines)));
            }
            let _ = read_netfw_csv(&bytes, 1252);
            let _ = read_netfw_json(&bytes);
        }

        #[test]
        fn byte_readers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), code_page in prop_oneof![Just(1252u16), Just(932), Just(0)]) {
            let _ = read_reg_file(&bytes, code_page);
            let _ = read_smb_conf(&bytes, code_page);
            let _ = read_netfw_csv(&bytes, code_page);
            let _ = read_netfw_json(&bytes);
            let mut hive = b"regf".to_vec();
            hive.extend_from_slice(&bytes);
            prop_assert!(read_wfw(&hive).is_err() || bytes.len() >= 4096);
        }
    }
}
