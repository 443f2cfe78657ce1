#!/usr/bin/env bash
# Build the libFuzzer targets with clang in a side tree and fuzz each one.
#   run-all.sh BUILD_DIR SECONDS_PER_TARGET
set -euo pipefail
src=${MCU_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${1:-build-fuzz}
secs=${2:-5}
CC=clang cmake -S "$src" -B "$out" -DMCU_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=$(cd "$src/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
# MCU_FUZZ_SKIP: targets left out of this run (the variable is for a target
# with an open finding; docs/reliability.md says which, `make fuzz` runs
# every target)
for t in ${MCU_FUZZ_SKIP:-}; do
	targets=$(echo "$targets" | grep -vx "$t" || true)
	echo "fuzz ${t#fuzz_}: skipped (MCU_FUZZ_SKIP)"
done
cmake --build "$out" -j "$(nproc)" --target $targets >/dev/null
fail=0
for t in $targets; do
	name=${t#fuzz_}
	work=$(mktemp -d)
	cp -r "$src/tests/fuzz/corpus/$name/." "$work/" 2>/dev/null || true
	dict=()
	[ -f "$src/tests/fuzz/$name.dict" ] && dict=(-dict="$src/tests/fuzz/$name.dict")
	if ! "$out/tests/fuzz/$t" "${dict[@]}" -max_total_time="$secs" \
		-timeout=5 -rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="$work/" "$work" > "$work.log" 2>&1; then
		echo "fuzz $name: FAILED"; tail -40 "$work.log"; fail=1
		# keep the input (the work dir goes), and print it: a CI log
		# is all that is left of a CI machine
		mkdir -p "$out/fuzz-crashes"
		for a in "$work"/crash-* "$work"/timeout-* "$work"/oom-* \
			"$work"/leak-*; do
			[ -f "$a" ] || continue
			cp "$a" "$out/fuzz-crashes/$name-$(basename "$a")"
			echo "fuzz $name: input kept in $out/fuzz-crashes/$name-$(basename "$a"); base64:"
			base64 -w 76 "$a" | head -c 20000; echo
		done
	else
		echo "fuzz $name: $(grep -E 'stat::number_of_executed_units' "$work.log" | awk '{print $2}') runs, ok"
	fi
	rm -rf "$work" "$work.log"
done
exit $fail
