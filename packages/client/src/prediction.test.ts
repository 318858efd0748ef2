// Decoding a prediction whose outputs came partly inline and partly as objects (output_uri):
// the inline ones become TypedArrays, the others stay where they were written.
import { describe, expect, it } from 'vitest';
import { decodePrediction } from './prediction.ts';
import type { PredictionJson } from './types.ts';

describe('decodePrediction', () => {
  it('puts outputs written to objects in outputObjects and decodes the inline ones', () => {
    const b64 = Buffer.from(new Float32Array([1.5, -2]).buffer).toString('base64');
    const p = decodePrediction({
      id: 'm.01',
      status: 'succeeded',
      output: {
        y: { datatype: 'FP32', shape: [1, 2], b64 },
        z: { datatype: 'INT64', shape: [1, 3], uri: 'gs://b/out/m.01/z.npy' },
      },
    } as unknown as PredictionJson);
    expect([...(p.output!.y!.data as Float32Array)]).toEqual([1.5, -2]);
    expect(p.output!.z).toBeUndefined();
    expect(p.outputObjects).toEqual({ z: { datatype: 'INT64', shape: [1, 3], uri: 'gs://b/out/m.01/z.npy' } });
    const inline = decodePrediction({
      id: 'm.02',
      output: { y: { datatype: 'FP32', shape: [1, 2], b64 } },
    } as unknown as PredictionJson);
    expect(inline.outputObjects).toBeUndefined();
  });
});
