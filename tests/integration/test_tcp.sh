# test_tcp.sh - tcp-server and tcp-client against real peers (nc, socat,
# python3) on loopback and Unix sockets: the listening line, stdio mode
# with half-closes both ways, echo and upper on every backend, clean stops.

BACKENDS="select poll epoll"

t_listening_line() {
	start_server s tcp-server --echo 127.0.0.1 0
	one_line s.err "sockkit: tcp-server: listening on 127.0.0.1:"
	[ "$PORT" -gt 0 ] && [ "$PORT" -lt 65536 ] || fail "port $PORT"
	stop_server
}

t_default_address_is_dual_stack() {
	start_server s tcp-server --echo 0
	grep -Eq 'listening on (\[::\]|0\.0\.0\.0):' s.err || fail "$(cat s.err)"
	echo v4 | timeout 10 nc -N 127.0.0.1 "$PORT" >out4
	[ "$(cat out4)" = v4 ] || fail "IPv4 client got '$(cat out4)'"
	if have_ipv6 && grep -q '\[::\]' s.err; then
		echo v6 | timeout 10 nc -N ::1 "$PORT" >out6
		[ "$(cat out6)" = v6 ] || fail "IPv6 client got '$(cat out6)'"
	fi
	stop_server
}

# SIGTERM, and ^C at a terminal, stop a server: it cleans up and dies by
# the signal.  A script's background job starts with SIGINT ignored, and
# it stays so (as nc and python leave it).
t_sigterm_and_sigint_stop_cleanly() {
	start_server s tcp-server --echo 127.0.0.1 0
	stop_server
	timeout 20 python3 "$TOP/tests/integration/term.py" \
	    --ctrl-c 'listening on' "$SK" tcp-server --echo 127.0.0.1 0 >t.out
	RC=$?
	[ "$RC" -eq 130 ] || fail "exit $RC after ^C, not 130: $(cat t.out)"
	start_server s tcp-server --echo 127.0.0.1 0
	kill -INT "$SPID"
	echo still | timeout 10 "$SK" tcp-client 127.0.0.1 "$PORT" >got ||
	    fail "an ignored SIGINT stopped the server"
	[ "$(cat got)" = still ] || fail "echo after SIGINT: $(cat got)"
	stop_server
}

t_echo_every_backend() {
	random_file data 3000000
	for b in $BACKENDS; do
		start_server s tcp-server --echo --backend "$b" 127.0.0.1 0
		timeout 20 "$SK" tcp-client --backend "$b" 127.0.0.1 "$PORT" \
		    <data >back || fail "$b: client failed"
		cmp -s data back || fail "$b: echo differs"
		# A python3 client too, talking in small pieces.
		timeout 20 python3 - "$PORT" <<'PY' || fail "$b: python client"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
for i in range(100):
    s.sendall(b"line %d\n" % i)
    want = b"line %d\n" % i
    got = b""
    while len(got) < len(want):
        got += s.recv(len(want) - len(got))
    assert got == want, (got, want)
s.close()
PY
		stop_server
	done
}

t_upper() {
	start_server s tcp-server --upper 127.0.0.1 0
	printf 'Hello, World! 123 \303\251\n' | timeout 10 nc -N 127.0.0.1 "$PORT" >out
	printf 'HELLO, WORLD! 123 \303\251\n' >want
	cmp -s out want || fail "upper: '$(cat out)'"
	stop_server
}

t_discard() {
	start_server s tcp-server --discard -v 127.0.0.1 0
	random_file data 1000000
	timeout 10 "$SK" tcp-client 127.0.0.1 "$PORT" <data >out ||
	    fail "client failed"
	[ ! -s out ] || fail "discard sent something back"
	wait_for s.err 'in 1000000 B, out 0 B' || fail "no byte counts"
	stop_server
}

# stdio server, nc client: both directions, then the server exits by itself.
t_stdio_server_nc_client() {
	random_file srvdata 2000000
	random_file clidata 2000000
	SERVER_STDIN=srvdata start_server s tcp-server 127.0.0.1 0
	timeout 20 nc -N 127.0.0.1 "$PORT" <clidata >got_by_client ||
	    fail "nc failed"
	wait_exit "$SPID" || fail "server did not exit after both ended"
	[ "$RC" -eq 0 ] || fail "server exit $RC"
	cmp -s clidata s.out || fail "server stdout differs"
	cmp -s srvdata got_by_client || fail "client got a different file"
}

