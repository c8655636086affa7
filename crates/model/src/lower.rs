//! Raw TOML → validated [`Estate`], collecting every problem at once.

use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization;

use toml::Spanned;

use crate::addr::{AddrSet, parse_addr_spec};
use crate::diagnostic::{Diagnostic, Rejected};
use crate::estate::{
    DeployedGpo, Dialect, Encryption, Estate, Group, GroupSpans, ManagementException,
    PerimeterException, Platform, Role, SmbSettings, Span, Strategy, UserInvariant,
};
use crate::interval::{Domain, IntervalSet};
use crate::profile::ProfileSet;
use crate::raw::{RawEstate, RawGroup};
use crate::service_tags::{ServiceTagFile, ServiceTagsUsed, parse_service_tags};
use crate::transport::Transport;

/// The outcome of a successful parse: the estate and its warnings.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The validated estate.
    pub estate: Estate,
    /// Warnings (never errors).
    pub warnings: Vec<Diagnostic>,
}

/// Parses and validates an estate file. On failure every problem found is
/// returned, located (line and column filled from `source`).
pub fn parse_estate(source: &str) -> Result<Parsed, Rejected> {
    parse_estate_with_service_tags(source, &|_| {
        Err(
            "no service tag file: pass --service-tags FILE or set `service-tags-file` in [estate]"
                .into(),
        )
    })
}

/// Loads the Azure service tag file: given the estate's `service-tags-file`
/// value (if any), returns the file's display name and text, or why not.
/// Called at most once, and only when an exception uses `service-tags`.
pub type TagLoader<'a> = dyn Fn(Option<&str>) -> Result<(String, String), String> + 'a;

/// [`parse_estate`], resolving `service-tags` with `load`.
pub fn parse_estate_with_service_tags(
    source: &str,
    load: &TagLoader<'_>,
) -> Result<Parsed, Rejected> {
    let raw: RawEstate = match toml::from_str(source) {
        Ok(raw) => raw,
        Err(e) => {
            let mut d = Diagnostic::error("syntax", e.message().to_string())
                .at(e.span())
                .hint(syntax_hint(e.message()));
            locate_briefly(&mut d, source);
            return Err(Rejected {
                diagnostics: vec![d],
            });
        }
    };
    let mut cx = Lowering {
        diagnostics: Vec::new(),
        tags: Tags::Unloaded(load),
        used: std::collections::BTreeMap::new(),
    };
    let estate = cx.estate(raw);
    let mut diagnostics = cx.diagnostics;
    for d in &mut diagnostics {
        locate_briefly(d, source);
    }
    diagnostics.sort_by_key(|d| {
        (
            d.span.as_ref().map_or(usize::MAX, |s| s.start),
            !d.is_error(),
        )
    });
    if diagnostics.iter().any(Diagnostic::is_error) {
        Err(Rejected { diagnostics })
    } else {
        Ok(Parsed {
            estate,
            warnings: diagnostics,
        })
    }
}

fn syntax_hint(message: &str) -> String {
    if message.contains("unknown field") {
        "check the spelling against docs/policy.md; unknown keys are errors so typos never pass silently".into()
    } else if message.contains("missing field") {
        "add the required key (see docs/policy.md)".into()
    } else if message.contains("unknown variant") {
        "use one of the values listed in the message".into()
    } else {
        "see docs/policy.md for the estate format".into()
    }
}

fn span_of<T>(s: &Spanned<T>) -> Span {
    Some(s.span())
}

/// The service tag file: not needed yet, loaded, or failed (reported once).
enum Tags<'a> {
    Unloaded(&'a TagLoader<'a>),
    Loaded(String, ServiceTagFile),
    Failed,
}

struct Lowering<'a> {
    diagnostics: Vec<Diagnostic>,
    tags: Tags<'a>,
    /// Tags resolved: name as in the file → its changeNumber.
    used: std::collections::BTreeMap<String, u64>,
}

