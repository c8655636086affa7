//! Authentication sets ([MS-GPFAS] §2.2.4): keys
//! `...\WindowsFirewall\Phase{1,2}AuthenticationSets\<SetId>` with values
//! `Version`, `Name`, `Description`, `EmbeddedContext`, and suite subkeys
//! `<SuiteIndex>` (4-digit decimal, `0000`, `0001`, ...). Every value is REG_SZ;
//! booleans are `TRUE`/`FALSE`.
//!
//! The spec prose says `Phase1AuthenticationSet` (singular) while its §4.4
//! examples use `Phase1AuthenticationSets`; both are read, the plural is written.

use serde::{Deserialize, Serialize};

use super::keyed;
use super::values::parse_bool;
use super::version::SchemaVersion;

/// Authentication phase: which key an auth set lives under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthPhase {
    /// `Phase1AuthenticationSets` (main mode).
    Phase1,
    /// `Phase2AuthenticationSets` (quick mode / user).
    Phase2,
}

impl AuthPhase {
    /// The (plural) key name written by this crate.
    #[must_use]
    pub fn key_name(self) -> &'static str {
        match self {
            Self::Phase1 => "Phase1AuthenticationSets",
            Self::Phase2 => "Phase2AuthenticationSets",
        }
    }

    /// Parses a key name; the flag tells whether the name is the canonical plural.
    #[must_use]
    pub fn from_key_name(name: &str) -> Option<(Self, bool)> {
        for phase in [Self::Phase1, Self::Phase2] {
            let plural = phase.key_name();
            if name.eq_ignore_ascii_case(plural) {
                return Some((phase, true));
            }
            if name.eq_ignore_ascii_case(&plural[..plural.len() - 1]) {
                return Some((phase, false));
            }
        }
        None
    }

    /// The reserved ID of the default set of this phase (§2.2.4): such a key
    /// MUST NOT exist; a set with this ID is renamed and aliased.
    #[must_use]
    pub fn default_set_id(self) -> &'static str {
        match self {
            Self::Phase1 => "{E5A5D32A-4BCE-4E4D-B07F-4AB1BA7E5FE3}",
            Self::Phase2 => "{E5A5D32A-4BCE-4E4D-B07F-4AB1BA7E5FE4}",
        }
    }
}

/// `Method` of an authentication suite (§2.2.4.6), MS-FASP §2.2.60.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthMethod {
    /// `Anonymous` (phase 1 and 2).
    Anonymous,
    /// `MachineKerb` (phase 1).
    MachineKerb,
    /// `MachineCert` (phase 1 and 2).
    MachineCert,
    /// `MachineSHKey` pre-shared key (phase 1).
    MachineShKey,
    /// `MachineNtlm` (phase 1).
    MachineNtlm,
    /// `UserKerb` (phase 2).
    UserKerb,
    /// `UserCert` (phase 2).
    UserCert,
    /// `UserNtlm` (phase 2; the §4.4.4 example spells it `UserNTLM`).
    UserNtlm,
    /// Anything else, verbatim.
    Other(String),
}

impl AuthMethod {
    const KNOWN: &'static [(Self, &'static str)] = &[
        (Self::Anonymous, "Anonymous"),
        (Self::MachineKerb, "MachineKerb"),
        (Self::MachineCert, "MachineCert"),
        (Self::MachineShKey, "MachineSHKey"),
        (Self::MachineNtlm, "MachineNtlm"),
        (Self::UserKerb, "UserKerb"),
        (Self::UserCert, "UserCert"),
        (Self::UserNtlm, "UserNtlm"),
    ];

    /// Parses a method (ASCII case-insensitive); unknown text becomes `Other`.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|(_, s)| s.eq_ignore_ascii_case(text))
            .map_or_else(|| Self::Other(text.to_owned()), |(m, _)| m.clone())
    }

    /// The grammar spelling.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(s) => s,
            known => Self::KNOWN
                .iter()
                .find(|(m, _)| m == known)
                .map_or("", |(_, s)| s),
        }
    }

    /// Whether the grammar allows this method in `phase` (§2.2.4.6).
    #[must_use]
    pub fn allowed_in(&self, phase: AuthPhase) -> bool {
        match phase {
            AuthPhase::Phase1 => matches!(
                self,
                Self::Anonymous
                    | Self::MachineKerb
                    | Self::MachineCert
                    | Self::MachineShKey
                    | Self::MachineNtlm
            ),
            AuthPhase::Phase2 => matches!(
                self,
                Self::Anonymous
                    | Self::MachineCert
                    | Self::UserKerb
                    | Self::UserCert
                    | Self::UserNtlm
            ),
        }
    }
}

