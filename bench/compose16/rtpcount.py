#!/usr/bin/env python3
"""rtpcount: receive mcud's H.264 RTP output, count frames, keep the stream.

    rtpcount.py PORT OUT.h264 MAX_SECONDS

Counts access units (RTP marker bit) as they arrive and depacketizes RFC
6184 (single NAL, STAP-A, FU-A) into an Annex-B file so ffprobe can check
what was sent. SIGUSR1 records a mark: (time, frames so far); at the end
(SIGTERM or MAX_SECONDS) prints JSON {"frames", "marks", "packets", ...}.
Python 3 standard library only.
"""
import json
import signal
import socket
import struct
import sys
import time


def main():
    port, out_path, max_s = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("127.0.0.1", port))
    s.settimeout(0.05)
    st = {"frames": 0, "packets": 0, "bad": 0, "marks": [], "pt": None,
          "lost": 0}
    stop = []
    signal.signal(signal.SIGUSR1, lambda *_: st["marks"].append(
        [time.monotonic(), st["frames"]]))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    out = open(out_path, "wb")
    print("ready", file=sys.stderr, flush=True)
    sc = b"\0\0\0\1"
    last_seq = None
    end = time.monotonic() + max_s
    while not stop and time.monotonic() < end:
        try:
            d = s.recv(65536)
        except (socket.timeout, InterruptedError):
            continue
        if len(d) < 13 or d[0] >> 6 != 2:
            st["bad"] += 1
            continue
        cc = d[0] & 15
        hl = 12 + 4 * cc
        if d[0] & 0x10:  # extension
            if len(d) < hl + 4:
                st["bad"] += 1
                continue
            hl += 4 + 4 * struct.unpack("!H", d[hl + 2:hl + 4])[0]
        pay = d[hl:]
        if d[0] & 0x20 and pay:  # padding
            pay = pay[:len(pay) - pay[-1]]
        if not pay:
            st["bad"] += 1
            continue
        seq = struct.unpack("!H", d[2:4])[0]
        if last_seq is not None and seq != (last_seq + 1) & 0xffff:
            st["lost"] += 1
        last_seq = seq
        st["packets"] += 1
        st["pt"] = d[1] & 0x7f
        t = pay[0] & 0x1f
        if 1 <= t <= 23:
            out.write(sc + pay)
        elif t == 24:  # STAP-A
            i = 1
            while i + 2 <= len(pay):
                n = struct.unpack("!H", pay[i:i + 2])[0]
                out.write(sc + pay[i + 2:i + 2 + n])
                i += 2 + n
        elif t == 28 and len(pay) > 2:  # FU-A
            if pay[1] & 0x80:
                out.write(sc + bytes([(pay[0] & 0xe0) | (pay[1] & 0x1f)]))
            out.write(pay[2:])
        else:
            st["bad"] += 1
        if d[1] & 0x80:
            st["frames"] += 1
    out.close()
    print(json.dumps(st), flush=True)


if __name__ == "__main__":
    main()
