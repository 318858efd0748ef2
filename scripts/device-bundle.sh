#!/usr/bin/env bash
# Prepares what scripts/device-check.sh needs on an accelerator machine without network beyond
# its own jax and numpy: a copy of the pure-Python flatbuffers package in .alto/device-pylib,
# taken from the XLA runtime's venv (scripts/install-xla-runtime.sh). Carry .alto/device-pylib
# with the checkout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
site="$("$root/.alto/xla-venv/bin/python" -c 'import flatbuffers, os; print(os.path.dirname(os.path.dirname(flatbuffers.__file__)))')"
rm -rf "$root/.alto/device-pylib"
mkdir -p "$root/.alto/device-pylib"
cp -r "$site/flatbuffers" "$root/.alto/device-pylib/"
echo "device-bundle: $root/.alto/device-pylib holds flatbuffers"
