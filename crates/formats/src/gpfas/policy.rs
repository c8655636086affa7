//! Registry entries ⇄ typed firewall policy ([MS-GPFAS] §2.2, keys under
//! `Software\Policies\Microsoft\WindowsFirewall`).
//!
//! Reading first resolves the special `**` entries ([`crate::registry_pol::resolve`]):
//! values that a later entry deletes are dropped, and the `**` entries are kept
//! in [`FirewallPolicy::directives`]. Each surviving value then goes to its typed
//! place, or — when it does not fit (wrong type, invalid text, unknown value
//! under a modelled key, or a key this crate does not model, such as phase 1
//! crypto sets and main-mode rules) — verbatim to [`FirewallPolicy::other_entries`]
//! (§3.1.5: unknown entries MUST be ignored; they are kept so nothing is lost).
//!
//! Writing emits, in this fixed order: directives, `PolicyVersion`, global
//! settings, profiles (Domain, Private, Public, Standard; each key's values, then
//! `Logging`, ...), firewall rules, connection security rules, phase 1 and
//! phase 2 authentication sets, phase 2 crypto sets, other entries. Applying the directives first and
//! the values after has the same effect as the original order (see
//! [`crate::registry_pol::Resolved`]). `from_registry(to_registry(p))`
//! reproduces `p` for any `p` that `from_registry` produced.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use thiserror::Error;

use super::auth_sets::{AuthPhase, AuthSets};
use super::consec::ConSecRuleRecord;
use super::crypto_sets::{CryptoSets, PHASE2_CRYPTO_SETS};
use super::diag::GpfasWarning;
use super::rule_records::FirewallRuleRecord;
use super::settings::{GlobalSettings, ProfileKey, ProfileSettings, Slot};
use crate::registry_pol::{RegData, RegType, RegistryEntry, ResolveWarning, resolve};

/// The policy base key (§1.9), as GPMC writes it.
pub const BASE_KEY: &str = r"SOFTWARE\Policies\Microsoft\WindowsFirewall";

/// The typed content of the firewall part of a `Registry.pol`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FirewallPolicy {
    /// `PolicyVersion` (§2.2.1.8), e.g. 538 = 0x21A.
    pub policy_version: Option<u32>,
    /// Other global settings (§2.2.1).
    pub global: GlobalSettings,
    /// Per-profile settings (§2.2.3); a profile is present if any typed value is.
    pub profiles: BTreeMap<ProfileKey, ProfileSettings>,
    /// `FirewallRules`: (rule ID = value name, rule), in order of appearance.
    pub rules: Vec<(String, FirewallRuleRecord)>,
    /// `ConSecRules`: (rule ID, rule).
    pub consec_rules: Vec<(String, ConSecRuleRecord)>,
    /// `Phase1AuthenticationSets`.
    pub phase1_auth_sets: AuthSets,
    /// `Phase2AuthenticationSets`.
    pub phase2_auth_sets: AuthSets,
    /// `Phase2CryptoSets` (quick mode).
    pub phase2_crypto_sets: CryptoSets,
    /// Special `**` entries (any key), in file order.
    pub directives: Vec<RegistryEntry>,
    /// Everything else, verbatim, in file order.
    pub other_entries: Vec<RegistryEntry>,
}

