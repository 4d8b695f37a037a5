#!/bin/sh
# ipcalc: cut a /24 into four /26s and show what each one holds, then
# classify a batch of addresses the way a script would (bulk mode, JSON).
# Run from the project root after `make`.
set -eu
SK=${SK:-./sockkit}
echo "== 192.168.10.0/24 in /26s"
$SK ipcalc --split 26 192.168.10.0/24 | while read -r net; do
	$SK ipcalc "$net" | sed -n 's/^\(Network\|HostMin\|HostMax\|Hosts\/Net\): */  \1 /p' |
	    tr '\n' ' '
	echo
done
echo "== one of them, in binary"
$SK ipcalc --binary 192.168.10.64/26
echo "== bulk classification (a bad line is reported, the rest go on)"
printf '%s\n' 10.1.2.3 8.8.8.8 100.64.1.1 169.254.9.9 224.0.0.251 \
    2001:db8::1 fe80::1%eth0 not-an-address 192.0.2.7/29 |
    $SK ipcalc --json - |
    python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    if "error" in o:
        print("  %-16s %s" % (o["input"], o["error"]))
    else:
        print("  %-16s %-14s %s/%d" % (o["address"], o["type"], o["network"], o["prefix"]))' ||
    true
echo "== the fewest blocks covering 10.0.0.5 - 10.0.0.20"
$SK ipcalc --range 10.0.0.5-10.0.0.20
