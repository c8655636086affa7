//! The deploy library with rulesets the emitter would never write: a broken
//! file is refused by `nft -c` and one that reaches beyond smbguard's table
//! is refused before nft sees it; in both cases nothing changes.
//!
//! Needs root and nftables/iproute2 (else `SKIPPED (needs root)` on stderr;
//! a missing tool fails under `SMBGUARD_REQUIRE_TOOLS=1`).
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use smbguard_deploy::{self as apply, ApplyRequest, DeployError as ApplyError, Nft, only_smbguard};

const DECOY: &str = "table inet other {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 9999 drop\n\t}\n}\n";
const MARKER: &str = "table inet smbguard {\n\tchain marker {\n\t}\n}\n";

fn ready(_test: &str) -> bool {
    smbguard_testkit::require_root() && smbguard_testkit::require_tools(&["nft", "ip"])
}

/// The testkit's namespace (deleted on drop) and a state directory.
struct Netns(
    String,
    std::path::PathBuf,
    // Held for its Drop: deletes the namespace.
    #[allow(dead_code)] smbguard_testkit::Netns,
);

impl Netns {
    fn new(tag: &str) -> Netns {
        let ns = smbguard_testkit::Netns::new();
        let state = std::env::temp_dir().join(format!("smbguard-apply-lib-{}{tag}", ns.name()));
        std::fs::create_dir_all(&state).unwrap();
        Netns(ns.name().to_owned(), state, ns)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn snapshot(nft: &Nft) -> (Vec<String>, Option<String>, Option<String>) {
    (
        nft.tables().unwrap(),
        nft.list_table("inet smbguard").unwrap(),
        nft.list_table("inet other").unwrap(),
    )
}

#[test]
fn broken_and_foreign_rulesets_change_nothing() {
    if !ready("broken_and_foreign_rulesets_change_nothing") {
        return;
    }
    let ns = Netns::new("b");
    let nft = Nft::new(Some(&ns.0)).unwrap();
    nft.load(DECOY).unwrap();
    nft.load(MARKER).unwrap();
    let before = snapshot(&nft);
    assert_eq!(
        before.0,
        vec!["inet other".to_string(), "inet smbguard".to_string()]
    );

    let broken = "table inet smbguard {}\ndelete table inet smbguard\ntable inet smbguard {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 445 frobnicate\n\t}\n}\n";
    let req = ApplyRequest {
        ruleset: broken,
        state_dir: &ns.1,
        netns: Some(&ns.0),
        confirm: None,
    };
    match apply::apply(&req) {
        Err(ApplyError::Invalid(msg)) => assert!(
            msg.contains("frobnicate") || msg.contains("syntax"),
            "{msg}"
        ),
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(snapshot(&nft), before);
    assert!(
        std::fs::read_dir(&ns.1)
            .unwrap()
            .flatten()
            .all(|d| std::fs::read_dir(d.path())
                .map(|r| r.flatten().all(|f| f.file_name() == "lock"))
                .unwrap_or(true)),
        "nothing saved for a refused apply (only the state folder's lock)"
    );

    for foreign in [
        "flush ruleset\n",
        "table inet other {}\ndelete table inet other\n",
        "table inet smbguard {}\ntable ip filter {\n\tchain c {\n\t}\n}\n",
        "include \"/etc/nftables.conf\"\n",
    ] {
        let req = ApplyRequest {
            ruleset: foreign,
            state_dir: &ns.1,
            netns: Some(&ns.0),
            confirm: None,
        };
        assert!(
            matches!(apply::apply(&req), Err(ApplyError::Foreign(_))),
            "{foreign}"
        );
        assert_eq!(snapshot(&nft), before, "{foreign}");
    }
}

#[test]
fn the_scope_check_accepts_what_the_emitter_writes() {
    let ok = "# comment with table inet other { and \"quotes\"\ntable inet smbguard {}\ndelete table inet smbguard\ntable inet smbguard {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 445 drop comment \"Block { all } inbound; SMB\"\n\t}\n}\n";
    assert!(only_smbguard(ok).is_ok());
    assert!(only_smbguard(&apply::replace_transaction(None)).is_ok());
    assert!(only_smbguard("table inet smbguard {}; flush ruleset").is_err());
    assert!(only_smbguard("delete table inet other").is_err());
    assert!(only_smbguard("table ip smbguard {}").is_err());
}

#[test]
fn every_emitted_ruleset_stays_inside_smbguards_table() {
    use smbguard_emit::EmitContext;
    use smbguard_emit::nftables::{host_ruleset, perimeter_ruleset};
    use smbguard_model::{EXAMPLE_ESTATE, Profile, Strategy, parse_estate};

    for strategy in [Strategy::IpsecBypass, Strategy::Complement] {
        let mut estate = parse_estate(EXAMPLE_ESTATE).unwrap().estate;
        estate.strategy = strategy;
        let plan = smbguard_semantics::compile(&estate).unwrap();
        let cx = EmitContext {
            estate: &estate,
            plan: &plan,
            version: "test",
            unsafe_reason: None,
        };
        only_smbguard(&perimeter_ruleset(&cx)).unwrap();
        for g in 0..plan.hosts.len() {
            for p in Profile::ALL {
                let text = host_ruleset(&cx, g, p).unwrap();
                only_smbguard(&text).unwrap_or_else(|e| panic!("group {g} {p}: {e}"));
            }
        }
    }
}
