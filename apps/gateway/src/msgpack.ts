// msgpack bodies on Alto's prediction API: a request with Content-Type application/msgpack is
// the JSON request's shape in msgpack, where a tensor's "data" may be msgpack bin holding its
// raw little-endian row-major bytes; with Accept: application/msgpack a prediction comes back
// in msgpack with every output tensor's "data" as bin. Errors stay JSON (errors.ts).
import { decode, encode } from '@msgpack/msgpack';
import {
  DATATYPE_INFO,
  RAW_TENSOR,
  elementCount,
  fmtShape,
  invalidInput,
  isDatatype,
  renderPrediction,
  type Prediction,
  type PredictionRecord,
  type TensorMap,
} from '@alto/protocol';
import type { Context } from 'hono';

export const MSGPACK_TYPE = 'application/msgpack';

/** application/msgpack, and the older application/x-msgpack some clients still send. */
const TYPE = /^application\/(x-)?msgpack\s*(;|$)/i;

export const isMsgpack = (contentType: string | undefined): boolean => TYPE.test(contentType ?? '');

/**
 * Whether the Accept header prefers msgpack: application/msgpack (or x-msgpack) with q > 0,
 * weighted at least as high as application/json and any wildcard.
 */
export function acceptsMsgpack(accept: string | undefined): boolean {
  if (!accept) return false;
  let msgpack = 0;
  let other = 0;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (!Number.isFinite(weight)) continue;
    if (TYPE.test(range)) msgpack = Math.max(msgpack, weight);
    else if (range === 'application/json' || range === '*/*' || range === 'application/*') {
      // A bare wildcard alongside msgpack does not outrank it: `Accept: application/msgpack, */*`.
      other = Math.max(other, range === 'application/json' ? weight : 0);
    }
  }
  return msgpack > 0 && msgpack >= other;
}

/**
 * The request a msgpack body holds, shaped as the JSON one; a tensor whose "data" is bin has
 * its bytes attached where decodeTensor takes raw bytes (checked there against shape and datatype).
 */
export function decodeMsgpackRequest(body: Buffer): unknown {
  let value: unknown;
  try {
    value = decode(body);
  } catch (err) {
    throw invalidInput(`request body is not valid msgpack: ${(err as Error).message}`);
  }
  const input = (value as { input?: unknown } | null)?.input;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return value;
  for (const [name, tensor] of Object.entries(input)) {
    if (typeof tensor !== 'object' || tensor === null) continue;
    const t = tensor as Record<string | symbol, unknown>;
    if (t.data instanceof Uint8Array) {
      const bytes = t.data;
      // Worded for msgpack here; anything else about the tensor is validateInputs's to check.
      const { datatype, shape } = t;
      if (isDatatype(datatype) && Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        const need = elementCount(name, shape as number[]) * DATATYPE_INFO[datatype].size;
        if (need !== bytes.byteLength) {
          throw invalidInput(
            `input '${name}': data (bin) is ${bytes.byteLength} bytes, shape ${fmtShape(shape as number[])} of ${datatype} needs ${need}`,
          );
        }
      }
      t[RAW_TENSOR] = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      delete t.data;
    }
  }
  return value;
}

/** An output tensor in a msgpack body: its raw bytes, or the object it was written to (docs/payloads.md). */
export type BinTensor = { datatype: string; shape: number[] } & ({ data: Uint8Array } | { uri: string });

const binOutputs = (output: TensorMap): Record<string, BinTensor> =>
  Object.fromEntries(
    [...output].map(([name, t]) => [
      name,
      t.ref
        ? { datatype: t.datatype, shape: t.shape, uri: t.ref.uri }
        : { datatype: t.datatype, shape: t.shape, data: t.data },
    ]),
  );

/** A prediction as renderPrediction renders it, with each output tensor's data as raw bytes. */
export function binPrediction(
  record: PredictionRecord,
  base: string,
): Omit<Prediction, 'output'> & {
  output: Record<string, BinTensor> | null;
} {
  return {
    ...renderPrediction({ ...record, output: null }, base),
    output: record.output ? binOutputs(record.output) : null,
  };
}

/** msgpack of `value`: Uint8Arrays become bin, undefined fields are left out. */
export const encodeMsgpack = (value: unknown): Uint8Array => encode(value, { ignoreUndefined: true });

/** A prediction response: msgpack when the Accept header prefers it, else JSON. */
export function predictionResponse(
  c: Context,
  record: PredictionRecord,
  base: string,
  status: 200 | 202,
  headers: Record<string, string> = {},
): Response {
  // The same URL answers in either encoding: caches must key on Accept.
  const vary = { ...headers, vary: 'Accept' };
  if (!acceptsMsgpack(c.req.header('accept'))) return c.json(renderPrediction(record, base), status, vary);
  const body = encodeMsgpack(binPrediction(record, base));
  return c.body(body as Uint8Array<ArrayBuffer>, status, { ...vary, 'content-type': MSGPACK_TYPE });
}
