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
		grep -q 'No route to host' err || fail "$h: $(cat err)"
		[ $(($(date +%s) - start)) -lt 4 ] || fail "$h: waited for -w"
	done
	ip netns exec "$a" "$SK" tcp-client -z -w 5 --json 10.98.9.1 80 >out
	grep -q '"state":"filtered","error":"No route to host"' out ||
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
