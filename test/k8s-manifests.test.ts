// The Kubernetes manifests (infra/k8s) without a cluster: the Go validator (infra/validate)
// renders base/ and every overlay with kustomize's library and decodes each object strictly into
// its k8s.io/api or KEDA type, failing on any unknown field; then these tests hold what the
// manifests name against the code: each app's environment parses under its own env schema, ports
// match the env and the Dockerfiles, probes hit routes the apps serve, the ScaledObjects poll the
// publisher's scaling route for the pool their workers form, the worker's grace outlasts its drain,
// and every container runs as non-root on a read-only root filesystem.
// Needs Go (skipped, saying so, without it); the first build downloads modules (minutes).
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from '@alto/config';
import * as control from '@alto/control';
import { DispatcherEnvSchema } from '@alto/dispatcher/env';
import { GatewayEnvSchema } from '@alto/gateway/env';
import { PublisherEnvSchema } from '@alto/publisher/env';
import { WorkerEnvSchema } from '@alto/worker/env';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ROOT } from './support/fleet.ts';
import {
  buildValidator,
  bytesOf,
  goVersion,
  podSpecs,
  readRenderings,
  validate,
  type Container,
  type K8sObject,
} from './support/k8s.ts';

const K8S = join(ROOT, 'infra/k8s');
const go = goVersion();
if (!go) console.warn('k8s-manifests: skipped, `go` is not on PATH (install Go to validate infra/k8s)');

/** Which app each image runs, its env schema, the variable of its one port, and its Dockerfile. */
const APPS: Record<string, { app: string; schema: z.ZodObject; portVar: string; dockerfile: string }> = {
  'alto-gateway': { app: 'gateway', schema: GatewayEnvSchema, portVar: 'PORT', dockerfile: 'gateway' },
  'alto-publisher': {
    app: 'publisher',
    schema: PublisherEnvSchema,
    portVar: 'ALTO_ADMIN_PORT',
    dockerfile: 'publisher',
  },
  'alto-dispatcher': {
    app: 'dispatcher',
    schema: DispatcherEnvSchema,
    portVar: 'ALTO_METRICS_PORT',
    dockerfile: 'dispatcher',
  },
  'alto-worker': { app: 'worker', schema: WorkerEnvSchema, portVar: 'ALTO_METRICS_PORT', dockerfile: 'worker' },
  'alto-gpu-worker': { app: 'worker', schema: WorkerEnvSchema, portVar: 'ALTO_METRICS_PORT', dockerfile: 'gpu-worker' },
  'alto-tpu-worker': { app: 'worker', schema: WorkerEnvSchema, portVar: 'ALTO_METRICS_PORT', dockerfile: 'tpu-worker' },
};
const imageName = (image: string) => image.replace(/:[^/]*$/, '');

/**
 * The autoscaling signal's names (the publisher's scaling route, its JSON field, gauges and env),
 * which the manifests and docs use; checked against the code in their own test below.
 */
const SCALING = {
  env: ['ALTO_SCALE_TARGET_DRAIN_S', 'ALTO_SCALE_IDLE_S'],
  route: '/v1/admin/scaling/pools/',
  field: 'desired_workers',
  gauges: ['alto_pool_desired_workers', 'alto_pool_workers', 'alto_pool_backlog', 'alto_pool_arrival_rate'],
};

/**
 * A worker pool's name: its kind when it has no tags, else `<kind>-<key>-<value>-…`, tags sorted by
 * key, lowercased, every other character than [a-z0-9-] turned into `-`. The control package's own
 * `poolName` decides where it exports one; this copy of the rule stands in where it does not yet.
 */
const codePoolName = (control as Record<string, unknown>).poolName as
  ((kind: string, tags: Record<string, string>) => string) | undefined;
const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]/g, '-');
const poolName =
  codePoolName ??
  ((kind: string, tags: Record<string, string>) =>
    [
      clean(kind),
      ...Object.keys(tags)
        .sort()
        .map((k) => `${clean(k)}-${clean(tags[k]!)}`),
    ].join('-'));
