#!/usr/bin/env bash
# Issue 5, chaired floor end to end with real ffmpeg peers (host + three
# branches, H.264 + Opus, each its own colour and tone). floor_dtmf.sh
# checks the API side of *1 / grant / *0; this one checks what people hear
# and see in three phases, each recorded by fresh receivers:
#   A  nobody holds the floor: branches hear the host only, the host hears
#      no branch, branches see the host alone (host+floor);
#   B  branch 2 asks by DTMF *1 (queued in the API), mcuctl grants it: the
#      host and the other branches hear branch 2's tone; branches see it in
#      the floor tile beside the host, the host sees it in the large tile
#      of its 1+5 layout;
#   C  mcuctl revokes: back to A.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/floor.sh"
base=$(free_base 4)
[ -n "$base" ] || { fail "no free base port"; finish; exit 1; }
api=$(free_port)
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus,h264/opus,h264/opus,h264/opus \
	--floor chaired --host-layout 1+5 --branch-layout host+floor \
	--api-port "$api" --sip-port "$(free_port)" >"$WORK/roster.yaml"
head -c 32 /dev/urandom | base64 >"$WORK/token"
sed -i "s|  api: {listen: \"127.0.0.1:$api\"}|  api: {listen: \"127.0.0.1:$api\", token_file: \"$WORK/token\"}|" "$WORK/roster.yaml"
# A key frame every second: each phase's new receivers decode at once.
sed -i 's|  media: {fps: 25,|  media: {keyframe_interval_s: 1, fps: 25,|' "$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
MCUCTL=("$BUILD/tools/mcuctl/mcuctl" --api "127.0.0.1:$api" --token-file "$WORK/token")
for i in 0 1 2 3; do send_leg $i $base h264 opus 50; done
sleep 2
SECS=5

# hear TAG HOLDER: in phase TAG every leg hears the host and HOLDER (-1:
# nobody) but not itself and no other branch.
hear() {
	local tag=$1 holder=$2 i=0 j a0 a1 a2 a3
	while read -r a0 a1 a2 a3; do
		local a=("$a0" "$a1" "$a2" "$a3")
		if [ "$a0" = - ]; then
			fail "$tag: leg $i's sound could not be analysed"
			i=$((i + 1))
			continue
		fi
		for j in 0 1 2 3; do
			[ "$i" = "$j" ] && continue
			if [ "$j" = 0 ] || [ "$j" = "$holder" ]; then
				check "$tag: leg $i hears leg $j (${TONES[$j]} Hz: ${a[$j]})" \
					fge "${a[$j]}" 800
			else
				check "$tag: leg $i does not hear leg $j (${TONES[$j]} Hz: ${a[$j]})" \
					fle "${a[$j]}" 150
			fi
		done
		check "$tag: leg $i does not hear itself (${TONES[$i]} Hz: ${a[$i]})" \
			fle "${a[$i]}" 150
		i=$((i + 1))
	done < <(tones 1 4.5 "$WORK/out${tag}"_{0,1,2,3}.wav)
	check "$tag: four legs' sound analysed ($i)" test "$i" = 4
}

# The floor tile of host+floor: the bottom right third (layout/catalog.c
# pip(), margin 1/24 of the height), inside its edges and name label.
FLOOR_BOX=(0.68 0.66 0.93 0.86)
# The large tile of 1+5: the top left two thirds of a 3x3 grid.
LARGE_BOX=(0.05 0.05 0.6 0.55)

sees() {
	local tag=$1 holder=$2 i c
	for i in 1 3; do
		local f="$WORK/out${tag}_$i.mkv"
		if [ "$holder" -ge 0 ]; then
			c=$(region_colour_of "$f" -0.6 "${COLOURS[$holder]}" "${FLOOR_BOX[@]}")
			check "$tag: branch $i sees leg $holder in the floor tile (${COLOURS[$holder]} $c)" \
				fge "$c" 0.7
			c=$(region_colour_of "$f" -0.6 red 0.05 0.05 0.55 0.55)
			check "$tag: branch $i sees the host large beside it (red $c)" fge "$c" 0.9
		else
			c=$(region_colour_of "$f" -0.6 red "${FLOOR_BOX[@]}")
			check "$tag: branch $i sees the host where the floor tile would be (red $c)" \
				fge "$c" 0.7
		fi
	done
	if [ "$holder" -ge 0 ]; then
		c=$(region_colour_of "$WORK/out${tag}_0.mkv" -0.6 "${COLOURS[$holder]}" "${LARGE_BOX[@]}")
		check "$tag: the host sees leg $holder in its large tile (${COLOURS[$holder]} $c)" \
			fge "$c" 0.7
	fi
}

