#!/usr/bin/env bash
# Issue 7 item 4, the RTP Bleed class (CVE-2017-14099) on a SIP leg: the
# meeting's host is a static ffmpeg leg (red, 300 Hz); its branch sip1
# joins over SIP with baresip (a green picture, a 700 Hz tone). Once the
# call is up, an attacker on the same host (loopback: the address alone
# cannot tell it apart) reads sip1's media ports on the MCU -- the ports
# the SDP answer gave, which baresip reports as the source of what it
# receives -- and sends RTP (cyan, 1900 Hz) and RTCP to them from ports
# of its own for ten seconds. Checks:
#  - the host still sees sip1 green and hears its 700 Hz, never cyan or
#    1900 Hz: sip1's picture and sound are unchanged;
#  - the MCU keeps taking sip1's own media during the attack, and baresip
#    keeps receiving (and decoding) the MCU's;
#  - every attacker datagram is counted as rejected for sip1 (API
#    video/audio.in.rejected, /metrics mcu_participant_rejected_packets_
#    total{reason="source"});
#  - the attacker receives nothing (it is never learnt as sip1's address).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/sip.sh"
. "$(dirname "$0")/../lib/baresip.sh"
base=$(free_base 1)
read -r sip api ctrl ua <<<"$(bs_ports 4)"
rtp=$(free_block 40)
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus --sip-branches 1 \
	--sip-port "$sip" --api-port "$api" --rtp-ports "$rtp-$((rtp + 39))" \
	>"$WORK/roster.yaml"
check "roster passes mcud --check" "$MCUD" --check "$WORK/roster.yaml"
# sip1's picture: plain green, as the static legs' colours.
ffmpeg -nostdin -loglevel error -f lavfi -i "color=green:s=320x240:r=25" -t 90 \
	-an -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 25 \
	-y "$WORK/green.mp4" >"$WORK/green.mp4.log" 2>&1
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
send_leg 0 $base h264 opus 90
bs_config "$WORK/baresip" "$ua" "$ctrl" "$WORK/green.mp4" sip1
cd "$WORK" || exit 1
timeout 120 baresip -f "$WORK/baresip" -t 90 \
	-e "/dial sip:t@127.0.0.1:$sip" >"$WORK/baresip.out" 2>&1 </dev/null &
baresip_pid=$!
PIDS+=("$baresip_pid")

