#!/usr/bin/env bash
# Digest auth on dial-in: an endpoint with auth: in the roster is
# challenged (401 with a Digest challenge for realm = the SIP domain,
# qop auth), gets in with the right password (200, BYE 200) and is refused
# 403 with a wrong password or a wrong user name; a digest made for
# another Request-URI (another meeting) is not accepted.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
PROBE=$SRC/tests/tools/siprobe.py
sip=$(free_port)
api=$(free_port)
printf 's3cret-%s\n' "$RANDOM" >"$WORK/sip.pw"
chmod 600 "$WORK/sip.pw"
pw=$(cat "$WORK/sip.pw")
python3 "$TOOLS/mkroster.py" --base 48200 --legs h264/opus --sip-branches 2 \
	--sip-auth "$WORK/sip.pw" --sip-port "$sip" --api-port "$api" \
	>"$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
cd "$WORK" || exit 1
# The scenarios of tests/data/sip call meeting "room" as "ubnd-a".
for f in auth_ok auth_bad; do
	sed -e 's/sip:room@/sip:t@/g' -e 's/sip:ubnd-a@/sip:sip1@/g' \
		"$SRC/tests/data/sip/$f.xml" >"$WORK/$f.xml"
done
uac() { # SCENARIO NAME -au USER -ap PASSWORD...
	local sf=$1 name=$2
	shift 2
	sipp -sf "$WORK/$sf.xml" -i 127.0.0.1 -p "$(free_port)" -m 1 \
		-nostdin -timeout 10s -timeout_error \
		-auth_uri "t@127.0.0.1:$sip" "$@" \
		"127.0.0.1:$sip" >"$WORK/sipp-$name.out" 2>&1
}

# No credentials: 401 with our challenge (the probe shows the header).
cat >"$WORK/invite.txt" <<EOT
INVITE sip:t@127.0.0.1:$sip SIP/2.0
Via: SIP/2.0/UDP LOCAL;branch=BRANCH;rport
From: <sip:sip1@127.0.0.1>;tag=a1
To: <sip:t@127.0.0.1:$sip>
Call-ID: CALLID
CSeq: 1 INVITE
Contact: <sip:sip1@LOCAL>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: 98

v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6000 RTP/AVP 0
EOT
python3 -c "import sys; d=open(sys.argv[1]).read().replace('\n','\r\n'); h,b=d.split('\r\n\r\n',1); open(sys.argv[1],'w').write(h.replace('Content-Length: 98','Content-Length: %d' % len(b))+'\r\n\r\n'+b)" "$WORK/invite.txt"
st=$(python3 "$PROBE" raw "$WORK/invite.txt" --target "127.0.0.1:$sip" --show 2>"$WORK/challenge.txt")
check "INVITE without credentials: 401 ($st)" test "$st" = 401
check "the challenge is Digest for realm 127.0.0.1, qop auth, MD5, with a nonce" \
	grep -qE 'WWW-Authenticate: Digest realm="127\.0\.0\.1", nonce="[0-9a-f]{48}", algorithm=MD5, qop="auth"' "$WORK/challenge.txt"

uac auth_ok ok -au sip1 -ap "$pw"; rc=$?
check "401, then INVITE with the right password: 200, BYE 200 (rc=$rc)" test "$rc" = 0
check "sip1 joined by SIP" wait_for "$WORK/mcud.log" "t: sip1 joins by SIP" 5
uac auth_bad bad -au sip1 -ap "wrong-$pw"; rc=$?
check "401, then INVITE with a wrong password: 403 (rc=$rc)" test "$rc" = 0
uac auth_bad user -au sip2 -ap "$pw"; rc=$?
check "401, then INVITE as another user with its password: 403 (rc=$rc)" test "$rc" = 0
n=$(grep -c "joins by SIP" "$WORK/mcud.log")
check "only the right credentials joined ($n joins)" test "$n" = 1
# Our own digest (siprobe): the right one gets in; one computed for
# meeting t does not open another Request-URI (RFC 2617 3.2.2.5), it is
# challenged again instead of reaching admission (which would say 404).
r=$(python3 "$PROBE" auth --target "127.0.0.1:$sip" --from sip1 --to t \
	--user sip1 --password "$pw")
check "INVITE, 401, digest for the Request-URI: 200 ($r)" test "$r" = "challenge=401 final=200"
r=$(python3 "$PROBE" auth --target "127.0.0.1:$sip" --from sip1 --to other \
	--user sip1 --password "$pw" --digest-uri "sip:t@127.0.0.1:$sip")
check "a digest for sip:t@ sent to sip:other@ is refused: 401 ($r)" \
	test "$r" = "challenge=401 final=401"
sleep 0.3
s=$(curl -sf "http://127.0.0.1:$api/api/v1/meetings/t/participants" |
	python3 -c "import json,sys; print({x['endpoint']: x['state'] for x in json.load(sys.stdin)}.get('sip1'))")
check "sip1 disconnected after its BYE ($s)" test "$s" = disconnected
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
