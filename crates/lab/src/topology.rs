//! Which hosts the lab builds for an estate, and their addresses.
//!
//! One host per group (two for workstation groups, so lateral movement
//! between workstations is probed), taking the first usable addresses of the
//! group's ranges, IPv4 and IPv6 where the group has both; an internet host;
//! and one host per perimeter exception (the cloud endpoint). Every address
//! must lie in the lab ranges (198.18.0.0/15, 203.0.113.0/24, 2001:db8::/32),
//! which never leave the namespaces.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;
use smbguard_model::{AddrSet, Estate, IntervalSet, Platform, Profile, Role, parse_addr_spec};

use crate::error::LabError;

/// The ranges the lab may use: benchmarking (RFC 2544), TEST-NET-3 and
/// IPv6 documentation (RFC 3849). Nothing in them leaves the namespaces.
pub const LAB_RANGES: [&str; 3] = ["198.18.0.0/15", "203.0.113.0/24", "2001:db8::/32"];

/// Every address the lab may use.
pub fn lab_ranges() -> AddrSet {
    LAB_RANGES
        .iter()
        .filter_map(|r| parse_addr_spec(r).ok())
        .fold(AddrSet::empty(), |acc, s| acc.union(&s))
}

/// What a lab host stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostKind {
    /// A representative host of an estate group.
    Group,
    /// A host on the internet, outside every exception.
    Internet,
    /// A named cloud endpoint of a perimeter exception (K2).
    Cloud,
}

/// How a host serves SMB (real Samba `smbd`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SmbServer {
    /// The share name.
    pub share: String,
    /// smb.conf `server min protocol`.
    pub min_protocol: &'static str,
    /// smb.conf `server smb encrypt = required`.
    pub encryption_required: bool,
}

/// One host of the lab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LabHost {
    /// Name in reports: the group name (`-last` on the host at the group's
    /// last usable address), `-1`/`-2` for workstation pairs (first and last),
    /// `internet`, or the perimeter exception's name.
    pub name: String,
    /// One-letter label for matrix columns.
    pub label: char,
    /// What it stands for.
    pub kind: HostKind,
    /// The estate group, for [`HostKind::Group`].
    pub group: Option<String>,
    /// Index of the group in the estate and plan.
    #[serde(skip)]
    pub group_index: Option<usize>,
    /// The group's role.
    pub role: Option<Role>,
    /// The group's platform (Windows hosts are stood in by Linux + nftables).
    pub platform: Option<Platform>,
    /// Inside the estate's internal ranges.
    pub internal: bool,
    /// IPv4 address.
    pub v4: Option<Ipv4Addr>,
    /// IPv6 address.
    pub v6: Option<Ipv6Addr>,
    /// The Windows Firewall profile the host is in (Windows groups only).
    pub profile: Option<Profile>,
    /// Samba, where the host serves SMB.
    pub smb: Option<SmbServer>,
    /// The network namespace.
    pub netns: String,
}

impl LabHost {
    /// The host's address in `family` (true = IPv6).
    pub fn addr(&self, v6: bool) -> Option<IpAddr> {
        if v6 {
            self.v6.map(IpAddr::V6)
        } else {
            self.v4.map(IpAddr::V4)
        }
    }

    /// The profile assumed for prediction (Domain where none applies).
    pub fn prediction_profile(&self) -> Profile {
        self.profile.unwrap_or(Profile::Domain)
    }
}

/// The perimeter router's addresses on both segments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Router {
    /// Namespace.
    pub netns: String,
    /// Internal IPv4.
    pub internal_v4: Option<Ipv4Addr>,
    /// Internal IPv6.
    pub internal_v6: Option<Ipv6Addr>,
    /// Internet-side IPv4.
    pub external_v4: Option<Ipv4Addr>,
    /// Internet-side IPv6.
    pub external_v6: Option<Ipv6Addr>,
}

/// The whole lab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Topology {
    /// Hosts, groups first (estate order), then internet, then cloud endpoints.
    pub hosts: Vec<LabHost>,
    /// The perimeter router.
    pub router: Router,
    /// Internal addresses inside the lab ranges (on-link on the internal segment).
    #[serde(skip)]
    pub internal: AddrSet,
}

