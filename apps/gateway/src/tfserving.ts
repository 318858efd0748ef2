// TensorFlow Serving's REST predict API (tensorflow_serving/g3doc/api_rest.md) translated to
// and from Alto's own request and prediction: the row ("instances") and columnar ("inputs")
// request formats, their "predictions" / "outputs" replies, and the `{"error": "..."}` body.
// Pure functions; the routes that use them are in tfserving-routes.ts. Validation of the
// tensors themselves stays with validateInputs, on the translated request.
import {
  AltoError,
  DATATYPE_INFO,
  RAW_TENSOR,
  elementCount,
  fmtShape,
  invalidInput,
  tensorValues,
  type ModelInfo,
  type PredictionRecord,
  type Tensor,
  type TensorSpec,
} from '@alto/protocol';
import { tfBytesTensor, tfBytesValues } from './tfserving-bytes.ts';

export type TfFormat = 'row' | 'columnar';

/** The only signature an Alto model has, under TF Serving's name for the default one. */
export const SIGNATURE = 'serving_default';

/** A TF Serving request translated: Alto's request body (`{"input": {...}}`) and the format to answer in. */
export interface TfRequest {
  format: TfFormat;
  body: { input: Record<string, unknown> };
}

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** `{"b64": "..."}`: TF Serving's binary value. */
const isB64 = (v: Json): v is { b64: unknown } => isObject(v) && Object.keys(v).length === 1 && 'b64' in v;

const describe = (v: Json): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : isObject(v) ? 'an object' : JSON.stringify(v);

/** The shape a nested list spells, read along its first elements (ragged lists are caught when packed). */
function nestedShape(value: Json): number[] {
  const shape: number[] = [];
  let node = value;
  while (Array.isArray(node)) {
    shape.push(node.length);
    node = node[0];
  }
  return shape;
}

/**
 * The leaves of a regular nesting of `shape` in row-major order, or undefined when it is not
 * one (decodeTensor then walks it and names the irregular spot). Flat data skips that walk,
 * which allocates at every node: a textdir row in nested JSON (543 KB) decoded and validated in
 * 20 ms instead of 25 on the 2-core development machine.
 */
function regularFlat(value: Json[], shape: number[]): Json[] | undefined {
  if (shape.length < 2) return undefined;
  let level: Json[] = [value];
  for (const dim of shape) {
    const next: Json[] = [];
    for (const node of level) {
      if (!Array.isArray(node) || node.length !== dim) return undefined;
      for (const child of node) next.push(child);
    }
    level = next;
  }
  return level.some(Array.isArray) ? undefined : level;
}

function strictB64(name: string, text: unknown): Buffer {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) {
    throw invalidInput(`input '${name}': "b64" must be a padded base64 string, got ${describe(text)}`);
  }
  return Buffer.from(text, 'base64');
}

/** Elements in one row of `spec` (its dims after dim 0), or undefined when one of them is dynamic. */
function rowElements(spec: TensorSpec): number | undefined {
  const rest = spec.shape.slice(1);
  return rest.every((d) => d >= 0) ? rest.reduce((a, b) => a * b, 1) : undefined;
}

const noStrings = (name: string, spec: TensorSpec) =>
  invalidInput(
    `input '${name}': a {"b64": ...} value stands for the raw little-endian bytes of the whole ` +
      `${fmtShape(spec.shape)} ${spec.datatype} value; only BYTES inputs take {"b64"} elements in a list`,
  );

/** An Alto tensor of raw bytes, in the input's datatype. */
function rawTensor(spec: TensorSpec, shape: number[], bytes: Buffer): Record<string | symbol, unknown> {
  return { datatype: spec.datatype, shape, [RAW_TENSOR]: bytes };
}

/**
 * A value of input `spec` in its natural nested form, or `{"b64"}` of its bytes, as an Alto
 * tensor. `rows` is set in the row format: the value is then the stack of `rows` instances.
 */
