#!/bin/sh
# fileserve.sh - a 1 GiB download over loopback, verified, against nc
# moving the same file (nc -l > out / nc -N < file), alternating, ROUNDS
# times; iperf3's loopback rate for reference.  Files live on tmpfs
# (/dev/shm) where there is one, so the disk is not what is measured.
. "$(dirname "$0")/lib.sh"
need nc iperf3 python3
SIZE=${SIZE:-1073741824}
BASE=/dev/shm
[ -d "$BASE" ] && [ -w "$BASE" ] || BASE=$SCRATCH
WORK=$(mktemp -d "$BASE/sockkit-fsbench.XXXXXX")
trap 'rm -rf "$WORK"; cleanup' EXIT INT TERM
mkdir "$WORK/srv" "$WORK/cli"
head -c "$SIZE" /dev/urandom >"$WORK/srv/file"

rate() { echo "$1 $2" | awk -v n="$SIZE" '{ printf "%.0f", n / ($2 - $1) / 1e6 }'; }

run_fileserve() {
	rm -f "$WORK/cli/file"
	t0=$(now)
	(cd "$WORK/cli" && "$SK" fileserve get 127.0.0.1 "$FSPORT" file) ||
	    die "fileserve get failed"
	t1=$(now)
	cmp -s "$WORK/srv/file" "$WORK/cli/file" || die "fileserve: differs"
	rate "$t0" "$t1"
}

run_nc() {
	rm -f "$WORK/cli/nc.out"
	nc -lv 127.0.0.1 0 >"$WORK/cli/nc.out" 2>"$SCRATCH/nc.err" </dev/null &
	pid=$!; PIDS="$PIDS $pid"
	wait_for "$SCRATCH/nc.err" '^Listening on '
	p=$(sed -n 's/^Listening on .* \([0-9][0-9]*\)$/\1/p' "$SCRATCH/nc.err")
	t0=$(now)
	nc -N 127.0.0.1 "$p" <"$WORK/srv/file"
	wait "$pid"
	t1=$(now)
	rate "$t0" "$t1"
}

run_iperf3() {
	p=$(freeport)
	iperf3 -s -1 -B 127.0.0.1 -p "$p" >/dev/null 2>&1 &
	pid=$!; PIDS="$PIDS $pid"
	sleep 0.5
	iperf3 -c 127.0.0.1 -p "$p" -n "$SIZE" -J 2>/dev/null | python3 -c '
import json, sys
print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 8e6))'
	wait "$pid" 2>/dev/null
}

sk_server fs fileserve serve -d "$WORK/srv" 127.0.0.1 0
FSPORT=$SPORT
fs="" ncr="" ip=""
r=1
while [ $r -le "$ROUNDS" ]; do
	fs="$fs $(run_fileserve)"
	ncr="$ncr $(run_nc)"
	ip="$ip $(run_iperf3)"
	echo "round $r: fileserve$fs | nc$ncr | iperf3$ip" >&2
	r=$((r + 1))
done
# shellcheck disable=SC2086
mfs=$(median $fs); mnc=$(median $ncr); mip=$(median $ip)
echo "fileserve, a $SIZE-byte download over loopback to $BASE, median of $ROUNDS (MB/s):"
echo "  fileserve get (verified) $mfs   nc $mnc   iperf3 $mip"
echo "  fileserve / nc = $(ratio "$mfs" "$mnc")   fileserve / iperf3 = $(ratio "$mfs" "$mip")"
