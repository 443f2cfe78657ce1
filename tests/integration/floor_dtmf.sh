#!/usr/bin/env bash
# Chaired floor by DTMF (groundwork of the control issue): a branch presses
# *1 (RFC 4733): it is queued and the API shows the queue; the operator
# grants with mcuctl: it holds the floor; *0 gives it back.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
base=$(free_base 4)
api=$(free_port)
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus,h264/opus,h264/opus \
	--floor chaired --api-port "$api" --sip-port "$(free_port)" >"$WORK/roster.yaml"
head -c 32 /dev/urandom | base64 >"$WORK/token"
sed -i "s|  api: {listen: \"127.0.0.1:$api\"}|  api: {listen: \"127.0.0.1:$api\", token_file: \"$WORK/token\"}|" "$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
MCUCTL=("$BUILD/tools/mcuctl/mcuctl" --api "127.0.0.1:$api" --token-file "$WORK/token")
floor() { curl -sf "http://127.0.0.1:$api/api/v1/meetings/t" |
	python3 -c "import json,sys; f=json.load(sys.stdin)['floor']; print(f['holder'], ','.join(f['queue']) or '-')"; }
# Branch 2 presses *1 on its audio port (base+500+10*2+2).
python3 "$TOOLS/send_dtmf.py" "127.0.0.1:$((base + 522))" "*1"
sleep 0.5
check "*1 queues branch 2 (holder queue: $(floor))" test "$(floor)" = "None leg2"
"${MCUCTL[@]}" floor t grant leg2 >"$WORK/grant.out" 2>&1; rc=$?
check "mcuctl floor t grant leg2 (rc=$rc)" test "$rc" = 0
check "leg2 holds the floor ($(floor))" test "$(floor)" = "leg2 -"
python3 "$TOOLS/send_dtmf.py" "127.0.0.1:$((base + 522))" "*0"
sleep 0.5
check "*0 gives the floor back ($(floor))" test "$(floor)" = "None -"
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
