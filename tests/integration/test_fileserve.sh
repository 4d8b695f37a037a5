# test_fileserve.sh - fileserve get/put/ls over loopback and across two
# test hosts (network namespaces): byte-identical transfers, resume after
# a killed client or server, corrupt partial files caught, paths confined,
# concurrent clients, and a fake server that lies.

# fs_serve NAME ARGS...: serve on 127.0.0.1 port 0 (sets PORT, SPID).
fs_serve() {
	name=$1
	shift
	start_server "$name" fileserve serve "$@" 127.0.0.1 0
}

t_fs_get_put_ls_loopback() {
	mkdir -p srv/sub cli
	random_file srv/data.bin 20000000
	echo small >srv/sub/small.txt
	: >srv/empty
	fs_serve s -d srv --allow-upload
	cd cli
	expect_exit 0 "$SK" fileserve get 127.0.0.1 "$PORT" data.bin
	cmp -s data.bin ../srv/data.bin || fail "get differs"
	[ ! -e data.bin.sockkit-part ] || fail "part file left"
	expect_exit 0 "$SK" fileserve get 127.0.0.1 "$PORT" empty
	[ -f empty ] && [ ! -s empty ] || fail "empty file"
	expect_exit 0 "$SK" fileserve get -o - 127.0.0.1 "$PORT" \
	    sub/small.txt >out
	[ "$(cat out)" = small ] || fail "-o -: $(cat out)"
	expect_exit 0 "$SK" fileserve get -o renamed 127.0.0.1 "$PORT" \
	    sub/small.txt
	[ "$(cat renamed)" = small ] || fail "-o"
	random_file up.bin 7000000
	expect_exit 0 "$SK" fileserve put 127.0.0.1 "$PORT" up.bin sub/up.bin
	cmp -s up.bin ../srv/sub/up.bin || fail "put differs"
	expect_exit 0 "$SK" fileserve ls 127.0.0.1 "$PORT" >ls.out
	grep -q ' data.bin$' ls.out && grep -q ' sub/$' ls.out ||
	    fail "ls: $(cat ls.out)"
	expect_exit 0 "$SK" fileserve ls --json 127.0.0.1 "$PORT" sub >ls.json
	python3 -c '
import json, sys
e = [json.loads(l) for l in open("ls.json")]
names = [x["name"] for x in e]
assert names == ["small.txt", "up.bin"], names
assert e[1]["size"] == 7000000 and e[1]["type"] == "file", e' ||
	    fail "ls --json: $(cat ls.json)"
	cd ..
	stop_server
	# Read-only by default.
	fs_serve r -d srv
	expect_exit 1 "$SK" fileserve put 127.0.0.1 "$PORT" srv/empty x 2>err
	one_line err "sockkit: fileserve: server: 403 uploads are not allowed"
	stop_server
}

t_fs_paths_confined() {
	mkdir -p srv/sub out
	echo secret >outside.txt
	echo inside >srv/sub/in.txt
	ln -s "$PWD/outside.txt" srv/escape
	ln -s sub/in.txt srv/fine
	mkfifo srv/fifo
	ln -s "$PWD/outside.txt" srv/sub/link-target
	fs_serve s -d srv --allow-upload
	cd out
	for p in ../outside.txt sub/../../outside.txt /etc/passwd escape \
	    fifo; do
		expect_exit 1 "$SK" fileserve get -o x 127.0.0.1 "$PORT" "$p" \
		    2>err
		grep -q "sockkit: fileserve:" err || fail "$p: $(cat err)"
		[ ! -e x ] || fail "$p was written"
	done
	# A symlink that stays inside is fine.
	expect_exit 0 "$SK" fileserve get 127.0.0.1 "$PORT" fine
	[ "$(cat fine)" = inside ] || fail "inner symlink"
	echo evil >evil
	for p in ../evil /tmp/evil sub/../../evil escape sub/link-target; do
		expect_exit 1 "$SK" fileserve put 127.0.0.1 "$PORT" evil "$p" \
		    2>err
	done
	[ "$(cat ../outside.txt)" = secret ] || fail "outside file written"
	[ ! -e ../evil ] && [ ! -e /tmp/evil ] || fail "wrote outside DIR"
	cd ..
	stop_server
}

t_fs_resume_after_killed_client() {
	mkdir -p srv cli
	random_file srv/big.bin 300000000
	fs_serve s -d srv
	cd cli
	# Cut a download mid-way: kill the client once its part file grows.
	"$SK" fileserve get 127.0.0.1 "$PORT" big.bin 2>/dev/null &
	gpid=$!
	track $gpid
	wait_size big.bin.sockkit-part 20000000
	kill -KILL $gpid 2>/dev/null
	wait $gpid 2>/dev/null
	part=$(stat -c %s big.bin.sockkit-part 2>/dev/null || echo 0)
	if [ ! -e big.bin ]; then
		[ "$part" -gt 0 ] || fail "no partial file"
		[ "$part" -lt 300000000 ] || fail "nothing was left to resume"
	fi
	rm -f big.bin
	# Resume: only the rest comes, the whole is verified.
	expect_exit 0 "$SK" fileserve get -v 127.0.0.1 "$PORT" big.bin 2>err
	cmp -s big.bin ../srv/big.bin || fail "resumed file differs"
	grep -Eq "big.bin: 300000000 bytes \(($part|0) resumed\).*verified" \
	    err || fail "$(cat err)"
	cd ..
	stop_server
}

t_fs_corrupt_partial_is_caught() {
	mkdir -p srv cli
	random_file srv/f.bin 5000000
	fs_serve s -d srv
	cd cli
	# A partial file that is not the file's start.
	head -c 1000000 /dev/urandom >f.bin.sockkit-part
	expect_exit 1 "$SK" fileserve get 127.0.0.1 "$PORT" f.bin 2>err
	one_line err "sockkit: fileserve: checksum mismatch for f.bin: the partial file was corrupt; removed, run again"
	[ ! -e f.bin ] || fail "a corrupt file was put in place"
	[ ! -e f.bin.sockkit-part ] || fail "the corrupt part was kept"
	expect_exit 0 "$SK" fileserve get 127.0.0.1 "$PORT" f.bin
	cmp -s f.bin ../srv/f.bin || fail "second try differs"
	# A partial file longer than the file: started over, not trusted.
	head -c 6000000 /dev/urandom >f.bin.sockkit-part
	rm f.bin
	expect_exit 0 "$SK" fileserve get 127.0.0.1 "$PORT" f.bin
	cmp -s f.bin ../srv/f.bin || fail "longer part not replaced"
	cd ..
	stop_server
}

