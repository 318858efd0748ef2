// `npm start`: the whole fleet on one machine — Redis (unless REDIS_URL is set), the
// publisher, the gateway (which also serves the admin API under /v1/admin), workers and the
// webhook dispatcher — publishes the demo repository's models through the admin API, and
// prints one ready line once the ONNX models are served. XLA models (model.jax) follow once
// the XLA runtime is installed, which happens on first use in the background (xla-install.ts).
// Ctrl-C stops everything: workers drain first, then the gateway, publisher and dispatcher,
// then Redis.
import { envOrExit } from '@alto/config';
import { fileURLToPath } from 'node:url';
import { PortInUseError, spawnProc, type Proc, type RedisServer } from '@alto/procs';
import { createLogger } from '@alto/telemetry';
import { generateSecret } from '@alto/webhooks';
import { chooseVersion, formatOf, listModelFolders, openSource, type ModelFormat } from '@alto/repository';
import { adminToken, waitLeader } from './admin.ts';
import { DISPATCHER_VARS, GATEWAY_VARS, PUBLISHER_VARS, WORKER_VARS, childEnv, loadEnv } from './env.ts';
import { WorkerAutoscaler } from './autoscaler.ts';
import { fleetPorts } from './ports.ts';
import { RedisDirInUseError, claimRedisDir, startLocalRedis } from './redis.ts';
import { fleetRedisUsers } from './redis-users.ts';
import { installXlaRuntime, type XlaInstall } from './xla-install.ts';
import { buildMiniLm, miniLmRoot, publishMiniLm, type MiniLmBuild } from './minilm.ts';

const env = envOrExit('fleet', () => loadEnv());
const log = createLogger({ name: 'fleet', level: env.ALTO_LOG_LEVEL });
const root = fileURLToPath(new URL('../../../', import.meta.url));
const entry = (app: string) => fileURLToPath(new URL(`../../${app}/src/main.ts`, import.meta.url));

let redis: RedisServer | undefined;
const children: Proc[] = [];
let stopping = false;
let xlaInstall: XlaInstall | undefined;
let autoscaler: WorkerAutoscaler | undefined;
let minilm: MiniLmBuild | undefined;

function start(name: string, app: string, vars: readonly string[], extra: Record<string, string>): Proc {
  const proc = spawnProc(process.execPath, ['--import', 'tsx', entry(app)], {
    name,
    cwd: root,
    env: childEnv(process.env, vars, extra),
    stdio: 'inherit',
    // Own process group: a terminal's Ctrl-C reaches only the launcher, which stops the
    // children in order (workers drain while Redis is still up).
    detached: true,
  });
  void proc.exited.then((code) => {
    if (autoscaler?.retired(proc)) {
      children.splice(children.indexOf(proc), 1);
      return;
    }
    if (!stopping) {
      log.error({ child: name, code, signal: proc.child.signalCode }, `${name} exited; stopping the fleet`);
      void stop(1);
    }
  });
  children.push(proc);
  return proc;
}

async function stop(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => {});
  stopping = true;
  xlaInstall?.stop();
  minilm?.stop();
  autoscaler?.stop();
  log.info('stopping: workers drain, then the gateway, publisher and dispatcher, then Redis');
  const workers = children.filter((c) => c.name.startsWith('worker'));
  await Promise.all(workers.map((w) => w.kill('SIGTERM')));
  await Promise.all(children.filter((c) => !c.name.startsWith('worker')).map((c) => c.kill('SIGTERM')));
  await redis?.proc.kill('SIGTERM');
  releaseRedisDir?.();
  log.info(code === 0 ? 'Alto stopped cleanly' : 'Alto stopped after a failure');
  process.exit(code);
}

// If the launcher itself dies, take the children with it.
process.on('exit', () => {
  xlaInstall?.stop();
  minilm?.stop();
  for (const c of children) c.child.kill('SIGKILL');
  redis?.child.kill('SIGKILL');
  releaseRedisDir?.();
});
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

/** Each model folder's format (onnx when it has no complete version yet: it counts as before). */
async function formatsOf(repository: string): Promise<Map<string, ModelFormat>> {
  const out = new Map<string, ModelFormat>();
  for (const { name, uri } of await listModelFolders(repository)) {
    const chosen = await chooseVersion(openSource(uri), name).catch(() => undefined);
    out.set(name, chosen ? formatOf(chosen.checkpoint.uri) : 'onnx');
  }
  return out;
}

