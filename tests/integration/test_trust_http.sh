# test_trust_http.sh - sockkit http off the happy path, as a demanding
# user meets it: hostile names in listings and in the log, HTTP/1.0
# keep-alive, a served directory removed or replaced, an encoded slash,
# ^C mid-download, log files that cannot be written, python's and nc's
# habits on the command line.

TERM_PY="$TOP/tests/integration/term.py"

# code URL: the status curl got.
code() {
	curl -s -o /dev/null -w '%{http_code}' --path-as-is "$1"
}

# A name's control bytes and broken UTF-8 are shown as \xHH in a listing
# (nothing reaches the terminal of someone who curls it), its link is the
# raw bytes percent-encoded and works; what a client sends is escaped in
# the log the same way.
t_trust_http_hostile_names() {
	mkdir www
	printf 1 >"www/$(printf 'esc\033[31mred')"
	printf 2 >"www/$(printf 'new\nline')"
	printf 3 >"www/$(printf 'bad\377utf')"
	printf 4 >"www/$(printf 'c1\302\233x')"
	printf 5 >www/ünï.txt
	printf 6 >'www/back\slash'
	start_server h http -d www 127.0.0.1 0
	U=http://127.0.0.1:$PORT
	curl -s "$U/" >list
	for want in 'href="esc%1B%5B31mred">esc\x1b[31mred<' \
	    'href="new%0Aline">new\x0aline<' 'href="bad%FFutf">bad\xffutf<' \
	    'href="c1%C2%9Bx">c1\xc2\x9bx<' \
	    'href="%C3%BCn%C3%AF.txt">ünï.txt<' 'href="back%5Cslash">back\slash<'; do
		grep -qF "$want" list || fail "listing lacks $want: $(cat -v list)"
	done
	LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" list &&
	    fail "a control byte in the listing: $(cat -v list)"
	n=1
	for u in esc%1B%5B31mred new%0Aline bad%FFutf c1%C2%9Bx \
	    %C3%BCn%C3%AF.txt back%5Cslash; do
		[ "$(curl -s "$U/$u")" = $n ] || fail "/$u"
		n=$((n + 1))
	done
	# Raw bytes in a request line that is refused: escaped in the log.
	printf 'GET /\033[2J\302\233 HTTP/1.1\r\nHost: x\r\n\r\n' |
	    http_raw "$PORT" >/dev/null
	wait_for h.err '" 400 ' || fail "no 400 line"
	grep -qF 'GET /\x1b[2J\xc2\x9b HTTP/1.1" 400' h.err ||
	    fail "log: $(cat -v h.err)"
	LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" h.err &&
	    fail "a control byte in the log: $(cat -v h.err)"
	stop_server
}

