// Request bodies of the public API.
import { z } from 'zod';

export const PredictionRequestSchema = z
  .object({
    /** Input name → tensor; tensors are checked against the model by validateInputs. */
    input: z.record(z.string(), z.unknown()),
    /** How output tensors are rendered. @default 'json' */
    response_format: z.enum(['json', 'b64']).default('json'),
  })
  .strict();
export type PredictionRequest = z.infer<typeof PredictionRequestSchema>;