P=/api/v1/meetings/t/participants
out=$(api_wait 20 $P "p['sip1']['state'] == 'connected' and
	p['sip1']['video']['in']['frames_decoded'] >= 25 and p['sip1']['audio']['in']['packets'] > 50" \
	"p['sip1']['state'] + ' %(frames_decoded)d frames' % p['sip1']['video']['in']
	+ ', %d audio packets' % p['sip1']['audio']['in']['packets']"); rc=$?
check "sip1 joined by SIP and its media flows ($out)" test $rc = 0
# The MCU's ports of sip1's call: where baresip receives its media from
# (mcud sends from the ports its answer named: symmetric RTP).
wait_for "$WORK/baresip.out" "incoming rtp for 'video' established" 10
wait_for "$WORK/baresip.out" "incoming rtp for 'audio' established" 10
vport=$(sed -n "s/.*incoming rtp for 'video' established, receiving from 127\.0\.0\.1:\([0-9]*\).*/\1/p" \
	"$WORK/baresip.out" | head -1)
aport=$(sed -n "s/.*incoming rtp for 'audio' established, receiving from 127\.0\.0\.1:\([0-9]*\).*/\1/p" \
	"$WORK/baresip.out" | head -1)
check "sip1's media ports on the MCU are known (video ${vport:-?}, audio ${aport:-?})" \
	test -n "$vport" -a -n "$aport"
check "they are in the roster's RTP range" \
	test "${vport:-0}" -ge "$rtp" -a "${vport:-0}" -le $((rtp + 39)) -a \
	"${aport:-0}" -ge "$rtp" -a "${aport:-0}" -le $((rtp + 39))
n0=$(api_wait 2 $P "True" "p['sip1']['video']['in']['packets'] + p['sip1']['audio']['in']['packets']")

# The attacker: ffmpeg makes cyan/1900 Hz RTP (+ RTCP) to a relay that
# forwards each datagram from a socket of its own on 127.0.0.1 to sip1's
# ports (RTCP at port + 1), and counts whatever comes back (rev).
ap=$((base - 50))
python3 "$TOOLS/udprelay.py" --duration 13 \
	--map 127.0.0.1:$ap=127.0.0.1:$vport \
	--map 127.0.0.1:$((ap + 1))=127.0.0.1:$((vport + 1)) \
	--map 127.0.0.1:$((ap + 2))=127.0.0.1:$aport \
	--map 127.0.0.1:$((ap + 3))=127.0.0.1:$((aport + 1)) \
	>"$WORK/attack.json" 2>"$WORK/attack.log" &
relay=$!
PIDS+=($relay)
wait_for "$WORK/attack.log" ready 5
# PT 96: H.264 as baresip offers it first. Whatever the payload type,
# only the source filter counts a datagram as rejected: the counters
# below prove the filter dropped them, not a later check.
vpt=96
ffmpeg -nostdin -loglevel error -re -f lavfi -i "color=cyan:s=640x360:r=25" \
	-f lavfi -i "sine=frequency=1900:sample_rate=48000" -t 12 \
	-map 0:v -c:v libx264 -preset ultrafast -tune zerolatency -profile:v baseline \
	-g 25 -payload_type "$vpt" -f rtp "rtp://127.0.0.1:$ap" \
	-map 1:a -c:a libopus -ar 48000 -payload_type 111 -f rtp "rtp://127.0.0.1:$((ap + 2))" \
	>"$WORK/attacker.log" 2>&1 &
PIDS+=($!)
sleep 1
recv_leg 0 9
sleep 11
wait "$relay"

at=-1.5
c=$(colour_of "$WORK/out0.mkv" $at cyan)
check "the host sees none of the attacker's cyan ($c)" le "$c" 0.01
c=$(colour_of "$WORK/out0.mkv" $at green)
check "the host still sees sip1 green ($c)" ge "$c" 0.08
t=$(tone_of "$WORK/out0.wav" 3 6 1900)
check "the host hears none of the attacker's 1900 Hz ($t)" le "$t" 150
t=$(tone_of "$WORK/out0.wav" 3 6 700)
check "the host still hears sip1's 700 Hz ($t)" ge "$t" 800

curl -sf --max-time 3 "http://127.0.0.1:$api$P" >"$WORK/parts.json"
curl -sf --max-time 3 "http://127.0.0.1:$api/metrics" >"$WORK/metrics.txt"
# Datagrams the kernel dropped on those sockets (a full receive buffer
# while the I/O thread was starved on this loaded machine): never read,
# so neither rejected nor taken.
cp /proc/net/udp "$WORK/udp.txt"
python3 - "$WORK/attack.json" "$WORK/parts.json" "$WORK/metrics.txt" "$vport" "$aport" "$n0" \
	"$WORK/udp.txt" <<'PY' >"$WORK/verdicts"
import json, re, sys
relay = json.load(open(sys.argv[1]))
parts = {p["endpoint"]: p for p in json.load(open(sys.argv[2]))}
metrics = open(sys.argv[3]).read()
vport, aport, n0 = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
drops = {}
for line in open(sys.argv[7]).read().splitlines()[1:]:
    f = line.split()
    drops[int(f[1].split(":")[1], 16)] = drops.get(int(f[1].split(":")[1], 16), 0) + int(f[-1])
kdrop = {"video": drops.get(vport, 0) + drops.get(vport + 1, 0),
         "audio": drops.get(aport, 0) + drops.get(aport + 1, 0)}
maps = {int(m["map"].rsplit(":", 1)[1]): m for m in relay["maps"]}
def say(ok, text):
    print("%s - %s" % ("ok  " if ok else "FAIL", text))
sent = {"video": maps[vport]["fwd"]["forwarded"] + maps[vport + 1]["fwd"]["forwarded"],
        "audio": maps[aport]["fwd"]["forwarded"] + maps[aport + 1]["fwd"]["forwarded"]}
rtcp = maps[vport + 1]["fwd"]["forwarded"] + maps[aport + 1]["fwd"]["forwarded"]
back = sum(m["rev"]["received"] for m in relay["maps"])
say(sent["video"] > 200 and sent["audio"] > 200 and rtcp > 0,
    "the attacker sent %d video and %d audio datagrams (%d of them RTCP)"
    % (sent["video"], sent["audio"], rtcp))
say(back == 0, "the attacker received nothing from mcud (%d datagrams)" % back)
s = parts["sip1"]
print("# sip1: signalling %s, video in %s, audio in %s" % (
    s["signalling"], json.dumps(s["video"]["in"]), json.dumps(s["audio"]["in"])))
say(s["signalling"] == "sip", "sip1's signalling is sip (%s)" % s["signalling"])
for medium in ("video", "audio"):
    rej = s[medium]["in"]["rejected"]
    say(rej + kdrop[medium] >= sent[medium] and rej >= 0.8 * sent[medium],
        "sip1 %s: %d rejected + %d dropped unread by the kernel >= %d sent "
        "by the attacker" % (medium, rej, kdrop[medium], sent[medium]))
    m = re.search(r'mcu_participant_rejected_packets_total\{meeting="t",'
                  r'endpoint="sip1",media="%s",reason="source"\} (\S+)' % medium,
                  metrics)
    v = float(m.group(1)) if m else -1
    say(v >= rej, "/metrics counts sip1 %s rejected (%s)" % (medium, v))
n1 = s["video"]["in"]["packets"] + s["audio"]["in"]["packets"]
say(n1 - n0 > 300, "sip1's own media still taken during the attack (%d more packets)" % (n1 - n0))
say(s["video"]["in"]["decode_errors"] == 0 and s["video"]["in"]["malformed"] == 0 and
    s["audio"]["in"]["malformed"] == 0, "nothing of the attacker reached a parser or decoder "
    "(decode errors %d, malformed %d/%d)" % (s["video"]["in"]["decode_errors"],
    s["video"]["in"]["malformed"], s["audio"]["in"]["malformed"]))
PY
grep "^#" "$WORK/verdicts"
while read -r verdict rest; do
	case $verdict in ok) ok "${rest#- }" ;; FAIL) fail "${rest#- }" ;; esac
