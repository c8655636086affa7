#!/usr/bin/env python3
"""Build a large benchmark pcap for smbguard-traffic from the fixture captures.

Every fixture in fixtures/pcaps is replayed many times. In each copy
the IPv4 addresses are rewritten into 198.18.0.0/15 (RFC 2544 benchmarking
space) so that copies are distinct flows; IPv4 header and TCP/UDP checksums
are updated incrementally (RFC 1624), so a checksum that was valid stays
valid and an offloaded (bad) one stays bad. All frames are written as
Ethernet; every other copy carries an 802.1Q VLAN tag, so the output mixes
tagged and untagged frames. Timestamps increase monotonically.

Usage:
    scripts/make-bench-capture.py [--size-mb 512] [--fixtures DIR] OUT.pcap

Standard library only.
"""

import argparse
import os
import struct
import sys

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113

ETH_IPV4 = b"\x08\x00"
ETH_IPV6 = b"\x86\xdd"
ETH_VLAN = b"\x81\x00"
# 198.18.0.0/15: 131072 addresses; each (copy, fixture) pair gets a block.
BENCH_NET = (198 << 24) | (18 << 16)
BENCH_SIZE = 1 << 17
BLOCK = 32


def read_pcap(path):
    """Returns (linktype, [(ts_ns, frame_bytes)]) of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    nanos = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    frames = []
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, caplen, _origlen = struct.unpack(endian + "IIII", data[pos : pos + 16])
        pos += 16
        frame = data[pos : pos + caplen]
        pos += caplen
        if len(frame) < caplen:
            break
        ts = sec * 1_000_000_000 + (frac if nanos else frac * 1000)
        frames.append((ts, frame))
    return linktype, frames


def to_ethernet(linktype, frame):
    """Returns (ethertype, l3_payload) or None for frames that are not IP."""
    if linktype == LINKTYPE_ETHERNET:
        if len(frame) < 14:
            return None
        return frame[12:14], frame[14:]
    if linktype == LINKTYPE_LINUX_SLL:
        if len(frame) < 16:
            return None
        return frame[14:16], frame[16:]
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP, LINKTYPE_RAW):
        ip = frame[4:] if linktype != LINKTYPE_RAW else frame
        if not ip:
            return None
        version = ip[0] >> 4
        if version == 4:
            return ETH_IPV4, ip
        if version == 6:
            return ETH_IPV6, ip
        return None
    return None


def csum_add(csum, old_word, new_word):
    """RFC 1624 incremental update: HC' = ~(~HC + ~m + m')."""
    value = (~csum & 0xFFFF) + (~old_word & 0xFFFF) + new_word
    value = (value & 0xFFFF) + (value >> 16)
    value = (value & 0xFFFF) + (value >> 16)
    return ~value & 0xFFFF


def rewrite_ipv4(ip, mapping):
    """Rewrites source and destination; fixes IP and TCP/UDP checksums."""
    if len(ip) < 20:
        return bytes(ip)
    ihl = (ip[0] & 0x0F) * 4
    if len(ip) < ihl:
        return bytes(ip)
    ip = bytearray(ip)
    proto = ip[9]
    frag_offset = struct.unpack(">H", ip[6:8])[0] & 0x1FFF
    changes = []
    for at in (12, 16):
        old = bytes(ip[at : at + 4])
        new = mapping(old)
        ip[at : at + 4] = new
        changes.append((old, new))
    ip_csum = struct.unpack(">H", ip[10:12])[0]
    for old, new in changes:
        for i in (0, 2):
            ip_csum = csum_add(
                ip_csum,
                struct.unpack(">H", old[i : i + 2])[0],
                struct.unpack(">H", new[i : i + 2])[0],
            )
    ip[10:12] = struct.pack(">H", ip_csum)
    l4 = {6: 16, 17: 6}.get(proto)
    if l4 is not None and frag_offset == 0 and len(ip) >= ihl + l4 + 2:
        at = ihl + l4
        l4_csum = struct.unpack(">H", ip[at : at + 2])[0]
        if not (proto == 17 and l4_csum == 0):  # UDP checksum 0 = none
            for old, new in changes:
                for i in (0, 2):
                    l4_csum = csum_add(
                        l4_csum,
                        struct.unpack(">H", old[i : i + 2])[0],
                        struct.unpack(">H", new[i : i + 2])[0],
                    )
            ip[at : at + 2] = struct.pack(">H", l4_csum)
    return bytes(ip)


class AddressMap:
    """Maps each original IPv4 address of one fixture copy into its block."""

    def __init__(self, block_index):
        self.base = (block_index * BLOCK) % BENCH_SIZE
        self.known = {}

    def __call__(self, old):
        new = self.known.get(old)
        if new is None:
            slot = (self.base + len(self.known) % BLOCK) % BENCH_SIZE
            new = struct.pack(">I", BENCH_NET + slot)
            self.known[old] = new
        return new


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_fixtures = os.path.normpath(os.path.join(here, "..", "fixtures", "pcaps"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--size-mb", type=int, default=512, help="stop once this many MB (10^6) are written")
    parser.add_argument("--fixtures", default=default_fixtures)
    args = parser.parse_args()

    fixtures = []
    for name in sorted(os.listdir(args.fixtures)):
        if name.endswith(".pcap"):
            linktype, frames = read_pcap(os.path.join(args.fixtures, name))
            frames = [(ts, to_ethernet(linktype, f)) for ts, f in frames]
            fixtures.append((name, [(ts, f) for ts, f in frames if f is not None]))
    if not fixtures:
        sys.exit(f"no .pcap fixtures in {args.fixtures}")

    target = args.size_mb * 1_000_000
    written = 0
    packets = 0
    clock = 1_600_000_000 * 1_000_000_000
    block = 0
    copy = 0
    src_mac = b"\x02\x00\x00\x00\x00\x01"
    dst_mac = b"\x02\x00\x00\x00\x00\x02"
    with open(args.output, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, LINKTYPE_ETHERNET))
        written += 24
        while written < target:
            vlan = copy % 2 == 1
            tag = ETH_VLAN + struct.pack(">H", 100 + copy % 3000)
            for _name, frames in fixtures:
                mapping = AddressMap(block)
                block += 1
                previous = frames[0][0] if frames else 0
                chunks = []
                for ts, (ethertype, l3) in frames:
                    clock += max(0, min(ts - previous, 1_000_000_000)) // 50 + 1000
                    previous = ts
                    if ethertype == ETH_IPV4:
                        l3 = rewrite_ipv4(l3, mapping)
                    frame = dst_mac + src_mac + (tag if vlan else b"") + ethertype + l3
                    sec, nsec = divmod(clock, 1_000_000_000)
                    chunks.append(struct.pack("<IIII", sec, nsec // 1000, len(frame), len(frame)))
                    chunks.append(frame)
                    written += 16 + len(frame)
                    packets += 1
                out.write(b"".join(chunks))
            copy += 1
    print(f"wrote {args.output}: {written} bytes, {packets} packets, {copy} copies of {len(fixtures)} fixtures")


if __name__ == "__main__":
    main()
