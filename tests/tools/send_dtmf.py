#!/usr/bin/env python3
"""Send RFC 4733 key presses as RTP telephone-events, the way a terminal
does: for each key a start packet, two updates and three end packets,
one RTP timestamp per press.

  send_dtmf.py HOST:PORT KEYS [--pt 101] [--gap-ms 300]
"""
import argparse
import random
import socket
import struct
import time

EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11,
          "A": 12, "B": 13, "C": 14, "D": 15}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dest")
    ap.add_argument("keys")
    ap.add_argument("--pt", type=int, default=101)
    ap.add_argument("--gap-ms", type=int, default=300)
    a = ap.parse_args()
    host, port = a.dest.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ssrc = random.getrandbits(32)
    seq = random.getrandbits(16)
    ts = random.getrandbits(32)
    for key in a.keys:
        ev = EVENTS[key]
        for i, (end, dur) in enumerate([(0, 160), (0, 320), (0, 480),
                                        (1, 640), (1, 640), (1, 640)]):
            hdr = struct.pack("!BBHII", 0x80, (0x80 if i == 0 else 0) | a.pt,
                              seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
            body = struct.pack("!BBH", ev, (0x80 if end else 0) | 10, dur)
            s.sendto(hdr + body, (host, int(port)))
            seq += 1
            time.sleep(0.02)
        ts += 8000
        time.sleep(a.gap_ms / 1000)


if __name__ == "__main__":
    main()
