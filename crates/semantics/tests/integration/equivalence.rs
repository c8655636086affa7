//! Translation validation machinery: equal policies agree on every class,
//! and a one-rule change is found with a counterexample.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use smbguard_model::{AddrSet, EXAMPLE_ESTATE, parse_estate};
use smbguard_semantics::{
    Action, HostPolicy, HostRules, Plan, Verdict, WindowsPolicy, compare_acl, compare_windows,
    compile,
};

fn plan() -> Plan {
    compile(&parse_estate(EXAMPLE_ESTATE).unwrap().estate).unwrap()
}

/// The Windows policy of the example's `workstations`.
fn workstations(plan: &Plan) -> &WindowsPolicy {
    plan.host("workstations")
        .and_then(HostPolicy::windows)
        .unwrap()
}

#[test]
fn every_policy_agrees_with_itself_and_with_reordered_rules() {
    let plan = plan();
    for h in &plan.hosts {
        match &h.rules {
            HostRules::Windows(w) => {
                let mut reordered = w.clone();
                reordered.rules.reverse();
                let agreement = compare_windows(w, &reordered).unwrap();
                assert!(
                    agreement.classes > 100,
                    "{}: {} classes",
                    h.group,
                    agreement.classes
                );
            }
            HostRules::Linux(l) => {
                compare_acl(&l.input, &l.input).unwrap();
            }
        }
    }
    compare_acl(&plan.perimeter, &plan.perimeter).unwrap();
}

#[test]
fn a_dropped_block_rule_is_found() {
    let plan = plan();
    let w = workstations(&plan);
    let mut broken = w.clone();
    broken
        .rules
        .retain(|r| r.name != "Block all inbound SMB 445");
    // The built-in rules are disabled, so the profile default still blocks
    // inbound 445 ... except from management hosts, whose bypass remains.
    // Re-enable a built-in to make the difference observable.
    broken
        .disabled_builtins
        .retain(|id| *id != "FPS-SMB-In-TCP-NoScope");
    let diff = compare_windows(w, &broken).unwrap_err();
    assert_eq!(diff.expected.verdict, Verdict::Block);
    assert_eq!(diff.actual.verdict, Verdict::Allow);
    assert_eq!(diff.flow.transport.port, 445);
}

#[test]
fn an_ipv4_only_complement_is_found_on_ipv6() {
    let mut estate = parse_estate(EXAMPLE_ESTATE).unwrap().estate;
    estate.strategy = smbguard_model::Strategy::Complement;
    let plan = compile(&estate).unwrap();
    let w = workstations(&plan);
    let mut v4_only = w.clone();
    for r in &mut v4_only.rules {
        if r.action == Action::Block && r.name == "Block outbound Domain/Private SMB 445" {
            r.remote_addresses = AddrSet {
                v6: Default::default(),
                ..r.remote_addresses.clone()
            };
        }
    }
    let diff = compare_windows(w, &v4_only).unwrap_err();
    assert!(diff.flow.destination.is_ipv6(), "{diff:#?}");
}

#[test]
fn perimeter_order_matters_and_is_checked() {
    let plan = plan();
    let mut swapped = plan.perimeter.clone();
    // Moving the cloud exception below the blocks shadows it.
    let first = swapped.entries.remove(0);
    swapped.entries.push(first);
    let diff = compare_acl(&plan.perimeter, &swapped).unwrap_err();
    assert_eq!(diff.expected.verdict, Verdict::Allow);
    assert!(
        diff.flow.destination.to_string().starts_with("203.0.113."),
        "{diff:#?}"
    );
}
