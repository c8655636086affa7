//! Registry.pol reader/writer/interpreter: real fixture files, truncation and
//! corruption, Samba-written variants, special value names.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use smbguard_formats::registry_pol::{
    Directive, HEADER, MAX_DATA_SIZE, RegData, RegType, RegistryEntry, ResolveWarning,
    read_registry_pol, read_registry_pol_partial, resolve, write_registry_pol,
};
use smbguard_formats::{ErrorKind, Location};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/windows");

fn fixture(rel: &str) -> Vec<u8> {
    let path = format!("{FIXTURES}/{rel}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {path}: {e}"))
}

const NSACYBER: &str = "nsacyber-stig-firewall-gpo-backup/{3AD8D9F1-7CD7-4A0B-955A-8BBB76E51E23}/DomainSysvol/GPO/Machine/registry.pol";
const HOTCAKEX_FW: &str = "hotcakex-windows-firewall-policies.registry.pol";
const HOTCAKEX_NET: &str = "hotcakex-windows-networking-policies.registry.pol";

#[test]
fn fixtures_read_and_write_back_byte_exact() {
    for (rel, count) in [(NSACYBER, 24), (HOTCAKEX_FW, 11), (HOTCAKEX_NET, 5)] {
        let bytes = fixture(rel);
        let entries = read_registry_pol(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(entries.len(), count, "{rel}");
        // GPMC writes the canonical layout, so the writer reproduces the file.
        let written = write_registry_pol(&entries).unwrap();
        assert_eq!(written, bytes, "{rel}: canonical rewrite differs");
        assert_eq!(read_registry_pol(&written).unwrap(), entries);
    }
}

#[test]
fn fixture_values() {
    let entries = read_registry_pol(&fixture(NSACYBER)).unwrap();
    assert_eq!(
        entries[0],
        RegistryEntry::dword(
            r"SOFTWARE\Policies\Microsoft\WindowsFirewall",
            "PolicyVersion",
            538
        )
    );
    let public_merge = entries
        .iter()
        .find(|e| e.key.ends_with("PublicProfile") && e.value == "AllowLocalPolicyMerge")
        .unwrap();
    assert_eq!(public_merge.data, RegData::Dword(0));

    let net = read_registry_pol(&fixture(HOTCAKEX_NET)).unwrap();
    assert_eq!(
        net[0].key,
        r"Software\Policies\Microsoft\Windows NT\DNSClient"
    );
    assert_eq!(net[0].value, "EnableNetbios");
    assert_eq!(net[0].data, RegData::Dword(0));
    assert!(net.iter().all(|e| e.directive() == Directive::Value));
}

/// Every prefix of a real file: the lenient reader returns exactly the entries
/// that are complete in the prefix, and an error (with an offset inside the
/// prefix) unless the cut falls on an entry boundary.
#[test]
fn truncation_at_every_byte_reports_offset_and_entries_so_far() {
    let bytes = fixture(HOTCAKEX_FW);
    let full = read_registry_pol(&bytes).unwrap();
    let mut boundaries = vec![8];
    let mut acc = Vec::new();
    for e in &full {
        acc.push(e.clone());
        boundaries.push(write_registry_pol(&acc).unwrap().len());
    }
    for cut in 0..bytes.len() {
        let outcome = read_registry_pol_partial(&bytes[..cut]);
        assert!(full.starts_with(&outcome.entries), "cut {cut}");
        match outcome.error {
            None => assert!(
                boundaries.contains(&cut),
                "cut {cut} accepted without error"
            ),
            Some(err) => {
                assert!(!boundaries.contains(&cut) || cut < 8, "cut {cut}: {err}");
                assert!(
                    err.offset().unwrap_or(usize::MAX) <= cut,
                    "cut {cut}: offset {} beyond end",
                    err.offset().unwrap_or(usize::MAX)
                );
                assert!(matches!(
                    err.location(),
                    Location::PolByte { entry_index, .. } if *entry_index == outcome.entries.len()
                ));
                if cut < 4 {
                    assert_eq!(*err.kind(), ErrorKind::BadSignature);
                } else {
                    assert!(
                        matches!(
                            *err.kind(),
                            ErrorKind::Truncated(_) | ErrorKind::DataTooLong { .. }
                        ),
                        "cut {cut}: {err}"
                    );
                }
            }
        }
    }
}

#[test]
fn corrupt_inputs_report_offsets() {
    let good = fixture(HOTCAKEX_FW);

    let err = read_registry_pol(b"NOPE\x01\x00\x00\x00").unwrap_err();
    assert_eq!(
        (err.offset(), err.kind().clone()),
        (Some(0), ErrorKind::BadSignature)
    );

    let err = read_registry_pol(b"PReg\x02\x00\x00\x00").unwrap_err();
    assert_eq!(
        (err.offset(), err.kind().clone()),
        (Some(4), ErrorKind::UnsupportedVersion(2))
    );

    assert_eq!(read_registry_pol(&HEADER).unwrap(), vec![]);

    // Garbage after the last `]`.
    let mut bad = good.clone();
    bad.extend_from_slice(&[b'x', 0]);
    let outcome = read_registry_pol_partial(&bad);
    assert_eq!(outcome.entries.len(), 11);
    let err = outcome.error.unwrap();
    assert_eq!(err.offset().unwrap_or(usize::MAX), good.len());
    assert!(matches!(
        err.location(),
        Location::PolByte {
            entry_index: 11,
            ..
        }
    ));
    assert_eq!(
        *err.kind(),
        ErrorKind::ExpectedDelimiter {
            expected: '[',
            found: u16::from(b'x')
        }
    );
    assert!(err.to_string().contains(&format!("offset {}", good.len())));

    // Size field larger than the rest of the file (first entry: size at byte 0x88).
    let mut bad = good.clone();
    bad[0x88..0x8c].copy_from_slice(&100_000u32.to_le_bytes());
    let err = read_registry_pol(&bad).unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::DataTooLong { size: 100_000, .. }),
        "{err}"
    );
    assert_eq!(err.offset().unwrap_or(usize::MAX), 0x8e);

    // `]` replaced.
    let mut bad = good.clone();
    bad[0x92] = b')';
    let err = read_registry_pol(&bad).unwrap_err();
    assert_eq!(err.offset().unwrap_or(usize::MAX), 0x92);
    assert!(matches!(
        *err.kind(),
        ErrorKind::ExpectedDelimiter { expected: ']', .. }
    ));

    // Unpaired surrogate in a name.
    let mut bytes = HEADER.to_vec();
    for u in [u16::from(b'['), 0xD800, 0, u16::from(b';')] {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let err = read_registry_pol(&bytes).unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidName("key"));
    assert_eq!(err.offset().unwrap_or(usize::MAX), 10);
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// An entry as Samba's `patchfile_preg.c` writes it: names without NUL.
fn samba_entry(key: &str, value: &str, kind: u32, data: &[u8]) -> Vec<u8> {
    let mut b = utf16("[");
    b.extend(utf16(key));
    b.extend(utf16(";"));
    b.extend(utf16(value));
    b.extend(utf16(";"));
    b.extend(kind.to_le_bytes());
    b.extend(utf16(";"));
    b.extend(u32::try_from(data.len()).unwrap().to_le_bytes());
    b.extend(utf16(";"));
    b.extend(data);
    b.extend(utf16("]"));
    b
}

