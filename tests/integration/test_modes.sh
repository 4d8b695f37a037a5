# test_modes.sh - tcp-server's many-client modes on every backend (echo,
# upper, chat, frames), the tcp-client probes (-z, --send/--expect,
# --frame), and 50 MiB both ways against nc and socat on each side.

BACKENDS="select poll epoll"
PEERS="python3 $TOP/tests/integration/peers.py"

# run_mode BACKEND SCENARIO "SERVER OPTIONS" [SCENARIO ARGS]
run_mode() {
	b=$1 sc=$2 opts=$3
	shift 3
	# shellcheck disable=SC2086
	start_server "s-$b-$sc" tcp-server $opts --backend "$b" 127.0.0.1 0
	timeout 60 $PEERS "$sc" "$PORT" "$@" || fail "$sc on $b ($opts)"
	stop_server
}

t_echo_upper_50_clients_every_backend() {
	for b in $BACKENDS; do
		run_mode "$b" echo-many --echo 50
		run_mode "$b" echo-many --upper 50 upper
	done
}

t_chat_every_backend() {
	for b in $BACKENDS; do
		run_mode "$b" chat --chat
	done
}

t_chat_slow_reader_dropped() {
	for b in $BACKENDS; do
		run_mode "$b" chat-slow-reader "--chat --max-queue 65536"
	done
}

t_frames_every_backend() {
	for b in $BACKENDS; do
		run_mode "$b" frames-torn "--echo --frame"
		run_mode "$b" frames-torn "--upper --frame" upper
		run_mode "$b" chat-frames "--chat --frame"
	done
}

t_oversized_frame_drops_only_that_client() {
	for b in $BACKENDS; do
		run_mode "$b" frame-oversized "--echo --frame --max-frame 100000" \
		    100000
		grep -q "frame of 100001 bytes is over --max-frame 100000: dropped" \
		    "s-$b-frame-oversized.err" || fail "no log line on $b"
	done
	# The default maximum is 16 MiB.
	start_server s tcp-server --echo --frame 127.0.0.1 0
	timeout 60 $PEERS frame-oversized "$PORT" 16777216 ||
	    fail "16 MiB default"
	stop_server
}

t_modes_on_unix_and_ipv6() {
	UNIX_SERVER=1 start_server su tcp-server --chat -U "$PWD/chat.sock"
	timeout 60 $PEERS chat "$PWD/chat.sock" || fail "chat on unix"
	stop_server
	UNIX_SERVER=1 start_server su tcp-server --echo --frame -U "$PWD/f.sock"
	timeout 60 $PEERS frames-torn "$PWD/f.sock" || fail "frames on unix"
	stop_server
	have_ipv6 || return 0
	start_server s6 tcp-server --upper ::1 0
	timeout 60 $PEERS echo-many "6:$PORT" 10 upper || fail "upper on ::1"
	stop_server
}

t_client_frame_mode() {
	start_server s tcp-server --upper --frame 127.0.0.1 0
	printf 'one\ntwo\n\nlast' |
	    timeout 10 "$SK" tcp-client --frame 127.0.0.1 "$PORT" >out ||
	    fail "client failed"
	printf 'ONE\nTWO\n\nLAST\n' >want
	cmp -s out want || fail "got: $(od -c out | head -3)"
	stop_server
}

t_scan_range() {
	start_server a tcp-server --discard 127.0.0.1 0
	pa=$PORT
	lo=$((pa - 2)) hi=$((pa + 2))
	expect_exit 0 "$SK" tcp-client -z 127.0.0.1 "$lo-$hi" >out 2>err
	[ "$(wc -l <out)" -eq 5 ] || fail "$(wc -l <out) lines for $lo-$hi"
	grep -qx "127.0.0.1 $pa open" out || fail "$pa not open: $(cat out)"
	# Lines come in port order.
	sort -n -k2 out | cmp -s - out || fail "not in port order"
	# A closed port alone: exit 1.
	start_server c tcp-server --discard 127.0.0.1 0
	pc=$PORT
	stop_server
	expect_exit 1 "$SK" tcp-client -z 127.0.0.1 "$pc" >out
	grep -qx "127.0.0.1 $pc closed" out || fail "closed: $(cat out)"
	# JSON, one object per port.
	expect_exit 0 "$SK" tcp-client -z --json 127.0.0.1 "$pa" >out
	python3 -c 'import json,sys; o=json.loads(open("out").read()); assert o["state"]=="open" and o["port"]=='"$pa"', o' ||
	    fail "json: $(cat out)"
	# A wide range around an open port finishes quickly: many at once.
	lo=$((pa > 1000 ? pa - 1000 : 1))
	hi=$((pa < 64535 ? pa + 999 : 65535))
	expect_exit 0 "$SK" tcp-client -z -w 2 127.0.0.1 "$lo-$hi" >out
	[ "$(wc -l <out)" -eq $((hi - lo + 1)) ] || fail "wide scan lines"
	grep -qx "127.0.0.1 $pa open" out || fail "wide scan missed $pa"
	expect_exit 2 "$SK" tcp-client -z 127.0.0.1 30-20 2>err
	one_line err "sockkit: tcp-client: invalid port range '30-20'"
}

