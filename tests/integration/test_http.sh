# test_http.sh - sockkit http against curl and raw python sockets: files,
# HEAD, listings, redirects, MIME types, conditionals, Range, keep-alive
# and pipelining, every error status, traversal attempts against a secret
# planted outside DIR, symlinks, FIFOs, 200 concurrent clients, a
# slowloris client, and the access log.

# http_serve NAME ARGS...: serve on 127.0.0.1 port 0 (sets PORT, SPID).
http_serve() {
	name=$1
	shift
	start_server "$name" http "$@" 127.0.0.1 0
}

# hdr FILE NAME: a header's value from a saved response head.
hdr() {
	sed -n "s/^$2: \(.*\)$/\1/Ip" "$1" | tr -d '\r' | head -n 1
}

# code URL [curl args]: the status curl got.
code() {
	url=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@" "$url"
}

web_tree() {
	mkdir -p www/sub www/empty www/assets
	echo '<h1>home</h1>' >www/index.html
	echo hello >www/a.txt
	echo 'body{color:red}' >www/assets/site.css
	for e in mjs wasm svg webp avif woff2 json png jpg pdf zip mp4 Weird; do
		echo x >"www/assets/f.$e"
	done
	echo x >www/assets/noext
	echo x >'www/sub/we<i>rd & "q".txt'
	echo x >www/sub/b.txt
	echo x >www/sub/A.txt
	mkdir www/sub/dir
	echo secret >secret.txt
}

t_http_files_head_listing() {
	web_tree
	http_serve h -d www
	U=http://127.0.0.1:$PORT
	curl -s -D head -o body "$U/a.txt" || fail "curl"
	head -n 1 head | grep -q '^HTTP/1.1 200 OK' || fail "$(cat head)"
	[ "$(cat body)" = hello ] || fail "body"
	[ "$(hdr head Content-Type)" = "text/plain; charset=utf-8" ] ||
	    fail "type: $(cat head)"
	[ "$(hdr head Content-Length)" = 6 ] || fail "length"
	[ -n "$(hdr head ETag)" ] && [ -n "$(hdr head Last-Modified)" ] &&
	    [ -n "$(hdr head Date)" ] && hdr head Server | grep -q '^sockkit/' ||
	    fail "headers: $(cat head)"
	# HEAD: the same headers, no body.
	curl -s -I -o /dev/null -D hhead "$U/a.txt"
	[ "$(hdr hhead Content-Length)" = 6 ] &&
	    [ "$(hdr hhead ETag)" = "$(hdr head ETag)" ] || fail "HEAD"
	printf 'HEAD /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	    http_raw "$PORT" >raw
	tail -c 2 raw | od -c | grep -q '\\r  \\n' || fail "HEAD sent a body"
	# index.html for the top; a listing elsewhere.
	[ "$(curl -s "$U/")" = '<h1>home</h1>' ] || fail "index.html"
	curl -s "$U/sub/" >list
	grep -q '<a href="../">' list || fail "no parent link"
	grep -q 'href="we%3Ci%3Erd%20%26%20%22q%22.txt">we&lt;i&gt;rd &amp; &quot;q&quot;.txt<' \
	    list || fail "names not escaped: $(cat list)"
	grep -q 'href="dir/">dir/<' list || fail "no dir/"
	grep -o 'href="[^"]*"' list | tr '\n' ' ' >order
	[ "$(cat order)" = 'href="../" href="A.txt" href="b.txt" href="dir/" href="we%3Ci%3Erd%20%26%20%22q%22.txt" ' ] ||
	    fail "not sorted: $(cat order)"
	curl -s "$U/empty/" | grep -q '<table>' || fail "empty listing"
	# A directory without its slash: 301 to the slash form; //x too,
	# but never to //x/ (a host named x).
	curl -s -D r1 -o /dev/null "$U/sub?x=1"
	head -n 1 r1 | grep -q ' 301 ' && [ "$(hdr r1 Location)" = "/sub/?x=1" ] ||
	    fail "301: $(cat r1)"
	curl -s -D r2 -o /dev/null --path-as-is "$U//sub"
	[ "$(hdr r2 Location)" = "/sub/" ] || fail "//sub: $(cat r2)"
	# Content types.
	for pair in mjs:text/javascript wasm:application/wasm \
	    svg:image/svg+xml webp:image/webp avif:image/avif \
	    woff2:font/woff2 json:application/json png:image/png \
	    jpg:image/jpeg pdf:application/pdf zip:application/zip \
	    mp4:video/mp4 Weird:application/octet-stream; do
		t=$(curl -s -o /dev/null -w '%{content_type}' \
		    "$U/assets/f.${pair%%:*}")
		case "$t" in "${pair#*:}"*) ;; *) fail "${pair%%:*}: $t" ;; esac
	done
	t=$(curl -s -o /dev/null -w '%{content_type}' "$U/assets/noext")
	[ "$t" = application/octet-stream ] || fail "noext: $t"
	[ "$(code "$U/nope")" = 404 ] || fail "404"
	curl -s "$U/nope" | grep -q '<h1>404 Not Found</h1>' || fail "404 page"
	# Every response has Date and Server: errors, 304, 301 too.
	for h in "$U/nope" "$U/sub" "-H If-None-Match:$(hdr head ETag) $U/a.txt"; do
		# shellcheck disable=SC2086
		curl -s -o /dev/null -D eh $h
		[ -n "$(hdr eh Date)" ] && [ -n "$(hdr eh Server)" ] ||
		    fail "no Date/Server: $(cat eh)"
	done
	# Small files stay open in a cache, checked again every second: a
	# changed file is served new within a second or two.
	echo "changed, and longer" >www/a.txt.new
	mv www/a.txt.new www/a.txt
	i=0
	while [ "$(curl -s "$U/a.txt")" != "changed, and longer" ]; do
		[ $i -lt 30 ] || fail "stale a.txt: $(curl -s "$U/a.txt")"
		sleep 0.1
		i=$((i + 1))
	done
	printf 'in place' >www/a.txt
	i=0
	while [ "$(curl -s "$U/a.txt")" != "in place" ]; do
		[ $i -lt 30 ] || fail "stale in place: $(curl -s "$U/a.txt")"
		sleep 0.1
		i=$((i + 1))
	done
	rm www/a.txt
	i=0
	while [ "$(code "$U/a.txt")" != 404 ]; do
		[ $i -lt 30 ] || fail "a removed file still served"
		sleep 0.1
		i=$((i + 1))
	done
	stop_server
}

