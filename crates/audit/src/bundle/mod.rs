//! Evidence bundles (`smbguard-evidence/1`, written by `smbguard emit
//! --target collector`): read, checked, and turned into the registry entries
//! the MS-GPFAS reader and the SMB settings reader already understand.

mod bundle_records;

use std::net::IpAddr;

use smbguard_formats::gpfas::BASE_KEY;
use smbguard_formats::registry_pol::{RegData, RegType, RegistryEntry};

pub use bundle_records::{
    Bundle, FirewallStores, HostFacts, RegValue, RegValueData, SCHEMA, ServiceFact, ShareFact,
    SmbFacts,
};

use crate::effective::{Effective, effective_policy};
use crate::error::AuditError;
use crate::report::Store;
use crate::windows::{GpoSmbSettings, read_gpo_smb};

/// Bundles larger than this are refused before parsing (a real host's
/// bundle is a few hundred KiB).
pub const MAX_BUNDLE_BYTES: usize = 64 << 20;

/// Reads one bundle from JSON text.
///
/// # Errors
/// [`AuditError::Bundle`] when the text is not a bundle of this schema.
pub fn read_bundle(text: &str, location: &str) -> Result<Bundle, AuditError> {
    let fail = |message: String| AuditError::Bundle {
        location: location.to_owned(),
        message,
    };
    if text.len() > MAX_BUNDLE_BYTES {
        return Err(fail(format!("over {MAX_BUNDLE_BYTES} bytes")));
    }
    // Windows PowerShell 5.1 writes UTF-8 files with a byte order mark.
    let text = text.trim_start_matches('\u{feff}');
    let bundle: Bundle = serde_json::from_str(text).map_err(|e| fail(e.to_string()))?;
    if bundle.schema != SCHEMA {
        return Err(fail(format!(
            "schema `{}` is not `{SCHEMA}`",
            bundle.schema.chars().take(64).collect::<String>()
        )));
    }
    Ok(bundle)
}

impl RegValue {
    /// This value as a registry entry under `root` (`\`-joined with its key).
    #[must_use]
    pub fn entry(&self, root: &str) -> RegistryEntry {
        let key = match (root.is_empty(), self.key.is_empty()) {
            (true, _) => self.key.clone(),
            (false, true) => root.to_owned(),
            (false, false) => format!(r"{root}\{}", self.key),
        };
        let (kind, data) = match &self.data {
            RegValueData::Number(n) => (RegType::Dword, RegData::Dword(*n)),
            RegValueData::Text(s) if self.kind.eq_ignore_ascii_case("REG_EXPAND_SZ") => {
                (RegType::ExpandSz, RegData::String(s.clone()))
            }
            RegValueData::Text(s) => (RegType::Sz, RegData::String(s.clone())),
            RegValueData::List(l) => (RegType::MultiSz, RegData::MultiString(l.clone())),
        };
        RegistryEntry {
            key,
            value: self.name.clone(),
            kind,
            data,
        }
    }

    /// The canonical text of this value for the policy hash:
    /// `key!name=data`, lists joined by `|`.
    #[must_use]
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        self.write_canonical(&mut out);
        out
    }

    /// Appends [`RegValue::canonical`] to `out`.
    fn write_canonical(&self, out: &mut String) {
        use std::fmt::Write as _;
        out.push_str(&self.key);
        out.push('!');
        out.push_str(&self.name);
        out.push('=');
        match &self.data {
            RegValueData::Number(n) => {
                let _ = write!(out, "{n}");
            }
            RegValueData::Text(s) => out.push_str(s),
            RegValueData::List(l) => {
                for (i, item) in l.iter().enumerate() {
                    if i > 0 {
                        out.push('|');
                    }
                    out.push_str(item);
                }
            }
        }
    }
}

/// The local and MDM stores name the Private profile `StandardProfile`
/// (reference/windows-firewall.md §5.1); the GPO store's name for it is
/// `PrivateProfile`. Rewritten so that one reader serves every store.
fn store_key(store: Store, key: &str) -> String {
    let (first, rest) = key.split_once('\\').unwrap_or((key, ""));
    if store != Store::Gpo && first.eq_ignore_ascii_case("StandardProfile") {
        if rest.is_empty() {
            return "PrivateProfile".to_owned();
        }
        return format!(r"PrivateProfile\{rest}");
    }
    key.to_owned()
}

