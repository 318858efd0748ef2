// What the fleet knows about a served model: its tensors (from the ONNX session, narrowed
// by config.json) and its batching policy. Workers write it; gateways validate against it.
import { z } from 'zod';
import { DATATYPES } from './datatypes.ts';

export const TensorSpecSchema = z.object({
  name: z.string(),
  datatype: z.enum(DATATYPES),
  /** -1 marks a dynamic dimension. */
  shape: z.array(z.number().int().min(-1)),
  /** BYTES only: every element is UTF-8 text (a pipeline's tokenizer input); other bytes get 400. */
  text: z.boolean().optional(),
});
export type TensorSpec = z.infer<typeof TensorSpecSchema>;

export const BatchingSchema = z.object({
  /** Most rows (sum of requests' dim 0) in one inference; 0 means the model does not batch. */
  max_batch_size: z.number().int().min(0),
  /** How long a partly filled batch may wait for more requests (Triton's max_queue_delay). */
  max_queue_delay_ms: z.number().int().min(0),
});
export type Batching = z.infer<typeof BatchingSchema>;

export const ModelInfoSchema = z.object({
  name: z.string(),
  /** The version being served. */
  version: z.string(),
  /** Every complete version present in the repository, ascending. */
  versions: z.array(z.string()),
  description: z.string().optional(),
  /** The executor that runs it: onnxruntime, or the XLA runtime (a `jax.export` export). */
  platform: z.enum(['onnx', 'xla', 'sim']),
  inputs: z.array(TensorSpecSchema),
  outputs: z.array(TensorSpecSchema),
  batching: BatchingSchema,
  /**
   * Most requests outstanding (queued or running); beyond it submissions get 429.
   * 0 = no limit; absent = DEFAULT_MAX_QUEUE_LENGTH.
   */
  max_queue_length: z.number().int().min(0).optional(),
  /** Deadline of a request that gives no timeout_ms, in ms from submission; absent = none. */
  timeout_ms: z.number().int().positive().optional(),
});

/** Bound on a model's outstanding requests when its config sets none: deep enough for
 * bursts, finite so that a stalled model cannot fill Redis. */
export const DEFAULT_MAX_QUEUE_LENGTH = 10_000;
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

/** Model names are URL- and Redis-key-safe. */
export const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * Version names (checkpoint folder names, `/versions/{version}` in URLs, stream keys): the one
 * rule that publishing, pinning and listing a checkpoint store all apply. A folder whose name
 * does not match (`.git`, `_tmp`, `-x`) is not a version.
 */
export const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** VERSION_NAME in words, for messages. */
export const VERSION_NAME_RULE = '1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit';
