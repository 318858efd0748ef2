#!/usr/bin/env bash
# Makes the `minilm-xla` checkpoint once: the minilm source folder (setup.sh fetches it) exported
# with jax.export by export_jax.py, written to .alto/models-xla/minilm-xla/{config.json, 1/}.
# Usage: scripts/minilm/setup-xla.sh <python of .alto/xla-venv (scripts/install-xla-runtime.sh)>
# Idempotent (a stamp of the sources and the interpreter); prints the model folder's parent
# (.alto/models-xla, a repository of its own) on stdout, its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${1:?usage: setup-xla.sh <python with jax>}"
repo="$root/.alto/models-xla"
model="$repo/minilm-xla"

bash "$here/setup.sh" >/dev/null
source_dir="$(ls -d "$root"/.alto/minilm-cache/all-MiniLM-L6-v2-*/ | head -1)"
stamp="$({
  cat "$here"/export_jax.py "$here"/weights.py "$here"/setup-xla.sh "$root"/runtimes/xla/export/common.py
  echo "$source_dir"
  "$python" -c 'import jax; print(jax.__version__)'
} | sha256sum | cut -c1-16)"
if [ -f "$model/1/model.jax" ] && [ "$(cat "$model/.alto-stamp" 2>/dev/null || true)" = "$stamp" ]; then
  echo "$repo"
  exit 0
fi
exec 9>"$root/.alto/minilm-xla.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
echo "minilm: exporting .alto/models-xla/minilm-xla with jax.export" >&2
tmp="$repo.tmp-$$"
rm -rf "$tmp"
mkdir -p "$tmp"
"$python" "$here/export_jax.py" "$source_dir" "$tmp" >&2
echo "$stamp" >"$tmp/minilm-xla/.alto-stamp"
rm -rf "$model"
mkdir -p "$repo"
mv "$tmp/minilm-xla" "$model"
rm -rf "$tmp"
echo "$repo"
