// The client of an Alto fleet's prediction API: submit, wait, get, cancel and list
// predictions. Tensors go out as TypedArrays (binary bodies past a threshold) and come back
// as TypedArrays; every method has a `…Json` twin where the wire form is wanted as is.
import { encodeRequest, type TensorInput } from './body.ts';
import { AltoError } from './errors.ts';
import { decodePrediction, type Prediction } from './prediction.ts';
import { Transport, sleep, type Reply } from './transport.ts';
import {
  isTerminal,
  type Priority,
  type PredictionJson,
  type PredictionListJson,
  type PredictionRequestJson,
  type Status,
  type WebhookEventName,
} from './types.ts';

export interface ClientOptions {
  /** Origin of the gateway, e.g. `http://127.0.0.1:8080` (a trailing slash is dropped). */
  url: string;
  /** One of the gateway's ALTO_API_KEYS, sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** Retries of a request that got no answer or a 503. @default 3 */
  retries?: number;
  /** First retry backoff, doubled each time (a Retry-After header waits at least that). @default 250 */
  backoffMs?: number;
  /** Per request, beyond any `Prefer: wait` it asks for. @default 30000 */
  timeoutMs?: number;
  /** Send TypedArray tensors as a binary body once their bytes reach this. @default 65536 */
  binaryThresholdBytes?: number;
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface PredictOptions {
  /**
   * Return only once the prediction is terminal (`true`), or after at most this many
   * milliseconds (a number), whichever comes first; `false` returns it as queued. Asks the
   * gateway to hold the answer (`Prefer: wait`, bare for `true`: its longest hold) and polls
   * past the gateway's cap. @default false
   */
  wait?: boolean | number;
  /** With `wait`: `false` returns after the gateway's hold, terminal or not, without polling. @default true */
  poll?: boolean;
  /** The prediction's own deadline from submission (its `timeout_ms`). @default the model's */
  timeoutMs?: number;
  /** @default 'normal' */
  priority?: Priority;
  /** URL the fleet POSTs the prediction's events to (verify them with verifyWebhook). */
  webhook?: string;
  /** @default ['completed'] */
  webhookEvents?: WebhookEventName[];
  /** Makes the call safe to repeat: the same key returns the first prediction. @default one generated per call */
  idempotencyKey?: string;
  /** A version the model serves. @default the model's current one */
  version?: string;
  /** A folder (under the fleet's ALTO_PAYLOAD_ROOTS) the worker writes each output to as .npy; see `outputObjects`. */
  outputUri?: string;
  signal?: AbortSignal;
}

export interface WaitOptions {
  /** Give up waiting after this long and return the prediction as it is. @default no limit */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ListOptions {
  model?: string;
  status?: Status;
  /** Predictions per page, 1 to 100. @default 20 */
  pageSize?: number;
  /** Start after this `next_cursor`. */
  cursor?: string;
  signal?: AbortSignal;
}

export interface PredictionPage {
  predictions: Prediction[];
  /** Pass as `cursor` to continue from this page; null on the last one. */
  nextCursor: string | null;
}

/** The longest single `Prefer: wait` a GET asks for; the gateway caps every hold (ALTO_MAX_WAIT_SECONDS). */
const MAX_WAIT_SECONDS = 60;
/** How long a bare `Prefer: wait` may hold the answer, for the request's timeout. */
const LONGEST_HOLD_MS = 600_000;
const POLL_START_MS = 100;
const POLL_MAX_MS = 2000;

const idPath = (id: string) => `/v1/predictions/${encodeURIComponent(id)}`;

export class AltoClient {
  private readonly t: Transport;
  private readonly binaryThreshold: number;

  constructor(o: ClientOptions) {
    if (typeof o?.url !== 'string' || !/^https?:\/\//.test(o.url)) {
      throw new AltoError(
        'invalid_input',
        `url: expected an http:// or https:// origin, got ${JSON.stringify(o?.url)}`,
      );
    }
    this.t = new Transport({
      url: o.url.replace(/\/+$/, ''),
      ...(o.apiKey ? { apiKey: o.apiKey } : {}),
      retries: o.retries ?? 3,
      backoffMs: o.backoffMs ?? 250,
      timeoutMs: o.timeoutMs ?? 30_000,
      fetch: o.fetch ?? ((...args) => globalThis.fetch(...args)),
    });
    this.binaryThreshold = o.binaryThresholdBytes ?? 65_536;
  }

  get url(): string {
    return this.t.o.url;
  }

  /** Submits a prediction; its outputs come back as TypedArrays. */
  async predict(model: string, inputs: Record<string, TensorInput>, o: PredictOptions = {}): Promise<Prediction> {
    const fields: Omit<PredictionRequestJson, 'input'> = { response_format: 'b64' };
    if (o.timeoutMs !== undefined) fields.timeout_ms = o.timeoutMs;
    if (o.priority !== undefined) fields.priority = o.priority;
    if (o.webhook !== undefined) fields.webhook = o.webhook;
    if (o.webhookEvents !== undefined) fields.webhook_events_filter = o.webhookEvents;
    if (o.outputUri !== undefined) fields.output_uri = o.outputUri;
    const encoded = encodeRequest(inputs, fields, this.binaryThreshold);
    return decodePrediction(await this.submit(model, encoded.body, encoded.headers, o));
  }

