# test_cli.sh - the dispatcher and the command-line contract: help,
# version, unknown commands and options, bad ports, exit codes, and the
# one-line "sockkit: CMD: what" errors.

ALL_CMDS="tcp-server tcp-client udp-server udp-client broadcast fileserve http ipcalc"

t_no_args_is_usage() {
	expect_exit 2 "$SK" >out 2>err
	[ ! -s out ] || fail "usage went to stdout"
	grep -q '^usage: sockkit COMMAND' err || fail "no usage: $(cat err)"
}

t_help_lists_every_command() {
	expect_exit 0 "$SK" --help >out 2>err
	[ ! -s err ] || fail "stderr: $(cat err)"
	for c in $ALL_CMDS; do
		grep -q "^  $c " out || fail "--help misses $c"
	done
	expect_exit 0 "$SK" -h >out2
	cmp -s out out2 || fail "-h differs from --help"
	expect_exit 0 "$SK" help >out3
	cmp -s out out3 || fail "'help' differs from --help"
}

t_version() {
	expect_exit 0 "$SK" --version >out 2>err
	grep -Eq '^sockkit [0-9]+\.[0-9]+\.[0-9]+ \(event loop backends: epoll poll select\)$' out ||
	    fail "version: $(cat out)"
}

t_every_command_has_help() {
	for c in $ALL_CMDS; do
		expect_exit 0 "$SK" "$c" --help >out 2>err
		grep -q "^usage: sockkit $c" out || fail "$c --help: $(cat out)"
		[ ! -s err ] || fail "$c --help wrote to stderr"
	done
}

# "sockkit help CMD" is CMD's part of the man page, laid out as man(1)
# lays it out: its SYNOPSIS lines, its subsection and the common options
# are line for line what groff renders from docs/sockkit.1 (with
# hyphenation off), and its examples are the page's examples running it.
t_help_is_the_man_page() {
	command -v groff >/dev/null || skip "no groff"
	{ printf '.nh\n.rm hy\n'; cat "$TOP/docs/sockkit.1"; } |
	    groff -mdoc -Tascii -P-cbou >man.txt 2>/dev/null || fail "groff"
	# part NAME FILE: the lines under the 3-space heading NAME, up to
	# the next heading of either level.
	part() {
		awk -v h="   $1" '$0 == h { p = 1; next }
		    p && /^(   )?[A-Za-z]/ { p = 0 } p' "$2"
	}
	part "Options every command takes" man.txt >common
	[ -s common ] || fail "no common options in the man page"
	for c in $ALL_CMDS; do
		expect_exit 0 "$SK" help "$c" >help 2>err
		[ ! -s err ] || fail "help $c wrote to stderr"
		awk -v c="$c" '/^SYNOPSIS/ { s = 1; next } /^[A-Z]/ { s = 0 }
		    /^$/ { p = 0 }
		    s && index($0, "     sockkit " c " ") == 1 { p = 1 }
		    s && /^     [^ ]/ && index($0, "     sockkit " c " ") != 1 {
		        p = 0 }
		    s && p' man.txt >want_syn
		awk '/^SYNOPSIS/ { p = 1; next } /^$/ { p = 0 } p' help >got_syn
		[ -s want_syn ] && cmp -s want_syn got_syn ||
		    fail "help $c: SYNOPSIS differs: $(diff want_syn got_syn)"
		part "$c" man.txt >want
		part "$c" help >got
		[ -s want ] && cmp -s want got ||
		    fail "help $c: text differs: $(diff want got | head)"
		part "Options every command takes" help >got
		cmp -s common got ||
		    fail "help $c: common options differ: $(diff common got)"
		awk '/^EXAMPLES/ { p = 1; next } p' help >ex
		[ -s ex ] || fail "help $c: no examples"
		grep -q "sockkit $c" ex || fail "help $c: examples never run it"
		while IFS= read -r line; do
			grep -qxF -- "$line" man.txt ||
			    fail "help $c: example line not in the page: $line"
		done <ex
	done
	expect_exit 2 "$SK" help nope 2>err
	one_line err "sockkit: nope: unknown command"
}