#[test]
fn samba_written_files_are_understood() {
    let fw = r"Software\Policies\Microsoft\WindowsFirewall\FirewallRules";
    let mut bytes = HEADER.to_vec();
    let mut rule = utf16("v2.10|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=445|");
    rule.extend([0, 0]);
    bytes.extend(samba_entry(fw, "{rule-1}", 1, &rule));
    bytes.extend(samba_entry(fw, "**Del.{old}", 4, &[0, 0, 0, 0]));
    bytes.extend(samba_entry(fw, "**DelVals.", 4, &[0, 0, 0, 0]));
    bytes.extend(samba_entry(
        r"Software\Policies\Microsoft",
        "**DeleteKeys",
        1,
        b"WindowsFirewall\0",
    ));
    bytes.extend(samba_entry(fw, "**DelVals", 4, &[0, 0, 0, 0]));
    bytes.extend(samba_entry(fw, "", 0, &[]));
    bytes.extend(samba_entry(fw, "n", 11, &7u64.to_le_bytes()));
    let entries = read_registry_pol(&bytes).unwrap();
    assert_eq!(entries.len(), 7);
    assert_eq!(entries[0].key, fw);
    assert_eq!(entries[0].value, "{rule-1}");
    assert_eq!(
        entries[0].data.as_str(),
        Some("v2.10|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=445|")
    );
    assert_eq!(
        entries[1].directive(),
        Directive::DeleteValue("{old}".into())
    );
    assert_eq!(entries[2].directive(), Directive::DeleteAllValues);
    assert_eq!(
        entries[3].directive(),
        Directive::DeleteKeys(vec!["WindowsFirewall".into()])
    );
    assert_eq!(
        entries[3].data,
        RegData::Bytes(b"WindowsFirewall\0".to_vec())
    );
    assert_eq!(entries[4].directive(), Directive::DeleteAllValues);
    assert_eq!(
        (entries[5].value.as_str(), entries[5].kind),
        ("", RegType::None)
    );
    assert_eq!(entries[6].data, RegData::Qword(7));

    // Rewriting yields the canonical (NUL-terminated) layout with equal entries.
    let canonical = write_registry_pol(&entries).unwrap();
    assert_ne!(canonical, bytes);
    assert_eq!(read_registry_pol(&canonical).unwrap(), entries);
}

