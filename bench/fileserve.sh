#!/bin/sh
# fileserve.sh - a 1 GiB verified download and upload over loopback,
# alternating in one run, ROUNDS times:
#   to a file:   fileserve get FILE      against nc -l > out / nc -N < file
#   no file:     fileserve get -o - >/dev/null   against iperf3 (memory to
#                memory, the loopback limit)
#   first send:  the same after `touch`, so the server has to hash the file
#                as it sends it (it remembers each file's digest after that)
#   upload:      fileserve put FILE (the other direction: the client hashes
#                what it sends, the server what it writes) against get
# and the ceiling for writing a file there: dd from /dev/zero, no network.
# Beside each fileserve rate, the CPU seconds per GiB that the client and
# the server spent on it together (user + system).
# Files live on tmpfs (/dev/shm) where there is one, so the disk is not
# what is measured.
. "$(dirname "$0")/lib.sh"
need nc iperf3 python3 dd
SIZE=${SIZE:-1073741824}
BASE=/dev/shm
[ -d "$BASE" ] && [ -w "$BASE" ] || BASE=$SCRATCH
WORK=$(mktemp -d "$BASE/sockkit-fsbench.XXXXXX")
trap 'rm -rf "$WORK"; cleanup' EXIT INT TERM
mkdir "$WORK/srv" "$WORK/cli" "$WORK/up"
head -c "$SIZE" /dev/urandom >"$WORK/srv/file"
cp "$WORK/srv/file" "$WORK/up/up"

rate() { echo "$1 $2" | awk -v n="$SIZE" '{ printf "%.0f", n / ($2 - $1) / 1e6 }'; }

# The server's CPU time so far, in clock ticks (user + system).
srv_ticks() { awk '{ print $14 + $15 }' "/proc/$FSPID/stat"; }
TICK=$(getconf CLK_TCK)

# timed CMD...: run CMD; print "WALL CPU" (seconds; CPU = its user +
# system, plus the server's meanwhile).
timed() {
	a=$(srv_ticks)
	python3 -c '
import os, resource, subprocess, sys, time
t0 = time.monotonic()
rc = subprocess.call(sys.argv[1:])
t1 = time.monotonic()
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.6f %.6f" % (t1 - t0, r.ru_utime + r.ru_stime))
sys.exit(rc)' "$@" >"$SCRATCH/timed" || return 1
	b=$(srv_ticks)
	awk -v a="$a" -v b="$b" -v t="$TICK" '{ printf "%s %.6f\n", $1,
	    $2 + (b - a) / t }' "$SCRATCH/timed"
}

# rate_cpu "WALL CPU": "MB/s CPU-s-per-GiB"
rate_cpu() {
	echo "$1" | awk -v n="$SIZE" '{ printf "%.0f %.2f", n / $1 / 1e6,
	    $2 / (n / 1073741824) }'
}

run_get_file() {
	rm -f "$WORK/cli/file"
	r=$(cd "$WORK/cli" && timed "$SK" fileserve get 127.0.0.1 "$FSPORT" \
	    file) || die "fileserve get failed"
	cmp -s "$WORK/srv/file" "$WORK/cli/file" || die "fileserve: differs"
	rm -f "$WORK/cli/file"
	rate_cpu "$r"
}

# put the same bytes the other way (a copy under another name, so that
# the server's own file stays as the gets expect it).
run_put() {
	rm -f "$WORK/srv/up"
	r=$(timed "$SK" fileserve put 127.0.0.1 "$FSPORT" "$WORK/up/up") ||
	    die "fileserve put failed"
	cmp -s "$WORK/up/up" "$WORK/srv/up" || die "fileserve put: differs"
	rm -f "$WORK/srv/up"
	rate_cpu "$r"
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

sk_server fs fileserve serve -d "$WORK/srv" --allow-upload 127.0.0.1 0
FSPORT=$SPORT
FSPID=$SPID
gf="" gc="" pu="" pc="" ncr="" dd="" gn="" ip="" fi=""
r=1
while [ $r -le "$ROUNDS" ]; do
	set -- $(run_get_file)
	gf="$gf $1"; gc="$gc $2"
	set -- $(run_put)
	pu="$pu $1"; pc="$pc $2"
	ncr="$ncr $(run_nc)"
	dd="$dd $(run_dd)"
	gn="$gn $(run_get_null)"
	ip="$ip $(run_iperf3)"
	fi="$fi $(run_first)"
	echo "round $r: get to file$gf (cpu$gc) | put$pu (cpu$pc) | nc$ncr |" \
	    "dd$dd | get -o -$gn | iperf3$ip | first send$fi" >&2
	r=$((r + 1))
done
# shellcheck disable=SC2086
mgf=$(median $gf); mnc=$(median $ncr); mdd=$(median $dd)
# shellcheck disable=SC2086
mgn=$(median $gn); mip=$(median $ip); mfi=$(median $fi)
# shellcheck disable=SC2086
mpu=$(median $pu); mgc=$(median $gc); mpc=$(median $pc)
echo "fileserve, a $SIZE-byte verified transfer over loopback, files on $BASE, median of $ROUNDS (MB/s; CPU s/GiB, both ends):"
echo "  to a file:  fileserve get $mgf (cpu $mgc)   put $mpu (cpu $mpc)   nc $mnc   (dd, no network: $mdd)"
echo "    get / nc = $(ratio "$mgf" "$mnc")   put / nc = $(ratio "$mpu" "$mnc")   put / get = $(ratio "$mpu" "$mgf")   get / dd = $(ratio "$mgf" "$mdd")"
echo "  no file:    fileserve get -o - $mgn   iperf3 $mip   first send $mfi"
echo "    fileserve / iperf3 = $(ratio "$mgn" "$mip")   first send / iperf3 = $(ratio "$mfi" "$mip")"
