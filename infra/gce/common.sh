# Shared by the gcloud recipes here: settings from the environment, and `run`, which prints each
# command and runs it, or only prints it with DRY_RUN=1 (test/gce-startup.test.ts reads that).
# shellcheck shell=bash
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${PROJECT:=$(gcloud config get-value project 2>/dev/null || echo my-project)}"
: "${REGION:=us-central1}"
: "${ZONE:=${REGION}-a}"
: "${NETWORK:=default}"
: "${ALTO_SOURCE:=gs://${PROJECT}-alto/alto.tar.gz}"
run() {
  printf '+'
  printf ' %q' "$@"
  printf '\n'
  [ "${DRY_RUN:-0}" = 1 ] || "$@"
}
