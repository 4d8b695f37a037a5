# test_trust_fileserve.sh - fileserve off the happy path, as a demanding
# user meets it: output closed early, two clients on one name, a local
# directory in the way, a file that changes as it is sent, a lying or
# hostile server, a server stopped mid-upload, many uploads at once.

# fs_serve NAME ARGS...: serve on 127.0.0.1 port 0 (sets PORT, SPID).
tfs_serve() {
	name=$1
	shift
	start_server "$name" fileserve serve "$@" 127.0.0.1 0
}

# tfs_fake SCRIPT: a python fake server (see test_fileserve.sh's
# fake_server): frame(), recv_frame(), `for c in conns():` (HELLO done).
tfs_fake() {
	{
		cat <<'PY'
import os, socket, struct, sys, time
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
	python3 fake.py >fake.port 2>fake.err &
	track $!
	wait_for fake.port '^[0-9]+$' || fail "fake server: $(cat fake.err)"
	FAKE_PORT=$(cat fake.port)
}

# get -o - into a pipe whose reader leaves: quiet, and death by SIGPIPE
# (141), the one rule; it said "write stdout: Broken pipe" and exited 1.
# ls likewise, with a long listing.
t_trust_fs_closed_stdout() {
	mkdir -p srv/many
	random_file srv/big 20000000
	i=0
	while [ $i -lt 3000 ]; do
		: >"srv/many/f$i"
		i=$((i + 1))
	done
	tfs_serve s -d srv
	{ "$SK" fileserve get -o - 127.0.0.1 "$PORT" big 2>err; echo $? >rc; } |
	    head -c 1000 >/dev/null
	[ "$(cat rc)" = 141 ] || fail "get -o - | head: exit $(cat rc)"
	[ ! -s err ] || fail "said: $(cat err)"
	{ "$SK" fileserve ls 127.0.0.1 "$PORT" many 2>err; echo $? >rc; } |
	    head -n 1 >/dev/null
	[ "$(cat rc)" = 141 ] || fail "ls | head: exit $(cat rc)"
	[ ! -s err ] || fail "said: $(cat err)"
	stop_server
}

# Two gets of one local name at once: the second is refused at once
# instead of writing the same partial file (a mismatch, or worse).
t_trust_fs_two_gets_one_name() {
	cat >slow.py <<'PY'
for i, c in enumerate(conns()):
    recv_frame(c)
    c.sendall(frame(b"OK f 1000000 0"))
    recv_frame(c)
    c.sendall(frame(b"OK 1000000 0") + b"x" * 300000)
    c.recv(1)
    break
PY
	tfs_fake slow.py
	"$SK" fileserve get 127.0.0.1 "$FAKE_PORT" f.bin 2>first.err &
	g1=$!
	track $g1
	# (what came is written a 256 KiB piece at a time)
	wait_size f.bin.sockkit-part 262144 || fail "the first get wrote nothing"
	tfs_serve s -d .
	expect_exit 1 "$SK" fileserve get 127.0.0.1 "$PORT" fake.py -o f.bin \
	    2>err
	one_line err "sockkit: fileserve: f.bin: another fileserve get is writing it"
	[ "$(stat -c %s f.bin.sockkit-part)" -eq 262144 ] ||
	    fail "the part was touched"
	stop_server
}

# A local directory where the file would go (the default name): said
# before anything is fetched; it fetched it all, then failed to rename.
# put into a remote directory puts the file inside it, as scp does.
t_trust_fs_directories_in_the_way() {
	mkdir -p srv/drop cli/big.bin
	random_file srv/big.bin 3000000
	tfs_serve s -v -d srv --allow-upload
	cd cli
	expect_exit 1 "$SK" fileserve get 127.0.0.1 "$PORT" big.bin 2>err
	one_line err "sockkit: fileserve: big.bin: Is a directory"
	[ -z "$(ls -A big.bin)" ] && [ "$(ls)" = "big.bin
err" ] || fail "left: $(ls -A)"
	! grep -q 'GET big.bin' ../s.err || fail "fetched anyway"
	echo note >note.txt
	expect_exit 0 "$SK" fileserve put 127.0.0.1 "$PORT" note.txt drop
	expect_exit 0 "$SK" fileserve put 127.0.0.1 "$PORT" note.txt drop/
	[ "$(cat ../srv/drop/note.txt)" = note ] || fail "put into a directory"
	[ "$(ls ../srv/drop)" = note.txt ] || fail "drop: $(ls ../srv/drop)"
	cd ..
	stop_server
}

# A local file that grows while it is put: reported, exit 1, not
# verified as a mixture of two versions (the server never gets a SUM).
t_trust_fs_put_of_a_changing_file() {
	cat >slowread.py <<'PY'
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
for c in conns():
    req = recv_frame(c)
    size = int(req.split()[1])
    c.sendall(frame(b"OK 0"))
    got = len(recvall(c, 65536))
    open("started", "w").write("1")
    while not os.path.exists("changed"):
        time.sleep(0.05)
    while got < size:
        d = c.recv(1 << 20)
        if not d:
            break
        got += len(d)
    s = recv_frame(c)
    open("sum", "w").write(repr(s))
    if s is not None:
        c.sendall(frame(b"OK"))
    break
PY
	tfs_fake slowread.py
	random_file up.bin 20000000
	"$SK" fileserve put 127.0.0.1 "$FAKE_PORT" up.bin 2>err &
	p=$!
	track $p
	wait_for started 1 || fail "never started"
	echo more >>up.bin
	echo 1 >changed
	wait_exit $p || fail "put hung"
	[ "$RC" -eq 1 ] || fail "exit $RC: $(cat err)"
	one_line err "sockkit: fileserve: up.bin changed while it was sent: run again"
	wait_for sum . || fail "fake server"
	[ "$(cat sum)" = None ] || fail "a SUM was sent: $(cat sum)"
}

# A hostile server: a listing's type byte is an escape, a name holds a
# NUL, HELLO answers another version: "a malformed ..." every time, and
# no raw control byte reaches the terminal.
t_trust_fs_hostile_listing() {
	cat >hostile.py <<'PY'
for i, c in enumerate(conns()):
    if i == 2:
        c.close()
        break
    recv_frame(c)
    if i == 0:
        c.sendall(frame(b"OK 1") + frame(b"\x1b 5 0 name"))
    else:
        c.sendall(frame(b"OK 1") + frame(b"f 5 0 a\x00b"))
    c.close()
PY
	tfs_fake hostile.py
	for i in 1 2; do
		expect_exit 1 "$SK" fileserve ls 127.0.0.1 "$FAKE_PORT" \
		    >out 2>err
		one_line err "sockkit: fileserve: a malformed listing"
		[ ! -s out ] || fail "printed: $(od -c out | head -2)"
	done
	cat >v2.py <<'PY'
l.settimeout(20)
c, _ = l.accept()
recv_frame(c)
c.sendall(frame(b"OK 2"))
c.recv(1)
PY
	tfs_fake v2.py
	expect_exit 1 "$SK" fileserve ls 127.0.0.1 "$FAKE_PORT" 2>err
	one_line err "sockkit: fileserve: a malformed reply from the server"
}

# SIGTERM to the server in the middle of an upload: it finishes what it
# has received into the partial file, dies by the signal (143), and the
# next put resumes from there.
t_trust_fs_server_stopped_mid_upload() {
	mkdir srv
	random_file up.bin 200000000
	tfs_serve s -d srv --allow-upload
	"$SK" fileserve put 127.0.0.1 "$PORT" up.bin 2>/dev/null &
	p=$!
	track $p
	wait_size srv/.up.bin.sockkit-part 20000000 || fail "no part"
	stop_server
	wait $p 2>/dev/null
	[ ! -e srv/up.bin ] || skip "it ended before the signal"
	part=$(stat -c %s srv/.up.bin.sockkit-part)
	cmp -s -n "$part" up.bin srv/.up.bin.sockkit-part ||
	    fail "the part is not the file's start"
	tfs_serve s2 -d srv --allow-upload
	expect_exit 0 "$SK" fileserve put -v 127.0.0.1 "$PORT" up.bin 2>err
	grep -Eq '\(([1-9][0-9]*) resumed\)' err || fail "not resumed: $(cat err)"
	cmp -s up.bin srv/up.bin || fail "differs"
	stop_server
}

# Twenty uploads at once, each verified and byte-identical; and names
# the client sent are escaped in the server's log.
t_trust_fs_many_puts() {
	mkdir srv
	i=0
	while [ $i -lt 20 ]; do
		random_file "u$i" $((1000000 + i * 234567))
		i=$((i + 1))
	done
	tfs_serve s -v -d srv --allow-upload
	pids=""
	i=0
	while [ $i -lt 20 ]; do
		timeout 60 "$SK" fileserve put 127.0.0.1 "$PORT" "u$i" \
		    2>"err$i" &
		pids="$pids $!"
		i=$((i + 1))
	done
	for p in $pids; do
		wait "$p" || fail "a put failed: $(cat err*)"
	done
	i=0
	while [ $i -lt 20 ]; do
		cmp -s "u$i" "srv/u$i" || fail "u$i differs"
		i=$((i + 1))
	done
	# A name with control bytes is refused (issue 14.11): it would only
	# have to be escaped in every listing and log after.  The request is
	# logged escaped.
	evil=$(printf 'x\033]0;pwned\007y')
	cp u0 "$evil"
	expect_exit 1 "$SK" fileserve put 127.0.0.1 "$PORT" "$evil" 2>err
	[ "$(wc -l <err)" -eq 1 ] && grep -qF 'sockkit: fileserve: server: 403 x\x1b]0;pwned\x07y: a control byte' err ||
	    fail "$(cat err)"
	[ -z "$(ls -A srv | grep pwned)" ] || fail "written: $(ls -A srv)"
	grep -q 'ERR 403 x\\x1b\]0;pwned\\x07y' s.err || fail "log: $(cat s.err)"
	! grep -q "$(printf '\033')" s.err || fail "a raw escape in the log"
	stop_server
}

# An option of another action was taken and ignored (get -d DIR, serve
# -o x, put --no-resume); -o '' made a file named ".sockkit-part".
t_trust_fs_options_of_another_action() {
	expect_exit 2 "$SK" fileserve get -d x 127.0.0.1 1 f 2>err
	one_line err "sockkit: fileserve: -d goes with serve"
	expect_exit 2 "$SK" fileserve ls --allow-upload 127.0.0.1 1 2>err
	one_line err "sockkit: fileserve: --allow-upload goes with serve"
	expect_exit 2 "$SK" fileserve serve -o x 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: -o goes with get"
	expect_exit 2 "$SK" fileserve put --no-resume 127.0.0.1 1 f 2>err
	one_line err "sockkit: fileserve: --no-resume goes with get"
	expect_exit 2 "$SK" fileserve serve -w 1 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: -w goes with get, put and ls"
	expect_exit 2 "$SK" fileserve get -o '' 127.0.0.1 1 f 2>err
	one_line err "sockkit: fileserve: -o: an empty name"
	[ ! -e .sockkit-part ] || fail "made .sockkit-part"
}

# SIGTERM to the server while a client is mid-download: the stream is
# cut with a reset, never ended as if whole; the server dies by the
# signal; fileserve get exits 1 and keeps its part for the resume.
t_trust_fs_signal_resets_download() {
	mkdir srv
	random_file srv/big.bin 30000000
	tfs_serve s -d srv
	python3 - "$PORT" >py.out 2>&1 <<'PY' &
import os, socket, struct, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.settimeout(10)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(struct.pack(">I", 7) + b"HELLO 1" + struct.pack(">I", 13) +
    b"GET 0 big.bin")
s.recv(65536)
open("started", "w").write("1\n")
for i in range(200):
    if os.path.exists("stopped"):
        break
    time.sleep(0.05)
try:
    while s.recv(1 << 20):
        pass
    print("clean end")
except ConnectionResetError:
    print("reset")
PY
	p=$!
	track $p
	wait_for started 1 || fail "no download"
	stop_server
	echo 1 >stopped
	wait_exit $p || fail "the client hung"
	[ "$(cat py.out)" = reset ] || fail "not reset: $(cat py.out)"
	# fileserve get, held still mid-transfer while the server stops
	# (caught as soon as its part has bytes: a fast machine may finish
	# first, and then there is nothing to test).
	head -c 300000000 /dev/zero >srv/zero.bin
	tfs_serve s2 -d srv
	"$SK" fileserve get 127.0.0.1 "$PORT" zero.bin 2>err &
	p=$!
	track $p
	i=0
	while [ ! -s zero.bin.sockkit-part ] && [ ! -e zero.bin ] &&
	    [ $i -lt 2000 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	kill -STOP $p
	[ ! -e zero.bin ] || skip "the get ended before it could be stopped"
	[ -s zero.bin.sockkit-part ] || fail "no part"
	stop_server
	kill -CONT $p
	wait_exit $p || fail "get hung"
	[ "$RC" -eq 1 ] || fail "get exited $RC: $(cat err)"
	one_line err "sockkit: fileserve: the transfer was cut at [0-9]* of 300000000 bytes: .*run again to resume"
	[ -e zero.bin.sockkit-part ] && [ ! -e zero.bin ] ||
	    fail "part not kept: $(ls)"
	tfs_serve s3 -d srv
	expect_exit 0 "$SK" fileserve get -v 127.0.0.1 "$PORT" zero.bin 2>err
	grep -Eq '\(([1-9][0-9]*) resumed\)' err || fail "not resumed: $(cat err)"
	cmp -s zero.bin srv/zero.bin || fail "resumed file differs"
	stop_server
}

# A server that says nothing: the client says so, and names -w, instead
# of a bare "Connection timed out" or "Resource temporarily unavailable".
t_trust_fs_no_reply_message() {
	cat >mute.py <<'PY'
for c in conns():
    time.sleep(4)
    break
PY
	tfs_fake mute.py
	expect_exit 1 "$SK" fileserve ls -w 1 127.0.0.1 "$FAKE_PORT" 2>err
	one_line err "sockkit: fileserve: no reply from the server within 1 s (-w)$"
	cat >stall.py <<'PY'
for c in conns():
    recv_frame(c)
    c.sendall(frame(b"OK f 100 0"))
    recv_frame(c)
    c.sendall(frame(b"OK 100 0") + b"x" * 10)
    time.sleep(4)
    break
PY
	tfs_fake stall.py
	expect_exit 1 "$SK" fileserve get -w 1 127.0.0.1 "$FAKE_PORT" f 2>err
	one_line err "sockkit: fileserve: the transfer was cut at 10 of 100 bytes: no reply from the server within 1 s (-w): run again to resume$"
}

# get -o -: the bytes alone on stdout, the outcome on stderr; a checksum
# that does not match exits 1 and says what went to stdout is bad.
t_trust_fs_stdout_checksum() {
	mkdir srv
	printf 'hello\n' >srv/f.txt
	tfs_serve s -d srv
	expect_exit 0 "$SK" fileserve get -v -o - 127.0.0.1 "$PORT" f.txt \
	    >out 2>err
	[ "$(cat out)" = hello ] || fail "stdout: $(cat -v out)"
	one_line err "sockkit: fileserve: stdout: 6 bytes (0 resumed) in .* s, verified"
	stop_server
	cat >badsum.py <<'PY'
for c in conns():
    recv_frame(c)
    c.sendall(frame(b"OK f 6 0"))
    recv_frame(c)
    c.sendall(frame(b"OK 6 0") + b"hellO\n" + frame(b"SUM 0123456789abcdef"))
    recv_frame(c)
    break
PY
	tfs_fake badsum.py
	expect_exit 1 "$SK" fileserve get -o - 127.0.0.1 "$FAKE_PORT" f.txt \
	    >out 2>err
	[ "$(cat out)" = hellO ] || fail "stdout: $(cat -v out)"
	one_line err "sockkit: fileserve: checksum mismatch for f.txt: what went to stdout is not the server's file: do not use it"
}

# serve -v: an upload cut short is logged as such, with how far it got
# and that the part is kept; the name escaped as elsewhere.
t_trust_fs_cut_upload_logged() {
	mkdir srv
	tfs_serve s -v -d srv --allow-upload
	python3 - "$PORT" <<'PY' || fail "python"
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
def frame(s):
    return struct.pack(">I", len(s)) + s
def recv_frame(c):
    n = struct.unpack(">I", recvall(c, 4))[0]
    return recvall(c, n) if n else b""
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
c.sendall(frame(b"HELLO 1") + frame(b"PUT 1000 back\\slash.bin"))
recv_frame(c)
assert recv_frame(c) == b"OK 0"
c.sendall(b"x" * 500)
c.close()
PY
	wait_for s.err 'disconnected: PUT back\\\\slash\.bin cut at 500 of 1000 bytes, kept to resume$' ||
	    fail "not logged"
	[ "$(stat -c %s 'srv/.back\slash.bin.sockkit-part')" = 500 ] ||
	    fail "part: $(ls -la srv)"
	stop_server
}

# Empty arguments are usage errors (2), not a runtime "No such file".
t_trust_fs_empty_arguments() {
	expect_exit 2 "$SK" fileserve serve -d '' 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: an empty -d DIR"
	expect_exit 2 "$SK" fileserve serve --iface= 127.0.0.1 0 2>err
	one_line err "sockkit: fileserve: an empty --iface NAME"
}

# --help's synopsis names every option its option list names (an
# option's short form if it has one), and so does the man page's
# ("sockkit help fileserve").
tfs_in_synopsis() {
	case $2 in
	--*) grep -qE -- "\\[$2([] =[]|$)" "$1" ;;
	*) grep -qE -- "\\[-[a-zA-Z0-9]*${2#-}[a-zA-Z0-9]*([] ]|$)" "$1" ;;
	esac
}

t_trust_fs_help_synopsis() {
	expect_exit 0 "$SK" fileserve --help >help
	expect_exit 0 "$SK" help fileserve >page
	awk '/^usage:/ { p = 1 } /^$/ { p = 0 } p' help >syn
	awk '/^SYNOPSIS/ { p = 1; next } /^$/ { p = 0 } p' page >msyn
	sed -nE 's/^ {1,6}(-[a-zA-Z0-9])[, ].*/\1/p
	    s/^ {1,6}(--[a-z][a-z-]*).*/\1/p' help | grep -v -- '^-h$' >opts
	[ "$(wc -l <opts)" -gt 8 ] || fail "options: $(cat opts)"
	while read -r o; do
		tfs_in_synopsis syn "$o" ||
		    fail "--help synopsis lacks $o: $(cat syn)"
		tfs_in_synopsis msyn "$o" ||
		    fail "man synopsis lacks $o: $(cat msyn)"
	done <opts
	grep -q -- '--idle-timeout' syn && grep -q -- '--announce' syn &&
	    grep -q -- '--iface' syn || fail "serve's options: $(cat syn)"
	for a in serve get put ls; do
		grep -q "sockkit fileserve $a " syn || fail "no $a: $(cat syn)"
		grep -q "sockkit fileserve $a " msyn || fail "no $a in the page"
	done
}

# A local user replaces an upload's partial file while it is under way:
# the server renames into place only the file it verified, never what
# now lies under the part's name.
t_trust_fs_part_replaced_mid_upload() {
	mkdir srv
	echo planted >planted
	head -c 1000 /dev/zero | tr '\0' y >srv/ref.bin
	tfs_serve s -d srv --allow-upload
	python3 - "$PORT" >py.out 2>&1 <<'PY' &
import os, socket, struct, sys, time
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
port = int(sys.argv[1])
# The right SUM, learnt from a GET of the same bytes.
g = socket.create_connection(("127.0.0.1", port), timeout=10)
g.sendall(frame(b"HELLO 1") + frame(b"GET 0 ref.bin"))
recv_frame(g); recv_frame(g)
data = recvall(g, 1000)
sum_line = recv_frame(g)
c = socket.create_connection(("127.0.0.1", port), timeout=10)
c.sendall(frame(b"HELLO 1") + frame(b"PUT 1000 up.bin"))
recv_frame(c)
assert recv_frame(c) == b"OK 0"
c.sendall(data[:500])
open("half", "w").write("1\n")
for i in range(200):
    if os.path.exists("swapped"):
        break
    time.sleep(0.05)
c.sendall(data[500:] + frame(sum_line))
print(recv_frame(c).decode())
PY
	p=$!
	track $p
	wait_for half 1 || fail "no upload"
	wait_size srv/.up.bin.sockkit-part 500 || fail "no part"
	mv srv/.up.bin.sockkit-part moved
	cp planted srv/.up.bin.sockkit-part
	echo 1 >swapped
	wait_exit $p || fail "the client hung"
	[ ! -e srv/up.bin ] || fail "renamed into place: $(cat srv/up.bin)"
	grep -q '^ERR 409 up.bin: its partial upload file was replaced' py.out ||
	    fail "reply: $(cat py.out)"
	stop_server
}

# python's and scp's habits on the command line: "serve 8000 www" took
# 8000 for an address and the directory for a port ("www" is 80); the
# directory shared goes after -d; HOST:PORT is two operands.
t_trust_fs_operand_mistakes() {
	mkdir www
	expect_exit 2 "$SK" fileserve serve 8000 www 2>err
	one_line err "sockkit: fileserve: '8000' is not an address: give one PORT, or ADDRESS PORT"
	expect_exit 2 "$SK" fileserve serve www 0 2>err
	one_line err "sockkit: fileserve: 'www' is a directory, not an address: share it with '-d www'"
	expect_exit 2 "$SK" fileserve serve 127.0.0.1 www 2>err
	one_line err "sockkit: fileserve: 'www' is a directory, not a port: share it with '-d www'"
	expect_exit 2 "$SK" fileserve serve www 2>err
	one_line err "sockkit: fileserve: 'www' is a directory, not a port"
	expect_exit 2 "$SK" fileserve get 127.0.0.1:9 f 2>err
	one_line err "sockkit: fileserve: '127.0.0.1:9': the host and the port are two operands: '127.0.0.1 9'"
	expect_exit 2 "$SK" fileserve ls '[::1]:9' 2>err
	one_line err "sockkit: fileserve: '\[::1\]:9': the host and the port are two operands: '::1 9'"
	# What is right still works.
	tfs_serve s -d www
	expect_exit 0 "$SK" fileserve ls 127.0.0.1 "$PORT" >/dev/null
	stop_server
}

# DIR is shared by what its name leads to, as http serves it: removed
# (said once), made again, a symbolic link pointed elsewhere; the old
# directory, gone, is not shared for ever.
t_trust_fs_dir_replaced() {
	mkdir v1 v2 www
	echo one >v1/t.txt
	echo two >v2/t.txt
	echo zero >www/t.txt
	tfs_serve s -d www
	# until_got TEXT: get t.txt to stdout gives TEXT within 3 s.
	until_got() {
		i=0
		while [ "$("$SK" fileserve get -o - 127.0.0.1 "$PORT" t.txt \
		    2>/dev/null)" != "$1" ]; do
			[ $i -lt 30 ] || fail "t.txt is not $1"
			sleep 0.1
			i=$((i + 1))
		done
	}
	until_got zero
	rm -rf www
	wait_for s.err 'www: removed: nothing is shared until it is made again$' ||
	    fail "not said"
	mkdir www
	echo again >www/t.txt
	until_got again
	wait_for s.err "now sharing $PWD/www\$" || fail "not said"
	rm -rf www
	ln -s v1 www
	until_got one
	ln -sfn v2 www.new
	mv -T www.new www
	until_got two
	[ "$(grep -c 'removed' s.err)" = 1 ] || fail "said more than once"
	stop_server
}

# An announced NAME is checked as broadcast announce checks it: a control
# byte in it used to be accepted, and discover then dropped the
# announcement without a word.
t_trust_fs_announce_name_checked() {
	for name in "$(printf 'a\033b')" "$(printf 'a\nb')" 'a b' \
	    "$(printf 'caf\351')"; do
		timeout 5 "$SK" fileserve serve --announce="$name" 127.0.0.1 0 \
		    >out 2>err
		RC=$?
		[ $RC -eq 2 ] || fail "'$name': exit $RC"
		one_line err "sockkit: fileserve: --announce: a NAME is 1-64"
	done
}
