#!/usr/bin/env bash
# A long fuzzing campaign with figures: each target runs on one core until
# RUNS executions or SECONDS, whichever comes first, from a copy of its seed
# corpus (the checked-in corpus is not touched), and one Markdown table row
# is printed per target: executions, exec/s, final coverage (libFuzzer's
# "cov:"), corpus size at the end, crashes. Crash inputs are kept in
# OUT/crash-<name>-* for a regression case.
#   campaign.sh FUZZ_BUILD_DIR OUT_DIR RUNS SECONDS [name...]
# FUZZ_BUILD_DIR is a tree configured with CC=clang -DMCU_FUZZ=ON whose
# fuzz_<name> targets are built (see run-all.sh). FUZZ_FLAGS: more libFuzzer
# options for every target (e.g. -entropic=0: libFuzzer's entropic
# schedule spends most of a run on its own bookkeeping once a target has
# thousands of features, as fuzz_jbuf does; off, the same binary runs
# about twice the inputs a second; -max_len=N: shorter inputs, for a
# target whose time goes with the input's size, as the roster loader's).
# RESUME=1: a target's campaign in several runs (a run ends within the
# session that started it): the corpus OUT/corpus-<name> a run leaves is
# where the next one starts, each run is appended to OUT/<name>.runs
# (executions, seconds, exit status) and the row gives this run and, after
# "total", the executions of every run so far; a run stops when the
# total reaches RUNS. To stop a run early and keep its count, send SIGINT
# to the fuzz_<name> process (libFuzzer prints its figures and exits 72).
set -uo pipefail
src=${MCU_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=$1
out=$2
runs=${3:-10000000}
secs=${4:-600}
shift 4 || true
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	mapfile -t names < <(cd "$src/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
fi
mkdir -p "$out"
echo "| target | executions | exec/s | cov | corpus | seconds | crashes |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
for name in "${names[@]}"; do
	bin=$build/tests/fuzz/fuzz_$name
	if [ ! -x "$bin" ]; then
		echo "| $name | not built | | | | | |"
		continue
	fi
	work=$out/corpus-$name
	if [ "${RESUME:-0}" != 1 ] || [ ! -d "$work" ]; then
		rm -rf "$work"
		mkdir -p "$work"
		cp -r "$src/tests/fuzz/corpus/$name/." "$work/" 2>/dev/null || true
	fi
	dict=()
	[ -f "$src/tests/fuzz/$name.dict" ] && dict=(-dict="$src/tests/fuzz/$name.dict")
	log=$out/$name.log
	left=$runs
	if [ "${RESUME:-0}" = 1 ]; then
		[ -f "$log" ] && mv "$log" "$log.$(date +%s)"
		done_runs=$(cat "$out/$name.runs" 2>/dev/null | awk '{s += $1} END {print s + 0}')
		left=$((runs - done_runs))
		if [ "$left" -le 0 ]; then
			echo "| $name | done: $done_runs in earlier runs | | | | | |"
			continue
		fi
	fi
	t0=$(date +%s)
	# shellcheck disable=SC2086 # FUZZ_FLAGS: words
	"$bin" "${dict[@]}" ${FUZZ_FLAGS:-} -runs="$left" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/crash-$name-" "$work" >"$log" 2>&1
	rc=$?
	t=$(($(date +%s) - t0))
	execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
	eps=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
	files=$(find "$work" -type f | wc -l)
	crash=none
	if [ $rc -eq 72 ] && grep -q 'libFuzzer: run interrupted' "$log"; then
		crash="none (stopped by SIGINT)"
	elif [ $rc -ne 0 ]; then
		crash="rc $rc: $(grep -m1 -oE 'ERROR: [A-Za-z]+: [^ ]+|runtime error: .*|deadly signal|out-of-memory|timeout' "$log" | head -c 80)"
	fi
	total=
	if [ "${RESUME:-0}" = 1 ]; then
		echo "${execs:-0} $t $rc" >>"$out/$name.runs"
		total=" (total $(awk '{s += $1} END {print s}' "$out/$name.runs") in $(wc -l <"$out/$name.runs") runs)"
	fi
	echo "| $name | ${execs:-?}$total | ${eps:-?} | ${cov:-?} | $files | $t | $crash |"
done
