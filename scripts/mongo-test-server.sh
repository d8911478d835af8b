#!/usr/bin/env bash
# The MongoDB-compatible server that the storage tests run against (nx-27017 from PyPI: the
# MongoDB wire protocol on top of SQLite; no real mongod can be installed on our machines).
#
#   scripts/mongo-test-server.sh install            create the venv once, reuse it after
#   scripts/mongo-test-server.sh path               print the server executable's path
#   scripts/mongo-test-server.sh serve PORT DIR     run one in-memory server on 127.0.0.1:PORT
#                                                   with its pid, log and output files in DIR,
#                                                   until standard input closes or Ctrl-C
#
# `serve` is what crates/storage/tests start for each test binary: the test process holds
# the pipe to our standard input, so when it exits, however it exits, the server goes too.
# The venv lives in $MONGO_TEST_VENV (default ~/.cache/backend-dojo/mongo-venv).
set -euo pipefail

NX_VERSION=0.8.1
VENV=${MONGO_TEST_VENV:-$HOME/.cache/backend-dojo/mongo-venv}
SERVER="$VENV/bin/nx-27017"
MARKER="$VENV/.nx-27017-$NX_VERSION"

say() {
  if [ -t 2 ]; then
    printf '\033[1m[mongo-test-server]\033[0m %s\n' "$*" >&2
  else
    printf '[mongo-test-server] %s\n' "$*" >&2
  fi
}

install() {
  if [ -x "$SERVER" ] && [ -f "$MARKER" ]; then
    return
  fi
  mkdir -p "$(dirname "$VENV")"
  # Two test binaries (or setup.sh and a test) may arrive at once: one installs, the other
  # waits for it and then finds the marker.
  exec 9>"$VENV.lock"
  flock 9
  if [ -x "$SERVER" ] && [ -f "$MARKER" ]; then
    return
  fi
  say "installing nx-27017 $NX_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "nx-27017==$NX_VERSION"
  touch "$MARKER"
}

serve() {
  local port=${1:?usage: serve PORT DIR} dir=${2:?usage: serve PORT DIR}
  install
  mkdir -p "$dir"
  "$SERVER" --db memory --host 127.0.0.1 -p "$port" \
    --pid-file "$dir/nx-27017.pid" --log-file "$dir/nx-27017.log" \
    </dev/null >"$dir/nx-27017.out" 2>&1 &
  SERVER_PID=$!
  trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true' EXIT
  trap 'exit 0' INT TERM
  # A background job reads /dev/null unless told otherwise, so hand it our stdin explicitly.
  exec 3<&0
  cat <&3 >/dev/null &
  local watcher=$!
  # Whichever ends first: the server (it failed, e.g. the port was taken) or our stdin.
  local status=0
  wait -n "$SERVER_PID" "$watcher" || status=$?
  kill "$watcher" 2>/dev/null || true
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    say "server on port $port stopped (status $status); its output:"
    cat "$dir/nx-27017.out" >&2 || true
    exit 1
  fi
}

case "${1:-}" in
  install) install ;;
  path) install && echo "$SERVER" ;;
  serve) shift && serve "$@" ;;
  *)
    echo "usage: $0 install | path | serve PORT DIR" >&2
    exit 2
    ;;
esac
