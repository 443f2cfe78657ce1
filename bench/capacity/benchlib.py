#!/usr/bin/env python3
"""Helpers shared by bench/capacity, bench/latency and bench/join.

  benchlib.py hist A.prom B.prom NAME [LABEL=VALUE ...]
      Quantiles of a Prometheus histogram over the interval between two
      /metrics snapshots: the bucket deltas B - A of the series whose labels
      match, interpolated linearly inside a bucket (as PromQL's
      histogram_quantile does). Prints JSON: count, p50, p99, max_le (the
      upper bound of the highest non-empty bucket: "max <= this"), mean.

  benchlib.py captable RUN_DIR FPS T PRESET
      The table of a bench/capacity run directory (its n*/row.json).

Everything else is imported by the scripts' inline Python
(sys.path.insert(0, bench/capacity); import benchlib).
"""
import json
import math
import re
import sys

_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prom(path):
    """[(name, {labels}, value)] of a text exposition file."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = _LINE.match(line)
            if not m:
                continue
            labels = dict(_LABEL.findall(m.group(3) or ""))
            try:
                v = float(m.group(4))
            except ValueError:
                continue
            out.append((m.group(1), labels, v))
    return out


def buckets(samples, name, match):
    """{le: cumulative count}, sum and count of the matching series."""
    b, s, c = {}, 0.0, 0.0
    for n, lab, v in samples:
        if any(lab.get(k) != want for k, want in match.items()):
            continue
        if n == name + "_bucket":
            le = math.inf if lab["le"] == "+Inf" else float(lab["le"])
            b[le] = b.get(le, 0.0) + v
        elif n == name + "_sum":
            s += v
        elif n == name + "_count":
            c += v
    return b, s, c


def quantile(q, cum):
    """q-quantile from sorted [(le, cumulative)] (histogram_quantile)."""
    if not cum or cum[-1][1] <= 0:
        return None
    total = cum[-1][1]
    rank = q * total
    prev_le, prev_c = 0.0, 0.0
    for le, c in cum:
        if c >= rank:
            if math.isinf(le):
                return prev_le  # above the last finite bound: a floor
            if c == prev_c:
                return le
            return prev_le + (le - prev_le) * (rank - prev_c) / (c - prev_c)
        prev_le, prev_c = le, c
    return prev_le


def hist_delta(a_path, b_path, name, match):
    sa, sb = parse_prom(a_path), parse_prom(b_path)
    ba, suma, cnta = buckets(sa, name, match)
    bb, sumb, cntb = buckets(sb, name, match)
    les = sorted(bb)
    cum = [(le, bb[le] - ba.get(le, 0.0)) for le in les]
    count = cntb - cnta
    res = {"count": int(count), "p50": None, "p99": None, "max_le": None,
           "mean": (sumb - suma) / count if count > 0 else None,
           "p50_over": False, "p99_over": False}
    if count > 0:
        res["p50"] = quantile(0.50, cum)
        res["p99"] = quantile(0.99, cum)
        # in the +Inf bucket: the value is only "above the last bound"
        finite = [c for le, c in cum if not math.isinf(le)]
        last = finite[-1] if finite else 0.0
        res["p50_over"] = 0.50 * count > last
        res["p99_over"] = 0.99 * count > last
        prev = 0.0
        for le, c in cum:
            if c > prev:
                res["max_le"] = le
            prev = c
        if res["max_le"] is not None and math.isinf(res["max_le"]):
            res["max_le"] = "+Inf"
    return res


def ms(x, over=False):
    """Seconds as milliseconds text; '> X' for a value past the last bound."""
    if x is None:
        return "-"
    if x == "+Inf":
        return "> last bound"
    return ("> %.0f" if over else "%.1f") % (1000 * x)


def cpu_seconds(stat_path_text, hz):
    """utime + stime (s) from the text of /proc/PID/stat."""
    f = stat_path_text.rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / hz


def captable(out, fps, t, preset):
    """The capacity table of a run directory (bench/capacity/run.sh)."""
    import glob, os
    rows = sorted((json.load(open(p)) for p in glob.glob(os.path.join(out, "n*", "row.json"))),
                  key=lambda r: r["n"])
    def f(x, fmt="%.1f"):
        return "-" if x is None else fmt % x
    print("capacity: host tour-4x4 720p, branches host+floor 720p/360p, chaired floor "
          "changing every 20 s, 360p30 in, x264 %s, %d fps out, window %s s" % (preset, fps, t))
    print("| N | conn | real time | out fps (ticks) | skipped (run late) | per encoder group: fps (members) "
          "| video tick late p50 / p99 ms | audio tick late p99 ms, skipped | mcud CPU % | per ep % | RSS MiB | per ep MiB | MiB per added ep "
          "| enc / dec / audio enc | mcu-sim CPU % | sim loss | load |")
    print("| ---: | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |")
    prev = None
    for r in rows:
        slope = None
        if prev and r["rss_mib"] and prev["rss_mib"]:
            slope = (r["rss_mib"] - prev["rss_mib"]) / (r["n"] - prev["n"])
        prev = r
        g = "; ".join("%s %.1f (%d)" % (k, v["fps_mean"], v["n"]) for k, v in r["encoder_fps"].items())
        al = r.get("audio_tick_late") or {}
        print("| %d | %d | %s | %s | %d (%d) | %s | %s / %s | %s, %s | %s | %s | %s | %s | %s | %s / %s / %s | %s | %s | %s |" % (
            r["n"], r["connected"], "yes" if r["realtime"] else "no",
            f(r["out_fps_from_ticks"]), r["video_ticks_skipped"],
            r.get("video_ticks_late", 0), g,
            ms(r["tick_late"]["p50"], r["tick_late"]["p50_over"]),
            ms(r["tick_late"]["p99"], r["tick_late"]["p99_over"]),
            ms(al.get("p99"), al.get("p99_over", False)), r.get("audio_ticks_skipped", "-"),
            f(r["mcud_cpu_pct"], "%.0f"), f(r["mcud_cpu_pct_per_ep"], "%.2f"),
            f(r["rss_mib"], "%.0f"), f(r["rss_mib_per_ep"], "%.2f"), f(slope, "%.2f"),
            r["encoders"], r["decoders"], r["audio_encoders"],
            f(r["sim_cpu_pct"]), r["sim_lost"], "-".join(r["load"])))
    ok = [r["n"] for r in rows if r["realtime"]]
    print("capacity (largest N in real time: every endpoint connected, no skipped "
          "video tick, tick p99 < %.1f ms): %s" % (1000.0 / fps, max(ok) if ok else "none of the N run"))
    print("target: >= 120 endpoints: %s" % ("met" if ok and max(ok) >= 120 else "NOT met"))
    big = rows[-1] if rows else None
    if big and big["rss_mib_per_ep"]:
        print("target: RSS <= 8 MiB per endpoint: %s at N=%d (%.2f MiB per endpoint)" % (
            "met" if big["rss_mib_per_ep"] <= 8 else "NOT met", big["n"], big["rss_mib_per_ep"]))


def main(argv):
    if len(argv) >= 4 and argv[0] == "hist":
        match = dict(a.split("=", 1) for a in argv[4:])
        print(json.dumps(hist_delta(argv[1], argv[2], argv[3], match)))
        return 0
    if len(argv) == 5 and argv[0] == "captable":
        captable(argv[1], int(argv[2]), argv[3], argv[4])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
