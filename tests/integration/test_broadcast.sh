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
	one_line err "sockkit: broadcast: a NAME is 1-64 characters"
	expect_exit 1 "$SK" broadcast listen --group 10.0.0.1 --timeout 1 5002 \
	    2>err
	one_line err "sockkit: broadcast: '10.0.0.1' is not a multicast group"
}
