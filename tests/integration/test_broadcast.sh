# test_broadcast.sh - broadcast and multicast across test hosts of our own:
# network namespaces on one bridge (lan_setup), 10.231.0.0/24 inside them
# only.  Skipped, saying why, where the runner is not root.

# listen_on NAME HOST ARGS...: "broadcast listen ARGS" on a test host in
# the background; waits for its listening line.
listen_on() {
	name=$1 host=$2
	shift 2
	: >"$name.out"
	: >"$name.err"
	# ip netns exec execs the command, so $! is the listener itself.
	eval "ns=\$NS_$host"
	ip netns exec "$ns" "$SK" broadcast listen "$@" >>"$name.out" \
	    2>>"$name.err" &
	track $!
	eval "LPID_$name=$!"
	wait_for "$name.err" 'listening on ' || fail "$name did not listen"
}

t_broadcast_reaches_two_other_hosts() {
	lan_setup a b c
	listen_on lb b --count 2 --timeout 20 5000
	listen_on lc c --count 2 --timeout 20 5000
	# The subnet's broadcast address, then the limited one on eth0.
	on_host a "$SK" broadcast send --port 5000 --to 10.231.0.255 \
	    "to the subnet" || fail "send --to"
	on_host a "$SK" broadcast send --port 5000 --iface eth0 \
	    "to everyone" || fail "send 255.255.255.255"
	for l in lb lc; do
		eval "pid=\$LPID_$l"
		wait_exit "$pid" || fail "$l did not get both"
		grep -Eq '^10\.231\.0\.1:[0-9]+ to the subnet$' "$l.out" ||
		    fail "$l: $(cat "$l.out")"
		grep -Eq '^10\.231\.0\.1:[0-9]+ to everyone$' "$l.out" ||
		    fail "$l: $(cat "$l.out")"
	done
}

t_multicast_join_and_leave() {
	lan_setup a b c
	# b joins; c listens on the same port without joining.
	listen_on joined b --group 239.1.2.3 --count 1 --timeout 20 5001
	listen_on notjoined c --timeout 3 5001
	grep -q '239.1.2.3' /proc/net/igmp 2>/dev/null &&
	    fail "the group leaked into the machine's own namespace"
	on_host b grep -q '030201EF' /proc/net/igmp ||
	    fail "b has not joined: $(on_host b cat /proc/net/igmp)"
	on_host a "$SK" broadcast send --port 5001 --group 239.1.2.3 \
	    --iface eth0 "to the group" || fail "send --group"
	wait_exit "$LPID_joined" || fail "the joined listener got nothing"
	grep -Eq '^10\.231\.0\.1:[0-9]+ to the group$' joined.out ||
	    fail "joined: $(cat joined.out)"
	wait_exit "$LPID_notjoined" || fail "notjoined did not stop"
	[ ! -s notjoined.out ] || fail "a listener that did not join got: $(cat notjoined.out)"
	# The joined listener has left: b is no longer in the group.
	on_host b grep -q '030201EF' /proc/net/igmp &&
	    fail "b still in the group after its listener left"
	# Two listeners on one host share the port, both in the group.
	listen_on s1 b --group 239.1.2.3 --count 1 --timeout 20 5001
	listen_on s2 b --group 239.1.2.3 --count 1 --timeout 20 5001
	on_host a "$SK" broadcast send --port 5001 --group 239.1.2.3 \
	    --iface eth0 "both" || fail "send"
	wait_exit "$LPID_s1" && wait_exit "$LPID_s2" || fail "shared port"
	grep -q ' both$' s1.out && grep -q ' both$' s2.out || fail "shared"
}

t_ipv6_multicast() {
	lan_setup a b c
	on_host a test -e /proc/net/if_inet6 || skip "no IPv6 in the kernel"
	listen_on six b --group ff02::1:3 --iface eth0 --count 1 --timeout 20 \
	    5003
	listen_on nosix c --timeout 3 -6 5003
	on_host a "$SK" broadcast send --port 5003 --group ff02::1:3 \
	    --iface eth0 "hello six" || fail "send to ff02::1:3"
	wait_exit "$LPID_six" || fail "the IPv6 listener got nothing"
	grep -Eq '^\[fe80::[0-9a-f:]+\]:[0-9]+ hello six$' six.out ||
	    fail "six: $(cat six.out)"
	wait_exit "$LPID_nosix" || fail "nosix did not stop"
	[ ! -s nosix.out ] || fail "not joined, yet got: $(cat nosix.out)"
}

