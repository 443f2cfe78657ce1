#!/usr/bin/env bash
# Issue 5, open floor: the loudest branch becomes the speaker only after
# the hold time (1.5 s), not before, and two equally loud branches do not
# make the speaker flap. Real ffmpeg Opus senders (audio-only legs); the
# API is sampled every ~50 ms: floor.holder (the branch speaker shown next
# to the host), floor.speaker (loudest overall) and each participant's
# level_dbov, which shows when mcud's mixer first hears a tone.
#   t=0    branch 1 starts a tone (0.1 of full scale) through udprelay.py,
#          which loses 5 % of it and delays it by 20 +- 15 ms: lost blocks
#          are concealed, late ones missing, as on a real network
#   t=0.7  branch 3 starts an equal tone (direct)
#   t=7    branch 2 starts a tone 15 dB louder (0.6)
# Branch 1 becomes the speaker and must stay it while 3 is only as loud,
# whatever its glitches. The host (leg 0) is silent.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/floor.sh"
base=$(free_base 4)
[ -n "$base" ] || { fail "no free base port"; finish; exit 1; }
api=$(free_port)
python3 "$TOOLS/mkroster.py" --base $base --legs /opus,/opus,/opus,/opus \
	--floor open --api-port "$api" --sip-port "$(free_port)" >"$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
relay=$((base - 50))
python3 "$TOOLS/udprelay.py" --duration 40 --seed 5 --loss 5/0 \
	--delay 20/0 --jitter 15/0 \
	--map "127.0.0.1:$((relay + 2))=127.0.0.1:$((base + 512))" \
	--map "127.0.0.1:$((relay + 3))=127.0.0.1:$((base + 513))" \
	>"$WORK/relay.json" 2>"$WORK/relay.log" &
PIDS+=($!)
check "the relay is ready" wait_for "$WORK/relay.log" '"ready"' 10

# The sampler: one JSON line per sample; the state was read between ts
# (request sent) and t (answer received), seconds from the sampler's start.
python3 - "$api" 15 >"$WORK/samples.jsonl" 2>"$WORK/sampler.log" <<'PY' &
import json, sys, time, urllib.request
url = "http://127.0.0.1:%s/api/v1/meetings/t" % sys.argv[1]
t0 = time.monotonic()
while time.monotonic() - t0 < float(sys.argv[2]):
    ts = time.monotonic() - t0
    try:
        m = json.load(urllib.request.urlopen(url, timeout=2))
    except Exception as e:  # a busy moment: note it, go on
        print("sample failed: %s" % e, file=sys.stderr)
        continue
    t = time.monotonic() - t0
    lv = {p["endpoint"]: (p["audio"] or {}).get("level_dbov", -127)
          for p in m["participants"]}
    print(json.dumps({"ts": round(ts, 4), "t": round(t, 4), "holder": m["floor"]["holder"],
                      "speaker": m["floor"]["speaker"], "lv": lv}),
          flush=True)
    time.sleep(max(0.0, 0.05 - (time.monotonic() - t0 - t)))
PY
sampler=$!
PIDS+=("$sampler")
# Python starts slowly on a loaded machine: the tones begin once it samples.
check "the sampler runs" wait_for "$WORK/samples.jsonl" '"t"' 10
send_audio 1 $((relay - 510)) 17 0.1 # to relay+2
sleep 0.7
send_audio 3 $base 17 0.1
sleep 6.3
send_audio 2 $base 10 0.6
wait "$sampler"
n=$(wc -l <"$WORK/samples.jsonl")
check "the API was sampled ($n samples)" test "$n" -ge 100

# Analysis: prints "ok|FAIL - text" lines, counted below.
python3 - "$WORK/samples.jsonl" >"$WORK/verdicts" <<'PY'
import json, sys
S = [json.loads(l) for l in open(sys.argv[1])]
HOLD = 1.5
out = []
def verdict(ok, text):
    out.append(("ok   - " if ok else "FAIL - ") + text)

