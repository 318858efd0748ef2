// Hostile input against an in-process gateway over real sockets (node:net for what no
// well-behaved client sends): every case is a 4xx with {"error": {"code", "message"}} whose
// message names the field, and afterwards the gateway is healthy and still accepts a valid
// request. Ends with a bounded, seeded loop of random mutations that must never get a 5xx.
import { ERROR_CODES, type ModelInfo } from '@alto/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPrefix } from './support/fleet.ts';
import { startTestGateway, type TestGateway } from './support/gateway.ts';
import { pair, tiny } from './support/models.ts';
import { rawPost, rawRequest, type RawReply } from './support/raw-http.ts';

/** Every dim dynamic, so that absurd shapes get past the model's own dims. */
const dyn: ModelInfo = {
  name: 'dyn',
  version: '1',
  versions: ['1'],
  platform: 'onnx',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
  batching: { max_batch_size: 4, max_queue_delay_ms: 0 },
};

const LIMIT = 1024 * 1024;
const DEEP = 100_000;

const t = (shape: unknown, data: unknown, datatype: unknown = 'FP32') => ({ datatype, shape, data });
const zeros = (n: number) => new Array(n).fill(0);
const x = (tensor: unknown) => JSON.stringify({ input: { x: tensor } });
const validTiny = () => x(t([1, 64], zeros(64)));
const validPair = (a: unknown = t([1, 2], [1, -2], 'INT8'), b: unknown = t([1, 2], [true, false], 'BOOL')) =>
  JSON.stringify({ input: { a, b } });
const deepArray = '['.repeat(DEEP) + ']'.repeat(DEEP);

/** [what, model, body, status, code, message] */
type Case = [string, string, string | Buffer, number, string, RegExp];