impl Lowering<'_> {
    /// The prefixes of one service tag; an empty set after reporting a
    /// located error (file missing or malformed, tag unknown or empty).
    fn service_tag(
        &mut self,
        tag: &Spanned<String>,
        file_key: Option<&Spanned<String>>,
    ) -> AddrSet {
        if let Tags::Unloaded(load) = self.tags {
            let loaded = load(file_key.map(|k| k.get_ref().as_str())).and_then(|(name, text)| {
                parse_service_tags(&text)
                    .map(|f| (name.clone(), f))
                    .map_err(|e| format!("{name}: {e}"))
            });
            self.tags = match loaded {
                Ok((name, f)) => Tags::Loaded(name, f),
                Err(e) => {
                    self.push(
                        Diagnostic::error("service-tags-file", e)
                            .at(file_key.map_or(span_of(tag), span_of))
                            .label("service tags resolved from here")
                            .hint("download ServiceTags_Public_YYYYMMDD.json from Microsoft (download id 56519) and pass --service-tags FILE or set service-tags-file"),
                    );
                    Tags::Failed
                }
            };
        }
        let Tags::Loaded(file, tags) = &self.tags else {
            return AddrSet::empty();
        };
        let (file, found) = (file.clone(), tags.tag(tag.get_ref()).cloned());
        match found {
            None => {
                self.push(
                    Diagnostic::error("unknown-service-tag", format!("service tag `{}` is not in {file}", tag.get_ref()))
                        .at(span_of(tag))
                        .label("unknown tag")
                        .hint("Azure Files has no tag of its own: use Storage.<Region>, e.g. Storage.WestEurope"),
                );
                AddrSet::empty()
            }
            Some(t) if t.addresses.is_empty() => {
                self.push(
                    Diagnostic::error(
                        "empty-service-tag",
                        format!("service tag `{}` has no address prefixes in {file}", t.name),
                    )
                    .at(span_of(tag))
                    .label("no prefixes")
                    .hint("use a regional tag with prefixes, or list the addresses"),
                );
                AddrSet::empty()
            }
            Some(t) => {
                self.used.insert(t.name.clone(), t.change_number);
                t.addresses
            }
        }
    }

    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn addresses(&mut self, list: &[Spanned<String>]) -> AddrSet {
        let mut set = AddrSet::empty();
        for item in list {
            match parse_addr_spec(item.get_ref()) {
                Ok(a) => set = set.union(&a),
                Err(e) => self.push(
                    Diagnostic::error("invalid-address", e.to_string())
                        .at(span_of(item))
                        .label("not an address")
                        .hint("write `198.18.0.10`, `198.18.0.0/24`, `198.18.0.10-198.18.0.20` or the IPv6 equivalents"),
                ),
            }
        }
        set
    }

    fn transports(
        &mut self,
        list: Option<&Spanned<Vec<Spanned<String>>>>,
        default: &[Transport],
    ) -> Vec<Transport> {
        let Some(list) = list else {
            return default.to_vec();
        };
        let mut out = Vec::new();
        for item in list.get_ref() {
            match item.get_ref().parse::<Transport>() {
                Ok(t) if Transport::KNOWN.contains(&t) => out.push(t),
                Ok(t) => self.push(
                    Diagnostic::error("unknown-transport", format!("`{t}` is not an SMB transport smbguard governs"))
                        .at(span_of(item))
                        .hint("use tcp/445, tcp/139, udp/137, udp/138, udp/443 (SMB over QUIC) or tcp/5445 (SMB Direct)"),
                ),
                Err(e) => self.push(Diagnostic::error("invalid-transport", e.to_string()).at(span_of(item))),
            }
        }
        if out.is_empty() && !list.get_ref().is_empty() {
            return default.to_vec();
        }
        if list.get_ref().is_empty() {
            self.push(
                Diagnostic::error("empty-transports", "the transport list is empty")
                    .at(span_of(list))
                    .hint("omit the key to use the default, or list at least one transport"),
            );
        }
        // Canonical order: the order KB3185535 lists them (445 first).
        out.sort_by_key(|t| Transport::KNOWN.iter().position(|k| k == t));
        out.dedup();
        out
    }

    /// Resolves a list of group names or address specs. The union is built
    /// once from every interval: folding `union` per item is quadratic when a
    /// list names thousands of groups.
    fn endpoints(
        &mut self,
        list: &[Spanned<String>],
        names: &Names,
        groups: &[Group],
    ) -> (AddrSet, Vec<usize>) {
        let mut v4: Vec<(u32, u32)> = Vec::new();
        let mut v6: Vec<(u128, u128)> = Vec::new();
        let mut add = |a: &AddrSet| {
            v4.extend_from_slice(a.v4.intervals());
            v6.extend_from_slice(a.v6.intervals());
        };
        let mut ids = Vec::new();
        for item in list {
            let text = item.get_ref();
            if let Some(i) = names.position(text) {
                if let Some(g) = groups.get(i) {
                    add(&g.addresses);
                }
                ids.push(i);
            } else if let Ok(a) = parse_addr_spec(text) {
                add(&a);
            } else {
                let hint = if names.list.is_empty() {
                    "name a group declared with [[groups]] or give an address".to_string()
                } else {
                    format!("known groups: {}", names.list.join(", "))
                };
                self.push(
                    Diagnostic::error(
                        "unknown-reference",
                        format!("`{text}` is neither a group nor an address"),
                    )
                    .at(span_of(item))
                    .hint(hint),
                );
            }
        }
        let set = AddrSet {
            v4: IntervalSet::from_intervals(v4),
            v6: IntervalSet::from_intervals(v6),
        };
        (set, ids)
    }

    fn check_name(&mut self, what: &str, name: &Spanned<String>) {
        let n = name.get_ref();
        if n.trim().is_empty() {
            self.push(
                Diagnostic::error("empty-name", format!("the {what} name is empty"))
                    .at(span_of(name)),
            );
        } else if n.chars().any(char::is_control) {
            self.push(
                Diagnostic::error(
                    "invalid-name",
                    format!("the {what} name contains a control character (newline, tab, ...)"),
                )
                .at(span_of(name))
                .hint("names become firewall rule names and file names; keep them on one line"),
            );
        } else if let Some(c) = n.chars().find(|&c| is_invisible(c)) {
            self.push(
                Diagnostic::error(
                    "confusable-name",
                    format!(
                        "the {what} name contains the invisible character U+{:04X}",
                        u32::from(c)
                    ),
                )
                .at(span_of(name))
                .hint("zero-width and bidirectional-control characters make two different names look alike; remove it"),
            );
        } else if n.chars().count() > 64 {
            self.push(
                Diagnostic::error(
                    "invalid-name",
                    format!("the {what} name is longer than 64 characters"),
                )
                .at(span_of(name))
                .hint("put long text in `description`"),
            );
        }
    }

    fn estate(&mut self, raw: RawEstate) -> Estate {
        let h = &raw.estate;
        self.check_name("estate", &h.name);
        let internal = self.addresses(h.internal.get_ref());
        if h.internal.get_ref().is_empty() {
            self.push(
                Diagnostic::error(
                    "empty-internal",
                    "`internal` lists no ranges: everything would be internet",
                )
                .at(span_of(&h.internal))
                .hint(
                    "list your internal networks, e.g. internal = [\"10.0.0.0/8\", \"fd00::/8\"]",
                ),
            );
        }
        let transports = self.transports(h.transports.as_ref(), &Transport::DEFAULT);
        if !transports.contains(&Transport::SMB) {
            self.push(
                Diagnostic::error(
                    "transports-without-smb",
                    "`transports` leaves out tcp/445: smbguard still disables Windows' built-in SMB rules (K4, K5) but would add none for SMB itself, so domain members could not reach the DCs (invariant I3) nor clients their file servers (invariant I4)",
                )
                .at(h.transports.as_ref().and_then(span_of))
                .hint("add \"tcp/445\" to transports"),
            );
        }
        if transports.contains(&Transport::SMB_QUIC) {
            self.push(
                Diagnostic::warning(
                    "quic-blocks-http3",
                    "governing udp/443 (SMB over QUIC) blocks all QUIC, HTTP/3 included, from every workstation, member and isolated host to every address not allowed for SMB (the internet included)",
                )
                .at(h.transports.as_ref().and_then(span_of))
                .hint("browsers fall back to TCP; remove udp/443 if that matters"),
            );
        }
        let smb = self.smb(&raw);
        let names = Names::new(&raw.groups);
        let mut groups: Vec<Group> = raw
            .groups
            .iter()
            .map(|g| self.group_head(g, &internal))
            .collect();
        self.duplicate_names(&raw.groups);
        for (i, rg) in raw.groups.iter().enumerate() {
            self.group_clients(i, rg, &names, &mut groups);
        }
        self.domain_controllers_present(&raw.groups, &groups);

        let strategy = h
            .strategy
            .as_ref()
            .map(|s| *s.get_ref())
            .unwrap_or_default();
        let management: Vec<ManagementException> = raw
            .management
            .iter()
            .map(|m| {
                self.check_name("management exception", &m.name);
                let (from, from_groups) = self.endpoints(m.from.get_ref(), &names, &groups);
                let (_, to_groups) = self.endpoints(m.to.get_ref(), &names, &groups);
                if to_groups.len() != m.to.get_ref().len() {
                    self.push(
                        Diagnostic::error("management-target", "management exceptions apply to groups; `to` must name groups")
                            .at(span_of(&m.to)),
                    );
                }
                if from.is_empty() {
                    self.push(Diagnostic::error("empty-group", "`from` resolves to no address").at(span_of(&m.from)));
                }
                if strategy == crate::estate::Strategy::IpsecBypass && !from_groups.is_empty() {
                    for &g in &from_groups {
                        if groups[g].sid.is_none() {
                            self.push(
                                Diagnostic::error("bypass-needs-sid", format!(
                                    "under `ipsec-bypass`, inbound exceptions are authenticated bypass rules, which must name the authorised computers; group `{}` has no `sid`",
                                    groups[g].name))
                                    .at(span_of(&m.from))
                                    .hint("add the AD group's `sid` to that group, or set strategy = \"complement\""),
                            );
                        }
                    }
                }
                if strategy == crate::estate::Strategy::IpsecBypass && from_groups.is_empty() {
                    self.push(
                        Diagnostic::error("bypass-needs-sid", "under `ipsec-bypass`, inbound exceptions must come from groups with a `sid` (Windows requires authorised computers on inbound bypass rules)")
                            .at(span_of(&m.from))
                            .hint("declare the management hosts as a group with `sid`, or set strategy = \"complement\""),
                    );
                }
                ManagementException {
                    name: m.name.get_ref().clone(),
                    description: m.description.clone(),
                    from,
                    from_groups,
                    to_groups,
                    transports: self.transports(m.transports.as_ref(), &[Transport::SMB]),
                    span: span_of(&m.name),
                }
            })
            .collect();
        let perimeter_allow = raw
            .perimeter
            .allow
            .iter()
            .map(|p| {
                self.check_name("perimeter exception", &p.name);
                let listed = p.addresses.as_ref().map_or(&[][..], |a| a.get_ref().as_slice());
                let mut addresses = self.addresses(listed);
                let tags = p.service_tags.as_ref().map_or(&[][..], |t| t.get_ref().as_slice());
                for tag in tags {
                    addresses = addresses.union(&self.service_tag(tag, h.service_tags_file.as_ref()));
                }
                if listed.is_empty() && tags.is_empty() {
                    let at = p.addresses.as_ref().map_or(span_of(&p.name), span_of);
                    self.push(Diagnostic::error("empty-group", "the exception lists no address and no service tag").at(at));
                }
                if addresses.intersects(&internal) {
                    let at = p.addresses.as_ref().map_or(span_of(&p.name), span_of);
                    self.push(
                        Diagnostic::error("exception-inside", format!(
                            "perimeter exception `{}` overlaps the internal network ({})",
                            p.name.get_ref(), addresses.intersection(&internal)))
                            .at(at)
                            .hint("perimeter exceptions name endpoints outside `internal`, such as Azure Files"),
                    );
                }
                let require_encryption = p.require_encryption.unwrap_or(true);
                if !require_encryption {
                    self.push(
                        Diagnostic::warning("exception-unencrypted", format!(
                            "perimeter exception `{}` does not require SMB 3.x encryption (K2)", p.name.get_ref()))
                            .at(span_of(&p.name))
                            .hint("KB3185535: allow only SMB 3.x traffic and require AES encryption across the perimeter"),
                    );
                }
                PerimeterException {
                    name: p.name.get_ref().clone(),
                    description: p.description.clone(),
                    addresses,
                    direction: p.direction,
                    transports: self.transports(p.transports.as_ref(), &[Transport::SMB]),
                    require_encryption,
                    span: span_of(&p.name),
                }
            })
            .collect();
        let invariants = raw
            .invariants
            .iter()
            .map(|inv| {
                let (from, _) = self.endpoints(inv.from.get_ref(), &names, &groups);
                let (to, _) = self.endpoints(inv.to.get_ref(), &names, &groups);
                let transport = match inv.transport.get_ref().parse::<Transport>() {
                    Ok(t) => t,
                    Err(e) => {
                        self.push(
                            Diagnostic::error("invalid-transport", e.to_string())
                                .at(span_of(&inv.transport)),
                        );
                        Transport::SMB
                    }
                };
                UserInvariant {
                    name: inv.name.get_ref().clone(),
                    from,
                    to,
                    transport,
                    profiles: inv
                        .profile
                        .as_deref()
                        .map_or(ProfileSet::ALL, ProfileSet::of),
                    expect: inv.expect,
                    span: span_of(&inv.name),
                }
            })
            .collect();
        self.overlaps(&raw.groups, &groups, &management, strategy);
        self.members_without_a_dc(&raw.groups, &groups, &internal);
        Estate {
            name: h.name.get_ref().clone(),
            description: h.description.clone(),
            internal,
            strategy,
            transports,
            smb,
            groups,
            management,
            perimeter_allow,
            invariants,
            service_tags: match &self.tags {
                Tags::Loaded(file, f) if !self.used.is_empty() => Some(ServiceTagsUsed {
                    file: file.clone(),
                    change_number: f.change_number,
                    tags: self.used.iter().map(|(n, c)| (n.clone(), *c)).collect(),
                }),
                _ => None,
            },
        }
    }

    fn smb(&mut self, raw: &RawEstate) -> SmbSettings {
        let s = &raw.smb;
        let smb1 = s.smb1.as_ref().is_some_and(|b| *b.get_ref());
        if let Some(b) = &s.smb1 {
            if *b.get_ref() {
                self.push(
                    Diagnostic::warning(
                        "smb1-enabled",
                        "SMB1 stays enabled (KB3185535 K9: remove SMB1, it still uses NetBIOS)",
                    )
                    .at(span_of(b))
                    .hint("set smb1 = false"),
                );
            }
        }
        let min_dialect = match &s.min_dialect {
            None => Dialect::Smb300,
            Some(d) => match Dialect::ALL.iter().find(|x| x.as_str() == d.get_ref()) {
                Some(x) => *x,
                None => {
                    self.push(
                        Diagnostic::error(
                            "invalid-dialect",
                            format!("`{}` is not an SMB2/3 dialect", d.get_ref()),
                        )
                        .at(span_of(d))
                        .hint("use one of 2.0.2, 2.1, 3.0, 3.0.2, 3.1.1"),
                    );
                    Dialect::Smb300
                }
            },
        };
        let defaults = crate::estate::SmbHardening::default();
        let hardening = crate::estate::SmbHardening {
            block_ntlm: s.block_ntlm.unwrap_or(defaults.block_ntlm),
            ntlm_exceptions: self.server_names("ntlm-exceptions", s.ntlm_exceptions.as_deref()),
            quic_servers: self.server_names("quic-servers", s.quic_servers.as_deref()),
            remote_mailslots: s.remote_mailslots.unwrap_or(defaults.remote_mailslots),
            audit: s.audit.unwrap_or(defaults.audit),
        };
        SmbSettings {
            smb1,
            min_dialect,
            encryption: s.encryption.unwrap_or(Encryption::Desired),
            signing: s.signing.unwrap_or(true),
            netbios: s.netbios.unwrap_or(false),
            hardening,
        }
    }

    /// Server names for the Windows settings lists: an IP address, NetBIOS
    /// name or FQDN, so letters, digits, `.`, `-` and `:` only (1-255
    /// characters); anything else is an error, never written to a script.
    fn server_names(&mut self, key: &str, raw: Option<&[Spanned<String>]>) -> Vec<String> {
        let mut out = Vec::new();
        for name in raw.unwrap_or_default() {
            let text = name.get_ref();
            let ok = !text.is_empty()
                && text.len() <= 255
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
            if ok {
                out.push(text.clone());
            } else {
                self.push(
                    Diagnostic::error(
                        "invalid-server-name",
                        format!("`{text}` in {key} is not an IP address, NetBIOS name or FQDN"),
                    )
                    .at(span_of(name))
                    .hint("use letters, digits, `.`, `-` and `:` only"),
                );
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn group_head(&mut self, g: &RawGroup, internal: &AddrSet) -> Group {
        self.check_name("group", &g.name);
        let addresses = self.addresses(g.addresses.get_ref());
        if g.addresses.get_ref().is_empty() {
            self.push(
                Diagnostic::error(
                    "empty-group",
                    format!("group `{}` has no addresses", g.name.get_ref()),
                )
                .at(span_of(&g.addresses))
                .hint("list the group's addresses, ranges or networks"),
            );
        } else if !addresses.is_empty() && !addresses.is_subset(internal) {
            self.push(
                Diagnostic::warning("group-outside-internal", format!(
                    "group `{}` has addresses outside `internal` ({}); the perimeter treats them as internet",
                    g.name.get_ref(), addresses.difference(internal)))
                    .at(span_of(&g.addresses)),
            );
        }
        let sid = g.sid.as_ref().map(|s| {
            if !is_valid_sid(s.get_ref()) {
                self.push(
                    Diagnostic::error("invalid-sid", format!("`{}` is not a security identifier", s.get_ref()))
                        .at(span_of(s))
                        .label("malformed SID")
                        .hint("write it as S-1-5-21-<domain>-<rid>, e.g. S-1-5-21-1004336348-1177238915-682003330-512"),
                );
            }
            s.get_ref().clone()
        });
        let role = *g.role.get_ref();
        let platform = g.platform.unwrap_or_default();
        let domain_joined = g.domain_joined.as_ref().map_or(
            platform == Platform::Windows && role != Role::Isolated,
            |b| *b.get_ref(),
        );
        let services = g.services.as_ref();
        let default_off = (role == Role::Isolated).then_some(crate::estate::ServiceState::Disabled);
        Group {
            name: g.name.get_ref().clone(),
            description: g.description.clone(),
            role,
            platform,
            addresses,
            sid,
            clients: AddrSet::empty(),
            client_groups: Vec::new(),
            domain_joined,
            outbound_block: g.outbound_block.as_ref().is_some_and(|b| *b.get_ref()),
            needs_dc_smb: g.needs_dc_smb.as_ref().is_none_or(|b| *b.get_ref()),
            accept_smb_on: g
                .accept_smb_on
                .as_ref()
                .map_or(Estate::default_server_profiles(), |p| {
                    ProfileSet::of(p.get_ref())
                }),
            server_service: services
                .and_then(|s| s.server.as_ref())
                .map(|s| *s.get_ref())
                .or(default_off),
            workstation_service: services
                .and_then(|s| s.workstation.as_ref())
                .map(|s| *s.get_ref())
                .or(default_off),
            deployed_gpos: self.deployed_gpos(g, platform),
            spans: GroupSpans {
                name: span_of(&g.name),
                role: span_of(&g.role),
                server_service: services
                    .and_then(|s| s.server.as_ref())
                    .and_then(span_of)
                    .or(span_of(&g.role)),
                workstation_service: services
                    .and_then(|s| s.workstation.as_ref())
                    .and_then(span_of)
                    .or(span_of(&g.role)),
                accept_smb_on: g
                    .accept_smb_on
                    .as_ref()
                    .and_then(span_of)
                    .or(span_of(&g.role)),
                domain_joined: g
                    .domain_joined
                    .as_ref()
                    .and_then(span_of)
                    .or(span_of(&g.role)),
            },
        }
    }

    /// `deployed-gpos`: Windows groups only (a GPO does not apply to Linux
    /// hosts), each path non-empty and listed once.
    fn deployed_gpos(&mut self, g: &RawGroup, platform: Platform) -> Vec<DeployedGpo> {
        let Some(list) = g.deployed_gpos.as_ref() else {
            return Vec::new();
        };
        if platform != Platform::Windows {
            self.push(
                Diagnostic::error(
                    "gpo-on-linux",
                    format!(
                        "group `{}` is not Windows; Group Policy does not apply to it",
                        g.name.get_ref()
                    ),
                )
                .at(span_of(list))
                .hint("remove `deployed-gpos` from this group"),
            );
            return Vec::new();
        }
        let mut out: Vec<DeployedGpo> = Vec::new();
        for p in list.get_ref() {
            let path = p.get_ref().trim();
            if path.is_empty() || out.iter().any(|d| d.path == path) {
                self.push(
                    Diagnostic::error(
                        "bad-gpo-path",
                        "a deployed GPO path must be non-empty and listed once",
                    )
                    .at(span_of(p))
                    .hint("name each Registry.pol file once, highest-precedence GPO first"),
                );
                continue;
            }
            out.push(DeployedGpo {
                path: path.to_owned(),
                span: span_of(p),
            });
        }
        out
    }

    fn group_clients(&mut self, i: usize, rg: &RawGroup, names: &Names, groups: &mut [Group]) {
        let role = groups[i].role;
        match (&rg.clients, role) {
            (Some(c), Role::FileServer | Role::DomainController) => {
                let before = self.diagnostics.len();
                let (set, ids) = self.endpoints(c.get_ref(), names, groups);
                // An unknown or empty reference was already reported: do not cascade.
                let cascaded = self.diagnostics.len() > before || ids.iter().any(|&j| groups[j].addresses.is_empty());
                if ids.contains(&i) {
                    self.push(
                        Diagnostic::warning("self-client", format!("group `{}` lists itself as a client", rg.name.get_ref()))
                            .at(span_of(c)),
                    );
                }
                if set.is_empty() && !cascaded {
                    self.push(
                        Diagnostic::error("file-server-without-clients", format!("`{}` lists clients that resolve to no address", rg.name.get_ref()))
                            .at(span_of(c))
                            .hint("name client groups or address ranges"),
                    );
                }
                groups[i].clients = set;
                groups[i].client_groups = ids;
            }
            (None, Role::FileServer) => self.push(
                Diagnostic::error("file-server-without-clients", format!("file server group `{}` has no `clients`", rg.name.get_ref()))
                    .at(span_of(&rg.name))
                    .hint("add clients = [\"workstations\"] (groups or ranges); a file server open to everyone defeats K5"),
            ),
            (None, _) => {}
            (Some(c), _) => self.push(
                Diagnostic::error("clients-on-client-role", format!(
                    "`clients` only applies to domain controllers and file servers; `{}` is a {}",
                    rg.name.get_ref(), role.as_str()))
                    .at(span_of(c))
                    .hint("remove `clients`, or change the role to file-server"),
            ),
        }
    }

    /// Every declaration of a name after its first, in file order. Names are
    /// compared in Unicode normalisation form C, so `café` typed with a
    /// precomposed `é` and with `e` plus a combining accent (which look the
    /// same everywhere they are shown) are one name, not two.
    fn duplicate_names(&mut self, raw: &[RawGroup]) {
        let mut seen: HashMap<String, &str> = HashMap::with_capacity(raw.len());
        for g in raw {
            let name = g.name.get_ref().as_str();
            let key: String = name.nfc().collect();
            let Some(first) = seen.get(&key).copied() else {
                seen.insert(key, name);
                continue;
            };
            let d = if first == name {
                Diagnostic::error(
                    "duplicate-group",
                    format!("group `{name}` is declared twice"),
                )
                .hint("group names must be unique; merge the two or rename one")
            } else {
                Diagnostic::error(
                    "confusable-name",
                    format!(
                        "group `{name}` differs from group `{first}` only by Unicode normalisation (composed and decomposed accents)"
                    ),
                )
                .hint("the two names look identical in every report and rule name; rename one")
            };
            self.push(d.at(span_of(&g.name)));
        }
    }

    /// Reports every pair of groups sharing an address, ordered by the later
    /// group then the earlier one (the order of the former pairwise loop).
    /// Candidate pairs come from a sweep over sorted ranges, so the cost is
    /// O(ranges · log ranges + overlapping pairs), not O(groups²).
    fn overlaps(
        &mut self,
        raw: &[RawGroup],
        groups: &[Group],
        management: &[ManagementException],
        strategy: Strategy,
    ) {
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        overlapping_pairs(groups.iter().map(|g| &g.addresses.v4), &mut pairs);
        overlapping_pairs(groups.iter().map(|g| &g.addresses.v6), &mut pairs);
        pairs.sort_unstable();
        pairs.dedup();
        for (j, i) in pairs {
            let common = groups[i].addresses.intersection(&groups[j].addresses);
            if common.is_empty() {
                continue;
            }
            let disabled = disabled_exceptions(management, strategy, i, j);
            self.overlap(&raw[j], &groups[i], &groups[j], &common, &disabled);
        }
    }

    /// One overlap between the earlier group `a` and the later group `b`.
    fn overlap(
        &mut self,
        raw_b: &RawGroup,
        a: &Group,
        b: &Group,
        common: &AddrSet,
        disabled: &[String],
    ) {
        if a.role != b.role || a.platform != b.platform {
            self.push(
                Diagnostic::error(
                    "conflicting-roles",
                    format!(
                        "{} is in group `{}` ({}) and in group `{}` ({})",
                        common,
                        a.name,
                        a.role.as_str(),
                        b.name,
                        b.role.as_str()
                    ),
                )
                .at(span_of(&raw_b.addresses))
                .label("overlaps an earlier group")
                .hint("a host has one role; remove the overlap"),
            );
        } else {
            self.push(
                Diagnostic::warning(
                    "overlapping-groups",
                    format!(
                        "{} is in groups `{}` and `{}`; smbguard evaluates it as `{}`{}",
                        common,
                        a.name,
                        b.name,
                        a.name,
                        if disabled.is_empty() {
                            String::new()
                        } else {
                            format!(
                                ", so these exceptions do not apply to it: {}",
                                disabled.join(", ")
                            )
                        }
                    ),
                )
                .at(span_of(&raw_b.addresses)),
            );
        }
    }

    /// Invariant I3 at load: a domain member that needs the DCs must be
    /// accepted by one (a DC without `clients` accepts all of `internal`),
    /// or it cannot apply Group Policy. An estate that breaks it is refused
    /// here, at the member, instead of failing `verify`.
    fn members_without_a_dc(&mut self, raw: &[RawGroup], groups: &[Group], internal: &AddrSet) {
        self.isolated_clients(raw, groups);
        if !groups.iter().any(|g| g.role == Role::DomainController) {
            return; // `no-domain-controllers` says it
        }
        let accepted = crate::estate::accepted_by_dcs(groups, internal);
        for (rg, g) in raw.iter().zip(groups) {
            if !(g.domain_joined && g.needs_dc_smb) {
                continue;
            }
            let orphans = g.addresses.difference(&accepted);
            if orphans.is_empty() {
                continue;
            }
            self.push(
                Diagnostic::error(
                    "member-without-dc",
                    format!(
                        "`{}` is a domain member that needs the DCs, but no domain controller lists {orphans} in `clients`: this breaks invariant I3 (every domain member that needs the DCs reaches one), and those hosts could not apply Group Policy",
                        g.name
                    ),
                )
                .at(span_of(&rg.name))
                .hint("add the group to a domain controller's `clients`, or set needs-dc-smb = false if it truly needs no DC"),
            );
        }
    }

    /// Invariants I2 and I4 at load: a server whose `clients` cover an
    /// isolated host would have to accept SMB from a host that must have
    /// none at all; refused at the server's `clients`.
    fn isolated_clients(&mut self, raw: &[RawGroup], groups: &[Group]) {
        let isolated = groups
            .iter()
            .filter(|g| g.role == Role::Isolated)
            .fold(AddrSet::empty(), |acc, g| acc.union(&g.addresses));
        for (rg, g) in raw.iter().zip(groups) {
            let both = g.clients.intersection(&isolated);
            if both.is_empty() {
                continue;
            }
            self.push(
                Diagnostic::error(
                    "isolated-client",
                    format!(
                        "`{}` lists isolated hosts ({both}) in `clients`: this breaks invariant I2 (no SMB at all to or from isolated hosts) and invariant I4 (each file server is reachable from its clients)",
                        g.name
                    ),
                )
                .at(rg.clients.as_ref().and_then(span_of))
                .hint("remove the isolated group or range from `clients`, or give those hosts another role"),
            );
        }
    }

    fn domain_controllers_present(&mut self, raw: &[RawGroup], groups: &[Group]) {
        let has_dc = groups.iter().any(|g| g.role == Role::DomainController);
        if has_dc {
            return;
        }
        if let Some(i) = groups.iter().position(|g| g.domain_joined) {
            self.push(
                Diagnostic::error("no-domain-controllers", format!(
                    "group `{}` is domain-joined but the estate declares no domain controllers",
                    groups[i].name))
                    .at(span_of(&raw[i].name))
                    .hint("add a [[groups]] entry with role = \"domain-controller\", or set domain-joined = false"),
            );
        }
    }
}

/// The management exceptions a host shared by the earlier group `a` and the
/// later group `b` loses by being evaluated as `a`: those into `b` and not
/// `a` (the host gets `a`'s inbound rules), and under `ipsec-bypass` those
/// from `b` and not `a` (their bypass is authorised by `b`'s SID, and the
/// host is `a`'s).
fn disabled_exceptions(
    management: &[ManagementException],
    strategy: Strategy,
    a: usize,
    b: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    for m in management {
        if m.to_groups.contains(&b) && !m.to_groups.contains(&a) {
            out.push(format!("management `{}` (into it)", m.name));
        } else if strategy == Strategy::IpsecBypass
            && m.from_groups.contains(&b)
            && !m.from_groups.contains(&a)
        {
            out.push(format!("management `{}` (from it)", m.name));
        }
    }
    out
}

/// Group names with a map from each name to its first declaration, so a
/// reference resolves in O(1) (the first group wins, as a scan would).
struct Names {
    list: Vec<String>,
    first: HashMap<String, usize>,
}

impl Names {
    fn new(raw: &[RawGroup]) -> Self {
        let list: Vec<String> = raw.iter().map(|g| g.name.get_ref().clone()).collect();
        let mut first = HashMap::with_capacity(list.len());
        for (i, n) in list.iter().enumerate() {
            first.entry(n.clone()).or_insert(i);
        }
        Self { list, first }
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.first.get(name).copied()
    }
}

/// Appends `(later, earlier)` for every two distinct groups whose sets share
/// a value. Sweep: ranges sorted by start; the active list holds the ranges
/// still open at the current start, all of which overlap the current range
/// (one group's intervals are disjoint, so a group never meets itself).
pub(crate) fn overlapping_pairs<'a, T: Domain>(
    sets: impl Iterator<Item = &'a IntervalSet<T>>,
    out: &mut Vec<(usize, usize)>,
) {
    let mut ranges: Vec<(T, T, usize)> = Vec::new();
    for (g, set) in sets.enumerate() {
        ranges.extend(set.intervals().iter().map(|&(lo, hi)| (lo, hi, g)));
    }
    ranges.sort_unstable();
    let mut active: Vec<(T, usize)> = Vec::new();
    for (lo, hi, g) in ranges {
        active.retain(|&(end, _)| end >= lo);
        out.extend(
            active
                .iter()
                .filter(|&&(_, o)| o != g)
                .map(|&(_, o)| (g.max(o), g.min(o))),
        );
        active.push((hi, g));
    }
}

/// `S-1-<authority>-<sub>...`, numbers only.
pub(crate) fn is_valid_sid(s: &str) -> bool {
    let mut parts = s.split('-');
    if parts.next() != Some("S") || parts.next() != Some("1") {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    !rest.is_empty()
        && rest.len() <= 16
        && rest
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 10 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Zero-width and bidirectional-control characters: invisible, so two names
/// differing only by them look identical (and may order text deceptively).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// A source line longer than this is not quoted under a diagnostic: a 1 MB
/// name would otherwise be printed, and underlined, in full.
const MAX_QUOTED_LINE: usize = 400;

/// [`Diagnostic::locate`], then drop the span (keeping line and column) when
/// the line it points into is too long to quote.
fn locate_briefly(d: &mut Diagnostic, source: &str) {
    d.locate(source);
    let Some(span) = d.span.clone() else {
        return;
    };
    let Some(before) = source.get(..span.start) else {
        return;
    };
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let end = source
        .get(span.start..)
        .and_then(|rest| rest.find('\n'))
        .map_or(source.len(), |i| span.start + i);
    if end - start > MAX_QUOTED_LINE || span.len() > MAX_QUOTED_LINE {
        d.span = None;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::overlapping_pairs;
    use crate::interval::IntervalSet;

    /// The former algorithm: every pair of groups, later group first.
    fn pairwise(sets: &[IntervalSet<u32>]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for j in 0..sets.len() {
            for i in 0..j {
                if !sets[i].intersection(&sets[j]).is_empty() {
                    out.push((j, i));
                }
            }
        }
        out
    }

    /// Small values so that random sets overlap, touch and nest often.
    fn group_set() -> impl Strategy<Value = IntervalSet<u32>> {
        proptest::collection::vec((0u32..200, 0u32..40), 0..5).prop_map(|v| {
            IntervalSet::from_intervals(v.into_iter().map(|(lo, len)| (lo, lo + len)))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Regression for issue 11 defect 11 (100,000 groups never planned):
        /// the sweep that replaced the O(groups²) loop finds exactly the
        /// same overlapping pairs, in the same order.
        #[test]
        fn sweep_finds_the_same_overlaps_as_pairwise(
            sets in proptest::collection::vec(group_set(), 0..40)
        ) {
            let mut pairs = Vec::new();
            overlapping_pairs(sets.iter(), &mut pairs);
            pairs.sort_unstable();
            pairs.dedup();
            prop_assert_eq!(pairs, pairwise(&sets));
        }
    }
}
