//! Issue 14, lab acceptance: on the lab's topology, after `apply`, the live
//! nftables of every host audits clean; after a manual `nft` change on one
//! host, the audit names that host and the rule, every other host stays
//! clean, and the lab's own probes see the change too.
//!
//! Needs root and the lab's tools; skips loudly otherwise (see `lab.rs`).
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::io::Write as _;
use std::process::{Command, Stdio};

use smbguard_audit::{AuditFinding, Store};
use smbguard_lab::matrix::{Family, TransportProbes};
use smbguard_lab::topology::LabHost;
use smbguard_lab::{LabOptions, LabRun, LiveAudit, Tools};
use smbguard_model::Transport;
use smbguard_semantics::Verdict;

use crate::lab::{
    ONE_LAB_AT_A_TIME, assert_live_clean, assert_nothing_left, example, findings, ready,
};

/// `nft ARGS` inside namespace `netns` with `stdin`; its standard output.
fn nft(netns: &str, args: &[&str], stdin: Option<&str>) -> String {
    let tools = Tools::find().unwrap();
    let mut child = Command::new(&tools.ip)
        .args(["netns", "exec", netns])
        .arg(&tools.nft)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(pipe);
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "nft {args:?} in {netns}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The handle `nft --echo --handle` printed for the one rule it added.
fn added_rule_handle(echo: &str) -> u64 {
    let rules: Vec<&str> = echo
        .lines()
        .filter(|l| l.starts_with("add rule ") || l.starts_with("insert rule "))
        .collect();
    assert_eq!(rules.len(), 1, "{echo}");
    let (_, handle) = rules[0].rsplit_once("# handle ").expect(echo);
    handle.trim().parse().expect(echo)
}

fn host<'r>(run: &'r LabRun<'_>, name: &str) -> &'r LabHost {
    run.hosts().iter().find(|h| h.name == name).unwrap()
}

/// The hosts whose live ruleset has findings.
fn flagged(live: &[LiveAudit]) -> Vec<&str> {
    live.iter()
        .filter(|a| !a.clean())
        .map(|a| a.host.as_str())
        .collect()
}

fn audit_of<'l>(live: &'l [LiveAudit], host: &str) -> &'l LiveAudit {
    live.iter().find(|a| a.host == host).unwrap()
}

/// The one finding of `code` on `a`, whose decisive rule is `rule`; the
/// differing flow goes to the host's group (the audit judges a ruleset for
/// every address of the group, as on a real host).
fn finding<'a>(a: &'a LiveAudit, code: &str, rule: &str, host: &LabHost) -> &'a AuditFinding {
    let f = a
        .audit
        .findings
        .iter()
        .find(|f| f.code.id() == code)
        .unwrap_or_else(|| panic!("no {code} on {}:\n{}", a.host, findings(&a.audit)));
    let named: Vec<&str> = f.evidence.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(named, [rule], "{}: {}", a.host, f.title);
    assert_eq!(f.evidence.rules[0].store, Store::Linux);
    assert!(!f.evidence.rules[0].declared);
    let trace = f.evidence.trace.as_ref().expect("a differing flow");
    assert_eq!(trace.flow.transport, Transport::SMB, "{}", f.title);
    let to = example().group_of(trace.flow.destination);
    assert_eq!(to, host.group_index, "{}: {}", a.host, f.title);
    assert_eq!(a.group, host.group);
    f
}

/// The tcp/445 IPv4 probe `from -> to`: predicted and observed verdicts.
fn smb_probe(p: &TransportProbes, from: &str, to: &str) -> (Verdict, Verdict) {
    let p = p
        .probes
        .iter()
        .find(|p| {
            p.source == from
                && p.destination == to
                && p.transport == Transport::SMB
                && p.family == Family::Ipv4
        })
        .unwrap_or_else(|| panic!("no probe {from} -> {to}"));
    (p.predicted, p.observed.verdict())
}

/// Every difference the probes saw ends at `host`.
fn differences_only_at(p: &TransportProbes, host: &str) {
    for d in p.probes.iter().chain(&p.ungoverned).filter(|p| p.differs) {
        assert_eq!(d.destination, host, "{d:?}");
    }
}