const jsonCases: Case[] = [
  // Not JSON at all.
  ['malformed JSON', 'tiny', '{"input": {', 400, 'invalid_json', /^request body is not valid JSON: /],
  [
    'the literal NaN',
    'tiny',
    '{"input":{"x":{"datatype":"FP32","shape":[1,1],"data":[NaN]}}}',
    400,
    'invalid_json',
    /not valid JSON/,
  ],
  [
    'the literal Infinity',
    'tiny',
    '{"input":{"x":{"datatype":"FP32","shape":[1,1],"data":[Infinity]}}}',
    400,
    'invalid_json',
    /not valid JSON/,
  ],
  [
    'the literal -Infinity',
    'tiny',
    '{"input":{"x":{"datatype":"FP32","shape":[1,1],"data":[-Infinity]}}}',
    400,
    'invalid_json',
    /not valid JSON/,
  ],
  ['single-quoted JSON', 'tiny', "{'input': {}}", 400, 'invalid_json', /not valid JSON/],
  ['trailing garbage', 'tiny', '{"input":{}} {}', 400, 'invalid_json', /not valid JSON/],
  ['an empty body', 'tiny', '', 400, 'invalid_json', /not valid JSON/],
  [
    'invalid UTF-8 outside strings',
    'tiny',
    Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
    400,
    'invalid_json',
    /not valid JSON/,
  ],
  [`${DEEP} unclosed [`, 'tiny', '['.repeat(DEEP), 400, 'invalid_json', /not valid JSON/],
  // JSON, but not a request object.
  ['the body is []', 'tiny', '[]', 400, 'invalid_input', /^request body: .*expected object, received array/],
  ['the body is "x"', 'tiny', '"x"', 400, 'invalid_input', /^request body: .*expected object/],
  ['the body is null', 'tiny', 'null', 400, 'invalid_input', /^request body: .*expected object/],
  ['the body is 1', 'tiny', '1', 400, 'invalid_input', /^request body: .*expected object/],
  ['the body is true', 'tiny', 'true', 400, 'invalid_input', /^request body: .*expected object/],
  [
    `the body is ${DEEP} nested arrays`,
    'tiny',
    deepArray,
    400,
    'invalid_input',
    /^request body: .*expected object, received array/,
  ],
  ['input is missing', 'tiny', '{}', 400, 'invalid_input', /^field 'input': /],
  ['input is an array', 'tiny', '{"input":[]}', 400, 'invalid_input', /^field 'input': /],
  ['input is null', 'tiny', '{"input":null}', 400, 'invalid_input', /^field 'input': /],
  [
    'response_format is unknown',
    'tiny',
    JSON.stringify({ input: {}, response_format: 'xml' }),
    400,
    'invalid_input',
    /^field 'response_format': /,
  ],
  ['an unknown top-level field', 'tiny', JSON.stringify({ input: {}, inputs: {} }), 400, 'invalid_input', /inputs/],
  // Inputs and tensor envelopes.
  ['a tensor is a number', 'tiny', x(5), 400, 'invalid_input', /^input 'x': expected a tensor object .*, got 5$/],
  [
    'a tensor is an array',
    'tiny',
    x([]),
    400,
    'invalid_input',
    /^input 'x': expected a tensor object .*, got an array$/,
  ],
  ['a tensor is null', 'tiny', x(null), 400, 'invalid_input', /^input 'x': expected a tensor object .*, got null$/],
  [
    'an unknown input',
    'tiny',
    JSON.stringify({ input: { y: t([1, 64], zeros(64)) } }),
    400,
    'invalid_input',
    /^input 'y': model 'tiny' has no such input/,
  ],
  [
    'an input named __proto__',
    'tiny',
    `{"input":{"__proto__":${x(t([1, 64], zeros(64))).slice(9, -1)}}}`,
    400,
    'invalid_input',
    /^input 'x': missing/,
  ],
  [
    'an input named constructor',
    'tiny',
    JSON.stringify({ input: { constructor: t([1, 64], zeros(64)) } }),
    400,
    'invalid_input',
    /^input 'constructor': model 'tiny' has no such input/,
  ],
  [
    `${DEEP} nested objects as an input`,
    'tiny',
    `{"input":${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}}`,
    400,
    'invalid_input',
    /^input 'a': model 'tiny' has no such input/,
  ],
  [
    'the wrong datatype',
    'tiny',
    x(t([1, 64], zeros(64), 'FP64')),
    400,
    'invalid_input',
    /^input 'x': expected datatype FP32, got FP64$/,
  ],
  [
    'an unknown datatype',
    'tiny',
    x(t([1, 64], zeros(64), 'float32')),
    400,
    'invalid_input',
    /^input 'x': datatype must be one of BOOL, .*, got "float32"$/,
  ],
  [
    'a numeric datatype',
    'tiny',
    x(t([1, 64], zeros(64), 5)),
    400,
    'invalid_input',
    /^input 'x': datatype must be one of .*, got 5$/,
  ],
  [
    'a missing datatype',
    'tiny',
    x({ shape: [1, 64], data: zeros(64) }),
    400,
    'invalid_input',
    /^input 'x': datatype must be one of .*, got undefined$/,
  ],
  // Shapes.
  [
    'a shape that is a string',
    'tiny',
    x(t('1,64', zeros(64))),
    400,
    'invalid_input',
    /^input 'x': shape must be an array of integers, got "1,64"$/,
  ],
  [
    '-1 in a request shape',
    'tiny',
    x(t([-1, 64], zeros(64))),
    400,
    'invalid_input',
    /^input 'x': shape \[-1,64\] has -1 at dim 0; a request gives every dimension's actual size$/,
  ],
  [
    'a negative dim',
    'tiny',
    x(t([1, -64], zeros(64))),
    400,
    'invalid_input',
    /^input 'x': shape dim 1 must be a non-negative integer, got -64$/,
  ],
  [
    'a fractional dim',
    'tiny',
    x(t([1, 64.5], zeros(64))),
    400,
    'invalid_input',
    /^input 'x': shape dim 1 must be a non-negative integer, got 64.5$/,
  ],
  [
    'a dim of 1e308',
    'dyn',
    x(t([1, 1e308], [])),
    400,
    'invalid_input',
    /^input 'x': shape dim 1 must be a non-negative integer, got 1e\+308$/,
  ],
  [
    'a dim of 2^53',
    'dyn',
    x(t([1, 2 ** 53], [])),
    400,
    'invalid_input',
    /^input 'x': shape dim 1 must be a non-negative integer, got 9007199254740992$/,
  ],
  [
    'string dims',
    'tiny',
    x(t(['1', '64'], zeros(64))),
    400,
    'invalid_input',
    /^input 'x': shape dim 0 must be a non-negative integer, got "1"$/,
  ],
  [
    'a huge shape with no data',
    'dyn',
    x(t([1, 1e12], [])),
    400,
    'invalid_input',
    /^input 'x': data has 0 elements, shape \[1,1000000000000\] needs 1000000000000$/,
  ],
  [
    'a huge shape with b64',
    'dyn',
    x({ datatype: 'FP32', shape: [1, 1e12], b64: 'AAAA' }),
    400,
    'invalid_input',
    /^input 'x': b64 decodes to 3 bytes, shape \[1,1000000000000\] of FP32 needs 4000000000000$/,
  ],
  [
    'a shape whose product is not a safe integer',
    'dyn',
    x(t([4, 2 ** 51], [])),
    400,
    'invalid_input',
    /^input 'x': shape \[4,2251799813685248\] has too many elements$/,
  ],
  [
    'a huge batch',
    'tiny',
    x(t([1e9, 64], [])),
    400,
    'invalid_input',
    /^input 'x': batch size 1000000000 exceeds model 'tiny' max_batch_size 8$/,
  ],
  [
    'a zero batch',
    'tiny',
    x(t([0, 64], [])),
    400,
    'invalid_input',
    /^input 'x': batch size \(dim 0\) must be at least 1, got 0$/,
  ],
  [
    'the wrong rank',
    'tiny',
    x(t([64], zeros(64))),
    400,
    'invalid_input',
    /^input 'x': expected shape \[-1,64\], got \[64\]$/,
  ],
  [
    'a rank of 10000',
    'tiny',
    x(t(new Array(10_000).fill(1), [0])),
    400,
    'invalid_input',
    /^input 'x': expected shape \[-1,64\], got \[1,1,1,/,
  ],
  // Data against the shape.
  [
    'data shorter than the shape',
    'tiny',
    x(t([1, 64], zeros(63))),
    400,
    'invalid_input',
    /^input 'x': data has 63 elements, shape \[1,64\] needs 64$/,
  ],
  [
    'data longer than the shape',
    'tiny',
    x(t([1, 64], zeros(65))),
    400,
    'invalid_input',
    /^input 'x': data has 65 elements, shape \[1,64\] needs 64$/,
  ],
  [
    'ragged nested data',
    'tiny',
    x(t([2, 64], [zeros(64), zeros(63)])),
    400,
    'invalid_input',
    /^input 'x': data\[1\] has 63 elements, shape \[2,64\] needs 64 there$/,
  ],
  [
    'nested data deeper than the shape',
    'tiny',
    x(t([1, 64], [[...zeros(63), [1]]])),
    400,
    'invalid_input',
    /^input 'x': data\[0\]\[63\] is nested deeper than shape \[1,64\] allows$/,
  ],
  [
    'a scalar among rows',
    'tiny',
    x(t([2, 64], [zeros(64), 1])),
    400,
    'invalid_input',
    /^input 'x': data\[1\] should be an array of 64 for shape \[2,64\], got 1$/,
  ],
  [
    `data nested ${DEEP} levels`,
    'tiny',
    `{"input":{"x":{"datatype":"FP32","shape":[1,64],"data":${deepArray}}}}`,
    400,
    'invalid_input',
    /^input 'x': data\[0\] has 1 elements, shape \[1,64\] needs 64 there$/,
  ],
  [
    'data that is an object',
    'tiny',
    x(t([1, 64], {})),
    400,
    'invalid_input',
    /^input 'x': data must be an array, got an object$/,
  ],
  [
    'a string element',
    'tiny',
    x(t([1, 64], ['1', ...zeros(63)])),
    400,
    'invalid_input',
    /^input 'x': data element 0 is "1", expected a number for FP32$/,
  ],
  [
    'a null element',
    'tiny',
    x(t([1, 64], [...zeros(63), null])),
    400,
    'invalid_input',
    /^input 'x': data element 63 is null, expected a number for FP32$/,
  ],
  [
    'a boolean element for FP32',
    'tiny',
    x(t([1, 64], [true, ...zeros(63)])),
    400,
    'invalid_input',
    /^input 'x': data element 0 is true, expected a number for FP32$/,
  ],
  [
    'an object element',
    'tiny',
    x(t([1, 64], [{}, ...zeros(63)])),
    400,
    'invalid_input',
    /^input 'x': data element 0 is an object, expected a number for FP32$/,
  ],
  [
    'a number for BOOL',
    'pair',
    validPair(undefined, t([1, 2], [1, 0], 'BOOL')),
    400,
    'invalid_input',
    /^input 'b': data element 0 is 1, expected true or false for BOOL$/,
  ],
  [
    'an INT8 out of range',
    'pair',
    validPair(t([1, 2], [1, 128], 'INT8')),
    400,
    'invalid_input',
    /^input 'a': data element 1 is 128, expected an integer in \[-128, 127\] for INT8$/,
  ],
  [
    'a fractional INT8',
    'pair',
    validPair(t([1, 2], [1.5, 1], 'INT8')),
    400,
    'invalid_input',
    /^input 'a': data element 0 is 1.5, expected an integer for INT8$/,
  ],
  [
    'an INT8 of 1e300',
    'pair',
    validPair(t([1, 2], [1e300, 1], 'INT8')),
    400,
    'invalid_input',
    /^input 'a': data element 0 is 1e\+300, expected an integer in/,
  ],
  [
    'batch sizes that differ',
    'pair',
    validPair(undefined, t([2, 2], [true, false, true, false], 'BOOL')),
    400,
    'invalid_input',
    /^input 'b': batch size 2 differs from input 'a' batch size 1$/,
  ],
  // b64.
  [
    'b64 of the wrong length',
    'tiny',
    x({ datatype: 'FP32', shape: [1, 64], b64: 'AAAA' }),
    400,
    'invalid_input',
    /^input 'x': b64 decodes to 3 bytes, shape \[1,64\] of FP32 needs 256$/,
  ],
  [
    'b64 outside the alphabet',
    'tiny',
    x({ datatype: 'FP32', shape: [1, 64], b64: '!!!!' }),
    400,
    'invalid_input',
    /^input 'x': b64 must be a base64 string/,
  ],
  [
    'b64 without padding',
    'tiny',
    x({ datatype: 'FP32', shape: [1, 64], b64: 'AAA' }),
    400,
    'invalid_input',
    /^input 'x': b64 must be a base64 string/,
  ],
  [
    'b64 with = inside',
    'tiny',
    x({ datatype: 'FP32', shape: [1, 64], b64: 'AA==AAAA' }),
    400,
    'invalid_input',
    /^input 'x': b64 must be a base64 string/,
  ],
  [
    'b64 that is a number',
    'tiny',
    x({ datatype: 'FP32', shape: [1, 64], b64: 12 }),
    400,
    'invalid_input',
    /^input 'x': b64 must be a base64 string/,
  ],
  [
    'both data and b64',
    'tiny',
    x({ datatype: 'FP32', shape: [1, 64], data: zeros(64), b64: 'AAAA' }),
    400,
    'invalid_input',
    /^input 'x': give exactly one of "data", "b64" or "binary_data_size"$/,
  ],
  [
    'neither data nor b64',
    'tiny',
    x({ datatype: 'FP32', shape: [1, 64] }),
    400,
    'invalid_input',
    /^input 'x': give exactly one of/,
  ],
  [
    'binary_data_size in a JSON body',
    'tiny',
    x({ datatype: 'FP32', shape: [1, 64], binary_data_size: 256 }),
    400,
    'invalid_input',
    /^input 'x': give exactly one of/,
  ],
];

describe('hostile input', () => {
  const prefix = testPrefix('fuzz');
  let server: TestGateway;
  let base: string;
  let port: number;

  beforeAll(async () => {
    server = await startTestGateway(inject('redisUrl'), prefix, [tiny, pair, dyn], {
      ALTO_MAX_BODY_BYTES: String(LIMIT),
    });
    ({ base, port } = server);
  });
  afterAll(async () => {
    await server?.close();
  });

  const path = (model: string) => `/v1/models/${model}/predictions`;
  /** A raw JSON POST to tiny: the request line and headers, then `rest` (more headers, the blank line, a body). */
  const jsonPost = (rest: string) =>
    `POST ${path('tiny')} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${rest}`;
  const post = (model: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    rawRequest(port, rawPost(path(model), body, headers));

  /** A refusal in the API's format: the status, `{"error": {"code", "message"}}` and nothing else. */
  function expectRefusal(r: RawReply | undefined, status: number, code?: string | RegExp, message?: RegExp): void {
    expect(r, 'a response').toBeDefined();
    expect(r!.status, r!.body.slice(0, 300)).toBe(status);
    expect(r!.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(r!.body);
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
    expect(ERROR_CODES).toContain(body.error.code);
    expect(typeof body.error.message).toBe('string');
    if (code) expect(body.error.code).toMatch(code);
    if (message) expect(body.error.message).toMatch(message);
  }

  /** The gateway survived: /healthz answers and a valid request is still accepted. */
  async function expectServing(): Promise<void> {
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    await health.body?.cancel();
    const ok = await post('tiny', validTiny());
    expect(ok?.status, ok?.body).toBe(202);
    expect(JSON.parse(ok!.body).status).toBe('queued');
  }

  describe('bodies', () => {
    for (const [what, model, body, status, code, message] of jsonCases) {
      it(`${what}: ${status} ${code}`, async () => {
        expectRefusal(await post(model, body), status, code, message);
        await expectServing();
      });
    }
  });

  describe('binary bodies', () => {
    const header = (input: unknown) => Buffer.from(JSON.stringify({ input }));
    const bin = (h: Buffer, rest: Buffer, headerLength: string | null = String(h.length)) =>
      post('pair', Buffer.concat([h, rest]), {
        'content-type': 'application/octet-stream',
        ...(headerLength === null ? {} : { 'inference-header-content-length': headerLength }),
      });
    const sizes = (a: unknown, b: unknown = 2) =>
      header({
        a: { datatype: 'INT8', shape: [1, 2], binary_data_size: a },
        b: { datatype: 'BOOL', shape: [1, 2], binary_data_size: b },
      });
    const cases: [string, () => Promise<RawReply | undefined>, string, RegExp][] = [
      [
        'no Inference-Header-Content-Length',
        () => bin(sizes(2), Buffer.alloc(4), null),
        'invalid_input',
        /^header 'Inference-Header-Content-Length': required/,
      ],
      [
        'a negative header length',
        () => bin(sizes(2), Buffer.alloc(4), '-1'),
        'invalid_input',
        /^header 'Inference-Header-Content-Length': .*got '-1'$/,
      ],
      [
        'a header length that is not a number',
        () => bin(sizes(2), Buffer.alloc(4), 'abc'),
        'invalid_input',
        /got 'abc'$/,
      ],
      [
        'a header length past the body',
        () => bin(sizes(2), Buffer.alloc(4), '99999999999999999999'),
        'invalid_input',
        /^header 'Inference-Header-Content-Length': 100000000000000000000 is more than the body's/,
      ],
      [
        'a header length of 0',
        () => bin(sizes(2), Buffer.alloc(4), '0'),
        'invalid_json',
        /^the JSON header of the binary body is not valid JSON/,
      ],
      [
        'a header that is []',
        () => bin(Buffer.from('[]'), Buffer.alloc(0)),
        'invalid_input',
        /^request body: .*expected object/,
      ],
      [
        'a negative binary_data_size',
        () => bin(sizes(-1), Buffer.alloc(4)),
        'invalid_input',
        /^input 'a': binary_data_size must be a non-negative integer, got -1$/,
      ],
      [
        'a binary_data_size of 1e300',
        () => bin(sizes(1e300), Buffer.alloc(4)),
        'invalid_input',
        /^input 'a': binary_data_size must be a non-negative integer, got 1e\+300$/,
      ],
      [
        'a binary_data_size that is a string',
        () => bin(sizes('2'), Buffer.alloc(4)),
        'invalid_input',
        /^input 'a': binary_data_size must be a non-negative integer, got "2"$/,
      ],
      [
        'a binary_data_size past the end',
        () => bin(sizes(2, 1000), Buffer.alloc(4)),
        'invalid_input',
        /^input 'b': binary_data_size 1000 runs past the end of the body \(2 bytes left\)$/,
      ],
      [
        'bytes after the tensors',
        () => bin(sizes(2), Buffer.alloc(5)),
        'invalid_input',
        /^request body: 1 bytes follow the header and binary tensors/,
      ],
    ];
    for (const [what, send, code, message] of cases) {
      it(`${what}: 400 ${code}`, async () => {
        expectRefusal(await send(), 400, code, message);
        await expectServing();
      });
    }
  });

  describe('headers and paths', () => {
    const cases: [string, () => Promise<RawReply | undefined>, number, string, RegExp][] = [
      [
        'no Content-Type',
        () =>
          rawRequest(
            port,
            `POST ${path('tiny')} HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`,
          ),
        415,
        'unsupported_media_type',
        /got '\(none\)'$/,
      ],
      [
        'Content-Type application/jsonx',
        () => post('tiny', validTiny(), { 'content-type': 'application/jsonx' }),
        415,
        'unsupported_media_type',
        new RegExp(
          '^Content-Type must be application/json, application/msgpack or application/octet-stream ' +
            "\\(with Inference-Header-Content-Length\\), got 'application/jsonx'$",
        ),
      ],
      [
        'Prefer: wait=-1',
        () => post('tiny', validTiny(), { prefer: 'wait=-1' }),
        400,
        'invalid_input',
        /^header 'Prefer': wait must be a whole number of seconds from 0 to 60, got '-1'$/,
      ],
      [
        'Prefer: wait=1e3',
        () => post('tiny', validTiny(), { prefer: 'wait=1e3' }),
        400,
        'invalid_input',
        /^header 'Prefer': .*got '1e3'$/,
      ],
      [
        'Prefer: wait=',
        () => post('tiny', validTiny(), { prefer: 'wait=' }),
        400,
        'invalid_input',
        /^header 'Prefer': .*got ''$/,
      ],
      [
        'Prefer: wait=soon',
        () => post('tiny', validTiny(), { prefer: 'wait=soon' }),
        400,
        'invalid_input',
        /^header 'Prefer': .*got 'soon'$/,
      ],
      [
        'a 10 000-character model name',
        () => post('a'.repeat(10_000), validTiny()),
        404,
        'model_not_found',
        /^model 'aaaa+' is not published$/,
      ],
      [
        'a model name with a bad percent-encoding',
        () => post('%ff%E0%A4%A', validTiny()),
        404,
        'model_not_found',
        /is not published$/,
      ],
      [
        'a model name that climbs directories',
        () => post('..%2F..%2Fetc', validTiny()),
        404,
        'model_not_found',
        /is not published$/,
      ],
      [
        'a prediction id with a bad percent-encoding',
        () => rawRequest(port, 'GET /v1/predictions/%ff%fe HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'),
        404,
        'prediction_not_found',
        /does not exist/,
      ],
      [
        'a Host header that is not a host',
        () => post('tiny', validTiny(), { host: 'a b' }),
        400,
        'invalid_input',
        /^header 'Host': /,
      ],
    ];
    for (const [what, send, status, code, message] of cases) {
      it(`${what}: ${status} ${code}`, async () => {
        expectRefusal(await send(), status, code, message);
        await expectServing();
      });
    }
  });

  describe('framing', () => {
    const tooLarge = new RegExp(`^request body is larger than the limit of ${LIMIT} bytes$`);

    it('a Content-Length over the limit is refused before the body is sent', async () => {
      const head = jsonPost(`content-length: ${LIMIT + 1}\r\nconnection: close\r\n\r\n`);
      expectRefusal(await rawRequest(port, head), 413, 'payload_too_large', tooLarge);
      await expectServing();
    });

    it('a body over the limit sent with Content-Length: 413', async () => {
      expectRefusal(await post('tiny', Buffer.alloc(LIMIT + 4096, 0x20)), 413, 'payload_too_large', tooLarge);
      await expectServing();
    });

    it('a chunked body over the limit: 413 while it is being read', async () => {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const chunks = Array.from({ length: (LIMIT * 2) / chunk.length }, () =>
        Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]),
      );
      const body = Buffer.concat([...chunks, Buffer.from('0\r\n\r\n')]);
      expectRefusal(await post('tiny', body, { 'transfer-encoding': 'chunked' }), 413, 'payload_too_large', tooLarge);
      await expectServing();
    });

    it('a valid chunked body is accepted (the framing cases below are refusals, not chunking)', async () => {
      const json = validTiny();
      const body = `${Buffer.byteLength(json).toString(16)}\r\n${json}\r\n0\r\n\r\n`;
      expect((await post('tiny', body, { 'transfer-encoding': 'chunked' }))?.status).toBe(202);
    });

    it('a Content-Length that declares fewer bytes than are sent', async () => {
      const body = validTiny();
      for (const connection of ['close', 'keep-alive']) {
        const head = jsonPost(`content-length: 10\r\nconnection: ${connection}\r\n\r\n`);
        // The first 10 bytes are not JSON, and the rest is not HTTP: either refusal may come first.
        expectRefusal(await rawRequest(port, head + body), 400, /^invalid_(json|input)$/);
      }
      await expectServing();
    });

    it('a Content-Length that declares more bytes than are sent: the client gives up, the gateway carries on', async () => {
      const body = validTiny();
      const head = jsonPost(`content-length: ${body.length + 1000}\r\n\r\n`);
      // The gateway waits for the rest (no answer yet); the client then closes.
      expect(await rawRequest(port, head + body, { giveUpMs: 300 })).toBeUndefined();
      // Half of the body, then a FIN instead of a reset.
      const { connect } = await import('node:net');
      await new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1', () => s.end(head + body.slice(0, 100)));
        s.on('close', () => resolve());
        s.on('error', () => resolve());
        s.resume();
      });
      await expectServing();
    });

    const malformed: [string, string][] = [
      [
        'Content-Length and Transfer-Encoding together',
        jsonPost(`content-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`),
      ],
      ['two different Content-Lengths', jsonPost(`content-length: 2\r\ncontent-length: 3\r\n\r\n{}`)],
      ['a negative Content-Length', jsonPost(`content-length: -5\r\n\r\n{}`)],
      ['a chunk size that is not hex', jsonPost(`transfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`)],
      ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
      ['a header without a colon', `GET /healthz HTTP/1.1\r\nhost: x\r\nnonsense\r\n\r\n`],
    ];
    for (const [what, bytes] of malformed) {
      it(`${what}: 400 with the error body`, async () => {
        expectRefusal(
          await rawRequest(port, bytes),
          400,
          'invalid_input',
          /^request: not valid HTTP\/1\.1 \(Parse Error: /,
        );
        await expectServing();
      });
    }
  });

  it('survives a few hundred random mutations of valid bodies without a 5xx', async () => {
    let seed = 0x5eed;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let r = seed;
      r = Math.imul(r ^ (r >>> 15), r | 1);
      r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
      return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const hostile: unknown[] = [
      -1,
      0,
      1,
      1.5,
      -0.5,
      1e308,
      -1e308,
      2 ** 53,
      2 ** 31,
      -(2 ** 63),
      null,
      true,
      false,
      '',
      'x',
      'FP32',
      'BOOL',
      'AAAA',
      'AA==',
      [],
      {},
      [[]],
      [-1],
      [0],
      [1e9, 64],
      [1, 64],
      ['1'],
      'a'.repeat(5000),
      new Array(300).fill(null),
      zeros(64),
      [zeros(64)],
      { datatype: 'FP32', shape: [1, 64] },
      { __proto__: 1 },
      { constructor: {} },
    ];
    const bases: [string, () => unknown][] = [
      ['tiny', () => ({ input: { x: t([1, 64], zeros(64)) } })],
      [
        'tiny',
        () => ({
          input: { x: { datatype: 'FP32', shape: [1, 64], b64: Buffer.alloc(256).toString('base64') } },
          response_format: 'b64',
        }),
      ],
      ['tiny', () => ({ input: { x: t([2, 64], [zeros(64), zeros(64)]) } })],
      ['pair', () => JSON.parse(validPair())],
      [
        'dyn',
        () => ({
          input: {
            x: t(
              [2, 3],
              [
                [1, 2, 3],
                [4, 5, 6],
              ],
            ),
          },
        }),
      ],
    ];
    /** A random container inside `root` and one of its keys. */
    const spot = (root: unknown): [Record<string, unknown>, string] | undefined => {
      let node = root;
      let found: [Record<string, unknown>, string] | undefined;
      for (let depth = 0; depth < 6 && typeof node === 'object' && node !== null; depth++) {
        const keysOf = Object.keys(node);
        if (keysOf.length === 0) break;
        const k = pick(keysOf);
        found = [node as Record<string, unknown>, k];
        if (rand() < 0.3) break;
        node = (node as Record<string, unknown>)[k];
      }
      return found;
    };
    const mutateValue = (body: unknown) => {
      const at = spot(body);
      if (!at) return;
      const [parent, key] = at;
      const op = rand();
      if (op < 0.6) parent[key] = structuredClone(pick(hostile));
      else if (op < 0.75) delete parent[key];
      else if (op < 0.9)
        parent[pick(['extra', 'data', 'b64', 'shape', 'datatype', 'input', '0', '__proto__'])] = structuredClone(
          pick(hostile),
        );
      else parent[key] = [parent[key], parent[key]];
    };
    const mutateText = (text: string): string => {
      const i = Math.floor(rand() * (text.length + 1));
      const op = rand();
      if (op < 0.25) return text.slice(0, i);
      if (op < 0.5)
        return (
          text.slice(0, i) +
          pick(['{', '}', '[', ']', '"', ',', ':', '-', '1e999', 'NaN', 'Infinity', '\\u0000', '\u00ff']) +
          text.slice(i + 1)
        );
      if (op < 0.75) return text.slice(0, i) + text.slice(i, i + 20) + text.slice(i);
      return text.slice(0, i) + '['.repeat(1000) + text.slice(i);
    };

    const statuses = new Map<number, number>();
    const RUNS = 400;
    for (let run = 0; run < RUNS; run++) {
      const [model, make] = pick(bases);
      const body = make();
      const mutations = 1 + Math.floor(rand() * 3);
      for (let m = 0; m < mutations; m++) mutateValue(body);
      let text = JSON.stringify(body) ?? 'null';
      if (rand() < 0.3) text = mutateText(text);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (rand() < 0.1) {
        headers['content-type'] = 'application/octet-stream';
        headers['inference-header-content-length'] = String(Math.floor(rand() * (text.length + 10)));
      }
      if (rand() < 0.1)
        headers.prefer = pick(['wait=0', 'wait=x', 'wait', 'respond-async', 'wait=-1', 'wait=1,wait=2']);
      const waitLess =
        headers.prefer === 'wait' || headers.prefer === 'wait=1,wait=2' ? { ...headers, prefer: 'wait=0' } : headers;
      const r = await post(model, text, waitLess);
      const where = `run ${run}: ${model} ${JSON.stringify(waitLess)} ${text.slice(0, 300)}`;
      expect(r, where).toBeDefined();
      statuses.set(r!.status, (statuses.get(r!.status) ?? 0) + 1);
      expect(r!.status, `${where} → ${r!.body.slice(0, 300)}`).toBeLessThan(500);
      if (r!.status >= 400) expectRefusal(r, r!.status);
      else expect(JSON.parse(r!.body).status, where).toBe('queued');
    }
    // The loop exercised refusals, not just one path.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(RUNS / 2);
    await expectServing();
  });

  it('counted no 5xx for any of it, including requests whose client went away', async () => {
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const lines = metrics.split('\n').filter((l) => l.startsWith('alto_gateway_predictions_total{'));
    expect(lines.some((l) => /status="400"/.test(l))).toBe(true);
    expect(lines.filter((l) => /status="5\d\d"/.test(l))).toEqual([]);
  });
});
