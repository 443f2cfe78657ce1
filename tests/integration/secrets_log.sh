#!/usr/bin/env bash
# Issue 7 item 4, no secret in logs: a meeting with an API token, a SIP
# endpoint with digest auth and SDES-SRTP over plain SIP
# (sdes_without_tls), mcud at log level trace with sofia's message dumps on
# (TPORT_LOG=1: every SIP message is logged whole). sipp dials in with the
# password and an a=crypto key; the operator makes a one-time WebRTC join
# link with the token (and a wrong token is tried). mcud's log must hold
# none of: the SIP password, the Authorization header's digest, sipp's SDES
# key, mcud's own SDES key (from sipp's trace of the 200 OK), the API
# token, the join link's token.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
sip=$(free_port)
api=$(free_port)
printf 'pw-%s-%s\n' "$RANDOM" "$RANDOM" >"$WORK/sip.pw"
printf 'tok-%s%s%s%s-abcdefghijklmnop\n' $RANDOM $RANDOM $RANDOM $RANDOM >"$WORK/api.token"
chmod 600 "$WORK/sip.pw" "$WORK/api.token"
pw=$(cat "$WORK/sip.pw") tok=$(cat "$WORK/api.token")
key=$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(30)).decode())')
python3 "$TOOLS/mkroster.py" --base 48600 --legs h264/opus --sip-branches 1 \
	--sip-auth "$WORK/sip.pw" --sip-port "$sip" --api-port "$api" \
	--token-file "$WORK/api.token" |
	sed -E 's|^  rtp: \{ports: ([0-9-]+)\}|  rtp: {ports: \1, srtp: optional, sdes_without_tls: true}|' \
	>"$WORK/roster.yaml"
check "the roster allows SDES over plain SIP" grep -q "sdes_without_tls: true" "$WORK/roster.yaml"
TPORT_LOG=1 "$MCUD" -c "$WORK/roster.yaml" --run-dir "$WORK/run" --workers 2 \
	--io-threads 1 --log-level trace >"$WORK/mcud.log" 2>&1 &
MCUD_PID=$!
PIDS+=("$MCUD_PID")
check "mcud starts the meeting" wait_for "$WORK/mcud.log" "media started" 10
cd "$WORK" || exit 1
sed -e 's/sip:room@/sip:t@/g' -e 's/sip:ubnd-a@/sip:sip1@/g' \
	-e "s|^\(\s*\)a=rtpmap:0 PCMU/8000|&\n\1a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:$key|" \
	"$SRC/tests/data/sip/auth_ok.xml" >"$WORK/auth_srtp.xml"
check "the scenario offers an SDES key" grep -q "inline:$key" "$WORK/auth_srtp.xml"
sipp -sf "$WORK/auth_srtp.xml" -i 127.0.0.1 -p "$(free_port)" -m 1 -nostdin \
	-timeout 10s -timeout_error -auth_uri "t@127.0.0.1:$sip" -au sip1 -ap "$pw" \
	-trace_msg -message_file "$WORK/sipp.msg" "127.0.0.1:$sip" >"$WORK/sipp.out" 2>&1
rc=$?
check "sipp: challenged, then in with the password and SRTP (rc=$rc)" test "$rc" = 0
mkey=$(grep -o 'inline:[A-Za-z0-9+/=]*' "$WORK/sipp.msg" | grep -v "$key" | head -1 | cut -d: -f2)
check "mcud answered with an SDES key of its own (${#mkey} chars)" test "${#mkey}" -ge 30
digest=$(grep -o 'response="[0-9a-f]*"' "$WORK/sipp.msg" | head -1 | cut -d'"' -f2)
check "sipp sent a digest response" test -n "$digest"
link=$(curl -sf --max-time 3 -X POST -H "Authorization: Bearer $tok" \
	"http://127.0.0.1:$api/api/v1/meetings/t/participants/sip1/link")
jt=$(printf '%s' "$link" | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"].rsplit("/",1)[1])' 2>/dev/null)
check "the operator made a join link with the token (${#jt} chars)" test "${#jt}" -ge 16
curl -s --max-time 3 -o /dev/null "http://127.0.0.1:$api/join/$jt"
curl -s --max-time 3 -o /dev/null -H "Authorization: Bearer wrong-$tok" -X POST \
	"http://127.0.0.1:$api/api/v1/meetings/t/participants/sip1/link"
sleep 1
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
log=$WORK/mcud.log
# sofia's lines go through a rate limit (one per 200 ms), so of each
# dumped message mostly its first line shows; whatever line passes has
# its keys and Authorization values blanked (transport/sip.c).
check "sofia's message dumps were on (TPORT_LOG)" \
	grep -Eq "sofia: (recv|send) [0-9]+ bytes" "$log"
check "mcud logged at trace level" grep -q "TRACE\|DEBUG" "$log"
nolog() { ! grep -qF -- "$2" "$log" && ok "$1" || fail "$1 (found in mcud.log)"; }
nolog "no SIP password" "$pw"
nolog "no digest response" "$digest"
nolog "no SDES key of the endpoint" "$key"
nolog "no SDES key of mcud" "$mkey"
nolog "no API token" "$tok"
nolog "no join-link token" "$jt"
finish
