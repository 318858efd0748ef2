#!/usr/bin/env bash
# Startup script of an Alto worker VM on Google Compute Engine (GPU VMs of a managed instance
# group, Cloud TPU VMs): installs Node and Alto, the GPU or XLA runtime the VM's accelerator
# needs, then runs the worker under systemd with REDIS_URL and tags from instance metadata.
# Runs at every boot (GCE's startup-script metadata); each step skips what is already done.
#
#   gcloud ... --metadata-from-file=startup-script=infra/gce/startup.sh \
#              --metadata=alto-redis-url=redis://10.0.0.3:6379,alto-source=gs://BUCKET/alto.tar.gz
#
# Instance metadata it reads (attributes):
#   alto-redis-url      REDIS_URL of the fleet (required), e.g. Memorystore's redis://IP:6379
#   alto-source         where Alto comes from: gs://…/alto.tar.gz (`git archive` of a release)
#                       or a git URL (with alto-ref, default main)        (required in the cloud)
#   alto-accelerator    cpu, gpu or tpu; default: gpu when nvidia-smi runs, tpu on a TPU VM
#   alto-worker-tags    ALTO_WORKER_TAGS (zone=b,pool=batch); with the accelerator, the pool name
#   alto-prefix         ALTO_PREFIX (default alto)
#   alto-worker-env     more KEY=VALUE lines for the worker's environment
#   alto-node-version   Node.js to install when the image has none >= 20.19 (default 20.19.5)
#
# ALTO_STARTUP_LOCAL=1 skips everything that needs Google Cloud or root: the metadata server
# (attribute X is read from the variable ALTO_METADATA_X, upper case, - as _), apt, drivers,
# gcloud, the alto user and systemd. Alto is then linked from ALTO_STARTUP_SOURCE (a checkout
# with node_modules) and the worker runs in the foreground. test/gce-startup.test.ts runs it so.
# ALTO_STARTUP_ROOT is where everything goes (default /opt/alto).
set -euo pipefail

local_mode="${ALTO_STARTUP_LOCAL:-0}"
root="${ALTO_STARTUP_ROOT:-/opt/alto}"
app="$root/app"
say() { echo "alto-startup: $*" >&2; }
cloud() { [ "$local_mode" != 1 ]; }

# ---- instance metadata ------------------------------------------------------------------------
metadata() { # metadata NAME [DEFAULT]: the instance attribute NAME, or DEFAULT when it is unset
  local name="$1" fallback="${2-}" value
  if cloud; then
    value="$(curl -fsS -H 'Metadata-Flavor: Google' \
      "http://metadata.google.internal/computeMetadata/v1/instance/attributes/$name" 2>/dev/null)" || value=""
  else
    local var="ALTO_METADATA_$(echo "$name" | tr 'a-z-' 'A-Z_')"
    value="${!var-}"
  fi
  printf '%s' "${value:-$fallback}"
}

redis_url="$(metadata alto-redis-url)"
if [ -z "$redis_url" ]; then
  say "instance metadata alto-redis-url is unset: set it to the fleet's REDIS_URL (redis://host:6379)"
  exit 2
fi
tags="$(metadata alto-worker-tags)"
prefix="$(metadata alto-prefix alto)"
extra_env="$(metadata alto-worker-env)"
accelerator="$(metadata alto-accelerator)"
if [ -z "$accelerator" ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    accelerator=gpu
  elif compgen -G '/dev/accel*' >/dev/null || compgen -G '/dev/vfio/[0-9]*' >/dev/null; then
    accelerator=tpu
  else
    accelerator=cpu
  fi
fi
case "$accelerator" in cpu | gpu | tpu) ;; *)
  say "alto-accelerator: expected cpu, gpu or tpu, got '$accelerator'"
  exit 2
  ;;
esac
say "accelerator $accelerator, tags '${tags:-none}', root $root"
mkdir -p "$root"

