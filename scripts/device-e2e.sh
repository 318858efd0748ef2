#!/usr/bin/env bash
# Alto end to end on an accelerator machine that has Python with JAX but no Node and no network:
# Redis, a gateway and a worker from .alto/device-node (scripts/device-node-bundle.sh builds it),
# the worker serving a model repository of tiny (ONNX, CPU), tiny-xla and conv-xla (committed
# exports) and mlp-xla (exported here) through the XLA runtime on the device JAX finds. The
# client (scripts/device_e2e.py) waits for every model, compares what the gateway returns with
# the same export run on CPU in its own process, and measures predictions/s through the whole
# path at concurrency 1 and 64. Writes $OUT/device-e2e.json and the processes' logs when OUT is
# set. Exits non-zero when an output disagrees or a step fails.
# PYTHON: an interpreter with jax and numpy (default python3); DEVICE_E2E_VENV: use this XLA
# venv instead of a stand-in around PYTHON.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bundle="$root/.alto/device-node"
out="${OUT:-$(mktemp -d)}"
work="$(mktemp -d)"
pids=()
unpacked=
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work" ${unpacked:+"$unpacked"}
}
trap cleanup EXIT
say() { echo "device-e2e: $*"; }

[ -d "$bundle" ] || { say "no $bundle: run scripts/device-node-bundle.sh and carry .alto/device-node"; exit 1; }
python="${PYTHON:-python3}"
case "$python" in
  */*) python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")" ;;
  *) python="$(command -v "$python")" ;;
esac
export PYTHONPATH="$root/runtimes/xla${PYTHONPATH:+:$PYTHONPATH}"
if ! "$python" -c 'import flatbuffers' 2>/dev/null && [ -d "$root/.alto/device-pylib" ]; then
  export PYTHONPATH="$root/.alto/device-pylib:$PYTHONPATH"
fi
"$python" -c 'import jax, numpy, flatbuffers' || { say "$python cannot import jax, numpy and flatbuffers"; exit 1; }

xz -dc "$bundle/bin/node.xz" >"$work/node" && chmod +x "$work/node"
lib="$bundle/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"
# The binding loads the library from beside itself; unpacked for this run, removed after it so
# the bundle stays small enough to carry again.
if [ ! -f "$lib" ]; then xz -dk "$lib.xz" && unpacked="$lib"; fi
node="$work/node"
say "node $("$node" --version), $("$python" -c 'import sys, jax; print(f"python {sys.version.split()[0]}, jax {jax.__version__}, devices {jax.devices()}")')"

if [ -n "${DEVICE_E2E_VENV:-}" ]; then
  venv="$DEVICE_E2E_VENV"
else
  # The worker runs the XLA runtime as <venv>/bin/python -m alto_xla.server once <venv>/.alto-stamp
  # exists; a stand-in venv execs the machine's Python (PYTHONPATH carries alto_xla). A wrapper,
  # not a symlink: a symlinked venv interpreter would lose the venv the target belongs to.
  venv="$work/venv"
  mkdir -p "$venv/bin"
  printf '#!/bin/sh\nexec "%s" "$@"\n' "$python" >"$venv/bin/python"
  chmod +x "$venv/bin/python" && touch "$venv/.alto-stamp"
fi

models="$work/models"
mkdir -p "$models"
cp -r "$root/models/tiny" "$root/models/tiny-xla" "$root/models/conv-xla" "$models/"
(cd "$root/runtimes/xla/export" && "$python" mlp.py "$models")

free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
redis_port="$(free_port)"
gateway_port="$(free_port)"
LD_LIBRARY_PATH="$bundle/lib" "$bundle/bin/redis-server" --port "$redis_port" --bind 127.0.0.1 --save '' \
  --appendonly no >"$out/redis.log" 2>&1 &
pids+=($!)
export REDIS_URL="redis://127.0.0.1:$redis_port" ALTO_PREFIX=alto ALTO_LOG_LEVEL=info
ALTO_MODEL_REPOSITORY="$models" ALTO_XLA_VENV="$venv" ALTO_METRICS_PORT=0 ALTO_XLA_READY_TIMEOUT_MS=600000 \
  "$node" "$bundle/app/worker.mjs" >"$out/worker.log" 2>&1 &
pids+=($!)
PORT="$gateway_port" "$node" "$bundle/app/gateway.mjs" >"$out/gateway.log" 2>&1 &
pids+=($!)

# Fail fast: every process must still be running once the gateway answers.
for _ in $(seq 1 120); do
  "$python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$gateway_port/healthz', timeout=1)" \
    2>/dev/null && break
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { say "a process exited early; logs:"; tail -20 "$out"/*.log; exit 1; }
  done
  sleep 0.5
done
say "gateway up; waiting for the models (DEVICE_E2E_READY_S, default 240 s)"

started=$(date +%s)
JAX_PLATFORMS=cpu DEVICE_E2E_READY_S="${DEVICE_E2E_READY_S:-240}" timeout "${DEVICE_E2E_TIMEOUT_S:-420}" "$python" "$root/scripts/device_e2e.py" "http://127.0.0.1:$gateway_port" "$models" \
  "$out/device-e2e.json" || { say "failed; the worker's last lines:"; tail -30 "$out/worker.log"; exit 1; }
say "passed in $(($(date +%s) - started)) s; summary in $out/device-e2e.json"
grep -h '"XLA model compiled"\|"devices"' "$out/worker.log" | head -5 || true
