#!/usr/bin/env python3
"""Seed corpora for fuzz_jbuf, fuzz_audio, fuzz_keys and fuzz_api, the
feedback cases of fuzz_rtcp (fb_*), dialogs for fuzz_sipstack and, for
fuzz_sip, SDP-carrying
messages plus one case of each malformed-SIP class (escaped characters,
long values, bad Content-Length, missing mandatory headers, two bodies,
unknown URI schemes, huge CSeq, LWS folding), written for mcud. Each seed
is one meaningful case (named for it): a normal input, or one with a
single hostile twist. Run from anywhere:
    python3 tests/fuzz/gen_more_seeds.py
It rewrites those files; regression inputs found by fuzzing are kept
beside them as regress_* and are not generated.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(kind, name, data):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- jbuf: [conf] then records [op][seq][ts][time][len] ----------------
SEQ_NEXT, SEQ_DELTA, SEQ_ABS, SEQ_SAME = 0, 1, 2, 3
TS_SAME, TS_FRAME, TS_DELTA, TS_ABS = 0, 4, 8, 12
MARK, TIME, PULL, LEN = 0x10, 0x20, 0x40, 0x80


def rec(seq_mode=SEQ_NEXT, ts_mode=TS_SAME, mark=False, pull=True,
        seq=None, ts=None, ms=None, length=None):
    op = seq_mode | ts_mode | (MARK if mark else 0) | (PULL if pull else 0)
    b = b""
    if seq_mode == SEQ_DELTA:
        b += struct.pack("!b", seq)
    elif seq_mode == SEQ_ABS:
        b += struct.pack("!H", seq & 0xffff)
    if ts_mode == TS_DELTA:
        b += struct.pack("!h", ts)
    elif ts_mode == TS_ABS:
        b += struct.pack("!I", ts & 0xffffffff)
    if ms is not None:
        op |= TIME
        b += bytes([ms])
    if length is not None:
        op |= LEN
        b += bytes([length])
    return bytes([op]) + b


def video_frames(n, per_frame=3, ms=33):
    out = b""
    for f in range(n):
        for i in range(per_frame):
            last = i == per_frame - 1
            out += rec(ts_mode=TS_FRAME if i == 0 else TS_SAME, mark=last,
                       ms=ms if i == 0 else 0)
    return out


def gen_jbuf():
    vid = 0x06  # video, capacity 16<<3 = 128
    aud = 0x01 | 0x04  # audio, capacity 64
    write("jbuf", "video_in_order", bytes([vid]) + video_frames(8))
    # a lost packet in frame 2 (never repaired): NACKs, give-up, key frame
    body = video_frames(2) + rec(ts_mode=TS_FRAME, ms=33) + \
        rec(SEQ_DELTA, seq=2, mark=True) + video_frames(4)
    write("jbuf", "video_loss", bytes([vid]) + body)
    # reordered: second packet of a frame arrives after the third
    body = video_frames(1) + rec(ts_mode=TS_FRAME, ms=33) + \
        rec(SEQ_DELTA, seq=2, mark=True, ms=1) + \
        rec(SEQ_DELTA, seq=-1, ms=1) + video_frames(3)
    write("jbuf", "video_reorder", bytes([vid]) + body)
    # sequence numbers wrap at 65535
    body = rec(SEQ_ABS, TS_FRAME, seq=65533) + video_frames(6)
    write("jbuf", "video_seq_wrap", bytes([vid]) + body)
    # timestamp wraps at 2^32
    body = rec(SEQ_NEXT, TS_ABS, ts=0xffffe000, mark=True) + video_frames(6)
    write("jbuf", "video_ts_wrap", bytes([vid]) + body)
    # a jump far beyond the capacity: stream restart
    body = video_frames(3) + rec(SEQ_ABS, TS_FRAME, seq=40000, mark=True) + \
        video_frames(3)
    write("jbuf", "video_seq_jump", bytes([vid]) + body)
    # a packet from far in the past after release
    body = video_frames(4) + rec(SEQ_DELTA, TS_DELTA, seq=-100, ts=-300,
                                 mark=True) + video_frames(2)
    write("jbuf", "video_stale", bytes([vid]) + body)
    # duplicates
    body = video_frames(1) + rec(SEQ_SAME, mark=True) * 3 + video_frames(2)
    write("jbuf", "video_duplicates", bytes([vid]) + body)
    # a frame larger than the ring (capacity 16)
    body = rec(ts_mode=TS_FRAME) + rec(pull=False) * 40 + rec(mark=True) + \
        video_frames(2)
    write("jbuf", "video_overflow", bytes([0x00]) + body)
    # timestamps going backwards while seqs go forward
    body = video_frames(2) + rec(ts_mode=TS_DELTA, ts=-2000, mark=True,
                                 ms=33) + video_frames(2)
    write("jbuf", "video_ts_backwards", bytes([vid]) + body)
    # audio: steady 20 ms packets, one lost, one late, big payloads
    a = b"".join(rec(ts_mode=TS_FRAME, ms=20) for _ in range(10))
    write("jbuf", "audio_steady", bytes([aud]) + a)
    a = b"".join(rec(ts_mode=TS_FRAME, ms=20) for _ in range(3)) + \
        rec(SEQ_DELTA, TS_DELTA, seq=2, ts=21, ms=40) + \
        b"".join(rec(ts_mode=TS_FRAME, ms=20) for _ in range(5))
    write("jbuf", "audio_loss", bytes([aud]) + a)
    a = b"".join(rec(ts_mode=TS_FRAME, ms=20, length=200) for _ in range(4))
    a += rec(ts_mode=TS_FRAME, ms=250) + rec(ts_mode=TS_FRAME, ms=0)
    write("jbuf", "audio_burst_after_stall", bytes([aud | 0x40]) + a)
    a = rec(SEQ_ABS, TS_ABS, seq=65534, ts=0xfffffc00, ms=20) + \
        b"".join(rec(ts_mode=TS_FRAME, ms=20) for _ in range(5))
    write("jbuf", "audio_wrap_both", bytes([aud]) + a)


# ---- audio: one payload --------------------------------------------------
def gen_audio():
    write("audio", "opus_code0_20ms", bytes([0x78]) + b"\x11" * 60)
    write("audio", "opus_code0_dtx", bytes([0x78]))
    write("audio", "opus_code1_cbr", bytes([0x79]) + b"\x22" * 80)
    write("audio", "opus_code1_odd", bytes([0x79]) + b"\x22" * 81)
    write("audio", "opus_code2_two_byte_len",
          bytes([0x7a, 252, 1]) + b"\x33" * 256 + b"\x44" * 10)
    write("audio", "opus_code2_len_past_end", bytes([0x7a, 200]) + b"\x33" * 20)
    write("audio", "opus_code3_cbr_pad",
          bytes([0xfb, 0x43, 0x02]) + b"\x55" * 30 + b"\0\0")
    write("audio", "opus_code3_vbr",
          bytes([0xfb, 0x83, 10, 20]) + b"\x66" * 45)
    write("audio", "opus_code3_vbr_lens_lie",
          bytes([0xfb, 0x83, 200, 200]) + b"\x66" * 45)
    write("audio", "opus_code3_zero_frames", bytes([0xfb, 0x00]))
    write("audio", "opus_code3_over_120ms", bytes([0x1b, 0x03]) + b"\x77" * 30)
    write("audio", "opus_code3_pad_chain",
          bytes([0xfb, 0x41, 255, 255, 3]) + b"\x01" * 10 + b"\0" * 511)
    write("audio", "opus_silk60_two_frames", bytes([0x5d]))
    write("audio", "g711_20ms", b"\xff" * 160)
    write("audio", "g711_too_long", b"\xd5" * 1601)


# ---- keys: [role] then [key][dt] ----------------------------------------
def keyseq(host, keys, dt=4):
    out = bytes([1 if host else 0])
    for k in keys:
        code = "0123456789*#ABCD".index(k) if k in "0123456789*#ABCD" else ord(k)
        out += bytes([code, dt])
    return out


def gen_keys():
    write("keys", "branch_floor_request", keyseq(False, "*1"))
    write("keys", "branch_withdraw_mute_incident", keyseq(False, "*0*6*9"))
    write("keys", "branch_star_too_slow",
          bytes([0, 10, 4, 1, 61]))  # '*' then '1' 3050 ms later
    write("keys", "host_grant_head", keyseq(True, "1#"))
    write("keys", "host_grant_third", keyseq(True, "13#"))
    write("keys", "host_grant_zero", keyseq(True, "10#"))
    write("keys", "host_layout", keyseq(True, "37#"))
    write("keys", "host_revoke_tour_clear", keyseq(True, "2#4#5#0#"))
    write("keys", "host_spoiled", keyseq(True, "312345678#1#"))
    write("keys", "host_star_aborts", keyseq(True, "3*61#"))
    write("keys", "host_idle_clears",
          bytes([1, 3, 4, 7, 110, 11, 4]))  # 3, 5500 ms, 7 #
    write("keys", "host_letters_void", keyseq(True, "3A1#B#"))
    write("keys", "host_clock_back",
          bytes([1, 10, 4, 9, 0x85]))  # '*', '9' 250 ms earlier
    write("keys", "host_raw_bytes", keyseq(True, "x\x00\xff#"))


# ---- api: [mode] then body ----------------------------------------------
ROUTES = ["start", "stop", "extend", "floor", "layout", "record", "content",
          "mute", "dial", "hangup", "link", "reload"]


def api(route, body, mode=0):
    return bytes([ROUTES.index(route) | mode]) + body.encode()


def gen_api():
    write("api", "extend_ok", api("extend", '{"minutes": 30}'))
    write("api", "extend_range", api("extend", '{"minutes": 1441}'))
    write("api", "extend_float", api("extend", '{"minutes": 1.5}'))
    write("api", "floor_grant", api("floor", '{"action":"grant"}'))
    write("api", "floor_request_no_ep", api("floor", '{"action":"request"}'))
    write("api", "floor_bad_ep",
          api("floor", '{"action":"request","endpoint":"a b"}'))
    write("api", "mute_both", api("mute", '{"audio":true,"video":false}'))
    write("api", "mute_none", api("mute", '{}'))
    write("api", "mute_string", api("mute", '{"audio":"yes"}'))
    write("api", "layout_ok",
          api("layout", '{"role":"branches","layout":"grid-3x3"}'))
    write("api", "layout_unknown",
          api("layout", '{"role":"host","layout":"grid-9x9"}'))
    write("api", "record_on", api("record", '{"on":true}'))
    write("api", "content_file", api("content", '{"file":"/srv/a.mp4"}'))
    write("api", "content_both", api("content", '{"file":"x","stop":true}'))
    write("api", "content_stop_false", api("content", '{"stop":false}'))
    write("api", "duplicate_keys", api("extend", '{"minutes":5,"minutes":6}'))
    write("api", "not_object", api("record", '[true]'))
    write("api", "nul_in_string", api("floor",
          '{"action":"grant\\u0000x","endpoint":"e1"}'))
    write("api", "deep_nesting", api("start", '{"a":' * 200 + '1' + '}' * 200))
    write("api", "truncated_json", api("layout", '{"role":"host","lay'))
    write("api", "text_plain", api("extend", '{"minutes":5}', 0x20))
    write("api", "no_content_type", api("record", '{"on":false}', 0x10))
    write("api", "reload_body_ignored", api("reload", '{"x":1}'))
    write("api", "huge_body", api("start", '{"a":"' + "x" * 66000 + '"}'))
    # raw paths (bit 6; bit 7 = GET)
    write("api", "path_get_meeting", bytes([0xc0]) + b"/api/v1/meetings/m1\n")
    write("api", "path_bad_id", bytes([0xc0]) + b"/api/v1/meetings/a%2Fb\n")
    write("api", "path_long_id",
          bytes([0xc0]) + b"/api/v1/meetings/" + b"m" * 200 + b"\n")
    write("api", "path_view_suffix",
          bytes([0xc0]) + b"/api/v1/meetings/m1/views/.jpg\n")
    write("api", "path_post_on_get", bytes([0x40]) + b"/api/v1/health\n{}")
    write("api", "path_nul", bytes([0xc0]) + b"/api/v1/meetings/m\x001\n")
    write("api", "path_dotdot",
          bytes([0xc0]) + b"/api/v1/meetings/../meetings/m1/participants\n")
    # found by fuzzing: MHD's own answers to an oversized request head
    # (414 in HTML; a head beyond its pool closed unanswered)
    write("api", "regress_uri_too_long", bytes([0x59]) + b"x" * 20000)
    write("api", "regress_head_too_big",
          bytes([0x77]) + b"\x00" * 12000 + b"\n{}")


# ---- rtcp feedback -------------------------------------------------------
def rtcp_hdr(count, pt, words):
    return struct.pack("!BBH", 0x80 | count, pt, words)


def gen_rtcp():
    # NACK for packets the history still holds (36..99) and lost ones
    fci = struct.pack("!HH", 40, 0x8001) + struct.pack("!HH", 98, 0x0003) + \
        struct.pack("!HH", 10, 0xffff)
    nack = rtcp_hdr(1, 205, 2 + len(fci) // 4) + \
        struct.pack("!II", 0x11, 0xabcd) + fci
    write("rtcp", "fb_nack_history", nack)
    # NACK whose BLP wraps past 65535
    fci = struct.pack("!HH", 65530, 0xffff)
    write("rtcp", "fb_nack_wrap", rtcp_hdr(1, 205, 3) +
          struct.pack("!II", 0x11, 0xabcd) + fci)
    # PLI + FIR (seq repeated: a retransmission) + REMB
    pli = rtcp_hdr(1, 206, 2) + struct.pack("!II", 0x22, 0xabcd)
    fir = rtcp_hdr(4, 206, 6) + struct.pack("!II", 0x22, 0) + \
        struct.pack("!IB3x", 0xabcd, 7) + struct.pack("!IB3x", 0xabcd, 7)
    remb = rtcp_hdr(15, 206, 6) + struct.pack("!II", 0x22, 0) + b"REMB" + \
        bytes([2, (5 << 2) | 1]) + struct.pack("!H", 0x2345) + \
        struct.pack("!II", 0xabcd, 0xabce)
    write("rtcp", "fb_pli_fir_remb", pli + fir + remb)
    # REMB with the largest exponent (saturates)
    remb = rtcp_hdr(15, 206, 5) + struct.pack("!II", 0x22, 0) + b"REMB" + \
        bytes([1, 0xff, 0xff, 0xff]) + struct.pack("!I", 0xabcd)
    write("rtcp", "fb_remb_saturated", remb)


# ---- sip: malformed-message classes, written for mcud -------------------
SDP_OFFER = ("v=0\r\no=alice 42 1 IN IP4 198.51.100.7\r\ns=-\r\n"
             "c=IN IP4 198.51.100.7\r\nt=0 0\r\n"
             "m=audio 30000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
             "a=rtpmap:101 telephone-event/8000\r\n"
             "m=video 30002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
             "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n")
SDP_ANSWER = ("v=0\r\no=room 7 1 IN IP4 198.51.100.9\r\ns=-\r\n"
              "c=IN IP4 198.51.100.9\r\nt=0 0\r\n"
              "m=audio 40000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n"
              "m=video 40002 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\n")


def sip_req(method="INVITE", uri="sip:room1@192.0.2.1", headers=None,
            body="", ctype="application/sdp", cl=None, cseq="1 INVITE"):
    h = headers if headers is not None else [
        "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-mcud-1",
        "Max-Forwards: 70",
        "From: \"Branch 3\" <sip:branch3@198.51.100.7>;tag=a1",
        "To: <sip:room1@192.0.2.1>",
        "Call-ID: c0ffee-1@198.51.100.7",
        "CSeq: " + cseq,
        "Contact: <sip:branch3@198.51.100.7:5060>",
    ]
    lines = ["%s %s SIP/2.0" % (method, uri)] + list(h)
    if body and ctype:
        lines.append("Content-Type: " + ctype)
    lines.append("Content-Length: %s" % (len(body.encode()) if cl is None
                                          else cl))
    return "\r\n".join(lines) + "\r\n\r\n" + body


def gen_sip():
    w = lambda n, d: write("sip", n, d)
    w("invite-sdp-offer.sip", sip_req(body=SDP_OFFER))
    w("response-200-sdp.sip",
      "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-out-1\r\n"
      "From: <sip:mcu@192.0.2.1>;tag=m1\r\nTo: <sip:b@198.51.100.9>;tag=b9\r\n"
      "Call-ID: out-1@192.0.2.1\r\nCSeq: 1 INVITE\r\n"
      "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
      % (len(SDP_ANSWER), SDP_ANSWER))
    w("reinvite-hold.sip", sip_req(cseq="2 INVITE",
      body=SDP_OFFER.replace("m=video", "a=sendonly\r\nm=video")))
    # escaped characters in the URI, the user part and a quoted name
    w("esc-uri.sip", sip_req(
        uri="sip:%72oom%31@192.0.2.1;transport=%75dp?Subject=%22x%22",
        headers=["Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK-e1",
                 "Max-Forwards: 70",
                 "From: \"A \\\"quoted\\\" \\\\ name\" <sip:%61%62c@h>;tag=e1",
                 "To: <sip:room%00one@192.0.2.1>",
                 "Call-ID: esc%2Fid@h", "CSeq: 1 INVITE"],
        body=SDP_OFFER))
    # long values: a 4 KiB display name, a 1 KiB tag, 40 Via headers
    vias = ["Via: SIP/2.0/UDP 10.0.%d.1;branch=z9hG4bK-v%d" % (i, i)
            for i in range(40)]
    w("long-values.sip", sip_req(headers=vias + [
        "Max-Forwards: 70",
        "From: \"" + "N" * 4096 + "\" <sip:a@h>;tag=" + "t" * 1024,
        "To: <sip:room1@192.0.2.1>", "Call-ID: long@h", "CSeq: 1 INVITE",
        "Subject: " + "s" * 8000]))
    # Content-Length: longer than the body, shorter, not a number, huge
    w("cl-longer.sip", sip_req(body=SDP_OFFER, cl=len(SDP_OFFER) + 50))
    w("cl-shorter.sip", sip_req(body=SDP_OFFER, cl=20))
    w("cl-not-number.sip", sip_req(body=SDP_OFFER, cl="12abc"))
    w("cl-huge.sip", sip_req(body=SDP_OFFER, cl="99999999999999999999"))
    # mandatory headers missing, one at a time
    base = sip_req(body=SDP_OFFER)
    for hdr in ("Via", "From", "To", "CSeq", "Max-Forwards"):
        w("missing-%s.sip" % hdr.lower(),
          "\r\n".join(l for l in base.split("\r\n")
                       if not l.startswith(hdr + ":")))
    # two bodies: two Content-Length headers; a multipart body whose
    # boundary is never closed, holding an SDP and a DTMF part
    two = sip_req(body=SDP_OFFER).replace(
        "Content-Length:", "Content-Length: 10\r\nContent-Length:", 1)
    w("two-content-length.sip", two)
    mp = ("--b1\r\nContent-Type: application/sdp\r\n\r\n" + SDP_OFFER +
          "--b1\r\nContent-Type: application/dtmf-relay\r\n\r\n"
          "Signal=5\r\nDuration=160\r\n--b2--\r\n")
    w("multipart-open.sip",
      sip_req(body=mp, ctype="multipart/mixed;boundary=b1"))
    # unknown URI schemes in the Request-URI and in To/From
    w("scheme-unknown.sip", sip_req(uri="xmpp:room1@192.0.2.1",
                                    body=SDP_OFFER))
    w("scheme-tel-mailto.sip", sip_req(headers=[
        "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK-s1",
        "Max-Forwards: 70", "From: <tel:+84-28-1234>;tag=s1",
        "To: <mailto:room1@192.0.2.1>", "Call-ID: s1@h",
        "CSeq: 1 INVITE"], body=SDP_OFFER))
    # CSeq past 2^32, negative, and with a method other than the request's
    w("cseq-huge.sip", sip_req(cseq="4294967296 INVITE", body=SDP_OFFER))
    w("cseq-negative.sip", sip_req(cseq="-1 INVITE", body=SDP_OFFER))
    w("cseq-method-mismatch.sip", sip_req(cseq="1 BYE", body=SDP_OFFER))
    # LWS: headers folded over lines, tabs, spaces around the colon
    fold = sip_req(body=SDP_OFFER).replace(
        "From: ", "From :\r\n \t ", 1).replace(
        "Call-ID: ", "Call-ID:\t\r\n  ", 1).replace(
        "Content-Type: application/sdp",
        "Content-Type:\r\n\tapplication/sdp", 1)
    w("lws-folding.sip", fold)
    # INFO with a folded DTMF body content type and a BYE with a body
    w("info-folded-type.sip", sip_req("INFO", cseq="3 INFO",
      ctype="application/dtmf-relay\r\n ;x=1",
      body="Signal= 9\r\nDuration=  250\r\n"))


# ---- sipstack: dialogs through the whole SIP layer ----------------------
def dlg(method, user="room1", cseq=1, body="", ctype="application/sdp",
        tag=True, extra=(), call="d1", branch=None):
    h = ["Via: SIP/2.0/UDP 127.0.0.1:$PORT;rport;branch=z9hG4bK-%s-%s-%d"
         % (call, branch or method.lower(), cseq),
         "Max-Forwards: 70",
         "From: \"Branch\" <sip:branch@127.0.0.1>;tag=f-" + call,
         "To: <sip:%s@127.0.0.1>%s" % (user, ";tag=$TAG" if tag else ""),
         "Call-ID: " + call + "@127.0.0.1",
         "CSeq: %d %s" % (cseq, method),
         "Contact: <sip:branch@127.0.0.1:$PORT>"] + list(extra)
    if body:
        h.append("Content-Type: " + ctype)
    h.append("Content-Length: %d" % len(body.encode()))
    return ("%s sip:%s@127.0.0.1 SIP/2.0\r\n" % (method, user) +
            "\r\n".join(h) + "\r\n\r\n" + body)


def gen_sipstack():
    sep = "\n===\n"
    w = lambda n, *msgs: write("sipstack", n, sep.join(msgs))
    hold = SDP_OFFER.replace("m=video", "a=sendonly\r\nm=video")
    w("dialog_full",
      dlg("INVITE", tag=False, body=SDP_OFFER),
      dlg("ACK"),
      dlg("INFO", cseq=2, ctype="application/dtmf-relay",
          body="Signal=5\r\nDuration=160\r\n"),
      dlg("INVITE", cseq=3, body=hold),
      dlg("ACK", cseq=3),
      dlg("BYE", cseq=4))
    w("dialog_no_common_codec",
      dlg("INVITE", tag=False, call="d2",
          body=SDP_OFFER.replace("PCMU/8000", "AMR/8000")
                        .replace("H264/90000", "H263/90000")),
      dlg("ACK", call="d2", branch="invite"))
    w("dialog_delayed_offer",
      dlg("INVITE", tag=False, call="d3"),
      dlg("ACK", call="d3", body=SDP_ANSWER))
    w("auth_challenge",
      dlg("INVITE", user="alice", tag=False, call="a1", body=SDP_OFFER),
      dlg("ACK", user="alice", call="a1", branch="invite"),
      dlg("INVITE", user="alice", tag=False, call="a1", cseq=2,
          body=SDP_OFFER, extra=[
              'Authorization: Digest username="alice", realm="mcu.test", '
              'nonce="bm90LW91cnM=", uri="sip:alice@127.0.0.1", '
              'response="00000000000000000000000000000000", '
              'algorithm=MD5']))
    w("refused_then_ack",
      dlg("INVITE", user="xroom", tag=False, call="x1", body=SDP_OFFER),
      dlg("ACK", user="xroom", call="x1", branch="invite"))
    w("ringing_cancel",
      dlg("INVITE", user="h1", tag=False, call="c1", body=SDP_OFFER),
      dlg("CANCEL", user="h1", tag=False, call="c1", branch="invite"))
    w("info_outside_dialog",
      dlg("INFO", tag=False, call="o1", ctype="application/dtmf",
          body="#"))
    w("bye_unknown_dialog", dlg("BYE", call="u1"))
    w("update_in_dialog",
      dlg("INVITE", tag=False, call="p1", body=SDP_OFFER),
      dlg("ACK", call="p1"),
      dlg("UPDATE", cseq=2, call="p1", body=hold))


if __name__ == "__main__":
    gen_sipstack()
    gen_sip()
    gen_jbuf()
    gen_audio()
    gen_keys()
    gen_api()
    gen_rtcp()
