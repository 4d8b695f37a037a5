#!/bin/sh
# http: share a directory over HTTP, then look at it the way a browser and
# a script would: a listing, a file, a conditional request (304), a range
# (206), and the access log.  Run from the project root after `make`.
set -eu
SK=${SK:-./sockkit}
SK=$(cd "$(dirname "$SK")" && pwd)/$(basename "$SK")
dir=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT
mkdir -p "$dir/pub/docs"
echo 'hello from sockkit' >"$dir/pub/hello.txt"
echo '# notes' >"$dir/pub/docs/notes.md"
$SK http -d "$dir/pub" 127.0.0.1 0 2>"$dir/log" &
server=$!
i=0
until grep -q 'listening on' "$dir/log"; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "server did not start"; exit 1; }
	sleep 0.1
done
port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$dir/log")
url=http://127.0.0.1:$port
echo "== the listing of /"
curl -s "$url/" | sed -n 's/.*<a href="\([^"]*\)">.*/  \1/p'
echo "== a file, with its headers"
curl -s -i "$url/hello.txt"
etag=$(curl -s -I "$url/hello.txt" | sed -n 's/^ETag: //p' | tr -d '\r')
echo "== asked again with If-None-Match: $etag"
curl -s -o /dev/null -w '  status %{http_code}\n' -H "If-None-Match: $etag" \
    "$url/hello.txt"
echo "== bytes 6-9 only"
curl -s -r 6-9 -w '\n  status %{http_code}\n' "$url/hello.txt"
echo "== a directory without its slash"
curl -s -o /dev/null -w '  status %{http_code} -> %{redirect_url}\n' \
    "$url/docs"
echo "== the access log"
grep -v 'listening on' "$dir/log"
