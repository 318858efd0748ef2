// Free TCP ports on the loopback, and the one-line failure for a fixed port that is taken.

import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';

// freePort picks at random below the OS's ephemeral range rather than asking for port 0. The OS
// hands a port it just freed back to the next listen(0) about once in twenty, so two callers
// that have not yet bound theirs — a Redis Cluster's nodes starting together, test files
// running in parallel processes — could be handed the same one; and an outgoing connection takes
// its local port from the ephemeral range, so it can take a chosen port there before the server
// binds it. A port this process handed out is not handed out again for two minutes.
const handedOut = new Map<number, number>();
const REMEMBER_MS = 120_000;
const LOWEST = 10_000;

/** Ports to pick from: [LOWEST, the ephemeral range's start), when that holds enough of them. */
let range: [number, number] | null | undefined;
function pickRange(): [number, number] | null {
  if (range !== undefined) return range;
  let low = 0;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    // Not Linux: listen(0) it is.
  }
  range = low - LOWEST >= 4096 ? [LOWEST, low] : null;
  return range;
}

/**
 * A port free on `host` right now that this process has not handed out in the last two
 * minutes; another process may still take it before it is bound.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const now = Date.now();
  for (const [port, at] of handedOut) if (now - at > REMEMBER_MS) handedOut.delete(port);
  const pick = pickRange();
  for (let attempt = 0; ; attempt++) {
    const port = pick && attempt < 100 ? randomInt(pick[0], pick[1]) : await listenZero(host);
    if (handedOut.has(port) && attempt < 200) continue;
    if (pick && attempt < 100 && !(await portFree(port, host))) continue;
    handedOut.set(port, now);
    return port;
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
