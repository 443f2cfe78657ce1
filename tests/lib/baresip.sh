# baresip 1.0 as a real SIP video endpoint in tests (../shared/real-peers.md
# says what works here). Needs common.sh. ctl talks to $ctrl (baresip's
# ctrl_tcp port), api_wait to $api (mcud's API port).

# bs_ports N: N distinct free loopback ports (TCP and UDP); the last one
# also has port+1 free: baresip takes its SIP port + 1 for TLS (1.0
# cannot turn TLS off).
bs_ports() {
	python3 - "$1" <<'EOF'
import socket, sys
n = int(sys.argv[1])
held, out = [], []
def grab(p=0):
    t = socket.socket(); t.bind(("127.0.0.1", p))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", t.getsockname()[1]))
    held.extend((t, u)); return t.getsockname()[1]
while len(out) < n - 1:
    try: out.append(grab())
    except OSError: pass
while len(out) < n:
    try:
        p = grab(); grab(p + 1); out.append(p)
    except OSError: pass
print(*out)
EOF
}

# bs_video FILE: 30 s of a 320x240 H.264 test picture, video only
# (avformat as an audio source crashes baresip).
bs_video() {
	ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc=s=320x240:r=25" -t 30 \
		-an -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 25 \
		-y "$1" >"$1.log" 2>&1
}

# bs_config DIR UA_PORT CTRL_PORT VIDEO USER [ACCOUNT_PARAMS]: a config
# dir: the tone from ausine, video from the file, no sound device, no
# stdin, control over TCP; account USER on UA_PORT.
bs_config() {
	local dir=$1 ua=$2 ctl_port=$3 video=$4 user=$5 params=${6:-}
	mkdir -p "$dir"
	cat >"$dir/config" <<EOF
poll_method		epoll
sip_listen		127.0.0.1:$ua
net_interface		127.0.0.1
call_max_calls		1
audio_source		ausine,700
audio_player		aubridge,nil
audio_alert		aubridge,nil
video_source		avformat,$video
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
ctrl_tcp_listen		127.0.0.1:$ctl_port
EOF
	echo "<sip:$user@127.0.0.1:$ua>;regint=0$params" >"$dir/accounts"
}

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

