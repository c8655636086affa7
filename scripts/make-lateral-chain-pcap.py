#!/usr/bin/env python3
"""Writes fixtures/pcaps/gen__lateral_chain_smb_dcerpc_tcp.pcap: a synthetic,
deterministic capture of an SMB lateral-movement chain in the example estate
(contoso), with DCE/RPC over plain TCP (the endpoint mapper on 135 and
dynamic ports) beside SMB 2.1 tree connects to admin shares.

  t=1   198.18.16.5 (workstation) -> 198.18.2.7 (member)  SMB2 \\198.18.2.7\ADMIN$
  t=2   198.18.16.5 -> 198.18.2.7  tcp/135   epmapper ept_map
  t=3   198.18.16.5 -> 198.18.2.7  tcp/49667 svcctl ROpenSCManagerW, RCreateServiceW, RStartServiceW
  t=4   198.18.2.7 -> 198.18.16.9 (workstation) SMB2 \\198.18.16.9\C$
  t=5   198.18.2.7 -> 198.18.16.9  tcp/49668 ITaskSchedulerService SchRpcRegisterTask, SchRpcRun
  t=6   198.18.16.5 -> 198.18.2.7  tcp/135   IRemoteSCMActivator RemoteCreateInstance
  t=7   198.18.16.5 -> 198.18.2.7  tcp/49669 IWbemLevel1Login NTLMLogin, IWbemServices ExecMethod (DCOM, object UUID)
  t=8   198.18.16.5 -> 198.18.2.7  tcp/49670 RemoteFW (MS-FASP) RRPC_FWOpenPolicyStore, RRPC_FWAddFirewallRule
  t=9   198.18.16.5 -> 198.18.0.10 (DC) tcp/49671 drsuapi IDL_DRSBind, IDL_DRSGetNCChanges
  t=10  198.18.16.5 -> 198.18.0.10 tcp/49672 one bind: samr, lsarpc and an unknown interface (rejected);
        SamrConnect5, SamrEnumerateUsersInDomain, LsarOpenPolicy2

With --zeek DIR it also writes the Zeek logs of the same traffic into DIR/tsv
(conn.log, smb_mapping.log, dce_rpc.log in Zeek's ASCII TSV form) and DIR/json
(the same records as JSON lines, conn.log split over two sensors), as Zeek 6
would: one conn.log line per connection (uid, ts of the first packet,
duration, payload and IP bytes, packets, history ShADadFf, conn_state SF,
service smb or dce_rpc), one smb_mapping.log line per tree connect, one
dce_rpc.log line per request/response (named_pipe is the bind_ack secondary
address on TCP, endpoint and operation names from Zeek's DCE_RPC consts;
interfaces Zeek does not name are unknown-<uuid>, operations unknown-<opnum>).
Zeek itself is not packaged for this machine, so the logs are written, not run.

PDU layouts: C706 chapter 12.6 (connection-oriented RPC), [MS-RPCE] 2.2.2;
SMB2: [MS-SMB2] 2.2.1, 2.2.3, 2.2.4, 2.2.9, 2.2.10. Stubs are zero-filled
(only their presence matters to the tests). Run: python3 scripts/make-lateral-chain-pcap.py
"""
import struct
import sys
import uuid

