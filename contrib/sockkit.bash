# bash completion for sockkit: commands, actions, and each command's short
# and long options as its --help lists them (so they never drift from the
# binary).  For fileserve and broadcast, an option whose description starts
# with "ACTION:" (or "A, B:"; "client:" means every action but serve) is
# offered only after that action.
_sockkit_bin()
{
	local b=${COMP_WORDS[0]}
	# "~/bin/sockkit" arrives unexpanded; a name not on PATH may still
	# be the one installed.
	b=${b/#\~/$HOME}
	if [[ $b == */* ]] && [ -x "$b" ]; then
		printf '%s\n' "$b"
	elif command -v "$b" >/dev/null 2>&1; then
		printf '%s\n' "$b"
	else
		printf 'sockkit\n'
	fi
}

# _sockkit_opts CMD [ACTION]: the options of CMD (for ACTION).
_sockkit_opts()
{
	"$(_sockkit_bin)" "$1" --help 2>/dev/null | awk -v act="$2" '
	/^  +-/ {
		line = $0
		sub(/^ +/, "", line)
		# The option column ends at the first run of two spaces.
		col = line
		desc = ""
		if ((i = index(line, "  ")) > 0) {
			col = substr(line, 1, i - 1)
			desc = substr(line, i)
			sub(/^ +/, "", desc)
		}
		keep = 1
		if (act != "" && match(desc, /^[a-z]+(, [a-z]+)*( and [a-z]+)?:/)) {
			labels = substr(desc, 1, RLENGTH - 1)
			gsub(/ and /, ", ", labels)
			n = split(labels, l, /, /)
			keep = 0
			for (j = 1; j <= n; j++)
				if (l[j] == act || ((l[j] == "client" ||
				    l[j] == "clients") && act != "serve"))
					keep = 1
			# "serve: ...; clients: ..." later in the line too.
			if (act != "serve" && desc ~ /; clients?:/)
				keep = 1
		}
		if (!keep)
			next
		n = split(col, w, /[ ,\/]+/)
		for (j = 1; j <= n; j++)
			if (w[j] ~ /^-/) {
				sub(/[[=].*/, "", w[j])
				print w[j]
			}
	}' | sort -u
}

_sockkit()
{
	local cur cmd act opts
	local cmds="tcp-server tcp-client udp-server udp-client broadcast \
	    fileserve http ipcalc"
	cur=${COMP_WORDS[COMP_CWORD]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$cmds help --help --version" -- \
		    "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	act=""
	case "$cmd" in
	fileserve|broadcast)
		[ "$COMP_CWORD" -gt 2 ] && act=${COMP_WORDS[2]}
		;;
	esac
	case "$cur" in
	-*)
		opts=$(_sockkit_opts "$cmd" "$act")
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		;;
	*)
		case "$cmd" in
		help)
			[ "$COMP_CWORD" -eq 2 ] &&
			    COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
			;;
		fileserve)
			[ "$COMP_CWORD" -eq 2 ] &&
			    COMPREPLY=($(compgen -W "serve get put ls" -- "$cur"))
			;;
		broadcast)
			[ "$COMP_CWORD" -eq 2 ] &&
			    COMPREPLY=($(compgen -W "send listen announce \
			    discover" -- "$cur"))
			;;
		esac
		;;
	esac
}
complete -o default -F _sockkit sockkit
