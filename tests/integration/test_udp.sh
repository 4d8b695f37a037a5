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
