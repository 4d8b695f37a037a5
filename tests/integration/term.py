"""term.py - run a command at a terminal, as a user at one would.

    python3 term.py [--out] [--ctrl-c TEXT | --signal SIG --after TEXT]
                    [--delay S] [--timeout S] CMD...

The command runs in a session of its own on a pseudo-terminal, which is
its controlling terminal, its standard input, its standard error and
with --out its standard output too; SIGINT is at its default, as for a
command typed at a shell.  What it writes to the terminal is copied as
raw bytes to this script's standard output, so a test can look for
escape sequences or a progress line.

--ctrl-c TEXT types ^C once TEXT has appeared (at once when TEXT is ''):
the terminal sends SIGINT to its whole foreground group, a shell loop
included.  --signal SIG --after TEXT sends SIG (INT, TERM, ...) to the
command's PID instead; --delay S waits S seconds more after TEXT.  Exits with the command's status, 128+N when a
signal ended it; every wait is bounded by --timeout (default 20 s), after
which the command is killed and this exits 124.
"""
import os
import pty
import select
import signal
import sys
import time


def main():
    args = sys.argv[1:]
    out = False
    sig = None
    ctrl_c = False
    after = None
    timeout = 20.0
    delay = 0.0
    while args and args[0].startswith("--"):
        a = args.pop(0)
        if a == "--out":
            out = True
        elif a == "--signal":
            sig = getattr(signal, "SIG" + args.pop(0))
        elif a == "--ctrl-c":
            ctrl_c = True
            after = args.pop(0).encode()
        elif a == "--after":
            after = args.pop(0).encode()
        elif a == "--delay":
            delay = float(args.pop(0))
        elif a == "--timeout":
            timeout = float(args.pop(0))
        elif a == "--":
            break
    # stdout stays where it was unless --out: keep a copy past the fork.
    keep = os.dup(1)
    pid, master = pty.fork()
    if pid == 0:
        if not out:
            os.dup2(keep, 1)
        os.close(keep)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        try:
            os.execvp(args[0], args)
        finally:
            os._exit(127)
    os.close(keep)
    # ^C reaches the child only once the terminal is its own.
    for _ in range(200):
        try:
            if os.tcgetpgrp(master) == pid:
                break
        except OSError:
            pass
        time.sleep(0.01)
    seen = b""
    done = False
    status = None
    deadline = time.monotonic() + timeout
    while True:
        if not done and after is not None and after in seen:
            if delay > 0:
                time.sleep(delay)
                delay = 0
            if ctrl_c:
                os.write(master, b"\x03")
            else:
                os.kill(pid, sig)
            done = True
        if status is None:
            wpid, st = os.waitpid(pid, os.WNOHANG)
            if wpid == pid:
                status = st
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stdout.buffer.write(seen)
            sys.exit(124)
        r, _, _ = select.select([master], [], [], min(left, 0.05))
        if r:
            try:
                d = os.read(master, 65536)
            except OSError:
                d = b""
            if not d:
                break
            seen += d
        elif status is not None:
            break
    if status is None:
        _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(seen)
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


main()
