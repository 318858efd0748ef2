#!/usr/bin/env bash
# Installs ONNX Runtime's GPU build for the onnxruntime-node version in package-lock.json into a
# project-local folder (default .alto/onnxruntime-gpu) that the worker loads when
# ALTO_EXECUTION_PROVIDER is cuda or tensorrt (or ALTO_ONNXRUNTIME_DIR names it): see
# docs/accelerators.md, "ONNX Runtime on GPU". Never touches node_modules (npm ci wipes it).
#
#   scripts/install-onnxruntime-gpu.sh           # the GPU build: core library + CUDA/TensorRT providers (~250 MB download)
#   scripts/install-onnxruntime-gpu.sh --cuda    # and the CUDA runtime, cuBLAS, cuFFT, cuRAND, NVRTC and cuDNN (~1.3 GB)
#   options: --dir DIR (install there), --force (reinstall even when the same install is present)
#
# Sources: the `onnxruntime-gpu` wheel of the same version on PyPI (lib/: libonnxruntime.so.<v>,
# libonnxruntime_providers_{shared,cuda,tensorrt}.so) and, with --cuda, the nvidia-* wheels that
# wheel names in its `cuda` and `cudnn` extras (cuda/: every lib*.so* of them, in one folder).
# TensorRT itself (libnvinfer.so.10) is not installed: use an image or machine that has it.
# Needs python3 with pip (downloads only; nothing is installed into any Python).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.alto/onnxruntime-gpu"
cuda=false
force=false
while [ $# -gt 0 ]; do
  case "$1" in
    --cuda) cuda=true ;;
    --force) force=true ;;
    --dir)
      dir="${2:?--dir needs a folder}"
      shift
      ;;
    *)
      echo "usage: $0 [--cuda] [--force] [--dir DIR]" >&2
      exit 2
      ;;
  esac
  shift
done
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac

say() { echo "install-onnxruntime-gpu: $*" >&2; }

if [ "$(uname -s)/$(uname -m)" != "Linux/x86_64" ]; then
  say "the GPU build is published for Linux x86_64 only (this is $(uname -s)/$(uname -m))"
  exit 1
fi

version="$(node -p "require('$root/package-lock.json').packages['node_modules/onnxruntime-node'].version")"
python="${ALTO_PIP_PYTHON:-python3}"
if ! "$python" -m pip --version >/dev/null 2>&1; then
  say "$python -m pip does not run: the download needs pip (set ALTO_PIP_PYTHON to a python that has it)"
  exit 1
fi

mkdir -p "$(dirname "$dir")"
# One install at a time into one folder (a test and an operator may start one together).
exec 9>"$dir.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

# Already there? The manifest is written last, so its presence means a complete install.
manifest="$dir/manifest.json"
if [ "$force" = false ] && [ -f "$manifest" ]; then
  have="$(node -p "const m = require('$manifest'); m.onnxruntime + (m.cuda ? ' cuda' : '')")"
  if [ "$have" = "$version cuda" ] || { [ "$cuda" = false ] && [ "$have" = "$version" ]; }; then
    say "onnxruntime-gpu $version already installed in $dir (--force reinstalls)"
    echo "$dir"
    exit 0
  fi
fi

work="$(mktemp -d "$(dirname "$dir")/.onnxruntime-gpu.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Wheels for glibc 2.28 x86_64 whatever the local Python is: the libraries do not depend on it.
# pip does not widen a given --platform to older manylinux tags, so name them all.
platforms=()
for p in manylinux_2_28 manylinux_2_27 manylinux_2_17 manylinux2014 manylinux_2_12 manylinux2010 manylinux_2_5 manylinux1; do
  platforms+=(--platform "${p}_x86_64")
done
# pip's own progress goes to stderr: stdout carries only the folder, on the last line.
pip_download() {
  local dest="$1"
  shift
  "$python" -m pip download --disable-pip-version-check --only-binary=:all: \
    "${platforms[@]}" --python-version 3.12 --implementation cp --dest "$dest" "$@" >&2
}

