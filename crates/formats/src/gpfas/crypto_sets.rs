//! Phase 2 (quick mode) cryptographic sets ([MS-GPFAS] §2.2.5): keys
//! `...\WindowsFirewall\Phase2CryptoSets\<SetId>` with the set values
//! `Version`, `Name`, `Description`, `EmbeddedContext`, `PFS`, `2_16PFS`,
//! and suite subkeys `<SuiteIndex>` with `Protocol`, `2_9Protocol`,
//! `AhHash`, `EspHash`, `Encryption`, `TimeOutMinutes`, `TimeOutKbytes`,
//! `SkipVersion` and the `2_1…` variants. Every value is read as REG_SZ
//! (§2.2.5.x, e.g. "EspHash … Type: REG_SZ"); values are kept as their
//! grammar tokens (`ESP`, `SHA256`, [`AUTH_NO_ENCAP`], …), so nothing is
//! lost and a reader compares tokens.
//!
//! Null encapsulation (MS-FASP §2.2.69 FW_CRYPTO_PROTOCOL_AUTH_NO_ENCAP)
//! travels only in the versioned `2_9Protocol` value, whose one token is
//! `AUTH_NO_ENCAP` (§2.2.5.27: `PROTOCOL2-9-VAL = "AUTH_NO_ENCAP"`); the
//! plain `Protocol` value knows only `AH`, `ESP` and `AH&ESP` (§2.2.5.17).
//! Phase 1 crypto sets are not modelled (kept verbatim in `other_entries`).

use serde::{Deserialize, Serialize};

use super::keyed;

/// The key below the firewall base key.
pub const PHASE2_CRYPTO_SETS: &str = "Phase2CryptoSets";

/// The `2_9Protocol` token for null encapsulation ([MS-GPFAS] §2.2.5.27).
pub const AUTH_NO_ENCAP: &str = "AUTH_NO_ENCAP";

/// One suite (`<SetId>\<SuiteIndex>` key) of a phase 2 crypto set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptoSuite {
    /// `Protocol`: `AH`, `ESP` or `AH&ESP`.
    pub protocol: Option<String>,
    /// `2_9Protocol`: [`AUTH_NO_ENCAP`] (needs `SkipVersion` 2.9, §2.2.5.27).
    pub protocol_2_9: Option<String>,
    /// `AhHash`.
    pub ah_hash: Option<String>,
    /// `EspHash`.
    pub esp_hash: Option<String>,
    /// `Encryption`.
    pub encryption: Option<String>,
    /// `TimeOutMinutes`.
    pub timeout_minutes: Option<String>,
    /// `TimeOutKbytes`.
    pub timeout_kbytes: Option<String>,
    /// `SkipVersion`.
    pub skip_version: Option<String>,
    /// `2_1AhHash`.
    pub ah_hash_2_1: Option<String>,
    /// `2_1EspHash`.
    pub esp_hash_2_1: Option<String>,
    /// `2_1Encryption`.
    pub encryption_2_1: Option<String>,
}

/// A phase 2 crypto set (`<SetId>` key).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptoSet {
    /// `Version`.
    pub version: Option<String>,
    /// `Name`.
    pub name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `EmbeddedContext`.
    pub embedded_context: Option<String>,
    /// `PFS`.
    pub pfs: Option<String>,
    /// `2_16PFS`.
    pub pfs_2_16: Option<String>,
    /// Suites by suite key name (`0000`, ...), in order of appearance:
    /// the order of preference ("the first proposal that the peers have in
    /// common", New-NetIPsecQuickModeCryptoSet).
    pub suites: Vec<(String, CryptoSuite)>,
}

/// All phase 2 crypto sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CryptoSets {
    /// Sets by set ID (key name), in order of appearance.
    pub sets: Vec<(String, CryptoSet)>,
}

type Field<T> = fn(&mut T) -> &mut Option<String>;

