#!/bin/sh
# bulk.sh - loopback throughput: 2 GiB piped from `head -c` through a
# client into a stdio server writing to /dev/null, for sockkit, nc and
# socat, alternating, ROUNDS times; then iperf3 (in-process data, no pipe)
# on the same machine, and sockkit sending a file (sendfile, no pipe).
# Prints the medians in MB/s and the ratios.
. "$(dirname "$0")/lib.sh"
need nc socat iperf3 head python3
SIZE=${SIZE:-2147483648}

run_sockkit() {
	sk_server bulk tcp-server 127.0.0.1 0 >/dev/null
	t0=$(now)
	head -c "$SIZE" /dev/zero | "$SK" tcp-client 127.0.0.1 "$SPORT"
	wait "$SPID"
	t1=$(now)
	echo "$t0 $t1" | awk -v n="$SIZE" '{ printf "%.0f", n / ($2 - $1) / 1e6 }'
}

run_nc() {
	nc -lv 127.0.0.1 0 >/dev/null 2>"$SCRATCH/nc.err" &
	pid=$!; PIDS="$PIDS $pid"
	wait_for "$SCRATCH/nc.err" '^Listening on '
	p=$(sed -n 's/^Listening on .* \([0-9][0-9]*\)$/\1/p' "$SCRATCH/nc.err")
	t0=$(now)
	head -c "$SIZE" /dev/zero | nc -N 127.0.0.1 "$p"
	wait "$pid"
	t1=$(now)
	echo "$t0 $t1" | awk -v n="$SIZE" '{ printf "%.0f", n / ($2 - $1) / 1e6 }'
}

run_socat() {
	p=$(freeport)
	socat -d -d -u TCP-LISTEN:"$p",bind=127.0.0.1 - >/dev/null \
	    2>"$SCRATCH/socat.err" &
	pid=$!; PIDS="$PIDS $pid"
	wait_for "$SCRATCH/socat.err" 'listening on'
	t0=$(now)
	head -c "$SIZE" /dev/zero | socat -u - TCP:127.0.0.1:"$p"
	wait "$pid"
	t1=$(now)
	echo "$t0 $t1" | awk -v n="$SIZE" '{ printf "%.0f", n / ($2 - $1) / 1e6 }'
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

run_sockkit_file() {
	f=$SCRATCH/file
	[ -f "$f" ] || head -c "$SIZE" /dev/zero >"$f"
	cat "$f" >/dev/null
	sk_server bulkf tcp-server 127.0.0.1 0 >/dev/null
	t0=$(now)
	"$SK" tcp-client 127.0.0.1 "$SPORT" <"$f"
	wait "$SPID"
	t1=$(now)
	echo "$t0 $t1" | awk -v n="$SIZE" '{ printf "%.0f", n / ($2 - $1) / 1e6 }'
}

sk="" ncr="" so="" ip="" skf=""
r=1
while [ $r -le "$ROUNDS" ]; do
	sk="$sk $(run_sockkit)"
	ncr="$ncr $(run_nc)"
	so="$so $(run_socat)"
	ip="$ip $(run_iperf3)"
	skf="$skf $(run_sockkit_file)"
	echo "round $r: sockkit$sk | nc$ncr | socat$so | iperf3$ip | sockkit<file$skf" >&2
	r=$((r + 1))
done
# shellcheck disable=SC2086
msk=$(median $sk); mnc=$(median $ncr); mso=$(median $so); mip=$(median $ip)
# shellcheck disable=SC2086
mskf=$(median $skf)
best=$(awk -v a="$mnc" -v b="$mso" 'BEGIN { print (a > b) ? a : b }')
echo "bulk, $SIZE bytes over loopback, median of $ROUNDS (MB/s):"
echo "  piped:  sockkit $msk   nc $mnc   socat $mso"
echo "  no pipe: iperf3 $mip   sockkit < file $mskf"
echo "  sockkit / nc = $(ratio "$msk" "$mnc")   sockkit / socat = $(ratio "$msk" "$mso")   sockkit / faster peer = $(ratio "$msk" "$best")"
echo "  sockkit piped / iperf3 = $(ratio "$msk" "$mip")   sockkit < file / iperf3 = $(ratio "$mskf" "$mip")"
