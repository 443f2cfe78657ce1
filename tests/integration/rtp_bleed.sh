#!/usr/bin/env bash
# Issue 7 item 4, the RTP Bleed class (CVE-2017-14099): a 4-leg static
# meeting with real ffmpeg peers, each leg sending from the port its
# roster entry names (rtp.source). An attacker on the same host (loopback,
# so the host alone cannot tell it apart) sends RTP and RTCP of another
# colour (cyan) and tone (1900 Hz) to leg 1's video and audio ports from
# ports of its own, for the whole meeting. Checks:
#  - every leg still sees and hears what media_4legs checks (leg 1 green and
#    500 Hz as the others see and hear it), and nobody sees cyan or hears
#    1900 Hz;
#  - mcud counts the attacker's datagrams as rejected (API `rejected`,
#    /metrics mcu_participant_rejected_packets_total{reason="source"});
#  - the attacker never receives a datagram from mcud (it is never learnt
#    as leg 1's address).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
base=$(free_base 4)
# The senders' own ports: base+250+10*i (video RTP/RTCP, audio RTP/RTCP);
# the attacker's relay listens on base-50..base-47 (free_base keeps them
# free).
src() { echo $((base + 250 + 10 * $1)); }
python3 "$TOOLS/mkroster.py" --base $base \
	--legs h264/opus,h264/opus,h264/opus,h264/opus >"$WORK/roster0.yaml"
python3 - "$WORK/roster0.yaml" "$base" >"$WORK/roster.yaml" <<'PY'
import re, sys
base = int(sys.argv[2])
out = []
for line in open(sys.argv[1]):
    out.append(line)
    m = re.match(r"(\s*)local: 127\.0\.0\.1:(\d+)$", line)
    if m:
        i = (int(m.group(2)) - base - 500) // 10
        out.append("%ssource: 127.0.0.1:%d\n" % (m.group(1), base + 250 + 10 * i))
sys.stdout.write("".join(out))
PY
check "the roster names each leg's source" test "$(grep -c 'source: 127' "$WORK/roster.yaml")" = 4
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"

# send_from I SECONDS: colour I and tone I as send_leg, from port src(I).
send_from() {
	local i=$1 secs=$2 port=$((base + 500 + 10 * $1)) s
	s=$(src "$i")
	ffmpeg -nostdin -loglevel error -re -f lavfi -i "color=${COLOURS[$i]}:s=640x360:r=25" \
		-t "$secs" -c:v libx264 -preset ultrafast -tune zerolatency -profile:v baseline \
		-g 25 -payload_type 96 -f rtp \
		"rtp://127.0.0.1:$port?localrtpport=$s&localrtcpport=$((s + 1))" \
		>"$WORK/send$i.log" 2>&1 &
	PIDS+=($!)
	ffmpeg -nostdin -loglevel error -re \
		-f lavfi -i "sine=frequency=${TONES[$i]}:sample_rate=48000" -t "$secs" \
		-c:a libopus -ar 48000 -payload_type 111 -f rtp \
		"rtp://127.0.0.1:$((port + 2))?localrtpport=$((s + 2))&localrtcpport=$((s + 3))" \
		>"$WORK/senda$i.log" 2>&1 &
	PIDS+=($!)
}

for i in 0 1 2 3; do send_from $i 15; done

# The attacker: ffmpeg makes cyan/1900 Hz RTP (+ RTCP) to a relay that
# forwards each datagram from a socket of its own on 127.0.0.1 to leg 1's
# ports, and counts what ever comes back to that socket (rev).
lp=$((base + 510)) ap=$((base - 50))
python3 "$TOOLS/udprelay.py" --duration 13 \
	--map 127.0.0.1:$ap=127.0.0.1:$lp --map 127.0.0.1:$((ap + 1))=127.0.0.1:$((lp + 1)) \
	--map 127.0.0.1:$((ap + 2))=127.0.0.1:$((lp + 2)) \
	--map 127.0.0.1:$((ap + 3))=127.0.0.1:$((lp + 3)) \
	>"$WORK/attack.json" 2>"$WORK/attack.log" &
