//! Cross-check with Samba's independent PReg implementation (the PIDL-generated
//! NDR parser `samba.dcerpc.preg`, Debian package `python3-samba`):
//!
//! 1. files written by this crate are decoded by Samba to the same entries;
//! 2. files packed by Samba (`ndr_pack`) are read by this crate to the same entries,
//!    and the firewall rule strings in them parse.
//!
//! Without the module the tests print `SKIPPED: python3-samba not installed` and
//! pass, unless `SMBGUARD_REQUIRE_TOOLS=1`, in which case they fail.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use smbguard_formats::gpfas::{FirewallPolicy, FirewallRuleRecord};
use smbguard_formats::registry_pol::{
    RegData, RegType, RegistryEntry, read_registry_pol, write_registry_pol,
};
use smbguard_testkit::preg::{self, hex};

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("smbguard-formats-{}-{name}", std::process::id()))
}

fn sample_entries() -> Vec<RegistryEntry> {
    let base = r"SOFTWARE\Policies\Microsoft\WindowsFirewall";
    let rules = format!(r"{base}\FirewallRules");
    let mut entries = vec![
        RegistryEntry::delete_all_values(&rules),
        RegistryEntry::dword(base, "PolicyVersion", 538),
        RegistryEntry::dword(format!(r"{base}\PublicProfile"), "EnableFirewall", 1),
        RegistryEntry::sz(
            format!(r"{base}\PublicProfile\Logging"),
            "LogFilePath",
            r"%systemroot%\system32\LogFiles\Firewall\pfirewall.log",
        ),
    ];
    for (id, rule) in [
        (
            "FPS-SMB-In-TCP",
            "v2.33|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Private|Profile=Public|LPort=445|RA4=LocalSubnet|RA6=LocalSubnet|App=System|Name=@FirewallAPI.dll,-28511|Desc=@FirewallAPI.dll,-28514|EmbedCtxt=@FirewallAPI.dll,-28502|",
        ),
        (
            "{F7EE5C6D-6C90-456B-9166-E301B1305A56}",
            r"v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Public|LPort=RPC|RPort=49000|LA4=192.168.1.0/255.255.255.0|LA4=192.168.0.0/255.255.255.0|RA4=LocalSubnet|RA6=LocalSubnet|App=c:\path\foo.exe|Name=Firewall Rule Test|Security=Authenticate|Security2_9=An-NoEncap|",
        ),
        (
            "{00000000-0000-0000-0000-000000000001}",
            "v2.10|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=445|Name=SMB: block inbound — ünïcödé|EmbedCtxt=SMB lateral movement|",
        ),
        (
            "{00000000-0000-0000-0000-000000000002}",
            "v2.10|Action=ByPass|Active=TRUE|Dir=In|Protocol=6|LPort=445|RMauth=O:LSD:(A;;CC;;;S-1-5-21-1-2-3-1111)|Security=Authenticate|Security2_9=An-NoEncap|",
        ),
    ] {
        let (record, _) = FirewallRuleRecord::parse(rule).unwrap();
        entries.push(RegistryEntry::sz(
            &rules,
            id,
            record.to_rule_string().unwrap(),
        ));
    }
    entries.extend([
        RegistryEntry::sz(
            format!(r"{base}\ConSecRules"),
            "{csr}",
            "v2.10|Action=Boundary|Active=TRUE|Auth1Set={p1}|Auth2Set={p2}|Name=SMB isolation|",
        ),
        RegistryEntry::sz(
            format!(r"{base}\Phase1AuthenticationSets\{{p1}}\0000"),
            "Method",
            "MachineKerb",
        ),
        RegistryEntry::delete_value(&rules, "{stale}"),
        RegistryEntry::delete_keys(base, &["MainModeRules"]),
        RegistryEntry::secure_key(base, true),
        RegistryEntry {
            key: r"Software\Test".into(),
            value: "expand".into(),
            kind: RegType::ExpandSz,
            data: RegData::String("%SystemRoot%".into()),
        },
        RegistryEntry {
            key: r"Software\Test".into(),
            value: "multi".into(),
            kind: RegType::MultiSz,
            data: RegData::MultiString(vec!["a".into(), "bc".into()]),
        },
        RegistryEntry {
            key: r"Software\Test".into(),
            value: "bin".into(),
            kind: RegType::Binary,
            data: RegData::Bytes(vec![0, 1, 2, 255]),
        },
        RegistryEntry {
            key: r"Software\Test".into(),
            value: "qword".into(),
            kind: RegType::Qword,
            data: RegData::Qword(1 << 40),
        },
        RegistryEntry {
            key: r"Software\Test".into(),
            value: "be".into(),
            kind: RegType::DwordBigEndian,
            data: RegData::Dword(0x0102_0304),
        },
        RegistryEntry {
            key: r"Software\Test".into(),
            value: "none".into(),
            kind: RegType::None,
            data: RegData::Bytes(vec![]),
        },
    ]);
    entries
}

