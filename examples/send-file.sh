#!/bin/sh
# netcat-style file transfer: the server sends a file to the first client
# and exits; the client saves it.  Checked byte for byte at the end.
set -eu
SK=${SK:-./sockkit}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
head -c 10000000 /dev/urandom >"$dir/file"
$SK tcp-server 127.0.0.1 0 <"$dir/file" 2>"$dir/log" &
server=$!
i=0
until grep -q 'listening on' "$dir/log"; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "server did not start"; exit 1; }
	sleep 0.1
done
port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$dir/log")
$SK tcp-client -v 127.0.0.1 "$port" </dev/null >"$dir/copy"
wait $server
cmp "$dir/file" "$dir/copy" && echo "10 MB received intact"
