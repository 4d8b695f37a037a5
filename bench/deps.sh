#!/bin/sh
# Install the peers the benchmarks measure against, from Debian's
# packages: nc, ncat, socat, iperf3, redis-server and redis-benchmark,
# nginx, lighttpd and wrk.
set -eu
need=""
command -v nc >/dev/null 2>&1 || need="$need netcat-openbsd"
command -v socat >/dev/null 2>&1 || need="$need socat"
command -v ncat >/dev/null 2>&1 || need="$need ncat"
command -v iperf3 >/dev/null 2>&1 || need="$need iperf3"
command -v redis-server >/dev/null 2>&1 || need="$need redis-server"
command -v redis-benchmark >/dev/null 2>&1 || need="$need redis-tools"
command -v python3 >/dev/null 2>&1 || need="$need python3"
command -v nginx >/dev/null 2>&1 || need="$need nginx-light"
command -v lighttpd >/dev/null 2>&1 || need="$need lighttpd"
command -v wrk >/dev/null 2>&1 || need="$need wrk"
[ -z "$need" ] && { echo "bench-deps: all installed"; exit 0; }
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $need >/dev/null
