//! `smbguard plan` as text.

use std::fmt::Write;

use smbguard_semantics::{
    Acl, AclAction, Action, Direction, HostRules, Plan, Security, WindowsRule,
};

use super::describe;
use super::term::esc;

fn action(r: &WindowsRule) -> &'static str {
    match r.action {
        Action::Allow => "allow",
        Action::Block => "block",
        Action::Bypass => "bypass",
    }
}

fn security(s: Security) -> &'static str {
    match s {
        Security::None => "",
        Security::Authenticate => " [authenticate]",
        Security::AuthenticateNoEncap => " [authenticate, null encapsulation]",
        Security::AuthenticateEncrypt => " [authenticate + encrypt]",
    }
}

pub(crate) fn render(plan: &Plan) -> String {
    let mut o = String::new();
    let transports: Vec<String> = plan.transports.iter().map(ToString::to_string).collect();
    let strategy = match plan.strategy {
        smbguard_model::Strategy::IpsecBypass => "ipsec-bypass",
        smbguard_model::Strategy::Complement => "complement",
    };
    let _ = writeln!(o, "smbguard plan for estate \"{}\"", esc(&plan.estate));
    let _ = writeln!(o, "  strategy:   {strategy}");
    let _ = writeln!(o, "  transports: {}", transports.join(", "));
    let _ = writeln!(o, "  internal:   {}", plan.internal);
    let rows: Vec<String> = plan.kb_rows().iter().map(ToString::to_string).collect();
    let _ = writeln!(o, "  KB3185535 rows realised: {}", rows.join(" "));
    let _ = writeln!(o);
    acl(&mut o, plan, &plan.perimeter, "Perimeter");
    for h in &plan.hosts {
        let _ = writeln!(o);
        let platform = match h.platform {
            smbguard_model::Platform::Windows => "windows",
            smbguard_model::Platform::Linux => "linux",
        };
        let _ = writeln!(
            o,
            "Group \"{}\": {} on {platform}, {}",
            esc(&h.group),
            h.role.as_str(),
            h.addresses
        );
        match &h.rules {
            HostRules::Windows(w) => {
                let _ = writeln!(
                    o,
                    "  Windows Defender Firewall rules (no order: bypass > block > allow > profile default)"
                );
                for r in &w.rules {
                    let dir = match r.direction {
                        Direction::Inbound => "in ",
                        Direction::Outbound => "out",
                    };
                    let proto = r.protocol.map_or("any", |p| p.as_str());
                    let _ = writeln!(
                        o,
                        "    {:<3} {dir} {:<6} {proto}/{:<5} {:<16} remote {}{}",
                        r.kb.to_string(),
                        action(r),
                        r.service_ports().to_port_string(),
                        r.profiles.to_string(),
                        describe(&r.remote_addresses, plan),
                        security(r.security),
                    );
                    let _ = writeln!(o, "        \"{}\"  [{}]", esc(&r.name), esc(&r.id));
                    if !r.remote_machines.is_empty() {
                        let _ = writeln!(
                            o,
                            "        authorised computers: {}",
                            esc(&r.remote_machines.join(", "))
                        );
                    }
                }
                let kb = if h.role.hosts_shares() { "K5" } else { "K4" };
                let _ = writeln!(o, "  Built-in rules disabled ({kb}), by rule ID:");
                for chunk in w.disabled_builtins.chunks(4) {
                    let _ = writeln!(o, "    {}", chunk.join(", "));
                }
                for c in &w.connection_security {
                    let _ = writeln!(
                        o,
                        "  Connection security ({}): \"{}\": request inbound and outbound, Kerberos V5 computer + user, profiles {}",
                        c.kb,
                        esc(&c.name),
                        c.profiles
                    );
                }
                for s in &w.services {
                    let _ = writeln!(o, "  Service ({}): {} disabled", s.kb, s.service);
                }
                let d = w.defaults(smbguard_model::Profile::Domain);
                let _ = writeln!(
                    o,
                    "  Profile defaults (K3): firewall {} in Domain, Private and Public; inbound {}, outbound {}",
                    if d.enabled { "on" } else { "off" },
                    if d.block_inbound { "block" } else { "allow" },
                    if d.block_outbound { "block" } else { "allow" },
                );
            }
            HostRules::Linux(l) => {
                acl(&mut o, plan, &l.input, "  Input chain");
                acl(&mut o, plan, &l.output, "  Output chain");
            }
        }
    }
    let _ = writeln!(o);
    let s = &plan.smb;
    let _ = writeln!(
        o,
        "SMB settings (K9, K2): SMB1 {}, minimum dialect {}, encryption {:?}, signing {}, NetBIOS {}",
        if s.smb1 { "ENABLED" } else { "removed" },
        s.min_dialect.as_str(),
        s.encryption,
        if s.signing {
            "required"
        } else {
            "not required"
        },
        if s.netbios {
            "allowed to servers"
        } else {
            "blocked"
        },
    );
    for n in &plan.notes {
        let _ = writeln!(o, "note ({}): {}", n.kb, esc(&n.text));
    }
    o
}

fn acl(o: &mut String, plan: &Plan, acl: &Acl, title: &str) {
    let _ = writeln!(o, "{title} ACL \"{}\" (first match)", esc(&acl.name));
    for (i, e) in acl.entries.iter().enumerate() {
        let act = match e.action {
            AclAction::Permit => "permit",
            AclAction::Deny => "deny",
        };
        let _ = writeln!(
            o,
            "  {:>3}  {:<3} {act:<6} {}/{:<5} from {} to {}",
            i + 1,
            e.kb.to_string(),
            e.protocol.map_or("any", |p| p.as_str()),
            e.destination_ports.to_port_string(),
            describe(&e.source, plan),
            describe(&e.destination, plan),
        );
        let _ = writeln!(o, "             \"{}\"", esc(&e.name));
    }
    let default = match acl.default {
        AclAction::Permit => {
            "permit (traffic smbguard does not govern is left to the rest of your policy)"
        }
        AclAction::Deny => "deny",
    };
    let _ = writeln!(o, "  default: {default}");
}