/// What a [`PolicyWarning`] is about.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
pub enum PolicyWarningKind {
    /// The value was set again later in the file; the later one wins.
    #[error("value set more than once; the later entry wins")]
    Overridden,
    /// An unknown `**` special value name (kept as a directive).
    #[error("unknown special value name")]
    UnknownSpecial,
    /// The firewall or connection security rule string could not be parsed (kept in other entries).
    #[error("rule string rejected: {0}")]
    RuleRejected(crate::Error),
    /// A remark from the rule string parser.
    #[error("{0}")]
    Rule(GpfasWarning),
    /// The value has an unexpected registry type (kept in other entries).
    #[error("unexpected registry type {found:?}, expected {expected:?}")]
    WrongType {
        /// The type the spec requires.
        expected: RegType,
        /// The type found.
        found: RegType,
    },
    /// A value name not defined for this key (kept in other entries).
    #[error("value not defined by MS-GPFAS for this key (kept verbatim)")]
    UnknownValue,
    /// Text that does not fit the value's grammar (kept in other entries).
    #[error("invalid value: {0}")]
    InvalidValue(&'static str),
    /// A key spelled in a non-canonical way that is still accepted (e.g. the
    /// singular `Phase1AuthenticationSet`).
    #[error("non-canonical key name (accepted; the canonical name is written)")]
    NonCanonicalKeyName,
    /// An authentication method the grammar does not allow in this phase.
    #[error("authentication method not allowed in this phase")]
    MethodNotAllowedInPhase,
}

/// A remark about one registry value.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[error("{key}!{value}: {kind}")]
pub struct PolicyWarning {
    /// Key of the entry.
    pub key: String,
    /// Value name of the entry.
    pub value: String,
    /// What is wrong.
    pub kind: PolicyWarningKind,
}

/// `key` with a singular `Phase{1,2}AuthenticationSet` component (directly
/// below [`BASE_KEY`]) replaced by the plural; `None` if nothing changes.
fn canonical_key(key: &str) -> Option<String> {
    let rest = below_base(key)?;
    let (first, tail) = match rest.split_once('\\') {
        Some((first, tail)) => (first, Some(tail)),
        None => (rest, None),
    };
    match AuthPhase::from_key_name(first) {
        Some((phase, false)) => Some(match tail {
            Some(tail) => format!(r"{BASE_KEY}\{}\{tail}", phase.key_name()),
            None => format!(r"{BASE_KEY}\{}", phase.key_name()),
        }),
        _ => None,
    }
}

/// The part of `key` below [`BASE_KEY`] (`Some("")` for the base key
/// itself), compared without regard to case as the registry does; `None`
/// for a key outside it.
#[must_use]
pub fn below_base(key: &str) -> Option<&str> {
    let key = key.trim_end_matches('\\');
    let head = key.get(..BASE_KEY.len())?;
    if !head.eq_ignore_ascii_case(BASE_KEY) {
        return None;
    }
    let rest = &key[BASE_KEY.len()..];
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('\\')
    }
}

impl FirewallPolicy {
    /// Interprets registry entries (e.g. from [`crate::registry_pol::read_registry_pol`]).
    #[must_use]
    pub fn from_registry(entries: &[RegistryEntry]) -> (Self, Vec<PolicyWarning>) {
        let mut warnings = Vec::new();
        // The spec prose's singular `Phase1AuthenticationSet` names the same key as
        // the plural of its examples: canonicalize before resolving, so that both
        // spellings are one key for overrides and deletions.
        // Copied only when a key needs its canonical name (rare): a policy of
        // a few hundred rules is read once per audited host.
        let canonical: Cow<'_, [RegistryEntry]> =
            if entries.iter().any(|e| canonical_key(&e.key).is_some()) {
                Cow::Owned(
                    entries
                        .iter()
                        .map(|e| {
                            let Some(fixed) = canonical_key(&e.key) else {
                                return e.clone();
                            };
                            warnings.push(PolicyWarning {
                                key: e.key.clone(),
                                value: e.value.clone(),
                                kind: PolicyWarningKind::NonCanonicalKeyName,
                            });
                            RegistryEntry {
                                key: fixed,
                                ..e.clone()
                            }
                        })
                        .collect(),
                )
            } else {
                Cow::Borrowed(entries)
            };
        let resolved = resolve(&canonical);
        warnings.extend(resolved.warnings.into_iter().map(|w| match w {
            ResolveWarning::Overridden { key, value, .. } => PolicyWarning {
                key,
                value,
                kind: PolicyWarningKind::Overridden,
            },
            ResolveWarning::UnknownSpecial { key, value, .. } => PolicyWarning {
                key,
                value,
                kind: PolicyWarningKind::UnknownSpecial,
            },
        }));
        let mut policy = Self {
            directives: resolved.directives,
            ..Self::default()
        };
        for entry in resolved.values {
            policy.route(entry, &mut warnings);
        }
        (policy, warnings)
    }

