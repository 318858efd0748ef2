// The containers run with least privilege (docs/security.md): every image's final stage runs
// as a non-root user, and every app service of docker-compose.yml has a read-only root
// filesystem with a tmpfs /tmp (where the apps write: tsx's cache, the worker's checkpoint
// cache), no capabilities and no privilege escalation.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Service {
  build?: unknown;
  read_only?: boolean;
  tmpfs?: string | string[];
  cap_drop?: string[];
  security_opt?: string[];
  environment?: Record<string, string>;
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const apps = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

/** The USER of the final stage, or undefined when it sets none (root). */
function finalUser(dockerfile: string): string | undefined {
  const stages = dockerfile.split(/^FROM\s/m);
  const last = stages.at(-1) ?? '';
  return [...last.matchAll(/^USER\s+(\S+)/gm)].at(-1)?.[1];
}

describe('container hardening', () => {
  const dockerfiles = readdirSync(join(root, 'infra')).filter((f) => f.endsWith('.Dockerfile'));

  it.each(dockerfiles)('%s runs as a non-root user', (file) => {
    const user = finalUser(readFileSync(join(root, 'infra', file), 'utf8'));
    expect(user, `${file}: its final stage sets no USER`).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
  });

  it('compose has app services to check', () => {
    expect(apps.map(([name]) => name).sort()).toEqual(['dispatcher', 'gateway', 'publisher', 'worker']);
  });

  it.each(apps)('compose service %s: read-only root, tmpfs /tmp, no capabilities, no new privileges', (_, svc) => {
    expect(svc.read_only).toBe(true);
    expect([svc.tmpfs ?? []].flat()).toContain('/tmp');
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.security_opt).toContain('no-new-privileges:true');
  });

  it("the worker's checkpoint cache is on the writable /tmp, and it checks allowed roots itself", () => {
    const dockerfile = readFileSync(join(root, 'infra/worker.Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/ALTO_CACHE_DIR=\/tmp\//);
    expect(compose.services.worker?.environment?.ALTO_ALLOWED_ROOTS).toBe(
      compose.services.publisher?.environment?.ALTO_ALLOWED_ROOTS,
    );
  });
});
