# test_ipcalc.sh - sockkit ipcalc: a differential test against python3's
# ipaddress over 12,000 random inputs (fixed seed), the edges (/0, /31,
# /32, class boundaries, every special range's first and last address),
# invalid input, --split, --range, --reverse, --contains, bulk mode.

t_ipcalc_differential() {
	python3 - "$SK" <<'PY' || fail "differential"
import ipaddress, json, random, subprocess, sys
random.seed(20261122)
specials4 = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
             "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
             "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
             "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"]
specials6 = ["::/128", "::1/128", "::ffff:0:0/96", "fe80::/10", "fc00::/7",
             "ff00::/8", "2001:db8::/32", "2000::/3", "2001::/23", "3fff::/20"]
def rand_in(net):
    n = ipaddress.ip_network(net)
    return n.network_address + random.randrange(n.num_addresses)
inputs = []
for i in range(12000):
    r = random.random()
    if r < 0.45:
        a = rand_in(random.choice(specials4)) if random.random() < 0.4 else \
            ipaddress.IPv4Address(random.getrandbits(32))
        p = random.choice([0, 1, 8, 16, 24, 30, 31, 32, random.randint(0, 32)])
        form = random.random()
        if form < 0.15:
            inputs.append(str(a))
        elif form < 0.3:
            inputs.append("%s/%s" % (a, ipaddress.IPv4Network("0.0.0.0/%d" % p).netmask))
        else:
            inputs.append("%s/%d" % (a, p))
    else:
        a = rand_in(random.choice(specials6)) if random.random() < 0.4 else \
            ipaddress.IPv6Address(random.getrandbits(128) >> random.choice([0, 0, 64, 96, 112, 120]))
        p = random.choice([0, 1, 32, 48, 64, 96, 127, 128, random.randint(0, 128)])
        text = a.exploded if random.random() < 0.2 else str(a)
        inputs.append(text if random.random() < 0.15 else "%s/%d" % (text, p))
out = subprocess.run([sys.argv[1], "ipcalc", "--json", "-"],
                     input="\n".join(inputs) + "\n", capture_output=True,
                     text=True, timeout=60)
assert out.returncode == 0, out.stderr[:500]
lines = out.stdout.splitlines()
assert len(lines) == len(inputs), (len(lines), len(inputs))
# The type, from the IANA special-purpose registries, written out here as
# networks (python's own is_global/is_private predicates are 3.11's view
# and differ on unallocated IPv6 space and newer blocks): first match wins.
N = ipaddress.ip_network
table4 = [("255.255.255.255/32", "broadcast"), ("0.0.0.0/32", "unspecified"),
          ("0.0.0.0/8", "reserved"), ("127.0.0.0/8", "loopback"),
          ("169.254.0.0/16", "link-local"), ("10.0.0.0/8", "private"),
          ("172.16.0.0/12", "private"), ("192.168.0.0/16", "private"),
          ("100.64.0.0/10", "shared"), ("192.0.2.0/24", "documentation"),
          ("198.51.100.0/24", "documentation"), ("203.0.113.0/24", "documentation"),
          ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved"),
          ("192.0.0.0/24", "reserved"), ("198.18.0.0/15", "reserved"),
          ("192.88.99.0/24", "reserved"), ("0.0.0.0/0", "public")]
table6 = [("::/128", "unspecified"), ("::1/128", "loopback"),
          ("::ffff:0:0/96", "ipv4-mapped"), ("fe80::/10", "link-local"),
          ("fc00::/7", "unique-local"), ("ff00::/8", "multicast"),
          ("2001:db8::/32", "documentation"), ("3fff::/20", "documentation"),
          ("2001::/23", "reserved"), ("2000::/3", "public"), ("::/0", "reserved")]
table4 = [(N(n), t) for n, t in table4]
table6 = [(N(n), t) for n, t in table6]
def want_type(a):
    for n, t in (table4 if a.version == 4 else table6):
        if a in n:
            # and where python 3.11 has an opinion, it agrees
            if t == "loopback": assert a.is_loopback
            if t == "link-local": assert a.is_link_local
            if t == "multicast": assert a.is_multicast
            if t == "unspecified": assert a.is_unspecified
            if t in ("private", "unique-local"): assert a.is_private
            return t
