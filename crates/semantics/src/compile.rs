//! Estate → Plan: KB3185535 applied to every group and to the perimeter.

use smbguard_model::{
    AddrSet, Diagnostic, Direction as Crossing, Estate, Group, PortSet, Profile, ProfileSet, Role,
    ServiceState, Strategy, Transport,
};

use crate::builtin;
use crate::guard_rails;
use crate::ids::{rule_group, rule_id};
use crate::kb::KbRow;
use crate::links::{Links, union_all};
use crate::policy::{
    HostPolicy, HostRules, LinuxPolicy, Note, Plan, ProfileDefaults, ServiceSetting, WindowsPolicy,
};
use crate::rule::{
    Acl, AclAction, AclEntry, Action, AuthMethod, ConnectionSecurityRule, Direction, Security,
    SecurityRequirement, WindowsRule,
};

/// Why an estate cannot be compiled: the semantics crate's one error type.
///
/// Every variant carries located [`Diagnostic`]s (code, message, span, hint),
/// so a caller renders any compile error the way it renders the estate
/// parser's, through [`CompileError::diagnostics`], without matching on the
/// variants (new ones may be added).
///
/// ```
/// // A domain controller whose Server service is disabled breaks guard rail K8.
/// let toml = smbguard_model::EXAMPLE_ESTATE.replace(
///     "role = \"domain-controller\"\n",
///     "role = \"domain-controller\"\nservices = { server = \"disabled\" }\n",
/// );
/// let estate = smbguard_model::parse_estate(&toml).expect("a valid estate").estate;
/// let e = smbguard_semantics::compile(&estate).expect_err("a guard rail is broken");
/// assert_eq!(e.diagnostics()[0].code, "guard-rail-server-service");
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// The estate asks for something KB3185535 forbids (a hard guard rail,
    /// checked before anything is compiled); one diagnostic per violation,
    /// located at the estate text that causes it.
    #[error("the estate breaks {} guard rail(s) of KB3185535", .0.len())]
    GuardRails(Vec<Diagnostic>),
}

impl CompileError {
    /// The diagnostics that explain the error, in estate order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            CompileError::GuardRails(d) => d,
        }
    }

    /// The diagnostics, owned (to locate them in the source and render them).
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        match self {
            CompileError::GuardRails(d) => d,
        }
    }
}

/// The article's name for the isolation rule (K7).
pub const ISOLATION_RULE_NAME: &str = "Isolation ESP Authentication for SMB overrides";

/// Compiles the estate. Guard rails are checked first and are hard errors.
pub fn compile(estate: &Estate) -> Result<Plan, CompileError> {
    let violations = guard_rails::check(estate);
    if !violations.is_empty() {
        return Err(CompileError::GuardRails(violations));
    }
    let mut notes = Vec::new();
    let links = Links::new(estate);
    let hosts = estate
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| HostCompiler::new(estate, &links, i, g).compile(&mut notes))
        .collect();
    Ok(Plan {
        estate: estate.name.clone(),
        strategy: estate.strategy,
        transports: estate.transports.clone(),
        internal: estate.internal.clone(),
        smb: estate.smb.clone(),
        perimeter: perimeter(estate),
        hosts,
        notes,
        index: Default::default(),
    })
}

/// Transports on which clients may reach DCs and file servers. NetBIOS
/// transports only when the estate keeps NetBIOS.
pub fn session_transports(estate: &Estate) -> Vec<Transport> {
    estate
        .transports
        .iter()
        .copied()
        .filter(|t| !t.is_netbios() || estate.smb.netbios)
        .collect()
}

/// The servers a client group may open SMB to, by server group.
///
/// DCs: every group that needs them (`needs-dc-smb`, default on whatever the
/// domain membership: the article allows outbound SMB "to only DCs and file
/// servers" with no membership condition), within the DC's `clients` if it
/// has any. File servers: the groups their `clients` cover, even in part.
fn servers_for(estate: &Estate, links: &Links, client: usize) -> Vec<usize> {
    let g = &estate.groups[client];
    links
        .servers
        .iter()
        .map(|&j| (j, &estate.groups[j]))
        .filter(|(_, s)| match s.role {
            Role::DomainController => {
                g.needs_dc_smb
                    && (s.client_groups.is_empty() && s.clients.is_empty()
                        || serves(s, client, estate))
            }
            Role::FileServer => serves(s, client, estate),
            _ => false,
        })
        .map(|(j, _)| j)
        .collect()
}

