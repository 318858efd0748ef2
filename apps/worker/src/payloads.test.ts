// The worker's side of tensors by reference on local files: inputs read and checked against the
// request and the model (each failure with its code, naming the input), outputs written where
// output_uri or the output root says and only then, and the start-up check of the output root.
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PredictionFailure,
  decodeTensors,
  encodeTensors,
  type ModelInfo,
  type Tensor,
  type TensorMap,
} from '@alto/protocol';
import { PayloadStore, readNpy, writeNpy } from '@alto/repository';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from './env.ts';
import { Payloads, objectName } from './payloads.ts';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'alto-worker-payloads-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const model = {
  name: 'm',
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [-1, 2] },
    { name: 'k', datatype: 'INT32', shape: [-1] },
  ],
  batching: { max_batch_size: 4, max_queue_delay_ms: 0 },
} as unknown as ModelInfo;

const payloads = new Payloads({
  store: new PayloadStore({ roots: [root], maxBytes: 1024 }),
  outputRoot: join(root, 'auto'),
  inlineMaxBytes: 16,
});
const ref = (uri: string, datatype: Tensor['datatype'], shape?: number[]): Tensor => ({
  datatype,
  shape: shape ?? [],
  data: new Uint8Array(0),
  ref: { uri, shaped: shape !== undefined },
});
const int32 = (...v: number[]): Tensor => ({
  datatype: 'INT32',
  shape: [v.length],
  data: new Uint8Array(Int32Array.from(v).buffer),
});
const x2 = Float32Array.from([1, 2, 3, 4]);
writeFileSync(join(root, 'x.npy'), writeNpy({ datatype: 'FP32', shape: [2, 2], data: new Uint8Array(x2.buffer) }));
writeFileSync(join(root, 'x.bin'), new Uint8Array(x2.buffer));

async function failure(inputs: TensorMap): Promise<PredictionFailure> {
  const err = await payloads.resolve(inputs, model).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PredictionFailure);
  return err as PredictionFailure;
}

describe('Payloads.resolve', () => {
  it('reads a .npy and raw bytes into tensors, beside inline ones', async () => {
    for (const x of [ref(join(root, 'x.npy'), 'FP32'), ref(`file://${root}/x.bin`, 'FP32', [2, 2])]) {
      const { inputs } = await payloads.resolve(
        new Map([
          ['x', x],
          ['k', int32(1, 2)],
        ]),
        model,
      );
      expect(inputs.get('x')).toMatchObject({ datatype: 'FP32', shape: [2, 2] });
      expect(inputs.get('x')!.ref).toBeUndefined();
      expect([...new Float32Array(inputs.get('x')!.data.slice().buffer)]).toEqual([1, 2, 3, 4]);
      expect(inputs.get('k')).toEqual(int32(1, 2));
    }
  });

  it.each([
    [
      'a missing file',
      ref(join(root, 'nope.npy'), 'FP32'),
      'input_not_found',
      `input 'x': ${root}/nope.npy does not exist`,
    ],
    [
      'raw bytes of the wrong length',
      ref(join(root, 'x.bin'), 'FP32', [1, 2]),
      'input_invalid',
      /is 16 bytes, shape \[1,2\] of FP32 needs 8/,
    ],
    [
      'a .npy of another shape than declared',
      ref(join(root, 'x.npy'), 'FP32', [2, 1]),
      'input_invalid',
      /has shape \[2,2\], the request says \[2,1\]/,
    ],
    ['a .npy of another dtype', ref(join(root, 'x.npy'), 'INT32'), 'input_invalid', /holds FP32, expected INT32/],
    [
      'a path outside the roots',
      ref('/etc/hostname', 'FP32', [1, 2]),
      'input_invalid',
      /not under an allowed payload root \(ALTO_PAYLOAD_ROOTS: /,
    ],
  ])('fails %s with its code', async (_what, x, code, message) => {
    const f = await failure(
      new Map([
        ['x', x],
        ['k', int32(1, 2)],
      ]),
    );
    expect(f.code).toBe(code);
    expect(f.message).toMatch(message);
  });

  it('checks a .npy against the model once read: rows across inputs', async () => {
    const f = await failure(
      new Map([
        ['x', ref(join(root, 'x.npy'), 'FP32')],
        ['k', int32(1, 2, 3)],
      ]),
    );
    expect(f).toMatchObject({
      code: 'input_invalid',
      message: "input 'k': batch size 3 differs from input 'x' batch size 2",
    });
  });

  it('refuses an object over the size limit as input_too_large', async () => {
    writeFileSync(join(root, 'big.bin'), new Uint8Array(1025));
    expect((await failure(new Map([['x', ref(join(root, 'big.bin'), 'FP32', [1, 2])]]))).code).toBe('input_too_large');
  });
});

describe('Payloads.place', () => {
  const small = encodeTensors(new Map([['y', int32(1, 2)]]));
  const large = encodeTensors(new Map([['y/1', int32(1, 2, 3, 4, 5)]]));

  it('writes every output under output_uri as <id>/<name>.npy and returns their URIs', async () => {
    const out = decodeTensors(
      await payloads.place('m.01', small, { outputUri: `file://${root}/req/`, byReference: true }),
    );
    expect(out.get('y')).toMatchObject({
      datatype: 'INT32',
      shape: [2],
      ref: { uri: `file://${root}/req/m.01/y.npy` },
    });
    expect(readNpy(readFileSync(join(root, 'req', 'm.01', 'y.npy')))).toMatchObject({ datatype: 'INT32', shape: [2] });
  });

  it('moves outputs over the inline limit to the output root, only for requests that take URIs', async () => {
    expect(await payloads.place('m.02', small, { outputUri: undefined, byReference: true })).toBe(small);
    const moved = decodeTensors(await payloads.place('m.03', large, { outputUri: undefined, byReference: true }));
    expect(moved.get('y/1')!.ref!.uri).toBe(`${root}/auto/m.03/y%2F1.npy`);
    expect(await payloads.place('m.04', large, { outputUri: undefined, byReference: false })).toBe(large);
  });
});

describe('payload settings', () => {
  it('percent-encodes output names for object names', () => {
    expect(objectName('logits')).toBe('logits');
    expect(objectName('a/b c:ä')).toBe('a%2Fb%20c%3A%C3%A4');
  });

  it('refuses an output root outside ALTO_PAYLOAD_ROOTS at start', () => {
    expect(() => loadEnv({ ALTO_PAYLOAD_ROOTS: 'gs://inputs', ALTO_PAYLOAD_OUTPUT_ROOT: 'gs://outputs/auto' })).toThrow(
      /ALTO_PAYLOAD_OUTPUT_ROOT: 'gs:\/\/outputs\/auto' must be a folder under ALTO_PAYLOAD_ROOTS/,
    );
    expect(
      loadEnv({ ALTO_PAYLOAD_ROOTS: 'gs://outputs', ALTO_PAYLOAD_OUTPUT_ROOT: 'gs://outputs/auto/' })
        .ALTO_PAYLOAD_OUTPUT_ROOT,
    ).toBe('gs://outputs/auto/');
  });
});
