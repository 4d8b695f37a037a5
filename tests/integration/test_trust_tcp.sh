# test_trust_tcp.sh - tcp-client and tcp-server off the happy path, as a
# demanding user meets them: servers that reset, never read or announce
# hostile frame lengths, scans past the descriptor limit, Unix socket
# paths that are not sockets, hostile chat nicks, interrupted scans.

TERM_PY="$TOP/tests/integration/term.py"

# py_server SCRIPT: run a python3 TCP server on 127.0.0.1 (SCRIPT gets
# the accepted socket as c); sets PYPORT once it listens.
py_server() {
	: >pyport.txt
	python3 -c '
import socket, struct, sys, time
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(8)
print(l.getsockname()[1], flush=True)
l.settimeout(20)
c, _ = l.accept()
c.settimeout(20)
def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
'"$1" >>pyport.txt &
	track $!
	wait_for pyport.txt '^[0-9]+$' || fail "python server did not start"
	PYPORT=$(cat pyport.txt)
}

# A server that reads nothing, says why it gives up and resets while we
# are still sending (our send waiting for room): what it said is printed, and the exit status is 1
# (the send error used to end the client before it read the words).
t_trust_tcp_reset_after_words() {
	random_file data 20000000
	for b in select poll epoll; do
		py_server '
time.sleep(0.5)
c.sendall(b"too much, bye\n")
reset(c)
time.sleep(1)'
		timeout 20 "$SK" tcp-client --backend "$b" 127.0.0.1 "$PYPORT" \
		    <data >out 2>err
		RC=$?
		[ "$RC" -eq 1 ] || fail "$b: exit $RC"
		[ "$(cat out)" = "too much, bye" ] ||
		    fail "$b: got '$(cat out)' ($(cat err))"
		one_line err "sockkit: tcp-client: "
		grep -Eq 'reset|Broken pipe' err || fail "$b: $(cat err)"
	done
}

# Accepted, said something and reset before the client even checked its
# connect: still the words, then exit 1 (the connect check used to eat
# the reset and report a failed connect, losing the words).
t_trust_tcp_reset_before_connect_checked() {
	py_server '
c.sendall(b"go away\n")
reset(c)
time.sleep(1)'
	timeout 10 "$SK" tcp-client 127.0.0.1 "$PYPORT" </dev/null >out 2>err
	RC=$?
	[ "$RC" -eq 1 ] || fail "exit $RC"
	[ "$(cat out)" = "go away" ] || fail "got '$(cat out)' ($(cat err))"
}

# A server that never reads: the client's memory stays bounded while
# offered endless input, and -w ends it (exit 1).
t_trust_tcp_never_reading_server() {
	py_server 'time.sleep(10)'
	"$SK" tcp-client -w 1 127.0.0.1 "$PYPORT" </dev/zero >/dev/null \
	    2>err &
	cpid=$!
	track $cpid
	sleep 0.5
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$cpid/status")
	[ "${rss:-0}" -lt 20000 ] || fail "client RSS $rss KiB"
	wait_exit $cpid || fail "client did not end"
	[ "$RC" -eq 1 ] || fail "exit $RC"
	one_line err "sockkit: tcp-client: idle for 1s (-w): closing"
}

# --frame against hostile lengths: a frame over --max-frame is refused
# from its header, at once; a stream cut inside a frame is an error.
t_trust_tcp_frame_hostile_length() {
	py_server '
c.sendall(b"\xff\xff\xff\xff")
time.sleep(5)'
	expect_exit 1 "$SK" tcp-client --frame 127.0.0.1 "$PYPORT" </dev/null \
	    2>err
	one_line err "sockkit: tcp-client: received a frame over the maximum (16777216 bytes)"
	py_server '
c.sendall(b"\x00\xff\xff\xff" + b"a" * 1000)
c.close()'
	expect_exit 1 "$SK" tcp-client --frame 127.0.0.1 "$PYPORT" </dev/null \
	    2>err
	one_line err "sockkit: tcp-client: the stream ended inside a frame"
}

# -z with --parallel above what the descriptors allow (ulimit -n, or what
# select can watch): ports are tried later, never called closed for our
# own shortage ("Too many open files", "cannot watch").
t_trust_tcp_scan_out_of_descriptors() {
	start_server a tcp-server --discard 127.0.0.1 0
	pa=$PORT
	lo=$((pa > 300 ? pa - 300 : 1))
	hi=$((lo + 600))
	(ulimit -n 64 && exec "$SK" tcp-client -z -v --parallel 500 \
	    127.0.0.1 "$lo-$hi") >out 2>err
	RC=$?
	[ "$RC" -eq 0 ] || fail "exit $RC: $(tail -2 err)"
	[ "$(wc -l <out)" -eq 601 ] || fail "$(wc -l <out) lines"
	grep -qx "127.0.0.1 $pa open" out || fail "missed $pa"
	! grep -v 'Connection refused$' err | grep . ||
	    fail "closed for our own reasons: $(grep -v refused err | head -3)"
	expect_exit 0 "$SK" tcp-client -z -v --backend select --parallel 2000 \
	    127.0.0.1 "$lo-$hi" >out 2>err
	grep -qx "127.0.0.1 $pa open" out || fail "select missed $pa"
	! grep -v 'Connection refused$' err | grep . ||
	    fail "select: $(grep -v refused err | head -3)"
}

