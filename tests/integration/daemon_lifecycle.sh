#!/usr/bin/env bash
# mcud runs on the example roster, survives SIGHUP with a broken file on its
# old configuration, takes a good reload, and stops with exit 0 on SIGTERM
# and on SIGINT.
. "$(dirname "$0")/../lib/common.sh"

local_roster "$SRC/conf/examples/cantho.yaml" "$WORK/roster.yaml"
"$MCUD" -c "$WORK/roster.yaml" --run-dir "$WORK/run" --workers 2 \
	>"$WORK/log" 2>&1 &
pid=$!; PIDS+=("$pid")
check "daemon starts and reports the roster" wait_for "$WORK/log" "endpoints" 10

# A broken file: the reload is refused and the daemon keeps running.
cp "$WORK/roster.yaml" "$WORK/good.yaml"
printf 'meetings: [\n  {id: broken\n' >"$WORK/roster.yaml"
kill -HUP "$pid"
check "broken reload refused" wait_for "$WORK/log" "reload refused" 10
check "daemon alive after broken reload" kill -0 "$pid"

# A file with a rule error (unknown host) is refused too.
sed 's/^\(\s*host:\s*\)ubnd-tp\s*$/\1no-such-endpoint/' "$WORK/good.yaml" >"$WORK/roster.yaml"
kill -HUP "$pid"
check "rule error refused" wait_for "$WORK/log" "no-such-endpoint" 10
check "daemon alive after refused reload" kill -0 "$pid"

# The good file again: accepted.
cp "$WORK/good.yaml" "$WORK/roster.yaml"
kill -HUP "$pid"
check "good reload accepted" wait_for "$WORK/log" "reloaded:" 10

kill -TERM "$pid"
wait "$pid"; rc=$?
check "SIGTERM exits 0 (rc=$rc)" test "$rc" = 0
check "clean stop logged" grep -q "mcud stopped" "$WORK/log"

"$MCUD" -c "$WORK/roster.yaml" --run-dir "$WORK/run" >"$WORK/log2" 2>&1 &
pid=$!; PIDS+=("$pid")
wait_for "$WORK/log2" "endpoints" 10
kill -INT "$pid"
wait "$pid"; rc=$?
check "SIGINT exits 0 (rc=$rc)" test "$rc" = 0

"$MCUD" -c "$WORK/nonexistent.yaml" >"$WORK/log3" 2>&1; rc=$?
check "missing roster: non-zero exit with a message (rc=$rc)" \
	bash -c "test $rc -ne 0 && grep -q nonexistent '$WORK/log3'"
check "--version" bash -c "'$MCUD' --version | grep -q '^mcud '"
finish
