//! Translation validation of the nftables and iptables targets: every file
//! is checked by the real tools, loaded into a throwaway network namespace,
//! read back from the kernel (`nft -j`, `iptables-save`) with smbguard's own
//! readers, and proved equivalent to the plan over every equivalence class:
//! `compare_acl` against the plan's ACL for Linux groups and the perimeter,
//! and against the Windows evaluator (no IPsec, chosen profile) for the
//! first-match stand-ins of Windows groups.

use crate::nonwin_support::{Netns, Scratch, cx, estate_toml, example, from_toml, tools_or_skip};
use crate::windows_support::host_index;
use proptest::prelude::*;
use smbguard_audit::linux::{
    IpFamily, LinuxRead, NftTable, merge_families, read_iptables_save, read_nft_json,
};
use smbguard_emit::EmitContext;
use smbguard_emit::Target;
use smbguard_emit::compare_windows_first_match;
use smbguard_emit::{HostAcls, host_acls, iptables, nftables};
use smbguard_model::{Profile, Strategy as OutboundStrategy};
use smbguard_semantics::{Acl, HostRules, compare_acl};

const NFT: &[&str] = &["nft", "ip"];
const IPT: &[&str] = &[
    "iptables-restore",
    "ip6tables-restore",
    "iptables-save",
    "ip6tables-save",
    "ip",
];

/// Checks a read-back pair of chains against group `i` of the plan.
fn check_host(
    cx: &EmitContext<'_>,
    i: usize,
    profile: Profile,
    input: &Acl,
    output: &Acl,
    what: &str,
) -> usize {
    let h = &cx.plan.hosts[i];
    let r = match &h.rules {
        HostRules::Linux(l) => compare_acl(&l.input, input)
            .and_then(|a| compare_acl(&l.output, output).map(|b| a.classes + b.classes)),
        HostRules::Windows(w) => {
            compare_windows_first_match(w, profile, &cx.plan.transports, input, output)
                .map(|a| a.classes)
        }
    };
    match r {
        Ok(n) => n,
        Err(d) => panic!(
            "{what}: group `{}` ({profile}) differs from the plan:\n{d:#?}",
            h.group
        ),
    }
}

/// Loads an nftables file into `ns` and reads table inet smbguard back.
fn nft_round_trip(ns: &Netns, text: &str, what: &str) -> LinuxRead {
    let f = Scratch::with(text, "nft");
    ns.ok(&["nft", "-c", "-f", f.path()], what);
    ns.ok(&["nft", "-f", f.path()], what);
    let json = ns.ok(&["nft", "-j", "list", "table", "inet", "smbguard"], what);
    let read = read_nft_json(&json, Some(&NftTable::smbguard()));
    assert!(
        read.findings.is_empty(),
        "{what}: reader findings {:#?}",
        read.findings
    );
    read
}

/// Every nftables file of the plan, read back through the kernel.
fn nft_validate(cx: &EmitContext<'_>, ns: &Netns, profiles: &[Profile]) -> usize {
    let mut classes = 0;
    for (i, h) in cx.plan.hosts.iter().enumerate() {
        for &profile in profiles {
            let text = nftables::host_ruleset(cx, i, profile).expect("emit");
            let read = nft_round_trip(ns, &text, &format!("{} ({profile})", h.group));
            let input = read.hook("input").expect("input chain");
            let output = read.hook("output").expect("output chain");
            classes += check_host(cx, i, profile, &input, &output, "nftables");
            if h.windows().is_none() {
                break; // Linux groups have no profiles
            }
        }
    }
    let read = nft_round_trip(ns, &nftables::perimeter_ruleset(cx), "perimeter");
    let fwd = read.hook("forward").expect("forward chain");
    classes += compare_acl(&cx.plan.perimeter, &fwd)
        .unwrap_or_else(|d| panic!("nftables perimeter differs from the plan:\n{d:#?}"))
        .classes;
    classes
}

