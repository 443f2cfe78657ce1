#!/usr/bin/env bash
# A real SIP video endpoint: baresip 1.0 (config in $WORK, video from an
# H.264 testsrc file, a 700 Hz tone) dials the live chaired meeting as
# sip1 while a static ffmpeg host leg sends colour and tone. Checks: sip1
# is admitted and its video decodes; *1 sent by baresip as RFC 4733 events
# (ctrl_tcp `sndcode`) queues sip1 for the floor; baresip receives the
# composite (its rtp_stats at hang-up: audio and video packets, low loss);
# after its BYE sip1 is disconnected; mcud stops cleanly.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
base=48800
# Four distinct free ports (TCP and UDP) in one go; baresip also takes
# ua+1 for SIP over TLS (baresip 1.0 cannot turn TLS off).
read -r sip api ctrl ua <<<"$(python3 -c 'import socket
held, out = [], []
def grab(p=0):
    t = socket.socket(); t.bind(("127.0.0.1", p))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", t.getsockname()[1]))
    held.extend((t, u)); return t.getsockname()[1]
while len(out) < 3:
    try: out.append(grab())
    except OSError: pass
while len(out) < 4:
    try:
        p = grab(); grab(p + 1); out.append(p)
    except OSError: pass
print(*out)')"
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus --sip-branches 1 \
	--floor chaired --sip-port "$sip" --api-port "$api" >"$WORK/roster.yaml"
# baresip: video only from a file (avformat as an audio source crashes),
# the tone from ausine, no sound device, no stdin, control over TCP.
# The file first: encoding it competes with mcud for the CPU.
ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc=s=320x240:r=25" -t 30 \
	-an -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 25 \
	-y "$WORK/sip1.mp4" >"$WORK/mkvideo.log" 2>&1
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
send_leg 0 $base h264 opus 40
mkdir -p "$WORK/baresip"
cat >"$WORK/baresip/config" <<EOF
poll_method		epoll
sip_listen		127.0.0.1:$ua
net_interface		127.0.0.1
call_max_calls		1
audio_source		ausine,700
audio_player		aubridge,nil
audio_alert		aubridge,nil
video_source		avformat,$WORK/sip1.mp4
video_display		fakevideo,nil
video_size		320x240
video_bitrate		300000
video_fps		25
rtp_stats		yes
module_path		/usr/lib/baresip/modules
module			opus.so
module			g711.so
module			aubridge.so
module			ausine.so
module			avcodec.so
module			vp8.so
module			fakevideo.so
module			avformat.so
module_app		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:$ctrl
EOF
echo "<sip:sip1@127.0.0.1:$ua>;regint=0" >"$WORK/baresip/accounts"

# ctl COMMAND [PARAMS]: one ctrl_tcp command (netstring JSON); prints the
# reply's data, fails unless the reply says ok. Events are skipped.
ctl() {
	python3 - "$ctrl" "$@" <<'EOF'
import json, socket, sys
port, cmd = int(sys.argv[1]), sys.argv[2]
req = {"command": cmd, "token": "t"}
if len(sys.argv) > 3:
    req["params"] = sys.argv[3]
msg = json.dumps(req).encode()
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(str(len(msg)).encode() + b":" + msg + b",")
buf = b""
while True:
    colon = buf.find(b":")
    if colon > 0 and len(buf) > colon + int(buf[:colon]):
        n = int(buf[:colon])
        reply, buf = json.loads(buf[colon + 1:colon + 1 + n]), buf[colon + 2 + n:]
        if reply.get("response"):
            if reply.get("data", "").strip():
                print(reply["data"].strip())
            sys.exit(0 if reply.get("ok") else 1)
        continue
    chunk = s.recv(4096)
    if not chunk:
        sys.exit(1)
    buf += chunk
EOF
}

# api_wait SECONDS PATH COND SHOW: polls GET PATH until the Python
# expression COND holds (j: the JSON, p: participants by endpoint when it
# is a list); prints SHOW; fails on timeout. One Python process per wait:
# starting Python costs seconds on a loaded machine.
api_wait() {
	python3 - "$api" "$@" <<'EOF' 2>>"$WORK/api_wait.err"
import json, sys, time, urllib.request
port, secs, path, cond, show = sys.argv[1:6]
end = time.monotonic() + float(secs)
ok, j, p = False, None, {}
while True:
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, path),
                                    timeout=3) as r:
            j = json.load(r)
        p = {x["endpoint"]: x for x in j} if isinstance(j, list) else {}
        ok = bool(eval("(" + cond + ")"))
    except Exception:
        ok = False
    if ok or time.monotonic() > end:
        break
    time.sleep(0.2)
