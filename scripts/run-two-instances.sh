#!/bin/sh
# Runs idconnect as in production, on this machine: one redis-server, one
# `idconnect emulate myinfo` standing in for Myinfo, and two `idconnect
# serve` instances sharing Redis and keys, all on 127.0.0.1. A login started
# on one instance can finish on the other. Ctrl-C (or any exit) stops
# everything.
#
#   scripts/run-two-instances.sh
#
# Environment (all optional):
#   IDCONNECT_BIN   the idconnect binary (default: built with `go build` into
#                   a temporary directory)
#   REDIS_PORT      redis-server's port (default 6390)
#   EMULATOR_PORT   the Myinfo emulator's port (default 5156)
#   PORT1, PORT2    the two instances' ports (default 3001 and 3002)
#   PUBLIC_URL      the origin the browser and the emulator's redirect use
#                   (default http://127.0.0.1:$PORT1, instance 1; put your
#                   own load balancer there to spread the callbacks)
set -eu

REDIS_PORT=${REDIS_PORT:-6390}
EMULATOR_PORT=${EMULATOR_PORT:-5156}
PORT1=${PORT1:-3001}
PORT2=${PORT2:-3002}
PUBLIC_URL=${PUBLIC_URL:-http://127.0.0.1:$PORT1}

work=$(mktemp -d "${TMPDIR:-/tmp}/idconnect-two.XXXXXX")
pids=""

stop() {
	trap - EXIT INT TERM HUP
	for pid in $pids; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in $pids; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

command -v redis-server >/dev/null 2>&1 || {
	echo "redis-server is not on PATH (Debian: apt-get install redis-server)" >&2
	exit 1
}
if [ -z "${IDCONNECT_BIN:-}" ]; then
	here=$(cd "$(dirname "$0")/.." && pwd)
	IDCONNECT_BIN=$work/idconnect
	echo "building idconnect..."
	(cd "$here" && go build -o "$IDCONNECT_BIN" ./cmd/idconnect)
fi

# The keys every instance must share: binding cookies and sealing.
key() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
cookie_key=$(key)
result_key=$(key)
client_secret=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')

# wait_ready PID TEXT LOG: wait (up to 20 s) until LOG says TEXT, failing
# if PID exits first.
wait_ready() {
	i=0
	while [ $i -lt 200 ]; do
		if grep -q "$2" "$3" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$1" 2>/dev/null; then
			break
		fi
		i=$((i + 1))
		sleep 0.1
	done
	echo "not ready (no \"$2\" within 20 s, or it exited); its log, $3:" >&2
	cat "$3" >&2
	exit 1
}

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
	--dir "$work" --daemonize no --logfile "$work/redis.log" &
pids="$pids $!"
wait_ready $! "Ready to accept connections" "$work/redis.log"

"$IDCONNECT_BIN" emulate myinfo -addr "127.0.0.1:$EMULATOR_PORT" \
	-client-key-out "$work/client-key.pem" -cert-out "$work/myinfo-cert.pem" \
	-client-secret "$client_secret" -redirect-uri "$PUBLIC_URL/callback" \
	2>"$work/emulator.log" &
pids="$pids $!"
wait_ready $! "Myinfo v3 emulator" "$work/emulator.log"

for n in 1 2; do
	eval port=\$PORT$n
	IDCONNECT_ADDR=127.0.0.1:$port \
	IDCONNECT_REDIRECT_URL=$PUBLIC_URL/callback \
	IDCONNECT_MYINFO_BASE_URL=http://127.0.0.1:$EMULATOR_PORT/com/v3 \
	IDCONNECT_MYINFO_CLIENT_ID=STG2-MYINFO-SELF-TEST \
	IDCONNECT_MYINFO_CLIENT_SECRET=$client_secret \
	IDCONNECT_MYINFO_CLIENT_KEY=$work/client-key.pem \
	IDCONNECT_MYINFO_CERT=$work/myinfo-cert.pem \
	IDCONNECT_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0 \
	IDCONNECT_COOKIE_KEY=$cookie_key \
	IDCONNECT_RESULT_KEY=$result_key \
	IDCONNECT_SHUTDOWN_TIMEOUT=${IDCONNECT_SHUTDOWN_TIMEOUT:-5s} \
	"$IDCONNECT_BIN" serve 2>"$work/instance$n.log" &
	pids="$pids $!"
	eval pid$n=\$!
done
wait_ready "$pid1" "idconnect listening" "$work/instance1.log"
wait_ready "$pid2" "idconnect listening" "$work/instance2.log"

cat <<INFO
redis-server:    redis://127.0.0.1:$REDIS_PORT/0
Myinfo emulator: http://127.0.0.1:$EMULATOR_PORT/com/v3 (not Singpass; invented personas)
instance 1:      http://127.0.0.1:$PORT1  (log: $work/instance1.log)
instance 2:      http://127.0.0.1:$PORT2  (log: $work/instance2.log)
public URL:      $PUBLIC_URL  (the registered redirect is $PUBLIC_URL/callback)
Start a login:   $PUBLIC_URL/users/me/external/myinfo-redirect-login
Ctrl-C stops everything.
INFO

# Wait until a process ends or we are told to stop; the trap stops the rest.
while :; do
	for pid in $pids; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "a process ($pid) exited; stopping" >&2
			exit 1
		fi
	done
	sleep 1
done
