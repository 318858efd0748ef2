// examples/webhook-receiver.mjs, the receiver docs/webhooks.md shows, run as documented and
// sent real deliveries: it verifies ours, handles a retry once, and refuses a forged one.
import { spawn } from 'node:child_process';
import { AddressPolicy, Deliverer, generateSecret, parseAllowList, parseSecrets } from '@alto/webhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/fleet.ts';
import { freePort } from './support/redis-server.ts';
import { waitFor } from './support/wait.ts';

describe('the example receiver', () => {
  const secret = generateSecret();
  let port: number;
  let output = '';
  let child: ReturnType<typeof spawn>;
  const policy = new AddressPolicy(parseAllowList('127.0.0.1/32'));

  beforeAll(async () => {
    port = await freePort();
    child = spawn(process.execPath, ['examples/webhook-receiver.mjs'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', WEBHOOK_SECRET: secret, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    await waitFor(() => output.includes('listening') || child.exitCode !== null, { what: 'the example receiver' });
    expect(child.exitCode, output).toBeNull();
  });
  afterAll(() => {
    child?.kill();
  });

  it('verifies a delivery, handles its retry once, and refuses one signed with another secret', async () => {
    const body = JSON.stringify({
      type: 'prediction.completed',
      timestamp: new Date().toISOString(),
      data: { id: 'tiny.01m83yc7vx5b9f403wkqdbx6nv', status: 'succeeded' },
    });
    const delivery = {
      url: `http://127.0.0.1:${port}/hooks/alto`,
      webhookId: 'tiny.01m83yc7vx5b9f403wkqdbx6nv.completed',
      body,
    };
    const ours = new Deliverer({ keys: parseSecrets(secret), policy });
    const forger = new Deliverer({ keys: parseSecrets(generateSecret()), policy });
    try {
      expect(await ours.deliver(delivery)).toMatchObject({ status: 204 });
      expect(await ours.deliver(delivery)).toMatchObject({ status: 204 });
      expect(await forger.deliver({ ...delivery, webhookId: 'other' })).toMatchObject({ status: 401 });
    } finally {
      ours.close();
      forger.close();
    }
    const lines = output
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        webhook_id: delivery.webhookId,
        type: 'prediction.completed',
        prediction: 'tiny.01m83yc7vx5b9f403wkqdbx6nv',
        status: 'succeeded',
      },
    ]);
  });
});
