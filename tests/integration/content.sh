#!/usr/bin/env bash
# Issue 6 item 5, content playback, with real ffmpeg peers (host red,
# branches green and blue, H.264 + Opus; chaired floor, so the host hears
# no branch and the branches hear only the host). Phases, each recorded by
# fresh receivers:
#   A  before: branches see the host alone (host+floor without a holder);
#   B  a listed H.264/AAC mp4 (magenta, 1100 Hz) started by the API: every
#      branch sees magenta as the largest area and the host small in the
#      picture-in-picture tile, the host sees the content, everyone hears
#      its tone; GET meeting shows content_playing and the content layout;
#   C  mcuctl content --stop: back to A (the host's grid, too);
#   D  a PNG still (cyan) under mcu.content_dir, not listed, started by
#      mcuctl with a relative path: branches see cyan largest; then
#      stopped again.
# Refusals, with the daemon still serving: an unlisted file (403), a link
# and a ../ path out of content_dir (403), a listed corrupt file and a
# listed missing one (422), stop with nothing playing (409).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/floor.sh"
base=$(free_base 3)
[ -n "$base" ] || { fail "no free base port"; finish; exit 1; }
api=$(free_port)
CTONE=1100
mkdir -p "$WORK/slides" "$WORK/outside"
# The content: 10 s of magenta with a tone; a cyan still; a corrupt one.
ffmpeg -nostdin -loglevel error -f lavfi -i "color=magenta:s=640x360:r=25" \
	-f lavfi -i "sine=frequency=$CTONE:sample_rate=48000" -t 10 \
	-c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -b:a 96k \
	-y "$WORK/outside/clip.mp4" >"$WORK/mkclip.log" 2>&1
check "ffmpeg made the content clip" test -s "$WORK/outside/clip.mp4"
ffmpeg -nostdin -loglevel error -f lavfi -i "color=cyan:s=800x600" -frames:v 1 \
	-y "$WORK/slides/slide1.png" >"$WORK/mkpng.log" 2>&1
check "ffmpeg made the PNG slide" test -s "$WORK/slides/slide1.png"
cp "$WORK/slides/slide1.png" "$WORK/outside/secret.png"
head -c 65536 /dev/urandom >"$WORK/outside/corrupt.mp4"
head -c 4096 "$WORK/outside/clip.mp4" >"$WORK/outside/truncated.mp4"
ln -s "$WORK/outside/secret.png" "$WORK/slides/link.png"

python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus,h264/opus,h264/opus \
	--floor chaired --host-layout grid-2x2 --branch-layout host+floor \
	--api-port "$api" --sip-port "$(free_port)" >"$WORK/roster.yaml"
head -c 32 /dev/urandom | base64 >"$WORK/token"
sed -i -e "s|  api: {listen: \"127.0.0.1:$api\"}|  api: {listen: \"127.0.0.1:$api\", token_file: \"$WORK/token\"}|" \
	-e 's|  media: {fps: 25,|  media: {keyframe_interval_s: 1, fps: 25,|' \
	-e "s|^mcu:\$|mcu:\n  content_dir: \"$WORK/slides\"|" "$WORK/roster.yaml"
cat >>"$WORK/roster.yaml" <<EOF
    content: ["$WORK/outside/clip.mp4", "$WORK/outside/corrupt.mp4",
              "$WORK/outside/truncated.mp4", "$WORK/outside/missing.mp4"]
EOF
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
MCUCTL=("$BUILD/tools/mcuctl/mcuctl" --api "127.0.0.1:$api" --token-file "$WORK/token")
AUTH="Authorization: Bearer $(cat "$WORK/token")"
for i in 0 1 2; do send_leg $i $base h264 opus 70; done
sleep 2
SECS=5

