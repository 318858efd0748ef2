// An Open Inference Protocol inference, whichever transport carried it: the inputs go through
// Alto's validation (validateInputs) and queue (submit), and the call holds until the
// prediction is terminal, up to the infer limit. Synchronous by the protocol's design; the
// prediction itself is an ordinary Alto prediction, readable by id through Alto's API.
import {
  AltoError,
  PRIORITIES,
  TERMINAL,
  invalidInput,
  validateInputs,
  withOutputUri,
  type ModelInfo,
  type PredictionRecord,
  type Priority,
  type Tensor,
} from '@alto/protocol';
import type { ApiKeyRecord, Idempotency } from '@alto/queue';
import { status as Grpc } from '@grpc/grpc-js';
import type { Context as TraceContext } from '@alto/telemetry';
import type { GatewayMetrics } from '../metrics.ts';
import type { Predictions } from '../submit.ts';
import { OipError, asOipError, predictionError, stillRunning } from './errors.ts';

export interface InferDeps {
  predictions: Predictions;
  metrics: GatewayMetrics;
  /** How long an infer call holds for the prediction to finish, in seconds. */
  inferTimeoutSeconds: number;
}

/** One input: its name and an Alto tensor object (`datatype`, `shape`, and `data` or attached bytes). */
export interface InferInput {
  name: string;
  tensor: Record<string, unknown>;
}

export interface InferCall {
  model: string;
  /** '' or undefined: the version the fleet serves. */
  version?: string;
  owner: string;
  /** The managed API key used, whose limits apply. */
  key?: ApiKeyRecord;
  inputs: InferInput[];
  /** Names of the outputs to return, in this order; undefined: all of the model's. */
  outputs?: string[];
  options: InferOptions;
  /** Built by the transport from the request as received. */
  idempotency?: (model: string, version: string | undefined) => Idempotency | undefined;
  /** The call's trace context (the REST request's span, or gRPC's `traceparent` metadata). */
  trace?: TraceContext;
}

export interface InferOptions {
  priority?: Priority;
  timeoutMs?: number;
}

export interface InferResult {
  model: ModelInfo;
  record: PredictionRecord;
  outputs: { name: string; tensor: Tensor }[];
  replayed: boolean;
}

export type ParameterValue = string | number | boolean;

/**
 * Request parameters Alto acts on: `priority` (Alto's names), `timeout` (microseconds, as Triton
 * takes it; becomes the prediction's deadline). Sequence parameters are refused (Alto has no
 * stateful models); parameters it does not know are ignored, as the protocol allows.
 */
export function inferOptions(parameters: Record<string, ParameterValue>): InferOptions {
  const options: InferOptions = {};
  const { priority, timeout, sequence_id: sequence } = parameters;
  if (priority !== undefined && priority !== 0) {
    if (typeof priority !== 'string' || !(PRIORITIES as readonly string[]).includes(priority)) {
      throw invalidInput(
        `parameter 'priority': expected one of ${PRIORITIES.join(', ')} (or 0 for the default), got ${JSON.stringify(priority)}`,
      );
    }
    options.priority = priority as Priority;
  }
  if (timeout !== undefined) {
    if (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout <= 0) {
      throw invalidInput(
        `parameter 'timeout': expected a positive integer of microseconds, got ${JSON.stringify(timeout)}`,
      );
    }
    options.timeoutMs = Math.min(Math.ceil(timeout / 1000), 7 * 24 * 3600 * 1000);
  }
  if (sequence !== undefined && sequence !== 0 && sequence !== '') {
    throw invalidInput(
      `parameter 'sequence_id': sequences (stateful models) are not supported, got ${JSON.stringify(sequence)}`,
    );
  }
  return options;
}

export async function infer(d: InferDeps, call: InferCall): Promise<InferResult> {
  let status = 500;
  let known = true;
  try {
    const result = await run(d, call);
    status = 200;
    return result;
  } catch (err) {
    const e = asOipError(err);
    status = e?.status ?? 500;
    known = !(err instanceof AltoError && err.code === 'model_not_found');
    throw err;
  } finally {
    // Unknown names get one label: they would otherwise grow the series without bound.
    d.metrics.requests.inc({ model: known ? call.model : '_unknown', status: String(status) });
  }
}

async function run(d: InferDeps, call: InferCall): Promise<InferResult> {
  const version = call.version || undefined;
  const model =
    version === undefined
      ? await d.predictions.findModel(call.model)
      : await d.predictions.findVersion(call.model, version);
  const input: Record<string, unknown> = {};
  for (const { name, tensor } of call.inputs) {
    if (name in input) throw invalidInput(`input '${name}': given more than once`);
    input[name] = tensor;
  }
  // Outputs inline always: the protocol has no way to answer one by URI (docs/payloads.md).
  const tensors = withOutputUri(validateInputs(model, input).tensors, undefined, false);
  const outputs = call.outputs ?? model.outputs.map((o) => o.name);
  const names = model.outputs.map((o) => o.name);
  outputs.forEach((name, i) => {
    if (!names.includes(name)) {
      throw invalidInput(
        `output '${name}': model '${model.name}' has no such output; its outputs are ${names.join(', ')}`,
      );
    }
    if (outputs.indexOf(name) !== i) throw invalidInput(`output '${name}': requested more than once`);
  });
  const idem = call.idempotency?.(model.name, version);
  const holdMs = d.inferTimeoutSeconds * 1000;
  const started = Date.now();
  const { record, replayed } = await d.predictions.submit({
    owner: call.owner,
    ...(call.key ? { key: call.key } : {}),
    model,
    pinned: version !== undefined,
    tensors,
    waitMs: holdMs,
    ...(call.options.priority ? { priority: call.options.priority } : {}),
    ...(call.options.timeoutMs ? { timeoutMs: call.options.timeoutMs } : {}),
    ...(idem ? { idempotency: idem } : {}),
    ...(call.trace ? { trace: call.trace } : {}),
  });
  if (!TERMINAL.has(record.status)) {
    // The completion hub answers held calls early only when the gateway stops.
    throw stillRunning(record, d.inferTimeoutSeconds, Date.now() - started < holdMs - 100);
  }
  if (record.status !== 'succeeded' || !record.output) throw predictionError(record);
  return {
    model,
    record,
    replayed,
    outputs: outputs.map((name) => {
      const tensor = record.output!.get(name);
      if (!tensor)
        throw new OipError(500, Grpc.INTERNAL, `prediction '${record.id}' has no output '${name}'`, record.id);
      return { name, tensor };
    }),
  };
}
