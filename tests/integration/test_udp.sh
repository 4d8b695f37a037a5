# test_udp.sh - udp-server and udp-client against nc -u, socat and python
# peers on loopback and Unix datagram sockets.

PEERS="python3 $TOP/tests/integration/peers.py"

t_udp_print_mode_with_nc() {
	start_server s udp-server -v 127.0.0.1 0
	echo "hello udp" | timeout 5 nc -u -w1 127.0.0.1 "$PORT"
	printf 'esc\033[31m\000x' | timeout 5 nc -u -w1 127.0.0.1 "$PORT"
	wait_for s.out 'esc' || fail "nothing printed"
	grep -Eq '^127\.0\.0\.1:[0-9]+ hello udp$' s.out || fail "$(cat s.out)"
	grep -q 'esc\\x1b\[31m\\x00x$' s.out || fail "not escaped: $(cat s.out)"
	stop_server
	start_server h udp-server --hex 127.0.0.1 0
	printf 'ABC' | timeout 5 nc -u -w1 127.0.0.1 "$PORT"
	wait_for h.out '41 42 43' || fail "no hex dump: $(cat h.out)"
	grep -q '|ABC|' h.out || fail "$(cat h.out)"
	stop_server
}

t_udp_echo_upper_time_python() {
	for b in select poll epoll; do
		start_server "e-$b" udp-server --echo --backend "$b" 127.0.0.1 0
		timeout 30 $PEERS udp-modes "$PORT" echo || fail "echo on $b"
		stop_server
	done
	start_server u udp-server --upper 127.0.0.1 0
	timeout 30 $PEERS udp-modes "$PORT" upper || fail "upper"
	echo 'from nc' | timeout 5 nc -u -w1 127.0.0.1 "$PORT" >out
	[ "$(cat out)" = "FROM NC" ] || fail "nc -u got '$(cat out)'"
	stop_server
	start_server t udp-server --time 127.0.0.1 0
	timeout 30 $PEERS udp-modes "$PORT" time || fail "time"
	stop_server
}

t_udp_client_lines_and_late_replies() {
	start_server s udp-server --upper 127.0.0.1 0
	printf 'one\ntwo\nlast' | timeout 10 "$SK" udp-client 127.0.0.1 "$PORT" \
	    >out || fail "client failed"
	printf 'ONE\nTWO\nLAST\n' >want
	cmp -s out want || fail "got: $(cat out)"
	stop_server
	# A socat UDP echo.
	p=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	socat -d -d UDP-RECVFROM:"$p",bind=127.0.0.1,fork EXEC:cat \
	    2>socat.err &
	track $!
	wait_for socat.err 'receiving on' || fail "socat did not start"
	echo 'via socat' | timeout 10 "$SK" udp-client 127.0.0.1 "$p" >out ||
	    fail "client failed"
	[ "$(cat out)" = 'via socat' ] || fail "socat echo: '$(cat out)'"
}

t_udp_send_expect_retries() {
	start_server s udp-server --echo 127.0.0.1 0
	expect_exit 0 "$SK" udp-client --send 'ping\r\n' --expect ping \
	    127.0.0.1 "$PORT" >out
	[ ! -s out ] || fail "--expect printed replies"
	expect_exit 1 "$SK" udp-client --send 'ping' --expect pong -w 1 \
	    127.0.0.1 "$PORT" 2>err
	one_line err "sockkit: udp-client: 'pong' not seen in 1 reply"
	port=$PORT
	stop_server
	# Nothing listens: ICMP port unreachable is reported.
	expect_exit 1 "$SK" udp-client --send x --expect y -w 1 \
	    127.0.0.1 "$port" 2>err
	one_line err "sockkit: udp-client: 127.0.0.1 $port: port unreachable"
	# A server that drops the first datagrams: --retries gets through.
	python3 - >lossy.port <<'PY' &
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
s.settimeout(20)
for i in range(3):
    data, peer = s.recvfrom(100)
    if i == 2:
        s.sendto(b"pong", peer)
PY
	track $!
	wait_for lossy.port '^[0-9]+$' || fail "lossy server"
	expect_exit 0 "$SK" udp-client --send ping --expect pong --retries 3 \
	    -w 1 127.0.0.1 "$(cat lossy.port)"
}