# post_content BODY -> "STATUS BODY" of POST …/content
post_content() {
	curl -s --max-time 10 -o "$WORK/post.json" -w '%{http_code}' -H "$AUTH" \
		-H 'Content-Type: application/json' -d "$1" \
		"http://127.0.0.1:$api/api/v1/meetings/t/content"
	echo " $(cat "$WORK/post.json")"
}
# meeting_field EXPR -> a Python expression over the meeting's JSON m
meeting_field() {
	curl -sf --max-time 3 "http://127.0.0.1:$api/api/v1/meetings/t" |
		python3 -c "import json,sys; m=json.load(sys.stdin); print($1)"
}
phase() { # TAG: three receivers for SECS seconds
	for i in 0 1 2; do recv_phase $i $SECS "$1"; done
	wait_recv $((SECS + 15))
}
# The picture-in-picture tile (layout/catalog.c pip()): bottom right.
PIP_BOX=(0.68 0.66 0.93 0.86)

phase A

# B: the clip, by the API.
r=$(post_content "{\"file\": \"$WORK/outside/clip.mp4\"}")
check "POST content clip.mp4: 200 ($r)" test "${r%% *}" = 200
sleep 0.5
phase B
p=$(meeting_field "m['content_playing']['file'], m['content_playing']['playing_s'] > 0, m['layout']['branches'], m['layout']['host']")
check "GET meeting: content_playing and the content layout ($p)" \
	test "$p" = "$WORK/outside/clip.mp4 True content content"

# Refusals while it plays: it keeps playing.
r=$(post_content "{\"file\": \"$WORK/outside/secret.png\"}")
check "an unlisted file outside content_dir: 403 ($r)" \
	bash -c "[[ '$r' == 403*forbidden*'not allowed'* ]]"
r=$(post_content "{\"file\": \"$WORK/slides/link.png\"}")
check "a link out of content_dir: 403 ($r)" test "${r%% *}" = 403
r=$(post_content "{\"file\": \"$WORK/slides/../outside/secret.png\"}")
check "a ../ path out of content_dir: 403 ($r)" test "${r%% *}" = 403
r=$(post_content "{\"file\": \"$WORK/outside/corrupt.mp4\"}")
check "a listed corrupt file: 422 ($r)" bash -c "[[ '$r' == 422*corrupt.mp4* ]]"
r=$(post_content "{\"file\": \"$WORK/outside/truncated.mp4\"}")
check "a listed truncated file: 422 ($r)" test "${r%% *}" = 422
r=$(post_content "{\"file\": \"$WORK/outside/missing.mp4\"}")
check "a listed missing file: 422 ($r)" bash -c "[[ '$r' == 422*'No such file'* ]]"
p=$(meeting_field "m['content_playing']['file']")
check "the clip still plays after the refusals ($p)" test "$p" = "$WORK/outside/clip.mp4"

# C: stopped by mcuctl.
"${MCUCTL[@]}" content t --stop >"$WORK/stop.out" 2>&1; rc=$?
check "mcuctl content t --stop (rc=$rc)" test "$rc" = 0
p=$(meeting_field "m['content_playing'], m['layout']['branches'], m['layout']['host']")
check "GET meeting after stop: nothing plays, layouts back ($p)" \
	test "$p" = "None host+floor grid-2x2"
r=$(post_content '{"stop": true}')
check "stop with nothing playing: 409 ($r)" test "${r%% *}" = 409
sleep 0.5
phase C

# D: a still under content_dir, by mcuctl.
# (a relative FILE is taken from mcuctl's directory)
(cd "$WORK/slides" && "${MCUCTL[@]}" content t slide1.png) >"$WORK/play.out" 2>&1; rc=$?
check "mcuctl content t slide1.png in slides/ (rc=$rc)" test "$rc" = 0
p=$(meeting_field "m['content_playing']['file']")
check "GET meeting: the slide plays ($p)" test "$p" = "$WORK/slides/slide1.png"
sleep 1
phase D
"${MCUCTL[@]}" content t --stop >>"$WORK/stop.out" 2>&1
h=$(curl -sf --max-time 3 "http://127.0.0.1:$api/api/v1/health" | python3 -c "import json,sys; print(json.load(sys.stdin)['status'])")
check "the API still answers ($h)" test "$h" = ok
check "mcud is still running" kill -0 "$MCUD_PID"
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0

