//! One input judged end to end: read, lowered, its group told, judged
//! against the plan. The CLI reads files; everything here is pure.

use std::borrow::Cow;
use std::net::IpAddr;

use smbguard_formats::registry_pol::read_registry_pol;
use smbguard_semantics::{Acl, HostPolicy, Plan, WindowsPolicy};

use crate::bundle::{Bundle, HostSmb};
use crate::effective::{Effective, effective_policy};
use crate::error::AuditError;
use crate::finding::{Finding, FindingCode};
use crate::judge::{Judgement, judge_linux, judge_perimeter, judge_windows};
use crate::linux::{IpFamily, LinuxRead, merge_families, read_iptables_save, read_nft_json};
use crate::report::{HostAudit, InputKind, Store};
use crate::windows::read_gpo_smb;

/// Which group to judge a host against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupChoice<'a> {
    /// Given on the command line (`--group`).
    Named(&'a str),
    /// The perimeter ACL.
    Perimeter,
    /// Tell it from the input (addresses, then file name).
    Infer,
}

/// The group `choice` names for an input at `location` with `addresses`;
/// `Ok(None)` for the perimeter.
///
/// # Errors
/// [`AuditError::NoGroup`] when no group can be told.
pub fn resolve_group<'p>(
    plan: &'p Plan,
    choice: GroupChoice<'_>,
    addresses: &[IpAddr],
    location: &str,
) -> Result<Option<&'p HostPolicy>, AuditError> {
    let fail = |message: String| AuditError::NoGroup {
        location: location.to_owned(),
        message,
    };
    match choice {
        GroupChoice::Perimeter => Ok(None),
        GroupChoice::Named(name) => plan
            .hosts
            .iter()
            .find(|h| h.group == name)
            .map(Some)
            .ok_or_else(|| fail(format!("the estate has no group `{name}`"))),
        GroupChoice::Infer => {
            if let Some(h) = addresses.iter().find_map(|a| plan.host_of(*a)) {
                return Ok(Some(h));
            }
            if let Some(h) = group_in_path(plan, location) {
                return Ok(Some(h));
            }
            if is_perimeter_path(location) {
                return Ok(None);
            }
            Err(fail(
                "no group of the estate holds the host's addresses or is named by the file; pass --group GROUP"
                    .to_owned(),
            ))
        }
    }
}

/// The components of a path, file stem without its extensions.
fn components(location: &str) -> impl Iterator<Item = &str> {
    location
        .split(['/', '\\'])
        .map(|c| c.split('.').next().unwrap_or(c))
}

/// A group whose name is a component of the path (`gpo/GROUP/…`,
/// `nftables/GROUP.nft.json`); the longest match wins.
fn group_in_path<'p>(plan: &'p Plan, location: &str) -> Option<&'p HostPolicy> {
    plan.hosts
        .iter()
        .filter(|h| components(location).any(|c| c.eq_ignore_ascii_case(&h.group)))
        .max_by_key(|h| h.group.len())
}

fn is_perimeter_path(location: &str) -> bool {
    components(location).any(|c| c.eq_ignore_ascii_case("perimeter"))
}

fn host_audit(
    host: String,
    location: &str,
    input: InputKind,
    group: Option<&HostPolicy>,
    policy_hash: String,
    judgement: Judgement,
    notes: Vec<Finding>,
) -> HostAudit {
    HostAudit {
        host,
        source: location.to_owned(),
        input,
        group: group.map(|g| g.group.clone()),
        policy_hash,
        classes: judgement.classes,
        findings: judgement.findings,
        notes: notes.into(),
    }
}

fn sha1(bytes: &[u8]) -> String {
    sha1_smol::Sha1::from(bytes).digest().to_string()
}

/// The group, if it is a Windows group, with its Windows policy.
pub(crate) fn windows_group<'p>(
    group: Option<&'p HostPolicy>,
    location: &str,
) -> Result<(&'p HostPolicy, &'p WindowsPolicy), AuditError> {
    group
        .and_then(|g| Some((g, g.windows()?)))
        .ok_or_else(|| AuditError::NoGroup {
            location: location.to_owned(),
            message: "a Windows policy can only be judged against a Windows group; pass --group"
                .to_owned(),
        })
}

/// Audits one evidence bundle.
///
/// # Errors
/// [`AuditError::NoGroup`] when no Windows group can be told.
pub fn audit_bundle(
    plan: &Plan,
    bundle: &Bundle,
    choice: GroupChoice<'_>,
    location: &str,
) -> Result<HostAudit, AuditError> {
    let group = resolve_group(plan, choice, &bundle.addresses(), location)?;
    let (group, _) = windows_group(group, location)?;
    let eff = bundle.firewall.effective(location);
    let smb = bundle.smb();
    let j = judge_windows(plan, group, &eff, Some(&smb));
    Ok(host_audit(
        bundle.host.name.clone(),
        location,
        InputKind::Bundle,
        Some(group),
        bundle.policy_hash(),
        j,
        eff.notes,
    ))
}

