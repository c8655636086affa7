//! DCE/RPC over plain TCP (issue 15, item 2): the endpoint mapper on 135
//! and the dynamic ports it hands out are dissected, remote execution is
//! classified as remote-service, and tshark decodes the same binds and
//! opnums on every fixture.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::process::Command;

use crate::common::{fixtures, fixtures_dir};
use smbguard_model::{EXAMPLE_ESTATE, parse_estate};
use smbguard_testkit::require_tool;
use smbguard_traffic::classify::{Category, classify, lateral_chains};
use smbguard_traffic::{Options, Service, analyze_file};

const GEN: &str = "gen__lateral_chain_smb_dcerpc_tcp.pcap";

/// (server port, interfaces bound, calls made) per RPC flow.
type Rpc = (u16, Vec<String>, Vec<String>);

fn rpc_flows(name: &str, threads: usize) -> Vec<Rpc> {
    let a = analyze_file(
        fixtures_dir().join(name),
        &Options::default().with_threads(threads),
    )
    .unwrap();
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    a.flows
        .iter()
        .filter(|f| matches!(f.service, Service::EndpointMapper | Service::DceRpc))
        .map(|f| {
            (
                f.server_port,
                f.rpc
                    .interfaces
                    .iter()
                    .map(|i| i.label().to_owned())
                    .collect(),
                f.rpc.calls.iter().map(|c| c.label()).collect(),
            )
        })
        .collect()
}

#[test]
fn every_interface_and_operation_of_the_generated_capture() {
    let flows = rpc_flows(GEN, 1);
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let expected: Vec<Rpc> = vec![
        (135, s(&["epmapper"]), s(&["epmapper.ept_map"])),
        (
            49667,
            s(&["svcctl"]),
            s(&[
                "svcctl.ROpenSCManagerW",
                "svcctl.RCreateServiceW",
                "svcctl.RStartServiceW",
            ]),
        ),
        (
            49668,
            s(&["ITaskSchedulerService"]),
            s(&[
                "ITaskSchedulerService.SchRpcRegisterTask",
                "ITaskSchedulerService.SchRpcRun",
            ]),
        ),
        (
            135,
            s(&["IRemoteSCMActivator"]),
            s(&["IRemoteSCMActivator.RemoteCreateInstance"]),
        ),
        (
            49669,
            s(&["IWbemLevel1Login", "IWbemServices"]),
            s(&["IWbemLevel1Login.NTLMLogin", "IWbemServices.ExecMethod"]),
        ),
        (
            49670,
            s(&["RemoteFW"]),
            s(&[
                "RemoteFW.RRPC_FWOpenPolicyStore",
                "RemoteFW.RRPC_FWAddFirewallRule",
            ]),
        ),
        (
            49671,
            s(&["drsuapi"]),
            s(&["drsuapi.IDL_DRSBind", "drsuapi.IDL_DRSGetNCChanges"]),
        ),
        (
            49672,
            s(&["samr", "lsarpc", "01234567-89ab-cdef-0123-456789abcdef"]),
            s(&[
                "samr.SamrConnect5",
                "samr.SamrEnumerateUsersInDomain",
                "lsarpc.LsarOpenPolicy2",
            ]),
        ),
    ];
    assert_eq!(flows, expected);
    // Threads change speed, not results.
    assert_eq!(rpc_flows(GEN, 2), flows);
}

#[test]
fn remote_execution_over_rpc_is_remote_service_and_chains_with_smb() {
    let estate = parse_estate(EXAMPLE_ESTATE).unwrap().estate;
    let a = analyze_file(fixtures_dir().join(GEN), &Options::default()).unwrap();
    let remote: Vec<u16> = a
        .flows
        .iter()
        .filter(|f| {
            classify(&estate, f)
                .categories
                .contains(&Category::RemoteService)
        })
        .map(|f| f.server_port)
        .collect();
    // svcctl, tasks, DCOM activation, WMI, firewall; not epmapper, drsuapi, samr.
    assert_eq!(remote, [49667, 49668, 135, 49669, 49670]);
    let chains = lateral_chains(&a.flows);
    assert_eq!(chains[0].path(), "198.18.16.5 → 198.18.2.7 → 198.18.16.9");
    let first = &chains[0].hops[0];
    assert!(first.evidence.contains(&"ADMIN$".to_owned()), "{first:?}");
    assert!(
        first
            .evidence
            .iter()
            .any(|e| e.contains("svcctl.RCreateServiceW") && e.ends_with("over tcp/49667")),
        "{first:?}"
    );
    assert_eq!(chains[0].hops[1].evidence[0], "C$");
}

/// Per conversation: the interface UUIDs bound and the opnums requested,
/// as tshark's DCE/RPC dissector decodes them (port 135 by default, other
/// ports by its heuristic dissector).
fn tshark_rpc(
    path: &std::path::Path,
) -> BTreeMap<(IpAddr, u16), (BTreeSet<String>, BTreeSet<u16>)> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args([
            "-n",
            "-Y",
            "dcerpc && !smb && !smb2 && !nbss",
            "-T",
            "fields",
        ])
        .args(["-E", "occurrence=a", "-E", "aggregator=,"])
        .args([
            "-e",
            "tcp.srcport",
            "-e",
            "tcp.dstport",
            "-e",
            "ip.dst",
            "-e",
            "ip.src",
        ])
        .args([
            "-e",
            "dcerpc.pkt_type",
            "-e",
            "dcerpc.cn_bind_to_uuid",
            "-e",
            "dcerpc.opnum",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut map: BTreeMap<(IpAddr, u16), (BTreeSet<String>, BTreeSet<u16>)> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let c: Vec<&str> = line.split('\t').collect();
        let (sp, dp): (u16, u16) = (c[0].parse().unwrap(), c[1].parse().unwrap());
        let types: Vec<&str> = c[4].split(',').collect();
        // Client PDUs (bind 11, alter_context 14, request 0) name the server.
        let from_client = types.iter().any(|t| matches!(*t, "0" | "11" | "14"));
        let key = if from_client {
            (c[2].parse().unwrap(), dp)
        } else {
            (c[3].parse().unwrap(), sp)
        };
        let e = map.entry(key).or_default();
        if from_client {
            e.0.extend(c[5].split(',').filter(|u| !u.is_empty()).map(str::to_owned));
            if types.contains(&"0") {
                e.1.extend(c[6].split(',').filter_map(|o| o.parse::<u16>().ok()));
            }
        }
    }
    map.retain(|_, v| !v.0.is_empty() || !v.1.is_empty());
    map
}

#[test]
fn binds_and_opnums_agree_with_tshark_on_every_fixture() {
    if require_tool("tshark").is_none() {
        return;
    }
    let mut compared = 0;
    for path in fixtures() {
        let a = analyze_file(&path, &Options::default()).unwrap();
        let mut ours: BTreeMap<(IpAddr, u16), (BTreeSet<String>, BTreeSet<u16>)> = BTreeMap::new();
        for f in a.flows.iter().filter(|f| !f.rpc.is_empty()) {
            let e = ours.entry((f.server, f.server_port)).or_default();
            e.0.extend(f.rpc.interfaces.iter().map(|i| i.uuid.clone()));
            e.1.extend(f.rpc.calls.iter().map(|c| c.opnum));
        }
        let theirs = tshark_rpc(&path);
        assert_eq!(ours, theirs, "{}", path.display());
        compared += ours.len();
    }
    assert!(compared >= 10, "only {compared} RPC servers compared");
}
