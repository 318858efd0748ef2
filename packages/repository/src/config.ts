// config.json of a model in the repository: optional; every field has a default.
import { z } from 'zod';

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
     * Narrow input shapes the ONNX file leaves dynamic, e.g. textdir's [-1,3,48,192];
     * each given dim must agree with the model's own.
     */
    inputs: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().min(-1)) }).strict()).optional(),
    /** Serve this version instead of the highest. */
    version: z.string().optional(),
  })
  .strict();

export type ModelConfig = z.infer<typeof ModelConfigSchema>;

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
