#!/usr/bin/env bash
# Resource limits (issue 9 item 6): a meeting of a host and two branches
# with mcu.limits.participants_per_meeting: 2 and decoders: 1 (of the two
# visible sources one is paused, logged and counted). Two sipp dial-ins (sim001,
# sim002) connect; the third (sim003) gets 503 "Capacity reached" with
# Retry-After: 60 and a Warning naming the limit, mcud logs the limit, the
# API (health.limits) and /metrics show cap, use and the refusal. A second
# call of a connected endpoint (it replaces its first) is not refused.
# After sim001 hangs up, sim003 gets in. Then a dial: out meeting with the
# same cap: the MCU does not place the third call.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/sip.sh"
SIM=$BUILD/tools/mcu-sim/mcu-sim
sip=$(free_port)
api=$(free_port)
"$SIM" roster 3 --sip-port "$sip" --api-port "$api" --meeting lim \
	--logbook "$WORK/logbook.db" >"$WORK/base.yaml" || exit 1
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$WORK/token"
TOKEN=$(cat "$WORK/token")
sed -e 's|^mcu:$|mcu:\n  limits: {participants_per_meeting: 2, decoders: 1}|' \
	-e "s|^  api: {listen: \\(\"[^\"]*\"\\)}|  api: {listen: \\1, token_file: \"$WORK/token\"}|" \
	"$WORK/base.yaml" >"$WORK/roster.yaml"
check "roster has the limit and passes --check" \
	"$MCUD" --check "$WORK/roster.yaml"
grep -q "participants_per_meeting: 2" "$WORK/roster.yaml" &&
	grep -q "token_file" "$WORK/roster.yaml" || fail "roster edit"

# scenario EXPECT: dial in with H.264 + Opus; EXPECT 200: the call lasts
# until mcud's BYE (the API's hangup, or a second call of the endpoint
# replacing it: no timing on a loaded machine); EXPECT 503: checks the
# reason, Retry-After and the Warning.
scenario() {
	local out=$WORK/s-$1.xml
	{
		cat <<'EOF'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="limits">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Test" <sip:[from_user]@[local_ip]>;tag=[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[from_user]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 111
      a=rtpmap:111 opus/48000/2
      m=video [media_port+2] RTP/AVP 96
      a=rtpmap:96 H264/90000
      a=fmtp:96 profile-level-id=42e01f;packetization-mode=1
    ]]>
  </send>
  <recv response="100" optional="true"/>
EOF
		if [ "$1" = 503 ]; then
			cat <<'EOF'
  <recv response="503">
    <action>
      <ereg regexp="SIP/2.0 503 Capacity reached" search_in="msg" check_it="true" assign_to="1"/>
      <ereg regexp="Retry-After: *60" search_in="msg" check_it="true" assign_to="2"/>
      <ereg regexp="Warning: *399 mcud .limit participants_per_meeting = 2 reached." search_in="msg" check_it="true" assign_to="3"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Test" <sip:[from_user]@[local_ip]>;tag=[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <Reference variables="1,2,3"/>
</scenario>
EOF
		else
			cat <<'EOF'
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Test" <sip:[from_user]@[local_ip]>;tag=[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:[from_user]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
EOF
		fi
	} >"$out"
	echo "$out"
}

# call NAME FROM EXPECT: one sipp call in the background; pid in CALL.
call() {
	local f
	f=$(scenario "$3")
	sipp -sf "$f" -s lim -key from_user "$2" -i 127.0.0.1 \
		-p "$(free_port)" -mp "$(free_block 4)" -m 1 -timeout 120s \
		"127.0.0.1:$sip" >"$WORK/sipp-$1.out" 2>&1 </dev/null &
	CALL=$!
	PIDS+=("$CALL")
}

# health: the limits object of GET /api/v1/health as "k=max/used ...";
# decoders' use follows the video tick (sipp's legs are visible, not
# sending), so only its cap is shown.
health() {
	curl -sf "http://127.0.0.1:$api/api/v1/health" | python3 -c "import json,sys
l=json.load(sys.stdin)['limits']
print(' '.join('%s=%s/%s' % (k, l[k]['max'], l[k]['used']) for k in
 ('participants_per_meeting','calls')), 'decoders=%s' % l['decoders']['max'],
 'refused=%d' % l['refused']['participants_per_meeting'])"
}

check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
h=$(health)
check "health shows the caps before any call ($h)" \
	test "$h" = "participants_per_meeting=2/0 calls=250/0 decoders=1 refused=0"

hangup() { # EP: the API hangs up EP's call (mcud sends BYE)
	curl -sf -X POST -H "Authorization: Bearer $TOKEN" \
		"http://127.0.0.1:$api/api/v1/meetings/lim/participants/$1/hangup" \
		>/dev/null
}

call a sim001 200; pa=$CALL
call b sim002 200; pb=$CALL
check "sim001 connected" wait_part lim sim001 connected 20
check "sim002 connected" wait_part lim sim002 connected 20
h=$(health)
check "health: 2 of 2 participants, 2 calls ($h)" \
	test "$h" = "participants_per_meeting=2/2 calls=250/2 decoders=1 refused=0"