const poolOf = (env: Record<string, string>): string => {
  const tags = Object.fromEntries(
    (env.ALTO_WORKER_TAGS ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  );
  return poolName(env.ALTO_ACCELERATOR ?? 'cpu', tags);
};

/** Every .ts file under `dir`, tests left out, concatenated. */
const sources = (dir: string): string =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');

describe.skipIf(!go)('Kubernetes manifests (infra/k8s)', () => {
  const out = mkdtempSync(join(tmpdir(), 'alto-k8s-'));
  let rendered: Map<string, K8sObject[]>;
  let first: { status: number; stdout: string; stderr: string };

  beforeAll(async () => {
    await buildValidator();
    first = validate(K8S, out);
    rendered = readRenderings(out);
  }, 1_800_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const all = () => [...rendered.entries()];
  /** The environment a container gets: its ConfigMaps' data, then its own env, secrets as placeholders. */
  const envOf = (objects: K8sObject[], c: Container): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const from of c.envFrom ?? []) {
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef?.name);
      Object.assign(env, cm?.data ?? {});
    }
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.fieldRef) env[e.name] = 'alto-worker-cpu-5d8f9c7b6-x2x7q';
      else if (e.valueFrom?.secretKeyRef) env[e.name] = 'secret-placeholder-0123456789abcdef';
    }
    return env;
  };
  const containers = (objects: K8sObject[]) =>
    podSpecs(objects).flatMap(({ owner, spec }) => spec.containers.map((c) => ({ owner, spec, c })));

  it('renders base and every overlay, each object decoding strictly into its API type', () => {
    expect(first.status, first.stderr).toBe(0);
    expect([...rendered.keys()]).toEqual(['base', 'cpu', 'cpu-gpu', 'gpu', 'redis', 'tpu']);
    for (const [name, objects] of all()) {
      expect(first.stdout).toContain(`${name}: ${objects.length} objects, all valid`);
    }
  });

  it('refuses a misspelt field in a Kubernetes object and in a KEDA object, naming it', () => {
    const copy = mkdtempSync(join(tmpdir(), 'alto-k8s-typo-'));
    try {
      cpSync(K8S, copy, { recursive: true });
      const edit = (file: string, from: string, to: string) => {
        const text = readFileSync(join(copy, file), 'utf8');
        expect(text).toContain(from);
        writeFileSync(join(copy, file), text.replace(from, to));
      };
      edit('worker/deployment.yaml', 'terminationGracePeriodSeconds:', 'terminationGracePeriodSecond:');
      edit('worker/scaled-object.yaml', 'minReplicaCount:', 'minReplicaCounts:');
      edit('worker/scaled-object.yaml', 'valueLocation:', 'valueLocaton:');
      edit('worker/scaled-object.yaml', 'behavior: currentReplicasIfHigher', 'behavior: currentReplicaIfHigher');
      const r = validate(copy, join(copy, 'out'));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /Deployment alto-worker-cpu: .*unknown field "spec.template.spec.terminationGracePeriodSecond"/,
      );
      expect(r.stderr).toMatch(/ScaledObject alto-worker-cpu: .*unknown field "spec.minReplicaCounts"/);
      // Trigger metadata is a free-form map to Kubernetes; KEDA would silently ignore the typo.
      expect(r.stderr).toMatch(/metrics-api trigger metadata valueLocaton: keys KEDA does not read/);
      // An enum of KEDA's CRD that its Go type leaves a plain string.
      expect(r.stderr).toMatch(/fallback.behavior "currentReplicaIfHigher": not one of KEDA's/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('gives each app only variables its env schema knows, with values it accepts', () => {
    for (const [name, objects] of all()) {
      for (const { owner, c } of containers(objects)) {
        const app = APPS[imageName(c.image)];
        if (!app) continue; // redis
        const env = envOf(objects, c);
        for (const v of SCALING.env) delete env[v]; // checked with the scaling names below
        expect(() => parseEnv(app.schema, env), `${name}: ${owner}`).not.toThrow();
      }
    }
  });

  it('opens the port each app listens on (its env, its Dockerfile) and probes routes it serves', () => {
    for (const [name, objects] of all()) {
      for (const { owner, c } of containers(objects)) {
        const app = APPS[imageName(c.image)];
        if (!app) continue;
        const where = `${name}: ${owner}`;
        const env = envOf(objects, c);
        expect(c.ports, where).toHaveLength(1);
        const port = c.ports![0]!;
        expect(String(port.containerPort), where).toBe(env[app.portVar]);
        const dockerfile = readFileSync(join(ROOT, `infra/${app.dockerfile}.Dockerfile`), 'utf8');
        expect(dockerfile, where).toMatch(new RegExp(`^EXPOSE ${port.containerPort}$`, 'm'));
        const code = sources(join(ROOT, `apps/${app.app}/src`));
        expect(c.livenessProbe?.httpGet, where).toBeDefined();
        expect(c.readinessProbe?.httpGet, where).toBeDefined();
        for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
          if (!probe) continue;
          expect(code, `${where}: probe path`).toContain(`'${probe.httpGet!.path}'`);
          expect(probe.httpGet!.port, where).toBe(port.name);
        }
      }
    }
  });

  it("tells Prometheus the worker's metrics port and path, as the worker serves them", () => {
    let scraped = 0;
    for (const [name, objects] of all()) {
      for (const d of objects.filter((o) => o.kind === 'Deployment')) {
        const annotations: Record<string, string> = d.spec.template.metadata.annotations ?? {};
        if (annotations['prometheus.io/scrape'] !== 'true') continue;
        const c = d.spec.template.spec.containers[0] as Container;
        const where = `${name}: Deployment ${d.metadata.name}`;
        scraped++;
        expect(annotations['prometheus.io/port'], where).toBe(envOf(objects, c).ALTO_METRICS_PORT);
        expect(sources(join(ROOT, 'apps/worker/src')), where).toContain(`'${annotations['prometheus.io/path']}'`);
      }
    }
    expect(scraped).toBeGreaterThanOrEqual(5); // the worker pools of cpu, gpu, tpu and cpu-gpu
  });

  it('points the gateway at the publisher Service and the fleet at the trial Redis', () => {
    const [base, redis] = [rendered.get('base')!, rendered.get('redis')!];
    const gateway = containers(base).find(({ c }) => imageName(c.image) === 'alto-gateway')!.c;
    const publisherUrl = new URL(envOf(base, gateway).ALTO_PUBLISHER_URL!);
    const svc = base.find((o) => o.kind === 'Service' && o.metadata.name === publisherUrl.hostname)!;
    expect(svc, publisherUrl.hostname).toBeDefined();
    const publisher = containers(base).find(({ c }) => imageName(c.image) === 'alto-publisher')!.c;
    expect(svc.spec.ports[0].port).toBe(Number(publisherUrl.port));
    expect(svc.spec.ports[0].targetPort).toBe(publisher.ports![0]!.name);

    const settings = base.find((o) => o.kind === 'ConfigMap')!.data!;
    const redisUrl = new URL(settings.REDIS_URL!);
    const redisSvc = redis.find((o) => o.kind === 'Service' && o.metadata.name === redisUrl.hostname)!;
    expect(redisSvc, redisUrl.hostname).toBeDefined();
    expect(redisSvc.spec.ports[0].port).toBe(Number(redisUrl.port));
    const args: string[] = redis.find((o) => o.kind === 'StatefulSet')!.spec.template.spec.containers[0].args;
    expect(args.join(' ')).toContain('--maxmemory-policy noeviction');
    expect(args.join(' ')).toContain('--appendonly yes');
  });

  it("scales each worker pool from zero on the publisher's signal for that pool, with the admin token", () => {
    for (const [name, objects] of all()) {
      const publisher = containers(objects).find(({ c }) => imageName(c.image) === 'alto-publisher');
      for (const so of objects.filter((o) => o.kind === 'ScaledObject')) {
        const where = `${name}: ScaledObject ${so.metadata.name}`;
        expect(so.spec.minReplicaCount, where).toBe(0);
        const target = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === so.spec.scaleTargetRef.name)!;
        const worker = target.spec.template.spec.containers[0] as Container;
        const [trigger] = so.spec.triggers;
        expect(trigger.type).toBe('metrics-api');
        const url = new URL(trigger.metadata.url);
        expect(url.pathname, where).toBe(`${SCALING.route}${poolOf(envOf(objects, worker))}`);
        expect(trigger.metadata.valueLocation).toBe(SCALING.field);
        expect(trigger.metadata.authMode).toBe('bearer');
        // The Service in the URL is the publisher's, in this namespace, on its admin port.
        expect(url.hostname, where).toBe(`alto-publisher.${so.metadata.namespace}.svc`);
        if (!publisher) continue; // a pool rendered without the control plane
        const pubEnv = envOf(objects, publisher.c);
        const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'alto-publisher')!;
        expect(Number(url.port)).toBe(svc.spec.ports[0].port);
        expect(svc.spec.ports[0].port).toBe(Number(pubEnv.ALTO_ADMIN_PORT));
        // KEDA's token is the one the publisher checks.
        const auth = objects.find(
          (o) => o.kind === 'TriggerAuthentication' && o.metadata.name === trigger.authenticationRef.name,
        )!;
        const tokenRef = publisher.c.env!.find((e) => e.name === 'ALTO_ADMIN_TOKEN')!.valueFrom!.secretKeyRef!;
        expect(auth.spec.secretTargetRef).toEqual([{ parameter: 'token', name: tokenRef.name, key: tokenRef.key }]);
      }
    }
    // The example docs/deploy.md gives of a pool with tags.
    expect(poolOf({ ALTO_ACCELERATOR: 'gpu', ALTO_WORKER_TAGS: 'team=ml' })).toBe('gpu-team-ml');
    const pools = [...rendered.get('cpu-gpu')!.filter((o) => o.kind === 'ScaledObject')].map((o) => o.metadata.name);
    expect(pools).toEqual(['alto-worker-cpu', 'alto-worker-gpu']);
  });

  it('gives workers a grace period beyond their drain and a preStop that drains', () => {
    for (const [name, objects] of all()) {
      for (const { owner, spec, c } of containers(objects)) {
        if (APPS[imageName(c.image)]?.app !== 'worker') continue;
        const where = `${name}: ${owner}`;
        const env = envOf(objects, c);
        const drainMs = Number(
          env.ALTO_SHUTDOWN_GRACE_MS ?? WorkerEnvSchema.shape.ALTO_SHUTDOWN_GRACE_MS.parse(undefined),
        );
        expect(spec.terminationGracePeriodSeconds! * 1000, where).toBeGreaterThanOrEqual(drainMs + 10_000);
        expect(c.lifecycle?.preStop?.exec?.command.join(' '), where).toMatch(/kill -TERM 1; while kill -0 1/);
        // The memory the publisher fills stays inside the container's limit.
        expect(Number(env.ALTO_WORKER_MEMORY_BYTES), where).toBeLessThan(bytesOf(c.resources!.limits!.memory!));
        expect(c.resources!.limits!.memory, where).toBe(c.resources!.requests!.memory);
      }
    }
    const gpu = containers(rendered.get('gpu')!).find(({ c }) => imageName(c.image) === 'alto-gpu-worker')!;
    expect(gpu.c.resources!.limits!['nvidia.com/gpu']).toBe(1);
    expect(envOf(rendered.get('gpu')!, gpu.c).ALTO_EXECUTION_PROVIDER).toBe('cuda');
    const tpu = containers(rendered.get('tpu')!).find(({ c }) => imageName(c.image) === 'alto-tpu-worker')!;
    expect(tpu.c.resources!.limits!['google.com/tpu']).toBe(4);
    expect(Object.keys(tpu.spec as object)).toContain('nodeSelector');
  });

  it('runs every container as non-root on a read-only root filesystem, writing only to volumes', () => {
    for (const [name, objects] of all()) {
      for (const { owner, spec, c } of containers(objects)) {
        const where = `${name}: ${owner} ${c.name}`;
        expect(spec.securityContext?.runAsNonRoot, where).toBe(true);
        expect(spec.securityContext?.runAsUser, where).toBeGreaterThan(0);
        expect(c.securityContext, where).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        // tsx keeps its compile cache under /tmp; Redis writes /data.
        const writable = APPS[imageName(c.image)] ? '/tmp' : '/data';
        expect(
          c.volumeMounts?.map((m) => m.mountPath),
          where,
        ).toContain(writable);
      }
    }
  });

  it('reads only the secret keys docs/deploy.md tells operators to create', () => {
    const docs = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
    const keys = new Set<string>();
    for (const [, objects] of all()) {
      for (const { c } of containers(objects)) {
        for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) keys.add(e.valueFrom.secretKeyRef.key);
      }
      for (const a of objects.filter((o) => o.kind === 'TriggerAuthentication')) {
        for (const s of a.spec.secretTargetRef) keys.add(s.key);
      }
    }
    expect([...keys].sort()).toEqual(['admin-token', 'api-keys', 'webhook-secret']);
    for (const k of keys) expect(docs, k).toContain(`--from-literal=${k}=`);
  });

  // The names the autoscaling signal defines in the publisher (route, field, gauges, env): the
  // manifests and docs/deploy.md use them, so the publisher's code must have them.
  it('uses the scaling names the publisher defines', () => {
    const packages = readdirSync(join(ROOT, 'packages')).map((p) => sources(join(ROOT, 'packages', p, 'src')));
    const code = [sources(join(ROOT, 'apps/publisher/src')), ...packages].join('\n');
    const missing = [SCALING.route, SCALING.field, ...SCALING.gauges]
      .filter((n) => !code.includes(n))
      .concat(SCALING.env.filter((v) => !(v in PublisherEnvSchema.shape)));
    expect(missing, 'scaling names the publisher does not define').toEqual([]);
    const docs = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
    for (const n of [SCALING.route, SCALING.field, ...SCALING.gauges, ...SCALING.env]) expect(docs, n).toContain(n);
  });
});