  /** Submits a request body as the API takes it (JSON) and returns the prediction as rendered. */
  predictJson(model: string, body: PredictionRequestJson, o: PredictOptions = {}): Promise<PredictionJson> {
    return this.submit(model, JSON.stringify(body), { 'content-type': 'application/json' }, o);
  }

  private async submit(
    model: string,
    body: string | Uint8Array,
    headers: Record<string, string>,
    o: PredictOptions,
  ): Promise<PredictionJson> {
    const path =
      o.version === undefined
        ? `/v1/models/${encodeURIComponent(model)}/predictions`
        : `/v1/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(o.version)}/predictions`;
    const started = Date.now();
    const deadline = o.wait === true ? Infinity : typeof o.wait === 'number' ? started + o.wait : started;
    // Whole seconds within the bound; what is left over is polled.
    const waitS = o.wait === true ? 0 : Math.floor((deadline - started) / 1000);
    const prefer = o.wait === true ? 'wait' : waitS > 0 ? `wait=${waitS}` : undefined;
    // One key for every attempt of this call: a retry after a lost answer finds the first prediction.
    const key = o.idempotencyKey ?? crypto.randomUUID();
    const reply = await this.t.send<PredictionJson>({
      method: 'POST',
      path,
      body,
      headers: { ...headers, 'idempotency-key': key, ...(prefer ? { prefer } : {}) },
      retry: true,
      timeoutMs: this.t.o.timeoutMs + (o.wait === true ? LONGEST_HOLD_MS : waitS * 1000),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const p = reply.body;
    if (isTerminal(p.status) || Date.now() >= deadline || o.poll === false) return p;
    return this.waitJson(p.id, {
      ...(deadline === Infinity ? {} : { timeoutMs: deadline - Date.now() }),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  }

  /** The prediction in its current state. */
  async get(id: string, o: { signal?: AbortSignal } = {}): Promise<Prediction> {
    return decodePrediction(await this.getJson(id, o));
  }

  async getJson(id: string, o: { signal?: AbortSignal } = {}): Promise<PredictionJson> {
    return (await this.fetchOne(id, 0, o.signal)).body;
  }

  private fetchOne(id: string, waitS: number, signal?: AbortSignal): Promise<Reply<PredictionJson>> {
    return this.t.send<PredictionJson>({
      method: 'GET',
      path: idPath(id),
      headers: waitS > 0 ? { prefer: `wait=${waitS}` } : {},
      retry: true,
      timeoutMs: this.t.o.timeoutMs + waitS * 1000,
      ...(signal ? { signal } : {}),
    });
  }

  /** Cancels it: a queued one never runs, a running one's result is discarded, a finished one is unchanged. */
  async cancel(id: string, o: { signal?: AbortSignal } = {}): Promise<Prediction> {
    const reply = await this.t.send<PredictionJson>({
      method: 'POST',
      path: `${idPath(id)}/cancel`,
      // Canceling twice is canceling once.
      retry: true,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return decodePrediction(reply.body);
  }

  /** Waits until the prediction is terminal or `timeoutMs` passes, then returns it as it is. */
  async wait(id: string, o: WaitOptions = {}): Promise<Prediction> {
    return decodePrediction(await this.waitJson(id, o));
  }

  /**
   * Asks with `Prefer: wait` where the server honours it on GET (`Preference-Applied` in the
   * reply) and otherwise polls, backing off from 100 ms to 2 s between reads.
   */
  async waitJson(id: string, o: WaitOptions = {}): Promise<PredictionJson> {
    const deadline = o.timeoutMs === undefined ? Infinity : Date.now() + o.timeoutMs;
    let pause = POLL_START_MS;
    for (;;) {
      const left = deadline - Date.now();
      const waitS = Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.floor(left / 1000)));
      const reply = await this.fetchOne(id, waitS, o.signal);
      const p = reply.body;
      if (isTerminal(p.status) || Date.now() >= deadline) return p;
      if (reply.headers.get('preference-applied')) continue;
      await sleep(Math.min(pause, Math.max(0, deadline - Date.now())), o.signal);
      pause = Math.min(pause * 2, POLL_MAX_MS);
    }
  }

  /** The caller's predictions, newest first, a page at a time: `for await (const page of client.list())`. */
  async *list(o: ListOptions = {}): AsyncGenerator<PredictionPage, void, undefined> {
    let cursor = o.cursor;
    do {
      const q = new URLSearchParams();
      if (o.model !== undefined) q.set('model', o.model);
      if (o.status !== undefined) q.set('status', o.status);
      if (o.pageSize !== undefined) q.set('limit', String(o.pageSize));
      if (cursor !== undefined) q.set('cursor', cursor);
      const query = q.toString() ? `?${q}` : '';
      const reply = await this.t.send<PredictionListJson>({
        method: 'GET',
        path: `/v1/predictions${query}`,
        retry: true,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      const page = reply.body;
      yield { predictions: page.predictions.map(decodePrediction), nextCursor: page.next_cursor };
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }
}

/** A client of the fleet at `url`. */
export const createClient = (o: ClientOptions): AltoClient => new AltoClient(o);