try:
    print(eval("(" + show + ")"))
except Exception as e:
    print("?", e)
sys.exit(0 if ok else 1)
EOF
}

cd "$WORK" || exit 1
timeout 60 baresip -f "$WORK/baresip" -t 40 \
	-e "/dial sip:t@127.0.0.1:$sip" >"$WORK/baresip.out" 2>&1 </dev/null &
baresip_pid=$!
PIDS+=("$baresip_pid")

# (a) Admitted, and its video decodes in the MCU.
P=/api/v1/meetings/t/participants
out=$(api_wait 15 $P "p['sip1']['state'] == 'connected'" \
	"p['sip1']['state'] + ' ' + p['sip1']['signalling']"); rc=$?
check "sip1 connected by SIP ($out)" test $rc = 0 -a "$out" = "connected sip"
out=$(api_wait 10 $P "p['sip1']['video']['in']['frames_decoded'] >= 50 and
	p['sip1']['video']['in']['fps'] >= 10 and p['sip1']['audio']['in']['packets'] > 0" \
	"p['sip1']['video']['codec'] + ' %(frames_decoded)d frames, %(fps).1f fps, %(packets)d packets, %(width)dx%(height)d' % p['sip1']['video']['in']
	+ ', ' + p['sip1']['audio']['codec'] + ' %d packets' % p['sip1']['audio']['in']['packets']"); rc=$?
check "the MCU decodes sip1's video and gets its audio ($out)" test $rc = 0

# (c) *1 as RFC 4733 events from baresip: sip1 joins the floor queue.
check "ctrl_tcp sndcode *1" ctl sndcode "*1"
out=$(api_wait 5 /api/v1/meetings/t "j['floor']['holder'] is None and j['floor']['queue'] == ['sip1']" \
	"j['floor']"); rc=$?
check "*1 queues sip1 for the floor: $out" test $rc = 0
check "mcud logged the keys" grep -q "sip1: DTMF key 1" "$WORK/mcud.log"

# (b) A few more seconds of composite, then hang up: baresip's rtp_stats.
sleep 3
check "ctrl_tcp hangup" ctl hangup
check "baresip prints its RTP statistics" wait_for "$WORK/baresip.out" "^video .*Transmit" 10
sleep 0.5
ctl quit >/dev/null 2>&1
for ((i = 0; i < 50; i++)); do kill -0 "$baresip_pid" 2>/dev/null || break; sleep 0.2; done
wait "$baresip_pid"; rc=$?
check "baresip quits (rc=$rc)" test "$rc" = 0
# "packets:  TX RX" and "lost:  TX RX" in the audio and the video table.
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
# Loss under 2 %.
check "baresip received the mixed audio ($arx packets, $alost lost)" \
	test "${arx:-0}" -gt 250 -a "${alost:--1}" -ge 0 -a "$((${alost:-0} * 50))" -le "${arx:-0}"
check "baresip received the composite video ($vrx packets, $vlost lost)" \
	test "${vrx:-0}" -gt 100 -a "${vlost:--1}" -ge 0 -a "$((${vlost:-0} * 50))" -le "${vrx:-0}"
check "baresip decoded the composite at 640x360" \
	grep -q "receiving with resolution 640 x 360" "$WORK/baresip.out"

# (d) After the BYE sip1 is gone; mcud stops on SIGTERM.
out=$(api_wait 5 $P "p['sip1']['state'] == 'disconnected'" "p['sip1']['state']"); rc=$?
check "sip1 disconnected after hang-up ($out)" test $rc = 0
grep -E "sipcalls|DTMF" "$WORK/mcud.log" | tail -4
kill -TERM "$MCUD_PID"
for ((i = 0; i < 50; i++)); do kill -0 "$MCUD_PID" 2>/dev/null || break; sleep 0.2; done
kill -0 "$MCUD_PID" 2>/dev/null && kill -KILL "$MCUD_PID"
wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
