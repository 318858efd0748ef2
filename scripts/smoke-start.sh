#!/usr/bin/env bash
# Starts the whole fleet with `npm start`, sends the README's example request, checks that
# the prediction succeeded (and one request through the Open Inference Protocol), then stops
# the fleet with Ctrl-C (SIGINT) and checks it exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-8080}
data=$(mktemp -d)
log=$(mktemp)
# shellcheck source=scripts/fleet-lib.sh
. scripts/fleet-lib.sh
fleet_pid=
cleanup() { if [ -n "$fleet_pid" ]; then kill -KILL -- -"$fleet_pid" 2>/dev/null || true; fi; rm -rf "$data"; }
trap cleanup EXIT
fleet_start "$port" "$data" "$log"
pid=$fleet_pid

# The README's request, verbatim but for the port.
reply=$(curl -s -H 'Content-Type: application/json' -H 'Prefer: wait' --data @examples/textdir.json "http://127.0.0.1:$port/v1/models/textdir/predictions")
echo "$reply" | head -c 600; echo
echo "$reply" | grep -q '"status":"succeeded"' || { cat "$log"; echo "the example prediction did not succeed"; exit 1; }

# The README's binary-body example, verbatim but for the port and a scratch directory.
(
  cd "$data"
  printf '{"input":{"x":{"datatype":"FP32","shape":[1,64],"binary_data_size":256}}}' > header.json
  head -c 256 /dev/zero | cat header.json - > body.bin
  curl -s -H 'Content-Type: application/octet-stream' -H "Inference-Header-Content-Length: $(stat -c %s header.json)" \
    -H 'Prefer: wait' --data-binary @body.bin "http://127.0.0.1:$port/v1/models/tiny/predictions"
) > "$data/binary-reply.json"
grep -q '"status":"succeeded"' "$data/binary-reply.json" || { cat "$data/binary-reply.json" "$log"; echo "the binary-body example did not succeed"; exit 1; }

# The same model through the Open Inference Protocol's REST binding (docs/protocols.md).
zeros=$(printf '0,%.0s' $(seq 63))0
oip=$(curl -s --data "{\"id\":\"smoke\",\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,64],\"data\":[$zeros]}]}" \
  "http://127.0.0.1:$port/v2/models/tiny/infer")
{ echo "$oip" | grep -q '"id":"smoke"' && echo "$oip" | grep -q '"outputs":\[{"name":"y"'; } ||
  { echo "$oip"; cat "$log"; echo "the Open Inference Protocol request did not succeed"; exit 1; }

# minilm (sentence embeddings), where scripts/minilm/setup.sh has built it (.ci/run does): npm start
# publishes it in the background; the README's request is retried until it is served (120 s).
if [ -f .alto/models/minilm/1/model.onnx ]; then
  minilm=
  for _ in $(seq 1 120); do
    minilm=$(curl -s -H 'Content-Type: application/json' -H 'Prefer: wait' \
      --data '{"input": {"text": {"datatype": "BYTES", "shape": [2], "data": ["a cat sits", "a kitten sits"]}}}' \
      "http://127.0.0.1:$port/v1/models/minilm/predictions")
    echo "$minilm" | grep -q '"status":"succeeded"' && break
    sleep 1
  done
  echo "$minilm" | head -c 300; echo
  echo "$minilm" | grep -q '"embedding":{"datatype":"FP32","shape":\[2,384\]' ||
    { cat "$log"; echo "minilm was not served by npm start"; exit 1; }
fi

# Ctrl-C: SIGINT to the whole foreground process group, as a terminal sends it. npm itself
# reports 130 for that; the fleet's own clean stop is what is checked.
kill -INT -- -"$pid"
status=0
wait "$pid" || status=$?
case "$status" in 0|130) ;; *) cat "$log"; echo "npm start exited with $status after Ctrl-C"; exit 1 ;; esac
grep -q 'Alto stopped cleanly' "$log" || { cat "$log"; echo "the fleet did not stop cleanly"; exit 1; }
if pgrep -f "ALTO_REDIS_DIR=$data|--dir $data" >/dev/null; then echo "redis-server still running"; exit 1; fi
echo "smoke run passed"
