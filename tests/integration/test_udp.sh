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
