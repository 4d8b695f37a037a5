# test_trust.sh - off the happy path (issues 13 and 14's hunts): what a
# user meets when they interrupt a command, close its output, mistype it,
# push it past a limit or feed it hostile bytes.  Every command, every
# exit path's status.  First what all commands share, then one part per
# command: tcp-client and tcp-server; udp-server, udp-client and
# broadcast; fileserve; http; ipcalc.

TERM_PY="$TOP/tests/integration/term.py"

# signum NAME: the number of a signal (dash's kill -l does not say).
signum() {
	case $1 in INT) echo 2 ;; TERM) echo 15 ;; PIPE) echo 13 ;;
	HUP) echo 1 ;; *) echo 0 ;; esac
}

# A client to a stdio server, with endless input, stopped mid-transfer
# by SIGTERM and by ^C: it dies by the signal, and the server sees a
# reset, not an end of stream (it would exit 0 with a truncated file).
t_trust_signal_client_mid_transfer() {
	start_server s tcp-server 127.0.0.1 0
	"$SK" tcp-client 127.0.0.1 "$PORT" </dev/zero 2>c.err &
	cpid=$!
	track $cpid
	wait_size s.out 1000000 || fail "nothing arrived"
	kill -TERM $cpid
	wait_exit $cpid || fail "client ignored SIGTERM"
	[ "$RC" -eq 143 ] || fail "client exit $RC after SIGTERM"
	wait_exit "$SPID" || fail "server did not end"
	[ "$RC" -eq 1 ] || fail "server exit $RC: the cut looked whole"
	grep -q "reset" s.err || fail "server: $(cat s.err)"
	start_server s tcp-server 127.0.0.1 0
	timeout 20 python3 "$TERM_PY" --ctrl-c go --delay 0.5 sh -c '
		echo go >&2
		exec "$1" tcp-client 127.0.0.1 "$2" </dev/zero' sh "$SK" \
	    "$PORT" >t.out
	RC=$?
	[ "$RC" -eq 130 ] || fail "client exit $RC after ^C: $(cat t.out)"
	wait_exit "$SPID" || fail "server did not end"
	[ "$RC" -eq 1 ] || fail "server exit $RC after the client's ^C"
}

# The stdio server stopped mid-transfer: the client must not exit 0.
t_trust_signal_stdio_server_mid_transfer() {
	SERVER_STDIN=/dev/zero start_server s tcp-server 127.0.0.1 0
	"$SK" tcp-client 127.0.0.1 "$PORT" </dev/null >got 2>c.err &
	cpid=$!
	track $cpid
	wait_size got 1000000 || fail "nothing arrived"
	kill -TERM "$SPID"
	wait_exit "$SPID" || fail "server ignored SIGTERM"
	[ "$RC" -eq 143 ] || fail "server exit $RC after SIGTERM"
	wait_exit $cpid || fail "client did not end"
	[ "$RC" -eq 1 ] || fail "client exit $RC after the server was cut"
	one_line c.err "sockkit: tcp-client: receive: Connection reset"
}

# Ctrl-C at a terminal reaches the whole foreground group: a shell loop
# around sockkit must stop, which it does only if sockkit dies by SIGINT
# (bash goes on when its child exits, even with 130).
t_trust_sigint_stops_a_shell_loop() {
	command -v bash >/dev/null || skip "no bash"
	start_server s tcp-server --discard 127.0.0.1 0
	timeout 30 python3 "$TERM_PY" --ctrl-c go --delay 0.5 bash -c '
		echo go >&2
		for i in 1 2 3; do
			"$1" tcp-client 127.0.0.1 "$2" </dev/zero
			echo "next $?" >&2
		done' sh "$SK" "$PORT" >loop.out
	RC=$?
	[ "$RC" -eq 130 ] || fail "loop exit $RC: $(cat loop.out)"
	! grep -q next loop.out || fail "the loop went on: $(cat loop.out)"
	stop_server
}

# Every command that waits, stopped by SIGINT and SIGTERM, dies by it
# (and a server removes its socket file first).
t_trust_every_command_dies_by_the_signal() {
	mkdir -p pub
	for args in "tcp-server 127.0.0.1 0" "tcp-server --echo 127.0.0.1 0" \
	    "tcp-server --chat 127.0.0.1 0" "tcp-server -U sock" \
	    "udp-server 127.0.0.1 0" "udp-server --echo -U dsock" \
	    "http -d pub 127.0.0.1 0" "fileserve serve -d pub 127.0.0.1 0" \
	    "broadcast listen 39517"; do
		# shellcheck disable=SC2086
		UNIX_SERVER=1 start_server s $args
		kill -TERM "$SPID"
		wait_exit "$SPID" || fail "$args ignored SIGTERM"
		[ "$RC" -eq 143 ] || fail "$args: exit $RC after SIGTERM"
		[ ! -e sock ] && [ ! -e dsock ] ||
		    fail "$args left its socket file"
		# ^C at a terminal.
		# shellcheck disable=SC2086
		timeout 20 python3 "$TERM_PY" --ctrl-c 'listening on' \
		    "$SK" $args </dev/null >t.out
		RC=$?
		[ "$RC" -eq 130 ] || fail "$args: exit $RC after ^C"
		[ ! -e sock ] && [ ! -e dsock ] ||
		    fail "$args left its socket file after ^C"
	done
	# Clients waiting on servers that say nothing.
	start_server u udp-server 127.0.0.1 0
	uport=$PORT
	start_server q tcp-server --discard 127.0.0.1 0
	for args in "tcp-client 127.0.0.1 $PORT" \
	    "tcp-client --expect never 127.0.0.1 $PORT" \
	    "udp-client --send x -w 30 127.0.0.1 $uport"; do
		# shellcheck disable=SC2086
		timeout 20 python3 "$TERM_PY" --signal TERM --after '' \
		    "$SK" $args >/dev/null
		RC=$?
		[ "$RC" -eq 143 ] || fail "$args: exit $RC after SIGTERM"
	done
}

