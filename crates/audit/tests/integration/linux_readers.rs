//! The nftables JSON and iptables-save readers: hand-written rulesets with
//! known meaning (read as the kernel prints them, inside a throwaway network
//! namespace, and from text), conservative handling of what they cannot
//! model, and no panic on any input.

use proptest::prelude::*;
use smbguard_audit::linux::{IpFamily, NftTable, read_iptables_save, read_nft_json};
use smbguard_audit::{FindingCode, GroupChoice, audit_nft_json};
use smbguard_model::{AddrSet, PortSet, Proto, parse_addr_spec};
use smbguard_semantics::{Acl, AclAction, AclEntry, KbRow, compare_acl};
use smbguard_testkit::{Netns, ScratchFile};

fn set(s: &str) -> AddrSet {
    s.split(',')
        .map(|p| parse_addr_spec(p).expect("address"))
        .fold(AddrSet::empty(), |a, b| a.union(&b))
}

fn v6_all() -> AddrSet {
    set("::/0")
}

fn entry(
    action: AclAction,
    proto: Option<Proto>,
    src: AddrSet,
    dst: AddrSet,
    ports: PortSet,
) -> AclEntry {
    AclEntry {
        name: String::new(),
        action,
        protocol: proto,
        source: src,
        destination: dst,
        destination_ports: ports,
        kb: KbRow::K10,
    }
}

fn acl(entries: Vec<AclEntry>, default: AclAction) -> Acl {
    Acl {
        name: "expected".into(),
        entries,
        default,
    }
}

fn same(expected: &Acl, actual: &Acl, what: &str) {
    if let Err(d) = compare_acl(expected, actual) {
        panic!("{what}: {d:#?}\nread: {actual:#?}");
    }
}

// ---------------------------------------------------------------- tools

/// Every tool and root, or the testkit's loud SKIPPED.
fn tools_or_skip(_test: &str, tools: &[&str]) -> bool {
    smbguard_testkit::require_tools(tools) && smbguard_testkit::require_root()
}

// ---------------------------------------------------------------- nftables

const NFT_MODELLED: &str = r#"
table inet t {
	set trusted {
		type ipv4_addr
		flags interval
		elements = { 198.18.16.0/20, 198.18.1.1 }
	}
	chain sub {
		ip saddr @trusted accept
		ip6 saddr 2001:db8:1:10::/64 accept
		counter drop
	}
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		ct state invalid drop
		tcp dport 445 jump sub
		udp dport 137-138 ip6 saddr != 2001:db8::/32 drop
		meta nfproto ipv4 meta l4proto udp th dport { 137, 139 } accept
		tcp dport != 445 ip daddr 198.18.0.0/15 accept
		icmp type echo-request accept
		tcp dport < 100 accept
	}
}
"#;

fn nft_modelled_expected() -> Acl {
    use AclAction::{Deny, Permit};
    acl(
        vec![
            entry(
                Permit,
                Some(Proto::Tcp),
                set("198.18.16.0/20,198.18.1.1"),
                AddrSet::any(),
                PortSet::single(445),
            ),
            entry(
                Permit,
                Some(Proto::Tcp),
                set("2001:db8:1:10::/64"),
                AddrSet::any(),
                PortSet::single(445),
            ),
            entry(
                Deny,
                Some(Proto::Tcp),
                AddrSet::any(),
                AddrSet::any(),
                PortSet::single(445),
            ),
            entry(
                Deny,
                Some(Proto::Udp),
                v6_all().difference(&set("2001:db8::/32")),
                AddrSet::any(),
                PortSet::range(137, 138),
            ),
            entry(
                Permit,
                Some(Proto::Udp),
                AddrSet::any_v4(),
                AddrSet::any(),
                PortSet::from_intervals([(137, 137), (139, 139)]),
            ),
            entry(
                Permit,
                Some(Proto::Tcp),
                AddrSet::any(),
                set("198.18.0.0/15"),
                PortSet::single(445).complement(),
            ),
            entry(
                Permit,
                Some(Proto::Tcp),
                AddrSet::any(),
                AddrSet::any(),
                PortSet::range(0, 99),
            ),
        ],
        Deny,
    )
}

