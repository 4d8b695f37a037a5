# bash completion for sockkit.  Commands, then each command's long options
# as its --help lists them (so they never drift from the binary).
_sockkit()
{
	local cur cmd opts
	cur=${COMP_WORDS[COMP_CWORD]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "tcp-server tcp-client udp-server \
		    udp-client broadcast fileserve http ipcalc help --help \
		    --version" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	case "$cur" in
	-*)
		opts=$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null |
		    grep -o -- '--[a-z][a-z-]*' | sort -u)
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		;;
	*)
		case "$cmd" in
		help)
			[ "$COMP_CWORD" -eq 2 ] &&
			    COMPREPLY=($(compgen -W "tcp-server tcp-client \
			    udp-server udp-client broadcast fileserve http \
			    ipcalc" -- "$cur"))
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