const SET_FIELDS: &[(&str, Field<CryptoSet>)] = &[
    ("Version", |s| &mut s.version),
    ("Name", |s| &mut s.name),
    ("Description", |s| &mut s.description),
    ("EmbeddedContext", |s| &mut s.embedded_context),
    ("PFS", |s| &mut s.pfs),
    ("2_16PFS", |s| &mut s.pfs_2_16),
];

const SUITE_FIELDS: &[(&str, Field<CryptoSuite>)] = &[
    ("Protocol", |s| &mut s.protocol),
    ("2_9Protocol", |s| &mut s.protocol_2_9),
    ("AhHash", |s| &mut s.ah_hash),
    ("EspHash", |s| &mut s.esp_hash),
    ("Encryption", |s| &mut s.encryption),
    ("TimeOutMinutes", |s| &mut s.timeout_minutes),
    ("TimeOutKbytes", |s| &mut s.timeout_kbytes),
    ("SkipVersion", |s| &mut s.skip_version),
    ("2_1AhHash", |s| &mut s.ah_hash_2_1),
    ("2_1EspHash", |s| &mut s.esp_hash_2_1),
    ("2_1Encryption", |s| &mut s.encryption_2_1),
];

fn apply<T>(
    fields: &[(&str, Field<T>)],
    target: &mut T,
    name: &str,
    text: &str,
) -> Result<bool, &'static str> {
    let (_, field) = fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .ok_or("unknown crypto set value")?;
    Ok(field(target).replace(text.to_owned()).is_some())
}

fn values<T: Clone>(
    fields: &[(&'static str, Field<T>)],
    target: &T,
) -> Vec<(&'static str, String)> {
    let mut copy = target.clone();
    fields
        .iter()
        .filter_map(|(n, f)| f(&mut copy).clone().map(|v| (*n, v)))
        .collect()
}

impl CryptoSets {
    /// The set with `id` (case-insensitive), if present.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&CryptoSet> {
        keyed::get(&self.sets, id)
    }

    /// Stores one value of `<SetId>` (`suite` = `None`) or of
    /// `<SetId>\<SuiteIndex>`; `Err` with a reason for an unknown name.
    pub(crate) fn apply(
        &mut self,
        id: &str,
        suite: Option<&str>,
        name: &str,
        text: &str,
    ) -> Result<bool, &'static str> {
        let known = match suite {
            None => SET_FIELDS.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)),
            Some(_) => SUITE_FIELDS
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name)),
        };
        if !known {
            return Err("unknown crypto set value");
        }
        let set = keyed::get_or_insert(&mut self.sets, id);
        match suite {
            None => apply(SET_FIELDS, set, name, text),
            Some(index) => apply(
                SUITE_FIELDS,
                keyed::get_or_insert(&mut set.suites, index),
                name,
                text,
            ),
        }
    }

    /// Every value as (key below `Phase2CryptoSets`, value name, text), in write order.
    pub(crate) fn entries(&self) -> Vec<(String, &'static str, String)> {
        let mut out = Vec::new();
        for (id, set) in &self.sets {
            for (n, v) in values(SET_FIELDS, set) {
                out.push((id.clone(), n, v));
            }
            for (index, suite) in &set.suites {
                for (n, v) in values(SUITE_FIELDS, suite) {
                    out.push((format!(r"{id}\{index}"), n, v));
                }
            }
        }
        out
    }

    /// Whether there is no set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }
}

impl CryptoSuite {
    /// Whether this suite is null encapsulation (authentication only): its
    /// `2_9Protocol` is [`AUTH_NO_ENCAP`], the only place the grammar has
    /// for it. Another spelling (`AuthNoEncap`, or the token in `Protocol`)
    /// is outside the grammar and not read as null encapsulation.
    #[must_use]
    pub fn is_auth_no_encap(&self) -> bool {
        self.protocol_2_9
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(AUTH_NO_ENCAP))
    }
}
