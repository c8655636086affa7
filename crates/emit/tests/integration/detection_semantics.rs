//! The detection targets mean what the traffic classifier means: each
//! Suricata rule's address, port and keyword conditions, each Zeek notice's
//! condition and each Sigma rule's `|cidr` lists, read back from the emitted
//! text and evaluated by the small evaluators in `detection_eval`, select
//! exactly the flows `smbguard_traffic::classify` labels with the same case,
//! on the fixture captures (an estate that places their hosts) and on
//! synthetic flows between every kind of address of the example estate.

use std::collections::BTreeSet;
use std::net::IpAddr;

use smbguard_emit::{Artifact, Target};
use smbguard_model::{AddrSet, Estate, parse_estate};
use smbguard_traffic::classify::{Category, Endpoint, classify};
use smbguard_traffic::{FlowRecord, L4Protocol, Options, analyze_bytes, analyze_file};

use crate::detection_eval::{sigma, suricata, zeek};
use crate::nonwin_support::{cx, example, from_toml};

/// Places every host of the fixture captures so that each case occurs at
/// least once and has a near miss (a management host on an admin share, an
/// encrypted session to a cloud endpoint, SMB between client and server).
pub(crate) const FIXTURE_ESTATE: &str = r#"
[estate]
name = "fixtures"
strategy = "complement"
internal = ["192.168.10.0/24", "192.168.199.0/24", "192.168.0.0/24", "172.31.222.0/24",
            "192.168.1.0/28", "192.168.1.89", "10.0.0.1", "172.171.65.181", "192.168.100.0/24"]

[[groups]]
name = "dcs"
role = "domain-controller"
addresses = ["192.168.10.10"]

[[groups]]
name = "admin"
role = "member"
addresses = ["172.31.222.186"]

[[groups]]
name = "file-server"
role = "file-server"
addresses = ["172.31.222.157", "10.0.0.1"]
clients = ["admin"]

[[groups]]
name = "members"
role = "member"
addresses = ["192.168.1.10"]

[[groups]]
name = "workstations"
role = "workstation"
addresses = ["192.168.10.30", "192.168.10.31", "192.168.1.89", "192.168.1.12",
             "172.171.65.181", "192.168.100.168", "192.168.199.128/26"]

[[management]]
name = "admin-host"
from = ["admin"]
to = ["file-server"]
transports = ["tcp/445"]

[[perimeter.allow]]
name = "cloud-files"
addresses = ["172.171.65.180", "192.168.1.51", "10.160.67.244"]
direction = "both"
transports = ["tcp/445"]
require-encryption = true
"#;

/// The cases every detection artefact names, and the classifier's view of
/// each: categories, restricted to the transports the case is about.
pub(crate) fn classifier_says(estate: &Estate, flow: &FlowRecord, case: &str) -> bool {
    let c = classify(estate, flow);
    let has = |k: Category| c.categories.contains(&k);
    let tcp_smb = flow.protocol == L4Protocol::Tcp && matches!(flow.server_port, 139 | 445);
    let netbios_or_smb =
        tcp_smb || (flow.protocol == L4Protocol::Udp && matches!(flow.server_port, 137 | 138));
    let management = estate
        .management
        .iter()
        .fold(AddrSet::empty(), |a, m| a.union(&m.from));
    let from_management = management.contains(flow.client.to_canonical());
    match case {
        "perimeter-inbound" => {
            has(Category::PerimeterInbound) && !has(Category::CloudException) && netbios_or_smb
        }
        "perimeter-outbound" => {
            has(Category::PerimeterOutbound) && !has(Category::CloudException) && netbios_or_smb
        }
        "lateral" => has(Category::Lateral) && tcp_smb,
        "unplanned-server" => {
            has(Category::UnknownHost) && c.server == Endpoint::UnknownInternal && tcp_smb
        }
        "smb1" => has(Category::Smb1),
        "cloud-cleartext-smb3" => has(Category::CloudUnencrypted) && has(Category::CleartextSmb3),
        "admin-share" => has(Category::AdminShare) && !from_management,
        "remote-service" => has(Category::RemoteService) && !from_management,
        "share-access-from-client" => {
            matches!(c.client, Endpoint::Group { role, .. } if matches!(role, "workstation" | "member" | "isolated"))
                && !flow.smb.shares.is_empty()
        }
        other => panic!("unknown case {other}"),
    }
}

/// The flows of every fixture capture.
fn fixture_flows() -> Vec<FlowRecord> {
    let dir = smbguard_testkit::fixture("pcaps");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    files.sort();
    assert!(files.len() >= 10);
    files
        .iter()
        .flat_map(|p| {
            analyze_file(p, &Options::default())
                .expect("fixture reads")
                .flows
        })
        .collect()
}

