//! `.reg`, `.wfw` and `Get-NetFirewallRule` exports as audit inputs:
//! detected from their bytes, and judged like the stores they hold (a `.reg`
//! export of smbguard's own GPO audits clean, over as many flow classes as
//! the registry.pol it came from).

use smbguard_audit::{
    GroupChoice, InputKind, audit_netfw_export, audit_reg_export, audit_registry_pol, audit_wfw,
    detect,
};
use smbguard_emit::Target;
use smbguard_formats::registry_pol::{RegData, RegistryEntry};
use smbguard_model::Strategy;

use crate::audit_support::{artifacts, codes, example, gpo_entries, show};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures");

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{rel}")).expect("fixture")
}

/// A regedit 5.00 export (UTF-16LE with BOM) of HKLM entries.
fn reg_export(entries: &[(String, RegistryEntry)]) -> Vec<u8> {
    let mut text = String::from("Windows Registry Editor Version 5.00\r\n");
    let mut last = String::new();
    for (key, e) in entries {
        if *key != last {
            text.push_str(&format!("\r\n[HKEY_LOCAL_MACHINE\\{key}]\r\n"));
            last.clone_from(key);
        }
        let name = e.value.replace('\\', "\\\\").replace('"', "\\\"");
        let data = match &e.data {
            RegData::Dword(v) => format!("dword:{v:08x}"),
            RegData::String(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
            RegData::MultiString(items) => {
                let mut bytes = Vec::new();
                for item in items {
                    bytes.extend(item.encode_utf16().chain([0]).flat_map(u16::to_le_bytes));
                }
                bytes.extend([0, 0]);
                let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
                format!("hex(7):{}", hex.join(","))
            }
            other => panic!("unexpected data {other:?}"),
        };
        text.push_str(&format!("\"{name}\"={data}\r\n"));
    }
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

#[test]
fn exports_are_detected() {
    for (rel, kind) in [
        (
            "windows/synthetic-firewall-stores.reg",
            InputKind::RegExport,
        ),
        (
            "windows/synthetic-regedit4-cp1252.reg",
            InputKind::RegExport,
        ),
        ("windows/luthfina16-firewall.wfw", InputKind::Wfw),
        (
            "windows/synthetic-netfirewallrule-cp1252.csv",
            InputKind::NetFirewallCsv,
        ),
        (
            "windows/synthetic-netfirewallrule.json",
            InputKind::NetFirewallJson,
        ),
    ] {
        assert_eq!(detect(&fixture(rel)), Some(kind), "{rel}");
    }
}

#[test]
fn reg_export_of_own_gpo_audits_clean_like_its_registry_pol() {
    let (estate, plan) = example(Strategy::IpsecBypass);
    let arts = artifacts(&estate, &plan, &[Target::Gpo]);
    for h in plan.hosts.iter().filter(|h| h.windows().is_some()) {
        let entries = gpo_entries(&arts, &h.group);
        let keyed: Vec<(String, RegistryEntry)> = entries
            .iter()
            .filter(|e| !e.value.starts_with("**"))
            .map(|e| (e.key.clone(), e.clone()))
            .collect();
        let location = format!("exports/{}.reg", h.group);
        let clean = audit_reg_export(&plan, &reg_export(&keyed), GroupChoice::Infer, &location)
            .expect("audits");
        assert_eq!(clean.input, InputKind::RegExport);
        assert!(
            clean.findings.is_empty(),
            "{}:\n{}",
            h.group,
            show(&clean.findings)
        );
        let pol = arts
            .iter()
            .find(|a| {
                a.group.as_deref() == Some(h.group.as_str()) && a.path.ends_with("/registry.pol")
            })
            .expect("registry.pol");
        let same = audit_registry_pol(
            &plan,
            &pol.contents,
            GroupChoice::Infer,
            &pol.path,
            InputKind::GpoBackup,
        )
        .expect("audits");
        assert_eq!(clean.classes, same.classes, "{}", h.group);
    }
}

#[test]
fn real_and_synthesized_exports_audit_without_error() {
    let (_, plan) = example(Strategy::IpsecBypass);
    let group = plan
        .hosts
        .iter()
        .find(|h| h.windows().is_some())
        .expect("a Windows group")
        .group
        .clone();
    let choice = GroupChoice::Named(&group);
    let wfw = audit_wfw(
        &plan,
        &fixture("windows/luthfina16-firewall.wfw"),
        choice,
        "firewall.wfw",
    )
    .expect("wfw");
    let reg = audit_reg_export(
        &plan,
        &fixture("windows/synthetic-firewall-stores.reg"),
        choice,
        "stores.reg",
    )
    .expect("reg");
    let csv = audit_netfw_export(
        &plan,
        &fixture("windows/synthetic-netfirewallrule-cp1252.csv"),
        false,
        choice,
        "rules.csv",
    )
    .expect("csv");
    let json = audit_netfw_export(
        &plan,
        &fixture("windows/synthetic-netfirewallrule.json"),
        true,
        choice,
        "rules.json",
    )
    .expect("json");
    // None of them is smbguard's policy: each differs from the plan.
    for a in [&wfw, &reg, &csv, &json] {
        assert!(!a.findings.is_empty(), "{}", a.source);
    }
    insta::assert_snapshot!(
        "exports_finding_codes",
        [&wfw, &reg, &csv, &json]
            .iter()
            .map(|a| format!("{} {:?}", a.source, codes(a)))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
