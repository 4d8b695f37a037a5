#!/bin/sh
# A LAN broadcast chat: everyone listens on one port, and whatever anyone
# sends to the subnet's broadcast address reaches all of them.
#
#   sh examples/lan-chat.sh [BROADCAST_ADDRESS] [PORT]
#
# Type lines to send them; what others say is printed as "ip:port text".
# With no address it runs on this host alone (127.255.255.255 reaches the
# listeners on loopback), so it can be tried anywhere.  Ctrl-D leaves.
set -eu
SK=${SK:-./sockkit}
to=${1:-127.255.255.255}
port=${2:-9999}
$SK broadcast listen "$port" &
listener=$!
trap 'kill $listener 2>/dev/null || true' EXIT
# Each line typed is one datagram to everyone (ourselves included).
while IFS= read -r line; do
	$SK broadcast send --to "$to" --port "$port" "$(whoami): $line"
done
