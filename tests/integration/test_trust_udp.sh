# test_trust_udp.sh - udp-server, udp-client and broadcast off the happy
# path: what a demanding user meets when they interrupt them, close their
# output, mistype them or point hostile peers at them.

TERM_PY="$TOP/tests/integration/term.py"

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
