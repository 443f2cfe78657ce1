#!/usr/bin/env python3
"""Judge a received 2x2 tour: every decoded picture, tile by tile.

  tour_check.py VIDEO FPS PAGE PAGE ...   -> JSON summary on stdout
      PAGE: four colour names, comma separated, in tile order (top left,
      top right, bottom left, bottom right), e.g. red,green,blue,magenta

Each picture (decoded at FPS per second) is read at 64x36; each tile's
centre (half its width and height, away from borders and name labels) is
given the nearest colour of media_check.py's table when at least 60 % of
its pixels are near it, else "other". A picture whose four tiles are one of
the PAGEs in order is "good"; anything else (a grey "no video" card, an
empty tile, a smeared or mixed picture) is "bad". Pictures before the first
good one are the warm-up and not judged. A turn is a good picture showing
another page than the good picture before it.

Summary: {"pictures", "judged", "good", "bad": [[t, tiles]...] (first 20),
"turns": [t...], "after_turn": [[t, [tiles of the 3 pictures from t]]...],
"pages_seen": [...]}.
"""
import functools
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from media_check import REF  # noqa: E402

W, H = 64, 36
NEAR = 90.0  # RGB distance counted as "that colour"


@functools.lru_cache(maxsize=65536)
def nearest(px):
    best, bd = None, 1e9
    for name, ref in REF.items():
        d = sum((a - b) ** 2 for a, b in zip(px, ref)) ** 0.5
        if d < bd:
            best, bd = name, d
    return best if bd <= NEAR else "other"


def tiles_of(raw):
    out = []
    for ty in range(2):
        for tx in range(2):
            x0, y0 = tx * W // 2 + W // 8, ty * H // 2 + H // 8
            x1, y1 = x0 + W // 4, y0 + H // 4
            counts = {}
            n = 0
            for y in range(y0, y1):
                for x in range(x0, x1):
                    i = 3 * (y * W + x)
                    c = nearest(bytes(raw[i:i + 3]))
                    counts[c] = counts.get(c, 0) + 1
                    n += 1
            c, k = max(counts.items(), key=lambda kv: kv[1])
            out.append(c if k >= 0.6 * n and c != "other" else "other")
    return out


def main():
    path, fps = sys.argv[1], float(sys.argv[2])
    pages = [p.split(",") for p in sys.argv[3:]]
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", path, "-vf",
         f"fps={fps},scale={W}:{H}:flags=area", "-f", "rawvideo",
         "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    size = W * H * 3
    pics = [tiles_of(raw[k:k + size])
            for k in range(0, len(raw) - size + 1, size)]
    s = {"pictures": len(pics), "judged": 0, "good": 0, "bad": [],
         "turns": [], "after_turn": [], "pages_seen": []}
    last = None
    started = False
    for k, t in enumerate(pics):
        at = round(k / fps, 2)
        page = next((i for i, p in enumerate(pages) if p == t), None)
        if not started and page is None:
            continue
        started = True
        s["judged"] += 1
        if page is None:
            if len(s["bad"]) < 20:
                s["bad"].append([at, t])
            continue
        s["good"] += 1
        if page not in s["pages_seen"]:
            s["pages_seen"].append(page)
        if last is not None and page != last:
            s["turns"].append(at)
            s["after_turn"].append([at, pics[k:k + 3]])
        last = page
    s["bad_total"] = s["judged"] - s["good"]
    json.dump(s, sys.stdout)
    print()


if __name__ == "__main__":
    main()
