# sipp endpoints and participant states for SIP tests. Needs common.sh;
# `api` is mcud's API port.

# free_block N: the first of N consecutive free loopback UDP ports (sipp's
# -mp P binds P and P+2).
free_block() {
	python3 - "$1" <<'PYEOF'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(1000):
    base = random.randrange(20000, 60000, 2)
    held = []
    try:
        for p in range(base, base + n):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            held.append(u)
            u.bind(("127.0.0.1", p))
        print(base)
        break
    except OSError:
        pass
    finally:
        for u in held:
            u.close()
PYEOF
}

# uas NAME PORT SCENARIO [TIMEOUT]: one sipp endpoint (tests/data/sip/
# SCENARIO) for one call on PORT; its pid in UAS once it listens.
uas() {
	sipp -sf "$SRC/tests/data/sip/$3" -s "$1" -i 127.0.0.1 -p "$2" \
		-mp "$(free_block 4)" -m 1 -timeout "${4:-60}s" \
		>"$WORK/sipp-$1-$3-$2.out" 2>&1 </dev/null &
	UAS=$!
	PIDS+=("$UAS")
	listening "$2"
}

# listening PORT: wait (at most 10 s) until something listens on the UDP
# port.
listening() {
	local i
	for ((i = 0; i < 100; i++)); do
		ss -Hlun "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# part_state MEETING EP: the participant's state as the API shows it.
part_state() {
	curl -sf "http://127.0.0.1:$api/api/v1/meetings/$1/participants" |
		python3 -c "import json,sys
p={x['endpoint']:x for x in json.load(sys.stdin)}
print(p['$2']['state'])" 2>/dev/null
}

# wait_part MEETING EP STATE SECONDS
wait_part() {
	local i
	for ((i = 0; i < $4 * 5; i++)); do
		[ "$(part_state "$1" "$2")" = "$3" ] && return 0
		sleep 0.2
	done
	return 1
}

# meeting_state ID: the meeting's state in GET /api/v1/meetings ("absent"
# when there is no such meeting).
meeting_state() {
	curl -sf "http://127.0.0.1:$api/api/v1/meetings" | python3 -c "import json,sys
print({m['id']: m['state'] for m in json.load(sys.stdin)}.get('$1', 'absent'))"
}