# An HTTP/1.0 client asking for keep-alive keeps its connection only if
# the answer says so: it must.
t_trust_http_10_keepalive() {
	mkdir www
	echo hi >www/a.txt
	start_server h http -d www 127.0.0.1 0
	python3 - "$PORT" <<'PY' || fail "python"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
for i in range(2):
    s.sendall(b"GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    data = b""
    while not data.endswith(b"hi\n"):
        d = s.recv(4096)
        assert d, "closed after %d answers" % i
        data += d
    head = data.split(b"\r\n\r\n")[0].lower()
    assert b"\r\nconnection: keep-alive" in head, data
s.sendall(b"GET /a.txt HTTP/1.0\r\n\r\n")
data = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
assert b"connection: close" in data.lower(), data
PY
	stop_server
}

# DIR is served by what its name leads to: removed (404, said once), made
# again, a symbolic link pointed elsewhere, renamed away.
t_trust_http_dir_replaced() {
	mkdir v1 v2
	echo one >v1/t.txt
	echo two >v2/t.txt
	mkdir www
	echo zero >www/t.txt
	start_server h http -d www 127.0.0.1 0
	U=http://127.0.0.1:$PORT
	# until URL TEXT: curl URL gives TEXT within 3 s.
	until_got() {
		i=0
		while [ "$(curl -s "$1")" != "$2" ]; do
			[ $i -lt 30 ] || fail "$1: $(curl -s "$1"), not $2"
			sleep 0.1
			i=$((i + 1))
		done
	}
	until_got "$U/t.txt" zero
	rm -rf www
	wait_for h.err 'www: removed: nothing is served until it is made again$' ||
	    fail "not said"
	[ "$(code "$U/")" = 404 ] || fail "/ of a removed DIR: $(code "$U/")"
	mkdir www
	echo again >www/t.txt
	until_got "$U/t.txt" again
	wait_for h.err "now serving $PWD/www\$" || fail "not said"
	rm -rf www
	ln -s v1 www
	until_got "$U/t.txt" one
	ln -sfn v2 www.new
	mv -T www.new www
	until_got "$U/t.txt" two
	wait_for h.err "now serving $PWD/v2\$" || fail "not said"
	[ "$(grep -c 'removed' h.err)" = 1 ] || fail "said more than once"
	stop_server
}

# A directory asked for as "/sub%2F" has no slash a browser sees: 301, or
# the listing's relative links would point one level up.
t_trust_http_encoded_slash() {
	mkdir -p www/sub
	echo b >www/sub/b.txt
	start_server h http -d www 127.0.0.1 0
	U=http://127.0.0.1:$PORT
	curl -s -D head -o /dev/null --path-as-is "$U/sub%2F"
	head -n 1 head | grep -q ' 301 ' || fail "$(cat head)"
	loc=$(sed -n 's/^Location: \(.*\)$/\1/Ip' head | tr -d '\r')
	[ "$loc" = /sub%2F/ ] || fail "Location: $loc"
	curl -s --path-as-is "$U$loc" | grep -q 'href="b.txt"' || fail "listing"
	[ "$(curl -s --path-as-is "${U}${loc}b.txt")" = b ] || fail "the link"
	stop_server
}

# ^C at the terminal while a download runs: the server dies by SIGINT and
# the download's line, with the bytes sent, is written on the way out.
t_trust_http_ctrl_c_mid_download() {
	mkdir www
	random_file www/big.bin 40000000
	cat >client.py <<'PY'
import socket, sys, time
port = int(sys.argv[1])
for _ in range(200):
    try:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", port))
        break
    except ConnectionRefusedError:
        s.close()
        time.sleep(0.05)
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(1000)
sys.stderr.write("download started\n")
time.sleep(15)
PY
	port=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	timeout 30 python3 "$TERM_PY" --ctrl-c 'download started' --delay 0.3 \
	    sh -c 'python3 client.py "$2" & exec "$1" http -d www 127.0.0.1 "$2"' \
	    sh "$SK" "$port" >t.out
	RC=$?
	[ "$RC" -eq 130 ] || fail "exit $RC after ^C: $(cat -v t.out)"
	grep -aEq '"GET /big.bin HTTP/1.1" 200 [0-9]+' t.out ||
	    fail "no line for the download: $(cat -v t.out)"
}

# --log FILE that cannot be written: a FIFO nobody reads fails at once
# (no hang before listening), a directory says which file; a log that
# fills up is said once and serving goes on; empty names are usage
# errors; a name's control bytes are escaped in the message.
t_trust_http_log_targets() {
	mkdir www
	echo hi >www/a.txt
	mkfifo ff
	expect_exit 1 timeout 5 "$SK" http -d www --log ff 127.0.0.1 0 2>err
	one_line err "sockkit: http: access log ff: a FIFO nobody reads"
	expect_exit 1 "$SK" http -d www --log www 127.0.0.1 0 2>err
	one_line err "sockkit: http: access log www: Is a directory"
	expect_exit 2 "$SK" http -d www --log '' 127.0.0.1 0 2>err
	one_line err "sockkit: http: an empty --log FILE"
	expect_exit 2 "$SK" http -d '' 127.0.0.1 0 2>err
	one_line err "sockkit: http: an empty -d DIR"
	expect_exit 1 "$SK" http -d "$(printf 'x\033[2Jy')" 127.0.0.1 0 2>err
	one_line err 'sockkit: http: x\\x1b\[2Jy: No such file or directory'
	if [ -w /dev/full ]; then
		start_server f http -d www --log /dev/full 127.0.0.1 0
		for i in 1 2 3; do
			[ "$(curl -s "http://127.0.0.1:$PORT/a.txt")" = hi ] ||
			    fail "not served with a full log"
		done
		wait_for f.err 'access log /dev/full: No space left on device' ||
		    fail "not said"
		[ "$(grep -c 'No space' f.err)" = 1 ] || fail "$(cat f.err)"
		stop_server
	fi
}

# What users of python's http.server and of nc type: -b ADDRESS and
# --directory work as there; -p and --port get a hint; "8000 8001" (two
# ports) and an empty address are usage errors, not a bind to 0.0.31.64.
t_trust_http_cli_habits() {
	mkdir www
	echo hi >www/a.txt
	start_server b http --directory www -b 127.0.0.1 0
	[ "$(curl -s "http://127.0.0.1:$PORT/a.txt")" = hi ] || fail "-b"
	stop_server
	for args in "-b 127.0.0.1 ::1 0" "-p 8000" "--port=8000" \
	    "8000 8001" "0 8000"; do
		# shellcheck disable=SC2086
		expect_exit 2 timeout 5 "$SK" http -d www $args 2>err
		one_line err "sockkit: http: "
	done
	expect_exit 2 "$SK" http -p 8000 2>err
	grep -q "the port is an operand: 'sockkit http \[ADDRESS\] PORT'" err ||
	    fail "$(cat err)"
	expect_exit 2 "$SK" http --portable 2>err
	one_line err "sockkit: http: unknown option '--portable' (see"
	expect_exit 2 "$SK" http 8000 8001 2>err
	grep -q "'8000' is not an address: give one PORT, or ADDRESS PORT" err ||
	    fail "$(cat err)"
	expect_exit 2 "$SK" http '' 0 2>err
	one_line err "sockkit: http: an empty ADDRESS"
}

# SIGTERM while a client is mid-download: the download is cut with a
# reset, never ended cleanly (a client without a length check would take
# a clean end for the whole file); the server dies by the signal.
t_trust_http_signal_resets_download() {
	mkdir www
	head -c 30000000 /dev/zero >www/big.bin
	start_server h http -d www 127.0.0.1 0
	python3 - "$PORT" >py.out 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.settimeout(10)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(65536)
open("started", "w").write("1\n")
for i in range(200):
    if os.path.exists("stopped"):
        break
    time.sleep(0.05)
try:
    while s.recv(1 << 20):
        pass
    print("clean end")
except ConnectionResetError:
    print("reset")
PY
	p=$!
	track $p
	wait_for started 1 || fail "no download"
	stop_server
	echo 1 >stopped
	wait_exit $p || fail "the client hung"
	[ "$(cat py.out)" = reset ] || fail "not reset: $(cat py.out)"
	grep -q '"GET /big.bin HTTP/1.1" 200 ' h.err || fail "$(cat h.err)"
	# curl sees the transfer fail: 18 (partial) or 56 (reset), not 0.
	start_server h2 http -d www 127.0.0.1 0
	curl -s --limit-rate 2M -o got "http://127.0.0.1:$PORT/big.bin" &
	p=$!
	track $p
	wait_size got 500000 || fail "curl got nothing"
	stop_server
	wait_exit $p || fail "curl hung"
	case $RC in
	18|56) ;;
	*) fail "curl exited $RC after the server was stopped" ;;
	esac
}

# A path component longer than NAME_MAX (or a path longer than PATH_MAX)
# names nothing: 404 as nginx answers, logged, and the connection lives.
t_trust_http_name_too_long() {
	mkdir www
	echo hi >www/a.txt
	start_server h http -d www 127.0.0.1 0
	U=http://127.0.0.1:$PORT
	long=$(python3 -c 'print("n" * 300)')
	deep=$(python3 -c 'print("/".join(["d" * 200] * 25))')
	[ "$(code "$U/$long")" = 404 ] || fail "$long: $(code "$U/$long")"
	[ "$(code "$U/$long/x")" = 404 ] || fail "$long/x"
	[ "$(code "$U/$deep")" = 404 ] || fail "deep: $(code "$U/$deep")"
	# Asked twice on one connection: both answered.
	[ "$(curl -s -w "%{http_code}" -o /dev/null -o /dev/null "$U/$long" "$U/a.txt")" = \
	    404200 ] || fail "the connection did not go on"
	wait_for h.err "\"GET /$long HTTP/1.1\" 404 " || fail "not logged"
	stop_server
}

# stderr that nobody reads (a terminal paused with ^S, "2>" a pipe no one
# reads): the access log is written by a thread of its own, so every
# client is still served; lines beyond its queue are dropped and counted.
t_trust_http_blocked_stderr() {
	mkdir www
	echo hi >www/a.txt
	mkfifo err.fifo
	exec 3<>err.fifo
	"$SK" http -d www 127.0.0.1 0 2>err.fifo &
	SPID=$!
	track $SPID
	timeout 5 head -n 1 <&3 >first || fail "no listening line"
	PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' first)
	[ -n "$PORT" ] || fail "no port: $(cat first)"
	# Far more log lines than the pipe holds (64 KiB): all answered.
	timeout 30 python3 - "$PORT" <<'PY' || fail "clients stalled"
import socket, sys, time
t = time.time()
for c in range(4):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    for i in range(1500):
        s.sendall(b"GET /a.txt?%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
        data = b""
        while not data.endswith(b"\r\n\r\nhi\n"):
            d = s.recv(4096)
            assert d, "closed"
            data += d
    s.close()
assert time.time() - t < 25, "slow"
PY
	# Read again: the rest comes, and how many lines were dropped.
	timeout 10 cat <&3 >rest &
	cp=$!
	track $cp
	# The count comes with the first line there is room for again.
	i=0
	until grep -q 'log lines dropped: stderr was not being read' rest; do
		[ $i -lt 50 ] || fail "no count of what was dropped: $(tail -3 rest)"
		curl -s "http://127.0.0.1:$PORT/a.txt" >/dev/null
		sleep 0.1
		i=$((i + 1))
	done
	stop_server
	kill $cp 2>/dev/null
	exec 3>&-
}

# -d '' is a usage error, not "serve nothing" nor a runtime error.
t_trust_http_empty_dir() {
	expect_exit 2 "$SK" http -d '' 127.0.0.1 0 2>err
	one_line err "sockkit: http: an empty -d DIR"
	expect_exit 2 "$SK" http --directory= 127.0.0.1 0 2>err
	one_line err "sockkit: http: an empty -d DIR"
}

# --help's synopsis names every option its option list names (an
# option's short form if it has one), and so does the man page's
# ("sockkit help http").
th_in_synopsis() {
	case $2 in
	--*) grep -qE -- "\\[$2([] =[]|$)" "$1" ;;
	*) grep -qE -- "\\[-[a-zA-Z0-9]*${2#-}[a-zA-Z0-9]*([] ]|$)" "$1" ;;
	esac
}