const LABELS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Picks up to `n` addresses of `set` for which `ok` holds, skipping the
/// first and last address of every interval of 4 or more (network and
/// broadcast of a subnet, the subnet-router anycast of IPv6).
fn pick(intervals: &[(u128, u128)], n: usize, ok: &dyn Fn(u128) -> bool) -> Vec<u128> {
    let mut out = Vec::new();
    for &(lo, hi) in intervals {
        let (start, end) = if hi - lo >= 3 {
            (lo + 1, hi - 1)
        } else {
            (lo, hi)
        };
        let mut a = start;
        let mut scanned = 0;
        while a <= end && out.len() < n && scanned < 4096 {
            if ok(a) {
                out.push(a);
            }
            scanned += 1;
            a += 1;
        }
        if out.len() >= n {
            break;
        }
    }
    out
}

fn v4_intervals(s: &IntervalSet<u32>) -> Vec<(u128, u128)> {
    s.intervals()
        .iter()
        .map(|&(a, b)| (u128::from(a), u128::from(b)))
        .collect()
}

fn v4(a: u128) -> Ipv4Addr {
    Ipv4Addr::from(u32::try_from(a).unwrap_or(0))
}

/// Options that shape the topology.
#[derive(Clone, Debug)]
pub struct TopologyOptions {
    /// Prefix of every namespace name (unique per run).
    pub prefix: String,
    /// The profile workstation hosts are in (others are in Domain).
    pub workstation_profile: Profile,
    /// The estate keeps SMB1 (`[smb] smb1 = true`): servers that do not
    /// require encryption then accept it.
    pub smb1: bool,
}

struct Picker {
    lab: AddrSet,
    used: Vec<IpAddr>,
}

impl Picker {
    fn free(&self, ip: IpAddr) -> bool {
        self.lab.contains(ip) && !self.used.contains(&ip)
    }

    fn take_v4(&mut self, set: &AddrSet, n: usize, ok: &dyn Fn(IpAddr) -> bool) -> Vec<Ipv4Addr> {
        let within = set.intersection(&self.lab);
        let got = pick(&v4_intervals(&within.v4), n, &|a| {
            let ip = IpAddr::V4(v4(a));
            self.free(ip) && ok(ip)
        });
        let got: Vec<Ipv4Addr> = got.into_iter().map(v4).collect();
        self.used.extend(got.iter().map(|a| IpAddr::V4(*a)));
        got
    }

    fn take_v6(&mut self, set: &AddrSet, n: usize, ok: &dyn Fn(IpAddr) -> bool) -> Vec<Ipv6Addr> {
        let within = set.intersection(&self.lab);
        let got = pick(within.v6.intervals(), n, &|a| {
            let ip = IpAddr::V6(Ipv6Addr::from(a));
            self.free(ip) && ok(ip)
        });
        let got: Vec<Ipv6Addr> = got.into_iter().map(Ipv6Addr::from).collect();
        self.used.extend(got.iter().map(|a| IpAddr::V6(*a)));
        got
    }

    /// `preferred` when it is free and in `set`, else the first free address of `set`.
    fn prefer(
        &mut self,
        preferred: IpAddr,
        set: &AddrSet,
        ok: &dyn Fn(IpAddr) -> bool,
    ) -> Option<IpAddr> {
        if set.contains(preferred) && self.free(preferred) && ok(preferred) {
            self.used.push(preferred);
            return Some(preferred);
        }
        match preferred {
            IpAddr::V4(_) => self.take_v4(set, 1, ok).first().map(|a| IpAddr::V4(*a)),
            IpAddr::V6(_) => self.take_v6(set, 1, ok).first().map(|a| IpAddr::V6(*a)),
        }
    }

    /// The highest free address of `set` in the family of `v6`.
    fn last_free(
        &mut self,
        set: &AddrSet,
        v6: bool,
        ok: &dyn Fn(IpAddr) -> bool,
    ) -> Option<IpAddr> {
        let within = set.intersection(&self.lab);
        let intervals = if v6 {
            within.v6.intervals().to_vec()
        } else {
            v4_intervals(&within.v4)
        };
        let make = |a: u128| {
            if v6 {
                IpAddr::V6(Ipv6Addr::from(a))
            } else {
                IpAddr::V4(v4(a))
            }
        };
        for &(lo, hi) in intervals.iter().rev() {
            let top = if hi - lo >= 3 { hi - 1 } else { hi };
            let mut a = top;
            for _ in 0..4096 {
                let ip = make(a);
                if self.free(ip) && ok(ip) {
                    self.used.push(ip);
                    return Some(ip);
                }
                if a == lo {
                    break;
                }
                a -= 1;
            }
        }
        None
    }
}

