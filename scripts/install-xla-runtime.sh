#!/usr/bin/env bash
# Installs the XLA runtime (runtimes/xla) into the project-local virtual environment
# .alto/xla-venv with the pinned versions, unless an install of the same pyproject.toml and
# requirements.lock is already there. Prints the venv's python path on stdout (last line).
# Usage: scripts/install-xla-runtime.sh [--test]   (--test adds pytest and onnxruntime)
# ALTO_XLA_PYTHON=/path/to/python picks the interpreter; otherwise the first of python3.11,
# python3.12, python3.13, python3 (then pyenv's installs) that jax==<pin> supports.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runtime="$root/runtimes/xla"
venv="$root/.alto/xla-venv"
extras=""
if [ "${1:-}" = "--test" ]; then extras="[test]"; fi

jax_pin="$(sed -n 's/^ *"jax==\([^"]*\)".*/\1/p' "$runtime/pyproject.toml")"
# The Pythons jax==$jax_pin publishes wheels for (checked with pip download --python-version).
supported="3.11 3.12 3.13"

say() { echo "install-xla-runtime: $*" >&2; }

version_of() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }

find_python() {
  local candidates=()
  if [ -n "${ALTO_XLA_PYTHON:-}" ]; then
    if ! version_of "$ALTO_XLA_PYTHON" >/dev/null; then
      say "ALTO_XLA_PYTHON=$ALTO_XLA_PYTHON does not run as a Python interpreter"
      return 1
    fi
    candidates=("$ALTO_XLA_PYTHON")
  else
    candidates=(python3.11 python3.12 python3.13 python3)
    if command -v pyenv >/dev/null 2>&1; then
      local v
      for v in $supported; do
        candidates+=("$(pyenv root)"/versions/"$v".*/bin/python3)
      done
    fi
  fi
  local py v best_other=""
  for py in "${candidates[@]}"; do
    v="$(version_of "$py")" || continue
    [ -n "$v" ] || continue
    case " $supported " in *" $v "*) command -v "$py"; return 0 ;; esac
    best_other="$py ($v)"
  done
  if [ -n "$best_other" ]; then
    say "found $best_other, but jax==$jax_pin needs Python ${supported// /, }; install one of those (or set ALTO_XLA_PYTHON)"
  else
    say "no python3 found; the XLA runtime needs Python ${supported// /, } (or set ALTO_XLA_PYTHON)"
  fi
  return 1
}

mkdir -p "$root/.alto"
# One install at a time: the TypeScript tests may start several.
exec 9>"$root/.alto/xla-venv.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

python="$(find_python)" || exit 1
# The stamp is the hash of what decides the install (the pins and the interpreter), plus
# "[test]" when the extras are in; an install with the extras also serves a plain request.
hash="$({ cat "$runtime/pyproject.toml" "$runtime/requirements.lock"; echo "$python $(version_of "$python")"; } | sha256sum | cut -c1-16)"
stamp="$hash$extras"
installed="$(cat "$venv/.alto-stamp" 2>/dev/null || true)"
if [ -x "$venv/bin/python" ] && { [ "$installed" = "$stamp" ] || [ "$installed" = "$hash[test]" ]; } \
  && "$venv/bin/python" -c 'import alto_xla, jax' 2>/dev/null; then
  echo "$venv/bin/python"
  exit 0
fi

say "installing alto-xla-runtime$extras with $python ($(version_of "$python")) into .alto/xla-venv"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip >&2
# Editable: the venv runs this checkout's alto_xla, so code edits need no reinstall; the
# stamp covers what does (dependencies and pins).
"$venv/bin/python" -m pip install --quiet -c "$runtime/requirements.lock" -e "$runtime$extras" >&2
echo "$stamp" >"$venv/.alto-stamp"
echo "$venv/bin/python"
