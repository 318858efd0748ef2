// Free TCP ports on the loopback, and the one-line failure for a fixed port that is taken.

import { createServer, type AddressInfo, type Server } from 'node:net';

// Ports this process handed out lately. The OS may give a port back to the next listen(0) as
// soon as freePort closes it, so two callers that have not yet bound theirs (a Redis Cluster's
// nodes starting together: client and bus ports) could be handed the same one.
const handedOut = new Map<number, number>();
const REMEMBER_MS = 120_000;

/**
 * A port the OS reports free on `host` right now, and not one this process handed out in the
 * last two minutes (another process may still take it before it is bound).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const now = Date.now();
  for (const [port, at] of handedOut) if (now - at > REMEMBER_MS) handedOut.delete(port);
  for (let attempt = 0; ; attempt++) {
    const port = await listenZero(host);
    if (!handedOut.has(port) || attempt >= 50) {
      handedOut.set(port, now);
      return port;
    }
  }
}

function listenZero(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Whether `port` can be listened on at `host` right now. */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** A fixed port is taken; the message is one line naming the port and the variable that moves it. */
export class PortInUseError extends Error {
  readonly code = 'port_in_use';
  constructor(
    readonly port: number,
    readonly host: string,
    /** The environment variable that sets this port. */
    readonly variable: string,
  ) {
    super(`port ${port} on ${host} is in use (another Alto running?); set ${variable} to a free port`);
    this.name = 'PortInUseError';
  }
}

/** Throws PortInUseError when `port` (non-zero) cannot be listened on at `host`. */
export async function assertPortFree(port: number, host: string, variable: string): Promise<void> {
  if (port !== 0 && !(await portFree(port, host))) throw new PortInUseError(port, host, variable);
}

/**
 * Listens on `port` at `host` and resolves to the port bound (a free one for 0). A taken port
 * rejects with PortInUseError naming `variable`, not an uncaught EADDRINUSE with a stack trace.
 */
export function listen(server: Server, port: number, host: string, variable: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, host, variable) : err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
