#!/usr/bin/env python3
"""udprelay: a UDP impairment relay for tests (the kernel here has no netem).

Relays datagrams between a peer and a target (mcud) for one or more port
pairs and impairs them on the way, separately per direction:

  fwd  peer -> LISTEN -> (relay's own socket) -> TARGET
  rev  TARGET -> relay's own socket -> LISTEN -> the peer's last source address

    udprelay.py --map 127.0.0.1:41000=127.0.0.1:30000 \\
                --map 127.0.0.1:41001=127.0.0.1:30001 \\
                --loss 5 --delay 40 --jitter 20 --dup 1 --seed 7 \\
                --control 127.0.0.1:41999 --duration 60

Impairments take one value for both directions or FWD/REV (e.g. --loss 10/0):
  --loss PCT     drop each datagram with this probability
  --delay MS     hold each datagram this long ...
  --jitter MS    ... plus or minus a uniform random part of this; datagrams
                 are sent when their own time comes, so jitter reorders them
  --dup PCT      send a second copy of a datagram with this probability
  --reorder PCT  hold back this share of datagrams by --reorder-gap MS
                 (default 30) on top of their delay, so later ones overtake
                 them: reordering without jitter
  --seed N       random generator seed (each direction has its own stream)

Control (text datagrams to --control; the reply is one JSON line):
  outage MS [fwd|rev|both]     drop everything for MS milliseconds
  cut [fwd|rev|both]           drop everything until `restore` (an outage
                               without an end)
  restore [fwd|rev|both]       end a cut or outage now
  loss PCT [fwd|rev|both]      change the loss rate now (also delay, jitter,
                               dup, reorder, reorder-gap)
  clear [fwd|rev|both]         every impairment off (loss, delay, jitter, dup,
                               reorder, cut/outage): a clean path again
  stats                        the counters so far
  quit                         stop now (counters are printed as at the end)
SIGUSR1 starts an outage of --usr1-outage MS (default 2000) in both
directions; SIGUSR2 prints the counters to stderr.

It stops by itself after --duration seconds (at most 86400), or on
SIGTERM/SIGINT/quit, and then prints the counters as one JSON object on
stdout: per direction received, forwarded, duplicated, dropped (= loss +
outage + no_peer), reordered and the delivered bytes, and the same per map.
Once every socket is bound it prints {"ready": ...} on stderr.

Python 3 standard library only.
"""
import argparse
import asyncio
import json
import random
import signal
import socket
import sys
import time

DIRS = ("fwd", "rev")
MAX_DURATION = 86400.0


