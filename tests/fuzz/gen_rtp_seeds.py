#!/usr/bin/env python3
"""Seed corpora for the transport fuzz targets (rtp, rtcp, h264, vp8, dtmf).

Each seed is a small, meaningful case: a valid input of one kind, or a
valid input with one field made to lie. Run from anywhere:
    python3 tests/fuzz/gen_rtp_seeds.py
It rewrites tests/fuzz/corpus/{rtp,rtcp,h264,vp8,dtmf}/.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def rtp(seq, ts, pt=96, m=False, ssrc=0x1234, csrc=(), ext=None, pad=0,
        payload=b"\x01\x02\x03\x04"):
    b0 = 0x80 | (0x20 if pad else 0) | (0x10 if ext is not None else 0) | len(csrc)
    h = struct.pack("!BBHII", b0, (0x80 if m else 0) | pt, seq & 0xffff,
                    ts & 0xffffffff, ssrc)
    for c in csrc:
        h += struct.pack("!I", c)
    if ext is not None:
        prof, data = ext
        h += struct.pack("!HH", prof, len(data) // 4) + data
    body = payload
    if pad:
        body += b"\0" * (pad - 1) + bytes([pad])
    return h + body


def rec1(pkt, step_ms=20):
    """fuzz_rtp stream record: [len:1][step:1][packet]."""
    assert len(pkt) < 256
    return bytes([len(pkt), step_ms]) + pkt


def rec2(payload, end=False, gap=False, newts=False):
    """fuzz_h264/fuzz_vp8 record: [len:2][flags:1][payload]."""
    flags = (1 if end else 0) | (2 if gap else 0) | (4 if newts else 0)
    return struct.pack("!HB", len(payload), flags) + payload


def write(kind, name, data):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gen_rtp():
    one = b"\x10\xaa\x21\xbb\xcc\x00\x00\x00"  # RFC 8285 one-byte, ids 1,2
    two = b"\x05\x03\x01\x02\x03\x00\x09\x00"  # two-byte form
    write("rtp", "plain", rtp(1, 1000))
    write("rtp", "csrc_ext_onebyte", rtp(2, 2000, csrc=(7, 8), ext=(0xBEDE, one)))
    write("rtp", "ext_twobyte", rtp(3, 3000, ext=(0x1000, two)))
    write("rtp", "padding", rtp(4, 4000, pad=4))
    write("rtp", "pad_too_long", rtp(5, 5000, pad=4)[:-1] + b"\x40")
    write("rtp", "ext_len_overflow", rtp(6, 6000, ext=(0xBEDE, one))[:16] + b"\xff\xff")
    write("rtp", "csrc_overflow", b"\x8f\x60" + b"\0" * 30)
    write("rtp", "bad_version", b"\x40" + rtp(7, 7000)[1:])
    write("rtp", "rtcp_range", b"\x80\xc8" + b"\0" * 10)
    # streams: reorder, loss, wrap, duplicate, restart
    s = b"".join(rec1(rtp(65533 + i, 3000 * i, m=True)) for i in (0, 2, 1, 3, 5, 6, 6))
    write("rtp", "stream_reorder_wrap", s)
    s = b"".join(rec1(rtp(i, 3000 * (i // 3), m=(i % 3 == 2)), 5) for i in range(30) if i != 10)
    write("rtp", "stream_frames_loss", s + rec1(rtp(40000, 1, m=True), 250))
    s = b"".join(rec1(rtp(i, 960 * i, pt=111), 20 + (i % 3) * 10) for i in range(40) if i % 7)
    write("rtp", "stream_audio_gaps", s)


def rtcp_hdr(count, pt, body):
    return struct.pack("!BBH", 0x80 | count, pt, len(body) // 4) + body


def rb(ssrc=11, frac=25, lost=3, ext=70000, jit=33, lsr=0xaabbccdd, dlsr=65536):
    return struct.pack("!IB", ssrc, frac) + lost.to_bytes(3, "big", signed=True) + \
        struct.pack("!IIII", ext, jit, lsr, dlsr)


def gen_rtcp():
    sr = rtcp_hdr(1, 200, struct.pack("!IIIIII", 1, 0xe0000000, 0x80000000, 4242, 10, 1234) + rb())
    rr = rtcp_hdr(2, 201, struct.pack("!I", 2) + rb() + rb(12, lost=-1))
    cname = b"mcu@city"
    chunk = struct.pack("!I", 1) + bytes([1, len(cname)]) + cname + b"\0"
    chunk += b"\0" * (-len(chunk) % 4)
    sdes = rtcp_hdr(1, 202, chunk)
    bye = rtcp_hdr(1, 203, struct.pack("!I", 1) + b"\x03bye")
    nack = rtcp_hdr(1, 205, struct.pack("!IIHH", 1, 9, 100, 0x8011))
    pli = rtcp_hdr(1, 206, struct.pack("!II", 1, 9))
    fir = rtcp_hdr(4, 206, struct.pack("!IIIB3x", 1, 0, 77, 3))
    remb = rtcp_hdr(15, 206, struct.pack("!II4sBBH", 1, 0, b"REMB", 1, (3 << 2) | 1, 0x2345)
                    + struct.pack("!I", 5))
    app = rtcp_hdr(0, 204, struct.pack("!I4s", 1, b"name") + b"data")
    write("rtcp", "sr_sdes", sr + sdes)
    write("rtcp", "rr_two_blocks", rr + sdes)
    write("rtcp", "feedback_all", rr + nack + pli + fir + remb)
    write("rtcp", "bye_reason", rr + bye)
    write("rtcp", "app", sr + app)
    write("rtcp", "rr_count_lies", rtcp_hdr(5, 201, struct.pack("!I", 2) + rb()))
    write("rtcp", "length_past_end", sr[:2] + b"\x00\x40" + sr[4:])
    write("rtcp", "sdes_item_overflow", rtcp_hdr(1, 202, struct.pack("!I", 1) + b"\x01\xff" + b"ab"))
    write("rtcp", "padding_last", b"\xa0" + rr[1:2] + struct.pack("!H", len(rr) // 4) + rr[4:] + b"\0\0\0\x04")
    write("rtcp", "remb_count_lies", rtcp_hdr(15, 206, struct.pack("!II4sBBH", 1, 0, b"REMB", 9, 0, 0)))


def nal(t, n, nri=3):
    return bytes([(nri << 5) | t]) + bytes((i * 7 + 5) % 251 + 4 for i in range(n - 1))


def fu_a(n, size, first, last):
    hdr = bytes([(n[0] & 0xe0) | 28, (0x80 if first else 0) | (0x40 if last else 0) | (n[0] & 0x1f)])
    return hdr + size


def fragments(n, room):
    data = n[1:]
    chunks = [data[i:i + room] for i in range(0, len(data), room)]
    return [fu_a(n, c, i == 0, i == len(chunks) - 1) for i, c in enumerate(chunks)]


def gen_h264():
    sps, pps, idr, p = nal(7, 12), nal(8, 4), nal(5, 900), nal(1, 300, 2)
    stap = bytes([0x78]) + b"".join(struct.pack("!H", len(x)) + x for x in (sps, pps))
    write("h264", "single_nals", b"\x01" + rec2(sps) + rec2(pps) + rec2(idr, end=True))
    write("h264", "stap_then_idr", b"\x01" + rec2(stap) + rec2(idr, end=True)
          + rec2(p, end=True, newts=True))
    frags = fragments(idr, 300)
    write("h264", "fu_a", b"\x11" + b"".join(rec2(f, end=(i == len(frags) - 1)) for i, f in enumerate(frags)))
    write("h264", "fu_a_missing_middle", b"\x11" + b"".join(
        rec2(f, end=(i == len(frags) - 1), gap=(i == 2)) for i, f in enumerate(frags) if i != 1))
    write("h264", "fu_a_missing_start", b"\x01" + b"".join(rec2(f, end=(i == len(frags) - 1)) for i, f in enumerate(frags[1:], 1)))
    write("h264", "fu_a_missing_end", b"\x01" + b"".join(rec2(f) for f in frags[:-1]) + rec2(p, end=True, newts=True))
    write("h264", "mode0_single", b"\x00" + rec2(sps) + rec2(pps) + rec2(nal(5, 200), end=True))
    write("h264", "mode0_refuses_fu", b"\x00" + b"".join(rec2(f, end=(i == len(frags) - 1)) for i, f in enumerate(frags)))
    write("h264", "stap_len_lies", b"\x01" + rec2(bytes([0x78, 0, 50]) + sps, end=True))
    write("h264", "forbidden_bit", b"\x01" + rec2(bytes([0x85]) + idr[1:], end=True))


def vp8_frame(n, key):
    f = bytearray((i * 7 + 3) % 256 for i in range(n))
    f[0] = 0x10 if key else 0x11
    if key:
        f[3:10] = bytes([0x9d, 0x01, 0x2a, 640 & 255, 640 >> 8, 360 & 255, 360 >> 8])
    return bytes(f)


def vp8_desc(s, pid=0, picid=None, tl0=None, tid=None, keyidx=None):
    x = picid is not None or tl0 is not None or tid is not None or keyidx is not None
    b = bytes([(0x80 if x else 0) | (0x10 if s else 0) | pid])
    if x:
        b += bytes([(0x80 if picid is not None else 0) | (0x40 if tl0 is not None else 0)
                    | (0x20 if tid is not None else 0) | (0x10 if keyidx is not None else 0)])
        if picid is not None:
            b += struct.pack("!H", 0x8000 | picid) if picid > 127 else bytes([picid])
        if tl0 is not None:
            b += bytes([tl0])
        if tid is not None or keyidx is not None:
            b += bytes([((tid or 0) << 6) | (keyidx or 0)])
    return b


def split(frame, room, **kw):
    chunks = [frame[i:i + room] for i in range(0, len(frame), room)]
    return [vp8_desc(i == 0, **kw) + c for i, c in enumerate(chunks)]


def gen_vp8():
    key, delta = vp8_frame(2500, True), vp8_frame(700, False)
    pk = split(key, 1000, picid=300, tl0=5)
    write("vp8", "key_three_packets", b"\x40" + b"".join(rec2(p, end=(i == len(pk) - 1)) for i, p in enumerate(pk)))
    write("vp8", "delta_no_x", b"\x40" + rec2(vp8_desc(True) + delta, end=True))
    write("vp8", "picid7_tid_keyidx", b"\x40" + rec2(vp8_desc(True, picid=5, tid=2, keyidx=7) + delta, end=True))
    write("vp8", "first_packet_lost", b"\x40" + b"".join(rec2(p, end=(i == len(pk) - 1)) for i, p in enumerate(pk) if i))
    write("vp8", "gap_inside", b"\x40" + b"".join(rec2(p, end=(i == len(pk) - 1), gap=(i == 2)) for i, p in enumerate(pk) if i != 1))
    write("vp8", "desc_truncated", b"\x40" + rec2(b"\x90\x80", end=True))
    write("vp8", "bad_startcode", b"\x40" + rec2(vp8_desc(True) + b"\x10\x00\x00\x00\x00\x00" + b"\0" * 10, end=True))
    write("vp8", "two_frames", b"\x08" + b"".join(rec2(p, end=(i == len(pk) - 1)) for i, p in enumerate(pk))
          + rec2(vp8_desc(True, picid=301) + delta, end=True, newts=True))


def ev(event, end, dur, vol=10):
    return struct.pack("!BBH", event, (0x80 if end else 0) | vol, dur)


def drec(dts, payload):
    return bytes([dts, len(payload)]) + payload


def gen_dtmf():
    press = drec(10, ev(5, False, 160)) + drec(0, ev(5, False, 320)) + \
        b"".join(drec(0, ev(5, True, 800)) for _ in range(3))
    write("dtmf", "press_5", press)
    write("dtmf", "digits_0_to_D", b"".join(drec(100, ev(e, False, 160)) + drec(0, ev(e, True, 800)) for e in range(16)))
    write("dtmf", "end_only", drec(5, ev(11, True, 640)) * 3)
    write("dtmf", "long_press", drec(1, ev(1, False, 0xfff0)) + drec(0, ev(1, False, 0xffff)) + drec(255, ev(1, True, 400)))
    write("dtmf", "flash_event", drec(3, ev(16, False, 160)) + drec(0, ev(16, True, 320)))
    write("dtmf", "short_payload", drec(3, b"\x01\x00"))
    write("dtmf", "opus_code0", drec(0, bytes([31 << 3]) + b"\x55" * 60))
    write("dtmf", "opus_code3_vbr_pad", drec(0, bytes([19 << 3 | 3, 0xc3, 2, 4, 6]) + b"\0" * 17))
    write("dtmf", "opus_code2", drec(0, bytes([16 << 3 | 2, 5]) + b"\x11" * 12))
    write("dtmf", "g711_20ms", drec(0, b"\xff" * 160))


if __name__ == "__main__":
    gen_rtp()
    gen_rtcp()
    gen_h264()
    gen_vp8()
    gen_dtmf()