t_announce_and_discover() {
	lan_setup a b
	ip netns exec "$NS_b" "$SK" broadcast discover --timeout 4 >found \
	    2>derr &
	dpid=$!
	track $dpid
	wait_for derr 'listening on ' || fail "discover did not listen"
	on_host a "$SK" broadcast announce --iface eth0 --count 4 --interval 0.2 \
	    files 8080 || fail "announce"
	wait_exit "$dpid" || fail "discover did not stop"
	[ "$RC" -eq 0 ] || fail "discover exit $RC: $(cat derr)"
	grep -qx 'files 10.231.0.1 8080' found || fail "found: $(cat found)"
	[ "$(wc -l <found)" -eq 1 ] || fail "repeats listed twice"
	# JSON, and nothing heard: exit 1.
	on_host b "$SK" broadcast discover --timeout 0.5 --json >found 2>derr
	[ $? -eq 1 ] || fail "discover with nothing heard should exit 1"
	grep -q "^sockkit: broadcast: no service heard in 0.5 s$" derr ||
	    fail "$(cat derr)"
}

t_broadcast_bad_input() {
	expect_exit 2 "$SK" broadcast 2>err
	one_line err "sockkit: broadcast: missing send, listen"
	expect_exit 2 "$SK" broadcast listen 2>err
	one_line err "sockkit: broadcast: missing PORT"
	expect_exit 2 "$SK" broadcast send --to 1.2.3.4 --group 239.1.1.1 x 2>err
	one_line err "sockkit: broadcast: --to and --group do not go together"
	expect_exit 2 "$SK" broadcast announce 'bad name' 80 2>err
	one_line err "sockkit: broadcast: a NAME is 1-64 bytes of text, no spaces or control bytes: .bad name. holds a space"
	# Issue 9: a group that is not multicast is a usage error for every
	# action (send did a unicast send to it), and --to a group says so.
	for a in "send --group 10.0.0.1 x" "listen --group 10.0.0.1 5002" \
	    "announce --group 10.0.0.1 files 80" "discover --group 10.0.0.1" \
	    "send --group 2001:db8::1 x" "send --group files.lan x" \
	    "listen --group 240.0.0.1 5002" "listen --group 223.255.255.255 5002"; do
		# shellcheck disable=SC2086
		timeout 5 "$SK" broadcast $a </dev/null >out 2>err
		rc=$?
		[ "$rc" -eq 2 ] || fail "$a: exit $rc"
		one_line err "sockkit: broadcast: '.*' is not a multicast group (IPv4 224.0.0.0/4, IPv6 ff00::/8)"
		[ ! -s out ] || fail "$a printed: $(cat out)"
	done
	expect_exit 2 "$SK" broadcast send --to 239.1.2.3 x 2>err
	one_line err "sockkit: broadcast: --to 239.1.2.3 is a multicast group: use --group"
	expect_exit 2 "$SK" broadcast announce --to ff02::1 files 80 2>err
	one_line err "sockkit: broadcast: --to ff02::1 is a multicast group"
	expect_exit 2 "$SK" broadcast send -4 --group ff02::1:3 x 2>err
	one_line err "sockkit: broadcast: --group ff02::1:3 is IPv6: not with -4"
	expect_exit 2 "$SK" broadcast listen -6 --group 239.1.2.3 5002 2>err
	one_line err "sockkit: broadcast: --group 239.1.2.3 is IPv4: not with -6"
	expect_exit 2 "$SK" broadcast send -6 x 2>err
	one_line err "sockkit: broadcast: -6: a broadcast is IPv4 only"
}

