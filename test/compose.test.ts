// Static checks of the container setup (docker-compose.yml, infra/*.Dockerfile, infra/redis.conf):
// every path they reference must exist in the repository, the worker must be scalable, and Redis
// must be configured so accepted requests survive memory pressure and restarts.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DispatcherEnvSchema } from '@alto/dispatcher/env';
import { GatewayEnvSchema } from '@alto/gateway/env';
import { PublisherEnvSchema } from '@alto/publisher/env';
import { WorkerEnvSchema } from '@alto/worker/env';

const root = fileURLToPath(new URL('..', import.meta.url));

interface BuildSpec {
  context?: string;
  dockerfile?: string;
}
interface Service {
  image?: string;
  build?: string | BuildSpec;
  container_name?: string;
  command?: string | string[];
  ports?: (string | number | { published?: string | number; target?: number })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  environment?: string[] | Record<string, string | number | boolean | null>;
  healthcheck?: { test?: string | string[] };
}
interface Compose {
  services?: Record<string, Service>;
}

const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText) as Compose;
const services: Record<string, Service> = compose.services ?? {};

/**
 * The file with the commented-out `gpu-worker` service uncommented: the block from `  # gpu-worker:`
 * on, while its lines stay commented at a deeper indent.
 */
const uncommentGpuWorker = (text: string): string => {
  const lines = text.split('\n');
  const start = lines.indexOf('  # gpu-worker:');
  if (start < 0) return text;
  let end = start + 1;
  while (end < lines.length && /^ {2}# {3}/.test(lines[end] ?? '')) end++;
  const block = lines.slice(start, end).map((l) => `  ${l.slice('  # '.length)}`);
  return [...lines.slice(0, start), ...block, ...lines.slice(end)].join('\n');
};

interface DeviceReservation {
  driver?: string;
  count?: number | 'all';
  device_ids?: string[];
  capabilities?: string[];
}
type GpuService = Service & { deploy?: { resources?: { reservations?: { devices?: DeviceReservation[] } } } };

/** The variables each app reads, by the Dockerfile or compose service that runs it. */
const APP_VARS: Record<string, string[]> = {
  gateway: Object.keys(GatewayEnvSchema.shape),
  worker: Object.keys(WorkerEnvSchema.shape),
  publisher: Object.keys(PublisherEnvSchema.shape),
  dispatcher: Object.keys(DispatcherEnvSchema.shape),
};

const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();
const isFile = (p: string): boolean => existsSync(p) && statSync(p).isFile();

const buildOf = (svc: Service): { context: string; dockerfile: string } | undefined => {
  if (svc.build === undefined) return undefined;
  const spec: BuildSpec = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
  const context = resolve(root, spec.context ?? '.');
  return { context, dockerfile: resolve(context, spec.dockerfile ?? 'Dockerfile') };
};

const envOf = (svc: Service): Record<string, string> => {
  const env = svc.environment;
  if (env === undefined) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((kv) => {
        const i = kv.indexOf('=');
        return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
};

/** Host-side paths of bind mounts (short `./src:/dst[:mode]` or long `{ type: bind, source }`). */
const bindSources = (svc: Service): string[] =>
  (svc.volumes ?? []).flatMap((v) => {
    if (typeof v === 'string') {
      const source = v.split(':')[0] ?? '';
      return /^[./~]/.test(source) ? [source] : []; // anything else names a volume
    }
    return v.type === 'bind' && v.source !== undefined ? [v.source] : [];
  });

/** True when a `ports` entry pins a host port (which breaks `--scale`). */
const pinsHostPort = (p: string | number | { published?: string | number }): boolean => {
  if (typeof p === 'number') return false; // container port only
  if (typeof p === 'object') return p.published !== undefined && String(p.published) !== '';
  return p.replace(/\/(tcp|udp)$/, '').includes(':');
};

// ---- Dockerfile parsing --------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}

const parseDockerfile = (text: string): Instruction[] => {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (pending !== '' && line.startsWith('#')) continue; // comments inside a continuation
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\S+)\s*(.*)$/s.exec(full);
    if (m) out.push({ keyword: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim() });
  }
  return out;
};

/** Arguments in exec (JSON array) form, or whitespace-split shell form. */
const splitArgs = (args: string): { exec: boolean; parts: string[] } => {
  if (args.startsWith('[')) {
    const parsed: unknown = JSON.parse(args);
    if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) return { exec: true, parts: parsed };
  }
  return { exec: false, parts: args.split(/\s+/).filter(Boolean) };
};

