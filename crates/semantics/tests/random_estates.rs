//! Random estates: the compiler never panics, and both outbound strategies
//! give the same reachability between every pair of hosts (DESIGN.md: "both
//! correct encodings, proven equivalent where both apply").
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use proptest::prelude::*;
use smbguard_model::{Estate, Profile, Strategy as OutboundStrategy, parse_estate};
use smbguard_semantics::{Flow, Profiles, check_flow, compile};

const ROLES: [&str; 5] = [
    "domain-controller",
    "file-server",
    "member",
    "workstation",
    "isolated",
];

#[derive(Debug, Clone)]
struct G {
    role: usize,
    linux: bool,
    v6: bool,
    joined: Option<bool>,
    clients: Vec<usize>,
}

fn group() -> impl Strategy<Value = G> {
    (
        0usize..5,
        prop::bool::weighted(0.2),
        any::<bool>(),
        prop::option::of(any::<bool>()),
        prop::collection::vec(0usize..6, 0..3),
    )
        .prop_map(|(role, linux, v6, joined, clients)| G {
            role,
            linux,
            v6,
            joined,
            clients,
        })
}

/// A TOML estate from the random description; may be invalid (then skipped).
fn estate_toml(groups: &[G], mgmt: Option<(usize, usize)>, cloud: bool, netbios: bool) -> String {
    let mut s = String::from(
        "[estate]\nname = \"r\"\ninternal = [\"198.18.0.0/15\", \"2001:db8:1::/48\"]\n",
    );
    s += &format!("[smb]\nnetbios = {netbios}\n");
    for (i, g) in groups.iter().enumerate() {
        s += &format!(
            "[[groups]]\nname = \"g{i}\"\nrole = \"{}\"\n",
            ROLES[g.role]
        );
        s += &format!(
            "addresses = [\"198.18.{i}.0/24\"{}]\n",
            if g.v6 {
                format!(", \"2001:db8:1:{i}::/64\"")
            } else {
                String::new()
            }
        );
        s += &format!("sid = \"S-1-5-21-7-7-7-{}\"\n", 2000 + i);
        if g.linux {
            s += "platform = \"linux\"\n";
        }
        if let Some(j) = g.joined {
            if ROLES[g.role] != "isolated" || !j {
                s += &format!("domain-joined = {j}\n");
            }
        }
        if ROLES[g.role] == "file-server" {
            let clients: Vec<String> = g
                .clients
                .iter()
                .filter(|&&c| c < groups.len() && c != i)
                .map(|c| format!("\"g{c}\""))
                .collect();
            let clients = if clients.is_empty() {
                vec!["\"198.18.200.0/24\"".to_string()]
            } else {
                clients
            };
            s += &format!("clients = [{}]\n", clients.join(", "));
        }
    }
    if let Some((from, to)) = mgmt {
        if from < groups.len() && to < groups.len() && from != to {
            s += &format!("[[management]]\nname = \"m\"\nfrom = [\"g{from}\"]\nto = [\"g{to}\"]\n");
        }
    }
    if cloud {
        s += "[[perimeter.allow]]\nname = \"cloud\"\naddresses = [\"203.0.113.80/28\"]\ndirection = \"both\"\n";
    }
    s
}

fn probes(e: &Estate) -> Vec<std::net::IpAddr> {
    let mut v: Vec<std::net::IpAddr> = Vec::new();
    for g in &e.groups {
        v.extend(g.addresses.sample());
        if let Some(a) = g.addresses.v6.first() {
            v.push(std::net::IpAddr::V6(a.into()));
        }
    }
    v.extend(
        [
            "198.18.250.1",
            "203.0.113.85",
            "203.0.113.9",
            "2001:db8:1:ff::1",
            "2001:db8:ff::1",
        ]
        .map(|a| a.parse::<std::net::IpAddr>().unwrap()),
    );
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn strategies_agree_on_random_estates(
        groups in prop::collection::vec(group(), 1..6),
        mgmt in prop::option::of((0usize..6, 0usize..6)),
        cloud in any::<bool>(),
        netbios in any::<bool>(),
    ) {
        let text = estate_toml(&groups, mgmt, cloud, netbios);
        let Ok(parsed) = parse_estate(&text) else { return Ok(()) };
        let mut estate = parsed.estate;
        estate.strategy = OutboundStrategy::IpsecBypass;
        let Ok(bypass) = compile(&estate) else { return Ok(()) };
        estate.strategy = OutboundStrategy::Complement;
        let complement = compile(&estate).expect("guard rails do not depend on the strategy");
        let hosts = probes(&estate);
        for &a in &hosts {
            for &b in &hosts {
                if a == b || a.is_ipv4() != b.is_ipv4() {
                    continue;
                }
                for &t in &estate.transports {
                    for p in [Profile::Domain, Profile::Public] {
                        let f = Flow::new(a, b, t);
                        let x = check_flow(&bypass, &f, Profiles::both(p));
                        let y = check_flow(&complement, &f, Profiles::both(p));
                        prop_assert_eq!(x.verdict, y.verdict, "{} -> {} {} {}\n{}\nbypass: {:#?}\ncomplement: {:#?}", a, b, t, p, text, x, y);
                    }
                }
            }
        }
    }
}
