#!/usr/bin/env bash
# mcu-sim with 10 endpoints over SIP into a live dial-in meeting (issue 8):
# mcu-sim writes the roster (sim001 host seeing grid-3x3, sim002..sim010
# branches seeing host+floor, chaired floor), mcud runs it, mcu-sim dials
# all 10 in and exchanges media for 15 s. Checks, from its JSON report:
# every endpoint connected, received video and audio with at most 0.5 %
# loss (loopback loses nothing; the margin only covers a packet the MCU
# sent before our answer was processed), key frames, a frame rate, and
# the host's decoded sample shows exactly the 9 branch colours. mcud
# decoded each endpoint's video; after mcu-sim's BYEs every participant is
# disconnected. A second short run ended by SIGINT still writes its
# report. A third run is stopped by the operator as soon as all 10 are
# connected: every one of its joins is in the logbook (the watch samples
# the rooms once a second, and takes a last sample before a room stops).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/sip.sh"
. "$(dirname "$0")/../lib/baresip.sh"
SIM=$BUILD/tools/mcu-sim/mcu-sim
sip=$(free_port)
api=$(free_port)
rtp=$(free_block 80)

check "mcu-sim writes a roster" \
	"$SIM" roster 10 --sip-port "$sip" --api-port "$api" --meeting t \
	--logbook "$WORK/logbook.db" --output "$WORK/roster.yaml"
head -c 32 /dev/urandom | base64 >"$WORK/token"
chmod 600 "$WORK/token"
sed -i "s|api: {listen: \"127.0.0.1:$api\"}|api: {listen: \"127.0.0.1:$api\", token_file: \"$WORK/token\"}|" \
	"$WORK/roster.yaml"
check "the roster names the API token file" grep -q "token_file: \"$WORK/token\"" "$WORK/roster.yaml"
check "mcud --check accepts it" "$MCUD" --check "$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"

"$SIM" run --roster "$WORK/roster.yaml" --meeting t --mcu "sip:127.0.0.1:$sip" \
	--seconds 15 --sample sim001 --rtp-ports "$rtp-$((rtp + 79))" \
	--report "$WORK/report.json" >"$WORK/sim.out" 2>"$WORK/sim.err" &
sim_pid=$!
PIDS+=("$sim_pid")

# While it runs: mcud has all 10 connected and decodes their video.
P=/api/v1/meetings/t/participants
out=$(api_wait 15 $P "len(p) == 10 and all(x['state'] == 'connected' for x in p.values())" \
	"sorted(k for k, x in p.items() if x['state'] == 'connected')"); rc=$?
check "mcud: all 10 simulated endpoints connected ($out)" test $rc = 0
out=$(api_wait 15 $P "all(x['video']['in']['frames_decoded'] >= 30 and x['audio']['in']['packets'] >= 50 for x in p.values())" \
	"min(x['video']['in']['frames_decoded'] for x in p.values()), min(x['audio']['in']['packets'] for x in p.values())"); rc=$?
check "mcud decodes every endpoint's video and gets its audio (min frames, packets: $out)" test $rc = 0

timeout 40 tail --pid="$sim_pid" -f /dev/null
wait "$sim_pid"; rc=$?
check "mcu-sim ends by itself (rc=$rc)" test "$rc" = 0
tail -1 "$WORK/sim.err"

