#!/usr/bin/env python3
"""Write a test roster: one meeting, live now, whose endpoints are static
RTP legs on loopback. Times are written in the roster's time zone.

  mkroster.py --base 41000 --legs h264/opus,vp8/g722,... [--floor open]
              [--host-layout grid-2x2] [--branch-layout host+floor]
              [--bandwidth 1000] [--sip-port P] [--api-port P]
              [--sip-branches N [--sip-auth PASSWORD_FILE]] [--sip-tcp]
              [--tls-port P --tls-cert PEM --tls-key PEM]
              [--technicians] [--start-minute T --minutes N]
              [--test-run T [--test-run-minutes N]] > roster.yaml

Leg i: the MCU listens on base+500+10*i (video; audio +2) and sends to
base+10*i (video; audio +2). Leg 0 is the host. With --technicians each
leg i gets a technician contact "Kỹ thuật viên i", phone "0900 000 00i"
(incident log lines and events name it).
"""
import argparse
import os
import datetime
import zoneinfo

PT = {"h264": 96, "vp8": 97, "opus": 111, "g722": 9, "pcmu": 0, "pcma": 8}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=int, required=True)
    ap.add_argument("--legs", required=True,
                    help="comma list of video/audio codecs, one per leg")
    ap.add_argument("--floor", default="open")
    ap.add_argument("--host-layout", default="grid-2x2")
    ap.add_argument("--branch-layout", default="host+floor")
    ap.add_argument("--bandwidth", type=int, default=1000)
    ap.add_argument("--tour-seconds", type=int, default=10)
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--preset", default="ultrafast")
    ap.add_argument("--sip-port", type=int, default=0)
    ap.add_argument("--api-port", type=int, default=0)
    ap.add_argument("--tz", default="Asia/Ho_Chi_Minh")
    ap.add_argument("--token-file", default="")
    ap.add_argument("--sip-branches", type=int, default=0,
                    help="also N SIP endpoints sip1.. (sip:sipN@127.0.0.1)")
    ap.add_argument("--sip-auth", default="",
                    help="password file: SIP endpoint sipN gets digest auth"
                         " as user sipN with this password")
    ap.add_argument("--sip-tcp", action="store_true",
                    help="listen for SIP over TCP too (same port)")
    ap.add_argument("--tls-port", type=int, default=0,
                    help="also listen for SIP over TLS on this port")
    ap.add_argument("--start-minute", default="",
                    help="meeting t starts at this HH:MM today (or the "
                         "roster's date-time) instead of 5 minutes ago")
    ap.add_argument("--minutes", type=int, default=0,
                    help="with --start-minute: its length (default 60)")
    ap.add_argument("--no-meeting", action="store_true",
                    help="no meetings: section (ad-hoc meetings come later)")
    ap.add_argument("--dial", default="in", choices=["in", "out"],
                    help="meeting t's dial mode (default in)")
    ap.add_argument("--rtp-ports", default="40000-49999",
                    help="mcu.rtp.ports, the SIP/WebRTC legs' RTP range")
    ap.add_argument("--sip-ports", default="",
                    help="comma list: sipN's URI gets the Nth port "
                         "(where dial-out calls it)")
    ap.add_argument("--tls-cert", default="")
    ap.add_argument("--tls-key", default="")
    ap.add_argument("--technicians", action="store_true",
                    help="give each leg a technician contact")
    ap.add_argument("--test-run-now", action="store_true",
                    help="meeting t starts in 2 days; its test_run window "
                         "is from 5 minutes ago for --minutes (default 60)")
    ap.add_argument("--test-run", default="",
                    help="meeting t's test_run window starts at this "
                         "YYYY-MM-DDTHH:MM (roster time zone)")
    ap.add_argument("--test-run-minutes", type=int, default=1,
                    help="with --test-run: the window's length")
    a = ap.parse_args()
    if a.tls_port and not (a.tls_cert and a.tls_key):
        ap.error("--tls-port needs --tls-cert and --tls-key")

    tz = zoneinfo.ZoneInfo(a.tz)
    now = datetime.datetime.now(tz)
    fmt = "%Y-%m-%dT%H:%M"
    start = (now - datetime.timedelta(minutes=5)).strftime(fmt)
    end = (now + datetime.timedelta(minutes=60)).strftime(fmt)
    if a.start_minute:
        t0 = datetime.datetime.strptime(a.start_minute, fmt).replace(tzinfo=tz)
        start = t0.strftime(fmt)
        end = (t0 + datetime.timedelta(minutes=a.minutes or 60)).strftime(fmt)
    test_run = ""
    if a.test_run_now:
        tr0 = now - datetime.timedelta(minutes=5)
        tr1 = now + datetime.timedelta(minutes=a.minutes or 60)
        test_run = (f"    test_run: {{start: {tr0.strftime(fmt)},"
                    f" end: {tr1.strftime(fmt)}}}")
        start = (now + datetime.timedelta(days=2)).strftime(fmt)
        end = (now + datetime.timedelta(days=2, hours=1)).strftime(fmt)
    if a.test_run:
        tr0 = datetime.datetime.strptime(a.test_run, fmt).replace(tzinfo=tz)
        tr1 = tr0 + datetime.timedelta(minutes=a.test_run_minutes)
        test_run = (f"    test_run: {{start: {tr0.strftime(fmt)},"
                    f" end: {tr1.strftime(fmt)}}}")
    announced = (now - datetime.timedelta(days=14)).strftime("%Y-%m-%d")
    sip = a.sip_port or a.base + 900
    api = a.api_port or a.base + 901

    out = [
        "mcu:",
        "  name: test",
        f"  timezone: {a.tz}",
        f'  sip: {{listen: ["udp:127.0.0.1:{sip}"'
        + (f', "tcp:127.0.0.1:{sip}"' if a.sip_tcp else "")
        + (f', "tls:127.0.0.1:{a.tls_port}"],' if a.tls_port else "]")
        + (f' tls: {{certificate: "{a.tls_cert}", key: "{a.tls_key}"}}'
           if a.tls_port else "") + "}",
        f'  api: {{listen: "127.0.0.1:{api}"'
        + (f', token_file: "{a.token_file}"' if a.token_file else "") + "}",
        f"  media: {{fps: {a.fps}, x264_preset: {a.preset}}}",
        # SIP legs' ports away from the static legs' bases (tests pick
        # those in 20000-31000: tests/lib/media.sh free_base).
        f"  rtp: {{ports: {a.rtp_ports}}}",
    ]
    # Each test its own logbook (tests/lib/common.sh exports WORK), not
    # the system's.
    if os.environ.get("WORK"):
        out.append(f'  logbook: "{os.environ["WORK"]}/logbook.db"')
    out.append("endpoints:")
    legs = a.legs.split(",")
    for i, spec in enumerate(legs):
        v, _, au = spec.partition("/")
        out += [
            f"  - id: leg{i}",
            f'    name: "Điểm cầu {i}"',
            f"    tier: {'city' if i == 0 else 'district'}",
            f"    bandwidth_kbps: {a.bandwidth}",
            "    rtp:",
            f"      remote: 127.0.0.1:{a.base + 10 * i}",
            f"      local: 127.0.0.1:{a.base + 500 + 10 * i}",
        ]
        if v:
            out.append(f"      video: {{codec: {v}, payload_type: {PT[v]}}}")
        if au:
            out.append(f"      audio: {{codec: {au}, payload_type: {PT[au]}}}")
        if a.technicians:
            out.append(f'    contacts: {{technician: {{name: "Kỹ thuật viên {i}",'
                       f' phone: "0900 000 {i:03d}"}}}}')
    uri_ports = [p for p in a.sip_ports.split(",") if p]
    for k in range(1, a.sip_branches + 1):
        port = f":{uri_ports[k - 1]}" if k <= len(uri_ports) else ""
        out += [
            f"  - id: sip{k}",
            f'    name: "Điểm cầu SIP {k}"',
            "    tier: commune",
            f'    sip: "sip:sip{k}@127.0.0.1{port}"',
            f"    bandwidth_kbps: {a.bandwidth}",
        ]
        if a.sip_auth:
            out.append(f'    auth: {{user: sip{k}, password_file: "{a.sip_auth}"}}')
    names = [f"leg{i}" for i in range(1, len(legs))]
    names += [f"sip{k}" for k in range(1, a.sip_branches + 1)]
    branches = ", ".join(names)
    if a.no_meeting:
        print("\n".join(out))
        return
    out += [
        "meetings:",
        "  - id: t",
        '    title: "Test"',
        "    host: leg0",
        f"    branches: [{branches}]",
        f"    start: {start}",
        f"    end: {end}",
        f"    announced: {announced}",
        f"    floor: {a.floor}",
        f"    dial: {a.dial}",
        f"    layout: {{host: {a.host_layout}, branches: {a.branch_layout},"
        f" tour_seconds: {a.tour_seconds}}}",
    ]
    if test_run:
        out.append(test_run)
    print("\n".join(out))


if __name__ == "__main__":
    main()