const NFT_CONSERVATIVE: &str = r#"
table inet t {
	chain g {
		ip saddr 203.0.113.0/24 drop
	}
	chain input {
		type filter hook input priority filter; policy accept;
		iifname "eth0" tcp dport 139 drop
		udp sport 53 udp dport 138 accept
		tcp dport 445 goto g
		tcp dport 139 ip saddr 198.18.0.0/15 return
		tcp dport 139 drop
	}
}
"#;

fn nft_conservative_expected() -> Acl {
    use AclAction::{Deny, Permit};
    let t = Some(Proto::Tcp);
    acl(
        vec![
            // Unknown condition on an accept: kept, as if it always matched.
            entry(
                Permit,
                Some(Proto::Udp),
                AddrSet::any(),
                AddrSet::any(),
                PortSet::single(138),
            ),
            entry(
                Deny,
                t,
                set("203.0.113.0/24"),
                AddrSet::any(),
                PortSet::single(445),
            ),
            // Flows leaving the goto target: the base chain's policy.
            entry(
                Permit,
                t,
                AddrSet::any(),
                AddrSet::any(),
                PortSet::single(445),
            ),
            // Return in a base chain: the policy.
            entry(
                Permit,
                t,
                set("198.18.0.0/15"),
                AddrSet::any(),
                PortSet::single(139),
            ),
            entry(
                Deny,
                t,
                AddrSet::any(),
                AddrSet::any(),
                PortSet::single(139),
            ),
        ],
        Permit,
    )
}

fn kernel_json(ruleset: &str) -> Option<String> {
    let ns = Netns::new();
    let f = ScratchFile::with(ruleset, "nft");
    ns.ok(&["nft", "-f", f.path()], "load");
    Some(ns.ok(&["nft", "-j", "list", "ruleset"], "list"))
}

#[test]
fn nft_json_from_the_kernel_means_what_the_ruleset_says() {
    if !tools_or_skip(
        "nft_json_from_the_kernel_means_what_the_ruleset_says",
        &["nft", "ip"],
    ) {
        return;
    }
    let table = NftTable {
        family: "inet".into(),
        name: "t".into(),
    };
    let json = kernel_json(NFT_MODELLED).expect("kernel");
    let read = read_nft_json(&json, Some(&table));
    assert!(read.findings.is_empty(), "{:#?}", read.findings);
    same(
        &nft_modelled_expected(),
        &read.hook("input").expect("input"),
        "modelled",
    );
    // The regular chain read on its own: falling off its end is "not decided here".
    let sub = read.chain("sub").expect("sub");
    assert_eq!(sub.default, AclAction::Permit);

    let json = kernel_json(NFT_CONSERVATIVE).expect("kernel");
    let read = read_nft_json(&json, Some(&table));
    same(
        &nft_conservative_expected(),
        &read.hook("input").expect("input"),
        "conservative",
    );
    let msgs: Vec<&str> = read.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(msgs.iter().any(|m| m.contains("meta iifname")), "{msgs:#?}");
    assert!(msgs.iter().any(|m| m.contains("udp sport")), "{msgs:#?}");
}

#[test]
fn nft_reader_selects_tables() {
    if !tools_or_skip("nft_reader_selects_tables", &["nft", "ip"]) {
        return;
    }
    let json = kernel_json(&format!("{NFT_MODELLED}\ntable ip other {{\n\tchain c {{\n\t\ttype filter hook input priority 0; policy drop;\n\t}}\n}}\n")).expect("kernel");
    let all = read_nft_json(&json, None);
    assert_eq!(all.chains.iter().filter(|c| c.hook.is_some()).count(), 2);
    let only = read_nft_json(&json, Some(&NftTable::smbguard()));
    assert!(only.chains.is_empty());
    // An `ip` table's chain sees IPv4 only; its ACL default is its policy.
    let other = all
        .chains
        .iter()
        .find(|c| c.table == "other")
        .expect("other");
    assert_eq!(other.acl.default, AclAction::Deny);
}

