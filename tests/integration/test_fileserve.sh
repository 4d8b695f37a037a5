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
	one_line err "sockkit: fileserve: server: 403 x: uploads are not allowed"
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
def frame(s):
    return struct.pack(">I", len(s)) + s
def recv_frame(c):
    n = struct.unpack(">I", c.recv(4, socket.MSG_WAITALL))[0]
    return c.recv(n, socket.MSG_WAITALL) if n else b""
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
	one_line ../err "sockkit: fileserve: write big.bin: No space left on device"
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

# A scripted fileserve client in python (for what sockkit's own client
# never does: stop mid-upload, hold an upload open).
# fs_py PORT SCRIPT: runs SCRIPT with s (connected, HELLO done),
# frame(), recv_frame() and the port defined.
fs_py() {
	port=$1
	shift
	python3 -c '
import socket, struct, sys, time
def frame(b):
    return struct.pack(">I", len(b)) + b
def recv_frame(c):
    n = struct.unpack(">I", c.recv(4, socket.MSG_WAITALL))[0]
    return c.recv(n, socket.MSG_WAITALL) if n else b""
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(frame(b"HELLO 1"))
assert recv_frame(s) == b"OK 1"
exec(sys.argv[2])' "$port" "$@"
}

# Issue 13.1: an upload cut mid-way resumes from what the server kept
# (it used to open the part write-only, fail to hash it and start over).
t_fs_put_resumes_after_cut_client() {
	mkdir -p srv
	random_file big.bin 5000000
	fs_serve s -v -d srv --allow-upload
	# A client that sends the first 1,000,000 bytes, then is gone.
	fs_py "$PORT" '
s.sendall(frame(b"PUT 5000000 big.bin"))
assert recv_frame(s) == b"OK 0"
s.sendall(open("big.bin", "rb").read(1000000))
s.close()' || fail "python client"
	wait_size srv/.big.bin.sockkit-part 1000000 || fail "no part kept"
	expect_exit 0 "$SK" fileserve put -v 127.0.0.1 "$PORT" big.bin 2>err
	grep -q "big.bin: 5000000 bytes (1000000 resumed) .*verified" err ||
	    fail "not resumed: $(cat err) / $(cat s.err)"
	cmp -s big.bin srv/big.bin || fail "uploaded file differs"
	[ ! -e srv/.big.bin.sockkit-part ] || fail "part left"
	stop_server
}

# Issue 13.1: one writer per name.  A second upload of a name being
# written is refused (409) and the first is not disturbed; once the first
# is gone the name is free and its part resumes.
t_fs_one_writer_per_name() {
	mkdir -p srv
	random_file big.bin 3000000
	fs_serve s -d srv --allow-upload
	mkfifo hold
	fs_py "$PORT" '
s.sendall(frame(b"PUT 3000000 big.bin"))
assert recv_frame(s) == b"OK 0"
s.sendall(open("big.bin", "rb").read(100000))
open("hold").read()
s.close()' &
	ppid=$!
	track $ppid
	wait_size srv/.big.bin.sockkit-part 100000 || fail "first upload"
	expect_exit 1 "$SK" fileserve put 127.0.0.1 "$PORT" big.bin 2>err
	one_line err "sockkit: fileserve: server: 409 big.bin: another client is uploading it"
	[ "$(stat -c %s srv/.big.bin.sockkit-part)" -eq 100000 ] ||
	    fail "the second upload wrote into the first's part"
	echo >hold
	wait_exit $ppid || fail "python client"
	expect_exit 0 "$SK" fileserve put -v 127.0.0.1 "$PORT" big.bin 2>err
	grep -q "(100000 resumed)" err || fail "$(cat err)"
	cmp -s big.bin srv/big.bin || fail "differs"
	stop_server
}