#[test]
fn special_value_names() {
    let k = r"Software\Policies\X";
    let e = |value: &str, data: RegData, kind: RegType| RegistryEntry {
        key: k.into(),
        value: value.into(),
        kind,
        data,
    };
    let sz = |value: &str, s: &str| e(value, RegData::String(s.into()), RegType::Sz);
    assert_eq!(
        sz("**del.Foo", " ").directive(),
        Directive::DeleteValue("Foo".into())
    );
    assert_eq!(
        sz("**Del.Foo", " ").directive(),
        Directive::DeleteValue("Foo".into())
    );
    assert_eq!(
        sz("**delvals.", " ").directive(),
        Directive::DeleteAllValues
    );
    assert_eq!(sz("**DELVALS", " ").directive(), Directive::DeleteAllValues);
    assert_eq!(
        sz("**deletevalues", "a;b;").directive(),
        Directive::DeleteValues(vec!["a".into(), "b".into()])
    );
    assert_eq!(
        sz("**DeleteKeys", "K1;K2").directive(),
        Directive::DeleteKeys(vec!["K1".into(), "K2".into()])
    );
    assert_eq!(
        e("**SecureKey", RegData::Dword(1), RegType::Dword).directive(),
        Directive::SecureKey(true)
    );
    assert_eq!(
        e("**SecureKey", RegData::Dword(0), RegType::Dword).directive(),
        Directive::SecureKey(false)
    );
    assert_eq!(
        e("**soft.Foo", RegData::Dword(3), RegType::Dword).directive(),
        Directive::SoftValue("Foo".into())
    );
    assert_eq!(sz("**Comment", "x").directive(), Directive::UnknownSpecial);
    assert_eq!(sz("*Foo", "x").directive(), Directive::Value);

    // Constructors write the Microsoft forms.
    assert_eq!(RegistryEntry::delete_value(k, "Foo"), sz("**Del.Foo", " "));
    assert_eq!(RegistryEntry::delete_all_values(k), sz("**DelVals.", " "));
    assert_eq!(
        RegistryEntry::delete_values(k, &["a", "b"]),
        sz("**DeleteValues", "a;b")
    );
    assert_eq!(
        RegistryEntry::delete_keys(k, &["a"]),
        sz("**DeleteKeys", "a")
    );
    assert_eq!(
        RegistryEntry::secure_key(k, true),
        e("**SecureKey", RegData::Dword(1), RegType::Dword)
    );
}

#[test]
fn resolve_applies_directives_in_order() {
    let fw = r"SOFTWARE\Policies\Microsoft\WindowsFirewall";
    let rules = format!(r"{fw}\FirewallRules");
    let entries = vec![
        RegistryEntry::sz(&rules, "A", "a1"),
        RegistryEntry::sz(&rules, "B", "b1"),
        RegistryEntry::delete_value(&rules, "a"), // case-insensitive
        RegistryEntry::sz(&rules, "B", "b2"),     // overrides, keeps position
        RegistryEntry::sz(format!(r"{fw}\PublicProfile"), "X", "x"),
        RegistryEntry::sz(format!(r"{fw}\PublicProfile\Logging"), "Y", "y"),
        RegistryEntry::sz(format!(r"{fw}\PublicProfileOther"), "Z", "z"),
        RegistryEntry::delete_keys(fw, &["publicprofile"]),
        RegistryEntry::sz(&rules, "C", "c"),
        RegistryEntry::delete_all_values(format!(r"{fw}\ConSecRules")),
        RegistryEntry::sz(&rules, "A", "a2"), // re-created after deletion: new position
        RegistryEntry::delete_values(&rules, &["C"]),
        RegistryEntry::secure_key(fw, true),
        RegistryEntry::sz(fw, "**Strange", ""),
    ];
    let r = resolve(&entries);
    let values: Vec<(&str, &str)> = r
        .values
        .iter()
        .map(|e| (e.value.as_str(), e.data.as_str().unwrap()))
        .collect();
    assert_eq!(values, vec![("B", "b2"), ("Z", "z"), ("A", "a2")]);
    assert_eq!(r.directives.len(), 6);
    assert_eq!(
        r.warnings,
        vec![
            ResolveWarning::Overridden {
                index: 3,
                key: rules.clone(),
                value: "B".into()
            },
            ResolveWarning::UnknownSpecial {
                index: 13,
                key: fw.into(),
                value: "**Strange".into()
            },
        ]
    );
    // Directives first, then surviving values: same final state.
    let mut replay = r.directives.clone();
    replay.extend(r.values.clone());
    assert_eq!(resolve(&replay).values, r.values);
}