t_trust_http_help_synopsis() {
	expect_exit 0 "$SK" http --help >help
	expect_exit 0 "$SK" help http >page
	awk '/^usage:/ { p = 1 } /^$/ { p = 0 } p' help >syn
	awk '/^SYNOPSIS/ { p = 1; next } /^$/ { p = 0 } p' page >msyn
	sed -nE 's/^ {1,6}(-[a-zA-Z0-9])[, ].*/\1/p
	    s/^ {1,6}(--[a-z][a-z-]*).*/\1/p' help | grep -v -- '^-h$' >opts
	[ "$(wc -l <opts)" -gt 8 ] || fail "options: $(cat opts)"
	while read -r o; do
		th_in_synopsis syn "$o" ||
		    fail "--help synopsis lacks $o: $(cat syn)"
		th_in_synopsis msyn "$o" ||
		    fail "man synopsis lacks $o: $(cat msyn)"
	done <opts
}

# A file that shrinks while it is sent: the body cannot be what the
# length said, so the connection is reset, never ended cleanly (a client
# without a length check would keep the short file as the whole).
t_trust_http_shrunk_file_resets() {
	mkdir www
	head -c 30000000 /dev/zero >www/big.bin
	start_server h http -d www 127.0.0.1 0
	python3 - "$PORT" >py.out 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.settimeout(10)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(65536)
open("started", "w").write("1\n")
for i in range(200):
    if os.path.exists("shrunk"):
        break
    time.sleep(0.05)
try:
    while s.recv(1 << 20):
        pass
    print("clean end")
except ConnectionResetError:
    print("reset")
PY
	p=$!
	track $p
	wait_for started 1 || fail "no download"
	truncate -s 1000000 www/big.bin
	echo 1 >shrunk
	wait_exit $p || fail "the client hung"
	[ "$(cat py.out)" = reset ] || fail "not reset: $(cat py.out)"
	wait_for h.err '"GET /big.bin HTTP/1.1" 200 ' || fail "not logged"
	stop_server
}

# stderr blocked for good: SIGTERM still stops the server at once (the
# log's last lines are given up after a second), by the signal.
t_trust_http_blocked_stderr_stops() {
	mkdir www
	echo hi >www/a.txt
	mkfifo err.fifo
	exec 3<>err.fifo
	"$SK" http -d www 127.0.0.1 0 2>err.fifo &
	SPID=$!
	track $SPID
	timeout 5 head -n 1 <&3 >first || fail "no listening line"
	PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' first)
	[ -n "$PORT" ] || fail "no port: $(cat first)"
	timeout 20 curl -s "http://127.0.0.1:$PORT/a.txt?[1-1500]" >/dev/null ||
	    fail "clients stalled"
	stop_server
	exec 3>&-
}

# "http 127.0.0.1 www": a directory where the port goes was taken for the
# service "www", port 80, and the current directory served.
t_trust_http_dir_as_service_port() {
	mkdir www
	expect_exit 2 "$SK" http 127.0.0.1 www 2>err
	one_line err "sockkit: http: 'www' is a directory, not a port: serve it with '-d www'"
	expect_exit 2 "$SK" http -b 127.0.0.1 www 2>err
	one_line err "sockkit: http: 'www' is a directory, not a port"
}
