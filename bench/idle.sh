#!/bin/sh
# idle.sh - memory per idle connection: open N connections (default
# 10000) to tcp-server --echo (each backend that can hold them) and to
# redis-server, send nothing, and compare the servers' RSS growth per
# connection.  Counts the server's open fds to know all were accepted.
. "$(dirname "$0")/lib.sh"
need redis-server python3
N=${N:-10000}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
nfds() { ls "/proc/$1/fd" | wc -l; }

# hold PORT PID: open N connections, wait until PID holds them all, print
# the RSS growth per connection in bytes; the connections then close.
hold() {
	port=$1 pid=$2
	base_fds=$(nfds "$pid")
	base_rss=$(rss_kb "$pid")
	mkfifo "$SCRATCH/go.$port"
	python3 - "$port" "$N" "$SCRATCH/go.$port" <<'PY' &
import resource, socket, sys
port, n, go = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    socks.append(s)
open(go).read()          # hold them until told
PY
	cpid=$!; PIDS="$PIDS $cpid"
	i=0
	while [ "$(nfds "$pid")" -lt $((base_fds + N)) ] && [ $i -lt 600 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(nfds "$pid")" -ge $((base_fds + N)) ] ||
	    die "server $pid holds $(($(nfds "$pid") - base_fds)) of $N"
	sleep 0.5
	now_rss=$(rss_kb "$pid")
	echo "" >"$SCRATCH/go.$port"
	wait "$cpid"
	awk -v a="$base_rss" -v b="$now_rss" -v n="$N" \
	    'BEGIN { printf "%.0f", (b - a) * 1024 / n }'
}

p=$(freeport)
redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --loglevel warning --maxclients $((N + 1000)) \
    >/dev/null &
RPID=$!; PIDS="$PIDS $RPID"
i=0
until redis-cli -p "$p" ping >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || die "redis-server did not start"
	sleep 0.1
done
red=$(hold "$p" "$RPID")
stop "$RPID"

echo "idle connections: $N held open, server RSS growth per connection (bytes):"
echo "  redis-server  $red"
for b in poll epoll; do
	sk_server "idle-$b" tcp-server --echo --backend "$b" 127.0.0.1 0
	sk=$(hold "$SPORT" "$SPID")
	stop "$SPID"
	echo "  sockkit $b   $sk   (redis / sockkit = $(ratio "$red" "$sk"))"
done
echo "  (select cannot hold fds past FD_SETSIZE = 1024)"