t_udp_unix_socket() {
	UNIX_SERVER=1 start_server s udp-server --upper -U "$PWD/u.sock"
	echo unix dgram | timeout 10 "$SK" udp-client -U "$PWD/u.sock" >out ||
	    fail "client failed"
	[ "$(cat out)" = "UNIX DGRAM" ] || fail "got '$(cat out)'"
	stop_server
	[ ! -e u.sock ] || fail "socket file left"
}

t_udp_ipv6() {
	have_ipv6 || return 0
	start_server s udp-server --echo ::1 0
	echo six | timeout 10 "$SK" udp-client -6 ::1 "$PORT" >out
	[ "$(cat out)" = six ] || fail "got '$(cat out)'"
	stop_server
}

t_udp_burst_100000() {
	start_server s udp-server --echo 127.0.0.1 0
	timeout 100 $PEERS udp-burst "$PORT" 100000 || fail "server hurt"
	stop_server
}

t_udp_bad_input() {
	expect_exit 2 "$SK" udp-server --echo --time 0 2>err
	one_line err "sockkit: udp-server: choose one of"
	expect_exit 2 "$SK" udp-client 127.0.0.1 70000 </dev/null 2>err
	one_line err "sockkit: udp-client: invalid port '70000'"
	expect_exit 2 "$SK" udp-client --retries 2 127.0.0.1 9 </dev/null 2>err
	one_line err "sockkit: udp-client: --retries goes with --send"
}

# Issue 4: a stdin line too long for a datagram is skipped whole (its
# tail is not sent on its own), named by its real length, and the exit
# status says a line was not sent; the lines around it go as they are,
# even lines that share the read buffer with a part of the next one.
t_udp_client_long_line_skipped_whole() {
	start_server s udp-server --echo 127.0.0.1 0
	python3 -c 'import sys; sys.stdout.write("a" * 70000 + "\nshort\n" +
	    ("x" * 30000 + "\n") * 3 + "b" * 65507 + "\n")' >in
	timeout 10 "$SK" udp-client 127.0.0.1 "$PORT" <in >out 2>err
	rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc with a line not sent"
	one_line err "sockkit: udp-client: a line of 70000 bytes is over the 65507"
	awk '{ print length($0) }' out >lens
	printf '5\n30000\n30000\n30000\n65507\n' >want
	cmp -s lens want || fail "datagrams: $(tr '\n' ' ' <lens)"
	# The same at the end of input, without a newline.
	head -c 65508 /dev/zero | tr '\0' c >in2
	timeout 10 "$SK" udp-client 127.0.0.1 "$PORT" <in2 >out 2>err
	rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc for a last line not sent"
	one_line err "sockkit: udp-client: a line of 65508 bytes is over"
	[ ! -s out ] || fail "something was sent: $(wc -c <out) bytes back"
	stop_server
}

# Issue 4: --send too long for a datagram is a usage error at once (it
# hung for ever, the reply timer never armed).
t_udp_client_send_too_long() {
	long=$(head -c 70000 /dev/zero | tr '\0' a)
	timeout 5 "$SK" udp-client --send "$long" 127.0.0.1 9 2>err
	rc=$?
	[ "$rc" -eq 2 ] || fail "exit $rc (124: it hung)"
	one_line err "sockkit: udp-client: --send: 70000 bytes is over the 65507"
}

