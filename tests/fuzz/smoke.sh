#!/bin/sh
# tests/fuzz/smoke.sh SECS HARNESS...: run each libFuzzer harness for SECS
# seconds on a scratch copy of its seed corpus (tests/fuzz/corpus/<name>).
# Closing line: "fuzz-smoke: N passed, M failed".
set -u
secs=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d /tmp/sockkit-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT INT TERM
passed=0
failed=0
for h in "$@"; do
	name=$(basename "$h")
	name=${name#fuzz_}
	mkdir -p "$scratch/$name"
	[ -d "$here/corpus/$name" ] && cp "$here/corpus/$name"/* "$scratch/$name/"
	if timeout $((secs + 60)) "$h" -max_total_time="$secs" -max_len=4096 \
	    -artifact_prefix="$scratch/" "$scratch/$name" >"$scratch/$name.log" 2>&1; then
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$scratch/$name.log")
		cov=$(grep -o 'cov: [0-9]*' "$scratch/$name.log" | tail -n 1)
		echo "ok   $name: $runs runs, $cov"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		tail -n 30 "$scratch/$name.log" | sed 's/^/     | /'
		failed=$((failed + 1))
	fi
done
echo "fuzz-smoke: $passed passed, $failed failed"
[ $failed -eq 0 ]
