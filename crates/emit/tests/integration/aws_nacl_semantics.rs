//! The AWS network ACL entries, read back, mean what the plan's perimeter
//! means on every equivalence class (the compact "holes first" encoding of
//! complements included), and fit AWS's quota on the example estate.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use smbguard_emit::EmitContext;
use smbguard_emit::{DEFAULT_RULE_QUOTA, perimeter_entries};
use smbguard_model::{
    AddrSet, EXAMPLE_ESTATE, PortSet, Proto, Strategy, parse_addr_spec, parse_estate,
};
use smbguard_semantics::{Acl, AclAction, AclEntry, KbRow, compare_acl, compile};

fn read_back(json: &str, internal: &AddrSet) -> (Acl, usize, usize) {
    let doc: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut entries: Vec<&serde_json::Value> = doc["Entries"].as_array().unwrap().iter().collect();
    entries.sort_by_key(|e| {
        (
            e["Egress"].as_bool().unwrap(),
            e["RuleNumber"].as_u64().unwrap(),
        )
    });
    let (mut ingress, mut egress) = (0, 0);
    let acl_entries = entries
        .iter()
        .map(|e| {
            let net = e
                .get("CidrBlock")
                .or_else(|| e.get("Ipv6CidrBlock"))
                .unwrap()
                .as_str()
                .unwrap();
            let outside = parse_addr_spec(net).unwrap();
            let egress_entry = e["Egress"].as_bool().unwrap();
            if egress_entry {
                egress += 1
            } else {
                ingress += 1
            }
            let (source, destination) = if egress_entry {
                (internal.clone(), outside)
            } else {
                (outside, internal.clone())
            };
            let ports = &e["PortRange"];
            AclEntry {
                name: e["Comment"].as_str().unwrap_or_default().into(),
                action: if e["RuleAction"] == "allow" {
                    AclAction::Permit
                } else {
                    AclAction::Deny
                },
                protocol: match e["Protocol"].as_str().unwrap() {
                    "6" => Some(Proto::Tcp),
                    "17" => Some(Proto::Udp),
                    _ => None,
                },
                source,
                destination,
                destination_ports: if ports.is_null() {
                    PortSet::full()
                } else {
                    PortSet::range(
                        ports["From"].as_u64().unwrap() as u16,
                        ports["To"].as_u64().unwrap() as u16,
                    )
                },
                kb: KbRow::K1,
            }
        })
        .collect();
    (
        Acl {
            name: "nacl".into(),
            entries: acl_entries,
            default: AclAction::Permit,
        },
        ingress,
        egress,
    )
}

#[test]
fn nacl_entries_match_the_perimeter_and_fit_the_quota() {
    for strategy in [Strategy::IpsecBypass, Strategy::Complement] {
        let mut estate = parse_estate(EXAMPLE_ESTATE).unwrap().estate;
        estate.strategy = strategy;
        let plan = compile(&estate).unwrap();
        let cx = EmitContext {
            estate: &estate,
            plan: &plan,
            version: "test",
            unsafe_reason: None,
        };
        let json = perimeter_entries(&cx).unwrap();
        let (acl, ingress, egress) = read_back(&json, &plan.internal);
        compare_acl(&plan.perimeter, &acl).unwrap();
        assert!(
            ingress <= DEFAULT_RULE_QUOTA && egress <= DEFAULT_RULE_QUOTA,
            "{ingress} in, {egress} out:\n{json}"
        );
    }
}
