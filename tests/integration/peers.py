"""peers.py - scripted clients for the integration tests.

    python3 peers.py SCENARIO PORT [ARGS...]

Each scenario connects to a sockkit server on 127.0.0.1 (or ::1, or a Unix
socket path given as PORT starting with '/'), checks what comes back, and
exits 0 on success or 1 with a message.  Every socket operation has a
timeout, so a scenario always ends.
"""
import socket
import struct
import sys
import threading
import time

TIMEOUT = 10


def connect(target):
    if target.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        s.connect(target)
        return s
    host = "::1" if target.startswith("6:") else "127.0.0.1"
    port = int(target[2:] if target.startswith("6:") else target)
    return socket.create_connection((host, port), timeout=TIMEOUT)


def recv_exact(s, n):
    got = b""
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            raise AssertionError("closed after %d of %d bytes" % (len(got), n))
        got += chunk
    return got


def recv_line(s, buf):
    """Read one line; buf is a list holding leftover bytes."""
    while b"\n" not in buf[0]:
        chunk = s.recv(65536)
        if not chunk:
            raise AssertionError("closed; partial: %r" % buf[0])
        buf[0] += chunk
    line, buf[0] = buf[0].split(b"\n", 1)
    return line.decode()


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def recv_frame(s):
    (n,) = struct.unpack(">I", recv_exact(s, 4))
    return recv_exact(s, n)