# -w takes decimal seconds, as every timeout does (cmd_seconds).
t_udp_client_decimal_wait() {
	start_server s udp-server --echo 127.0.0.1 0
	echo half >in
	expect_exit 0 "$SK" udp-client -w 0.5 127.0.0.1 "$PORT" <in >out
	[ "$(cat out)" = half ] || fail "got '$(cat out)'"
	expect_exit 1 "$SK" udp-client --send x --expect y -w 0.25 \
	    127.0.0.1 "$PORT" 2>err
	one_line err "sockkit: udp-client: 'y' not seen in 1 reply within 0.25 s"
	expect_exit 2 "$SK" udp-client -w 0 127.0.0.1 "$PORT" </dev/null 2>err
	one_line err "sockkit: udp-client: -w: invalid seconds '0'"
	expect_exit 2 "$SK" udp-client -w 1e3 127.0.0.1 "$PORT" </dev/null \
	    2>err
	one_line err "sockkit: udp-client: -w: invalid seconds '1e3'"
	stop_server
}

# Issue 13: a second udp-server on a port in use fails, as tcp-server
# does, instead of starting silently and taking the first one's traffic
# (SO_REUSEADDR on UDP); --reuse-port shares the port on purpose.
t_udp_server_port_in_use() {
	start_server s udp-server 127.0.0.1 0
	timeout 5 "$SK" udp-server 127.0.0.1 "$PORT" </dev/null >out 2>err
	rc=$?
	[ "$rc" -eq 1 ] || fail "second server on $PORT: exit $rc"
	one_line err "sockkit: udp-server: bind 127.0.0.1:$PORT: Address .*in use"
	# The dual-stack wildcard covers 127.0.0.1 too.
	timeout 5 "$SK" udp-server "$PORT" </dev/null >out 2>err
	rc=$?
	[ "$rc" -eq 1 ] || fail "wildcard server on $PORT: exit $rc"
	one_line err "sockkit: udp-server: bind .*Address .*in use"
	# The first still gets every datagram.
	echo mine | timeout 5 "$SK" udp-client -w 0.2 127.0.0.1 "$PORT" ||
	    fail "client"
	wait_for s.out '^mine$' || fail "the first server lost its datagram"
	# One that shares does not take a port whose owner does not.
	timeout 5 "$SK" udp-server --reuse-port 127.0.0.1 "$PORT" </dev/null \
	    2>err
	[ $? -eq 1 ] || fail "--reuse-port took a port not shared"
	stop_server
	# Two that share: both run and the datagrams go to one or the other.
	start_server a udp-server --reuse-port 127.0.0.1 0
	apid=$SPID
	start_server b udp-server --reuse-port 127.0.0.1 "$PORT"
	i=0
	while [ $i -lt 20 ]; do
		echo "d$i" | timeout 5 "$SK" udp-client -w 0.1 127.0.0.1 "$PORT"
		i=$((i + 1))
	done
	i=0
	while [ "$(cat a.out b.out | wc -l)" -lt 20 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(cat a.out b.out | sort -u | wc -l)" -eq 20 ] ||
	    fail "shared: $(cat a.out b.out | wc -l) of 20"
	stop_server
	SPID=$apid
	stop_server
}

# Issue 16: --time says what is wrong with a format: a NUL byte is not a
# format "over 256 bytes"; a long format and a long answer say so too.
t_udp_server_time_errors() {
	start_server t udp-server --time 127.0.0.1 0
	python3 - "$PORT" >got <<'PY' || fail "python peer"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
for q in (b"ab\0c", b"%Y\0", b"a" * 300, b"%c" * 100, b"%Y\n"):
    s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
    print(s.recv(2000).decode(), end="")
PY
	sed -n 1p got | grep -qx 'error: a format is text, and byte 3 is a NUL' ||
	    fail "NUL: $(sed -n 1p got)"
	sed -n 2p got | grep -qx 'error: a format is text, and byte 3 is a NUL' ||
	    fail "trailing NUL: $(sed -n 2p got)"
	sed -n 3p got | grep -qx 'error: a format is at most 256 bytes, not 300' ||
	    fail "long: $(sed -n 3p got)"
	sed -n 4p got | grep -Eqx 'error: the time would be [0-9]+ bytes, over the 1022 an answer holds' ||
	    fail "long answer: $(sed -n 4p got)"
	sed -n 5p got | grep -Eqx '[0-9]{4}' || fail "year: $(sed -n 5p got)"
	stop_server
}

# Issue 10: options that would do nothing where given are usage errors.
t_udp_options_that_do_nothing() {
	for args in "--json 0" "--hex --echo 0" "--hex --upper 0" \
	    "--hex --time 0" "-4 -U s" "--reuse-port -U s"; do
		# shellcheck disable=SC2086
		timeout 5 "$SK" udp-server $args </dev/null >out 2>err
		rc=$?
		[ "$rc" -eq 2 ] || fail "udp-server $args: exit $rc"
		one_line err "sockkit: udp-server: "
		grep -q "listening" err && fail "udp-server $args listened"
	done
	expect_exit 2 "$SK" udp-server --json 0 2>err
	one_line err "sockkit: udp-server: --json: udp-server has no JSON output"
	expect_exit 2 "$SK" udp-server --echo --hex 0 2>err
	one_line err "sockkit: udp-server: --hex and --echo do not go together"
	for args in "--json 127.0.0.1 9" "--hex --expect x --send y 127.0.0.1 9" \
	    "-6 -U s"; do
		# shellcheck disable=SC2086
		timeout 5 "$SK" udp-client $args </dev/null >out 2>err
		rc=$?
		[ "$rc" -eq 2 ] || fail "udp-client $args: exit $rc"
		one_line err "sockkit: udp-client: "
	done
	[ ! -e s ] || fail "a socket file was made"
}

# Print mode whose stdout reader goes away stops, quietly, by SIGPIPE.
t_udp_server_stdout_gone() {
	mkfifo pipe
	: >s.err
	"$SK" udp-server 127.0.0.1 0 </dev/null >pipe 2>>s.err &
	spid=$!
	track $spid
	head -n 1 <pipe >/dev/null &
	track $!
	wait_for s.err 'listening on ' || fail "no server"
	port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' s.err)
	python3 - "$port" "$spid" <<'PY'
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(100):
    try:
        os.kill(int(sys.argv[2]), 0)
    except OSError:
        break
    s.sendto(b"line %d" % i, ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.1)
PY
	wait_exit $spid || fail "the server did not stop when its reader left"
	[ "$RC" -eq 141 ] || fail "exit $RC"
	one_line s.err "sockkit: udp-server: listening on"
}

# Issue 14.8: --time is no reflection amplifier: 6 bytes '%1022Y' got a
# 1,023-byte answer; now an answer is at most 4x its datagram (64 bytes
# for a short one), widths are refused, and one source gets at most 20
# answers a second (a burst of 40).
t_udp_time_is_no_amplifier() {
	start_server s udp-server --time 127.0.0.1 0
	python3 - "$PORT" <<'PY' || fail "amplification"
import socket, sys, time
dst = ("127.0.0.1", int(sys.argv[1]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for fmt in (b"%1022Y", b"%_1000H", b"%c%c%c%c%c%c%c%c%c%c"):
    s.sendto(fmt, dst)
    d = s.recv(4096)
    assert len(d) <= max(64, 4 * len(fmt)), (fmt, len(d))
    assert d.startswith(b"error: "), d
s.sendto(b"", dst)
assert len(s.recv(4096)) == 20          # the default format still works
s.settimeout(0.5)
for i in range(200):
    s.sendto(b"%c", dst)
n = got = 0
try:
    while True:
        got += len(s.recv(4096))
        n += 1
except socket.timeout:
    pass
assert 30 <= n <= 60, n                 # the burst left, not all 200
assert got <= 64 * n, got
PY
	stop_server
}