bad = 0
for text, line in zip(inputs, lines):
    j = json.loads(line)
    try:
        iface = ipaddress.ip_interface(text)
        net = iface.network
        addr = iface.ip
        checks = []
        checks.append(("prefix", j["prefix"], net.prefixlen))
        checks.append(("version", j["version"], addr.version))
        checks.append(("address", ipaddress.ip_address(j["address"]), addr))
        checks.append(("network", ipaddress.ip_address(j["network"]), net.network_address))
        p = net.prefixlen
        if addr.version == 4:
            checks.append(("netmask", j["netmask"], str(net.netmask)))
            checks.append(("wildcard", j["wildcard"], str(net.hostmask)))
            checks.append(("broadcast", j["broadcast"], str(net.broadcast_address)))
            first = net.network_address + (1 if p <= 30 else 0)
            last = net.broadcast_address - (1 if p <= 30 else 0)
            checks.append(("first_host", j["first_host"], str(first)))
            checks.append(("last_host", j["last_host"], str(last)))
            checks.append(("hosts", j["hosts"], net.num_addresses - 2 if p <= 30 else net.num_addresses))
            o = int(addr) >> 24
            cls = "A" if o < 128 else "B" if o < 192 else "C" if o < 224 else "D" if o < 240 else "E"
            checks.append(("class", j["class"], cls))
            checks.append(("address text", j["address"], str(addr)))
        else:
            checks.append(("expanded", j["expanded"], addr.exploded))
            checks.append(("last_address", ipaddress.ip_address(j["last_address"]), net.broadcast_address))
            checks.append(("hosts", j["hosts"], str(net.num_addresses)))
            if addr.ipv4_mapped is None:
                checks.append(("compressed", j["address"], addr.compressed))
        checks.append(("type", j["type"], want_type(addr)))
        for name, got, exp in checks:
            if got != exp:
                bad += 1
                if bad < 20:
                    print("MISMATCH", text, name, got, exp)
    except ValueError as e:
        print("oracle refused", text, e)
        bad += 1
print("%d inputs compared with python's ipaddress, %d mismatches" % (len(inputs), bad))
sys.exit(1 if bad else 0)
PY
}

# json FIELD INPUT: one field of the JSON answer.
jf() {
	"$SK" ipcalc --json "$2" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"
}

t_ipcalc_edges() {
	# class boundaries
	for pair in 0.0.0.0:A 127.255.255.255:A 128.0.0.0:B 191.255.255.255:B \
	    192.0.0.0:C 223.255.255.255:C 224.0.0.0:D 239.255.255.255:D \
	    240.0.0.0:E 255.255.255.255:E; do
		[ "$(jf class "${pair%:*}")" = "${pair#*:}" ] || fail "class $pair"
	done
	# types: each special range's first and last address
	while read -r a t; do
		[ "$(jf type "$a")" = "$t" ] || fail "type of $a: $(jf type "$a"), wanted $t"
	done <<'EOF2'
0.0.0.0 unspecified
0.0.0.1 reserved
0.255.255.255 reserved
1.0.0.0 public
9.255.255.255 public
10.0.0.0 private
10.255.255.255 private
100.63.255.255 public
100.64.0.0 shared
100.127.255.255 shared
127.0.0.0 loopback
127.255.255.255 loopback
169.254.0.0 link-local
169.254.255.255 link-local
172.15.255.255 public
172.16.0.0 private
172.31.255.255 private
172.32.0.0 public
192.0.2.0 documentation
192.0.2.255 documentation
192.168.0.0 private
192.168.255.255 private
198.51.100.0 documentation
198.51.100.255 documentation
203.0.113.0 documentation
203.0.113.255 documentation
224.0.0.0 multicast
239.255.255.255 multicast
240.0.0.0 reserved
255.255.255.254 reserved
255.255.255.255 broadcast
:: unspecified
::1 loopback
::ffff:0.0.0.0 ipv4-mapped
::ffff:255.255.255.255 ipv4-mapped
fe80:: link-local
febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff link-local
fc00:: unique-local
fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff unique-local
ff00:: multicast
ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff multicast
2001:db8:: documentation
2001:db8:ffff:ffff:ffff:ffff:ffff:ffff documentation
2000:: public
2606:4700::1111 public
fe80::1%eth0 link-local
EOF2
	# /0, /1, /31, /32
	[ "$(jf hosts 0.0.0.0/0)" = 4294967294 ] || fail "/0 hosts"
	[ "$(jf broadcast 0.0.0.0/0)" = 255.255.255.255 ] || fail "/0 bcast"
	[ "$(jf hosts 128.0.0.0/1)" = 2147483646 ] || fail "/1 hosts"
	[ "$(jf first_host 10.0.0.0/31)" = 10.0.0.0 ] &&
	    [ "$(jf last_host 10.0.0.0/31)" = 10.0.0.1 ] &&
	    [ "$(jf broadcast 10.0.0.0/31)" = 10.0.0.1 ] &&
	    [ "$(jf hosts 10.0.0.0/31)" = 2 ] || fail "/31 (RFC 3021)"
	[ "$(jf first_host 10.0.0.7/32)" = 10.0.0.7 ] &&
	    [ "$(jf broadcast 10.0.0.7/32)" = 10.0.0.7 ] &&
	    [ "$(jf hosts 10.0.0.7/32)" = 1 ] || fail "/32"
	[ "$(jf hosts ::/0)" = 340282366920938463463374607431768211456 ] ||
	    fail "::/0 count"
	[ "$(jf prefix 10.1.2.3)" = 32 ] && [ "$(jf prefix ::1)" = 128 ] ||
	    fail "bare address"
	[ "$(jf address ::ffff:1.2.3.4)" = ::ffff:1.2.3.4 ] || fail "mapped text"
	[ "$(jf address 2001:0db8:0:0:1:0:0:1)" = 2001:db8::1:0:0:1 ] ||
	    fail "RFC 5952 first longest run"
	[ "$(jf address 2001:db8:0:1:1:1:1:1)" = 2001:db8:0:1:1:1:1:1 ] ||
	    fail "RFC 5952 single zero group"
	[ "$(jf zone fe80::1%eth0)" = eth0 ] || fail "zone"
	# netmask forms
	for m in 255.255.0.0 0xffff0000 0.0.255.255 /16 16; do
		[ "$("$SK" ipcalc --json 10.0.0.1 "$m" | python3 -c 'import json,sys; print(json.load(sys.stdin)["prefix"])')" = 16 ] ||
		    fail "netmask form $m"
	done
	[ "$(jf prefix 10.0.0.1/0.0.0.0)" = 0 ] || fail "0.0.0.0 is /0"
	# the human report
	"$SK" ipcalc 192.168.1.10/24 >rep
	grep -q '^Network:   192.168.1.0/24$' rep &&
	    grep -q '^HostMax:   192.168.1.254$' rep &&
	    grep -q '^Hosts/Net: 254$' rep || fail "report: $(cat rep)"
	"$SK" ipcalc --binary 192.168.1.10/25 >bin
	grep -q '11000000.10101000.00000001.0 0001010$' bin || fail "binary"
	grep -q "$(printf '\033')" bin && fail "colour in a pipe"
	:
}

