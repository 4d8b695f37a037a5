#!/bin/sh
# run.sh SOCKKIT [PATTERN] - run every t_* function of tests/integration/
# test_*.sh against the binary SOCKKIT (those matching PATTERN, if given),
# each in a subshell with its own scratch directory and a time bound.
# Prints one line per test and closes with "N passed, M failed".
#
# JOBS tests run at a time (default: the number of CPUs, at most 4; JOBS=1
# runs them one after another, in file order).  Tests share nothing: each
# has its own directory, servers on port 0, namespaces named by its PID.
set -u
here=$(cd "$(dirname "$0")" && pwd)
SK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
pattern=${2:-}
TOP=$(cd "$here/../.." && pwd)
export SK TOP
scratch=$(mktemp -d /tmp/sockkit-it.XXXXXX)
cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
[ "$cpus" -le 4 ] || cpus=4
jobs=${JOBS:-$cpus}

# The queue: one line "FILE TEST" per test, numbered from 0.
for file in "$here"/test_*.sh; do
	for t in $(sed -n 's/^\(t_[a-z0-9_]*\)() *{.*/\1/p' "$file"); do
		case "$t" in *"$pattern"*) echo "$file $t" ;; esac
	done
done >"$scratch/queue"
ntests=$(wc -l <"$scratch/queue")

# run_one FILE TEST: run it, print its line (and its log if it failed),
# and record the outcome in $scratch/outcomes.
run_one() {
	dir="$scratch/$2"
	mkdir -p "$dir"
	start=$(date +%s)
	# Each test: its own shell, directory and cleanup, bounded to 120 s
	# in all (the shell's own waits are bounded too).
	timeout -k 5 120 sh -c '
		. "$1/lib.sh"
		. "$2"
		cd "$3" || exit 1
		trap cleanup EXIT
		"$4"
	' sh "$here" "$1" "$dir" "$2" >"$dir/log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	# One write per report, so reports of parallel tests never mix.
	if [ $rc -eq 0 ]; then
		out="ok   $2 (${secs}s)"
		what=passed
	elif [ $rc -eq 77 ]; then
		out="skip $2: $(sed -n 's/^ *SKIP: //p' "$dir/log")"
		what=skipped
	else
		out=$(printf 'FAIL %s (exit %d, %ds)\n' "$2" $rc $secs;
		    sed 's/^/     | /' "$dir/log")
		what="failed $2"
	fi
	printf '%s\n' "$out"
	echo "$what" >>"$scratch/outcomes"
}

# A worker takes the next test nobody has claimed (mkdir is atomic).
worker() {
	i=0
	while [ $i -lt "$ntests" ]; do
		if mkdir "$scratch/claim.$i" 2>/dev/null; then
			# shellcheck disable=SC2046
			run_one $(sed -n "$((i + 1))p" "$scratch/queue")
		fi
		i=$((i + 1))
	done
}

: >"$scratch/outcomes"
w=0
pids=""
while [ $w -lt "$jobs" ]; do
	worker &
	pids="$pids $!"
	w=$((w + 1))
done
for p in $pids; do
	wait "$p"
done

# A test killed by its time bound did not run its cleanup: no mount of its
# may outlive it.
if [ -r /proc/mounts ]; then
	awk -v d="$scratch/" 'index($2, d) == 1 { print $2 }' /proc/mounts |
	    while read -r m; do umount -l "$m"; done
fi
passed=$(grep -c '^passed' "$scratch/outcomes")
skipped=$(grep -c '^skipped' "$scratch/outcomes")
failed=$(grep -c '^failed' "$scratch/outcomes")
failures=$(sed -n 's/^failed / /p' "$scratch/outcomes" | tr -d '\n')
rm -rf "$scratch"
[ -n "$failures" ] && echo "failed:$failures"
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
