// Binary request bodies, after KServe v2's binary tensor extension: a JSON header of
// `Inference-Header-Content-Length` bytes, then the raw little-endian row-major bytes of each
// tensor that gives `"binary_data_size"` instead of `data` / `b64`, in the order the inputs
// appear in the header. Large tensors then cost neither JSON number parsing nor base64.
import { AltoError, invalidInput } from './errors.ts';

export const BINARY_CONTENT_TYPE = 'application/octet-stream';
export const HEADER_LENGTH_HEADER = 'inference-header-content-length';

/** Where parseBinaryBody attaches a tensor's bytes; JSON can never produce this key. */
export const RAW = Symbol('alto.raw');

/**
 * Gives a tensor object (`{"datatype", "shape"}`) the bytes of its payload, as a binary body
 * does: validateInputs then checks and takes them instead of `data` / `b64`. For protocols
 * that carry raw tensor bytes their own way (the Open Inference Protocol's binary extension
 * and gRPC `raw_input_contents`).
 */
export function attachBytes(tensor: object, bytes: Buffer): void {
  (tensor as Record<symbol, unknown>)[RAW] = bytes;
}

export function parseBinaryBody(body: Buffer, headerLength: string | undefined): unknown {
  const header = "header 'Inference-Header-Content-Length'";
  if (headerLength === undefined || !/^\d+$/.test(headerLength)) {
    const got = headerLength === undefined ? 'none' : `'${headerLength}'`;
    throw invalidInput(
      `${header}: required with Content-Type ${BINARY_CONTENT_TYPE}, ` +
        `as the byte length of the JSON header that starts the body; got ${got}`,
    );
  }
  const n = Number(headerLength);
  if (n > body.length) throw invalidInput(`${header}: ${n} is more than the body's ${body.length} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8', 0, n));
  } catch (err) {
    throw new AltoError(
      'invalid_json',
      `the JSON header of the binary body is not valid JSON: ${(err as Error).message}`,
    );
  }
  let offset = n;
  const input = (json as { input?: unknown } | null)?.input;
  if (typeof input === 'object' && input !== null) {
    for (const [name, tensor] of Object.entries(input)) {
      if (typeof tensor !== 'object' || tensor === null || !('binary_data_size' in tensor)) continue;
      const t = tensor as Record<string | symbol, unknown>;
      const size = t.binary_data_size;
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw invalidInput(
          `input '${name}': binary_data_size must be a non-negative integer, got ${JSON.stringify(size)}`,
        );
      }
      if (offset + size > body.length) {
        throw invalidInput(
          `input '${name}': binary_data_size ${size} runs past the end of the body (${body.length - offset} bytes left)`,
        );
      }
      t[RAW] = body.subarray(offset, offset + size);
      delete t.binary_data_size;
      offset += size;
    }
  }
  if (offset !== body.length) {
    throw invalidInput(
      `request body: ${body.length - offset} bytes follow the header and binary tensors; binary_data_size sizes account for ${offset - n}`,
    );
  }
  return json;
}
