#!/usr/bin/env bash
# Several mcud behind Kamailio's dispatcher (issue 8 item 7): the recipe
# of contrib/kamailio/kamailio.cfg, run as shipped with loopback values
# (-A defines), in front of two mcud A and B that load the same roster:
# dial-in meetings t and M3, whose ids hash to one mcud, and M2, which
# hashes to the other; limits 2 calls per meeting, 3 per mcud.
# The proxy listens on 127.0.0.2, so mcud sees every call coming from
# 127.0.0.2: the endpoints' allow lists hold that address only, which
# also proves that the calls that connect went through the proxy.
#   - dial-ins through the proxy connect (sipp, dialin_proxy.xml: ACK,
#     INFO, re-INVITE and BYE follow the Record-Route); both callers of t
#     are on one mcud, M2 on the other (found through both mcud APIs); the
#     BYE through the proxy ends the call on mcud;
#   - a caller into a full meeting gets mcud's 503 (no fail-over: another
#     mcud would hold an empty copy of the meeting); a call refused for
#     limits.calls fails over and connects on the other mcud;
#   - an endpoint whose allow list lacks the proxy gets mcud's 403
#     "Source address not allowed"; a caller whose From host is not its
#     source gets the proxy's 403 and never reaches an mcud;
#   - with probing paused, the mcud holding t is stopped (SIGTERM): the
#     next dial-in to t gets no answer there, fails over to the other mcud
#     in the same call and connects; the dead mcud is marked inactive, and
#     the following dial-in goes straight to the survivor;
#   - the operator procedure of docs/deployment.md: the restarted mcud,
#     held "disabled", is not probed back and t stays on the survivor;
#     set active again, t's new calls go back to it;
#   - probing alone (no call) marks a stopped mcud inactive within its
#     interval, and M2's next dial-in goes straight to the other mcud.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/sip.sh"

PROXY=127.0.0.2
# Debian's python3 when there is one: a python3 shim on PATH (pyenv) can
# take seconds to start on a loaded machine, and these helpers poll.
# The port pickers of tests/lib call python3 too: this function takes
# precedence over the command for them.
PY=/usr/bin/python3
if [ -x "$PY" ]; then
	python3() { "$PY" "$@"; }
else
	PY=python3
fi
if ! command -v kamailio >/dev/null || ! command -v kamcmd >/dev/null; then
	fail "kamailio and kamcmd are installed (make deps)"
	finish
	exit
fi
KDIR=$WORK/kamailio
mkdir -p "$KDIR"
CTL="unixs:$KDIR/ctl"
KPORT=$(free_block 1)

