#!/usr/bin/env bash
# Memorystore for Redis, the fleet's Redis in production: Standard tier (a replica in another
# zone, automatic failover), `maxmemory-policy noeviction` as Alto requires (an evicted stream
# entry would be an accepted request lost), RDB snapshots for restarts. Prints the REDIS_URL.
#   PROJECT=p REGION=us-central1 SIZE_GB=16 bash infra/gce/memorystore.sh      (DRY_RUN=1 prints only)
# Sizing: docs/deploy.md. Memorystore for Redis Cluster (gcloud redis clusters create) is the
# choice past one instance's memory or throughput; set ALTO_REDIS_CLUSTER=true then.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
: "${REDIS_INSTANCE:=alto-redis}"
: "${SIZE_GB:=16}"

run gcloud redis instances create "$REDIS_INSTANCE" \
  --project="$PROJECT" --region="$REGION" --network="$NETWORK" \
  --tier=standard --size="$SIZE_GB" --redis-version=redis_7_2 \
  --redis-config=maxmemory-policy=noeviction \
  --persistence-mode=rdb --rdb-snapshot-period=1h
if [ "${DRY_RUN:-0}" != 1 ]; then
  host="$(gcloud redis instances describe "$REDIS_INSTANCE" --project="$PROJECT" --region="$REGION" --format='value(host)')"
  port="$(gcloud redis instances describe "$REDIS_INSTANCE" --project="$PROJECT" --region="$REGION" --format='value(port)')"
  echo "REDIS_URL=redis://$host:$port"
fi
