# syntax=docker/dockerfile:1
# Alto TPU worker image: the worker of infra/worker.Dockerfile plus the XLA runtime (runtimes/xla)
# in /app/.alto/xla-venv with jax[tpu] (libtpu), for a Cloud TPU VM. Build context: the repository root.
#   docker build -f infra/tpu-worker.Dockerfile -t alto-tpu-worker .
#   docker run --privileged --net host -e REDIS_URL=redis://... alto-tpu-worker
# A TPU VM exposes its chips as /dev/accel* (or /dev/vfio); libtpu needs them, hence --privileged
# (or --device for each) and host networking for multi-chip hosts. ONNX models still run on the
# host's CPUs through onnxruntime-node; XLA models run on the TPU (docs/accelerators.md).

ARG NODE_IMAGE=node:20-bookworm-slim
# jax==0.10.2 (runtimes/xla/pyproject.toml) publishes wheels for Python 3.11-3.13.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

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

# ---- runtime ----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# Node's own binary from the same Debian release (bookworm): glibc and libstdc++ match.
COPY --from=node /usr/local/bin/node /usr/local/bin/node
RUN groupadd --system node && useradd --system --gid node --home-dir /app node
ENV NODE_ENV=production \
    ALTO_HOST=0.0.0.0 \
    ALTO_METRICS_PORT=9464 \
    ALTO_ACCELERATOR=tpu \
    ALTO_CACHE_DIR=/tmp/alto-cache
WORKDIR /app

# The XLA runtime, installed the way `npm start` installs it (pins and constraints included), then
# the TPU plugin for the same jax pin. The install is editable: runtimes/xla stays in the image.
COPY runtimes/xla/ ./runtimes/xla/
COPY scripts/install-xla-runtime.sh ./scripts/
RUN --mount=type=cache,target=/root/.cache/pip \
    bash scripts/install-xla-runtime.sh \
    && jax_pin="$(sed -n 's/^ *"jax==\([^"]*\)".*/\1/p' runtimes/xla/pyproject.toml)" \
    && .alto/xla-venv/bin/python -m pip install -c runtimes/xla/requirements.lock "jax[tpu]==${jax_pin}" \
    && touch .alto/xla-venv.lock && chown node:node .alto/xla-venv.lock
# (jax[tpu]==0.10.2 resolves to libtpu 0.0.42.1.) The script picks the same python3.11 at run time,
# so a worker that runs it on start (as `npm start` does) finds the install current and only takes
# its lock: that file is the one thing it writes, hence node owns it.

COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/models ./models
COPY models/ ./models/
COPY package.json package-lock.json tsconfig.json ./
COPY packages/ ./packages/
COPY apps/worker/ ./apps/worker/
COPY scripts/ ./scripts/

USER node
EXPOSE 9464

HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.ALTO_METRICS_PORT||9464)+'/healthz',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "apps/worker/src/main.ts"]
