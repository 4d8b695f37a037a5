#!/bin/sh
# chat.sh - chat fan-out: N clients in one room each send M lines at once;
# how fast does every line reach every other member?  tcp-server --chat
# against ncat --chat (ncat's room), alternating, ROUNDS times; medians
# of deliveries per second (N * (N-1) * M lines delivered) and the ratio.
. "$(dirname "$0")/lib.sh"
need ncat python3
N=${N:-50}
M=${M:-2000}

cat >"$SCRATCH/room.py" <<'PY'
import selectors, socket, sys, time
port, n, m = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sel = selectors.DefaultSelector()
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.recv(65536)                   # greeted: the server has us
    socks.append(s)
# Let the join notices settle, then drain them: every line after the
# start is a message.
time.sleep(0.5)
for s in socks:
    s.setblocking(False)
    try:
        while s.recv(1 << 20):
            pass
    except BlockingIOError:
        pass
out = {s: b"".join(b"m%04d %s\n" % (j, b"x" * 48) for j in range(m))
       for s in socks}
got = {s: 0 for s in socks}
want = (n - 1) * m
for s in socks:
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
t0 = time.time()
done = 0
deadline = t0 + 60
while done < n and time.time() < deadline:
    for key, ev in sel.select(1):
        s = key.fileobj
        if ev & selectors.EVENT_WRITE and out[s]:
            try:
                out[s] = out[s][s.send(out[s]):]
            except BlockingIOError:
                pass
            if not out[s]:
                sel.modify(s, selectors.EVENT_READ)
        if ev & selectors.EVENT_READ:
            try:
                d = s.recv(1 << 20)
            except BlockingIOError:
                continue
            if not d:
                sys.exit("a member was dropped")
            before = got[s]
            got[s] += d.count(b"\n")
            if before < want <= got[s]:
                done += 1
elapsed = time.time() - t0
if done < n:
    sys.exit("only %d of %d members got every line in 60 s" % (done, n))
print("%.0f" % (n * (n - 1) * m / elapsed))
PY

room() {
	timeout 90 python3 "$SCRATCH/room.py" "$1" "$N" "$M" ||
	    die "the room on port $1 failed"
}

# ncat never drops a member that falls behind; give ours room enough too.
sk_server chat tcp-server --chat --max-queue 67108864 127.0.0.1 0
SKP=$SPORT
NP=$(freeport)
ncat -l --chat 127.0.0.1 "$NP" </dev/null >/dev/null 2>&1 &
PIDS="$PIDS $!"
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $NP))" \
    2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || die "ncat did not start"
	sleep 0.1
done

sk=""; nc=""
r=0
while [ $r -lt "$ROUNDS" ]; do
	sk="$sk $(room "$SKP")"
	nc="$nc $(room "$NP")"
	r=$((r + 1))
done
# shellcheck disable=SC2086
skm=$(median $sk); ncm=$(median $nc)
echo "chat fan-out, $N members x $M lines of 55 bytes, median of $ROUNDS (lines delivered/s):"
echo "  sockkit tcp-server --chat $skm   ncat --chat $ncm   ratio $(echo "$skm $ncm" | awk '{ printf "%.2f", $1 / $2 }')"
echo "  (rounds: sockkit$sk; ncat$nc)"
