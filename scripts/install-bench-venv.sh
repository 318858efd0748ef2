#!/usr/bin/env bash
# Installs the Python serving peers of `npm run bench` (LitServe, Ray Serve, onnxruntime; pinned in
# bench/peers/requirements.txt) into .alto/bench-venv, unless an install of the same pins and
# interpreter is there. Prints the venv's python path on stdout (last line). Needs Python >= 3.10
# (the first of python3.11, python3.12, python3.13, python3.10, python3 that runs, or
# ALTO_BENCH_PYTHON).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.alto/bench-venv"
reqs="$root/bench/peers/requirements.txt"
say() { echo "install-bench-venv: $*" >&2; }
# shellcheck source=lib/python-venv.sh
. "$root/scripts/lib/python-venv.sh"

python="$(find_python ${ALTO_BENCH_PYTHON:-python3.11 python3.12 python3.13 python3.10 python3})" || python=""
[ -n "$python" ] || { say "no Python >= 3.10 found (set ALTO_BENCH_PYTHON)"; exit 1; }

venv_lock "$root" bench-venv
stamp="$({ cat "$reqs"; "$python" --version; } | sha256sum | cut -c1-16)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.alto-stamp" 2>/dev/null || true)" = "$stamp" ]; then
  echo "$venv/bin/python"
  exit 0
fi
say "installing the peers ($(grep -v '^#' "$reqs" | tr '\n' ' ')) with $python into .alto/bench-venv"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$reqs" >&2
echo "$stamp" >"$venv/.alto-stamp"
echo "$venv/bin/python"
