// Runs one onnxruntime-node InferenceSession on a worker thread, so that session.run (which
// blocks its thread for the whole inference) never stops the worker's main thread.
// Plain JavaScript on purpose: a worker thread does not inherit the TypeScript loader the
// main thread runs under. Messages are described in thread-protocol.ts.
import { setImmediate } from 'node:timers';
import { parentPort } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { TextDecoder } from 'node:util';

const ARRAYS = {
  bool: Uint8Array,
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  uint64: BigUint64Array,
  int64: BigInt64Array,
  float16: Uint16Array,
  float32: Float32Array,
  float64: Float64Array,
};

// BYTES travel between threads in Alto's length-prefixed layout (u32 LE length, bytes), as
// @alto/protocol's bytes.ts writes it; onnxruntime takes and gives string tensors as string[].
const utf8 = new TextDecoder();

/** @param {ArrayBuffer} buffer */
function readStrings(buffer) {
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  const out = [];
  for (let o = 0; o < bytes.length;) {
    const n = view.getUint32(o, true);
    out.push(utf8.decode(bytes.subarray(o + 4, o + 4 + n)));
    o += 4 + n;
  }
  return out;
}

/** @param {string[]} strings */
function writeStrings(strings) {
  const parts = strings.map((s) => Buffer.from(s, 'utf8'));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let o = 0;
  for (const p of parts) {
    view.setUint32(o, p.length, true);
    out.set(p, o + 4);
    o += 4 + p.length;
  }
  return out.buffer;
}

/** @type {import('onnxruntime-node').InferenceSession | undefined} */
let session;

/** SessionOptions (thread-protocol.ts) as onnxruntime-node takes them. */
function ortOptions({ intraOpSpinning, ...options }) {
  if (intraOpSpinning === undefined) return options;
  return { ...options, extra: { session: { intra_op: { allow_spinning: intraOpSpinning ? '1' : '0' } } } };
}

const meta = (m) => ({ name: m.name, type: m.isTensor ? m.type : 'non-tensor', shape: m.isTensor ? m.shape : [] });

// Runs are chained: a batch queued behind the running one (OnnxExecutor's `ahead`) starts when
// it ends, and its time counts from then. Without the chain a second batch could enter
// session.run (whose native call onnxruntime-node defers with setImmediate) before the first's
// native call ran, and its clock would start early.
let queue = Promise.resolve();

parentPort.on('message', (msg) => {
  // An unexpected throw still ends the thread, as an uncaught error would (it is replaced).
  queue = queue
    .then(() => handle(msg))
    .catch((err) =>
      setImmediate(() => {
        throw err;
      }),
    );
});

async function handle(msg) {
  if (msg.type === 'load') {
    try {
      session = await ort.InferenceSession.create(msg.path, ortOptions(msg.options));
      parentPort.postMessage({
        type: 'loaded',
        inputs: session.inputMetadata.map(meta),
        outputs: session.outputMetadata.map(meta),
      });
    } catch (err) {
      parentPort.postMessage({ type: 'load_error', message: err instanceof Error ? err.message : String(err) });
    }
    return;
  }
  if (msg.type === 'run') {
    try {
      const feeds = {};
      for (const [name, t] of Object.entries(msg.feeds)) {
        if (t.type === 'string') {
          feeds[name] = new ort.Tensor('string', readStrings(t.data), t.dims);
          continue;
        }
        const Array = ARRAYS[t.type];
        if (!Array) throw new Error(`input '${name}': unsupported tensor type ${t.type}`);
        feeds[name] = new ort.Tensor(t.type, new Array(t.data), t.dims);
      }
      const started = performance.now();
      const results = await session.run(feeds);
      const ms = performance.now() - started;
      const outputs = {};
      const transfer = [];
      for (const [name, tensor] of Object.entries(results)) {
        if (tensor.type === 'string') {
          const data = writeStrings(tensor.data);
          outputs[name] = { type: 'string', dims: [...tensor.dims], data };
          transfer.push(data);
          continue;
        }
        const view = tensor.data;
        // Hand over an ArrayBuffer that holds exactly this tensor, without copying when possible.
        const data =
          view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view.buffer : view.slice().buffer;
        outputs[name] = { type: tensor.type, dims: [...tensor.dims], data };
        transfer.push(data);
      }
      // The inputs go back to be filled again (input-buffers.ts): onnxruntime is done with them.
      const inputs = Object.values(msg.feeds).map((t) => t.data);
      parentPort.postMessage({ type: 'result', id: msg.id, outputs, ms, inputs }, [
        ...new Set([...transfer, ...inputs]),
      ]);
    } catch (err) {
      parentPort.postMessage({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
    }
  }
}
