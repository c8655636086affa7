#!/usr/bin/env python3
"""Regenerate the seed corpora of the traffic_capture and traffic_smb fuzz targets.

Seeds are small pieces of the fixture captures in fixtures/pcaps:
  fuzz/corpus/traffic_capture/  whole small captures and record-aligned heads of
                                larger ones (pcap), plus two tiny Zeek conn.logs
  fuzz/corpus/traffic_smb/      TCP 139/445 payloads of one fixture each, in the
                                segment format of smbguard_traffic::fuzzing::smb_stream
                                (control byte: bit 0 direction, bit 1 SYN; length
                                byte; payload), and a few raw NBNS/NBDGM payloads

Usage: scripts/make-traffic-fuzz-seeds.py   (standard library only)
"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "fixtures", "pcaps")
CAPTURE_DIR = os.path.join(ROOT, "fuzz", "corpus", "traffic_capture")
SMB_DIR = os.path.join(ROOT, "fuzz", "corpus", "traffic_smb")
HEAD_BYTES = 4096

CONN_TSV = (
    "#separator \\x09\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\thistory\t"
    "orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\n"
    "1513789420.546771\tC1\t192.168.10.31\t49282\t192.168.10.10\t445\ttcp\t12.5\tShADadFf\t22\t150960\t25\t2800\n"
    "1513789421.000000\tC2\t192.168.10.31\t137\t192.168.10.255\t137\tudp\t3.0\tD\t3\t234\t0\t0\n"
)
CONN_JSON = (
    '{"ts":1513789420.546771,"id.orig_h":"192.168.10.31","id.orig_p":49282,'
    '"id.resp_h":"192.168.10.10","id.resp_p":445,"proto":"tcp","duration":12.5,'
    '"history":"ShADadFf","orig_pkts":22,"orig_ip_bytes":150960,"resp_pkts":25,"resp_ip_bytes":2800}\n'
)


def records(data):
    """Yields (offset, end, linktype, frame) of a little- or big-endian pcap."""
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    pos = 24
    while pos + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[pos + 8 : pos + 12])[0]
        end = pos + 16 + caplen
        if end > len(data):
            return
        yield pos, end, linktype, data[pos + 16 : end]
        pos = end


def ip_of(linktype, frame):
    if linktype == 1 and frame[12:14] == b"\x08\x00":
        return frame[14:]
    if linktype == 113 and frame[14:16] == b"\x08\x00":
        return frame[16:]
    if linktype == 0 and frame[4:5] and frame[4] >> 4 == 4:
        return frame[4:]
    return None


def segments(data):
    """Yields (to_server, syn, payload, udp_port) for TCP 139/445 and UDP 137/138."""
    for _, _, linktype, frame in records(data):
        ip = ip_of(linktype, frame)
        if ip is None or len(ip) < 20:
            continue
        ihl = (ip[0] & 0x0F) * 4
        total = min(struct.unpack(">H", ip[2:4])[0], len(ip))
        l4 = ip[ihl:total]
        if len(l4) < 8:
            continue
        sport, dport = struct.unpack(">HH", l4[:4])
        if ip[9] == 6 and len(l4) >= 20 and {sport, dport} & {139, 445}:
            off = (l4[12] >> 4) * 4
            yield dport in (139, 445), bool(l4[13] & 0x02), l4[off:], None
        elif ip[9] == 17 and {sport, dport} & {137, 138}:
            yield False, False, l4[8:], dport if dport in (137, 138) else sport


def smb_stream(data):
    out = bytearray()
    for to_server, syn, payload, udp in segments(data):
        if udp is not None:
            continue
        control = (0 if to_server else 1) | (2 if syn else 0)
        if not payload:
            out += bytes([control, 0])
        for i in range(0, len(payload), 255):
            chunk = payload[i : i + 255]
            out += bytes([control, len(chunk)]) + chunk
    return bytes(out)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    names = sorted(n for n in os.listdir(FIXTURES) if n.endswith(".pcap"))
    for name in names:
        with open(os.path.join(FIXTURES, name), "rb") as f:
            data = f.read()
        stem = name[: -len(".pcap")]
        # Capture seed: the whole file if small, else a record-aligned head.
        cut = 24
        for _, end, _, _ in records(data):
            if end > HEAD_BYTES:
                break
            cut = end
        write(os.path.join(CAPTURE_DIR, stem + ".pcap"), data[:cut])
        stream = smb_stream(data)[:HEAD_BYTES]
        if stream:
            write(os.path.join(SMB_DIR, stem + ".stream"), stream)
        udp = [(port, p) for _, _, p, port in segments(data) if port is not None]
        for port in (137, 138):
            payloads = [p for q, p in udp if q == port]
            if payloads:
                write(os.path.join(SMB_DIR, f"{stem}.udp{port}"), payloads[0])
    write(os.path.join(CAPTURE_DIR, "conn.log"), CONN_TSV.encode())
    write(os.path.join(CAPTURE_DIR, "conn.json"), CONN_JSON.encode())


if __name__ == "__main__":
    main()
