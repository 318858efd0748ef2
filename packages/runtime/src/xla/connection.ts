// One Unix-socket connection to the XLA runtime: one request at a time, as PROTOCOL.md
// requires; several connections give parallel requests. A closed socket rejects the request
// in flight with RuntimeGoneError, which callers treat as a crash (restart, redeliver).
import { createConnection, type Socket } from 'node:net';
import { FrameReader, encodeFrame, type Frame, type FrameTensor } from './frame.ts';

/** An error reply of the runtime: `code` is PROTOCOL.md's (`invalid_input`, `model_invalid`, ...). */
export class XlaRuntimeError extends Error {
  override readonly name = 'XlaRuntimeError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The runtime closed the connection or exited: a crash, not an answer. */
export class RuntimeGoneError extends Error {
  override readonly name = 'RuntimeGoneError';
}

export class XlaConnection {
  private readonly reader = new FrameReader();
  private pending: { resolve: (f: Frame) => void; reject: (e: Error) => void } | undefined;
  private closedWith: Error | undefined;
  private nextId = 1;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.reader.push(chunk);
      } catch (err) {
        this.fail(new RuntimeGoneError(`XLA runtime sent an unreadable frame: ${(err as Error).message}`));
        socket.destroy();
        return;
      }
      for (const f of frames) {
        const p = this.pending;
        this.pending = undefined;
        p?.resolve(f);
      }
    });
    socket.on('error', (err) => this.fail(new RuntimeGoneError(`XLA runtime connection failed: ${err.message}`)));
    socket.on('close', () => this.fail(new RuntimeGoneError('XLA runtime closed the connection')));
  }

  static open(path: string): Promise<XlaConnection> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new XlaConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  private fail(err: Error): void {
    this.closedWith ??= err;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
  }

  /**
   * Sends one request and waits for its reply. Resolves with an ok reply's header and
   * tensors; rejects with XlaRuntimeError for an error reply, RuntimeGoneError for a crash.
   */
  async request(header: Record<string, unknown>, tensors: readonly FrameTensor[] = []): Promise<Frame> {
    if (this.closedWith) throw this.closedWith;
    if (this.pending) throw new Error('XlaConnection: one request at a time');
    const id = this.nextId++;
    const reply = await new Promise<Frame>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(encodeFrame({ ...header, id }, tensors));
    });
    const h = reply.header as { ok?: boolean; id?: unknown; error?: { code?: string; message?: string } };
    if (h.id !== id) throw new RuntimeGoneError(`XLA runtime answered request ${String(h.id)} to request ${id}`);
    if (h.ok !== true)
      throw new XlaRuntimeError(h.error?.code ?? 'internal', h.error?.message ?? 'the XLA runtime reported an error');
    return reply;
  }

  close(): void {
    this.fail(new RuntimeGoneError('connection closed'));
    this.socket.destroy();
  }
}
