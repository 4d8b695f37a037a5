# test_abuse.sh - the abuse suite: every server gets what the internet
# throws at servers (thousands of resets, idle floods, a peer that never
# reads while offered 1 GiB, random garbage, mutated HTTP heads, cut
# frames, 100,000 datagrams), from abuse.py, and after each must still
# serve a normal client with no more descriptors or memory than before.
# Figures: one line per attack, kept in $ABUSE_REPORT when it is set
# (make abuse); docs/reliability.md reports them.

ABUSE="$TOP/tests/integration/abuse.py"

# ABUSE_VALGRIND=1 (make abuse-memcheck): the servers run under valgrind
# memcheck, whose exit status 99 on any error or leak fails stop_server;
# its report is in vg.log.  Called first by each test.
maybe_valgrind() {
	[ -n "${ABUSE_VALGRIND:-}" ] || return 0
	cat >vg.sh <<EOF
#!/bin/sh
exec valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \\
    --log-file="$PWD/vg.log" "$SK" "\$@"
EOF
	chmod +x vg.sh
	SK=$PWD/vg.sh
}

# abuse KIND: run abuse.py against the server just started, then stop it
# (it must exit 0: under ASan that is also its leak check).
abuse() {
	rounds=2
	# ASan keeps freed memory in quarantine, so memory figures mean
	# nothing there: one round, no memory checks (LSan checks at exit).
	grep -q __asan_init "$SK" 2>/dev/null && rounds=1
	[ -z "${ABUSE_VALGRIND:-}" ] || rounds=1
	timeout 300 python3 "$ABUSE" "$1" "$PORT" "$SPID" "$rounds" \
	    "${ABUSE_OUT:-}" >report ||
	    fail "$1: $(cat report)"
	sed 's/^/    /' report >&2
	[ -z "${ABUSE_REPORT:-}" ] || cat report >>"$ABUSE_REPORT"
	stop_server
	# Errors are "==PID==" lines; "--PID--" ones are valgrind's own
	# notes (3.19 does not know openat2; sk_path_open falls back).
	if [ -f vg.log ] && grep -q '^==' vg.log; then
		fail "valgrind: $(grep '^==' vg.log | head -40)"
	fi
}

abuse_dir() {
	mkdir -p pub
	echo hi >pub/small.txt
	truncate -s 1G pub/big
}

t_abuse_tcp_echo() {
	maybe_valgrind
	start_server s tcp-server --echo 127.0.0.1 0
	abuse echo
}

t_abuse_tcp_frames() {
	maybe_valgrind
	start_server s tcp-server --echo --frame --max-total 8388608 \
	    127.0.0.1 0
	abuse frame
}

t_abuse_tcp_chat_frames() {
	maybe_valgrind
	start_server s tcp-server --chat --frame 127.0.0.1 0
	abuse chatframe
}

t_abuse_tcp_chat() {
	maybe_valgrind
	start_server s tcp-server --chat 127.0.0.1 0
	abuse chat
}

# stdio mode, one client at a time, with an endless standard input.
t_abuse_tcp_stdio() {
	maybe_valgrind
	SERVER_STDIN=/dev/zero start_server s tcp-server -k 127.0.0.1 0
	abuse stdio
}

t_abuse_http() {
	maybe_valgrind
	abuse_dir
	start_server s http -q -d pub 127.0.0.1 0
	abuse http
}

t_abuse_fileserve() {
	maybe_valgrind
	abuse_dir
	start_server s fileserve serve -d pub 127.0.0.1 0
	abuse fileserve
}

t_abuse_udp() {
	maybe_valgrind
	start_server s udp-server --echo 127.0.0.1 0
	abuse udp
}

# broadcast listen prints every datagram; grep keeps only the probe's,
# so 100,000 datagrams of up to 64 KiB do not become gigabytes of output.
t_abuse_broadcast_listen() {
	maybe_valgrind
	port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET,
	    socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkfifo printed
	: >s.out
	grep -a --line-buffered 'still there' <printed >s.out &
	track $!
	: >s.err
	"$SK" broadcast listen "$port" </dev/null >printed 2>s.err &
	SPID=$!
	track "$SPID"
	wait_for s.err 'listening on ' || fail "broadcast listen did not start"
	PORT=$port
	ABUSE_OUT=$PWD/s.out abuse blisten
}

# Out of descriptors: each server, limited to 128, gets 50 more clients at
# once than it can hold; it must wait, not spin, and serve again after.
t_abuse_out_of_descriptors() {
	abuse_dir
	real=$SK
	printf '#!/bin/sh\nulimit -n 128\nexec "%s" "$@"\n' "$real" >lim.sh
	chmod +x lim.sh
	for kind in echo chat http fileserve; do
		case $kind in
		echo) set -- tcp-server --echo ;;
		chat) set -- tcp-server --chat ;;
		http) set -- http -q -d pub ;;
		fileserve) set -- fileserve serve -d pub ;;
		esac
		SK=$PWD/lim.sh
		start_server "s-$kind" "$@" 127.0.0.1 0
		SK=$real
		ABUSE_ATTACKS=exhaust abuse "$kind"
		grep -Eq "accept: .*: (new clients wait|clients turned away)" \
		    "s-$kind.err" ||
		    fail "$kind: did not say it ran out: $(tail -3 "s-$kind.err")"
	done
}

# ipcalc - reading a 512 MiB line (a file of addresses gone wrong, or an
# attacker's stdin): memory stays bounded, the lines around it are
# answered, the long one is reported.  Issue 14.18.
t_abuse_ipcalc_long_line() {
	python3 - "$SK" >report <<'PY' || fail "ipcalc: $(cat report)"
import subprocess, sys, threading, time
p = subprocess.Popen([sys.argv[1], "ipcalc", "--json", "-"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
peak = [0]
def watch():
    while p.poll() is None:
        try:
            for l in open("/proc/%d/status" % p.pid):
                if l.startswith("VmRSS:"):
                    peak[0] = max(peak[0], int(l.split()[1]))
        except OSError:
            return
        time.sleep(0.01)
threading.Thread(target=watch, daemon=True).start()
out = []
reader = threading.Thread(target=lambda: out.append(p.stdout.read()))
reader.start()
t0 = time.time()
p.stdin.write(b"10.0.0.1/8\n")
chunk = b"x" * (1 << 20)
for _ in range(512):
    p.stdin.write(chunk)
p.stdin.write(b"\n192.168.1.1/24\n")
p.stdin.close()
err = p.stderr.read()
p.wait(timeout=60)
reader.join(60)
secs = time.time() - t0
lines = out[0].splitlines()
assert len(lines) == 3, len(lines)
assert b'"10.0.0.0"' in lines[0] and b'"error"' in lines[1] and \
    b'"192.168.1.0"' in lines[2], lines
assert p.returncode == 2, p.returncode
assert peak[0] < 16 << 10, peak[0]
print("ipcalc    long_line     inputs=3 line_bytes=%d secs=%.1f "
      "peak_rss_kib=%d" % (512 << 20, secs, peak[0]))
PY
	sed 's/^/    /' report >&2
	[ -z "${ABUSE_REPORT:-}" ] || cat report >>"$ABUSE_REPORT"
}
