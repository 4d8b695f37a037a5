#!/bin/sh
# An echo server on a free port, two clients, and a clean stop.
# Run from the project root after `make`.
set -eu
SK=${SK:-./sockkit}
log=$(mktemp)
$SK tcp-server --echo -v 127.0.0.1 0 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
# Wait (bounded) for the listening line, then read the port from it.
i=0
until grep -q 'listening on' "$log"; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "server did not start"; exit 1; }
	sleep 0.1
done
port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$log")
echo "hello from client 1" | $SK tcp-client 127.0.0.1 "$port"
printf 'two\nlines\n' | $SK tcp-client 127.0.0.1 "$port"
kill -TERM $server
# It cleans up and dies by the signal: 143 is how a stopped server ends.
wait $server || [ $? -eq 143 ]
cat "$log"
