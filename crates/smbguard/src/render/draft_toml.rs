//! `smbguard init --from-traffic`: a drafted estate as commented TOML.
//! Every proposal is preceded by the evidence it rests on, so a reviewer
//! sees why a host landed where it did. Names and addresses come from
//! smbguard itself (group names are ASCII slugs, addresses are printed by
//! `IpAddr`); evidence lines go into comments through `one_line`.

use std::fmt::Write;
use std::net::IpAddr;

use smbguard_traffic::{Draft, DraftRole};

/// A comment line: control characters (a capture's bytes could reach the
/// evidence through no path today, but a comment must stay one line) shown
/// as `?`.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// The range that `internal` gets for an observed address: the private or
/// documentation block it lies in, else its /24 (IPv4) or /64 (IPv6).
fn internal_range(ip: IpAddr) -> String {
    const V4_BLOCKS: [(&str, u32, u8); 6] = [
        ("10.0.0.0", 0x0a00_0000, 8),
        ("172.16.0.0", 0xac10_0000, 12),
        ("192.168.0.0", 0xc0a8_0000, 16),
        ("198.18.0.0", 0xc612_0000, 15),
        ("100.64.0.0", 0x6440_0000, 10),
        ("169.254.0.0", 0xa9fe_0000, 16),
    ];
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            for (text, net, len) in V4_BLOCKS {
                if bits >> (32 - len) == net >> (32 - len) {
                    return format!("{text}/{len}");
                }
            }
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

fn quoted(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| format!("\"{i}\"")).collect();
    format!("[{}]", items.join(", "))
}

/// The drafted estate, `sources` naming the captures and logs it came from.
pub(crate) fn render(draft: &Draft, sources: &[String], version: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Estate drafted by smbguard {version} `init --from-traffic` from: {}",
        one_line(&sources.join(", "))
    );
    o.push_str(
        "# A starting point, not a policy: every group below is a guess from observed SMB,\n\
         # NetBIOS and DCE/RPC traffic, with the evidence above it. Review each one (an\n\
         # intruder's lateral movement looks like administration), rename the groups, merge\n\
         # ranges, then `smbguard verify` and `smbguard traffic` this file.\n\n",
    );
    let mut internal: Vec<String> = Vec::new();
    for g in &draft.groups {
        if g.role == DraftRole::Isolated {
            continue;
        }
        for ip in &g.addresses {
            let r = internal_range(*ip);
            if !internal.contains(&r) {
                internal.push(r);
            }
        }
    }
    internal.sort();
    o.push_str("[estate]\nname = \"drafted-from-traffic\"\n");
    o.push_str("description = \"Drafted from observed traffic by smbguard init --from-traffic; review before use.\"\n");
    let _ = writeln!(
        o,
        "# The private or documentation blocks (else the /24 or /64) of every observed host.\ninternal = {}\n",
        quoted(internal)
    );
    for g in &draft.groups {
        for e in &g.evidence {
            let _ = writeln!(o, "# evidence: {}", one_line(e));
        }
        let _ = writeln!(
            o,
            "[[groups]]\nname = \"{}\"\nrole = \"{}\"\naddresses = {}",
            g.name,
            g.role.as_str(),
            quoted(g.addresses.iter().map(ToString::to_string))
        );
        if g.role == DraftRole::FileServer {
            let _ = writeln!(
                o,
                "clients = {}",
                quoted(g.clients.iter().map(ToString::to_string))
            );
        }
        o.push('\n');
    }
    for m in &draft.management {
        for e in &m.evidence {
            let _ = writeln!(o, "# evidence: {}", one_line(e));
        }
        let _ = writeln!(
            o,
            "[[management]]\nname = \"{}-administers\"\nfrom = [\"{}\"]\nto = {}\ntransports = [\"tcp/445\"]\n",
            m.from,
            m.from,
            quoted(m.to.iter().cloned())
        );
    }
    o
}
