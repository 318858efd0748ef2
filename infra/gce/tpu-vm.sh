#!/usr/bin/env bash
# A Cloud TPU VM running an Alto worker with the XLA executor: startup.sh installs the XLA
# runtime (runtimes/xla, jax[tpu]) and runs the worker, which serves model.jax checkpoints on the
# TPU and ONNX ones on the host's CPUs. One worker per TPU VM host, holding all its chips.
#   PROJECT=p ZONE=us-west4-a REDIS_URL=redis://10.0.0.3:6379 bash infra/gce/tpu-vm.sh   (DRY_RUN=1 prints only)
# The VM must reach the Redis: same VPC network as Memorystore (--network).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
: "${REDIS_URL:?set REDIS_URL to the Redis of the fleet (infra/gce/memorystore.sh prints it)}"
: "${TPU_NAME:=alto-tpu-worker-1}"
: "${ACCELERATOR_TYPE:=v5litepod-4}"
: "${TPU_VERSION:=v2-alpha-tpuv5-lite}"
: "${WORKER_TAGS:=}"
: "${SPOT:=0}"

# ';' separates the attributes (gcloud's ^;^ prefix), so the tags keep their commas.
metadata="^;^alto-redis-url=$REDIS_URL;alto-source=$ALTO_SOURCE;alto-accelerator=tpu"
[ -z "$WORKER_TAGS" ] || metadata="$metadata;alto-worker-tags=$WORKER_TAGS"
spot=()
[ "$SPOT" != 1 ] || spot=(--spot)

run gcloud compute tpus tpu-vm create "$TPU_NAME" \
  --project="$PROJECT" --zone="$ZONE" --network="$NETWORK" \
  --accelerator-type="$ACCELERATOR_TYPE" --version="$TPU_VERSION" \
  --metadata-from-file="startup-script=$here/startup.sh" \
  --metadata="$metadata" "${spot[@]}"
