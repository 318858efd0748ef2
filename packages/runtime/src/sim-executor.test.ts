// SimExecutor against the Executor contract, and its timing: a batch of n rows takes a + b·n ms.
import { describe, expect, it } from 'vitest';
import { describeExecutor } from './executor-contract.ts';
import { SimExecutor, parseSimModel } from './sim-executor.ts';

const WIDTH = 6;
const model = { input: 'x', output: 'y', width: WIDTH, a_ms: 2, b_ms: 0.5 };

/** y = 2x + 1, written out here rather than imported, so the test does not check the code against itself. */
const reference = (x: Float32Array): Float32Array => Float32Array.from(x, (v) => v * 2 + 1);

describeExecutor('sim', {
  open: (slots) => SimExecutor.create({ model, slots }),
  input: { name: 'x', width: WIDTH },
  output: { name: 'y', width: WIDTH },
  reference,
});

describe('SimExecutor timing', () => {
  it('holds a batch of n rows for a + b·n ms of wall time', async () => {
    const e = await SimExecutor.create({ model: { ...model, a_ms: 20, b_ms: 2 }, slots: 1 });
    const rows = 10;
    const t0 = performance.now();
    const r = await e.run({ x: { type: 'float32', dims: [rows, WIDTH], data: new ArrayBuffer(rows * WIDTH * 4) } });
    const took = performance.now() - t0;
    expect(r.ms).toBe(40);
    // A timer never fires early; the upper side is left to the machine.
    expect(took).toBeGreaterThanOrEqual(39);
    await e.close();
  });

  it('rejects a model.sim with a misspelt field, naming the file and the field', () => {
    expect(() => parseSimModel('{"width":4,"a_ms":1,"b_ms":1,"bms":2}', 'm/1/model.sim')).toThrow(
      /m\/1\/model\.sim.*bms/,
    );
  });
});