impl FirewallStores {
    /// The effective policy of the three stores, as Windows merges them;
    /// every reader note's location starts with `location`.
    #[must_use]
    pub fn effective(&self, location: &str) -> Effective {
        let stores = self.store_entries();
        let refs: Vec<(Store, &[RegistryEntry])> =
            stores.iter().map(|(s, e)| (*s, e.as_slice())).collect();
        effective_policy(&refs, location)
    }

    /// The three stores, highest precedence first, as registry entries
    /// under the Group Policy base key (the MS-GPFAS reader's layout).
    #[must_use]
    pub fn store_entries(&self) -> Vec<(Store, Vec<RegistryEntry>)> {
        [
            (Store::Gpo, &self.gpo),
            (Store::Mdm, &self.mdm),
            (Store::Local, &self.local),
        ]
        .into_iter()
        .map(|(store, values)| {
            let entries = values
                .iter()
                .map(|v| {
                    let v = RegValue {
                        key: store_key(store, &v.key),
                        ..v.clone()
                    };
                    v.entry(BASE_KEY)
                })
                .collect();
            (store, entries)
        })
        .collect()
    }

    /// SHA-1 (hex) of the stores: every value's canonical text prefixed
    /// with its store (`gpo\`, `mdm\`, `local\`), sorted, joined with `\n`.
    /// The collector's `-Digest` prints the same hash.
    #[must_use]
    pub fn policy_hash(&self) -> String {
        // One buffer and the lines' ranges in it: a host's few hundred
        // values are hashed without an allocation per line.
        let mut text = String::new();
        let mut lines: Vec<std::ops::Range<usize>> = Vec::new();
        for (store, values) in [
            ("gpo", &self.gpo),
            ("mdm", &self.mdm),
            ("local", &self.local),
        ] {
            for v in values {
                let start = text.len();
                text.push_str(store);
                text.push('\\');
                v.write_canonical(&mut text);
                lines.push(start..text.len());
            }
        }
        lines.sort_unstable_by(|a, b| text[a.clone()].cmp(&text[b.clone()]));
        let mut sha = sha1_smol::Sha1::new();
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                sha.update(b"\n");
            }
            sha.update(text[line.clone()].as_bytes());
        }
        sha.digest().to_string()
    }
}

impl SmbFacts {
    /// What the host's SMB configuration amounts to.
    #[must_use]
    pub fn host_smb(&self) -> HostSmb {
        let mut entries: Vec<RegistryEntry> = self.registry.iter().map(|v| v.entry("")).collect();
        // `Set-SmbClientConfiguration -RequireEncryption/-BlockNTLM` write the
        // client's Parameters key; the reader looks at the policy key, which
        // wins when both are set.
        for name in ["RequireEncryption", "BlockNTLM"] {
            let from = entries.iter().find(|e| {
                e.key.eq_ignore_ascii_case(CLIENT_PARAMS) && e.value.eq_ignore_ascii_case(name)
            });
            let has_policy = entries.iter().any(|e| {
                e.key.eq_ignore_ascii_case(CLIENT_POLICY) && e.value.eq_ignore_ascii_case(name)
            });
            if let (Some(e), false) = (from.cloned(), has_policy) {
                entries.insert(
                    0,
                    RegistryEntry {
                        key: CLIENT_POLICY.to_owned(),
                        ..e
                    },
                );
            }
        }
        let feature = self.smb1_feature.to_ascii_lowercase();
        HostSmb {
            settings: read_gpo_smb(&entries),
            smb1_feature_off: feature == "disabled" || feature == "absent",
            shares: self
                .shares
                .iter()
                .filter(|s| !s.special)
                .map(|s| s.name.clone())
                .collect(),
        }
    }
}

