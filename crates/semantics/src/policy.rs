//! Compiled policies: one per group of hosts, and the perimeter ACL.

use serde::Serialize;
use smbguard_model::{
    AddrSet, Platform, Profile, Role, ServiceState, SmbSettings, Strategy, Transport,
};

use crate::builtin;
use crate::index::{Owners, PlanIndex, first_wins, owner_of};
use crate::kb::KbRow;
use crate::rule::{Acl, ConnectionSecurityRule, WindowsRule};

/// Default actions of one Windows Firewall profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ProfileDefaults {
    /// The profile.
    pub profile: Profile,
    /// Firewall on.
    pub enabled: bool,
    /// Default inbound action is block.
    pub block_inbound: bool,
    /// Default outbound action is block.
    pub block_outbound: bool,
    /// Shielded mode (`DoNotAllowExceptions = 1`, netsh `blockinboundalways`:
    /// "blocks all inbound connections even if the connection matches a
    /// rule"; MS-GPFAS §2.2.3.3 → FW_PROFILE_CONFIG_SHIELDED): every inbound
    /// allow and bypass is ignored in this profile.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shielded: bool,
    /// Local firewall rules apply (`AllowLocalPolicyMerge`, MS-GPFAS
    /// §2.2.3.13; default on). Off: rules of the local store, which holds the
    /// built-in rules, are ignored in this profile.
    #[serde(skip_serializing_if = "is_true")]
    pub local_rules: bool,
    /// Local connection security rules apply (`AllowLocalIPsecPolicyMerge`,
    /// MS-GPFAS §2.2.3.14; default on). Off: an isolation rule of the local
    /// store does not authenticate anything in this profile, so the bypass
    /// and allow-if-secure rules that need it do not apply.
    #[serde(skip_serializing_if = "is_true")]
    pub local_ipsec_rules: bool,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if signature
fn is_true(b: &bool) -> bool {
    *b
}

impl ProfileDefaults {
    /// Windows' own default: on, inbound blocked, outbound allowed.
    pub fn windows_default(profile: Profile) -> Self {
        ProfileDefaults {
            profile,
            enabled: true,
            block_inbound: true,
            block_outbound: false,
            shielded: false,
            local_rules: true,
            local_ipsec_rules: true,
        }
    }
}

/// A service setting with the row that asks for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceSetting {
    /// Windows service name (`LanmanServer`, `LanmanWorkstation`).
    pub service: &'static str,
    /// Desired state.
    pub state: ServiceState,
    /// KB row (K8).
    pub kb: KbRow,
}

/// A Windows host policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WindowsPolicy {
    /// Firewall rules smbguard owns.
    pub rules: Vec<WindowsRule>,
    /// Built-in rule IDs to disable.
    pub disabled_builtins: Vec<&'static str>,
    /// Profile defaults, Domain, Private, Public.
    pub profile_defaults: [ProfileDefaults; 3],
    /// Connection security rules (K7).
    pub connection_security: Vec<ConnectionSecurityRule>,
    /// Service settings (K8).
    pub services: Vec<ServiceSetting>,
}

impl WindowsPolicy {
    /// The rules the firewall would evaluate: smbguard's own plus every
    /// built-in SMB rule not disabled, assumed enabled because a share created
    /// on the host enables them (KB3185535: do not trust defaults).
    pub fn effective_rules(&self) -> impl Iterator<Item = &WindowsRule> {
        self.rules.iter().chain(
            builtin::catalogue()
                .iter()
                .filter(|b| !self.disabled_builtins.contains(&b.id.as_str())),
        )
    }

    /// The defaults of one profile.
    pub fn defaults(&self, profile: Profile) -> ProfileDefaults {
        self.profile_defaults
            .iter()
            .copied()
            .find(|d| d.profile == profile)
            .unwrap_or(ProfileDefaults::windows_default(profile))
    }

    /// True when an enabled connection security rule is active in `profile`.
    pub fn has_isolation(&self, profile: Profile) -> bool {
        self.connection_security
            .iter()
            .any(|c| c.enabled && c.profiles.contains(profile))
    }
}

/// A Linux host policy: first-match input and output chains.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinuxPolicy {
    /// Connections the host accepts.
    pub input: Acl,
    /// Connections the host opens.
    pub output: Acl,
}

/// The policy body by platform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "platform", rename_all = "lowercase")]
pub enum HostRules {
    /// Windows Defender Firewall.
    Windows(WindowsPolicy),
    /// nftables / iptables.
    Linux(LinuxPolicy),
}

