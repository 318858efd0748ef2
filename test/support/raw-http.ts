// Raw HTTP/1.1 over node:net, for requests no well-behaved client sends: lying
// Content-Length, bodies cut short, malformed framing. Reads the first response only.
import { connect } from 'node:net';

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawOptions {
  /** Close the connection after this long without a complete response (the reply is then undefined). */
  giveUpMs?: number;
  /** Stop writing after this many bytes of `payload` and keep the connection open. */
  writeBytes?: number;
}

/** Parses the first response in `buf`, or returns undefined while it is incomplete. */
function parse(buf: Buffer): RawReply | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let rest = buf.subarray(end + 4);
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    return rest.length < n ? undefined : { status, headers, body: rest.subarray(0, n).toString('utf8') };
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const chunks: Buffer[] = [];
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      if (lineEnd === -1) return undefined;
      const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
      if (rest.length < lineEnd + 2 + size + 2) return undefined;
      if (size === 0) return { status, headers, body: Buffer.concat(chunks).toString('utf8') };
      chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      rest = rest.subarray(lineEnd + 2 + size + 2);
    }
  }
  return undefined; // body until close: completed in the 'end' handler
}

/** Sends `payload` as is and resolves with the first response, or undefined if none came. */
export function rawRequest(
  port: number,
  payload: Buffer | string,
  options: RawOptions = {},
): Promise<RawReply | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (reply: RawReply | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => finish(undefined), options.giveUpMs ?? 10_000);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const reply = parse(buf);
      if (reply) finish(reply);
    });
    socket.on('end', () => {
      const reply = parse(buf);
      if (reply || buf.indexOf('\r\n\r\n') === -1) return finish(reply);
      const end = buf.indexOf('\r\n\r\n');
      const head = parse(Buffer.concat([buf.subarray(0, end), Buffer.from('\r\ncontent-length: 0\r\n\r\n')]))!;
      finish({ ...head, body: buf.subarray(end + 4).toString('utf8') });
    });
    // The server may answer and close while we are still writing: that is an answer, not a failure.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const reply = parse(buf);
      if (reply) finish(reply);
      else if (err.code === 'ECONNRESET' || err.code === 'EPIPE') finish(undefined);
      else if (!done) {
        done = true;
        clearTimeout(timer);
        reject(err);
      }
    });
    const bytes = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
    socket.write(options.writeBytes === undefined ? bytes : bytes.subarray(0, options.writeBytes));
  });
}

/** A request with the given head lines and body, Content-Length as given or computed. */
export function rawPost(path: string, body: Buffer | string, headers: Record<string, string> = {}): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const all: Record<string, string> = { host: '127.0.0.1', 'content-type': 'application/json', ...headers };
  if (!Object.keys(all).some((k) => k.toLowerCase() === 'content-length' || k.toLowerCase() === 'transfer-encoding')) {
    all['content-length'] = String(b.length);
  }
  const head = [
    `POST ${path} HTTP/1.1`,
    ...Object.entries(all).map(([k, v]) => `${k}: ${v}`),
    'connection: close',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), b]);
}
