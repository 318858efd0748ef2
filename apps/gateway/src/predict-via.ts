// How a prediction route reads its request and answers it. Alto's own routes and TF Serving's
// :predict (tfserving-routes.ts) share one path in between: validation against the model,
// enqueue, and the wait for completion (app.ts's submit).
import type { ModelInfo, PredictionRecord } from '@alto/protocol';
import type { Context } from 'hono';

export interface PredictVia {
  /** Seconds to wait for a terminal result (0: answer at once). */
  wait(c: Context): number;
  /** The request in Alto's shape (checked by PredictionRequestSchema and validateInputs) and the body's bytes. */
  read(c: Context, model: ModelInfo): Promise<{ json: unknown; raw: Buffer }>;
  /** The response, from the prediction as it stands after the wait; `headers` has Location and the like. */
  answer(c: Context, record: PredictionRecord, headers: Record<string, string>): Response;
  /** Whether `answer` renders outputs given by URI (docs/payloads.md). @default false */
  outputsByReference?: boolean;
}

/** The gateway's prediction handler, through a `via`, for `name` (and `version`, if pinned). */
export type Predict = (c: Context, via: PredictVia, name: string, version: string | undefined) => Promise<Response>;
