#!/usr/bin/env bash
# Issue 5: the JSON statistics report the loss a test injects within
# +-1 percentage point. Branch 1's real ffmpeg sender (H.264 + Opus) goes
# through tests/tools/udprelay.py, which drops 5 % of its datagrams at
# random towards mcud for ~15 s (ffmpeg does not retransmit, so NACKs
# repair nothing). Once the sender has stopped, the relay's own counters
# (dropped / received per port, from its control port) are compared with
# the participant's in.lost / (in.packets + in.lost) in
# GET /api/v1/meetings/t/participants, for video and for audio.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/floor.sh"
base=$(free_base 2)
[ -n "$base" ] || { fail "no free base port"; finish; exit 1; }
relay=$((base - 50))
api=$(free_port)
ctl=$(free_port)
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus,h264/opus \
	--api-port "$api" --sip-port "$(free_port)" >"$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"

lp=$((base + 510))
python3 "$TOOLS/udprelay.py" --duration 60 --seed 11 --loss 5/0 \
	--control "127.0.0.1:$ctl" \
	--map "127.0.0.1:$relay=127.0.0.1:$lp" \
	--map "127.0.0.1:$((relay + 1))=127.0.0.1:$((lp + 1))" \
	--map "127.0.0.1:$((relay + 2))=127.0.0.1:$((lp + 2))" \
	--map "127.0.0.1:$((relay + 3))=127.0.0.1:$((lp + 3))" \
	>"$WORK/relay.json" 2>"$WORK/relay.log" &
relay_pid=$!
PIDS+=("$relay_pid")
check "the relay is ready" wait_for "$WORK/relay.log" '"ready"' 10
# send_leg sends to base+500+10*i: leg 1 to the relay instead.
send_leg 1 $((relay - 510)) h264 opus 15
send_leg 0 $base h264 opus 15
sleep 1
recv_leg 0 12
# The senders stop after 15 s of media; then let everything drain.
for ((k = 0; k < 300; k++)); do
	pgrep -f "rtp://127.0.0.1:$relay" >/dev/null ||
		pgrep -f "rtp://127.0.0.1:$((relay + 2))" >/dev/null || break
	sleep 0.1
done
sleep 1.5

python3 - "127.0.0.1:$ctl" >"$WORK/relay_stats.json" <<'PY'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for _ in range(3):
    try:
        s.sendto(b"stats", (host, int(port)))
        print(s.recv(65536).decode())
        break
    except OSError:
        continue
PY
curl -sf --max-time 3 "http://127.0.0.1:$api/api/v1/meetings/t/participants" >"$WORK/parts.json"
check "the relay reported its counters" grep -q '"maps"' "$WORK/relay_stats.json"
check "the API reported the participants" grep -q '"leg1"' "$WORK/parts.json"

# Per medium: relay received/dropped on the RTP port, mcud packets/lost.
python3 - "$WORK/relay_stats.json" "$WORK/parts.json" "$lp" >"$WORK/verdicts" <<'PY'
import json, sys
relay = json.load(open(sys.argv[1]))
parts = {p["endpoint"]: p for p in json.load(open(sys.argv[2]))}
lp = int(sys.argv[3])
maps = {int(m["map"].rsplit(":", 1)[1]): m["fwd"] for m in relay["maps"]}
# A plain colour is one packet a picture: 25 a second.
for medium, port, least in (("video", lp, 300), ("audio", lp + 2, 600)):
    r = maps[port]
    inn = parts["leg1"][medium]["in"]
    rl = 100.0 * r["dropped"] / max(1, r["received"])
    ml = 100.0 * inn["lost"] / max(1, inn["packets"] + inn["lost"])
    print("# %s: relay received %d, forwarded %d, dropped %d (%.2f %%);"
          " mcud packets %d, lost %d (%.2f %%)"
          % (medium, r["received"], r["forwarded"], r["dropped"], rl,
             inn["packets"], inn["lost"], ml))
    ok = r["received"] >= least
    print("%s - %s: enough packets for a percentage (%d)"
          % ("ok  " if ok else "FAIL", medium, r["received"]))
    ok = r["dropped"] > 0 and 1.0 <= rl <= 10.0
    print("%s - %s: the relay lost about 5 %% (%.2f %%)"
          % ("ok  " if ok else "FAIL", medium, rl))
    ok = abs(ml - rl) <= 1.0
    print("%s - %s: mcud's loss %.2f %% within 1 point of the relay's %.2f %%"
          % ("ok  " if ok else "FAIL", medium, ml, rl))
    # Every datagram the relay forwarded arrived (loopback): mcud's count
    # of received packets matches (RFC 3550 A.1 probation leaves out the
    # first packet or two).
    ok = abs(inn["packets"] - r["forwarded"]) <= max(3, r["forwarded"] // 200)
    print("%s - %s: mcud received what the relay forwarded (%d / %d)"
          % ("ok  " if ok else "FAIL", medium, inn["packets"], r["forwarded"]))
PY
cat "$WORK/verdicts"
PASSES=$((PASSES + $(grep -c '^ok' "$WORK/verdicts")))
FAILS=$((FAILS + $(grep -c '^FAIL' "$WORK/verdicts")))
check "the comparison gave verdicts" grep -q '^ok' "$WORK/verdicts"
t=$(tone_of "$WORK/out0.wav" 3 8 "${TONES[1]}")
check "the host still hears the lossy branch ($t)" fge "$t" 800
kill "$relay_pid" 2>/dev/null
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
