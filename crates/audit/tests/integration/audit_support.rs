//! Shared helpers of the audit tests: the example estate, its artefacts,
//! and bundles synthesised from its GPOs.
#![allow(dead_code)]

use std::net::IpAddr;

use smbguard_audit::{
    AuditFinding, Bundle, GroupChoice, HostAudit, RegValue, RegValueData, audit_bundle,
};
use smbguard_emit::{Artifact, EmitContext, Target, emit};
use smbguard_formats::registry_pol::{RegistryEntry, read_registry_pol};
use smbguard_model::{EXAMPLE_ESTATE, Estate, Strategy, parse_estate};
use smbguard_semantics::{HostPolicy, Plan, compile};

/// The bundled example estate with the given strategy, and its plan.
pub(crate) fn example(strategy: Strategy) -> (Estate, Plan) {
    let mut estate = parse_estate(EXAMPLE_ESTATE).expect("example parses").estate;
    estate.strategy = strategy;
    let plan = compile(&estate).expect("example compiles");
    (estate, plan)
}

/// Emits `targets`.
pub(crate) fn artifacts(estate: &Estate, plan: &Plan, targets: &[Target]) -> Vec<Artifact> {
    let cx = EmitContext {
        estate,
        plan,
        version: "0.0.0-test",
        unsafe_reason: None,
    };
    emit(&cx, targets).expect("emit")
}

/// The GPO `registry.pol` entries of a Windows group.
pub(crate) fn gpo_entries(arts: &[Artifact], group: &str) -> Vec<RegistryEntry> {
    let pol = arts
        .iter()
        .find(|a| a.group.as_deref() == Some(group) && a.path.ends_with("/registry.pol"))
        .unwrap_or_else(|| panic!("no registry.pol for {group}"));
    read_registry_pol(&pol.contents).expect("our own file reads")
}

/// The first address of a group (a host of it).
pub(crate) fn host_address(h: &HostPolicy) -> IpAddr {
    let a = h
        .addresses
        .v4
        .intervals()
        .first()
        .expect("an IPv4 address")
        .0;
    IpAddr::V4(a.into())
}

/// A bundle of a host of `group` with its GPO applied and the SMB1 feature
/// removed, as a compliant host would report.
pub(crate) fn compliant_bundle(plan: &Plan, arts: &[Artifact], group: &str) -> Bundle {
    let h = plan.hosts.iter().find(|h| h.group == group).expect("group");
    let mut b = Bundle::from_gpo(
        &format!("{group}-01"),
        &[host_address(h)],
        &gpo_entries(arts, group),
    );
    b.smb.smb1_feature = "disabled".to_owned();
    b
}

/// Audits a bundle, the group told from its addresses.
pub(crate) fn audit(plan: &Plan, b: &Bundle) -> HostAudit {
    audit_bundle(plan, b, GroupChoice::Infer, &b.host.name).expect("audits")
}

/// The codes of a host's findings, sorted and deduplicated.
pub(crate) fn codes(h: &HostAudit) -> Vec<&'static str> {
    let mut c: Vec<&'static str> = h.findings.iter().map(|f| f.code.id()).collect();
    c.sort_unstable();
    c.dedup();
    c
}

/// One line per finding, for assertion messages.
pub(crate) fn show(fs: &[AuditFinding]) -> String {
    fs.iter()
        .map(|f| format!("{} {}\n   {}", f.code.id(), f.title, f.evidence.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A registry value of a bundle (`REG_DWORD`, `REG_SZ` or `REG_MULTI_SZ` by its data).
pub(crate) fn value(key: &str, name: &str, data: RegValueData) -> RegValue {
    let kind = match data {
        RegValueData::Number(_) => "REG_DWORD",
        RegValueData::Text(_) => "REG_SZ",
        RegValueData::List(_) => "REG_MULTI_SZ",
    };
    RegValue {
        key: key.to_owned(),
        name: name.to_owned(),
        kind: kind.to_owned(),
        data,
    }
}

/// Sets an SMB registry value of a bundle, replacing any value of that key and name.
pub(crate) fn set_smb(b: &mut Bundle, key: &str, name: &str, n: u32) {
    b.smb
        .registry
        .retain(|v| !(v.key.eq_ignore_ascii_case(key) && v.name == name));
    b.smb
        .registry
        .push(value(key, name, RegValueData::Number(n)));
}
