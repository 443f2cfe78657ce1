#!/usr/bin/env bash
# Issue 5, lecture floor: only the host is heard. Three branches send loud
# tones (0.9 of full scale, far above the host's 0.125), the host a normal
# one; every branch hears the host and no branch, the host hears nobody.
# A branch may still ask for the floor: *1 queues it (API queue and role);
# even granted it stays inaudible (docs/operator-guide.en.md: "a branch
# given the floor is still not heard"). Real ffmpeg Opus peers on
# audio-only legs.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/floor.sh"
base=$(free_base 4)
[ -n "$base" ] || { fail "no free base port"; finish; exit 1; }
api=$(free_port)
python3 "$TOOLS/mkroster.py" --base $base --legs /opus,/opus,/opus,/opus \
	--floor lecture --api-port "$api" --sip-port "$(free_port)" >"$WORK/roster.yaml"
head -c 32 /dev/urandom | base64 >"$WORK/token"
sed -i "s|  api: {listen: \"127.0.0.1:$api\"}|  api: {listen: \"127.0.0.1:$api\", token_file: \"$WORK/token\"}|" "$WORK/roster.yaml"
MCUCTL=("$BUILD/tools/mcuctl/mcuctl" --api "127.0.0.1:$api" --token-file "$WORK/token")
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
send_audio 0 $base 40 0.125
for i in 1 2 3; do send_audio $i $base 40 0.9; done
sleep 2
SECS=5

# hear TAG: every branch hears the host and no branch; the host nobody.
hear() {
	local tag=$1 i=0 j a0 a1 a2 a3
	while read -r a0 a1 a2 a3; do
		local a=("$a0" "$a1" "$a2" "$a3")
		if [ "$a0" = - ]; then
			fail "$tag: leg $i's sound could not be analysed"
			i=$((i + 1))
			continue
		fi
		for j in 0 1 2 3; do
			if [ "$j" = 0 ] && [ "$i" != 0 ]; then
				check "$tag: branch $i hears the host (${TONES[0]} Hz: ${a[0]})" \
					fge "${a[0]}" 800
			elif [ "$j" = "$i" ]; then
				check "$tag: leg $i does not hear itself (${TONES[$j]} Hz: ${a[$j]})" \
					fle "${a[$j]}" 150
			else
				# A heard 0.9 tone would be ~29000: 150 is 46 dB below.
				check "$tag: leg $i does not hear loud branch $j (${TONES[$j]} Hz: ${a[$j]})" \
					fle "${a[$j]}" 150
			fi
		done
		i=$((i + 1))
	done < <(tones 1 4.5 "$WORK/out${tag}"_{0,1,2,3}.wav)
	check "$tag: four legs' sound analysed ($i)" test "$i" = 4
}

for i in 0 1 2 3; do recv_phase $i $SECS A; done
wait_recv $((SECS + 15))
# The branches are loud where mcud measures them, the host normal.
curl -sf --max-time 3 "http://127.0.0.1:$api/api/v1/meetings/t/participants" >"$WORK/parts.json"
while read -r ep lv; do
	if [ "$ep" = leg0 ]; then
		check "mcud measures the host at $lv dBov" fge "$lv" -30
	else
		check "mcud measures branch $ep loud ($lv dBov)" fge "$lv" -10
	fi
done < <(python3 -c "import json,sys
for p in json.load(open(sys.argv[1])): print(p['endpoint'], p['audio']['level_dbov'])" "$WORK/parts.json")
# Branch 2 asks anyway.
python3 "$TOOLS/send_dtmf.py" "127.0.0.1:$((base + 522))" "*1"
sleep 0.5
st=$(floor_state "$api")
check "*1 queues branch 2 in lecture mode (holder speaker queue: $st)" \
	test "$st" = "None leg0 leg2"
r=$(role_of "$api" leg2)
check "leg2's role is requested ($r)" test "$r" = requested
"${MCUCTL[@]}" floor t grant leg2 >"$WORK/grant.out" 2>&1; rc=$?
check "mcuctl floor t grant leg2 (rc=$rc)" test "$rc" = 0
st=$(floor_state "$api")
# It holds the floor, but the speaker (speaker layout, highlight) stays
# the host: leg2 is not heard.
check "leg2 holds the floor, the host stays the speaker ($st)" \
	test "$st" = "leg2 leg0 -"
for i in 0 1 2 3; do recv_phase $i $SECS B; done
wait_recv $((SECS + 15))
check "mcud is still running" kill -0 "$MCUD_PID"
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
hear A
hear B # asked and granted: still only the host is heard
finish