def parse_addr(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise argparse.ArgumentTypeError("address must be HOST:PORT: %r" % text)
    try:
        p = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError("bad port in %r" % text) from None
    if not 0 <= p <= 65535:
        raise argparse.ArgumentTypeError("port out of range in %r" % text)
    return (host.strip("[]"), p)


def parse_map(text):
    left, sep, right = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError("map must be LISTEN=TARGET: %r" % text)
    return parse_addr(left), parse_addr(right)


def pair(kind, lo, hi):
    """'X' or 'FWD/REV' -> {'fwd': X, 'rev': Y}, each checked to lo..hi."""

    def conv(text):
        parts = text.split("/")
        if len(parts) not in (1, 2):
            raise argparse.ArgumentTypeError("%s: X or FWD/REV" % kind)
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            raise argparse.ArgumentTypeError("%s: not a number: %r" % (kind, text)) from None
        for v in vals:
            if not lo <= v <= hi:
                raise argparse.ArgumentTypeError("%s: %g not in %g..%g" % (kind, v, lo, hi))
        return {"fwd": vals[0], "rev": vals[-1]}

    return conv


class Direction:
    """Impairment settings, random stream and counters of one direction."""

    def __init__(self, name, seed, args):
        self.name = name
        self.rng = random.Random("%s:%s" % (seed, name))
        self.loss = args.loss[name]
        self.delay = args.delay[name]
        self.jitter = args.jitter[name]
        self.dup = args.dup[name]
        self.reorder = args.reorder[name]
        self.reorder_gap = args.reorder_gap[name]
        self.outage_until = 0.0

    def set(self, what, value):
        setattr(self, what, value)


class Counters:
    FIELDS = ("received", "forwarded", "duplicated", "dropped", "dropped_loss",
              "dropped_outage", "no_peer", "send_errors", "reordered", "bytes")

    def __init__(self):
        self.c = dict.fromkeys(self.FIELDS, 0)
        self.arrivals = 0  # arrival index of the next datagram
        self.max_sent = -1  # highest arrival index sent so far

    def add(self, other):
        for k in self.FIELDS:
            self.c[k] += other.c[k]


class Relay:
    def __init__(self, args, loop):
        self.args = args
        self.loop = loop
        self.dirs = {d: Direction(d, args.seed, args) for d in DIRS}
        self.maps = []  # dicts: listen sock, up sock, target, peer, counters
        self.done = loop.create_future()

    # -- sockets --------------------------------------------------------
    def open(self):
        for (listen, target) in self.args.map:
            fam = socket.AF_INET6 if ":" in listen[0] else socket.AF_INET
            ls = socket.socket(fam, socket.SOCK_DGRAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(listen)
            tfam = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
            us = socket.socket(tfam, socket.SOCK_DGRAM)
            us.bind(("::" if tfam == socket.AF_INET6 else "0.0.0.0", 0))
            for s in (ls, us):
                s.setblocking(False)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
            m = {"listen": ls, "up": us, "target": target, "peer": None,
                 "name": "%s:%d=%s:%d" % (listen + target),
                 "cnt": {d: Counters() for d in DIRS}}
            self.maps.append(m)
            self.loop.add_reader(ls, self.on_readable, m, "fwd")
            self.loop.add_reader(us, self.on_readable, m, "rev")
        self.ctl = None
        if self.args.control:
            fam = socket.AF_INET6 if ":" in self.args.control[0] else socket.AF_INET
            self.ctl = socket.socket(fam, socket.SOCK_DGRAM)
            self.ctl.bind(self.args.control)
            self.ctl.setblocking(False)
            self.loop.add_reader(self.ctl, self.on_control)

    def close(self):
        for m in self.maps:
            for k in ("listen", "up"):
                self.loop.remove_reader(m[k])
                m[k].close()
        if self.ctl:
            self.loop.remove_reader(self.ctl)
            self.ctl.close()

    # -- data path ------------------------------------------------------
    def on_readable(self, m, dname):
        sock = m["listen"] if dname == "fwd" else m["up"]
        for _ in range(256):  # bounded batch, then let others run
            try:
                data, src = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # ICMP port unreachable from an earlier send: not fatal
                continue
            if dname == "fwd":
                m["peer"] = src
            self.impair(m, dname, data)

    def impair(self, m, dname, data):
        d = self.dirs[dname]
        cnt = m["cnt"][dname]
        c = cnt.c
        c["received"] += 1
        idx = cnt.arrivals
        cnt.arrivals += 1
        now = time.monotonic()
        if now < d.outage_until:
            c["dropped"] += 1
            c["dropped_outage"] += 1
            return
        # Draw every random number for every datagram, so one setting does
        # not shift the others' streams.
        r_loss, r_dup = d.rng.random(), d.rng.random()
        r_j1, r_j2 = d.rng.uniform(-1, 1), d.rng.uniform(-1, 1)
        r_reo = d.rng.random()
        if r_loss * 100.0 < d.loss:
            c["dropped"] += 1
            c["dropped_loss"] += 1
            return
        copies = [r_j1]
        if r_dup * 100.0 < d.dup:
            copies.append(r_j2)
        held = d.reorder_gap if r_reo * 100.0 < d.reorder else 0.0
        for n, j in enumerate(copies):
            delay = max(0.0, d.delay + j * d.jitter + held) / 1000.0
            if delay <= 0.0:
                self.send(m, dname, data, idx, n > 0)
            else:
                self.loop.call_later(delay, self.send, m, dname, data, idx, n > 0)

    def send(self, m, dname, data, idx, dup):
        cnt = m["cnt"][dname]
        c = cnt.c
        if dname == "fwd":
            sock, dst = m["up"], m["target"]
        else:
            sock, dst = m["listen"], m["peer"]
            if dst is None:  # nobody to return it to yet
                c["dropped"] += 1
                c["no_peer"] += 1
                return
        try:
            sock.sendto(data, dst)
        except OSError:
            c["send_errors"] += 1
            return
        if dup:
            c["duplicated"] += 1
        else:
            c["forwarded"] += 1
            c["bytes"] += len(data)
        if idx < cnt.max_sent:
            c["reordered"] += 1
        else:
            cnt.max_sent = idx

    # -- control --------------------------------------------------------
    def outage(self, ms, which):
        until = time.monotonic() + ms / 1000.0
        for dname in which:
            self.dirs[dname].outage_until = until

    def command(self, line):
        words = line.split()
        if not words:
            return {"error": "empty command"}
        cmd, rest = words[0].lower(), words[1:]
        if cmd == "stats":
            return self.stats()
        if cmd == "quit":
            if not self.done.done():
                self.done.set_result("quit")
            return {"ok": True}
        if cmd in ("cut", "restore", "clear"):
            if len(rest) > 1 or (rest and rest[0] not in ("fwd", "rev", "both")):
                return {"error": "usage: %s [fwd|rev|both]" % cmd}
            which = (rest[0],) if rest and rest[0] != "both" else DIRS
            for dname in which:
                d = self.dirs[dname]
                # an outage that never ends by itself; restore ends it
                d.outage_until = float("inf") if cmd == "cut" else 0.0
                if cmd == "clear":
                    for k in ("loss", "delay", "jitter", "dup", "reorder"):
                        d.set(k, 0.0)
            return {"ok": True, cmd: True, "dirs": list(which)}
        which = DIRS
        if len(rest) == 2:
            if rest[1] not in ("fwd", "rev", "both"):
                return {"error": "direction must be fwd, rev or both"}
            which = DIRS if rest[1] == "both" else (rest[1],)
        elif len(rest) != 1:
            return {"error": "usage: %s VALUE [fwd|rev|both]" % cmd}
        try:
            v = float(rest[0])
        except ValueError:
            return {"error": "not a number: %r" % rest[0]}
        limits = {"outage": 3600000, "loss": 100, "dup": 100,
                  "delay": 60000, "jitter": 60000, "reorder": 100,
                  "reorder-gap": 60000}
        if cmd not in limits:
            return {"error": "unknown command %r" % cmd}
        if not 0 <= v <= limits[cmd]:
            return {"error": "%s out of range 0..%g" % (cmd, limits[cmd])}
        if cmd == "outage":
            self.outage(v, which)
        else:
            for dname in which:
                self.dirs[dname].set(cmd.replace("-", "_"), v)
        return {"ok": True, cmd: v, "dirs": list(which)}

    def on_control(self):
        for _ in range(64):
            try:
                data, src = self.ctl.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            try:
                reply = self.command(data.decode("utf-8", "replace"))
            except Exception as e:  # never let a control datagram kill us
                reply = {"error": str(e)}
            try:
                self.ctl.sendto((json.dumps(reply) + "\n").encode(), src)
            except OSError:
                pass

    def stats(self):
        out = {"maps": []}
        tot = {d: Counters() for d in DIRS}
        for m in self.maps:
            e = {"map": m["name"],
                 "peer": "%s:%d" % m["peer"][:2] if m["peer"] else None}
            for d in DIRS:
                tot[d].add(m["cnt"][d])
                e[d] = dict(m["cnt"][d].c)
            out["maps"].append(e)
        for d in DIRS:
            out[d] = dict(tot[d].c)
            out[d]["settings"] = {k: getattr(self.dirs[d], k)
                                  for k in ("loss", "delay", "jitter", "dup",
                                            "reorder", "reorder_gap")}
            out[d]["settings"]["cut"] = (
                self.dirs[d].outage_until > time.monotonic())
        out["seed"] = self.args.seed
        return out


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="UDP impairment relay (loss, delay, jitter, dup, outages)")
    ap.add_argument("--map", type=parse_map, action="append", required=True,
                    metavar="LISTEN=TARGET",
                    help="relay HOST:PORT=HOST:PORT; repeat for each port")
    ap.add_argument("--loss", type=pair("loss", 0, 100), default=pair("", 0, 0)("0"))
    ap.add_argument("--delay", type=pair("delay", 0, 60000), default=pair("", 0, 0)("0"))
    ap.add_argument("--jitter", type=pair("jitter", 0, 60000), default=pair("", 0, 0)("0"))
    ap.add_argument("--dup", type=pair("dup", 0, 100), default=pair("", 0, 0)("0"))
    ap.add_argument("--reorder", type=pair("reorder", 0, 100),
                    default=pair("", 0, 0)("0"))
    ap.add_argument("--reorder-gap", type=pair("reorder-gap", 0, 60000),
                    default=pair("", 0, 30)("30"), metavar="MS")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--control", type=parse_addr, metavar="HOST:PORT",
                    help="UDP control port")
    ap.add_argument("--usr1-outage", type=float, default=2000.0, metavar="MS")
    ap.add_argument("--duration", type=float, default=60.0, metavar="S",
                    help="stop after this many seconds (default 60, max 86400)")
    args = ap.parse_args(argv)
    if not 0 < args.duration <= MAX_DURATION:
        ap.error("--duration must be in (0, %g]" % MAX_DURATION)
    if not 0 <= args.usr1_outage <= 3600000:
        ap.error("--usr1-outage out of range")

    loop = asyncio.new_event_loop()
    relay = Relay(args, loop)
    try:
        relay.open()
    except OSError as e:
        print("udprelay: cannot bind: %s" % e, file=sys.stderr)
        return 2

    def stop(why):
        if not relay.done.done():
            relay.done.set_result(why)

    loop.add_signal_handler(signal.SIGTERM, stop, "SIGTERM")
    loop.add_signal_handler(signal.SIGINT, stop, "SIGINT")
    loop.add_signal_handler(signal.SIGUSR1, relay.outage, args.usr1_outage, DIRS)
    loop.add_signal_handler(
        signal.SIGUSR2,
        lambda: print(json.dumps(relay.stats()), file=sys.stderr, flush=True))
    loop.call_later(args.duration, stop, "duration")
    print(json.dumps({"ready": [m["name"] for m in relay.maps],
                      "control": "%s:%d" % relay.ctl.getsockname()[:2]
                      if relay.ctl else None}), file=sys.stderr, flush=True)
    why = loop.run_until_complete(relay.done)
    out = relay.stats()
    out["stopped_by"] = why
    relay.close()
    loop.close()
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