# Issue 13.5: a download that fails leaves nothing behind: the part is
# made only once the server said yes.  -o DIR (or DIR/) is DIR/basename.
t_fs_get_failures_leave_nothing() {
	mkdir -p srv/sub cli/into
	echo secret >outside
	echo data >srv/f.txt
	ln -s "$PWD/outside" srv/out
	fs_serve s -d srv
	start_server e tcp-server --echo 127.0.0.1 0
	eport=$PORT
	PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' s.err)
	cd cli
	for p in missing.txt ../outside sub out; do
		expect_exit 1 "$SK" fileserve get -w 2 127.0.0.1 "$PORT" "$p" \
		    2>err
		[ -z "$(ls -A | grep -v '^err$' | grep -v '^into$')" ] ||
		    fail "$p left: $(ls -A)"
	done
	grep -q "server: 404 missing.txt: " err ||
	    grep -q "out" err || fail "$(cat err)"
	expect_exit 1 "$SK" fileserve get -w 2 127.0.0.1 "$eport" f.txt \
	    2>err
	[ -z "$(ls -A | grep -v '^err$' | grep -v '^into$')" ] ||
	    fail "a non-fileserve port left: $(ls -A)"
	# -o an existing directory, with and without its slash.
	expect_exit 0 "$SK" fileserve get -o into 127.0.0.1 "$PORT" f.txt
	[ "$(cat into/f.txt)" = data ] || fail "-o DIR"
	rm into/f.txt
	expect_exit 0 "$SK" fileserve get -o into/ 127.0.0.1 "$PORT" f.txt
	[ "$(cat into/f.txt)" = data ] || fail "-o DIR/"
	[ -z "$(ls -A into | grep -v '^f.txt$')" ] || fail "into: $(ls -A into)"
	# -o a directory that is not there: an error, nothing made.
	expect_exit 1 "$SK" fileserve get -o nodir/ 127.0.0.1 "$PORT" f.txt \
	    2>err
	one_line err "sockkit: fileserve: nodir/: No such file or directory"
	[ ! -e nodir ] && [ ! -e nodir.sockkit-part ] || fail "made $(ls -A)"
	cd ..
	stop_server
}

# Issue 13.6: names from the server never reach the terminal raw: a
# newline would forge a listing line, an escape drive the terminal.
t_fs_ls_escapes_names() {
	mkdir -p srv
	: >"srv/$(printf 'evil\n- 1 2026-01-01 00:00  forged')"
	: >"srv/$(printf 'red\033[31mtext')"
	: >"srv/$(printf 'csi\302\233x')"
	: >"srv/back\\slash"
	: >srv/plain
	fs_serve s -d srv
	expect_exit 0 "$SK" fileserve ls 127.0.0.1 "$PORT" >ls.out
	[ "$(wc -l <ls.out)" -eq 5 ] || fail "lines: $(cat -A ls.out)"
	! grep -q "$(printf '\033')" ls.out || fail "ESC reached stdout"
	! grep -q "$(printf '\302\233')" ls.out || fail "C1 reached stdout"
	grep -q 'evil\\x0a- 1 2026' ls.out && grep -q 'red\\x1b\[31mtext' ls.out &&
	    grep -q 'csi\\xc2\\x9bx' ls.out && grep -q 'back\\\\slash' ls.out ||
	    fail "escapes: $(cat ls.out)"
	# JSON keeps the names exactly (escaped as JSON).
	expect_exit 0 "$SK" fileserve ls --json 127.0.0.1 "$PORT" >ls.json
	python3 -c '
import json
names = sorted(json.loads(l)["name"] for l in open("ls.json"))
assert "evil\n- 1 2026-01-01 00:00  forged" in names, names
assert "red\x1b[31mtext" in names, names' || fail "json: $(cat ls.json)"
	# The server's -v log and its errors are made safe too.
	stop_server
	fs_serve v -v -d srv
	expect_exit 1 "$SK" fileserve get -o x 127.0.0.1 "$PORT" \
	    "$(printf 'no\033]0;pwned\007')" 2>err
	! grep -q "$(printf '\033')" err v.err ||
	    fail "ESC in an error or the log: $(cat -A err v.err)"
	grep -q 'no\\x1b\]0;pwned\\x07' err || fail "error: $(cat err)"
	stop_server
}

# Issue 13.7: extra operands, and options of another action, are usage
# errors, never silently dropped.
t_fs_extra_operands() {
	for args in "get 127.0.0.1 1 a b" "ls 127.0.0.1 1 a b" \
	    "put 127.0.0.1 1 a b c" "serve 127.0.0.1 0 x" \
	    "get --allow-upload 127.0.0.1 1 a" "serve -o x 0" \
	    "put --no-resume 127.0.0.1 1 a" "serve -w 3 0" \
	    "get --json 127.0.0.1 1 a" "serve --iface lo 0" \
	    "ls --backend poll 127.0.0.1 1"; do
		# shellcheck disable=SC2086
		expect_exit 2 "$SK" fileserve $args 2>err
		one_line err "sockkit: fileserve: "
	done
	expect_exit 2 "$SK" fileserve get 127.0.0.1 1 a b 2>err
	one_line err "sockkit: fileserve: get takes one REMOTE_PATH"
}

# Issue 13.8: a DIR that is a file, missing or unreadable is refused at
# start-up (it used to listen and answer 404 to everything).
t_fs_serve_checks_dir() {
	echo x >afile
	expect_exit 1 "$SK" fileserve serve -d afile 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: afile: Not a directory"
	expect_exit 1 "$SK" fileserve serve -d nope 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: nope: No such file or directory"
	mkdir locked
	chmod 000 locked
	set --
	if [ "$(id -u)" = 0 ]; then
		command -v setpriv >/dev/null || skip "needs setpriv as root"
		chmod 755 .
		set -- setpriv --reuid=65534 --regid=65534 --clear-groups
	fi
	expect_exit 1 "$@" "$SK" fileserve serve -d locked 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: locked: Permission denied"
}