#[test]
fn live_rulesets_audit_clean_after_apply_and_a_manual_nft_change_is_named() {
    if !ready("live_rulesets_audit_clean_after_apply_and_a_manual_nft_change_is_named") {
        return;
    }
    let _one = ONE_LAB_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let opts = LabOptions::default();
    let estate = example();
    let run = LabRun::start(&estate, &opts).expect("the lab starts");
    let mut names: Vec<String> = run.hosts().iter().map(|h| h.netns.clone()).collect();
    names.push(run.router().netns.clone());

    // (a) Every ruleset went through `apply` (its state folder holds it), and
    // every host's live ruleset, and the router's, audits clean.
    let policed: Vec<&LabHost> = run.hosts().iter().filter(|h| h.group.is_some()).collect();
    for netns in policed
        .iter()
        .map(|h| &h.netns)
        .chain([&run.router().netns])
    {
        let applied = run.state_dir().join(format!("netns-{netns}/applied.nft"));
        let text = std::fs::read_to_string(&applied).expect("apply's state folder");
        assert!(
            text.contains("table inet smbguard {"),
            "{}",
            applied.display()
        );
    }
    let live = run.audit_hosts().expect("audit");
    assert_eq!(live.len(), policed.len() + 1);
    assert_eq!(
        live.iter().filter(|a| a.group.is_none()).count(),
        1,
        "the router"
    );
    assert_live_clean(&live);

    // (b1) Inside smbguard's table: workstations-1 accepts SMB from anyone.
    let ws1 = host(&run, "workstations-1");
    let echo = nft(
        &ws1.netns,
        &[
            "--echo", "--handle", "insert", "rule", "inet", "smbguard", "input", "tcp", "dport",
            "445", "accept",
        ],
        None,
    );
    let handle = added_rule_handle(&echo);
    let live = run.audit_hosts().expect("audit");
    assert_eq!(flagged(&live), ["workstations-1"]);
    let rule = format!("inet smbguard input handle {handle}");
    let f = finding(audit_of(&live, "workstations-1"), "SG-H001", &rule, ws1);
    assert_eq!(
        f.evidence.trace.as_ref().unwrap().actual.verdict,
        Verdict::Allow
    );
    // The lab's own probes agree: the NAS (no outbound filter) now reaches it.
    let probes = run.probe_transports().expect("probes");
    assert_eq!(
        smb_probe(&probes, "nas", "workstations-1"),
        (Verdict::Block, Verdict::Allow)
    );
    differences_only_at(&probes, "workstations-1");

    // Undone, the host audits clean again.
    let handle = handle.to_string();
    let undo = [
        "delete", "rule", "inet", "smbguard", "input", "handle", &handle,
    ];
    nft(&ws1.netns, &undo, None);
    assert_live_clean(&run.audit_hosts().expect("audit"));

    // (b2) A third-party table on the domain controller drops the SMB its
    // clients need, before smbguard's chain runs.
    let dc = host(&run, "domain-controllers");
    let other = "table inet other {\n\tchain input {\n\t\ttype filter hook input priority -10; policy accept;\n\t\ttcp dport 445 drop\n\t}\n}\n";
    let echo = nft(&dc.netns, &["--echo", "--handle", "-f", "-"], Some(other));
    let handle = added_rule_handle(&echo);
    let live = run.audit_hosts().expect("audit");
    assert_eq!(flagged(&live), ["domain-controllers"]);
    let rule = format!("inet other input handle {handle}");
    let f = finding(audit_of(&live, "domain-controllers"), "SG-H012", &rule, dc);
    assert_eq!(
        f.evidence.trace.as_ref().unwrap().actual.verdict,
        Verdict::Block
    );
    assert_eq!(
        f.evidence.trace.as_ref().unwrap().expected.verdict,
        Verdict::Allow
    );
    let probes = run.probe_transports().expect("probes");
    assert_eq!(
        smb_probe(&probes, "workstations-1", "domain-controllers"),
        (Verdict::Allow, Verdict::Block)
    );
    differences_only_at(&probes, "domain-controllers");

    // The finding's fix deletes the foreign rule by handle (re-applying
    // smbguard's table would not touch it); run that line and the host
    // audits clean again.
    let snippet = &f.fix.as_ref().expect("a fix").snippet;
    let delete = snippet.lines().next().expect("a first line");
    assert_eq!(
        delete,
        format!("nft delete rule inet 'other' 'input' handle {handle}")
    );
    let handle = handle.to_string();
    nft(
        &dc.netns,
        &[
            "delete", "rule", "inet", "other", "input", "handle", &handle,
        ],
        None,
    );
    let live = run.audit_hosts().expect("audit");
    assert!(flagged(&live).is_empty(), "{:?}", flagged(&live));

    drop(run);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_nothing_left(&names);
}