t_fs_upload_resume_after_killed_server() {
	mkdir -p srv
	random_file up.bin 200000000
	fs_serve s -d srv --allow-upload
	"$SK" fileserve put 127.0.0.1 "$PORT" up.bin 2>/dev/null &
	ppid=$!
	track $ppid
	wait_size srv/.up.bin.sockkit-part 20000000
	kill -KILL "$SPID"
	wait "$SPID" 2>/dev/null
	wait $ppid 2>/dev/null
	if [ ! -e srv/up.bin ]; then
		[ -e srv/.up.bin.sockkit-part ] || fail "no partial upload"
	fi
	[ ! -e srv/up.bin ] || cmp -s up.bin srv/up.bin ||
	    fail "a truncated file under the final name"
	fs_serve s2 -d srv --allow-upload
	expect_exit 0 "$SK" fileserve put -v 127.0.0.1 "$PORT" up.bin 2>err
	cmp -s up.bin srv/up.bin || fail "resumed upload differs"
	[ ! -e srv/.up.bin.sockkit-part ] || fail "part left"
	stop_server
}

t_fs_20_concurrent_gets() {
	mkdir -p srv cli
	i=0
	while [ $i -lt 20 ]; do
		random_file "srv/f$i" $((1000000 + i * 123457))
		i=$((i + 1))
	done
	fs_serve s -d srv
	cd cli
	pids=""
	i=0
	while [ $i -lt 20 ]; do
		timeout 60 "$SK" fileserve get 127.0.0.1 "$PORT" "f$i" \
		    2>"err$i" &
		pids="$pids $!"
		i=$((i + 1))
	done
	for p in $pids; do
		wait "$p" || fail "a get failed: $(cat err*)"
	done
	i=0
	while [ $i -lt 20 ]; do
		cmp -s "f$i" "../srv/f$i" || fail "f$i differs"
		i=$((i + 1))
	done
	cd ..
	stop_server
}

# A fake server that answers a GET with data that does not match its SUM,
# and lists names that point outside: the client writes nothing it was
# not asked to, and reports the mismatch.
t_fs_fake_server_is_not_trusted() {
	python3 - >fake.port 2>fake.err <<'PY' &
import socket, struct
def recvall(c, n):
    # MSG_WAITALL does not wait on a socket with a timeout (nonblocking
    # underneath in Python).
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            break
        b += d
    return b
def frame(s):
    return struct.pack(">I", len(s)) + s
def recv_frame(c):
    n = struct.unpack(">I", recvall(c, 4))[0]
    return recvall(c, n) if n else b""
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(4)
print(l.getsockname()[1], flush=True)
l.settimeout(20)
for _ in range(2):
    c, _ = l.accept()
    c.settimeout(20)
    recv_frame(c)
    c.sendall(frame(b"OK 1"))
    req = recv_frame(c)
    if req.startswith(b"STAT"):
        c.sendall(frame(b"OK f 5 0"))
        recv_frame(c)
        c.sendall(frame(b"OK 5 0") + b"hello" + frame(b"SUM 0000000000000000"))
    else:
        c.sendall(frame(b"OK 1") + frame(b"f 5 0 ../../../tmp/pwned"))
    c.close()
PY
	track $!
	wait_for fake.port '^[0-9]+$' || fail "fake server"
	mkdir cli
	cd cli
	expect_exit 1 "$SK" fileserve get 127.0.0.1 "$(cat ../fake.port)" \
	    want.txt 2>err
	one_line err "sockkit: fileserve: checksum mismatch for want.txt: removed"
	[ -z "$(ls)" ] || [ "$(ls)" = err ] || fail "wrote: $(ls)"
	expect_exit 0 "$SK" fileserve ls 127.0.0.1 "$(cat ../fake.port)" >ls
	grep -q 'tmp/pwned' ls || fail "listing: $(cat ls)"
	[ ! -e /tmp/pwned ] || fail "a listed name was written"
	cd ..
}

t_fs_bad_requests() {
	mkdir srv
	fs_serve s -d srv
	python3 - "$PORT" <<'PY' || fail "bad requests"
import socket, struct, sys
port = int(sys.argv[1])
def frame(s):
    return struct.pack(">I", len(s)) + s
def ask(*frames):
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    c.sendall(b"".join(frames))
    out = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        out += d
    return out
assert b"505" in ask(frame(b"HELLO 2"))
assert b"400" in ask(frame(b"NOPE"))
assert b"400" in ask(frame(b"HELLO 1"), frame(b"GET x y"))
assert b"400" in ask(frame(b"HELLO 1"), struct.pack(">I", 1 << 30))
assert b"400" in ask(frame(b"HELLO 1"), frame(b"LS a\x00b"))
PY
	# The server still serves after all that.
	echo ok >srv/ok
	expect_exit 0 "$SK" fileserve get -o - 127.0.0.1 "$PORT" ok >out
	[ "$(cat out)" = ok ] || fail "server hurt"
	stop_server
	expect_exit 2 "$SK" fileserve 2>err
	one_line err "sockkit: fileserve: missing serve, get, put or ls"
	expect_exit 2 "$SK" fileserve get 127.0.0.1 2>err
	one_line err "sockkit: fileserve: missing HOST PORT REMOTE_PATH"
}

# --idle-timeout: a client that says nothing, or stops after HELLO, is
# closed once nothing has moved for that long; a working one is not.
t_fs_idle_timeout() {
	mkdir srv
	random_file srv/f 3000000
	fs_serve s -v --idle-timeout 1 -d srv
	python3 - "$PORT" <<'PY' || fail "idle clients"
import socket, struct, sys, time
port = int(sys.argv[1])
def closed_after(first):
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    c.sendall(first)
    t0 = time.time()
    while c.recv(65536):
        pass
    return time.time() - t0
frame = lambda s: struct.pack(">I", len(s)) + s
for first in (b"", frame(b"HELLO 1")):
    took = closed_after(first)
    assert 0.9 < took < 3.5, took
PY
	wait_for s.err 'idle for 1s: closed' || fail "not logged"
	# Slow but moving: a get that takes longer than 1 s in all is fine.
	python3 - "$PORT" <<'PY' || fail "a slow reader was cut"
import socket, struct, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
frame = lambda s: struct.pack(">I", len(s)) + s
c.sendall(frame(b"HELLO 1") + frame(b"GET 0 f"))
got, t0 = 0, time.time()
while True:
    d = c.recv(65536)
    if not d:
        break
    got += len(d)
    time.sleep(0.05)
    if got > 3000000:
        break
assert got > 3000000 and time.time() - t0 > 1.2, (got, time.time() - t0)
PY
	stop_server
}

# Two hosts of our own: serve in one, get and put from the other,
# including 1 GiB byte-identical and a cut, resumed download.
t_fs_two_hosts() {
	lan_setup a b
	mkdir -p srv cli
	head -c 1073741824 /dev/urandom >srv/gig.bin
	: >fs.err
	# ip netns exec execs the command: $! is the server itself.
	ip netns exec "$NS_a" "$SK" fileserve serve -d srv --allow-upload \
	    10.231.0.1 0 2>>fs.err &
	track $!
	wait_for fs.err 'listening on ' || fail "serve on a"
	port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' fs.err)
	cd cli
	ip netns exec "$NS_b" "$SK" fileserve get 10.231.0.1 "$port" gig.bin \
	    2>/dev/null &
	gpid=$!
	track $gpid
	wait_size gig.bin.sockkit-part 100000000
	kill -KILL $gpid 2>/dev/null
	wait $gpid 2>/dev/null
	rm -f gig.bin
	expect_exit 0 ip netns exec "$NS_b" "$SK" fileserve get -v 10.231.0.1 \
	    "$port" gig.bin 2>err
	cmp -s gig.bin ../srv/gig.bin || fail "1 GiB differs"
	grep -Eq '\([1-9][0-9]* resumed\)' err || fail "not resumed: $(cat err)"
	random_file up.bin 30000000
	expect_exit 0 ip netns exec "$NS_b" "$SK" fileserve put 10.231.0.1 \
	    "$port" up.bin
	cmp -s up.bin ../srv/up.bin || fail "put across hosts differs"
	on_host b "$SK" fileserve ls 10.231.0.1 "$port" >ls ||
	    fail "ls across hosts"
	grep -q ' gig.bin$' ls || fail "ls: $(cat ls)"
	cd ..
}

