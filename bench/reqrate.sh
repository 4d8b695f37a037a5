#!/bin/sh
# reqrate.sh - request rate: redis-benchmark -t ping_mbulk (its echoed RESP
# array is a valid reply) against tcp-server --echo on each backend and
# against redis-server answering PING, with the same client settings, at
# -c 50, -c 50 -P 16 and -c 1000; alternating, ROUNDS times; medians and
# ratios to redis.
. "$(dirname "$0")/lib.sh"
need redis-server redis-benchmark python3
REQUESTS=${REQUESTS:-300000}

rps() {
	timeout 120 redis-benchmark -h 127.0.0.1 -p "$1" -t ping_mbulk \
	    -n "$REQUESTS" $2 -q 2>/dev/null | tr '\r' '\n' |
	    sed -n 's/.*PING_MBULK: \([0-9.]*\) requests per second.*/\1/p' |
	    tail -n 1
}

p=$(freeport)
redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --loglevel warning --maxclients 20000 >/dev/null &
RPID=$!; PIDS="$PIDS $RPID"
i=0
until redis-cli -p "$p" ping >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || die "redis-server did not start"
	sleep 0.1
done
RPORT=$p
for b in select poll epoll; do
	sk_server "echo-$b" tcp-server --echo --backend "$b" 127.0.0.1 0
	eval "PORT_$b=$SPORT"
done

echo "request rate, redis-benchmark -t ping_mbulk -n $REQUESTS, median of $ROUNDS (requests/s):"
for args in "-c 50" "-c 50 -P 16" "-c 1000"; do
	red="" sel="" pol="" epo=""
	r=1
	while [ $r -le "$ROUNDS" ]; do
		red="$red $(rps "$RPORT" "$args")"
		sel="$sel $(rps "$PORT_select" "$args")"
		pol="$pol $(rps "$PORT_poll" "$args")"
		epo="$epo $(rps "$PORT_epoll" "$args")"
		r=$((r + 1))
	done
	# shellcheck disable=SC2086
	mr=$(median $red); ms=$(median $sel); mp=$(median $pol); me=$(median $epo)
	printf '  %-12s redis %9.0f | select %9.0f (%s) | poll %9.0f (%s) | epoll %9.0f (%s)\n' \
	    "$args" "$mr" "$ms" "$(ratio "$ms" "$mr")" "$mp" "$(ratio "$mp" "$mr")" \
	    "$me" "$(ratio "$me" "$mr")"
done
