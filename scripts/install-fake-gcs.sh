#!/usr/bin/env bash
# Installs fake-gcs-server, the GCS emulator the checkpoint-source tests run against, with
# `go install` (it lands in $(go env GOBIN) or $(go env GOPATH)/bin), unless it is already there.
# Prints the binary's path. Needs Go 1.21 or later: the pinned release requires Go 1.26, and
# an older go fetches that toolchain itself (GOTOOLCHAIN=auto, set here unless you set it;
# some distributions' Go packages default to local).
set -euo pipefail

version=v1.56.1

if ! command -v go >/dev/null 2>&1; then
  echo "install-fake-gcs: 'go' is not on PATH; install Go (https://go.dev/dl/) and run this again" >&2
  exit 1
fi
# Where `go install` puts binaries: GOBIN, else the first GOPATH entry's bin.
dir="$(go env GOBIN)"
if [ -z "$dir" ]; then dir="$(go env GOPATH | cut -d: -f1)/bin"; fi
bin="$dir/fake-gcs-server"
if [ ! -x "$bin" ]; then
  echo "install-fake-gcs: go install github.com/fsouza/fake-gcs-server@$version" >&2
  GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" go install "github.com/fsouza/fake-gcs-server@$version"
fi
echo "$bin"