interface Copy {
  from: string | undefined;
  sources: string[];
  dest: string;
}

const copiesOf = (instructions: Instruction[]): Copy[] =>
  instructions
    .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
    .map((i) => {
      // Flags come first in shell form and before the JSON array in exec form.
      const flags: string[] = [];
      let rest = i.args;
      for (let m = /^(--\S+)\s+/.exec(rest); m; m = /^(--\S+)\s+/.exec(rest)) {
        flags.push(m[1] ?? '');
        rest = rest.slice(m[0].length);
      }
      const { parts } = splitArgs(rest);
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      return { from, sources: parts.slice(0, -1), dest: parts.at(-1) ?? '' };
    });

/** Paths under `base` matching a COPY source, which may hold `*` / `?` wildcards per segment. */
const expand = (base: string, pattern: string): string[] => {
  let matches = [base];
  for (const segment of pattern.split('/').filter((s) => s !== '' && s !== '.')) {
    if (!/[*?[]/.test(segment)) {
      matches = matches.map((m) => join(m, segment)).filter((m) => existsSync(m));
      continue;
    }
    const re = new RegExp(
      `^${segment
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')}$`,
    );
    matches = matches.flatMap((m) =>
      isDir(m)
        ? readdirSync(m)
            .filter((n) => re.test(n))
            .map((n) => join(m, n))
        : [],
    );
  }
  return matches;
};

const normalise = (p: string): string => p.replace(/^\.\//, '').replace(/\/+$/, '');

/** Workspace folders declared in the root package.json (simple `dir/*` globs or plain paths). */
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const workspaces = (rootPkg.workspaces ?? [])
  .flatMap((w) => expand(root, w))
  .filter((dir) => isFile(join(dir, 'package.json')))
  .map((dir) => normalise(dir.slice(root.length).replace(/\\/g, '/')))
  .sort();

// ---- compose -------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  it('defines the redis, publisher, gateway, worker and dispatcher services', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['redis', 'publisher', 'gateway', 'worker', 'dispatcher']),
    );
    expect(envOf(services.dispatcher ?? {}).ALTO_WEBHOOK_SECRET).toMatch(/^\$\{ALTO_WEBHOOK_SECRET:\?.+\}$/);
  });

  it('builds from existing contexts and Dockerfiles', () => {
    const built = Object.entries(services).filter(([, svc]) => svc.build !== undefined);
    expect(built.map(([name]) => name)).toEqual(expect.arrayContaining(['gateway', 'worker']));
    for (const [name, svc] of built) {
      const b = buildOf(svc);
      expect(b, name).toBeDefined();
      if (!b) continue;
      expect(isDir(b.context), `${name}: build.context ${b.context}`).toBe(true);
      expect(isFile(b.dockerfile), `${name}: build.dockerfile ${b.dockerfile}`).toBe(true);
    }
  });

  it('bind-mounts only host paths that exist', () => {
    const sources = Object.entries(services).flatMap(([name, svc]) => bindSources(svc).map((s) => [name, s] as const));
    expect(sources.map(([, s]) => normalise(s))).toEqual(expect.arrayContaining(['models', 'infra/redis.conf']));
    for (const [name, source] of sources) {
      expect(existsSync(resolve(root, source)), `${name}: bind source ${source}`).toBe(true);
    }
  });

  it('lets the worker scale: no container_name and no fixed host port', () => {
    const worker = services.worker;
    expect(worker).toBeDefined();
    expect(worker?.container_name).toBeUndefined();
    for (const p of worker?.ports ?? []) expect(pinsHostPort(p), `worker port ${JSON.stringify(p)}`).toBe(false);
  });

  it('publishes the mounted repository, which the publisher allows and the workers mount at the same path', () => {
    const publisher = services.publisher ?? {};
    const env = envOf(publisher);
    const repository = env.ALTO_PUBLISH_ON_START;
    expect(repository).toBeTruthy();
    expect(String(env.ALTO_ALLOWED_ROOTS).split(',')).toContain(repository);
    const mountedAt = (svc: Service) =>
      (svc.volumes ?? []).some((v) => typeof v === 'string' && v.split(':')[1] === repository);
    expect(mountedAt(publisher), 'publisher mounts ALTO_PUBLISH_ON_START').toBe(true);
    expect(mountedAt(services.worker ?? {}), 'workers mount the published base URIs').toBe(true);
    // A repository of its own would make the worker ignore the publisher.
    expect(envOf(services.worker ?? {}).ALTO_MODEL_REPOSITORY).toBeUndefined();
    expect(envOf(services.gateway ?? {}).ALTO_PUBLISHER_URL).toBe('http://publisher:8081');
    expect(env.ALTO_ADMIN_TOKEN).toMatch(/^\$\{ALTO_ADMIN_TOKEN:\?.+\}$/);
  });

  it('connects the apps to redis and starts them once redis is healthy', () => {
    expect(services.redis?.healthcheck?.test).toBeDefined();
    for (const name of ['publisher', 'gateway', 'worker', 'dispatcher']) {
      const svc = services[name] ?? {};
      expect(envOf(svc).REDIS_URL, `${name}: REDIS_URL`).toMatch(/^redis:\/\/redis:6379/);
      const dependsOn = svc.depends_on;
      expect(dependsOn && !Array.isArray(dependsOn) ? dependsOn.redis?.condition : undefined, name).toBe(
        'service_healthy',
      );
    }
    expect(envOf(services.gateway ?? {}).ALTO_HOST).toBe('0.0.0.0');
    // Beyond loopback the gateway starts only with API keys: compose must demand them.
    expect(envOf(services.gateway ?? {}).ALTO_API_KEYS).toMatch(/^\$\{ALTO_API_KEYS:\?.+\}$/);
    expect(services.gateway?.ports ?? []).toContain('8080:8080');
  });

  it('sets only ALTO_ variables that the app each service runs reads', () => {
    const all = { ...services, ...((parse(uncommentGpuWorker(composeText)) as Compose).services ?? {}) };
    for (const [name, svc] of Object.entries(all)) {
      const app = Object.keys(APP_VARS).find((a) => name === a || name.endsWith(`-${a}`));
      if (!app) continue;
      for (const key of Object.keys(envOf(svc)).filter((k) => k.startsWith('ALTO_'))) {
        expect(APP_VARS[app], `${name}: ${key}`).toContain(key);
      }
    }
  });
});