# serve --announce: another host finds the server with broadcast discover
# and fetches from what it found, knowing no address beforehand.
t_fs_announce_discover_get() {
	lan_setup a b
	mkdir -p srv cli
	echo found-me >srv/hello.txt
	: >fs.err
	ip netns exec "$NS_a" "$SK" fileserve serve -d srv --announce=pub \
	    --iface eth0 0 2>>fs.err &
	track $!
	wait_for fs.err 'listening on ' || fail "serve on a"
	ip netns exec "$NS_b" "$SK" broadcast discover --timeout 3 >found \
	    2>derr || fail "nothing discovered: $(cat derr)"
	read -r name host port <found
	[ "$name" = pub ] && [ "$host" = 10.231.0.1 ] || fail "$(cat found)"
	cd cli
	expect_exit 0 ip netns exec "$NS_b" "$SK" fileserve get "$host" \
	    "$port" hello.txt
	[ "$(cat hello.txt)" = found-me ] || fail "fetched: $(cat hello.txt)"
	cd ..
}

# A full disk on either side: a clear error and exit 1; a download keeps
# what arrived and resumes once there is room; the server refuses an upload
# that cannot fit before any data is sent, and goes on serving.
t_fs_disk_full() {
	mkdir -p srv
	random_file srv/big.bin 3000000
	small_disk cli 1m
	fs_serve s -d srv --allow-upload
	cd cli
	# (err goes outside: this disk is about to be full)
	expect_exit 1 "$SK" fileserve get 127.0.0.1 "$PORT" big.bin 2>../err
	one_line ../err "sockkit: fileserve: big.bin: No space left on device"
	[ ! -e big.bin ] || fail "a partial file under the final name"
	part=$(stat -c %s big.bin.sockkit-part)
	[ "$part" -gt 0 ] || fail "nothing was kept"
	mount -o remount,size=8m "$PWD" || fail "remount"
	expect_exit 0 "$SK" fileserve get -v 127.0.0.1 "$PORT" big.bin 2>../err
	grep -q "big.bin: 3000000 bytes ($part resumed) .*verified" ../err ||
	    fail "not resumed from $part: $(cat ../err)"
	cmp -s big.bin ../srv/big.bin || fail "resumed file differs"
	cd ..
	stop_server
	small_disk tiny 1m
	fs_serve s2 -d tiny --allow-upload
	expect_exit 1 "$SK" fileserve put 127.0.0.1 "$PORT" srv/big.bin \
	    2>err
	grep -Eq "^sockkit: fileserve: server: 507 big.bin: not enough space: 3000000 bytes needed, [0-9]+ free$" \
	    err || fail "$(cat err)"
	[ ! -e tiny/big.bin ] || fail "written anyway"
	[ -z "$(ls -A tiny)" ] || fail "left behind: $(ls -A tiny)"
	# Still serving (an empty listing, too).
	expect_exit 0 "$SK" fileserve ls 127.0.0.1 "$PORT" >ls.out
	[ ! -s ls.out ] || fail "ls: $(cat ls.out)"
	stop_server
}

# Permission denied where the client writes: a clear error, exit 1.
t_fs_permission_denied() {
	mkdir -p srv locked
	echo data >srv/f
	fs_serve s -d srv
	chmod 555 locked
	if [ "$(id -u)" = 0 ]; then
		command -v setpriv >/dev/null || skip "needs setpriv as root"
		chmod 755 .
		set -- setpriv --reuid=65534 --regid=65534 --clear-groups
	fi
	expect_exit 1 "$@" "$SK" fileserve get -o "$PWD/locked/f" 127.0.0.1 \
	    "$PORT" f 2>err
	one_line err "sockkit: fileserve: $PWD/locked/f: Permission denied"
	[ ! -e locked/f ] || fail "written"
	stop_server
}

# A file that changes while it is sent is reported, not passed off as
# verified: the server notices (size, mtime, ctime) and sends an error in
# place of the checksum.  The client is held back by a reader that waits,
# so the change surely lands mid-transfer.
t_fs_file_changed_during_get() {
	mkdir -p srv
	random_file srv/big.bin 50000000
	fs_serve s -v -d srv
	mkfifo go
	{
		"$SK" fileserve get -o - 127.0.0.1 "$PORT" big.bin 2>err
		echo $? >rc
	} | { head -c 1000000 >/dev/null; read -r x <go; cat >/dev/null; } &
	track $!
	wait_for s.err 'GET big.bin from 0' || fail "no GET"
	echo more >>srv/big.bin
	echo go >go
	i=0
	while [ ! -s rc ] && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(cat rc)" = 1 ] || fail "exit $(cat rc 2>/dev/null)"
	one_line err "sockkit: fileserve: server: 409 big.bin: the file changed while it was sent: try again"
	# Unchanged from now on: the next get verifies.
	expect_exit 0 "$SK" fileserve get 127.0.0.1 "$PORT" big.bin
	cmp -s big.bin srv/big.bin || fail "differs"
	# The server remembers that digest; a same-size change in place must
	# void it, or the next get would fail its check.
	printf 'X' | dd of=srv/big.bin bs=1 seek=12345 conv=notrunc 2>/dev/null
	expect_exit 0 "$SK" fileserve get --no-resume 127.0.0.1 "$PORT" big.bin
	cmp -s big.bin srv/big.bin || fail "differs after the change"
	stop_server
}

# Issue point 1: an upload cut by a killed client resumes.  The server
# opened its partial file write-only, could not hash it, and so started
# over every time ("0 resumed", "from 0").
t_fs_put_resumes_after_killed_client() {
	mkdir -p srv
	random_file up.bin 200000000
	fs_serve s -v -d srv --allow-upload
	"$SK" fileserve put 127.0.0.1 "$PORT" up.bin 2>/dev/null &
	ppid=$!
	track $ppid
	wait_size srv/.up.bin.sockkit-part 20000000 || fail "no partial upload"
	kill -KILL $ppid 2>/dev/null
	wait $ppid 2>/dev/null
	[ ! -e srv/up.bin ] || skip "the upload ended before the kill"
	expect_exit 0 "$SK" fileserve put -v 127.0.0.1 "$PORT" up.bin 2>err
	cmp -s up.bin srv/up.bin || fail "resumed upload differs"
	grep -Eq '^sockkit: fileserve: up.bin: 200000000 bytes \([1-9][0-9]* resumed\).*verified$' \
	    err || fail "not resumed: $(cat err)"
	grep -Eq 'PUT up.bin, 200000000 bytes, from [1-9][0-9]*$' s.err ||
	    fail "server: $(cat s.err)"
	[ ! -e srv/.up.bin.sockkit-part ] || fail "part left"
	stop_server
}