t_http_conditional_and_range() {
	web_tree
	random_file www/big.bin 100000
	http_serve h -d www
	U=http://127.0.0.1:$PORT
	curl -s -D head -o /dev/null "$U/a.txt"
	etag=$(hdr head ETag)
	lm=$(hdr head Last-Modified)
	[ "$(code "$U/a.txt" -H "If-None-Match: $etag")" = 304 ] || fail inm
	[ "$(code "$U/a.txt" -H "If-None-Match: W/$etag")" = 304 ] ||
	    fail "weak inm"
	[ "$(code "$U/a.txt" -H "If-None-Match: \"other\", $etag")" = 304 ] ||
	    fail "inm list"
	[ "$(code "$U/a.txt" -H 'If-None-Match: "other"')" = 200 ] ||
	    fail "inm other"
	[ "$(code "$U/a.txt" -H "If-Modified-Since: $lm")" = 304 ] || fail ims
	later=$(date -u -d '+1 hour' '+%a, %d %b %Y %H:%M:%S GMT')
	[ "$(code "$U/a.txt" -H "If-Modified-Since: $later")" = 304 ] ||
	    fail "ims later: not only an exact match"
	[ "$(code "$U/a.txt" -H 'If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT')" = 200 ] ||
	    fail "ims older"
	[ "$(code "$U/a.txt" -H 'If-Modified-Since: garbage')" = 200 ] ||
	    fail "ims garbage"
	# If-None-Match wins over If-Modified-Since.
	[ "$(code "$U/a.txt" -H 'If-None-Match: "x"' -H "If-Modified-Since: $lm")" = 200 ] ||
	    fail "inm first"
	# Range.
	curl -s -r 10-19 -D rh -o part "$U/big.bin"
	head -n 1 rh | grep -q ' 206 ' || fail "206: $(cat rh)"
	[ "$(hdr rh Content-Range)" = "bytes 10-19/100000" ] || fail "range hdr"
	dd if=www/big.bin bs=1 skip=10 count=10 2>/dev/null | cmp -s - part ||
	    fail "range bytes"
	curl -s -r -100 -o part "$U/big.bin"
	tail -c 100 www/big.bin | cmp -s - part || fail "suffix range"
	curl -s -r 99990- -o part "$U/big.bin"
	tail -c 10 www/big.bin | cmp -s - part || fail "open range"
	curl -s -r 200000- -D rh -o /dev/null "$U/big.bin"
	head -n 1 rh | grep -q ' 416 ' &&
	    [ "$(hdr rh Content-Range)" = "bytes */100000" ] || fail "416"
	[ "$(code "$U/big.bin" -r 0-1,5-6)" = 200 ] || fail "multi-range"
	[ "$(code "$U/big.bin" -r 0-1 -H 'If-Range: "stale"')" = 200 ] ||
	    fail "if-range stale"
	curl -s -D rh -o /dev/null "$U/big.bin"
	[ "$(code "$U/big.bin" -r 0-1 -H "If-Range: $(hdr rh ETag)")" = 206 ] ||
	    fail "if-range fresh"
	stop_server
}