t_ipcalc_invalid() {
	for a in 256.1.1.1 1.2.3 010.1.1.1 ::g "" 1.2.3.4.5 -1.2.3.4 \
	    "fe80::1%" "1.2.3.4%eth0" "$(head -c 300 /dev/zero | tr '\0' 1)"; do
		expect_exit 2 "$SK" ipcalc -- "$a" 2>err
		one_line err "sockkit: ipcalc: invalid address '"
	done
	# A bad prefix or netmask is named as such (see the messages test).
	for a in 1.2.3.4/33 1.2.3.4/255.0.255.0 1.2.3.4/ 1.2.3.4/-1 ::/129; do
		expect_exit 2 "$SK" ipcalc -- "$a" 2>err
		one_line err "sockkit: ipcalc: '$a': "
	done
	# NUL bytes and an overlong line, in bulk mode: each line on its own.
	printf '10.0.0.1/8\n1.2\0003.4\n%s\n::1\n' \
	    "$(head -c 5000 /dev/zero | tr '\0' 9)" >in
	expect_exit 2 "$SK" ipcalc - <in >out 2>err
	[ "$(wc -l <out)" = 2 ] || fail "good lines: $(cat out)"
	[ "$(wc -l <err)" = 2 ] || fail "bad lines: $(cat err)"
	grep -q "invalid address '1.2\\\\x003.4'" err || fail "NUL: $(cat err)"
	grep -q "invalid address '999.*\.\.\.': over 256 bytes" err ||
	    fail "long: $(cat err)"
	expect_exit 2 "$SK" ipcalc --json - <in >out 2>/dev/null
	python3 -c '
import json
o = [json.loads(l) for l in open("out")]
assert [x.get("error") for x in o] == [None, "invalid address", "over 256 bytes", None], o
assert o[1]["input"] == "1.2\x003.4", o[1]' || fail "json errors: $(cat out)"
	expect_exit 2 "$SK" ipcalc 2>err
	expect_exit 2 "$SK" ipcalc a b c 2>err
	expect_exit 2 "$SK" ipcalc --split 8 10.0.0.0/16 2>err
	expect_exit 2 "$SK" ipcalc --contains bogus 10.0.0.0/8 2>err
	one_line err "sockkit: ipcalc: invalid address 'bogus'"
}

