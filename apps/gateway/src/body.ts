// Reads a request body with a size limit enforced while reading (Content-Length or
// chunked). On @hono/node-server it reads Node's IncomingMessage directly: going through
// the web Request/ReadableStream layer cost ~15% of the gateway's CPU per request under load
// (node --cpu-prof, tiny at concurrency 64; see docs/benchmarks.md).
import type { IncomingMessage } from 'node:http';
import { AltoError, BINARY_CONTENT_TYPE, HEADER_LENGTH_HEADER, parseBinaryBody, parseJsonBody } from '@alto/protocol';
import type { Context } from 'hono';
import { MSGPACK_TYPE, decodeMsgpackRequest, isMsgpack } from './msgpack.ts';

const tooLarge = (limit: number) =>
  new AltoError('payload_too_large', `request body is larger than the limit of ${limit} bytes`);

export async function readBody(c: Context, limit: number): Promise<Buffer> {
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const chunks: Buffer[] = [];
  let size = 0;
  const take = (chunk: Uint8Array) => {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge(limit);
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  };
  try {
    if (incoming) {
      for await (const chunk of incoming) take(chunk as Buffer);
    } else if (c.req.raw.body) {
      // Any other runtime (and in-process app.request in tests): the web stream.
      for await (const chunk of c.req.raw.body as unknown as AsyncIterable<Uint8Array>) take(chunk);
    }
  } catch (err) {
    if (err instanceof AltoError) throw err;
    // The stream fails only when the client closed the connection (or broke its framing)
    // before the whole body arrived: the client's doing, not an internal error.
    const of = Number.isFinite(declared) ? ` of the ${declared} its Content-Length declared` : '';
    throw new AltoError('invalid_input', `request body: the connection closed after ${size} bytes${of}`);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;
const BINARY_TYPE = /^application\/octet-stream\s*(;|$)/i;

/**
 * The request's JSON: a JSON body, or the header of a binary body with its tensors attached;
 * and the body's bytes as received.
 */
export async function readRequest(c: Context, limit: number): Promise<{ json: unknown; raw: Buffer }> {
  const type = c.req.header('content-type') ?? '';
  const binary = BINARY_TYPE.test(type);
  const msgpack = isMsgpack(type);
  if (!binary && !msgpack && !JSON_TYPE.test(type)) {
    throw new AltoError(
      'unsupported_media_type',
      `Content-Type must be application/json, ${MSGPACK_TYPE} or ${BINARY_CONTENT_TYPE} ` +
        `(with Inference-Header-Content-Length), got '${type || '(none)'}'`,
    );
  }
  const body = await readBody(c, limit);
  if (msgpack) return { json: decodeMsgpackRequest(body), raw: body };
  if (binary) return { json: parseBinaryBody(body, c.req.header(HEADER_LENGTH_HEADER)), raw: body };
  return { json: parseJson(body), raw: body };
}

/**
 * The JSON in `body` (its first `end` bytes, if given); invalid_json naming the parser's
 * complaint otherwise. Large `b64` strings of tensor objects stay in the body (parseJsonBody);
 * any other value is what JSON.parse gives.
 */
export function parseJson(body: Buffer, end?: number): unknown {
  try {
    return parseJsonBody(body, end);
  } catch (err) {
    throw new AltoError('invalid_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
}
