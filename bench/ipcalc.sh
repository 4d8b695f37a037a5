#!/bin/sh
# ipcalc.sh - bulk mode on 1,000,000 addresses (IPv4 and IPv6, with
# prefixes) against python3's ipaddress doing the same work: parse each
# line, compute network, broadcast/last address, first and last host, host
# count and type, print one JSON object per line.  Alternating, ROUNDS
# times; both outputs go to /dev/null.
. "$(dirname "$0")/lib.sh"
need python3
N=${N:-1000000}
python3 - "$N" >"$SCRATCH/in" <<'PY'
import random, sys
random.seed(42)
for i in range(int(sys.argv[1])):
    if i % 4:
        print("%d.%d.%d.%d/%d" % (random.randrange(256), random.randrange(256),
              random.randrange(256), random.randrange(256), random.randrange(33)))
    else:
        print("2001:db8:%x:%x::%x/%d" % (random.randrange(65536), random.randrange(65536),
              random.randrange(65536), random.randrange(129)))
PY
cat >"$SCRATCH/py.py" <<'PY'
import ipaddress, json, sys
out = sys.stdout
for line in sys.stdin:
    try:
        iface = ipaddress.ip_interface(line.strip())
    except ValueError:
        out.write(json.dumps({"input": line.strip(), "error": "invalid address"}) + "\n")
        continue
    n, a = iface.network, iface.ip
    if a.version == 4:
        p = n.prefixlen
        first = n.network_address + (1 if p <= 30 else 0)
        last = n.broadcast_address - (1 if p <= 30 else 0)
        o = {"address": str(a), "version": 4, "prefix": p,
             "netmask": str(n.netmask), "wildcard": str(n.hostmask),
             "network": str(n.network_address),
             "broadcast": str(n.broadcast_address),
             "first_host": str(first), "last_host": str(last),
             "hosts": n.num_addresses - 2 if p <= 30 else n.num_addresses,
             "class": "ABCDE"[[128, 192, 224, 240, 256].index(next(x for x in [128, 192, 224, 240, 256] if int(a) >> 24 < x))],
             "type": "private" if a.is_private else "public"}
    else:
        o = {"address": str(a), "expanded": a.exploded, "version": 6,
             "prefix": n.prefixlen, "network": str(n.network_address),
             "last_address": str(n.broadcast_address),
             "first_host": str(n.network_address),
             "last_host": str(n.broadcast_address),
             "hosts": str(n.num_addresses),
             "type": "private" if a.is_private else "public"}
    out.write(json.dumps(o) + "\n")
PY
secs() {
	t0=$(now)
	"$@" <"$SCRATCH/in" >/dev/null
	t1=$(now)
	echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }'
}
sk="" py=""
r=1
while [ $r -le "$ROUNDS" ]; do
	sk="$sk $(secs "$SK" ipcalc --json -)"
	py="$py $(secs python3 "$SCRATCH/py.py")"
	echo "round $r: sockkit$sk s | python$py s" >&2
	r=$((r + 1))
done
# shellcheck disable=SC2086
msk=$(median $sk); mpy=$(median $py)
echo "ipcalc bulk, $N addresses (3/4 IPv4, 1/4 IPv6) to JSON, median of $ROUNDS (seconds):"
echo "  sockkit $msk   python ipaddress $mpy   python / sockkit = $(ratio "$mpy" "$msk")x"
echo "  sockkit: $(awk -v n="$N" -v s="$msk" 'BEGIN { printf "%.0f", n / s }') addresses/s"