def onset(ep, dbov):
    """(index) of the first sample where ep's level is above dbov."""
    for i, s in enumerate(S):
        if s["lv"].get(ep, -127) > dbov:
            return i
    return None

def first(key, eps, start=0):
    for i in range(start, len(S)):
        if S[i][key] in eps:
            return i
    return None

gaps = [b["t"] - a["t"] for a, b in zip(S, S[1:])]
print("# samples %.3f s apart (median), at most %.3f s"
      % (sorted(gaps)[len(gaps) // 2], max(gaps)))

def switch_check(ep_set, on, what, key):
    """The first sample with `key` in ep_set comes >= HOLD after `on`.
    Each sample's state was read between its ts and t, so the true delay
    lies between (switch_prev.ts - on.t) and (switch.t - on_prev.ts):
    fail when even the latter is below HOLD (certainly early), or when the
    former is above HOLD + 1.5 s (too late)."""
    sw = first(key, ep_set, 0)
    if on is None or sw is None:
        verdict(False, "%s: %s never seen (onset %s, switch %s)"
                % (what, key, on, sw))
        return None
    if on == 0 or sw == 0:
        verdict(False, "%s: the sampler saw no moment before the tone or"
                " the switch" % what)
        return None
    lo = S[sw - 1]["ts"] - S[on]["t"]
    hi = S[sw]["t"] - S[on - 1]["ts"]
    verdict(hi - lo <= 0.6, "%s: %s switch measured to within %.2f s"
            % (what, key, hi - lo))
    verdict(hi >= HOLD, "%s: %s not before the hold time (switch %.2f s"
            " after the tone, between %.2f and %.2f)"
            % (what, key, S[sw]["t"] - S[on]["t"], lo, hi))
    verdict(lo <= HOLD + 1.5, "%s: %s within 3 s of the tone (%.2f s)"
            % (what, key, S[sw]["t"] - S[on]["t"]))
    return sw

# Phase 1: two equal branches. The first to start wins after the hold (3
# may win when 1's first packets are late on a loaded machine).
on13 = min([i for i in (onset("leg1", -45), onset("leg3", -45)) if i is not None],
           default=None)
sw1 = switch_check({"leg1", "leg3"}, on13, "equal branches 1 and 3", "holder")
switch_check({"leg1", "leg3"}, on13, "equal branches 1 and 3", "speaker")
on2 = onset("leg2", -20)
if sw1 is not None and on2 is not None:
    first_holder = S[sw1]["holder"]
    seen = {s["holder"] for s in S[sw1:on2]}
    verdict(seen == {first_holder},
            "no flapping between two equal branches (holders from %.1f s to"
            " %.1f s: %s)" % (S[sw1]["t"], S[on2]["t"], sorted(seen)))
    verdict(S[on2]["t"] - S[sw1]["t"] >= 3.0,
            "equal branches compared for %.1f s" % (S[on2]["t"] - S[sw1]["t"]))
# Phase 2: the loud branch 2 takes over after the hold.
for key in ("holder", "speaker"):
    sw = first(key, {"leg2"}, 0)
    if on2 is not None and sw is not None and sw < on2:
        verdict(False, "%s leg2 at %.2f s before its tone (%.2f s)"
                % (key, S[sw]["t"], S[on2]["t"]))
        continue
    sw = switch_check({"leg2"}, on2, "loud branch 2", key)
    if sw is not None:
        rest = {s[key] for s in S[sw:]}
        verdict(rest == {"leg2"}, "%s stays leg2 once switched (%s)"
                % (key, sorted(map(str, rest))))
if on2 is not None:
    verdict(True, "branch 2 heard by the mixer at %.2f s (%.1f dBov)"
            % (S[on2]["t"], S[on2]["lv"]["leg2"]))
print("\n".join(out))
PY
cat "$WORK/verdicts"
PASSES=$((PASSES + $(grep -c '^ok' "$WORK/verdicts")))
FAILS=$((FAILS + $(grep -c '^FAIL' "$WORK/verdicts")))
check "the analysis gave verdicts" grep -q '^ok' "$WORK/verdicts"
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