describe('docker-compose.yml: the commented GPU worker service', () => {
  const uncommented = uncommentGpuWorker(composeText);
  const gpu = ((parse(uncommented) as Compose).services ?? {})['gpu-worker'] as GpuService | undefined;

  it('is commented out, so `docker compose up` works on a host without a GPU', () => {
    expect(services['gpu-worker']).toBeUndefined();
    expect(uncommented).not.toBe(composeText);
    expect(gpu, 'uncommenting the block yields a gpu-worker service').toBeDefined();
  });

  it('reserves an NVIDIA GPU with the compose device reservation syntax', () => {
    const devices = gpu?.deploy?.resources?.reservations?.devices ?? [];
    expect(devices).toHaveLength(1);
    const [device] = devices;
    expect(device?.driver).toBe('nvidia');
    expect(device?.capabilities).toContain('gpu');
    // Compose refuses count and device_ids together; one of them picks the GPUs.
    expect((device?.count === undefined) !== (device?.device_ids === undefined), JSON.stringify(device)).toBe(true);
  });

  it('builds the GPU worker image, runs the cuda provider and joins the fleet like the CPU worker', () => {
    const b = buildOf(gpu ?? {});
    expect(b && normalise(b.dockerfile.slice(root.length))).toBe('infra/gpu-worker.Dockerfile');
    expect(b && isFile(b.dockerfile)).toBe(true);
    const env = envOf(gpu ?? {});
    expect(env.ALTO_EXECUTION_PROVIDER).toBe('cuda');
    expect(env.REDIS_URL).toBe(envOf(services.worker ?? {}).REDIS_URL);
    expect(gpu?.volumes).toEqual(services.worker?.volumes);
    expect(gpu?.depends_on).toEqual(services.worker?.depends_on);
    expect(gpu?.container_name).toBeUndefined();
  });
});

