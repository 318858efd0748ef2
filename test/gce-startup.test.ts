// The worker VM's startup script (infra/gce/startup.sh), run for real in a fresh directory with
// its cloud-only steps skipped (ALTO_STARTUP_LOCAL=1: instance metadata from ALTO_METADATA_*
// variables, no apt, drivers, gcloud or systemd). The worker it starts joins a local fleet (a
// publisher and a gateway on the shared test redis-server) with the tags and Redis the metadata
// names, serves a prediction of a model only a worker with those tags may take, and drains on
// SIGTERM. The gcloud recipes beside it are checked in dry-run mode against what the script reads.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnProc, waitReady, type Proc } from '@alto/procs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminRequest } from './support/admin.ts';
import { ROOT, startGateway, startPublisher, testPrefix } from './support/fleet.ts';
import { expectClose, postJson, randomFloats } from './support/http.ts';
import { runDirect } from './support/ort.ts';
import { waitFor } from './support/wait.ts';

const SCRIPT = join(ROOT, 'infra/gce/startup.sh');

/** Runs startup.sh locally; `metadata` maps attribute names (alto-redis-url) to values. */
const startup = (dir: string, metadata: Record<string, string>): Proc =>
  spawnProc('bash', [SCRIPT], {
    name: 'startup.sh',
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ALTO_STARTUP_LOCAL: '1',
      ALTO_STARTUP_ROOT: join(dir, 'alto'),
      ALTO_STARTUP_SOURCE: ROOT,
      ...Object.fromEntries(
        Object.entries(metadata).map(([k, v]) => [`ALTO_METADATA_${k.toUpperCase().replaceAll('-', '_')}`, v]),
      ),
    },
  });

describe('GCE worker VM startup script', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('gcestartup');
  const dir = mkdtempSync(join(tmpdir(), 'alto-gce-'));
  const repo = join(dir, 'models');
  const procs: Proc[] = [];
  let publisher: Proc & { url: string };
  let gateway: Proc & { url: string };
  let worker: Proc;

  beforeAll(async () => {
    mkdirSync(join(repo, 'tiny'), { recursive: true });
    cpSync(join(ROOT, 'models/tiny'), join(repo, 'tiny'), { recursive: true });
    publisher = await startPublisher(redisUrl, prefix, { ALTO_ALLOWED_ROOTS: repo });
    procs.push(publisher);
    gateway = await startGateway(redisUrl, prefix, { ALTO_PUBLISHER_URL: publisher.url });
    procs.push(gateway);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a worker that joins the fleet with the metadata tags and serves a prediction', async () => {
    worker = startup(dir, {
      'alto-redis-url': redisUrl,
      'alto-prefix': prefix,
      'alto-accelerator': 'cpu',
      'alto-worker-tags': 'zone=gce-b,pool=vm',
      'alto-worker-env': [
        'ALTO_METRICS_PORT=0',
        'ALTO_INTRA_OP_THREADS=1',
        'ALTO_HEARTBEAT_MS=300',
        'ALTO_XLA_RUNTIME=off',
      ].join('\n'),
    });
    procs.push(worker);
    await waitReady(worker, /"worker ready"/, 90_000);

    // The environment it wrote, in the fresh directory it was given.
    const env = readFileSync(join(dir, 'alto/worker.env'), 'utf8');
    expect(env).toContain(`REDIS_URL=${redisUrl}\n`);
    expect(env).toContain('ALTO_WORKER_TAGS=zone=gce-b,pool=vm\n');

    // The publisher sees it, under the VM's name, with the tags from metadata.
    const id = execFileSync('hostname', ['-s'], { encoding: 'utf8' }).trim() || hostname();
    const seen = await waitFor(
      async () => {
        const { body } = await adminRequest(publisher.url, 'GET', '/workers');
        return (body.workers as { id: string; tags: Record<string, string>; accelerator: string }[]).find(
          (w) => w.id === id,
        );
      },
      { timeoutMs: 30_000, what: `worker ${id} in the publisher's listing` },
    );
    expect(seen.tags).toEqual({ zone: 'gce-b', pool: 'vm' });
    expect(seen.accelerator).toBe('cpu');

    // A model only a worker tagged zone=gce-b may serve: this worker must take it and answer.
    const published = await adminRequest(publisher.url, 'POST', '/models', {
      name: 'tiny',
      uri: join(repo, 'tiny'),
      constraints: { zone: 'gce-b' },
    });
    expect(published.status, JSON.stringify(published.body)).toBeLessThan(300);
    const x = randomFloats(64, 7);
    const input = { x: { datatype: 'FP32', shape: [1, 64], data: Array.from(x) } };
    const res = await waitFor(
      async () => {
        const r = await postJson(`${gateway.url}/v1/models/tiny/predictions`, { input }, { prefer: 'wait=20' });
        return r.status === 200 && r.body.status === 'succeeded' ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'a prediction of tiny served by the VM worker' },
    );
    expectClose(res.body.output.y.data, (await runDirect('tiny', 'x', x, [1, 64])).data);
  });

  it('drains and exits 0 on SIGTERM, as systemd stops it', async () => {
    expect(worker.gone()).toBe(false);
    expect(await worker.kill('SIGTERM')).toBe(0);
  });

  it('refuses to start without alto-redis-url, naming the attribute', async () => {
    const p = startup(mkdtempSync(join(dir, 'empty-')), { 'alto-accelerator': 'cpu' });
    procs.push(p);
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/instance metadata alto-redis-url is unset/);
  });
});