# stdout closed by its reader: quiet, and SIGPIPE's status (as cat).
t_trust_closed_stdout_is_quiet() {
	start_server s tcp-server --echo 127.0.0.1 0
	{ "$SK" tcp-client 127.0.0.1 "$PORT" </dev/zero 2>c.err; echo $? >rc; } |
	    head -c 100000 >/dev/null
	[ "$(cat rc)" -eq 141 ] || fail "tcp-client exit $(cat rc)"
	[ ! -s c.err ] || fail "tcp-client: $(cat c.err)"
	{ "$SK" ipcalc --split 32 10.0.0.0/8 2>i.err; echo $? >rc; } |
	    head -n 1 >/dev/null
	[ "$(cat rc)" -eq 141 ] || fail "ipcalc exit $(cat rc)"
	[ ! -s i.err ] || fail "ipcalc: $(cat i.err)"
	# A stdio server whose stdout goes away ends too, quietly.
	: >t.err
	{ "$SK" tcp-server 127.0.0.1 0 </dev/null 2>>t.err; echo $? >rc2; } |
	    head -c 100000 >/dev/null &
	wait_for t.err 'listening on ' || fail "no stdio server"
	tport=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' t.err)
	timeout 20 "$SK" tcp-client 127.0.0.1 "$tport" </dev/zero \
	    >/dev/null 2>/dev/null
	i=0
	while [ ! -s rc2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(cat rc2)" -eq 141 ] || fail "stdio server exit $(cat rc2)"
	one_line t.err "sockkit: tcp-server: listening on"
	stop_server
}

# The examples a new user copies first: each runs as shipped and exits 0
# (with nothing on stdin, lan-chat.sh only listens, then leaves).
t_trust_examples_run() {
	for e in "$TOP"/examples/*.sh; do
		SK=$SK timeout 60 sh "$e" </dev/null >ex.out 2>&1 ||
		    fail "$(basename "$e") exit $?: $(tail -n 5 ex.out)"
	done
}

# Started with stdin or stdout closed (<&- in a script, a daemon's
# habit), the first socket must not take the number: they still act
# closed (EBADF), as for cat, instead of reading or writing a socket.
t_trust_closed_std_fds() {
	start_server s tcp-server --echo 127.0.0.1 0
	: >t.err
	"$SK" tcp-server 127.0.0.1 0 <&- >t.out 2>t.err &
	tpid=$!
	track $tpid
	wait_for t.err 'listening on ' || fail "no server"
	tport=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' t.err)
	echo hello | timeout 10 "$SK" tcp-client 127.0.0.1 "$tport" >/dev/null \
	    2>&1
	wait_exit $tpid || fail "stdio server did not end"
	[ "$RC" -eq 1 ] || fail "stdio server with stdin closed: exit $RC"
	grep -q "read input: Bad file descriptor" t.err ||
	    fail "stdio server with stdin closed: $(cat t.err)"
	echo hi | timeout 10 "$SK" tcp-client 127.0.0.1 "$PORT" >&- 2>c.err
	RC=$?
	[ "$RC" -eq 1 ] || fail "client with stdout closed exit $RC"
	one_line c.err "sockkit: tcp-client: write output: Bad file descriptor"
	stop_server
}

# Issue 14.17: out of descriptors (ulimit -n 32, 40 idle connections held)
# a server tells a new client why it is not served, with the descriptor
# it keeps in reserve, instead of leaving it locked out until the idle
# ones leave: a line from tcp-server, an ERR 503 from fileserve, a 503
# from http.
t_trust_out_of_descriptors_says_so() {
	mkdir -p pub
	echo hi >pub/f
	printf '#!/bin/sh\nulimit -n 32\nexec "%s" "$@"\n' "$SK" >lim.sh
	chmod +x lim.sh
	for args in "tcp-server --echo" "tcp-server --chat" \
	    "fileserve serve -d pub" "http -q -d pub"; do
		real=$SK
		SK=$PWD/lim.sh
		# shellcheck disable=SC2086
		start_server s $args 127.0.0.1 0
		SK=$real
		python3 - "$PORT" <<'PY' >held.out &
import socket, sys, time
held = []
for _ in range(40):
    try:
        held.append(socket.create_connection(("127.0.0.1",
                                               int(sys.argv[1])), timeout=5))
    except OSError:
        pass
print("held", len(held), flush=True)
time.sleep(30)
PY
		hpid=$!
		track $hpid
		wait_for held.out '^held' || fail "$args: no idle clients"
		# Full for certain: the server has turned one away already
		# (under load some of the 40 may still be on their way).
		wait_for s.err 'accept: .*: (clients turned away|new clients wait)' ||
		    fail "$args: never full: $(cat held.out)"
		case $args in
		tcp-server*)
			echo x | timeout 10 "$SK" tcp-client 127.0.0.1 "$PORT" \
			    >got 2>err
			rc=$?
			grep -q "server full (out of descriptors)" got ||
			    fail "$args: $(cat got err)"
			[ $rc -eq 1 ] || fail "$args: the client exited $rc"
			;;
		fileserve*)
			timeout 10 "$SK" fileserve get -o - 127.0.0.1 "$PORT" f \
			    >got 2>err
			grep -q "server: 503 server full" err ||
			    fail "$args: $(cat err)"
			;;
		http*)
			code=$(timeout 10 curl -s -o /dev/null -w '%{http_code}' \
			    "http://127.0.0.1:$PORT/f")
			[ "$code" = 503 ] || fail "$args: curl got $code"
			;;
		esac
		kill $hpid
		wait $hpid 2>/dev/null
		stop_server
	done
}

# Issue 14.12: C1 controls (CSI as 0x9b, and as UTF-8 U+009B) are control
# characters too: the chat makes them '?', udp-server prints them \xHH.
t_trust_c1_controls() {
	start_server c tcp-server --chat 127.0.0.1 0
	python3 - "$PORT" <<'PY' || fail "chat C1"
import socket, sys, time
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port), timeout=10)
b = socket.create_connection(("127.0.0.1", port), timeout=10)
buf = b""
while b"has joined" not in buf:
    buf += a.recv(4096)
b.sendall(b"raw \x9b31m utf8 \xc2\x9b31m nel \xc2\x85 ok \xc3\xa9\n")
buf, deadline = b"", time.time() + 10
while b"ok" not in buf and time.time() < deadline:
    buf += a.recv(4096)
line = [l for l in buf.split(b"\n") if b"ok" in l][0]
assert b"\x9b" not in line and b"\xc2\x85" not in line, line
assert b"raw ?31m utf8 ??31m nel ?? ok \xc3\xa9" in line, line
PY
	start_server u udp-server 127.0.0.1 0
	printf 'a\302\233[31mb\233c\n' | timeout 10 "$SK" udp-client -w 0.5 \
	    127.0.0.1 "$PORT" >/dev/null
	wait_for u.out 'a' || fail "no datagram printed"
	grep -qF 'a\xc2\x9b[31mb\x9bc' u.out || fail "udp-server: $(cat -A u.out)"
	! grep -q "$(printf '\233')" u.out || fail "a raw C1 byte printed"
}

# =====================================================================
# tcp-client and tcp-server off the happy path, as a
# demanding user meets them: servers that reset, never read or announce
# hostile frame lengths, scans past the descriptor limit, Unix socket
# paths that are not sockets, hostile chat nicks, interrupted scans.

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
	# (glibc says "Address already in use", musl "Address in use")
	one_line err "sockkit: tcp-server: $PWD/live: Address"
	grep -Eq 'Address (already )?in use$' err || fail "$(cat err)"
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

# inet_aton's shorthands are numbers getaddrinfo takes for addresses
# nobody meant ("10.1" is 10.0.0.1, "3232235777" 192.168.1.1): every
# command refuses a host that looks numeric but is not a dotted quad, a
# usage error before anything is sent.  Only forms that would mean
# 127.0.0.1 are tried, and a listener there checks nobody came.
t_trust_tcp_numeric_shorthand_refused() {
	# The first connection it takes must be the marker's.
	py_server '
print("got:" + c.recv(100).decode().strip(), flush=True)'
	for h in 2130706433 127.1 127.0.1 0x7f.0.0.1 0x7f000001 0177.0.0.1 \
	    127.000.0.1 127.0.0.1.5; do
		for args in "tcp-client $h $PYPORT" "tcp-client -z $h $PYPORT" \
		    "tcp-client -s $h 127.0.0.1 $PYPORT" \
		    "udp-client $h $PYPORT" "fileserve get $h $PYPORT x" \
		    "fileserve ls $h $PYPORT" "tcp-server $h 0" \
		    "tcp-server -p 0 $h" "udp-server $h 0" "http $h 0" \
		    "http -b $h 0"; do
			# shellcheck disable=SC2086
			timeout 5 "$SK" $args </dev/null >out 2>err
			RC=$?
			[ "$RC" -eq 2 ] || fail "'$args': exit $RC ($(cat err))"
			# (http has its own words for a number alone.)
			one_line err "sockkit: [a-z-]*: \(-[sb]: \)\?'\?$h'\?:\? \(is \)\?not an address"
		done
	done
	grep -q "four numbers 0-255 with dots" err || fail "$(cat err)"
	# A dotted quad still goes: the listener's first client is this one.
	printf 'marker\n' | timeout 5 "$SK" tcp-client -N 127.0.0.1 "$PYPORT" \
	    >out 2>err || fail "127.0.0.1: $(cat err)"
	wait_for pyport.txt '^got:' || fail "no client"
	grep -q '^got:marker$' pyport.txt || fail "$(cat pyport.txt)"
}

# "[::1]" as curl and ssh take it, everywhere a host goes; HOST:PORT as
# one operand gets a hint, in every command taking HOST PORT.
t_trust_tcp_bracket_host() {
	start_server srv tcp-server -k -6 ::1 0
	echo hi | timeout 5 "$SK" tcp-client -N '[::1]' "$PORT" >out 2>err ||
	    fail "tcp-client [::1]: $(cat err)"
	timeout 5 "$SK" tcp-client -z '[::1]' "$PORT" >out 2>err ||
	    fail "-z [::1]: $(cat err)"
	grep -q "^\[::1\] $PORT open$" out || fail "-z: $(cat out)"
	timeout 5 "$SK" tcp-client -n -z '[::1]' "$PORT" >out 2>err ||
	    fail "-n [::1]: $(cat err)"
	stop_server
	for c in tcp-server udp-server http "fileserve serve"; do
		# shellcheck disable=SC2086
		start_server srv $c '[::1]' 0
		grep -q "listening on \[::1\]:" srv.err || fail "$c: $(cat srv.err)"
		stop_server
	done
	# HOST:PORT as one operand: a hint, in every command taking HOST PORT.
	for args in "tcp-client 127.0.0.1:9000" "tcp-client 127.0.0.1:9000 x" \
	    "tcp-client -z 127.0.0.1:9000" "tcp-client -z 127.0.0.1:9000 1" \
	    "udp-client 127.0.0.1:9000" "fileserve get 127.0.0.1:9000 x" \
	    "fileserve ls 127.0.0.1:9000" "tcp-server 127.0.0.1:9000" \
	    "tcp-server -p 9000 127.0.0.1:9000" "udp-server 127.0.0.1:9000" \
	    "http 127.0.0.1:9000"; do
		# shellcheck disable=SC2086
		timeout 5 "$SK" $args </dev/null >out 2>err
		RC=$?
		[ "$RC" -eq 2 ] || fail "'$args': exit $RC ($(cat err))"
		one_line err "sockkit: [a-z-]*: '127.0.0.1:9000': the [a-z]* and the port are two operands: '127.0.0.1 9000'"
	done
	timeout 5 "$SK" tcp-client '[::1]:80' </dev/null >out 2>err
	[ $? -eq 2 ] || fail "[::1]:80: $(cat err)"
	one_line err "sockkit: tcp-client: '\[::1\]:80': the host and the port are two operands: '::1 80'"
}

# Long options' mistakes, each one line in our words naming the option
# (getopt's own "unknown option '-h'" for --help=x, '-\x01' for
# --json=1 are gone).
t_trust_tcp_long_option_messages() {
	check() {
		want=$1
		shift
		timeout 5 "$SK" "$@" </dev/null >out 2>err
		RC=$?
		[ "$RC" -eq 2 ] || fail "'$*': exit $RC"
		one_line err "sockkit: $1: $want (see 'sockkit $1 --help')\$"
	}
	for c in tcp-client tcp-server udp-client udp-server http ipcalc \
	    broadcast fileserve; do
		check "unknown option '--ecko'" $c --ecko
		check "unknown option '--ecko'" $c --ecko=1
		check "option '--json' takes no value ('--json=1')" $c --json=1
		check "option '--help' takes no value ('--help=x')" $c --help=x
		check "option '--backend' needs a value" $c --backend
	done
	check "option '--frame' takes no value ('--frame=yes')" tcp-client \
	    --frame=yes 127.0.0.1 1
	check "option '--unix' needs a value" tcp-client --unix
	check "option '--expect' needs a value" tcp-client --ex
	check "option '--chat' takes no value ('--chat=1')" tcp-server --chat=1 0
	check "ambiguous option '--max' (--max-frame, --max-line, --max-queue, --max-total, --max-clients)" \
	    tcp-server --max 1 0
	check "unknown option '-Z'" tcp-client -Z
	check "option '-w' needs a value" tcp-client -zw
}

# A stdout nobody reads (a pipe left full, a terminal paused with ^S):
# SIGTERM still ends tcp-client and a stdio tcp-server at once, by the
# signal, and the peer sees a reset (they used to hang in write(2), the
# signal only noted, until the reader drained the pipe).
t_trust_tcp_signal_while_stdout_blocked() {
	random_file big 8000000
	# The client: a server pours the file at it, its stdout a FIFO that
	# is held open and never read.
	for b in select poll epoll; do
		py_server '
try:
    c.sendall(open("big", "rb").read())
    print("all sent", flush=True)
except OSError as e:
    print("send:", e.errno, flush=True)
try:
    print("then:", c.recv(10), flush=True)
except OSError as e:
    print("then:", e.errno, flush=True)'
		rm -f fifo
		mkfifo fifo
		sleep 30 <fifo &
		hold=$!
		track $hold
		"$SK" tcp-client --backend "$b" 127.0.0.1 "$PYPORT" </dev/null \
		    >fifo 2>err &
		cpid=$!
		track $cpid
		# Until the pipe is full and the client waits on it.
		i=0
		while [ $i -lt 100 ] && ! grep -q pipe_w \
		    "/proc/$cpid/wchan" 2>/dev/null; do
			sleep 0.05
			i=$((i + 1))
		done
		kill -TERM $cpid
		wait_exit $cpid || fail "$b: tcp-client hung after SIGTERM"
		[ "$RC" -eq 143 ] || fail "$b: exit $RC ($(cat err))"
		[ ! -s err ] || fail "$b: said: $(cat err)"
		wait_for pyport.txt '^then:' || fail "$b: server did not end"
		grep -Eq '^send: (32|104)|^then: 104' pyport.txt ||
		    fail "$b: no reset: $(cat pyport.txt)"
		kill $hold 2>/dev/null
	done
	# Framed, the bytes go through write(2), not splice: the same.
	py_server '
for i in range(8000):
    c.sendall(struct.pack(">I", 1000) + b"y" * 1000)
time.sleep(5)'
	rm -f fifo
	mkfifo fifo
	sleep 30 <fifo &
	hold=$!
	track $hold
	"$SK" tcp-client --frame 127.0.0.1 "$PYPORT" </dev/null >fifo 2>err &
	cpid=$!
	track $cpid
	i=0
	while [ $i -lt 100 ] && ! grep -q pipe_w "/proc/$cpid/wchan" \
	    2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -TERM $cpid
	wait_exit $cpid || fail "--frame: tcp-client hung after SIGTERM"
	[ "$RC" -eq 143 ] || fail "--frame: exit $RC ($(cat err))"
	[ ! -s err ] || fail "--frame: said: $(cat err)"
	kill $hold 2>/dev/null
	# A terminal nobody reads (as one paused with ^S): its output
	# buffer fills and the write waits; SIGTERM still ends it.
	py_server '
try:
    c.sendall(open("big", "rb").read())
except OSError:
    pass
time.sleep(5)'
	python3 - "$SK" "$PYPORT" <<'PY' || fail "terminal not read"
import os, pty, signal, subprocess, sys, time
sk, port = sys.argv[1], sys.argv[2]
master, slave = pty.openpty()
p = subprocess.Popen([sk, "tcp-client", "127.0.0.1", port],
                     stdin=subprocess.DEVNULL, stdout=slave,
                     stderr=subprocess.PIPE)
os.close(slave)
wchan = ""
for _ in range(100):
    with open("/proc/%d/wchan" % p.pid) as f:
        wchan = f.read()
    if "tty" in wchan or "wait_woken" in wchan:
        break
    time.sleep(0.05)
p.send_signal(signal.SIGTERM)
try:
    rc = p.wait(timeout=5)
except subprocess.TimeoutExpired:
    p.kill()
    sys.exit("hung after SIGTERM, in %s" % wchan)
err = p.stderr.read()
assert rc == -signal.SIGTERM, (rc, err)
assert err == b"", err
PY
	# A stdio tcp-server: the client pours, the server's stdout is full.
	rm -f fifo
	mkfifo fifo
	sleep 30 <fifo &
	hold=$!
	track $hold
	"$SK" tcp-server 127.0.0.1 0 </dev/null >fifo 2>srv.err &
	SPID=$!
	track $SPID
	wait_for srv.err 'listening on ' || fail "server did not listen"
	PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' srv.err)
	"$SK" tcp-client 127.0.0.1 "$PORT" <big >/dev/null 2>cl.err &
	cpid=$!
	track $cpid
	i=0
	while [ $i -lt 100 ] && ! grep -q pipe_w "/proc/$SPID/wchan" \
	    2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -TERM $SPID
	wait_exit $SPID || fail "tcp-server hung after SIGTERM"
	[ "$RC" -eq 143 ] || fail "server exit $RC ($(cat srv.err))"
	grep -v 'listening on' srv.err | grep . && fail "server said more"
	wait_exit $cpid || fail "the client did not end"
	[ "$RC" -eq 1 ] || fail "client exit $RC: a reset is no success"
	kill $hold 2>/dev/null
	true
}

# Chat: what a member says reaches the others cleaned the same way in
# line and frame mode (controls, C1, and the bidi controls that reorder
# a line, U+202A-U+202E and U+2066-U+2069, each byte a '?'; a newline in
# a frame would forge another member's line), and --max-line holds for
# a line that arrives in one read, not only one torn across reads.
t_trust_tcp_chat_clean_frames_bidi() {
	for mode in line frame; do
		fl=
		[ $mode = frame ] && fl=--frame
		# shellcheck disable=SC2086
		start_server s tcp-server --chat $fl --max-line 64 127.0.0.1 0
		python3 - "$PORT" $mode <<'PY' || fail "$mode chat"
import socket, struct, sys
port, mode = int(sys.argv[1]), sys.argv[2]
class M:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.s.makefile("rb")
    def send(self, b):
        if mode == "frame":
            self.s.sendall(struct.pack(">I", len(b)) + b)
        else:
            self.s.sendall(b + b"\n")
    def get(self):
        if mode == "frame":
            n = struct.unpack(">I", self.f.read(4))[0]
            return self.f.read(n)
        return self.f.readline().rstrip(b"\n")
a, b = M(), M()
a.get(); b.get(); a.get()                       # welcomes, b joined
hostile = ("x\u202eevil\u2066y\u2069\u202a\u202b\u202c\u202d"
           "\u2067\u2068z").encode() + b"\x1b[2J\xc2\x9b\x07"
a.send(hostile)
got = b.get()
name = "127.0.0.1:%d" % a.s.getsockname()[1]
want = ("<%s> x???evil???y" % name).encode() + b"?" * 21 + b"z" + \
    b"?[2J???"
assert got == want, (got, want)
# Text that is no control passes as it is.
a.send("j\u00f6rg \u05d0 \u2190 ok".encode())
assert b.get() == ("<%s> j\u00f6rg \u05d0 \u2190 ok" % name).encode()
if mode == "frame":
    a.send(b"hi\n<bob> forged")
    assert b.get() == ("<%s> hi?<bob> forged" % name).encode()
else:
    # Over --max-line 64 in one read: the sender is dropped.
    a.s.sendall(b"y" * 100 + b"\n")
    line = b.get()
    assert line == b"* " + name.encode() + b" was dropped (line too long)", \
        line
PY
		stop_server
	done
}

# udp-server's print mode shows a datagram through the same core escaper
# (text.c) as chat cleans with: a bidi override arrives escaped.
t_trust_tcp_udp_print_bidi() {
	start_server u udp-server 127.0.0.1 0
	printf 'a\342\200\256b\342\201\246c\n' |
	    timeout 5 "$SK" udp-client 127.0.0.1 "$PORT" >/dev/null 2>err ||
	    fail "udp-client: $(cat err)"
	wait_for u.out 'c$' || fail "nothing printed"
	[ "$(cat u.out)" = 'a\xe2\x80\xaeb\xe2\x81\xa6c' ] ||
	    fail "printed: $(od -c u.out | head -3)"
	stop_server
}

# -z where the way is shut: no route here (an unreachable route: connect
# fails at once) and a router answering ICMP host unreachable (the
# connect fails later) are "filtered", as a timeout is, not "closed" (a
# reset).  Only inside namespaces of our own: 10.98/16 exists nowhere
# else.  Host A (10.98.0.1) routes 10.98.9.0/24 to router R
# (10.98.0.2), which has an unreachable route for it.
t_trust_tcp_scan_unreachable_filtered() {
	[ "$(id -u)" = 0 ] || skip "needs root for ip netns"
	command -v ip >/dev/null 2>&1 || skip "needs ip (iproute2)"
	a="ska$$-a"
	r="ska$$-r"
	ip netns add "$a" 2>/dev/null || skip "ip netns add is not allowed here"
	NETNS="$a"
	ip netns add "$r" || fail "netns $r"
	NETNS="$NETNS $r"
	ip -n "$a" link add eth0 type veth peer name eth0 netns "$r" ||
	    fail "veth"
	ip -n "$a" link set lo up
	ip -n "$r" link set lo up
	ip -n "$a" addr add 10.98.0.1/24 dev eth0
	ip -n "$r" addr add 10.98.0.2/24 dev eth0
	ip -n "$a" link set eth0 up
	ip -n "$r" link set eth0 up
	ip -n "$a" route add unreachable 10.98.8.0/24
	ip -n "$a" route add 10.98.9.0/24 via 10.98.0.2 || fail "route via"
	# Forwarding, and every ICMP answered (not rate-limited).
	ip netns exec "$r" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward &&
	    echo 0 >/proc/sys/net/ipv4/icmp_ratelimit' || fail "forwarding"
	ip -n "$r" route add unreachable 10.98.9.0/24 || fail "unreachable"
	# The router itself, with nothing on port 9: closed, still.
	ip netns exec "$a" "$SK" tcp-client -z -w 5 10.98.0.2 9 >out 2>err
	grep -q '^10.98.0.2 9 closed$' out || fail "closed: $(cat out err)"
	for h in 10.98.8.1 10.98.9.1; do
		start=$(date +%s)
		ip netns exec "$a" "$SK" tcp-client -z -w 5 -v "$h" 80 81 \
		    >out 2>err
		RC=$?
		[ "$RC" -eq 1 ] || fail "$h: exit $RC"
		[ "$(cat out)" = "$h 80 filtered
$h 81 filtered" ] || fail "$h: $(cat out) ($(cat err))"
		# (glibc's words for EHOSTUNREACH, then musl's)
		grep -Eq 'No route to host|Host is unreachable' err ||
		    fail "$h: $(cat err)"
		[ $(($(date +%s) - start)) -lt 4 ] || fail "$h: waited for -w"
	done
	ip netns exec "$a" "$SK" tcp-client -z -w 5 --json 10.98.9.1 80 >out
	grep -Eq '"state":"filtered","error":"(No route to host|Host is unreachable)"' out ||
	    fail "json: $(cat out)"
}

# Mistyped hosts, as nc users type them, are usage errors naming the
# mistake, before any lookup: an empty host, a URL, stray brackets, an
# address of the family -4 or -6 excludes; one operand is "missing PORT".
t_trust_tcp_host_mistakes() {
	check() {
		want=$1
		shift
		timeout 5 "$SK" "$@" </dev/null >out 2>err
		RC=$?
		[ "$RC" -eq 2 ] || fail "'$*': exit $RC ($(cat err))"
		one_line err "sockkit: $1: $want (see 'sockkit $1 --help')\$"
	}
	check "an empty host or address" tcp-client '' 80
	check "an empty host or address" tcp-client -z '' 80
	check "an empty host or address" tcp-server '' 0
	check "an empty host or address" udp-client '' 80
	check "'http://127.0.0.1' is a URL: give the host alone" \
	    tcp-client http://127.0.0.1 80
	check "\[::1: not an address (brackets go around an IPv6 address: \[::1\])" \
	    tcp-client '[::1' 80
	check "\[127.0.0.1\]: not an address (brackets go around an IPv6 address: \[::1\])" \
	    tcp-client '[127.0.0.1]' 80
	check "-4 and the IPv6 address '::1' do not go together" \
	    tcp-client -4 ::1 80
	check "-4 and the IPv6 address '\[::1\]' do not go together" \
	    tcp-client -z -4 '[::1]' 80
	check "-6 and the IPv4 address '127.0.0.1' do not go together" \
	    tcp-client -6 127.0.0.1 80
	check "-6 and the IPv4 address '127.0.0.1' (-s) do not go together" \
	    tcp-client -6 -s 127.0.0.1 ::1 80
	check "-4 and the IPv6 address '::1' do not go together" \
	    tcp-server -4 ::1 0
	check "missing PORT" tcp-client 127.0.0.1
	check "missing HOST and PORT" tcp-client
}

# tcp-client -z printing into a pipe nobody reads: SIGTERM ends it by
# the signal, without "write to stdout: Interrupted system call" (the
# blocked write the signal cut short is no error of its own), and the
# exit does not wait on the full pipe to flush what stdio holds.
t_trust_tcp_scan_signal_stdout_blocked() {
	rm -f fifo
	mkfifo fifo
	sleep 30 <fifo &
	hold=$!
	track $hold
	"$SK" tcp-client -z -w 1 127.0.0.1 1-65535 >fifo 2>err &
	cpid=$!
	track $cpid
	i=0
	while [ $i -lt 200 ] && ! grep -q pipe_w "/proc/$cpid/wchan" \
	    2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	grep -q pipe_w "/proc/$cpid/wchan" || fail "never blocked on stdout"
	kill -TERM $cpid
	wait_exit $cpid || fail "tcp-client -z hung after SIGTERM"
	[ "$RC" -eq 143 ] || fail "exit $RC"
	[ ! -s err ] || fail "said: $(cat err)"
	kill $hold 2>/dev/null
	true
}

# Small things a demanding user meets: --expect stopped by SIGTERM is
# no verdict (it said "not seen before the server closed", and the
# server had not); the same mode given twice is one mode, not "choose
# one of".
t_trust_tcp_hunt_small() {
	start_server s tcp-server --discard 127.0.0.1 0
	"$SK" tcp-client --expect foo 127.0.0.1 "$PORT" </dev/null >out 2>err &
	cpid=$!
	track $cpid
	# Until it is connected (the server has a client).
	i=0
	while [ $i -lt 100 ] && ! ss -tn 2>/dev/null |
	    grep -q "ESTAB.*127.0.0.1:$PORT *$"; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -TERM $cpid
	wait_exit $cpid || fail "--expect ignored SIGTERM"
	[ "$RC" -eq 143 ] || fail "exit $RC"
	[ ! -s err ] || fail "said: $(cat err)"
	stop_server
	start_server s tcp-server --echo --echo 127.0.0.1 0
	stop_server
	expect_exit 2 "$SK" tcp-server --echo --chat --echo 127.0.0.1 0 2>err
	one_line err "sockkit: tcp-server: choose one of"
}

# A chat's last line without a newline ("printf hi | ...") is said when
# the stream ends, as ncat's chat relays it (it was dropped).
t_trust_tcp_chat_last_line() {
	start_server s tcp-server --chat 127.0.0.1 0
	python3 - "$PORT" "$SK" <<'PY' || fail "last line"
import socket, subprocess, sys
port, sk = int(sys.argv[1]), sys.argv[2]
a = socket.create_connection(("127.0.0.1", port), timeout=10)
f = a.makefile("rb")
f.readline()                                    # the welcome
for data, want in ((b"hello", b"hello"), (b"/nick bo\nlast\r", b"last")):
    subprocess.run([sk, "tcp-client", "-N", "127.0.0.1", str(port)],
                   input=data, stdout=subprocess.DEVNULL, timeout=10,
                   check=True)
    lines = [f.readline() for _ in range(3 + data.count(b"\n"))]
    said = [l for l in lines if l.startswith(b"<")]
    assert len(said) == 1 and said[0].endswith(b"> " + want + b"\n"), lines
PY
	stop_server
}

# A client the server drops for what it sent (a frame over --max-frame,
# a chat line over --max-line) is reset, so a netcat-like client cannot
# take the cut for a clean end (it exited 0, echo reply missing); and
# --max-frame 0, which the client took for the default, is refused.
t_trust_tcp_dropped_is_reset() {
	start_server s tcp-server --echo --frame --max-frame 4 127.0.0.1 0
	echo hello | timeout 10 "$SK" tcp-client --frame 127.0.0.1 "$PORT" \
	    >out 2>err
	RC=$?
	[ "$RC" -eq 1 ] || fail "--frame: exit $RC"
	grep -q 'reset' err || fail "$(cat err)"
	stop_server
	start_server s tcp-server --chat --max-line 4 127.0.0.1 0
	echo hello | timeout 10 "$SK" tcp-client 127.0.0.1 "$PORT" >out 2>err
	RC=$?
	[ "$RC" -eq 1 ] || fail "chat: exit $RC"
	stop_server
	for c in tcp-client tcp-server; do
		expect_exit 2 "$SK" $c --frame --max-frame 0 127.0.0.1 1 2>err
		one_line err "sockkit: $c: --max-frame: invalid number '0'"
	done
}

# A chat member starts named by its address: no one may take a nick that
# reads as one ("127.0.0.1:40001", a newcomer's name to be, or
# "unix:7"), so names with ':' are refused.
t_trust_tcp_chat_nick_no_address() {
	start_server s tcp-server --chat 127.0.0.1 0
	python3 - "$PORT" <<'PY' || fail "address nicks"
import socket, sys
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port), timeout=10)
f = a.makefile("rb")
f.readline()
for nick in (b"127.0.0.1:40001", b"unix:7", b"[::1]:80", b"a:b"):
    a.sendall(b"/nick " + nick + b"\n")
    line = f.readline()
    assert line == b"* a nick has no ':' (names with one are addresses)\n", \
        (nick, line)
a.sendall(b"/nick ok.name\n")
assert f.readline() == b"* you are now ok.name\n"
PY
	stop_server
}

# A nick with a character that shows nothing (a zero-width space, a BOM,
# a soft hyphen, a Hangul filler, a tag...) or a Unicode space could look
# just like another member's: refused, with a message that says bytes and
# what is refused.  "ann" is taken when "Ann" is, as on IRC.
t_trust_tcp_chat_nick_invisible() {
	start_server s tcp-server --chat 127.0.0.1 0
	python3 - "$PORT" <<'PY' || fail "invisible nicks"
import socket, sys
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port), timeout=10)
fa = a.makefile("rb")
fa.readline()
b = socket.create_connection(("127.0.0.1", port), timeout=10)
fb = b.makefile("rb")
fb.readline()
a.sendall(b"/nick Ann\n")
while fa.readline() != b"* you are now Ann\n":
    pass
while not fb.readline().endswith(b" is now Ann\n"):
    pass
bad = (b"* a nick is 1-32 bytes of printable UTF-8: no spaces, '<', '>' "
       b"or ':', no control, bidi or invisible characters\n")
for cp in (0xad, 0x34f, 0x61c, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x180b,
           0x180e, 0x180f, 0x200b, 0x200d, 0x200f, 0x202a, 0x202e, 0x2060,
           0x2066, 0x206f, 0x3164, 0xfe00, 0xfe0f, 0xfeff, 0xffa0, 0xe0001,
           0xe0020, 0xe0fff, 0xa0, 0x2003, 0x3000, 0x2028):
    for nick in ("Ann" + chr(cp), chr(cp) + "bom", "a" + chr(cp) + "b"):
        b.sendall(b"/nick " + nick.encode() + b"\n")
        line = fb.readline()
        assert line == bad, (hex(cp), line)
for nick in (b"ann", b"ANN", b"aNn"):
    b.sendall(b"/nick " + nick + b"\n")
    line = fb.readline()
    assert line == b"* " + nick + b" is taken\n", (nick, line)
b.sendall(b"/nick \xc3\xa9l\xc3\xa8ve\n")
assert fb.readline() == "* you are now \u00e9l\u00e8ve\n".encode()
a.sendall(b"/nick ann\n")
while fa.readline() != b"* you are now ann\n":
    pass
PY
	stop_server
}

# --backend select cannot watch fd 1024 and up: a client past it is told
# "server full" (a 503 from http) and reset, like one past
# --max-clients; the log says so once a second with a count, not once a
# client (it was a clean close, tcp-client exited 0, 85 log lines).
t_trust_tcp_select_past_fd_setsize() {
	[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 2048 ] ||
	    skip "needs ulimit -n 2048 (hard limit $(ulimit -Hn))"
	printf '#!/bin/sh\nulimit -n 2048\nexec "%s" "$@"\n' "$SK" >lim.sh
	chmod +x lim.sh
	mkdir -p pub
	echo hi >pub/f
	for args in "tcp-server --echo" "tcp-server --echo --frame" "http -q" \
	    "fileserve serve -d pub"; do
		real=$SK
		SK=$PWD/lim.sh
		# shellcheck disable=SC2086
		start_server s $args --backend select 127.0.0.1 0
		SK=$real
		python3 - "$PORT" <<'PY' >held.out &
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (2048, 2048))
held = []
deadline = time.time() + 30
while len(held) < 1040 and time.time() < deadline:
    try:
        held.append(socket.create_connection(("127.0.0.1",
                                               int(sys.argv[1])), timeout=5))
    except OSError:
        pass
print("held", len(held), flush=True)
time.sleep(30)
PY
		hpid=$!
		track $hpid
		wait_for held.out '^held' || fail "$args: no idle clients"
		wait_for s.err 'cannot watch fd' ||
		    fail "$args: never past fd 1023: $(cat held.out s.err)"
		case $args in
		*--frame*)
			echo x | timeout 10 "$SK" tcp-client --frame 127.0.0.1 \
			    "$PORT" >got 2>err
			rc=$?
			grep -q "server full (select's fd limit)" got ||
			    fail "$args: $(cat got err)"
			[ $rc -eq 1 ] || fail "$args: the client exited $rc"
			;;
		tcp-server*)
			echo x | timeout 10 "$SK" tcp-client 127.0.0.1 "$PORT" \
			    >got 2>err
			rc=$?
			grep -q "server full (select's fd limit)" got ||
			    fail "$args: $(cat got err)"
			[ $rc -eq 1 ] || fail "$args: the client exited $rc"
			;;
		http*)
			code=$(timeout 10 curl -s -o /dev/null -w '%{http_code}' \
			    "http://127.0.0.1:$PORT/")
			[ "$code" = 503 ] || fail "$args: curl got $code"
			;;
		fileserve*)
			timeout 10 "$SK" fileserve get -o - 127.0.0.1 "$PORT" f \
			    >got 2>err
			grep -q "server: 503 server full" err ||
			    fail "$args: $(cat err)"
			;;
		esac
		n=$(grep -c 'cannot watch fd' s.err)
		[ "$n" -le 3 ] || fail "$args: $n log lines: $(head -n 5 s.err)"
		grep -q 'cannot watch fd.*: 1 client turned away$' s.err ||
		    fail "$args: $(cat s.err)"
		kill $hpid
		wait $hpid 2>/dev/null
		stop_server
	done
}

# =====================================================================
# udp-server, udp-client and broadcast off the happy
# path: what a demanding user meets when they interrupt them, close their
# output, mistype them or point hostile peers at them.

# A Unix datagram peer picks its own address, a path: with -v it is
# printed and logged, escaped, never as raw bytes for the terminal.
t_trust_udp_hostile_unix_peer_name() {
	UNIX_SERVER=1 start_server s udp-server -v -U "$PWD/srv.sock"
	python3 - "$PWD/srv.sock" <<'PY' || fail "python peer"
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(os.getcwd().encode() + b"/e\x1b]0;owned\x07\x9bx")
s.sendto(b"hi", sys.argv[1])
PY
	wait_for s.out ' hi$' || fail "nothing printed"
	grep -q "$(printf '\033')" s.out && fail "raw ESC printed: $(cat -v s.out)"
	grep -q "$(printf '\007')" s.out && fail "raw BEL printed"
	grep -q 'e\\x1b\]0;owned\\x07\\x9bx hi$' s.out ||
	    fail "not escaped: $(cat -v s.out)"
	stop_server
}

# discover on a terminal, fed hostile announcements: names with escape
# sequences, 8-bit CSI (0x9b), a C1 control in UTF-8, broken UTF-8, a
# NUL, a second line, a signed or padded port.  Only the sound one is
# listed; nothing raw reaches the terminal.
t_trust_udp_discover_hostile_names_on_a_terminal() {
	lan_setup a
	cat >send.py <<'PY'
import socket, sys, time
for i in range(100):
    if b"listening on" in open("d.err", "rb").read():
        break
    time.sleep(0.1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
bad = [b"e\x1b[2Jx 80", b"csi\x9b2J 80", b"c1\xc2\x9b2J 80", b"br\xff 80",
       b"nul\x00x 80", b"tab\tx 80", b"del\x7f 80", b"fine 80\nevil 81",
       b"plus +80", b"pad  80", b"hex 0x50", b"big 65536", b"zero 0",
       b"x" * 65 + b" 80", b"caf\xc3\xa9 80"]
for i in range(3):
    for b in bad:
        s.sendto(b"sockkit-announce 1 " + b + b"\n", ("127.0.0.1", 47474))
    time.sleep(0.2)
PY
	# stdout on the terminal; stderr to a file, for the sender to wait
	# on; the signal goes to discover itself (exec).
	: >d.err
	ip netns exec "$NS_a" python3 "$TERM_PY" --out --signal TERM \
	    --after 'café' sh -c '
		python3 send.py &
		exec "$1" broadcast discover --timeout 10 2>d.err' sh "$SK" \
	    >tty.out
	RC=$?
	grep -q 'listening on' d.err || fail "discover: $(cat d.err)"
	# The terminal saw café, then the signal.
	grep -q 'café 127.0.0.1 80' tty.out || fail "café: $(cat -v tty.out)"
	grep -c ' 127.0.0.1 ' tty.out | grep -qx 1 ||
	    fail "more than one listed: $(cat -v tty.out)"
	LC_ALL=C grep -q "$(printf '\033\\[2J')" tty.out && fail "raw ESC [2J"
	LC_ALL=C grep -q "$(printf '\233')" tty.out && fail "raw 0x9b"
	LC_ALL=C grep -q "$(printf '\302\233')" tty.out && fail "raw C1 CSI"
	! grep -q evil tty.out || fail "a second line was taken"
	[ "$RC" -eq 143 ] || fail "discover exit $RC after SIGTERM"
}

# Started with stdin or stdout closed, the socket must not take fd 0 or
# 1: a client with ">&-" printed each reply into its own socket, back to
# an echo server, which answered again: thousands of datagrams a second
# for -w seconds.  With "<&-" the client read its socket as stdin and
# hung.  Closed, they read as empty and write nowhere, as in python.
t_trust_udp_closed_std_fds() {
	start_server s udp-server -v --echo 127.0.0.1 0
	echo ping >in
	# Closed stays closed (EBADF, one line, exit 1), and the socket never
	# takes the number: the reply is not printed back into it.
	timeout 10 "$SK" udp-client -w 1 127.0.0.1 "$PORT" <in >&- 2>c.err
	rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc with stdout closed: $(cat c.err)"
	one_line c.err "sockkit: udp-client: write to stdout: Bad file descriptor"
	timeout 10 "$SK" udp-client -w 1 127.0.0.1 "$PORT" <&- 2>c.err
	rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc with stdin closed (124: hung)"
	one_line c.err "sockkit: udp-client: read stdin: Bad file descriptor"
	timeout 10 "$SK" broadcast send --to 127.0.0.1 --port "$PORT" <&- \
	    2>b.err
	rc=$?
	[ "$rc" -eq 1 ] || fail "broadcast send exit $rc with stdin closed: $(cat b.err)"
	one_line b.err "sockkit: broadcast: read stdin: Bad file descriptor"
	stop_server
	n=$(grep -c 'bytes in' s.err)
	[ "$n" -eq 1 ] || fail "the echo server answered $n datagrams, not 1"
}

# Interrupted where a user would: at a terminal, reading stdin; between
# repeats; announcing; discovering.  Each dies by its signal, at once,
# and says nothing more (discover does not add "no service heard").
t_trust_udp_interrupts() {
	timeout 20 python3 "$TERM_PY" --ctrl-c '' --delay 0.3 \
	    "$SK" udp-client 127.0.0.1 9 >t.out
	RC=$?
	[ "$RC" -eq 130 ] || fail "udp-client at a terminal: exit $RC"
	timeout 20 python3 "$TERM_PY" --ctrl-c '' --delay 0.3 \
	    "$SK" broadcast send --to 127.0.0.1 --port 9 >t.out
	RC=$?
	[ "$RC" -eq 130 ] || fail "broadcast send reading a terminal: exit $RC"
	start=$(date +%s)
	timeout 20 python3 "$TERM_PY" --signal TERM --after '' --delay 0.3 \
	    "$SK" broadcast send --to 127.0.0.1 --port 9 --count 5 \
	    --interval 30 x >t.out
	RC=$?
	[ "$RC" -eq 143 ] || fail "send between repeats: exit $RC"
	[ $(( $(date +%s) - start )) -lt 10 ] || fail "the pause outlived TERM"
	timeout 20 python3 "$TERM_PY" --signal TERM --after '' --delay 0.3 \
	    "$SK" broadcast announce --to 127.0.0.1 --port 9 x 80 >t.out
	RC=$?
	[ "$RC" -eq 143 ] || fail "announce: exit $RC"
	lan_setup a
	ip netns exec "$NS_a" python3 "$TERM_PY" --ctrl-c 'listening on' \
	    --delay 0.3 "$SK" broadcast discover --timeout 30 >t.out
	RC=$?
	[ "$RC" -eq 130 ] || fail "discover: exit $RC"
	! grep -q 'no service heard' t.out || fail "discover: $(cat t.out)"
}

# stdout that fails (a full disk): one message, exit 1, at the first
# datagram, not a server that carries on printing into the void.
t_trust_udp_full_stdout() {
	[ -w /dev/full ] || skip "no /dev/full"
	"$SK" udp-server 127.0.0.1 0 >/dev/full 2>s.err &
	spid=$!
	track $spid
	wait_for s.err 'listening on ' || fail "no server"
	port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' s.err)
	timeout 10 "$SK" udp-client --send x -w 1 127.0.0.1 "$port"
	wait_exit $spid || fail "udp-server went on with stdout failing"
	[ "$RC" -eq 1 ] || fail "udp-server exit $RC"
	grep -q '^sockkit: udp-server: write to stdout: No space left' s.err ||
	    fail "$(cat s.err)"
	[ "$(wc -l <s.err)" -eq 2 ] || fail "$(cat s.err)"
	start_server e udp-server --echo 127.0.0.1 0
	timeout 10 "$SK" udp-client --send x -w 5 127.0.0.1 "$PORT" \
	    >/dev/full 2>c.err
	rc=$?
	[ "$rc" -eq 1 ] || fail "udp-client exit $rc"
	one_line c.err "sockkit: udp-client: write to stdout: No space left"
	stop_server
}

# Mistakes a user makes, each with a line that says what to do.
t_trust_udp_mistypes() {
	expect_exit 2 "$SK" broadcast send hello world 2>err
	one_line err "sockkit: broadcast: too many arguments (a MESSAGE is one: quote it"
	expect_exit 2 "$SK" broadcast listen 239.1.2.3:5000 2>err
	one_line err "sockkit: broadcast: invalid port '239.1.2.3:5000': listen takes PORT alone, and a group as --group GROUP"
	expect_exit 2 "$SK" udp-server --echo 127.0.0.1:5000 2>err
	one_line err "sockkit: udp-server: '127.0.0.1:5000': the address and the port are two operands"
	# A TMPDIR too long for a socket path: every client would have
	# bound (and first unlinked) the same cut-short name.
	UNIX_SERVER=1 start_server s udp-server --echo -U "$PWD/s.sock"
	long=$PWD/$(printf 'd%.0s' $(seq 1 100))
	mkdir "$long"
	echo hi >in
	TMPDIR=$long timeout 10 "$SK" udp-client -U "$PWD/s.sock" <in 2>err
	rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc with a TMPDIR too long"
	one_line err "sockkit: udp-client: TMPDIR is too long for a socket path"
	[ -z "$(ls "$long")" ] || fail "left: $(ls "$long")"
	stop_server
	# The Unix server gone: said plainly (it read "PATH : port ...").
	python3 -c 'import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind("gone.sock")'
	expect_exit 1 "$SK" udp-client --send x -U "$PWD/gone.sock" 2>err
	one_line err "sockkit: udp-client: connect to $PWD/gone.sock: Connection refused"
}

# A LAN peer sending endless new names: discover keeps FOUNDMAX (4096)
# and says so once, rather than growing (and slowing) without bound.
t_trust_udp_discover_bounded() {
	lan_setup a
	ip netns exec "$NS_a" "$SK" broadcast discover --timeout 60 >found \
	    2>derr &
	dpid=$!
	track $dpid
	wait_for derr 'listening on ' || fail "discover did not listen"
	# New names, paced, until discover says it is full (bounded: 50000
	# datagrams, 40 s); some may be dropped on the way, so not a count.
	on_host a python3 - <<'PY'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + 40
for i in range(50000):
    s.sendto(b"sockkit-announce 1 n%d 80\n" % i, ("127.0.0.1", 47474))
    if i % 50 == 49:
        time.sleep(0.005)
        if b"over 4096" in open("derr", "rb").read() or \
                time.monotonic() > end:
            break
PY
	kill -TERM $dpid
	wait_exit $dpid || fail "discover ignored SIGTERM"
	grep -q '^sockkit: broadcast: over 4096 services heard: the rest are not listed$' \
	    derr || fail "no word of the limit: $(tail -n 2 derr)"
	[ "$(grep -c 'over 4096' derr)" -eq 1 ] || fail "said more than once"
	[ "$(wc -l <found)" -eq 4096 ] || fail "$(wc -l <found) listed"
}

# Only exact announcements count: "0081" was heard as port 81; a CR with
# no newline after it, a padded version or a doubled space are not the
# format either.
t_trust_udp_discover_strict() {
	lan_setup a
	ip netns exec "$NS_a" "$SK" broadcast discover --timeout 30 >found \
	    2>derr &
	dpid=$!
	track $dpid
	wait_for derr 'listening on ' || fail "discover did not listen"
	on_host a python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for d in (b"sockkit-announce 1 pad 0081\n", b"sockkit-announce 1 zero 0\n",
          b"sockkit-announce 1 plus +81\n", b"sockkit-announce 1 big 65536\n",
          b"sockkit-announce 1 cr 81\r", b"sockkit-announce 1 two  81\n",
          b"sockkit-announce 1 tail 81 \n", b"sockkit-announce 1 nl 81\n\n",
          b"sockkit-announce 01 ver 81\n", b"sockkit-announce 1  sp 81\n",
          b"sockkit-announce  1 sp2 81\n", b"Sockkit-announce 1 case 81\n",
          b"sockkit-announce 1 nul 81\x00", b"sockkit-announce 1 \xff 81\n",
          b"sockkit-announce 1 tab\t 81\n", b"sockkit-announce 1 lead 081\n",
          b"sockkit-announce 1 crlf 82\r\n", b"sockkit-announce 1 good 83\n"):
    s.sendto(d, ("127.0.0.1", 47474))
PY
	wait_for found '^good ' || fail "the good one unheard: $(cat found derr)"
	kill -TERM $dpid
	wait_exit $dpid || fail "discover ignored SIGTERM"
	[ "$(cut -d' ' -f1,3 found | tr '\n' ,)" = "crlf 82,good 83," ] ||
	    fail "heard: $(cat found)"
}

# udp-server removes one line end, "\n" or "\r\n": a CR with no newline
# after it is shown (\x0d), as "cr\r" and "cr" printed alike.
t_trust_udp_trailing_cr_shown() {
	start_server u udp-server 127.0.0.1 0
	python3 - "$PORT" <<'PY' || fail "send"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for d in (b"a cr\r", b"b plain", b"c crlf\r\n", b"d nl\n", b"e two\r\r\n",
          b"f mid\rx", b"g end"):
    s.sendto(d, ("127.0.0.1", int(sys.argv[1])))
PY
	wait_for u.out '^g end$' || fail "not all printed: $(cat -A u.out)"
	printf '%s\n' 'a cr\x0d' 'b plain' 'c crlf' 'd nl' 'e two\x0d' \
	    'f mid\x0dx' 'g end' >want
	cmp -s want u.out || fail "printed: $(cat -A u.out)"
	stop_server
}

# A free UDP port on 127.0.0.1, for commands that take no port 0.
free_udp_port() {
	python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Control bytes print as \xHH, so a backslash must print as \\: else the
# four characters \x1b and the byte ESC print the same.  udp-server's
# lines, udp-client's replies and broadcast listen's lines alike.
t_trust_udp_backslash_is_unambiguous() {
	start_server s udp-server 127.0.0.1 0
	python3 - "$PORT" <<'PY' || fail "python peer"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"lit\\x1b", ("127.0.0.1", int(sys.argv[1])))
s.sendto(b"esc\x1b", ("127.0.0.1", int(sys.argv[1])))
s.sendto(b"end", ("127.0.0.1", int(sys.argv[1])))
PY
	wait_for s.out '^end$' || fail "nothing printed"
	grep -qx 'lit\\\\x1b' s.out || fail "literal: $(cat -v s.out)"
	grep -qx 'esc\\x1b' s.out || fail "ESC: $(cat -v s.out)"
	stop_server
	start_server e udp-server --echo 127.0.0.1 0
	printf 'a\\x00b\n' | timeout 10 "$SK" udp-client 127.0.0.1 "$PORT" \
	    >c.out || fail "udp-client"
	grep -qx 'a\\\\x00b' c.out || fail "udp-client: $(cat -v c.out)"
	stop_server
	port=$(free_udp_port)
	"$SK" broadcast listen --count 2 --timeout 10 "$port" >l.out 2>l.err &
	lpid=$!
	track $lpid
	wait_for l.err 'listening on' || fail "listen: $(cat l.err)"
	"$SK" udp-client -w 0.1 --send 'one\\two' 127.0.0.1 "$port"
	"$SK" udp-client -w 0.1 --send 'one\x1btwo' 127.0.0.1 "$port"
	wait_exit $lpid || fail "listen did not stop at --count"
	grep -q ' one\\\\two$' l.out || fail "listen: $(cat -v l.out)"
	grep -q ' one\\x1btwo$' l.out || fail "listen ESC: $(cat -v l.out)"
}

# --time's rate limit drops what a source sends past 20 a second: that
# is said, in one summary line per source at most once a second and at
# exit, with the count; never silent, never a line per datagram.
t_trust_udp_rate_limit_summary() {
	start_server s udp-server --time 127.0.0.1 0
	python3 - "$PORT" >answered <<'PY' || fail "python peer"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for i in range(200):
    s.sendto(b"%H", ("127.0.0.1", int(sys.argv[1])))
n = 0
try:
    while True:
        s.recv(100)
        n += 1
except socket.timeout:
    pass
print(n)
PY
	wait_for s.err 'over the rate limit' || fail "nothing said"
	stop_server
	re='^sockkit: udp-server: [0-9]+ datagrams? from 127\.0\.0\.1 over the rate limit, not answered$'
	lines=$(grep -Ec "$re" s.err)
	[ "$lines" -ge 1 ] && [ "$lines" -le 3 ] ||
	    fail "$lines summary lines: $(cat s.err)"
	dropped=$(grep -E "$re" s.err | awk '{ n += $3 } END { print n }')
	[ $((dropped + $(cat answered))) -eq 200 ] ||
	    fail "$dropped dropped + $(cat answered) answered is not 200"
	[ "$(wc -l <s.err)" -eq $((lines + 1)) ] || fail "$(cat s.err)"
}

# listen --count N --timeout S: fewer than N within S is a failure that
# says how many came; N in time is a success.
t_trust_udp_listen_count_short() {
	port=$(free_udp_port)
	"$SK" broadcast listen --count 5 --timeout 2 "$port" >l.out 2>l.err &
	lpid=$!
	track $lpid
	wait_for l.err 'listening on' || fail "listen: $(cat l.err)"
	"$SK" udp-client -w 0.1 --send one 127.0.0.1 "$port"
	"$SK" udp-client -w 0.1 --send two 127.0.0.1 "$port"
	wait_exit $lpid || fail "listen outlived --timeout"
	[ "$RC" -eq 1 ] || fail "exit $RC with 2 of 5"
	[ "$(wc -l <l.out)" -eq 2 ] || fail "$(cat l.out)"
	grep -qx 'sockkit: broadcast: 2 of 5 messages within 2 s' l.err ||
	    fail "$(cat l.err)"
	"$SK" broadcast listen --count 1 --timeout 5 "$port" >l.out 2>l.err &
	lpid=$!
	track $lpid
	wait_for l.err 'listening on' || fail "listen: $(cat l.err)"
	"$SK" udp-client -w 0.1 --send one 127.0.0.1 "$port"
	wait_exit $lpid || fail "listen did not stop at --count 1"
	[ "$RC" -eq 0 ] || fail "exit $RC with 1 of 1: $(cat l.err)"
	# A timeout alone (no --count) is the end asked for: 0.
	expect_exit 0 "$SK" broadcast listen --timeout 0.2 "$port" 2>l.err
}

# announce checks its NAME where it is typed, saying what is wrong with
# it; --help spells out the datagram, for a tool of one's own.
t_trust_udp_announce_name_checked() {
	for bad in "$(printf 'a\033[2Jb')" "$(printf 'two\nlines')" \
	    "$(printf 'x%.0s' $(seq 1 65))" 'with space' '' \
	    "$(printf 'br\377')"; do
		expect_exit 2 "$SK" broadcast announce --to 127.0.0.1 \
		    --port 9 --count 1 "$bad" 80 2>err
		one_line err "sockkit: broadcast: a NAME is 1-64 bytes of text, no spaces or control bytes: '"
		grep -Eq "(holds a control byte|holds a space|is empty|is 65 bytes, over 64)" err ||
		    fail "no reason: $(cat -v err)"
		LC_ALL=C grep -q "$(printf '\033')" err && fail "raw ESC"
	done
	expect_exit 0 "$SK" broadcast announce --to 127.0.0.1 --port 9 \
	    --count 1 'café-1' 80
	"$SK" broadcast --help >help || fail "--help"
	grep -q '^    sockkit-announce 1 NAME SERVICE_PORT\\n$' help ||
	    fail "no wire format in --help"
}

# discover --json writes what a peer controls as valid JSON, and the
# text form escapes it: an IPv6 link-local sender's host carries the
# interface's name, which may hold ESC and broken UTF-8.
t_trust_udp_discover_hostile_ifname() {
	lan_setup a
	ifn=$(printf 'd\033\377')
	on_host a ip link add name "$ifn" type veth peer name vp0 ||
	    skip "no veth"
	on_host a ip link set dev "$ifn" up
	on_host a ip link set dev vp0 up
	cat >send.py <<'PY'
import socket, sys, time
for i in range(100):
    if b"listening on" in open(sys.argv[1], "rb").read():
        break
    time.sleep(0.1)
idx = socket.if_nametoindex(b"d\x1b\xff".decode("utf-8", "surrogateescape"))
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
for i in range(5):
    s.sendto(b"sockkit-announce 1 web 8080\n", ("ff02::1", 47474, 0, idx))
    time.sleep(0.1)
PY
	for form in --json ''; do
		: >d.err
		on_host a python3 send.py d.err &
		track $!
		on_host a "$SK" broadcast discover -6 --group ff02::1 \
		    --iface "$ifn" --timeout 1.5 $form >d.out 2>d.err
		grep -q 'web' d.out || fail "nothing heard: $(cat d.err)"
		LC_ALL=C grep -q "$(printf '\033')" d.out && fail "raw ESC"
		LC_ALL=C grep -q "$(printf '\377')" d.out && fail "raw 0xff"
	done
	grep -q '%d\\x1b\\xff 8080$' d.out || fail "text: $(cat -v d.out)"
	on_host a python3 send.py d.err &
	track $!
	on_host a "$SK" broadcast discover -6 --group ff02::1 --iface "$ifn" \
	    --timeout 1.5 --json >d.json 2>d.err
	python3 -c '
import json, sys
hosts = [json.loads(l)["host"] for l in sys.stdin]
assert any(h.endswith("%d\x1b\xff") for h in hosts), hosts' <d.json ||
	    fail "not valid JSON, or not the bytes: $(cat -v d.json)"
}

# -4 with an IPv6 address or -6 with an IPv4 one is a usage error (2),
# said the same way, in every UDP command.
t_trust_udp_family_conflicts() {
	expect_exit 2 "$SK" udp-server -4 ::1 0 2>err
	one_line err "sockkit: udp-server: -4 and the IPv6 address '::1' do not go together"
	expect_exit 2 "$SK" udp-server -6 127.0.0.1 0 2>err
	one_line err "sockkit: udp-server: -6 and the IPv4 address '127.0.0.1' do not go together"
	expect_exit 2 "$SK" udp-client -4 --send x ::1 9 2>err
	one_line err "sockkit: udp-client: -4 and the IPv6 address '::1' do not go together"
	expect_exit 2 "$SK" udp-client -6 --send x 127.0.0.1 9 2>err
	one_line err "sockkit: udp-client: -6 and the IPv4 address '127.0.0.1' do not go together"
	expect_exit 2 "$SK" broadcast send -6 --to 127.0.0.1 x 2>err
	one_line err "sockkit: broadcast: --to 127.0.0.1 is IPv4: not with -6"
	expect_exit 2 "$SK" broadcast listen -4 --group ff02::1 5000 2>err
	one_line err "sockkit: broadcast: --group ff02::1 is IPv6: not with -4"
}

# nc's habits: "nc -u -l -p PORT", "nc -u -q 1 HOST PORT" work as they
# mean there; what has no meaning here names sockkit's form.
t_trust_udp_nc_habits() {
	start_server s udp-server -v -u -l -k -p 0 127.0.0.1
	sport=$(free_udp_port)
	echo hi | timeout 10 "$SK" udp-client -u -n -q 0.2 -s 127.0.0.1 \
	    -p "$sport" 127.0.0.1 "$PORT" || fail "udp-client -u -q -s -p"
	wait_for s.out "^127\.0\.0\.1:$sport hi$" || fail "$(cat s.out)"
	stop_server
	start_server e udp-server --echo -ul 127.0.0.1 0
	echo hi | timeout 10 "$SK" udp-client -uN -q 1 127.0.0.1 "$PORT" \
	    >out || fail "udp-client -uN"
	[ "$(cat out)" = hi ] || fail "echo: $(cat out)"
	stop_server
	expect_exit 2 "$SK" udp-client -l 5000 2>err
	one_line err "sockkit: udp-client: -l: to listen use 'sockkit udp-server \[ADDRESS\] PORT'"
	expect_exit 2 "$SK" udp-client -z 127.0.0.1 9 2>err
	one_line err "sockkit: udp-client: -z: to probe a UDP port use"
	expect_exit 2 "$SK" udp-server -u -l -e /bin/cat 5000 2>err
	one_line err "sockkit: udp-server: -e: udp-server runs no command"
	expect_exit 2 "$SK" udp-server -l -p 5000 5001 2>err
	one_line err "sockkit: udp-server: the port is given twice (-p 5000 and '5001')"
	expect_exit 2 "$SK" udp-client -n localhost 9 2>err
	one_line err "sockkit: udp-client: -n: 'localhost' is not a numeric address"
	expect_exit 2 "$SK" udp-client -U x.sock -p 5000 2>err
	one_line err "sockkit: udp-client: -U PATH takes no -p"
}

# One datagram forged "from" the server's own address and port: an
# answering server answered itself, and that, at full speed, for ever
# (200,000 datagrams a second).  It is not answered, and said so.
t_trust_udp_forged_self_source() {
	[ "$(id -u)" = 0 ] || skip "needs root for a raw socket"
	cat >spoof.py <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
payload = b"%H"
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
a = socket.inet_aton("127.0.0.1")
udp = struct.pack("!HHHH", port, port, 8 + len(payload), 0) + payload
c = csum(a + a + struct.pack("!BBH", 0, 17, len(udp)) + udp) or 0xffff
udp = udp[:6] + struct.pack("!H", c) + udp[8:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.sendto(udp, ("127.0.0.1", 0))
PY
	for mode in --echo --upper --time; do
		for addr in 127.0.0.1 0.0.0.0; do
			start_server s udp-server -v $mode "$addr" 0
			python3 spoof.py "$PORT" || skip "no raw socket"
			wait_for s.err "own address" || fail "$mode $addr"
			# The server goes on serving the others.
			timeout 10 "$SK" udp-client --send q -w 0.5 127.0.0.1 \
			    "$PORT" >c.out || fail "$mode $addr: udp-client"
			grep -qi '^q$' c.out || fail "$mode $addr: $(cat c.out)"
			stop_server
			n=$(grep -c 'bytes in' s.err)
			[ "$n" -eq 1 ] || fail "$mode $addr: $n answers, not 1"
			grep -q "^sockkit: udp-server: 127\.0\.0\.1:$PORT: from this server's own address (a forged source): not answered (1 so far)$" \
			    s.err || fail "$(head -n 3 s.err)"
		done
	done
}

# nc -u habits with addresses udp-client and udp-server cannot serve: a
# broadcast address (connect says only "Permission denied"; nc -b is
# the habit) and a multicast group to listen on (bound, never joined:
# it waited for ever and heard nothing).  Each names the sockkit way.
t_trust_udp_broadcast_and_group_addresses() {
	lan_setup a
	on_host a "$SK" udp-client --send x 10.231.0.255 9 2>err
	rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc"
	one_line err "sockkit: udp-client: connect to 10.231.0.255:9: Permission denied (a broadcast address? 'sockkit broadcast send --to 10.231.0.255 --port 9' sends to one)"
	expect_exit 2 "$SK" udp-client -b 10.231.0.255 9 2>err
	one_line err "sockkit: udp-client: -b: to broadcast use 'sockkit broadcast send"
	expect_exit 2 "$SK" udp-server 239.1.2.3 5000 2>err
	one_line err "sockkit: udp-server: 239.1.2.3 is a multicast group, which udp-server does not join: 'sockkit broadcast listen --group 239.1.2.3 5000' does"
	expect_exit 2 "$SK" udp-server --echo -p 5000 ff02::1 2>err
	one_line err "sockkit: udp-server: ff02::1 is a multicast group"
}

# Interrupted while waiting for --expect's text: it dies by the signal
# and says nothing more; "not seen within 30 s" would be untrue.
t_trust_udp_expect_interrupted() {
	start_server s udp-server --echo 127.0.0.1 0
	timeout 20 python3 "$TERM_PY" --ctrl-c '' --delay 0.3 \
	    "$SK" udp-client --expect zzz -w 30 127.0.0.1 "$PORT" >t.out
	RC=$?
	[ "$RC" -eq 130 ] || fail "exit $RC"
	! grep -q 'not seen' t.out || fail "$(cat t.out)"
	"$SK" udp-client -v --send ping --expect zzz -w 30 127.0.0.1 \
	    "$PORT" 2>c.err &
	cpid=$!
	track $cpid
	wait_for c.err 'sent 4 bytes' || fail "nothing sent"
	kill -TERM $cpid
	wait_exit $cpid || fail "TERM ignored"
	[ "$RC" -eq 143 ] || fail "--send: exit $RC"
	one_line c.err "sockkit: udp-client: sent 4 bytes"
	stop_server
}

# A datagram "from" chargen (19) or echo (7) on another host: answered,
# the two servers answer each other for ever (chargen with more bytes
# each time).  As inetd's small servers do, those are not answered.
t_trust_udp_loop_ports_not_answered() {
	[ "$(id -u)" = 0 ] || skip "needs root for ports under 1024"
	start_server s udp-server --echo 127.0.0.1 0
	python3 - "$PORT" <<'PY' || fail "python peer"
import socket, sys
for port in (19, 7):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(0.5)
    s.sendto(b"x", ("127.0.0.1", int(sys.argv[1])))
    try:
        got = s.recv(100)
        sys.exit("answered port %d: %r" % (port, got))
    except socket.timeout:
        pass
PY
	wait_for s.err 'from the chargen port' || fail "not said"
	timeout 10 "$SK" udp-client --send q -w 0.5 127.0.0.1 "$PORT" >c.out
	[ "$(cat c.out)" = q ] || fail "others not served: $(cat c.out)"
	stop_server
	grep -q "^sockkit: udp-server: 127\.0\.0\.1:19: from the chargen port, which answers too (a loop): not answered (1 so far)$" s.err ||
	    fail "$(cat s.err)"
}

# broadcast send fed a line with no end (/dev/zero, a binary file): it
# grew without bound, and when memory ran out it sent nothing and
# exited 0.  A line too long is skipped, said, and the exit is 1, in
# bounded memory; the lines after it still go.
t_trust_udp_send_endless_line() {
	port=$(free_udp_port)
	"$SK" broadcast listen --count 1 --timeout 20 "$port" >l.out 2>l.err &
	lpid=$!
	track $lpid
	wait_for l.err 'listening on' || fail "listen: $(cat l.err)"
	# A memory bound shows an unbounded read; ASan needs its shadow
	# mapping (terabytes of address space), so there the output alone.
	lim=200000
	grep -q __asan_init "$SK" 2>/dev/null && lim=unlimited
	( ulimit -v "$lim"
	  { head -c 300000000 /dev/zero; echo; echo after; } |
	      "$SK" broadcast send --to 127.0.0.1 --port "$port" 2>err )
	rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc: $(cat err)"
	one_line err "sockkit: broadcast: a line of 300000000 bytes is over the 65507 a datagram can hold: not sent"
	wait_exit $lpid || fail "the line after was not sent"
	grep -q ' after$' l.out || fail "$(cat l.out)"
}

# =====================================================================
# fileserve off the happy path, as a demanding
# user meets it: output closed early, two clients on one name, a local
# directory in the way, a file that changes as it is sent, a lying or
# hostile server, a server stopped mid-upload, many uploads at once.

# fs_serve NAME ARGS...: serve on 127.0.0.1 port 0 (sets PORT, SPID).
tfs_serve() {
	name=$1
	shift
	start_server "$name" fileserve serve "$@" 127.0.0.1 0
}

# tfs_fake SCRIPT: a python fake server (see test_fileserve.sh's
# fake_server): frame(), recv_frame(), `for c in conns():` (HELLO done).
tfs_fake() {
	{
		cat <<'PY'
import os, socket, struct, sys, time
def recvall(c, n):
    # MSG_WAITALL does not wait on a socket with a timeout (nonblocking
    # underneath in Python).
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            break
        b += d
    return b
def frame(s):
    return struct.pack(">I", len(s)) + s
def recv_frame(c):
    h = recvall(c, 4)
    if len(h) < 4:
        return None
    n = struct.unpack(">I", h)[0]
    return recvall(c, n) if n else b""
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(4)
print(l.getsockname()[1], flush=True)
l.settimeout(20)
def conns():
    while True:
        c, _ = l.accept()
        c.settimeout(20)
        recv_frame(c)
        c.sendall(frame(b"OK 1"))
        yield c
PY
		cat "$1"
	} >fake.py
	# Emptied first: the child's own redirection may come after our
	# wait_for has read the previous fake's port.
	: >fake.port
	python3 fake.py >fake.port 2>fake.err &
	track $!
	wait_for fake.port '^[0-9]+$' || fail "fake server: $(cat fake.err)"
	FAKE_PORT=$(cat fake.port)
}

# get -o - into a pipe whose reader leaves: quiet, and death by SIGPIPE
# (141), the one rule; it said "write stdout: Broken pipe" and exited 1.
# ls likewise, with a long listing.
t_trust_fs_closed_stdout() {
	mkdir -p srv/many
	random_file srv/big 20000000
	i=0
	while [ $i -lt 3000 ]; do
		: >"srv/many/f$i"
		i=$((i + 1))
	done
	tfs_serve s -d srv
	{ "$SK" fileserve get -o - 127.0.0.1 "$PORT" big 2>err; echo $? >rc; } |
	    head -c 1000 >/dev/null
	[ "$(cat rc)" = 141 ] || fail "get -o - | head: exit $(cat rc)"
	[ ! -s err ] || fail "said: $(cat err)"
	{ "$SK" fileserve ls 127.0.0.1 "$PORT" many 2>err; echo $? >rc; } |
	    head -n 1 >/dev/null
	[ "$(cat rc)" = 141 ] || fail "ls | head: exit $(cat rc)"
	[ ! -s err ] || fail "said: $(cat err)"
	stop_server
}

# Two gets of one local name at once: the second is refused at once
# instead of writing the same partial file (a mismatch, or worse).
t_trust_fs_two_gets_one_name() {
	cat >slow.py <<'PY'
for i, c in enumerate(conns()):
    recv_frame(c)
    c.sendall(frame(b"OK f 1000000 0"))
    recv_frame(c)
    c.sendall(frame(b"OK 1000000 0") + b"x" * 300000)
    c.recv(1)
    break
PY
	tfs_fake slow.py
	"$SK" fileserve get 127.0.0.1 "$FAKE_PORT" f.bin 2>first.err &
	g1=$!
	track $g1
	# (what came is written a 256 KiB piece at a time)
	wait_size f.bin.sockkit-part 262144 || fail "the first get wrote nothing"
	tfs_serve s -d .
	expect_exit 1 "$SK" fileserve get 127.0.0.1 "$PORT" fake.py -o f.bin \
	    2>err
	one_line err "sockkit: fileserve: f.bin: another fileserve get is writing it"
	[ "$(stat -c %s f.bin.sockkit-part)" -eq 262144 ] ||
	    fail "the part was touched"
	stop_server
}

# A local directory where the file would go (the default name): said
# before anything is fetched; it fetched it all, then failed to rename.
# put into a remote directory puts the file inside it, as scp does.
t_trust_fs_directories_in_the_way() {
	mkdir -p srv/drop cli/big.bin
	random_file srv/big.bin 3000000
	tfs_serve s -v -d srv --allow-upload
	cd cli
	expect_exit 1 "$SK" fileserve get 127.0.0.1 "$PORT" big.bin 2>err
	one_line err "sockkit: fileserve: big.bin: Is a directory"
	[ -z "$(ls -A big.bin)" ] && [ "$(ls)" = "big.bin
err" ] || fail "left: $(ls -A)"
	! grep -q 'GET big.bin' ../s.err || fail "fetched anyway"
	echo note >note.txt
	expect_exit 0 "$SK" fileserve put 127.0.0.1 "$PORT" note.txt drop
	expect_exit 0 "$SK" fileserve put 127.0.0.1 "$PORT" note.txt drop/
	[ "$(cat ../srv/drop/note.txt)" = note ] || fail "put into a directory"
	[ "$(ls ../srv/drop)" = note.txt ] || fail "drop: $(ls ../srv/drop)"
	cd ..
	stop_server
}

# A local file that grows while it is put: reported, exit 1, not
# verified as a mixture of two versions (the server never gets a SUM).
t_trust_fs_put_of_a_changing_file() {
	cat >slowread.py <<'PY'
def recvall(c, n):
    # MSG_WAITALL does not wait on a socket with a timeout (nonblocking
    # underneath in Python).
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            break
        b += d
    return b
for c in conns():
    req = recv_frame(c)
    size = int(req.split()[1])
    c.sendall(frame(b"OK 0"))
    got = len(recvall(c, 65536))
    open("started", "w").write("1")
    while not os.path.exists("changed"):
        time.sleep(0.05)
    while got < size:
        d = c.recv(1 << 20)
        if not d:
            break
        got += len(d)
    s = recv_frame(c)
    open("sum", "w").write(repr(s))
    if s is not None:
        c.sendall(frame(b"OK"))
    break
PY
	tfs_fake slowread.py
	random_file up.bin 20000000
	"$SK" fileserve put 127.0.0.1 "$FAKE_PORT" up.bin 2>err &
	p=$!
	track $p
	wait_for started 1 || fail "never started"
	echo more >>up.bin
	echo 1 >changed
	wait_exit $p || fail "put hung"
	[ "$RC" -eq 1 ] || fail "exit $RC: $(cat err)"
	one_line err "sockkit: fileserve: up.bin changed while it was sent: run again"
	wait_for sum . || fail "fake server"
	[ "$(cat sum)" = None ] || fail "a SUM was sent: $(cat sum)"
}

# A hostile server: a listing's type byte is an escape, a name holds a
# NUL, HELLO answers another version: "a malformed ..." every time, and
# no raw control byte reaches the terminal.
t_trust_fs_hostile_listing() {
	cat >hostile.py <<'PY'
for i, c in enumerate(conns()):
    if i == 2:
        c.close()
        break
    recv_frame(c)
    if i == 0:
        c.sendall(frame(b"OK 1") + frame(b"\x1b 5 0 name"))
    else:
        c.sendall(frame(b"OK 1") + frame(b"f 5 0 a\x00b"))
    c.close()
PY
	tfs_fake hostile.py
	for i in 1 2; do
		expect_exit 1 "$SK" fileserve ls 127.0.0.1 "$FAKE_PORT" \
		    >out 2>err
		one_line err "sockkit: fileserve: a malformed listing"
		[ ! -s out ] || fail "printed: $(od -c out | head -2)"
	done
	cat >v2.py <<'PY'
l.settimeout(20)
c, _ = l.accept()
recv_frame(c)
c.sendall(frame(b"OK 2"))
# Read until the client leaves: closing on its unread request would be a
# reset, which can take "OK 2" with it before the client has read it.
c.settimeout(20)
while c.recv(4096):
    pass
PY
	tfs_fake v2.py
	expect_exit 1 "$SK" fileserve ls 127.0.0.1 "$FAKE_PORT" 2>err
	one_line err "sockkit: fileserve: a malformed reply from the server"
}

# SIGTERM to the server in the middle of an upload: it finishes what it
# has received into the partial file, dies by the signal (143), and the
# next put resumes from there.
t_trust_fs_server_stopped_mid_upload() {
	mkdir srv
	random_file up.bin 200000000
	tfs_serve s -d srv --allow-upload
	"$SK" fileserve put 127.0.0.1 "$PORT" up.bin 2>/dev/null &
	p=$!
	track $p
	wait_size srv/.up.bin.sockkit-part 20000000 || fail "no part"
	stop_server
	wait $p 2>/dev/null
	[ ! -e srv/up.bin ] || skip "it ended before the signal"
	part=$(stat -c %s srv/.up.bin.sockkit-part)
	cmp -s -n "$part" up.bin srv/.up.bin.sockkit-part ||
	    fail "the part is not the file's start"
	tfs_serve s2 -d srv --allow-upload
	expect_exit 0 "$SK" fileserve put -v 127.0.0.1 "$PORT" up.bin 2>err
	grep -Eq '\(([1-9][0-9]*) resumed\)' err || fail "not resumed: $(cat err)"
	cmp -s up.bin srv/up.bin || fail "differs"
	stop_server
}

# Twenty uploads at once, each verified and byte-identical; and names
# the client sent are escaped in the server's log.
t_trust_fs_many_puts() {
	mkdir srv
	i=0
	while [ $i -lt 20 ]; do
		random_file "u$i" $((1000000 + i * 234567))
		i=$((i + 1))
	done
	tfs_serve s -v -d srv --allow-upload
	pids=""
	i=0
	while [ $i -lt 20 ]; do
		timeout 60 "$SK" fileserve put 127.0.0.1 "$PORT" "u$i" \
		    2>"err$i" &
		pids="$pids $!"
		i=$((i + 1))
	done
	for p in $pids; do
		wait "$p" || fail "a put failed: $(cat err*)"
	done
	i=0
	while [ $i -lt 20 ]; do
		cmp -s "u$i" "srv/u$i" || fail "u$i differs"
		i=$((i + 1))
	done
	# A name with control bytes is refused (issue 14.11): it would only
	# have to be escaped in every listing and log after.  The request is
	# logged escaped.
	evil=$(printf 'x\033]0;pwned\007y')
	cp u0 "$evil"
	expect_exit 1 "$SK" fileserve put 127.0.0.1 "$PORT" "$evil" 2>err
	[ "$(wc -l <err)" -eq 1 ] && grep -qF 'sockkit: fileserve: server: 403 x\x1b]0;pwned\x07y: a control byte' err ||
	    fail "$(cat err)"
	[ -z "$(ls -A srv | grep pwned)" ] || fail "written: $(ls -A srv)"
	grep -q 'ERR 403 x\\x1b\]0;pwned\\x07y' s.err || fail "log: $(cat s.err)"
	! grep -q "$(printf '\033')" s.err || fail "a raw escape in the log"
	stop_server
}

# An option of another action was taken and ignored (get -d DIR, serve
# -o x, put --no-resume); -o '' made a file named ".sockkit-part".
t_trust_fs_options_of_another_action() {
	expect_exit 2 "$SK" fileserve get -d x 127.0.0.1 1 f 2>err
	one_line err "sockkit: fileserve: -d goes with serve"
	expect_exit 2 "$SK" fileserve ls --allow-upload 127.0.0.1 1 2>err
	one_line err "sockkit: fileserve: --allow-upload goes with serve"
	expect_exit 2 "$SK" fileserve serve -o x 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: -o goes with get"
	expect_exit 2 "$SK" fileserve put --no-resume 127.0.0.1 1 f 2>err
	one_line err "sockkit: fileserve: --no-resume goes with get"
	expect_exit 2 "$SK" fileserve serve -w 1 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: -w goes with get, put and ls"
	expect_exit 2 "$SK" fileserve get -o '' 127.0.0.1 1 f 2>err
	one_line err "sockkit: fileserve: -o: an empty name"
	[ ! -e .sockkit-part ] || fail "made .sockkit-part"
}

# SIGTERM to the server while a client is mid-download: the stream is
# cut with a reset, never ended as if whole; the server dies by the
# signal; fileserve get exits 1 and keeps its part for the resume.
t_trust_fs_signal_resets_download() {
	mkdir srv
	random_file srv/big.bin 30000000
	tfs_serve s -d srv
	python3 - "$PORT" >py.out 2>&1 <<'PY' &
import os, socket, struct, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.settimeout(10)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(struct.pack(">I", 7) + b"HELLO 1" + struct.pack(">I", 13) +
    b"GET 0 big.bin")
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
	# fileserve get, held still mid-transfer while the server stops
	# (caught as soon as its part has bytes: a fast machine may finish
	# first, and then there is nothing to test).
	head -c 300000000 /dev/zero >srv/zero.bin
	tfs_serve s2 -d srv
	"$SK" fileserve get 127.0.0.1 "$PORT" zero.bin 2>err &
	p=$!
	track $p
	i=0
	while [ ! -s zero.bin.sockkit-part ] && [ ! -e zero.bin ] &&
	    [ $i -lt 2000 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	kill -STOP $p
	[ ! -e zero.bin ] || skip "the get ended before it could be stopped"
	[ -s zero.bin.sockkit-part ] || fail "no part"
	stop_server
	kill -CONT $p
	wait_exit $p || fail "get hung"
	[ "$RC" -eq 1 ] || fail "get exited $RC: $(cat err)"
	one_line err "sockkit: fileserve: the transfer was cut at [0-9]* of 300000000 bytes: .*run again to resume"
	[ -e zero.bin.sockkit-part ] && [ ! -e zero.bin ] ||
	    fail "part not kept: $(ls)"
	tfs_serve s3 -d srv
	expect_exit 0 "$SK" fileserve get -v 127.0.0.1 "$PORT" zero.bin 2>err
	grep -Eq '\(([1-9][0-9]*) resumed\)' err || fail "not resumed: $(cat err)"
	cmp -s zero.bin srv/zero.bin || fail "resumed file differs"
	stop_server
}

# A server that says nothing: the client says so, and names -w, instead
# of a bare "Connection timed out" or "Resource temporarily unavailable".
t_trust_fs_no_reply_message() {
	cat >mute.py <<'PY'
for c in conns():
    time.sleep(4)
    break
PY
	tfs_fake mute.py
	expect_exit 1 "$SK" fileserve ls -w 1 127.0.0.1 "$FAKE_PORT" 2>err
	one_line err "sockkit: fileserve: no reply from the server within 1 s (-w)$"
	cat >stall.py <<'PY'
for c in conns():
    recv_frame(c)
    c.sendall(frame(b"OK f 100 0"))
    recv_frame(c)
    c.sendall(frame(b"OK 100 0") + b"x" * 10)
    time.sleep(8)
    break
PY
	tfs_fake stall.py
	# -w 3: a loaded machine's python may take over a second to answer
	# the requests before the stall.
	expect_exit 1 "$SK" fileserve get -w 3 127.0.0.1 "$FAKE_PORT" f 2>err
	one_line err "sockkit: fileserve: the transfer was cut at 10 of 100 bytes: no reply from the server within 3 s (-w): run again to resume$"
}

# get -o -: the bytes alone on stdout, the outcome on stderr; a checksum
# that does not match exits 1 and says what went to stdout is bad.
t_trust_fs_stdout_checksum() {
	mkdir srv
	printf 'hello\n' >srv/f.txt
	tfs_serve s -d srv
	expect_exit 0 "$SK" fileserve get -v -o - 127.0.0.1 "$PORT" f.txt \
	    >out 2>err
	[ "$(cat out)" = hello ] || fail "stdout: $(cat -v out)"
	one_line err "sockkit: fileserve: stdout: 6 bytes (0 resumed) in .* s, verified"
	stop_server
	cat >badsum.py <<'PY'
for c in conns():
    recv_frame(c)
    c.sendall(frame(b"OK f 6 0"))
    recv_frame(c)
    c.sendall(frame(b"OK 6 0") + b"hellO\n" + frame(b"SUM 0123456789abcdef"))
    recv_frame(c)
    break
PY
	tfs_fake badsum.py
	expect_exit 1 "$SK" fileserve get -o - 127.0.0.1 "$FAKE_PORT" f.txt \
	    >out 2>err
	[ "$(cat out)" = hellO ] || fail "stdout: $(cat -v out)"
	one_line err "sockkit: fileserve: checksum mismatch for f.txt: what went to stdout is not the server's file: do not use it"
}

# serve -v: an upload cut short is logged as such, with how far it got
# and that the part is kept; the name escaped as elsewhere.
t_trust_fs_cut_upload_logged() {
	mkdir srv
	tfs_serve s -v -d srv --allow-upload
	python3 - "$PORT" <<'PY' || fail "python"
import socket, struct, sys
def recvall(c, n):
    # MSG_WAITALL does not wait on a socket with a timeout (nonblocking
    # underneath in Python).
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            break
        b += d
    return b
def frame(s):
    return struct.pack(">I", len(s)) + s
def recv_frame(c):
    n = struct.unpack(">I", recvall(c, 4))[0]
    return recvall(c, n) if n else b""
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
c.sendall(frame(b"HELLO 1") + frame(b"PUT 1000 back\\slash.bin"))
recv_frame(c)
assert recv_frame(c) == b"OK 0"
c.sendall(b"x" * 500)
c.close()
PY
	wait_for s.err 'disconnected: PUT back\\\\slash\.bin cut at 500 of 1000 bytes, kept to resume$' ||
	    fail "not logged"
	[ "$(stat -c %s 'srv/.back\slash.bin.sockkit-part')" = 500 ] ||
	    fail "part: $(ls -la srv)"
	stop_server
}

# Empty arguments are usage errors (2), not a runtime "No such file".
t_trust_fs_empty_arguments() {
	expect_exit 2 "$SK" fileserve serve -d '' 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: an empty -d DIR"
	expect_exit 2 "$SK" fileserve serve --iface= 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: an empty --iface NAME"
}

# --help's synopsis names every option its option list names (an
# option's short form if it has one), and so does the man page's
# ("sockkit help fileserve").
tfs_in_synopsis() {
	case $2 in
	--*) grep -qE -- "\\[$2([] =[]|$)" "$1" ;;
	*) grep -qE -- "\\[-[a-zA-Z0-9]*${2#-}[a-zA-Z0-9]*([] ]|$)" "$1" ;;
	esac
}

t_trust_fs_help_synopsis() {
	expect_exit 0 "$SK" fileserve --help >help
	expect_exit 0 "$SK" help fileserve >page
	awk '/^usage:/ { p = 1 } /^$/ { p = 0 } p' help >syn
	awk '/^SYNOPSIS/ { p = 1; next } /^$/ { p = 0 } p' page >msyn
	sed -nE 's/^ {1,6}(-[a-zA-Z0-9])[, ].*/\1/p
	    s/^ {1,6}(--[a-z][a-z-]*).*/\1/p' help | grep -v -- '^-h$' >opts
	[ "$(wc -l <opts)" -gt 8 ] || fail "options: $(cat opts)"
	while read -r o; do
		tfs_in_synopsis syn "$o" ||
		    fail "--help synopsis lacks $o: $(cat syn)"
		tfs_in_synopsis msyn "$o" ||
		    fail "man synopsis lacks $o: $(cat msyn)"
	done <opts
	grep -q -- '--idle-timeout' syn && grep -q -- '--announce' syn &&
	    grep -q -- '--iface' syn || fail "serve's options: $(cat syn)"
	for a in serve get put ls; do
		grep -q "sockkit fileserve $a " syn || fail "no $a: $(cat syn)"
		grep -q "sockkit fileserve $a " msyn || fail "no $a in the page"
	done
}

# A local user replaces an upload's partial file while it is under way:
# the server renames into place only the file it verified, never what
# now lies under the part's name.
t_trust_fs_part_replaced_mid_upload() {
	mkdir srv
	echo planted >planted
	head -c 1000 /dev/zero | tr '\0' y >srv/ref.bin
	tfs_serve s -d srv --allow-upload
	python3 - "$PORT" >py.out 2>&1 <<'PY' &
import os, socket, struct, sys, time
def recvall(c, n):
    # MSG_WAITALL does not wait on a socket with a timeout (nonblocking
    # underneath in Python).
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            break
        b += d
    return b
def frame(s):
    return struct.pack(">I", len(s)) + s
def recv_frame(c):
    n = struct.unpack(">I", recvall(c, 4))[0]
    return recvall(c, n) if n else b""
port = int(sys.argv[1])
# The right SUM, learnt from a GET of the same bytes.
g = socket.create_connection(("127.0.0.1", port), timeout=10)
g.sendall(frame(b"HELLO 1") + frame(b"GET 0 ref.bin"))
recv_frame(g); recv_frame(g)
data = recvall(g, 1000)
sum_line = recv_frame(g)
c = socket.create_connection(("127.0.0.1", port), timeout=10)
c.sendall(frame(b"HELLO 1") + frame(b"PUT 1000 up.bin"))
recv_frame(c)
assert recv_frame(c) == b"OK 0"
c.sendall(data[:500])
open("half", "w").write("1\n")
for i in range(200):
    if os.path.exists("swapped"):
        break
    time.sleep(0.05)
c.sendall(data[500:] + frame(sum_line))
print(recv_frame(c).decode())
PY
	p=$!
	track $p
	wait_for half 1 || fail "no upload"
	wait_size srv/.up.bin.sockkit-part 500 || fail "no part"
	mv srv/.up.bin.sockkit-part moved
	cp planted srv/.up.bin.sockkit-part
	echo 1 >swapped
	wait_exit $p || fail "the client hung"
	[ ! -e srv/up.bin ] || fail "renamed into place: $(cat srv/up.bin)"
	grep -q '^ERR 409 up.bin: its partial upload file was replaced' py.out ||
	    fail "reply: $(cat py.out)"
	stop_server
}

# python's and scp's habits on the command line: "serve 8000 www" took
# 8000 for an address and the directory for a port ("www" is 80); the
# directory shared goes after -d; HOST:PORT is two operands.
t_trust_fs_operand_mistakes() {
	mkdir www
	expect_exit 2 "$SK" fileserve serve 8000 www 2>err
	one_line err "sockkit: fileserve: '8000' is not an address: give one PORT, or ADDRESS PORT"
	expect_exit 2 "$SK" fileserve serve www 0 2>err
	one_line err "sockkit: fileserve: 'www' is a directory, not an address: share it with '-d www'"
	expect_exit 2 "$SK" fileserve serve 127.0.0.1 www 2>err
	one_line err "sockkit: fileserve: 'www' is a directory, not a port: share it with '-d www'"
	expect_exit 2 "$SK" fileserve serve www 2>err
	one_line err "sockkit: fileserve: 'www' is a directory, not a port"
	expect_exit 2 "$SK" fileserve get 127.0.0.1:9 f 2>err
	one_line err "sockkit: fileserve: '127.0.0.1:9': the host and the port are two operands: '127.0.0.1 9'"
	expect_exit 2 "$SK" fileserve ls '[::1]:9' 2>err
	one_line err "sockkit: fileserve: '\[::1\]:9': the host and the port are two operands: '::1 9'"
	# What is right still works.
	tfs_serve s -d www
	expect_exit 0 "$SK" fileserve ls 127.0.0.1 "$PORT" >/dev/null
	stop_server
}

# DIR is shared by what its name leads to, as http serves it: removed
# (said once), made again, a symbolic link pointed elsewhere; the old
# directory, gone, is not shared for ever.
t_trust_fs_dir_replaced() {
	mkdir v1 v2 www
	echo one >v1/t.txt
	echo two >v2/t.txt
	echo zero >www/t.txt
	tfs_serve s -d www
	# until_got TEXT: get t.txt to stdout gives TEXT within 3 s.
	until_got() {
		i=0
		while [ "$("$SK" fileserve get -o - 127.0.0.1 "$PORT" t.txt \
		    2>/dev/null)" != "$1" ]; do
			[ $i -lt 30 ] || fail "t.txt is not $1"
			sleep 0.1
			i=$((i + 1))
		done
	}
	until_got zero
	rm -rf www
	wait_for s.err 'www: removed: nothing is shared until it is made again$' ||
	    fail "not said"
	mkdir www
	echo again >www/t.txt
	until_got again
	wait_for s.err "now sharing $PWD/www\$" || fail "not said"
	rm -rf www
	ln -s v1 www
	until_got one
	ln -sfn v2 www.new
	mv -T www.new www
	until_got two
	[ "$(grep -c 'removed' s.err)" = 1 ] || fail "said more than once"
	stop_server
}

# An announced NAME is checked as broadcast announce checks it: a control
# byte in it used to be accepted, and discover then dropped the
# announcement without a word.
t_trust_fs_announce_name_checked() {
	for name in "$(printf 'a\033b')" "$(printf 'a\nb')" 'a b' \
	    "$(printf 'caf\351')"; do
		timeout 5 "$SK" fileserve serve --announce="$name" 127.0.0.1 0 \
		    >out 2>err
		RC=$?
		[ $RC -eq 2 ] || fail "'$name': exit $RC"
		one_line err "sockkit: fileserve: --announce: a NAME is 1-64"
	done
}

# get -o TARGET where TARGET is not a regular file: it wrote a part and
# renamed it over TARGET, so -o /dev/null made /dev/null a regular file.
# A device or FIFO (links followed) is written into as stdout is; a link
# to a regular file (or to a name not there yet) is written through, and
# stays a link.  Our own char device 1,3 stands in for /dev/null.
t_trust_fs_get_into_devices_and_links() {
	mkdir -p srv cli/d
	random_file srv/f.bin 300000
	tfs_serve s -d srv
	cd cli
	mknod null c 1 3 || skip "mknod: no char devices here"
	mknod d/f.bin c 1 3
	for args in "-o null" "-o null --no-resume" "-o d" "-o d/"; do
		: >null.sockkit-part
		expect_exit 0 "$SK" fileserve get $args 127.0.0.1 "$PORT" f.bin
		[ -c null ] && [ -c d/f.bin ] || fail "$args: replaced: $(ls -l)"
		[ ! -s null.sockkit-part ] && [ ! -e d/f.bin.sockkit-part ] ||
		    fail "$args: a part was written"
	done
	rm null.sockkit-part
	ln -s null lnull
	expect_exit 0 "$SK" fileserve get -o lnull 127.0.0.1 "$PORT" f.bin
	[ -L lnull ] && [ -c null ] || fail "lnull: $(ls -l)"
	# A FIFO, with a reader: it gets the file, the FIFO stays.
	mkfifo ff
	timeout 10 cat ff >fifo.out &
	r=$!
	track $r
	expect_exit 0 "$SK" fileserve get -o ff 127.0.0.1 "$PORT" f.bin
	wait $r || fail "the FIFO's reader: exit $?"
	[ -p ff ] || fail "ff: $(ls -l ff)"
	cmp -s fifo.out ../srv/f.bin || fail "the FIFO's reader got other bytes"
	# Links to a regular file, to none yet, and through a chain of two.
	echo old >real.bin
	ln -s real.bin lnk
	ln -s new.bin dang
	mkdir sub
	ln -s ../sub/t.bin sub/l1
	ln -s sub/l1 chain
	for l in lnk dang chain; do
		expect_exit 0 "$SK" fileserve get -o $l 127.0.0.1 "$PORT" f.bin
		[ -L $l ] || fail "$l: no longer a link: $(ls -l $l)"
		cmp -s $l ../srv/f.bin || fail "$l: not written through"
	done
	[ -z "$(find . -name '*.sockkit-part')" ] ||
	    fail "parts left: $(find . -name '*.sockkit-part')"
	cd ..
	stop_server
}

# put of a FIFO hung for ever in open(), before connecting: refused like
# any file that is not a regular one.
t_trust_fs_put_fifo_refused() {
	tfs_serve s -d . --allow-upload
	mkfifo ff
	expect_exit 1 "$SK" fileserve put 127.0.0.1 "$PORT" ff 2>err
	one_line err "sockkit: fileserve: ff: not a regular file"
	stop_server
}

# An empty REMOTE_PATH: put said "server: 403 /n.txt: an absolute path",
# get ": not a regular file" (exit 1).  A usage error now.
t_trust_fs_empty_remote_path() {
	echo n >n.txt
	expect_exit 2 "$SK" fileserve put 127.0.0.1 9 n.txt "" 2>err
	one_line err "sockkit: fileserve: an empty REMOTE_PATH"
	expect_exit 2 "$SK" fileserve get 127.0.0.1 9 "" 2>err
	one_line err "sockkit: fileserve: an empty REMOTE_PATH"
	expect_exit 2 "$SK" fileserve get -o x 127.0.0.1 9 "" 2>err
	one_line err "sockkit: fileserve: an empty REMOTE_PATH"
	expect_exit 2 "$SK" fileserve ls 127.0.0.1 9 "" 2>err
	one_line err "sockkit: fileserve: an empty REMOTE_DIR"
}

# =====================================================================
# http off the happy path, as a demanding
# user meets it: hostile names in listings and in the log, HTTP/1.0
# keep-alive, a served directory removed or replaced, an encoded slash,
# ^C mid-download, log files that cannot be written, python's and nc's
# habits on the command line.

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

# What the man page says of NUL bytes and of the 503s holds: %00 is a
# bad request (400, as nginx answers it; the page said 403), and it is
# in the log.
t_trust_http_nul_is_400() {
	mkdir www
	echo hi >www/a.txt
	start_server s http -d www 127.0.0.1 0
	[ "$(code "http://127.0.0.1:$PORT/a.txt%00")" = 400 ] ||
	    fail "%00: $(code "http://127.0.0.1:$PORT/a.txt%00")"
	[ "$(code "http://127.0.0.1:$PORT/a.txt")" = 200 ] || fail "a.txt"
	wait_for s.err '"GET /a.txt%00 HTTP/1.1" 400' || fail "not logged"
	stop_server
	"$SK" help http | tr -s ' \n' '  ' |
	    grep -q 'an encoded NUL byte (%00) gets 400' ||
	    fail "the man page says otherwise"
}

# =====================================================================
# ipcalc off the happy path, as a demanding user
# meets it: input that pauses or cannot be read, a non-blocking stdin,
# hostile bytes on the terminal and in JSON, ^C and SIGTERM.

# Standard input that cannot be read (closed, a directory) is a runtime
# error, said once, never a silent success with nothing done.
t_trust_ipcalc_stdin_unreadable_is_an_error() {
	timeout 20 "$SK" ipcalc - <&- >out 2>err
	rc=$?
	[ $rc = 1 ] || fail "closed stdin: exit $rc"
	one_line err "sockkit: ipcalc: read stdin: Bad file descriptor"
	timeout 20 "$SK" ipcalc --json - </ >out 2>err
	rc=$?
	[ $rc = 1 ] || fail "directory: exit $rc"
	one_line err "sockkit: ipcalc: read stdin: Is a directory"
}

# Bulk mode fed by something slow (tail -f, a person at a pipe): each
# answer comes as soon as its line has, not when 64 KiB have piled up or
# the input ends.
t_trust_ipcalc_answers_while_input_pauses() {
	python3 - "$SK" <<'PY' || fail "no answer while the input paused"
import select, subprocess, sys
p = subprocess.Popen([sys.argv[1], "ipcalc", "--json", "-"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
try:
    for a in ["10.0.0.1/8", "2001:db8::1/64"]:
        p.stdin.write(a.encode() + b"\n")
        p.stdin.flush()
        r, _, _ = select.select([p.stdout], [], [], 5)
        assert r, "nothing for %s within 5 s" % a
        line = p.stdout.readline()
        assert b'"prefix":' in line, line
finally:
    p.stdin.close()
    p.wait(timeout=10)
PY
}

# A non-blocking stdin (inherited from a parent that set O_NONBLOCK on
# the pipe) is waited on, not taken for the end of the input.
t_trust_ipcalc_nonblocking_stdin() {
	python3 - "$SK" <<'PY' || fail "lines lost on a non-blocking stdin"
import os, subprocess, sys, time
r, w = os.pipe()
os.set_blocking(r, False)
p = subprocess.Popen([sys.argv[1], "ipcalc", "-"], stdin=r,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
os.close(r)
for i in range(5):
    os.write(w, b"10.0.0.%d\n" % i)
    time.sleep(0.1)     # a producer with pauses: reads find nothing
os.close(w)
out, err = p.communicate(timeout=20)
assert p.returncode == 0, (p.returncode, err)
assert out.count(b"\n") == 5, out
PY
}

# No byte the user typed reaches the terminal raw, whatever option it was
# given to: ESC, BEL, C1 (0x9b is CSI) come out as \xHH.
t_trust_ipcalc_hostile_bytes_never_reach_the_terminal() {
	esc=$(printf '\033]0;owned\007')
	csi=$(printf '\302\233')
	: >all.err
	for args in "--split $esc 10.0.0.0/8" "--limit $esc --split 9 10.0.0.0/8" \
	    "--range $esc" "--range 1.1.1.1-$csi" "--contains $esc 10.0.0.0/8" \
	    "10.0.0.1/$esc" "10.0.0.1 $esc" "$esc" "--x$esc" "-6 $csi" \
	    "10.0.0.1 255.0.0.0 $esc"; do
		# shellcheck disable=SC2086
		timeout 20 "$SK" ipcalc $args >/dev/null 2>err </dev/null
		rc=$?
		[ $rc = 2 ] || fail "ipcalc $args: exit $rc"
		one_line err "sockkit: ipcalc: "
		cat err >>all.err
	done
	printf '%s\n10.0.0.1 %s\n' "$esc" "$csi" |
	    timeout 20 "$SK" ipcalc - >/dev/null 2>>all.err
	LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" all.err &&
	    fail "a control byte raw: $(od -c all.err | head)"
	grep -q "$csi" all.err && fail "C1 raw: $(cat all.err)"
	grep -q 'x1b' all.err || fail "no escape shown: $(cat all.err)"
}

# A bad line's "input" in JSON is the line: UTF-8 as it is (not read as
# Latin-1), other bytes as \u00XX, still valid JSON.
t_trust_ipcalc_json_error_keeps_utf8() {
	printf 'caf\303\251\n\351t\351\n\302\233x\n' |
	    "$SK" ipcalc --json - >out 2>/dev/null
	python3 -c '
import json
o = [json.loads(l)["input"] for l in open("out", encoding="utf-8")]
assert o == ["caf\u00e9", "\u00e9t\u00e9", "\u00c2\u009bx"], o' ||
	    fail "inputs: $(cat out)"
}

# ^C at a terminal while bulk mode waits for a line, and SIGTERM during
# an endless --split: dead by the signal, 130 and 143.
t_trust_ipcalc_interrupted() {
	timeout 30 python3 "$TERM_PY" --ctrl-c '' --delay 0.3 \
	    "$SK" ipcalc - >tty.out
	rc=$?
	[ $rc = 130 ] || fail "^C: exit $rc: $(cat tty.out)"
	timeout 30 python3 "$TERM_PY" --signal TERM --after '' --delay 0.3 \
	    "$SK" ipcalc --split 128 ::/0 >/dev/null
	rc=$?
	[ $rc = 143 ] || fail "SIGTERM: exit $rc"
}

# --range as whois writes it ("inetnum: 10.0.0.0 - 10.0.0.255"), pasted
# with its spaces: the same blocks as without them.
t_trust_ipcalc_range_as_whois_writes_it() {
	"$SK" ipcalc --range '192.0.2.0 - 192.0.2.255' >out 2>err ||
	    fail "spaces: $(cat err)"
	[ "$(cat out)" = 192.0.2.0/24 ] || fail "$(cat out)"
	"$SK" ipcalc --range "$(printf '2001:db8::\t-\t2001:db8::ff')" >out ||
	    fail "tabs"
	[ "$(cat out)" = 2001:db8::/120 ] || fail "$(cat out)"
	expect_exit 2 "$SK" ipcalc --range '192.0.2.0 - ' 2>err
	one_line err "sockkit: ipcalc: invalid address ''"
}

# Other calculators' habits: Debian ipcalc's "A - B" and "-r", sipcalc's
# "-s", a range typed where an address goes: each names --range or
# --split (a range stays an "invalid address", as the contract says).
t_trust_ipcalc_other_calculators_habits() {
	expect_exit 2 "$SK" ipcalc 10.0.0.1 - 10.0.0.9 </dev/null 2>err
	one_line err "sockkit: ipcalc: a range is one operand of --range: 'sockkit ipcalc --range 10.0.0.1-10.0.0.9'"
	expect_exit 2 "$SK" ipcalc 10.0.0.1-10.0.0.9 2>err
	one_line err "sockkit: ipcalc: invalid address '10.0.0.1-10.0.0.9' (a range? 'sockkit ipcalc --range 10.0.0.1-10.0.0.9')"
	expect_exit 2 "$SK" ipcalc -s 26 10.0.0.0/24 2>err
	one_line err "sockkit: ipcalc: -s: to split use --split PREFIX"
	expect_exit 2 "$SK" ipcalc -r 10.0.0.1-10.0.0.9 2>err
	one_line err "sockkit: ipcalc: -r: for the blocks of a range use --range A-B"
	expect_exit 2 "$SK" ipcalc "$(printf 'a\033-b')" 2>err
	one_line err "sockkit: ipcalc: invalid address 'a\\\\x1b-b'"
}

# DIR renamed away and back: the same directory is shared again.  (Its
# name led nowhere for a moment; coming back as the very directory held,
# it stayed "removed" and every request was refused until a restart.)
t_trust_fs_dir_renamed_back() {
	mkdir www
	echo zero >www/t.txt
	tfs_serve s -d www
	"$SK" fileserve get -o - 127.0.0.1 "$PORT" t.txt >got 2>/dev/null
	[ "$(cat got)" = zero ] || fail "first get: $(cat got)"
	mv www away
	wait_for s.err 'www: removed: nothing is shared until it is made again$' ||
	    fail "not said"
	mv away www
	wait_for s.err "now sharing $PWD/www\$" || fail "not said: $(cat s.err)"
	"$SK" fileserve get -o - 127.0.0.1 "$PORT" t.txt >got 2>err ||
	    fail "after the rename back: $(cat err)"
	[ "$(cat got)" = zero ] || fail "$(cat got)"
	stop_server
}

t_trust_http_dir_renamed_back() {
	mkdir www
	echo zero >www/t.txt
	start_server h http -d www 127.0.0.1 0
	U=http://127.0.0.1:$PORT
	[ "$(curl -s "$U/t.txt")" = zero ] || fail "first get"
	mv www away
	wait_for h.err 'www: removed: nothing is served until it is made again$' ||
	    fail "not said"
	[ "$(code "$U/t.txt")" = 404 ] || fail "while away: $(code "$U/t.txt")"
	mv away www
	wait_for h.err "now serving $PWD/www\$" || fail "not said: $(cat h.err)"
	[ "$(curl -s "$U/t.txt")" = zero ] || fail "after the rename back"
	stop_server
}

# udp-server printing into a FIFO nobody reads: SIGTERM ends it.  (A
# write the signal cut short came back with what it wrote, stdio wrote
# the rest blocked again, the signal spent: it never ended.)
t_trust_udp_signal_while_stdout_blocked() {
	rm -f fifo
	mkfifo fifo
	sleep 30 <fifo &
	hold=$!
	track $hold
	for f in "" --hex; do
		: >s.err
		rm -f rc.txt spid
		# The same stdout (one open file) for the server and, after it,
		# a check that it was given back blocking.
		sh -c '"$1" udp-server $2 127.0.0.1 0 2>s.err &
		    echo $! >spid
		    wait $!
		    echo "rc=$?" >rc.txt
		    python3 -c "import fcntl, os, sys; sys.exit(1 if fcntl.fcntl(1, fcntl.F_GETFL) & os.O_NONBLOCK else 0)"
		    echo "nb=$?" >>rc.txt' sh "$SK" "$f" >fifo &
		track $!
		wait_for s.err 'listening on' || fail "$(cat s.err)"
		spid=$(cat spid)
		track $spid
		port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' s.err)
		python3 - "$port" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(60):
    s.sendto(b"x" * 60000, ("127.0.0.1", int(sys.argv[1])))
PY
		# Until the pipe is full and the server waits on it.
		i=0
		while [ $i -lt 100 ] && ! grep -q pipe_w \
		    "/proc/$spid/wchan" 2>/dev/null; do
			sleep 0.05
			i=$((i + 1))
		done
		kill -TERM "$spid"
		wait_for rc.txt '^nb=' || fail "udp-server $f hung after SIGTERM"
		grep -q '^rc=143$' rc.txt || fail "$f: $(cat rc.txt) ($(cat s.err))"
		grep -q '^nb=0$' rc.txt || fail "$f: stdout left nonblocking"
		grep -v 'listening on' s.err | grep . && fail "$f: said more"
	done
	kill $hold 2>/dev/null
}