t_send_expect() {
	start_server s tcp-server --upper 127.0.0.1 0
	expect_exit 0 "$SK" tcp-client --send 'ping\r\n' --expect 'PING' \
	    127.0.0.1 "$PORT" >out
	[ ! -s out ] || fail "--expect printed the reply"
	expect_exit 1 "$SK" tcp-client --send 'ping\x21' --expect 'PONG' -w 1 \
	    127.0.0.1 "$PORT" 2>err
	one_line err "sockkit: tcp-client: 'PONG' not seen within 1 s (received 5 bytes, ending 'PING!')"
	stop_server
	# A server that closes without the text: exit 1 at once.
	start_server s tcp-server --discard 127.0.0.1 0
	expect_exit 1 "$SK" tcp-client --send 'x' --expect 'y' 127.0.0.1 \
	    "$PORT" 2>err </dev/null &
	stop_server
	# --send alone: sent, half-closed, replies printed.
	start_server s tcp-server --echo 127.0.0.1 0
	expect_exit 0 "$SK" tcp-client --send 'a\tb\\c\n' 127.0.0.1 "$PORT" >out
	printf 'a\tb\\c\n' >want
	cmp -s out want || fail "send: $(od -c out)"
	expect_exit 2 "$SK" tcp-client --send 'bad\q' 127.0.0.1 "$PORT" 2>err
	one_line err "sockkit: tcp-client: --send: bad escape"
	stop_server
}

# 50 MiB both ways, sockkit against nc and socat, on both sides.
t_bulk_50mib_with_nc_and_socat() {
	random_file a 52428800
	random_file b 52428800
	# sockkit server, nc and socat clients.
	SERVER_STDIN=b start_server s tcp-server 127.0.0.1 0
	timeout 60 nc -N 127.0.0.1 "$PORT" <a >got_b || fail "nc client"
	wait_exit "$SPID" || fail "server did not exit"
	cmp -s a s.out || fail "server got a different file from nc"
	cmp -s b got_b || fail "nc got a different file"
	SERVER_STDIN=b start_server s tcp-server 127.0.0.1 0
	timeout 60 socat -t 30 - TCP:127.0.0.1:"$PORT" <a >got_b ||
	    fail "socat client"
	wait_exit "$SPID" || fail "server did not exit"
	cmp -s a s.out || fail "server got a different file from socat"
	cmp -s b got_b || fail "socat got a different file"
	# An nc server.  nc -l stops sending when the client half-closes
	# (the bug sockkit's stdio server fixes), so each direction alone:
	# sockkit -> nc, then nc -> sockkit with our stdin held open until
	# all of b has come.
	timeout 60 nc -lv 127.0.0.1 0 >nc_got 2>nc.err </dev/null &
	ncpid=$!
	track $ncpid
	wait_for nc.err '^Listening on ' || fail "nc did not listen"
	port=$(sed -n 's/^Listening on .* \([0-9][0-9]*\)$/\1/p' nc.err)
	timeout 60 "$SK" tcp-client 127.0.0.1 "$port" <a >/dev/null ||
	    fail "client to nc"
	wait_exit $ncpid || fail "nc did not finish"
	cmp -s a nc_got || fail "nc server got a different file"
	timeout 60 nc -lv 127.0.0.1 0 <b 2>nc2.err >/dev/null &
	ncpid=$!
	track $ncpid
	wait_for nc2.err '^Listening on ' || fail "nc did not listen"
	port=$(sed -n 's/^Listening on .* \([0-9][0-9]*\)$/\1/p' nc2.err)
	mkfifo hold
	timeout 60 "$SK" tcp-client 127.0.0.1 "$port" <hold >got_b &
	cpid=$!
	track $cpid
	exec 4>hold
	wait_size got_b 52428800
	exec 4>&-
	wait_exit $cpid || fail "client did not finish"
	cmp -s b got_b || fail "we got a different file from nc"
	timeout 60 socat -d -d -t 30 TCP-LISTEN:0,bind=127.0.0.1 \
	    'SYSTEM:exec 3<&0; cat <&3 >socat_got & cat b; wait' \
	    2>socat.err &
	track $!
	wait_for socat.err 'listening on' || fail "socat did not listen"
	port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' socat.err)
	timeout 60 "$SK" tcp-client 127.0.0.1 "$port" <a >got_b ||
	    fail "client to socat"
	cmp -s b got_b || fail "we got a different file from socat"
	i=0
	while ! cmp -s a socat_got && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	cmp -s a socat_got || fail "socat server got a different file"
}