fn as_v4(ip: Option<IpAddr>) -> Option<Ipv4Addr> {
    match ip {
        Some(IpAddr::V4(a)) => Some(a),
        _ => None,
    }
}

fn as_v6(ip: Option<IpAddr>) -> Option<Ipv6Addr> {
    match ip {
        Some(IpAddr::V6(a)) => Some(a),
        _ => None,
    }
}

/// Namespace names: short, unique per run, made of safe characters.
fn netns_name(prefix: &str, i: usize, name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(24)
        .collect();
    format!("{prefix}-{i:02}-{clean}")
}

/// Derives the lab's hosts and router from the estate.
pub fn derive(estate: &Estate, opts: &TopologyOptions) -> Result<Topology, LabError> {
    let lab = lab_ranges();
    let internal = estate.internal.intersection(&lab);
    let external = lab.difference(&estate.internal);
    let mut p = Picker {
        lab: lab.clone(),
        used: Vec::new(),
    };
    let mut hosts: Vec<LabHost> = Vec::new();
    // SMB1 stays off (K9) unless the estate keeps it; servers that require
    // encryption are SMB 3 only either way.
    let unencrypted_min = if opts.smb1 { "NT1" } else { "SMB2_02" };
    for (gi, g) in estate.groups.iter().enumerate() {
        // Each group's first usable address and, when its ranges hold more
        // than one, its last (the range edges), in every family it has, so
        // a rule cut short at either end shows.
        let mine = |ip: IpAddr| estate.group_of(ip) == Some(gi);
        let mut v4s = p.take_v4(&g.addresses, 1, &mine);
        v4s.extend(as_v4(p.last_free(&g.addresses, false, &mine)));
        let mut v6s = p.take_v6(&g.addresses, 1, &mine);
        v6s.extend(as_v6(p.last_free(&g.addresses, true, &mine)));
        let count = v4s.len().max(v6s.len());
        if count == 0 {
            return Err(LabError::Estate(format!(
                "group `{}` has no address inside the lab ranges (198.18.0.0/15, 203.0.113.0/24, 2001:db8::/32); the lab never uses other addresses",
                g.name
            )));
        }
        let smb = if g.role.hosts_shares() {
            Some(match (g.role, g.platform) {
                (Role::FileServer, Platform::Windows) => SmbServer {
                    share: "data".into(),
                    min_protocol: "SMB3",
                    encryption_required: true,
                },
                (Role::FileServer, _) => SmbServer {
                    share: "data".into(),
                    min_protocol: unencrypted_min,
                    encryption_required: false,
                },
                _ => SmbServer {
                    share: "netlogon".into(),
                    min_protocol: unencrypted_min,
                    encryption_required: false,
                },
            })
        } else {
            None
        };
        let profile = (g.platform == Platform::Windows).then_some(if g.role == Role::Workstation {
            opts.workstation_profile
        } else {
            Profile::Domain
        });
        for k in 0..count {
            // Workstations are a lateral pair (`-1`, `-2`); other groups keep
            // their name on the first address and `-last` on the range edge.
            let name = match (g.role, k) {
                (Role::Workstation, _) if count > 1 => format!("{}-{}", g.name, k + 1),
                (_, 0) => g.name.clone(),
                _ => format!("{}-last", g.name),
            };
            let v4 = v4s.get(k).copied();
            let v6 = v6s.get(k).copied();
            let internal_host = v4.map_or_else(
                || v6.is_some_and(|a| estate.is_internal(IpAddr::V6(a))),
                |a| estate.is_internal(IpAddr::V4(a)),
            );
            hosts.push(LabHost {
                name,
                label: ' ',
                kind: HostKind::Group,
                group: Some(g.name.clone()),
                group_index: Some(gi),
                role: Some(g.role),
                platform: Some(g.platform),
                internal: internal_host,
                v4,
                v6,
                profile,
                smb: smb.clone(),
                netns: String::new(),
            });
        }
    }
    // The internet host: outside the estate, every group and every exception.
    let outside = |ip: IpAddr| !estate.is_internal(ip);
    let ok = |ip: IpAddr| outside(ip) && p_in_no_group(estate, ip);
    let inet_v4 = p.prefer(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)), &external, &ok);
    let inet_v6 = p.prefer(
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 9)),
        &external,
        &ok,
    );
    if inet_v4.is_some() || inet_v6.is_some() {
        hosts.push(LabHost {
            name: "internet".into(),
            label: ' ',
            kind: HostKind::Internet,
            group: None,
            group_index: None,
            role: None,
            platform: None,
            internal: false,
            v4: as_v4(inet_v4),
            v6: as_v6(inet_v6),
            profile: None,
            smb: None,
            netns: String::new(),
        });
    }
    // One host per perimeter exception: the sixth address of its range when
    // the range has 8 or more (clear of the gateway and service addresses
    // cloud providers reserve at the start), else the first usable one.
    for e in &estate.perimeter_allow {
        let in_exception = |ip: IpAddr| e.addresses.contains(ip) && !estate.is_internal(ip);
        let offset_pick = |p: &mut Picker, v6: bool| -> Option<IpAddr> {
            let within = e.addresses.intersection(&p.lab);
            let first = if v6 {
                within.v6.intervals().first().copied()
            } else {
                within
                    .v4
                    .intervals()
                    .first()
                    .map(|&(a, b)| (u128::from(a), u128::from(b)))
            }?;
            let (lo, hi) = first;
            let cand = if hi - lo >= 7 { lo + 5 } else { lo };
            let ip = if v6 {
                IpAddr::V6(Ipv6Addr::from(cand))
            } else {
                IpAddr::V4(v4(cand))
            };
            p.prefer(ip, &e.addresses, &in_exception)
        };
        let v4 = offset_pick(&mut p, false);
        let v6 = offset_pick(&mut p, true);
        if v4.is_none() && v6.is_none() {
            return Err(LabError::Estate(format!(
                "perimeter exception `{}` has no address inside the lab ranges (203.0.113.0/24, 198.18.0.0/15 outside `internal`, 2001:db8::/32)",
                e.name
            )));
        }
        hosts.push(LabHost {
            name: e.name.clone(),
            label: ' ',
            kind: HostKind::Cloud,
            group: None,
            group_index: None,
            role: None,
            platform: None,
            internal: false,
            v4: as_v4(v4),
            v6: as_v6(v6),
            profile: None,
            smb: Some(SmbServer {
                share: "files".into(),
                min_protocol: if e.require_encryption {
                    "SMB3"
                } else {
                    unencrypted_min
                },
                encryption_required: e.require_encryption,
            }),
            netns: String::new(),
        });
    }
    if hosts.len() > LABELS.len() {
        return Err(LabError::Estate(format!(
            "{} hosts; the lab builds at most {}",
            hosts.len(),
            LABELS.len()
        )));
    }
    for (i, (h, label)) in hosts.iter_mut().zip(LABELS.chars()).enumerate() {
        h.label = label;
        h.netns = netns_name(&opts.prefix, i + 1, &h.name);
    }
    let any_v6 = |internal_side: bool| {
        hosts
            .iter()
            .any(|h| h.internal == internal_side && h.v6.is_some())
    };
    let free_router = |ip: IpAddr| p_in_no_group(estate, ip);
    let router = Router {
        netns: format!("{}-00-perimeter", opts.prefix),
        internal_v4: as_v4(p.last_free(&internal, false, &free_router)),
        internal_v6: if any_v6(true) {
            as_v6(p.last_free(&internal, true, &free_router))
        } else {
            None
        },
        external_v4: as_v4(p.prefer(
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1)),
            &external,
            &free_router,
        )),
        external_v6: if any_v6(false) {
            as_v6(p.prefer(
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
                &external,
                &free_router,
            ))
        } else {
            None
        },
    };
    Ok(Topology {
        hosts,
        router,
        internal,
    })
}

fn p_in_no_group(estate: &Estate, ip: IpAddr) -> bool {
    estate.group_of(ip).is_none()
        && !estate
            .perimeter_allow
            .iter()
            .any(|e| e.addresses.contains(ip))
}