/// Audits a `registry.pol` (a GPO's, alone or inside a backup folder): the
/// Group Policy store, with the built-in rules assumed in the local store.
///
/// # Errors
/// [`AuditError::RegistryPol`] for bytes that are not a PReg file;
/// [`AuditError::NoGroup`] when no Windows group can be told.
pub fn audit_registry_pol(
    plan: &Plan,
    bytes: &[u8],
    choice: GroupChoice<'_>,
    location: &str,
    input: InputKind,
) -> Result<HostAudit, AuditError> {
    let entries = read_registry_pol(bytes).map_err(|error| AuditError::RegistryPol {
        location: location.to_owned(),
        error,
    })?;
    let (group, _) = windows_group(resolve_group(plan, choice, &[], location)?, location)?;
    let eff: Effective = effective_policy(&[(Store::Gpo, &entries)], location);
    let smb = HostSmb {
        settings: read_gpo_smb(&entries),
        smb1_feature_off: false,
        shares: Vec::new(),
    };
    let j = judge_windows(plan, group, &eff, Some(&smb));
    Ok(host_audit(
        file_name(location),
        location,
        input,
        Some(group),
        sha1(bytes),
        j,
        eff.notes,
    ))
}

/// Judges an effective Windows policy read from an export without SMB
/// settings evidence (`.reg`, `.wfw`, `Get-NetFirewallRule`).
pub(crate) fn audit_stores(
    plan: &Plan,
    eff: Effective,
    choice: GroupChoice<'_>,
    location: &str,
    input: InputKind,
    hashed: &[u8],
) -> Result<HostAudit, AuditError> {
    let (group, _) = windows_group(resolve_group(plan, choice, &[], location)?, location)?;
    let j = judge_windows(plan, group, &eff, None);
    Ok(host_audit(
        file_name(location),
        location,
        input,
        Some(group),
        sha1(hashed),
        j,
        eff.notes,
    ))
}

/// The ACL of `hook`: its base chains (nftables, all of them together), the
/// built-in chain (iptables), or smbguard's own chain when the dump holds
/// only that (an emitted file for `iptables-restore --noflush`). An nftables
/// ruleset that was read but has no base chain on the hook filters nothing
/// there: every connection is accepted, as the kernel does, with a note.
fn hook_acl<'r>(
    read: &'r LinuxRead,
    hook: &str,
    names: [&str; 2],
    input: InputKind,
    location: &str,
    notes: &mut Vec<Finding>,
) -> Result<Cow<'r, Acl>, AuditError> {
    if let Some(acl) = read
        .hook(hook)
        .or_else(|| names.iter().find_map(|n| read.chain(n)).map(Cow::Borrowed))
    {
        return Ok(acl);
    }
    let unread = read
        .findings
        .iter()
        .any(|f| f.code == FindingCode::UnreadableInput);
    if input != InputKind::NftJson || unread {
        return Err(AuditError::UnknownInput {
            location: location.to_owned(),
            message: format!("no `{hook}` chain in the ruleset"),
        });
    }
    notes.push(Finding::new(
        FindingCode::DefaultAssumed,
        format!("hook {hook}"),
        format!("no base chain on hook `{hook}`: nothing filters it, every connection is accepted"),
    ));
    Ok(Cow::Owned(Acl {
        name: format!("hook {hook}: no base chain"),
        entries: Vec::new(),
        default: smbguard_semantics::AclAction::Permit,
    }))
}

/// A Linux host's or the perimeter's read chains.
fn audit_chains(
    plan: &Plan,
    read: &LinuxRead,
    choice: GroupChoice<'_>,
    location: &str,
    input: InputKind,
    hash: String,
) -> Result<HostAudit, AuditError> {
    let group = resolve_group(plan, choice, &[], location)?;
    let mut notes = read.findings.clone();
    let mut chain =
        |hook: &str, names: [&str; 2]| hook_acl(read, hook, names, input, location, &mut notes);
    let j = match group {
        None => {
            let forward = chain("forward", ["FORWARD", "SMBGUARD-FWD"])?;
            judge_perimeter(plan, &forward, &notes)
        }
        Some(g) if g.windows().is_some() => {
            return Err(AuditError::NoGroup {
                location: location.to_owned(),
                message: format!(
                    "group `{}` is a Windows group; a Linux ruleset is judged against a Linux group or the perimeter",
                    g.group
                ),
            });
        }
        Some(g) => {
            let input = chain("input", ["INPUT", "SMBGUARD-IN"])?;
            let output = chain("output", ["OUTPUT", "SMBGUARD-OUT"])?;
            judge_linux(plan, g, &input, &output, &notes)
        }
    };
    Ok(host_audit(
        file_name(location),
        location,
        input,
        group,
        hash,
        j,
        notes,
    ))
}