# Unix socket paths: a file that is not a socket is named so, an empty
# path is a usage error (it used to listen on an unnamed socket), and a
# server never touches a path that exists: a directory, a symlink to a
# file, a live server's socket.
t_trust_tcp_unix_paths() {
	echo keep >file
	mkdir dir
	ln -s file link
	expect_exit 1 "$SK" tcp-client -U "$PWD/file" </dev/null 2>err
	one_line err "sockkit: tcp-client: connect to $PWD/file: not a socket"
	expect_exit 1 "$SK" tcp-client -U "$PWD/dir" </dev/null 2>err
	one_line err "sockkit: tcp-client: connect to $PWD/dir: not a socket"
	expect_exit 2 "$SK" tcp-client -U "" </dev/null 2>err
	one_line err "sockkit: tcp-client: -U: empty PATH"
	expect_exit 2 "$SK" tcp-server --echo -U "" 2>err
	one_line err "sockkit: tcp-server: -U: empty PATH"
	for p in dir link; do
		expect_exit 1 "$SK" tcp-server --echo -U "$PWD/$p" 2>err
		one_line err "sockkit: tcp-server: $PWD/$p exists and is not a socket"
	done
	[ "$(cat file)" = keep ] && [ -d dir ] && [ -L link ] ||
	    fail "a path was touched"
	UNIX_SERVER=1 start_server s tcp-server --echo -U "$PWD/live"
	expect_exit 1 "$SK" tcp-server --echo -U "$PWD/live" 2>err
	one_line err "sockkit: tcp-server: $PWD/live: Address already in use"
	echo still | timeout 10 "$SK" tcp-client -U "$PWD/live" >out ||
	    fail "the live server was hurt"
	[ "$(cat out)" = still ] || fail "got '$(cat out)'"
	stop_server
}

# A chat nick is shown to everyone: C1 controls (raw 0x9b is CSI on an
# 8-bit terminal, or as UTF-8 c2 9b) and broken UTF-8 are refused; a
# valid UTF-8 nick is fine.
t_trust_tcp_chat_nick_escapes() {
	start_server s tcp-server --chat 127.0.0.1 0
	python3 - "$PORT" <<'PY' || fail "hostile nicks"
import socket, sys, time
port = int(sys.argv[1])
def member():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = s.makefile("rb")
    f.readline()                                 # the welcome
    return s, f
a, af = member()
b, bf = member()
af.readline()                                    # b has joined
for nick in (b"x\x9b2J", b"x\xc2\x9b2J", b"x\xff", b"x\xe2\x80"):
    b.sendall(b"/nick " + nick + b"\n")
    line = bf.readline()
    assert line.startswith(b"* a nick is"), (nick, line)
b.sendall("/nick j\u00f6rg\n".encode())
assert bf.readline() == "* you are now j\u00f6rg\n".encode()
want = "* 127.0.0.1:%d is now j\u00f6rg\n" % b.getsockname()[1]
line = af.readline()
assert line == want.encode(), line
PY
	stop_server
}

# --expect's failure shows the tail of the reply safe for a terminal:
# controls escaped, valid UTF-8 as it is (one escaper, text.h).
t_trust_tcp_expect_tail_is_safe() {
	py_server '
c.recv(100)
c.sendall(b"\x1b]0;owned\x07 caf\xc3\xa9 \x9b2J")
c.close()'
	expect_exit 1 "$SK" tcp-client --send 'x' --expect nope 127.0.0.1 \
	    "$PYPORT" 2>err
	one_line err "sockkit: tcp-client: 'nope' not seen before the server closed"
	grep -qF "ending '\\x1b]0;owned\\x07 café \\x9b2J'" err ||
	    fail "tail: $(cat err)"
}

# A scan stopped by ^C or SIGTERM dies by that signal.
t_trust_tcp_scan_interrupted() {
	python3 - >port.txt <<'PY' &
import socket, time
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(0)
a = socket.create_connection(l.getsockname())
print(l.getsockname()[1], flush=True)
time.sleep(30)
PY
	track $!
	wait_for port.txt '^[0-9]+$' || fail "python listener did not start"
	timeout 20 python3 "$TERM_PY" --ctrl-c go --delay 0.5 sh -c '
		echo go >&2
		exec "$1" tcp-client -z -w 20 127.0.0.1 "$2"' sh "$SK" \
	    "$(cat port.txt)" >t.out
	RC=$?
	[ "$RC" -eq 130 ] || fail "exit $RC after ^C: $(cat t.out)"
	timeout 20 python3 "$TERM_PY" --signal TERM --after '' "$SK" \
	    tcp-client -z -w 20 127.0.0.1 "$(cat port.txt)" >t.out
	RC=$?
	[ "$RC" -eq 143 ] || fail "exit $RC after SIGTERM"
}
