//! Which Windows Firewall policy store a registry key belongs to, and the
//! store's entries rebased onto [`gpfas::BASE_KEY`] so that
//! [`FirewallPolicy::from_registry`](crate::gpfas::FirewallPolicy::from_registry)
//! reads any store with one grammar (the rule strings are the same
//! MS-GPFAS strings in every store).
//!
//! | store | key below `HKLM` |
//! |---|---|
//! | Group Policy | `SOFTWARE\Policies\Microsoft\WindowsFirewall` |
//! | MDM (Intune, Firewall CSP) | `SYSTEM\<ControlSet>\Services\SharedAccess\Parameters\FirewallPolicy\Mdm` |
//! | service hardening | `...\Parameters\FirewallPolicy\RestrictedServices` |
//! | local (persistent) | `...\Parameters\FirewallPolicy` (everything else below it) |
//! | system defaults | `...\SharedAccess\Defaults\FirewallPolicy` |
//!
//! `<ControlSet>` is `CurrentControlSet` or any `ControlSetNNN` (offline
//! hives and `reg export` of a mounted hive name the numbered set).
//! Interpreting the local store's `StandardProfile` (the private profile
//! there) is left to the caller, as is merging the stores.

use serde::Serialize;

use crate::gpfas;
use crate::registry_pol::RegistryEntry;

/// A firewall policy store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum FirewallStore {
    /// Group Policy (the registry CSE's merge of every applied GPO).
    GroupPolicy,
    /// MDM (Firewall CSP, e.g. Intune).
    Mdm,
    /// The local persistent store (`Set-NetFirewallRule`, `netsh`, the UI).
    Local,
    /// Windows Service Hardening rules (`RestrictedServices`).
    ServiceHardening,
    /// The defaults restored by "Restore defaults" (`SystemDefaults`).
    Defaults,
}

/// The local store's key as a live system names it (what `.wfw` entries are placed under).
pub const LOCAL_STORE_KEY: &str =
    r"SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy";

const SHARED_ACCESS: &str = r"Services\SharedAccess";

/// The store of `key` (a path below `HKLM`, any case) and the part of the key
/// below the store's root (`""` for the root itself); `None` for keys outside
/// every firewall store.
#[must_use]
pub fn classify(key: &str) -> Option<(FirewallStore, &str)> {
    let key = key.trim_end_matches('\\');
    if let Some(rest) = strip_path(key, gpfas::BASE_KEY) {
        return Some((FirewallStore::GroupPolicy, rest));
    }
    let rest = strip_component(key, "SYSTEM")?;
    let (control_set, rest) = rest.split_once('\\')?;
    if !is_control_set(control_set) {
        return None;
    }
    let rest = strip_path(rest, SHARED_ACCESS)?;
    if let Some(rest) = strip_path(rest, r"Defaults\FirewallPolicy") {
        return Some((FirewallStore::Defaults, rest));
    }
    let rest = strip_path(rest, r"Parameters\FirewallPolicy")?;
    if let Some(below) = strip_component(rest, "Mdm") {
        return Some((FirewallStore::Mdm, below));
    }
    if strip_component(rest, "RestrictedServices").is_some() {
        return Some((FirewallStore::ServiceHardening, rest));
    }
    Some((FirewallStore::Local, rest))
}

/// The entries of `store`, with keys rebased onto [`gpfas::BASE_KEY`], in
/// their original order.
#[must_use]
pub fn store_entries(entries: &[RegistryEntry], store: FirewallStore) -> Vec<RegistryEntry> {
    entries
        .iter()
        .filter_map(|entry| {
            let (found, rest) = classify(&entry.key)?;
            (found == store).then(|| RegistryEntry {
                key: rebase(rest),
                ..entry.clone()
            })
        })
        .collect()
}

fn rebase(rest: &str) -> String {
    if rest.is_empty() {
        gpfas::BASE_KEY.to_owned()
    } else {
        format!(r"{}\{rest}", gpfas::BASE_KEY)
    }
}

fn is_control_set(name: &str) -> bool {
    name.eq_ignore_ascii_case("CurrentControlSet")
        || name
            .get(..10)
            .is_some_and(|head| head.eq_ignore_ascii_case("ControlSet"))
            && name.len() > 10
            && name[10..].bytes().all(|b| b.is_ascii_digit())
}

/// `key` without the leading path `prefix` (whole components, any case).
fn strip_path<'a>(key: &'a str, prefix: &str) -> Option<&'a str> {
    prefix
        .split('\\')
        .try_fold(key, |rest, component| strip_component(rest, component))
}

/// `key` without its first component if that is `component` (any case).
fn strip_component<'a>(key: &'a str, component: &str) -> Option<&'a str> {
    let head = key.get(..component.len())?;
    if !head.eq_ignore_ascii_case(component) {
        return None;
    }
    let rest = &key[component.len()..];
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('\\')
    }
}