// ---- redis.conf ----------------------------------------------------------------------------------

describe('infra/redis.conf', () => {
  const directives = new Map<string, string>();
  for (const raw of readFileSync(join(root, 'infra', 'redis.conf'), 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [key = '', ...value] = line.split(/\s+/);
    directives.set(key.toLowerCase(), value.join(' '));
  }

  it('never evicts accepted requests', () => {
    expect(directives.get('maxmemory-policy')).toBe('noeviction');
  });

  it('persists with an append-only file fsynced every second into /data', () => {
    expect(directives.get('appendonly')).toBe('yes');
    expect(directives.get('appendfsync')).toBe('everysec');
    expect(directives.get('dir')).toBe('/data');
  });

  it('is the file the redis service mounts and starts with', () => {
    const redis = services.redis ?? {};
    const mount = bindSources(redis).find((s) => normalise(s) === 'infra/redis.conf');
    expect(mount).toBeDefined();
    const command = Array.isArray(redis.command) ? redis.command.join(' ') : (redis.command ?? '');
    expect(command).toMatch(/redis-server\s+\/usr\/local\/etc\/redis\/redis\.conf/);
  });
});

// ---- Dockerfiles ---------------------------------------------------------------------------------

describe.each([
  { file: 'infra/gateway.Dockerfile', main: 'apps/gateway/src/main.ts' },
  { file: 'infra/worker.Dockerfile', main: 'apps/worker/src/main.ts' },
  { file: 'infra/publisher.Dockerfile', main: 'apps/publisher/src/main.ts' },
  { file: 'infra/dispatcher.Dockerfile', main: 'apps/dispatcher/src/main.ts' },
  { file: 'infra/gpu-worker.Dockerfile', main: 'apps/worker/src/main.ts' },
  { file: 'infra/tpu-worker.Dockerfile', main: 'apps/worker/src/main.ts' },
])('$file', ({ file, main }) => {
  const instructions = parseDockerfile(readFileSync(join(root, file), 'utf8'));
  const copies = copiesOf(instructions);
  const fromContext = copies.filter((c) => c.from === undefined);

  it('copies --from only stages defined earlier in the file', () => {
    const stages: string[] = [];
    for (const i of instructions) {
      const stage = /\sAS\s+(\S+)$/i.exec(i.args)?.[1];
      if (i.keyword === 'FROM' && stage) stages.push(stage);
      if (i.keyword !== 'COPY') continue;
      const from = /--from=(\S+)/.exec(i.args)?.[1];
      if (from !== undefined) expect(stages, `${file}: COPY --from=${from}`).toContain(from);
    }
  });

  it('sets only ALTO_ variables that its app reads', () => {
    const app = main.split('/')[1] ?? '';
    const names = instructions
      .filter((i) => i.keyword === 'ENV')
      .flatMap((i) => [...i.args.matchAll(/(?:^|\s)(ALTO_[A-Z0-9_]+)=/g)].map((m) => m[1] ?? ''));
    expect(APP_VARS[app]).toBeDefined();
    for (const name of names) expect(APP_VARS[app], `${file}: ENV ${name}`).toContain(name);
  });

  it('copies only sources that exist in the build context', () => {
    expect(fromContext.length).toBeGreaterThan(0);
    for (const copy of fromContext) {
      expect(copy.sources.length, `COPY with no source: ${JSON.stringify(copy)}`).toBeGreaterThan(0);
      for (const source of copy.sources) {
        expect(expand(root, source).length, `${file}: COPY source ${source}`).toBeGreaterThan(0);
      }
    }
  });

  it('copies the root manifests, scripts/ and every workspace package.json before npm ci', () => {
    const ciIndex = instructions.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(ciIndex, 'a RUN npm ci').toBeGreaterThanOrEqual(0);
    const before = copiesOf(instructions.slice(0, ciIndex))
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources.map(normalise));
    expect(workspaces.length).toBeGreaterThan(0);
    expect(before).toEqual(
      expect.arrayContaining([
        'package.json',
        'package-lock.json',
        '.npmrc',
        'scripts',
        ...workspaces.map((w) => `${w}/package.json`),
      ]),
    );
  });

  it('installs the tsx loader that CMD imports, and no dev dependencies', () => {
    const ci = instructions.find((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(ci?.args ?? '').toMatch(/--omit[= ]dev/);
    // Installed without dev dependencies, tsx must be a dependency of the root package.
    expect(rootPkg.dependencies?.tsx).toBeDefined();
    expect(rootPkg.devDependencies?.tsx).toBeUndefined();
  });

  it('runs as the non-root node user in production mode with a healthcheck', () => {
    const last = (keyword: string): string | undefined =>
      instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
    expect(last('USER')).toBe('node');
    expect(instructions.some((i) => i.keyword === 'ENV' && /\bNODE_ENV=production\b/.test(i.args))).toBe(true);
    expect(last('EXPOSE')).toMatch(/^\d+/);
    expect(last('HEALTHCHECK')).toMatch(/\/healthz/);
    const base = instructions
      .filter((i) => i.keyword === 'FROM' || i.keyword === 'ARG')
      .map((i) => i.args)
      .join('\n');
    expect(base).toMatch(/node:20-bookworm-slim/);
  });

  it(`starts ${main} with tsx in exec form`, () => {
    const cmd = instructions.filter((i) => i.keyword === 'CMD').at(-1);
    expect(cmd).toBeDefined();
    const { exec, parts } = splitArgs(cmd?.args ?? '');
    expect(exec, 'CMD in exec (JSON array) form').toBe(true);
    expect(parts).toEqual(['node', '--import', 'tsx', main]);
    const script = parts.find((p) => !p.startsWith('-') && /\.(ts|js|mjs)$/.test(p)) ?? '';
    expect(isFile(join(root, script)), `${script} exists`).toBe(true);
    // the image must contain it: some COPY from the context covers the script's directory
    const covered = fromContext.some((c) =>
      c.sources.some((s) => {
        const src = normalise(s);
        return src === '' || src === '.' || script === src || script.startsWith(`${src}/`);
      }),
    );
    expect(covered, `${script} is copied into the image`).toBe(true);
  });
});

// ---- accelerator worker images -------------------------------------------------------------------

describe('infra/gpu-worker.Dockerfile', () => {
  const instructions = parseDockerfile(readFileSync(join(root, 'infra/gpu-worker.Dockerfile'), 'utf8'));
  const args = Object.fromEntries(
    instructions.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=') as [string, string]),
  );
  const env = instructions
    .filter((i) => i.keyword === 'ENV')
    .map((i) => i.args)
    .join(' ');
  const envValue = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(env)?.[1];

  it('runs on a CUDA 13 + cuDNN 9 runtime base, the CUDA onnxruntime-gpu 1.30 links against', () => {
    const last = instructions.filter((i) => i.keyword === 'FROM').at(-1)?.args ?? '';
    expect(last).toMatch(/^\$\{CUDA_IMAGE\}/);
    expect(args.CUDA_IMAGE).toMatch(/^nvidia\/cuda:13\.\d+\.\d+-cudnn-runtime-ubuntu\d+\.\d+$/);
  });

  it('installs the GPU build with the install script and points the worker at it', () => {
    const install = instructions.find(
      (i) => i.keyword === 'RUN' && i.args.includes('scripts/install-onnxruntime-gpu.sh'),
    );
    const dir = /--dir\s+(\S+)/.exec(install?.args ?? '')?.[1];
    expect(dir, 'install-onnxruntime-gpu.sh --dir').toBeDefined();
    expect(isFile(join(root, 'scripts/install-onnxruntime-gpu.sh'))).toBe(true);
    const copied = copiesOf(instructions).find((c) => c.sources.includes(dir ?? ''));
    expect(copied?.from).toBeDefined();
    expect(copied?.dest).toBe(dir);
    expect(envValue('ALTO_ONNXRUNTIME_DIR')).toBe(dir);
    expect(envValue('ALTO_EXECUTION_PROVIDER')).toBe('cuda');
  });

  it('brings Node from the Node image the other images use, whose binary is what CMD runs', () => {
    expect(args.NODE_IMAGE).toBe('node:20-bookworm-slim');
    expect(
      instructions.some((i) => i.keyword === 'COPY' && /--from=node\s+\/usr\/local\/bin\/node\s/.test(i.args)),
    ).toBe(true);
  });
});

describe('infra/tpu-worker.Dockerfile', () => {
  const instructions = parseDockerfile(readFileSync(join(root, 'infra/tpu-worker.Dockerfile'), 'utf8'));
  const args = Object.fromEntries(
    instructions.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=') as [string, string]),
  );

  it("installs the XLA runtime with its script, then jax[tpu] at the runtime's jax pin", () => {
    const copyAt = instructions.findIndex((i) => i.keyword === 'COPY' && /^runtimes\/xla\/?\s/.test(i.args));
    const runAt = instructions.findIndex(
      (i) => i.keyword === 'RUN' && i.args.includes('scripts/install-xla-runtime.sh'),
    );
    expect(copyAt, 'COPY runtimes/xla/').toBeGreaterThanOrEqual(0);
    expect(runAt, 'RUN scripts/install-xla-runtime.sh').toBeGreaterThan(copyAt);
    const run = instructions[runAt]?.args ?? '';
    expect(run).toContain('"jax[tpu]==${jax_pin}"');
    expect(run).toContain('-c runtimes/xla/requirements.lock');
    // The RUN reads the pin with this sed expression: it must find it in pyproject.toml.
    expect(run).toContain(`sed -n 's/^ *"jax==\\([^"]*\\)".*/\\1/p' runtimes/xla/pyproject.toml`);
    const pyproject = readFileSync(join(root, 'runtimes/xla/pyproject.toml'), 'utf8');
    expect(/^ *"jax==([^"]*)"/m.exec(pyproject)?.[1]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('runs on a Python the pinned jax publishes wheels for, with Node from the same Debian release', () => {
    const supported = /supported="([^"]+)"/.exec(
      readFileSync(join(root, 'scripts/install-xla-runtime.sh'), 'utf8'),
    )?.[1];
    const python = /^python:(\d+\.\d+)-slim-(\w+)$/.exec(args.PYTHON_IMAGE ?? '');
    expect(python, `PYTHON_IMAGE ${args.PYTHON_IMAGE}`).not.toBeNull();
    expect(supported?.split(' ')).toContain(python?.[1]);
    expect(args.NODE_IMAGE).toBe(`node:20-${python?.[2]}-slim`);
    expect(instructions.filter((i) => i.keyword === 'FROM').at(-1)?.args).toMatch(/^\$\{PYTHON_IMAGE\}/);
  });
});
