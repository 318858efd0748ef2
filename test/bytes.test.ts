// BYTES tensors end to end through real processes, on an ONNX model whose input and output are
// string tensors (Identity): every API's BYTES form in and out (Alto JSON strings, b64 and the
// binary body; OIP REST and gRPC; TF Serving; msgpack), batching of rows of different lengths,
// the size and UTF-8 checks with messages that name the input and both sides, and both SDKs.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from '@alto/client';
import { credentials, loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { freePort } from '@alto/procs';
import { Packr, Unpackr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway, startWorker, testPrefix, type Proc } from './support/fleet.ts';
import { getJson, postJson } from './support/http.ts';
import { TEST_VENV_INSTALL_TIMEOUT_MS, testPython } from './support/python.ts';
import { stringIdentityModel, textRepository } from './support/text-model.ts';
import { waitFor } from './support/wait.ts';

/** The length-prefixed layout, written here independently of @alto/protocol. */
const layout = (elements: (string | Buffer)[]): Buffer =>
  Buffer.concat(
    elements.flatMap((e) => {
      const b = typeof e === 'string' ? Buffer.from(e, 'utf8') : e;
      const n = Buffer.alloc(4);
      n.writeUInt32LE(b.length);
      return [n, b];
    }),
  );

const TEXTS = ['a cat sits', '', 'ünïcødé ✓ 猫', 'x'.repeat(40)];

describe('BYTES tensors', () => {
  const redisUrl = inject('redisUrl');
  const prefix = testPrefix('bytes');
  const repo = textRepository();
  let worker: Proc;
  let gateway: Proc & { url: string; grpc: string };

  beforeAll(async () => {
    repo.add('echo', {
      'model.onnx': stringIdentityModel(),
      'config.json': JSON.stringify({ max_batch_size: 16 }),
    });
    worker = await startWorker(redisUrl, prefix, { ALTO_MODEL_REPOSITORY: repo.dir });
    const grpcPort = await freePort();
    const g = await startGateway(redisUrl, prefix, {
      ALTO_GRPC_PORT: String(grpcPort),
      ALTO_BYTES_ELEMENT_MAX_BYTES: '64',
      ALTO_BYTES_TOTAL_MAX_BYTES: '200',
    });
    gateway = Object.assign(g, { grpc: `127.0.0.1:${grpcPort}` });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([worker?.kill(), gateway?.kill()]);
  });

  const predict = (body: unknown) => postJson(`${gateway.url}/v1/models/echo/predictions`, body, { prefer: 'wait=30' });

  it('shows an ONNX string tensor as BYTES, declared text', async () => {
    const r = await getJson(`${gateway.url}/v1/models/echo`);
    expect(r.body.inputs).toEqual([{ name: 's', datatype: 'BYTES', shape: [-1], text: true }]);
    expect(r.body.outputs).toEqual([{ name: 'out', datatype: 'BYTES', shape: [-1] }]);
  });

  it('takes JSON strings and answers strings', async () => {
    const r = await predict({ input: { s: { datatype: 'BYTES', shape: [TEXTS.length], data: TEXTS } } });
    expect(r.status).toBe(200);
    expect(r.body.output.out).toEqual({ datatype: 'BYTES', shape: [TEXTS.length], data: TEXTS });
  });

  it('takes b64 of the length-prefixed layout and answers it with response_format b64', async () => {
    const r = await predict({
      input: { s: { datatype: 'BYTES', shape: [TEXTS.length], b64: layout(TEXTS).toString('base64') } },
      response_format: 'b64',
    });
    expect(r.status).toBe(200);
    expect(Buffer.from(r.body.output.out.b64, 'base64').equals(layout(TEXTS))).toBe(true);
  });

  it('takes the binary body: binary_data_size bytes of length-prefixed elements', async () => {
    const header = Buffer.from(
      JSON.stringify({
        input: { s: { datatype: 'BYTES', shape: [TEXTS.length], binary_data_size: layout(TEXTS).length } },
      }),
    );
    const res = await fetch(`${gateway.url}/v1/models/echo/predictions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(header.length),
        prefer: 'wait=30',
      },
      body: Buffer.concat([header, layout(TEXTS)]),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).output.out.data).toEqual(TEXTS);
  });

  it('batches concurrent requests of different lengths and splits each its own rows back', async () => {
    const requests = Array.from({ length: 10 }, (_, i) =>
      Array.from({ length: (i % 3) + 1 }, (_, j) => `${i}:${'z'.repeat(i * j)}`),
    );
    worker.child.kill('SIGSTOP');
    let pending: ReturnType<typeof predict>[];
    try {
      pending = requests.map((data) => predict({ input: { s: { datatype: 'BYTES', shape: [data.length], data } } }));
      // All queued behind the stopped worker before it wakes up to them: it reads them as one backlog.
      await waitFor(async () => (await getJson(`${gateway.url}/v1/models/echo`)).body.queue_depth === requests.length, {
        what: `${requests.length} queued requests`,
        timeoutMs: 60_000,
      });
    } finally {
      worker.child.kill('SIGCONT');
    }
    const replies = await Promise.all(pending);
    replies.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.body.output.out.data).toEqual(requests[i]);
    });
    expect(Math.max(...replies.map((r) => r.body.metrics.batch_size))).toBeGreaterThan(3);
  });

  it('refuses a broken layout, a count that misses the shape, and bytes that are not UTF-8', async () => {
    const short = await predict({
      input: { s: { datatype: 'BYTES', shape: [3], b64: layout(['a', 'b']).toString('base64') } },
    });
    expect(short.status).toBe(400);
    expect(short.body.error.message).toBe(
      "input 's': b64 holds 2 length-prefixed BYTES elements, the shape needs 3 " +
        '(each element is a 4-byte little-endian length, then that many bytes)',
    );
    const overrun = Buffer.from([9, 0, 0, 0, 0x61]);
    const past = await predict({ input: { s: { datatype: 'BYTES', shape: [1], b64: overrun.toString('base64') } } });
    expect(past.body.error.message).toBe("input 's': b64 element 0 declares 9 bytes, only 1 follow");
    const trailing = Buffer.concat([layout(['a']), Buffer.from([1])]);
    const extra = await predict({ input: { s: { datatype: 'BYTES', shape: [1], b64: trailing.toString('base64') } } });
    expect(extra.body.error.message).toBe("input 's': b64 has 1 bytes after the 1 elements the shape needs");
    const latin1 = await predict({
      input: { s: { datatype: 'BYTES', shape: [1], b64: layout([Buffer.from([0xff, 0xfe])]).toString('base64') } },
    });
    expect(latin1.status).toBe(400);
    expect(latin1.body.error.message).toBe("input 's': element 0 is not valid UTF-8; the model takes text");
  });

  it('refuses an element or a tensor past ALTO_BYTES_ELEMENT_MAX_BYTES / ALTO_BYTES_TOTAL_MAX_BYTES', async () => {
    const long = await predict({ input: { s: { datatype: 'BYTES', shape: [2], data: ['ok', 'y'.repeat(65)] } } });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toBe("input 's': element 1 is 65 bytes, more than the limit of 64");
    const many = Array.from({ length: 5 }, () => 'w'.repeat(50));
    const total = await predict({ input: { s: { datatype: 'BYTES', shape: [5], data: many } } });
    expect(total.status).toBe(400);
    expect(total.body.error.message).toBe("input 's': BYTES elements total 250 bytes, more than the limit of 200");
  });

  it('serves OIP REST: strings in data, and binary data both ways', async () => {
    const json = await postJson(`${gateway.url}/v2/models/echo/infer`, {
      inputs: [{ name: 's', datatype: 'BYTES', shape: [2], data: ['a cat', 'ünï'] }],
    });
    expect(json.status).toBe(200);
    expect(json.body.outputs).toEqual([{ name: 'out', datatype: 'BYTES', shape: [2], data: ['a cat', 'ünï'] }]);
    const bytes = layout(TEXTS);
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 's', datatype: 'BYTES', shape: [TEXTS.length], parameters: { binary_data_size: bytes.length } },
        ],
        outputs: [{ name: 'out', parameters: { binary_data: true } }],
      }),
    );
    const res = await fetch(`${gateway.url}/v2/models/echo/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
      body: Buffer.concat([header, bytes]),
    });
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    const n = Number(res.headers.get('inference-header-content-length'));
    const head = JSON.parse(body.subarray(0, n).toString()) as {
      outputs: { parameters: { binary_data_size: number } }[];
    };
    expect(head.outputs[0]!.parameters.binary_data_size).toBe(bytes.length);
    expect(body.subarray(n).equals(bytes)).toBe(true);
  });

  it('serves OIP gRPC: bytes_contents in, raw_output_contents out', async () => {
    const definition = loadSync(
      fileURLToPath(new URL('../apps/gateway/proto/grpc_predict_v2.proto', import.meta.url)),
      { keepCase: true, longs: String, bytes: Buffer, defaults: true, oneofs: true },
    );
    const inference = loadPackageDefinition(definition).inference as GrpcObject;
    const Service = inference.GRPCInferenceService as ServiceClientConstructor;
    const client = new Service(gateway.grpc, credentials.createInsecure()) as unknown as {
      ModelInfer(r: unknown, cb: (err: Error | null, res?: any) => void): void;
      close(): void;
    };
    const call = (request: unknown) =>
      new Promise<any>((resolve, reject) =>
        client.ModelInfer(request, (err, res) => (err ? reject(err) : resolve(res))),
      );
    try {
      const elements = TEXTS.map((t) => Buffer.from(t, 'utf8'));
      const typed = await call({
        model_name: 'echo',
        inputs: [{ name: 's', datatype: 'BYTES', shape: [TEXTS.length], contents: { bytes_contents: elements } }],
      });
      expect(typed.outputs[0]).toMatchObject({ name: 'out', datatype: 'BYTES', shape: [String(TEXTS.length)] });
      expect(Buffer.from(typed.raw_output_contents[0]).equals(layout(TEXTS))).toBe(true);
      const raw = await call({
        model_name: 'echo',
        inputs: [{ name: 's', datatype: 'BYTES', shape: [2] }],
        raw_input_contents: [layout(['x', 'yz'])],
      });
      expect(Buffer.from(raw.raw_output_contents[0]).equals(layout(['x', 'yz']))).toBe(true);
    } finally {
      client.close();
    }
  });

  it('serves TF Serving :predict with strings and {"b64"} elements', async () => {
    const rows = await postJson(`${gateway.url}/v1/models/echo:predict`, {
      instances: ['a cat', { b64: Buffer.from('kitten').toString('base64') }],
    });
    expect(rows.status).toBe(200);
    expect(rows.body).toEqual({ predictions: ['a cat', 'kitten'] });
    const columns = await postJson(`${gateway.url}/v1/models/echo:predict`, { inputs: { s: ['p', 'q', 'r'] } });
    expect(columns.body).toEqual({ outputs: ['p', 'q', 'r'] });
    const bad = await postJson(`${gateway.url}/v1/models/echo:predict`, { instances: ['a', 3] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe(`input 's': element [1] is 3, expected a string or {"b64": "..."} for BYTES`);
  });

  it('takes msgpack bin elements and answers the length-prefixed layout as bin', async () => {
    const packr = new Packr({ useRecords: false });
    const body = packr.pack({
      input: { s: { datatype: 'BYTES', shape: [2], data: [Buffer.from('ab'), Buffer.from('ünï')] } },
    });
    const res = await fetch(`${gateway.url}/v1/models/echo/predictions`, {
      method: 'POST',
      headers: { 'content-type': 'application/msgpack', accept: 'application/msgpack', prefer: 'wait=30' },
      body,
    });
    expect(res.status).toBe(200);
    const reply = new Unpackr({ useRecords: false }).unpack(Buffer.from(await res.arrayBuffer())) as any;
    expect(Buffer.from(reply.output.out.data).equals(layout(['ab', 'ünï']))).toBe(true);
  });

  it('round-trips through the TypeScript client: strings in, strings out', async () => {
    const client = createClient({ url: gateway.url });
    const p = await client.predict(
      'echo',
      { s: { datatype: 'BYTES', shape: [2], data: ['a cat', 'ünï'] } },
      { wait: 30_000 },
    );
    expect(p.status).toBe('succeeded');
    expect(p.output?.out?.data).toEqual(['a cat', 'ünï']);
  });

  it(
    'round-trips through the Python client: a numpy object array in, an object array of str out',
    () => {
      const script = [
        'import sys, numpy as np',
        'from alto_client import Client',
        'with Client(sys.argv[1]) as c:',
        '    p = c.predict("echo", {"s": np.array(["a cat", "", "ünï"], dtype=object)}, wait=30)',
        '    print(p.status, repr(p.output["out"].tolist()))',
      ].join('\n');
      const out = execFileSync(testPython(), ['-c', script, gateway.url], { encoding: 'utf8' });
      expect(out.trim()).toBe("succeeded ['a cat', '', 'ünï']");
    },
    TEST_VENV_INSTALL_TIMEOUT_MS,
  );

  it(
    'round-trips through tritonclient over HTTP (binary and JSON) and gRPC',
    () => {
      const script = [
        'import sys, numpy as np',
        'import tritonclient.http as th, tritonclient.grpc as tg',
        '# tritonclient reads JSON strings as str and binary elements as bytes: compared as text.',
        'show = lambda a: print([v.decode() if isinstance(v, bytes) else v for v in a.tolist()])',
        'texts = np.array(["a cat".encode(), b"", "ünï".encode()], dtype=np.object_)',
        'for binary in (True, False):',
        '    c = th.InferenceServerClient(sys.argv[1])',
        '    i = th.InferInput("s", [3], "BYTES"); i.set_data_from_numpy(texts, binary_data=binary)',
        '    o = th.InferRequestedOutput("out", binary_data=binary)',
        '    show(c.infer("echo", [i], outputs=[o]).as_numpy("out"))',
        'g = tg.InferenceServerClient(sys.argv[2])',
        'i = tg.InferInput("s", [3], "BYTES"); i.set_data_from_numpy(texts)',
        'show(g.infer("echo", [i]).as_numpy("out"))',
      ].join('\n');
      const out = execFileSync(testPython(), ['-c', script, gateway.url.replace('http://', ''), gateway.grpc], {
        encoding: 'utf8',
      });
      const want = "['a cat', '', 'ünï']";
      expect(out.trim().split('\n')).toEqual([want, want, want]);
    },
    TEST_VENV_INSTALL_TIMEOUT_MS,
  );
});