/// smbguard's table, a third-party `inet` table that sorts before it and
/// runs first, and an `ip6` table that runs last with policy drop.
const NFT_THREE_TABLES: &str = r#"
table inet smbguard {
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr 198.18.0.0/15 tcp dport 445 accept comment "smbguard: clients [K5]"
		tcp dport 445 drop comment "smbguard: the rest [K4]"
	}
}
table inet aaa {
	chain input {
		type filter hook input priority -10; policy accept;
		ip saddr 198.18.0.5 tcp dport 445 drop
	}
}
table ip6 zz {
	chain input {
		type filter hook input priority 10; policy drop;
		tcp dport 445 accept
	}
}
"#;

/// Every base chain on a hook decides together: an accept goes on to the
/// next base chain, the first drop (by priority) decides, and an `ip6`
/// table judges IPv6 only. The old reader took whichever table sorted first
/// (here `aaa`, judging the host by that table alone).
#[test]
fn nft_base_chains_on_one_hook_decide_together() {
    if !tools_or_skip(
        "nft_base_chains_on_one_hook_decide_together",
        &["nft", "ip"],
    ) {
        return;
    }
    use AclAction::{Deny, Permit};
    let json = kernel_json(NFT_THREE_TABLES).expect("kernel");
    let read = read_nft_json(&json, None);
    assert!(read.findings.is_empty(), "{:#?}", read.findings);
    let t = Some(Proto::Tcp);
    let expected = acl(
        vec![
            entry(
                Deny,
                t,
                set("198.18.0.5"),
                AddrSet::any(),
                PortSet::single(445),
            ),
            entry(
                Permit,
                t,
                set("198.18.0.0/15"),
                AddrSet::any(),
                PortSet::single(445),
            ),
            entry(
                Deny,
                t,
                AddrSet::any(),
                AddrSet::any(),
                PortSet::single(445),
            ),
            // zz drops every other IPv6 connection.
            entry(Deny, None, v6_all(), v6_all(), PortSet::full()),
        ],
        Permit,
    );
    let input = read.hook("input").expect("input");
    same(&expected, &input, "three tables");
    // The third-party rule has no comment: it is named by table, chain and handle.
    let flow = smbguard_semantics::Flow::new(
        "198.18.0.5".parse().unwrap(),
        "198.18.0.9".parse().unwrap(),
        smbguard_model::Transport::SMB,
    );
    let d = smbguard_semantics::eval::acl::eval_acl(&input, &flow);
    let by = &d.matched[0].name;
    assert!(by.starts_with("inet aaa input handle "), "{by}");
    assert!(
        by["inet aaa input handle ".len()..].parse::<u64>().is_ok(),
        "{by}"
    );
}

/// The same JSON as `nft -j` prints it, without the kernel (so the reader's
/// logic is tested on machines without nft too).
const NFT_JSON_SAMPLE: &str = r#"{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "smbguard", "handle": 5}}, {"chain": {"family": "inet", "table": "smbguard", "name": "input", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}}, {"rule": {"family": "inet", "table": "smbguard", "chain": "input", "handle": 3, "comment": "replies", "expr": [{"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}}, {"accept": null}]}}, {"rule": {"family": "inet", "table": "smbguard", "chain": "input", "handle": 4, "comment": "Allow inbound SMB 445 from trusted clients [K5]", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"set": ["198.18.0.1", {"range": ["198.18.0.5", "198.18.0.9"]}, {"prefix": {"addr": "198.18.1.0", "len": 24}}]}}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 445}}, {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}}, {"rule": {"family": "inet", "table": "smbguard", "chain": "input", "handle": 5, "comment": "Block [K4]", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": "microsoft-ds"}}, {"drop": null}]}}]}"#;

