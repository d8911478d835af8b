#!/usr/bin/env bash
# Starts Backend Dojo: the desktop window when there is a display, otherwise web mode on
# loopback with its URL printed.
set -euo pipefail
target=${CARGO_TARGET_DIR:?make sets CARGO_TARGET_DIR}
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "Starting the Backend Dojo window (no window? unset DISPLAY to use web mode)"
  exec "$target/debug/backend-dojo"
fi
echo "No display found: serving Backend Dojo in web mode instead. Ctrl-C stops it."
exec "$target/debug/dojo" serve --port "${DOJO_PORT:-0}"