# ---- Node.js ----------------------------------------------------------------------------------
node_ok() { command -v node >/dev/null 2>&1 && node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'; }
if cloud; then
  export DEBIAN_FRONTEND=noninteractive
  if ! command -v git >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1 || ! command -v xz >/dev/null 2>&1; then
    apt-get update -q
    apt-get install -y -q ca-certificates curl git xz-utils python3 python3-pip python3-venv
  fi
  if ! node_ok; then
    version="$(metadata alto-node-version 20.19.5)"
    arch="$(uname -m)"
    case "$arch" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; esac
    say "installing Node.js $version ($arch)"
    curl -fsSL "https://nodejs.org/dist/v$version/node-v$version-linux-$arch.tar.xz" | tar -xJ -C /usr/local --strip-components=1
  fi
fi
if ! node_ok; then
  say "Node.js >= 20.19 is required; found $(node --version 2>/dev/null || echo none)"
  exit 1
fi

# ---- Alto -------------------------------------------------------------------------------------
if cloud; then
  source_uri="$(metadata alto-source)"
  if [ -z "$source_uri" ]; then
    say "instance metadata alto-source is unset: gs://BUCKET/alto.tar.gz or a git URL"
    exit 2
  fi
  stamp="$root/source.txt"
  if [ ! -f "$app/package.json" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$source_uri" ]; then
    say "fetching Alto from $source_uri"
    rm -rf "$app.new" && mkdir -p "$app.new"
    case "$source_uri" in
      gs://*) gcloud storage cp "$source_uri" - | tar -xz -C "$app.new" ;;
      *) git clone --depth 1 --branch "$(metadata alto-ref main)" "$source_uri" "$app.new" ;;
    esac
    (cd "$app.new" && npm ci --omit=dev --no-audit --no-fund)
    rm -rf "$app" && mv "$app.new" "$app"
    echo "$source_uri" >"$stamp"
  fi
else
  source_dir="${ALTO_STARTUP_SOURCE:?ALTO_STARTUP_LOCAL=1 needs ALTO_STARTUP_SOURCE, a checkout with node_modules}"
  ln -sfn "$(cd "$source_dir" && pwd)" "$app"
  [ -d "$app/node_modules" ] || (cd "$app" && npm ci --omit=dev --no-audit --no-fund)
fi

# ---- the accelerator's runtime ----------------------------------------------------------------
worker_env=()
case "$accelerator" in
  gpu)
    # The driver comes with the image (a Deep Learning VM image, or install-nvidia-driver=True
    # on one); ONNX Runtime's GPU build with its CUDA libraries is installed here.
    worker_env+=(ALTO_EXECUTION_PROVIDER=cuda "ALTO_ONNXRUNTIME_DIR=$root/onnxruntime-gpu")
    if cloud; then
      nvidia-smi -L >&2 || { say "no NVIDIA driver: use a GPU image (docs/deploy.md)"; exit 1; }
      bash "$app/scripts/install-onnxruntime-gpu.sh" --cuda --dir "$root/onnxruntime-gpu"
    else
      say "local mode: skipping the ONNX Runtime GPU install"
    fi
    ;;
  tpu)
    # The XLA runtime (runtimes/xla) into $app/.alto/xla-venv, then the TPU plugin for its jax pin.
    if cloud; then
      bash "$app/scripts/install-xla-runtime.sh"
      jax_pin="$(sed -n 's/^ *"jax==\([^"]*\)".*/\1/p' "$app/runtimes/xla/pyproject.toml")"
      "$app/.alto/xla-venv/bin/python" -m pip install -q -c "$app/runtimes/xla/requirements.lock" "jax[tpu]==$jax_pin"
    else
      say "local mode: skipping the XLA runtime install"
    fi
    ;;
  cpu) worker_env+=(ALTO_EXECUTION_PROVIDER=cpu) ;;
esac

# ---- the worker's environment -----------------------------------------------------------------
env_file="$root/worker.env"
{
  echo "REDIS_URL=$redis_url"
  echo "ALTO_PREFIX=$prefix"
  echo "ALTO_ACCELERATOR=$accelerator"
  [ -z "$tags" ] || echo "ALTO_WORKER_TAGS=$tags"
  # The VM's name: stable across reboots, so the worker keeps its consumer name.
  echo "ALTO_WORKER_ID=$(hostname -s)"
  echo "ALTO_HOST=0.0.0.0"
  echo "ALTO_CACHE_DIR=$root/cache"
  echo "ALTO_SHUTDOWN_GRACE_MS=30000"
  for kv in "${worker_env[@]}"; do echo "$kv"; done
  [ -z "$extra_env" ] || printf '%s\n' "$extra_env"
} >"$env_file"
say "wrote $env_file"

# ---- start ------------------------------------------------------------------------------------
if cloud; then
  id alto >/dev/null 2>&1 || useradd --system --home-dir "$root" --shell /usr/sbin/nologin alto
  # TPU VMs: the worker needs the chips' device files; join the group that owns them (never root's).
  if [ "$accelerator" = tpu ]; then
    for dev in /dev/accel* /dev/vfio/*; do
      [ -e "$dev" ] || continue
      group="$(stat -c %G "$dev")"
      [ "$group" = root ] || usermod -a -G "$group" alto
    done
  fi
  mkdir -p "$root/cache" && chown -R alto:alto "$root/cache"
  cat >/etc/systemd/system/alto-worker.service <<EOF
[Unit]
Description=Alto worker
After=network-online.target
Wants=network-online.target

[Service]
User=alto
WorkingDirectory=$app
EnvironmentFile=$env_file
# A home it may write (tsx, JAX and pip caches); the rest of $root stays root's.
Environment=HOME=$root/cache
ExecStart=$(command -v node) --import tsx apps/worker/src/main.ts
# SIGTERM drains: in-flight batches finish within ALTO_SHUTDOWN_GRACE_MS (30 s). A preempted
# or deleted VM has about 30 s after ACPI shutdown; a MIG's rolling update waits for the unit.
KillSignal=SIGTERM
TimeoutStopSec=45
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
EOF
  systemctl daemon-reload
  systemctl enable alto-worker.service
  systemctl restart alto-worker.service
  say "alto-worker.service started"
else
  cd "$app"
  # This script's own ALTO_STARTUP_* and ALTO_METADATA_* settings are not the worker's: it
  # refuses ALTO_* variables it does not know.
  for var in $(compgen -e); do
    case "$var" in ALTO_STARTUP_* | ALTO_METADATA_*) unset "$var" ;; esac
  done
  set -a
  # shellcheck disable=SC1090
  . "$env_file"
  set +a
  say "local mode: running the worker in the foreground"
  exec node --import tsx apps/worker/src/main.ts
fi
