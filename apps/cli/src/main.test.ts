// The command line in-process: dispatch, usage errors, help, settings, and what goes over the
// wire, against a real HTTP server on a socket that records requests and answers fixed replies.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Io } from './command.ts';
import { main } from './main.ts';

// An empty working directory, so no .alto/admin-token is found unless a test writes one.
const EMPTY = mkdtempSync(join(tmpdir(), 'alto-empty-'));

interface Seen {
  method: string;
  path: string;
  auth: string | undefined;
  prefer: string | undefined;
  body: unknown;
}

async function run(argv: string[], over: Partial<Io> = {}) {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd: EMPTY, ...over };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('alto usage', () => {
  it.each([
    [['publish', 'tiny'], 'alto: missing argument <uri> (usage: alto publish <name> <uri> [flags])'],
    [
      ['publish', 'tiny', 'gs://b/tiny', '--replica', '2'],
      "alto: unknown flag --replica for 'alto publish' (did you mean --replicas?)",
    ],
    [
      ['predict', 'tiny', '--inputs', 'x=@x.json'],
      "alto: unknown flag --inputs for 'alto predict' (did you mean --input?)",
    ],
    [['publish', 'tiny', 'gs://b/tiny', '--replicas'], 'alto: flag --replicas needs a value (--replicas N)'],
    [
      ['publish', 'tiny', 'gs://b/tiny', '--replicas', 'many'],
      "alto: --replicas: expected a whole number >= 0, got 'many'",
    ],
    [
      ['publish', 'tiny', 'gs://b/tiny', '--memory', '2 lots'],
      "alto: --memory: expected bytes such as 1073741824, 512MiB or 1.5GiB, got '2 lots'",
    ],
    [['ls', 'a', 'b'], "alto: unexpected argument 'b' (usage: alto ls [model])"],
    [['unpublish'], 'alto: missing argument <name> (usage: alto unpublish <name>)'],
    [['workers', '--latest'], "alto: unknown flag --latest for 'alto workers'"],
    [['update', 'tiny'], /^alto: nothing to update: give at least one of --replicas, /],
    [['predict', 'tiny'], "alto: missing request: give --json '<body>' or --input NAME=@FILE"],
    [['predict', 'tiny', '--json', '{}', '--input', 'x=@x.json'], 'alto: give --json or --input, not both'],
    [
      ['predict', 'tiny', '--json', '{}', '--wait', '10'],
      "alto: unexpected argument '10' (usage: alto predict <model> [flags]); to wait N seconds write --wait=N",
    ],
    [['predict', 'tiny', '--json', '{}', '--wait=soon'], "alto: --wait: expected a whole number >= 0, got 'soon'"],
    [['get'], 'alto: missing argument <id> (usage: alto get <id>)'],
    [['lss'], "alto: unknown command 'lss' (did you mean ls?); see 'alto --help'"],
    [
      [],
      'alto: missing command (one of ls, publish, update, unpublish, workers, drain, undrain, predict, get, ' +
        "dead-letters, replay, scaling, whoami, audit, keys, batch); see 'alto --help'",
    ],
    [['--url', 'ftp://x', 'ls'], "alto: --url: expected an http:// or https:// URL, got 'ftp://x'"],
    [['ls', '--url', 'not a url'], "alto: --url: expected a URL such as http://127.0.0.1:8080, got 'not a url'"],
  ])('%j exits 2 with one line naming the problem', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n')).toHaveLength(2);
    if (typeof message === 'string') expect(r.err).toBe(`${message}\n`);
    else expect(r.err).toMatch(message);
  });

  it('names ALTO_URL when the bad URL comes from the environment', async () => {
    expect((await run(['ls'], { env: { ALTO_URL: 'localhost:8080' } })).err).toBe(
      "alto: ALTO_URL: expected an http:// or https:// URL, got 'localhost:8080'\n",
    );
  });

  it('prints the commands and the exit statuses for --help, help and -h', async () => {
    for (const argv of [['--help'], ['help'], ['-h']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Commands:\n {2}ls +list published models/m);
      expect(r.out).toMatch(/^ {2}3 {2}the server cannot be reached/m);
      expect(r.out).toMatch(/^ {2}4 {2}unauthorized/m);
    }
  });

  it("prints a command's usage and flags for 'alto CMD --help' and 'alto help CMD', even with its arguments missing", async () => {
    const a = await run(['publish', '--help']);
    const b = await run(['help', 'publish']);
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    expect(a.out).toMatch(/^Usage: alto publish <name> <uri> \[flags\]$/m);
    expect(a.out).toMatch(/^ {2}--memory BYTES +memory one replica needs/m);
    expect(a.out).toMatch(/^ {2}--constraint KEY=VALUE .*\(repeatable\)$/m);
    expect(a.out).toMatch(/^ {2}--json +print the server's JSON/m);
  });

  it("replaces the global --json by predict's own in its help", async () => {
    const r = await run(['predict', '-h']);
    expect(r.out).toMatch(/^ {2}--json 'BODY' +the whole request body/m);
    expect(r.out).not.toMatch(/print the server's JSON/);
    expect(r.out).toMatch(/^ {2}--wait\[=SECONDS\] /m);
  });
});

describe('alto against an HTTP server', () => {
  let server: Server;
  let url: string;
  let seen: Seen[] = [];
  let reply: { status: number; body: string } = { status: 200, body: '{}' };

  const read = async (req: IncomingMessage) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    return text ? JSON.parse(text) : undefined;
  };

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      seen.push({
        method: req.method!,
        path: req.url!,
        auth: req.headers.authorization,
        prefer: req.headers.prefer as string | undefined,
        body: await read(req),
      });
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    seen = [];
    reply = { status: 200, body: '{}' };
  });

  const view = {
    name: 'tiny',
    uri: 'gs://b/tiny',
    replicas: 2,
    version: null,
    constraints: {},
    created_at: 'c',
    updated_at: 'u',
    workers: [],
    status: { state: 'pending', versions: [], ready_replicas: 0 },
  };

  it('publishes with POST /v1/admin/models, the flags as PublishRequest fields, and the admin token', async () => {
    reply = { status: 201, body: JSON.stringify(view) };
    const r = await run(
      [
        'publish',
        'tiny',
        'gs://b/tiny',
        '--replicas',
        '2',
        '--memory',
        '512MiB',
        '--constraint',
        'accelerator=gpu',
        '--url',
        `${url}/`,
      ],
      {
        env: { ALTO_ADMIN_TOKEN: 'secret', ALTO_API_KEY: 'not-this' },
      },
    );
    expect(r).toEqual({ code: 0, out: 'published tiny: pending, 0/2 replicas ready, version latest\n', err: '' });
    expect(seen).toEqual([
      {
        method: 'POST',
        path: '/v1/admin/models',
        auth: 'Bearer secret',
        prefer: undefined,
        body: {
          name: 'tiny',
          uri: 'gs://b/tiny',
          replicas: 2,
          memory_bytes: 512 * 2 ** 20,
          constraints: { accelerator: 'gpu' },
        },
      },
    ]);
  });

  it('updates with PATCH, unpublishes with DELETE, lists with GET, escaping the model name', async () => {
    reply = { status: 200, body: JSON.stringify(view) };
    const env = { ALTO_URL: url, ALTO_ADMIN_TOKEN: 't' };
    expect((await run(['update', 'a b', '--latest', '--max-queue-length', '10'], { env })).code).toBe(0);
    reply = { status: 200, body: JSON.stringify({ name: 'a b', unpublished: true, failed_queued: 3 }) };
    expect((await run(['unpublish', 'a b'], { env })).out).toBe('unpublished a b; 3 queued predictions failed\n');
    reply = { status: 200, body: JSON.stringify({ models: [view] }) };
    expect((await run(['ls'], { env })).out).toMatch(
      /^NAME +VERSION +REPLICAS +STATE +REASON +URI\ntiny +- +0\/2 +pending +- +gs:\/\/b\/tiny\n$/,
    );
    reply = { status: 200, body: JSON.stringify({ workers: [] }) };
    expect((await run(['workers'], { env })).out).toBe('no workers\n');
    expect(seen.map((s) => [s.method, s.path, s.body])).toEqual([
      ['PATCH', '/v1/admin/models/a%20b', { max_queue_length: 10, version: null }],
      ['DELETE', '/v1/admin/models/a%20b', undefined],
      ['GET', '/v1/admin/models', undefined],
      ['GET', '/v1/admin/workers', undefined],
    ]);
  });

  it('prints the JSON as it came with --json, before or after the command', async () => {
    const body = { models: [view] };
    reply = { status: 200, body: JSON.stringify(body) };
    for (const argv of [
      ['--json', 'ls', '--url', url],
      ['ls', '--json', '--url', url],
    ]) {
      const r = await run(argv, { env: { ALTO_ADMIN_TOKEN: 't' } });
      expect(JSON.parse(r.out)).toEqual(body);
    }
  });

  it('reads the admin token from .alto/admin-token when neither flag nor environment gives one; the flag wins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alto-token-'));
    mkdirSync(join(dir, '.alto'));
    writeFileSync(join(dir, '.alto', 'admin-token'), 'from-file\n');
    reply = { status: 200, body: JSON.stringify({ workers: [] }) };
    await run(['workers', '--url', url], { cwd: dir });
    await run(['workers', '--url', url], { cwd: dir, env: { ALTO_ADMIN_TOKEN: 'from-env' } });
    await run(['--admin-token', 'from-flag', 'workers', '--url', url], {
      cwd: dir,
      env: { ALTO_ADMIN_TOKEN: 'from-env' },
    });
    await run(['workers', '--url', url]);
    expect(seen.map((s) => s.auth)).toEqual(['Bearer from-file', 'Bearer from-env', 'Bearer from-flag', undefined]);
  });

  it('sends the API key, not the admin token, to the gateway, and Prefer: wait for --wait', async () => {
    reply = { status: 200, body: JSON.stringify({ id: 'tiny.1', status: 'succeeded', output: {}, error: null }) };
    const env = { ALTO_URL: url, ALTO_API_KEY: 'key', ALTO_ADMIN_TOKEN: 'admin' };
    expect((await run(['predict', 'tiny', '--json', '{"input": {}}', '--wait'], { env })).code).toBe(0);
    expect(
      (await run(['predict', 'tiny', '--json', '{"input": {}}', '--wait=5', '--version', '2'], { env })).code,
    ).toBe(0);
    expect((await run(['predict', 'tiny', '--json', '{"input": {}}'], { env })).code).toBe(0);
    expect(seen.map((s) => [s.path, s.auth, s.prefer])).toEqual([
      ['/v1/models/tiny/predictions', 'Bearer key', 'wait'],
      ['/v1/models/tiny/versions/2/predictions', 'Bearer key', 'wait=5'],
      ['/v1/models/tiny/predictions', 'Bearer key', undefined],
    ]);
  });

  it('exits 4 on 401 and 403, saying which credential is missing or wrong', async () => {
    reply = { status: 401, body: JSON.stringify({ error: { code: 'unauthorized', message: 'missing bearer token' } }) };
    expect(await run(['ls', '--url', url])).toEqual({
      code: 4,
      out: '',
      err:
        'alto: unauthorized: missing bearer token (no admin token: give --admin-token, set ALTO_ADMIN_TOKEN, ' +
        'or run where .alto/admin-token exists)\n',
    });
    reply = { status: 403, body: JSON.stringify({ error: { code: 'forbidden', message: 'bad token' } }) };
    expect((await run(['ls', '--url', url, '--admin-token', 'x'])).err).toBe(
      'alto: forbidden: bad token (check the admin token)\n',
    );
    expect((await run(['get', 'x', '--url', url])).err).toBe(
      'alto: forbidden: bad token (no API key: give --api-key or set ALTO_API_KEY)\n',
    );
  });

  it('exits 1 with code: message from the error body, or the status and text when the body is not Alto JSON', async () => {
    reply = {
      status: 409,
      body: JSON.stringify({ error: { code: 'model_exists', message: "model 'tiny' is already published" } }),
    };
    expect(await run(['publish', 'tiny', 'gs://b/tiny', '--url', url])).toEqual({
      code: 1,
      out: '',
      err: "alto: model_exists: model 'tiny' is already published\n",
    });
    reply = { status: 502, body: '<html>\nBad Gateway</html>' };
    expect((await run(['workers', '--url', url])).err).toBe(`alto: HTTP 502 from ${url}: <html>\n`);
    reply = { status: 200, body: 'not json' };
    expect(await run(['workers', '--url', url])).toEqual({
      code: 1,
      out: '',
      err: `alto: unexpected reply from ${url}/v1/admin/workers (HTTP 200): not JSON\n`,
    });
  });
});