t_unknown_command() {
	expect_exit 2 "$SK" nope >out 2>err
	one_line err "sockkit: nope: unknown command"
	grep -q "sockkit --help" err || fail "no hint: $(cat err)"
	expect_exit 2 "$SK" tcp-sevrer 2>err
	grep -q "did you mean 'tcp-server'" err || fail "no suggestion"
	expect_exit 2 "$SK" --bogus 2>err
	one_line err "sockkit: unknown option '--bogus'"
}

t_unknown_option() {
	expect_exit 2 "$SK" tcp-server --bogus 2>err
	one_line err "sockkit: tcp-server: unknown option '--bogus'"
	grep -q "sockkit tcp-server --help" err || fail "no hint"
	expect_exit 2 "$SK" tcp-client -Q 127.0.0.1 1 2>err
	one_line err "sockkit: tcp-client: unknown option '-Q'"
	expect_exit 2 "$SK" tcp-client 127.0.0.1 1 -w 2>err
	one_line err "sockkit: tcp-client: option '-w' needs a value"
	expect_exit 2 "$SK" tcp-server --backend kqueue 0 2>err
	one_line err "sockkit: tcp-server: --backend: unknown backend 'kqueue'"
	expect_exit 2 "$SK" tcp-server --echo --discard 0 2>err
	one_line err "sockkit: tcp-server: choose one of"
	expect_exit 2 "$SK" tcp-server --max-clients 0 0 2>err
	one_line err "sockkit: tcp-server: --max-clients: invalid number '0'"
}

t_bad_ports() {
	for p in 70000 65536 -5 80x abc '' 99999999999999999999; do
		expect_exit 2 "$SK" tcp-server -- 127.0.0.1 "$p" 2>err
		one_line err "sockkit: tcp-server: invalid port '$p'"
		expect_exit 2 "$SK" tcp-client -- 127.0.0.1 "$p" </dev/null \
		    2>err
		one_line err "sockkit: tcp-client: invalid port '$p'"
	done
	# Without "--", getopt takes -5 for an option: still a usage error.
	expect_exit 2 "$SK" tcp-server 127.0.0.1 -5 2>err
	one_line err "sockkit: tcp-server: unknown option '-5'"
	# Port 0 is for servers only.
	expect_exit 2 "$SK" tcp-client 127.0.0.1 0 </dev/null 2>err
	one_line err "sockkit: tcp-client: invalid port '0'"
	expect_exit 2 "$SK" tcp-server 2>err
	one_line err "sockkit: tcp-server: missing PORT"
}

t_service_names_as_ports() {
	[ -f /etc/services ] || return 0
	# "echo" is a service name (port 7): accepted, then refused at runtime.
	expect_exit 1 "$SK" tcp-client -w 2 127.0.0.1 echo </dev/null 2>err
	one_line err "sockkit: tcp-client: connect to 127.0.0.1:7"
}

t_runtime_errors_exit_1() {
	expect_exit 1 "$SK" tcp-client -w 2 no-such-host.invalid 80 \
	    </dev/null 2>err
	one_line err "sockkit: tcp-client: resolve 'no-such-host.invalid'"
	# A port in use: the second server cannot bind.
	start_server a tcp-server --echo 127.0.0.1 0
	expect_exit 1 "$SK" tcp-server --echo 127.0.0.1 "$PORT" 2>err
	one_line err "sockkit: tcp-server: bind 127.0.0.1:$PORT"
}

t_help_matches_man_page() {
	# Every option, short and long, a command's --help names is in its
	# part of the man page ("sockkit help CMD", rendered from the page).
	: >missing
	for c in $ALL_CMDS; do
		"$SK" "$c" --help >usage
		"$SK" help "$c" >page
		{ grep -oE '^ +-[a-zA-Z0-9]([, ]|$)' usage |
		    grep -oE -- '-[a-zA-Z0-9]'
		  grep -oE -- '--[a-z][a-z-]*' usage; } | sort -u >opts
		while read -r opt; do
			grep -qE -- "(^|[^a-zA-Z0-9-])$opt([^a-zA-Z0-9-]|\$)" page ||
			    echo "$c $opt" >>missing
		done <opts
	done
	[ ! -s missing ] || fail "not in the man page: $(cat missing)"
}