#[test]
fn nft_json_sample_without_the_kernel() {
    let read = read_nft_json(NFT_JSON_SAMPLE, Some(&NftTable::smbguard()));
    assert!(read.findings.is_empty(), "{:#?}", read.findings);
    let input = read.hook("input").expect("input");
    let expected = acl(
        vec![
            entry(
                AclAction::Permit,
                Some(Proto::Tcp),
                set("198.18.0.1,198.18.0.5-198.18.0.9,198.18.1.0/24"),
                AddrSet::any(),
                PortSet::single(445),
            ),
            entry(
                AclAction::Deny,
                Some(Proto::Tcp),
                AddrSet::any(),
                AddrSet::any(),
                PortSet::single(445),
            ),
        ],
        AclAction::Permit,
    );
    same(&expected, &input, "sample");
    assert_eq!(input.entries[0].kb, KbRow::K5, "KB row from the comment");
    assert_eq!(input.entries[1].kb, KbRow::K4);
    assert_eq!(
        input.entries[0].name,
        "Allow inbound SMB 445 from trusted clients [K5]"
    );
}

#[test]
fn nft_reader_survives_malformed_documents() {
    for doc in [
        "",
        "null",
        "[]",
        "{\"nftables\": 3}",
        "{\"nftables\": [{\"rule\": {}}]}",
        "{\"nftables\": [{\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"c\", \"hook\": \"input\"}}, {\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"c\", \"expr\": [{\"jump\": {\"target\": \"c\"}}, 7]}}]}",
    ] {
        let r = read_nft_json(doc, None);
        assert!(
            !r.findings.is_empty() || r.chains.iter().all(|c| c.acl.entries.is_empty()),
            "{doc}"
        );
    }
}

// ---------------------------------------------------------------- iptables

