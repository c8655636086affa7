//! Interpretation of the special `**` value names, [MS-GPREG] §3.2.5.1.
//!
//! | value name | meaning |
//! |---|---|
//! | `**DeleteValues` | data `"v1;v2"`: delete these values of the key |
//! | `**Del.<name>` | delete value `<name>` (data ignored; MS: `" "`, Samba: REG_DWORD 0) |
//! | `**DelVals.` | delete all values of the key (Samba's reader matches `**DelVals` without the dot) |
//! | `**DeleteKeys` | data `"k1;k2"`: delete these subkeys (with everything below them) |
//! | `**SecureKey` | REG_DWORD 1: admins/system full control, users read; other: reset ACL |
//! | `**soft.<name>` | create value `<name>` only if it does not exist yet |
//!
//! Names are compared case-insensitively. Samba writes the `**DeleteKeys` /
//! `**DeleteValues` lists as 8-bit strings inside a REG_SZ; [`Directive::of`]
//! accepts both that and UTF-16.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{RegData, RegistryEntry, key_eq};

/// What an entry does when the Registry CSE applies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Directive {
    /// An ordinary value: set it.
    Value,
    /// `**Del.<name>`: delete one value.
    DeleteValue(String),
    /// `**DelVals.` / `**DelVals`: delete every value of the key (not its subkeys).
    DeleteAllValues,
    /// `**DeleteValues`: delete the listed values.
    DeleteValues(Vec<String>),
    /// `**DeleteKeys`: delete the listed immediate subkeys (recursively).
    DeleteKeys(Vec<String>),
    /// `**SecureKey`: `true` = restrict the key's ACL, `false` = reset it.
    SecureKey(bool),
    /// `**soft.<name>`: set `<name>` only if it does not exist.
    SoftValue(String),
    /// A `**` name this interpreter does not know; kept as a directive.
    UnknownSpecial,
}

impl Directive {
    /// Classifies `entry` by its value name.
    #[must_use]
    pub fn of(entry: &RegistryEntry) -> Self {
        let name = entry.value.as_str();
        let lower = name.to_ascii_lowercase();
        if !lower.starts_with("**") {
            return Self::Value;
        }
        match lower.as_str() {
            "**delvals." | "**delvals" => Self::DeleteAllValues,
            "**deletevalues" => Self::DeleteValues(list(&entry.data)),
            "**deletekeys" => Self::DeleteKeys(list(&entry.data)),
            "**securekey" => Self::SecureKey(dword(&entry.data) == Some(1)),
            _ if lower.starts_with("**del.") => Self::DeleteValue(name[6..].to_owned()),
            _ if lower.starts_with("**soft.") => Self::SoftValue(name[7..].to_owned()),
            _ => Self::UnknownSpecial,
        }
    }

    /// Whether this is an ordinary value.
    #[must_use]
    pub fn is_value(&self) -> bool {
        matches!(self, Self::Value)
    }
}

impl RegistryEntry {
    /// `**Del.<value>` in the Microsoft form (REG_SZ `" "`).
    pub fn delete_value(key: impl Into<String>, value: &str) -> Self {
        Self::sz(key, format!("**Del.{value}"), " ")
    }

    /// `**DelVals.` in the Microsoft form (REG_SZ `" "`).
    pub fn delete_all_values(key: impl Into<String>) -> Self {
        Self::sz(key, "**DelVals.", " ")
    }

    /// `**DeleteValues` with a `;`-separated list.
    pub fn delete_values(key: impl Into<String>, values: &[&str]) -> Self {
        Self::sz(key, "**DeleteValues", values.join(";"))
    }

    /// `**DeleteKeys` with a `;`-separated list of subkeys.
    pub fn delete_keys(key: impl Into<String>, subkeys: &[&str]) -> Self {
        Self::sz(key, "**DeleteKeys", subkeys.join(";"))
    }

    /// `**SecureKey` (REG_DWORD 1 or 0).
    pub fn secure_key(key: impl Into<String>, secure: bool) -> Self {
        Self::dword(key, "**SecureKey", u32::from(secure))
    }
}

fn dword(data: &RegData) -> Option<u32> {
    match data {
        RegData::Dword(v) => Some(*v),
        RegData::Bytes(b) => <[u8; 4]>::try_from(b.as_slice())
            .ok()
            .map(u32::from_le_bytes),
        _ => None,
    }
}

