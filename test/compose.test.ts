// Static checks of the container setup (docker-compose.yml, infra/*.Dockerfile, infra/redis.conf):
// every path they reference must exist in the repository, the worker must be scalable, and Redis
// must be configured so accepted requests survive memory pressure and restarts.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

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

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as Compose;
const services: Record<string, Service> = compose.services ?? {};

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
])('$file', ({ file, main }) => {
  const instructions = parseDockerfile(readFileSync(join(root, file), 'utf8'));
  const copies = copiesOf(instructions);
  const fromContext = copies.filter((c) => c.from === undefined);

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
