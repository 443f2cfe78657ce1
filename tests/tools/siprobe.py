#!/usr/bin/env python3
"""Hand-made SIP requests for the integration tests where sipp cannot do
the job: messages that must reach the MCU in one write, malformed
requests, and SIP over TLS (the Debian sipp is built without TLS).

  siprobe.py cancel  --target H:P --from U --to M [--proto tcp|udp]
      INVITE and CANCEL in one write (TCP: one segment), then ACK for the
      INVITE's final response. Prints "cancel=<status> invite=<status>".
  siprobe.py unknown --target H:P [--proto udp|tcp]
      CANCEL and BYE for a dialog that does not exist.
      Prints "cancel=<status> bye=<status>".
  siprobe.py raw     --target H:P [--proto udp|tcp] FILE...
      Sends each FILE's bytes (placeholders LOCAL, LPORT, BRANCH, CALLID filled
      in, a Via of SIP/2.0/UDP made the --proto's); prints the status of the first final response, "not-sip" when
      what came back is no SIP response, or "none" when nothing came
      within --wait seconds; with several files one "NAME RESULT" line
      each. An INVITE answered 2xx is ACKed and BYEd.
  siprobe.py auth    --target H:P --from U --to M --user U --password P
                     [--digest-uri URI]
      INVITE, 401, INVITE with a digest computed for URI (default the
      Request-URI). Prints "challenge=<status> final=<status>".
  siprobe.py call    --target H:P --from U --to M --proto tls|tcp|udp
      INVITE (audio+video offer), 200 with an answer, ACK, BYE.
      Prints "invite=<status> bye=<status> audio=<port> video=<port>".

Every wait is bounded (--wait, default 5 s); exit status 0 whenever the
exchange could be run, the caller judges the printed figures.
"""
import argparse
import os
import random
import re
import socket
import ssl
import sys
import time


def rand(n=10):
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                   for _ in range(n))


