//! Host audits of the exports administrators already have on disk: `.reg`
//! exports of the firewall keys, `.wfw` files (`netsh advfirewall export`)
//! and `Get-NetFirewallRule` CSV/JSON exports, read by
//! `smbguard_formats` and judged like an evidence bundle's stores.
//!
//! * `.reg` and `.wfw`: the Group Policy, MDM and local stores are told apart
//!   by key ([`smbguard_formats::firewall_store`]); the defaults and service
//!   hardening stores are not enforced policy and are left out. SMB settings
//!   are not read from them (no SMB evidence: only the firewall is judged).
//! * `Get-NetFirewallRule` exports hold the *active* store, already merged,
//!   without profile settings: their rules are judged as one store of highest
//!   precedence, with the estate's profile defaults unknown (Windows'
//!   defaults apply), which is lossy and said so in the formats docs.

use smbguard_formats::firewall_store::{FirewallStore, store_entries};
use smbguard_formats::gpfas::BASE_KEY;
use smbguard_formats::hive::read_wfw;
use smbguard_formats::netfw_export::{NetFirewallExport, read_netfw_csv, read_netfw_json};
use smbguard_formats::reg_file::{RootKey, read_reg_file};
use smbguard_formats::registry_pol::RegistryEntry;
use smbguard_semantics::Plan;

use crate::effective::effective_policy;
use crate::error::AuditError;
use crate::host::{GroupChoice, audit_stores};
use crate::report::{HostAudit, InputKind, Store};

/// The ANSI code page assumed for exports that are neither UTF-8 nor UTF-16
/// (Western European Windows; `REGEDIT4` files and `Set-Content` CSVs).
pub const DEFAULT_CODE_PAGE: u16 = 1252;

fn unreadable(location: &str, error: &smbguard_formats::Error) -> AuditError {
    AuditError::UnknownInput {
        location: location.to_owned(),
        message: error.to_string(),
    }
}

/// The three enforced stores of HKLM registry entries, keys under the
/// Group Policy base key, the local and MDM stores' `StandardProfile` named
/// `PrivateProfile` as the GPO store names it.
fn stores_of(entries: &[RegistryEntry]) -> Vec<(Store, Vec<RegistryEntry>)> {
    [
        (Store::Gpo, FirewallStore::GroupPolicy),
        (Store::Mdm, FirewallStore::Mdm),
        (Store::Local, FirewallStore::Local),
    ]
    .into_iter()
    .map(|(store, source)| {
        let mut list = store_entries(entries, source);
        if store != Store::Gpo {
            for e in &mut list {
                e.key = private_profile(&e.key);
            }
        }
        (store, list)
    })
    .collect()
}

fn private_profile(key: &str) -> String {
    let standard = format!(r"{BASE_KEY}\StandardProfile");
    match key.get(..standard.len()) {
        Some(head) if head.eq_ignore_ascii_case(&standard) => {
            format!(r"{BASE_KEY}\PrivateProfile{}", &key[standard.len()..])
        }
        _ => key.to_owned(),
    }
}

fn audit_entries(
    plan: &Plan,
    entries: &[RegistryEntry],
    choice: GroupChoice<'_>,
    location: &str,
    input: InputKind,
) -> Result<HostAudit, AuditError> {
    let stores = stores_of(entries);
    let refs: Vec<(Store, &[RegistryEntry])> =
        stores.iter().map(|(s, e)| (*s, e.as_slice())).collect();
    let eff = effective_policy(&refs, location);
    audit_stores(plan, eff, choice, location, input, &hash_text(entries))
}

fn hash_text(entries: &[RegistryEntry]) -> Vec<u8> {
    let mut text = Vec::new();
    for e in entries {
        text.extend_from_slice(format!("{}!{}={:?}\n", e.key, e.value, e.data).as_bytes());
    }
    text
}

/// Audits a regedit `.reg` export (HKLM keys only; other roots are ignored).
///
/// # Errors
/// [`AuditError::UnknownInput`] for a file that is not a `.reg` file;
/// [`AuditError::NoGroup`] when no Windows group can be told.
pub fn audit_reg_export(
    plan: &Plan,
    bytes: &[u8],
    choice: GroupChoice<'_>,
    location: &str,
) -> Result<HostAudit, AuditError> {
    let file = read_reg_file(bytes, DEFAULT_CODE_PAGE).map_err(|e| unreadable(location, &e))?;
    let entries: Vec<RegistryEntry> = file
        .values
        .into_iter()
        .filter(|v| v.root == RootKey::LocalMachine)
        .map(|v| v.entry)
        .collect();
    audit_entries(plan, &entries, choice, location, InputKind::RegExport)
}

/// Audits a `.wfw` file (the local store).
///
/// # Errors
/// As [`audit_reg_export`].
pub fn audit_wfw(
    plan: &Plan,
    bytes: &[u8],
    choice: GroupChoice<'_>,
    location: &str,
) -> Result<HostAudit, AuditError> {
    let file = read_wfw(bytes).map_err(|e| unreadable(location, &e))?;
    audit_entries(plan, &file.entries, choice, location, InputKind::Wfw)
}

/// Audits a `Get-NetFirewallRule` export, CSV (`json` false) or JSON.
///
/// # Errors
/// As [`audit_reg_export`].
pub fn audit_netfw_export(
    plan: &Plan,
    bytes: &[u8],
    json: bool,
    choice: GroupChoice<'_>,
    location: &str,
) -> Result<HostAudit, AuditError> {
    let export: NetFirewallExport = if json {
        read_netfw_json(bytes)
    } else {
        read_netfw_csv(bytes, DEFAULT_CODE_PAGE)
    }
    .map_err(|e| unreadable(location, &e))?;
    let key = format!(r"{BASE_KEY}\FirewallRules");
    let mut entries = Vec::new();
    for rule in &export.rules {
        let text = rule
            .record
            .to_rule_string()
            .map_err(|e| unreadable(location, &e))?;
        entries.push(RegistryEntry::sz(&key, &rule.id, text));
    }
    let eff = effective_policy(&[(Store::Gpo, &entries)], location);
    let input = if json {
        InputKind::NetFirewallJson
    } else {
        InputKind::NetFirewallCsv
    };
    audit_stores(plan, eff, choice, location, input, &hash_text(&entries))
}
