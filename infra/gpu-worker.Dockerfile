# syntax=docker/dockerfile:1
# Alto GPU worker image: the worker of infra/worker.Dockerfile on a CUDA 13 + cuDNN 9 base, with
# ONNX Runtime's GPU build (scripts/install-onnxruntime-gpu.sh) in /opt/onnxruntime-gpu and
# ALTO_EXECUTION_PROVIDER=cuda. Build context: the repository root.
#   docker build -f infra/gpu-worker.Dockerfile -t alto-gpu-worker .
#   docker run --gpus all -e REDIS_URL=redis://... alto-gpu-worker   # one GPU per worker: --gpus device=0
# The host needs the NVIDIA driver (>= 580, CUDA 13) and the NVIDIA Container Toolkit, which mounts
# the driver's libcuda.so.1 into the container. Without a GPU the worker stops at start with one
# line saying what is missing (docs/accelerators.md, "ONNX Runtime on GPU").
# CUDA 13, not 12: onnxruntime-gpu 1.30.0 on PyPI links libcudart.so.13 and libcublas.so.13.

ARG NODE_IMAGE=node:20-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04

FROM ${NODE_IMAGE} AS node

# ---- deps: install the workspace from the lockfile (as infra/worker.Dockerfile) -----------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY scripts/ ./scripts/
COPY apps/cli/package.json ./apps/cli/
COPY apps/dispatcher/package.json ./apps/dispatcher/
COPY apps/fleet/package.json ./apps/fleet/
COPY apps/gateway/package.json ./apps/gateway/
COPY apps/publisher/package.json ./apps/publisher/
COPY apps/worker/package.json ./apps/worker/
COPY packages/batches/package.json ./packages/batches/
COPY packages/client/package.json ./packages/client/
COPY packages/config/package.json ./packages/config/
COPY packages/control/package.json ./packages/control/
COPY packages/procs/package.json ./packages/procs/
COPY packages/protocol/package.json ./packages/protocol/
COPY packages/queue/package.json ./packages/queue/
COPY packages/repository/package.json ./packages/repository/
COPY packages/runtime/package.json ./packages/runtime/
COPY packages/telemetry/package.json ./packages/telemetry/
COPY packages/webhooks/package.json ./packages/webhooks/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund && mkdir -p models

# ---- ort-gpu: the GPU build of the onnxruntime-node version in package-lock.json -----------------
# The CUDA runtime and cuDNN come from the base image, so no --cuda here (that adds ~1.3 GB of
# nvidia-* wheels; use it on a base without CUDA).
FROM deps AS ort-gpu
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip \
    && rm -rf /var/lib/apt/lists/*
RUN --mount=type=cache,target=/root/.cache/pip \
    bash scripts/install-onnxruntime-gpu.sh --dir /opt/onnxruntime-gpu

# ---- runtime ----------------------------------------------------------------------------------
FROM ${CUDA_IMAGE} AS runtime
# Node's own binary: linked against glibc and libstdc++ only, which the Ubuntu base has.
COPY --from=node /usr/local/bin/node /usr/local/bin/node
RUN groupadd --system node && useradd --system --gid node --home-dir /app node
ENV NODE_ENV=production \
    ALTO_HOST=0.0.0.0 \
    ALTO_METRICS_PORT=9464 \
    ALTO_EXECUTION_PROVIDER=cuda \
    ALTO_ONNXRUNTIME_DIR=/opt/onnxruntime-gpu \
    ALTO_ACCELERATOR=gpu \
    ALTO_CACHE_DIR=/tmp/alto-cache \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
WORKDIR /app

COPY --from=ort-gpu /opt/onnxruntime-gpu /opt/onnxruntime-gpu
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/models ./models
COPY models/ ./models/
COPY package.json package-lock.json tsconfig.json ./
COPY packages/ ./packages/
COPY apps/worker/ ./apps/worker/

USER node
EXPOSE 9464

HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.ALTO_METRICS_PORT||9464)+'/healthz',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "apps/worker/src/main.ts"]
