#!/usr/bin/env bash
# Soak: 60 s of mixed traffic against a fresh `dojo sandbox` on loopback. HTTP through wrk
# (log in, protected reads, writes, uploads; bench/soak/mixed.lua) while Socket.IO clients
# chat (bench/soak/socket-load.mjs). Reports the sandbox's RSS at start, middle and end,
# wrk's latency percentiles, and fails on any error other than an intended 429.
#
#   DOJO_BIN=target/debug/dojo bench/soak/soak.sh      (SOAK_SECONDS=60 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${DOJO_BIN:?DOJO_BIN names the built dojo binary (use a release build for numbers)}"
seconds=${SOAK_SECONDS:-60}
connections=${SOAK_CONNECTIONS:-32}

work=$(mktemp -d)
"$DOJO_BIN" sandbox --port 0 --rate-limit 1000000 >"$work/sandbox.log" 2>&1 &
sandbox=$!
trap 'kill "$sandbox" 2>/dev/null; wait "$sandbox" 2>/dev/null; rm -rf "$work"' EXIT

base=""
for _ in $(seq 600); do
  base=$(sed -n 's#^Backend Dojo sandbox: \(http://[^/]*\)/$#\1#p' "$work/sandbox.log")
  [ -n "$base" ] && break
  kill -0 "$sandbox" 2>/dev/null || { cat "$work/sandbox.log"; exit 1; }
  sleep 0.05
done
[ -n "$base" ] || { echo "the sandbox did not start" >&2; exit 1; }

rss() { awk '/^VmRSS/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$sandbox/status"; }

export DOJO_ACCESS_TOKEN
DOJO_ACCESS_TOKEN=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"ada@dojo.test","password":"correct-horse-battery"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

echo "soak: $seconds s against $base, $connections HTTP connections"
echo "soak: RSS at start: $(rss)"
( sleep $((seconds / 2)); echo "soak: RSS at the middle: $(rss)" ) &
middle=$!
socket_status=0
if [ -f "$here/socket-load.mjs" ]; then
  node "$here/socket-load.mjs" "$base" "$DOJO_ACCESS_TOKEN" "$seconds" >"$work/socket.txt" 2>&1 &
  sockets=$!
fi
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$here/mixed.lua" "$base" | tee "$work/wrk.txt"
wait "$middle"
if [ -n "${sockets:-}" ]; then
  wait "$sockets" || socket_status=$?
  cat "$work/socket.txt"
fi
echo "soak: RSS at the end: $(rss)"

errors=$(sed -n 's/^soak: ok=[0-9]* rate_limited=[0-9]* errors=\([0-9]*\) socket_errors=\([0-9]*\)$/\1 \2/p' "$work/wrk.txt")
read -r http_errors socket_errors <<<"${errors:-1 1}"
if [ "$http_errors" -ne 0 ] || [ "$socket_errors" -ne 0 ] || [ "$socket_status" -ne 0 ]; then
  echo "soak: FAILED ($http_errors HTTP errors, $socket_errors connection errors, Socket.IO exit $socket_status)" >&2
  exit 1
fi
echo "soak: passed"