/// One suite (`<SetId>\<SuiteIndex>` key) of an authentication set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthSuite {
    /// `Method`.
    pub method: Option<AuthMethod>,
    /// `HealthCert` (§2.2.4.11).
    pub health_cert: Option<bool>,
    /// `CAName` (§2.2.4.7).
    pub ca_name: Option<String>,
    /// `CertAccountMapping` (§2.2.4.9).
    pub cert_account_mapping: Option<bool>,
    /// `ExcludeCAName` (§2.2.4.10).
    pub exclude_ca_name: Option<bool>,
    /// `SHKey` pre-shared key (§2.2.4.8).
    pub sh_key: Option<String>,
    /// `SkipVersion` (§2.2.4.12).
    pub skip_version: Option<SchemaVersion>,
    /// `OtherCertSigning` (§2.2.4.13): `ECDSA256` / `ECDSA384`, kept as text.
    pub other_cert_signing: Option<String>,
    /// `IntermediateCA` (§2.2.4.14).
    pub intermediate_ca: Option<bool>,
    /// `CertCriteria` (§2.2.4.17), its own `v…|…|` grammar, kept as text.
    pub cert_criteria: Option<String>,
    /// `AllowProxy` (§2.2.4.18).
    pub allow_proxy: Option<bool>,
    /// `ProxyServer` (§2.2.4.19).
    pub proxy_server: Option<String>,
}

/// An authentication set (`<SetId>` key).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthSet {
    /// `Version` (§2.2.4.1).
    pub version: Option<SchemaVersion>,
    /// `Name` (§2.2.4.2).
    pub name: Option<String>,
    /// `Description` (§2.2.4.3).
    pub description: Option<String>,
    /// `EmbeddedContext` (§2.2.4.4).
    pub embedded_context: Option<String>,
    /// Suites by suite key name (`0000`, ...), in order of appearance.
    pub suites: Vec<(String, AuthSuite)>,
}

/// All authentication sets of one phase.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthSets {
    /// Sets by set ID (key name), in order of appearance.
    pub sets: Vec<(String, AuthSet)>,
    /// REG_SZ values directly under the phase key: original (reserved default)
    /// set ID → the ID the set was renamed to (§2.2.4).
    pub renamed_defaults: Vec<(String, String)>,
}

impl AuthSets {
    /// The set with `id` (case-insensitive), if present.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&AuthSet> {
        keyed::get(&self.sets, id)
    }

    pub(crate) fn set_mut(&mut self, id: &str) -> &mut AuthSet {
        keyed::get_or_insert(&mut self.sets, id)
    }

    /// Whether there is nothing in this phase.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty() && self.renamed_defaults.is_empty()
    }
}

impl AuthSet {
    pub(crate) fn suite_mut(&mut self, index: &str) -> &mut AuthSuite {
        keyed::get_or_insert(&mut self.suites, index)
    }

