//! Fix snippets for flow findings: PowerShell for Windows hosts, a command
//! for Linux hosts and the perimeter. Every string from the deployed
//! configuration is quoted for the language.

use smbguard_semantics::HostPolicy;

use crate::audit_code::AuditCode;
use crate::report::{Evidence, Fix, Store};

/// `s` as a PowerShell single-quoted string: `'` doubled, control
/// characters (which a rule ID from a hostile host may hold) replaced by `?`.
#[must_use]
pub fn ps_quote(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    format!(
        "'{}'",
        clean.replace(['\'', '\u{2018}', '\u{2019}', '\u{201a}', '\u{201b}'], "''")
    )
}

/// The fix of a flow finding on a host of `group`.
pub(crate) fn for_flow(code: AuditCode, group: &HostPolicy, ev: &Evidence, linux: bool) -> Fix {
    if linux {
        return linux_fix(group, ev);
    }
    let opening = matches!(
        code,
        AuditCode::SmbInboundOpen
            | AuditCode::ServerExposed
            | AuditCode::LateralOutbound
            | AuditCode::UndeclaredRule
    );
    let culprit = ev
        .rules
        .iter()
        .find(|r| !r.declared && (r.action != "block" || opening));
    let mut lines = Vec::new();
    match culprit {
        Some(r) if r.store == Store::Local || r.store == Store::AssumedBuiltIn => {
            lines.push(format!(
                "Disable-NetFirewallRule -Name {} -PolicyStore PersistentStore",
                ps_quote(&r.id)
            ));
        }
        Some(r) => lines.push(format!(
            "# rule {} comes from the {} store: disable it there (Group Policy: -PolicyStore DOMAIN\\GPO; Intune: the firewall rule policy)",
            ps_quote(&r.id),
            match r.store {
                Store::Mdm => "MDM",
                _ => "Group Policy",
            }
        )),
        None => {}
    }
    lines.push(format!(
        "# then re-apply smbguard's policy for group {}: smbguard emit ESTATE --target gpo (or powershell)",
        ps_quote(&group.group)
    ));
    Fix {
        language: "powershell",
        summary: match culprit {
            Some(r) => format!("disable rule {} and re-apply the plan", r.id),
            None => "re-apply the plan's rules and profile settings".to_owned(),
        },
        snippet: lines.join("\n"),
    }
}

/// Re-applying smbguard's ruleset replaces its own table, not another
/// table's rule: an undeclared rule that the reader named by its place
/// (`FAMILY TABLE CHAIN handle N`, nft rules without a comment) in a table
/// other than smbguard's is deleted by handle first.
fn linux_fix(group: &HostPolicy, ev: &Evidence) -> Fix {
    let reapply = format!(
        "smbguard emit ESTATE --target nftables --out out && smbguard apply ESTATE --group {}",
        shell_word(&group.group)
    );
    let foreign = ev
        .rules
        .iter()
        .filter(|r| !r.declared)
        .find_map(|r| nft_place(&r.name).filter(|p| p.1 != "smbguard"));
    match foreign {
        Some((family, table, chain, handle)) => Fix {
            language: "shell",
            summary: format!(
                "delete rule {handle} of {family} {table} {chain} (not smbguard's table) and re-apply smbguard's ruleset for group {}",
                group.group
            ),
            snippet: format!(
                "nft delete rule {family} {} {} handle {handle}\n{reapply}",
                shell_word(table),
                shell_word(chain)
            ),
        },
        None => Fix {
            language: "shell",
            summary: format!("re-apply smbguard's ruleset for group {}", group.group),
            snippet: reapply,
        },
    }
}

/// `inet other input handle 7` → (`inet`, `other`, `input`, 7).
fn nft_place(name: &str) -> Option<(&str, &str, &str, u64)> {
    let mut words = name.split(' ');
    let (family, table, chain) = (words.next()?, words.next()?, words.next()?);
    let handle = match (words.next(), words.next(), words.next()) {
        (Some("handle"), Some(n), None) => n.parse().ok()?,
        _ => return None,
    };
    ["inet", "ip", "ip6", "arp", "bridge", "netdev"]
        .contains(&family)
        .then_some((family, table, chain, handle))
}

/// The perimeter fix: re-apply the plan's perimeter ACL.
pub(crate) fn perimeter() -> Fix {
    Fix {
        language: "shell",
        summary: "replace the perimeter ACL with smbguard's".to_owned(),
        snippet: "smbguard emit ESTATE --target nftables,iptables,cisco-ios,junos --out out   # load out/*/perimeter.*".to_owned(),
    }
}

/// A group name as one POSIX shell word.
fn shell_word(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::nft_place;

    #[test]
    fn nft_rules_named_by_place_are_parsed_and_comments_are_not() {
        assert_eq!(
            nft_place("inet other input handle 7"),
            Some(("inet", "other", "input", 7))
        );
        assert_eq!(nft_place("Block inbound SMB 445 [K4]"), None);
        assert_eq!(nft_place("inet other input handle x"), None);
        assert_eq!(nft_place("inet other input handle 7 more"), None);
    }
}
