//! A synthetic fleet for `smbguard audit` at scale (issue 14): an estate
//! from the scale generator ([`crate::scale`]) and evidence bundles
//! (`smbguard-evidence/1`, the collector's format, docs/audit.md) of hosts
//! spread over its Windows groups. Deterministic: the same [`Params`] give
//! the same estate file and the same bundles, and bundle `i` is made on its
//! own, so a fleet of any size streams to disk in constant memory.
//!
//! Each host's bundle holds, as the collector would read them:
//!
//! * **GPO store**: its group's policy exactly as smbguard deploys it: the
//!   firewall values of the group's emitted `registry.pol` (rules,
//!   connection security rule, authentication sets, profile settings), and
//!   the GPO's other values (SMB server and client settings) in
//!   `smb.registry`;
//! * **local store**: Windows' own rules and profile keys from a real
//!   `netsh advfirewall export` (`fixtures/windows/luthfina16-firewall.wfw`,
//!   fixtures/MANIFEST.md), a third of its rules, in one of [`IMAGES`]
//!   variants (rules a build adds or removes), plus one of [`NOISE`]
//!   third-party software mixes (backup, monitoring, remote support agents);
//! * SMB facts of a hardened host (SMB1 feature disabled), shares by role.
//!
//! A fraction of hosts ([`Params::drifted_per_mille`]) carries one [`Drift`],
//! each of which the audit reports. Host addresses are inside their group's
//! ranges, so the audit tells the group from them.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use serde_json::{Value, json};
use smbguard_emit::{EmitContext, Target, emit_each};
use smbguard_formats::firewall_store::{FirewallStore, store_entries};
use smbguard_formats::gpfas::below_base;
use smbguard_formats::hive::read_wfw;
use smbguard_formats::registry_pol::{RegData, RegType, RegistryEntry, read_registry_pol};
use smbguard_model::{AddrSet, Estate, Role, Strategy, parse_estate};
use smbguard_semantics::{Plan, compile};

use crate::estates::{Rng, to_toml};
use crate::scale;

/// Local-store variants: image `k` leaves out every tenth built-in rule
/// from the `k`-th on (image 0 keeps them all).
pub const IMAGES: usize = 3;
/// Third-party software mixes in the local store.
pub const NOISE: usize = 4;

/// Size of a generated fleet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Windows groups (the scale estate adds its Linux NAS groups; 15 at
    /// least).
    pub groups: usize,
    /// Hosts (bundles), spread round-robin over the Windows groups.
    pub hosts: usize,
    /// Address ranges over all groups.
    pub ranges: usize,
    /// Random seed.
    pub seed: u64,
    /// Hosts in a thousand that drift from the plan.
    pub drifted_per_mille: u64,
    /// Every host also carries one rule of its own in the local store (an
    /// inventory agent's listener on a port no plan rule names), so no two
    /// hosts share a judgement: the fleet audit's worst case.
    pub host_specific: bool,
}

impl Params {
    /// Issue 14's benchmark: 10,000 hosts over 50 Windows groups.
    pub fn benchmark() -> Self {
        Params {
            groups: 50,
            hosts: 10_000,
            ranges: 400,
            seed: 14,
            drifted_per_mille: 40,
            host_specific: false,
        }
    }
}

/// How a drifted host departs from its group's plan; each yields a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drift {
    /// The Public profile's firewall turned off in the GPO store: SG-H010.
    PublicProfileOff,
    /// SMB1 server enabled, the feature installed: SG-H007.
    Smb1On,
    /// The SMB server no longer requires signing: SG-H008.
    SigningOff,
    /// The plan's inbound TCP 445 block rules disabled in the GPO store (a
    /// tampered or stale GPO), and a backup agent's allow rule for TCP 445
    /// in the local store (the plan leaves local merge on): SG-H001, or
    /// SG-H003 on a domain controller or file server.
    InboundOpen,
    /// The plan's outbound TCP 445 block rules disabled in the GPO store:
    /// SG-H002. Only in groups that have them.
    OutboundBlockOff,
}