/// Whether `server` accepts any host of group `client`. A `clients` range
/// covering only part of the group counts: the outbound allowance goes to
/// the whole group (a Windows rule applies to every host of its GPO) and the
/// server's own inbound rule keeps the hosts outside the range out, so
/// end to end exactly the listed hosts get through.
fn serves(server: &Group, client: usize, estate: &Estate) -> bool {
    server.client_groups.contains(&client)
        || server.clients.intersects(&estate.groups[client].addresses)
}

/// Who a server accepts SMB from: its clients, or for DCs without `clients`
/// the whole internal network.
pub fn server_clients(estate: &Estate, g: &Group) -> AddrSet {
    if g.role == Role::DomainController && g.clients.is_empty() && g.client_groups.is_empty() {
        estate.internal.clone()
    } else {
        g.clients.clone()
    }
}

fn rule_label(t: Transport) -> String {
    if t == Transport::SMB {
        "SMB 445".to_string()
    } else {
        format!(
            "{} {} {}",
            t.service_name(),
            t.proto.as_str().to_uppercase(),
            t.port
        )
    }
}

fn purpose(t: Transport, what: &str) -> String {
    format!("{what}-{}{}", t.proto, t.port)
}

struct HostCompiler<'a> {
    estate: &'a Estate,
    links: &'a Links,
    index: usize,
    group: &'a Group,
    rules: Vec<WindowsRule>,
}

impl<'a> HostCompiler<'a> {
    fn new(estate: &'a Estate, links: &'a Links, index: usize, group: &'a Group) -> Self {
        HostCompiler {
            estate,
            links,
            index,
            group,
            rules: Vec::new(),
        }
    }

    fn id(&self, purpose: &str) -> String {
        rule_id(&self.estate.name, &self.group.name, purpose)
    }

    fn rule(
        &self,
        t: Transport,
        purpose_key: &str,
        name: String,
        dir: Direction,
        action: Action,
        kb: KbRow,
    ) -> WindowsRule {
        let mut r = WindowsRule::new(self.id(&purpose(t, purpose_key)), name, dir, action, kb);
        r.group = rule_group(&self.estate.name);
        r.protocol = Some(t.proto);
        match dir {
            Direction::Inbound => r.local_ports = PortSet::single(t.port),
            Direction::Outbound => r.remote_ports = PortSet::single(t.port),
        }
        r
    }

    /// Management exceptions into this group on `t`: (sources, SIDs, names).
    fn management_into(&self, t: Transport) -> (AddrSet, Vec<String>, Vec<String>) {
        let mut from = AddrSet::empty();
        let mut sids = Vec::new();
        let mut names = Vec::new();
        for m in self.links.mgmt_into[self.index]
            .iter()
            .map(|&mi| &self.estate.management[mi])
        {
            if m.transports.contains(&t) {
                from = from.union(&m.from);
                names.push(m.name.clone());
                for &g in &m.from_groups {
                    if let Some(sid) = &self.estate.groups[g].sid {
                        sids.push(sid.clone());
                    }
                }
            }
        }
        sids.sort();
        sids.dedup();
        (from, sids, names)
    }

    /// The SIDs of the IPsec-capable groups this group may open SMB to on
    /// `t`: empty unless every one of them has a SID, because an SDDL that
    /// leaves a target out would block the SMB its address allows.
    fn outbound_sids(&self, t: Transport, session: &[Transport]) -> Vec<String> {
        let mut targets: Vec<usize> = Vec::new();
        if session.contains(&t) {
            targets.extend(servers_for(self.estate, self.links, self.index));
        }
        for m in self.links.mgmt_from[self.index]
            .iter()
            .map(|&mi| &self.estate.management[mi])
        {
            if m.transports.contains(&t) {
                targets.extend(m.to_groups.iter().copied());
            }
        }
        let mut sids = Vec::new();
        for g in targets.into_iter().map(|i| &self.estate.groups[i]) {
            if !(g.can_ipsec() && g.domain_joined) {
                continue;
            }
            match &g.sid {
                Some(sid) => sids.push(sid.clone()),
                None => return Vec::new(),
            }
        }
        sids.sort();
        sids.dedup();
        sids
    }