# Issue point 1: one writer per target name.  A second PUT of a name
# being written gets 409 and the first is not disturbed; once the first
# connection dies, the name is free again and the next put resumes.
t_fs_one_writer_per_name() {
	mkdir -p srv
	random_file a.bin 3000000
	random_file b.bin 3000000
	cp a.bin srv/a-copy
	fs_serve s -v -d srv --allow-upload
	mkfifo go
	# The first writer: half of a.bin, then it waits for "go", then the
	# rest and a SUM (learnt from a GET of a copy), or it dies at "die".
	cat >w1.py <<'PY'
import socket, struct, sys
def recvall(c, n):
    # MSG_WAITALL does not wait on a socket with a timeout (nonblocking
    # underneath in Python).
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            break
        b += d
    return b
port = int(sys.argv[1])
def frame(s):
    return struct.pack(">I", len(s)) + s
def recv_frame(c):
    n = struct.unpack(">I", recvall(c, 4))[0]
    return recvall(c, n) if n else b""
data = open("a.bin", "rb").read()
g = socket.create_connection(("127.0.0.1", port), timeout=20)
g.sendall(frame(b"HELLO 1") + frame(b"GET 0 a-copy"))
recv_frame(g); recv_frame(g)
left = len(data)
while left:
    left -= len(g.recv(min(left, 65536)))
sum_line = recv_frame(g)
c = socket.create_connection(("127.0.0.1", port), timeout=20)
c.sendall(frame(b"HELLO 1") + frame(b"PUT %d up.bin" % len(data)))
recv_frame(c)
print("put:", recv_frame(c).decode(), flush=True)
c.sendall(data[:1500000])
print("half sent", flush=True)
what = sys.stdin.readline().strip()
if what == "die":
    c.close()
    sys.exit(0)
c.sendall(data[1500000:] + frame(sum_line))
print("end:", recv_frame(c).decode(), flush=True)
PY
	python3 w1.py "$PORT" <go >w1.out 2>&1 &
	w1=$!
	track $w1
	exec 3>go
	wait_for w1.out 'half sent' || fail "first writer"
	wait_size srv/.up.bin.sockkit-part 1500000 || fail "first half"
	expect_exit 1 "$SK" fileserve put 127.0.0.1 "$PORT" b.bin up.bin 2>err
	one_line err "sockkit: fileserve: server: 409 up.bin: another connection is uploading it"
	echo go >&3
	wait_for w1.out '^end: ' || fail "first writer did not end"
	grep -q '^end: OK$' w1.out || fail "first writer: $(cat w1.out)"
	cmp -s a.bin srv/up.bin || fail "the first upload was disturbed"
	# Again, and this time the first writer dies half-way: the name is
	# free, and the next put resumes what it left.
	rm srv/up.bin
	cat >w2.py <<'PY'
import socket, struct, sys
def recvall(c, n):
    # MSG_WAITALL does not wait on a socket with a timeout (nonblocking
    # underneath in Python).
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            break
        b += d
    return b
port = int(sys.argv[1])
def frame(s):
    return struct.pack(">I", len(s)) + s
def recv_frame(c):
    n = struct.unpack(">I", recvall(c, 4))[0]
    return recvall(c, n) if n else b""
data = open("a.bin", "rb").read()
c = socket.create_connection(("127.0.0.1", port), timeout=20)
c.sendall(frame(b"HELLO 1") + frame(b"PUT %d up.bin" % len(data)))
recv_frame(c)
print("put:", recv_frame(c).decode(), flush=True)
c.sendall(data[:1500000])
print("half sent", flush=True)
sys.stdin.readline()
c.close()
print("gone", flush=True)
PY
	python3 w2.py "$PORT" <go >w1.out 2>&1 &
	w1=$!
	track $w1
	wait_for w1.out 'half sent' || fail "second first writer"
	echo die >&3
	exec 3>&-
	wait_for w1.out '^gone' || fail "the first writer did not die"
	expect_exit 0 "$SK" fileserve put -v 127.0.0.1 "$PORT" a.bin up.bin \
	    2>err
	grep -q 'up.bin: 3000000 bytes (1500000 resumed)' err ||
	    fail "not resumed: $(cat err)"
	cmp -s a.bin srv/up.bin || fail "resumed upload differs"
	stop_server
}

# Issue point 8: -d a file, or a directory that cannot be read, is
# refused at start-up (exit 1), not served as 404 for everything.
t_fs_serve_dir_checked_at_start() {
	echo x >afile
	expect_exit 1 "$SK" fileserve serve -d afile 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: afile: Not a directory"
	expect_exit 1 "$SK" fileserve serve -d nowhere 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: nowhere: No such file or directory"
	mkdir locked
	chmod 0 locked
	if [ "$(id -u)" = 0 ]; then
		command -v setpriv >/dev/null || skip "needs setpriv as root"
		chmod 755 .
		set -- setpriv --reuid=65534 --regid=65534 --clear-groups
	fi
	expect_exit 1 "$@" "$SK" fileserve serve -d locked 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: locked: Permission denied"
	chmod 711 locked
	expect_exit 1 "$@" "$SK" fileserve serve -d locked 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: locked: Permission denied"
}

# Issue point 11: the server's errors name the path they are about, in
# the reply (which the client shows) and in its -v log; the client's
# bytes are escaped in that log.
t_fs_errors_name_the_path() {
	mkdir -p srv/sub
	echo x >srv/f
	fs_serve s -v -d srv
	expect_exit 1 "$SK" fileserve get -o x 127.0.0.1 "$PORT" sub/nope 2>err
	one_line err "sockkit: fileserve: server: 404 sub/nope: No such file or directory"
	expect_exit 1 "$SK" fileserve ls 127.0.0.1 "$PORT" f 2>err
	one_line err "sockkit: fileserve: server: 404 f: Not a directory"
	expect_exit 1 "$SK" fileserve get -o x 127.0.0.1 "$PORT" ../etc 2>err
	one_line err "sockkit: fileserve: server: 403 ../etc: "
	grep -q 'ERR 404 sub/nope: No such file' s.err || fail "log: $(cat s.err)"
	# A name with an escape and a newline: escaped in the log, one line.
	name=$(printf 'a\033[2Jb\nc')
	expect_exit 1 "$SK" fileserve get -o x 127.0.0.1 "$PORT" "$name" 2>err
	grep -q 'ERR 404 a\\x1b\[2Jb\\x0ac: No such' s.err ||
	    fail "log: $(cat s.err)"
	! grep -q "$(printf '\033')" s.err || fail "a raw escape in the log"
	# ... and shown escaped by the client, which prints the server's text.
	one_line err 'sockkit: fileserve: server: 404 a\\x1b\[2Jb\\x0ac: No such'
	stop_server
}

