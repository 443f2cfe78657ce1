#!/usr/bin/env bash
# SIP over TLS: mcud listens on tls: with a self-signed certificate made
# here, serves that certificate, and a roster endpoint dialling in over
# TLS (sips: Request-URI, Via SIP/2.0/TLS) gets 200 with an SDP answer for
# audio and video, shows as connected, and leaves with BYE 200. The
# Debian sipp is built without TLS, so tests/tools/siprobe.py speaks it
# through python's ssl module.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
PROBE=$SRC/tests/tools/siprobe.py
# Under ASan: sofia-sip 1.12.11 never frees the SSL object of an accepted
# TLS connection (tests/lsan.supp: tls_init_secondary); LSan only matches
# that suppression when it unwinds malloc stacks through libssl, which has
# no frame pointers, the slow way.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
sip=$(free_port)
tls=$(free_port)
api=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" >"$WORK/openssl.log" 2>&1
check "self-signed certificate made" test -s "$WORK/cert.pem"
chmod 600 "$WORK/key.pem"
python3 "$TOOLS/mkroster.py" --base 48500 --legs h264/opus --sip-branches 1 \
	--sip-port "$sip" --tls-port "$tls" --tls-cert "$WORK/cert.pem" \
	--tls-key "$WORK/key.pem" --api-port "$api" >"$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
check "mcud listens on tls 127.0.0.1:$tls" wait_for "$WORK/mcud.log" "SIP listens on tls 127.0.0.1:$tls" 5
fp() { openssl x509 -noout -fingerprint -sha256; }
want=$(fp <"$WORK/cert.pem")
got=$(timeout 10 openssl s_client -connect "127.0.0.1:$tls" </dev/null 2>/dev/null | fp)
check "the TLS port serves our certificate (${got#*=})" test -n "$got" -a "$got" = "$want"
state_of() {
	curl -sf "http://127.0.0.1:$api/api/v1/meetings/t/participants" |
		python3 -c "import json,sys; print({x['endpoint']: x['state'] + ' ' + str(x.get('signalling')) for x in json.load(sys.stdin)}.get('$1'))"
}
python3 "$PROBE" call --proto tls --target "127.0.0.1:$tls" --from sip1 \
	--hold 10 >"$WORK/call.out" 2>&1 &
call_pid=$!
PIDS+=("$call_pid")
# Polled: on a loaded machine the handshake and the call take seconds.
for _ in $(seq 40); do
	s=$(state_of sip1)
	[ "$s" = "connected sip" ] && break
	sleep 0.2
done
check "sip1 is connected by SIP during the TLS call ($s)" test "$s" = "connected sip"
wait "$call_pid"
r=$(cat "$WORK/call.out")
read -r inv bye a v <<<"$r"
check "INVITE over TLS: 200 ($r)" test "$inv" = invite=200
check "the answer has an audio and a video port" test "${a#audio=}" -gt 0 -a "${v#video=}" -gt 0
check "BYE over TLS: 200" test "$bye" = bye=200
check "mcud logged the INVITE as TLS" \
	wait_for "$WORK/mcud.log" "INVITE .* from sip1@127.0.0.1 (tls 127.0.0.1:" 5
check "and let sip1 join" wait_for "$WORK/mcud.log" "t: sip1 joins by SIP" 5
for _ in $(seq 25); do
	s=$(state_of sip1)
	[ "${s%% *}" = disconnected ] && break
	sleep 0.2
done
check "disconnected after BYE ($s)" test "${s%% *}" = disconnected
# plain UDP goes on working next to TLS
r=$(python3 "$PROBE" call --proto udp --target "127.0.0.1:$sip" --from sip1 --hold 0.5)
check "a UDP call next to it: 200, BYE 200 ($r)" test "${r%% audio*}" = "invite=200 bye=200"
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
