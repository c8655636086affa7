//! Both outbound strategies realise the same reachability on the example
//! estate, and the rules each one emits are the article's.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use smbguard_model::{EXAMPLE_ESTATE, Profile, Strategy, parse_estate};
use smbguard_semantics::{
    Action, Flow, HostPolicy, HostRules, Plan, Profiles, check_flow, compile,
};

fn plans() -> (Plan, Plan) {
    let mut estate = parse_estate(EXAMPLE_ESTATE).unwrap().estate;
    assert_eq!(estate.strategy, Strategy::IpsecBypass);
    let bypass = compile(&estate).unwrap();
    estate.strategy = Strategy::Complement;
    (bypass, compile(&estate).unwrap())
}

const HOSTS: [&str; 14] = [
    "198.18.0.10",
    "198.18.0.11",
    "198.18.1.20",
    "198.18.1.30",
    "198.18.2.5",
    "198.18.3.5",
    "198.18.0.50",
    "198.18.16.5",
    "198.18.31.255",
    "198.18.99.1",
    "203.0.113.85",
    "203.0.113.9",
    "2001:db8:1::10",
    "2001:db8:1:10::5",
];

#[test]
fn ipsec_bypass_and_complement_agree_on_every_host_pair() {
    let (bypass, complement) = plans();
    let mut compared = 0;
    for a in HOSTS {
        for b in HOSTS {
            if a == b || a.contains(':') != b.contains(':') {
                continue;
            }
            for &t in &bypass.transports {
                for pa in Profile::ALL {
                    for pb in Profile::ALL {
                        let f = Flow::new(a.parse().unwrap(), b.parse().unwrap(), t);
                        let p = Profiles {
                            source: pa,
                            destination: pb,
                        };
                        let x = check_flow(&bypass, &f, p);
                        let y = check_flow(&complement, &f, p);
                        assert_eq!(
                            x.verdict, y.verdict,
                            "{a} -> {b} {t} {pa}/{pb}\n{x:#?}\n{y:#?}"
                        );
                        compared += 1;
                    }
                }
            }
        }
    }
    assert!(compared > 1000);
}

#[test]
fn complement_strategy_has_no_bypass_and_no_ipsec() {
    let (_, complement) = plans();
    for h in &complement.hosts {
        if let HostRules::Windows(w) = &h.rules {
            assert!(w.connection_security.is_empty(), "{}", h.group);
            assert!(
                w.rules.iter().all(|r| r.action != Action::Bypass),
                "{}",
                h.group
            );
            let block = w
                .rules
                .iter()
                .find(|r| r.name == "Block outbound Domain/Private SMB 445");
            if let Some(block) = block {
                // Complement in IPv4 AND IPv6: the DCs' IPv6 address is carved out too.
                assert!(
                    !block
                        .remote_addresses
                        .contains("2001:db8:1::10".parse().unwrap()),
                    "{}",
                    h.group
                );
                assert!(
                    block
                        .remote_addresses
                        .contains("2001:db8:ffff::1".parse().unwrap()),
                    "{}",
                    h.group
                );
            }
        }
    }
}

#[test]
fn a_non_domain_windows_client_reaches_its_file_server_without_ipsec() {
    let text = EXAMPLE_ESTATE.replace(
        "[[groups]]\nname = \"workstations\"",
        "[[groups]]\nname = \"lab-pcs\"\nrole = \"workstation\"\ndomain-joined = false\naddresses = [\"198.18.40.0/24\"]\n\n[[groups]]\nname = \"workstations\"",
    )
    .replace("clients = [\"workstations\", \"members\"]", "clients = [\"workstations\", \"members\", \"lab-pcs\"]");
    let plan = compile(&parse_estate(&text).unwrap().estate).unwrap();
    let to_fs = Flow::new(
        "198.18.40.7".parse().unwrap(),
        "198.18.1.20".parse().unwrap(),
        smbguard_model::Transport::SMB,
    );
    let r = check_flow(&plan, &to_fs, Profiles::both(Profile::Domain));
    assert_eq!(r.verdict, smbguard_semantics::Verdict::Allow, "{r:#?}");
    // Not domain-joined: no isolation rule, so no bypass; the file server is carved out instead.
    let w = plan.host("lab-pcs").and_then(HostPolicy::windows).unwrap();
    assert!(w.connection_security.is_empty());
    assert!(w.rules.iter().all(|r| r.action != Action::Bypass));
    // Issue 13: KB3185535 allows outbound SMB "to only DCs and file servers"
    // with no membership condition, so it reaches the DCs (without IPsec)
    // unless the group says `needs-dc-smb = false`.
    let to_dc = Flow::new(
        "198.18.40.7".parse().unwrap(),
        "198.18.0.10".parse().unwrap(),
        smbguard_model::Transport::SMB,
    );
    assert_eq!(
        check_flow(&plan, &to_dc, Profiles::both(Profile::Domain)).verdict,
        smbguard_semantics::Verdict::Allow
    );
    let opted_out = text.replace(
        "domain-joined = false\n",
        "domain-joined = false\nneeds-dc-smb = false\n",
    );
    let plan = compile(&parse_estate(&opted_out).unwrap().estate).unwrap();
    assert_eq!(
        check_flow(&plan, &to_dc, Profiles::both(Profile::Domain)).verdict,
        smbguard_semantics::Verdict::Block
    );
}
