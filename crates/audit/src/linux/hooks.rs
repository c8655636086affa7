//! Every base chain on one hook as one first-match ACL.
//!
//! nftables runs each base chain registered on a hook, lowest priority
//! first. `accept` ends only the chain it is in (the packet goes on to the
//! next base chain on the hook); a drop ends it everywhere. So a connection
//! is accepted only when every base chain accepts it, and the first chain
//! that drops it decides. A chain of an `ip` or `ip6` table sees only its own
//! family and lets the other pass. Reading one base chain alone (smbguard's,
//! or whichever table sorts first) would miss a third-party table that drops
//! what the plan needs, or judge a host by that table alone.

use std::borrow::Cow;

use smbguard_model::AddrSet;
use smbguard_semantics::{Acl, AclAction, AclEntry};

use crate::linux::{ChainAcl, any_v6};

/// The addresses a chain of nftables family `family` sees; `None` for both
/// families (`inet`, and iptables' chains, whose readers already merged the
/// two families).
fn family_scope(family: &str) -> Option<AddrSet> {
    match family {
        "ip" => Some(AddrSet::any_v4()),
        "ip6" => Some(any_v6()),
        _ => None,
    }
}

/// The ACL of every base chain on `hook`, in priority order (ties in input
/// order); borrowed when one chain of both families is all there is.
pub(crate) fn on_hook<'a>(chains: &'a [ChainAcl], hook: &str) -> Option<Cow<'a, Acl>> {
    let mut on: Vec<&ChainAcl> = chains
        .iter()
        .filter(|c| c.hook.as_deref() == Some(hook))
        .collect();
    on.sort_by_key(|c| c.priority);
    let (first, rest) = on.split_first()?;
    if rest.is_empty() && family_scope(&first.family).is_none() {
        return Some(Cow::Borrowed(&first.acl));
    }
    let mut all = scoped(first);
    for c in rest {
        all = both(&all, &scoped(c));
    }
    all.name = format!(
        "hook {hook}: {}",
        on.iter()
            .map(|c| c.acl.name.as_str())
            .collect::<Vec<_>>()
            .join(", then ")
    );
    Some(Cow::Owned(all))
}

/// A chain's ACL over both families: an `ip` or `ip6` chain's entries keep
/// their family, its policy applies to that family only, the other family
/// passes.
fn scoped(c: &ChainAcl) -> Acl {
    let Some(scope) = family_scope(&c.family) else {
        return c.acl.clone();
    };
    let within = |e: &AclEntry| AclEntry {
        source: e.source.intersection(&scope),
        destination: e.destination.intersection(&scope),
        ..e.clone()
    };
    let mut entries: Vec<AclEntry> = c.acl.entries.iter().map(within).collect();
    if c.acl.default == AclAction::Deny {
        entries.push(AclEntry {
            name: format!("{} policy drop", c.acl.name),
            action: AclAction::Deny,
            protocol: None,
            source: scope.clone(),
            destination: scope,
            destination_ports: smbguard_model::PortSet::full(),
            kb: smbguard_semantics::KbRow::K10,
        });
    }
    Acl {
        name: c.acl.name.clone(),
        entries,
        default: AclAction::Permit,
    }
}

/// The entry matching what both `a` and `b` match, with `b`'s action;
/// `None` when no connection can match both.
fn and(a: &AclEntry, b: &AclEntry) -> Option<AclEntry> {
    let protocol = match (a.protocol, b.protocol) {
        (None, p) | (p, None) => p,
        (Some(x), Some(y)) if x == y => Some(x),
        _ => return None,
    };
    let source = a.source.intersection(&b.source);
    let destination = a.destination.intersection(&b.destination);
    let destination_ports = a.destination_ports.intersection(&b.destination_ports);
    let v4 = !source.v4.is_empty() && !destination.v4.is_empty();
    let v6 = !source.v6.is_empty() && !destination.v6.is_empty();
    if destination_ports.is_empty() || !(v4 || v6) {
        return None;
    }
    let (name, kb) = match b.action {
        // The later chain's drop decides.
        AclAction::Deny => (b.name.clone(), b.kb),
        // Both accepted: both are responsible.
        AclAction::Permit => (format!("{}, then {}", a.name, b.name), a.kb),
    };
    Some(AclEntry {
        name,
        action: b.action,
        protocol,
        source,
        destination,
        destination_ports,
        kb,
    })
}