# The client half-closes at once; the server must still send all of stdin.
t_stdio_server_client_halfcloses_first() {
	random_file srvdata 5000000
	SERVER_STDIN=srvdata start_server s tcp-server 127.0.0.1 0
	timeout 20 nc -N 127.0.0.1 "$PORT" </dev/null >got || fail "nc failed"
	wait_exit "$SPID" || fail "server did not exit"
	cmp -s srvdata got || fail "client got $(wc -c <got) of 5000000 bytes"
}

# A server that answers only well after our EOF: we must keep reading.
# (socat cannot play it: it closes 0.5 s after one side's EOF.)
t_client_reads_reply_after_eof() {
	python3 - >port.txt 2>py.err <<'PY' &
import socket
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
print(l.getsockname()[1], flush=True)
l.settimeout(20)
c, _ = l.accept()
c.settimeout(20)
while c.recv(65536):
    pass
import time
time.sleep(1.5)
c.sendall(b"late-reply\n")
c.close()
PY
	track $!
	wait_for port.txt '^[0-9]+$' || fail "python server did not start"
	echo request | timeout 20 "$SK" tcp-client 127.0.0.1 "$(cat port.txt)" \
	    >out || fail "client exit $?"
	[ "$(cat out)" = late-reply ] || fail "got '$(cat out)'"
}

t_client_to_nc_server_both_ways() {
	random_file a 3000000
	random_file b 3000000
	# nc -lv on port 0 names the port it got: "Listening on HOST PORT".
	timeout 30 nc -lv 127.0.0.1 0 <b >nc_got 2>nc.err &
	ncpid=$!
	track $ncpid
	wait_for nc.err '^Listening on ' || fail "nc did not listen"
	port=$(sed -n 's/^Listening on .* \([0-9][0-9]*\)$/\1/p' nc.err)
	# nc -l quits as soon as its peer has half-closed and nc's own stdin
	# buffer is empty for a moment, even with stdin unread: so our stdin
	# ends only once all of b has arrived (else the test races nc).
	{ cat a; wait_size sk_got 3000000; } |
	    timeout 30 "$SK" tcp-client 127.0.0.1 "$port" >sk_got 2>err ||
	    fail "client: $(cat err)"
	wait_exit $ncpid || fail "nc did not finish"
	cmp -s a nc_got || fail "nc got a different file"
	cmp -s b sk_got || fail "we got a different file"
}

t_refused_and_timeout() {
	start_server s tcp-server --echo 127.0.0.1 0
	port=$PORT
	stop_server
	expect_exit 1 "$SK" tcp-client -w 2 127.0.0.1 "$port" </dev/null 2>err
	one_line err "sockkit: tcp-client: connect to 127.0.0.1:$port: Connection refused"
}

t_unix_socket() {
	UNIX_SERVER=1 start_server s tcp-server --echo -U "$PWD/sock"
	one_line s.err "sockkit: tcp-server: listening on $PWD/sock"
	echo over-unix | timeout 10 "$SK" tcp-client -U "$PWD/sock" >out ||
	    fail "client failed"
	[ "$(cat out)" = over-unix ] || fail "got '$(cat out)'"
	echo via-socat | timeout 10 socat - UNIX-CONNECT:"$PWD/sock" >out2
	[ "$(cat out2)" = via-socat ] || fail "socat got '$(cat out2)'"
	stop_server
	[ ! -e sock ] || fail "socket file left behind"
	# A stale socket file (its server killed) is replaced safely.
	UNIX_SERVER=1 start_server s tcp-server --echo -U "$PWD/sock"
	kill -KILL "$SPID"
	wait "$SPID" 2>/dev/null
	[ -S sock ] || fail "expected a stale socket"
	UNIX_SERVER=1 start_server s2 tcp-server --echo -U "$PWD/sock"
	stop_server
	# A regular file in the way is an error, and is left alone.
	echo keep >file
	expect_exit 1 "$SK" tcp-server --echo -U "$PWD/file" 2>err
	one_line err "sockkit: tcp-server: $PWD/file exists and is not a socket"
	[ "$(cat file)" = keep ] || fail "file was touched"
}

t_ipv6_loopback() {
	have_ipv6 || return 0
	start_server s tcp-server --echo ::1 0
	one_line s.err "sockkit: tcp-server: listening on \[::1\]:"
	echo six | timeout 10 "$SK" tcp-client -6 ::1 "$PORT" >out ||
	    fail "client failed"
	[ "$(cat out)" = six ] || fail "got '$(cat out)'"
	stop_server
}

