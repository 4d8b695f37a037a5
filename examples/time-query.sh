#!/bin/sh
# A UDP time service and three queries: the default format, one of our
# own, and a check that it answers at all (exit status only).
# Run from the project root after `make`.
set -eu
SK=${SK:-./sockkit}
log=$(mktemp)
$SK udp-server --time 127.0.0.1 0 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
i=0
until grep -q 'listening on' "$log"; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "server did not start"; exit 1; }
	sleep 0.1
done
port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$log")
$SK udp-client --send '' 127.0.0.1 "$port"
$SK udp-client --send 'week %V of %Y, %H:%M' 127.0.0.1 "$port"
$SK udp-client --send '%Y' --expect 20 --retries 2 127.0.0.1 "$port" &&
	echo "the time service answers"