# decoders: 1. The host's grid shows sim002, the branches' host+floor
# the host: two visible sources with video (sipp offers it), one decoder.
check "one source paused by the decoders cap, logged" wait_for \
	"$WORK/mcud.log" "refused (decoding): limit decoders = 1 reached" 10
d=$(curl -sf "http://127.0.0.1:$api/api/v1/health" | python3 -c "import json,sys
l=json.load(sys.stdin)['limits']
print(l['decoders']['used'], l['refused']['decoders'] >= 1)")
check "health: 1 decoder in use, a refusal counted ($d)" test "$d" = "1 True"

call c sim003 503; pc=$CALL
wait "$pc"; rc=$?
check "the third dial-in gets 503 Capacity reached, Retry-After: 60, Warning (rc=$rc)" \
	test "$rc" = 0
[ "$rc" = 0 ] || cat "$WORK/sipp-c.out"
check "mcud logs the limit" wait_for "$WORK/mcud.log" \
	"lim: sim003 refused (dial-in): limit participants_per_meeting = 2 reached" 5
s=$(part_state lim sim003)
check "sim003 stays disconnected ($s)" test "$s" = disconnected
h=$(health)
check "health counts the refusal ($h)" \
	test "$h" = "participants_per_meeting=2/2 calls=250/2 decoders=1 refused=1"
m=$(curl -sf "http://127.0.0.1:$api/metrics")
check "/metrics: mcu_limit cap" grep -q \
	'^mcu_limit{limit="participants_per_meeting"} 2$' <<<"$m"
check "/metrics: mcu_limit_used" grep -q \
	'^mcu_limit_used{limit="calls"} 2$' <<<"$m"
check "/metrics: mcu_limit_refused_total" grep -q \
	'^mcu_limit_refused_total{limit="participants_per_meeting"} 1$' <<<"$m"

# sim002 calls again (a rebooted terminal) while the meeting is full: it
# replaces its own call (mcud BYEs the first), so it is not refused.
call b2 sim002 200; pb2=$CALL
wait "$pb"; rc=$?
check "a second call of a connected endpoint replaces the first (rc=$rc)" \
	test "$rc" = 0
check "sim002 connected on its second call" wait_part lim sim002 connected 10

# sim001 is hung up: room for sim003.
check "the API hangs up sim001" hangup sim001
wait "$pa"; rc=$?
check "sim001's call ended with mcud's BYE (rc=$rc)" test "$rc" = 0
check "sim001 disconnected" wait_part lim sim001 disconnected 10
call c2 sim003 200; pc2=$CALL
check "sim003 connects after sim001 left" wait_part lim sim003 connected 20
hangup sim003; hangup sim002
wait "$pc2"; rc=$?
check "sim003's call: 200, then BYE (rc=$rc)" test "$rc" = 0
wait "$pb2"; rc=$?
check "sim002's second call: 200, then BYE (rc=$rc)" test "$rc" = 0
n=$(grep -c "refused (dial-in)" "$WORK/mcud.log")
check "exactly one refusal logged ($n)" test "$n" = 1

kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0

# Dial-out: the same cap on a dial: out meeting of three. mcu-sim answers
# for all three (started first, so the MCU's three calls go out together:
# a ringing call counts); the third is not placed, logged, and retried by
# the dialler's back-off, never connected while the two are in.
sip=$(free_port)
api=$(free_port)
ep=$(free_port)
"$SIM" roster 3 --sip-port "$sip" --api-port "$api" --meeting dout \
	--dial out --endpoint-port "$ep" --logbook "$WORK/logbook2.db" |
	sed 's|^mcu:$|mcu:\n  limits: {participants_per_meeting: 2}|' \
		>"$WORK/roster-out.yaml"
"$SIM" run --answer --roster "$WORK/roster-out.yaml" --meeting dout \
	--sip-port "$ep" --seconds 150 --report "$WORK/answer.json" \
	>"$WORK/answer.out" 2>"$WORK/answer.err" &
ANS=$!
PIDS+=("$ANS")
listening "$ep" || fail "mcu-sim --answer does not listen"
"$MCUD" -c "$WORK/roster-out.yaml" --run-dir "$WORK/run2" --workers 2 \
	--io-threads 1 >"$WORK/mcud2.log" 2>&1 &
MCUD_PID=$!
PIDS+=("$MCUD_PID")
check "dial-out: sim001 connected" wait_part dout sim001 connected 20
check "dial-out: sim002 connected" wait_part dout sim002 connected 20
check "dial-out: the call to sim003 is not placed, logged" wait_for \
	"$WORK/mcud2.log" \
	"dout: sim003 refused (dial-out): limit participants_per_meeting = 2 reached" 20
s=$(part_state dout sim003)
check "dial-out: sim003 not connected ($s)" test "$s" != connected
n=$(grep -c "calling sim003" "$WORK/mcud2.log")
check "dial-out: no INVITE to sim003 ($n)" test "$n" = 0
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud (dial-out) stops cleanly (rc=$rc)" test "$rc" = 0
kill -INT "$ANS"; wait "$ANS"
finish