say "downloading onnxruntime-gpu==$version from PyPI"
pip_download "$work/wheels" --no-deps "onnxruntime-gpu==$version"
wheel="$(ls "$work"/wheels/onnxruntime_gpu-"$version"-*.whl)"

say "unpacking the core library and the execution providers into $dir/lib"
mkdir -p "$work/out/lib"
# Prints the cuda and cudnn extras' requirements (one a line) for the second download.
"$python" - "$wheel" "$work/out/lib" "$version" >"$work/extras.txt" <<'PY'
import re, shutil, sys, zipfile
wheel, out, version = sys.argv[1:]
wanted = [f"libonnxruntime.so.{version}", "libonnxruntime_providers_shared.so",
          "libonnxruntime_providers_cuda.so", "libonnxruntime_providers_tensorrt.so"]
with zipfile.ZipFile(wheel) as z:
    names = {n.rsplit("/", 1)[-1]: n for n in z.namelist() if n.startswith("onnxruntime/capi/")}
    missing = [w for w in wanted if w not in names]
    if missing:
        sys.exit(f"install-onnxruntime-gpu: {wheel} lacks {', '.join(missing)}")
    for w in wanted:
        with z.open(names[w]) as src, open(f"{out}/{w}", "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    for line in z.read(meta).decode().splitlines():
        m = re.match(r'Requires-Dist: (.+?); extra == "(cuda|cudnn)"', line)
        if m:
            print(m.group(1).replace(" ", ""))
PY
# The binding asks for libonnxruntime.so.1 (its SONAME); keep the versioned file and that name.
ln -s "libonnxruntime.so.$version" "$work/out/lib/libonnxruntime.so.1"

cuda_json=null
if [ "$cuda" = true ]; then
  mapfile -t reqs <"$work/extras.txt"
  if [ "${#reqs[@]}" -eq 0 ]; then
    say "onnxruntime-gpu $version names no cuda/cudnn extras; cannot tell which CUDA runtime it needs"
    exit 1
  fi
  say "downloading the CUDA runtime wheels it names: ${reqs[*]} (and their dependencies)"
  mkdir -p "$work/cuda-wheels"
  pip_download "$work/cuda-wheels" "${reqs[@]}"
  say "unpacking their libraries into $dir/cuda"
  mkdir -p "$work/out/cuda"
  cuda_json="$("$python" - "$work/out/cuda" "$work"/cuda-wheels/*.whl <<'PY'
import json, re, shutil, sys, zipfile
out, wheels = sys.argv[1], sys.argv[2:]
installed = []
for wheel in wheels:
    name, ver = wheel.rsplit("/", 1)[-1].split("-")[:2]
    with zipfile.ZipFile(wheel) as z:
        for n in z.namelist():
            base = n.rsplit("/", 1)[-1]
            if n.startswith("nvidia/") and "/lib/" in n and re.match(r"lib.+\.so(\.\d+)*$", base):
                with z.open(n) as src, open(f"{out}/{base}", "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    installed.append(f"{name.replace('_', '-')}=={ver}")
print(json.dumps(sorted(installed)))
PY
)"
fi

node -e "
const [file, version, cuda] = process.argv.slice(1);
const manifest = {
  onnxruntime: version,
  source: 'onnxruntime-gpu==' + version + ' (PyPI)',
  library: 'lib/libonnxruntime.so.' + version,
  cuda: JSON.parse(cuda),
};
require('node:fs').writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
" "$work/out/manifest.json" "$version" "$cuda_json"

# Swap the finished folder in, so a worker never sees half an install.
rm -rf "$dir.old"
if [ -e "$dir" ]; then mv "$dir" "$dir.old"; fi
mv "$work/out" "$dir"
rm -rf "$dir.old"
say "installed onnxruntime-gpu $version in $dir ($(du -sh "$dir" | cut -f1))"
echo "$dir"