/// The text of a list-valued directive: UTF-16 (Microsoft) or 8-bit (Samba).
fn list_text(data: &RegData) -> String {
    match data {
        RegData::String(s) => s.clone(),
        RegData::MultiString(items) => items.join(";"),
        RegData::Dword(_) | RegData::Qword(_) => String::new(),
        RegData::Bytes(b) => {
            let body = b.strip_suffix(&[0]).unwrap_or(b);
            if !body.contains(&0) {
                // Samba `patchfile_preg.c`: 8-bit string with one NUL.
                String::from_utf8_lossy(body).into_owned()
            } else {
                let mut units: Vec<u16> = b
                    .chunks(2)
                    .map(|c| u16::from_le_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
                    .collect();
                while units.last() == Some(&0) {
                    units.pop();
                }
                String::from_utf16_lossy(&units)
            }
        }
    }
}

fn list(data: &RegData) -> Vec<String> {
    list_text(data)
        .split(';')
        .map(|s| s.trim_matches('\0'))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A remark produced while resolving a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResolveWarning {
    /// A value was set more than once; the later entry wins.
    Overridden {
        /// Index of the later entry in the input.
        index: usize,
        /// Key.
        key: String,
        /// Value name.
        value: String,
    },
    /// A `**` name that is not in [MS-GPREG] §3.2.5.1.
    UnknownSpecial {
        /// Index of the entry in the input.
        index: usize,
        /// Key.
        key: String,
        /// Value name.
        value: String,
    },
}

/// The effect of a list of entries, split into what it sets and what it deletes.
///
/// Applying `directives` (in order) and then setting every entry of `values` to
/// any registry has the same effect as applying the original list in order: a
/// value only survives in `values` if nothing later deleted it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolved {
    /// Ordinary values that survive the file, each the last write of its
    /// (key, value) pair, in order of that pair's first surviving write.
    pub values: Vec<RegistryEntry>,
    /// Special (`**`) entries in file order; they act on the client's prior state.
    pub directives: Vec<RegistryEntry>,
    /// Remarks (overridden values, unknown special names).
    pub warnings: Vec<ResolveWarning>,
}

fn norm(s: &str) -> String {
    s.trim_end_matches('\\').to_ascii_lowercase()
}

/// Resolves the special entries of a file ([MS-GPREG] §3.2.5.1: instructions
/// "MUST be processed in the order in which they occur").
#[must_use]
pub fn resolve(entries: &[RegistryEntry]) -> Resolved {
    let mut slots: Vec<Option<RegistryEntry>> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut out = Resolved::default();
    for (i, entry) in entries.iter().enumerate() {
        let directive = entry.directive();
        match &directive {
            Directive::Value => {
                let id = (norm(&entry.key), entry.value.to_ascii_lowercase());
                if let Some(&slot) = index.get(&id) {
                    out.warnings.push(ResolveWarning::Overridden {
                        index: i,
                        key: entry.key.clone(),
                        value: entry.value.clone(),
                    });
                    slots[slot] = Some(entry.clone());
                } else {
                    index.insert(id, slots.len());
                    slots.push(Some(entry.clone()));
                }
                continue;
            }
            Directive::DeleteValue(name) => remove_values(&mut slots, &mut index, |k, v| {
                key_eq(k, &entry.key) && v.eq_ignore_ascii_case(name)
            }),
            Directive::DeleteValues(names) => remove_values(&mut slots, &mut index, |k, v| {
                key_eq(k, &entry.key) && names.iter().any(|n| v.eq_ignore_ascii_case(n))
            }),
            Directive::DeleteAllValues => {
                remove_values(&mut slots, &mut index, |k, _| key_eq(k, &entry.key));
            }
            Directive::DeleteKeys(subkeys) => {
                let parent = norm(&entry.key);
                let doomed: Vec<String> = subkeys
                    .iter()
                    .map(|s| format!("{parent}\\{}", norm(s)))
                    .collect();
                remove_values(&mut slots, &mut index, |k, _| {
                    let k = norm(k);
                    doomed.iter().any(|d| {
                        k == *d || (k.starts_with(d.as_str()) && k[d.len()..].starts_with('\\'))
                    })
                });
            }
            Directive::UnknownSpecial => out.warnings.push(ResolveWarning::UnknownSpecial {
                index: i,
                key: entry.key.clone(),
                value: entry.value.clone(),
            }),
            Directive::SecureKey(_) | Directive::SoftValue(_) => {}
        }
        out.directives.push(entry.clone());
    }
    out.values = slots.into_iter().flatten().collect();
    out
}

fn remove_values(
    slots: &mut [Option<RegistryEntry>],
    index: &mut HashMap<(String, String), usize>,
    doomed: impl Fn(&str, &str) -> bool,
) {
    for slot in slots.iter_mut() {
        if let Some(e) = slot {
            if doomed(&e.key, &e.value) {
                index.remove(&(norm(&e.key), e.value.to_ascii_lowercase()));
                *slot = None;
            }
        }
    }
}