function toTensor(spec: TensorSpec, value: Json): Record<string | symbol, unknown> {
  if (spec.datatype === 'BYTES') return tfBytesTensor(spec.name, value);
  if (isB64(value)) {
    const bytes = strictB64(spec.name, value.b64);
    const size = DATATYPE_INFO[spec.datatype].size;
    const per = rowElements(spec);
    const dynamic = spec.shape[0] === -1;
    if (per === undefined || (!dynamic && spec.shape.length === 0)) {
      throw invalidInput(
        `input '${spec.name}': {"b64"} needs a shape with every dim but the first static, got ${fmtShape(spec.shape)}`,
      );
    }
    const rowBytes = per * size;
    const rows = dynamic ? (rowBytes === 0 ? 0 : bytes.length / rowBytes) : spec.shape[0]!;
    if (!Number.isInteger(rows) || rows * rowBytes !== bytes.length) {
      throw invalidInput(
        `input '${spec.name}': "b64" decodes to ${bytes.length} bytes, not a whole number of ` +
          `${fmtShape(spec.shape.slice(1))} ${spec.datatype} rows (${rowBytes} bytes each)`,
      );
    }
    return rawTensor(spec, [rows, ...spec.shape.slice(1)], bytes);
  }
  if (isObject(value)) {
    throw invalidInput(`input '${spec.name}': expected a value or a nested list, got an object`);
  }
  const shape = nestedShape(value);
  const data = Array.isArray(value) ? (regularFlat(value, shape) ?? value) : [value];
  let leaf: Json = data;
  while (Array.isArray(leaf)) leaf = leaf[0];
  if (isB64(leaf)) throw noStrings(spec.name, spec);
  return { datatype: spec.datatype, shape, data };
}

/** Instances' values of one input stacked along a new dim 0; `{"b64"}` instances are each one row's bytes. */
function stack(spec: TensorSpec, values: Json[]): Record<string | symbol, unknown> {
  if (spec.datatype === 'BYTES') return tfBytesTensor(spec.name, values);
  const b64 = values.filter(isB64).length;
  if (b64 === 0) return toTensor(spec, values);
  if (b64 !== values.length) {
    throw invalidInput(`input '${spec.name}': either every instance gives {"b64"} or none does`);
  }
  const per = rowElements(spec);
  if (per === undefined) {
    throw invalidInput(
      `input '${spec.name}': {"b64"} instances need every dim but the first static, got ${fmtShape(spec.shape)}`,
    );
  }
  const rowBytes = per * DATATYPE_INFO[spec.datatype].size;
  const parts = values.map((v, i) => {
    const bytes = strictB64(spec.name, (v as { b64: unknown }).b64);
    if (bytes.length !== rowBytes) {
      throw invalidInput(
        `input '${spec.name}': instance ${i}'s "b64" decodes to ${bytes.length} bytes, one ` +
          `${fmtShape(spec.shape.slice(1))} ${spec.datatype} row is ${rowBytes}`,
      );
    }
    return bytes;
  });
  return rawTensor(spec, [values.length, ...spec.shape.slice(1)], Buffer.concat(parts));
}

function specOf(model: ModelInfo, name: string): TensorSpec {
  const spec = model.inputs.find((i) => i.name === name);
  if (!spec) {
    const names = model.inputs.map((i) => i.name).join(', ');
    throw invalidInput(`input '${name}': model '${model.name}' has no such input; its inputs are ${names}`);
  }
  return spec;
}

/** The model's one input, for the unnamed forms. */
function onlyInput(model: ModelInfo, field: string): TensorSpec {
  if (model.inputs.length !== 1) {
    const names = model.inputs.map((i) => i.name).join(', ');
    throw invalidInput(
      `field '${field}': model '${model.name}' has ${model.inputs.length} inputs (${names}); name them with an object`,
    );
  }
  return model.inputs[0]!;
}

function fromRows(model: ModelInfo, instances: Json): Record<string, unknown> {
  if (!Array.isArray(instances) || instances.length === 0) {
    throw invalidInput(`field 'instances': expected a non-empty list of instances, got ${describe(instances)}`);
  }
  const named = instances.filter((v) => isObject(v) && !isB64(v)).length;
  if (named === 0) {
    const spec = onlyInput(model, 'instances');
    return { [spec.name]: stack(spec, instances) };
  }
  if (named !== instances.length) {
    throw invalidInput("field 'instances': either every instance is an object of named inputs or none is");
  }
  const rows = instances as Record<string, Json>[];
  const names = Object.keys(rows[0]!);
  rows.forEach((row, i) => {
    const keys = Object.keys(row);
    if (keys.length !== names.length || keys.some((k) => !names.includes(k))) {
      throw invalidInput(
        `field 'instances': instance ${i} names inputs ${keys.join(', ') || '(none)'}, instance 0 names ${names.join(', ')}; ` +
          'every instance gives the same inputs',
      );
    }
  });
  const input: Record<string, unknown> = {};
  for (const name of names) {
    input[name] = stack(
      specOf(model, name),
      rows.map((r) => r[name]),
    );
  }
  return input;
}

