# test_trust_ipcalc.sh - ipcalc off the happy path, as a demanding user
# meets it: input that pauses or cannot be read, a non-blocking stdin,
# hostile bytes on the terminal and in JSON, ^C and SIGTERM.

IPC_TERM_PY="$TOP/tests/integration/term.py"

# Standard input that cannot be read (closed, a directory) is a runtime
# error, said once, never a silent success with nothing done.
t_trust_ipcalc_stdin_unreadable_is_an_error() {
	timeout 20 "$SK" ipcalc - <&- >out 2>err
	rc=$?
	[ $rc = 1 ] || fail "closed stdin: exit $rc"
	one_line err "sockkit: ipcalc: read stdin: Bad file descriptor"
	timeout 20 "$SK" ipcalc --json - </ >out 2>err
	rc=$?
	[ $rc = 1 ] || fail "directory: exit $rc"
	one_line err "sockkit: ipcalc: read stdin: Is a directory"
}

# Bulk mode fed by something slow (tail -f, a person at a pipe): each
# answer comes as soon as its line has, not when 64 KiB have piled up or
# the input ends.
t_trust_ipcalc_answers_while_input_pauses() {
	python3 - "$SK" <<'PY' || fail "no answer while the input paused"
import select, subprocess, sys
p = subprocess.Popen([sys.argv[1], "ipcalc", "--json", "-"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
try:
    for a in ["10.0.0.1/8", "2001:db8::1/64"]:
        p.stdin.write(a.encode() + b"\n")
        p.stdin.flush()
        r, _, _ = select.select([p.stdout], [], [], 5)
        assert r, "nothing for %s within 5 s" % a
        line = p.stdout.readline()
        assert b'"prefix":' in line, line
finally:
    p.stdin.close()
    p.wait(timeout=10)
PY
}

# A non-blocking stdin (inherited from a parent that set O_NONBLOCK on
# the pipe) is waited on, not taken for the end of the input.
t_trust_ipcalc_nonblocking_stdin() {
	python3 - "$SK" <<'PY' || fail "lines lost on a non-blocking stdin"
import os, subprocess, sys, time
r, w = os.pipe()
os.set_blocking(r, False)
p = subprocess.Popen([sys.argv[1], "ipcalc", "-"], stdin=r,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
os.close(r)
for i in range(5):
    os.write(w, b"10.0.0.%d\n" % i)
    time.sleep(0.1)     # a producer with pauses: reads find nothing
os.close(w)
out, err = p.communicate(timeout=20)
assert p.returncode == 0, (p.returncode, err)
assert out.count(b"\n") == 5, out
PY
}

# No byte the user typed reaches the terminal raw, whatever option it was
# given to: ESC, BEL, C1 (0x9b is CSI) come out as \xHH.
t_trust_ipcalc_hostile_bytes_never_reach_the_terminal() {
	esc=$(printf '\033]0;owned\007')
	csi=$(printf '\302\233')
	: >all.err
	for args in "--split $esc 10.0.0.0/8" "--limit $esc --split 9 10.0.0.0/8" \
	    "--range $esc" "--range 1.1.1.1-$csi" "--contains $esc 10.0.0.0/8" \
	    "10.0.0.1/$esc" "10.0.0.1 $esc" "$esc" "--x$esc" "-6 $csi" \
	    "10.0.0.1 255.0.0.0 $esc"; do
		# shellcheck disable=SC2086
		timeout 20 "$SK" ipcalc $args >/dev/null 2>err </dev/null
		rc=$?
		[ $rc = 2 ] || fail "ipcalc $args: exit $rc"
		one_line err "sockkit: ipcalc: "
		cat err >>all.err
	done
	printf '%s\n10.0.0.1 %s\n' "$esc" "$csi" |
	    timeout 20 "$SK" ipcalc - >/dev/null 2>>all.err
	LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" all.err &&
	    fail "a control byte raw: $(od -c all.err | head)"
	grep -q "$csi" all.err && fail "C1 raw: $(cat all.err)"
	grep -q 'x1b' all.err || fail "no escape shown: $(cat all.err)"
}

# A bad line's "input" in JSON is the line: UTF-8 as it is (not read as
# Latin-1), other bytes as \u00XX, still valid JSON.
t_trust_ipcalc_json_error_keeps_utf8() {
	printf 'caf\303\251\n\351t\351\n\302\233x\n' |
	    "$SK" ipcalc --json - >out 2>/dev/null
	python3 -c '
import json
o = [json.loads(l)["input"] for l in open("out", encoding="utf-8")]
assert o == ["caf\u00e9", "\u00e9t\u00e9", "\u00c2\u009bx"], o' ||
	    fail "inputs: $(cat out)"
}

# ^C at a terminal while bulk mode waits for a line, and SIGTERM during
# an endless --split: dead by the signal, 130 and 143.
t_trust_ipcalc_interrupted() {
	timeout 30 python3 "$IPC_TERM_PY" --ctrl-c '' --delay 0.3 \
	    "$SK" ipcalc - >tty.out
	rc=$?
	[ $rc = 130 ] || fail "^C: exit $rc: $(cat tty.out)"
	timeout 30 python3 "$IPC_TERM_PY" --signal TERM --after '' --delay 0.3 \
	    "$SK" ipcalc --split 128 ::/0 >/dev/null
	rc=$?
	[ $rc = 143 ] || fail "SIGTERM: exit $rc"
}

# --range as whois writes it ("inetnum: 10.0.0.0 - 10.0.0.255"), pasted
# with its spaces: the same blocks as without them.
t_trust_ipcalc_range_as_whois_writes_it() {
	"$SK" ipcalc --range '192.0.2.0 - 192.0.2.255' >out 2>err ||
	    fail "spaces: $(cat err)"
	[ "$(cat out)" = 192.0.2.0/24 ] || fail "$(cat out)"
	"$SK" ipcalc --range "$(printf '2001:db8::\t-\t2001:db8::ff')" >out ||
	    fail "tabs"
	[ "$(cat out)" = 2001:db8::/120 ] || fail "$(cat out)"
	expect_exit 2 "$SK" ipcalc --range '192.0.2.0 - ' 2>err
	one_line err "sockkit: ipcalc: invalid address ''"
}

# Other calculators' habits: Debian ipcalc's "A - B" and "-r", sipcalc's
# "-s", a range typed where an address goes: each names --range or
# --split (a range stays an "invalid address", as the contract says).
t_trust_ipcalc_other_calculators_habits() {
	expect_exit 2 "$SK" ipcalc 10.0.0.1 - 10.0.0.9 </dev/null 2>err
	one_line err "sockkit: ipcalc: a range is one operand of --range: 'sockkit ipcalc --range 10.0.0.1-10.0.0.9'"
	expect_exit 2 "$SK" ipcalc 10.0.0.1-10.0.0.9 2>err
	one_line err "sockkit: ipcalc: invalid address '10.0.0.1-10.0.0.9' (a range? 'sockkit ipcalc --range 10.0.0.1-10.0.0.9')"
	expect_exit 2 "$SK" ipcalc -s 26 10.0.0.0/24 2>err
	one_line err "sockkit: ipcalc: -s: to split use --split PREFIX"
	expect_exit 2 "$SK" ipcalc -r 10.0.0.1-10.0.0.9 2>err
	one_line err "sockkit: ipcalc: -r: for the blocks of a range use --range A-B"
	expect_exit 2 "$SK" ipcalc "$(printf 'a\033-b')" 2>err
	one_line err "sockkit: ipcalc: invalid address 'a\\\\x1b-b'"
}
