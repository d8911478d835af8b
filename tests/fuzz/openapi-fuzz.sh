#!/usr/bin/env bash
# Fuzzes a fresh `dojo sandbox` from its own OpenAPI document with schemathesis: requests
# generated from every operation's schema, valid and invalid, signed in as a seeded learner.
# Passes when no answer is a 5xx and every answer matches what the document promises
# (status code, content type, body schema, headers), over at least MIN_CASES cases.
#
# Left out: the three routes of topics 15 and 20 whose whole point is a 500 or a 503
# (`/api/v1/errors/internal`, `/panic`, `/slow`).
set -euo pipefail

: "${DOJO_BIN:?DOJO_BIN names the built dojo binary}"
TOOLS_DIR=${TOOLS_DIR:-$HOME/.cache/backend-dojo/tools}
SCHEMATHESIS="$TOOLS_DIR/venv-fuzz/bin/schemathesis"
MIN_CASES=${MIN_CASES:-1000}
MAX_EXAMPLES=${MAX_EXAMPLES:-40}

work=$(mktemp -d)
"$DOJO_BIN" sandbox --port 0 --rate-limit 1000000 >"$work/sandbox.log" 2>&1 &
sandbox=$!
cleanup() {
  kill "$sandbox" 2>/dev/null && wait "$sandbox" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The sandbox prints its address once it listens.
base=""
for _ in $(seq 600); do
  base=$(sed -n 's#^Backend Dojo sandbox: \(http://[^/]*\)/$#\1#p' "$work/sandbox.log")
  [ -n "$base" ] && break
  kill -0 "$sandbox" 2>/dev/null || { cat "$work/sandbox.log"; exit 1; }
  sleep 0.05
done
[ -n "$base" ] || { echo "the sandbox did not start"; cat "$work/sandbox.log"; exit 1; }

token=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"ada@dojo.test","password":"correct-horse-battery"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

status=0
# schemathesis keeps its own state in the working directory: keep it in the scratch one.
cd "$work"
"$SCHEMATHESIS" run "$base/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --exclude-path-regex '^/api/v1/errors/(internal|panic|slow)$' \
  --header "Authorization: Bearer $token" \
  --max-examples "$MAX_EXAMPLES" --workers 2 --seed 20261124 --no-color \
  | tee "$work/report.txt" || status=$?

cases=$(sed -n 's/^ *\([0-9]\+\) generated.*/\1/p' "$work/report.txt" | tail -1)
echo "schemathesis generated ${cases:-0} cases (at least $MIN_CASES wanted)"
if [ "${cases:-0}" -lt "$MIN_CASES" ]; then
  echo "too few cases: raise MAX_EXAMPLES" >&2
  exit 1
fi
exit "$status"