# --idle-timeout takes decimal seconds, as every timeout does.
t_fs_idle_timeout_decimal() {
	mkdir srv
	fs_serve s -v --idle-timeout 0.5 -d srv
	python3 - "$PORT" <<'PY' || fail "idle client"
import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
t0 = time.time()
while c.recv(65536):
    pass
took = time.time() - t0
assert 0.4 < took < 1.5, took
PY
	wait_for s.err 'idle for 0.5s: closed' || fail "not logged"
	stop_server
}

# fake_server SCRIPT: run a python fake fileserve server (frame() and
# recv_frame() defined, the listening socket l, `for c in conns():`
# yields each accepted connection after its HELLO was answered); its port
# in FAKE_PORT.
fake_server() {
	{
		cat <<'PY'
import socket, struct, sys, time
def recvall(c, n):
    # MSG_WAITALL does not wait on a socket with a timeout (nonblocking
    # underneath in Python).
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            break
        b += d
    return b
def frame(s):
    return struct.pack(">I", len(s)) + s
def recv_frame(c):
    h = recvall(c, 4)
    if len(h) < 4:
        return None
    n = struct.unpack(">I", h)[0]
    return recvall(c, n) if n else b""
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(4)
print(l.getsockname()[1], flush=True)
l.settimeout(20)
def conns():
    while True:
        c, _ = l.accept()
        c.settimeout(20)
        recv_frame(c)
        c.sendall(frame(b"OK 1"))
        yield c
PY
		cat "$1"
	} >fake.py
	# Emptied first: the child's own redirection may come after our
	# wait_for has read the previous fake's port.
	: >fake.port
	python3 fake.py >fake.port 2>fake.err &
	track $!
	wait_for fake.port '^[0-9]+$' || fail "fake server: $(cat fake.err)"
	FAKE_PORT=$(cat fake.port)
}

# Issue point 5: a failed get leaves nothing behind (it made an empty
# NAME.sockkit-part on every failure); -o DIR is DIR/basename, as curl,
# wget and scp have it.
t_fs_get_failure_leaves_nothing() {
	mkdir -p srv/sub cli/into
	echo secret >outside.txt
	echo inside >srv/sub/in.txt
	ln -s "$PWD/outside.txt" srv/escape
	fs_serve s -d srv
	cd cli
	for p in nope sub/nope ../outside.txt sub escape; do
		expect_exit 1 "$SK" fileserve get 127.0.0.1 "$PORT" "$p" \
		    2>../err
		grep -q '^sockkit: fileserve: ' ../err || fail "$p: $(cat ../err)"
		[ "$(ls -A . into)" = "$(printf '.:\ninto\n\ninto:')" ] ||
		    fail "$p left: $(ls -A)"
	done
	# Not a fileserve port at all.
	"$SK" tcp-server --discard 127.0.0.1 0 2>../d.err &
	track $!
	wait_for ../d.err 'listening on ' || fail "discard server"
	dport=$(sed -n 's/.*:\([0-9][0-9]*\)$/\1/p' ../d.err)
	expect_exit 1 "$SK" fileserve get -w 1 127.0.0.1 "$dport" x 2>../err
	[ "$(ls -A)" = into ] || fail "a non-fileserve port left: $(ls -A)"
	# -o DIR and -o DIR/: the file goes inside, under its own name.
	expect_exit 0 "$SK" fileserve get -o into 127.0.0.1 "$PORT" sub/in.txt
	expect_exit 0 "$SK" fileserve get -o into/ 127.0.0.1 "$PORT" \
	    sub/in.txt
	[ "$(cat into/in.txt)" = inside ] || fail "-o DIR"
	[ "$(ls -A into)" = in.txt ] || fail "into: $(ls -A into)"
	[ "$(ls -A)" = into ] || fail "left: $(ls -A)"
	# -o DIR/ that does not exist: an error, nothing made.
	expect_exit 1 "$SK" fileserve get -o nodir/ 127.0.0.1 "$PORT" \
	    sub/in.txt 2>../err
	one_line ../err "sockkit: fileserve: nodir/in.txt: No such file or directory"
	[ "$(ls -A)" = into ] || fail "left: $(ls -A)"
	cd ..
	stop_server
}

# Issue point 6: ls shows the server's names escaped, so a name with a
# newline cannot forge listing lines nor an escape reach the terminal;
# '\' is escaped too (unambiguous); --json keeps the names exactly.
t_fs_ls_escapes_names() {
	mkdir srv
	: >"srv/$(printf 'evil\n- 1 2026-01-01 00:00  forged')"
	: >"srv/$(printf 'red\033[31mtext')"
	: >"srv/back\\slash"
	: >"srv/$(printf 'caf\303\251')"
	fs_serve s -d srv
	expect_exit 0 "$SK" fileserve ls 127.0.0.1 "$PORT" >ls.out
	[ "$(wc -l <ls.out)" -eq 4 ] || fail "lines: $(cat ls.out)"
	! grep -q "$(printf '\033')" ls.out || fail "a raw escape"
	grep -q ' back\\\\slash$' ls.out || fail "backslash: $(cat ls.out)"
	grep -q ' evil\\x0a- 1 2026-01-01 00:00  forged$' ls.out ||
	    fail "newline: $(cat ls.out)"
	grep -q ' red\\x1b\[31mtext$' ls.out || fail "escape: $(cat ls.out)"
	grep -q " $(printf 'caf\303\251')\$" ls.out || fail "UTF-8 mangled"
	expect_exit 0 "$SK" fileserve ls --json 127.0.0.1 "$PORT" >ls.json
	python3 -c '
import json, os, sys
names = sorted(json.loads(l)["name"] for l in open("ls.json", encoding="utf-8"))
assert names == sorted(os.listdir("srv")), names' || fail "json: $(cat ls.json)"
	stop_server
}

# Issue point 7: extra operands are a usage error in every action.
t_fs_extra_operands() {
	expect_exit 2 "$SK" fileserve get 127.0.0.1 1 a b 2>err
	one_line err "sockkit: fileserve: too many arguments: 'b'"
	expect_exit 2 "$SK" fileserve put 127.0.0.1 1 a b c 2>err
	one_line err "sockkit: fileserve: too many arguments: 'c'"
	expect_exit 2 "$SK" fileserve ls 127.0.0.1 1 a b 2>err
	one_line err "sockkit: fileserve: too many arguments: 'b'"
	expect_exit 2 "$SK" fileserve serve 127.0.0.1 0 x 2>err
	one_line err "sockkit: fileserve: too many arguments: 'x'"
	[ ! -e a ] && [ ! -e b ] || fail "something was written"
}

