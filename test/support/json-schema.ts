// A small JSON Schema 2020-12 validator for the keywords Alto's OpenAPI document uses. A
// keyword it does not know is reported as an error, so the document cannot outgrow it
// unnoticed and let responses pass unchecked.
export type Schema = Record<string, unknown>;

/** Keywords that do not constrain a value (format is checked for date-time below). */
const ANNOTATIONS = new Set([
  'description', 'title', 'default', 'example', 'examples', 'format', 'contentMediaType', 'contentEncoding', 'deprecated',
  'readOnly', 'writeOnly',
]);
const KNOWN = new Set([
  ...ANNOTATIONS, '$ref', 'type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'propertyNames',
  'items', 'anyOf', 'oneOf', 'allOf', 'minimum', 'maximum', 'pattern', 'minItems', 'maxItems', 'minLength', 'maxLength',
]);

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' && Number.isInteger(v) ? 'integer' : typeof v;

const fits = (v: unknown, type: string): boolean => {
  const t = typeOf(v);
  return t === type || (type === 'number' && t === 'integer');
};

function resolve(root: unknown, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`cannot resolve $ref ${ref}`);
  let node = root;
  for (const part of ref.slice(2).split('/')) {
    node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  if (typeof node !== 'object' || node === null) throw new Error(`$ref ${ref} points at nothing`);
  return node as Schema;
}

/** Every way `value` breaks `schema`, as `path: problem` lines; empty when it conforms. */
export function validate(value: unknown, schema: Schema, root: unknown, path = '$'): string[] {
  const errors: string[] = [];
  const fail = (msg: string) => errors.push(`${path}: ${msg}`);
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) fail(`the validator does not know keyword '${key}'`);

  if (typeof schema.$ref === 'string') errors.push(...validate(value, resolve(root, schema.$ref), root, path));
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => fits(value, t))) return [...errors, `${path}: expected ${types.join(' or ')}, got ${typeOf(value)}`];
  }
  if (schema.enum !== undefined && !(schema.enum as unknown[]).some((e) => e === value)) {
    fail(`${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if ('const' in schema && schema.const !== value) fail(`expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail(`${value} < minimum ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail(`${value} > maximum ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) fail(`'${value}' does not match ${schema.pattern}`);
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) fail(`shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) fail(`longer than ${schema.maxLength}`);
    if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) fail(`'${value}' is not a date-time`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) fail(`fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) fail(`more than ${schema.maxItems} items`);
    if (schema.items !== undefined) value.forEach((v, i) => errors.push(...validate(v, schema.items as Schema, root, `${path}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in obj)) fail(`missing required property '${key}'`);
    for (const [key, v] of Object.entries(obj)) {
      const where = `${path}.${key}`;
      if (schema.propertyNames !== undefined) errors.push(...validate(key, schema.propertyNames as Schema, root, `${where} (name)`));
      if (key in props) errors.push(...validate(v, props[key]!, root, where));
      else if (schema.additionalProperties === false) fail(`property '${key}' is not allowed`);
      else if (typeof schema.additionalProperties === 'object') {
        errors.push(...validate(v, schema.additionalProperties as Schema, root, where));
      }
    }
  }
  if (schema.allOf !== undefined) for (const s of schema.allOf as Schema[]) errors.push(...validate(value, s, root, path));
  if (schema.anyOf !== undefined) {
    const results = (schema.anyOf as Schema[]).map((s) => validate(value, s, root, path));
    if (!results.some((r) => r.length === 0)) fail(`matches none of anyOf: ${results.map((r) => r.join('; ')).join(' | ')}`);
  }
  if (schema.oneOf !== undefined) {
    const results = (schema.oneOf as Schema[]).map((s) => validate(value, s, root, path));
    const matched = results.filter((r) => r.length === 0).length;
    if (matched !== 1) fail(`matches ${matched} of oneOf, not exactly 1: ${results.map((r) => r.join('; ')).join(' | ')}`);
  }
  return errors;
}
