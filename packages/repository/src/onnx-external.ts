// Which files a model.onnx keeps its weights in (ONNX "external data"): a walk over just the
// protobuf fields that say so, ModelProto.graph (7) → GraphProto.initializer (5) → TensorProto
// data_location (14) = EXTERNAL (1) with external_data (13): StringStringEntryProto key (1) /
// value (2), key "location"; also sparse initializers and the tensors and subgraphs of node
// attributes (ENTER). Every other field is skipped by its length without being read, so a
// model with embedded weights costs a few small reads per tensor, not its size.
import { CONFIG_FILE, MODEL_FILES, WRITING_MARKER } from './layout.ts';
import { CheckpointError } from './source/errors.ts';

/** Reads `length` bytes at `offset` (fewer only at the end of the file). */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

const EXTERNAL = 1;
const BLOCK = 64 * 1024;

/** A ReadAt over bytes in memory. */
export const bytesReader =
  (bytes: Uint8Array): ReadAt =>
  async (offset, length) =>
    bytes.subarray(offset, offset + length);

/** Sequential reads over a ReadAt, one block at a time. */
class Cursor {
  private buf: Uint8Array = new Uint8Array(0);
  private bufAt = 0;
  constructor(
    private readonly read: ReadAt,
    public pos: number,
  ) {}

  private async fill(length: number): Promise<void> {
    if (this.pos >= this.bufAt && this.pos + length <= this.bufAt + this.buf.length) return;
    this.bufAt = this.pos;
    this.buf = await this.read(this.pos, Math.max(length, BLOCK));
  }

  async byte(): Promise<number> {
    await this.fill(1);
    const b = this.buf[this.pos - this.bufAt];
    if (b === undefined) throw malformed(`unexpected end at byte ${this.pos}`);
    this.pos++;
    return b;
  }

  async varint(): Promise<number> {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = await this.byte();
      value += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return value;
    }
    throw malformed(`varint too long at byte ${this.pos}`);
  }

  async bytes(length: number): Promise<Uint8Array> {
    if (length > MAX_STRING) throw malformed(`a string field of ${length} bytes at byte ${this.pos}`);
    await this.fill(length);
    const out = this.buf.subarray(this.pos - this.bufAt, this.pos - this.bufAt + length);
    if (out.length !== length) throw malformed(`unexpected end at byte ${this.pos}`);
    this.pos += length;
    return out;
  }
}

/** Bytes that are not the ONNX protobuf this walk expects: onnxruntime will say more when it loads them. */
export class OnnxFormatError extends Error {
  override readonly name = 'OnnxFormatError';
}
const malformed = (what: string) => new OnnxFormatError(`model.onnx is not a valid ONNX model: ${what}`);
/** Longest string field read (a tensor name, an external_data key or value). */
const MAX_STRING = 1 << 20;
const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Walks the fields of one message from `c.pos` to `end`, calling `on` for each LEN field
 * (wire type 2) with its number and payload bounds and for each varint with its value; the
 * callback returns true when it consumed the payload itself. The rest is skipped.
 */
async function fields(
  c: Cursor,
  end: number,
  on: (field: number, wire: number, value: number) => Promise<boolean> | boolean,
): Promise<void> {
  while (c.pos < end) {
    const tag = await c.varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) {
      await on(field, wire, await c.varint());
    } else if (wire === 1) c.pos += 8;
    else if (wire === 5) c.pos += 4;
    else if (wire === 2) {
      const length = await c.varint();
      const payloadEnd = c.pos + length;
      if (payloadEnd > end) throw malformed(`field ${field} (${length} bytes) runs past its message at byte ${c.pos}`);
      if (!(await on(field, wire, length))) c.pos = payloadEnd;
      else if (c.pos !== payloadEnd) throw malformed(`field ${field} read past its length`);
    } else throw malformed(`unsupported wire type ${wire} (field ${field}) at byte ${c.pos}`);
    if (c.pos > end) throw malformed(`field ${field} runs past its message`);
  }
}

/**
 * The messages the walk enters, by kind: for each, the LEN fields that hold a message it must
 * read and that message's kind. Initializers, sparse initializers, and the tensors and graphs
 * of node attributes (Constant values, If/Loop/Scan bodies) can all be stored externally.
 */
type Kind = 'model' | 'graph' | 'node' | 'attribute' | 'sparse' | 'tensor';
const ENTER: Record<Exclude<Kind, 'tensor'>, Record<number, Kind>> = {
  model: { 7: 'graph' }, // ModelProto.graph
  graph: { 1: 'node', 5: 'tensor', 15: 'sparse' }, // node, initializer, sparse_initializer
  node: { 5: 'attribute' }, // NodeProto.attribute
  attribute: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 22: 'sparse', 23: 'sparse' }, // t, g, tensors, graphs
  sparse: { 1: 'tensor', 2: 'tensor' }, // SparseTensorProto values, indices
};
/** Nested graphs deeper than this are refused (each level is a subgraph of a node's attribute). */
const MAX_DEPTH = 64;

