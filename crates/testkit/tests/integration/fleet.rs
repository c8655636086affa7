//! The synthetic fleet: deterministic, bundles as the collector writes
//! them (schema first, about 150 firewall rules), hosts inside their
//! group's addresses. That each drift yields its finding is tested where
//! the audit is (`crates/audit/tests/integration/audit_fleet.rs`).

use smbguard_testkit::fleet::{Fleet, Params};

fn params() -> Params {
    Params {
        hosts: 120,
        ..Params::benchmark()
    }
}

#[test]
fn the_same_params_give_the_same_fleet() {
    let (a, b) = (Fleet::new(&params()), Fleet::new(&params()));
    assert_eq!(a.toml, b.toml);
    for i in [0, 1, 57, 119] {
        assert_eq!(a.bundle(i), b.bundle(i));
        assert_eq!(a.host(i), b.host(i));
    }
    let other = Fleet::new(&Params {
        seed: 15,
        ..params()
    });
    assert_ne!(a.bundle(0), other.bundle(0));
}

#[test]
fn bundles_look_like_the_collectors_and_hosts_sit_in_their_group() {
    let fleet = Fleet::new(&params());
    let windows = fleet
        .plan
        .hosts
        .iter()
        .filter(|h| h.windows().is_some())
        .count();
    assert_eq!(windows, 50);
    let mut drifted = 0;
    for i in 0..fleet.params.hosts {
        let text = fleet.bundle(i);
        assert!(
            text.starts_with(r#"{"schema":"smbguard-evidence/1","#),
            "{i}"
        );
        assert!(!text.contains('\n'));
        let b: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let rules: usize = ["gpo", "mdm", "local"]
            .iter()
            .map(|s| {
                let values = b["firewall"][s].as_array().expect("store");
                values
                    .iter()
                    .filter(|v| v["key"] == "FirewallRules")
                    .count()
            })
            .sum();
        assert!((130..=175).contains(&rules), "host {i}: {rules} rules");
        let host = fleet.host(i);
        let group = fleet
            .plan
            .hosts
            .iter()
            .find(|h| h.group == host.group)
            .expect("group");
        for a in b["host"]["addresses"].as_array().expect("addresses") {
            let ip = a.as_str().expect("text").parse().expect("an address");
            assert!(
                group.addresses.contains(ip),
                "{i}: {ip} not in {}",
                host.group
            );
        }
        drifted += usize::from(host.drift.is_some());
    }
    assert!((1..=20).contains(&drifted), "{drifted}");
}