impl Bundle {
    /// The three stores, highest precedence first, as registry entries
    /// under the Group Policy base key (the MS-GPFAS reader's layout).
    #[must_use]
    pub fn store_entries(&self) -> Vec<(Store, Vec<RegistryEntry>)> {
        self.firewall.store_entries()
    }

    /// The host's addresses that parse (others are ignored).
    #[must_use]
    pub fn addresses(&self) -> Vec<IpAddr> {
        self.host
            .addresses
            .iter()
            .filter_map(|a| a.split('%').next()?.trim().parse().ok())
            .collect()
    }

    /// SHA-1 (hex) of the firewall stores ([`FirewallStores::policy_hash`]).
    #[must_use]
    pub fn policy_hash(&self) -> String {
        self.firewall.policy_hash()
    }

    /// What the host's SMB configuration amounts to.
    #[must_use]
    pub fn smb(&self) -> HostSmb {
        self.smb.host_smb()
    }
}

impl RegValue {
    /// A registry entry as a bundle value, its key relative to `root`
    /// (`None` when the key is not below `root`).
    #[must_use]
    pub fn from_entry(e: &RegistryEntry, root: &str) -> Option<RegValue> {
        let key = if root.is_empty() {
            e.key.clone()
        } else {
            let head = e.key.get(..root.len())?;
            if !head.eq_ignore_ascii_case(root) {
                return None;
            }
            let rest = &e.key[root.len()..];
            if !rest.is_empty() && !rest.starts_with('\\') {
                return None;
            }
            rest.trim_start_matches('\\').to_owned()
        };
        let (kind, data) = match &e.data {
            RegData::Dword(n) => ("REG_DWORD", RegValueData::Number(*n)),
            RegData::MultiString(l) => ("REG_MULTI_SZ", RegValueData::List(l.clone())),
            RegData::String(s) if e.kind == RegType::ExpandSz => {
                ("REG_EXPAND_SZ", RegValueData::Text(s.clone()))
            }
            RegData::String(s) => ("REG_SZ", RegValueData::Text(s.clone())),
            _ => return None,
        };
        Some(RegValue {
            key,
            name: e.value.clone(),
            kind: kind.to_owned(),
            data,
        })
    }
}

impl Bundle {
    /// The bundle a host would yield with `gpo` (a GPO's `registry.pol`
    /// entries) applied and nothing in its local and MDM stores: firewall
    /// values to the GPO store, the other values to `smb.registry`. Tests
    /// and `--synthesise` use it; the collector is what writes real ones.
    #[must_use]
    pub fn from_gpo(name: &str, addresses: &[IpAddr], gpo: &[RegistryEntry]) -> Bundle {
        let firewall: Vec<RegValue> = gpo
            .iter()
            .filter_map(|e| RegValue::from_entry(e, BASE_KEY))
            .collect();
        let other: Vec<RegValue> = gpo
            .iter()
            .filter(|e| RegValue::from_entry(e, BASE_KEY).is_none())
            .filter_map(|e| RegValue::from_entry(e, ""))
            .collect();
        Bundle {
            schema: SCHEMA.to_owned(),
            collector: "synthesised from a registry.pol".to_owned(),
            host: HostFacts {
                name: name.to_owned(),
                domain: String::new(),
                domain_joined: true,
                os_build: String::new(),
                addresses: addresses.iter().map(ToString::to_string).collect(),
            },
            firewall: FirewallStores {
                gpo: firewall,
                ..FirewallStores::default()
            },
            smb: SmbFacts {
                registry: other,
                smb1_feature: "unknown".to_owned(),
                shares: Vec::new(),
            },
            services: Vec::new(),
        }
    }
}

const CLIENT_PARAMS: &str = r"SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters";
const CLIENT_POLICY: &str = r"SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation";

/// A host's SMB configuration as the judge needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostSmb {
    /// The registry values read like a GPO's.
    pub settings: GpoSmbSettings,
    /// The SMB1 optional feature is disabled or removed (SMB1 is then off
    /// on both sides, whatever the values say).
    pub smb1_feature_off: bool,
    /// Non-special shares.
    pub shares: Vec<String>,
}