# ---- two mcud, one roster ------------------------------------------------
# Meeting ids: t and M3 hash to one mcud, M2 to the other (the hash is
# deterministic: dispatcher.hash shows it below).
M2=${M2:-m2}
M3=${M3:-m3}
# mkroster's meeting t (host leg0) becomes three: t (sip1, sip2, sip4,
# sip6), M2 (host leg1: sip3) and M3 (host leg2: sip5, sip7). Every SIP
# endpoint may call from the proxy only, but sip6, which keeps the default
# allow list (its sip host, 127.0.0.1). Limits: 2 SIP calls per meeting,
# 3 per mcud.
roster() { # NAME REF: writes $WORK/roster-NAME.yaml (meeting times from
	# roster REF, "-": now), sets SIP_NAME, API_NAME
	local base sip api
	base=$(free_base 3)
	sip=$(free_port)
	api=$(free_port)
	"$PY" "$TOOLS/mkroster.py" --base "$base" \
		--legs h264/opus,h264/opus,h264/opus --sip-branches 7 --fps 5 \
		--sip-port "$sip" --api-port "$api" |
		"$PY" -c '
import re, sys
m2, m3, ref = sys.argv[1:4]
s = sys.stdin.read()
if ref != "-":  # the same meeting times as the first roster
    times = re.findall(r"\n    (?:start|end): .*", open(ref).read())
    s = re.sub(r"\n    start: .*\n    end: .*", "".join(times[:2]), s)
s = re.sub(r"(    sip: \"sip:sip[1-57]@127\.0\.0\.1\"\n)",
           r"\1    allow: [127.0.0.2/32]\n", s)
s = s.replace("\nendpoints:\n",
              "\n  limits: {participants_per_meeting: 2, calls: 3}\nendpoints:\n")
head, meetings = s.split("\nmeetings:\n")
full = "branches: [leg1, leg2, sip1, sip2, sip3, sip4, sip5, sip6, sip7]"
assert full in meetings and s.count("allow:") == 6
def meeting(mid, host, branches):
    m = meetings.replace("- id: t", "- id: " + mid)
    m = m.replace("host: leg0", "host: " + host)
    return m.replace(full, "branches: [" + branches + "]").rstrip("\n") + "\n"
print(head + "\nmeetings:\n" + meeting("t", "leg0", "sip1, sip2, sip4, sip6")
      + meeting(m2, "leg1", "sip3") + meeting(m3, "leg2", "sip5, sip7"), end="")
' "$M2" "$M3" "$2" >"$WORK/roster-$1.yaml"
	printf -v "SIP_$1" %s "$sip"
	printf -v "API_$1" %s "$api"
}
roster A -
roster B "$WORK/roster-A.yaml"
# The same roster but for the ports (static legs and listeners cannot be
# shared by two processes on one host).
check "A and B load the same endpoints and meetings" diff \
	<(grep -v -e 'listen' -e 'remote:' -e 'local:' "$WORK/roster-A.yaml") \
	<(grep -v -e 'listen' -e 'remote:' -e 'local:' "$WORK/roster-B.yaml")

start_one() { # NAME LOGNAME
	"$MCUD" -c "$WORK/roster-$1.yaml" --run-dir "$WORK/run-$1" --workers 2 \
		--io-threads 1 >"$WORK/mcud-$2.log" 2>&1 &
	printf -v "PID_$1" %s "$!"
	PIDS+=("$!")
	wait_for "$WORK/mcud-$2.log" "media started" 15
}
check "mcud A starts" start_one A A
check "mcud B starts" start_one B B
URI_A="sip:127.0.0.1:$SIP_A"
URI_B="sip:127.0.0.1:$SIP_B"

# ---- the proxy -----------------------------------------------------------
printf '1 %s 0 0 duid=mcu-a\n1 %s 0 0 duid=mcu-b\n' "$URI_A" "$URI_B" \
	>"$KDIR/dispatcher.list"
KDEFS=(-A "LISTEN=udp:$PROXY:$KPORT" -A "DS_LIST=\"$KDIR/dispatcher.list\""
	-A "CTL_SOCKET=\"$CTL\"" -A DS_PING_INTERVAL=1 -A DS_PROBING_THRESHOLD=1
	-A DS_INACTIVE_THRESHOLD=1 -A FR_TIMER=3000)
kamailio -c -f "$SRC/contrib/kamailio/kamailio.cfg" "${KDEFS[@]}" \
	>"$WORK/kamailio-check.log" 2>&1
check "kamailio -c accepts the shipped cfg (rc=$?)" grep -q "config file ok" \
	"$WORK/kamailio-check.log"
kamailio -f "$SRC/contrib/kamailio/kamailio.cfg" "${KDEFS[@]}" -DD -E \
	-w "$KDIR" -Y "$KDIR" -P "$KDIR/kamailio.pid" -m 32 -M 8 \
	>"$WORK/kamailio.log" 2>&1 </dev/null &
KAM_PID=$!
PIDS+=("$KAM_PID")

ds() { kamcmd -s "$CTL" "$@" 2>/dev/null; }
ds_flags() { # URI: its dispatcher FLAGS (AP active+probing, IP, TP, DX...)
	ds dispatcher.list | awk -v u="$1" '$1 == "URI:" { cur = $2 }
		$1 == "FLAGS:" && cur == u { print $2 }'
}
wait_ds() { # URI REGEX SECONDS
	local i
	for ((i = 0; i < $3 * 5; i++)); do
		[[ $(ds_flags "$1") =~ $2 ]] && return 0
		sleep 0.2
	done
	return 1
}
wait_ds "$URI_A" '^AP$' 15
check "the proxy probes A and finds it up ($(ds_flags "$URI_A"))" \
	test "$(ds_flags "$URI_A")" = AP