/**
 * The external data files of the model read by `read` (of `size` bytes): the `location` of
 * every tensor stored externally, each once, in order of first use. Locations are returned as
 * written; check them with `externalDataFile`.
 */
export async function externalDataLocations(read: ReadAt, size: number): Promise<string[]> {
  const found: string[] = [];
  const c = new Cursor(read, 0);
  const walk = async (kind: Exclude<Kind, 'tensor'>, end: number, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw malformed(`messages nested deeper than ${MAX_DEPTH} at byte ${c.pos}`);
    await fields(c, end, async (field, wire, length) => {
      const sub = wire === 2 ? ENTER[kind][field] : undefined;
      if (sub === undefined) return false;
      if (sub !== 'tensor') await walk(sub, c.pos + length, depth + 1);
      else {
        const location = await tensorLocation(c, c.pos + length);
        if (location !== undefined && !found.includes(location)) found.push(location);
      }
      return true;
    });
  };
  await walk('model', size, 0);
  return found;
}

/** The external location of the TensorProto from `c.pos` to `end`, or undefined when embedded. */
async function tensorLocation(c: Cursor, end: number): Promise<string | undefined> {
  let external = false;
  let location: string | undefined;
  let name = '';
  await fields(c, end, async (field, wire, value) => {
    if (field === 14 && wire === 0) external = value === EXTERNAL;
    if (wire !== 2) return false;
    if (field === 8) {
      name = utf8.decode(await c.bytes(value));
      return true;
    }
    if (field !== 13) return false;
    let key = '';
    let val = '';
    await fields(c, c.pos + value, async (f, w, len) => {
      if (w !== 2 || (f !== 1 && f !== 2)) return false;
      const s = utf8.decode(await c.bytes(len));
      if (f === 1) key = s;
      else val = s;
      return true;
    });
    if (key === 'location') location = val;
    return true;
  });
  if (!external) return undefined;
  if (location === undefined)
    throw malformed(`initializer '${name}' is stored externally (data_location EXTERNAL) but names no location`);
  return location;
}

/** Names a version folder keeps for itself (and the worker's cache beside the model file). */
const RESERVED = new Set<string>([...MODEL_FILES, CONFIG_FILE, WRITING_MARKER, 'meta.json']);

/**
 * `location` when it is a plain file name inside the version folder: no '/', '\\', '..' or
 * absolute path, nothing reserved, no partial-download suffix. Throws CheckpointError
 * 'invalid_uri' naming it otherwise.
 */
export function externalDataFile(modelUri: string, location: string): string {
  const problem =
    location === '' || location === '.' || location === '..'
      ? 'is not a file name'
      : /[/\\]/.test(location)
        ? "is not a plain file name in the version folder (no '/', '\\\\', '..' or absolute paths)"
        : [...location].some((ch) => ch.charCodeAt(0) < 0x20)
          ? 'holds a control character'
          : RESERVED.has(location) || /\.(partial|tmp)$/.test(location)
            ? `is a name the version folder keeps for itself (${[...RESERVED].join(', ')}, *.partial, *.tmp)`
            : undefined;
  if (problem)
    throw new CheckpointError(
      'invalid_uri',
      `${modelUri}: external data location ${JSON.stringify(location)} ${problem}; ` +
        'expected a file name beside model.onnx',
    );
  return location;
}

/** Locations by model identity (uri + generation): a listing reads each model.onnx once. */
const known = new Map<string, string[]>();
const KNOWN_MAX = 4096;

/**
 * externalDataLocations of the model `uri` at `generation`, each checked with externalDataFile
 * (a bad one throws CheckpointError 'invalid_uri' naming it), remembered; [] for bytes that are
 * not an ONNX model.
 */
export async function externalDataFiles(
  uri: string,
  generation: string,
  read: ReadAt,
  size: number,
): Promise<string[]> {
  const id = `${uri}\n${generation}`;
  let files = known.get(id);
  if (!files) {
    // Bytes that are not an ONNX model reference nothing here; loading them fails with onnxruntime's own message.
    const locations = await externalDataLocations(read, size).catch((err: unknown) => {
      if (err instanceof OnnxFormatError) return [];
      throw err;
    });
    files = locations.map((l) => externalDataFile(uri, l));
    if (known.size >= KNOWN_MAX) known.delete(known.keys().next().value!);
    known.set(id, files);
  }
  return files;
}
