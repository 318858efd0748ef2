#!/usr/bin/env bash
# Fails on a known-exploitable (high or critical) vulnerability in what Alto ships: the npm
# dependencies that run in production (`npm audit --omit=dev --audit-level=high`) and the
# Python runtime's pinned packages (pip-audit over runtimes/xla/requirements.lock).
# Both ask an advisory service over the network. When one cannot be reached the check did not
# run, and this says so loudly; it then fails only with ALTO_AUDIT_REQUIRED=1 (set it where
# the registry is reachable, e.g. release CI), so an offline machine is not mistaken for a
# clean one nor blocked by the network. Exit: 0 clean (or not checked), 1 vulnerable or required.
set -uo pipefail
cd "$(dirname "$0")/.."

PIP_AUDIT_VERSION=2.10.1
status=0
unchecked=()

echo "--- npm audit --omit=dev --audit-level=high"
out="$(npm audit --omit=dev --audit-level=high 2>&1)"
rc=$?
echo "$out"
if [ $rc -ne 0 ]; then
  if grep -qE 'audit endpoint returned an error|ENOTFOUND|ECONNREFUSED|EAI_AGAIN|ETIMEDOUT|network|Method Not Allowed' <<<"$out" &&
    ! grep -qE '^[0-9]+ (high|critical|moderate|low)|severity vulnerabilit' <<<"$out"; then
    unchecked+=("npm dependencies (the registry's audit endpoint could not be reached)")
  else
    echo "npm audit: a high or critical vulnerability in a production dependency (above)" >&2
    status=1
  fi
fi

echo "--- pip-audit runtimes/xla/requirements.lock"
venv=.alto/audit-venv
if [ ! -x "$venv/bin/pip-audit" ]; then
  python3 -m venv "$venv" >/dev/null 2>&1 &&
    "$venv/bin/python" -m pip install -q "pip-audit==${PIP_AUDIT_VERSION}" >/dev/null 2>&1 || true
fi
if [ ! -x "$venv/bin/pip-audit" ]; then
  unchecked+=("Python packages (pip-audit==${PIP_AUDIT_VERSION} could not be installed into $venv)")
else
  out="$("$venv/bin/pip-audit" --disable-pip --no-deps --progress-spinner off -r runtimes/xla/requirements.lock 2>&1)"
  rc=$?
  echo "$out"
  # pip-audit skips (and exits 0 on) packages its service does not answer for: not a pass.
  skipped="$(grep -c 'could not be audited' <<<"$out")"
  if [ "$skipped" -gt 0 ]; then
    unchecked+=("$skipped Python packages (pip-audit's advisory service did not answer for them)")
  fi
  if [ $rc -ne 0 ]; then
    if grep -qiE 'Found [0-9]+ known vulnerabilit' <<<"$out"; then
      echo "pip-audit: a known vulnerability in a pinned Python package (above)" >&2
      status=1
    else
      unchecked+=("Python packages (pip-audit could not reach its advisory service)")
    fi
  fi
fi

if [ ${#unchecked[@]} -gt 0 ]; then
  echo "!!! dependency audit NOT RUN for:" >&2
  for u in "${unchecked[@]}"; do echo "!!!   $u" >&2; done
  if [ "${ALTO_AUDIT_REQUIRED:-0}" = 1 ]; then
    echo "!!! ALTO_AUDIT_REQUIRED=1: failing" >&2
    status=1
  else
    echo "!!! (not failing: set ALTO_AUDIT_REQUIRED=1 where the advisory services are reachable)" >&2
  fi
fi
exit $status