const DRIFTS: [Drift; 5] = [
    Drift::PublicProfileOff,
    Drift::Smb1On,
    Drift::SigningOff,
    Drift::InboundOpen,
    Drift::OutboundBlockOff,
];

/// What the bundles of one Windows group share.
#[derive(Clone, Debug)]
struct GroupImage {
    name: String,
    role: Role,
    /// Firewall values of the group's GPO, keys relative to the GPO root.
    gpo: Vec<Value>,
    /// The GPO's other values (SMB), keys relative to HKLM.
    smb: Vec<Value>,
    v4: Vec<u32>,
    v6: Vec<u128>,
    /// The GPO holds outbound TCP 445 block rules.
    outbound_block: bool,
}

impl GroupImage {
    fn allows(&self, d: Drift) -> bool {
        match d {
            Drift::OutboundBlockOff => self.outbound_block,
            _ => true,
        }
    }
}

/// A block rule of `dir` (`In`, `Out`) on TCP 445 (a GPO rule string).
fn is_block_445(data: &str, dir: &str) -> bool {
    let port = if dir == "In" {
        "LPort=445|"
    } else {
        "RPort=445|"
    };
    data.contains("Action=Block")
        && data.contains(&format!("Dir={dir}|"))
        && data.contains("Protocol=6|")
        && data.contains(port)
}

/// One host of the fleet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    /// Computer name.
    pub name: String,
    /// Its group.
    pub group: String,
    /// How it departs from the plan, if it does.
    pub drift: Option<Drift>,
}

/// A generated fleet: the estate file, its plan, and a bundle per host.
#[derive(Clone, Debug)]
pub struct Fleet {
    /// What it was made from.
    pub params: Params,
    /// The estate file (`smbguard audit ESTATE.toml …`).
    pub toml: String,
    /// The estate as `parse_estate` reads the file.
    pub estate: Estate,
    /// Its plan.
    pub plan: Plan,
    groups: Vec<GroupImage>,
    /// Local-store values of each image.
    images: Vec<Vec<Value>>,
    /// Third-party rules of each mix (local store).
    noise: Vec<Vec<Value>>,
}

fn value(key: &str, e: &RegistryEntry) -> Option<Value> {
    let (kind, data) = match &e.data {
        RegData::Dword(n) => ("REG_DWORD", json!(n)),
        RegData::MultiString(l) => ("REG_MULTI_SZ", json!(l)),
        RegData::String(s) if e.kind == RegType::ExpandSz => ("REG_EXPAND_SZ", json!(s)),
        RegData::String(s) => ("REG_SZ", json!(s)),
        _ => return None,
    };
    Some(json!({"key": key, "name": e.value, "type": kind, "data": data}))
}

fn rule(key: &str, name: &str, data: String) -> Value {
    json!({"key": key, "name": name, "type": "REG_SZ", "data": data})
}

/// The smallest scale-estate size with `windows` Windows groups (the
/// generator makes `max(n / 100, 1)` Linux NAS groups and needs 16 groups
/// for its invariants).
fn scale_groups(windows: usize) -> usize {
    let mut n = windows.max(15);
    while n - (n / 100).max(1) < windows {
        n += 1;
    }
    n
}

fn addresses(s: &AddrSet) -> (Vec<u32>, Vec<u128>) {
    let v4 = s.v4.intervals().iter().flat_map(|&(lo, hi)| lo..=hi);
    // IPv6 ranges are /120s or wider: the first 256 of each are plenty.
    let v6 =
        s.v6.intervals()
            .iter()
            .flat_map(|&(lo, hi)| (lo..=hi).take(256));
    (v4.take(4096).collect(), v6.take(4096).collect())
}