function fromColumns(model: ModelInfo, inputs: Json): Record<string, unknown> {
  if (isObject(inputs) && !isB64(inputs)) {
    const input: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(inputs)) input[name] = toTensor(specOf(model, name), value);
    return input;
  }
  const spec = onlyInput(model, 'inputs');
  return { [spec.name]: toTensor(spec, inputs) };
}

const FIELDS = ['signature_name', 'instances', 'inputs'];

/** Translates a `:predict` body into Alto's request for `model`. */
export function fromTfRequest(model: ModelInfo, body: Json): TfRequest {
  if (!isObject(body)) {
    throw invalidInput(`request body: expected a JSON object with "instances" or "inputs", got ${describe(body)}`);
  }
  for (const key of Object.keys(body)) {
    if (!FIELDS.includes(key)) {
      throw invalidInput(`field '${key}': not a field of a :predict request (${FIELDS.join(', ')})`);
    }
  }
  const signature = body.signature_name;
  if (signature !== undefined && signature !== SIGNATURE) {
    throw invalidInput(
      `field 'signature_name': Alto models have one signature, '${SIGNATURE}', got ${describe(signature)}`,
    );
  }
  const rows = 'instances' in body;
  if (rows === 'inputs' in body) {
    throw invalidInput(`request body: give exactly one of "instances" (row format) or "inputs" (columnar format)`);
  }
  return rows
    ? { format: 'row', body: { input: fromRows(model, body.instances) } }
    : { format: 'columnar', body: { input: fromColumns(model, body.inputs) } };
}

/** A tensor's values nested to its shape (a scalar for rank 0). */
export function nested(t: Tensor): Json {
  const flat = t.datatype === 'BYTES' ? tfBytesValues(t) : (tensorValues(t) as Json[]);
  if (t.shape.length === 0) return flat[0];
  const build = (dim: number, offset: number): Json[] => {
    const n = t.shape[dim]!;
    if (dim === t.shape.length - 1) return flat.slice(offset, offset + n);
    const stride = elementCount('output', t.shape.slice(dim + 1));
    return Array.from({ length: n }, (_, i) => build(dim + 1, offset + i * stride));
  };
  return build(0, 0);
}

/** The reply to a request in `format`, from a succeeded prediction's outputs. */
export function toTfResponse(format: TfFormat, output: Map<string, Tensor>): Record<string, Json> {
  const names = [...output.keys()];
  const values = new Map(names.map((n) => [n, nested(output.get(n)!)]));
  if (format === 'columnar') {
    return { outputs: names.length === 1 ? values.get(names[0]!) : Object.fromEntries(values) };
  }
  const rows = (name: string): Json[] => {
    const v = values.get(name);
    if (!Array.isArray(v)) {
      throw new AltoError('internal', `output '${name}' is a scalar; the row format needs a batch dim (use "inputs")`);
    }
    return v;
  };
  if (names.length === 1) return { predictions: rows(names[0]!) };
  const batch = rows(names[0]!).length;
  for (const n of names) {
    if (rows(n).length !== batch) {
      throw new AltoError(
        'internal',
        `outputs '${names[0]}' and '${n}' have ${batch} and ${rows(n).length} rows; the row format needs one batch size (use "inputs")`,
      );
    }
  }
  return {
    predictions: Array.from({ length: batch }, (_, i) => Object.fromEntries(names.map((n) => [n, rows(n)[i]]))),
  };
}

/** The status and message a prediction that ended without output is answered with. */
export function failureOf(record: PredictionRecord): { status: number; message: string } {
  const code = record.error?.code ?? record.status;
  const message = `prediction '${record.id}' ${record.status}: ${code}: ${record.error?.message ?? record.status}`;
  if (code === 'deadline_exceeded') return { status: 504, message };
  if (code === 'model_unpublished') return { status: 404, message };
  return { status: 500, message };
}