    /// What the outbound allowance on `t` reaches, in words, so a rule's
    /// name never promises a DC or an endpoint it does not contain.
    fn targets_phrase(&self, t: Transport, session: &[Transport]) -> String {
        let servers = if session.contains(&t) {
            servers_for(self.estate, self.links, self.index)
        } else {
            Vec::new()
        };
        let has = |r: Role| servers.iter().any(|&s| self.estate.groups[s].role == r);
        let mgmt = self.links.mgmt_from[self.index]
            .iter()
            .any(|&mi| self.estate.management[mi].transports.contains(&t));
        let cloud = self.estate.perimeter_allow.iter().any(|e| {
            matches!(e.direction, Crossing::Outbound | Crossing::Both) && e.transports.contains(&t)
        });
        let parts: Vec<&str> = [
            (has(Role::DomainController), "DCs"),
            (has(Role::FileServer), "file servers"),
            (mgmt, "managed hosts"),
            (cloud, "named endpoints"),
        ]
        .into_iter()
        .filter_map(|(on, word)| on.then_some(word))
        .collect();
        match parts.as_slice() {
            [] => "nothing".to_string(),
            [one] => (*one).to_string(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        }
    }

    /// Where this group may open SMB on `t`, split into IPsec-capable and not.
    fn outbound_targets(&self, t: Transport, session: &[Transport]) -> (AddrSet, AddrSet) {
        // The parts are merged once at the end (see `union_all`).
        let mut ipsec: Vec<&AddrSet> = Vec::new();
        let mut clear: Vec<&AddrSet> = Vec::new();
        // A bypass needs Kerberos IPsec on both ends: a source that cannot
        // negotiate it reaches every server through the complement carve-out.
        let source_ipsec = self.group.can_ipsec() && self.group.domain_joined;
        let (estate, links) = (self.estate, self.links);
        // The hosts that belong to the group: with overlapping groups, a
        // shared host is the earlier group's and gets its rules, not these.
        let mut add = |i: usize| {
            let g = &estate.groups[i];
            if source_ipsec && g.can_ipsec() && g.domain_joined {
                ipsec.push(links.owned(estate, i));
            } else {
                clear.push(links.owned(estate, i));
            }
        };
        if session.contains(&t) {
            for s in servers_for(self.estate, self.links, self.index) {
                add(s);
            }
        }
        for m in self.links.mgmt_from[self.index]
            .iter()
            .map(|&mi| &self.estate.management[mi])
        {
            if m.transports.contains(&t) {
                for &g in &m.to_groups {
                    add(g);
                }
            }
        }
        // Named cloud endpoints (K2) cannot take part in the estate's IPsec.
        for e in &self.estate.perimeter_allow {
            if matches!(e.direction, Crossing::Outbound | Crossing::Both)
                && e.transports.contains(&t)
            {
                clear.push(&e.addresses);
            }
        }
        let ipsec = union_all(ipsec.iter().copied());
        let clear = union_all(clear.iter().copied()).difference(&ipsec);
        (ipsec, clear)
    }

    fn compile(mut self, notes: &mut Vec<Note>) -> HostPolicy {
        let g = self.group;
        let rules = match g.platform {
            smbguard_model::Platform::Windows => HostRules::Windows(self.windows(notes)),
            smbguard_model::Platform::Linux => HostRules::Linux(self.linux()),
        };
        HostPolicy {
            group: g.name.clone(),
            role: g.role,
            platform: g.platform,
            addresses: g.addresses.clone(),
            sid: g.sid.clone(),
            domain_joined: g.domain_joined,
            rules,
        }
    }

    fn windows(&mut self, notes: &mut Vec<Note>) -> WindowsPolicy {
        let session = session_transports(self.estate);
        for &t in &self.estate.transports {
            if self.group.role.hosts_shares() && session.contains(&t) {
                self.server_inbound(t);
            } else {
                self.closed_inbound(t, session.contains(&t));
            }
        }
        // KB3185535 scopes its outbound rules to "Windows clients or servers
        // that do not host SMB Shares": share hosts get them only on request
        // (`outbound-block`; review A.8).
        if self.group.blocks_outbound() {
            for &t in &self.estate.transports {
                self.outbound(t, &session, notes);
            }
        }
        let mut disabled: Vec<&'static str> = builtin::KB_DISABLE.to_vec();
        disabled.extend(builtin::NETBIOS_AND_DIRECT.iter().copied().filter(|id| {
            // The stock SMB Direct rule (TCP 5445, any address) is SMB that
            // bypasses the port-445 scoping: it goes everywhere, governed or
            // not (review A.11); a share host is told below how to keep it.
            *id == builtin::SMB_DIRECT
                || builtin::lookup(id).is_some_and(|r| {
                    let t = Transport {
                        proto: r.protocol.unwrap_or(smbguard_model::Proto::Tcp),
                        port: r.local_ports.first().unwrap_or(0),
                    };
                    self.estate.transports.contains(&t)
                })
        }));
        let direct = Transport {
            proto: smbguard_model::Proto::Tcp,
            port: 5445,
        };
        if self.group.role.hosts_shares() && !self.estate.transports.contains(&direct) {
            notes.push(Note {
                kb: KbRow::K4,
                text: format!(
                    "{}: the built-in SMB Direct rule (FPSSMBD-iWARP-In-TCP, TCP 5445) is disabled; add \"tcp/5445\" to transports to allow SMB Direct from this group's clients",
                    self.group.name
                ),
            });
        }
        let connection_security = if self.estate.strategy == Strategy::IpsecBypass
            && self.group.domain_joined
        {
            vec![ConnectionSecurityRule {
                id: self.id("isolation"),
                name: ISOLATION_RULE_NAME.to_string(),
                description: "Request authentication for inbound and outbound connections, Kerberos V5 computer and user (KB3185535).".into(),
                inbound: SecurityRequirement::Request,
                outbound: SecurityRequirement::Request,
                phase1: vec![AuthMethod::MachineKerberos],
                phase2: vec![AuthMethod::UserKerberos],
                null_encapsulation: true,
                profiles: ProfileSet::ALL,
                enabled: true,
                kb: KbRow::K7,
            }]
        } else {
            Vec::new()
        };
        let services = [
            ("LanmanServer", self.group.server_service),
            ("LanmanWorkstation", self.group.workstation_service),
        ]
        .into_iter()
        .filter_map(|(service, state)| {
            state.map(|state| ServiceSetting {
                service,
                state,
                kb: KbRow::K8,
            })
        })
        .filter(|s| s.state == ServiceState::Disabled)
        .collect();
        WindowsPolicy {
            rules: std::mem::take(&mut self.rules),
            disabled_builtins: disabled,
            profile_defaults: Profile::ALL.map(ProfileDefaults::windows_default),
            connection_security,
            services,
        }
    }

    /// Hosts without shares (and NetBIOS on servers): block everything inbound
    /// on `t` except management hosts.
    fn closed_inbound(&mut self, t: Transport, session: bool) {
        let (from, sids, names) = if session && self.group.role != Role::Isolated {
            self.management_into(t)
        } else {
            (AddrSet::empty(), Vec::new(), Vec::new())
        };
        let kb = if self.group.role.hosts_shares() {
            KbRow::K5
        } else {
            KbRow::K4
        };
        let mut block = self.rule(
            t,
            "in-block",
            format!("Block all inbound {}", rule_label(t)),
            Direction::Inbound,
            Action::Block,
            kb,
        );
        block.description = if t == Transport::SMB {
            "Blocks all inbound SMB TCP 445 traffic. Not to be applied to domain controllers or computers that host SMB shares.".into()
        } else {
            format!("Blocks all inbound {} traffic.", rule_label(t))
        };
        if from.is_empty() {
            self.rules.push(block);
            return;
        }
        let who = names.join(", ");
        let mut allow = self.rule(
            t,
            "in-allow-mgmt",
            format!("Allow inbound {} from management hosts", rule_label(t)),
            Direction::Inbound,
            Action::Allow,
            KbRow::K4,
        );
        allow.remote_addresses = from.clone();
        allow.profiles = ProfileSet::TRUSTED;
        // Inbound bypass needs IPsec on this host and on every source host.
        let sources_ipsec = self
            .estate
            .management
            .iter()
            .filter(|m| names.contains(&m.name))
            .all(|m| {
                m.from_groups.iter().all(|&g| {
                    let g = &self.estate.groups[g];
                    g.can_ipsec() && g.domain_joined && g.sid.is_some()
                }) && !m.from_groups.is_empty()
                    // A bare address cannot be authorised by SID: the
                    // exception falls back to the complement carve-out.
                    && m.from.is_subset(&union_all(
                        m.from_groups.iter().map(|&g| &self.estate.groups[g].addresses),
                    ))
            });
        let bypass = self.estate.strategy == Strategy::IpsecBypass
            && self.group.can_ipsec()
            && self.group.domain_joined
            && sources_ipsec;
        match if bypass {
            Strategy::IpsecBypass
        } else {
            Strategy::Complement
        } {
            Strategy::IpsecBypass => {
                allow.action = Action::Bypass;
                allow.security = Security::AuthenticateNoEncap;
                allow.remote_machines = sids;
                allow.description = format!(
                    "Authenticated bypass for management hosts ({who}); overrides the inbound block."
                );
            }
            Strategy::Complement => {
                block.remote_addresses = from.complement();
                block.description = format!(
                    "{} Management hosts ({who}) are carved out.",
                    block.description
                );
                allow.description = format!("Allows management hosts ({who}).");
            }
        }
        self.rules.push(block);
        self.rules.push(allow);
    }

    /// DCs and file servers: accept from clients on trusted profiles only.
    fn server_inbound(&mut self, t: Transport) {
        let g = self.group;
        let (mgmt, _, _) = self.management_into(t);
        let trusted = server_clients(self.estate, g).union(&mgmt);
        let label = rule_label(t);
        let mut allow = self.rule(
            t,
            "in-allow-clients",
            format!("Allow inbound {label} from trusted clients"),
            Direction::Inbound,
            Action::Allow,
            KbRow::K5,
        );
        allow.remote_addresses = trusted.clone();
        allow.profiles = g.accept_smb_on;
        allow.description = "Domain controllers and file servers accept SMB only from trusted ranges, on Domain/Private profiles.".into();
        let mut block = self.rule(
            t,
            "in-block-untrusted",
            format!("Block inbound {label} from untrusted addresses"),
            Direction::Inbound,
            Action::Block,
            KbRow::K5,
        );
        block.remote_addresses = trusted.complement();
        block.description =
            "Everything but the trusted clients, so no other allow rule can open the server."
                .into();
        self.rules.push(allow);
        if !block.remote_addresses.is_empty() {
            self.rules.push(block);
        }
        let closed: Vec<Profile> = Profile::ALL
            .into_iter()
            .filter(|p| !g.accept_smb_on.contains(*p))
            .collect();
        if !closed.is_empty() {
            let name = if closed == [Profile::Public] {
                format!("Block inbound Guest/Public {label}")
            } else {
                let names: Vec<&str> = closed.iter().map(|p| p.as_str()).collect();
                format!("Block inbound {} {label}", names.join("/"))
            };
            let mut b = self.rule(
                t,
                "in-block-profile",
                name,
                Direction::Inbound,
                Action::Block,
                KbRow::K5,
            );
            b.profiles = ProfileSet::of(&closed);
            b.description =
                "Servers must not accept SMB on untrusted (Guest/Public) networks.".into();
            self.rules.push(b);
        }
    }

    fn outbound(&mut self, t: Transport, session: &[Transport], notes: &mut Vec<Note>) {
        let label = rule_label(t);
        if self.group.role == Role::Isolated {
            let mut b = self.rule(
                t,
                "out-block-all",
                format!("Block all outbound {label}"),
                Direction::Outbound,
                Action::Block,
                KbRow::K6,
            );
            b.description = "This host needs no SMB at all.".into();
            self.rules.push(b);
            return;
        }
        let mut public = self.rule(
            t,
            "out-block-public",
            format!("Block outbound Guest/Public {label}"),
            Direction::Outbound,
            Action::Block,
            KbRow::K6,
        );
        public.profiles = ProfileSet::PUBLIC;
        public.description =
            format!("Blocks all outbound {label} traffic when on an untrusted network.");
        self.rules.push(public);

        let (ipsec, clear) = self.outbound_targets(t, session);
        let mut block = self.rule(
            t,
            "out-block-trusted",
            format!("Block outbound Domain/Private {label}"),
            Direction::Outbound,
            Action::Block,
            KbRow::K6,
        );
        block.profiles = ProfileSet::TRUSTED;
        block.description = format!(
            "Blocks outbound {label} traffic. Override by using the \"Allow outbound Domain/Private {label}\" rule."
        );
        match self.estate.strategy {
            Strategy::IpsecBypass => {
                if !ipsec.is_empty() {
                    let mut allow = self.rule(
                        t,
                        "out-bypass-servers",
                        format!("Allow outbound Domain/Private {label}"),
                        Direction::Outbound,
                        Action::Bypass,
                        KbRow::K6,
                    );
                    allow.profiles = ProfileSet::TRUSTED;
                    allow.security = Security::AuthenticateNoEncap;
                    allow.remote_addresses = ipsec;
                    // Also by computer identity: KB3185535 suggests "Remote
                    // Computers" when the secured connection carries the
                    // computer's identity (Kerberos here); review A.9.
                    allow.remote_machines = self.outbound_sids(t, session);
                    allow.description = format!(
                        "Allows outbound {label} traffic to only DCs and file servers when on a trusted network (allow if secure, override block rules)."
                    );
                    self.rules.push(allow);
                }
                if !clear.is_empty() {
                    block.remote_addresses = clear.complement();
                    let mut allow = self.rule(
                        t,
                        "out-allow-no-ipsec",
                        format!("Allow outbound Domain/Private {label} to hosts without IPsec"),
                        Direction::Outbound,
                        Action::Allow,
                        KbRow::K6,
                    );
                    allow.profiles = ProfileSet::TRUSTED;
                    allow.remote_addresses = clear.clone();
                    allow.description = "These servers cannot authenticate with IPsec, so the block rule carves them out (complement).".into();
                    self.rules.push(allow);
                    notes.push(Note {
                        kb: KbRow::K6,
                        text: format!(
                            "{}: {} {label} reached without IPsec ({clear}): those servers cannot do Kerberos IPsec, so the block rule excludes them instead of a bypass",
                            self.group.name, "outbound"),
                    });
                }
            }
            Strategy::Complement => {
                let allowed = ipsec.union(&clear);
                block.remote_addresses = allowed.complement();
                if !allowed.is_empty() {
                    let mut allow = self.rule(
                        t,
                        "out-allow-servers",
                        format!("Allow outbound Domain/Private {label}"),
                        Direction::Outbound,
                        Action::Allow,
                        KbRow::K6,
                    );
                    allow.profiles = ProfileSet::TRUSTED;
                    allow.remote_addresses = allowed;
                    allow.description = format!(
                        "Allows outbound {label} traffic to only DCs and file servers when on a trusted network."
                    );
                    self.rules.push(allow);
                }
            }
        }
        self.rules.push(block);
    }

    /// Linux hosts: the same intent as first-match chains (no profiles, no IPsec).
    fn linux(&self) -> LinuxPolicy {
        let session = session_transports(self.estate);
        let g = self.group;
        let mut input = Vec::new();
        let mut output = Vec::new();
        for &t in &self.estate.transports {
            let label = rule_label(t);
            let entry =
                |name: String, action, source: AddrSet, destination: AddrSet, kb| AclEntry {
                    name,
                    action,
                    protocol: Some(t.proto),
                    source,
                    destination,
                    destination_ports: PortSet::single(t.port),
                    kb,
                };
            if g.role.hosts_shares() && session.contains(&t) {
                let (mgmt, _, _) = self.management_into(t);
                let trusted = server_clients(self.estate, g).union(&mgmt);
                input.push(entry(
                    format!("Allow inbound {label} from trusted clients"),
                    AclAction::Permit,
                    trusted,
                    AddrSet::any(),
                    KbRow::K5,
                ));
                input.push(entry(
                    format!("Block inbound {label} from untrusted addresses"),
                    AclAction::Deny,
                    AddrSet::any(),
                    AddrSet::any(),
                    KbRow::K5,
                ));
            } else {
                // Isolated hosts accept no SMB at all, as on Windows.
                let (mgmt, _, _) = if session.contains(&t) && g.role != Role::Isolated {
                    self.management_into(t)
                } else {
                    (AddrSet::empty(), vec![], vec![])
                };
                if !mgmt.is_empty() {
                    input.push(entry(
                        format!("Allow inbound {label} from management hosts"),
                        AclAction::Permit,
                        mgmt,
                        AddrSet::any(),
                        KbRow::K4,
                    ));
                }
                let kb = if g.role.hosts_shares() {
                    KbRow::K5
                } else {
                    KbRow::K4
                };
                input.push(entry(
                    format!("Block all inbound {label}"),
                    AclAction::Deny,
                    AddrSet::any(),
                    AddrSet::any(),
                    kb,
                ));
            }
            // As on Windows: share hosts get outbound rules only with
            // `outbound-block` (KB3185535's "clients or servers that do not
            // host SMB Shares").
            if !g.blocks_outbound() {
                continue;
            }
            if g.role != Role::Isolated {
                let (a, b) = self.outbound_targets(t, &session);
                let allowed = a.union(&b);
                if !allowed.is_empty() {
                    output.push(entry(
                        format!(
                            "Allow outbound {label} to {}",
                            self.targets_phrase(t, &session)
                        ),
                        AclAction::Permit,
                        AddrSet::any(),
                        allowed,
                        KbRow::K6,
                    ));
                }
            }
            output.push(entry(
                format!("Block outbound {label}"),
                AclAction::Deny,
                AddrSet::any(),
                AddrSet::any(),
                KbRow::K6,
            ));
        }
        LinuxPolicy {
            input: Acl {
                name: format!("{} input", g.name),
                entries: input,
                default: AclAction::Permit,
            },
            output: Acl {
                name: format!("{} output", g.name),
                entries: output,
                default: AclAction::Permit,
            },
        }
    }
}

/// The perimeter ACL: cloud exceptions first, then SMB and NetBIOS blocked
/// both ways; anything else is not smbguard's to decide.
fn perimeter(estate: &Estate) -> Acl {
    let internal = estate.internal.clone();
    let external = internal.complement();
    let mut entries = Vec::new();
    let mut transports = estate.transports.clone();
    for e in &estate.perimeter_allow {
        for &t in &e.transports {
            if !transports.contains(&t) {
                transports.push(t);
            }
            let label = rule_label(t);
            if matches!(e.direction, Crossing::Outbound | Crossing::Both) {
                entries.push(AclEntry {
                    name: format!("Allow outbound {label} to {}", e.name),
                    action: AclAction::Permit,
                    protocol: Some(t.proto),
                    source: internal.clone(),
                    destination: e.addresses.clone(),
                    destination_ports: PortSet::single(t.port),
                    kb: KbRow::K2,
                });
            }
            if matches!(e.direction, Crossing::Inbound | Crossing::Both) {
                entries.push(AclEntry {
                    name: format!("Allow inbound {label} from {}", e.name),
                    action: AclAction::Permit,
                    protocol: Some(t.proto),
                    source: e.addresses.clone(),
                    destination: internal.clone(),
                    destination_ports: PortSet::single(t.port),
                    kb: KbRow::K2,
                });
            }
        }
    }
    transports.sort_by_key(|t| Transport::KNOWN.iter().position(|k| k == t));
    for t in transports {
        let label = rule_label(t);
        entries.push(AclEntry {
            name: format!("Block inbound {label} from the internet"),
            action: AclAction::Deny,
            protocol: Some(t.proto),
            source: external.clone(),
            destination: internal.clone(),
            destination_ports: PortSet::single(t.port),
            kb: KbRow::K1,
        });
        entries.push(AclEntry {
            name: format!("Block outbound {label} to the internet"),
            action: AclAction::Deny,
            protocol: Some(t.proto),
            source: internal.clone(),
            destination: external.clone(),
            destination_ports: PortSet::single(t.port),
            kb: KbRow::K1,
        });
    }
    Acl {
        name: format!("{} perimeter", estate.name),
        entries,
        default: AclAction::Permit,
    }
}