/** The commands a recipe prints with DRY_RUN=1, each split into its arguments. */
const dryRun = (script: string, env: Record<string, string>): string[][] =>
  execFileSync('bash', [join(ROOT, 'infra/gce', script)], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', DRY_RUN: '1', PROJECT: 'alto-test', ...env },
  })
    .split('\n')
    .filter((l) => l.startsWith('+ '))
    // printf %q quoting: every special character is backslash-escaped, none of the values has a space.
    .map((l) =>
      l
        .slice(2)
        .split(' ')
        .map((a) => a.replace(/\\(.)/g, '$1')),
    );

const flag = (args: string[], name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

describe('GCE recipes (dry run)', () => {
  // The attributes startup.sh reads: `metadata alto-…` calls.
  const read = new Set([...readFileSync(SCRIPT, 'utf8').matchAll(/\bmetadata (alto-[a-z-]+)/g)].map((m) => m[1]));
  // Read by the Deep Learning VM image itself, not by Alto.
  const imageAttributes = new Set(['install-nvidia-driver']);

  it.each([
    ['gpu-mig.sh', 'gpu'],
    ['tpu-vm.sh', 'tpu'],
  ])('%s passes startup.sh, the Redis, the accelerator and tags as metadata it reads', (script, accelerator) => {
    const [create] = dryRun(script, { REDIS_URL: 'redis://10.0.0.3:6379', WORKER_TAGS: 'zone=b,pool=batch' });
    expect(create).toBeDefined();
    const startupScript = flag(create!, 'metadata-from-file');
    expect(startupScript).toMatch(/^startup-script=/);
    expect(existsSync(startupScript!.slice('startup-script='.length))).toBe(true);
    const raw = flag(create!, 'metadata')!;
    expect(raw.startsWith('^;^')).toBe(true);
    const attrs = Object.fromEntries(
      raw
        .slice(3)
        .split(';')
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    expect(attrs).toMatchObject({
      'alto-redis-url': 'redis://10.0.0.3:6379',
      'alto-accelerator': accelerator,
      'alto-worker-tags': 'zone=b,pool=batch',
    });
    for (const key of Object.keys(attrs)) expect(read.has(key) || imageAttributes.has(key), key).toBe(true);
  });

  it('memorystore.sh creates Redis with noeviction, as Alto requires', () => {
    const [create] = dryRun('memorystore.sh', {});
    expect(create!.slice(0, 4)).toEqual(['gcloud', 'redis', 'instances', 'create']);
    expect(flag(create!, 'redis-config')).toBe('maxmemory-policy=noeviction');
  });
});
