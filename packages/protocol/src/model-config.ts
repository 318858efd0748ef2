// The one model config schema: config.json at model and version level (read by
// @alto/repository), the serving settings a published spec overrides, and the config a
// publisher assigns a worker. Every field is optional; defaults apply where a model is served.
import { z } from 'zod';
import { DATATYPES } from './datatypes.ts';
import { VERSION_NAME, VERSION_NAME_RULE } from './model.ts';

/** An input or output as config.json names it; an XLA export's config lists every one with its datatype. */
const TensorConfigSchema = z
  .object({ name: z.string(), datatype: z.enum(DATATYPES).optional(), shape: z.array(z.number().int().min(-1)) })
  .strict();

/** Input/output names a pipeline gives its public tensors. */
const PublicName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,62}$/, 'a tensor name: letters, digits, _ . -');

/**
 * Text in, token ids to the network: a Hugging Face `tokenizer.json` in the version folder.
 * Padding is always to the longest sequence of a micro-batch (whatever the file says).
 */
export const TokenizerStepSchema = z
  .object({
    /** The tokenizer file, in the version folder. @default "tokenizer.json" */
    file: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'a file name in the version folder')
      .default('tokenizer.json'),
    /** Longest sequence in tokens (special tokens included); longer texts are truncated. @default 512 */
    max_length: z.number().int().min(2).max(65_536).default(512),
    /** The public BYTES input that carries the texts. @default "text" */
    input: PublicName.default('text'),
  })
  .strict();

/** The network's per-token output reduced to one vector per text. */
export const PoolingStepSchema = z
  .object({
    /** `mean` over the tokens the attention mask keeps, or `cls`: the first token's vector. */
    mode: z.enum(['mean', 'cls']),
    /** Scale each vector to unit L2 norm. @default false */
    normalize: z.boolean().default(false),
    /** The network output pooled, [batch, seq, hidden]. @default "last_hidden_state" */
    input: PublicName.default('last_hidden_state'),
    /** The public FP32 output [batch, hidden]. @default "embedding" */
    output: PublicName.default('embedding'),
  })
  .strict();

/**
 * Pre- and post-processing the worker runs around the network, next to the batch. A small
 * declarative vocabulary: no user code runs in the worker.
 */
export const PipelineSchema = z
  .object({ tokenizer: TokenizerStepSchema, pooling: PoolingStepSchema.optional() })
  .strict();
export type PipelineConfig = z.infer<typeof PipelineSchema>;

/**
 * A model's config. Strict, because config.json is written by people and a misspelt field
 * must fail; records written by programs (assignments in Redis) are read with `.strip()`, so
 * a field added later does not break an older reader.
 */
export const ModelConfigSchema = z
  .object({
    description: z.string().optional(),
    /** Most rows per inference; 0 disables batching. @default 32 when the model can batch, else 0 */
    max_batch_size: z.number().int().min(0).max(4096).optional(),
    /** How long a partly filled batch may wait for more (Triton's max_queue_delay). @default 0 */
    max_queue_delay_ms: z.number().int().min(0).max(10_000).optional(),
    /** Most requests outstanding (queued or running); 0 = no limit. @default 10000 */
    max_queue_length: z.number().int().min(0).optional(),
    /** Deadline of requests that set none, in ms from submission. @default none */
    timeout_ms: z.number().int().positive().optional(),
    /** Inference threads (sessions) per worker. @default 1 */
    instances: z.number().int().min(1).max(64).optional(),
    /**
     * Narrow input shapes the model file leaves dynamic, e.g. textdir's [-1,3,48,192];
     * each given dim must agree with the model's own.
     */
    inputs: z.array(TensorConfigSchema).optional(),
    /** The model's outputs (an XLA export's config.json lists them); informational for ONNX models. */
    outputs: z.array(TensorConfigSchema).optional(),
    /**
     * The checkpoint's format: `xla` for a `jax.export` export (model.jax), `onnx` for model.onnx,
     * `sim` for model.sim (the simulated accelerator; tests and benchmarks only).
     * The model file decides which executor runs it; a format that contradicts it is an error.
     */
    format: z.enum(['onnx', 'xla', 'sim']).optional(),
    /**
     * XLA only: the batch sizes compiled at load (one executable each); a batch is padded to
     * the smallest that holds it. @default [1, 2, 4, 8, 16, 32]
     */
    buckets: z.array(z.number().int().positive().max(4096)).min(1).max(32).optional(),
    /**
     * Model-level config.json only: serve this version instead of the highest, on a worker
     * serving a repository on its own. A publisher pins through its spec instead.
     */
    version: z.string().regex(VERSION_NAME, `version names are ${VERSION_NAME_RULE}`).optional(),
    /** Text models: tokenizer before the network, pooling after it (docs/text-models.md). ONNX only. */
    pipeline: PipelineSchema.optional(),
  })
  .strict();

export type ModelConfig = z.infer<typeof ModelConfigSchema>;
