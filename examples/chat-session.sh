#!/bin/sh
# A chat room with three scripted members: ann and bob talk, cy listens.
# Run from the project root after `make`.
set -eu
SK=${SK:-./sockkit}
dir=$(mktemp -d)
$SK tcp-server --chat 127.0.0.1 0 2>"$dir/log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT
i=0
until grep -q 'listening on' "$dir/log"; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "server did not start"; exit 1; }
	sleep 0.1
done
port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$dir/log")
# cy stays for two seconds and prints everything the room says.
(sleep 2) | $SK tcp-client 127.0.0.1 "$port" >"$dir/cy" &
cy=$!
sleep 0.3
# ann and bob each send a few lines; leaving (EOF) is their /quit.
printf '/nick ann\nhello, room\n' | $SK tcp-client 127.0.0.1 "$port" >/dev/null
printf '/nick bob\nhi ann\n/who\n' | $SK tcp-client 127.0.0.1 "$port"
wait $cy
echo "--- what cy saw:"
cat "$dir/cy"
