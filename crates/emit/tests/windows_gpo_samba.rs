//! Independent readers agree: every emitted `registry.pol` is decoded by
//! Samba's PIDL-generated NDR parser (`samba.dcerpc.preg`, package
//! python3-samba) to exactly the entries smbguard's reader sees.
//!
//! Without the module: a loud SKIPPED on stderr, or a failure when
//! `SMBGUARD_REQUIRE_TOOLS=1`.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod windows_support;

use std::fmt::Write as _;
use std::process::Command;

use smbguard_emit::Target;
use smbguard_formats::registry_pol::{RegData, RegType, RegistryEntry, read_registry_pol};
use smbguard_model::Strategy;
use windows_support::{artifacts, example, require_tools};

const PYTHON: &str = "/usr/bin/python3";

const DUMP: &str = r#"
import sys
from samba.dcerpc import preg
from samba.ndr import ndr_unpack
data = open(sys.argv[1], 'rb').read()
p = ndr_unpack(preg.file, data)
assert p.header.signature == 'PReg' and p.header.version == 1, (p.header.signature, p.header.version)
assert p.num_entries == len(p.entries)
h = lambda s: s.encode('utf-8').hex()
for e in p.entries:
    d = e.data
    if d is None:
        payload = 'none'
    elif isinstance(d, str):
        payload = 's:' + h(d)
    elif isinstance(d, int):
        payload = 'i:%d' % d
    else:
        payload = 'b:' + bytes(d).hex()
    print('%s\t%s\t%d\t%s' % (h(e.keyname), h(e.valuename), e.type, payload))
"#;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn our_view(e: &RegistryEntry) -> String {
    let payload = match (&e.kind, &e.data) {
        (RegType::Sz | RegType::ExpandSz, RegData::String(s)) => format!("s:{}", hex(s.as_bytes())),
        (RegType::Dword, RegData::Dword(v)) => format!("i:{v}"),
        _ => format!("b:{}", hex(&e.data_bytes())),
    };
    format!(
        "{}\t{}\t{}\t{payload}",
        hex(e.key.as_bytes()),
        hex(e.value.as_bytes()),
        e.kind.code()
    )
}

fn samba_available() -> bool {
    let ok = Command::new(PYTHON)
        .args(["-c", "from samba.dcerpc import preg"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !require_tools(),
            "python3-samba is required (SMBGUARD_REQUIRE_TOOLS=1) but `{PYTHON} -c 'from samba.dcerpc import preg'` failed"
        );
        eprintln!(
            "SKIPPED: python3-samba not installed: emitted registry.pol files NOT cross-checked with Samba's preg parser"
        );
    }
    ok
}

#[test]
fn samba_reads_every_emitted_registry_pol_like_smbguard() {
    if !samba_available() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("smbguard-emit-samba-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut checked = 0;
    for strategy in [Strategy::IpsecBypass, Strategy::Complement] {
        let (estate, plan) = example(strategy);
        for a in artifacts(&estate, &plan, &[Target::Gpo])
            .iter()
            .filter(|a| a.path.ends_with("/registry.pol"))
        {
            let file = dir.join(format!("{checked}.pol"));
            std::fs::write(&file, &a.contents).expect("write");
            let out = Command::new(PYTHON)
                .args(["-c", DUMP])
                .arg(&file)
                .output()
                .expect("python runs");
            assert!(
                out.status.success(),
                "{}: samba failed: {}",
                a.path,
                String::from_utf8_lossy(&out.stderr)
            );
            let samba: Vec<String> = String::from_utf8(out.stdout)
                .expect("utf8")
                .lines()
                .map(str::to_owned)
                .collect();
            let ours: Vec<String> = read_registry_pol(&a.contents)
                .expect("ours reads")
                .iter()
                .map(our_view)
                .collect();
            assert!(ours.len() > 20, "{}", a.path);
            assert_eq!(samba, ours, "{} ({strategy:?})", a.path);
            checked += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(checked >= 12, "{checked}");
}
