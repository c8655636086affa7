//! The lab's hosts, derived from the estate without touching the network.

use std::net::IpAddr;

use smbguard_lab::topology::{TopologyOptions, derive};
use smbguard_model::{EXAMPLE_ESTATE, Profile, parse_estate};

/// Issue 13 point 6: every group is probed at the edges of its ranges (first
/// and last usable address) in every family it has, not only at its first
/// address.
#[test]
fn point_6_groups_are_probed_at_both_range_edges_in_every_family() {
    let estate = parse_estate(EXAMPLE_ESTATE).expect("example").estate;
    let opts = TopologyOptions {
        prefix: "sgt".into(),
        workstation_profile: Profile::Domain,
        smb1: false,
    };
    let topology = derive(&estate, &opts).expect("topology");
    let of = |group: &str| -> Vec<IpAddr> {
        topology
            .hosts
            .iter()
            .filter(|h| h.group.as_deref() == Some(group))
            .flat_map(|h| [h.v4.map(IpAddr::V4), h.v6.map(IpAddr::V6)])
            .flatten()
            .collect()
    };
    let ip = |s: &str| s.parse::<IpAddr>().expect("address");
    // members = 198.18.2.0/24: first and last usable.
    assert_eq!(of("members"), [ip("198.18.2.1"), ip("198.18.2.254")]);
    // workstations = 198.18.16.0/20 and 2001:db8:1:10::/64: both ends, both families.
    let ws = of("workstations");
    for want in [
        "198.18.16.1",
        "198.18.31.254",
        "2001:db8:1:10::1",
        "2001:db8:1:10:ffff:ffff:ffff:fffe",
    ] {
        assert!(ws.contains(&ip(want)), "{want} not probed: {ws:?}");
    }
    // A single address stays one host.
    assert_eq!(of("file-server"), [ip("198.18.1.20")]);
}
