// What Alto's two OpenAPI 3.1 documents (the gateway's /openapi.json, the publisher's admin
// API) share: component schemas emitted from the zod schemas requests are checked with and
// responses are built to, references to them, error responses derived from the codes an
// operation can answer with, and the assembly of a document from an app's routes. The routes
// themselves are declared with createRoute beside their handlers.
import { OpenAPIHono, type RouteConfig, type RouteHandler } from '@hono/zod-openapi';
import { z } from 'zod';
import { AltoError, httpStatus, type ErrorCode } from './errors.ts';

type Json = Record<string, unknown>;
type Registry = z.core.$ZodRegistry<{ id: string }>;

const REF = '#/components/schemas/';

/**
 * The named schemas of one API: `input` ones describe requests (defaults optional, objects
 * open unless strict), `output` ones responses (everything present). A schema in both must
 * read the same either way.
 */
export interface SchemaSet {
  input: Record<string, z.ZodType>;
  output: Record<string, z.ZodType>;
}

function registry(entries: Record<string, z.ZodType>): Registry {
  const r: Registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(entries)) r.add(schema, { id });
  return r;
}

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of each schema, referring to each other through #/components/schemas. */
function emit(entries: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, Json> {
  const { schemas } = z.toJSONSchema(registry(entries), {
    target: 'draft-2020-12',
    io,
    uri: (id) => `${REF}${id}`,
    unrepresentable: 'throw',
  });
  if ('__shared' in schemas) {
    throw new Error(
      "a schema is shared without an id; name it in the API's SchemaSet so it gets a component of its own",
    );
  }
  const out: Record<string, Json> = {};
  for (const [id, s] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = s as Json;
    out[id] = rest;
  }
  return out;
}

export function componentSchemas(set: SchemaSet): Record<string, Json> {
  const request = emit(set.input, 'input');
  const response = emit(set.output, 'output');
  for (const [id, schema] of Object.entries(request)) {
    if (id in response && JSON.stringify(response[id]) !== JSON.stringify(schema)) {
      throw new Error(`schema ${id} differs between requests and responses`);
    }
  }
  return { ...request, ...response };
}

/** A reference to `schema`'s component: the schema itself names it, not a string that could drift. */
export function schemaRef(set: SchemaSet, schema: z.ZodType): { $ref: string } {
  for (const entries of [set.input, set.output]) {
    for (const [id, s] of Object.entries(entries)) if (s === schema) return { $ref: `${REF}${id}` };
  }
  throw new Error("the schema has no component in this API's SchemaSet");
}

export const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    required: true,
    schema: { type: 'string' as const, pattern: '^[0-9]+$' },
  },
};

/**
 * The error responses of an operation, from the codes it can answer with and why: grouped by
 * status (httpStatus, the mapping the error middleware renders with), each group's schema the
 * error body (component `Error`) narrowed to its codes. 429 and 503 carry Retry-After.
 */
export function errorResponses(codes: Partial<Record<ErrorCode, string>>): RouteConfig['responses'] {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of Object.keys(codes) as ErrorCode[]) {
    const status = httpStatus(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: RouteConfig['responses'] = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: group.map((code) => `\`${code}\`: ${codes[code]}`).join(' '),
      ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
      content: {
        'application/json': {
          schema: {
            allOf: [
              { $ref: `${REF}Error` },
              { type: 'object', properties: { error: { type: 'object', properties: { code: { enum: [...group] } } } } },
            ],
          },
        },
      },
    };
  }
  return out;
}

export interface DocumentConfig {
  info: { title: string; version: string; description?: string };
  schemas: SchemaSet;
  securitySchemes?: Record<string, Json>;
}

/** The OpenAPI 3.1 document of `app`: its routes' operations, with the API's component schemas. */
export function apiDocument(app: OpenAPIHono, config: DocumentConfig): Json {
  const generated = app.getOpenAPI31Document({ openapi: '3.1.0', info: config.info });
  // Operations refer to schemas only through schemaRef: the generator has none of its own to add.
  const { components: _c, webhooks: _w, openapi, ...rest } = generated;
  return {
    openapi,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    ...rest,
    components: {
      schemas: componentSchemas(config.schemas),
      ...(config.securitySchemes ? { securitySchemes: config.securitySchemes } : {}),
    },
  };
}

/** What a route's validator saw and refused, as the AltoError the API answers with. */
export type Refusal = (target: string, error: z.ZodError) => AltoError;

const defaultRefusal: Refusal = (target, error) => {
  const issue = error.issues[0]!;
  return new AltoError('invalid_input', `${target} '${issue.path.join('.')}': ${issue.message}`);
};

/** An app whose route validators refuse by throwing AltoError, for the error middleware to render. */
export function openApiApp(refusal: Refusal = defaultRefusal): OpenAPIHono {
  return new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) throw refusal(result.target, result.error);
    },
  });
}

/**
 * Mounts `handler` on `route`. Handlers answer with the components their route refers to
 * (through schemaRef), which the route's types cannot see through a $ref: a handler is typed
 * by the route's request side only.
 */
export function mount<R extends RouteConfig>(
  app: OpenAPIHono,
  route: R,
  handler: (c: Parameters<RouteHandler<R>>[0]) => Response | Promise<Response>,
): void {
  app.openapi(route, handler as unknown as RouteHandler<R>);
}

/** Serves the app's document on `route`, generated on first request, once every route is mounted. */
export function serveDocument(app: OpenAPIHono, route: RouteConfig, config: DocumentConfig): void {
  let document: Json | undefined;
  mount(app, route, (c) => c.json((document ??= apiDocument(app, config)), 200));
}
