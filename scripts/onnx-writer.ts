// A minimal ONNX (protobuf) encoder: just enough of ModelProto to write small demo models
// deterministically, without Python or a protobuf dependency. Not a general ONNX library:
// it writes float tensors (embedded, or as external data in a file beside the model), named
// nodes and integer attributes, and reads nothing.

type Field = Uint8Array;

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // two's complement, as protobuf encodes negative int64
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** Wire type 0: a varint field. */
const int = (field: number, value: number | bigint): Field => new Uint8Array([...varint(field << 3), ...varint(value)]);

/** Wire type 2: bytes, strings and embedded messages. */
const bytes = (field: number, value: Uint8Array): Field =>
  concat([new Uint8Array([...varint((field << 3) | 2), ...varint(value.length)]), value]);

const str = (field: number, value: string): Field => bytes(field, new TextEncoder().encode(value));
const msg = (field: number, ...parts: Field[]): Field => bytes(field, concat(parts));

export const FLOAT = 1;
/** TensorProto.DataType of int64 and string graph inputs and outputs (initializers stay float). */
export const INT64 = 7;
export const STRING = 8;

/** A dimension: a number for a fixed size, a string for a named dynamic one. */
export type Dim = number | string;

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  /** Integer attributes, e.g. Gemm's transB. */
  attributes?: Record<string, number>;
}

export interface Initializer {
  name: string;
  dims: number[];
  values: Float32Array;
  /** Stored in the file `location` (beside the model) at `offset`, instead of in the model. */
  external?: { location: string; offset: number };
}

export interface Graph {
  name: string;
  nodes: Node[];
  initializers: Initializer[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

/** A graph input or output; `type` is its element type. @default FLOAT */
export interface ValueInfo {
  name: string;
  shape: Dim[];
  type?: number;
}

const valueInfo = (field: number, v: ValueInfo): Field =>
  msg(
    field,
    str(1, v.name),
    msg(
      2, // TypeProto
      msg(
        1, // TypeProto.Tensor
        int(1, v.type ?? FLOAT),
        msg(2, ...v.shape.map((d) => msg(1, typeof d === 'number' ? int(1, d) : str(2, d)))),
      ),
    ),
  );

const node = (n: Node): Field =>
  msg(
    1,
    ...n.inputs.map((i) => str(1, i)),
    ...n.outputs.map((o) => str(2, o)),
    str(3, n.name),
    str(4, n.op),
    // AttributeProto: name (1), i (3), type (20) = INT (2)
    ...Object.entries(n.attributes ?? {}).map(([name, value]) => msg(5, str(1, name), int(3, value), int(20, 2))),
  );

const tensorBytes = (t: Initializer) => new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength);

// StringStringEntryProto: key (1), value (2)
const entry = (key: string, value: string): Field => msg(13, str(1, key), str(2, value));

const initializer = (t: Initializer): Field =>
  msg(
    5,
    ...t.dims.map((d) => int(1, d)),
    int(2, FLOAT),
    str(8, t.name),
    ...(t.external
      ? [
          entry('location', t.external.location),
          entry('offset', String(t.external.offset)),
          entry('length', String(t.values.byteLength)),
          int(14, 1), // data_location = EXTERNAL
        ]
      : [bytes(9, tensorBytes(t))]),
  );

/**
 * The graph with every initializer stored in the external data file `location`, and that
 * file's bytes (each tensor at a 64-byte aligned offset).
 */
export function withExternalData(graph: Graph, location: string): { graph: Graph; data: Uint8Array } {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const initializers = graph.initializers.map((t) => {
    const pad = (64 - (offset % 64)) % 64;
    if (pad) parts.push(new Uint8Array(pad));
    offset += pad;
    const at = offset;
    parts.push(tensorBytes(t));
    offset += t.values.byteLength;
    return { ...t, external: { location, offset: at } };
  });
  return { graph: { ...graph, initializers }, data: concat(parts) };
}

/** Encodes a ModelProto (IR version 8, default-domain opset `opset`). */
export function encodeModel(graph: Graph, opset = 17): Uint8Array {
  return concat([
    int(1, 8), // ir_version
    str(2, 'alto'), // producer_name
    msg(
      7, // GraphProto
      ...graph.nodes.map(node),
      str(2, graph.name),
      ...graph.initializers.map(initializer),
      ...graph.inputs.map((i) => valueInfo(11, i)),
      ...graph.outputs.map((o) => valueInfo(12, o)),
    ),
    msg(8, str(1, ''), int(2, opset)), // opset_import
  ]);
}