    fn route(&mut self, entry: RegistryEntry, warnings: &mut Vec<PolicyWarning>) {
        let mut warn = |entry: &RegistryEntry, kind| {
            warnings.push(PolicyWarning {
                key: entry.key.clone(),
                value: entry.value.clone(),
                kind,
            });
        };
        let Some(rest) = below_base(&entry.key) else {
            self.other_entries.push(entry);
            return;
        };
        let parts: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('\\').collect()
        };
        let outcome: Result<(), PolicyWarningKind> = match parts.as_slice() {
            [] if entry.value.eq_ignore_ascii_case("PolicyVersion") => {
                match (&entry.kind, &entry.data) {
                    (RegType::Dword, RegData::Dword(v)) => {
                        self.policy_version = Some(*v);
                        Ok(())
                    }
                    _ => Err(wrong_type(RegType::Dword, &entry)),
                }
            }
            [] => match self.global.slot("", &entry.value) {
                Some(slot) => store(slot, &entry),
                None => Err(PolicyWarningKind::UnknownValue),
            },
            [k] if k.eq_ignore_ascii_case("FirewallRules") => match string_of(&entry) {
                Ok(text) => match FirewallRuleRecord::parse(text) {
                    Ok((rule, ws)) => {
                        for w in ws {
                            warn(&entry, PolicyWarningKind::Rule(w));
                        }
                        self.rules.push((entry.value.clone(), rule));
                        Ok(())
                    }
                    Err(e) => Err(PolicyWarningKind::RuleRejected(e)),
                },
                Err(kind) => Err(kind),
            },
            [k] if k.eq_ignore_ascii_case("ConSecRules") => match string_of(&entry) {
                Ok(text) => match ConSecRuleRecord::parse(text) {
                    Ok((rule, ws)) => {
                        for w in ws {
                            warn(&entry, PolicyWarningKind::Rule(w));
                        }
                        self.consec_rules.push((entry.value.clone(), rule));
                        Ok(())
                    }
                    Err(e) => Err(PolicyWarningKind::RuleRejected(e)),
                },
                Err(kind) => Err(kind),
            },
            [profile, sub @ ..]
                if sub.len() <= 1 && ProfileKey::from_key_name(profile).is_some() =>
            {
                let key = ProfileKey::from_key_name(profile).unwrap_or(ProfileKey::Standard);
                let subkey = sub.first().copied().unwrap_or("");
                let mut scratch = self.profiles.get(&key).cloned().unwrap_or_default();
                let result = match scratch.slot(subkey, &entry.value) {
                    Some(slot) => store(slot, &entry),
                    None => Err(PolicyWarningKind::UnknownValue),
                };
                if result.is_ok() {
                    self.profiles.insert(key, scratch);
                }
                result
            }
            [phase, rest @ ..] if rest.len() <= 2 && AuthPhase::from_key_name(phase).is_some() => {
                let (phase, _) =
                    AuthPhase::from_key_name(phase).unwrap_or((AuthPhase::Phase1, true));
                self.auth_value(phase, rest, &entry).map(|method_ok| {
                    if !method_ok {
                        warn(&entry, PolicyWarningKind::MethodNotAllowedInPhase);
                    }
                })
            }
            [k, id, rest @ ..] if rest.len() <= 1 && k.eq_ignore_ascii_case(PHASE2_CRYPTO_SETS) => {
                string_of(&entry).and_then(|text| {
                    self.phase2_crypto_sets
                        .apply(id, rest.first().copied(), &entry.value, text)
                        .map(|_| ())
                        .map_err(classify)
                })
            }
            // Keys not modelled here (phase 1 crypto sets, main mode rules, ...): kept silently.
            _ => {
                self.other_entries.push(entry);
                return;
            }
        };
        if let Err(kind) = outcome {
            warn(&entry, kind);
            self.other_entries.push(entry);
        }
    }

    /// Stores an authentication set value. `Ok(false)` when stored but the suite's
    /// method is not allowed in `phase` (§2.2.4.6).
    fn auth_value(
        &mut self,
        phase: AuthPhase,
        path: &[&str],
        entry: &RegistryEntry,
    ) -> Result<bool, PolicyWarningKind> {
        let text = string_of(entry)?;
        let sets = match phase {
            AuthPhase::Phase1 => &mut self.phase1_auth_sets,
            AuthPhase::Phase2 => &mut self.phase2_auth_sets,
        };
        match path {
            [] => {
                match sets
                    .renamed_defaults
                    .iter_mut()
                    .find(|(original, _)| original.eq_ignore_ascii_case(&entry.value))
                {
                    Some((_, renamed)) => text.clone_into(renamed),
                    None => sets
                        .renamed_defaults
                        .push((entry.value.clone(), text.to_owned())),
                }
                Ok(true)
            }
            [id] => {
                let mut set = sets.get(id).cloned().unwrap_or_default();
                set.apply(&entry.value, text).map_err(classify)?;
                *sets.set_mut(id) = set;
                Ok(true)
            }
            [id, suite] => {
                let mut set = sets.get(id).cloned().unwrap_or_default();
                let s = set.suite_mut(suite);
                s.apply(&entry.value, text).map_err(classify)?;
                let method_ok = s.method.as_ref().is_none_or(|m| m.allowed_in(phase));
                *sets.set_mut(id) = set;
                Ok(method_ok || !entry.value.eq_ignore_ascii_case("Method"))
            }
            _ => Err(PolicyWarningKind::UnknownValue),
        }
    }

    /// Writes the policy as registry entries (deterministic order, see the module docs).
    ///
    /// # Errors
    /// An [`Error`](crate::Error) at [`Location::PolicyRule`](crate::Location::PolicyRule) if a rule string cannot be written (a value contains `|`).
    pub fn to_registry(&self) -> Result<Vec<RegistryEntry>, crate::Error> {
        let mut out = self.directives.clone();
        if let Some(v) = self.policy_version {
            out.push(RegistryEntry::dword(BASE_KEY, "PolicyVersion", v));
        }
        push_settings(&mut out, BASE_KEY, self.global.entries());
        for key in ProfileKey::ALL {
            if let Some(settings) = self.profiles.get(&key) {
                push_settings(
                    &mut out,
                    &format!(r"{BASE_KEY}\{}", key.key_name()),
                    settings.entries(),
                );
            }
        }
        let rules_key = format!(r"{BASE_KEY}\FirewallRules");
        for (id, rule) in &self.rules {
            let text = rule
                .to_rule_string()
                .map_err(|error| error.at(crate::Location::PolicyRule { id: id.clone() }))?;
            out.push(RegistryEntry::sz(&rules_key, id, text));
        }
        let consec_key = format!(r"{BASE_KEY}\ConSecRules");
        for (id, rule) in &self.consec_rules {
            let text = rule
                .to_rule_string()
                .map_err(|error| error.at(crate::Location::PolicyRule { id: id.clone() }))?;
            out.push(RegistryEntry::sz(&consec_key, id, text));
        }
        for (phase, sets) in [
            (AuthPhase::Phase1, &self.phase1_auth_sets),
            (AuthPhase::Phase2, &self.phase2_auth_sets),
        ] {
            let phase_key = format!(r"{BASE_KEY}\{}", phase.key_name());
            for (original, renamed) in &sets.renamed_defaults {
                out.push(RegistryEntry::sz(&phase_key, original, renamed));
            }
            for (id, set) in &sets.sets {
                let set_key = format!(r"{phase_key}\{id}");
                for (name, text) in set.values() {
                    out.push(RegistryEntry::sz(&set_key, name, text));
                }
                for (index, suite) in &set.suites {
                    let suite_key = format!(r"{set_key}\{index}");
                    for (name, text) in suite.values() {
                        out.push(RegistryEntry::sz(&suite_key, name, text));
                    }
                }
            }
        }
        let crypto_key = format!(r"{BASE_KEY}\{PHASE2_CRYPTO_SETS}");
        for (sub, name, text) in self.phase2_crypto_sets.entries() {
            out.push(RegistryEntry::sz(
                format!(r"{crypto_key}\{sub}"),
                name,
                text,
            ));
        }
        out.extend(self.other_entries.iter().cloned());
        Ok(out)
    }
}