#[test]
fn samba_decodes_files_written_by_this_crate() {
    if !preg::available() {
        return;
    }
    let entries = sample_entries();
    let bytes = write_registry_pol(&entries).unwrap();
    let samba =
        preg::dump(&bytes).unwrap_or_else(|e| panic!("samba failed to decode our file: {e}"));
    let ours: Vec<String> = entries.iter().map(preg::view).collect();
    assert_eq!(samba.len(), ours.len());
    for (i, (s, o)) in samba.iter().zip(&ours).enumerate() {
        assert_eq!(s, o, "entry {i} ({}!{})", entries[i].key, entries[i].value);
    }
    // And the firewall part reads back into the same typed policy.
    let (p1, _) = FirewallPolicy::from_registry(&entries);
    let (p2, _) = FirewallPolicy::from_registry(&read_registry_pol(&bytes).unwrap());
    assert_eq!(p1, p2);
}

const PACK: &str = r#"
import sys
from samba.dcerpc import preg
from samba.ndr import ndr_pack
rows = [l.rstrip('\n').split('\t') for l in sys.stdin if l.strip()]
es = []
for key, value, typ, data in rows:
    e = preg.entry()
    e.keyname = bytes.fromhex(key).decode('utf-8')
    e.valuename = bytes.fromhex(value).decode('utf-8')
    e.type = int(typ)
    e.data = int(data) if e.type == 4 else bytes.fromhex(data).decode('utf-8')
    es.append(e)
p = preg.file()
p.header.signature = 'PReg'
p.header.version = 1
p.num_entries = len(es)
p.entries = es
open(sys.argv[1], 'wb').write(ndr_pack(p))
"#;

#[test]
fn files_packed_by_samba_are_read_identically() {
    if !preg::available() {
        return;
    }
    let entries: Vec<RegistryEntry> = sample_entries()
        .into_iter()
        .filter(|e| {
            matches!(
                (&e.kind, &e.data),
                (RegType::Sz, RegData::String(_)) | (RegType::Dword, RegData::Dword(_))
            )
        })
        .collect();
    let mut input = String::new();
    for e in &entries {
        let data = match &e.data {
            RegData::String(s) => hex(s.as_bytes()),
            RegData::Dword(v) => v.to_string(),
            _ => unreachable!(),
        };
        let _ = writeln!(
            input,
            "{}\t{}\t{}\t{data}",
            hex(e.key.as_bytes()),
            hex(e.value.as_bytes()),
            e.kind.code()
        );
    }
    let path = temp_path("packed.pol");
    let mut child = Command::new(preg::PYTHON)
        .args(["-c", PACK])
        .arg(&path)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "samba pack failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let read = read_registry_pol(&bytes).unwrap();
    assert_eq!(read, entries);
    // Samba's layout for these types is the canonical one.
    assert_eq!(write_registry_pol(&read).unwrap(), bytes);
    let (policy, warnings) = FirewallPolicy::from_registry(&read);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(policy.rules.len(), 4);
}
