// TF Serving's DT_STRING values for Alto's BYTES tensors: in a request, each element a JSON
// string or `{"b64": "..."}` (TF's form for binary strings), at any nesting; in a reply, each
// element a string, or `{"b64"}` where it is not UTF-8. Pure; tfserving.ts calls it.
import { RAW_TENSOR, bytesElements, encodeBytes, fmtShape, invalidInput, isUtf8, type Tensor } from '@alto/protocol';

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: Json): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : isObject(v) ? 'an object' : JSON.stringify(v);

function elementBytes(name: string, where: string, v: Json): Uint8Array {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (isObject(v) && Object.keys(v).length === 1 && typeof v.b64 === 'string') {
    const text = v.b64;
    if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) {
      throw invalidInput(`input '${name}': ${where} "b64" must be a padded base64 string, got ${describe(text)}`);
    }
    return Buffer.from(text, 'base64');
  }
  throw invalidInput(`input '${name}': ${where} is ${describe(v)}, expected a string or {"b64": "..."} for BYTES`);
}

/**
 * A BYTES input's value (a string, `{"b64"}`, or a nested list of them) as an Alto tensor of
 * length-prefixed bytes; validateInputs then checks its shape and limits like any other.
 */
export function tfBytesTensor(name: string, value: Json): Record<string | symbol, unknown> {
  const shape: number[] = [];
  for (let node = value; Array.isArray(node); node = node[0]) shape.push(node.length);
  const elements: Uint8Array[] = [];
  const walk = (node: Json, depth: number, path: number[]): void => {
    const where = path.length ? `element [${path.join('][')}]` : 'the value';
    if (depth === shape.length) {
      elements.push(elementBytes(name, where, node));
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw invalidInput(
        `input '${name}': ${where} should be a list of ${shape[depth]} for shape ${fmtShape(shape)}, got ${describe(node)}`,
      );
    }
    node.forEach((child, i) => walk(child, depth + 1, [...path, i]));
  };
  walk(value, 0, []);
  return { datatype: 'BYTES', shape, [RAW_TENSOR]: Buffer.from(encodeBytes(elements)) };
}

/** A BYTES output's elements in row-major order: strings, `{"b64"}` where not UTF-8. */
export function tfBytesValues(t: Tensor): Json[] {
  return bytesElements(t.data).map((e) =>
    isUtf8(e) ? Buffer.from(e).toString('utf8') : { b64: Buffer.from(e).toString('base64') },
  );
}
