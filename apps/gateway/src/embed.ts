// `POST /v1/models/{m}/embed`: `{"texts": [...]}` → `{"embeddings": [[...], ...]}`, a
// convenience form for models whose pipeline ends in pooling (docs/text-models.md). The texts
// become the model's BYTES text input and go through the same validation, enqueue and wait
// as POST /v1/models/{m}/predictions; the answer is synchronous, up to ALTO_MAX_WAIT_SECONDS.
import {
  AltoError,
  ErrorBodySchema,
  GATEWAY_SCHEMAS,
  MODEL_NAME,
  TERMINAL,
  fmtShape,
  invalidInput,
  schemaRef,
  tensorValues,
  type ModelInfo,
} from '@alto/protocol';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { parseJson, readBody } from './body.ts';
import { predictionResponse } from './msgpack.ts';
import { syncWait } from './prefer.ts';
import type { Predict, PredictVia } from './predict-via.ts';
import { failureOf } from './tfserving.ts';

export interface EmbedOptions {
  predict: Predict;
  maxBodyBytes: number;
  maxWaitSeconds: number;
  /** The gateway's public origin for Location headers. */
  origin: (c: Context) => string;
  apiKeys: boolean;
}

export const EmbedRequestSchema = z
  .object({
    texts: z
      .array(z.string())
      .min(1)
      .openapi({ description: 'Texts to embed, at most the model’s max_batch_size.', example: ['a cat sits'] }),
  })
  .strict();

export const EmbedResponseSchema = z.object({
  embeddings: z
    .array(z.array(z.number().nullable()))
    .openapi({ description: 'One vector per text, in the order given.' }),
  model: z.string(),
  version: z.string(),
});

/** The model's text input and its embedding output, or a 400 saying why it does not embed. */
export function embeddingIo(model: ModelInfo): { input: string; output: string } {
  const [input] = model.inputs;
  const [output] = model.outputs;
  const ok =
    model.inputs.length === 1 &&
    input!.datatype === 'BYTES' &&
    model.outputs.length === 1 &&
    output!.datatype === 'FP32' &&
    output!.shape.length === 2;
  if (!ok) {
    const list = (ts: ModelInfo['inputs']) => ts.map((t) => `${t.name} ${t.datatype} ${fmtShape(t.shape)}`).join(', ');
    throw invalidInput(
      `model '${model.name}': /embed needs a text pipeline that ends in pooling (one BYTES input, one FP32 ` +
        `[-1, hidden] output); its inputs are ${list(model.inputs)} and its outputs ${list(model.outputs)}`,
    );
  }
  return { input: input!.name, output: output!.name };
}

function embedVia(o: EmbedOptions): PredictVia {
  let output = '';
  return {
    wait: (c) => {
      return syncWait(c.req.header('prefer'), o.maxWaitSeconds);
    },
    read: async (c, model) => {
      const raw = await readBody(c, o.maxBodyBytes);
      const body = parseJson(raw);
      const parsed = EmbedRequestSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const where = issue.path.length ? `field '${issue.path.join('.')}'` : 'request body';
        throw invalidInput(`${where}: ${issue.message}`);
      }
      const io = embeddingIo(model);
      output = io.output;
      const { texts } = parsed.data;
      return { json: { input: { [io.input]: { datatype: 'BYTES', shape: [texts.length], data: texts } } }, raw };
    },
    answer: (c, record, headers) => {
      if (record.status === 'succeeded' && record.output) {
        const t = record.output.get(output);
        if (!t) throw new AltoError('internal', `prediction '${record.id}' has no output '${output}'`);
        const values = tensorValues(t) as number[];
        const width = t.shape[1] ?? 0;
        const embeddings = Array.from({ length: t.shape[0] ?? 0 }, (_, i) => values.slice(i * width, (i + 1) * width));
        return c.json({ embeddings, model: record.model, version: record.version }, 200, headers);
      }
      if (TERMINAL.has(record.status)) {
        const { status, message } = failureOf(record);
        return c.json({ error: { code: record.error?.code ?? record.status, message } }, status as 500, headers);
      }
      // Still running after the wait: the prediction as POST /predictions answers it, to poll.
      return predictionResponse(c, record, o.origin(c), 202, headers);
    },
  };
}

export function mountEmbed(app: OpenAPIHono, o: EmbedOptions): void {
  app.post('/v1/models/:model/embed', (c) => o.predict(c, embedVia(o), c.req.param('model'), undefined));
  app.openAPIRegistry.registerPath(embedRoute(o));
}

const ref = (schema: z.ZodType) => schemaRef(GATEWAY_SCHEMAS, schema);

function embedRoute(o: EmbedOptions) {
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: ref(ErrorBodySchema) } },
  });
  return createRoute({
    method: 'post',
    path: '/v1/models/{model}/embed',
    operationId: 'embed',
    tags: ['predictions'],
    summary: 'Embed texts with a text model',
    description:
      'For models whose pipeline ends in pooling (docs/text-models.md): the texts become the model’s BYTES text ' +
      `input, and the answer waits for the result (up to ${o.maxWaitSeconds} s, or less with \`Prefer: wait=N\`). ` +
      'Still running then: 202 with the prediction, to poll at its Location.',
    ...(o.apiKeys ? { security: [{ bearer: [] }] } : {}),
    request: {
      params: z.object({
        model: z.string().openapi({ description: 'Model name.', pattern: MODEL_NAME.source, example: 'minilm' }),
      }),
      body: { required: true, content: { 'application/json': { schema: EmbedRequestSchema } } },
    },
    responses: {
      200: { description: 'The embeddings.', content: { 'application/json': { schema: EmbedResponseSchema } } },
      202: { description: 'Not finished within the wait: the prediction, to poll.' },
      400: error(
        '`invalid_input`: texts missing or not strings, more than max_batch_size, a model without a pooled text ' +
          'pipeline, or a text beyond the BYTES limits; `invalid_json`: the body is not JSON.',
      ),
      404: error('`model_not_found`: no such model.'),
      500: error('The prediction failed (`inference_failed`, `poison`).'),
    },
  });
}
