#!/bin/sh
# Run the cmocka unit test binaries given as arguments, each bounded in time.
# With VALGRIND=1, run each under valgrind memcheck and fail on any leak or
# memory error.  Exits non-zero if any binary fails.
set -u
failed=0
for t in "$@"; do
	if [ "${VALGRIND:-0}" = 1 ]; then
		# Children forked by the tests are traced too; a leak anywhere
		# or an invalid access fails the run (exit 99).
		SK_UNDER_VALGRIND=1 timeout 600 valgrind -q --error-exitcode=99 --leak-check=full \
		    --show-leak-kinds=definite,indirect,possible \
		    --errors-for-leak-kinds=definite,indirect,possible \
		    --child-silent-after-fork=yes "$t" 2>&1
	else
		timeout 300 "$t" 2>&1
	fi
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "unit: $t failed (exit $rc)"
		failed=$((failed + 1))
	fi
done
[ $failed -eq 0 ]
