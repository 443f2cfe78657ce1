#!/usr/bin/env python3
"""Helpers shared by bench/capacity, bench/latency and bench/join.

  benchlib.py hist A.prom B.prom NAME [LABEL=VALUE ...]
      Quantiles of a Prometheus histogram over the interval between two
      /metrics snapshots: the bucket deltas B - A of the series whose labels
      match, interpolated linearly inside a bucket (as PromQL's
      histogram_quantile does). Prints JSON: count, p50, p99, max_le (the
      upper bound of the highest non-empty bucket: "max <= this"), mean.

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
           "mean": (sumb - suma) / count if count > 0 else None}
    if count > 0:
        res["p50"] = quantile(0.50, cum)
        res["p99"] = quantile(0.99, cum)
        prev = 0.0
        for le, c in cum:
            if c > prev:
                res["max_le"] = le
            prev = c
        if res["max_le"] is not None and math.isinf(res["max_le"]):
            res["max_le"] = "+Inf"
    return res


def cpu_seconds(stat_path_text, hz):
    """utime + stime (s) from the text of /proc/PID/stat."""
    f = stat_path_text.rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / hz


def main(argv):
    if len(argv) >= 4 and argv[0] == "hist":
        match = dict(a.split("=", 1) for a in argv[4:])
        print(json.dumps(hist_delta(argv[1], argv[2], argv[3], match)))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