wait_ds "$URI_B" '^AP$' 5
check "the proxy probes B and finds it up ($(ds_flags "$URI_B"))" \
	test "$(ds_flags "$URI_B")" = AP

# ---- calls ---------------------------------------------------------------
# poll MODE API_A API_B MEETING EP SECONDS [STATE]: one python polls the
# mcud APIs until a deadline. MODE where: prints "A" or "B" once exactly
# that mcud shows EP connected in MEETING ("both", or "none" at the
# deadline). MODE state (API_B unused): until EP is in STATE on API_A.
poll() {
	"$PY" - "$@" <<'PYEOF'
import json, sys, time, urllib.request
mode, a, b, meeting, ep, secs = sys.argv[1:7]
want = sys.argv[7] if len(sys.argv) > 7 else "connected"
def state(api):
    url = f"http://127.0.0.1:{api}/api/v1/meetings/{meeting}/participants"
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return {x["endpoint"]: x["state"] for x in json.load(r)}.get(ep)
    except Exception:
        return None
end = time.monotonic() + float(secs)
while True:
    if mode == "state":
        if state(a) == want:
            sys.exit(0)
    else:
        sa, sb = state(a), state(b)
        if sa == "connected" or sb == "connected":
            print("both" if sa == sb else "A" if sa == "connected" else "B")
            sys.exit(0)
    if time.monotonic() > end:
        if mode == "where":
            print("none")
        sys.exit(1)
    time.sleep(0.2)
PYEOF
}
where() { poll where "$API_A" "$API_B" "$@"; } # MEETING EP SECONDS
wait_state() { poll state "$1" - "$2" "$3" "$5" "$4"; } # API MEETING EP STATE SECONDS
other() { [ "$1" = A ] && echo B || echo A; }
of() { local v=$1_$2; echo "${!v}"; } # of PID|URI|API A|B
N=0
dial() { # FROM_USER MEETING PAUSE_MS: sipp through the proxy, pid in DIAL
	N=$((N + 1))
	sipp -sf "$SRC/tests/data/sip/dialin_proxy.xml" -s "$2" \
		-key from_user "$1" -key from_host 127.0.0.1 -i 127.0.0.1 \
		-p "$(free_port)" -mp "$(free_block 4)" -m 1 -d "$3" -timeout 30s \
		-trace_msg -message_file "$WORK/sipp-$N-$1-$2.msg" \
		"$PROXY:$KPORT" >"$WORK/sipp-$N-$1-$2.out" 2>&1 </dev/null &
	DIAL=$!
	PIDS+=("$DIAL")
}
cd "$WORK" || exit 1

for m in t "$M2" "$M3"; do
	echo "dispatcher.hash 2 $m: $(ds dispatcher.hash 2 "$m" | tr -s '\n\t ' ' ')"
done
# Calls of 15 s: the checks below need them up (a loaded machine is slow).
dial sip1 t 15000; c1=$DIAL
dial sip2 t 15000; c2=$DIAL
dial sip3 "$M2" 15000; c3=$DIAL
dial sip5 "$M3" 15000; c5=$DIAL
T1=$(where t sip1 10)
T2=$(where t sip2 10)
W2=$(where "$M2" sip3 10)
W3=$(where "$M3" sip5 10)
check "sip1 -> t through the proxy connects on one mcud ($T1)" test "$T1" = A -o "$T1" = B
check "sip2 -> t lands on the same mcud: a meeting lives on one ($T2)" test "$T2" = "$T1"
check "$M2 lands on the other mcud: meetings spread ($W2)" test "$W2" = "$(other "$T1")"
check "$M3 lands with t ($W3)" test "$W3" = "$T1"
case $T1 in
A | B) ;;
*) finish; exit 1 ;; # nothing below makes sense without t's mcud
esac
HOME_T=$T1
HOME_M2=$(other "$T1")
api_t=$(of API "$HOME_T")

