# lib.sh - helpers for the integration tests (sourced by run.sh).
#
# A test is a shell function named t_<name> in a tests/integration/test_*.sh
# file.  It runs in its own subshell with a fresh scratch directory ($T) as
# its working directory, and fails on the first failed check.  Servers are
# started on port 0; start_server waits, bounded, for the "listening on"
# line and reads the real port from it; everything started is stopped by
# PID when the test ends.

: "${SK:?SK must name the sockkit binary}"
# Bound on every wait, in tenths of a second.
WAIT_TENTHS=${WAIT_TENTHS:-100}

PIDS=""

fail() {
	echo "    FAIL: $*" >&2
	exit 1
}

# Remember a background process so cleanup() stops it.
track() {
	PIDS="$PIDS $1"
}

# skip WHY: this test cannot run here (run.sh counts it as skipped).
skip() {
	echo "    SKIP: $*" >&2
	exit 77
}

# Stop the tracked processes by PID: TERM, then KILL if they linger; then
# delete the network namespaces the test made.
cleanup() {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 30 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=""
	for ns in ${NETNS:-}; do
		ip netns del "$ns" 2>/dev/null
	done
	NETNS=""
	for m in ${MOUNTS:-}; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	MOUNTS=""
}

# small_disk DIR SIZE: a tmpfs of SIZE (1m, 8m) on DIR, unmounted by
# cleanup; a disk that fills up.  Skips unless root.
small_disk() {
	[ "$(id -u)" = 0 ] || skip "needs root to mount a small tmpfs"
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2" sockkit-test "$1" ||
	    skip "cannot mount a tmpfs here"
	MOUNTS="$MOUNTS $PWD/$1"
}

# lan_setup HOST...: test hosts of our own, each a network namespace with
# an eth0 on one bridge (in a namespace of its own too), addresses
# 10.231.0.1, .2, ... /24.  Nothing touches the machine's own network:
# every interface is created inside those namespaces.  Sets NS_<host> to
# each namespace's name and ADDR_<host> to its address.  Skips unless root.
lan_setup() {
	[ "$(id -u)" = 0 ] || skip "needs root for ip netns"
	command -v ip >/dev/null 2>&1 || skip "needs ip (iproute2)"
	tag="sk$$"
	hub="$tag-hub"
	ip netns add "$hub" 2>/dev/null || skip "ip netns add is not allowed here"
	NETNS="$hub"
	ip -n "$hub" link add br0 type bridge || fail "bridge"
	ip -n "$hub" link set br0 up
	n=1
	for h in "$@"; do
		ns="$tag-$h"
		ip netns add "$ns" || fail "netns $ns"
		NETNS="$NETNS $ns"
		# IPv6 link-local addresses usable at once, without DAD's wait.
		ip netns exec "$ns" sh -c 'for f in all default; do
		    echo 0 >/proc/sys/net/ipv6/conf/$f/accept_dad; done' \
		    2>/dev/null
		ip -n "$ns" link add eth0 type veth peer name "p$n" netns "$hub" ||
		    fail "veth for $h"
		ip -n "$hub" link set "p$n" master br0 up
		ip -n "$ns" addr add "10.231.0.$n/24" brd 10.231.0.255 dev eth0
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 up
		# Multicast leaves by the LAN interface.
		ip -n "$ns" route add 224.0.0.0/4 dev eth0
		eval "NS_$h=$ns ADDR_$h=10.231.0.$n"
		n=$((n + 1))
	done
}

# on_host HOST CMD...: run CMD on a test host.
on_host() {
	h=$1
	shift
	eval "ip netns exec \"\$NS_$h\" \"\$@\""
}

# wait_for FILE PATTERN: until a line of FILE matches (grep -E), bounded.
wait_for() {
	i=0
	while [ $i -lt "$WAIT_TENTHS" ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "    timed out waiting for /$2/ in $1:" >&2
	sed 's/^/      /' "$1" >&2 2>/dev/null
	return 1
}

# wait_size FILE BYTES: until FILE holds at least BYTES, bounded (20 s);
# returns 1 if it never does.
wait_size() {
	i=0
	while [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -lt "$2" ] &&
	    [ $i -lt 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ]
}

# wait_exit PID: wait for a process to end by itself, bounded; sets RC.
wait_exit() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt "$WAIT_TENTHS" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		echo "    process $1 did not exit in time" >&2
		return 1
	fi
	wait "$1"
	RC=$?
	return 0
}

# start_server NAME ARGS...: run "sockkit ARGS" in the background with
# stdout in NAME.out, stderr in NAME.err and stdin from $SERVER_STDIN (or
# /dev/null); wait for its listening line; set PORT and SPID.
start_server() {
	name=$1
	shift
	# Empty the files first: the background redirection truncates them
	# only when the child runs, and a reused name must not be read stale.
	: >"$name.out"
	: >"$name.err"
	"$SK" "$@" <"${SERVER_STDIN:-/dev/null}" >>"$name.out" 2>>"$name.err" &
	SPID=$!
	track "$SPID"
	wait_for "$name.err" 'listening on ' || fail "server did not listen: $*"
	PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$name.err" |
	    head -n 1)
	[ -n "$PORT" ] || [ -n "${UNIX_SERVER:-}" ] ||
	    fail "no port in the listening line: $(cat "$name.err")"
}

# stop_server: SIGTERM the last server and check it cleans up and then
# dies by that signal (a signal is never a success: the shell sees 143).
stop_server() {
	kill -TERM "$SPID" 2>/dev/null
	wait_exit "$SPID" || fail "server $SPID ignored SIGTERM"
	[ "$RC" -eq 143 ] || fail "server exited $RC after SIGTERM, not 143"
}

# expect_exit CODE CMD...: run CMD bounded in time; check its exit code.
expect_exit() {
	want=$1
	shift
	timeout 20 "$@"
	got=$?
	[ "$got" -eq "$want" ] || fail "'$*' exited $got, wanted $want"
}

# one_line FILE PREFIX: FILE holds exactly one line, starting with PREFIX.
one_line() {
	n=$(wc -l <"$1")
	[ "$n" -eq 1 ] || fail "expected one line in $1, got $n: $(cat "$1")"
	grep -q "^$2" "$1" || fail "expected '$2...' in $1, got: $(cat "$1")"
}

# random_file NAME BYTES
random_file() {
	head -c "$2" /dev/urandom >"$1"
}

have_ipv6() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' \
	    2>/dev/null
}

# http_raw PORT [HOST]: send stdin's bytes as they are to an HTTP server,
# print everything it sends back until it closes (bounded to 10 s).
http_raw() {
	python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[2], int(sys.argv[1])), timeout=10)
s.sendall(sys.stdin.buffer.read())
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
except (socket.timeout, ConnectionResetError):
    pass
sys.stdout.buffer.write(out)' "$1" "${2:-127.0.0.1}"
}
