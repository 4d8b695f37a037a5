# lib.sh - helpers for the benchmarks (sourced).  Everything runs on
# 127.0.0.1; every process started is stopped by PID; every wait is bounded.

TOP=$(cd "$(dirname "$0")/.." && pwd)
SK=${SK:-$TOP/sockkit}
ROUNDS=${ROUNDS:-3}
SCRATCH=$(mktemp -d /tmp/sockkit-bench.XXXXXX)
PIDS=""

cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=""
	rm -rf "$SCRATCH"
}
trap cleanup EXIT INT TERM

die() { echo "bench: $*" >&2; exit 1; }

need() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
		    die "$c is missing: run 'make bench-deps' first"
	done
	[ -x "$SK" ] || die "no $SK: run 'make' first"
}

# A port free right now, for peers that cannot report theirs.
freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for FILE PATTERN: bounded to 10 s.
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	die "timed out waiting for /$2/ in $1"
}

# sk_server NAME ARGS...: start sockkit, set SPORT and SPID.
sk_server() {
	name=$1; shift
	: >"$SCRATCH/$name.err"
	"$SK" "$@" 2>>"$SCRATCH/$name.err" &
	SPID=$!
	PIDS="$PIDS $SPID"
	wait_for "$SCRATCH/$name.err" 'listening on '
	SPORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' \
	    "$SCRATCH/$name.err")
}

# stop PID: TERM it and wait, bounded.
stop() {
	kill -TERM "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

now() { date +%s.%N; }

# median of the numbers given
median() {
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
	    END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
