#!/usr/bin/env bash
# A lower folder never includes a higher one (docs/architecture.md):
# conf is the base; transport, codec, layout may include conf only;
# mcu may include them all; tools talk to the daemon over its API.
set -u
root=${1:-.}
fail=0
check() { # folder, allowed folders (regex)
	local dir=$1 allowed=$2
	while IFS= read -r hit; do
		inc=$(sed -E 's/.*#include "([a-z]+)\/.*/\1/' <<<"${hit#*:}")
		if ! [[ $inc =~ ^($allowed)$ ]]; then
			echo "layering: $hit reaches into $inc/"
			fail=1
		fi
	done < <(grep -HnE '^#include "[a-z]+/' "$root/$dir"/*.[ch] 2>/dev/null)
}
check conf 'conf'
check transport 'transport|conf'
check codec 'codec|conf'
check layout 'layout|codec|conf'
check mcu 'mcu|conf|transport|codec|layout'
[ $fail = 0 ] && echo "layering ok"
exit $fail