/// One address of each set (its first and last), for synthetic flows.
fn samples(sets: &[AddrSet]) -> Vec<IpAddr> {
    let mut out = BTreeSet::new();
    for s in sets {
        for r in s.to_ranges() {
            out.insert(r.0);
            out.insert(r.1);
        }
    }
    out.into_iter().collect()
}

/// Synthetic TCP 445/139 and UDP 137/138 flows between sample addresses of
/// every group, the unplanned internal space, the cloud endpoints and the
/// internet, written as a Zeek conn.log and read by the traffic crate.
pub(crate) fn synthetic_flows(estate: &Estate) -> Vec<FlowRecord> {
    let mut sets: Vec<AddrSet> = estate.groups.iter().map(|g| g.addresses.clone()).collect();
    sets.extend(estate.perimeter_allow.iter().map(|p| p.addresses.clone()));
    sets.push(estate.internal.clone());
    let internet = ["203.0.113.200", "2001:db8:ffff::9", "8.8.8.8"];
    let mut hosts = samples(&sets);
    hosts.extend(internet.iter().map(|s| s.parse::<IpAddr>().expect("ip")));
    let mut log = String::from(
        "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n",
    );
    let mut n = 0;
    for a in &hosts {
        for b in &hosts {
            if a == b || a.is_ipv4() != b.is_ipv4() {
                continue;
            }
            for (port, proto) in [(445, "tcp"), (139, "tcp"), (137, "udp"), (138, "udp")] {
                n += 1;
                log.push_str(&format!("{n}.0\tC{n}\t{a}\t50000\t{b}\t{port}\t{proto}\n"));
            }
        }
    }
    let flows = analyze_bytes(log.as_bytes(), &Options::default())
        .expect("conn.log")
        .flows;
    assert_eq!(flows.len(), n, "every synthetic connection is a flow");
    flows
}

fn artefacts(estate: &Estate, plan: &smbguard_semantics::Plan, t: Target) -> Vec<Artifact> {
    t.emit(&cx(estate, plan)).expect("emits")
}

fn text(a: &Artifact) -> &str {
    std::str::from_utf8(&a.contents).expect("utf-8")
}

fn find<'a>(arts: &'a [Artifact], suffix: &str) -> &'a str {
    text(
        arts.iter()
            .find(|a| a.path.ends_with(suffix))
            .expect(suffix),
    )
}

/// For each case the artefact names: the flows it selects equal the flows
/// the classifier labels. Returns how many flows each case selected.
fn agree(
    estate: &Estate,
    flows: &[FlowRecord],
    cases: &BTreeSet<String>,
    selects: impl Fn(&FlowRecord, &str) -> bool,
    what: &str,
) -> Vec<(String, usize)> {
    let mut counts = Vec::new();
    for case in cases {
        let mut n = 0;
        for f in flows {
            let ours = selects(f, case);
            let theirs = classifier_says(estate, f, case);
            assert_eq!(
                ours,
                theirs,
                "{what} case {case}: {}:{} -> {}:{} {:?} selected={ours} classifier={theirs} ({:?})",
                f.client,
                f.client_port,
                f.server,
                f.server_port,
                f.protocol,
                classify(estate, f).categories
            );
            n += usize::from(ours);
        }
        counts.push((case.clone(), n));
    }
    counts
}

fn fixture_estate() -> (Estate, smbguard_semantics::Plan) {
    from_toml(FIXTURE_ESTATE).expect("fixture estate compiles")
}

#[test]
fn suricata_rules_select_what_the_classifier_labels() {
    let (estate, plan) = fixture_estate();
    let arts = artefacts(&estate, &plan, Target::Suricata);
    let rules = suricata::Rules::read(find(&arts, ".rules"), find(&arts, "address-groups.yaml"));
    let cases = rules.cases();
    assert_eq!(cases.len(), 8, "{cases:?}");
    let flows = fixture_flows();
    let counts = agree(
        &estate,
        &flows,
        &cases,
        |f, c| rules.selects(f, c),
        "suricata/fixtures",
    );
    // Every case is seen on the fixtures, so each comparison means something.
    for (case, n) in &counts {
        assert!(*n > 0, "no fixture flow exercises {case}: {counts:?}");
    }
    let synthetic = synthetic_flows(&estate);
    agree(
        &estate,
        &synthetic,
        &cases,
        |f, c| rules.selects(f, c),
        "suricata/synthetic",
    );
    let (estate, plan) = example(smbguard_model::Strategy::IpsecBypass);
    let arts = artefacts(&estate, &plan, Target::Suricata);
    let rules = suricata::Rules::read(find(&arts, ".rules"), find(&arts, "address-groups.yaml"));
    let synthetic = synthetic_flows(&estate);
    let counts = agree(
        &estate,
        &synthetic,
        &rules.cases(),
        |f, c| rules.selects(f, c),
        "suricata/example",
    );
    assert!(
        counts.iter().filter(|(_, n)| *n > 0).count() >= 3,
        "{counts:?}"
    );
}