/** Logs once when the XLA models are served too (they follow the runtime's install and compile). */
async function announceXla(url: string, names: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!stopping && Date.now() < deadline) {
    const res = await fetch(`${url}/v1/models`).catch(() => undefined);
    const body = res?.ok ? ((await res.json()) as { models: { name: string; ready_replicas: number }[] }) : undefined;
    const ready = new Set(body?.models.filter((m) => m.ready_replicas > 0).map((m) => m.name));
    if (names.every((n) => ready.has(n))) {
      log.info({ models: names }, 'XLA models ready');
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Waits for `models` models with a ready replica, or only listed (`listed`: autoscaling may hold them at zero). */
async function waitReady(url: string, models: number, timeoutMs: number, listed = false): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/v1/models`);
      if (res.ok) {
        const body = (await res.json()) as { models: { name: string; ready_replicas: number }[] };
        const ready = body.models.filter((m) => listed || m.ready_replicas > 0).map((m) => m.name);
        if (ready.length >= models && ready.length > 0) return ready;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the fleet was not ready within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Fixed ports and the Redis data directory first, so a second fleet on this machine stops
// here with one line, not with a child's EADDRINUSE stack trace after Redis and the publisher
// have started (or with two redis-servers appending to one AOF).
const host = process.env.ALTO_HOST ?? '127.0.0.1';
let releaseRedisDir: (() => void) | undefined;
const ports = await (async () => {
  const ports = await fleetPorts(process.env, host);
  if (!env.REDIS_URL) releaseRedisDir = claimRedisDir(env.ALTO_REDIS_DIR);
  return ports;
})().catch((err: unknown) => {
  if (!(err instanceof PortInUseError || err instanceof RedisDirInUseError)) throw err;
  process.stderr.write(`alto fleet: ${err.message}\n`);
  process.exit(1);
});

try {
  let redisUrl = env.REDIS_URL;
  if (!redisUrl) {
    redis = await startLocalRedis(env.ALTO_REDIS_DIR, env.ALTO_REDIS_PORT, log);
    redisUrl = redis.url;
    redis.child.once('exit', (code) => {
      if (!stopping) {
        log.error({ code }, 'redis-server exited; stopping the fleet');
        void stop(1);
      }
    });
  }
  const port = ports.gateway;
  const repository = env.ALTO_MODEL_REPOSITORY ?? `${root}models`;
  // The demo repository also gets minilm, built once under .alto/models (apps/fleet/src/minilm.ts).
  const demo = env.ALTO_MODEL_REPOSITORY === undefined;
  if (demo) minilm = buildMiniLm(root, log);
  const allowedRoots = process.env.ALTO_ALLOWED_ROOTS ?? (demo ? `${repository},${miniLmRoot(root)}` : repository);
  const common = { REDIS_URL: redisUrl, ALTO_LOG_LEVEL: env.ALTO_LOG_LEVEL };
  // Its own Redis: one ACL user per role, each process connecting as its own (docs/security.md).
  const roleUrls = redis ? await fleetRedisUsers(redisUrl, process.env.ALTO_PREFIX ?? 'alto') : undefined;
  const token = await adminToken(process.env.ALTO_ADMIN_TOKEN, `${root}.alto/admin-token`);
  const adminPort = ports.admin;
  const publisherUrl = `http://127.0.0.1:${adminPort}`;
  start('publisher', 'publisher', PUBLISHER_VARS, {
    ...common,
    REDIS_URL: roleUrls?.publisher ?? redisUrl,
    ALTO_ADMIN_TOKEN: token.value,
    ALTO_ADMIN_PORT: adminPort,
    ALTO_ADMIN_HOST: '127.0.0.1',
    ALTO_ALLOWED_ROOTS: allowedRoots,
    ALTO_PUBLISH_ON_START: repository,
    ALTO_PUBLISHER_ID: process.env.ALTO_PUBLISHER_ID ?? 'local-publisher',
  });
  start('gateway', 'gateway', GATEWAY_VARS, {
    ...common,
    REDIS_URL: roleUrls?.gateway ?? redisUrl,
    PORT: port,
    ALTO_GRPC_PORT: ports.grpc,
    ALTO_HOST: host,
    ALTO_PUBLISHER_URL: publisherUrl,
  });
  const startWorker = (i: number) =>
    start(`worker-${i}`, 'worker', WORKER_VARS, {
      ...common,
      REDIS_URL: roleUrls?.worker ?? redisUrl,
      ALTO_WORKER_ID: process.env.ALTO_WORKER_ID ?? `local-${i}`,
      ALTO_CACHE_DIR: process.env.ALTO_CACHE_DIR ?? `${root}.alto/cache`,
      ALTO_ALLOWED_ROOTS: allowedRoots,
      ALTO_METRICS_PORT: i === 1 ? ports.metrics : '0',
    });
  if (env.autoscale) {
    // Workers follow the publisher's scaling signal within [min, max] (docs/autoscaling.md).
    autoscaler = new WorkerAutoscaler({ ...env.autoscale, publisherUrl, token: token.value, spawn: startWorker, log });
  } else {
    for (let i = 1; i <= env.ALTO_WORKERS; i++) startWorker(i);
  }
  // Webhook deliveries are signed with ALTO_WEBHOOK_SECRET; one is made up for this run when unset.
  const secret = process.env.ALTO_WEBHOOK_SECRET || generateSecret();
  start('dispatcher', 'dispatcher', DISPATCHER_VARS, {
    ...common,
    REDIS_URL: roleUrls?.dispatcher ?? redisUrl,
    ALTO_WEBHOOK_SECRET: secret,
    ALTO_DISPATCHER_ID: process.env.ALTO_DISPATCHER_ID ?? 'local-1',
    ALTO_METRICS_PORT: '0',
  });
  const secretNote = process.env.ALTO_WEBHOOK_SECRET
    ? 'the ALTO_WEBHOOK_SECRET you set'
    : `ALTO_WEBHOOK_SECRET=${secret} (made up for this run; set it to keep one)`;
  const base = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  await waitLeader(publisherUrl, 60_000);
  autoscaler?.start();
  void minilm?.done.then(async (dir) => {
    if (dir && !stopping && (await publishMiniLm(publisherUrl, token.value, dir, log))) {
      log.info({ model: 'minilm', uri: dir }, 'minilm published (sentence embeddings: POST /v1/models/minilm/embed)');
    }
  });
  const formats = await formatsOf(repository);
  const xlaModels = [...formats].filter(([, f]) => f === 'xla').map(([name]) => name);
  // The ONNX models are what the ready line waits for; XLA models need the runtime first.
  const models = await waitReady(base, formats.size - xlaModels.length, 120_000, autoscaler !== undefined);
  const xlaOff = process.env.ALTO_XLA_RUNTIME === 'off';
  // A venv of one's own (ALTO_XLA_VENV) is the operator's to install.
  if (xlaModels.length > 0 && !xlaOff && !process.env.ALTO_XLA_VENV) {
    xlaInstall = installXlaRuntime(root, log);
    void xlaInstall.done.then((ok) => (ok ? announceXla(base, xlaModels, 300_000) : undefined));
  }
  const pending = xlaModels.filter((m) => !models.includes(m));
  const xlaNote =
    pending.length === 0
      ? ''
      : xlaOff
        ? `XLA models (${pending.join(', ')}) are not served: ALTO_XLA_RUNTIME=off.\n`
        : `XLA models (${pending.join(', ')}) follow once the XLA runtime is installed and compiled (docs/accelerators.md).\n`;
  const tiny = JSON.stringify({
    input: { x: { datatype: 'FP32', shape: [1, 64], data: Array.from({ length: 64 }, () => 0.5) } },
  });
  const curl = `curl -s -H 'Content-Type: application/json' -H 'Prefer: wait'`;
  const tokenNote = token.generated
    ? 'admin token generated into .alto/admin-token'
    : 'admin token from ALTO_ADMIN_TOKEN';
  log.info({ url: base, models }, 'fleet ready');
  console.log(
    `\nAlto is ready on ${base} serving ${models.join(', ')}. Try:\n` +
      `  ${curl} --data '${tiny}' ${base}/v1/models/tiny/predictions\n` +
      `  ${curl} --data @examples/textdir.json ${base}/v1/models/textdir/predictions\n` +
      (demo
        ? `  ${curl} --data '{"texts": ["a cat sits", "a kitten sits"]}' ${base}/v1/models/minilm/embed` +
          ` (minilm follows once built; docs/text-models.md)\n`
        : '') +
      `Open Inference Protocol (Triton clients): REST ${base}/v2, gRPC ${new URL(base).hostname}:${ports.grpc} ` +
      `(docs/protocols.md).\n` +
      `Admin API and CLI: npx alto ls, npx alto workers (ALTO_URL=${base}; ${tokenNote}).\n` +
      `Web console: ${base}/console/ (log in with the admin token).\n` +
      `Webhooks (docs/webhooks.md) are signed with ${secretNote}.\n` +
      xlaNote +
      `Ctrl-C stops everything.\n`,
  );
} catch (err) {
  log.fatal({ err }, 'the fleet failed to start');
  await stop(1);
}
