#!/bin/sh
# http.sh - sockkit http against nginx (1 worker, sendfile on, access log
# off), lighttpd and python's http.server, serving the same files from
# tmpfs, alternating, ROUNDS times:
#   requests/s on a 1 KiB file with keep-alive (wrk, 1 thread, 50 conns)
#   a 1 GiB download (curl to /dev/null)
. "$(dirname "$0")/lib.sh"
need wrk nginx lighttpd curl python3
SECS=${SECS:-5}
BASE=/dev/shm
[ -d "$BASE" ] && [ -w "$BASE" ] || BASE=$SCRATCH
WORK=$(mktemp -d "$BASE/sockkit-httpbench.XXXXXX")
trap 'rm -rf "$WORK"; cleanup' EXIT INT TERM
# nginx's worker runs as nobody: it must read these.
chmod 755 "$WORK" "$SCRATCH"
head -c 1024 /dev/urandom >"$WORK/1k.bin"
head -c 1073741824 /dev/urandom >"$WORK/1g.bin"
chmod 644 "$WORK"/*.bin

# ready PORT: until a file is served there, bounded to 10 s.
ready() {
	i=0
	while [ $i -lt 100 ]; do
		curl -s -o /dev/null "http://127.0.0.1:$1/1k.bin" && return 0
		sleep 0.1; i=$((i + 1))
	done
	die "nothing serves on port $1"
}

sk_server http http -q -d "$WORK" 127.0.0.1 0
SKP=$SPORT

NGP=$(freeport)
cat >"$SCRATCH/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $SCRATCH/nginx.pid;
error_log $SCRATCH/nginx.err;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	keepalive_requests 100000000;
	client_body_temp_path $SCRATCH/nginx-body;
	proxy_temp_path $SCRATCH/nginx-proxy;
	fastcgi_temp_path $SCRATCH/nginx-fcgi;
	uwsgi_temp_path $SCRATCH/nginx-uwsgi;
	scgi_temp_path $SCRATCH/nginx-scgi;
	types { application/octet-stream bin; }
	server { listen 127.0.0.1:$NGP; root $WORK; }
}
EOF
nginx -c "$SCRATCH/nginx.conf" -e "$SCRATCH/nginx.err" &
PIDS="$PIDS $!"
ready "$NGP"

LTP=$(freeport)
cat >"$SCRATCH/lighttpd.conf" <<EOF
server.document-root = "$WORK"
server.bind = "127.0.0.1"
server.port = $LTP
server.max-keep-alive-requests = 100000000
server.errorlog = "$SCRATCH/lighttpd.err"
mimetype.assign = ( ".bin" => "application/octet-stream" )
EOF
lighttpd -D -f "$SCRATCH/lighttpd.conf" &
PIDS="$PIDS $!"
ready "$LTP"

PYP=$(freeport)
python3 -m http.server --bind 127.0.0.1 --directory "$WORK" "$PYP" \
    >/dev/null 2>&1 &
PIDS="$PIDS $!"
ready "$PYP"

rps() {
	wrk -t1 -c50 -d"${SECS}s" "http://127.0.0.1:$1/1k.bin" |
	    awk '/^Requests\/sec:/ { printf "%.0f", $2 }'
}

big() {
	curl -s -o /dev/null -w '%{speed_download}' \
	    "http://127.0.0.1:$1/1g.bin" | awk '{ printf "%.0f", $1 / 1e6 }'
}

sr="" nr="" lr="" sb="" nb="" lb=""
r=1
while [ $r -le "$ROUNDS" ]; do
	sr="$sr $(rps "$SKP")"
	nr="$nr $(rps "$NGP")"
	lr="$lr $(rps "$LTP")"
	sb="$sb $(big "$SKP")"
	nb="$nb $(big "$NGP")"
	lb="$lb $(big "$LTP")"
	echo "round $r: req/s sockkit$sr | nginx$nr | lighttpd$lr;" \
	    "1 GiB MB/s sockkit$sb | nginx$nb | lighttpd$lb" >&2
	r=$((r + 1))
done
pr=$(rps "$PYP")
# shellcheck disable=SC2086
msr=$(median $sr); mnr=$(median $nr); mlr=$(median $lr)
# shellcheck disable=SC2086
msb=$(median $sb); mnb=$(median $nb); mlb=$(median $lb)
echo "http, 1 KiB file, keep-alive, wrk -t1 -c50 -d${SECS}s, median of $ROUNDS (requests/s):"
echo "  sockkit $msr   nginx $mnr   lighttpd $mlr   python http.server $pr (once)"
echo "  sockkit / nginx = $(ratio "$msr" "$mnr")   lighttpd / nginx = $(ratio "$mlr" "$mnr")   sockkit / lighttpd = $(ratio "$msr" "$mlr")   python / nginx = $(ratio "$pr" "$mnr")"
echo "http, 1 GiB download with curl, median of $ROUNDS (MB/s):"
echo "  sockkit $msb   nginx $mnb   lighttpd $mlb"
echo "  sockkit / nginx = $(ratio "$msb" "$mnb")   lighttpd / nginx = $(ratio "$mlb" "$mnb")"
