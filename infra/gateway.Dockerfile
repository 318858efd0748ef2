# syntax=docker/dockerfile:1
# Alto gateway image. Build context: the repository root.
#   docker build -f infra/gateway.Dockerfile -t alto-gateway .
# The apps run from TypeScript sources through the tsx loader, so there is no compile step:
# tsx is a runtime dependency of the root package (not a devDependency), and the image is
# installed without dev dependencies (no vitest, eslint or typescript at run time).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: install the workspace from the lockfile -------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app

# Manifests first, so the install layer is reused until a dependency changes. npm ci needs every
# workspace's package.json to match package-lock.json, and the root postinstall
# (scripts/demo-models.mjs) needs scripts/.
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

# Dependencies only: tsx, the loader CMD imports, is one of them.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# The web console, built after the install so a change to it does not redo the install.
COPY apps/gateway/console/ ./apps/gateway/console/
RUN node scripts/build-console.mjs

# ---- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    ALTO_HOST=0.0.0.0
WORKDIR /app

COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY packages/ ./packages/
COPY apps/gateway/ ./apps/gateway/
COPY --from=deps /app/apps/gateway/console/dist ./apps/gateway/console/dist

# Files stay root-owned (read-only for the process); the app only writes to stdout and /tmp.
USER node
# 8001: the Open Inference Protocol's gRPC, when ALTO_GRPC_PORT=8001 (docker-compose.yml sets it).
EXPOSE 8080 8001

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

CMD ["node", "--import", "tsx", "apps/gateway/src/main.ts"]
