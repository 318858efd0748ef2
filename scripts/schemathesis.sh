#!/usr/bin/env bash
# Fuzzes the running fleet against its own OpenAPI document with schemathesis: starts
# `npm start` on a free port, runs `schemathesis run .../openapi.json` (no server errors,
# responses conform to the document: status codes, content types, headers, schemas; requests
# the document forbids are refused), and always stops the fleet. Exits non-zero on any
# failure. Schemathesis lives in a project-local virtualenv (.venv/, gitignored).
#
# SCHEMATHESIS_MAX_EXAMPLES (default 200; about 25 s on 2 cores) bounds the test cases per
# operation and phase.
set -euo pipefail
cd "$(dirname "$0")/.."

version=4.32.5
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-200}
st=.venv/bin/schemathesis
if ! "$st" --version 2>/dev/null | grep -q "version $version\$"; then
  echo "--- installing schemathesis==$version into .venv"
  if [ ! -x .venv/bin/pip ]; then
    python3 -m venv .venv || { echo "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"; exit 1; }
  fi
  .venv/bin/pip install -q --disable-pip-version-check "schemathesis==$version"
fi

port=$(node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")
data=$(mktemp -d)
log=$(mktemp)
# shellcheck source=scripts/fleet-lib.sh
. scripts/fleet-lib.sh
fleet_pid=
cleanup() {
  # Ctrl-C to the whole process group, as a terminal would; then make sure nothing is left.
  if [ -n "$fleet_pid" ]; then
    kill -INT -- -"$fleet_pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$fleet_pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- -"$fleet_pid" 2>/dev/null || true
  fi
  rm -rf "$data" "$log"
}
trap cleanup EXIT
fleet_start "$port" "$data" "$log"

# Every check but two: positive_data_acceptance expects a 2xx for any request the schema
# allows, but whether a tensor fits is up to the model (its inputs, shapes and batch size),
# which a schema shared by all models cannot say; unsupported_method expects 405 for a
# method a path lacks, where the API answers 404 not_found for every unknown route.
status=0
"$st" --config-file scripts/schemathesis.toml run "http://127.0.0.1:$port/openapi.json" \
  --checks all --exclude-checks positive_data_acceptance,unsupported_method \
  --max-examples "$max_examples" --seed 1 --generation-database none \
  --request-timeout 10 --max-failures 20 --no-color || status=$?

if [ "$status" -ne 0 ]; then
  echo "--- fleet log (last 60 lines)"
  tail -n 60 "$log"
  echo "schemathesis found failures (exit status $status)"
  exit "$status"
fi
echo "schemathesis run passed"
