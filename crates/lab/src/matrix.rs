//! What the lab reports: for every probe the predicted and the observed
//! outcome, and whether they differ.

use serde::Serialize;
use smbguard_model::{Profile, Strategy, Transport};
use smbguard_semantics::Verdict;

use crate::live_audit::LiveAudit;
use crate::topology::{LabHost, Router};

/// IP family of a probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
}

impl Family {
    /// Both, IPv4 first.
    pub const BOTH: [Family; 2] = [Family::Ipv4, Family::Ipv6];

    /// `IPv4` or `IPv6`.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Ipv4 => "IPv4",
            Family::Ipv6 => "IPv6",
        }
    }

    /// True for IPv6.
    pub fn is_v6(self) -> bool {
        self == Family::Ipv6
    }
}

/// What a TCP connect or UDP datagram met.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Observed {
    /// TCP connected / the UDP responder received the datagram.
    Delivered,
    /// No answer (a firewall dropped it) / the responder never saw it.
    Dropped,
    /// TCP reset: nothing listening (a lab defect, counted as not delivered).
    Refused,
    /// No route or ICMP unreachable.
    Unreachable,
    /// Anything else (socket errors).
    Error,
}

impl Observed {
    /// The verdict this observation amounts to.
    pub fn verdict(self) -> Verdict {
        if self == Observed::Delivered {
            Verdict::Allow
        } else {
            Verdict::Block
        }
    }
}

/// One transport probe between two lab hosts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Probe {
    /// Source host name.
    pub source: String,
    /// Destination host name.
    pub destination: String,
    /// IP family.
    pub family: Family,
    /// Protocol and destination port.
    pub transport: Transport,
    /// Source address.
    pub from: std::net::IpAddr,
    /// Destination address.
    pub to: std::net::IpAddr,
    /// What `check_flow` predicts on the plan.
    pub predicted: Verdict,
    /// The stage that decided the prediction, in one line.
    pub predicted_by: String,
    /// What the real packets met.
    pub observed: Observed,
    /// Detail of the observation.
    pub detail: String,
    /// True when the observation contradicts the prediction.
    pub differs: bool,
    /// Traffic outside the plan only: what `check` predicts for the same
    /// flow on the real hosts. The lab's stand-ins carry only the plan's
    /// rules (not, say, a Windows profile's default inbound block), so this
    /// is reported beside the observation, never compared with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<Verdict>,
}

/// The kind of `smbclient` session attempted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionKind {
    /// SMB 3 with encryption required by the client (K2).
    Smb3Encrypted,
    /// SMB1 (`-m NT1`), which every server must refuse (K9).
    Smb1,
}

impl SessionKind {
    /// Short name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Smb3Encrypted => "SMB3+encryption",
            SessionKind::Smb1 => "SMB1",
        }
    }
}

/// How a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionOutcome {
    /// Authenticated, tree connected, share listed.
    Established,
    /// The server refused the dialect (negotiation failed).
    Refused,
    /// Never reached the server (dropped, timed out, unreachable).
    Unreachable,
    /// Reached the server but failed otherwise (a lab defect).
    Failed,
}

impl SessionOutcome {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionOutcome::Established => "established",
            SessionOutcome::Refused => "refused",
            SessionOutcome::Unreachable => "unreachable",
            SessionOutcome::Failed => "failed",
        }
    }
}

/// One real `smbclient` session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Session {
    /// Client host.
    pub source: String,
    /// Server host.
    pub destination: String,
    /// IP family.
    pub family: Family,
    /// SMB3 with encryption, or SMB1.
    pub kind: SessionKind,
    /// Predicted: established (SMB3) or refused (SMB1) when tcp/445 is
    /// predicted open, unreachable otherwise.
    pub predicted: SessionOutcome,
    /// What smbclient did.
    pub observed: SessionOutcome,
    /// smbclient's last line, or what happened.
    pub detail: String,
    /// True when they differ.
    pub differs: bool,
}

/// What [`crate::LabRun::probe_transports`] observed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TransportProbes {
    /// Governed transports between every pair of hosts, both families.
    pub probes: Vec<Probe>,
    /// Traffic outside the plan (TCP 22 and 80).
    pub ungoverned: Vec<Probe>,
}

/// How long the phases took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Timings {
    /// Namespaces, links, smbd, listeners, rulesets.
    pub setup_ms: u64,
    /// Reading back and auditing every host's live ruleset.
    pub audit_ms: u64,
    /// TCP and UDP probes.
    pub probes_ms: u64,
    /// smbclient sessions.
    pub sessions_ms: u64,
    /// Teardown.
    pub teardown_ms: u64,
    /// Everything.
    pub total_ms: u64,
}

/// What `--keep` left running.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Kept {
    /// Namespaces left in place.
    pub netns: Vec<String>,
    /// smbd process groups left running.
    pub smbd_process_groups: Vec<i32>,
    /// The lab's temporary directory (smb.conf, logs, rulesets).
    pub dir: std::path::PathBuf,
    /// A shell command that removes all of it.
    pub cleanup: String,
}

/// Everything one lab run found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LabReport {
    /// Estate name.
    pub estate: String,
    /// The estate's own strategy.
    pub estate_strategy: Strategy,
    /// The strategy the lab compiled with (always `complement`: no IPsec).
    pub lab_strategy: Strategy,
    /// The profile of workstation hosts (other Windows hosts are in Domain).
    pub workstation_profile: Profile,
    /// The transports probed (the estate's governed transports).
    pub transports: Vec<Transport>,
    /// Notes on how the lab differs from a real estate.
    pub notes: Vec<String>,
    /// What the lab could not exercise, and why (one line each).
    pub not_exercised: Vec<String>,
    /// The hosts.
    pub hosts: Vec<LabHost>,
    /// The perimeter router.
    pub router: Router,
    /// Every host's live ruleset (and the router's), read back from its
    /// namespace after `apply` and audited against the plan.
    pub live_audit: Vec<LiveAudit>,
    /// Governed transports between every pair of hosts, both families.
    pub probes: Vec<Probe>,
    /// Real SMB sessions.
    pub sessions: Vec<Session>,
    /// Traffic outside the plan (TCP 22 and 80): expected to pass the
    /// plan's rules, with `check`'s verdict for real hosts beside it.
    pub ungoverned: Vec<Probe>,
    /// Timings.
    pub timings: Timings,
    /// Set with `--keep`.
    pub kept: Option<Kept>,
}

impl LabReport {
    /// Number of probes, sessions and ungoverned probes whose observation
    /// contradicts the prediction.
    pub fn differences(&self) -> usize {
        self.probes.iter().filter(|p| p.differs).count()
            + self.sessions.iter().filter(|s| s.differs).count()
            + self.ungoverned.iter().filter(|p| p.differs).count()
    }

    /// Findings of the audit of the live rulesets, over every host.
    pub fn live_findings(&self) -> usize {
        self.live_audit.iter().map(|a| a.audit.findings.len()).sum()
    }

    /// True when everything observed was predicted and every live ruleset
    /// audits clean.
    pub fn ok(&self) -> bool {
        self.differences() == 0 && self.live_findings() == 0
    }

    /// The host named `name`.
    pub fn host(&self, name: &str) -> Option<&LabHost> {
        self.hosts.iter().find(|h| h.name == name)
    }
}