# make install puts the binary, the man page and both completions in place;
# the bash completion offers commands, each command's short and long
# options, and for fileserve and broadcast only the action's own.
t_install_and_completion() {
	# Not with the settings of a make running this suite (make sanitize
	# passes CC=clang B=build-san ...): they would rebuild ./sockkit.
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	    make -C "$TOP" -s install PREFIX=/usr DESTDIR="$PWD/root" >/dev/null ||
	    fail "make install"
	for f in usr/bin/sockkit usr/share/man/man1/sockkit.1 \
	    usr/share/bash-completion/completions/sockkit \
	    usr/share/zsh/site-functions/_sockkit; do
		[ -f "root/$f" ] || fail "not installed: $f"
	done
	command -v bash >/dev/null || skip "no bash"
	SKBIN=$SK bash -c '
		. "$1"
		COMP_WORDS=("$SKBIN" ht); COMP_CWORD=1; _sockkit
		echo "cmds: ${COMPREPLY[*]}"
		COMP_WORDS=("$SKBIN" http --he); COMP_CWORD=2; _sockkit
		echo "opts: ${COMPREPLY[*]}"
		COMP_WORDS=("$SKBIN" fileserve g); COMP_CWORD=2; _sockkit
		echo "actions: ${COMPREPLY[*]}"
		COMP_WORDS=("$SKBIN" help ip); COMP_CWORD=2; _sockkit
		echo "help: ${COMPREPLY[*]}"
		COMP_WORDS=("$SKBIN" tcp-client -); COMP_CWORD=2; _sockkit
		echo "short: ${COMPREPLY[*]}"
		COMP_WORDS=("$SKBIN" fileserve get -); COMP_CWORD=3; _sockkit
		echo "get: ${COMPREPLY[*]}"
		COMP_WORDS=("$SKBIN" fileserve serve -); COMP_CWORD=3; _sockkit
		echo "serve: ${COMPREPLY[*]}"
		COMP_WORDS=("$SKBIN" broadcast send -); COMP_CWORD=3; _sockkit
		echo "send: ${COMPREPLY[*]}"
		# Not on PATH, by a name with a tilde: the one installed.
		PATH=$(dirname "$SKBIN"):$PATH
		COMP_WORDS=("~/no/such/dir/sockkit" http --he); COMP_CWORD=2
		HOME=/nonexistent _sockkit; echo "tilde: ${COMPREPLY[*]}"
	' sh "$TOP/contrib/sockkit.bash" >comp
	grep -q '^cmds: http$' comp && grep -q '^opts: --head-timeout --help$' comp &&
	    grep -q '^actions: get$' comp && grep -q '^help: ipcalc$' comp ||
	    fail "completion: $(cat comp)"
	# Short options too; each action only its own options.
	for w in -w -z -U -4; do
		grep -Eq "^short:.* $w( |\$)" comp || fail "no $w: $(cat comp)"
	done
	grep -Eq '^get:.* -o( |$)' comp && ! grep -q '^get:.*--allow-upload' comp &&
	    grep -q '^serve:.*--allow-upload' comp &&
	    ! grep -Eq '^serve:.* -o( |$)' comp &&
	    ! grep -q '^send:.*--json' comp ||
	    fail "completion by action: $(cat comp)"
	grep -q '^tilde: --head-timeout --help$' comp ||
	    fail "completion off PATH: $(grep tilde comp)"
}

# broadcast's --help said a MESSAGE over 65,507 bytes exits 1; it is a
# usage error (2), as the man page says.  The help and the exit agree.
t_broadcast_long_message_is_usage_error() {
	msg=$(head -c 70000 /dev/zero | tr '\0' a)
	expect_exit 2 "$SK" broadcast send --to 127.0.0.1 --port 9 "$msg" \
	    2>err
	one_line err "sockkit: broadcast: a MESSAGE of 70000 bytes is over"
	"$SK" broadcast --help >help
	grep -q 'A MESSAGE over 65,507 bytes is a usage error' help ||
	    fail "$(tail -3 help)"
}
