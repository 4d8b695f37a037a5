#!/bin/sh
# run.sh SOCKKIT [PATTERN] - run every t_* function of tests/integration/
# test_*.sh against the binary SOCKKIT (those matching PATTERN, if given),
# each in a subshell with its own scratch directory and a time bound.
# Prints one line per test and closes with "N passed, M failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
SK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
pattern=${2:-}
TOP=$(cd "$here/../.." && pwd)
export SK TOP
passed=0
failed=0
skipped=0
failures=""
scratch=$(mktemp -d /tmp/sockkit-it.XXXXXX)

for file in "$here"/test_*.sh; do
	tests=$(sed -n 's/^\(t_[a-z0-9_]*\)() *{.*/\1/p' "$file")
	for t in $tests; do
		case "$t" in *"$pattern"*) ;; *) continue ;; esac
		dir="$scratch/$t"
		mkdir -p "$dir"
		start=$(date +%s)
		# Each test: its own shell, directory and cleanup, bounded to
		# 120 s in all (the shell's own waits are bounded too).
		timeout -k 5 120 sh -c '
			. "$1/lib.sh"
			. "$2"
			cd "$3" || exit 1
			trap cleanup EXIT
			"$4"
		' sh "$here" "$file" "$dir" "$t" >"$dir/log" 2>&1
		rc=$?
		secs=$(( $(date +%s) - start ))
		if [ $rc -eq 0 ]; then
			passed=$((passed + 1))
			echo "ok   $t (${secs}s)"
		elif [ $rc -eq 77 ]; then
			skipped=$((skipped + 1))
			echo "skip $t: $(sed -n 's/^ *SKIP: //p' "$dir/log")"
		else
			failed=$((failed + 1))
			failures="$failures $t"
			echo "FAIL $t (exit $rc, ${secs}s)"
			sed 's/^/     | /' "$dir/log"
		fi
	done
done
# A test killed by its time bound did not run its cleanup: no mount of its
# may outlive it.
if [ -r /proc/mounts ]; then
	awk -v d="$scratch/" 'index($2, d) == 1 { print $2 }' /proc/mounts |
	    while read -r m; do umount -l "$m"; done
fi
rm -rf "$scratch"
[ -n "$failures" ] && echo "failed:$failures"
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
