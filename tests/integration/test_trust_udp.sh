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
