// The ports `npm start` settles before starting anything: chosen ones must be free, the
// worker's default metrics port moves when taken, malformed values pass on to the child.
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { PortInUseError, freePort } from '@alto/procs';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_GRPC_PORT, DEFAULT_METRICS_PORT, fleetPorts } from './ports.ts';

const held: Server[] = [];
/** Listens on `port`; false when something else already holds it. */
async function hold(port = 0): Promise<number | false> {
  const s = createServer();
  const listening = once(s, 'listening').then(
    () => true,
    () => false,
  );
  s.listen(port, '127.0.0.1');
  if (!(await listening)) return false;
  held.push(s);
  return (s.address() as { port: number }).port;
}
afterEach(async () => {
  await Promise.all(held.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('fleet ports', () => {
  it('passes the chosen ports on when they are free', async () => {
    const [gw, admin, metrics, grpc] = [await freePort(), await freePort(), await freePort(), await freePort()];
    expect(
      await fleetPorts(
        {
          PORT: String(gw),
          ALTO_ADMIN_PORT: String(admin),
          ALTO_METRICS_PORT: String(metrics),
          ALTO_GRPC_PORT: String(grpc),
        },
        '127.0.0.1',
      ),
    ).toEqual({ gateway: String(gw), admin: String(admin), metrics: String(metrics), grpc: String(grpc) });
  });

  it.each(['PORT', 'ALTO_ADMIN_PORT', 'ALTO_METRICS_PORT', 'ALTO_GRPC_PORT'])(
    'refuses a taken %s, naming it',
    async (name) => {
      const taken = (await hold()) as number;
      const env = { PORT: String(await freePort()), [name]: String(taken) };
      const err = await fleetPorts(env, '127.0.0.1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect((err as Error).message).toBe(
        `port ${taken} on 127.0.0.1 is in use (another Alto running?); set ${name} to a free port`,
      );
    },
  );

  it("moves the worker's default metrics port and the default gRPC port when taken, and picks a free admin port", async () => {
    // Held here, or already held by something else: taken either way.
    await hold(DEFAULT_METRICS_PORT);
    await hold(DEFAULT_GRPC_PORT);
    const ports = await fleetPorts({ PORT: String(await freePort()) }, '127.0.0.1');
    expect(ports.metrics).not.toBe(String(DEFAULT_METRICS_PORT));
    expect(ports.grpc).not.toBe(String(DEFAULT_GRPC_PORT));
    expect(Number(ports.metrics)).toBeGreaterThan(0);
    expect(Number(ports.admin)).toBeGreaterThan(0);
  });

  it("passes a malformed port on untouched, for the child's own configuration check", async () => {
    expect((await fleetPorts({ PORT: 'eighty' }, '127.0.0.1')).gateway).toBe('eighty');
  });
});