# mcud $HOME_T now holds 3 calls (its limits.calls) and t 2 (limits.
# participants_per_meeting).
reject() { # FROM_USER MEETING LOCAL_IP CODE NAME
	sed -e "s/EXPECT_CODE/$4/" \
		-e "/From:/s/sip:\[from_user\]@\[local_ip\]/sip:[from_user]@127.0.0.1/" \
		"$SRC/tests/data/sip/dialin_reject.xml" >"$WORK/reject-$5.xml"
	sipp -sf "$WORK/reject-$5.xml" -s "$2" -key from_user "$1" -i "$3" \
		-p "$(free_port)" -mp "$(free_block 4)" -m 1 -timeout 10s \
		-trace_msg -message_file "$WORK/sipp-$5.msg" \
		"$PROXY:$KPORT" >"$WORK/sipp-$5.out" 2>&1 </dev/null
}
failovers() { grep -c "failover: INVITE" "$WORK/kamailio.log"; }
f0=$(failovers)
reject sip4 t 127.0.0.1 503 full
rc=$?
check "sip4 -> t (meeting full): mcud's 503 reaches the caller (rc=$rc)" test "$rc" = 0
check "... with its Retry-After and Warning" grep -q \
	-e "Warning: 399 mcud \"limit participants_per_meeting = 2 reached\"" "$WORK/sipp-full.msg"
check "... Retry-After: 60" grep -q "Retry-After: 60" "$WORK/sipp-full.msg"
check "... relayed without fail-over: a second copy of t would be empty" \
	grep -q "meeting t full on sip:127.0.0.1:" "$WORK/kamailio.log"
check "... and sip4 is in t on no mcud" \
	test "$(failovers)" = "$f0" -a "$(where t sip4 0)" = none
dial sip7 "$M3" 1000; c7=$DIAL
W=$(where "$M3" sip7 10)
wait "$c7"
rc=$?
check "sip7 -> $M3 while mcud $HOME_T is at limits.calls: 503, fails over, connects on $HOME_M2 ($W, rc=$rc)" \
	test "$W" = "$HOME_M2" -a "$rc" = 0
check "... the proxy logged the 503 fail-over" \
	grep -q "failover: INVITE $M3 (503) tried on" "$WORK/kamailio.log"
for p in $c1 $c2 $c3 $c5; do
	wait "$p"
	rc=$?
	check "sipp $p: 200, ACK, INFO 200, re-INVITE 200, BYE 200 via the route set (rc=$rc)" test "$rc" = 0
done
check "the BYE through the proxy ended sip1's call on mcud $HOME_T" \
	wait_state "$api_t" t sip1 disconnected 5
check "the 200 carried the proxy's Record-Route" \
	grep -q "Record-Route: <sip:$PROXY:$KPORT;lr" "$WORK"/sipp-1-sip1-t.msg

# The proxy's source address is not in sip6's allow list: mcud refuses.
reject sip6 t 127.0.0.1 403 sip6
rc=$?
check "sip6 (allow list without the proxy) -> t: 403 (rc=$rc)" test "$rc" = 0
check "... from mcud $HOME_T, which saw the proxy as the source" grep -q "from sip6@127.0.0.1 (127.0.0.2): 403 Source address not allowed" \
	"$WORK/mcud-$HOME_T.log"
invites() { cat "$WORK"/mcud-*.log | grep -c "INVITE .* to "; }
before=$(invites)
reject sip1 t 127.0.0.3 403 spoof
rc=$?
check "From sip1@127.0.0.1 sent from 127.0.0.3: the proxy answers 403 (rc=$rc)" test "$rc" = 0
check "... and logs why" grep -q "from sip1@127.0.0.1 but source 127.0.0.3: 403" "$WORK/kamailio.log"
check "... and no mcud saw it ($before INVITEs before, $(invites) after)" test "$(invites)" = "$before"

