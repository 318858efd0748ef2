// TLS to Redis end to end: a test CA made here with openssl signs a server certificate for a
// local redis-server on a TLS port that requires client certificates, and a client
// certificate; the gateway and a worker reach it over rediss:// with ALTO_REDIS_TLS_CA / CERT /
// KEY and serve a prediction, and every mistake (no CA, no client certificate, TLS files with
// redis://) stops an app at start with one line saying what is wrong.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { postJson } from './support/http.ts';
import { freePort, startRedis, type TestRedis } from './support/redis-server.ts';
import { runAppAsync } from './support/run-app.ts';

const x = { x: { datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.25) } };

/** A CA, a server certificate for 127.0.0.1 / localhost and a client certificate, in `dir`. */
function makeCertificates(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const subj = (cn: string) => ['-subj', `/CN=${cn}`];
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    ...subj('Alto test CA'),
  );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const [name, cn, ext] of [
    ['server', 'localhost', ['-extfile', 'server.ext']],
    ['client', 'alto-client', []],
  ] as const) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, ...subj(cn));
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      ...ext,
    );
  }
}

describe('TLS to Redis', () => {
  const prefix = testPrefix('tls');
  const dir = mkdtempSync(join(tmpdir(), 'alto-tls-'));
  let server: TestRedis;
  let tlsPort: number;
  let secureUrl: string;
  let tlsEnv: Record<string, string>;
  const procs: Proc[] = [];

  beforeAll(async () => {
    makeCertificates(dir);
    tlsPort = await freePort();
    server = await startRedis(undefined, [
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      join(dir, 'server.crt'),
      '--tls-key-file',
      join(dir, 'server.key'),
      '--tls-ca-cert-file',
      join(dir, 'ca.crt'),
      '--tls-auth-clients',
      'yes',
    ]);
    secureUrl = `rediss://127.0.0.1:${tlsPort}`;
    tlsEnv = {
      REDIS_URL: secureUrl,
      ALTO_REDIS_TLS_CA: join(dir, 'ca.crt'),
      ALTO_REDIS_TLS_CERT: join(dir, 'client.crt'),
      ALTO_REDIS_TLS_KEY: join(dir, 'client.key'),
    };
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the gateway and a worker serve a prediction over rediss:// with a client certificate', async () => {
    const { REDIS_URL, ...files } = tlsEnv;
    const [worker, gateway] = await Promise.all([
      startWorker(REDIS_URL!, prefix, { ...files, ALTO_MODELS: 'tiny' }),
      startGateway(REDIS_URL!, prefix, files),
    ]);
    procs.push(worker, gateway);
    const r = await postJson(`${gateway.url}/v1/models/tiny/predictions`, { input: x }, { prefer: 'wait=20' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe('succeeded');
    // Their connections came in on the TLS port.
    const plain = new Redis(server.url);
    try {
      const list = (await plain.call('CLIENT', 'LIST')) as string;
      const alto = list.split('\n').filter((l) => /\bname=alto-(gateway|worker)/.test(l));
      expect(alto.length).toBeGreaterThanOrEqual(2);
      for (const line of alto) expect(line).toContain(`laddr=127.0.0.1:${tlsPort}`);
    } finally {
      plain.disconnect();
    }
  });

  it('without the CA the certificate is refused, at start, in one line', async () => {
    const { ALTO_REDIS_TLS_CA: _ca, ...rest } = tlsEnv;
    const r = await runAppAsync('gateway', { ...rest, PORT: '0', ALTO_PREFIX: prefix });
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+: self[- ]signed certificate/);
  });

  it('without a client certificate the server refuses the connection', async () => {
    const { ALTO_REDIS_TLS_CERT: _c, ALTO_REDIS_TLS_KEY: _k, ...rest } = tlsEnv;
    const r = await runAppAsync('gateway', { ...rest, PORT: '0', ALTO_PREFIX: prefix });
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/cannot reach Redis at rediss:\/\//);
  });

  it('TLS files with a redis:// URL are a configuration mistake, named', async () => {
    const r = await runAppAsync('gateway', { ...tlsEnv, REDIS_URL: server.url, PORT: '0', ALTO_PREFIX: prefix });
    expect(r.status).toBe(1);
    expect(r.output).toContain('is not rediss://; use rediss:// to connect with TLS');
  });
});
