#!/usr/bin/env bash
# Installs the Python packages the tests drive Alto with (protocol clients, SDK tests) into the
# project-local virtual environment .alto/test-venv: every test/python/requirements*.txt, with
# pinned versions, plus each local Python package listed in test/python/editable.txt (one path
# per line, relative to the repository root). Skips the install when a stamp of those files and
# the interpreter matches. Prints the venv's python path on stdout (last line).
# ALTO_TEST_PYTHON=/path/to/python picks the interpreter; otherwise python3.11, python3.12,
# python3.13 or python3, the first that runs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.alto/test-venv"
say() { echo "install-test-venv: $*" >&2; }
# shellcheck source=lib/python-venv.sh
. "$root/scripts/lib/python-venv.sh"

python="$(find_python ${ALTO_TEST_PYTHON:-python3.11 python3.12 python3.13 python3})" || python=""
if [ -z "$python" ]; then
  say "no Python >= 3.10 found (set ALTO_TEST_PYTHON)"
  exit 1
fi

venv_lock "$root" test-venv

shopt -s nullglob
reqs=("$root"/test/python/requirements*.txt)
editable=()
if [ -f "$root/test/python/editable.txt" ]; then
  while IFS= read -r line; do
    line="${line%%#*}"
    line="$(echo "$line" | xargs)"
    [ -n "$line" ] && editable+=("$root/$line")
  done <"$root/test/python/editable.txt"
fi
stamp="$({
  cat "${reqs[@]}" /dev/null
  for e in "${editable[@]}"; do cat "$e/pyproject.toml" 2>/dev/null || true; done
  "$python" --version
} | sha256sum | cut -c1-16)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.alto-stamp" 2>/dev/null || true)" = "$stamp" ]; then
  echo "$venv/bin/python"
  exit 0
fi

say "installing the test packages with $python into .alto/test-venv"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
args=()
for r in "${reqs[@]}"; do args+=(-r "$r"); done
for e in "${editable[@]}"; do args+=(-e "$e"); done
if [ "${#args[@]}" -gt 0 ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${args[@]}" >&2
fi
echo "$stamp" >"$venv/.alto-stamp"
echo "$venv/bin/python"
