#!/bin/sh
# Install what the tests need from Debian's packages, if anything is missing:
# cmocka for the unit tests, the peers the integration tests talk to (nc,
# socat, curl, python3), valgrind and clang for the memory checks,
# iproute2 for network-namespace tests, groff to check 'sockkit help'
# against the man page, headless Chromium for the browser test, and
# libFuzzer's runtime for the fuzz smoke run.  Needs root (or sudo).
set -eu
need=""
[ -f /usr/include/cmocka.h ] || need="$need libcmocka-dev"
command -v nc >/dev/null 2>&1 && nc -h 2>&1 | grep -q -- '-N' ||
    need="$need netcat-openbsd"
command -v socat >/dev/null 2>&1 || need="$need socat"
command -v curl >/dev/null 2>&1 || need="$need curl"
command -v groff >/dev/null 2>&1 || need="$need groff-base"
command -v python3 >/dev/null 2>&1 || need="$need python3"
command -v valgrind >/dev/null 2>&1 || need="$need valgrind"
command -v clang >/dev/null 2>&1 || need="$need clang"
command -v ip >/dev/null 2>&1 || need="$need iproute2"
command -v timeout >/dev/null 2>&1 || need="$need coreutils"
[ -f /etc/services ] || need="$need netbase"
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v cppcheck >/dev/null 2>&1 || need="$need cppcheck"
command -v musl-gcc >/dev/null 2>&1 || need="$need musl-tools"
command -v file >/dev/null 2>&1 || need="$need file"
command -v clang-tidy >/dev/null 2>&1 || need="$need clang-tidy"
# libFuzzer's runtime, for make fuzz-smoke.
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a \
    >/dev/null 2>&1 || need="$need libclang-rt-14-dev"
command -v make >/dev/null 2>&1 && command -v cc >/dev/null 2>&1 ||
    need="$need build-essential"
if [ -z "$need" ]; then
	echo "deps: everything the tests need is installed"
	exit 0
fi
echo "deps: installing$need"
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $need >/dev/null
