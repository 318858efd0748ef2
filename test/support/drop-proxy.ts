// A TCP proxy that loses the answer of the first request sent through it: it forwards the
// request to the upstream, and when the upstream starts answering it cuts the client's
// connection, so the request was served but the client saw only a dropped connection. Every
// later connection is passed through. What a client retry is for, on a real socket.
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface DropProxy {
  url: string;
  /** Connections accepted so far. */
  connections: number;
  /** Whether the first connection was cut after the upstream began to answer. */
  dropped: boolean;
  close(): Promise<void>;
}

export async function startDropProxy(upstream: string): Promise<DropProxy> {
  const { hostname, port } = new URL(upstream);
  const sockets = new Set<Socket>();
  const proxy: DropProxy = { url: '', connections: 0, dropped: false, close: async () => undefined };
  const server: Server = createServer((client) => {
    const first = proxy.connections++ === 0;
    const up = connect(Number(port), hostname);
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(up);
    if (first) {
      up.once('data', () => {
        proxy.dropped = true;
        client.destroy();
        up.destroy();
      });
    } else {
      up.pipe(client);
    }
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  };
  return proxy;
}
