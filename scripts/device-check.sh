#!/usr/bin/env bash
# Serves tiny-xla and conv-xla with the XLA runtime on the accelerator JAX finds (GPU with the
# CUDA plugin, or TPU) and on CPU (JAX_PLATFORMS=cpu), checks their outputs agree within 1e-5,
# and prints rows/s at batch 1 and 32 for each. Needs no network: it runs the runtime from
# this checkout with a Python that already has jax, numpy and flatbuffers (the system python3
# on a GPU VM; else set PYTHON, or it falls back to .alto/xla-venv). Writes
# $OUT/device-check.json when OUT is set. DEVICE_CHECK_MLP=1 adds a compute-bound model (below). On a machine without an accelerator it runs the CPU
# half and says so. Exits non-zero when outputs disagree.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

python="${PYTHON:-python3}"
case "$python" in */*) python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")" ;; esac
# flatbuffers is pure Python: a machine with jax but without it (no network) can take a copy
# carried in .alto/device-pylib (scripts/device-bundle.sh puts one there).
if ! "$python" -c 'import flatbuffers' 2>/dev/null && [ -d "$root/.alto/device-pylib" ]; then
  export PYTHONPATH="$root/.alto/device-pylib${PYTHONPATH:+:$PYTHONPATH}"
fi
if ! "$python" -c 'import jax, numpy, flatbuffers' 2>/dev/null; then
  if [ -z "${PYTHON:-}" ] && [ -x "$root/.alto/xla-venv/bin/python" ]; then
    python="$root/.alto/xla-venv/bin/python"
  else
    echo "device-check: $python cannot import jax, numpy and flatbuffers; set PYTHON to one that can" >&2
    exit 1
  fi
fi
echo "device-check: $("$python" -c 'import sys, jax; print(f"python {sys.version.split()[0]}, jax {jax.__version__}")')"

out_args=()
if [ -n "${OUT:-}" ]; then out_args=(--out "$OUT/device-check.json"); fi
cd "$root/runtimes/xla"
export PYTHONPATH="$root/runtimes/xla${PYTHONPATH:+:$PYTHONPATH}"
"$python" -m alto_xla.device_check --models "$root/models" --seconds "${DEVICE_CHECK_SECONDS:-2}" "${out_args[@]}"

# DEVICE_CHECK_MLP=1: also a compute-bound model (runtimes/xla/export/mlp.py, 168 MB of weights,
# exported into a scratch directory, not committed), at batches up to 256. Its float32 sums over
# 4,096 terms reorder between devices, hence the looser tolerance.
if [ "${DEVICE_CHECK_MLP:-0}" = 1 ]; then
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  (cd "$root/runtimes/xla/export" && "$python" mlp.py "$scratch")
  mlp_out=()
  if [ -n "${OUT:-}" ]; then mlp_out=(--out "$OUT/device-check-mlp.json"); fi
  "$python" -m alto_xla.device_check --models "$scratch" --names mlp-xla --batches 1,32,256 --tolerance 1e-4 \
    --seconds "${DEVICE_CHECK_SECONDS:-2}" "${mlp_out[@]}"
fi
