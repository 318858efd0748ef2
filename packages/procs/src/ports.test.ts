// Free ports and the one-line failure for a taken one; sockets on the loopback only.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PortInUseError, assertPortFree, freePort, listen, portFree } from './ports.ts';

const EPHEMERAL_LOW = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return 0;
  }
})();

const held: Server[] = [];
async function hold(port = 0): Promise<number> {
  const s = createServer();
  held.push(s);
  s.listen(port, '127.0.0.1');
  await once(s, 'listening');
  return (s.address() as { port: number }).port;
}
afterEach(async () => {
  await Promise.all(held.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('ports', () => {
  it('freePort returns a port that can then be listened on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await hold(port)).toBe(port);
  });

  it('freePort does not hand out the same port twice, though the OS gives a closed one back', async () => {
    // Sequential listen(0)s on Linux repeat a port about once in twenty; a cluster's nodes take
    // two ports each before any binds them.
    const ports: number[] = [];
    for (let i = 0; i < 500; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
  });

  it.runIf(EPHEMERAL_LOW >= 14_096)(
    'freePort picks below the ephemeral range, where outgoing connections take their ports',
    async () => {
      const low = EPHEMERAL_LOW;
      for (let i = 0; i < 20; i++) {
        const port = await freePort();
        expect(port).toBeGreaterThanOrEqual(10_000);
        expect(port).toBeLessThan(low);
      }
    },
  );

  it('portFree tells a held port from a free one', async () => {
    const port = await hold();
    expect(await portFree(port)).toBe(false);
    expect(await portFree(await freePort())).toBe(true);
  });

  it('assertPortFree names the port and the variable that moves it, in one line', async () => {
    const port = await hold();
    const err = await assertPortFree(port, '127.0.0.1', 'ALTO_METRICS_PORT').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortInUseError);
    expect((err as PortInUseError).message).toBe(
      `port ${port} on 127.0.0.1 is in use (another Alto running?); set ALTO_METRICS_PORT to a free port`,
    );
    expect((err as PortInUseError).message).not.toContain('\n');
  });

  it('assertPortFree accepts a free port and port 0 (any)', async () => {
    await expect(assertPortFree(await freePort(), '127.0.0.1', 'PORT')).resolves.toBeUndefined();
    await expect(assertPortFree(0, '127.0.0.1', 'PORT')).resolves.toBeUndefined();
  });

  it('listen binds a free port for 0 and refuses a taken one with PortInUseError naming the variable', async () => {
    const server = createServer();
    held.push(server);
    const port = await listen(server, 0, '127.0.0.1', 'ALTO_METRICS_PORT');
    expect(port).toBeGreaterThan(0);
    expect(await portFree(port)).toBe(false);
    const second = createServer();
    const refused = await listen(second, port, '127.0.0.1', 'ALTO_METRICS_PORT').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(PortInUseError);
    expect((refused as Error).message).toBe(
      `port ${port} on 127.0.0.1 is in use (another Alto running?); set ALTO_METRICS_PORT to a free port`,
    );
  });
});