# ---- fail-over in the call ------------------------------------------------
check "probing paused (dispatcher.ping_active 0)" ds dispatcher.ping_active 0
pid=$(of PID "$HOME_T")
uri=$(of URI "$HOME_T")
kill -TERM "$pid"
wait "$pid"
rc=$?
check "mcud $HOME_T (holds t) stops on SIGTERM (rc=$rc)" test "$rc" = 0
check "the proxy still has $HOME_T as active ($(ds_flags "$uri"))" wait_ds "$uri" '^A' 1
f0=$(failovers)
dial sip2 t 1500; c4=$DIAL
W=$(where t sip2 10)
check "sip2 -> t connects on the survivor in the same call ($W)" test "$W" = "$HOME_M2"
wait "$c4"
rc=$?
check "... the call completes (rc=$rc)" test "$rc" = 0
check "the proxy tried the dead mcud, then the next ($f0 -> $(failovers) failovers)" \
	test "$(failovers)" = $((f0 + 1))
check "... logged the dead one" grep -q "failover: $uri did not answer INVITE t" "$WORK/kamailio.log"
check "... and marked it inactive ($(ds_flags "$uri"))" wait_ds "$uri" '^I' 1
f0=$(failovers)
dial sip1 t 1000; c5=$DIAL
W=$(where t sip1 10)
wait "$c5"
rc=$?
check "the next dial-in to t goes straight to the survivor ($W, rc=$rc, failovers $f0 -> $(failovers))" \
	test "$W" = "$HOME_M2" -a "$rc" = 0 -a "$(failovers)" = "$f0"

# ---- a restarted mcud: held out, then taken back --------------------------
check "the restarted mcud is held out (dispatcher.set_state d)" \
	ds dispatcher.set_state d 1 "$uri"
check "probing resumed" ds dispatcher.ping_active 1
check "mcud $HOME_T starts again" start_one "$HOME_T" "$HOME_T-2"
sleep 3 # three probe intervals: a disabled destination is not probed back
check "... and stays disabled while t lives on the survivor ($(ds_flags "$uri"))" \
	wait_ds "$uri" '^D' 1
dial sip1 t 1000; c6=$DIAL
W=$(where t sip1 10)
wait "$c6"
check "t's dial-ins still land on the survivor ($W)" test "$W" = "$HOME_M2"
check "set active again (dispatcher.set_state ap)" ds dispatcher.set_state ap 1 "$uri"
wait_ds "$uri" '^AP$' 5
check "... it is probed and up ($(ds_flags "$uri"))" test "$(ds_flags "$uri")" = AP
dial sip1 t 1000; c7=$DIAL
W=$(where t sip1 10)
wait "$c7"
check "t's new dial-ins go back to mcud $HOME_T ($W)" test "$W" = "$HOME_T"

# ---- probing marks a stopped mcud down without a call --------------------
pid=$(of PID "$HOME_M2")
uri=$(of URI "$HOME_M2")
kill -TERM "$pid"
wait "$pid"
rc=$?
check "mcud $HOME_M2 (holds $M2) stops on SIGTERM (rc=$rc)" test "$rc" = 0
wait_ds "$uri" '^I' 10
check "probing marks it inactive within 10 s ($(ds_flags "$uri"))" \
	wait_ds "$uri" '^I' 1
check "... and says so" wait_for "$WORK/kamailio.log" "mcud down: $uri" 3
f0=$(failovers)
dial sip3 "$M2" 1000; c8=$DIAL
W=$(where "$M2" sip3 10)
wait "$c8"
rc=$?
check "$M2's next dial-in goes straight to mcud $HOME_T ($W, rc=$rc, failovers $f0 -> $(failovers))" \
	test "$W" = "$HOME_T" -a "$rc" = 0 -a "$(failovers)" = "$f0"

grep -E "dispatch|failover|mcud (up|down)|403" "$WORK/kamailio.log" | tail -12
kill -TERM "$KAM_PID"
wait "$KAM_PID"
rc=$?
check "kamailio stops on SIGTERM (rc=$rc)" test "$rc" = 0
pid=$(of PID "$HOME_T")
kill -TERM "$pid"
wait "$pid"
rc=$?
check "mcud $HOME_T stops cleanly (rc=$rc)" test "$rc" = 0
finish