# Every measurement from one python process (start-ups are slow on a
# loaded machine): "NAME VALUE" lines, "-" when a file cannot be read.
python3 - "$TOOLS" "$WORK" "$CTONE" "${TONES[0]}" "${PIP_BOX[@]}" >"$WORK/measures.txt" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import media_check as mc
work, ctone, htone = sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
pip = tuple(float(v) for v in sys.argv[5:9])
def out(name, f):
    try:
        v = f()
    except Exception:
        v = "-"
    print(name, v)
for tag in "ABCD":
    for i in range(3):
        v = f"{work}/out{tag}_{i}.mkv"
        try:
            c = mc.colours(v, -0.6)
        except Exception:
            c = {}
        for col in ("red", "green", "blue", "magenta", "cyan"):
            print(f"{tag}{i}.{col}", c.get(col, 0) if c else "-")
        if tag == "B":
            out(f"B{i}.pip_red", lambda: mc.colours(v, -0.6, pip).get("red", 0))
        if tag != "D":
            w = f"{work}/out{tag}_{i}.wav"
            out(f"{tag}{i}.ctone", lambda: mc.tones(w, 1, 4.5, [ctone])[str(ctone)])
            out(f"{tag}{i}.htone", lambda: mc.tones(w, 1, 4.5, [htone])[str(htone)])
PY
m() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/measures.txt"; }
# a measurement that could not be made fails either way
ge_() { [[ $1 =~ ^[0-9.]+$ ]] && fge "$1" "$2"; }
le_() { [[ $1 =~ ^[0-9.]+$ ]] && fle "$1" "$2"; }

# Pictures.
for i in 1 2; do
	c=$(m A$i.red)
	check "A: branch $i sees the host largest (red $c)" ge_ "$c" 0.6
	c=$(m B$i.magenta)
	check "B: branch $i sees the content largest (magenta $c)" ge_ "$c" 0.6
	c=$(m B$i.pip_red)
	check "B: branch $i sees the host small (red in the PiP tile $c)" ge_ "$c" 0.7
	c=$(m B$i.red)
	check "B: branch $i: the host is the small picture (red $c)" le_ "$c" 0.2
	c=$(m C$i.red)
	check "C: branch $i sees the host largest again (red $c)" ge_ "$c" 0.6
	c=$(m C$i.magenta)
	check "C: branch $i no longer sees the content (magenta $c)" le_ "$c" 0.01
	c=$(m D$i.cyan)
	# a 4:3 slide letterboxed on 16:9 covers at most 3/4, less the PiP
	check "D: branch $i sees the slide largest (cyan $c)" ge_ "$c" 0.5
done
c=$(m B0.magenta)
check "B: the host sees the content (magenta $c)" ge_ "$c" 0.6
for j in 1 2; do
	c=$(m C0.${COLOURS[$j]})
	check "C: the host sees its grid again (${COLOURS[$j]} $c)" ge_ "$c" 0.08
done

# Sound: the content's tone is CTONE, the host's TONES[0].
for tag in A B C; do
	for i in 0 1 2; do
		t=$(m $tag$i.ctone)
		if [ "$tag" = B ]; then
			check "B: leg $i hears the content ($CTONE Hz: $t)" ge_ "$t" 800
		else
			check "$tag: leg $i hears no content ($CTONE Hz: $t)" le_ "$t" 150
		fi
	done
	t=$(m ${tag}1.htone)
	check "$tag: branch 1 hears the host (${TONES[0]} Hz: $t)" ge_ "$t" 800
done
finish