/// Audits `nft -j list ruleset` output. Every base chain on a hook counts
/// (an accept goes on to the next one, the first drop decides); a hook
/// without a base chain accepts everything, as the kernel does (an
/// `SG-A004` note says so).
///
/// # Errors
/// As [`resolve_group`]; [`AuditError::UnknownInput`] when the text could
/// not be read as `nft -j` JSON and so has no `input`/`output` (or, for the
/// perimeter, `forward`) base chain.
pub fn audit_nft_json(
    plan: &Plan,
    text: &str,
    choice: GroupChoice<'_>,
    location: &str,
) -> Result<HostAudit, AuditError> {
    let read = read_nft_json(text, None);
    let hash = sha1(text.as_bytes());
    audit_chains(plan, &read, choice, location, InputKind::NftJson, hash)
}

/// Audits `iptables-save` output, with the matching `ip6tables-save`
/// output when there is one (without it, IPv6 is read as an empty
/// ruleset: every IPv6 flow accepted).
///
/// # Errors
/// As [`resolve_group`]; [`AuditError::UnknownInput`] when the dump has no
/// `INPUT`/`OUTPUT` (or, for the perimeter, `FORWARD`) chain.
pub fn audit_iptables(
    plan: &Plan,
    v4: &str,
    v6: Option<&str>,
    choice: GroupChoice<'_>,
    location: &str,
) -> Result<HostAudit, AuditError> {
    let r4 = read_iptables_save(v4, IpFamily::V4);
    let r6 = read_iptables_save(v6.unwrap_or(""), IpFamily::V6);
    let mut read = LinuxRead {
        chains: Vec::new(),
        findings: r4.findings.clone(),
    };
    read.findings.extend(r6.findings.iter().cloned());
    for c in &r4.chains {
        let other = r6.chains.iter().find(|o| o.chain == c.chain);
        let acl = match other {
            Some(o) => merge_families(&c.acl, &o.acl),
            None => merge_families(&c.acl, &accept_all()),
        };
        read.chains
            .push(crate::linux::ChainAcl { acl, ..c.clone() });
    }
    let text = format!("{v4}\n{}", v6.unwrap_or(""));
    audit_chains(
        plan,
        &read,
        choice,
        location,
        InputKind::IptablesSave,
        sha1(text.as_bytes()),
    )
}

fn accept_all() -> Acl {
    Acl {
        name: "no ip6tables-save given".to_owned(),
        entries: Vec::new(),
        default: smbguard_semantics::AclAction::Permit,
    }
}

fn file_name(location: &str) -> String {
    location
        .rsplit(['/', '\\'])
        .find(|c| !c.is_empty())
        .unwrap_or(location)
        .to_owned()
}

/// The first 4 KiB of `bytes` as text (UTF-16 with a byte-order mark, as
/// regedit and Windows PowerShell write it, or UTF-8/ANSI).
fn head_text(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(4096)];
    if let Some(rest) = head.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    String::from_utf8_lossy(head).into_owned()
}

/// A `Get-NetFirewallRule` export's header or first object: `Name` and
/// `Direction` fields, CSV or JSON.
fn is_netfw_export(t: &str, json: bool) -> bool {
    if json {
        return t.contains("\"Name\"") && t.contains("\"Direction\"");
    }
    let first = t.lines().find(|l| !l.starts_with("#TYPE")).unwrap_or("");
    let fields: Vec<&str> = first
        .split([';', ','])
        .map(|f| f.trim().trim_matches('"'))
        .collect();
    fields.contains(&"Name") && fields.contains(&"Direction")
}

/// What an input is, from its first bytes (`None`: none of the formats).
#[must_use]
pub fn detect(bytes: &[u8]) -> Option<InputKind> {
    if bytes.starts_with(b"PReg") {
        return Some(InputKind::RegistryPol);
    }
    if bytes.starts_with(b"regf") {
        return Some(InputKind::Wfw);
    }
    let head = head_text(bytes);
    let t = head.trim_start_matches('\u{feff}').trim_start();
    let first = t.lines().next().unwrap_or("").trim();
    if first.eq_ignore_ascii_case("Windows Registry Editor Version 5.00")
        || first.eq_ignore_ascii_case("REGEDIT4")
    {
        return Some(InputKind::RegExport);
    }
    if t.starts_with('{') || t.starts_with('[') {
        if t.contains("\"smbguard-evidence/") {
            return Some(InputKind::Bundle);
        }
        if t.contains("\"nftables\"") {
            return Some(InputKind::NftJson);
        }
        return is_netfw_export(t, true).then_some(InputKind::NetFirewallJson);
    }
    if is_netfw_export(t, false) {
        return Some(InputKind::NetFirewallCsv);
    }
    let iptables = t.lines().map(str::trim).any(|l| {
        l.starts_with('*') && !l.contains(' ') || l.starts_with(":INPUT ") || l.starts_with("-A ")
    });
    iptables.then_some(InputKind::IptablesSave)
}
