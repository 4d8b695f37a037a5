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
