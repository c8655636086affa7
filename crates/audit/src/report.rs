//! What `smbguard audit` reports: per host, the findings of judging what is
//! deployed against the plan, each with its evidence and a fix. A leaf
//! module (it imports nothing from the crate but the codes), so the judge,
//! the fix-script writer and every renderer share one stable type.

use std::sync::Arc;

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};
use smbguard_model::Profile;
use smbguard_semantics::{Difference, Direction, KbRow};

use crate::audit_code::{AuditCode, Severity};
use crate::finding::Finding;

/// Which policy store (or deployed file) a rule was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Store {
    /// Group Policy (`SOFTWARE\Policies\Microsoft\WindowsFirewall`, a GPO's `registry.pol`).
    Gpo,
    /// The MDM store (Intune Firewall CSP).
    Mdm,
    /// The local store (`SYSTEM\…\SharedAccess\Parameters\FirewallPolicy`).
    Local,
    /// Not read: a Windows built-in rule assumed enabled (no store disables it).
    AssumedBuiltIn,
    /// A Linux firewall (nftables or iptables).
    Linux,
    /// A perimeter device's ACL.
    Perimeter,
}

/// A rule named as evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// Rule ID (registry value name) or ACL entry name.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Where it was read.
    pub store: Store,
    /// `allow`, `block`, `bypass`, `permit` or `deny`.
    pub action: String,
    /// True when smbguard's plan declares a rule with this ID.
    pub declared: bool,
}

/// Why a finding was raised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// One or two sentences: what differs from the plan.
    pub detail: String,
    /// The rules responsible (decisive first).
    pub rules: Vec<RuleRef>,
    /// The direction of the differing flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// The profile of the differing flow (Windows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// The first differing flow, as `check` would trace it: the plan's
    /// decision and the deployed configuration's, with every matching rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Box<Difference>>,
    /// Equivalence classes of flows with the same difference and cause.
    pub classes: usize,
    /// What the reader approximated in the rules concerned (its `SG-A002`
    /// notes), so the conclusion can be double-checked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approximated: Vec<String>,
}

/// A ready-to-run remedy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// The language of `snippet`: `powershell` or `nft`.
    pub language: &'static str,
    /// What it does.
    pub summary: String,
    /// The snippet.
    pub snippet: String,
}

/// One finding on one host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditFinding {
    /// Stable code (`SG-H…`, serialised as the code).
    pub code: AuditCode,
    /// The code's short name.
    pub slug: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// The KB3185535 row it falls short of.
    pub kb: KbRow,
    /// One line.
    pub title: String,
    /// Why.
    pub evidence: Evidence,
    /// What to run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl AuditFinding {
    /// A finding of kind `code` with its default severity and KB row.
    #[must_use]
    pub fn new(code: AuditCode, title: impl Into<String>, evidence: Evidence) -> Self {
        AuditFinding {
            code,
            slug: code.slug(),
            severity: code.severity(),
            kb: code.kb(),
            title: title.into(),
            evidence,
            fix: None,
        }
    }
}

/// What kind of configuration a host audit read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// An evidence bundle written by the collector.
    Bundle,
    /// A bare `registry.pol` (the Group Policy store only).
    RegistryPol,
    /// A GPMC backup folder (its `registry.pol`).
    GpoBackup,
    /// `nft -j list ruleset`.
    NftJson,
    /// `iptables-save` / `ip6tables-save` output.
    IptablesSave,
    /// A regedit `.reg` export of the firewall keys.
    RegExport,
    /// A `.wfw` file (`netsh advfirewall export`).
    Wfw,
    /// A `Get-NetFirewallRule` export as CSV.
    NetFirewallCsv,
    /// A `Get-NetFirewallRule` export as JSON.
    NetFirewallJson,
    /// Added by other readers (testparm).
    Other,
}

/// The audit of one host (or one deployed file standing for a group).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostAudit {
    /// Host name (from the bundle), or the input's file name.
    pub host: String,
    /// Where it was read from.
    pub source: String,
    /// What was read.
    pub input: InputKind,
    /// The group it was judged against; `None` when no group could be told.
    pub group: Option<String>,
    /// SHA-1 of the firewall configuration read (the collector's digest
    /// prints the same hash for a bundle).
    pub policy_hash: String,
    /// Equivalence classes of SMB flows compared with the plan.
    pub classes: usize,
    /// Findings, most severe first.
    pub findings: Vec<AuditFinding>,
    /// What the readers could not model exactly (`SG-A…`).
    pub notes: Notes,
}

