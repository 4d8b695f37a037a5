#!/bin/sh
# fileserve: share a directory, cut a download half-way, and resume it;
# the whole file is verified, the part that was already here included.
# Run from the project root after `make`.
set -eu
SK=${SK:-./sockkit}
SK=$(cd "$(dirname "$SK")" && pwd)/$(basename "$SK")
dir=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT
mkdir "$dir/pub" "$dir/here"
head -c 200000000 /dev/urandom >"$dir/pub/big.bin"
$SK fileserve serve -d "$dir/pub" 127.0.0.1 0 2>"$dir/log" &
server=$!
i=0
until grep -q 'listening on' "$dir/log"; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "server did not start"; exit 1; }
	sleep 0.1
done
port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$dir/log")
cd "$dir/here"
$SK fileserve ls 127.0.0.1 "$port"
# Start a download and cut it short.
$SK fileserve get 127.0.0.1 "$port" big.bin &
get=$!
sleep 0.2
kill $get 2>/dev/null || true
wait $get 2>/dev/null || true
ls -l big.bin.sockkit-part 2>/dev/null || echo "(it finished before the cut)"
# Again: only the rest comes over, and the whole is checked.
$SK fileserve get -v 127.0.0.1 "$port" big.bin
cmp big.bin "$dir/pub/big.bin" && echo "identical"
