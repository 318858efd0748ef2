// The web console in a real browser (Debian's Chromium, driven by playwright-core) against a
// real fleet: publisher, gateway and a managed worker serving the demo models tiny and textdir.
// Screenshots of each page go to .alto/test-artifacts/console/; axe-core checks each page.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newPredictionId, type Tensor } from '@alto/protocol';
import { PredictionStore, StreamConsumer, addKeyUsage, connect, keys as makeKeys } from '@alto/queue';
import type { Redis } from 'ioredis';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateSecret } from '@alto/webhooks';
import {
  ADMIN_TOKEN,
  ROOT,
  startDispatcher,
  startGateway,
  startManagedWorker,
  startPublisher,
  testPrefix,
  type Proc,
} from './support/fleet.ts';
import { expectClose } from './support/http.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { runDirect } from './support/ort.ts';
import { waitFor } from './support/wait.ts';

const CHROMIUM = process.env.ALTO_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, '.alto/test-artifacts/console');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const haveChromium = existsSync(CHROMIUM);
/** A read-only admin token (ALTO_ADMIN_TOKENS). */
const READ_TOKEN = 'console-read-only-token-0123456789';
if (!haveChromium) {
  console.warn(
    `console.test.ts: SKIPPED — no Chromium at ${CHROMIUM} (apt-get install chromium, or set ALTO_CHROMIUM); ` +
      'the console is not tested in a browser on this machine',
  );
}

