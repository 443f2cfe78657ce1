#!/usr/bin/env python3
"""sipflood: send N out-of-dialog SIP INVITEs over UDP at a fixed rate from
one source address (like a scanner or a flooding peer: no ACK, no retry) and
count the answers by status code.

  sipflood.py --src 127.0.0.5 --dst 127.0.0.1:5060 --count 2000 --rate 500
              [--method INVITE] [--linger 2]

Prints one JSON object: sent, the seconds it took (and the wall-clock t0
and t1 of the first and last request), answers by status code, the distinct
Call-IDs that got a final answer.
Python 3 standard library only.
"""
import argparse
import json
import select
import socket
import time


def request(method, i, src, sport, dst, dport):
    cid = "flood-%d-%d@%s" % (i, sport, src)
    body = ""
    return cid, (
        "%s sip:t@%s:%d SIP/2.0\r\n"
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-flood-%d;rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:flood@%s>;tag=f%d\r\n"
        "To: <sip:t@%s>\r\n"
        "Call-ID: %s\r\n"
        "CSeq: 1 %s\r\n"
        "Contact: <sip:flood@%s:%d>\r\n"
        "Content-Length: %d\r\n\r\n%s"
        % (method, dst, dport, src, sport, i, src, i, dst, cid, method, src,
           sport, len(body), body)).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--method", default="INVITE")
    ap.add_argument("--linger", type=float, default=2.0,
                    help="seconds to keep counting answers after the last")
    a = ap.parse_args()
    dst, dport = a.dst.rsplit(":", 1)
    dport = int(dport)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((a.src, 0))
    sport = s.getsockname()[1]
    s.setblocking(False)
    codes, finals = {}, set()

    def drain(timeout):
        r, _, _ = select.select([s], [], [], max(0.0, timeout))
        while r:
            try:
                data = s.recv(65536)
            except BlockingIOError:
                break
            line = data.split(b"\r\n", 1)[0].split()
            if len(line) >= 2 and line[0] == b"SIP/2.0":
                code = line[1].decode(errors="replace")
                codes[code] = codes.get(code, 0) + 1
                if not code.startswith("1"):
                    for h in data.split(b"\r\n"):
                        if h.lower().startswith(b"call-id:"):
                            finals.add(h.split(b":", 1)[1].strip())
            r, _, _ = select.select([s], [], [], 0)

    wall0 = time.time()
    t0 = time.monotonic()
    for i in range(a.count):
        due = t0 + i / a.rate
        while True:
            now = time.monotonic()
            if now >= due:
                break
            drain(due - now)
        _, msg = request(a.method, i, a.src, sport, dst, dport)
        try:
            s.sendto(msg, (dst, dport))
        except BlockingIOError:
            pass
    took = time.monotonic() - t0
    wall1 = time.time()
    end = time.monotonic() + a.linger
    while time.monotonic() < end:
        drain(end - time.monotonic())
    print(json.dumps({"sent": a.count, "seconds": round(took, 3),
                      "t0": wall0, "t1": wall1,
                      "codes": codes, "answered": len(finals)}))


if __name__ == "__main__":
    main()
