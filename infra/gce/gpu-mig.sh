#!/usr/bin/env bash
# GPU worker VMs as a managed instance group: an instance template (one NVIDIA L4 on g2-standard-8,
# a Deep Learning VM image with the driver, startup.sh as the startup script) and a regional MIG
# that keeps the VMs running and replaces failed ones. Each VM runs one worker (startup.sh).
#   PROJECT=p REGION=us-central1 REDIS_URL=redis://10.0.0.3:6379 bash infra/gce/gpu-mig.sh   (DRY_RUN=1 prints only)
# Sizing: resize the group from the publisher's signal (docs/deploy.md, "GCE"):
#   gcloud compute instance-groups managed resize alto-gpu-workers --size=N --region=REGION
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
: "${REDIS_URL:?set REDIS_URL to the Redis of the fleet (infra/gce/memorystore.sh prints it)}"
: "${MACHINE_TYPE:=g2-standard-8}"
: "${GPU_TYPE:=nvidia-l4}"
: "${GPU_COUNT:=1}"
: "${WORKER_TAGS:=}"
: "${SIZE:=1}"
: "${TEMPLATE:=alto-gpu-worker-$(date +%Y%m%d-%H%M%S)}"
: "${GROUP:=alto-gpu-workers}"

# ';' separates the attributes (gcloud's ^;^ prefix), so the tags keep their commas.
metadata="^;^alto-redis-url=$REDIS_URL;alto-source=$ALTO_SOURCE;alto-accelerator=gpu;install-nvidia-driver=True"
[ -z "$WORKER_TAGS" ] || metadata="$metadata;alto-worker-tags=$WORKER_TAGS"

# A GPU VM cannot live-migrate: it stops on host maintenance (the worker drains on the way down).
run gcloud compute instance-templates create "$TEMPLATE" \
  --project="$PROJECT" --region="$REGION" --network="$NETWORK" --no-address \
  --machine-type="$MACHINE_TYPE" \
  --accelerator="type=$GPU_TYPE,count=$GPU_COUNT" --maintenance-policy=TERMINATE \
  --image-family=common-cu128-ubuntu-2204-nvidia-570 --image-project=deeplearning-platform-release \
  --boot-disk-size=100GB --boot-disk-type=pd-balanced \
  --scopes=cloud-platform \
  --metadata-from-file="startup-script=$here/startup.sh" \
  --metadata="$metadata"

if [ "${DRY_RUN:-0}" = 1 ] || ! gcloud compute instance-groups managed describe "$GROUP" --project="$PROJECT" --region="$REGION" >/dev/null 2>&1; then
  run gcloud compute instance-groups managed create "$GROUP" \
    --project="$PROJECT" --region="$REGION" --template="$TEMPLATE" --size="$SIZE" \
    --target-distribution-shape=any-single-zone --instance-redistribution-type=none
else
  # A new template rolls over the group one VM at a time; each old worker drains as it stops.
  run gcloud compute instance-groups managed rolling-action start-update "$GROUP" \
    --project="$PROJECT" --region="$REGION" --version="template=$TEMPLATE" --max-surge=1 --max-unavailable=0
fi