def echo_many(target, nclients="50", mode="echo"):
    """N clients at once, each sending its own data in pieces."""
    errors = []

    def one(i):
        try:
            s = connect(target)
            data = (b"client %d says hello; " % i) * (200 + i)
            for k in range(0, len(data), 997):
                s.sendall(data[k:k + 997])
            want = data.upper() if mode == "upper" else data
            got = recv_exact(s, len(want))
            if got != want:
                errors.append("client %d: reply differs" % i)
            s.close()
        except Exception as e:  # noqa: BLE001 - report any failure
            errors.append("client %d: %r" % (i, e))

    threads = [threading.Thread(target=one, args=(i,))
               for i in range(int(nclients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 2)
    if errors:
        raise AssertionError("; ".join(errors[:5]))


def chat(target):
    """Three clients, /nick, /who, a line torn into pieces, leave notices."""
    a, b, c = connect(target), connect(target), connect(target)
    ba, bb, bc = [b""], [b""], [b""]
    assert recv_line(a, ba).startswith("* welcome, ")
    assert "has joined" in recv_line(a, ba)      # b
    assert "has joined" in recv_line(a, ba)      # c
    assert recv_line(b, bb).startswith("* welcome")
    assert "has joined" in recv_line(b, bb)      # c
    assert recv_line(c, bc).startswith("* welcome")
    if a.family == socket.AF_UNIX:
        aname = None
    else:
        aname = "%s:%d" % a.getsockname()[:2]
    # One line in three TCP pieces still gets one prefix.
    a.sendall(b"hel")
    time.sleep(0.05)
    a.sendall(b"lo wor")
    time.sleep(0.05)
    a.sendall(b"ld\r\n")
    for s, buf in ((b, bb), (c, bc)):
        line = recv_line(s, buf)
        assert line.startswith("<") and line.endswith("> hello world"), line
        assert aname is None or line == "<%s> hello world" % aname, line
    # /nick renames; the others hear of it; messages carry the new name.
    b.sendall(b"/nick bob\n")
    assert recv_line(b, bb) == "* you are now bob"
    assert recv_line(a, ba).endswith(" is now bob")
    assert recv_line(c, bc).endswith(" is now bob")
    b.sendall(b"hi from bob\n")
    assert recv_line(a, ba) == "<bob> hi from bob"
    assert recv_line(c, bc) == "<bob> hi from bob"
    # The sender does not get its own line back; a taken nick is refused.
    c.sendall(b"/nick bob\n")
    assert recv_line(c, bc) == "* bob is taken"
    c.sendall(b"/who\n")
    who = recv_line(c, bc)
    assert who.startswith("* 3 here:") and "bob" in who, who
    b.close()
    assert recv_line(a, ba) == "* bob has left"
    assert recv_line(c, bc) == "* bob has left"
    b.close()
    # Nothing else was queued for a: no echo of its own line.
    a.settimeout(0.3)
    try:
        extra = a.recv(100)
    except socket.timeout:
        extra = b""
    assert extra == b"", extra
    a.close()
    c.close()


def chat_slow_reader(target):
    """A client that never reads is dropped; the room goes on."""
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.settimeout(TIMEOUT)
    slow.connect(("127.0.0.1", int(target)))
    fast, talker = connect(target), connect(target)
    lines = []

    def read_all():
        buf = [b""]
        try:
            while True:
                lines.append(recv_line(fast, buf))
        except Exception:  # noqa: BLE001 - the socket closing ends it
            pass

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    line = b"x" * 1000 + b"\n"
    deadline = time.time() + TIMEOUT
    sent = 0
    # 5 MB is far past the 1 MiB queue and the socket buffers.
    while sent < 5000 and time.time() < deadline:
        talker.sendall(line * 100)
        sent += 100
        if any("was dropped (not reading)" in m for m in lines):
            break
    while time.time() < deadline and \
            not any("was dropped (not reading)" in m for m in lines):
        time.sleep(0.05)
    assert any("was dropped (not reading)" in m for m in lines), \
        "slow reader not dropped after %d lines" % sent
    # The room still works for the others.
    talker.sendall(b"still here\n")
    while time.time() < deadline and \
            not any(m.endswith("still here") for m in lines):
        time.sleep(0.05)
    assert any(m.endswith("still here") for m in lines)
    slow.close()


def frames_torn(target, mode="echo"):
    """Frames written one byte at a time, and many frames in one write."""
    s = connect(target)
    msgs = [b"", b"a", b"hello frames", bytes(range(256)) * 40, b""]
    up = (lambda m: m.upper()) if mode == "upper" else (lambda m: m)
    for m in msgs:
        for byte in frame(m):
            s.sendall(bytes([byte]))
        got = recv_frame(s)
        assert got == up(m), (len(got), len(m))
    batch = b"".join(frame(b"m%d" % i * (i % 7)) for i in range(500))
    s.sendall(batch)
    for i in range(500):
        got = recv_frame(s)
        assert got == up(b"m%d" % i * (i % 7)), (i, got)
    s.close()


def frame_oversized(target, maxframe):
    """A frame over --max-frame drops that client only."""
    good = connect(target)
    good.sendall(frame(b"before"))
    assert recv_frame(good) == b"before"
    bad = connect(target)
    bad.sendall(struct.pack(">I", int(maxframe) + 1) + b"xyz")
    try:
        got = bad.recv(10)
    except ConnectionResetError:
        got = b""
    assert got == b"", got
    # Exactly the maximum is fine.
    good.sendall(frame(b"y" * int(maxframe)))
    assert len(recv_frame(good)) == int(maxframe)
    good.sendall(frame(b"after"))
    assert recv_frame(good) == b"after"


def chat_frames(target):
    """--chat --frame: messages and notices are frames."""
    a, b = connect(target), connect(target)
    assert recv_frame(a).startswith(b"* welcome")
    assert b"has joined" in recv_frame(a)
    assert recv_frame(b).startswith(b"* welcome")
    b.sendall(frame(b"/nick bee"))
    assert recv_frame(b) == b"* you are now bee"
    assert recv_frame(a).endswith(b" is now bee")
    # Cleaned as lines are: a member's terminal shows frames as lines.
    b.sendall(frame(b"binary\x00\x1b ok"))
    assert recv_frame(a) == b"<bee> binary?? ok"


def never_reads(target, mbytes="300"):
    """Offer MBYTES to an echo server without reading a byte back; print
    how much it took.  Backpressure must stop it, not the server's memory."""
    s = connect(target)
    s.setblocking(False)
    chunk = b"z" * 65536
    sent, stalled_since = 0, None
    deadline = time.time() + TIMEOUT
    while sent < int(mbytes) * 1048576 and time.time() < deadline:
        try:
            sent += s.send(chunk)
            stalled_since = None
        except BlockingIOError:
            if stalled_since is None:
                stalled_since = time.time()
            elif time.time() - stalled_since > 1.0:
                break           # the server stopped reading: good
            time.sleep(0.01)
    print(sent)
    # Hold the connection while the caller looks at the server.
    sys.stdout.flush()
    sys.stdin.read()


def reset(target):
    """Connect, send half a frame, and reset the connection (RST)."""
    s = connect(target)
    s.sendall(b"\x00\x00\x10\x00partial")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def garbage(target):
    """Random bytes at a frame server: it must drop us, not crash."""
    import random
    s = connect(target)
    rnd = random.Random(7)
    try:
        for _ in range(100):
            s.sendall(bytes(rnd.getrandbits(8) for _ in range(1000)))
    except (BrokenPipeError, ConnectionResetError):
        pass
    s.close()


def main():
    scenario, target, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    fn = globals()[scenario.replace("-", "_")]
    try:
        fn(target, *args)
    except Exception as e:  # noqa: BLE001 - any failure fails the scenario
        print("%s: %r" % (scenario, e), file=sys.stderr)
        sys.exit(1)


def udp_modes(target, mode):
    """A python UDP peer against udp-server --echo/--upper/--time."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    addr = ("127.0.0.1", int(target))
    if mode == "time":
        s.sendto(b"", addr)
        got = s.recv(100).decode()
        assert time.strftime("%Y-%m-%d") in got, got
        s.sendto(b"%Y|%j\n", addr)
        got = s.recv(100).decode()
        assert got == time.strftime("%Y|%j") + "\n", got
        s.sendto(b"%c" * 1000, addr)
        assert s.recv(200).startswith(b"error: ")
        return
    # Two sockets at once: one unconnected socket answers every peer.
    t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t.settimeout(TIMEOUT)
    for i, sock in enumerate((s, t, s, t)):
        msg = b"peer %d says hi" % i
        sock.sendto(msg, addr)
        want = msg.upper() if mode == "upper" else msg
        assert sock.recv(100) == want
    big = bytes(range(256)) * 255 + b"x" * 227
    assert len(big) == 65507
    s.sendto(big, addr)
    got = s.recv(70000)
    assert got == (big.upper() if mode == "upper" else big), len(got)


def udp_burst(target, count="100000"):
    """100,000 datagrams of random sizes as fast as they go; the server
    must answer normally afterwards (losses during the burst are fine)."""
    import random
    rnd = random.Random(3)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    addr = ("127.0.0.1", int(target))
    payload = bytes(rnd.getrandbits(8) for _ in range(65507))
    deadline = time.time() + 60
    sent = 0
    while sent < int(count) and time.time() < deadline:
        n = rnd.choice((0, 1, 10, 100, 1000, 1400, 9000, 65507))
        try:
            s.sendto(payload[:n], addr)
        except OSError:
            pass
        sent += 1
    assert sent == int(count), sent
    s.settimeout(2)
    for attempt in range(10):
        s.sendto(b"still alive?", addr)
        try:
            while True:
                got = s.recv(70000)
                if got == b"still alive?":
                    return
        except socket.timeout:
            continue
    raise AssertionError("no answer after the burst")


if __name__ == "__main__":
    main()