t_http_keepalive_pipelining() {
	web_tree
	http_serve h -d www
	U=http://127.0.0.1:$PORT
	# curl reuses one connection for two URLs.
	curl -sv "$U/a.txt" "$U/index.html" -o /dev/null -o /dev/null \
	    2>curl.err
	grep -qi 're-using existing connection\|reusing existing' curl.err ||
	    fail "no keep-alive: $(grep -i connect curl.err)"
	# Three pipelined requests in one write: three answers, in order; the
	# last asks to close.
	printf 'GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /assets/site.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	    http_raw "$PORT" >raw
	grep -a '^HTTP/1.1' raw | tr -d '\r' | tr '\n' '|' >st
	[ "$(cat st)" = "HTTP/1.1 200 OK|HTTP/1.1 404 Not Found|HTTP/1.1 200 OK|" ] ||
	    fail "pipelined: $(cat st)"
	tail -c 16 raw | grep -q 'color:red' || fail "order: $(cat raw)"
	# HTTP/1.0 closes after one response (http_raw returns on close).
	printf 'GET /a.txt HTTP/1.0\r\n\r\nGET /a.txt HTTP/1.0\r\n\r\n' |
	    http_raw "$PORT" >raw
	[ "$(grep -ac '^HTTP/1.1 200' raw)" = 1 ] || fail "1.0: $(cat raw)"
	grep -aqi '^Connection: close' raw || fail "no Connection: close"
	# A GET with a body: the body is skipped, the next request answered.
	printf 'GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nXXXXXGET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	    http_raw "$PORT" >raw
	[ "$(grep -ac '^HTTP/1.1 200' raw)" = 2 ] || fail "body: $(cat raw)"
	stop_server
}

t_http_bad_requests() {
	web_tree
	http_serve h -d www
	U=http://127.0.0.1:$PORT
	check() {
		want=$1
		shift
		printf "$@" | http_raw "$PORT" >raw
		head -n 1 raw | grep -q "^HTTP/1.1 $want " ||
		    fail "wanted $want for $*: $(head -n 1 raw)"
		# And the server goes on serving.
		[ "$(code "$U/a.txt")" = 200 ] || fail "dead after $*"
	}
	check 405 'POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
	printf 'DELETE /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	    http_raw "$PORT" | grep -aqi '^Allow: GET, HEAD' || fail "no Allow"
	check 400 'GET / HTTP/1.1\r\n\r\n'
	check 400 'GARBAGE\r\n\r\n'
	check 400 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n'
	check 400 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n'
	check 400 'GET /%%zz HTTP/1.1\r\nHost: x\r\n\r\n'
	check 505 'GET / HTTP/2.0\r\nHost: x\r\n\r\n'
	check 501 'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
	check 413 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n'
	long=$(head -c 9000 /dev/zero | tr '\0' a)
	check 414 "GET /$long HTTP/1.1\r\nHost: x\r\n\r\n"
	big=$(head -c 17000 /dev/zero | tr '\0' b)
	check 431 "GET / HTTP/1.1\r\nHost: x\r\nX-Big: $big\r\n\r\n"
	# A head of 16 KiB is still accepted.
	ok=$(head -c 15000 /dev/zero | tr '\0' c)
	check 200 "GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Ok: $ok\r\nConnection: close\r\n\r\n"
	# 1,000 mutated heads, none of which may stop the server.
	python3 - "$PORT" <<'PY' || fail "mutated heads"
import random, socket, sys
random.seed(7)
port = int(sys.argv[1])
base = b"GET /a.txt?x=1 HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\nIf-None-Match: \"a\"\r\nConnection: close\r\n\r\n"
for i in range(1000):
    b = bytearray(base)
    for _ in range(random.randint(1, 8)):
        op = random.randint(0, 2)
        at = random.randrange(len(b))
        if op == 0:
            b[at] = random.randrange(256)
        elif op == 1:
            del b[at]
        else:
            b.insert(at, random.randrange(256))
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(bytes(b))
    s.shutdown(socket.SHUT_WR)
    try:
        while s.recv(65536):
            pass
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
PY
	[ "$(code "$U/a.txt")" = 200 ] || fail "dead after mutated heads"
	kill -0 "$SPID" || fail "server died"
	stop_server
}

# Nothing outside DIR, however it is asked for.
t_http_traversal_refused() {
	web_tree
	ln -s ../secret.txt www/escape
	ln -s "$PWD/secret.txt" www/abs-escape
	ln -s a.txt www/inner
	mkfifo www/fifo
	http_serve h -d www
	U=http://127.0.0.1:$PORT
	for p in /../secret.txt /%2e%2e/secret.txt /%2E%2E%2Fsecret.txt \
	    /sub/../../secret.txt /sub/%2e%2e/%2e%2e/secret.txt \
	    /..%2fsecret.txt //../secret.txt /escape /abs-escape \
	    "/a.txt%00.html" "$PWD/secret.txt"; do
		curl -s --path-as-is "$U$p" >got
		grep -q secret got && fail "$p served the secret"
		c=$(code "$U$p")
		case "$c" in 400|403|404) ;; *) fail "$p: $c" ;; esac
	done
	printf 'GET http://x/../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	    http_raw "$PORT" >raw
	grep -q secret raw && fail "absolute form served the secret"
	printf 'GET /../secret.txt HTTP/1.0\r\n\r\n' | http_raw "$PORT" >raw
	grep -q secret raw && fail "1.0 served the secret"
	[ "$(curl -s "$U/inner")" = hello ] || fail "inner symlink"
	# A FIFO is refused at once, without blocking anyone.
	[ "$(timeout 5 curl -s -o /dev/null -w '%{http_code}' "$U/fifo")" = 403 ] ||
	    fail "fifo"
	[ "$(code "$U/a.txt")" = 200 ] || fail "stalled by the fifo"
	stop_server
	# --follow-symlinks: links out of DIR are served.
	http_serve h2 -d www --follow-symlinks
	[ "$(curl -s "http://127.0.0.1:$PORT/escape")" = secret ] ||
	    fail "--follow-symlinks"
	stop_server
}