t_verbose_logs_clients() {
	start_server s tcp-server --echo -v 127.0.0.1 0
	echo hi | timeout 10 "$SK" tcp-client -v 127.0.0.1 "$PORT" >out 2>err
	wait_for s.err 'disconnected \(in 3 B, out 3 B, [0-9.]+ s\)' ||
	    fail "no per-client log"
	grep -q 'connected$' s.err || fail "no connect log"
	grep -Eq 'sent 3 B, received 3 B in [0-9.]+ s' err ||
	    fail "no client summary: $(cat err)"
	stop_server
}

t_stdio_and_discard_every_backend() {
	random_file data 3000000
	for b in $BACKENDS; do
		SERVER_STDIN=data start_server "io-$b" tcp-server --backend "$b" \
		    127.0.0.1 0
		timeout 30 "$SK" tcp-client --backend "$b" 127.0.0.1 "$PORT" \
		    <data >got || fail "$b: client"
		wait_exit "$SPID" || fail "$b: server did not exit"
		cmp -s data "io-$b.out" || fail "$b: server got a different file"
		cmp -s data got || fail "$b: client got a different file"
		start_server "d-$b" tcp-server --discard -v --backend "$b" \
		    127.0.0.1 0
		timeout 30 "$SK" tcp-client 127.0.0.1 "$PORT" <data >got ||
		    fail "$b: discard client"
		wait_for "d-$b.err" 'in 3000000 B, out 0 B' || fail "$b: discard"
		stop_server
	done
}

# A client that never reads while offered 300 MB: the server stops
# reading from it (backpressure), its memory stays bounded, and everyone
# else is still served.
t_backpressure_never_reading_client() {
	start_server s tcp-server --echo 127.0.0.1 0
	rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SPID/status")
	mkfifo hold
	python3 "$TOP/tests/integration/peers.py" never-reads "$PORT" 300 \
	    <hold >taken &
	track $!
	exec 3>hold
	wait_for taken '^[0-9]+$' || fail "the flood did not stall"
	rss1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SPID/status")
	[ $((rss1 - rss0)) -lt 20000 ] ||
	    fail "server grew by $((rss1 - rss0)) KiB after $(cat taken) bytes"
	[ "$(cat taken)" -lt 300000000 ] || fail "the server kept reading"
	echo "    offered $(cat taken) bytes before the server stopped reading; RSS +$((rss1 - rss0)) KiB" >&2
	echo still | timeout 10 "$SK" tcp-client 127.0.0.1 "$PORT" >out
	[ "$(cat out)" = still ] || fail "other clients not served"
	exec 3>&-
	stop_server
}

# Resets, half frames and garbage cost only their own connections.
t_faults_cost_only_their_connection() {
	for b in $BACKENDS; do
		start_server "f-$b" tcp-server --echo --frame --backend "$b" \
		    127.0.0.1 0
		for i in 1 2 3 4 5; do
			timeout 10 $PEERS reset "$PORT" || fail "reset peer"
		done
		timeout 30 $PEERS garbage "$PORT" || fail "garbage peer"
		timeout 30 $PEERS frames-torn "$PORT" ||
		    fail "$b: server hurt by faults"
		stop_server
	done
}

t_client_source_address_and_port() {
	start_server s tcp-server --echo -v 127.0.0.1 0
	sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2",0)); print(s.getsockname()[1])')
	echo src | timeout 10 "$SK" tcp-client -s 127.0.0.2 -p "$sport" \
	    127.0.0.1 "$PORT" >out || fail "client failed"
	[ "$(cat out)" = src ] || fail "got '$(cat out)'"
	wait_for s.err "127.0.0.2:$sport connected" || fail "source not used"
	stop_server
}

