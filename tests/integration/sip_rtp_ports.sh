#!/usr/bin/env bash
# RTP ports another process holds (issue: a second mcud or an ffmpeg on
# the machine took ports of mcud's range and dial-outs hung up with "488
# no media ports"). mcud's range is a tiny block of 16 ports (8 pairs);
# another process holds 4 pairs of it (some only on the RTP port, some only
# on the RTCP one), leaving exactly the 4 pairs two dial-out calls need
# (video + audio each). Both calls connect, on the free pairs only, and
# while they are up nobody else can bind any port of the range: mcud never
# shares a port (no SO_REUSEADDR/SO_REUSEPORT) and the pairs its offers
# named stay bound from the INVITE on.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/sip.sh"
base=$(free_base 1)
sip=$(free_port)
api=$(free_port)
p1=$(free_port) p2=$(free_port)
lo=$(free_block 16)
hi=$((lo + 15))
head -c 32 /dev/urandom | base64 >"$WORK/token"
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus --sip-branches 2 \
	--sip-ports "$p1,$p2" --dial out --sip-port "$sip" --api-port "$api" \
	--rtp-ports "$lo-$hi" --token-file "$WORK/token" >"$WORK/roster.yaml"
cd "$WORK" || exit 1

# The other process: pairs 0 and 4 whole, pair 2 on RTP only, pair 6 on
# RTCP only; pairs 1, 3, 5, 7 are free.
held="$lo $((lo + 1)) $((lo + 4)) $((lo + 8)) $((lo + 9)) $((lo + 13))"
python3 - $held >"$WORK/holder.out" 2>&1 <<'PY' &
import signal, socket, sys, time
socks = []
for p in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(p)))
    socks.append(s)
print("holding", *sys.argv[1:], flush=True)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(1)
PY
PIDS+=($!)
check "another process holds 4 of the 8 pairs" wait_for "$WORK/holder.out" holding 10

uas sip1 "$p1" uas_answer.xml; s1=$UAS
uas sip2 "$p2" uas_answer.xml; s2=$UAS
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
check "sip1 answers and is connected" wait_part t sip1 connected 20
check "sip2 answers and is connected" wait_part t sip2 connected 20
n=$(grep -c "no media ports\|no free RTP ports" "$WORK/mcud.log")
check "no call failed for media ports ($n)" test "$n" = 0
# mcud's sockets in the range: the 8 ports of the 4 free pairs, no other
mine=$(ss -Hlunp | grep "pid=$MCUD_PID," | awk '{print $4}' |
	sed 's/.*://' | awk -v lo="$lo" -v hi="$hi" '$1 >= lo && $1 <= hi' |
	sort -n | tr '\n' ' ')
want="$((lo + 2)) $((lo + 3)) $((lo + 6)) $((lo + 7)) $((lo + 10)) $((lo + 11)) $((lo + 14)) $((lo + 15)) "
check "mcud's media on the free pairs only ($mine)" test "$mine" = "$want"
# (the free halves of pairs 2 and 6 are the only ports left in the range)
busy=$(python3 - $mine $held <<'PY'
import socket, sys
n = 0
for p in sys.argv[1:]:
    for host in ("127.0.0.1", "0.0.0.0"):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, int(p)))
        except OSError:
            n += 1
        s.close()
print(n)
PY
)
check "no port mcud or the other process holds can be bound a second time ($busy of 28 refused)" test "$busy" = 28

kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
for p in "$s1" "$s2"; do
	wait "$p"; rc=$?
	check "an endpoint got its BYE at shutdown (sipp rc=$rc)" test "$rc" = 0
done
finish