#[test]
fn data_decoding_is_lossless() {
    let cases: Vec<(RegType, Vec<u8>, RegData)> = vec![
        (
            RegType::Sz,
            vec![b'a', 0, 0, 0],
            RegData::String("a".into()),
        ),
        (RegType::Sz, vec![0, 0], RegData::String(String::new())),
        (RegType::Sz, vec![b'a', 0], RegData::Bytes(vec![b'a', 0])), // no terminator
        (
            RegType::Sz,
            vec![b'a', 0, 0, 0, 0, 0],
            RegData::Bytes(vec![b'a', 0, 0, 0, 0, 0]),
        ), // two NULs
        (RegType::Sz, vec![], RegData::Bytes(vec![])),
        (
            RegType::ExpandSz,
            vec![b'%', 0, 0, 0],
            RegData::String("%".into()),
        ),
        (
            RegType::MultiSz,
            vec![b'a', 0, 0, 0, b'b', 0, 0, 0, 0, 0],
            RegData::MultiString(vec!["a".into(), "b".into()]),
        ),
        (RegType::MultiSz, vec![0, 0], RegData::MultiString(vec![])),
        (
            RegType::MultiSz,
            vec![0, 0, 0, 0],
            RegData::Bytes(vec![0, 0, 0, 0]),
        ),
        (RegType::Dword, vec![1, 0, 0, 0], RegData::Dword(1)),
        (RegType::Dword, vec![1, 0], RegData::Bytes(vec![1, 0])),
        (RegType::DwordBigEndian, vec![0, 0, 0, 1], RegData::Dword(1)),
        (
            RegType::Qword,
            5u64.to_le_bytes().to_vec(),
            RegData::Qword(5),
        ),
        (
            RegType::Binary,
            vec![1, 2, 3],
            RegData::Bytes(vec![1, 2, 3]),
        ),
        (RegType::Other(6), vec![1], RegData::Bytes(vec![1])),
    ];
    for (kind, bytes, expected) in cases {
        let data = RegData::decode(kind, &bytes);
        assert_eq!(data, expected, "{kind:?} {bytes:?}");
        assert_eq!(data.encode(kind), bytes, "{kind:?}");
        let entry = RegistryEntry {
            key: "K".into(),
            value: "V".into(),
            kind,
            data,
        };
        let file = write_registry_pol(std::slice::from_ref(&entry)).unwrap();
        assert_eq!(read_registry_pol(&file).unwrap(), vec![entry]);
    }
    assert_eq!(RegType::from_code(6), RegType::Other(6));
    assert_eq!(RegType::from_code(11), RegType::Qword);
}

#[test]
fn writer_rejects_unrepresentable_entries() {
    let kind_of = |e: RegistryEntry| write_registry_pol(&[e]).unwrap_err().kind().clone();
    assert_eq!(
        kind_of(RegistryEntry::sz("K\0", "V", "x")),
        ErrorKind::ControlCharInName("key")
    );
    assert_eq!(
        kind_of(RegistryEntry::sz("K", "V\n", "x")),
        ErrorKind::ControlCharInName("value")
    );
    assert_eq!(
        kind_of(RegistryEntry::sz("K", "V", "a\0b")),
        ErrorKind::NulInString
    );
    assert_eq!(
        kind_of(RegistryEntry {
            key: "K".into(),
            value: "V".into(),
            kind: RegType::Dword,
            data: RegData::String("1".into()),
        }),
        ErrorKind::DataKindMismatch(4)
    );
    assert_eq!(
        kind_of(RegistryEntry {
            key: "K".into(),
            value: "V".into(),
            kind: RegType::MultiSz,
            data: RegData::MultiString(vec!["a".into(), String::new()]),
        }),
        ErrorKind::EmptyMultiStringElement
    );
    // A rule string of 32,767 UTF-16 units incl. NUL is the maximum.
    let ok = "x".repeat(MAX_DATA_SIZE / 2 - 1);
    assert!(write_registry_pol(&[RegistryEntry::sz("K", "V", ok.clone())]).is_ok());
    let err = write_registry_pol(&[RegistryEntry::sz("K", "V", ok + "x")]).unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::DataTooLarge(MAX_DATA_SIZE + 1));
    assert!(matches!(
        err.location(),
        Location::PolEntry { index: 0, .. }
    ));
    assert!(err.to_string().contains("K!V"));
}
