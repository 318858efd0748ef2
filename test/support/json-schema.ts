// JSON Schema 2020-12 (OpenAPI 3.1's dialect) validation of replies against Alto's OpenAPI
// documents, by ajv in strict mode: a keyword it does not know is an error, so a document
// cannot outgrow the check and let replies pass unchecked. Besides the standard keywords it
// knows OpenAPI's `example` and the date-time and uri formats.
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';

export type Schema = Record<string, unknown>;

const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
// OpenAPI's annotation, and where a document keeps its schemas: neither constrains a value.
ajv.addKeyword({ keyword: 'example' });
ajv.addKeyword({ keyword: 'components' });
ajv.addFormat('date-time', (s: string) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)));
ajv.addFormat('uri', (s: string) => URL.canParse(s));

/** Each document registered once, under an id its schemas' references are rewritten to. */
const roots = new WeakMap<object, string>();
const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
let documents = 0;

function rootId(root: unknown): string {
  const doc = root as { components?: unknown };
  let id = roots.get(doc);
  if (!id) {
    id = `https://alto.test/doc/${++documents}`;
    ajv.addSchema({ $id: id, components: doc.components ?? {} });
    roots.set(doc, id);
  }
  return id;
}

const describe = (e: ErrorObject): string => {
  const where = `$${e.instancePath.replace(/\//g, '.')}`;
  if (e.keyword === 'additionalProperties')
    return `${where}: property '${String(e.params.additionalProperty)}' is not allowed`;
  if (e.keyword === 'enum')
    return `${where}: ${JSON.stringify(e.data)} is not one of ${JSON.stringify(e.params.allowedValues)}`;
  return `${where}: ${e.message ?? e.keyword}`;
};

/**
 * Every way `value` breaks `schema` (whose `#/components/...` references point into
 * `root`, the document), as `path: problem` lines; empty when it conforms.
 */
export function validate(value: unknown, schema: Schema, root: unknown): string[] {
  const id = rootId(root);
  const text = JSON.stringify(schema).replaceAll('"#/components/', `"${id}#/components/`);
  const key = `${id} ${text}`;
  let check = compiled.get(key);
  if (!check) {
    try {
      check = ajv.compile(JSON.parse(text) as Schema);
    } catch (err) {
      return [`schema: ${(err as Error).message}`];
    }
    compiled.set(key, check);
  }
  return check(value) ? [] : (check.errors ?? []).map(describe);
}