done <"$WORK/verdicts"
check "the verdicts were written" test -s "$WORK/verdicts"

# baresip's side: it kept receiving and decoding the MCU's media.
check "ctrl_tcp hangup" ctl hangup
check "baresip prints its RTP statistics" wait_for "$WORK/baresip.out" "^video .*Transmit" 10
sleep 0.5
ctl quit >/dev/null 2>&1
for ((i = 0; i < 50; i++)); do kill -0 "$baresip_pid" 2>/dev/null || break; sleep 0.2; done
wait "$baresip_pid"
read -r arx alost vrx vlost <<<"$(python3 - "$WORK/baresip.out" <<'EOF'
import re, sys
text = open(sys.argv[1], errors="replace").read()
vals = {}
for kind in ("audio", "video"):
    m = re.search(r"^%s\s+Transmit:\s+Receive:\s*\n(.*?)\njitter:" % kind,
                  text, re.M | re.S)
    rows = {}
    for line in (m.group(1).splitlines() if m else []):
        k, _, rest = line.partition(":")
        rows[k.strip()] = rest.split()
    vals[kind] = (rows.get("packets", ["0", "0"])[1],
                  rows.get("lost", ["0", "-1"])[1])
print(*vals["audio"], *vals["video"])
EOF
)"
check "baresip received the mix ($arx packets, $alost lost)" \
	test "${arx:-0}" -gt 500 -a "${alost:--1}" -ge 0 -a "$((${alost:-0} * 50))" -le "${arx:-0}"
check "baresip received the composite ($vrx packets, $vlost lost)" \
	test "${vrx:-0}" -gt 200 -a "${vlost:--1}" -ge 0 -a "$((${vlost:-0} * 50))" -le "${vrx:-0}"
check "baresip decoded the composite" grep -q "receiving with resolution" "$WORK/baresip.out"

kill -TERM "$MCUD_PID"
for ((i = 0; i < 50; i++)); do kill -0 "$MCUD_PID" 2>/dev/null || break; sleep 0.2; done
kill -0 "$MCUD_PID" 2>/dev/null && kill -KILL "$MCUD_PID"
wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