class Conn:
    """One transport to the MCU; yields whole SIP messages."""

    def __init__(self, proto, host, port, wait):
        self.proto = proto
        self.wait = wait
        self.buf = b""
        if proto == "udp":
            self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.s.bind(("127.0.0.1", 0))
            self.s.connect((host, port))
        else:
            s = socket.create_connection((host, port), timeout=wait)
            if proto == "tls":
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                # SIPROBE_TLS_CA: verify the MCU's certificate and host;
                # SIPROBE_TLS_CERT/KEY: present a client certificate.
                ca = os.environ.get("SIPROBE_TLS_CA")
                if ca:
                    ctx.load_verify_locations(ca)
                else:
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE  # self-signed cert
                cert = os.environ.get("SIPROBE_TLS_CERT")
                if cert:
                    ctx.load_cert_chain(cert,
                                        os.environ.get("SIPROBE_TLS_KEY"))
                s = ctx.wrap_socket(s, server_hostname=host)
            self.s = s
        self.local = self.s.getsockname()

    def send(self, data):
        if self.proto == "udp":
            self.s.send(data)
        else:
            self.s.sendall(data)

    def _one_from_buf(self):
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buf[:end].decode("utf-8", "replace")
        m = re.search(r"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
        n = int(m.group(1)) if m else 0
        if len(self.buf) < end + 4 + n:
            return None
        msg = self.buf[:end + 4 + n]
        self.buf = self.buf[end + 4 + n:]
        return msg.decode("utf-8", "replace")

    def recv(self, deadline):
        """The next message, or None at the deadline."""
        while True:
            if self.proto != "udp":
                m = self._one_from_buf()
                if m is not None:
                    return m
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                data = self.s.recv(65536)
            except (socket.timeout, ssl.SSLError, OSError):
                return None
            if not data:
                return None
            if self.proto == "udp":
                return data.decode("utf-8", "replace")
            self.buf += data


def status_of(msg):
    m = re.match(r"SIP/2\.0 (\d{3})", msg)
    return int(m.group(1)) if m else 0


def header(msg, name):
    m = re.search(r"(?im)^%s\s*:\s*(.*?)\r?$" % re.escape(name), msg)
    return m.group(1).strip() if m else ""


def cseq_method(msg):
    return header(msg, "CSeq").split()[-1].upper() if header(msg, "CSeq") \
        else ""


SDP = ("v=0\r\no=probe 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
       "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
       "m=video 6002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
       "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n")


def request(method, ruri, via, frm, to, call_id, cseq, contact=None,
            body="", extra=""):
    lines = [f"{method} {ruri} SIP/2.0", f"Via: {via}", f"From: {frm}",
             f"To: {to}", f"Call-ID: {call_id}", f"CSeq: {cseq} {method}",
             "Max-Forwards: 70"]
    if contact:
        lines.append(f"Contact: {contact}")
    if extra:
        lines.append(extra)
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


class Dialog:
    def __init__(self, c, a):
        self.c, self.a = c, a
        lh, lp = c.local[0], c.local[1]
        self.tp = {"udp": "UDP", "tcp": "TCP", "tls": "TLS"}[a.proto]
        self.sch = "sips" if a.proto == "tls" else "sip"
        self.ruri = f"{self.sch}:{a.to}@{a.target}" + \
            ("" if a.proto in ("udp", "tls") else ";transport=tcp")
        self.frm = f"<sip:{a.from_user}@{lh}>;tag={rand()}"
        self.to = f"<sip:{a.to}@{a.target}>"
        self.call_id = rand(16) + "@probe"
        self.branch = "z9hG4bK" + rand()
        self.via_host = f"{lh}:{lp}"
        self.contact = f"<{self.sch}:{a.from_user}@{lh}:{lp}" + \
            (";transport=tcp>" if a.proto == "tcp" else ">")

    def via(self, branch=None):
        return (f"SIP/2.0/{self.tp} {self.via_host};branch="
                f"{branch or self.branch};rport")

    def invite(self):
        return request("INVITE", self.ruri, self.via(), self.frm, self.to,
                       self.call_id, 1, self.contact, SDP)

    def ack(self, to, branch=None):
        return request("ACK", self.ruri, self.via(branch), self.frm, to,
                       self.call_id, 1)


def final_for(c, deadline, method, seen):
    """Read until a final response for `method`; collect all statuses."""
    while True:
        m = c.recv(deadline)
        if m is None:
            return None
        st = status_of(m)
        if st:
            seen.append((st, cseq_method(m)))
            if st >= 200 and cseq_method(m) == method:
                return m


def do_cancel(a):
    c = Conn(a.proto, *hp(a.target), a.wait)
    d = Dialog(c, a)
    cancel = request("CANCEL", d.ruri, d.via(), d.frm, d.to, d.call_id, 1)
    c.send(d.invite() + cancel if a.proto != "udp" else d.invite())
    if a.proto == "udp":
        c.send(cancel)
    deadline = time.monotonic() + a.wait
    seen = []
    inv = None
    while time.monotonic() < deadline and (
            inv is None or not any(s[1] == "CANCEL" and s[0] >= 200
                                   for s in seen)):
        m = c.recv(deadline)
        if m is None:
            break
        st = status_of(m)
        if not st:
            continue
        seen.append((st, cseq_method(m)))
        if st >= 200 and cseq_method(m) == "INVITE":
            inv = m
    cst = next((s for s, meth in seen if meth == "CANCEL" and s >= 200), 0)
    ist = status_of(inv) if inv else 0
    if inv and ist >= 300:
        c.send(d.ack(header(inv, "To")))
    elif inv:  # answered before the CANCEL: ACK in the dialog and BYE
        to = header(inv, "To")
        c.send(request("ACK", d.ruri, d.via("z9hG4bK" + rand()), d.frm, to,
                       d.call_id, 1))
        c.send(request("BYE", d.ruri, d.via("z9hG4bK" + rand()), d.frm, to,
                       d.call_id, 2))
        final_for(c, time.monotonic() + a.wait, "BYE", [])
    print(f"cancel={cst} invite={ist}")


def do_unknown(a):
    c = Conn(a.proto, *hp(a.target), a.wait)
    d = Dialog(c, a)
    out = {}
    cancel = request("CANCEL", d.ruri, d.via(), d.frm, d.to, d.call_id, 1)
    c.send(cancel)
    m = final_for(c, time.monotonic() + a.wait, "CANCEL", [])
    out["cancel"] = status_of(m) if m else 0
    to = d.to + ";tag=" + rand()
    bye = request("BYE", d.ruri, d.via("z9hG4bK" + rand()), d.frm, to,
                  rand(16) + "@probe", 2)
    c.send(bye)
    m = final_for(c, time.monotonic() + a.wait, "BYE", [])
    out["bye"] = status_of(m) if m else 0
    print(" ".join(f"{k}={v}" for k, v in out.items()))


def raw_one(a, path):
    """Send one file; returns (result, the final response or "")."""
    data = open(path, "rb").read()
    if a.skip_line:
        data = data.split(b"\n", 1)[1]
    if a.proto != "udp":
        data = data.replace(b"SIP/2.0/UDP", b"SIP/2.0/" + a.proto.upper().encode())
    c = Conn(a.proto, *hp(a.target), a.wait)
    lh, lp = c.local
    # Placeholders: LOCAL the sender's address, LPORT its port alone,
    # BRANCH/CALLID fresh per run (repeated ones would be merged
    # requests: 482).
    data = data.replace(b"LOCAL", f"{lh}:{lp}".encode())
    data = data.replace(b"LPORT", str(lp).encode())
    data = data.replace(b"BRANCH", ("z9hG4bK" + rand()).encode())
    data = data.replace(b"CALLID", (rand(16) + "@probe").encode())
    c.send(data)
    deadline = time.monotonic() + a.wait
    while True:  # skip provisional responses
        m = c.recv(deadline)
        if m is None:
            return "none", ""
        st = status_of(m)
        if not st:
            return "not-sip", m
        if st >= 200:
            break
    if st < 300 and cseq_method(m) == "INVITE":  # do not leave it up
        to = header(m, "To")
        via = header(m, "Via")
        cid = header(m, "Call-ID")
        frm = header(m, "From")
        ruri = data.split(b" ")[1].decode()
        c.send(request("ACK", ruri, via, frm, to, cid, 1))
        c.send(request("BYE", ruri, via.replace("branch=", "branch=z9hG4bKb"),
                       frm, to, cid, 2))
        final_for(c, time.monotonic() + a.wait, "BYE", [])
    return str(st), m


def do_raw(a):
    for path in a.files:
        got, m = raw_one(a, path)
        if len(a.files) > 1:
            print(path.rsplit("/", 1)[-1], got, flush=True)
        else:
            print(got)
        if a.show:
            sys.stderr.write(repr(m) + "\n")
        if a.save:
            name = path.rsplit("/", 1)[-1]
            with open(f"{a.save}/{name}.{a.proto}", "w") as f:
                f.write(m)


def do_call(a):
    c = Conn(a.proto, *hp(a.target), a.wait)
    d = Dialog(c, a)
    c.send(d.invite())
    inv = final_for(c, time.monotonic() + a.wait, "INVITE", [])
    ist = status_of(inv) if inv else 0
    res = {"invite": ist, "bye": 0, "audio": 0, "video": 0}
    if inv and ist < 300:
        ma = re.search(r"(?m)^m=audio (\d+) ", inv)
        mv = re.search(r"(?m)^m=video (\d+) ", inv)
        res["audio"] = int(ma.group(1)) if ma else 0
        res["video"] = int(mv.group(1)) if mv else 0
        to = header(inv, "To")
        c.send(request("ACK", d.ruri, d.via("z9hG4bK" + rand()), d.frm, to,
                       d.call_id, 1))
        time.sleep(a.hold)
        c.send(request("BYE", d.ruri, d.via("z9hG4bK" + rand()), d.frm, to,
                       d.call_id, 2))
        m = final_for(c, time.monotonic() + a.wait, "BYE", [])
        res["bye"] = status_of(m) if m else 0
    elif inv:
        c.send(d.ack(header(inv, "To")))
    print(" ".join(f"{k}={v}" for k, v in res.items()))


def do_auth(a):
    """INVITE, 401, INVITE again with a digest (MD5, qop auth) computed
    for --digest-uri (default: the Request-URI)."""
    import hashlib
    c = Conn(a.proto, *hp(a.target), a.wait)
    d = Dialog(c, a)
    c.send(d.invite())
    m = final_for(c, time.monotonic() + a.wait, "INVITE", [])
    first = status_of(m) if m else 0
    if first != 401:
        print(f"challenge={first} final=0")
        return
    c.send(d.ack(header(m, "To")))
    ch = header(m, "WWW-Authenticate")
    realm = re.search(r'realm="([^"]*)"', ch).group(1)
    nonce = re.search(r'nonce="([^"]*)"', ch).group(1)
    uri = a.digest_uri or d.ruri
    md5 = lambda x: hashlib.md5(x.encode()).hexdigest()
    ha1 = md5(f"{a.user}:{realm}:{a.password}")
    ha2 = md5(f"INVITE:{uri}")
    cnonce, nc = rand(8), "00000001"
    resp = md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
    auth = (f'Authorization: Digest username="{a.user}", realm="{realm}", '
            f'nonce="{nonce}", uri="{uri}", response="{resp}", '
            f'algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"')
    d.branch = "z9hG4bK" + rand()
    c.send(request("INVITE", d.ruri, d.via(), d.frm, d.to, d.call_id, 2,
                   d.contact, SDP, extra=auth))
    m = final_for(c, time.monotonic() + a.wait, "INVITE", [])
    st = status_of(m) if m else 0
    to = header(m, "To") if m else d.to
    if st >= 300:
        c.send(request("ACK", d.ruri, d.via(), d.frm, to, d.call_id, 2))
    elif st:
        c.send(request("ACK", d.ruri, d.via("z9hG4bK" + rand()), d.frm, to,
                       d.call_id, 2))
        c.send(request("BYE", d.ruri, d.via("z9hG4bK" + rand()), d.frm, to,
                       d.call_id, 3))
        final_for(c, time.monotonic() + a.wait, "BYE", [])
    print(f"challenge={first} final={st}")


def hp(s):
    h, _, p = s.rpartition(":")
    return h, int(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["cancel", "unknown", "raw", "call",
                                    "auth"])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--target", required=True)
    ap.add_argument("--proto", default="udp",
                    choices=["udp", "tcp", "tls"])
    ap.add_argument("--from", dest="from_user", default="probe")
    ap.add_argument("--to", default="t")
    ap.add_argument("--wait", type=float, default=5.0)
    ap.add_argument("--hold", type=float, default=1.0)
    ap.add_argument("--user", default="")
    ap.add_argument("--password", default="")
    ap.add_argument("--digest-uri", default="",
                    help="auth: the uri the digest is computed for")
    ap.add_argument("--show", action="store_true",
                    help="raw: the response on stderr")
    ap.add_argument("--save", default="",
                    help="raw: each response into DIR/NAME.PROTO")
    ap.add_argument("--skip-line", action="store_true",
                    help="raw: the file's first line is no part of it")
    a = ap.parse_intermixed_args()
    {"cancel": do_cancel, "unknown": do_unknown, "raw": do_raw,
     "call": do_call, "auth": do_auth}[a.cmd](a)


if __name__ == "__main__":
    main()
