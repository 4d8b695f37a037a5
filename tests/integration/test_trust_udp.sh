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