# The client trusts no size it cannot read exactly: STAT saying 10 bytes
# and GET 1 TiB, or a size of -5, is a malformed reply, and nothing is
# written (it wrote 256 MiB, and called -5 bytes "verified").
t_fs_client_checks_sizes() {
	cat >lies.py <<'PY'
for i, c in enumerate(conns()):
    stat = recv_frame(c)
    if i == 0:
        c.sendall(frame(b"OK f 10 0"))
        recv_frame(c)
        c.sendall(frame(b"OK 1099511627776 0"))
        try:
            while True:
                c.sendall(b"\0" * 65536)
        except OSError:
            pass
    elif i == 1:
        c.sendall(frame(b"OK f -5 0"))
        recv_frame(c)
        c.sendall(frame(b"OK -5 0") + frame(b"SUM ef46db3751d8e999"))
    elif i == 2:
        c.sendall(frame(b"OK f 5 0"))
        recv_frame(c)
        c.sendall(frame(b"OK 5x 0"))
    else:
        c.sendall(frame(b"OK -3"))
    c.close()
    if i == 3:
        break
PY
	fake_server lies.py
	mkdir cli
	cd cli
	for i in 1 2 3; do
		expect_exit 1 "$SK" fileserve get -v 127.0.0.1 "$FAKE_PORT" \
		    f.bin 2>err
		one_line err "sockkit: fileserve: a malformed reply from the server"
		[ -z "$(ls)" ] || [ "$(ls)" = err ] || fail "wrote: $(ls)"
	done
	expect_exit 1 "$SK" fileserve ls 127.0.0.1 "$FAKE_PORT" 2>err
	one_line err "sockkit: fileserve: a malformed reply from the server"
	cd ..
}

# -w takes decimal seconds, as every timeout does.
t_fs_wait_decimal() {
	cat >mute.py <<'PY'
for c in conns():
    time.sleep(5)
    break
PY
	fake_server mute.py
	t0=$(date +%s%N)
	expect_exit 1 "$SK" fileserve ls -w 0.5 127.0.0.1 "$FAKE_PORT" 2>err
	t1=$(date +%s%N)
	one_line err "sockkit: fileserve: no reply from the server within 0.5 s (-w)"
	ms=$(( (t1 - t0) / 1000000 ))
	[ $ms -ge 400 ] && [ $ms -lt 2500 ] || fail "took $ms ms"
}

TERM_PY="$TOP/tests/integration/term.py"

# The progress line on a terminal (stderr) names the file, shows sizes in
# units that fit (it said "0 / 0 MB" for small files), and is ended
# before an error or when ^C or SIGTERM stops the client, which then dies
# by that signal and keeps what has arrived.
t_fs_progress_on_a_terminal() {
	mkdir -p srv cli
	head -c 5000 /dev/urandom >srv/small.txt
	fs_serve s -d srv
	cd cli
	timeout 30 python3 "$TERM_PY" "$SK" fileserve get 127.0.0.1 "$PORT" \
	    small.txt >t.out || fail "get at a terminal: $(cat t.out)"
	grep -q 'small.txt  100.0%  5.0 / 5.0 kB' t.out ||
	    fail "progress: $(od -c t.out | head)"
	cmp -s small.txt ../srv/small.txt || fail "differs"
	cd ..
	stop_server
	# A server that sends 300000 of 1000000 bytes, then (first) stalls
	# or (then) closes.
	cat >slow.py <<'PY'
for i, c in enumerate(conns()):
    recv_frame(c)
    c.sendall(frame(b"OK f 1000000 0"))
    recv_frame(c)
    c.sendall(frame(b"OK 1000000 0") + b"x" * 300000)
    if i < 2:
        c.recv(1)      # until the client goes
    c.close()
    if i == 2:
        break
PY
	fake_server slow.py
	cd cli
	for how in "--ctrl-c slow.bin" "--signal TERM --after slow.bin"; do
		rm -f slow.bin.sockkit-part
		# shellcheck disable=SC2086
		timeout 30 python3 "$TERM_PY" $how "$SK" fileserve get \
		    127.0.0.1 "$FAKE_PORT" slow.bin >t.out
		rc=$?
		case $how in
		--ctrl-c*) [ $rc -eq 130 ] || fail "^C: exit $rc" ;;
		*) [ $rc -eq 143 ] || fail "SIGTERM: exit $rc" ;;
		esac
		# The line was ended, and nothing was said after it.
		tail -c 2 t.out | od -c | grep -q '\\r  *\\n' ||
		    fail "$how: the line was not ended: $(od -c t.out | tail -3)"
		! grep -q 'sockkit:' t.out || fail "$how: said $(cat t.out)"
		[ "$(stat -c %s slow.bin.sockkit-part)" -eq 300000 ] ||
		    fail "$how: kept $(stat -c %s slow.bin.sockkit-part)"
	done
	rm -f slow.bin.sockkit-part
	timeout 30 python3 "$TERM_PY" "$SK" fileserve get 127.0.0.1 \
	    "$FAKE_PORT" slow.bin >t.out
	[ $? -eq 1 ] || fail "cut: exit not 1"
	tr -d '\r' <t.out | grep -q '^sockkit: fileserve: the transfer was cut at 300000 of 1000000 bytes: run again to resume$' ||
	    fail "the error is not on a line of its own: $(od -c t.out | tail)"
	cd ..
}

# ^C during a put that the server stops reading: the client does not
# wait out -w; it ends its line and dies by SIGINT.
t_fs_put_interrupted() {
	cat >stuck.py <<'PY'
for c in conns():
    recv_frame(c)
    c.sendall(frame(b"OK 0"))
    c.recv(1, socket.MSG_PEEK)
    time.sleep(20)
    break
PY
	fake_server stuck.py
	random_file big.bin 50000000
	timeout 30 python3 "$TERM_PY" --ctrl-c big.bin "$SK" fileserve put \
	    127.0.0.1 "$FAKE_PORT" big.bin >t.out
	rc=$?
	[ $rc -eq 130 ] || fail "exit $rc: $(cat t.out)"
	tail -c 2 t.out | od -c | grep -q '\\r  *\\n' ||
	    fail "the line was not ended: $(od -c t.out | tail -3)"
	! grep -q 'sockkit:' t.out || fail "said $(cat t.out)"
}

# Issue 14.3: the partial-upload file is not trusted by its name: a FIFO
# planted there must not block the server, a hard link planted there must
# not get a file outside DIR overwritten.
t_fs_planted_part_files() {
	mkdir -p srv
	echo secret >outside
	mkfifo srv/.x.sockkit-part
	ln outside srv/.y.sockkit-part
	echo data >x
	echo data >y
	fs_serve s -d srv --allow-upload
	expect_exit 1 "$SK" fileserve put -w 5 127.0.0.1 "$PORT" x 2>err
	one_line err "sockkit: fileserve: server: 409 x: its partial upload file"
	expect_exit 1 "$SK" fileserve put -w 5 127.0.0.1 "$PORT" y 2>err
	one_line err "sockkit: fileserve: server: 409 y: its partial upload file"
	[ "$(cat outside)" = secret ] || fail "the file outside was written"
	expect_exit 0 "$SK" fileserve ls 127.0.0.1 "$PORT" >/dev/null
	stop_server
}

