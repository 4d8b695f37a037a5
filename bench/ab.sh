#!/bin/sh
# ab.sh OLD NEW - two sockkit binaries side by side on the workloads the
# other benchmarks measure against their peers, alternating OLD and NEW in
# each round, ROUNDS times (default 5):
#   bulk       1 GiB piped through tcp-client into tcp-server > /dev/null
#   reqrate    redis-benchmark ping_mbulk -c 50 -P 16 against
#              tcp-server --echo (epoll), and -c 50 unpipelined
#   fileserve  fileserve get of a 512 MiB file to a file (both on tmpfs)
#   http       wrk -t1 -c50 on a 1 KiB file, keep-alive
# Prints each workload's medians, NEW/OLD, and the CPU seconds the sockkit
# processes used per unit of work (what a shared, noisy machine moves
# least).  For a restructuring that must not change speed: ratios near
# 1.00 (the noise here is some 10-20% a round; see docs/benchmarks.md).
. "$(dirname "$0")/lib.sh"
[ $# -eq 2 ] || die "usage: ab.sh OLD-SOCKKIT NEW-SOCKKIT"
OLD=$1
NEW=$2
[ -x "$OLD" ] && [ -x "$NEW" ] || die "both binaries must be executable"
need redis-benchmark wrk python3 head
ROUNDS=${ROUNDS:-5}
BASE=/dev/shm
[ -d "$BASE" ] && [ -w "$BASE" ] || BASE=$SCRATCH
WORK=$(mktemp -d "$BASE/sockkit-ab.XXXXXX")
trap 'cleanup; rm -rf "$WORK"' EXIT INT TERM

# $CPU FILE CMD...: run CMD, then write the CPU seconds it (and what it
# waited for) used to FILE.  TERM and INT are passed on to CMD, so the
# stop() of lib.sh stops it.  A command, not a function: `&` gives its PID
# and timeout(1) can run it.
CPU="python3 $SCRATCH/cpu.py"
cat >"$SCRATCH/cpu.py" <<'PY'
import os, resource, signal, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
for s in (signal.SIGTERM, signal.SIGINT):
    signal.signal(s, lambda n, f: os.kill(pid, n))
_, st = os.waitpid(pid, 0)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    f.write("%.3f\n" % (ru.ru_utime + ru.ru_stime))
sys.exit(os.waitstatus_to_exitcode(st) & 0xff)
PY

# server NAME BIN ARGS...: start BIN ARGS under cpu(), set SPORT, SPID.
server() {
	name=$1 bin=$2
	shift 2
	: >"$SCRATCH/$name.err"
	$CPU "$SCRATCH/$name.cpu" "$bin" "$@" >/dev/null \
	    2>>"$SCRATCH/$name.err" &
	SPID=$!
	PIDS="$PIDS $SPID"
	wait_for "$SCRATCH/$name.err" 'listening on '
	SPORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' \
	    "$SCRATCH/$name.err" | head -n 1)
}

cpu_of() { cat "$SCRATCH/$1.cpu" 2>/dev/null || echo 0; }
sum() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }

# Each run_* prints "RATE CPU" (CPU: the sockkit processes' seconds per
# unit: per GiB, per million requests).
run_bulk() {
	size=1073741824
	server bulk "$1" tcp-server 127.0.0.1 0
	t0=$(now)
	head -c "$size" /dev/zero | $CPU "$SCRATCH/bulkc.cpu" "$1" tcp-client \
	    127.0.0.1 "$SPORT"
	wait "$SPID"
	t1=$(now)
	c=$(sum "$(cpu_of bulk)" "$(cpu_of bulkc)")
	echo "$t0 $t1 $c" | awk -v n="$size" \
	    '{ printf "%.0f %.2f\n", n / ($2 - $1) / 1e6, $3 }'
}

