#!/bin/sh
# Scripted checks: which ports are open, and does the service answer.
# Run from the project root after `make`.
set -eu
SK=${SK:-./sockkit}
log=$(mktemp)
$SK tcp-server --upper 127.0.0.1 0 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
i=0
until grep -q 'listening on' "$log"; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "server did not start"; exit 1; }
	sleep 0.1
done
port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$log")

# Is anything listening near it?  (exit 0 if any port is open)
$SK tcp-client -z 127.0.0.1 "$((port - 2))-$((port + 2))"
$SK tcp-client -z --json 127.0.0.1 "$port"

# A health check in one line: send a request, expect text in the reply.
if $SK tcp-client --send 'ping\r\n' --expect PING -w 2 127.0.0.1 "$port"; then
	echo "service answers"
fi
# And one that fails: the message says what came instead.
$SK tcp-client --send 'ping\r\n' --expect PONG -w 1 127.0.0.1 "$port" ||
	echo "exit $? as expected"
