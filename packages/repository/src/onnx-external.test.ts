import { describe, expect, it } from 'vitest';
import { buildTinyModel, buildTinyModelExternal } from '../../../scripts/make-tiny-model.ts';
import {
  bytesReader,
  externalDataFile,
  externalDataFiles,
  externalDataLocations,
  OnnxFormatError,
  type ReadAt,
} from './onnx-external.ts';
import { CheckpointError } from './source/errors.ts';

const locations = (bytes: Uint8Array, read: ReadAt = bytesReader(bytes)) => externalDataLocations(read, bytes.length);

// Hand-built protobuf: tag = field << 3 | wire type (fields < 16 here: one byte); LEN fields
// carry a varint length.
const varintBytes = (n: number): number[] => (n < 128 ? [n] : [(n & 0x7f) | 0x80, ...varintBytes(n >>> 7)]);
const len = (field: number, payload: number[]) => [(field << 3) | 2, ...varintBytes(payload.length), ...payload];
const text = (field: number, s: string) => len(field, [...Buffer.from(s)]);
const varint = (field: number, v: number) => [field << 3, v];
const tensor = (...fields: number[][]) => len(5, fields.flat());
const model = (...initializers: number[][]) => new Uint8Array([...varint(1, 8), ...len(7, initializers.flat())]);

describe('externalDataLocations (the protobuf walk)', () => {
  it('finds the location of an initializer stored externally', async () => {
    const bytes = model(tensor(text(8, 'w'), len(13, [...text(1, 'location'), ...text(2, 'w.bin')]), varint(14, 1)));
    expect(await locations(bytes)).toEqual(['w.bin']);
  });

  it('ignores embedded initializers and other entries of external_data, and lists each file once', async () => {
    const bytes = model(
      tensor(text(8, 'a'), len(9, [1, 2, 3, 4])),
      tensor(
        len(13, [...text(1, 'offset'), ...text(2, '0')]),
        len(13, [...text(2, 'x.bin'), ...text(1, 'location')]),
        varint(14, 1),
      ),
      tensor(varint(14, 1), len(13, [...text(1, 'location'), ...text(2, 'x.bin')])),
      tensor(len(13, [...text(1, 'location'), ...text(2, 'stale.bin')]), varint(14, 0)),
    );
    expect(await locations(bytes)).toEqual(['x.bin']);
  });

  it('finds external tensors of sparse initializers, Constant nodes and subgraphs (If/Loop bodies)', async () => {
    // A TensorProto's fields, stored externally in `loc`.
    const ext = (loc: string) => [...len(13, [...text(1, 'location'), ...text(2, loc)]), ...varint(14, 1)];
    const sparse = len(15, len(1, ext('sparse.bin')));
    const constant = len(1, [...text(4, 'Constant'), ...len(5, [...text(1, 'value'), ...len(5, ext('const.bin'))])]);
    const body = len(6, [...text(2, 'then'), ...len(5, ext('sub.bin'))]);
    const ifNode = len(1, [...text(4, 'If'), ...len(5, [...text(1, 'then_branch'), ...body])]);
    const ints = len(1, [...text(4, 'X'), ...len(5, [...text(1, 'k'), ...len(8, [1, 2, 3])])]);
    const bytes = new Uint8Array([...varint(1, 8), ...len(7, [...sparse, ...constant, ...ifNode, ...ints])]);
    expect(await locations(bytes)).toEqual(['sparse.bin', 'const.bin', 'sub.bin']);
  });

  it('refuses an external initializer without a location, naming it', async () => {
    const bytes = model(tensor(text(8, 'w9'), varint(14, 1)));
    await expect(locations(bytes)).rejects.toThrow(/initializer 'w9' is stored externally .* names no location/);
  });

  it('refuses truncated bytes', async () => {
    const bytes = model(tensor(text(8, 'w'), len(13, [...text(1, 'location'), ...text(2, 'w.bin')]), varint(14, 1)));
    await expect(locations(bytes.subarray(0, bytes.length - 4))).rejects.toThrow(OnnxFormatError);
  });

  it('refuses a length past the end of its message without reading it', async () => {
    // graph (7) claiming 2^40 bytes
    const bytes = new Uint8Array([(7 << 3) | 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 1, 2, 3]);
    await expect(locations(bytes)).rejects.toThrow(/runs past its message/);
  });

  it('reads a model written by the ONNX writer, embedded and external', async () => {
    expect(await locations(buildTinyModel())).toEqual([]);
    const { model: m, data } = buildTinyModelExternal('tiny.weights');
    expect(await locations(m)).toEqual(['tiny.weights']);
    expect(data.length).toBeGreaterThan(m.length);
  });

  it('skips embedded weights without reading them', async () => {
    const m = buildTinyModel();
    let read = 0;
    const counting: ReadAt = async (offset, length) => {
      const out = m.subarray(offset, offset + Math.min(length, 16));
      read += out.length;
      return out;
    };
    expect(await locations(m, counting)).toEqual([]);
    // The weights are ~11 KB of raw_data; the walk reads tags and lengths only.
    expect(read).toBeLessThan(m.length / 4);
  });
});

describe('externalDataFiles (what a listing uses)', () => {
  it('checks every location, naming the model and the bad one', async () => {
    const bytes = model(tensor(len(13, [...text(1, 'location'), ...text(2, '../w.bin')]), varint(14, 1)));
    await expect(externalDataFiles('/m/1/model.onnx', 'g1', bytesReader(bytes), bytes.length)).rejects.toThrow(
      '/m/1/model.onnx: external data location "../w.bin" is not a plain file name',
    );
  });

  it('bytes that are not an ONNX model reference no files (onnxruntime reports them when loading)', async () => {
    const junk = new Uint8Array(Buffer.from('model 7'));
    expect(await externalDataFiles('/m/7/model.onnx', 'g', bytesReader(junk), junk.length)).toEqual([]);
  });
});

describe('externalDataFile (where a location may point)', () => {
  it('accepts a plain file name', () => {
    expect(externalDataFile('m/1/model.onnx', 'weights.bin')).toBe('weights.bin');
    expect(externalDataFile('m/1/model.onnx', 'model.onnx.data')).toBe('model.onnx.data');
  });

  it.each([
    ['../other/weights.bin', /not a plain file name/],
    ['..', /not a file name/],
    ['/etc/passwd', /not a plain file name/],
    ['sub/weights.bin', /not a plain file name/],
    ['C:\\w.bin', /not a plain file name/],
    ['', /not a file name/],
    ['model.onnx', /keeps for itself/],
    ['meta.json', /keeps for itself/],
    ['w.bin.partial', /keeps for itself/],
  ])('refuses %j, naming it', (location, why) => {
    let err: unknown;
    try {
      externalDataFile('gs://b/m/1/model.onnx', location);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).code).toBe('invalid_uri');
    expect((err as Error).message).toContain(
      `gs://b/m/1/model.onnx: external data location ${JSON.stringify(location)}`,
    );
    expect((err as Error).message).toMatch(why);
  });
});