run_reqrate() {
	n=300000
	server rr "$1" tcp-server --echo --backend epoll 127.0.0.1 0
	r=$(timeout 120 redis-benchmark -h 127.0.0.1 -p "$SPORT" -t ping_mbulk \
	    -n "$n" -c 50 $2 -q 2>/dev/null | tr '\r' '\n' |
	    sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -n 1)
	stop "$SPID"
	awk -v r="${r:-0}" -v c="$(cpu_of rr)" -v n="$n" \
	    'BEGIN { printf "%.0f %.2f\n", r, c / (n / 1e6) }'
}

run_fileserve() {
	size=536870912
	mkdir -p "$WORK/srv" "$WORK/dst"
	[ -f "$WORK/srv/f" ] || head -c "$size" /dev/urandom >"$WORK/srv/f"
	rm -f "$WORK/dst/f"
	server fs "$1" fileserve serve -d "$WORK/srv" 127.0.0.1 0
	# The first get after a start hashes the file; the second is timed.
	timeout 120 "$1" fileserve get 127.0.0.1 "$SPORT" f -o "$WORK/dst/f" \
	    2>/dev/null
	rm -f "$WORK/dst/f"
	t0=$(now)
	timeout 120 $CPU "$SCRATCH/fsc.cpu" "$1" fileserve get 127.0.0.1 \
	    "$SPORT" f -o "$WORK/dst/f" 2>/dev/null
	t1=$(now)
	stop "$SPID"
	c=$(cpu_of fsc)
	echo "$t0 $t1 $c" | awk -v n="$size" \
	    '{ printf "%.0f %.2f\n", n / ($2 - $1) / 1e6, $3 * 1073741824 / n }'
}

run_http() {
	mkdir -p "$WORK/www"
	[ -f "$WORK/www/k" ] || head -c 1024 /dev/urandom >"$WORK/www/k"
	server http "$1" http -q -d "$WORK/www" 127.0.0.1 0
	out=$(timeout 60 wrk -t1 -c50 -d3s "http://127.0.0.1:$SPORT/k" 2>&1)
	stop "$SPID"
	r=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
	n=$(echo "$out" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
	awk -v r="${r:-0}" -v n="${n:-1}" -v c="$(cpu_of http)" \
	    'BEGIN { printf "%.0f %.2f\n", r, c / (n / 1e6) }'
}

for w in bulk reqrate16 reqrate fileserve http; do
	eval "ro_$w=''; rn_$w=''; co_$w=''; cn_$w=''"
done
r=1
while [ $r -le "$ROUNDS" ]; do
	line="round $r:"
	for w in bulk reqrate16 reqrate fileserve http; do
		for v in o n; do
			[ $v = o ] && bin=$OLD || bin=$NEW
			case $w in
			reqrate16)	set -- $(run_reqrate "$bin" "-P 16") ;;
			reqrate)	set -- $(run_reqrate "$bin" "") ;;
			*)		set -- $(run_$w "$bin") ;;
			esac
			eval "r${v}_$w=\"\$r${v}_$w $1\"; c${v}_$w=\"\$c${v}_$w $2\""
		done
		eval "line=\"\$line $w \${ro_$w##* }/\${rn_$w##* }\""
	done
	echo "$line" >&2
	r=$((r + 1))
done

echo "old $OLD against new $NEW, median of $ROUNDS alternating rounds:"
printf '  %-10s %12s %12s %8s   %s\n' workload old new new/old \
    "cpu old / new (s per GiB or per 1M requests)"
for w in bulk reqrate16 reqrate fileserve http; do
	eval "mo=\$(median \$ro_$w); mn=\$(median \$rn_$w)"
	eval "cmo=\$(median \$co_$w); cmn=\$(median \$cn_$w)"
	printf '  %-10s %12s %12s %8s   %s / %s\n' "$w" "$mo" "$mn" \
	    "$(ratio "$mn" "$mo")" "$cmo" "$cmn"
done
echo "  (bulk, fileserve: MB/s; reqrate16 = -c 50 -P 16, reqrate = -c 50,"
echo "   http = wrk -c 50 on 1 KiB: requests/s)"