#[test]
fn nftables_example_reads_back_as_the_plan_through_the_kernel() {
    if !tools_or_skip(
        "nftables_example_reads_back_as_the_plan_through_the_kernel",
        NFT,
        true,
    ) {
        return;
    }
    let ns = Netns::new();
    for strategy in [OutboundStrategy::IpsecBypass, OutboundStrategy::Complement] {
        let (estate, plan) = example(strategy);
        let classes = nft_validate(&cx(&estate, &plan), &ns, &Profile::ALL);
        assert!(classes > 1000, "{strategy:?}: only {classes} classes");
    }
}

/// Reads an IPv4 and an IPv6 file's chain and merges the two families.
fn ipt_chain(v4: &str, v6: &str, chain: &str, what: &str) -> Acl {
    let r4 = read_iptables_save(v4, IpFamily::V4);
    let r6 = read_iptables_save(v6, IpFamily::V6);
    assert!(
        r4.findings.is_empty() && r6.findings.is_empty(),
        "{what}: {:#?} {:#?}",
        r4.findings,
        r6.findings
    );
    let a = r4
        .chain(chain)
        .unwrap_or_else(|| panic!("{what}: no {chain} in IPv4"));
    let b = r6
        .chain(chain)
        .unwrap_or_else(|| panic!("{what}: no {chain} in IPv6"));
    merge_families(a, b)
}

/// Every iptables file of the plan, read back from its own text, and (with
/// `ns`) through the kernel: restored with `--noflush` and saved again.
fn ipt_validate(cx: &EmitContext<'_>, ns: Option<&Netns>, profiles: &[Profile]) -> usize {
    let kernel = |v4: &str, v6: &str, what: &str| -> Option<(String, String)> {
        let ns = ns?;
        let (f4, f6) = (Scratch::with(v4, "v4"), Scratch::with(v6, "v6"));
        ns.ok(&["iptables-restore", "--test", f4.path()], what);
        ns.ok(&["ip6tables-restore", "--test", f6.path()], what);
        ns.ok(&["iptables-restore", "--noflush", f4.path()], what);
        ns.ok(&["ip6tables-restore", "--noflush", f6.path()], what);
        Some((
            ns.ok(&["iptables-save", "-t", "filter"], what),
            ns.ok(&["ip6tables-save", "-t", "filter"], what),
        ))
    };
    let mut classes = 0;
    for (i, h) in cx.plan.hosts.iter().enumerate() {
        for &profile in profiles {
            let (v4, v6) = iptables::host_rules(cx, i, profile).expect("emit");
            let what = format!("{} ({profile})", h.group);
            let mut sources = vec![(v4.clone(), v6.clone(), "text")];
            if let Some((k4, k6)) = kernel(&v4, &v6, &what) {
                sources.push((k4, k6, "kernel"));
            }
            for (a, b, how) in &sources {
                let input = ipt_chain(a, b, iptables::CHAIN_IN, &what);
                let output = ipt_chain(a, b, iptables::CHAIN_OUT, &what);
                classes += check_host(
                    cx,
                    i,
                    profile,
                    &input,
                    &output,
                    &format!("iptables ({how})"),
                );
            }
            if h.windows().is_none() {
                break;
            }
        }
    }
    let (v4, v6) = iptables::perimeter_rules(cx);
    let mut sources = vec![(v4.clone(), v6.clone(), "text")];
    if let Some((k4, k6)) = kernel(&v4, &v6, "perimeter") {
        sources.push((k4, k6, "kernel"));
    }
    for (a, b, how) in &sources {
        let fwd = ipt_chain(a, b, iptables::CHAIN_FWD, "perimeter");
        classes += compare_acl(&cx.plan.perimeter, &fwd)
            .unwrap_or_else(|d| panic!("iptables ({how}) perimeter differs from the plan:\n{d:#?}"))
            .classes;
    }
    classes
}

#[test]
fn iptables_example_reads_back_as_the_plan() {
    for strategy in [OutboundStrategy::IpsecBypass, OutboundStrategy::Complement] {
        let (estate, plan) = example(strategy);
        let classes = ipt_validate(&cx(&estate, &plan), None, &Profile::ALL);
        assert!(classes > 1000);
    }
}

#[test]
fn iptables_example_passes_restore_test_and_reads_back_through_the_kernel() {
    if !tools_or_skip(
        "iptables_example_passes_restore_test_and_reads_back_through_the_kernel",
        IPT,
        true,
    ) {
        return;
    }
    let ns = Netns::new();
    for strategy in [OutboundStrategy::IpsecBypass, OutboundStrategy::Complement] {
        let (estate, plan) = example(strategy);
        ipt_validate(&cx(&estate, &plan), Some(&ns), &Profile::ALL);
    }
}