/// Everything one group of hosts gets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostPolicy {
    /// Group name.
    pub group: String,
    /// Role.
    pub role: Role,
    /// Platform.
    pub platform: Platform,
    /// The hosts' addresses.
    pub addresses: AddrSet,
    /// The AD group SID of the hosts, for bypass authorisation.
    pub sid: Option<String>,
    /// Whether the hosts are domain members (Kerberos needs it).
    pub domain_joined: bool,
    /// Firewall rules.
    pub rules: HostRules,
}

impl HostPolicy {
    /// The Windows policy, if this is a Windows group.
    pub fn windows(&self) -> Option<&WindowsPolicy> {
        match &self.rules {
            HostRules::Windows(w) => Some(w),
            HostRules::Linux(_) => None,
        }
    }

    /// True when the host can authenticate an IPsec peer in `profile`:
    /// Windows, domain-joined (Kerberos) and an isolation rule active.
    pub fn ipsec_in(&self, profile: Profile) -> bool {
        self.domain_joined && self.windows().is_some_and(|w| w.has_isolation(profile))
    }
}

/// A note the compiler wants the defender to read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The row concerned.
    pub kb: KbRow,
    /// The note.
    pub text: String,
}

/// The estate compiled: the perimeter ACL and a policy per group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Estate name.
    pub estate: String,
    /// Outbound strategy used.
    pub strategy: Strategy,
    /// Transports governed.
    pub transports: Vec<Transport>,
    /// The internal network.
    pub internal: AddrSet,
    /// SMB settings for every Windows and Samba host (K2, K9).
    pub smb: SmbSettings,
    /// Perimeter ACL (K1, K2).
    pub perimeter: Acl,
    /// One policy per group, in estate order.
    pub hosts: Vec<HostPolicy>,
    /// Notes.
    pub notes: Vec<Note>,
    /// Lookups built on first use (emit and verify ask once per group).
    #[serde(skip)]
    pub(crate) index: PlanIndex,
}

impl Plan {
    /// The policy of the group named `group`.
    pub fn host(&self, group: &str) -> Option<&HostPolicy> {
        self.hosts.iter().find(|h| h.group == group)
    }

    /// The policy of the group containing `ip`, first declared wins; a
    /// binary search in an index of every group's ranges.
    pub fn host_of(&self, ip: std::net::IpAddr) -> Option<&HostPolicy> {
        let owners = self.index.owners.get_or_init(|| self.owners());
        let g = match ip {
            std::net::IpAddr::V4(a) => owner_of(&owners.v4, u32::from(a)),
            std::net::IpAddr::V6(a) => owner_of(&owners.v6, u128::from(a)),
        };
        self.hosts.get(g?)
    }

    fn owners(&self) -> Owners {
        let v4: Vec<(u32, u32, usize)> = self
            .hosts
            .iter()
            .enumerate()
            .flat_map(|(g, h)| {
                h.addresses
                    .v4
                    .intervals()
                    .iter()
                    .map(move |&(lo, hi)| (lo, hi, g))
            })
            .collect();
        let v6: Vec<(u128, u128, usize)> = self
            .hosts
            .iter()
            .enumerate()
            .flat_map(|(g, h)| {
                h.addresses
                    .v6
                    .intervals()
                    .iter()
                    .map(move |&(lo, hi)| (lo, hi, g))
            })
            .collect();
        Owners {
            v4: first_wins(&v4),
            v6: first_wins(&v6),
        }
    }

    /// The KB rows the plan realises (every artefact header names them:
    /// computed once).
    pub fn kb_rows(&self) -> Vec<KbRow> {
        self.index
            .kb_rows
            .get_or_init(|| self.scan_kb_rows())
            .clone()
    }

    fn scan_kb_rows(&self) -> Vec<KbRow> {
        let mut rows: Vec<KbRow> = self.perimeter.entries.iter().map(|e| e.kb).collect();
        for h in &self.hosts {
            match &h.rules {
                HostRules::Windows(w) => {
                    rows.extend(w.rules.iter().map(|r| r.kb));
                    rows.extend(w.connection_security.iter().map(|c| c.kb));
                    rows.extend(w.services.iter().map(|s| s.kb));
                    if !w.disabled_builtins.is_empty() {
                        rows.push(if h.role.hosts_shares() {
                            KbRow::K5
                        } else {
                            KbRow::K4
                        });
                    }
                    rows.push(KbRow::K3);
                }
                HostRules::Linux(l) => {
                    rows.extend(l.input.entries.iter().map(|e| e.kb));
                    rows.extend(l.output.entries.iter().map(|e| e.kb));
                }
            }
        }
        if !self.smb.smb1 {
            rows.push(KbRow::K9);
        }
        rows.sort();
        rows.dedup();
        rows
    }
}
