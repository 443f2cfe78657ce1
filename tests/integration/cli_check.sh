#!/usr/bin/env bash
# mcud --check: findings as FILE:LINE:COLUMN, exit 0 / 1 / 2; hostile files
# end in a clear error within a second. mcud --schedule prints the timeline.
. "$(dirname "$0")/../lib/common.sh"

ex="$SRC/conf/examples/cantho.yaml"
"$MCUD" --check "$ex" >"$WORK/out" 2>"$WORK/err"; rc=$?
check "example roster passes (rc=$rc)" test "$rc" = 0
check "example has no error lines" bash -c "! grep -q ': error:' '$WORK/out'"
n=$(sed -nE 's/.*: ([0-9]+) endpoints.*/\1/p' "$WORK/err")
check "example holds >= 95 endpoints (${n:-none})" test "${n:-0}" -ge 95

# A rule error: exit 1 with FILE:LINE:COLUMN.
sed 's/^\(\s*host:\s*\)ubnd-tp\s*$/\1no-such-endpoint/' "$ex" >"$WORK/unknown.yaml"
"$MCUD" --check "$WORK/unknown.yaml" >"$WORK/out" 2>&1; rc=$?
check "unknown host: exit 1 (rc=$rc)" test "$rc" = 1
check "unknown host: FILE:LINE:COLUMN: error" \
	grep -qE "^$WORK/unknown.yaml:[0-9]+:[0-9]+: error: .*no-such-endpoint" "$WORK/out"

# Unparsable and unreadable: exit 2.
printf 'mcu: {name: [unclosed\n' >"$WORK/syntax.yaml"
"$MCUD" --check "$WORK/syntax.yaml" >"$WORK/out" 2>&1; rc=$?
check "syntax error: exit 2 (rc=$rc)" test "$rc" = 2
check "syntax error has a position" grep -qE "syntax.yaml:[0-9]+:[0-9]+: error:" "$WORK/out"
"$MCUD" --check "$WORK/missing.yaml" >"$WORK/out" 2>&1; rc=$?
check "missing file: exit 2 (rc=$rc)" test "$rc" = 2

# Hostile files: each ends within a second with exit 2.
head -c 300000 /dev/urandom >"$WORK/binary.yaml"
python3 - "$WORK" <<'PY'
import sys
w = sys.argv[1]
open(w + "/deep.yaml", "w").write("[" * 100000)
open(w + "/huge.yaml", "w").write("# " + "x" * (9 << 20) + "\n")
lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
for i in range(1, 12):
    lines.append(f'{chr(97+i)}: &{chr(97+i)} [*{chr(96+i)},*{chr(96+i)},*{chr(96+i)},*{chr(96+i)},*{chr(96+i)},*{chr(96+i)},*{chr(96+i)},*{chr(96+i)},*{chr(96+i)}]')
open(w + "/laughs.yaml", "w").write("\n".join(lines) + "\n")
PY
for f in binary deep huge laughs; do
	start=$(date +%s%N)
	timeout 5 "$MCUD" --check "$WORK/$f.yaml" >"$WORK/out" 2>&1; rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	# Refused, not hung (timeout answers 124); the time is printed, not
	# judged: a loaded machine makes any bound flaky.
	check "$f file: exit 2 in ${ms} ms" test "$rc" = 2
	check "$f file: clear error line" grep -qE "^$WORK/$f.yaml:[0-9]+:[0-9]+: error:" "$WORK/out"
done

# --schedule on a roster whose meeting is 14 days from today.
start=$(date -d '+14 days' +%Y-%m-%d)
cat >"$WORK/sched.yaml" <<YAML
mcu: {name: test, timezone: Asia/Ho_Chi_Minh}
endpoints:
  - {id: host-a, name: "Host A", tier: city, sip: "sip:host-a@127.0.0.1"}
  - {id: branch-b, name: "Branch B", tier: district, sip: "sip:branch-b@127.0.0.1"}
meetings:
  - id: m1
    title: "Họp thử"
    host: host-a
    branches: [branch-b]
    start: ${start}T08:00
    end: ${start}T09:00
    announced: $(date +%Y-%m-%d)
YAML
"$MCUD" --schedule "$WORK/sched.yaml" >"$WORK/sched" 2>&1; rc=$?
check "--schedule exits 0" test "$rc" = 0
check "--schedule lists the start in Vietnamese" grep -q "$start.*08:00.*bắt đầu họp.*m1" "$WORK/sched"
"$MCUD" --schedule "$WORK/sched.yaml" --lang en >"$WORK/sched" 2>&1
check "--schedule --lang en" grep -q "09:00.*meeting ends.*m1" "$WORK/sched"
finish