t_ipcalc_split_range_reverse_contains() {
	"$SK" ipcalc --split 26 192.168.1.0/24 >out
	[ "$(tr '\n' ' ' <out)" = "192.168.1.0/26 192.168.1.64/26 192.168.1.128/26 192.168.1.192/26 " ] ||
	    fail "split: $(cat out)"
	# /0 into /32s streams: the first lines come at once.
	timeout 5 "$SK" ipcalc --split 32 0.0.0.0/0 | head -n 3 >out
	[ "$(tr '\n' ' ' <out)" = "0.0.0.0/32 0.0.0.1/32 0.0.0.2/32 " ] ||
	    fail "split /0: $(cat out)"
	"$SK" ipcalc --split 128 ::/0 --limit 2 >out
	[ "$(tr '\n' ' ' <out)" = ":: ::1 " ] 2>/dev/null ||
	    [ "$(tr '\n' ' ' <out)" = "::/128 ::1/128 " ] || fail "split v6: $(cat out)"
	[ "$("$SK" ipcalc --split 26 10.0.0.0/24 --json | wc -l)" = 4 ] ||
	    fail "split json"
	"$SK" ipcalc --range 0.0.0.0-255.255.255.255 >out
	[ "$(cat out)" = 0.0.0.0/0 ] || fail "whole v4 range"
	"$SK" ipcalc --range ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff >out
	[ "$(cat out)" = ::/0 ] || fail "whole v6 range"
	"$SK" ipcalc --range 10.0.0.1-10.0.0.10 >out
	[ "$(tr '\n' ' ' <out)" = "10.0.0.1/32 10.0.0.2/31 10.0.0.4/30 10.0.0.8/31 10.0.0.10/32 " ] ||
	    fail "range: $(cat out)"
	# Against python's summarize_address_range on random ranges.
	python3 - "$SK" <<'PY' || fail "range oracle"
import ipaddress, random, subprocess, sys
random.seed(5)
for i in range(200):
    v6 = i % 2
    bits = 128 if v6 else 32
    a, b = sorted(random.getrandbits(bits) >> random.choice([0, bits // 2, bits - 12]) for _ in range(2))
    A = ipaddress.ip_address(a if not v6 else ipaddress.IPv6Address(a))
    B = ipaddress.ip_address(b if not v6 else ipaddress.IPv6Address(b))
    if v6:
        A, B = ipaddress.IPv6Address(a), ipaddress.IPv6Address(b)
    else:
        A, B = ipaddress.IPv4Address(a), ipaddress.IPv4Address(b)
    got = subprocess.run([sys.argv[1], "ipcalc", "--range", "%s-%s" % (A, B)],
                         capture_output=True, text=True, timeout=20).stdout.split()
    want = [str(n) for n in ipaddress.summarize_address_range(A, B)]
    assert [str(ipaddress.ip_network(g)) for g in got] == want, (A, B, got, want)
PY
	expect_exit 2 "$SK" ipcalc --range 10.0.0.9-10.0.0.1 2>err
	expect_exit 2 "$SK" ipcalc --range 10.0.0.1-::1 2>err
	[ "$("$SK" ipcalc --reverse 192.168.1.0/24)" = 1.168.192.in-addr.arpa ] ||
	    fail "reverse v4"
	[ "$("$SK" ipcalc --reverse 10.1.2.3)" = 3.2.1.10.in-addr.arpa ] ||
	    fail "reverse /32"
	[ "$("$SK" ipcalc --reverse 2001:db8::/32)" = 8.b.d.0.1.0.0.2.ip6.arpa ] ||
	    fail "reverse v6"
	expect_exit 0 "$SK" ipcalc --contains 10.1.2.3 10.0.0.0/8
	expect_exit 1 "$SK" ipcalc --contains 11.0.0.0 10.0.0.0/8
	expect_exit 1 "$SK" ipcalc --contains ::1 10.0.0.0/8
	expect_exit 0 "$SK" ipcalc --contains 2001:db8::5 2001:db8::/64
}

t_ipcalc_bulk_lines() {
	printf '192.168.1.10/24\n2001:db8::1/64\n' | "$SK" ipcalc - >out ||
	    fail "bulk"
	[ "$(sed -n 1p out)" = "192.168.1.10/24 network=192.168.1.0 broadcast=192.168.1.255 first_host=192.168.1.1 last_host=192.168.1.254 hosts=254 class=C type=private netmask=255.255.255.0 wildcard=0.0.0.255" ] ||
	    fail "v4 line: $(sed -n 1p out)"
	[ "$(sed -n 2p out)" = "2001:db8::1/64 network=2001:db8:: last_address=2001:db8::ffff:ffff:ffff:ffff first_host=2001:db8:: last_host=2001:db8::ffff:ffff:ffff:ffff hosts=18446744073709551616 type=documentation" ] ||
	    fail "v6 line: $(sed -n 2p out)"
	printf '10.0.0.1/8\n' | "$SK" ipcalc --reverse - >out
	[ "$(cat out)" = 10.in-addr.arpa ] || fail "bulk reverse"
	# 100,000 lines, bounded in time.
	python3 -c '
import random
random.seed(1)
for i in range(100000):
    print("%d.%d.%d.%d/%d" % (random.randrange(256), random.randrange(256), random.randrange(256), random.randrange(256), random.randrange(33)))' >many
	timeout 30 "$SK" ipcalc --json - <many >out || fail "100k lines"
	[ "$(wc -l <out)" = 100000 ] || fail "lines: $(wc -l <out)"
}

# Colour in --binary only on a terminal, and never with NO_COLOR set.
t_ipcalc_colour_on_a_terminal_only() {
	command -v script >/dev/null || skip "needs script(1) for a terminal"
	esc=$(printf '\033')
	env -u NO_COLOR TERM=xterm script -qec "$SK ipcalc --binary 10.0.0.1/8" \
	    /dev/null >tty.out </dev/null
	grep -q "$esc\[3" tty.out || fail "no colour on a terminal"
	NO_COLOR=1 TERM=xterm script -qec "$SK ipcalc --binary 10.0.0.1/8" \
	    /dev/null >tty.out </dev/null
	grep -q "$esc\[3" tty.out && fail "colour with NO_COLOR"
	"$SK" ipcalc --binary 10.0.0.1/8 >pipe.out
	grep -q "$esc" pipe.out && fail "colour in a pipe"
	:
}

# Issue 3: --contains ADDR NETWORK is 0 only when all of ADDR, which may
# be a network, is inside NETWORK; its prefix is not dropped.
t_ipcalc_contains_takes_all_of_a_network() {
	expect_exit 1 "$SK" ipcalc --contains 10.0.0.0/0 10.0.0.0/8
	expect_exit 1 "$SK" ipcalc --contains 10.0.0.0/7 10.0.0.0/8
	expect_exit 1 "$SK" ipcalc --contains 10.0.0.0/255.0.0.0 10.0.0.0/16
	expect_exit 0 "$SK" ipcalc --contains 10.0.0.0/8 10.0.0.0/8
	expect_exit 0 "$SK" ipcalc --contains 10.1.0.0/16 10.0.0.0/8
	expect_exit 0 "$SK" ipcalc --contains 10.1.0.0/16 10.0.0.0 255.0.0.0
	expect_exit 0 "$SK" ipcalc --contains 10.255.255.255 10.0.0.0/8
	expect_exit 1 "$SK" ipcalc --contains 2001:db8::/31 2001:db8::/32
	expect_exit 0 "$SK" ipcalc --contains 2001:db8:1::/48 2001:db8::/32
	expect_exit 1 "$SK" ipcalc --contains ::/0 ::1/128
	# Against python's subnet_of on random pairs, both families.
	python3 - "$SK" <<'PY' || fail "contains oracle"
import ipaddress, random, subprocess, sys
random.seed(3)
bad = 0
for i in range(300):
    bits = 32 if i % 2 else 128
    net = ipaddress.ip_network((random.getrandbits(bits), random.randint(0, bits)), strict=False)
    if random.random() < 0.5:   # often a piece of it, or around it
        p = random.randint(0, bits)
        sub = ipaddress.ip_network((int(net.network_address) + random.randrange(net.num_addresses), p), strict=False)
    else:
        sub = ipaddress.ip_network((random.getrandbits(bits), random.randint(0, bits)), strict=False)
    if bits == 128:
        net, sub = ipaddress.IPv6Network(net), ipaddress.IPv6Network(sub)
    rc = subprocess.run([sys.argv[1], "ipcalc", "--contains", str(sub), str(net)],
                        timeout=10).returncode
    want = 0 if sub.subnet_of(net) else 1
    if rc != want:
        bad += 1
        print("MISMATCH", sub, net, rc, want)
sys.exit(1 if bad else 0)
PY
}

# Issue 10: an option that would do nothing where it is given is refused
# with one line and exit 2, never ignored; -4/-6 keep their meaning.
t_ipcalc_options_that_do_nothing_are_refused() {
	while IFS='|' read -r args msg; do
		# shellcheck disable=SC2086
		timeout 20 "$SK" ipcalc $args 2>err </dev/null >out
		rc=$?
		[ $rc = 2 ] || fail "ipcalc $args: exit $rc, wanted 2"
		one_line err "sockkit: ipcalc: $msg"
		[ ! -s out ] || fail "ipcalc $args wrote: $(cat out)"
	done <<'EOF2'
--json --reverse 10.0.0.1|--json and --reverse do not go together
--json --contains 10.0.0.1 10.0.0.0/8|--json and --contains do not go together
--limit 3 10.0.0.0/8|--limit goes with --split only
--limit 3 --range 10.0.0.1-10.0.0.9|--limit goes with --split only
--binary --json 10.0.0.1|--binary and --json do not go together
-b --split 26 10.0.0.0/24|--binary and --split do not go together
-b --range 10.0.0.1-10.0.0.9|--binary and --range do not go together
-b --reverse 10.0.0.0/24|--binary and --reverse do not go together
-b --contains 10.0.0.1 10.0.0.0/8|--binary and --contains do not go together
-b -|- (bulk mode) and --binary do not go together
--split 26 --range 10.0.0.1-10.0.0.9|--split and --range do not go together
--split 26 --reverse 10.0.0.0/24|--split and --reverse do not go together
--contains 10.0.0.1 --split 26 10.0.0.0/24|--split and --contains do not go together
--range 10.0.0.1-10.0.0.9 --reverse|--range and --reverse do not go together
--range 10.0.0.1-10.0.0.9 --contains 10.0.0.1|--range and --contains do not go together
--reverse --contains 10.0.0.1 10.0.0.0/8|--reverse and --contains do not go together
--split 26 -|- (bulk mode) and --split do not go together
--contains 10.0.0.1 -|- (bulk mode) and --contains do not go together
- 255.0.0.0|- (bulk mode) takes no NETMASK
--range 10.0.0.1-10.0.0.9 10.0.0.1|--range A-B takes no other operand: '10.0.0.1'
-v 10.0.0.1|-v: ipcalc has nothing more to say
--backend poll 10.0.0.1|--backend: ipcalc has no event loop
-6 10.0.0.1|'10.0.0.1' is an IPv4 address, and -6 asks for IPv6
-4 ::1|'::1' is an IPv6 address, and -4 asks for IPv4
-4 --range ::1-::2|'::1' is an IPv6 address, and -4 asks for IPv4
-6 --contains 10.0.0.1 10.0.0.0/8|'10.0.0.1' is an IPv4 address, and -6 asks for IPv6
-6 --split 26 10.0.0.0/24|'10.0.0.0/24' is an IPv4 address, and -6 asks for IPv6
--contains 10.0.0.1|--contains ADDR: no NETWORK given
EOF2
	# What -4/-6 leave alone still works, and the family they ask for.
	"$SK" ipcalc -4 --json 10.0.0.1/8 >out || fail "-4 with IPv4"
	"$SK" ipcalc -6 --split 66 2001:db8::/64 >out || fail "-6 with IPv6"
	[ "$(wc -l <out)" = 4 ] || fail "-6 split: $(cat out)"
	# In bulk mode the other family is a bad line; the rest go on.
	printf '10.0.0.1\n::1\n10.0.0.2\n' | "$SK" ipcalc -4 --json - >out 2>err
	[ $? = 2 ] || fail "-4 bulk: exit"
	python3 -c '
import json
o = [json.loads(l) for l in open("out")]
assert [x.get("error") for x in o] == [None, "not IPv4 (-4)", None], o' ||
	    fail "-4 bulk: $(cat out)"
	one_line err "sockkit: ipcalc: '::1' is an IPv6 address, and -4 asks"
}

# Issue 11: each message names what is wrong.  The CLI's form stays for
# an invalid address itself.
t_ipcalc_messages_name_the_wrong_part() {
	while IFS='|' read -r args msg; do
		# shellcheck disable=SC2086
		timeout 20 "$SK" ipcalc $args 2>err </dev/null >out
		rc=$?
		[ $rc = 2 ] || fail "ipcalc $args: exit $rc, wanted 2"
		one_line err "sockkit: ipcalc: $msg"
	done <<'EOF2'
10.0.0.1/33|'10.0.0.1/33': prefix 33 is over 32
::1/129|'::1/129': prefix 129 is over 128
10.0.0.1/024|'10.0.0.1/024': prefix 024 has a leading zero
10.0.0.1/x|'10.0.0.1/x': prefix is not a number from 0 to 32
10.0.0.1/|'10.0.0.1/': the prefix is empty
10.0.0.1 255.0.255.0|'255.0.255.0': netmask is not contiguous
10.0.0.1 255.0.0|'255.0.0': netmask is not a dotted quad
10.0.0.1 0xff00ff00|'0xff00ff00': netmask is not contiguous
10.0.0.1 33|'33': prefix 33 is over 32
::1 255.255.0.0|'255.255.0.0': IPv6 takes a prefix length
10.0.0.1/8 255.0.0.0|'10.0.0.1/8' has a prefix already: give a /PREFIX or a NETMASK, not both
10.0.0.300 255.0.0.0|invalid address '10.0.0.300'
10.0.0.300/8|invalid address '10.0.0.300/8'
--range 10.0.0.5|--range '10.0.0.5': not a range; give it as A-B
--range 10.0.0.0/24-10.0.0.9|--range: '10.0.0.0/24' is a network; a range is two addresses, A-B
--range 10.0.0.1-10.0.0.300|invalid address '10.0.0.300'
--range bogus-10.0.0.3|invalid address 'bogus'
--split 26 10.0.0.77|--split 26: 10.0.0.77 is a /32, one address; give the network to split, e.g. 10.0.0.77/24
--split 70 2001:db8::1|--split 70: 2001:db8::1 is a /128, one address; give the network to split, e.g. 2001:db8::1/64
--split 8 10.0.0.0/16|--split 8: 10.0.0.0/16 is smaller than a /8; split it into /16 to /32
--split 40 10.0.0.0/8|--split 40: IPv4 prefixes go up to /32
--contains 10.0.0.0/40 10.0.0.0/8|'10.0.0.0/40': prefix 40 is over 32
EOF2
	# In bulk mode the same words, and the JSON error says them too.
	printf '10.0.0.1/33\n10.0.0.1 255.0.255.0\n' |
	    "$SK" ipcalc --json - >out 2>err
	python3 -c '
import json
o = [json.loads(l) for l in open("out")]
assert o[0] == {"input": "10.0.0.1/33", "error": "prefix 33 is over 32"}, o
assert o[1]["input"] == "10.0.0.1 255.0.255.0", o
assert o[1]["error"].startswith("netmask is not contiguous"), o' ||
	    fail "bulk reasons: $(cat out)"
}

# Bulk mode takes what people write in a list: blank lines, # comments,
# blanks around and inside, CRLF, ADDRESS NETMASK lines; and a
# differential test of those forms against python's ipaddress.
t_ipcalc_bulk_takes_lists_as_people_write_them() {
	printf '# office networks\n\n   \n\t10.1.2.3/24  \n 10.1.2.3\t255.255.0.0 # lab\r\n192.168.1.7 /25\n2001:db8::1  64\n#10.9.9.9\n10.0.0.1 # 10.0.0.2\n' >in
	"$SK" ipcalc - <in >out 2>err || fail "exit $?: $(cat err)"
	[ ! -s err ] || fail "stderr: $(cat err)"
	cut -d' ' -f1 out >got
	printf '10.1.2.3/24\n10.1.2.3/16\n192.168.1.7/25\n2001:db8::1/64\n10.0.0.1/32\n' >want
	cmp -s got want || fail "lines: $(cat out)"
	expect_exit 2 "$SK" ipcalc - 2>err >out <<'EOF2'
10.0.0.1 255.0.0.0 extra
EOF2
	one_line err "sockkit: ipcalc: '10.0.0.1 255.0.0.0 extra': one ADDRESS and at most a NETMASK per line"
	python3 - "$SK" <<'PY' || fail "differential"
import ipaddress, json, random, subprocess, sys
random.seed(11)
lines, want = [], []
blank = [" ", "\t", "  ", " \t "]
for i in range(3000):
    r = random.random()
    if r < 0.1:
        lines.append(random.choice(["", " ", "\t", "# x", "  # 10.0.0.1"]))
        continue
    if i % 3:
        a = ipaddress.IPv4Address(random.getrandbits(32))
        p = random.randint(0, 32)
        m = ipaddress.IPv4Network("0.0.0.0/%d" % p)
        mask = random.choice([str(m.netmask), str(p), "/%d" % p] +
                             ([str(m.hostmask)] if 0 < p < 32 and m.hostmask != m.netmask else []))
    else:
        a = ipaddress.IPv6Address(random.getrandbits(128))
        p = random.randint(0, 128)
        mask = random.choice([str(p), "/%d" % p])
    pre, mid, post = random.choice(blank + [""]), random.choice(blank), random.choice(blank + ["", " # c"])
    lines.append("%s%s%s%s%s" % (pre, a, mid, mask, post))
    want.append(ipaddress.ip_interface("%s/%s" % (a, mask.lstrip("/"))))
out = subprocess.run([sys.argv[1], "ipcalc", "--json", "-"], input="\n".join(lines) + "\n",
                     capture_output=True, text=True, timeout=60)
assert out.returncode == 0, out.stderr[:300]
got = [json.loads(l) for l in out.stdout.splitlines()]
assert len(got) == len(want), (len(got), len(want))
bad = 0
for g, w in zip(got, want):
    if (ipaddress.ip_address(g["address"]), g["prefix"], ipaddress.ip_address(g["network"])) != \
       (w.ip, w.network.prefixlen, w.network.network_address):
        bad += 1
        print("MISMATCH", g, w)
sys.exit(1 if bad else 0)
PY
}

# key=value lines carry netmask and wildcard for IPv4 (after the fields
# they had, which keep their places), and an IPv6 zone in the address.
t_ipcalc_bulk_lines_have_netmask_and_wildcard() {
	printf '10.1.2.3/20\nfe80::1%%eth0/64\n' | "$SK" ipcalc - >out
	grep -q '^10\.1\.2\.3/20 network=10\.1\.0\.0 .* netmask=255\.255\.240\.0 wildcard=0\.0\.15\.255$' out ||
	    fail "v4: $(cat out)"
	grep -q '^fe80::1%eth0/64 network=fe80:: ' out || fail "v6: $(cat out)"
}

# A line far past any address is reported and skipped without being held
# in memory: the process's peak (VmHWM) stays small with a 200 MB line.
t_ipcalc_bulk_long_line_memory_bounded() {
	python3 - "$SK" <<'PY' || fail "long line"
import subprocess, sys
p = subprocess.Popen([sys.argv[1], "ipcalc", "-"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
chunk = b"1" * (1 << 20)
for i in range(200):
    p.stdin.write(chunk)
p.stdin.flush()
# The peak so far, while the process still waits for the line's end.
hwm = 0
for l in open("/proc/%d/status" % p.pid):
    if l.startswith("VmHWM:"):
        hwm = int(l.split()[1])
try:
    out, err = p.communicate(b"\n10.0.0.1\n", timeout=20)
except subprocess.TimeoutExpired:
    p.kill()
    sys.exit("no end")
err = err.decode()
print("VmHWM %d kB" % hwm)
# ASan builds carry their own tens of MB; the line alone would be 200.
assert hwm < 100 * 1024, "VmHWM %d kB" % hwm
assert p.returncode == 2, p.returncode
assert out.startswith(b"10.0.0.1/32 "), out
assert err.count("\n") == 1 and "over 256 bytes" in err, err
PY
}

# The reader of stdout leaving stops bulk mode at once (endless input),
# quietly, by SIGPIPE; a full disk stops it with one line and exit 1.
t_ipcalc_bulk_stops_when_stdout_goes() {
	{ yes 10.0.0.1 | { timeout 10 "$SK" ipcalc - 2>err; echo $? >rc; } |
	    head -n 1 >out; } 2>/dev/null
	[ "$(cat rc)" = 141 ] || fail "exit $(cat rc) (124: it read on)"
	[ ! -s err ] || fail "stderr: $(cat err)"
	[ -s out ] || fail "no output"
	{ yes 10.0.0.1 | { timeout 10 "$SK" ipcalc --json - >/dev/full 2>err;
	    echo $? >rc; }; } 2>/dev/null
	[ "$(cat rc)" = 1 ] || fail "/dev/full: exit $(cat rc)"
	one_line err "sockkit: ipcalc: write to stdout: No space left"
}

# A terminal that cannot show colour (TERM=dumb, or no TERM) gets none.
t_ipcalc_no_colour_on_a_dumb_terminal() {
	command -v script >/dev/null || skip "needs script(1) for a terminal"
	esc=$(printf '\033')
	env -u NO_COLOR TERM=dumb script -qec "$SK ipcalc --binary 10.0.0.1/8" \
	    /dev/null >tty.out </dev/null
	grep -q '00001010' tty.out || fail "no binary: $(cat tty.out)"
	grep -q "$esc\[3" tty.out && fail "colour with TERM=dumb"
	env -u NO_COLOR -u TERM script -qec "$SK ipcalc --binary 10.0.0.1/8" \
	    /dev/null >tty.out </dev/null
	grep -q "$esc\[3" tty.out && fail "colour without TERM"
	:
}
