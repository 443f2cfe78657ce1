#!/usr/bin/env python3
"""Checks on what an endpoint received, without numpy.

  media_check.py colours VIDEO AT_SECONDS [X0 Y0 X1 Y1]
                                            -> JSON {colour: fraction}
                 (AT_SECONDS < 0: that long before the end; X0..Y1 a
                 region as fractions of the width and height, e.g.
                 0.5 0.5 1 1 the bottom right quarter; default all)
  media_check.py near VIDEO AT_SECONDS R G B [DIST]
                                            -> fraction of the picture
                 within DIST (default 24) of the colour R G B (a card's
                 background, say, that the names below would not tell
                 from black)
  media_check.py tones WAV FROM TO F1 F2 ... -> JSON {freq: amplitude}

Colours are the ffmpeg names the senders use (red, green, blue, yellow,
white, magenta, cyan, orange); a pixel counts for the nearest one within
a distance, else for "other".
"""
import json
import math
import struct
import subprocess
import sys
import wave

REF = {
    "red": (255, 0, 0), "green": (0, 128, 0), "blue": (0, 0, 255),
    "yellow": (255, 255, 0), "white": (255, 255, 255),
    "magenta": (255, 0, 255), "cyan": (0, 255, 255),
    "orange": (255, 165, 0), "purple": (128, 0, 128),
    "gray": (128, 128, 128), "black": (0, 0, 0),
}


def video_span(path):
    """First and last picture times of the first video stream."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "packet=pts_time", "-of", "csv=p=0", path],
        capture_output=True, check=True, text=True).stdout.split()
    t = sorted(float(x) for x in out if x not in ("", "N/A"))
    return (t[0], t[-1]) if t else (0.0, 0.0)


W, H = 160, 90


def picture(path, at):
    """The picture AT seconds in (< 0: before the end), W x H RGB."""
    if at < 0:
        first, last = video_span(path)
        at = max(0.0, last + at - first)
    return subprocess.run(
        # -ss after -i: seconds from the first picture received, decoded
        # from there, so where the key frames fall does not matter.
        ["ffmpeg", "-v", "error", "-i", path, "-ss", str(at), "-frames:v",
         "1", "-vf", f"scale={W}:{H}:flags=neighbor", "-f", "rawvideo",
         "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout


def near(path, at, rgb, dist=24.0):
    raw = picture(path, at)
    n = len(raw) // 3
    hit = sum(1 for i in range(n)
              if sum((raw[3 * i + k] - rgb[k]) ** 2 for k in range(3))
              <= dist ** 2)
    return round(hit / max(n, 1), 4)


def colours(path, at, box=(0.0, 0.0, 1.0, 1.0)):
    w, h = W, H
    x0, y0 = int(round(box[0] * w)), int(round(box[1] * h))
    x1, y1 = int(round(box[2] * w)), int(round(box[3] * h))
    if not (0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h):
        sys.exit("media_check.py: empty or bad region %r" % (box,))
    raw = picture(path, at)
    counts = {}
    n = 0
    for i in range(len(raw) // 3):
        x, y = i % w, i // w
        if not (x0 <= x < x1 and y0 <= y < y1):
            continue
        n += 1
        p = raw[3 * i:3 * i + 3]
        best, dist = "other", 90.0 ** 2
        for name, c in REF.items():
            d = (p[0] - c[0]) ** 2 + (p[1] - c[1]) ** 2 + (p[2] - c[2]) ** 2
            if d < dist:
                best, dist = name, d
        counts[best] = counts.get(best, 0) + 1
    return {k: round(v / max(n, 1), 4) for k, v in counts.items()}


def tones(path, t0, t1, freqs):
    wv = wave.open(path)
    sr, ch = wv.getframerate(), wv.getnchannels()
    wv.setpos(min(int(t0 * sr), wv.getnframes()))
    frames = wv.readframes(max(0, int((t1 - t0) * sr)))
    s = struct.unpack(f"<{len(frames) // 2}h", frames)[::ch]
    out = {}
    for f in freqs:
        w = 2 * math.pi * f / sr
        c = 2 * math.cos(w)
        s1 = s2 = 0.0
        for x in s:
            s1, s2 = x + c * s1 - s2, s1
        p = max(0.0, s1 * s1 + s2 * s2 - c * s1 * s2)
        out[str(f)] = round(2 * math.sqrt(p) / max(len(s), 1), 1)
    return out


def main():
    if sys.argv[1] == "colours":
        box = [float(v) for v in sys.argv[4:8]]
        if len(box) not in (0, 4):
            sys.exit("usage: media_check.py colours VIDEO AT [X0 Y0 X1 Y1]")
        print(json.dumps(colours(sys.argv[2], float(sys.argv[3]),
                                 *([tuple(box)] if box else []))))
    elif sys.argv[1] == "near":
        rgb = [int(v) for v in sys.argv[4:7]]
        dist = float(sys.argv[7]) if len(sys.argv) > 7 else 24.0
        print(near(sys.argv[2], float(sys.argv[3]), rgb, dist))
    elif sys.argv[1] == "tones":
        print(json.dumps(tones(sys.argv[2], float(sys.argv[3]),
                               float(sys.argv[4]),
                               [float(f) for f in sys.argv[5:]])))
    else:
        sys.exit("usage: media_check.py colours|near|tones ...")


if __name__ == "__main__":
    main()