    /// Stores a set-level value. `Err` with a reason if the name is unknown or
    /// the text does not fit; `Ok(true)` if it replaced an existing value.
    pub(crate) fn apply(&mut self, name: &str, text: &str) -> Result<bool, &'static str> {
        let n = name.to_ascii_lowercase();
        Ok(match n.as_str() {
            "version" => put(
                &mut self.version,
                SchemaVersion::parse(text).ok_or("expected MAJOR.MINOR")?,
            ),
            "name" => put(&mut self.name, text.to_owned()),
            "description" => put(&mut self.description, text.to_owned()),
            "embeddedcontext" => put(&mut self.embedded_context, text.to_owned()),
            _ => return Err("unknown authentication set value"),
        })
    }

    /// Set-level values as (value name, text), in write order.
    pub(crate) fn values(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(v) = self.version {
            out.push(("Version", v.to_string()));
        }
        push(&mut out, "Name", self.name.as_ref());
        push(&mut out, "Description", self.description.as_ref());
        push(&mut out, "EmbeddedContext", self.embedded_context.as_ref());
        out
    }
}

impl AuthSuite {
    /// Stores a suite value; see [`AuthSet::apply`].
    pub(crate) fn apply(&mut self, name: &str, text: &str) -> Result<bool, &'static str> {
        let n = name.to_ascii_lowercase();
        let b = || parse_bool(text).ok_or("expected TRUE or FALSE");
        Ok(match n.as_str() {
            "method" => put(&mut self.method, AuthMethod::parse(text)),
            "healthcert" => put(&mut self.health_cert, b()?),
            "caname" => put(&mut self.ca_name, text.to_owned()),
            "certaccountmapping" => put(&mut self.cert_account_mapping, b()?),
            "excludecaname" => put(&mut self.exclude_ca_name, b()?),
            "shkey" => put(&mut self.sh_key, text.to_owned()),
            "skipversion" => put(
                &mut self.skip_version,
                SchemaVersion::parse(text).ok_or("expected MAJOR.MINOR")?,
            ),
            "othercertsigning" => put(&mut self.other_cert_signing, text.to_owned()),
            "intermediateca" => put(&mut self.intermediate_ca, b()?),
            "certcriteria" => put(&mut self.cert_criteria, text.to_owned()),
            "allowproxy" => put(&mut self.allow_proxy, b()?),
            "proxyserver" => put(&mut self.proxy_server, text.to_owned()),
            _ => return Err("unknown authentication suite value"),
        })
    }

    /// Suite values as (value name, text), in write order (the §4.4.1 example's order first).
    pub(crate) fn values(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(m) = &self.method {
            out.push(("Method", m.as_str().to_owned()));
        }
        push_bool(&mut out, "HealthCert", self.health_cert);
        push(&mut out, "CAName", self.ca_name.as_ref());
        push_bool(&mut out, "CertAccountMapping", self.cert_account_mapping);
        push_bool(&mut out, "ExcludeCAName", self.exclude_ca_name);
        push(&mut out, "SHKey", self.sh_key.as_ref());
        if let Some(v) = self.skip_version {
            out.push(("SkipVersion", v.to_string()));
        }
        push(
            &mut out,
            "OtherCertSigning",
            self.other_cert_signing.as_ref(),
        );
        push_bool(&mut out, "IntermediateCA", self.intermediate_ca);
        push(&mut out, "CertCriteria", self.cert_criteria.as_ref());
        push_bool(&mut out, "AllowProxy", self.allow_proxy);
        push(&mut out, "ProxyServer", self.proxy_server.as_ref());
        out
    }
}

fn put<T>(slot: &mut Option<T>, value: T) -> bool {
    slot.replace(value).is_some()
}

fn push(out: &mut Vec<(&'static str, String)>, name: &'static str, v: Option<&String>) {
    if let Some(v) = v {
        out.push((name, v.clone()));
    }
}

fn push_bool(out: &mut Vec<(&'static str, String)>, name: &'static str, v: Option<bool>) {
    if let Some(v) = v {
        out.push((name, if v { "TRUE" } else { "FALSE" }.to_owned()));
    }
}
