#!/usr/bin/env bash
# contrib/systemd/mcud.service sets MemoryDenyWriteExecute=yes. Its kernel
# equivalent, prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN) (Linux 6.3+), is
# set here before exec'ing mcud: no mapping can become writable+executable.
# A 2-leg meeting with H.264 and VP8 senders (x264, libvpx, Opus, G.722
# encoders and decoders) must still run: both legs receive video and audio
# from mcud. Skipped on kernels without PR_SET_MDWE.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
MDWE=$WORK/mdwe.py
cat >"$MDWE" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_MDWE, PR_GET_MDWE, REFUSE_EXEC_GAIN = 65, 66, 1
if libc.prctl(PR_SET_MDWE, REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    sys.exit(77)
print("mdwe=%d" % libc.prctl(PR_GET_MDWE, 0, 0, 0, 0), file=sys.stderr, flush=True)
os.execv(sys.argv[1], sys.argv[1:])
PY
if ! python3 "$MDWE" /bin/true 2>/dev/null; then
	echo "skip - this kernel has no PR_SET_MDWE"
	finish
	exit
fi
base=$(free_base 2)
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus,vp8/g722 >"$WORK/roster.yaml"
python3 "$MDWE" "$MCUD" -c "$WORK/roster.yaml" --run-dir "$WORK/run" --workers 2 \
	--io-threads 1 >"$WORK/mcud.log" 2>&1 &
MCUD_PID=$!
PIDS+=("$MCUD_PID")
check "mcud starts the meeting under MDWE" wait_for "$WORK/mcud.log" "media started" 10
check "mcud was exec'd with MDWE set (inherited, cannot be unset)" wait_for "$WORK/mcud.log" "mdwe=1" 5
send_leg 0 $base h264 opus 10
send_leg 1 $base vp8 g722 10
sleep 9
curl -sf --max-time 3 "http://127.0.0.1:$((base + 901))/api/v1/meetings/t/participants" >"$WORK/parts.json"
python3 - "$WORK/parts.json" >"$WORK/verdicts" <<'PY'
import json, sys
parts = {p["endpoint"]: p for p in json.load(open(sys.argv[1]))}
for ep in ("leg0", "leg1"):
    for m in ("video", "audio"):
        o = (parts[ep].get(m) or {}).get("out", {})
        i = (parts[ep].get(m) or {}).get("in", {})
        # a loaded machine starts libvpx late: any decoded picture and
        # sent packets prove the codecs run without W+X memory
        got = i.get("frames_decoded", 1) > 0 and i.get("packets", 0) > 0
        ok = got and o.get("packets", 0) > 20
        print("%s - %s %s: in %s packets, out %s" % ("ok  " if ok else "FAIL", ep, m,
              i.get("packets"), o))
PY
while read -r verdict rest; do
	case $verdict in ok) ok "${rest#- }" ;; FAIL) fail "${rest#- }" ;; esac
done <"$WORK/verdicts"
check "the verdicts were written" test -s "$WORK/verdicts"
check "mcud is still running" kill -0 "$MCUD_PID"
check "no mprotect/mmap refusal logged" bash -c "! grep -Eqi 'mprotect|Permission denied' '$WORK/mcud.log'"
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