/// The readers' notes on one input (`SG-A…`), in order. Hosts of a fleet
/// that deployed the same configuration share one list, each seeing its
/// own input's location in front of every note's (the notes of 10,000
/// identical hosts are held once). Iterating yields each note as the
/// reader wrote it for this input; serialised as that list.
#[derive(Clone, Debug, Default)]
pub struct Notes {
    /// Put in front of every note's location.
    prefix: String,
    list: Arc<[Finding]>,
}

impl Notes {
    /// Notes shared with other inputs: `list`'s locations lack the input's
    /// location, which is `prefix`.
    #[must_use]
    pub fn shared(prefix: &str, list: Arc<[Finding]>) -> Self {
        Notes {
            prefix: prefix.to_owned(),
            list,
        }
    }

    /// How many notes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True without notes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Each note, its location complete.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Finding> + '_ {
        self.list.iter().map(|n| {
            if self.prefix.is_empty() {
                return n.clone();
            }
            Finding {
                code: n.code,
                location: format!("{}{}", self.prefix, n.location),
                message: n.message.clone(),
            }
        })
    }
}

impl From<Vec<Finding>> for Notes {
    fn from(list: Vec<Finding>) -> Self {
        Notes {
            prefix: String::new(),
            list: list.into(),
        }
    }
}

impl PartialEq for Notes {
    fn eq(&self, other: &Notes) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Notes {}

impl<'a> IntoIterator for &'a Notes {
    type Item = Finding;
    type IntoIter = Box<dyn ExactSizeIterator<Item = Finding> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl Serialize for Notes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for n in self {
            seq.serialize_element(&n)?;
        }
        seq.end()
    }
}

impl HostAudit {
    /// The worst severity among the findings.
    #[must_use]
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Sorts findings most severe first, then by code (stable otherwise).
    pub fn sort(&mut self) {
        self.findings
            .sort_by(|a, b| b.severity.cmp(&a.severity).then(a.code.cmp(&b.code)));
    }
}

/// Counts over the whole report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Hosts audited.
    pub hosts: usize,
    /// Hosts without findings.
    pub compliant: usize,
    /// Findings of severity high.
    pub high: usize,
    /// Findings of severity medium.
    pub medium: usize,
    /// Findings of severity low.
    pub low: usize,
}

/// The result of `smbguard audit`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Schema of this JSON (`smbguard-audit/1`).
    pub schema: &'static str,
    /// The estate judged against.
    pub estate: String,
    /// The smbguard version.
    pub version: String,
    /// Counts.
    pub summary: Summary,
    /// One entry per host, worst first.
    pub hosts: Vec<HostAudit>,
}

impl AuditReport {
    /// The JSON schema name of the report.
    pub const SCHEMA: &'static str = "smbguard-audit/1";

    /// A report over `hosts`: sorted worst first, counted.
    #[must_use]
    pub fn new(estate: &str, version: &str, mut hosts: Vec<HostAudit>) -> Self {
        for h in &mut hosts {
            h.sort();
        }
        hosts.sort_by(|a, b| {
            b.worst()
                .cmp(&a.worst())
                .then(b.findings.len().cmp(&a.findings.len()))
                .then(a.host.cmp(&b.host))
                .then(a.source.cmp(&b.source))
        });
        let mut summary = Summary {
            hosts: hosts.len(),
            ..Summary::default()
        };
        for h in &hosts {
            if h.findings.is_empty() {
                summary.compliant += 1;
            }
            for f in &h.findings {
                match f.severity {
                    Severity::High => summary.high += 1,
                    Severity::Medium => summary.medium += 1,
                    Severity::Low => summary.low += 1,
                }
            }
        }
        AuditReport {
            schema: Self::SCHEMA,
            estate: estate.to_owned(),
            version: version.to_owned(),
            summary,
            hosts,
        }
    }

    /// The worst severity of any finding.
    #[must_use]
    pub fn worst(&self) -> Option<Severity> {
        self.hosts.iter().filter_map(HostAudit::worst).max()
    }

    /// True when some finding is at least `threshold` (`--fail-on`).
    #[must_use]
    pub fn fails(&self, threshold: Severity) -> bool {
        self.worst().is_some_and(|w| w >= threshold)
    }
}