# Phase A: no floor.
for i in 0 1 2 3; do recv_phase $i $SECS A; done
wait_recv $((SECS + 15))
# Phase B: branch 2 asks by DTMF on its audio port, the operator grants.
python3 "$TOOLS/send_dtmf.py" "127.0.0.1:$((base + 522))" "*1"
sleep 0.5
st=$(floor_state "$api")
check "*1 queues branch 2 (holder speaker queue: $st)" test "$st" = "None leg0 leg2"
r=$(role_of "$api" leg2)
check "leg2's role is requested ($r)" test "$r" = requested
opened() {
	curl -sf --max-time 3 "http://127.0.0.1:$api/api/v1/meetings/t" |
		python3 -c 'import json, sys; print(json.load(sys.stdin).get("encoders_opened", -1))'
}
opened_before=$(opened)
"${MCUCTL[@]}" floor t grant leg2 >"$WORK/grant.out" 2>&1; rc=$?
check "mcuctl floor t grant leg2 (rc=$rc)" test "$rc" = 0
st=$(floor_state "$api")
check "leg2 holds the floor ($st)" test "$st" = "leg2 leg2 -"
sleep 0.3
for i in 0 1 2 3; do recv_phase $i $SECS B; done
wait_recv $((SECS + 15))
# A grant changes the view of every branch and of the holder: the branches'
# group takes its new view with the encoder it had (mcu/room_video.c
# find_group), so at most the holder's own view needs a new one (without
# the reuse: two).
opened_after=$(opened)
# Sound that is not heard is decoded only for its level (two ticks in
# six, mcu/room_audio.c): fewer than the four legs a tick, yet the
# branches' tones still measured.
decoded_max=0
for k in 1 2 3 4 5 6 7; do
	d=$(curl -sf --max-time 3 "http://127.0.0.1:$api/api/v1/meetings/t" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["media"]["audio_decoded"])')
	[ "${d:-9}" -gt "$decoded_max" ] && decoded_max=${d:-9}
	sleep 0.03
done
check "at most three of four legs' sound decoded a tick while leg2 holds the floor (max $decoded_max)" \
	test "$decoded_max" -le 3 -a "$decoded_max" -ge 2
levels=$(curl -sf --max-time 3 "http://127.0.0.1:$api/api/v1/meetings/t/participants" |
	python3 -c 'import json, sys
p = {x["endpoint"]: x["audio"]["level_dbov"] for x in json.load(sys.stdin)}
print(p["leg1"], p["leg3"])')
check "the branches not heard still have their level measured ($levels dBov)" \
	python3 -c "import sys; sys.exit(0 if all(float(v) > -50 for v in '$levels'.split()) else 1)"
check "the grant opened at most one video encoder ($opened_before -> $opened_after)" \
	test "${opened_before:--1}" -ge 1 -a $((opened_after - opened_before)) -le 1
# Phase C: revoked.
"${MCUCTL[@]}" floor t revoke >"$WORK/revoke.out" 2>&1; rc=$?
check "mcuctl floor t revoke (rc=$rc)" test "$rc" = 0
st=$(floor_state "$api")
check "nobody holds the floor ($st)" test "$st" = "None leg0 -"
sleep 0.3
for i in 0 1 2 3; do recv_phase $i $SECS C; done
wait_recv $((SECS + 15))
check "mcud is still running" kill -0 "$MCUD_PID"
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0

hear A -1
sees A -1
hear B 2
sees B 2
hear C -1
sees C -1
finish