/// `first` then `then`: accepted only when both accept; the first drop
/// decides. Each accept of `first` is followed by the whole of `then`
/// restricted to what it matched.
fn both(first: &Acl, then: &Acl) -> Acl {
    let mut entries = Vec::new();
    for a in &first.entries {
        match a.action {
            AclAction::Deny => entries.push(a.clone()),
            AclAction::Permit => {
                entries.extend(then.entries.iter().filter_map(|b| and(a, b)));
                entries.push(AclEntry {
                    action: then.default,
                    name: match then.default {
                        AclAction::Permit => a.name.clone(),
                        AclAction::Deny => format!("{} policy drop", then.name),
                    },
                    ..a.clone()
                });
            }
        }
    }
    let default = match first.default {
        AclAction::Deny => AclAction::Deny,
        AclAction::Permit => {
            entries.extend(then.entries.iter().cloned());
            then.default
        }
    };
    Acl {
        name: format!("{}, then {}", first.name, then.name),
        entries,
        default,
    }
}

#[cfg(test)]
mod tests {
    use smbguard_model::{PortSet, Proto, Transport};
    use smbguard_semantics::eval::acl::eval_acl;
    use smbguard_semantics::{Flow, KbRow, Verdict};

    use super::*;

    fn entry(name: &str, action: AclAction, port: u16) -> AclEntry {
        AclEntry {
            name: name.into(),
            action,
            protocol: Some(Proto::Tcp),
            source: AddrSet::any(),
            destination: AddrSet::any(),
            destination_ports: PortSet::single(port),
            kb: KbRow::K4,
        }
    }

    fn chain(family: &str, table: &str, priority: i64, entries: Vec<AclEntry>) -> ChainAcl {
        ChainAcl {
            family: family.into(),
            table: table.into(),
            chain: "input".into(),
            hook: Some("input".into()),
            priority,
            acl: Acl {
                name: format!("{family} {table} input"),
                entries,
                default: AclAction::Permit,
            },
        }
    }

    fn verdict(acl: &Acl, to: &str, port: u16) -> (Verdict, String) {
        let flow = Flow::new(
            "198.18.0.1".parse().unwrap(),
            to.parse().unwrap(),
            Transport {
                proto: Proto::Tcp,
                port,
            },
        );
        let d = eval_acl(acl, &flow);
        let by = d
            .matched
            .iter()
            .find(|m| m.decisive)
            .map_or_else(String::new, |m| m.name.clone());
        (d.verdict, by)
    }

    #[test]
    fn a_drop_in_any_base_chain_decides_and_accept_goes_on() {
        // smbguard accepts 445 (an inserted accept), a third-party table at
        // a later priority drops it, and accepts 139 which smbguard drops.
        let smbguard = chain(
            "inet",
            "smbguard",
            0,
            vec![
                entry("smbguard accept 445", AclAction::Permit, 445),
                entry("smbguard drop 139", AclAction::Deny, 139),
            ],
        );
        let other = chain(
            "inet",
            "other",
            10,
            vec![
                entry("other drop 445", AclAction::Deny, 445),
                entry("other accept 139", AclAction::Permit, 139),
            ],
        );
        let chains = [other, smbguard];
        let acl = on_hook(&chains, "input").unwrap();
        assert_eq!(
            verdict(&acl, "198.18.0.2", 445),
            (Verdict::Block, "other drop 445".into())
        );
        assert_eq!(
            verdict(&acl, "198.18.0.2", 139),
            (Verdict::Block, "smbguard drop 139".into())
        );
        assert_eq!(verdict(&acl, "198.18.0.2", 80).0, Verdict::Allow);
        // Priority, not table order, says which drop is named first.
        let mut both_drop = chains.clone();
        both_drop[1].acl.entries[0].action = AclAction::Deny;
        let acl = on_hook(&both_drop, "input").unwrap();
        assert_eq!(
            verdict(&acl, "198.18.0.2", 445),
            (Verdict::Block, "smbguard accept 445".into())
        );
    }

    #[test]
    fn an_ip_table_sees_ipv4_only() {
        let mut v4_only = chain("ip", "filter", -10, Vec::new());
        v4_only.acl.default = AclAction::Deny;
        let chains = [v4_only];
        let acl = on_hook(&chains, "input").unwrap();
        assert_eq!(verdict(&acl, "198.18.0.2", 445).0, Verdict::Block);
        let flow = Flow::new(
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
            Transport::SMB,
        );
        assert_eq!(eval_acl(&acl, &flow).verdict, Verdict::Allow);
    }

    #[test]
    fn one_chain_of_both_families_is_read_as_it_is() {
        let chains = [chain("inet", "smbguard", 0, Vec::new())];
        assert!(matches!(on_hook(&chains, "input"), Some(Cow::Borrowed(_))));
        assert!(on_hook(&chains, "output").is_none());
    }
}
