// A real HTTP receiver on 127.0.0.1 for webhook tests: records every request, and answers
// each path with the replies queued for it, in order (200 once they run out). A reply of
// 'hold' never answers, like a receiver that hangs.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hold';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** When it arrived, epoch ms. */
  at: number;
  /** The status answered; undefined while held or when the client went away first. */
  answered?: number;
}

export interface Receiver {
  url: string;
  requests: Received[];
  to(path: string): Received[];
  /** Queues replies for a path. */
  reply(path: string, ...replies: Reply[]): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: Received[] = [];
  const replies = new Map<string, Reply[]>();
  const held: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const r: Received = { path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      requests.push(r);
      const reply = replies.get(path)?.shift() ?? { status: 200 };
      if (reply === 'hold') {
        held.push(res);
        return;
      }
      res.writeHead(reply.status, reply.headers).end(reply.body ?? '');
      r.answered = reply.status;
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    to: (path) => requests.filter((r) => r.path === path),
    reply(path, ...rs) {
      replies.set(path, [...(replies.get(path) ?? []), ...rs]);
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