t_max_clients() {
	start_server s tcp-server --echo --max-clients 1 -v 127.0.0.1 0
	# Hold one client open; a second is turned away while it is there:
	# told why, then reset (even its connect may already see the reset).
	python3 - "$PORT" <<'PY' || fail "max-clients not enforced"
import socket, sys
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port), timeout=5)
a.sendall(b"a")
assert a.recv(1) == b"a"
got = b""
try:
    b = socket.create_connection(("127.0.0.1", port), timeout=5)
    while True:
        d = b.recv(100)
        assert d, "a clean end, not a reset: %r" % got
        got += d
except ConnectionResetError:
    pass
assert got in (b"", b"sockkit: tcp-server: server full (1 client)\n"), got
a.sendall(b"b")
assert a.recv(1) == b"b"
a.close()
PY
	wait_for s.err 'refused a client' || fail "no log line"
	stop_server
}

# Issue point 12: a client turned away by --max-clients is told why, in
# the mode's form (a line, or a frame with --frame), and the connection
# is then reset; tcp-client prints the line and exits 1, also while its
# stdin is still being sent.
t_max_clients_says_server_full() {
	random_file data 3000000
	for mode in line frame; do
		sopts=--echo copts=
		[ $mode = frame ] && sopts="--upper --frame" copts=--frame
		# shellcheck disable=SC2086
		start_server s tcp-server $sopts --max-clients 2 -v 127.0.0.1 0
		mkfifo hold
		for i in 1 2; do
			# shellcheck disable=SC2086
			"$SK" tcp-client $copts 127.0.0.1 "$PORT" <hold \
			    >/dev/null 2>&1 &
			track $!
		done
		exec 3>hold
		i=0
		while [ "$(grep -c ' connected$' s.err)" -lt 2 ] &&
		    [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		# shellcheck disable=SC2086
		timeout 10 "$SK" tcp-client $copts --send x 127.0.0.1 "$PORT" \
		    >out 2>err
		RC=$?
		[ "$RC" -eq 1 ] || fail "$mode: refused client exit $RC"
		[ "$(cat out)" = "sockkit: tcp-server: server full (2 clients)" ] ||
		    fail "$mode: got '$(cat out)' ($(cat err))"
		grep -q 'reset' err || fail "$mode: no reset: $(cat err)"
		# shellcheck disable=SC2086
		timeout 10 "$SK" tcp-client $copts 127.0.0.1 "$PORT" <data \
		    >out2 2>err2
		RC=$?
		[ "$RC" -eq 1 ] || fail "$mode, streaming: exit $RC"
		grep -qx 'sockkit: tcp-server: server full (2 clients)' out2 ||
		    fail "$mode, streaming: '$(head -c 200 out2)' ($(cat err2))"
		exec 3>&-
		rm -f hold
		stop_server
	done
}

t_idle_timeout() {
	start_server s tcp-server --echo --idle-timeout 1 -v 127.0.0.1 0
	python3 - "$PORT" <<'PY' || fail "idle client not dropped"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
t = time.time()
assert s.recv(1) == b""
assert 0.5 < time.time() - t < 5, time.time() - t
PY
	wait_for s.err 'disconnected .*: idle' || fail "no log line"
	stop_server
}

# The relay's zero-copy paths (Linux): the socket spliced into a pipe, or
# through a pipe into a file or /dev/null; a regular file sent with
# sendfile.  Each must deliver every byte, and fall back where refused.
t_zero_copy_paths() {
	random_file data 20000000
	# Regular file in (sendfile), pipe out (splice).
	start_server s tcp-server --echo 127.0.0.1 0
	timeout 30 "$SK" tcp-client 127.0.0.1 "$PORT" <data | cat >back ||
	    fail "client failed"
	cmp -s data back || fail "file -> pipe differs"
	# Pipe in (copied), /dev/null out (through our own pipe).
	cat data | timeout 30 "$SK" tcp-client -v 127.0.0.1 "$PORT" \
	    >/dev/null 2>err || fail "client failed"
	grep -q 'sent 20000000 B, received 20000000 B' err ||
	    fail "bytes lost: $(cat err)"
	stop_server
	# A stdio server writing into a pipe, fed by a pipe.
	( "$SK" tcp-server 127.0.0.1 0 <data 2>p.err | cat >p.out ) &
	track $!
	wait_for p.err 'listening on' || fail "no listening line"
	port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' p.err)
	cat data | timeout 30 nc -N 127.0.0.1 "$port" >got || fail "nc"
	i=0
	while ! cmp -s data p.out && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	cmp -s data p.out || fail "socket -> pipe (server) differs"
	cmp -s data got || fail "file -> socket (server, sendfile) differs"
}

# refused MESSAGE CMD...: a usage error, at once: exit 2 and one line
# "sockkit: CMD: MESSAGE..." (bounded: a build that takes the options
# would start serving instead).
refused() {
	msg=$1
	shift
	timeout 5 "$SK" "$@" </dev/null >/dev/null 2>err
	RC=$?
	[ "$RC" -eq 2 ] || fail "'$*' exited $RC, wanted 2: $(cat err)"
	one_line err "sockkit: ${1}: $msg"
}

# Issue point 10: options that would do nothing where they are given
# are usage errors naming the conflict, not silently accepted.
t_options_that_do_nothing_are_refused() {
	refused "--max-line goes with --chat" tcp-server --max-line 9 127.0.0.1 0
	refused "--max-queue goes with --chat" tcp-server --echo --max-queue 4096 \
	    127.0.0.1 0
	refused "--max-frame goes with --frame" tcp-server --echo --max-frame 9 \
	    127.0.0.1 0
	refused "--max-clients is not for stdio mode" tcp-server --max-clients 3 \
	    127.0.0.1 0
	refused "--max-clients is not for stdio mode" tcp-server -k \
	    --max-clients 3 127.0.0.1 0
	refused "--busy-poll is not for stdio mode" tcp-server --busy-poll 9 \
	    127.0.0.1 0
	refused "--json: tcp-server has no JSON output" tcp-server --echo --json \
	    127.0.0.1 0
	refused "-U PATH takes no -4" tcp-server --echo -4 -U "$PWD/s"
	refused "-s: give the address as an operand" tcp-server -s 127.0.0.1 0
	refused "-U PATH takes no -s" tcp-client -s 127.0.0.1 -U "$PWD/s"
	refused "-U PATH takes no -p" tcp-client -p 4000 -U "$PWD/s"
	refused "-U PATH takes no -6" tcp-client -6 -U "$PWD/s"
	refused "--parallel goes with -z" tcp-client --parallel 5 127.0.0.1 9
	refused "--max-frame goes with --frame" tcp-client --max-frame 9 \
	    127.0.0.1 9
	refused "--json goes with -z" tcp-client --json 127.0.0.1 9
	refused "-z takes no -s" tcp-client -z -s 127.0.0.1 127.0.0.1 9
	refused "-z takes no -p" tcp-client -z -p 4000 127.0.0.1 9
	# The valid forms still run.
	start_server s tcp-server --chat --max-line 100 --max-queue 4096 \
	    --max-clients 5 --busy-poll 0 127.0.0.1 0
	stop_server
	start_server s tcp-server --echo --frame --max-frame 100 127.0.0.1 0
	printf 'x\n' | timeout 10 "$SK" tcp-client --frame --max-frame 100 \
	    127.0.0.1 "$PORT" >out || fail "frame client"
	[ "$(cat out)" = x ] || fail "frame echo: $(cat out)"
	stop_server
}

# Decimal seconds for -w and --idle-timeout (cmd_seconds), defaults kept.
t_decimal_timeouts() {
	start_server s tcp-server --discard 127.0.0.1 0
	mkfifo hold
	exec 3<>hold
	start=$(date +%s%N)
	timeout 10 "$SK" tcp-client -w 0.3 127.0.0.1 "$PORT" <hold 2>err
	RC=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$RC" -eq 1 ] || fail "-w 0.3: exit $RC"
	one_line err "sockkit: tcp-client: idle for 0.3s (-w): closing"
	[ "$ms" -lt 3000 ] || fail "-w 0.3 took $ms ms"
	stop_server
	start_server s tcp-server --echo --idle-timeout 0.4 -v 127.0.0.1 0
	python3 - "$PORT" <<'PY' || fail "--idle-timeout 0.4"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
t = time.time()
assert s.recv(1) == b""
assert 0.3 < time.time() - t < 2, time.time() - t
PY
	stop_server
	refused "-w: invalid seconds '0.5s'" tcp-client -w 0.5s 127.0.0.1 9
	refused "--idle-timeout: invalid seconds '-1'" tcp-server --echo \
	    --idle-timeout -1 0
	# In stdio mode the idle timeout is nothing moving either way: the
	# session is cut (a reset), and the exit status is 1.
	SERVER_STDIN=hold start_server io tcp-server --idle-timeout 0.5 \
	    127.0.0.1 0
	timeout 10 "$SK" tcp-client 127.0.0.1 "$PORT" <hold 2>cerr
	RC=$?
	[ "$RC" -eq 1 ] || fail "stdio idle: client exit $RC"
	grep -q reset cerr || fail "stdio idle: $(cat cerr)"
	wait_for io.err 'idle for 0.5 s \(--idle-timeout\): closing' ||
	    fail "no idle line"
	exec 3>&-
}

# nc's habits: the harmless ones work with nc's meaning, the others name
# sockkit's form.
t_nc_habits() {
	# tcp-server -l -v -n -p PORT: nc -lvnp.
	start_server s tcp-server -lvnp 0 127.0.0.1
	echo hi | timeout 10 "$SK" tcp-client -N -n 127.0.0.1 "$PORT" \
	    >out || fail "-N -n client"
	wait_exit "$SPID" || fail "stdio server did not end"
	[ "$(cat s.out)" = hi ] || fail "server got '$(cat s.out)'"
	refused "-n: 'localhost' is not a numeric address" tcp-client -n \
	    localhost 9
	refused "-n: 'localhost' is not a numeric address" tcp-server -n \
	    localhost 0
	refused "-l: to listen use 'sockkit tcp-server" tcp-client -l 9000
	refused "-k: to keep listening use 'sockkit tcp-server -k" tcp-client \
	    -k 127.0.0.1 9
	refused "-u: for UDP use 'sockkit udp-client" tcp-client -u 127.0.0.1 9
	refused "-u: for UDP use 'sockkit udp-server" tcp-server -u 9000
	refused "the port is given twice" tcp-server -p 9000 127.0.0.1 9001
	refused "-q is for stdio mode" tcp-server --echo -q 1 0
	refused "-q does not go with --expect" tcp-client -q 1 --expect x \
	    127.0.0.1 9
	# -q SECS: quit that long after stdin's end, though the server
	# stays; exit 0, as nc.
	python3 - >port.txt <<'PY' &
import socket, time
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
print(l.getsockname()[1], flush=True)
l.settimeout(20)
c, _ = l.accept()
c.sendall(b"hello\n")
time.sleep(15)
PY
	track $!
	wait_for port.txt '^[0-9]+$' || fail "python server did not start"
	start=$(date +%s%N)
	echo req | timeout 10 "$SK" tcp-client -q 0.5 127.0.0.1 \
	    "$(cat port.txt)" >out
	RC=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$RC" -eq 0 ] || fail "-q: exit $RC"
	[ "$(cat out)" = hello ] || fail "-q: got '$(cat out)'"
	[ "$ms" -ge 400 ] && [ "$ms" -lt 5000 ] || fail "-q 0.5 took $ms ms"
	# tcp-server -q: the stdio session ends that long after stdin's end.
	# Its client stays connected, not closing, as nc -l -q would meet.
	echo data >in.txt
	SERVER_STDIN=in.txt start_server q tcp-server -q 0.3 127.0.0.1 0
	python3 - "$PORT" >got <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
got = b""
while True:
    d = s.recv(100)
    if not d:
        break
    got += d
sys.stdout.write(got.decode())
sys.stdout.flush()
time.sleep(10)
PY
	track $!
	wait_exit "$SPID" || fail "-q server did not end"
	[ "$RC" -eq 0 ] || fail "-q server exit $RC"
	[ "$(cat got)" = data ] || fail "got '$(cat got)'"
	# -N with --expect half-closes after --send, for a server that
	# answers only after our end.
	python3 - >port2.txt <<'PY' &
import socket
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
print(l.getsockname()[1], flush=True)
l.settimeout(20)
c, _ = l.accept()
c.settimeout(20)
while c.recv(100):
    pass
c.sendall(b"DONE\n")
c.close()
PY
	track $!
	wait_for port2.txt '^[0-9]+$' || fail "python server did not start"
	expect_exit 0 "$SK" tcp-client -N --send 'q' --expect DONE -w 5 \
	    127.0.0.1 "$(cat port2.txt)"
}

# Issue 14.15: a server removes its socket file at exit only if it is
# still the socket it made: not a file put there since, not the socket of
# a server started after it.
t_unix_socket_removed_only_if_ours() {
	for cmd in tcp-server udp-server; do
		UNIX_SERVER=1 start_server a $cmd -U sock
		a=$SPID
		rm sock
		echo keep >sock
		kill -TERM $a
		wait_exit $a || fail "$cmd did not stop"
		[ "$(cat sock 2>/dev/null)" = keep ] ||
		    fail "$cmd removed a file that was not its socket"
		rm sock
		UNIX_SERVER=1 start_server a $cmd -U sock
		a=$SPID
		rm sock
		UNIX_SERVER=1 start_server b $cmd -U sock
		kill -TERM $a
		wait_exit $a || fail "$cmd did not stop"
		[ -S sock ] || fail "$cmd removed the next server's socket"
		stop_server
		[ ! -e sock ] || fail "$cmd left its own socket"
	done
}
