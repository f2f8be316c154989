#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Decode TCP connections as the client sent them and as the server got them.

    toa-decode.py CLIENT.pcap SERVER.pcap PORT...

Reads both captures with scapy and walks the option bytes itself: nothing
here shares code with xt_TOA. A connection is the one whose client
(original-direction) packets have source port PORT on both sides (the
relay's SNAT keeps free ports). For each such packet the server got,
in order, one line (connections in the order of the ports given):

    PORT FLAGS toa=KIND/LEN:ADDR:PORT[,...]|- ip=ok|bad tcplen=ok|bad
        csum=full|partial|bad seq=same|differs payload=same|differs
        opts=same|toa+same|stripped|toa+stripped|differs

ip: the IP length field (and the IPv4 header checksum) match the packet;
tcplen: the data offset covers whole options inside the segment. csum: the
TCP checksum is complete ("full"), or is the pseudo-header sum a device
completes (CHECKSUM_PARTIAL across veth: "partial"). seq, payload: equal to
the client's packet; opts: the server's options are the client's, or a TOA
followed by exactly the client's; "stripped": the client's with each of
its TOAs turned into NOPs (kind 1), as a relay must.
"""
import ipaddress
import sys

# Only the layers used: "scapy.all" loads every protocol scapy knows, which
# takes half a minute in a TCG guest.
from scapy.compat import raw
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.utils import rdpcap

TOA_KINDS = (200, 253, 254)
TOA_FORMATS = ((200, 8), (253, 8), (254, 8), (253, 20), (254, 20))


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def sum16(b):
    if len(b) % 2:
        b += b"\0"
    return sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2))


def segments(path, ports):
    """The IP layers of the packets of each TCP source port in PORTS."""
    out = {port: [] for port in ports}
    for pkt in rdpcap(path):
        ip = pkt.getlayer(IP) or pkt.getlayer(IPv6)
        if ip is not None and ip.haslayer(TCP) and ip[TCP].sport in out:
            out[ip[TCP].sport].append(ip)
    return out


def ip_ok(ip):
    b = raw(ip)
    if ip.version == 4:
        return ip.len == len(b) and fold(sum16(b[:ip.ihl * 4])) == 0xFFFF
    return ip.plen == len(b) - 40


def l4(ip):
    b = raw(ip)
    return b[ip.ihl * 4:] if ip.version == 4 else b[40:]


def csum_state(ip, seg):
    if ip.version == 4:
        pseudo = raw(ip)[12:20] + bytes([0, 6]) + len(seg).to_bytes(2, "big")
    else:
        pseudo = raw(ip)[8:40] + len(seg).to_bytes(4, "big") + bytes([0, 0, 0, 6])
    field = int.from_bytes(seg[16:18], "big")
    zeroed = seg[:16] + b"\0\0" + seg[18:]
    if field == (~fold(sum16(pseudo) + sum16(zeroed))) & 0xFFFF:
        return "full"
    if field == fold(sum16(pseudo)):
        return "partial"
    return "bad"


def options(seg):
    """The option bytes, or None if the data offset is impossible."""
    doff = (seg[12] >> 4) * 4
    if doff < 20 or doff > len(seg):
        return None
    return seg[20:doff]


def walk(opts):
    """(offset, kind, length) of each option; None if the list is broken."""
    found, i = [], 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2 or i + opts[i + 1] > len(opts):
            return None
        found.append((i, kind, opts[i + 1]))
        i += opts[i + 1]
    return found


def toas(opts):
    """TOA options found by walking the list; None if the list is broken."""
    walked, found = walk(opts), []
    if walked is None:
        return None
    for i, kind, olen in walked:
        if kind in TOA_KINDS and olen in (8, 20):
            port = int.from_bytes(opts[i + 2:i + 4], "big")
            addr = ipaddress.ip_address(bytes(opts[i + 4:i + olen]))
            found.append(f"{kind}/{olen}:{addr}:{port}" if olen == 8 else
                         f"{kind}/{olen}:[{addr}]:{port}")
    return found


def stripped(opts):
    """The options with every TOA format overwritten by NOPs (200/20 is none)."""
    out = bytearray(opts)
    for i, kind, olen in walk(opts) or []:
        if (kind, olen) in TOA_FORMATS:
            out[i:i + olen] = b"\1" * olen
    return bytes(out)


def compare(copts, sopts):
    """How the server's options derive from the client's."""
    lead = sopts[sopts[1]:] if len(sopts) > 1 and sopts[0] in TOA_KINDS else None
    for name, want in (("same", copts), ("stripped", stripped(copts))):
        if sopts == want:
            return name
        if lead == want:
            return "toa+" + name
    return "differs"


def flags(seg):
    names = "FSRPAUEC"
    return "".join(n for bit, n in enumerate(names) if seg[13] & (1 << bit)) or "-"


def describe(cip, sip):
    cseg, sseg = l4(cip), l4(sip)
    copts, sopts = options(cseg), options(sseg)
    if sopts is None or copts is None:
        return f"{flags(sseg)} tcplen=bad"
    found = toas(sopts)
    toa = ",".join(found) if found else ("-" if found is not None else "broken")
    opts = compare(copts, sopts)
    return " ".join([
        flags(sseg),
        f"toa={toa}",
        f"ip={'ok' if ip_ok(sip) else 'bad'}",
        "tcplen=ok",
        f"csum={csum_state(sip, sseg)}",
        f"seq={'same' if cseg[4:12] == sseg[4:12] else 'differs'}",
        f"payload={'same' if cseg[20 + len(copts):] == sseg[20 + len(sopts):] else 'differs'}",
        f"opts={opts}",
    ])


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    ports = [int(p) for p in sys.argv[3:]]
    clients = segments(sys.argv[1], ports)
    servers = segments(sys.argv[2], ports)
    for port in ports:
        client, server = clients[port], servers[port]
        if not server or len(client) < len(server):
            sys.exit(f"toa-decode: {len(client)} client and {len(server)} server packets from port {port}")
        for cip, sip in zip(client, server):
            print(port, describe(cip, sip))


if __name__ == "__main__":
    main()
