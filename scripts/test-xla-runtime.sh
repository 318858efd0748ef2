#!/usr/bin/env bash
# Installs the XLA runtime with its test extras (scripts/install-xla-runtime.sh --test) and
# runs its pytest suite; extra arguments go to pytest. Exits with pytest's status.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="$("$root/scripts/install-xla-runtime.sh" --test | tail -n 1)"
cd "$root/runtimes/xla"
# JAX on CPU only: the tests compare numbers and must not depend on which accelerator is here.
JAX_PLATFORMS="${JAX_PLATFORMS:-cpu}" exec "$python" -m pytest -q "$@"
