// Free TCP ports on the loopback, and the one-line failure for a fixed port that is taken.

import { createServer, type AddressInfo, type Server } from 'node:net';

/** A port the OS reports free on `host` right now (another process may still take it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
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