# A port nothing listens on (bound, then closed).
closed_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Issue point 12: -z says "filtered" for a port where nothing answered
# within -w (here a listener whose accept queue is full: Linux drops the
# SYN, as a firewall would), not "closed"; --json the same.
t_scan_filtered() {
	python3 - >port.txt <<'PY' &
import socket, time
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(0)
a = socket.create_connection(l.getsockname())
print(l.getsockname()[1], flush=True)
time.sleep(20)
PY
	track $!
	wait_for port.txt '^[0-9]+$' || fail "python listener did not start"
	fp=$(cat port.txt)
	cp=$(closed_port)
	expect_exit 1 "$SK" tcp-client -z -w 1 127.0.0.1 "$fp" >out
	[ "$(cat out)" = "127.0.0.1 $fp filtered" ] || fail "got: $(cat out)"
	expect_exit 1 "$SK" tcp-client -z -w 0.5 127.0.0.1 "$fp" "$cp" >out
	printf '127.0.0.1 %s filtered\n127.0.0.1 %s closed\n' "$fp" "$cp" >want
	cmp -s want out || fail "got: $(cat out)"
	expect_exit 1 "$SK" tcp-client -z -w 0.5 --json 127.0.0.1 "$fp" >out
	python3 -c 'import json,sys; o=json.loads(open("out").read()); assert o["state"]=="filtered" and o["port"]=='"$fp"' and o["error"], o' ||
	    fail "json: $(cat out)"
}

# -z takes several ports and lists, as nc does ("22,80-90 443"); the
# results come in the order given, each port once; exit 0 if any open.
t_scan_port_lists() {
	start_server a tcp-server --discard 127.0.0.1 0
	pa=$PORT
	start_server b tcp-server --discard 127.0.0.1 0
	pb=$PORT
	pc=$(closed_port)
	expect_exit 0 "$SK" tcp-client -z 127.0.0.1 "$pc,$pb" "$pa-$pa" \
	    "$pb" >out 2>err
	printf '127.0.0.1 %s closed\n127.0.0.1 %s open\n127.0.0.1 %s open\n' \
	    "$pc" "$pb" "$pa" >want
	cmp -s want out || fail "got: $(cat out) $(cat err)"
	expect_exit 1 "$SK" tcp-client -z 127.0.0.1 "$pc" "$pc" >out
	[ "$(cat out)" = "127.0.0.1 $pc closed" ] || fail "dup: $(cat out)"
	lo=$((pa > 2 ? pa - 2 : 1))
	expect_exit 0 "$SK" tcp-client -z 127.0.0.1 "$lo-$((lo + 4)),$pb" >out
	[ "$(wc -l <out)" -eq 6 ] || fail "range and list: $(cat out)"
	for bad in "1,,2" "1," ",1" "1-2-3" "x-9"; do
		expect_exit 2 "$SK" tcp-client -z 127.0.0.1 "$bad" 2>err
		grep -q "^sockkit: tcp-client: invalid port" err ||
		    fail "'$bad': $(cat err)"
	done
	expect_exit 2 "$SK" tcp-client -z 127.0.0.1 2>err
	one_line err "sockkit: tcp-client: missing PORT"
}

# Issue point 14: commands in the same read as /quit are answered before
# the connection closes (the base dropped the replies with the client).
t_chat_quit_flushes_replies() {
	for b in $BACKENDS; do
		start_server "c-$b" tcp-server --chat --backend "$b" 127.0.0.1 0
		printf '/who\n/nick ann\n/nick <x>\n/quit\nnot said\n' |
		    timeout 10 "$SK" tcp-client 127.0.0.1 "$PORT" >out ||
		    fail "$b: client failed"
		grep -q '^\* 1 here: ' out || fail "$b: no /who reply: $(cat out)"
		grep -qx '\* you are now ann' out || fail "$b: no /nick reply"
		grep -q '^\* a nick is' out || fail "$b: no /nick error"
		! grep -q 'not said' out || fail "$b: read past /quit"
		# The frames of --chat --frame, likewise.
		stop_server
	done
	start_server f tcp-server --chat --frame 127.0.0.1 0
	printf '/who\n/quit\n' | timeout 10 "$SK" tcp-client --frame \
	    127.0.0.1 "$PORT" >out || fail "frame client failed"
	grep -q '^\* 1 here: ' out || fail "frames: no /who reply: $(cat out)"
	stop_server
}

