#!/usr/bin/env bash
# Backend Dojo performance benchmark: the sandbox's JWT-protected route against the same
# route on Express and against a bare hyper hello world, plus the sandbox's start time and
# idle memory. See bench/README.md for what is measured and what the targets are.
#
#   bash bench/run.sh
#
# Environment:
#   DURATION     wrk duration per server (default 10s)
#   WARMUP       wrk warm-up before each measurement, not counted (default 2s; 0 skips)
#   START_RUNS   sandbox starts timed for the start-time median (default 7)
#   DOJO         an already built `dojo` binary to use instead of building one
#   STRICT=1     exit 1 when a target is missed or the sandbox could not be measured
#   KEEP_LOGS=1  keep the work dir with the servers' logs and wrk output
#
# Every server binds 127.0.0.1 and all traffic stays on loopback. Everything this script
# starts is stopped when it exits, however it exits.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/backend-dojo/target}
HYPER_TARGET_DIR=$CARGO_TARGET_DIR/bench-hyper

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
START_RUNS=${START_RUNS:-7}
THREADS=2
CONNECTIONS=64
EMAIL=ada@dojo.test
PASSWORD=correct-horse-battery

say() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33m[bench]\033[0m %s\n' "$*" >&2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dojo-bench.XXXXXX")
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    # Give each a moment to stop on its own, then make sure.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
  if [ "${KEEP_LOGS:-0}" = 1 ]; then
    say "logs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

forget_pid() {
  local kept=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  PIDS=("${kept[@]+"${kept[@]}"}")
}

# stop_server PID: stop one server started by start_server and forget it.
stop_server() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

# in_background COMMAND...: runs COMMAND as a child and waits for it, so that Ctrl+C or a
# TERM reaches the trap at once (bash holds traps until a foreground command ends) and the
# trap can stop it.
in_background() {
  "$@" &
  local pid=$! rc=0
  PIDS+=("$pid")
  wait "$pid" || rc=$?
  forget_pid "$pid"
  return "$rc"
}

# start_server NAME URL COMMAND...: runs COMMAND in the background (its output goes to
# $WORK/NAME.log), then polls URL until it answers 200. Sets SERVER_PID. Returns 1 if the
# server exits or does not answer within 30 s.
start_server() {
  local name=$1 url=$2
  shift 2
  "$@" >"$WORK/$name.log" 2>&1 </dev/null &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  local deadline=$((SECONDS + 30))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" 2>/dev/null)" = 200 ]; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      warn "$name exited before answering; its log:"
      tail -n 20 "$WORK/$name.log" >&2 || true
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      warn "$name did not answer $url within 30 s; its log:"
      tail -n 20 "$WORK/$name.log" >&2 || true
      return 1
    fi
    sleep 0.02
  done
}