const IPT_SAVE: &str = r#"# Generated by iptables-save v1.8.9 (nf_tables)
*nat
:PREROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 8445 -j REDIRECT --to-ports 445
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:SUB - [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 445 -j SUB
-A INPUT -s 198.18.0.0/255.254.0.0 -p udp -m multiport --dports 137:138,139 -j ACCEPT
-A INPUT -p tcp -m tcp ! --dport 445 -m iprange --dst-range 198.18.0.1-198.18.0.9 -j ACCEPT
-A INPUT -i eth0 -p tcp -m tcp --dport 139 -j DROP
-A INPUT -p tcp -m tcp --dport 139 -m comment --comment "allow \"netbios\" [K5]" -j ACCEPT
-A SUB -s 198.18.16.0/20 -j ACCEPT
-A SUB ! -s 198.18.0.0/15 -j REJECT --reject-with icmp-port-unreachable
-A SUB -j LOG --log-prefix "smb "
COMMIT
"#;

fn ipt_expected() -> Acl {
    use AclAction::{Deny, Permit};
    let v4 = AddrSet::any_v4();
    acl(
        vec![
            entry(
                Permit,
                Some(Proto::Tcp),
                set("198.18.16.0/20"),
                v4.clone(),
                PortSet::single(445),
            ),
            entry(
                Deny,
                Some(Proto::Tcp),
                v4.difference(&set("198.18.0.0/15")),
                v4.clone(),
                PortSet::single(445),
            ),
            entry(
                Permit,
                Some(Proto::Udp),
                set("198.18.0.0/15"),
                v4.clone(),
                PortSet::range(137, 139),
            ),
            entry(
                Permit,
                Some(Proto::Tcp),
                v4.clone(),
                set("198.18.0.1-198.18.0.9"),
                PortSet::single(445).complement(),
            ),
            entry(
                Permit,
                Some(Proto::Tcp),
                v4.clone(),
                v4,
                PortSet::single(139),
            ),
        ],
        Deny,
    )
}

#[test]
fn iptables_save_text_means_what_it_says() {
    let read = read_iptables_save(IPT_SAVE, IpFamily::V4);
    same(&ipt_expected(), &read.hook("input").expect("INPUT"), "text");
    let msgs: Vec<&str> = read.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(msgs.len(), 1, "{msgs:#?}");
    assert!(msgs[0].contains("`-i`"), "{msgs:#?}");
    let input = read.hook("input").expect("INPUT");
    let netbios = input
        .entries
        .iter()
        .find(|e| e.name.contains("netbios"))
        .expect("comment read");
    assert_eq!(netbios.name, "allow \"netbios\" [K5]");
    assert_eq!(netbios.kb, KbRow::K5);
}

#[test]
fn iptables_save_from_the_kernel_means_what_it_says() {
    if !tools_or_skip(
        "iptables_save_from_the_kernel_means_what_it_says",
        &["iptables-restore", "iptables-save", "ip"],
    ) {
        return;
    }
    let ns = Netns::new();
    let f = ScratchFile::with(IPT_SAVE, "v4");
    ns.ok(&["iptables-restore", f.path()], "restore");
    let saved = ns.ok(&["iptables-save"], "save");
    let read = read_iptables_save(&saved, IpFamily::V4);
    same(
        &ipt_expected(),
        &read.hook("input").expect("INPUT"),
        "kernel",
    );
}

#[test]
fn ip6tables_rules_match_ipv6_only() {
    let text = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 445 -j DROP\n-A INPUT -s 2001:db8::/32 -p udp --dport 137 -j DROP\nCOMMIT\n";
    let read = read_iptables_save(text, IpFamily::V6);
    assert!(read.findings.is_empty(), "{:#?}", read.findings);
    let v6 = v6_all();
    let expected = acl(
        vec![
            entry(
                AclAction::Deny,
                Some(Proto::Tcp),
                v6.clone(),
                v6,
                PortSet::single(445),
            ),
            entry(
                AclAction::Deny,
                Some(Proto::Udp),
                set("2001:db8::/32"),
                AddrSet::any(),
                PortSet::single(137),
            ),
        ],
        AclAction::Permit,
    );
    same(&expected, &read.hook("input").expect("INPUT"), "v6");
    // An IPv4 address in an ip6tables file cannot be read: a finding.
    let bad = read_iptables_save(
        "*filter\n-A INPUT -s 198.18.0.1 -j DROP\nCOMMIT\n",
        IpFamily::V6,
    );
    assert_eq!(bad.findings.len(), 1);
}

#[test]
fn iptables_loops_and_unknown_targets_are_findings() {
    let text = "*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j A\n-A INPUT -p tcp --dport 445 -j NFQUEUE --queue-num 1\n-A INPUT -p tcp --dport 445 -j DROP\nCOMMIT\n";
    let read = read_iptables_save(text, IpFamily::V4);
    let msgs: Vec<&str> = read.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(msgs.iter().any(|m| m.contains("loops")), "{msgs:#?}");
    assert!(msgs.iter().any(|m| m.contains("NFQUEUE")), "{msgs:#?}");
    // The unknown verdict is read as accept, so TCP 445 is not counted as blocked.
    let input = read.hook("input").expect("INPUT");
    let expected = acl(
        vec![entry(
            AclAction::Permit,
            Some(Proto::Tcp),
            AddrSet::any_v4(),
            AddrSet::any(),
            PortSet::single(445),
        )],
        AclAction::Permit,
    );
    same(&expected, &input, "queue");
}

// ---------------------------------------------------------------- no panic

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let words = prop::sample::select(vec![
        "nftables",
        "chain",
        "rule",
        "set",
        "table",
        "family",
        "inet",
        "ip",
        "ip6",
        "name",
        "t",
        "c",
        "hook",
        "input",
        "policy",
        "drop",
        "accept",
        "expr",
        "match",
        "op",
        "==",
        "!=",
        "<",
        "in",
        "left",
        "right",
        "payload",
        "protocol",
        "field",
        "saddr",
        "daddr",
        "dport",
        "tcp",
        "udp",
        "th",
        "meta",
        "key",
        "l4proto",
        "nfproto",
        "ct",
        "state",
        "new",
        "prefix",
        "addr",
        "len",
        "range",
        "jump",
        "goto",
        "target",
        "return",
        "elem",
        "val",
        "@s",
        "198.18.0.1",
        "2001:db8::1",
        "445",
        "ipv4",
        "counter",
        "queue",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (0u64..70000).prop_map(Value::from),
        words.clone().prop_map(|w| Value::String(w.to_string())),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((words.clone(), inner), 0..5).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn nft_reader_never_panics_on_arbitrary_text(s in "\\PC{0,400}") {
        let _ = read_nft_json(&s, None);
    }

    #[test]
    fn nft_reader_never_panics_on_arbitrary_json(v in json_value(), wrap in any::<bool>()) {
        let doc = if wrap { serde_json::json!({ "nftables": [v] }) } else { v };
        let r = read_nft_json(&doc.to_string(), None);
        for c in &r.chains {
            // Every entry the reader produces can be evaluated.
            let _ = compare_acl(&c.acl, &c.acl);
        }
    }

    #[test]
    fn iptables_reader_never_panics_on_arbitrary_text(s in "\\PC{0,400}", v6 in any::<bool>()) {
        let _ = read_iptables_save(&s, if v6 { IpFamily::V6 } else { IpFamily::V4 });
    }

    #[test]
    fn iptables_reader_never_panics_on_token_soup(
        lines in prop::collection::vec(prop::collection::vec(prop::sample::select(vec![
            "-A", "-I", "-N", "-P", "-F", "INPUT", "SUB", "1", "-p", "tcp", "udp", "all", "--dport", "--dports", "445",
            "137:139", ":", "1,2:", "!", "-s", "-d", "198.18.0.0/15", "::/0", "198.18.0.0/255.0.255.0", "-m",
            "multiport", "iprange", "--src-range", "1.2.3.4-1.2.3.1", "--ctstate", "NEW", "-j", "-g", "ACCEPT",
            "DROP", "RETURN", "LOG", "\"q\\\"", "'x", "*filter", "COMMIT", ":SUB", "-", "[0:0]", "--comment",
            "-i", "--syn", "-4", "-6", "-f",
        ]), 0..14), 0..12),
        v6 in any::<bool>(),
    ) {
        let text: Vec<String> = lines.iter().map(|l| l.join(" ")).collect();
        let text = format!("*filter\n{}\nCOMMIT\n", text.join("\n"));
        let r = read_iptables_save(&text, if v6 { IpFamily::V6 } else { IpFamily::V4 });
        for c in &r.chains {
            let _ = compare_acl(&c.acl, &c.acl);
        }
    }
}

#[test]
fn jump_fan_out_is_bounded_and_read_permissively() {
    let mut text = String::from("*filter\n:INPUT DROP [0:0]\n:A - [0:0]\n:B - [0:0]\n:C - [0:0]\n");
    for (from, to) in [("INPUT", "A"), ("A", "B"), ("B", "C")] {
        for _ in 0..80 {
            text.push_str(&format!("-A {from} -j {to}\n"));
        }
    }
    for _ in 0..80 {
        text.push_str("-A C -p tcp --dport 445 -j DROP\n");
    }
    text.push_str("COMMIT\n");
    let started = std::time::Instant::now();
    let read = read_iptables_save(&text, IpFamily::V4);
    assert!(started.elapsed().as_secs() < 20);
    assert!(
        read.findings
            .iter()
            .any(|f| f.message.contains("after inlining")),
        "{:#?}",
        read.findings
    );
    let input = read.hook("input").expect("INPUT");
    assert_eq!(
        input.entries.last().map(|e| e.action),
        Some(AclAction::Permit)
    );
}

/// A ruleset without a base chain on a hook filters nothing there (smbguard's
/// table emptied or deleted by hand): it audits as open, with a note, not as
/// unreadable input. Text that is not `nft -j` JSON is still refused.
#[test]
fn nft_ruleset_without_base_chains_audits_as_open() {
    let (_, plan) = crate::audit_support::example(smbguard_model::Strategy::Complement);
    let empty = r#"{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}, {"table": {"family": "inet", "name": "smbguard", "handle": 5}}]}"#;
    let a = audit_nft_json(&plan, empty, GroupChoice::Named("nas"), "nas.json").expect("audits");
    let codes: Vec<&str> = a.findings.iter().map(|f| f.code.id()).collect();
    assert!(codes.contains(&"SG-H003"), "{codes:?}");
    for hook in ["input", "output"] {
        assert!(
            a.notes.iter().any(|n| n.code == FindingCode::DefaultAssumed
                && n.message.contains(&format!("hook `{hook}`"))),
            "{:#?}",
            a.notes
        );
    }
    let err = audit_nft_json(
        &plan,
        "table inet smbguard {}",
        GroupChoice::Named("nas"),
        "x",
    )
    .expect_err("not JSON");
    assert!(err.to_string().contains("no `input` chain"), "{err}");
}
