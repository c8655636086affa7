//! DCE/RPC dissection on PDUs taken from captures (frame numbers as
//! tshark counts them).

use super::{RpcConnection, RpcFacts, RpcPurpose, pdu_from_client};
use crate::smb::DissectCounters;
use crate::test_util::hex;

/// `zeek__smb1_over_tcp139_dcerpc_mapi.pcap` frames 397 (bind to the
/// endpoint mapper), 398 (bind_ack, secondary address "135") and 399
/// (request, opnum 3 = ept_map).
const MAPI_397: &str = "05000b03100000004800000001000000d016d0160000000001000000000001000883afe11f5dc91191a408002b14a0fa03000000045d888aeb1cc9119fe808002b10486002000000";
const MAPI_398: &str = "05000c03100000003c00000001000000d016d016e5c8000004003133350000000100000000000000045d888aeb1cc9119fe808002b10486002000000";
const MAPI_399_HEAD: &str = "05000003100000009c0000000100000084000000000003000100000000000000";

/// `gen__lateral_chain_smb_dcerpc_tcp.pcap` frame 74: IWbemServices
/// ExecMethod (opnum 24) with an object UUID (the IPID), context 1; frame
/// 107: a bind_ack accepting two contexts and rejecting the third.
const GEN_74: &str = "050000831000000058000000030000003000000001001800047c0000100d00001b5c8f2e6d01a2b3050007000000000000000000111111111111111111111111111111110000000000000000000000000000000000000000";
const GEN_107: &str = "05000c03100000006c00000001000000b810b8103412000006003439363732000300000000000000045d888aeb1cc9119fe808002b1048600200000000000000045d888aeb1cc9119fe808002b10486002000000020001000000000000000000000000000000000000000000";

fn feed(
    conn: &mut RpcConnection,
    facts: &mut RpcFacts,
    to_server: bool,
    pdu: &str,
) -> DissectCounters {
    let mut counters = DissectCounters::default();
    conn.on_segment(to_server, &hex(pdu), facts, &mut counters);
    counters
}

#[test]
fn endpoint_mapper_bind_ack_and_request_from_a_real_capture() {
    let (mut conn, mut facts) = (RpcConnection::default(), RpcFacts::default());
    assert_eq!(feed(&mut conn, &mut facts, true, MAPI_397).messages, 1);
    feed(&mut conn, &mut facts, false, MAPI_398);
    // Only the first 32 bytes of the 156-byte request are in this segment.
    let c = feed(&mut conn, &mut facts, true, MAPI_399_HEAD);
    assert_eq!((c.messages, c.malformed), (1, 0));
    let i = &facts.interfaces[0];
    assert_eq!(
        (i.uuid.as_str(), i.name, i.version.as_str(), i.accepted),
        (
            "e1af8308-5d1f-11c9-91a4-08002b14a0fa",
            Some("epmapper"),
            "3.0",
            Some(true)
        )
    );
    assert_eq!(i.purpose, RpcPurpose::EndpointMapper);
    assert_eq!(facts.calls.len(), 1);
    assert_eq!(facts.calls[0].label(), "epmapper.ept_map");
    assert!(!facts.remote_execution());
}

#[test]
fn dcom_request_with_object_uuid_maps_its_context() {
    let (mut conn, mut facts) = (RpcConnection::default(), RpcFacts::default());
    // No bind seen: the call is recorded by opnum only.
    feed(&mut conn, &mut facts, true, GEN_74);
    assert_eq!(facts.calls[0].label(), "opnum 24");
    assert!(facts.interfaces.is_empty());
    // With the bind: context 1 is IWbemServices.
    let wbem = facts.bind("9556dc99-828c-11cf-a37e-00aa003240c7".into(), 0, 0);
    conn.contexts.push((1, wbem.unwrap()));
    feed(&mut conn, &mut facts, true, GEN_74);
    assert_eq!(facts.calls[1].label(), "IWbemServices.ExecMethod");
    assert!(facts.remote_execution());
}

#[test]
fn bind_ack_results_answer_the_proposed_contexts_in_order() {
    let (mut conn, mut facts) = (RpcConnection::default(), RpcFacts::default());
    for (ctx, uuid) in [
        "12345778-1234-abcd-ef00-0123456789ac",
        "12345778-1234-abcd-ef00-0123456789ab",
        "01234567-89ab-cdef-0123-456789abcdef",
    ]
    .into_iter()
    .enumerate()
    {
        let index = facts.bind(uuid.into(), 1, 0);
        conn.proposed.push(index);
        conn.contexts.push((ctx as u16, index.unwrap()));
    }
    feed(&mut conn, &mut facts, false, GEN_107);
    let answers: Vec<_> = facts.interfaces.iter().map(|i| i.accepted).collect();
    assert_eq!(answers, [Some(true), Some(true), Some(false)]);
    assert_eq!(
        facts.notes()[0],
        "RPC bind samr, lsarpc, 01234567-89ab-cdef-0123-456789abcdef (rejected)"
    );
}

#[test]
fn direction_comes_from_the_pdu_type() {
    assert_eq!(pdu_from_client(&hex(MAPI_397)), Some(true));
    assert_eq!(pdu_from_client(&hex(MAPI_398)), Some(false));
    assert_eq!(pdu_from_client(b"GET / HTTP/1.1\r\n"), None);
    assert_eq!(pdu_from_client(&hex(MAPI_397)[..10]), None);
}

#[test]
fn truncated_and_garbage_pdus_never_panic() {
    let full = hex(GEN_107);
    for cut in 0..full.len() {
        let (mut conn, mut facts) = (RpcConnection::default(), RpcFacts::default());
        let mut counters = DissectCounters::default();
        conn.on_segment(false, &full[..cut], &mut facts, &mut counters);
        conn.on_segment(true, &full[..cut], &mut facts, &mut counters);
    }
}