#[test]
fn zeek_notices_select_what_the_classifier_labels() {
    for (estate, plan, fixtures) in [
        {
            let (e, p) = fixture_estate();
            (e, p, true)
        },
        {
            let (e, p) = example(smbguard_model::Strategy::IpsecBypass);
            (e, p, false)
        },
    ] {
        let arts = artefacts(&estate, &plan, Target::Zeek);
        let script = zeek::Script::read(find(&arts, "main.zeek"));
        let cases = script.cases();
        let mut flows = synthetic_flows(&estate);
        if fixtures {
            assert_eq!(cases.len(), 8, "{cases:?}");
            flows.extend(fixture_flows());
        }
        let counts = agree(
            &estate,
            &flows,
            &cases,
            |f, c| script.notices(f).contains(c),
            "zeek",
        );
        assert!(
            counts.iter().filter(|(_, n)| *n > 0).count() >= 3,
            "{counts:?}"
        );
    }
}

#[test]
fn sigma_cidr_lists_select_what_the_classifier_labels() {
    for (n, (estate, plan)) in [
        fixture_estate(),
        example(smbguard_model::Strategy::IpsecBypass),
    ]
    .into_iter()
    .enumerate()
    {
        let arts = artefacts(&estate, &plan, Target::Sigma);
        let rules: Vec<sigma::Rule> = arts
            .iter()
            .flat_map(|a| sigma::Rule::read_all(text(a)))
            .collect();
        // The rules watch TCP 445/139 (connections, share access).
        let mut flows = synthetic_flows(&estate);
        flows.extend(fixture_flows());
        flows.retain(|f| f.protocol == L4Protocol::Tcp && matches!(f.server_port, 139 | 445));
        let mut checked = 0;
        for rule in rules.iter().filter(|r| r.case.is_some() && r.uses_cidr) {
            let case = rule.case.clone().unwrap_or_default();
            let cases: BTreeSet<String> = [case.clone()].into();
            let selects = |f: &FlowRecord, _: &str| {
                sigma::events_of(f, &rule.logsource)
                    .iter()
                    .any(|e| rule.matches(e))
            };
            let counts = agree(&estate, &flows, &cases, selects, &rule.title);
            checked += 1;
            // On the fixture estate every rule selects something.
            assert!(counts[0].1 > 0 || n > 0, "{}: {counts:?}", rule.title);
        }
        assert!(checked >= 7, "{checked} Sigma rules checked");
    }
}

#[test]
fn remote_service_pipes_are_the_classifiers() {
    let (estate, plan) = fixture_estate();
    let arts = artefacts(&estate, &plan, Target::Zeek);
    let script = zeek::Script::read(find(&arts, "main.zeek"));
    let pipes: BTreeSet<&str> = smbguard_traffic::classify::REMOTE_SERVICE_PIPES
        .into_iter()
        .collect();
    let ours: BTreeSet<&str> = script
        .strings("remote_service_pipes")
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(ours, pipes);
}

#[test]
fn remote_service_interfaces_are_the_classifiers() {
    let (estate, plan) = fixture_estate();
    let arts = artefacts(&estate, &plan, Target::Zeek);
    let script = zeek::Script::read(find(&arts, "main.zeek"));
    let classifier: BTreeSet<&str> = smbguard_traffic::classify::remote_service_interfaces()
        .into_iter()
        .collect();
    let ours: BTreeSet<&str> = script
        .strings("remote_service_uuids")
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(ours, classifier);
    let rules = find(
        &artefacts(&estate, &plan, Target::Suricata),
        "smbguard.rules",
    )
    .to_owned();
    for uuid in classifier {
        assert!(rules.contains(&format!("dcerpc.iface:{uuid};")), "{uuid}");
    }
}

#[test]
fn fixture_estate_parses() {
    let estate = parse_estate(FIXTURE_ESTATE)
        .unwrap_or_else(|e| panic!("{e:?}"))
        .estate;
    smbguard_semantics::compile(&estate).unwrap_or_else(|e| panic!("{e:?}"));
}