python3 - "$WORK/report.json" >"$WORK/checks.txt" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
eps = r["endpoints"]
def line(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
line(len(eps) == 10 and r["ended_by"] == "time", "10 endpoints, run ended on time (%s)" % r["ended_by"])
for e in eps:
    vloss = e["video_lost"] / max(1, e["rx_video_packets"] + e["video_lost"])
    aloss = e["audio_lost"] / max(1, e["rx_audio_packets"] + e["audio_lost"])
    good = (e["state"] == "connected" and e["tx_packets"] > 1000
            and e["rx_video_packets"] >= 150 and e["rx_audio_packets"] >= 300
            and vloss <= 0.005 and aloss <= 0.005 and e["key_frames"] >= 1
            and e["fps"] >= 5)
    line(good, "%s %s: sent %d, received video %d (lost %d) audio %d (lost %d), "
         "%.1f fps, %d key frames, largest audio gap %.0f ms at %.1f s, "
         "after 2 s %.0f ms" % (
             e["id"], e["state"], e["tx_packets"], e["rx_video_packets"],
             e["video_lost"], e["rx_audio_packets"], e["audio_lost"], e["fps"],
             e["key_frames"], e["max_audio_gap_ms"], e["max_audio_gap_at_s"],
             e["max_audio_gap_steady_ms"]))
host = eps[0]
seen = host.get("colours_seen", [])
want = ["sim%03d" % i for i in range(2, 11)]
line(sorted(seen) == want and len(set(seen)) == 9,
     "host's sample decode shows the 9 branch colours: %s (%s)" % (
         seen, host.get("sample")))
line(all("colours_seen" not in e for e in eps[1:]), "only the host was sampled")
t = r["totals"]
line(t["connected"] == 10 and t["cpu_seconds"] > 0,
     "totals: %d connected, CPU %.2f s over %.1f s (%.3f %% of a core per endpoint)" % (
         t["connected"], t["cpu_seconds"], t["wall_seconds"], t["cpu_pct_per_endpoint"]))
EOF
while read -r verdict rest; do
	if [ "$verdict" = ok ]; then ok "$rest"; else fail "$rest"; fi
done <"$WORK/checks.txt"
[ -s "$WORK/checks.txt" ] || fail "report could not be read"

out=$(api_wait 10 $P "all(x['state'] == 'disconnected' for x in p.values())" \
	"sorted(set(x['state'] for x in p.values()))"); rc=$?
check "after mcu-sim's BYEs every participant is disconnected ($out)" test $rc = 0

# SIGINT ends a run early, cleanly, with its report.
"$SIM" run --roster "$WORK/roster.yaml" --meeting t --mcu "sip:127.0.0.1:$sip" \
	--count 3 --seconds 60 --rtp-ports "$rtp-$((rtp + 79))" \
	--report "$WORK/report2.json" >"$WORK/sim2.out" 2>"$WORK/sim2.err" &
sim_pid=$!
PIDS+=("$sim_pid")
out=$(api_wait 15 $P "sum(x['state'] == 'connected' for x in p.values()) == 3" \
	"sorted(k for k, x in p.items() if x['state'] == 'connected')"); rc=$?
check "a second run connects 3 endpoints ($out)" test $rc = 0
sleep 2
kill -INT "$sim_pid"
timeout 15 tail --pid="$sim_pid" -f /dev/null
wait "$sim_pid"; rc=$?
check "SIGINT: mcu-sim exits 0 (rc=$rc)" test "$rc" = 0
out=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))
print(r['ended_by'], r['totals']['connected'], min(e['rx_audio_packets'] for e in r['endpoints']))" \
	"$WORK/report2.json" 2>&1)
check "SIGINT: report written (ended_by, connected, min audio packets: $out)" \
	python3 -c "import sys; a=sys.argv[1].split(); sys.exit(0 if a[0]=='SIGINT' and a[1]=='3' and int(a[2])>0 else 1)" "$out"
out=$(api_wait 10 $P "all(x['state'] == 'disconnected' for x in p.values())" \
	"sorted(set(x['state'] for x in p.values()))"); rc=$?
check "SIGINT: the calls were hung up ($out)" test $rc = 0

# The operator stops the meeting the moment the last endpoint connected.
t3=$(date +%s)
"$SIM" run --roster "$WORK/roster.yaml" --meeting t --mcu "sip:127.0.0.1:$sip" \
	--seconds 60 --rtp-ports "$rtp-$((rtp + 79))" \
	--report "$WORK/report3.json" >"$WORK/sim3.out" 2>"$WORK/sim3.err" &
sim_pid=$!
PIDS+=("$sim_pid")
out=$(api_wait 15 $P "len(p) == 10 and all(x['state'] == 'connected' for x in p.values())" \
	"sum(x['state'] == 'connected' for x in p.values())"); rc=$?
check "a third run connects all 10 ($out)" test $rc = 0
code=$(curl -s -o "$WORK/stop.json" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $(cat "$WORK/token")" \
	"http://127.0.0.1:$api/api/v1/meetings/t/stop")
check "the operator stops the meeting at once ($code)" test "$code" = 200
kill -INT "$sim_pid" 2>/dev/null
timeout 15 tail --pid="$sim_pid" -f /dev/null
wait "$sim_pid"
out=$(python3 - "$WORK/logbook.db" "$t3" <<'PY' 2>&1
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
m = db.execute("SELECT id, actual_end FROM meetings WHERE meeting_id = 't' "
               "ORDER BY id DESC LIMIT 1").fetchone()
joined = db.execute("SELECT COUNT(DISTINCT endpoint) FROM participation "
                    "WHERE meeting = ? AND joined_at >= ?",
                    (m[0], int(sys.argv[2]))).fetchone()[0]
print(joined, "ended" if m[1] else "open")
PY
)
check "the logbook has all 10 joins of the stopped run, and the meeting's end ($out)" \
	test "$out" = "10 ended"

kill -TERM "$MCUD_PID"
for ((i = 0; i < 50; i++)); do kill -0 "$MCUD_PID" 2>/dev/null || break; sleep 0.2; done
kill -0 "$MCUD_PID" 2>/dev/null && kill -KILL "$MCUD_PID"
wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
