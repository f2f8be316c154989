#!/usr/bin/python3
"""toa-handshake SRC SPORT DST DPORT ISN: complete an IPv4 TCP handshake
whose SYN carries the initial sequence number ISN, from raw sockets, then
hold the connection until killed.  Prints "established" once the ACK is
sent.  The namespace owning SRC must drop its own kernel's RST to the
SYN-ACK (the tests do it with an OUTPUT rule).

The tests replay another connection's 4-tuple and ISN from an unrelated
namespace with it: only the namespace a packet really came from may give
its socket a client."""
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def segment(src, dst, sport, dport, seq, ack, flags):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(hdr))
    return hdr[:16] + struct.pack("!H", checksum(pseudo + hdr)) + hdr[18:]


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__.split("\n")[0])
    src, dst = sys.argv[1], sys.argv[3]
    sport, dport, isn = int(sys.argv[2]), int(sys.argv[4]), int(sys.argv[5])
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s.bind((src, 0))
    s.settimeout(10)
    s.sendto(segment(src, dst, sport, dport, isn, 0, 0x02), (dst, 0))
    while True:
        pkt = s.recv(65535)
        ihl = (pkt[0] & 0x0F) * 4
        psport, pdport, seq, ack, _, flags = struct.unpack("!HHIIBB", pkt[ihl:ihl + 14])
        if (psport, pdport) == (dport, sport) and flags & 0x12 == 0x12 and ack == (isn + 1) & 0xFFFFFFFF:
            break
    s.sendto(segment(src, dst, sport, dport, (isn + 1) & 0xFFFFFFFF, (seq + 1) & 0xFFFFFFFF, 0x10), (dst, 0))
    print("established", flush=True)
    time.sleep(600)


main()