rss_mb() {
  awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# login BASE_URL: prints the access token from POST /api/v1/auth/login.
login() {
  curl -s --fail-with-body --max-time 10 -X POST "$1/api/v1/auth/login" \
    -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# expect_200 URL [CURL ARGS...]: one request that must answer 200, so wrk measures the
# real route and not an error page.
expect_200() {
  local url=$1 code
  shift
  code=$(curl -s -o "$WORK/probe.body" -w '%{http_code}' --max-time 5 "$@" "$url" || true)
  if [ "$code" != 200 ]; then
    warn "GET $url answered $code, not 200: $(head -c 300 "$WORK/probe.body" 2>/dev/null)"
    return 1
  fi
}

# bench NAME URL [WRK ARGS...]: warm up, then one measured wrk run. Sets RPS, LAT_AVG,
# LAT_P99 and BAD (non-2xx/3xx responses plus socket errors).
bench() {
  local name=$1 url=$2
  shift 2
  if [ "$WARMUP" != 0 ]; then
    in_background wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$@" "$url" >/dev/null
  fi
  say "$name: wrk -t$THREADS -c$CONNECTIONS -d$DURATION $url"
  in_background wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" >"$WORK/$name.wrk"
  RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/$name.wrk")
  LAT_AVG=$(awk '$1 == "Latency" { print $2; exit }' "$WORK/$name.wrk")
  LAT_P99=$(awk '$1 == "99%" { print $2; exit }' "$WORK/$name.wrk")
  BAD=$(awk '/Non-2xx or 3xx responses:/ { n += $NF }
             /Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 }
             END { print n + 0 }' "$WORK/$name.wrk")
  if [ "$BAD" != 0 ]; then
    warn "$name: $BAD bad responses or socket errors during the run; its wrk output:"
    cat "$WORK/$name.wrk" >&2
  fi
}

# --- tools -------------------------------------------------------------------------------

if ! command -v wrk >/dev/null 2>&1; then
  say "installing wrk"
  as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
for tool in curl python3 cargo; do
  command -v "$tool" >/dev/null 2>&1 || { warn "$tool is required"; exit 1; }
done

# --- builds ------------------------------------------------------------------------------

SANDBOX_SKIP=""
if [ -n "${DOJO:-}" ]; then
  say "using dojo binary $DOJO"
else
  say "building dojo (release)"
  if (cd "$ROOT" && cargo build --release --quiet -p dojo-cli); then
    DOJO=$CARGO_TARGET_DIR/release/dojo
  else
    SANDBOX_SKIP="the release build of dojo-cli failed"
  fi
fi
if [ -z "$SANDBOX_SKIP" ] && ! "$DOJO" sandbox --help >"$WORK/sandbox-help.txt" 2>&1; then
  SANDBOX_SKIP="\`dojo sandbox\` is not available in this build ($DOJO)"
fi
SANDBOX_FLAGS=(--rate-limit 100000000)
if [ -z "$SANDBOX_SKIP" ] && ! grep -q -- '--rate-limit' "$WORK/sandbox-help.txt"; then
  warn "\`dojo sandbox\` has no --rate-limit flag; running with its default limit (throttled runs are flagged)"
  SANDBOX_FLAGS=()
fi

say "building hyper-hello (release)"
CARGO_TARGET_DIR=$HYPER_TARGET_DIR cargo build --release --quiet --locked \
  --manifest-path "$BENCH_DIR/hyper-hello/Cargo.toml"
HYPER=$HYPER_TARGET_DIR/release/hyper-hello

EXPRESS_SKIP=""
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  EXPRESS_SKIP="node and npm are not installed"
elif [ ! -f "$BENCH_DIR/express/node_modules/.package-lock.json" ] \
  || [ "$BENCH_DIR/express/package-lock.json" -nt "$BENCH_DIR/express/node_modules/.package-lock.json" ]; then
  say "npm ci in bench/express"
  (cd "$BENCH_DIR/express" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Two cores serve both wrk and the server under test, so anything else busy skews the
# numbers. Say so rather than refuse: the ratios still compare servers measured alike.
LOAD1=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$LOAD1" 'BEGIN { exit !(l > 0.7) }'; then
  warn "load average is $LOAD1 before the run: other work on this machine will lower every number"
fi

# --- sandbox: start time and idle memory -------------------------------------------------

# The sandbox keeps its data (secrets, databases) in the user's data dir; point that at the
# work dir so the benchmark neither reads nor changes the learner's own.
export XDG_DATA_HOME=$WORK/data XDG_CONFIG_HOME=$WORK/config XDG_CACHE_HOME=$WORK/cache
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"

SB_START="" SB_START_RANGE="" SB_RSS="" SB_RPS="" SB_LAT="" SB_BAD=0 SB_RSS_LOAD=""
if [ -z "$SANDBOX_SKIP" ]; then
  say "sandbox start time: $START_RUNS starts, spawn until GET /healthz answers 200"
  if in_background python3 "$BENCH_DIR/startup.py" --runs "$START_RUNS" --health /healthz \
    --log "$WORK/sandbox-startup.log" -- \
    "$DOJO" sandbox --port '{port}' "${SANDBOX_FLAGS[@]}" >"$WORK/startup.out"; then
    field() { tr ' ' '\n' <"$WORK/startup.out" | sed -n "s/^$1=//p"; }
    SB_START=$(field start_ms_median)
    SB_START_RANGE="$(field start_ms_min)-$(field start_ms_max)"
    SB_RSS=$(awk -v kb="$(field rss_kb_median)" 'BEGIN { printf "%.1f", kb / 1024 }')
  else
    warn "sandbox did not start; its log:"
    tail -n 20 "$WORK/sandbox-startup.log" >&2 || true
    SANDBOX_SKIP="\`dojo sandbox\` did not answer GET /healthz"
  fi
fi

# --- throughput --------------------------------------------------------------------------

if [ -z "$SANDBOX_SKIP" ]; then
  port=$(free_port)
  base=http://127.0.0.1:$port
  if start_server sandbox "$base/healthz" "$DOJO" sandbox --port "$port" "${SANDBOX_FLAGS[@]}" \
    && TOKEN=$(login "$base") && expect_200 "$base/api/v1/me" -H "Authorization: Bearer $TOKEN"; then
    SB_RSS_LOGIN=$(rss_mb "$SERVER_PID")
    bench sandbox "$base/api/v1/me" -H "Authorization: Bearer $TOKEN"
    SB_RPS=$RPS SB_LAT="$LAT_AVG / $LAT_P99" SB_BAD=$BAD
    SB_RSS_LOAD=$(rss_mb "$SERVER_PID")
    say "sandbox RSS: $SB_RSS_LOGIN MB after login, $SB_RSS_LOAD MB after the load"
  else
    SANDBOX_SKIP="the sandbox's login or GET /api/v1/me did not work"
  fi
  stop_server "$SERVER_PID"
fi
[ -n "$SANDBOX_SKIP" ] && warn "sandbox skipped: $SANDBOX_SKIP"

EX_RPS="" EX_LAT="" EX_BAD=0
if [ -z "$EXPRESS_SKIP" ]; then
  port=$(free_port)
  base=http://127.0.0.1:$port
  if start_server express "$base/healthz" \
    env PORT="$port" ACCESS_LOG="$WORK/express-access.log" node "$BENCH_DIR/express/server.js" \
    && TOKEN=$(login "$base") && expect_200 "$base/api/v1/me" -H "Authorization: Bearer $TOKEN"; then
    bench express "$base/api/v1/me" -H "Authorization: Bearer $TOKEN"
    EX_RPS=$RPS EX_LAT="$LAT_AVG / $LAT_P99" EX_BAD=$BAD
  else
    EXPRESS_SKIP="the Express server's login or GET /api/v1/me did not work"
  fi
  stop_server "$SERVER_PID"
fi
[ -n "$EXPRESS_SKIP" ] && warn "express skipped: $EXPRESS_SKIP"

HY_RPS="" HY_LAT="" HY_BAD=0
port=$(free_port)
if start_server hyper "http://127.0.0.1:$port/" "$HYPER" "$port"; then
  bench hyper "http://127.0.0.1:$port/"
  HY_RPS=$RPS HY_LAT="$LAT_AVG / $LAT_P99" HY_BAD=$BAD
fi
stop_server "$SERVER_PID"

# --- report ------------------------------------------------------------------------------

# ratio A B: A/B with two decimals, empty when either is missing.
ratio() {
  [ -n "$1" ] && [ -n "$2" ] && [ "$2" != 0 ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
  return 0
}
# verdict VALUE OP LIMIT: "met" / "MISSED" / "not measured".
verdict() {
  if [ -z "$1" ]; then echo "not measured"; return; fi
  if awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { exit !((op == ">=") ? v >= l : v < l) }'; then
    echo "met"
  else
    echo "MISSED"
  fi
}
or_dash() { if [ -n "$1" ]; then echo "$1"; else echo "-"; fi; }

R_EXPRESS=$(ratio "$SB_RPS" "$EX_RPS")
R_HYPER=$(ratio "$SB_RPS" "$HY_RPS")
V_EXPRESS=$(verdict "$R_EXPRESS" ">=" 10)
V_HYPER=$(verdict "$R_HYPER" ">=" 0.5)
V_START=$(verdict "$SB_START" "<" 100)
V_RSS=$(verdict "$SB_RSS" "<" 25)
# A run with throttled or failed responses does not count.
if [ "$SB_BAD" != 0 ] || [ "$EX_BAD" != 0 ]; then V_EXPRESS="INVALID (bad responses)"; fi
if [ "$SB_BAD" != 0 ] || [ "$HY_BAD" != 0 ]; then V_HYPER="INVALID (bad responses)"; fi

echo
echo "Backend Dojo benchmark: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
if [ "$WARMUP" = 0 ]; then warmup_note="no warm-up"; else warmup_note="after a $WARMUP warm-up"; fi
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION ($warmup_note), loopback; load average before: $LOAD1"
echo
printf '%-34s %14s %22s\n' "server (route)" "requests/s" "latency avg / p99"
printf '%-34s %14s %22s\n' "sandbox (GET /api/v1/me, JWT)" "$(or_dash "$SB_RPS")" "$(or_dash "$SB_LAT")"
printf '%-34s %14s %22s\n' "express (GET /api/v1/me, JWT)" "$(or_dash "$EX_RPS")" "$(or_dash "$EX_LAT")"
printf '%-34s %14s %22s\n' "hyper hello (GET /)" "$(or_dash "$HY_RPS")" "$(or_dash "$HY_LAT")"
echo
printf '%-34s %14s %22s\n' "measure" "value" "target"
printf '%-34s %14s %22s  %s\n' "sandbox / express" "$(or_dash "$R_EXPRESS")x" ">= 10x" "$V_EXPRESS"
printf '%-34s %14s %22s  %s\n' "sandbox / hyper hello" "$(or_dash "$R_HYPER")x" ">= 0.5x" "$V_HYPER"
printf '%-34s %14s %22s  %s\n' "sandbox start, median ms" "$(or_dash "$SB_START")" "< 100 ms" "$V_START"
printf '%-34s %14s %22s  %s\n' "sandbox idle RSS, MB" "$(or_dash "$SB_RSS")" "< 25 MB" "$V_RSS"
[ -n "$SB_START_RANGE" ] && echo "  start over $START_RUNS runs: $SB_START_RANGE ms; RSS after the load: $SB_RSS_LOAD MB"
[ -n "$SANDBOX_SKIP" ] && echo "  sandbox not measured: $SANDBOX_SKIP"
[ -n "$EXPRESS_SKIP" ] && echo "  express not measured: $EXPRESS_SKIP"
echo

if [ "${STRICT:-0}" = 1 ]; then
  for v in "$V_EXPRESS" "$V_HYPER" "$V_START" "$V_RSS"; do
    [ "$v" = met ] || { warn "STRICT=1: a target was missed or not measured"; exit 1; }
  done
fi
exit 0
