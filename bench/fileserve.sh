#!/bin/sh
# fileserve.sh - a 1 GiB verified download and upload over loopback,
# alternating in one run, ROUNDS times:
#   to a file:   fileserve get FILE      against nc -l > out / nc -N < file
#   upload:      fileserve put FILE      (the same bytes the other way)
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
cp "$WORK/srv/file" "$WORK/cli/up"

rate() { echo "$1 $2" | awk -v n="$SIZE" '{ printf "%.0f", n / ($2 - $1) / 1e6 }'; }

# CPU seconds the server has used so far (utime + stime).
srv_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' \
	    "/proc/$FSPID/stat"
}

# timed CMD...: run it; "WALL CLIENT_CPU SERVER_CPU" in seconds.
timed() {
	s0=$(srv_cpu)
	python3 -c '
import resource, subprocess, sys, time
t = time.time()
subprocess.run(sys.argv[1:], check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %.3f" % (time.time() - t, r.ru_utime + r.ru_stime))' "$@" \
	    >"$SCRATCH/timed" || die "$* failed"
	s1=$(srv_cpu)
	read -r w c <"$SCRATCH/timed"
	echo "$w $c $(echo "$s0 $s1" | awk '{ printf "%.3f", $2 - $1 }')"
}

# MB/s from "WALL CPU CPU"; and CPU seconds per GiB, client+server.
mbps() { echo "$1" | awk -v n="$SIZE" '{ printf "%.0f", n / $1 / 1e6 }'; }
cpu_gib() { echo "$1" | awk -v n="$SIZE" -v f="$2" \
    '{ printf "%.2f", $f * 1073741824 / n }'; }

run_get_file() {
	rm -f "$WORK/cli/file"
	t=$(cd "$WORK/cli" && timed "$SK" fileserve get 127.0.0.1 "$FSPORT" \
	    file)
	cmp -s "$WORK/srv/file" "$WORK/cli/file" || die "fileserve: differs"
	rm -f "$WORK/cli/file"
	echo "$t"
}

run_put() {
	rm -f "$WORK/srv/up"
	t=$(timed "$SK" fileserve put 127.0.0.1 "$FSPORT" "$WORK/cli/up" up)
	cmp -s "$WORK/cli/up" "$WORK/srv/up" || die "fileserve put: differs"
	rm -f "$WORK/srv/up"
	echo "$t"
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
gf="" pf="" gcc="" gsc="" pcc="" psc="" ncr="" dd="" gn="" ip="" fi=""
r=1
while [ $r -le "$ROUNDS" ]; do
	t=$(run_get_file)
	gf="$gf $(mbps "$t")"
	gcc="$gcc $(cpu_gib "$t" 2)"
	gsc="$gsc $(cpu_gib "$t" 3)"
	t=$(run_put)
	pf="$pf $(mbps "$t")"
	pcc="$pcc $(cpu_gib "$t" 2)"
	psc="$psc $(cpu_gib "$t" 3)"
	ncr="$ncr $(run_nc)"
	dd="$dd $(run_dd)"
	gn="$gn $(run_get_null)"
	ip="$ip $(run_iperf3)"
	fi="$fi $(run_first)"
	echo "round $r: get to file$gf | put$pf | nc$ncr | dd$dd |" \
	    "get -o -$gn | iperf3$ip | first send$fi" >&2
	r=$((r + 1))
done
# shellcheck disable=SC2086
mgf=$(median $gf); mnc=$(median $ncr); mdd=$(median $dd); mpf=$(median $pf)
# shellcheck disable=SC2086
mgcc=$(median $gcc); mgsc=$(median $gsc); mpcc=$(median $pcc)
# shellcheck disable=SC2086
mpsc=$(median $psc)
# shellcheck disable=SC2086
mgn=$(median $gn); mip=$(median $ip); mfi=$(median $fi)
echo "fileserve, a $SIZE-byte verified download over loopback, files on $BASE, median of $ROUNDS (MB/s):"
echo "  to a file:  fileserve get $mgf   put $mpf   nc $mnc   (dd, no network: $mdd)"
echo "    get / nc = $(ratio "$mgf" "$mnc")   put / nc = $(ratio "$mpf" "$mnc")   put / get = $(ratio "$mpf" "$mgf")   get / dd = $(ratio "$mgf" "$mdd")"
echo "    CPU s per GiB, client + server: get $mgcc + $mgsc   put $mpcc + $mpsc"
echo "  no file:    fileserve get -o - $mgn   iperf3 $mip   first send $mfi"
echo "    fileserve / iperf3 = $(ratio "$mgn" "$mip")   first send / iperf3 = $(ratio "$mfi" "$mip")"