/** Runs axe-core in the page; returns its serious and critical violations. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<any> } }).axe;
    return axe.run((globalThis as any).document, { resultTypes: ['violations'] });
  });
  return (result.violations as any[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`);
}

describe.skipIf(!haveChromium)('web console', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('console');
  const keys = makeKeys(prefix);
  const repo = mkdtempSync(join(tmpdir(), 'alto-console-repo-'));
  const procs: Proc[] = [];
  let publisher: Proc & { url: string };
  let gateway: Proc & { url: string };
  let publisherPort: string;
  let worker: Proc;
  let receiver: Receiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let redis: Redis;
  let blocking: Redis;
  /** Script errors and console errors of the page: none may happen. */
  const pageErrors: string[] = [];

  const shot = async (name: string) => {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };
  const admin = async (path: string) =>
    fetch(`${gateway.url}/v1/admin${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  /** A session cookie got the way a form would, for calls made from the test. */
  const loginCookie = async () => {
    const login = await fetch(`${gateway.url}/console/login`, {
      method: 'POST',
      headers: { origin: gateway.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${ADMIN_TOKEN}`,
      redirect: 'manual',
    });
    return login.headers.get('set-cookie')!.split(';')[0]!;
  };
  const predictTiny = () =>
    fetch(`${gateway.url}/v1/models/tiny/predictions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'wait=10' },
      body: JSON.stringify({ input: { x: { datatype: 'FP32', shape: [1, 64], data: Array(64).fill(0.25) } } }),
    });
  const expectAccessible = async (what: string) => {
    expect(await axeViolations(page), `axe on ${what}`).toEqual([]);
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // npm ci builds the console (postinstall); an install without scripts did not.
    if (!existsSync(join(ROOT, 'apps/gateway/console/dist/index.html'))) {
      execFileSync(process.execPath, [join(ROOT, 'scripts/build-console.mjs')], { stdio: 'pipe' });
    }
    for (const m of ['tiny', 'textdir']) {
      mkdirSync(join(repo, m, '1'), { recursive: true });
      cpSync(join(ROOT, 'models', m, 'config.json'), join(repo, m, 'config.json'));
      cpSync(join(ROOT, 'models', m, '1', 'model.onnx'), join(repo, m, '1', 'model.onnx'));
    }
    publisher = await startPublisher(redisUrl, prefix, {
      ALTO_ALLOWED_ROOTS: repo,
      ALTO_PUBLISH_ON_START: repo,
      ALTO_ADMIN_TOKENS: `viewer:read:${READ_TOKEN}`,
    });
    procs.push(publisher);
    publisherPort = new URL(publisher.url).port;
    gateway = await startGateway(redisUrl, prefix, {
      ALTO_PUBLISHER_URL: publisher.url,
      ALTO_CONSOLE_TRACE_URL: 'http://jaeger.invalid:16686/trace/{trace_id}',
      // Traced, so predictions carry a trace id; nothing listens there and nothing needs to.
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      ALTO_CONSOLE_SAMPLE_MS: '1000',
      ALTO_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
    });
    procs.push(gateway);
    receiver = await startReceiver();
    procs.push(
      await startDispatcher(redisUrl, prefix, {
        ALTO_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
        ALTO_WEBHOOK_SECRET: generateSecret(),
        ALTO_WEBHOOK_RETRY_SCHEDULE: '0,300ms',
      }),
    );
    worker = await startManagedWorker(redisUrl, prefix, 'console-w1', { ALTO_CACHE_DIR: join(repo, '.cache') });
    procs.push(worker);
    await waitFor(
      async () => {
        const { models } = (await (await admin('/models')).json()) as { models: { status: { state: string } }[] };
        return models.length === 2 && models.every((m) => m.status.state === 'available');
      },
      { what: 'tiny and textdir available', timeoutMs: 90_000, intervalMs: 250 },
    );
    redis = await connect(redisUrl, { name: 'console-test' });
    blocking = await connect(redisUrl, { name: 'console-test-blocking' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await Promise.all(procs.map((p) => p.kill()));
    await redis?.quit();
    await blocking?.quit();
    await receiver?.close();
    rmSync(repo, { recursive: true, force: true });
  });

  it('refuses a wrong token on the login form, and sends a visitor without a session to it', async () => {
    await page.goto(`${gateway.url}/console/`);
    await expect.poll(() => page.url()).toBe(`${gateway.url}/console/login`);
    await page.fill('#token', 'not-the-admin-token-at-all');
    const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(response?.status()).toBe(401);
    await page.getByRole('alert').getByText('That admin token is not valid.').waitFor();
    await shot('login-refused');
    await expectAccessible('the login page');
    // Nothing of the console's API answers without a session.
    const api = await fetch(`${gateway.url}/console/api/admin/models`);
    expect(api.status).toBe(401);
    // The refused login's 401 is the one error the page may have logged.
    pageErrors.length = 0;
  });

  it('serves its assets with their content types, a strict CSP and a sealed HttpOnly SameSite=Strict cookie', async () => {
    const js = await fetch(`${gateway.url}/console/assets/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('content-security-policy')).toContain("script-src 'self'");
    const etag = js.headers.get('etag')!;
    expect((await fetch(`${gateway.url}/console/assets/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(
      304,
    );
    const css = await fetch(`${gateway.url}/console/assets/app.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const login = await fetch(`${gateway.url}/console/login`, {
      method: 'POST',
      headers: { origin: gateway.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${ADMIN_TOKEN}`,
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^alto_console=[\w-]+; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(cookie).not.toContain(ADMIN_TOKEN);
  });

  it('refuses state-changing calls without the CSRF token or from another origin', async () => {
    const cookie = await loginCookie();
    const session = (await (await fetch(`${gateway.url}/console/api/session`, { headers: { cookie } })).json()) as any;
    expect(session).toMatchObject({ name: 'default', scope: 'write' });
    const replay = (headers: Record<string, string>) =>
      fetch(`${gateway.url}/console/api/admin/models/tiny/dead-letters/replay`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: '{}',
      });
    const noToken = await replay({ origin: gateway.url });
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as any).error.message).toMatch(/x-alto-csrf/);
    const otherOrigin = await replay({ origin: 'http://evil.example', 'x-alto-csrf': session.csrf });
    expect(otherOrigin.status).toBe(403);
    expect(((await otherOrigin.json()) as any).error.message).toMatch(/evil\.example/);
    const ok = await replay({ origin: gateway.url, 'x-alto-csrf': session.csrf });
    expect(ok.status, await ok.clone().text()).toBe(200);
    const crossLogin = await fetch(`${gateway.url}/console/login`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${ADMIN_TOKEN}`,
      redirect: 'manual',
    });
    expect(crossLogin.status).toBe(403);
  });

  it('logs in and shows both demo models, the worker and the publisher leader', async () => {
    await page.goto(`${gateway.url}/console/login`);
    await page.fill('#token', ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${gateway.url}/console/`), page.click('button[type=submit]')]);
    const models = page.getByRole('table', { name: 'Published models' });
    await models.getByRole('link', { name: 'tiny' }).waitFor();
    await models.getByRole('link', { name: 'textdir' }).waitFor();
    const workers = page.getByRole('table', { name: 'Workers' });
    await workers.getByText('console-w1').waitFor();
    await expect.poll(() => page.getByTestId('leader').textContent()).toMatch(/^vm-\d+$/);
    // Traffic, until the gateway's samples show it: fleet-wide rates and this gateway's latencies.
    const cookie = await loginCookie();
    let sending = true;
    const traffic = (async () => {
      while (sending) expect((await predictTiny()).status).toBe(200);
    })();
    await waitFor(
      async () => {
        const stats = (await (await fetch(`${gateway.url}/console/api/stats`, { headers: { cookie } })).json()) as any;
        const tiny = stats.series.tiny as any[];
        return (
          tiny.filter((x) => x.arrivals > 0).length >= 4 &&
          tiny.some((x) => x.completions > 0) &&
          tiny.some((x) => x.p50 !== null && x.p50 > 0 && x.p99 >= x.p50) &&
          tiny.every((x) => x.errors === 0)
        );
      },
      { what: 'tiny traffic in the samples', timeoutMs: 60_000, intervalMs: 200 },
    );
    // And the page shows them on its next poll.
    const tinyRow = models.getByRole('row').filter({ has: page.getByRole('link', { name: 'tiny', exact: true }) });
    await expect.poll(() => tinyRow.textContent(), { timeout: 30_000 }).toMatch(/\d ms \/ [\d.]+ ms/);
    // The charts have samples to draw: wait for two rounds of the sampler.
    await waitFor(
      async () => {
        const n = await page.evaluate(
          () => (globalThis as any).document.querySelectorAll('figure.chart canvas').length,
        );
        return n >= 4;
      },
      { what: 'charts drawn', timeoutMs: 30_000, intervalMs: 250 },
    );
    await shot('overview');
    sending = false;
    await traffic;
    expect(pageErrors).toEqual([]);
    await expectAccessible('the overview');
  });

  it('runs a tiny prediction in the playground and shows the output the model computes', async () => {
    await page.goto(`${gateway.url}/console/#/playground/tiny`);
    await expect.poll(() => page.inputValue('#pg-model')).toBe('tiny');
    await expect.poll(() => page.inputValue('#pg-input')).toContain('"x"');
    await page.click('button:has-text("Run")');
    const out = page.getByTestId('output-json');
    await out.waitFor();
    const output = JSON.parse((await out.textContent())!) as Record<string, { shape: number[]; data: number[] }>;
    const [name] = Object.keys(output);
    const want = await runDirect('tiny', 'x', new Float32Array(64).fill(0.5), [1, 64]);
    expect(output[name!]!.shape).toEqual(want.dims);
    expectClose(output[name!]!.data, want.data);
    await shot('playground');
    await expectAccessible('the playground');
  });

  it('runs textdir on an uploaded image', async () => {
    await page.goto(`${gateway.url}/console/#/playground/textdir`);
    await expect.poll(() => page.inputValue('#pg-model')).toBe('textdir');
    // Any image will do: the page itself, as PNG.
    const png = await page.screenshot({ clip: { x: 0, y: 0, width: 384, height: 96 } });
    await page.setInputFiles('#pg-file', { name: 'text.png', mimeType: 'image/png', buffer: png });
    await expect.poll(() => page.inputValue('#pg-input')).toContain('[1,3,48,192]');
    await page.click('button:has-text("Run")');
    const out = page.getByTestId('output-json');
    await out.waitFor();
    const output = JSON.parse((await out.textContent())!) as Record<string, { shape: number[]; data: number[] }>;
    const first = Object.values(output)[0]!;
    expect(first.shape).toEqual([1, 2]);
    expect(first.data[0]! + first.data[1]!).toBeCloseTo(1, 4);
  });

  it('shows a prediction with its timeline and trace link', async () => {
    await page.click('[data-testid=playground-output] a');
    await page.getByTestId('timeline').getByText('completed').waitFor();
    expect(await page.getByTestId('timeline').textContent()).toMatch(/started .*\(\+\d+ ms, queued/);
    const trace = page.getByRole('link', { name: 'trace' });
    expect(await trace.getAttribute('href')).toMatch(/^http:\/\/jaeger\.invalid:16686\/trace\/[0-9a-f]{32}$/);
    await shot('prediction');
    await expectAccessible('the prediction page');
  });

  it('shows the webhook deliveries of a prediction with their attempts', async () => {
    // The receiver fails the first attempt: delivered on the second.
    receiver.reply('/hook', { status: 500 });
    const r = await fetch(`${gateway.url}/v1/models/tiny/predictions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'wait=10' },
      body: JSON.stringify({
        input: { x: { datatype: 'FP32', shape: [1, 64], data: Array(64).fill(0.5) } },
        webhook: `${receiver.url}/hook`,
      }),
    });
    const { id } = (await r.json()) as { id: string };
    await page.goto(`${gateway.url}/console/#/predictions/${id}`);
    const deliveries = page.getByRole('table', { name: `Deliveries to ${receiver.url}/hook` });
    const completed = deliveries.getByRole('row').filter({ hasText: 'prediction.completed' });
    await completed.getByText('delivered').waitFor({ timeout: 30_000 });
    const cells = await completed.getByRole('cell').allTextContents();
    // Event, state, attempts, last status.
    expect(cells.slice(0, 4)).toEqual(['prediction.completed', 'delivered', '2', '200']);
    expect(receiver.to('/hook')).toHaveLength(2);
    await shot('prediction-webhook');
  });

  it('replays a dead letter from the model page', async () => {
    // A prediction pinned to a version no worker serves, dead-lettered as a crashing worker would leave it.
    const store = new PredictionStore(redis, keys);
    const tensor: Tensor = { datatype: 'FP32', shape: [1, 64], data: new Uint8Array(new Float32Array(64).buffer) };
    const p = await store.enqueue({
      id: newPredictionId('tiny'),
      model: 'tiny',
      version: '9',
      pinned: true,
      format: 'json',
      tensors: new Map([['x', tensor]]),
    });
    const c = new StreamConsumer(blocking, redis, keys, {
      model: 'tiny',
      version: '9',
      consumer: 'crashing',
      retentionMs: 60_000,
      maxDeliveries: 1,
    });
    await c.ensureGroup();
    await c.read(10, 100);
    expect((await c.start(await c.reclaim(0, 10))).poisoned.map((e) => e.predictionId)).toEqual([p.id]);

    await page.goto(`${gateway.url}/console/#/models/tiny`);
    const dead = page.getByRole('table', { name: 'Dead letters' });
    await dead.getByText(p.id).waitFor();
    await shot('model');
    await expectAccessible('the model page');
    await dead.getByRole('button', { name: 'Replay' }).click();
    await page.getByText(`Replayed 1: ${p.id}`).waitFor();
    // Replayed to the model's own stream (the pin is dropped): the worker runs it.
    await waitFor(async () => (await store.get(p.id))?.status === 'succeeded', {
      what: 'replayed prediction succeeded',
      timeoutMs: 30_000,
    });
    await page.getByRole('heading', { name: 'Dead letters (0)' }).waitFor();
  });

  it('unpublishes and publishes textdir from the model page', async () => {
    await page.goto(`${gateway.url}/console/#/models/textdir`);
    await page.getByRole('button', { name: 'Unpublish textdir' }).waitFor();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Unpublish textdir' }).click();
    await page.getByText('textdir is not published.').waitFor();
    expect((await admin('/models/textdir')).status).toBe(404);
    // The publish form holds the settings it had.
    const form = page.getByTestId('publish-form');
    expect(await form.getByLabel('Name').inputValue()).toBe('textdir');
    expect(await form.getByLabel('Base URI').inputValue()).toBe(join(repo, 'textdir'));
    // The publisher's validation, shown as it words it.
    await form.getByLabel('Replicas').fill('-1');
    await form.getByRole('button', { name: 'Publish' }).click();
    await form.getByText(/invalid_input: .*replicas/).waitFor();
    await form.getByLabel('Replicas').fill('1');
    await form.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('Published textdir.').first().waitFor();
    await waitFor(
      async () => {
        const r = await admin('/models/textdir');
        return r.ok && ((await r.json()) as { status: { state: string } }).status.state === 'available';
      },
      { what: 'textdir available again', timeoutMs: 60_000, intervalMs: 250 },
    );
    await page.getByRole('button', { name: 'Unpublish textdir' }).waitFor({ timeout: 30_000 });
    await shot('model-published');
  });

  it('lists API keys with their owner, limits and usage', async () => {
    const created = await fetch(`${gateway.url}/v1/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'batch-jobs', owner: 'team-ml', models: ['tiny'], rate: 5, burst: 10 }),
    });
    expect(created.status).toBe(201);
    // Usage as a worker records it after a batch (the admin API's `usage`, test/key-usage.test.ts).
    const { id } = (await created.json()) as { id: string };
    await addKeyUsage(redis, keys, [{ key: id, model: 'tiny', predictions: 3, computeSeconds: 0.25 }]);
    await page.goto(`${gateway.url}/console/#/keys`);
    const row = page
      .getByRole('table', { name: 'Managed API keys' })
      .getByRole('row')
      .filter({ hasText: 'batch-jobs' });
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    // Name, id, owner, created, last used, models, rate, burst.
    expect([cells[0], cells[2], cells[4], cells[5], cells[6], cells[7]]).toEqual([
      'batch-jobs',
      'team-ml',
      'never',
      'tiny',
      '5',
      '10',
    ]);
    await row.getByText('tiny: 3 predictions, 0.25 s compute').waitFor();
    await shot('keys');
    await expectAccessible('the API keys page');
  });

  it('offers a read-only token no action, and the publisher refuses its changes', async () => {
    const reader = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const p = await reader.newPage();
      await p.goto(`${gateway.url}/console/login`);
      await p.fill('#token', READ_TOKEN);
      await Promise.all([p.waitForURL(`${gateway.url}/console/`), p.click('button[type=submit]')]);
      await p.getByText('viewer (read)').waitFor();
      await p.goto(`${gateway.url}/console/#/models/tiny`);
      await p.getByText('This token is read-only: no action is offered.').waitFor();
      expect(await p.getByRole('button', { name: 'Unpublish tiny' }).count()).toBe(0);
      // Its session cannot change state even when asked directly.
      const cookie = (await reader.cookies()).find((c) => c.name === 'alto_console')!;
      const session = (await (
        await fetch(`${gateway.url}/console/api/session`, { headers: { cookie: `alto_console=${cookie.value}` } })
      ).json()) as any;
      const r = await fetch(`${gateway.url}/console/api/admin/models/tiny`, {
        method: 'DELETE',
        headers: { cookie: `alto_console=${cookie.value}`, origin: gateway.url, 'x-alto-csrf': session.csrf },
      });
      expect(r.status).toBe(403);
      expect(((await r.json()) as any).error.code).toBe('forbidden');
      expect((await admin('/models/tiny')).status).toBe(200);
    } finally {
      await reader.close();
    }
  });

  it('shows a worker lost when it dies, and serving again when it is back', async () => {
    await page.goto(`${gateway.url}/console/#/`);
    const row = page.getByRole('table', { name: 'Workers' }).getByRole('row').filter({ hasText: 'console-w1' });
    await row.getByText('running').waitFor();
    await worker.kill('SIGKILL');
    await row.getByText('lost').waitFor({ timeout: 30_000 });
    worker = await startManagedWorker(redisUrl, prefix, 'console-w1', { ALTO_CACHE_DIR: join(repo, '.cache') });
    procs.push(worker);
    await row.getByText('running').waitFor({ timeout: 60_000 });
    await expect.poll(async () => (await row.textContent())?.match(/ready/g)?.length ?? 0, { timeout: 60_000 }).toBe(2);
  });

  it('shows that the publisher is gone, and recovers when it comes back', async () => {
    await page.goto(`${gateway.url}/console/#/`);
    await page.getByRole('table', { name: 'Published models' }).waitFor();
    await publisher.kill();
    const banner = page.locator('#banner');
    await banner.getByText(/Reconnecting: .*cannot be reached/).waitFor({ timeout: 30_000 });
    await shot('publisher-down');
    publisher = await startPublisher(redisUrl, prefix, {
      ALTO_ALLOWED_ROOTS: repo,
      ALTO_ADMIN_TOKENS: `viewer:read:${READ_TOKEN}`,
      ALTO_ADMIN_PORT: publisherPort,
    });
    procs.push(publisher);
    await banner.waitFor({ state: 'hidden', timeout: 60_000 });
    await page.getByRole('table', { name: 'Published models' }).getByRole('link', { name: 'tiny' }).waitFor();
  });

  it('logs out: the session cookie is cleared, and a copy of it no longer works', async () => {
    const copy = (await context.cookies()).find((c) => c.name === 'alto_console')!;
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${gateway.url}/console/login`);
    await page.goto(`${gateway.url}/console/`);
    await expect.poll(() => page.url()).toBe(`${gateway.url}/console/login`);
    const replayed = await fetch(`${gateway.url}/console/api/session`, {
      headers: { cookie: `alto_console=${copy.value}` },
    });
    expect(replayed.status).toBe(401);
  });
});