# Issue 9 on the wire: "send --group 10.0.0.1" used to send a unicast
# datagram to 10.0.0.1; now nothing leaves.
t_broadcast_group_not_multicast_sends_nothing() {
	lan_setup a b
	listen_on lb b --timeout 2 5004
	on_host a "$SK" broadcast send --port 5004 --group 10.231.0.2 \
	    "unicast" 2>err
	rc=$?
	[ "$rc" -eq 2 ] || fail "exit $rc"
	one_line err "sockkit: broadcast: '10.231.0.2' is not a multicast group"
	wait_exit "$LPID_lb" || fail "listener did not stop"
	[ ! -s lb.out ] || fail "a datagram went out: $(cat lb.out)"
}

# Issue 10: an option that does nothing for the action is a usage error.
t_broadcast_options_that_do_nothing() {
	while read -r args; do
		want=${args#*|}
		args=${args%%|*}
		# shellcheck disable=SC2086
		timeout 5 "$SK" broadcast $args </dev/null >out 2>err
		rc=$?
		[ "$rc" -eq 2 ] || fail "$args: exit $rc"
		one_line err "sockkit: broadcast: $want"
		! grep -q listening err || fail "$args listened"
	done <<'EOF'
discover --count 3|--count does not go with discover
discover --interval 1|--interval does not go with discover
discover --to 10.0.0.255|--to does not go with discover
discover --ttl 2|--ttl does not go with discover
listen --port 5000 5000|listen takes its PORT as an operand
listen --to 10.0.0.255 5000|--to does not go with listen
listen --interval 2 5000|--interval does not go with listen
listen --ttl 2 --group 239.1.1.1 5000|--ttl does not go with listen
listen --json 5000|--json goes with discover
send --timeout 2 x|--timeout does not go with send
send --json x|--json goes with discover
send --ttl 4 x|--ttl goes with --group
send --ttl 4 --to 10.0.0.255 x|--ttl goes with --group
send --count 0 x|send --count: at least 1
announce --timeout 2 files 80|--timeout does not go with announce
announce --ttl 3 files 80|--ttl goes with --group
EOF
}

# Issue 15: discover reports an address one can connect to.  A broadcast
# on lo from a host with no other IPv4 address leaves from 0.0.0.0: that
# is this host, reached at lo's address.  A host with no address (0.0.0.0
# on eth0) cannot be reached: skipped.  An IPv6 link-local sender needs
# its interface: fe80::...%eth0.
t_discover_reports_a_usable_host() {
	lan_setup a b
	ip -n "$NS_a" -4 addr flush dev eth0
	ip -n "$NS_b" -4 addr flush dev eth0
	ip netns exec "$NS_a" "$SK" broadcast discover -v --timeout 3 \
	    >found 2>derr &
	dpid=$!
	track $dpid
	wait_for derr 'listening on ' || fail "discover did not listen"
	on_host b "$SK" broadcast announce --iface eth0 --count 3 \
	    --interval 0.2 noaddr 8080 || fail "announce from no address"
	on_host a "$SK" broadcast announce --iface lo --count 3 \
	    --interval 0.2 onlo 8081 || fail "announce on lo"
	wait_exit "$dpid" || fail "discover did not stop"
	[ "$RC" -eq 0 ] || fail "discover exit $RC: $(cat derr)"
	[ "$(cat found)" = "onlo 127.0.0.1 8081" ] ||
	    fail "found: $(cat found)"
	grep -q "'noaddr' from 0.0.0.0:[0-9]*: no address to reach it by, skipped" \
	    derr || fail "no word of the skipped one: $(cat derr)"
	[ "$(grep -c skipped derr)" -eq 1 ] || fail "said more than once"
	# IPv6 link-local, on a group.
	on_host a test -e /proc/net/if_inet6 || skip "no IPv6 in the kernel"
	ip netns exec "$NS_a" "$SK" broadcast discover --group ff02::1:3 \
	    --iface eth0 --timeout 3 --json >found6 2>derr6 &
	dpid=$!
	track $dpid
	wait_for derr6 'listening on ' || fail "discover -6 did not listen"
	on_host b "$SK" broadcast announce --group ff02::1:3 --iface eth0 \
	    --count 3 --interval 0.2 six 8082 || fail "announce six"
	wait_exit "$dpid" || fail "discover -6 did not stop"
	grep -Eqx '\{"name":"six","host":"fe80::[0-9a-f:]+%eth0","port":8082\}' \
	    found6 || fail "found6: $(cat found6) $(cat derr6)"
	# That host is one a client can connect to, as it stands.
	h=$(sed 's/.*"host":"\([^"]*\)".*/\1/' found6)
	ip netns exec "$NS_b" "$SK" udp-server --echo -6 :: 0 \
	    >/dev/null 2>u.err &
	track $!
	wait_for u.err 'listening on ' || fail "udp-server on b"
	uport=$(sed -n 's/.*:\([0-9]*\)$/\1/p' u.err)
	on_host a "$SK" udp-client --send hi --expect hi -w 2 "$h" "$uport" ||
	    fail "cannot reach $h"
}

# A NAME given as a service port name goes out as its number, which
# discover takes (it sent "http", which discover dropped).
t_announce_service_name_as_number() {
	lan_setup a
	ip netns exec "$NS_a" "$SK" broadcast discover --timeout 2 >found \
	    2>derr &
	dpid=$!
	track $dpid
	wait_for derr 'listening on ' || fail "discover did not listen"
	on_host a "$SK" broadcast announce --to 127.0.0.1 --count 2 \
	    --interval 0.2 web http || fail "announce"
	wait_exit "$dpid" || fail "discover did not stop"
	[ "$(cat found)" = "web 127.0.0.1 80" ] || fail "found: $(cat found)"
}

# listen and discover whose stdout reader leaves stop, quietly (141).
t_broadcast_stdout_gone() {
	lan_setup a
	for what in listen discover; do
		rm -f pipe
		mkfifo pipe
		: >"$what.err"
		if [ $what = listen ]; then
			ip netns exec "$NS_a" "$SK" broadcast listen 5005 \
			    >pipe 2>>"$what.err" &
		else
			ip netns exec "$NS_a" "$SK" broadcast discover \
			    --timeout 60 >pipe 2>>"$what.err" &
		fi
		lpid=$!
		track $lpid
		head -n 1 <pipe >/dev/null &
		track $!
		wait_for "$what.err" 'listening on ' || fail "$what did not start"
		port=$([ $what = listen ] && echo 5005 || echo 47474)
		on_host a python3 - "$port" "$lpid" <<'PY'
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(100):
    try:
        os.kill(int(sys.argv[2]), 0)
    except OSError:
        break
    s.sendto(b"sockkit-announce 1 s%d 80\n" % i, ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.1)
PY
		wait_exit $lpid || fail "$what went on after its reader left"
		[ "$RC" -eq 141 ] || fail "$what exit $RC"
		one_line "$what.err" "sockkit: broadcast: listening on"
	done
}

# --interval and --timeout are cmd_seconds: one rule ("1e1", "inf" and
# "-1" are refused; "0.25" taken), and send repeats each stdin line
# --interval apart, as it does a MESSAGE.
t_broadcast_seconds_and_repeats() {
	for v in 1e1 inf nan -1 0 0x10 ""; do
		timeout 5 "$SK" broadcast discover --timeout "$v" </dev/null \
		    2>err
		[ $? -eq 2 ] || fail "--timeout '$v' taken"
		one_line err "sockkit: broadcast: --timeout: invalid seconds"
	done
	lan_setup a
	listen_on l a --count 4 --timeout 10 5006
	start=$(date +%s%N)
	printf 'one\ntwo\n' | on_host a "$SK" broadcast send --to 127.0.0.1 \
	    --port 5006 --count 2 --interval 0.25 || fail "send"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	wait_exit "$LPID_l" || fail "listener did not get 4"
	[ "$(cut -d' ' -f2 l.out | tr '\n' ' ')" = "one one two two " ] ||
	    fail "got: $(cat l.out)"
	# Two pauses of 0.25 s at least (no upper bound: a busy machine).
	[ "$ms" -ge 500 ] || fail "repeats not --interval apart: ${ms} ms"
}