# 200 clients at once, and a slowloris client dropped while they are
# served.
t_http_200_clients_and_slowloris() {
	web_tree
	random_file www/big.bin 300000
	http_serve h -d www --head-timeout 2
	python3 - "$PORT" <<'PY' || fail "clients"
import hashlib, socket, sys, threading, time
port = int(sys.argv[1])
want = hashlib.sha256(open("www/big.bin", "rb").read()).hexdigest()
# The slow one: a head, one byte at a time, never finished.
slow = socket.create_connection(("127.0.0.1", port), timeout=10)
slow.sendall(b"GET / HTTP/1.1\r\n")
start = time.time()
results = []
def client(i):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    path = b"/big.bin" if i % 2 else b"/a.txt"
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    ok = head.startswith(b"HTTP/1.1 200")
    ok = ok and (hashlib.sha256(body).hexdigest() == want if i % 2 else body == b"hello\n")
    results.append(ok)
threads = [threading.Thread(target=client, args=(i,)) for i in range(200)]
for t in threads:
    t.start()
dropped = None
for k in range(60):
    try:
        slow.sendall(b"X")
        slow.settimeout(0.1)
        d = slow.recv(4096)
        if d == b"" or d.startswith(b"HTTP/1.1 408"):
            dropped = time.time() - start
            break
    except socket.timeout:
        pass
    except (BrokenPipeError, ConnectionResetError):
        dropped = time.time() - start
        break
    time.sleep(0.1)
for t in threads:
    t.join()
assert len(results) == 200 and all(results), results.count(False)
assert dropped is not None and dropped < 5, dropped
print("200 ok; slowloris dropped after %.1f s" % dropped)
PY
	[ "$(code "http://127.0.0.1:$PORT/a.txt")" = 200 ] || fail "after"
	stop_server
}

t_http_access_log() {
	web_tree
	http_serve h -d www
	U=http://127.0.0.1:$PORT
	curl -s -o /dev/null "$U/a.txt"
	curl -s -o /dev/null "$U/nope"
	printf 'GET /"x\001 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	    http_raw "$PORT" >/dev/null
	wait_for h.err 'HTTP/1.1" 400' || fail "no log line: $(cat h.err)"
	grep -Eq '^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} [+-][0-9]{4}\] "GET /a\.txt HTTP/1\.1" 200 6$' \
	    h.err || fail "CLF: $(cat h.err)"
	grep -q '"GET /nope HTTP/1.1" 404 ' h.err || fail "404 line"
	grep -q 'GET /\\"x\\x01 HTTP/1.1" 400 ' h.err ||
	    fail "not escaped: $(cat h.err)"
	stop_server
	http_serve q -d www -q
	curl -s -o /dev/null "http://127.0.0.1:$PORT/a.txt"
	stop_server
	[ "$(grep -vc 'listening on' q.err)" = 0 ] || fail "-q: $(cat q.err)"
	http_serve l -d www --log access.log
	curl -s -o /dev/null "http://127.0.0.1:$PORT/a.txt"
	wait_for access.log '"GET /a.txt HTTP/1.1" 200 6' || fail "--log"
	stop_server
}

t_http_big_file_and_cli() {
	mkdir www
	random_file www/big.bin 60000000
	http_serve h -d www -q
	curl -s -o got "http://127.0.0.1:$PORT/big.bin" || fail "curl"
	cmp -s got www/big.bin || fail "big file differs"
	stop_server
	expect_exit 0 "$SK" http --help >help
	grep -q '^usage: sockkit http \[-46qv\] \[-d DIR\] ' help ||
	    fail "help"
	expect_exit 2 "$SK" http 99999 2>err
	one_line err "sockkit: http: invalid port '99999'"
	expect_exit 2 "$SK" http a b c 2>err
	one_line err "sockkit: http: too many operands"
	expect_exit 2 "$SK" http --head-timeout 0 2>err
	expect_exit 1 "$SK" http -d /nonexistent 127.0.0.1 0 2>err
	one_line err "sockkit: http: /nonexistent: No such file or directory"
	if have_ipv6; then
		start_server v6 http -d www -q ::1 0
		[ "$(curl -s -o /dev/null -w '%{http_code}' \
		    "http://[::1]:$PORT/big.bin" -r 0-0)" = 206 ] || fail "::1"
		stop_server
	fi
}

# An idle keep-alive connection is closed after --keepalive-timeout; with
# --max-clients reached, the next client waits in the listen queue and is
# served as soon as a slot frees.
t_http_keepalive_timeout_and_max_clients() {
	web_tree
	http_serve h -d www --keepalive-timeout 2 --max-clients 2
	python3 - "$PORT" <<'PY' || fail "python"
import socket, sys, time
port = int(sys.argv[1])
def req(s, close=False):
    s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n" +
              (b"Connection: close\r\n" if close else b"") + b"\r\n")
    data = b""
    while b"hello\n" not in data:
        d = s.recv(65536)
        if not d:
            break
        data += d
    return data
# Idle after one answer: closed by the server within its timeout (+ tick).
a = socket.create_connection(("127.0.0.1", port), timeout=10)
assert req(a).startswith(b"HTTP/1.1 200")
t0 = time.time()
assert a.recv(100) == b""
idle = time.time() - t0
assert 1 < idle < 5, idle
# Two clients take both slots; a third is accepted only when one goes.
b = socket.create_connection(("127.0.0.1", port), timeout=10)
c = socket.create_connection(("127.0.0.1", port), timeout=10)
assert req(b).startswith(b"HTTP/1.1 200")
assert req(c).startswith(b"HTTP/1.1 200")
d = socket.create_connection(("127.0.0.1", port), timeout=10)
d.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
d.settimeout(0.5)
try:
    early = d.recv(100)
except socket.timeout:
    early = None
assert early is None, early
b.close()
d.settimeout(10)
data = b""
while True:
    x = d.recv(65536)
    if not x:
        break
    data += x
assert data.startswith(b"HTTP/1.1 200"), data
print("idle closed after %.1f s; the third client served after a slot freed" % idle)
PY
	stop_server
}

# http_usage ARGS...: "sockkit http ARGS" is a usage error: exit 2 within
# 5 s (a server that starts instead is cut off and fails), nothing on
# stdout, one line "sockkit: http: ..." on stderr (in err).
http_usage() {
	timeout 5 "$SK" http "$@" >out 2>err
	rc=$?
	[ "$rc" -eq 2 ] || fail "http $*: exit $rc, wanted 2: $(cat err)"
	[ ! -s out ] || fail "http $*: stdout: $(cat out)"
	one_line err "sockkit: http: "
}

# Issue 10: options that would do nothing where they are given.
t_http_conflicting_options() {
	mkdir www
	echo hi >www/a.txt
	http_usage --json -d www 127.0.0.1 0
	grep -q -- "--json: http has no JSON output" err || fail "$(cat err)"
	http_usage -q -v -d www 127.0.0.1 0
	grep -q -- "-q and -v do not go together" err || fail "$(cat err)"
	http_usage -v -q -d www 127.0.0.1 0
	http_usage -q --log x.log -d www 127.0.0.1 0
	[ ! -e x.log ] || fail "--log made with -q"
	http_usage -6 -d www 127.0.0.1 0
	grep -q -- "-6 and the IPv4 address '127.0.0.1'" err || fail "$(cat err)"
	http_usage -4 -d www ::1 0
	grep -q -- "-4 and the IPv6 address '::1'" err || fail "$(cat err)"
	# What goes together still works: -v with --log (connections on
	# stderr, requests in the file), -4 with an IPv4 address.
	start_server v http -v --log access.log -d www -4 127.0.0.1 0
	[ "$(curl -s "http://127.0.0.1:$PORT/a.txt")" = hi ] || fail "curl"
	wait_for access.log '"GET /a.txt HTTP/1.1" 200 3$' || fail "--log"
	wait_for v.err ' disconnected$' || fail "-v"
	grep -q 'GET' v.err && fail "the access log went to stderr too"
	stop_server
}

# Issue 11: a directory where the address goes gets the -d hint; HOST:PORT
# and :PORT are usage errors with the form meant (exit 2, not 1).
t_http_operand_hints() {
	mkdir www site.invalid
	echo hi >www/a.txt
	http_usage ./www 9190
	grep -q "'./www' is a directory, not an address: serve it with '-d ./www'" \
	    err || fail "$(cat err)"
	http_usage ./www
	grep -q "'-d ./www'" err || fail "$(cat err)"
	http_usage "$PWD/www" 0
	grep -q "'-d $PWD/www'" err || fail "$(cat err)"
	http_usage site.invalid 9190
	grep -q "'site.invalid' is a directory, not an address: serve it with '-d site.invalid'" \
	    err || fail "$(cat err)"
	http_usage 9190 ./www
	grep -q "'./www' is a directory, not a port: serve it with '-d ./www'" \
	    err || fail "$(cat err)"
	http_usage ./nowhere 9190
	grep -q "'./nowhere' is not an address (the directory served goes after -d)" \
	    err || fail "$(cat err)"
	http_usage :8081
	grep -q "':8081': give the port alone: 'sockkit http 8081' listens on all addresses" \
	    err || fail "$(cat err)"
	http_usage 127.0.0.1:8081
	grep -q "'127.0.0.1:8081': the address and the port are two operands: '127.0.0.1 8081'" \
	    err || fail "$(cat err)"
	http_usage '[::1]:8081'
	grep -q "'::1 8081'" err || fail "$(cat err)"
	# A directory named like a host that resolves is still the address,
	# and a bare IPv6 address is no HOST:PORT.
	mkdir localhost
	start_server l http -d www localhost 0
	[ "$(curl -s "http://localhost:$PORT/a.txt")" = hi ] || fail "localhost"
	stop_server
	if have_ipv6; then
		start_server six http -d www ::1
		grep -q 'listening on \[::1\]:8000$' six.err ||
		    fail "::1: $(cat six.err)"
		stop_server
	fi
}

# A download cut short is logged, with the body bytes that did go: a
# client that closes, one that resets, a file that shrinks while it is
# sent, and the server stopped by SIGTERM mid-download.
t_http_log_cut_short_downloads() {
	mkdir www
	random_file www/big.bin 40000000
	cp www/big.bin www/shrink.bin
	http_serve h -d www
	python3 - "$PORT" <<'PY' || fail "python"
import os, socket, struct, sys, time
port = int(sys.argv[1])
def get(q, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.settimeout(10)
    s.sendall(b"GET /" + q + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    return s
def take(s, n):
    got = 0
    while got < n:
        d = s.recv(min(65536, n - got))
        assert d, "early end"
        got += len(d)
    return got
# Closes after 1 MB, unread bytes left: the kernel resets.
s = get(b"big.bin?closed")
take(s, 1000000)
s.close()
# Resets outright (SO_LINGER 0).
s = get(b"big.bin?reset")
take(s, 100000)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
# The file shrinks to 20 MB while it is sent: the client gets those,
# then the end (not a hang, not other bytes).
s = get(b"shrink.bin?shrunk")
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(1)
take(s, 1000000)
os.truncate("www/shrink.bin", 20000000)
n = 1000000
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        n += len(d)
except ConnectionResetError:
    pass
assert n == 20000000, n
PY
	for q in closed reset; do
		wait_for h.err "\"GET /big.bin\\?$q HTTP/1.1\" 200 [0-9]+$" ||
		    fail "no log line for the $q download"
		n=$(sed -n "s/.*?$q HTTP\/1.1\" 200 \([0-9]*\)$/\1/p" h.err)
		[ "$n" -gt 0 ] && [ "$n" -lt 40000000 ] ||
		    fail "$q: $n bytes logged"
	done
	wait_for h.err '"GET /shrink.bin\?shrunk HTTP/1.1" 200 20000000$' ||
	    fail "shrunk: $(grep shrunk h.err)"
	# SIGTERM while a download runs: its line is written on the way out.
	python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(b"GET /big.bin?stopped HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(1000)
open("started", "w").close()
time.sleep(30)' "$PORT" &
	track $!
	i=0
	while [ ! -e started ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	stop_server
	grep -Eq '"GET /big.bin\?stopped HTTP/1.1" 200 [0-9]+$' h.err ||
	    fail "no line for the download stopped by SIGTERM: $(cat h.err)"
	[ "$(grep -c 'GET /' h.err)" = 4 ] || fail "lines: $(cat h.err)"
}

# A client that stops reading mid-body is dropped after --send-timeout
# (decimal seconds), and its line says how much it took.
t_http_send_timeout_logged() {
	mkdir www
	random_file www/big.bin 40000000
	http_serve h -d www --send-timeout 0.5
	python3 - "$PORT" <<'PY' || fail "python"
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(1000)
t0 = time.time()
while "HTTP/1.1\" 200" not in open("h.err").read():
    assert time.time() - t0 < 10, "never dropped"
    time.sleep(0.05)
took = time.time() - t0
assert 0.3 < took < 3, took
PY
	n=$(sed -n 's/.*"GET \/big.bin HTTP\/1.1" 200 \([0-9]*\)$/\1/p' h.err)
	[ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -lt 40000000 ] ||
	    fail "logged: $(cat h.err)"
	stop_server
}

# Text is shown, not downloaded; packages and playlists get their types;
# the type table is sorted (bsearch finds nothing otherwise) and every
# entry in it is what a request for such a file gets.
t_http_content_types() {
	mkdir www
	for f in a.py a.go a.rs a.log a.conf a.ini a.toml a.md a.yaml a.sh \
	    a.TXT a.diff README Makefile a.tgz a.iso a.deb a.m3u8 a.ts; do
		echo x >"www/$f"
	done
	http_serve h -d www -q
	U=http://127.0.0.1:$PORT
	for pair in a.py:text/plain a.go:text/plain a.rs:text/plain \
	    a.log:text/plain a.conf:text/plain a.ini:text/plain \
	    a.toml:text/plain a.md:text/plain a.yaml:text/plain \
	    a.sh:text/plain a.TXT:text/plain a.diff:text/plain \
	    README:text/plain Makefile:text/plain \
	    a.tgz:application/gzip a.iso:application/x-iso9660-image \
	    a.deb:application/vnd.debian.binary-package \
	    a.m3u8:application/vnd.apple.mpegurl a.ts:video/mp2t; do
		f=${pair%%:*}
		want=${pair#*:}
		case $want in text/*) want="$want; charset=utf-8" ;; esac
		t=$(curl -s -o /dev/null -w '%{content_type}' "$U/$f")
		[ "$t" = "$want" ] || fail "$f: '$t', wanted '$want'"
	done
	python3 - "$PORT" "$TOP/src/cmd/http.c" <<'PY' || fail "the type table"
import http.client, os, re, sys
port, src = int(sys.argv[1]), open(sys.argv[2]).read()
text = re.search(r'#define TEXT\s+"([^"]*)"', src).group(1)
def table(name):
    body = re.search(r"\b" + name + r"\[\] = \{(.*?)\n\};", src, re.S).group(1)
    rows = []
    for m in re.finditer(r'\{ "([^"]+)",\s*(TEXT|(?:"[^"]*"\s*)+)\s*\}', body):
        t = text if m.group(2) == "TEXT" else "".join(
            re.findall(r'"([^"]*)"', m.group(2)))
        rows.append((m.group(1), t))
    assert len(rows) == body.count("{ \""), name + ": unparsed rows"
    return rows
exts, names = table("mimes"), table("whole_names")
assert len(exts) > 150, len(exts)
for rows in (exts, names):
    keys = [k.encode() for k, _ in rows]
    for a, b in zip(keys, keys[1:]):
        assert a < b, "not sorted (strcmp): %r before %r" % (a, b)
    for k in keys:
        assert k == k.lower() and len(k) < 16, k
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
def check(name, want):
    c.request("HEAD", "/" + name)
    r = c.getresponse()
    r.read()
    got = r.getheader("Content-Type")
    assert r.status == 200 and got == want, (name, r.status, got, want)
for ext, t in exts:
    open("www/f." + ext, "w").close()
    check("f." + ext, t)
    open("www/F." + ext.upper(), "w").close()
    check("F." + ext.upper(), t)
for n, t in names:
    os.makedirs("www/n", exist_ok=True)
    open("www/n/" + n.upper(), "w").close()
    check("n/" + n.upper(), t)
print(len(exts), "extensions and", len(names), "names checked")
PY
	stop_server
}

# After the listening line (first, unchanged), a URL to open; not with
# -q; never matching the tests' "listening on .*:PORT$".
t_http_url_line() {
	mkdir www
	echo hi >www/a.txt
	root=$(cd www && pwd -P)
	# url NAME: the URL from the second line of NAME.err, checked.
	url() {
		sed -n 1p "$1.err" | grep -q "^sockkit: http: listening on .*:$PORT\$" ||
		    fail "first line: $(cat "$1.err")"
		line=$(sed -n 2p "$1.err")
		u=${line##* at }
		[ "$line" = "sockkit: http: serving $root at $u" ] ||
		    fail "second line: $line"
		[ "$(grep -c 'listening on .*:[0-9]*$' "$1.err")" = 1 ] ||
		    fail "the URL line looks like a listening line"
		[ "$(curl -gs "${u}a.txt")" = hi ] || fail "$u does not serve"
	}
	start_server a http -d www 127.0.0.1 0
	url a
	[ "$u" = "http://127.0.0.1:$PORT/" ] || fail "127.0.0.1: $u"
	stop_server
	start_server q http -d www -q 127.0.0.1 0
	[ "$(wc -l <q.err)" = 1 ] || fail "-q: $(cat q.err)"
	stop_server
	if have_ipv6; then
		start_server b http -d www ::1 0
		url b
		[ "$u" = "http://[::1]:$PORT/" ] || fail "::1: $u"
		stop_server
	fi
	# A wildcard listen says loopback (in a namespace of our own, where
	# nothing but lo exists, when we may make one).
	if [ "$(id -u)" = 0 ] && ip netns add "sk$$-url" 2>/dev/null; then
		NETNS="sk$$-url"
		ip -n "$NETNS" link set lo up
		real=$SK
		printf '#!/bin/sh\nexec ip netns exec %s "%s" "$@"\n' "$NETNS" \
		    "$real" >nsk
		chmod +x nsk
		SK=$PWD/nsk
		curl_bin=$(command -v curl)
		curl() { ip netns exec "$NETNS" "$curl_bin" "$@"; }
		start_server w http -d www 0
		url w
		[ "$u" = "http://127.0.0.1:$PORT/" ] || fail "wildcard: $u"
		stop_server
		start_server w4 http -d www -4 0
		url w4
		[ "$u" = "http://127.0.0.1:$PORT/" ] || fail "-4 wildcard: $u"
		stop_server
		if have_ipv6; then
			start_server w6 http -d www -6 0
			url w6
			[ "$u" = "http://[::1]:$PORT/" ] || fail "-6 wildcard: $u"
			stop_server
		fi
		unset -f curl
		SK=$real
	fi
}

# --head-timeout and --keepalive-timeout take decimal seconds.
t_http_decimal_timeouts() {
	mkdir www
	echo hi >www/a.txt
	http_serve h -d www --head-timeout 0.5 --keepalive-timeout 0.4
	python3 - "$PORT" <<'PY' || fail "python"
import socket, sys, time
port = int(sys.argv[1])
# A head that never ends: 408 and close after half a second.
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"GET /a.txt HTTP/1.1\r\n")
t0 = time.time()
data = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
head = time.time() - t0
assert data.startswith(b"HTTP/1.1 408"), data
assert 0.4 < head < 1.5, head
# Idle after an answer: closed after 0.4 s.
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
while not data.endswith(b"hi\n"):
    data += s.recv(4096)
t0 = time.time()
assert s.recv(100) == b""
idle = time.time() - t0
assert 0.3 < idle < 1.5, idle
print("408 after %.2f s, idle closed after %.2f s" % (head, idle))
PY
	stop_server
	http_usage --head-timeout 0.05 -d www 127.0.0.1 0
	grep -q "invalid seconds '0.05' (0.1-3600)" err || fail "$(cat err)"
	http_usage --keepalive-timeout 1e3 -d www 127.0.0.1 0
	http_usage --send-timeout -1 -d www 127.0.0.1 0
}

# Issue 14.7: a client that half-closes after its requests (nc -N, socat,
# shutdown(SHUT_WR)) still gets every response whole, pipelined ones
# included, and each is logged with its bytes (it was cut at ~4 MB).
t_http_half_close_gets_everything() {
	mkdir -p www
	random_file www/big 20000000
	echo small >www/small
	start_server s http -d www 127.0.0.1 0
	python3 - "$PORT" <<'PY' || fail "half-closed client"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    d = s.recv(1 << 20)
    if not d:
        break
    out += d
assert out.count(b"HTTP/1.1 200 OK") == 2, out.count(b"HTTP/1.1 200 OK")
assert out.endswith(b"\r\n\r\nsmall\n"), len(out)
assert len(out) > 20000000, len(out)
PY
	printf 'GET /big HTTP/1.0\r\n\r\n' | timeout 20 nc -N 127.0.0.1 "$PORT" \
	    >got || fail "nc -N"
	[ "$(wc -c <got)" -gt 20000000 ] || fail "nc -N got $(wc -c <got)"
	wait_for s.err '"GET /big HTTP/1.0" 200 20000000' || fail "not logged"
	grep -q '"GET /big HTTP/1.1" 200 20000000' s.err &&
	    grep -q '"GET /small HTTP/1.1" 200 6' s.err || fail "$(cat s.err)"
	stop_server
}

# Issue 14.13: a listing shows what a link leads to only when that is
# inside DIR; a link out shows as a link, not as /etc/shadow's size.
t_http_listing_links_out() {
	mkdir -p www
	head -c 12345 /dev/zero >secret
	ln -s "$PWD/secret" www/out
	ln -s ../secret www/rel-out
	head -c 777 /dev/zero >www/in.txt
	ln -s in.txt www/in
	start_server s http -q -d www 127.0.0.1 0
	curl -s "http://127.0.0.1:$PORT/" >list.html || fail "curl"
	! grep -q 12345 list.html || fail "the size of a file outside shown"
	grep -q '>in</a>.*777' list.html || fail "an inner link: $(cat list.html)"
	stop_server
}

# Issue 14.14: a FIFO (or device) in DIR is refused without being opened:
# its writer must not see a reader come and go.
t_http_fifo_never_opened() {
	mkdir -p www
	mkfifo www/fifo
	start_server s http -q -d www 127.0.0.1 0
	# A writer blocks in open until some reader opens the FIFO.
	python3 -c 'open("www/fifo", "wb").write(b"x")' 2>/dev/null &
	wpid=$!
	track $wpid
	code=$(curl -s -o /dev/null -w '%{http_code}' \
	    "http://127.0.0.1:$PORT/fifo")
	[ "$code" = 403 ] || fail "GET /fifo: $code"
	# Had the server opened it, the writer would be through by now.
	i=0
	while [ $i -lt 5 ]; do sleep 0.1; i=$((i + 1)); done
	kill -0 $wpid 2>/dev/null || fail "the FIFO was opened for reading"
	stop_server
}

# Issue 14.9: without openat2 (forced off by an LD_PRELOAD shim) the
# portable walk confines as well: a directory swapped again and again
# for a link to outside (RENAME_EXCHANGE) while it is served in a loop
# never lets the secret out.
t_http_race_without_openat2() {
	command -v cc >/dev/null || skip "no C compiler for the shim"
	file -L "$SK" | grep -q 'statically linked' &&
	    skip "a static binary takes no LD_PRELOAD"
	grep -q __asan_init "$SK" 2>/dev/null && skip "ASan wants to be first"
	cc -shared -fPIC -o no_openat2.so \
	    "$TOP/tests/integration/no_openat2.c" -ldl || fail "shim"
	mkdir -p www/d outside
	echo inside >www/d/x
	echo SECRET >outside/x
	ln -s ../outside www/e
	LD_PRELOAD=$PWD/no_openat2.so start_server s http -q -d www 127.0.0.1 0
	python3 - "$PORT" "$PWD/www" <<'PY' || fail "race"
import ctypes, os, socket, sys, threading, time
port, www = int(sys.argv[1]), sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
stop = time.time() + 4
swaps = [0]
def swap():
    a, b = (www + "/d").encode(), (www + "/e").encode()
    while time.time() < stop:
        if libc.renameat2(-100, a, -100, b, 2) == 0:   # RENAME_EXCHANGE
            swaps[0] += 1
t = threading.Thread(target=swap)
t.start()
tries = inside = escapes = 0
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
while time.time() < stop and tries < 100000:
    tries += 1
    s.sendall(b"GET /d/x HTTP/1.1\r\nHost: x\r\n\r\n")
    status = f.readline()
    n = 0
    while True:
        h = f.readline()
        if h in (b"\r\n", b""):
            break
        if h.lower().startswith(b"content-length:"):
            n = int(h.split(b":")[1])
    body = f.read(n)
    if b"SECRET" in body:
        escapes += 1
    elif status.startswith(b"HTTP/1.1 200"):
        inside += 1
t.join()
print("%d tries, %d inside, %d escapes, %d swaps" % (tries, inside,
                                                    escapes, swaps[0]))
assert escapes == 0 and inside > 0 and swaps[0] > 100
PY
	stop_server
}
