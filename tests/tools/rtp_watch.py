#!/usr/bin/env python3
"""rtp_watch: receive one leg's RTP from mcud (video and audio ports) and
record, with the kernel's arrival timestamps (SO_TIMESTAMPNS: a busy
machine delaying this process does not move them), every packet's arrival,
sequence number, RTP timestamp and marker bit; then judge windows of it.

  rtp_watch.py --video 127.0.0.1:P --audio 127.0.0.1:P+2 --seconds 20 \
               --mark FILE          # FILE's mtime lines: "name t_monotonic"
  prints JSON: per phase (between marks) the largest audio arrival gap (ms),
  audio packets, lost (sequence gaps), video frames (marker bits) per
  second (min and mean over whole seconds).

Marks: the test appends "NAME UNIX_TIME" lines to --mark while this runs;
each phase runs from one mark to the next (the first from the start); a
"stop" mark ends the run early (--seconds is the longest it runs).
Python 3 standard library only.
"""
import argparse
import json
import select
import socket
import struct
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def open_sock(addr):
    host, port = addr.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind((host, int(port)))
    s.setblocking(False)
    return s


def recv_all(s, out):
    while True:
        try:
            data, anc, _, _ = s.recvmsg(2048, 256)
        except BlockingIOError:
            return
        t = None
        for level, kind, val in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", val[:16])
                t = sec + nsec / 1e9
        if t is None:
            t = time.time()
        if len(data) < 12 or data[0] >> 6 != 2:
            continue
        pt = data[1] & 0x7F
        if 72 <= pt <= 79:  # RTCP with rtcp-mux
            continue
        seq, ts = struct.unpack("!HI", data[2:8])
        out.append((t, seq, ts, bool(data[1] & 0x80)))


def judge_audio(pkts):
    if len(pkts) < 2:
        return {"packets": len(pkts), "max_gap_ms": None, "lost": None}
    gaps = [b[0] - a[0] for a, b in zip(pkts, pkts[1:])]
    lost = 0
    for a, b in zip(pkts, pkts[1:]):
        d = (b[1] - a[1]) & 0xFFFF
        if 1 < d < 1000:
            lost += d - 1
    return {"packets": len(pkts), "max_gap_ms": round(1000 * max(gaps), 1),
            "lost": lost}


def judge_video(pkts, t0, t1):
    secs = int(t1 - t0)
    if secs < 1:
        return {"frames": 0, "fps_min": None, "fps_mean": None}
    per = [0] * secs
    for t, _, _, m in pkts:
        k = int(t - t0)
        if m and 0 <= k < secs:
            per[k] += 1
    return {"frames": sum(per), "fps_min": min(per),
            "fps_mean": round(sum(per) / secs, 1), "per_second": per}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--video", required=True)
    ap.add_argument("--audio", required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--mark", required=True)
    a = ap.parse_args()
    vs, as_ = open_sock(a.video), open_sock(a.audio)
    video, audio = [], []
    start = time.time()
    end = time.monotonic() + a.seconds
    print(json.dumps({"ready": start}), flush=True)
    def read_marks():
        out = []
        try:
            for line in open(a.mark):
                f = line.split()
                if len(f) == 2:
                    out.append((f[0], float(f[1])))
        except (OSError, ValueError):
            pass
        return out

    next_check = 0.0
    while time.monotonic() < end:
        r, _, _ = select.select([vs, as_], [], [], 0.2)
        if vs in r:
            recv_all(vs, video)
        if as_ in r:
            recv_all(as_, audio)
        if time.monotonic() >= next_check:
            next_check = time.monotonic() + 0.5
            if any(n == "stop" for n, _ in read_marks()):
                break
    stop = time.time()
    marks = [("start", start)]
    marks += sorted((m for m in read_marks() if m[0] != "stop"),
                    key=lambda m: m[1])
    marks.append(("end", stop))
    phases = {}
    for (name, t0), (_, t1) in zip(marks, marks[1:]):
        ap_ = [p for p in audio if t0 <= p[0] < t1]
        vp = [p for p in video if t0 <= p[0] < t1]
        phases[name] = {"seconds": round(t1 - t0, 2),
                        "audio": judge_audio(ap_),
                        "video": judge_video(vp, t0, t1)}
    print(json.dumps({"phases": phases}))


if __name__ == "__main__":
    main()
