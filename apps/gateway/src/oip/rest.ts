// The Open Inference Protocol (KServe v2) over REST, mounted at /v2 beside Alto's own API:
// health, server and model metadata, model readiness and synchronous inference with the
// binary tensor extension. Errors are the protocol's `{"error": "<message>"}`; not in
// /openapi.json (the protocol has its own specification).
import { gunzipSync, inflateSync } from 'node:zlib';
import { AltoError, HEADER_LENGTH_HEADER, errorHeaders, invalidInput } from '@alto/protocol';
import type { Logger } from '@alto/telemetry';
import { Hono, type Context } from 'hono';
import type { Auth } from '../auth.ts';
import { parseJson, readBody } from '../body.ts';
import { idempotency, idempotencyKeyHash } from '../idempotency.ts';
import type { Readiness } from '../readiness.ts';
import { requestTrace } from '../tracing.ts';
import { asOipError } from './errors.ts';
import { infer, inferOptions, type InferDeps } from './infer.ts';
import { EXTENSIONS, SERVER_NAME, SERVER_VERSION, modelMetadata } from './metadata.ts';
import { parseRestInfer, restInferResponse } from './rest-tensors.ts';

export interface OipRestDeps extends InferDeps {
  auth: Auth;
  log: Logger;
  maxBodyBytes: number;
  /** How long an Idempotency-Key is remembered. */
  idempotencyMs: number;
  ready(): Promise<Readiness>;
}

/** The body, inflated when the client compressed it (tritonclient's request_compression_algorithm). */
function decode(c: Context, body: Buffer, limit: number): Buffer {
  const encoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
  try {
    if (encoding === 'gzip') return gunzipSync(body, { maxOutputLength: limit });
    if (encoding === 'deflate') return inflateSync(body, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new AltoError('payload_too_large', `request body inflates past the limit of ${limit} bytes`);
    }
    throw invalidInput(`request body: not valid ${encoding} data (${(err as Error).message})`);
  }
  if (encoding !== 'identity') {
    throw new AltoError(
      'unsupported_media_type',
      `header 'Content-Encoding': expected gzip, deflate or identity, got '${encoding}'`,
    );
  }
  return body;
}

/** The JSON header and the bytes after it (binary tensor extension), or the whole body as JSON. */
function split(c: Context, body: Buffer): { json: unknown; binary?: Buffer } {
  const declared = c.req.header(HEADER_LENGTH_HEADER);
  let end = body.length;
  if (declared !== undefined) {
    if (!/^\d+$/.test(declared) || Number(declared) > body.length) {
      throw invalidInput(
        `header 'Inference-Header-Content-Length': expected the byte length of the JSON header, ` +
          `at most the body's ${body.length}, got '${declared}'`,
      );
    }
    end = Number(declared);
  }
  const json = parseJson(body, end);
  return declared === undefined ? { json } : { json, binary: body.subarray(end) };
}

export function oipRest(d: OipRestDeps): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    const e = asOipError(err);
    if (!e) d.log.error({ err, method: c.req.method, path: c.req.path }, 'unhandled error');
    const status = e?.status ?? 500;
    // Retry-After with 429 and 503, WWW-Authenticate with 401, as on Alto's API.
    const headers = errorHeaders(status, 'alto');
    if (e?.predictionId) headers.location = `/v1/predictions/${e.predictionId}`;
    const body = e?.predictionId
      ? { error: e.message, prediction_id: e.predictionId }
      : { error: e?.message ?? 'internal error' };
    return c.json(body, status as 400, headers);
  });

  app.get('/', (c) => c.json({ name: SERVER_NAME, version: SERVER_VERSION, extensions: EXTENSIONS }));
  app.get('/health/live', (c) => c.json({ live: true }));
  // The protocol reads readiness from the status: 200 ready, 4xx not.
  app.get('/health/ready', async (c) => {
    const r = await d.ready();
    return r.ready ? c.json({ ready: true }) : c.json({ ready: false, reason: r.reason }, 400);
  });

  const model = (c: Context) => {
    const { model: name, version } = c.req.param() as { model: string; version?: string };
    return version === undefined ? d.predictions.findModel(name) : d.predictions.findVersion(name, version);
  };
  const metadata = async (c: Context) => c.json(modelMetadata(await model(c)));
  const ready = async (c: Context) => {
    const name = c.req.param('model')!;
    try {
      await model(c);
    } catch (err) {
      // Published but not loaded (or not that version): not ready, which is not an error.
      const e = err instanceof AltoError ? err.code : undefined;
      if (e === 'model_not_ready' || e === 'version_not_found') return c.json({ name, ready: false }, 400);
      throw err;
    }
    return c.json({ name, ready: true });
  };

  const inference = async (c: Context) => {
    const { model: name, version } = c.req.param() as { model: string; version?: string };
    const { owner, key } = await d.auth.caller(c.req.header('authorization'));
    const keyHash = idempotencyKeyHash(c.req.header('idempotency-key'));
    const raw = await readBody(c, d.maxBodyBytes);
    const { json, binary } = split(c, decode(c, raw, d.maxBodyBytes));
    const request = parseRestInfer(json, binary);
    const result = await infer(d, {
      model: name,
      ...(version !== undefined ? { version } : {}),
      owner,
      ...(key ? { key } : {}),
      inputs: request.inputs,
      ...(request.outputs ? { outputs: request.outputs.map((o) => o.name) } : {}),
      options: inferOptions(request.parameters),
      idempotency: (m, v) => idempotency(keyHash, raw, m, v, d.idempotencyMs),
      trace: requestTrace(c),
    });
    const binaryDefault = request.parameters.binary_data_output === true;
    const asked = new Map(request.outputs?.map((o) => [o.name, o.binary]));
    const { json: head, binary: chunks } = restInferResponse(
      {
        model_name: result.model.name,
        model_version: result.record.version,
        ...(request.id !== undefined ? { id: request.id } : {}),
        parameters: { prediction_id: result.record.id },
      },
      result.outputs.map((o) => ({ ...o, binary: asked.get(o.name) ?? binaryDefault })),
    );
    const headers: Record<string, string> = {};
    if (result.replayed) headers['idempotent-replayed'] = 'true';
    if (chunks.length === 0) return c.body(head, 200, { ...headers, 'content-type': 'application/json' });
    const header = Buffer.from(head);
    return c.body(new Uint8Array(Buffer.concat([header, ...chunks])), 200, {
      ...headers,
      'content-type': 'application/octet-stream',
      [HEADER_LENGTH_HEADER]: String(header.length),
    });
  };

  for (const base of ['/models/:model', '/models/:model/versions/:version']) {
    app.get(base, metadata);
    app.get(`${base}/ready`, ready);
    app.post(`${base}/infer`, inference);
  }
  app.all('*', (c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