impl Fleet {
    /// Generates the estate, compiles it, emits every Windows group's GPO
    /// and reads the built-in rules from the fixture.
    ///
    /// # Panics
    /// When the fixture is missing or the generated estate does not parse
    /// or compile (a bug in the generator).
    pub fn new(params: &Params) -> Fleet {
        let generated = scale::estate(&scale::Params {
            groups: scale_groups(params.groups),
            ranges: params.ranges,
            seed: params.seed,
            strategy: Strategy::IpsecBypass,
        });
        let toml = to_toml(&generated);
        let estate = match parse_estate(&toml) {
            Ok(p) => p.estate,
            Err(r) => panic!("generated estate refused: {:?}", r.diagnostics),
        };
        let plan = compile(&estate).unwrap_or_else(|e| panic!("generated estate: {e:?}"));
        let groups = group_images(&estate, &plan);
        let local = builtin_local_store();
        Fleet {
            params: params.clone(),
            toml,
            images: (0..IMAGES).map(|k| image(&local, k)).collect(),
            noise: (0..NOISE).map(noise).collect(),
            estate,
            plan,
            groups,
        }
    }

    /// Host `i`: its name, group and drift.
    pub fn host(&self, i: usize) -> Host {
        let g = &self.groups[i % self.groups.len()];
        let mut rng = Rng::new(self.params.seed ^ (i as u64).wrapping_mul(0x9E37_79B9));
        let drift = rng
            .chance(self.params.drifted_per_mille, 1000)
            .then(|| DRIFTS[rng.index(DRIFTS.len())])
            .map(|d| if g.allows(d) { d } else { DRIFTS[i % 2] });
        Host {
            name: format!("{}-{:05}", g.name.to_ascii_uppercase(), i),
            group: g.name.clone(),
            drift,
        }
    }

    /// The bundle of host `i`, as one line of JSON (no line break), its
    /// members in the collector's order (`schema` first: `smbguard audit`
    /// tells a bundle by its first 4 KiB).
    pub fn bundle(&self, i: usize) -> String {
        let b = self.bundle_value(i);
        let members: Vec<String> = ["schema", "collector", "host", "firewall", "smb", "services"]
            .iter()
            .map(|k| format!("{}:{}", Value::from(*k), b[*k]))
            .collect();
        format!("{{{}}}", members.join(","))
    }

    fn bundle_value(&self, i: usize) -> Value {
        let host = self.host(i);
        let g = &self.groups[i % self.groups.len()];
        let nth = i / self.groups.len();
        let mut addrs = Vec::new();
        if let Some(a) = g.v4.get(nth % g.v4.len().max(1)) {
            addrs.push(IpAddr::V4(Ipv4Addr::from(*a)).to_string());
        }
        if let Some(a) = g.v6.get(nth % g.v6.len().max(1)) {
            addrs.push(IpAddr::V6(Ipv6Addr::from(*a)).to_string());
        }
        let mut rng = Rng::new(self.params.seed.wrapping_add(i as u64));
        let mut local = self.images[rng.index(IMAGES)].clone();
        local.extend(self.noise[rng.index(NOISE)].iter().cloned());
        if self.params.host_specific {
            let port = 20_000 + i % 30_000;
            let data = format!(
                "v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort={port}|Name=Inventory agent ({})|",
                host.name
            );
            local.push(rule("FirewallRules", &format!("{{1D7E0A55-{i:08}}}"), data));
        }
        let mut b = json!({
            "schema": "smbguard-evidence/1",
            "collector": format!("smbguard fleet generator (seed {})", self.params.seed),
            "host": {
                "name": host.name,
                "domain": "corp.example",
                "domain_joined": true,
                "os_build": "26100.2605",
                "addresses": addrs,
            },
            "firewall": {"gpo": g.gpo, "mdm": [], "local": local},
            "smb": {
                "registry": g.smb,
                "smb1_feature": "disabled",
                "shares": shares(g.role),
            },
            "services": [
                {"name": "LanmanServer", "state": "Running", "start": "Auto"},
                {"name": "LanmanWorkstation", "state": "Running", "start": "Auto"},
            ],
        });
        if let Some(d) = host.drift {
            drift(&mut b, d, &host.name, i);
        }
        b
    }

