//! The policy Windows enforces from several stores (docs/audit.md,
//! "Effective policy"): each store lowered on its own, same-ID rules taken
//! from the highest store, profile settings merged value by value, and the
//! local store's rules kept only in profiles that merge them
//! (`AllowLocalPolicyMerge`, `AllowLocalIPsecPolicyMerge`, MS-GPFAS
//! §2.2.3.13–14; New-NetFirewallRule `-Name` on same-ID precedence).

use std::collections::BTreeMap;

use smbguard_formats::gpfas::{FirewallPolicy, ProfileKey, below_base};
use smbguard_formats::registry_pol::RegistryEntry;
use smbguard_model::{Profile, ProfileSet};
use smbguard_semantics::WindowsPolicy;

use crate::finding::Finding;
use crate::report::Store;
use crate::windows::lower_firewall_policy;

/// The enforced policy and where each of its rules came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effective {
    /// The merged policy, for the evaluator.
    pub policy: WindowsPolicy,
    /// Store of every rule and connection security rule, by lower-case ID.
    pub stores: BTreeMap<String, Store>,
    /// The readers' notes, every store's.
    pub notes: Vec<Finding>,
    /// Where the stores were read: every note's location starts with it.
    pub location: String,
}

impl Effective {
    /// A note's location without the input's location in front: what the
    /// note says about the configuration, whatever file it came from.
    #[must_use]
    pub fn within<'n>(&self, note: &'n Finding) -> &'n str {
        note.location
            .strip_prefix(self.location.as_str())
            .unwrap_or(&note.location)
    }

    /// The store a rule ID was read from; built-in rules no store names are
    /// [`Store::AssumedBuiltIn`].
    #[must_use]
    pub fn store_of(&self, id: &str) -> Store {
        self.stores
            .get(&id.to_ascii_lowercase())
            .copied()
            .unwrap_or(Store::AssumedBuiltIn)
    }
}

/// True for a value of a profile key or of the base key itself (global
/// settings): what is merged value by value rather than per store.
fn is_setting(e: &RegistryEntry) -> bool {
    let Some(rest) = below_base(&e.key) else {
        return false;
    };
    let first = rest.split('\\').next().unwrap_or("");
    rest.is_empty() || ProfileKey::from_key_name(first).is_some()
}

/// The merged settings: for each (key, value) the highest store's entry.
fn merged_settings(stores: &[(Store, &[RegistryEntry])]) -> Vec<RegistryEntry> {
    let mut by_name: BTreeMap<(String, String), RegistryEntry> = BTreeMap::new();
    for (_, entries) in stores.iter().rev() {
        for e in entries.iter().filter(|e| is_setting(e)) {
            let k = (e.key.to_ascii_lowercase(), e.value.to_ascii_lowercase());
            by_name.insert(k, e.clone());
        }
    }
    by_name.into_values().collect()
}

/// `profiles` without those where `keep` is false.
fn only(profiles: ProfileSet, keep: impl Fn(Profile) -> bool) -> ProfileSet {
    let kept: Vec<Profile> = profiles.iter().filter(|p| keep(*p)).collect();
    ProfileSet::of(&kept)
}

/// The effective policy of `stores`, highest precedence first (GPO, MDM,
/// local); `location` prefixes the notes.
#[must_use]
pub fn effective_policy(stores: &[(Store, &[RegistryEntry])], location: &str) -> Effective {
    let (settings, warnings) = FirewallPolicy::from_registry(&merged_settings(stores));
    let base = lower_firewall_policy(&settings, &warnings, &format!("{location} (settings)"));
    let defaults = base.policy.profile_defaults;
    let merges = |p: Profile| defaults.iter().any(|d| d.profile == p && d.local_rules);
    let ipsec_merges = |p: Profile| {
        defaults
            .iter()
            .any(|d| d.profile == p && d.local_ipsec_rules)
    };
    let mut notes = base.findings;
    let mut out = Effective {
        policy: WindowsPolicy {
            rules: Vec::new(),
            disabled_builtins: Vec::new(),
            profile_defaults: defaults,
            connection_security: Vec::new(),
            services: Vec::new(),
        },
        stores: BTreeMap::new(),
        notes: Vec::new(),
        location: location.to_owned(),
    };
    for (store, entries) in stores {
        let rules_only: Vec<RegistryEntry> =
            entries.iter().filter(|e| !is_setting(e)).cloned().collect();
        let (typed, warnings) = FirewallPolicy::from_registry(&rules_only);
        let where_ = format!("{location} ({})", store_name(*store));
        let lowered = lower_firewall_policy(&typed, &warnings, &where_);
        notes.extend(lowered.findings);
        let local = *store == Store::Local;
        for mut r in lowered.policy.rules {
            if local {
                r.profiles = only(r.profiles, merges);
            }
            let key = r.id.clone();
            add(&mut out, *store, &key, r, |p| &mut p.rules);
        }
        for mut c in lowered.policy.connection_security {
            if local {
                c.profiles = only(c.profiles, ipsec_merges);
            }
            let key = format!("consec:{}", c.id);
            add(&mut out, *store, &key, c, |p| &mut p.connection_security);
        }
        out.policy
            .disabled_builtins
            .extend(lowered.policy.disabled_builtins);
    }
    out.policy.disabled_builtins.sort_unstable();
    out.policy.disabled_builtins.dedup();
    out.notes = notes;
    out
}

/// Adds `item` unless a higher store already gave one with the same ID.
/// Connection security rules are keyed `consec:ID`.
fn add<T>(
    out: &mut Effective,
    store: Store,
    id: &str,
    item: T,
    list: impl Fn(&mut WindowsPolicy) -> &mut Vec<T>,
) {
    let key = id.to_ascii_lowercase();
    if out.stores.contains_key(&key) {
        return;
    }
    out.stores.insert(key, store);
    list(&mut out.policy).push(item);
}

/// The store's name in notes.
#[must_use]
pub(crate) fn store_name(store: Store) -> &'static str {
    match store {
        Store::Gpo => "GPO store",
        Store::Mdm => "MDM store",
        Store::Local => "local store",
        Store::AssumedBuiltIn => "built-in (assumed)",
        Store::Linux => "Linux firewall",
        Store::Perimeter => "perimeter",
    }
}
