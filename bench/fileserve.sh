#!/bin/sh
# fileserve.sh - a 1 GiB verified download over loopback, alternating in
# one run, ROUNDS times:
#   to a file:   fileserve get FILE      against nc -l > out / nc -N < file
#   no file:     fileserve get -o - >/dev/null   against iperf3 (memory to
#                memory, the loopback limit)
#   first send:  the same after `touch`, so the server has to hash the file
#                as it sends it (it remembers each file's digest after that)
# and the ceiling for writing a file there: dd from /dev/zero, no network.
# Files live on tmpfs (/dev/shm) where there is one, so the disk is not
# what is measured.
. "$(dirname "$0")/lib.sh"
need nc iperf3 python3 dd
SIZE=${SIZE:-1073741824}
BASE=/dev/shm
[ -d "$BASE" ] && [ -w "$BASE" ] || BASE=$SCRATCH
WORK=$(mktemp -d "$BASE/sockkit-fsbench.XXXXXX")
trap 'rm -rf "$WORK"; cleanup' EXIT INT TERM
mkdir "$WORK/srv" "$WORK/cli"
head -c "$SIZE" /dev/urandom >"$WORK/srv/file"

rate() { echo "$1 $2" | awk -v n="$SIZE" '{ printf "%.0f", n / ($2 - $1) / 1e6 }'; }

run_get_file() {
	rm -f "$WORK/cli/file"
	t0=$(now)
	(cd "$WORK/cli" && "$SK" fileserve get 127.0.0.1 "$FSPORT" file) ||
	    die "fileserve get failed"
	t1=$(now)
	cmp -s "$WORK/srv/file" "$WORK/cli/file" || die "fileserve: differs"
	rm -f "$WORK/cli/file"
	rate "$t0" "$t1"
}

run_get_null() {
	t0=$(now)
	"$SK" fileserve get -o - 127.0.0.1 "$FSPORT" file >/dev/null ||
	    die "fileserve get -o - failed"
	t1=$(now)
	rate "$t0" "$t1"
}

run_first() {
	touch "$WORK/srv/file"	# a new ctime: the remembered digest is void
	run_get_null
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
	rm -f "$WORK/cli/nc.out"
	rate "$t0" "$t1"
}

run_dd() {
	rm -f "$WORK/cli/dd.out"
	t0=$(now)
	dd if=/dev/zero of="$WORK/cli/dd.out" bs=256k \
	    count=$((SIZE / 262144)) 2>/dev/null
	t1=$(now)
	rm -f "$WORK/cli/dd.out"
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
gf="" ncr="" dd="" gn="" ip="" fi=""
r=1
while [ $r -le "$ROUNDS" ]; do
	gf="$gf $(run_get_file)"
	ncr="$ncr $(run_nc)"
	dd="$dd $(run_dd)"
	gn="$gn $(run_get_null)"
	ip="$ip $(run_iperf3)"
	fi="$fi $(run_first)"
	echo "round $r: get to file$gf | nc$ncr | dd$dd | get -o -$gn |" \
	    "iperf3$ip | first send$fi" >&2
	r=$((r + 1))
done
# shellcheck disable=SC2086
mgf=$(median $gf); mnc=$(median $ncr); mdd=$(median $dd)
# shellcheck disable=SC2086
mgn=$(median $gn); mip=$(median $ip); mfi=$(median $fi)
echo "fileserve, a $SIZE-byte verified download over loopback, files on $BASE, median of $ROUNDS (MB/s):"
echo "  to a file:  fileserve get $mgf   nc $mnc   (dd, no network: $mdd)"
echo "    fileserve / nc = $(ratio "$mgf" "$mnc")   fileserve / dd = $(ratio "$mgf" "$mdd")"
echo "  no file:    fileserve get -o - $mgn   iperf3 $mip   first send $mfi"
echo "    fileserve / iperf3 = $(ratio "$mgn" "$mip")   first send / iperf3 = $(ratio "$mfi" "$mip")"
