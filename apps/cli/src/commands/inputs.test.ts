import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bodyFromInputs, bodyFromJson } from './inputs.ts';

describe('predict request bodies', () => {
  let dir: string;
  const x = { datatype: 'FP32', shape: [1, 2], data: [0.5, -1] };
  const mask = { datatype: 'BOOL', shape: [1, 2], b64: 'AQA=' };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'alto-cli-'));
    writeFileSync(join(dir, 'x.json'), JSON.stringify(x));
    writeFileSync(join(dir, 'mask.json'), JSON.stringify(mask));
    writeFileSync(join(dir, 'body.json'), JSON.stringify({ input: { x }, timeout_ms: 5 }));
    writeFileSync(join(dir, 'broken.json'), '{"datatype": ');
    writeFileSync(join(dir, 'list.json'), '[1, 2]');
    writeFileSync(join(dir, 'noshape.json'), '{"datatype": "FP32", "data": [1]}');
  });

  it('builds {"input": {name: tensor}} from --input NAME=@FILE, files relative to the working directory', () => {
    expect(bodyFromInputs(['x=@x.json', `mask=@${join(dir, 'mask.json')}`], dir)).toEqual({ input: { x, mask } });
  });

  it('keeps an input name that is not an identifier', () => {
    expect(bodyFromInputs(['softmax_0.tmp_0=@x.json'], dir)).toEqual({ input: { 'softmax_0.tmp_0': x } });
  });

  it('refuses an --input that is not NAME=@FILE', () => {
    expect(() => bodyFromInputs(['x.json'], dir)).toThrow(
      "--input: expected NAME=@FILE such as x=@x.json, got 'x.json'",
    );
    expect(() => bodyFromInputs(['x=x.json'], dir)).toThrow(
      "--input: expected NAME=@FILE such as x=@x.json, got 'x=x.json'",
    );
    expect(() => bodyFromInputs(['=@x.json'], dir)).toThrow(/^--input: expected NAME=@FILE/);
  });

  it('refuses the same input twice', () => {
    expect(() => bodyFromInputs(['x=@x.json', 'x=@mask.json'], dir)).toThrow("--input: input 'x' given twice");
  });

  it('names the flag and the file when it is missing, not JSON, or not a tensor object', () => {
    expect(() => bodyFromInputs(['x=@nope.json'], dir)).toThrow(
      "--input x=@nope.json: cannot read 'nope.json': no such file",
    );
    expect(() => bodyFromInputs(['x=@broken.json'], dir)).toThrow(/^--input x=@broken.json: not valid JSON \(/);
    expect(() => bodyFromInputs(['x=@list.json'], dir)).toThrow(
      '--input x=@list.json: expected a tensor object {"datatype", "shape", "data"}, got an array',
    );
    expect(() => bodyFromInputs(['x=@noshape.json'], dir)).toThrow(
      '--input x=@noshape.json: expected a tensor object {"datatype", "shape", "data"}, got an object without "shape"',
    );
  });

  it('takes --json inline or from @FILE, and refuses what is not a JSON object', () => {
    expect(bodyFromJson('{"input": {}}', dir)).toEqual({ input: {} });
    expect(bodyFromJson('@body.json', dir)).toEqual({ input: { x }, timeout_ms: 5 });
    expect(() => bodyFromJson('{input}', dir)).toThrow(/^--json: not valid JSON \(/);
    expect(() => bodyFromJson('3', dir)).toThrow(
      '--json: expected a JSON object such as {"input": {...}}, got a number 3',
    );
    expect(() => bodyFromJson('@missing.json', dir)).toThrow("--json: cannot read 'missing.json': no such file");
  });
});