relay=$!
PIDS+=($relay)
wait_for "$WORK/attack.log" ready 5
ffmpeg -nostdin -loglevel error -re -f lavfi -i "color=cyan:s=640x360:r=25" \
	-f lavfi -i "sine=frequency=1900:sample_rate=48000" -t 12 \
	-map 0:v -c:v libx264 -preset ultrafast -tune zerolatency -profile:v baseline \
	-g 25 -payload_type 96 -f rtp "rtp://127.0.0.1:$ap" \
	-map 1:a -c:a libopus -ar 48000 -payload_type 111 -f rtp "rtp://127.0.0.1:$((ap + 2))" \
	>"$WORK/attacker.log" 2>&1 &
PIDS+=($!)
sleep 1
for i in 0 1 2 3; do recv_leg $i 9; done
sleep 11
wait "$relay"

check_meeting 4
at=-1.5
for i in 0 2 3; do
	c=$(colour_of "$WORK/out$i.mkv" $at cyan)
	check "leg $i sees none of the attacker's cyan ($c)" le "$c" 0.01
	t=$(tone_of "$WORK/out$i.wav" 3 6 1900)
	check "leg $i hears none of the attacker's 1900 Hz ($t)" le "$t" 150
done
c=$(colour_of "$WORK/out0.mkv" $at green)
check "the host still sees leg 1 green ($c)" ge "$c" 0.08

api=$((base + 901))
curl -sf --max-time 3 "http://127.0.0.1:$api/api/v1/meetings/t/participants" >"$WORK/parts.json"
curl -sf --max-time 3 "http://127.0.0.1:$api/metrics" >"$WORK/metrics.txt"
# Datagrams the kernel dropped on leg 1's sockets (a full receive buffer
# while the I/O thread was starved on a loaded machine): never read, so
# neither rejected nor taken.
cp /proc/net/udp "$WORK/udp.txt"
python3 - "$WORK/attack.json" "$WORK/parts.json" "$WORK/metrics.txt" "$lp" \
	"$WORK/udp.txt" <<'PY' >"$WORK/verdicts"
import json, re, sys
relay = json.load(open(sys.argv[1]))
parts = {p["endpoint"]: p for p in json.load(open(sys.argv[2]))}
metrics = open(sys.argv[3]).read()
lp = int(sys.argv[4])
drops = {}
for line in open(sys.argv[5]).read().splitlines()[1:]:
    f = line.split()
    port = int(f[1].split(":")[1], 16)
    drops[port] = drops.get(port, 0) + int(f[-1])
kdrop = {"video": drops.get(lp, 0) + drops.get(lp + 1, 0),
         "audio": drops.get(lp + 2, 0) + drops.get(lp + 3, 0)}
maps = {int(m["map"].rsplit(":", 1)[1]): m for m in relay["maps"]}
def say(ok, text):
    print("%s - %s" % ("ok  " if ok else "FAIL", text))
sent = {"video": maps[lp]["fwd"]["forwarded"] + maps[lp + 1]["fwd"]["forwarded"],
        "audio": maps[lp + 2]["fwd"]["forwarded"] + maps[lp + 3]["fwd"]["forwarded"]}
back = sum(m["rev"]["received"] for m in relay["maps"])
say(sent["video"] > 200 and sent["audio"] > 200,
    "the attacker sent %d video and %d audio datagrams" % (sent["video"], sent["audio"]))
say(back == 0, "the attacker received nothing from mcud (%d datagrams)" % back)
for medium in ("video", "audio"):
    rej = parts["leg1"][medium]["in"]["rejected"]
    say(rej + kdrop[medium] >= sent[medium] and rej >= 0.8 * sent[medium],
        "leg1 %s: %d rejected + %d dropped unread by the kernel >= %d sent "
        "by the attacker" % (medium, rej, kdrop[medium], sent[medium]))
    m = re.search(r'mcu_participant_rejected_packets_total\{meeting="t",'
                  r'endpoint="leg1",media="%s",reason="source"\} (\S+)' % medium,
                  metrics)
    v = float(m.group(1)) if m else -1
    say(v >= rej, "/metrics counts leg1 %s rejected (%s)" % (medium, v))
    # Each sender's own packets were taken: they came from rtp.source.
    for ep in ("leg0", "leg1", "leg2", "leg3"):
        n = parts[ep][medium]["in"]["packets"]
        say(n > 200, "%s %s packets from its own source taken (%d)" % (ep, medium, n))
PY
grep "^#" "$WORK/verdicts"
while read -r verdict rest; do
	case $verdict in ok) ok "${rest#- }" ;; FAIL) fail "${rest#- }" ;; esac
done <"$WORK/verdicts"
check "the verdicts were written" test -s "$WORK/verdicts"
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