# Issue 14.1 and 14.2: a local user who can rename things inside DIR
# swaps a directory for a link to outside (RENAME_EXCHANGE), again and
# again, while GET, STAT, LS and PUT go through it: nothing outside is
# ever read, listed, stat'ed or written.  The server opens everything
# beneath a directory fd held (openat2, or the walk), never by name.
t_fs_race_rename_swap() {
	mkdir -p srv/d outside
	echo inside >srv/d/x
	echo SECRET-SECRET >outside/x
	: >outside/only-outside
	ln -s ../outside srv/e
	fs_serve s -d srv --allow-upload
	python3 - "$PORT" "$PWD" <<'PY' || fail "race"
import ctypes, os, socket, struct, sys, threading, time
port, top = int(sys.argv[1]), sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
stop = time.time() + 4
swaps = [0]
def swap():
    a, b = (top + "/srv/d").encode(), (top + "/srv/e").encode()
    while time.time() < stop:
        if libc.renameat2(-100, a, -100, b, 2) == 0:   # RENAME_EXCHANGE
            swaps[0] += 1
def frame(b):
    return struct.pack(">I", len(b)) + b
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
def rx(n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b
def recv_frame():
    return rx(struct.unpack(">I", rx(4))[0])
s.sendall(frame(b"HELLO 1"))
assert recv_frame() == b"OK 1"
t = threading.Thread(target=swap)
t.start()
tries = ok = escapes = 0
kinds = {}
while time.time() < stop and tries < 200000:
    k = tries % 4
    tries += 1
    if k == 0:
        s.sendall(frame(b"GET 0 d/x"))
        r = recv_frame()
        if not r.startswith(b"OK "):
            continue
        body = rx(int(r.split()[1]))
        recv_frame()                       # SUM, or ERR 409
        bad = b"SECRET" in body
    elif k == 1:
        s.sendall(frame(b"STAT d/x"))
        r = recv_frame()
        bad = r.startswith(b"OK f 14 ")        # the secret's size
    elif k == 2:
        s.sendall(frame(b"LS d"))
        r = recv_frame()
        names = [recv_frame() for _ in range(int(r.split()[1]))] \
            if r.startswith(b"OK ") else []
        bad = any(b"only-outside" in n for n in names)
    else:
        data = b"up %d\n" % tries
        s.sendall(frame(b"PUT %d d/up" % len(data)))
        r = recv_frame()
        if r.startswith(b"OK "):
            s.sendall(data)
            # The server checks the SUM; a wrong one is fine for this
            # test: what matters is where the part file was made.
            s.sendall(frame(b"SUM 0000000000000000"))
            recv_frame()
        bad = any(n != "x" and n != "only-outside"
                  for n in os.listdir(top + "/outside"))
    if bad:
        escapes += 1
        kinds[k] = kinds.get(k, 0) + 1
    elif not r.startswith(b"ERR"):
        ok += 1
t.join()
print("%d tries, %d served inside, %d escapes %s, %d swaps" % (
    tries, ok, escapes, kinds, swaps[0]))
assert escapes == 0 and ok > 0 and swaps[0] > 100
PY
	[ "$(cat outside/x)" = SECRET-SECRET ] || fail "the file outside changed"
	[ -z "$(ls -A outside | grep -v '^x$' | grep -v '^only-outside$')" ] ||
	    fail "written outside: $(ls -A outside)"
	stop_server
}

# A scripted fileserve client in python (for what sockkit's own client
# never does).  fs_py PORT SCRIPT: runs SCRIPT with s (connected, HELLO
# done), frame() and recv_frame() defined.
fs_py() {
	port=$1
	shift
	python3 -c '
import socket, struct, sys, time
def recvall(c, n):
    # MSG_WAITALL does not wait on a socket with a timeout (nonblocking
    # underneath in Python).
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            break
        b += d
    return b
def frame(b):
    return struct.pack(">I", len(b)) + b
def recv_frame(c):
    n = struct.unpack(">I", recvall(c, 4))[0]
    return recvall(c, n) if n else b""
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(frame(b"HELLO 1"))
assert recv_frame(s) == b"OK 1"
exec(sys.argv[2])' "$port" "$@"
}

# Issue 14.4: a PUT path of PATH_MAX bytes or more was cut, and what was
# left of it as the "name" kept its slashes: through links in DIR
# (".l" and "l" leading out) the upload was written outside.  Now such a
# path is refused (400) and a name never holds a '/'.
t_fs_put_long_path_refused() {
	mkdir -p srv outside
	# The cut falls inside a 254-byte name L whose ".L" and "L" lead out:
	# what was left as the "name" was "L/evil", its part ".L/evil...".
	L=$(printf 'q%.0s' $(seq 254))
	ln -s ../outside "srv/$L"
	ln -s ../outside "srv/.$L"
	[ ${#PWD} -lt 200 ] || skip "the test directory's path is too long"
	fs_serve s -d srv --allow-upload
	fs_py "$PORT" '
p = b"./" * 1921 + b"q" * 254 + b"/evil"
s.sendall(frame(b"PUT 5 " + p))
r = recv_frame(s)
if r.startswith(b"OK "):
    s.sendall(b"hello")
assert r.startswith(b"ERR 400 "), r[:80]' || fail "a long path was taken"
	expect_exit 0 "$SK" fileserve ls 127.0.0.1 "$PORT" >/dev/null
	[ -z "$(ls -A outside)" ] || fail "written outside: $(ls -A outside)"
	stop_server
}

# Issue 14.14: a FIFO in DIR is never opened by the server (its writer
# would see a reader come and go), for GET, STAT or LS.
t_fs_fifo_never_opened() {
	mkdir -p srv
	mkfifo srv/fifo
	fs_serve s -d srv
	python3 -c 'open("srv/fifo", "wb").write(b"x")' 2>/dev/null &
	wpid=$!
	track $wpid
	expect_exit 1 "$SK" fileserve get -o x 127.0.0.1 "$PORT" fifo 2>err
	grep -q "fifo: not a regular file" err || fail "$(cat err)"
	fs_py "$PORT" '
s.sendall(frame(b"GET 0 fifo"))
r = recv_frame(s)
assert r.startswith(b"ERR 403 fifo: "), r' || fail "GET of a FIFO"
	expect_exit 0 "$SK" fileserve ls 127.0.0.1 "$PORT" >ls.out
	grep -q '^o .* fifo$' ls.out || fail "ls: $(cat ls.out)"
	i=0
	while [ $i -lt 5 ]; do sleep 0.1; i=$((i + 1)); done
	kill -0 $wpid 2>/dev/null || fail "the FIFO was opened for reading"
	stop_server
}

# Issue 15: every malformed reply form, now parsed in the core
# (sk_fs_parse_reply), from a fake server, to get, put and ls: a wrong
# verb, a missing, negative or huge number, a NUL byte, an oversize or a
# truncated frame, a bad listing line, a bad or wrong SUM, a reply to
# another request, an early close.  Each is one line "sockkit:
# fileserve: ..." and exit 1, within -w, and leaves nothing under the
# final name (a part only where a resume can check it).  (The client of
# before took a SUM trailer it could not read for a mismatch, and an
# upload's "OK 0" to its SUM for success.)  The fake writes
# its table of cases (action, message, what is left) to cases.txt, then
# answers one connection per case in that order.
t_fs_malformed_replies() {
	cat >bad.py <<'PY'
M = "a malformed reply from the server"
U = "an unexpected reply from the server"
L = "a malformed listing"
C = "the server closed the connection"
OK1 = frame(b"OK 1")
big = struct.pack(">I", 1 << 20)
D = ("data", 5)
R = ("read",)		# the next request, read before a close (no reset)
def get(*r):
    return [OK1, frame(b"OK f 5 0")] + list(r)
cases = [
    # HELLO
    ("get", [frame(b"HTTP/1.0 400 Bad Request")], U, "none"),
    ("get", [frame(b"OK 2")], M, "none"),
    ("get", [frame(b"OK 1 x")], M, "none"),
    ("get", [frame(b"OK")], M, "none"),
    ("get", [b""], C, "none"),
    # STAT
    ("get", [OK1, frame(b"OK f")], M, "none"),
    ("get", [OK1, frame(b"OK f -5 0")], M, "none"),
    ("get", [OK1, frame(b"OK f 99999999999999999999 0")], M, "none"),
    ("get", [OK1, frame(b"OK f 5 0\0")], M, "none"),
    ("get", [OK1, frame(b"OK f 5\0 0")], M, "none"),
    ("get", [OK1, big + b"OK"], M, "none"),
    ("get", [OK1, struct.pack(">I", 10) + b"OK f"], M, "none"),
    ("get", [OK1, frame(b"OK 5 0")], M, "none"),
    ("get", [OK1, frame(b"SUM 0000000000000000")], U, "none"),
    ("get", [OK1, frame(b"ERR 9999 nope")], M, "none"),
    ("get", [OK1, frame(b"ERR")], U, "none"),
    ("get", [OK1, R], C, "none"),
    # GET, its bytes and its trailer
    ("get", get(frame(b"OK 6 0")), M, "none"),
    ("get", get(frame(b"OK 5 -")), M, "none"),
    ("get", get(frame(b"OK f 5 0")), M, "none"),
    ("get", get(frame(b"OK 5 0") + b"hello" + frame(b"SUM xyz")), M,
        "part"),
    ("get", get(frame(b"OK 5 0") + b"hello" +
        frame(b"SUM 00000000000000000")), M, "part"),
    ("get", get(frame(b"OK 5 0") + b"hello" +
        frame(b"SUM 0000000000000000")),
        "checksum mismatch for f.bin: removed", "none"),
    ("get", get(frame(b"OK 5 0") + b"hello" + frame(b"OK")), U, "part"),
    ("get", get(frame(b"OK 5 0") + b"hello" + big), M, "part"),
    ("get", get(frame(b"OK 5 0") + b"hello"), C, "part"),
    ("get", get(frame(b"OK 5 0") + b"hel"),
        "the transfer was cut at 3 of 5 bytes: run again to resume",
        "part"),
    # PUT, and the answer to its SUM
    ("put", [OK1, frame(b"OK -1")], M, "none"),
    ("put", [OK1, frame(b"OK 99")], M, "none"),
    ("put", [OK1, frame(b"OK 0\0")], M, "none"),
    ("put", [OK1, frame(b"OK f 5 0")], M, "none"),
    ("put", [OK1, frame(b"OK 0"), D, frame(b"OK 0")], M, "none"),
    ("put", [OK1, frame(b"OK 0"), D, frame(b"SUM 0000000000000000")], U,
        "none"),
    ("put", [OK1, frame(b"OK 0"), D, big], M, "none"),
    ("put", [OK1, frame(b"OK 0"), D, R], C, "none"),
    # LS and its listing lines
    ("ls", [OK1, frame(b"OK x")], M, "none"),
    ("ls", [OK1, frame(b"OK 99999999999999999999")], M, "none"),
    ("ls", [OK1, frame(b"OK f 5 0")], M, "none"),
    ("ls", [OK1, frame(b"OK 1") + frame(b"x 5 0 name")], L, "none"),
    ("ls", [OK1, frame(b"OK 1") + frame(b"f 5 0")], L, "none"),
    ("ls", [OK1, frame(b"OK 1") + frame(b"f 5 0 ")], L, "none"),
    ("ls", [OK1, frame(b"OK 1") + frame(b"f -5 0 a")], L, "none"),
    ("ls", [OK1, frame(b"OK 1") + frame(b"f 5 0 a\0b")], L, "none"),
    ("ls", [OK1, frame(b"OK 1") + frame(b"ERR 404 x")], L, "none"),
    ("ls", [OK1, frame(b"OK 1") + big], M, "none"),
    ("ls", [OK1, frame(b"OK 2") + frame(b"f 5 0 a")], C, "none"),
    ("ls", [OK1, frame(b"ERR 404 .: gone")], "server: 404 .: gone",
        "none"),
]
with open("cases.txt", "w") as f:
    for act, _, want, left in cases:
        f.write("%s\t%s\t%s\n" % (act, want, left))
for act, replies, _, _ in cases:
    c, _ = l.accept()
    c.settimeout(20)
    for r in replies:
        if r == R:
            recv_frame(c)
            continue
        if isinstance(r, tuple):
            recvall(c, r[1])
            continue
        if recv_frame(c) is None:
            break
        c.sendall(r)
    c.close()
PY
	fake_server bad.py
	wait_for cases.txt . || fail "no cases: $(cat fake.err)"
	mkdir cli
	cd cli
	echo hello >up.txt
	truncate -s 5 up.txt
	n=$(wc -l <../cases.txt)
	i=1
	while [ "$i" -le "$n" ]; do
		line=$(sed -n "${i}p" ../cases.txt)
		act=$(printf '%s' "$line" | cut -f1)
		want=$(printf '%s' "$line" | cut -f2)
		left=$(printf '%s' "$line" | cut -f3)
		case $act in
		get)	set -- get 127.0.0.1 "$FAKE_PORT" f.bin ;;
		put)	set -- put 127.0.0.1 "$FAKE_PORT" up.txt ;;
		ls)	set -- ls 127.0.0.1 "$FAKE_PORT" ;;
		esac
		timeout 20 "$SK" fileserve "$@" -w 5 </dev/null >out 2>err
		rc=$?
		[ "$rc" -eq 1 ] || fail "case $i ($act, $want): exit $rc: $(cat err)"
		[ "$(wc -l <err)" -eq 1 ] && grep -qF "sockkit: fileserve: $want" err ||
		    fail "case $i ($act): wanted '$want', got: $(cat err)"
		[ ! -e f.bin ] || fail "case $i: f.bin was written"
		if [ "$left" = part ]; then
			[ -f f.bin.sockkit-part ] || fail "case $i: no part kept"
			rm f.bin.sockkit-part
		fi
		extra=$(ls -A | grep -v '^up.txt$' | grep -v '^out$' | grep -v '^err$')
		[ -z "$extra" ] || fail "case $i ($act, $want): left $extra"
		i=$((i + 1))
	done
	[ "$n" -ge 45 ] || fail "only $n cases"
	[ "$(cat up.txt)" = hello ] || fail "up.txt changed"
	cd ..
}
