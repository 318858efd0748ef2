// The one model config schema: config.json at model and version level, and the config a
// publisher assigns a worker (the files merged, then the published spec's own settings).
// Every field is optional; defaults are applied where a model is served (model-info.ts).
import { VERSION_NAME, VERSION_NAME_RULE } from '@alto/protocol';
import { z } from 'zod';
import { CONFIG_FILE } from './layout.ts';
import type { CheckpointSource } from './source/types.ts';

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
    inputs: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().min(-1)) }).strict()).optional(),
    /**
     * Model-level config.json only: serve this version instead of the highest, on a worker
     * serving a repository on its own. A publisher pins through its spec instead.
     */
    version: z.string().regex(VERSION_NAME, `version names are ${VERSION_NAME_RULE}`).optional(),
  })
  .strict();

export type ModelConfig = z.infer<typeof ModelConfigSchema>;

/** Parses config.json text; throws an Error naming `where` and each problem. */
export function parseModelConfig(json: string, where: string): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`${where}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const result = ModelConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${where}: ${problems.join('; ')}`);
  }
  return result.data;
}

/**
 * The config a version is served with: the model's config.json, then the version's own over
 * it field by field. The `version` pin is not part of it (it chose the version already).
 */
export async function readModelConfig(source: CheckpointSource, version: string): Promise<ModelConfig> {
  const [model, own] = await Promise.all([source.config(), source.config(version)]);
  const merged: ModelConfig = {
    ...(model === undefined ? {} : parseModelConfig(model, `${source.uri}/${CONFIG_FILE}`)),
    ...(own === undefined ? {} : parseModelConfig(own, `${source.uri}/${version}/${CONFIG_FILE}`)),
  };
  delete merged.version;
  return merged;
}