    /// Every bundle as JSON lines (`smbguard audit ESTATE -`).
    ///
    /// # Errors
    /// As `w`'s writes.
    pub fn write_jsonl(&self, w: &mut impl Write) -> io::Result<()> {
        for i in 0..self.params.hosts {
            writeln!(w, "{}", self.bundle(i))?;
        }
        Ok(())
    }

    /// Every bundle as a file `NAME.json` in `dir` (created if need be).
    ///
    /// # Errors
    /// As the file system's.
    pub fn write_dir(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for i in 0..self.params.hosts {
            let name = self.host(i).name;
            std::fs::write(dir.join(format!("{name}.json")), self.bundle(i))?;
        }
        Ok(())
    }
}

/// Every Windows group's GPO, split as the collector would read it.
fn group_images(estate: &Estate, plan: &Plan) -> Vec<GroupImage> {
    let cx = EmitContext {
        estate,
        plan,
        version: "fleet",
        unsafe_reason: None,
    };
    let mut pols: Vec<(String, Vec<u8>)> = Vec::new();
    emit_each(&cx, &[Target::Gpo], &mut |a| {
        if a.path.ends_with("/registry.pol") {
            if let Some(g) = &a.group {
                pols.push((g.clone(), a.contents));
            }
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("emit gpo: {e}"));
    plan.hosts
        .iter()
        .filter(|h| h.windows().is_some())
        .map(|h| {
            let pol = pols
                .iter()
                .find(|(g, _)| *g == h.group)
                .unwrap_or_else(|| panic!("no registry.pol for {}", h.group));
            let entries = read_registry_pol(&pol.1).unwrap_or_else(|e| panic!("{e}"));
            let mut gpo = Vec::new();
            let mut smb = Vec::new();
            for e in &entries {
                match below_base(&e.key) {
                    Some(rest) => gpo.extend(value(rest, e)),
                    None => smb.extend(value(&e.key, e)),
                }
            }
            let (v4, v6) = addresses(&h.addresses);
            let outbound_block = gpo.iter().any(|v| {
                v["key"] == "FirewallRules"
                    && v["data"].as_str().is_some_and(|d| is_block_445(d, "Out"))
            });
            GroupImage {
                name: h.group.clone(),
                role: h.role,
                gpo,
                smb,
                v4,
                v6,
                outbound_block,
            }
        })
        .collect()
}

/// The fixture's local store: profile values, then every third rule.
fn builtin_local_store() -> Vec<(bool, Value)> {
    let path = crate::fixture("windows/luthfina16-firewall.wfw");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let wfw = read_wfw(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    let mut rules = 0;
    for e in store_entries(&wfw.entries, FirewallStore::Local) {
        let Some(rest) = below_base(&e.key) else {
            continue;
        };
        let is_rule = rest.eq_ignore_ascii_case("FirewallRules");
        if is_rule {
            rules += 1;
            if rules % 3 != 0 {
                continue;
            }
        }
        out.extend(value(rest, &e).map(|v| (is_rule, v)));
    }
    out
}

/// Image `k`: the local store without every tenth rule from the `k`-th.
fn image(local: &[(bool, Value)], k: usize) -> Vec<Value> {
    let mut rule = 0;
    local
        .iter()
        .filter(|(is_rule, _)| {
            if !is_rule {
                return true;
            }
            rule += 1;
            k == 0 || rule % 10 != k
        })
        .map(|(_, v)| v.clone())
        .collect()
}

/// Mix `k`: agents that open their own ports, none of them SMB's.
fn noise(k: usize) -> Vec<Value> {
    let agents = [
        (
            "Backup agent",
            "C:\\Program Files\\Backup\\agent.exe",
            "10080",
        ),
        (
            "Monitoring agent",
            "C:\\Program Files\\Monitor\\node.exe",
            "9100",
        ),
        (
            "Remote support",
            "C:\\Program Files\\Support\\rs.exe",
            "5938",
        ),
        (
            "Print management",
            "C:\\Program Files\\Print\\pm.exe",
            "9101-9103",
        ),
        ("Inventory", "C:\\Program Files\\Inventory\\inv.exe", "8443"),
    ];
    agents
        .iter()
        .enumerate()
        .filter(|(j, _)| (j + k) % NOISE != 0)
        .flat_map(|(j, (name, app, port))| {
            let id = format!("{{7E1D4C0{j}-0000-4000-8000-00000000000{k}}}");
            let inbound = format!(
                "v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort={port}|App={app}|Name={name}|Desc=Vendor listener|"
            );
            let outbound = format!(
                "v2.30|Action=Allow|Active=TRUE|Dir=Out|Protocol=6|App={app}|Name={name} (out)|"
            );
            [
                rule("FirewallRules", &id, inbound),
                rule("FirewallRules", &format!("{id}-out"), outbound),
            ]
        })
        .collect()
}

fn shares(role: Role) -> Value {
    let mut s = vec![
        json!({"name": "ADMIN$", "path": "C:\\Windows", "special": true}),
        json!({"name": "C$", "path": "C:\\", "special": true}),
        json!({"name": "IPC$", "path": "", "special": true}),
    ];
    match role {
        Role::DomainController => {
            s.push(json!({"name": "NETLOGON", "path": "C:\\Windows\\SYSVOL\\sysvol\\corp.example\\SCRIPTS"}));
            s.push(json!({"name": "SYSVOL", "path": "C:\\Windows\\SYSVOL\\sysvol"}));
        }
        Role::FileServer => s.push(json!({"name": "data", "path": "D:\\Shares\\data"})),
        _ => {}
    }
    Value::Array(s)
}

fn push(b: &mut Value, path: [&str; 2], v: Value) {
    if let Some(list) = b[path[0]][path[1]].as_array_mut() {
        list.push(v);
    }
}

/// A value of the GPO store set to `data` (replacing any other).
fn set_gpo_dword(b: &mut Value, key: &str, name: &str, data: u32) {
    if let Some(list) = b["firewall"]["gpo"].as_array_mut() {
        list.retain(|v| !(v["key"] == key && v["name"] == name));
        list.push(json!({"key": key, "name": name, "type": "REG_DWORD", "data": data}));
    }
}

/// Disables the GPO store's TCP 445 block rules of `dir`.
fn disable_blocks(b: &mut Value, dir: &str) {
    let Some(list) = b["firewall"]["gpo"].as_array_mut() else {
        return;
    };
    for v in list.iter_mut().filter(|v| v["key"] == "FirewallRules") {
        let data = v["data"].as_str().unwrap_or_default();
        if is_block_445(data, dir) {
            v["data"] = json!(data.replace("Active=TRUE", "Active=FALSE"));
        }
    }
}

/// An SMB server or client value set to `data` (replacing any other).
fn set_smb_dword(b: &mut Value, key: &str, name: &str, data: u32) {
    if let Some(list) = b["smb"]["registry"].as_array_mut() {
        list.retain(|v| !(v["key"] == key && v["name"] == name));
        list.push(json!({"key": key, "name": name, "type": "REG_DWORD", "data": data}));
    }
}

fn drift(b: &mut Value, d: Drift, host: &str, i: usize) {
    let server = r"SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters";
    match d {
        Drift::PublicProfileOff => set_gpo_dword(b, "PublicProfile", "EnableFirewall", 0),
        Drift::Smb1On => {
            set_smb_dword(b, server, "SMB1", 1);
            b["smb"]["smb1_feature"] = json!("enabled");
        }
        Drift::SigningOff => set_smb_dword(b, server, "RequireSecuritySignature", 0),
        Drift::InboundOpen => {
            disable_blocks(b, "In");
            let id = format!("{{5B1E9C22-7A44-4E0B-8C3D-{i:012}}}");
            let data = format!(
                "v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=445|Name=Backup agent ({host})|"
            );
            push(b, ["firewall", "local"], rule("FirewallRules", &id, data));
        }
        Drift::OutboundBlockOff => disable_blocks(b, "Out"),
    }
}