# Issue 14.16 (the client trusts sizes): a server whose GET size is not
# its STAT size, or whose sizes are negative, gets "malformed", and
# nothing is written.
t_fs_client_checks_sizes() {
	python3 - >fake.port <<'PY' &
import socket, struct
def frame(s):
    return struct.pack(">I", len(s)) + s
def recv_frame(c):
    n = struct.unpack(">I", c.recv(4, socket.MSG_WAITALL))[0]
    return c.recv(n, socket.MSG_WAITALL) if n else b""
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(4)
print(l.getsockname()[1], flush=True)
l.settimeout(20)
for stat, get in ((b"OK f 10 0", b"OK 1099511627776 0"),
                  (b"OK f -5 0", b"OK -5 0"), (b"OK f 10 0", b"OK -5 0"),
                  (b"OK f 1x 0", b"OK 1 0")):
    c, _ = l.accept()
    c.settimeout(20)
    recv_frame(c)
    c.sendall(frame(b"OK 1"))
    recv_frame(c)
    c.sendall(frame(stat))
    try:
        recv_frame(c)
        c.sendall(frame(get) + b"x" * 65536)
    except Exception:
        pass
    c.close()
PY
	track $!
	wait_for fake.port '^[0-9]+$' || fail "fake server"
	mkdir cli
	cd cli
	for i in 1 2 3 4; do
		expect_exit 1 "$SK" fileserve get -w 5 127.0.0.1 \
		    "$(cat ../fake.port)" f 2>err
		grep -q "malformed\|changed on the server" err ||
		    fail "try $i: $(cat err)"
		[ -z "$(ls -A | grep -v '^err$')" ] || fail "wrote: $(ls -A)"
	done
	cd ..
}

# Rough edges: progress names the file, in units that fit, on a terminal
# only; an error or ^C ends the line first; decimal -w.
t_fs_progress_on_terminal() {
	mkdir -p srv cli
	echo small >srv/small.txt
	fs_serve s -d srv
	cd cli
	timeout 20 python3 "$TOP/tests/integration/term.py" "$SK" fileserve \
	    get -w 0.5 127.0.0.1 "$PORT" small.txt >tty.out ||
	    fail "get at a terminal"
	grep -q 'small.txt .*100.0%  6 B / 6 B' tty.out ||
	    fail "progress: $(cat -A tty.out)"
	"$SK" fileserve get --no-resume 127.0.0.1 "$PORT" small.txt \
	    2>pipe.err || fail "get in a pipe"
	[ ! -s pipe.err ] || fail "progress in a pipe: $(cat pipe.err)"
	cd ..
	stop_server
	# A slow server: ^C mid-transfer ends the line, dies by SIGINT, and
	# keeps the part; a cut ends the line before its message.
	python3 - >fake.port <<'PY' &
import socket, struct, time
def frame(s):
    return struct.pack(">I", len(s)) + s
def recv_frame(c):
    n = struct.unpack(">I", c.recv(4, socket.MSG_WAITALL))[0]
    return c.recv(n, socket.MSG_WAITALL) if n else b""
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
    recv_frame(c)
    c.sendall(frame(b"OK f 100000000 0"))
    recv_frame(c)
    c.sendall(frame(b"OK 100000000 0"))
    try:
        for i in range(20):
            c.sendall(b"x" * 300000)
            time.sleep(0.1)
    except Exception:
        pass
    c.close()
PY
	track $!
	wait_for fake.port '^[0-9]+$' || fail "fake server"
	cd cli
	timeout 30 python3 "$TOP/tests/integration/term.py" --ctrl-c 'MB/s' \
	    --delay 0.3 "$SK" fileserve get 127.0.0.1 "$(cat ../fake.port)" \
	    slow.bin >tty.out
	RC=$?
	[ "$RC" -eq 130 ] || fail "exit $RC after ^C: $(cat -A tty.out)"
	tail -c 2 tty.out | od -c | grep -q '\\n' ||
	    fail "the line was not ended: $(cat -A tty.out)"
	[ -s slow.bin.sockkit-part ] || fail "the part was not kept"
	timeout 30 python3 "$TOP/tests/integration/term.py" "$SK" fileserve \
	    get --no-resume 127.0.0.1 "$(cat ../fake.port)" slow.bin >tty.out
	RC=$?
	[ "$RC" -eq 1 ] || fail "exit $RC after a cut"
	tr '\r' '\n' <tty.out | grep -q '^sockkit: fileserve: slow.bin: the transfer was cut' ||
	    fail "message not on its own line: $(cat -A tty.out)"
	cd ..
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
