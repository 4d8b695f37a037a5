#!/bin/sh
# tests/browser/run.sh SOCKKIT - what a real browser renders from sockkit
# http: headless Chromium (Debian's package) loads a page with a style
# sheet, an image and a script, and a directory listing; the page's own
# script writes what it found into the DOM, which Chromium dumps.  Only
# 127.0.0.1.  Closing line: "browser: N passed, M failed".
set -u
SK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
BROWSER=$(command -v chromium || command -v chromium-browser ||
    command -v google-chrome) ||
    { echo "browser: no chromium: run 'make deps' first"; exit 1; }
dir=$(mktemp -d /tmp/sockkit-browser.XXXXXX)
server=""
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; sed 's/^/     | /' "$dir/dom" 2>/dev/null | head -20; }

mkdir -p "$dir/www/pics" "$dir/www/a dir & more"
cat >"$dir/www/index.html" <<'HTML'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>sockkit</title>
<link rel="stylesheet" href="style.css">
<script src="app.mjs" type="module"></script>
</head><body><h1>Hello</h1><img id="pic" src="pics/dot.png" alt="dot">
<div id="result">pending</div></body></html>
HTML
echo 'body { background-color: rgb(1, 2, 3); } h1 { color: rgb(200, 100, 50); }' \
    >"$dir/www/style.css"
cat >"$dir/www/app.mjs" <<'JS'
// Runs as a module (served as text/javascript): report what rendered.
const img = document.getElementById("pic");
function report() {
	const bg = getComputedStyle(document.body).backgroundColor;
	const h1 = getComputedStyle(document.querySelector("h1")).color;
	document.getElementById("result").textContent =
	    "bg=" + bg + " h1=" + h1 + " img=" + img.naturalWidth + "x" +
	    img.naturalHeight;
}
if (img.complete) report(); else img.addEventListener("load", report);
img.addEventListener("error", report);
JS
# A 3x2 PNG, written with python's zlib.
python3 - "$dir/www/pics/dot.png" <<'PY'
import struct, sys, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
raw = b"".join(b"\0" + b"\xff\x00\x00" * 3 for _ in range(2))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 3, 2, 8, 2, 0, 0, 0)) + \
    chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
echo x >"$dir/www/a dir & more/file <1>.txt"
printf 'print("shown, not downloaded")\n' >"$dir/www/tool.py"
printf '# notes shown\n' >"$dir/www/notes.md"

"$SK" http -q -d "$dir/www" 127.0.0.1 0 2>"$dir/log" &
server=$!
i=0
until grep -q 'listening on' "$dir/log"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "browser: the server did not start"; exit 1; }
	sleep 0.1
done
port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$dir/log")

dump() {
	timeout 60 "$BROWSER" --headless --no-sandbox --disable-gpu \
	    --no-first-run --disable-extensions --user-data-dir="$dir/profile" \
	    --virtual-time-budget=5000 --dump-dom "$1" >"$dir/dom" 2>"$dir/err"
}

dump "http://127.0.0.1:$port/"
if grep -q 'bg=rgb(1, 2, 3) h1=rgb(200, 100, 50) img=3x2' "$dir/dom"; then
	ok "page: style sheet applied, image decoded, module script ran"
else
	bad "page: $(grep -o 'id="result">[^<]*' "$dir/dom")"
fi

dump "http://127.0.0.1:$port/a%20dir%20%26%20more/"
if grep -q 'href="file%20%3C1%3E.txt">file &lt;1&gt;.txt</a>' "$dir/dom" &&
    grep -q '<title>Index of /a dir &amp; more/</title>' "$dir/dom" &&
    grep -q 'href="../"' "$dir/dom"; then
	ok "listing: names escaped and linked, parent link"
else
	bad "listing"
fi

# The listing's link leads to the file itself.
dump "http://127.0.0.1:$port/a%20dir%20%26%20more/file%20%3C1%3E.txt"
if grep -q '<pre[^>]*>x' "$dir/dom"; then
	ok "a file reached through the listing's link"
else
	bad "link target"
fi

# A directory without its slash: the browser follows the 301.
dump "http://127.0.0.1:$port/pics"
if grep -q 'Index of /pics/' "$dir/dom"; then
	ok "301 to the slash form followed"
else
	bad "redirect"
fi

# Source and notes are text a browser shows (text/plain), not downloads.
dump "http://127.0.0.1:$port/tool.py"
if grep -q '<pre[^>]*>print("shown, not downloaded")' "$dir/dom"; then
	dump "http://127.0.0.1:$port/notes.md"
	if grep -q '<pre[^>]*># notes shown' "$dir/dom"; then
		ok ".py and .md shown as text"
	else
		bad ".md not shown"
	fi
else
	bad ".py not shown"
fi

echo "browser: $passed passed, $failed failed"
[ $failed -eq 0 ]