fn classify(reason: &'static str) -> PolicyWarningKind {
    if reason.starts_with("unknown") {
        PolicyWarningKind::UnknownValue
    } else {
        PolicyWarningKind::InvalidValue(reason)
    }
}

fn wrong_type(expected: RegType, entry: &RegistryEntry) -> PolicyWarningKind {
    PolicyWarningKind::WrongType {
        expected,
        found: entry.kind,
    }
}

/// The text of a REG_SZ entry; other types (or non-canonical data) are a warning.
fn string_of(entry: &RegistryEntry) -> Result<&str, PolicyWarningKind> {
    match (&entry.kind, &entry.data) {
        (RegType::Sz, RegData::String(s)) => Ok(s),
        _ => Err(wrong_type(RegType::Sz, entry)),
    }
}

fn store(slot: Slot<'_>, entry: &RegistryEntry) -> Result<(), PolicyWarningKind> {
    match slot {
        Slot::Dword(v) => match (&entry.kind, &entry.data) {
            (RegType::Dword, RegData::Dword(d)) => {
                *v = Some(*d);
                Ok(())
            }
            _ => Err(wrong_type(RegType::Dword, entry)),
        },
        Slot::Sz(v) => {
            *v = Some(string_of(entry)?.to_owned());
            Ok(())
        }
    }
}

fn push_settings(
    out: &mut Vec<RegistryEntry>,
    key: &str,
    entries: Vec<(&'static str, &'static str, RegType, RegData)>,
) {
    for (sub, value, kind, data) in entries {
        let key = if sub.is_empty() {
            key.to_owned()
        } else {
            format!(r"{key}\{sub}")
        };
        out.push(RegistryEntry {
            key,
            value: value.to_owned(),
            kind,
            data,
        });
    }
}
