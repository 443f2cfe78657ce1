#!/usr/bin/env bash
# Issue 7 item 3: a browser joins a live meeting by WHIP (RFC 9725).
# Runs in a network namespace of its own (real-peers.md: Chromium ignores
# loopback and libnice gathers nothing on loopback alone): a veth pair
# with 10.213.K.1 (mcud's ICE address, mcu.webrtc.addresses) and
# 10.213.K.2 inside it, the API on the namespace's 127.0.0.1 so the page
# is a secure context. In it: mcud with a live meeting whose host is a
# static ffmpeg leg and whose branch "web1" is the browser; the operator
# makes a one-time join link (POST .../participants/web1/link); headless
# Chromium with a fake camera and microphone opens /join/<token>, joins
# (tests/browser/whip.mjs), and
#  - the MCU decodes frames from the browser (API participant stats,
#    > 0 and rising), the browser decodes frames from the MCU (getStats(),
#    > 0 and rising) and receives audio;
#  - VP8 (the browser's first choice) and then H.264 (the page asked to
#    prefer it) both ways;
#  - the used link no longer opens anything; Leave (DELETE) disconnects;
#  - WHIP refuses what it must: no token (401), a wrong token (403), a
#    non-SDP body (415), a broken offer (400), PATCH (405);
#  - datagrams sent to the ICE port from an address ICE never validated
#    reach no leg (the browser's counters of rejected packets stay 0).
# Skips when not root, or without ip netns, chromium or node.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
BROWSER_DIR=$SRC/tests/browser

if [ -z "${WEBRTC_IN_NS:-}" ]; then
	if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
		echo "skip - needs root and ip netns"
		finish
		exit 0
	fi
	if [ ! -x "$CHROMIUM" ] || ! command -v node >/dev/null ||
		[ ! -d "$BROWSER_DIR/node_modules/playwright-core" ]; then
		echo "skip - chromium, node or playwright-core missing (make deps)"
		finish
		exit 0
	fi
	K=$((($$ % 200) + 20))
	NS=mcuw$$
	ip netns add "$NS" || { fail "ip netns add $NS"; finish; exit 1; }
	trap 'ip netns del "$NS" 2>/dev/null; cleanup' EXIT
	ip link add "wa$$" type veth peer name "wb$$" &&
		ip link set "wa$$" netns "$NS" && ip link set "wb$$" netns "$NS" &&
		ip -n "$NS" addr add "10.213.$K.1/24" dev "wa$$" &&
		ip -n "$NS" addr add "10.213.$K.2/24" dev "wb$$" &&
		ip -n "$NS" link set lo up && ip -n "$NS" link set "wa$$" up &&
		ip -n "$NS" link set "wb$$" up
	check "namespace $NS with veth 10.213.$K.1/.2" test $? = 0
	ip netns exec "$NS" env WEBRTC_IN_NS=1 WEBRTC_ADDR="10.213.$K.1" \
		MCU_SOURCE_DIR="$SRC" MCU_BUILD_DIR="$BUILD" bash "$0"
	rc=$?
	check "the test inside the namespace passed (rc=$rc)" test $rc = 0
	finish
	exit
fi

# ---- inside the namespace ----------------------------------------------
base=$(free_base 3)
api=$(free_port)
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$WORK/token"
python3 "$TOOLS/mkroster.py" --base "$base" --legs h264/opus --sip-branches 1 \
	--api-port "$api" --sip-port "$(free_port)" --token-file "$WORK/token" |
	sed -e "s|^  rtp: {ports: .*|&\n  webrtc: {addresses: [$WEBRTC_ADDR]}|" \
	    -e 's|id: sip1|id: web1|; s|"sip:sip1@127.0.0.1"|"sip:web1@127.0.0.1"|' \
	    -e 's|branches: \[sip1\]|branches: [web1]|' >"$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
A="http://127.0.0.1:$api"
TOK=$(cat "$WORK/token")
send_leg 0 "$base" h264 opus 150

link() { # a new one-time link for web1: its path
	curl -s -X POST -H "Authorization: Bearer $TOK" \
		"$A/api/v1/meetings/t/participants/web1/link" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])'
}
code() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; }

# Refusals first (none of them uses a link up).
L=$(link)
check "POST link gives a /join/<token> url ($L)" test "${L#/join/}" != "$L"
T=${L#/join/}
c=$(code "$A/join/$T/info")
check "GET /join/<token>/info answers 200 ($c)" test "$c" = 200
grep -q '"name"' "$WORK/body" && ok "the info names the endpoint" || fail "the info names the endpoint"
c=$(code "$A$L")
check "GET /join/<token> serves the page ($c)" test "$c" = 200
c=$(code -X POST -H 'Content-Type: application/sdp' --data-binary 'v=0' "$A/whip/t")
check "WHIP without a token: 401 ($c)" test "$c" = 401
c=$(code -X POST -H 'Content-Type: application/sdp' -H "Authorization: Bearer $TOK" \
	--data-binary 'v=0' "$A/whip/t")
check "WHIP with the operator's token: 403 ($c)" test "$c" = 403
c=$(code -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $T" \
	--data-binary '{}' "$A/whip/t")
check "WHIP with a JSON body: 415 ($c)" test "$c" = 415
c=$(code -X POST -H 'Content-Type: application/sdp' -H "Authorization: Bearer $T" \
	--data-binary $'v=0\r\nbroken\r\n' "$A/whip/t")
check "WHIP with a broken offer: 400 ($c)" test "$c" = 400
c=$(code -X PATCH -H 'Content-Type: application/trickle-ice-sdpfrag' \
	-H "Authorization: Bearer $T" --data-binary 'a=x' "$A/whip/t/0123")
check "PATCH (trickle) on a session: 405 ($c)" test "$c" = 405

run_browser() { # VIDEO-CODEC: one join through the page
	local v=$1 L2
	L2=$(link)
	WHIP_URL=$A WHIP_JOIN="$L2" WHIP_VIDEO=$v WHIP_TOKEN=$TOK WHIP_MEETING=t \
		WHIP_ENDPOINT=web1 WHIP_SHOTS="$WORK" CHROMIUM=$CHROMIUM WHIP_CHROME_LOG=${WHIP_CHROME_LOG:-} \
		timeout 100 node "$BROWSER_DIR/whip.mjs" >"$WORK/browser-$v.out" 2>"$WORK/browser-$v.err"
	local brc=$?
	while IFS= read -r line; do
		case $line in
		"ok   - "*) ok "$v: ${line#ok   - }" ;;
		"FAIL - "*) fail "$v: ${line#FAIL - }" ;;
		*) echo "  $line" ;;
		esac
	done <"$WORK/browser-$v.out"
	sed 's/^/  node: /' "$WORK/browser-$v.err" | head -20
	check "$v: the browser run ends well (rc=$brc)" test "$brc" = 0
	c=$(code "$A$L2/info")
	check "$v: the used link is gone (info $c)" test "$c" = 404
}
for v in ${WEBRTC_CODECS:-vp8 h264}; do
	run_browser "$v"
done

n=$(grep -c "joins by WebRTC" "$WORK/mcud.log")
nv=$(echo ${WEBRTC_CODECS:-vp8 h264} | wc -w)
check "mcud logged $nv WebRTC joins ($n)" test "$n" = "$nv"
grep "WebRTC session\|joins by WebRTC\|DTLS" "$WORK/mcud.log" | head -10 | sed 's/^/  log: /'

art=$BUILD/test-artifacts
mkdir -p "$art" && cp "$WORK"/join*.png "$art/" 2>/dev/null

kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