# Issue 14.10: in a --frame chat, one frame under --max-frame (16 MiB)
# but over --max-queue (1 MiB) dropped every reading member as "not
# reading".  Now the frame drops its sender; the readers stay and hear
# why.
t_chat_big_frame_drops_its_sender() {
	start_server s tcp-server --chat --frame 127.0.0.1 0
	python3 - "$PORT" <<'PY' || fail "big frame in a chat"
import socket, struct, sys, time
port = int(sys.argv[1])
def frame(b):
    return struct.pack(">I", len(b)) + b
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s
def frames(s, until, deadline):
    buf, got = b"", []
    s.settimeout(0.2)
    while time.time() < deadline:
        try:
            d = s.recv(65536)
        except socket.timeout:
            d = None
        if d == b"":
            return got, True
        if d:
            buf += d
        while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
            n = struct.unpack(">I", buf[:4])[0]
            got.append(buf[4:4 + n])
            buf = buf[4 + n:]
        if any(until in f for f in got):
            return got, False
    return got, False
readers = [conn(), conn()]
talker = conn()
for r in readers:
    frames(r, b"has joined", time.time() + 0.5)
try:
    talker.sendall(frame(b"x" * (2 << 20)))
except (ConnectionResetError, BrokenPipeError):
    pass                # dropped as soon as its header was read: good
for r in readers:
    got, closed = frames(r, b"dropped", time.time() + 10)
    assert not closed, "a reader was dropped"
    assert any(b"dropped (frame too big)" in f for f in got), \
        [f[:60] for f in got[-3:]]
# The readers still hear each other.
readers[0].sendall(frame(b"still here"))
got, closed = frames(readers[1], b"still here", time.time() + 5)
assert any(b"still here" in f for f in got) and not closed
PY
	grep -q "over the .* a member's queue holds (--max-queue): dropped" s.err ||
	    fail "not logged: $(cat s.err)"
	stop_server
}

# Issue 14.17: the bytes all clients hold together are bounded
# (--max-total): 20 clients each halfway through a 16 MiB frame pinned
# 271 MB.  Past the bound the client holding the most is dropped; the
# others, and new clients, are served.
t_max_total_bounds_all_clients() {
	start_server s tcp-server --echo --frame --max-total 8000000 127.0.0.1 0
	# Under ASan freed memory sits in quarantine, so RSS says nothing
	# there; the drops and the log line still do.
	asan=0; grep -q __asan_init "$SK" 2>/dev/null && asan=1
	python3 - "$PORT" "$SPID" "$asan" <<'PY' || fail "max-total: $(cat s.err)"
import socket, struct, sys, time
port, pid, asan = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
def rss():
    for l in open("/proc/%d/status" % pid):
        if l.startswith("VmRSS:"):
            return int(l.split()[1]) * 1024
held, gone = [], set()
for i in range(10):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(struct.pack(">I", 16 << 20) + b"x" * (3 << 20))
    except (ConnectionResetError, BrokenPipeError):
        gone.add(i)     # dropped while it was still sending
    held.append(s)
# Until the server has dropped enough of them (bounded: 10 s).
deadline = time.time() + 10
while len(gone) < 6 and time.time() < deadline:
    for i, s in enumerate(held):
        if i in gone:
            continue
        s.settimeout(0.05)
        try:
            if s.recv(1) == b"":
                gone.add(i)
        except socket.timeout:
            pass
        except ConnectionResetError:
            gone.add(i)
assert len(gone) >= 6, ("gone", len(gone))  # 30 MB offered, 8 MB allowed
assert asan or rss() < 40 << 20, ("rss", rss())
c = socket.create_connection(("127.0.0.1", port), timeout=10)
c.sendall(struct.pack(">I", 5) + b"hello")
# (MSG_WAITALL does not wait on a socket with a timeout: Python's
# timeouts make it nonblocking.)
got = b""
while len(got) < 9:
    b = c.recv(9 - len(got))
    if not b:
        break
    got += b
assert got == struct.pack(">I", 5) + b"hello", ("echo", got, len(gone))
PY
	grep -q "(--max-total): dropped" s.err || fail "not logged: $(cat s.err)"
	stop_server
}