NDR = (uuid.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860"), 2, 0)
IFACES = {
    "epmapper": ("e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, 0),
    "svcctl": ("367abb81-9844-35f1-ad32-98f038001003", 2, 0),
    "tsch": ("86d35949-83c9-4044-b424-db363231fd0c", 1, 0),
    "scm": ("000001a0-0000-0000-c000-000000000046", 0, 0),
    "login": ("f309ad18-d86a-11d0-a075-00c04fb68820", 0, 0),
    "wbem": ("9556dc99-828c-11cf-a37e-00aa003240c7", 0, 0),
    "fasp": ("6b5bdd1e-528c-422c-af8c-a4079be4fe48", 1, 0),
    "drsuapi": ("e3514235-4b06-11d1-ab04-00c04fc2dcd2", 4, 0),
    "samr": ("12345778-1234-abcd-ef00-0123456789ac", 1, 0),
    "lsarpc": ("12345778-1234-abcd-ef00-0123456789ab", 0, 0),
    "unknown": ("01234567-89ab-cdef-0123-456789abcdef", 1, 0),
}


def syntax(u, major, minor):
    return uuid.UUID(str(u)).bytes_le + struct.pack("<HH", major, minor)


def co_header(ptype, body, call_id, flags=0x03):
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, flags, b"\x10\x00\x00\x00",
                       16 + len(body), 0, call_id) + body


def bind(names, call_id, ptype=11):
    body = struct.pack("<HHIBBH", 4280, 4280, 0, len(names), 0, 0)
    for ctx, name in enumerate(names):
        body += struct.pack("<HBB", ctx, 1, 0) + syntax(*IFACES[name]) + syntax(*NDR)
    return co_header(ptype, body, call_id)


def bind_ack(results, call_id, port, ptype=12):
    sec = (port.encode() + b"\x00") if port else b""
    body = struct.pack("<HHIH", 4280, 4280, 0x1234, len(sec)) + sec
    while (16 + len(body)) % 4:
        body += b"\x00"
    body += struct.pack("<BBH", len(results), 0, 0)
    for r in results:
        transfer = syntax(*NDR) if r == 0 else b"\x00" * 20
        body += struct.pack("<HH", r, 0 if r == 0 else 1) + transfer
    return co_header(ptype, body, call_id)


ORPCTHIS = struct.pack("<HHII", 5, 7, 0, 0) + b"\x11" * 16 + struct.pack("<I", 0)


def request(ctx, opnum, call_id, stub=b"\x00" * 16, obj=None):
    flags = 0x03 | (0x80 if obj else 0)
    body = struct.pack("<IHH", len(stub), ctx, opnum)
    if obj:
        body += obj.bytes_le
    return co_header(0, body + stub, call_id, flags)


def response(ctx, call_id, stub=b"\x00" * 8):
    return co_header(2, struct.pack("<IHBB", len(stub), ctx, 0, 0) + stub, call_id)


def smb2(cmd, body, msg_id, response=False, tree=0, status=0):
    flags = 1 if response else 0
    hdr = b"\xfeSMB" + struct.pack("<HHIHHIIQII Q16s".replace(" ", ""), 64, 0, status, cmd,
                                   1, flags, 0, msg_id, 0xfeff, tree, 0x1000, b"\x00" * 16)
    msg = hdr + body
    return struct.pack(">I", len(msg)) + msg


def negotiate_req():
    body = struct.pack("<HHHHI", 36, 2, 1, 0, 0) + b"\x22" * 16 + b"\x00" * 8
    return smb2(0, body + struct.pack("<HH", 0x0210, 0x0302), 0)


def negotiate_resp():
    body = struct.pack("<HHHH", 65, 1, 0x0210, 0) + b"\x33" * 16
    body += struct.pack("<IIIIQQHHI", 0x2f, 0x800000, 0x800000, 0x800000, 0, 0, 128, 0, 0)
    return smb2(0, body + b"\x00", 0, response=True)


def tree_connect_req(path, msg_id):
    p = path.encode("utf-16-le")
    return smb2(3, struct.pack("<HHHH", 9, 0, 72, len(p)) + p, msg_id)


def tree_connect_resp(msg_id, tree):
    body = struct.pack("<HBBIII", 16, 1, 0, 0, 0, 0x001F01FF)
    return smb2(3, body, msg_id, response=True, tree=tree)


ZEEK_NAMES = {
    "epmapper": ("epmapper", {3: "ept_map"}),
    "svcctl": ("svcctl", {15: "OpenSCManagerW", 12: "CreateServiceW", 19: "StartServiceW"}),
    "tsch": ("ITaskSchedulerService", {1: "SchRpcRegisterTask", 12: "SchRpcRun"}),
    "scm": ("IRemoteSCMActivator", {4: "RemoteCreateInstance"}),
    "login": ("IWbemLevel1Login", {6: "NTLMLogin"}),
    "wbem": ("IWbemServices", {24: "ExecMethod"}),
    "fasp": ("unknown-6b5bdd1e-528c-422c-af8c-a4079be4fe48", {}),
    "drsuapi": ("drsuapi", {0: "DRSBind", 3: "DRSGetNCChanges"}),
    "samr": ("samr", {64: "SamrConnect5", 13: "SamrEnumerateUsersInDomain"}),
    "lsarpc": ("lsarpc", {44: "LsarOpenPolicy2"}),
}


class Capture:
    def __init__(self):
        self.frames = []
        self.conns = []  # (uid, ts, client, cport, server, sport, service, stats)
        self.mappings = []  # (uid, ts, client, cport, server, path)
        self.rpc = []  # (uid, ts, client, cport, server, sport, rtt, pipe, endpoint, operation)

    def add(self, ts, data):
        self.frames.append((ts, data))

    def write(self, path):
        out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
        for ts, data in self.frames:
            sec, usec = int(ts), int(round((ts - int(ts)) * 1e6))
            out += struct.pack("<IIII", sec, usec, len(data), len(data)) + data
        with open(path, "wb") as f:
            f.write(out)


def ip_checksum(h):
    s = sum(struct.unpack("!10H", h))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def frame(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 128, 6, 0,
                     bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
    mac = lambda a: b"\x02\x00" + bytes(map(int, a.split(".")))
    return mac(dst) + mac(src) + b"\x08\x00" + ip + tcp


def conversation(cap, t, client, server, cport, sport, exchanges, service):
    """SYN, SYN-ACK, ACK, then each (client payload, server payload), then FINs."""
    start = t
    uid = "C%016x" % (0x5EED0000 + len(cap.conns))
    sent = [sum(len(a) for a, _ in exchanges), sum(len(b) for _, b in exchanges)]
    pkts = [3 + len(exchanges), 2 + len(exchanges)]
    ip_bytes = [40 * pkts[0] + sent[0], 40 * pkts[1] + sent[1]]
    cs, ss = 1000, 5000
    step = 0.001
    cap.add(t, frame(client, server, cport, sport, cs, 0, 0x02, b""))
    cap.add(t + step, frame(server, client, sport, cport, ss, cs + 1, 0x12, b""))
    cs, ss = cs + 1, ss + 1
    t += 2 * step
    cap.add(t, frame(client, server, cport, sport, cs, ss, 0x10, b""))
    for req, resp in exchanges:
        t += step
        cap.add(t, frame(client, server, cport, sport, cs, ss, 0x18, req))
        cs += len(req)
        t += step
        cap.add(t, frame(server, client, sport, cport, ss, cs, 0x18, resp))
        ss += len(resp)
    t += step
    cap.add(t, frame(client, server, cport, sport, cs, ss, 0x11, b""))
    cap.add(t + step, frame(server, client, sport, cport, ss, cs + 1, 0x11, b""))
    cap.add(t + 2 * step, frame(client, server, cport, sport, cs + 1, ss + 1, 0x10, b""))
    stats = (t + 2 * step - start, sent, pkts, ip_bytes)
    cap.conns.append((uid, start, client, cport, server, sport, service, stats))
    return uid, start


def smb_session(cap, t, client, server, cport, share):
    path = f"\\\\{server}\\{share}"
    uid, start = conversation(cap, t, client, server, cport, 445, [
        (negotiate_req(), negotiate_resp()),
        (tree_connect_req(path, 1), tree_connect_resp(1, 5)),
    ], "smb")
    cap.mappings.append((uid, start + 0.005, client, cport, server, path))


def rpc_session(cap, t, client, server, cport, sport, names, calls, results=None, port=""):
    results = results or [0] * len(names)
    ex = [(bind(names, 1), bind_ack(results, 1, port))]
    for i, (ctx, opnum, obj) in enumerate(calls):
        stub = ORPCTHIS + b"\x00" * 16 if obj else b"\x00" * 16
        ex.append((request(ctx, opnum, i + 2, stub, obj), response(ctx, i + 2)))
    uid, start = conversation(cap, t, client, server, cport, sport, ex, "dce_rpc")
    for i, (ctx, opnum, _) in enumerate(calls):
        endpoint, ops = ZEEK_NAMES[names[ctx]]
        op = ops.get(opnum, f"unknown-{opnum}")
        ts = start + 0.003 + 0.002 * (i + 1) + 0.001
        cap.rpc.append((uid, ts, client, cport, server, sport, 0.001, port, endpoint, op))


def zeek_tsv(path, name, fields, types, rows):
    esc = lambda v: v.replace("\\", "\\\\") if isinstance(v, str) else v
    with open(path, "w") as f:
        f.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n")
        f.write(f"#path\t{name}\n#open\t2023-11-14-22-13-21\n")
        f.write("#fields\t" + "\t".join(fields) + "\n#types\t" + "\t".join(types) + "\n")
        for r in rows:
            f.write("\t".join(str(esc(v)) for v in r) + "\n")
        f.write("#close\t2023-11-14-22-13-31\n")


def zeek_json(path, fields, rows):
    import json
    with open(path, "w") as f:
        for r in rows:
            num = ("ts", "rtt", "duration")
            obj = {k: float(v) if k in num else v for k, v in zip(fields, r) if v != "-"}
            f.write(json.dumps(obj, separators=(",", ":")) + "\n")


CONN = (["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
         "duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp",
         "missed_bytes", "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes",
         "tunnel_parents"],
        ["time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count",
         "count", "string", "bool", "bool", "count", "string", "count", "count", "count", "count",
         "set[string]"])
MAPPING = (["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "path", "service",
            "native_file_system", "share_type"],
           ["time", "string", "addr", "port", "addr", "port", "string", "string", "string",
            "string"])
DCE = (["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "rtt", "named_pipe",
        "endpoint", "operation"],
       ["time", "string", "addr", "port", "addr", "port", "interval", "string", "string",
        "string"])


def write_zeek(cap, out):
    import os
    conn_rows = [(f"{ts:.6f}", uid, c, cp, s, sp, "tcp", svc, f"{st[0]:.6f}", st[1][0], st[1][1],
                  "SF", "-", "-", 0, "ShADadFf", st[2][0], st[3][0], st[2][1], st[3][1], "-")
                 for uid, ts, c, cp, s, sp, svc, st in cap.conns]
    map_rows = [(f"{ts:.6f}", uid, c, cp, s, 445, path, "-", "-", "DISK")
                for uid, ts, c, cp, s, path in cap.mappings]
    dce_rows = [(f"{ts:.6f}", uid, c, cp, s, sp, f"{rtt:.6f}", pipe, ep, op)
                for uid, ts, c, cp, s, sp, rtt, pipe, ep, op in cap.rpc]
    os.makedirs(f"{out}/tsv", exist_ok=True)
    os.makedirs(f"{out}/json/sensor-a", exist_ok=True)
    os.makedirs(f"{out}/json/sensor-b", exist_ok=True)
    zeek_tsv(f"{out}/tsv/conn.log", "conn", *CONN, conn_rows)
    zeek_tsv(f"{out}/tsv/smb_mapping.log", "smb_mapping", *MAPPING, map_rows)
    zeek_tsv(f"{out}/tsv/dce_rpc.log", "dce_rpc", *DCE, dce_rows)
    half = len(conn_rows) // 2
    zeek_json(f"{out}/json/sensor-a/conn.log", CONN[0], conn_rows[:half])
    zeek_json(f"{out}/json/sensor-b/conn.log", CONN[0], conn_rows[half:])
    zeek_json(f"{out}/json/sensor-a/smb_mapping.log", MAPPING[0], map_rows)
    zeek_json(f"{out}/json/sensor-b/dce_rpc.log", DCE[0], dce_rows)


def main(path, zeek=None):
    a, b, c, dc = "198.18.16.5", "198.18.2.7", "198.18.16.9", "198.18.0.10"
    ipid = uuid.UUID("00007c04-0d10-0000-1b5c-8f2e6d01a2b3")
    cap = Capture()
    base = 1_700_000_000
    smb_session(cap, base + 1, a, b, 50001, "ADMIN$")
    rpc_session(cap, base + 2, a, b, 50002, 135, ["epmapper"], [(0, 3, None)], port="135")
    rpc_session(cap, base + 3, a, b, 50003, 49667, ["svcctl"],
                [(0, 15, None), (0, 12, None), (0, 19, None)], port="49667")
    smb_session(cap, base + 4, b, c, 50004, "C$")
    rpc_session(cap, base + 5, b, c, 50005, 49668, ["tsch"], [(0, 1, None), (0, 12, None)],
                port="49668")
    rpc_session(cap, base + 6, a, b, 50006, 135, ["scm"], [(0, 4, ipid)], port="135")
    rpc_session(cap, base + 7, a, b, 50007, 49669, ["login", "wbem"],
                [(0, 6, ipid), (1, 24, ipid)], port="49669")
    rpc_session(cap, base + 8, a, b, 50008, 49670, ["fasp"], [(0, 0, None), (0, 5, None)],
                port="49670")
    rpc_session(cap, base + 9, a, dc, 50009, 49671, ["drsuapi"], [(0, 0, None), (0, 3, None)],
                port="49671")
    rpc_session(cap, base + 10, a, dc, 50010, 49672, ["samr", "lsarpc", "unknown"],
                [(0, 64, None), (0, 13, None), (1, 44, None)], results=[0, 0, 2], port="49672")
    cap.write(path)
    if zeek:
        write_zeek(cap, zeek)


if __name__ == "__main__":
    args = sys.argv[1:]
    zeek = None
    if "--zeek" in args:
        i = args.index("--zeek")
        zeek = args[i + 1]
        del args[i:i + 2]
    main(args[0] if args else "fixtures/pcaps/gen__lateral_chain_smb_dcerpc_tcp.pcap", zeek)