/// The Windows → first-match lowering itself, without any syntax: for every
/// Windows group, profile and strategy, the ACLs decide as the Windows
/// evaluator does with no IPsec.
fn first_match_validate(cx: &EmitContext<'_>) {
    for (i, h) in cx.plan.hosts.iter().enumerate() {
        let Some(w) = h.windows() else { continue };
        for profile in Profile::ALL {
            let HostAcls { input, output, .. } =
                host_acls(cx, Target::Nftables, i, profile).expect("lower");
            if let Err(d) =
                compare_windows_first_match(w, profile, &cx.plan.transports, &input, &output)
            {
                panic!("group `{}` ({profile}):\n{d:#?}", h.group);
            }
        }
    }
}

#[test]
fn first_match_encoding_of_windows_groups_matches_the_windows_evaluator() {
    for strategy in [OutboundStrategy::IpsecBypass, OutboundStrategy::Complement] {
        let (estate, plan) = example(strategy);
        first_match_validate(&cx(&estate, &plan));
    }
}

#[test]
fn first_match_encoding_is_not_vacuous() {
    // A policy that differs must be caught: drop the first entry of a
    // Windows group's input chain and expect a difference.
    let (estate, plan) = example(OutboundStrategy::Complement);
    let cx = cx(&estate, &plan);
    let i = host_index(&plan, "workstations");
    let w = plan.hosts[i].windows().expect("windows");
    let mut acls = host_acls(&cx, Target::Nftables, i, Profile::Domain).expect("lower");
    let pos = acls
        .output
        .entries
        .iter()
        .position(|e| e.action == smbguard_semantics::AclAction::Deny)
        .expect("a deny");
    acls.output.entries.remove(pos);
    assert!(
        compare_windows_first_match(
            w,
            Profile::Domain,
            &plan.transports,
            &acls.input,
            &acls.output
        )
        .is_err()
    );
}

#[test]
fn bypass_rules_are_reported_not_encoded() {
    let (estate, plan) = example(OutboundStrategy::IpsecBypass);
    let cx = cx(&estate, &plan);
    let i = host_index(&plan, "workstations");
    let text = nftables::host_ruleset(&cx, i, Profile::Domain).expect("emit");
    assert!(
        text.contains("# NOTE: outbound bypass rule \"Allow outbound Domain/Private SMB 445\""),
        "{text}"
    );
    assert!(text.contains("# Profile: Domain."), "{text}");
    let public = nftables::host_ruleset(&cx, i, Profile::Public).expect("emit");
    assert!(public.contains("# Profile: Public."));
    assert_ne!(text, public);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random estates: the lowering and the iptables text round trip.
    #[test]
    fn random_estates_round_trip_without_tools(toml in estate_toml()) {
        let compiled = from_toml(&toml);
        prop_assume!(compiled.is_some());
        let (estate, plan) = compiled.expect("checked");
        let cx = cx(&estate, &plan);
        first_match_validate(&cx);
        ipt_validate(&cx, None, &Profile::ALL);
    }
}

/// Random estates through the kernel (few cases: each loads every file).
#[test]
fn random_estates_round_trip_through_the_kernel() {
    let test = "random_estates_round_trip_through_the_kernel";
    let tools = [
        "nft",
        "ip",
        "iptables-restore",
        "ip6tables-restore",
        "iptables-save",
        "ip6tables-save",
    ];
    if !tools_or_skip(test, &tools, true) {
        return;
    }
    let config = ProptestConfig {
        cases: 6,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let result = runner.run(&estate_toml(), |toml| {
        let compiled = from_toml(&toml);
        prop_assume!(compiled.is_some());
        let (estate, plan) = compiled.expect("checked");
        let cx = cx(&estate, &plan);
        let ns = Netns::new();
        nft_validate(&cx, &ns, &[Profile::Domain, Profile::Public]);
        ipt_validate(&cx, Some(&ns), &[Profile::Private]);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{test}: {e}");
    }
}
