//! Golden outputs of the Windows targets on the example estate, and
//! determinism (same estate, same bytes).

use std::fmt::Write as _;

use crate::windows_support::{artifacts, example, find, fnv64};
use smbguard_emit::{Artifact, Target};
use smbguard_formats::registry_pol::{RegData, read_registry_pol};
use smbguard_model::Strategy;

const WINDOWS: [Target; 3] = [Target::PowerShell, Target::Netsh, Target::Gpo];

fn listing(arts: &[Artifact]) -> String {
    let mut s = String::new();
    for a in arts {
        let _ = writeln!(
            s,
            "{:<10} {:>6} {} {}",
            a.target.as_str(),
            a.contents.len(),
            fnv64(&a.contents),
            a.path
        );
        let _ = writeln!(s, "           {}", a.description);
    }
    s
}

fn text(a: &Artifact) -> String {
    String::from_utf8(a.contents.clone()).expect("utf8")
}

/// `registry.pol` as a readable dump of its entries, plus the bytes' hash.
fn pol_dump(a: &Artifact) -> String {
    let mut s = format!("{} bytes, fnv64 {}\n", a.contents.len(), fnv64(&a.contents));
    for e in read_registry_pol(&a.contents).expect("reads") {
        let data = match &e.data {
            RegData::String(t) => format!("REG_SZ {t}"),
            RegData::Dword(v) => format!("REG_DWORD {v}"),
            other => format!("{other:?}"),
        };
        let _ = writeln!(s, "{}!{} = {data}", e.key, e.value);
    }
    s
}

#[test]
fn windows_artefacts_are_deterministic() {
    for strategy in [Strategy::IpsecBypass, Strategy::Complement] {
        let (e1, p1) = example(strategy);
        let (e2, p2) = example(strategy);
        assert_eq!(artifacts(&e1, &p1, &WINDOWS), artifacts(&e2, &p2, &WINDOWS));
    }
}

#[test]
fn snapshot_listing() {
    let (estate, plan) = example(Strategy::IpsecBypass);
    insta::assert_snapshot!(
        "windows_listing",
        listing(&artifacts(&estate, &plan, &WINDOWS))
    );
}

#[test]
fn snapshot_powershell() {
    let (estate, plan) = example(Strategy::IpsecBypass);
    let arts = artifacts(&estate, &plan, &[Target::PowerShell]);
    insta::assert_snapshot!(
        "powershell_workstations",
        text(find(&arts, "workstations", ".ps1"))
    );
    let kiosks = text(find(&arts, "kiosks", ".ps1"));
    // The runtime after the data is shared; the kiosks snapshot keeps the data part.
    let data = kiosks.split("# ---------------------------------------------------------------------------\n# Runtime").next().expect("data");
    insta::assert_snapshot!("powershell_kiosks_data", data);
}

#[test]
fn snapshot_netsh() {
    let (estate, plan) = example(Strategy::IpsecBypass);
    let arts = artifacts(&estate, &plan, &[Target::Netsh]);
    insta::assert_snapshot!(
        "netsh_workstations",
        text(find(&arts, "workstations", ".cmd"))
    );
    insta::assert_snapshot!("netsh_kiosks", text(find(&arts, "kiosks", ".cmd")));
}

#[test]
fn snapshot_gpo() {
    let (estate, plan) = example(Strategy::IpsecBypass);
    let arts = artifacts(&estate, &plan, &[Target::Gpo]);
    insta::assert_snapshot!(
        "gpo_workstations_registry_pol",
        pol_dump(find(&arts, "workstations", "/registry.pol"))
    );
    insta::assert_snapshot!(
        "gpo_kiosks_registry_pol",
        pol_dump(find(&arts, "kiosks", "/registry.pol"))
    );
    let mut xml = String::new();
    for suffix in [
        "/manifest.xml",
        "/Backup.xml",
        "/bkupInfo.xml",
        "/Services.xml",
    ] {
        let a = find(&arts, "kiosks", suffix);
        let _ = writeln!(xml, "==> {} <==\n{}", a.path, text(a));
    }
    insta::assert_snapshot!("gpo_kiosks_backup_xml", xml);
    let (estate, plan) = example(Strategy::Complement);
    let arts = artifacts(&estate, &plan, &[Target::Gpo]);
    insta::assert_snapshot!(
        "gpo_workstations_registry_pol_complement",
        pol_dump(find(&arts, "workstations", "/registry.pol"))
    );
}
