import { describe, expect, it } from 'vitest';
import { modelDetails, modelsTable, versionCell } from './commands/ls.ts';
import { modelSummary } from './commands/publish.ts';
import { devicesCell, modelsCell, workersTable } from './commands/workers.ts';
import { ago, percent, renderFields, renderTable } from './table.ts';
import type { ModelView, WorkerView } from './views.ts';

const model = (
  over: Omit<Partial<ModelView>, 'status'> & { status?: Partial<ModelView['status']> } = {},
): ModelView => ({
  name: 'tiny',
  uri: 'gs://models/tiny',
  replicas: 2,
  version: null,
  constraints: {},
  created_at: '2026-11-23T10:00:00.000Z',
  updated_at: '2026-11-23T10:05:00.000Z',
  workers: [],
  ...over,
  status: {
    state: 'available',
    versions: ['1', '2'],
    ready_replicas: 2,
    serving_version: '2',
    target_version: '2',
    ...over.status,
  },
});

const NOW = Date.parse('2026-11-23T10:10:00.000Z');
const worker = (over: Partial<WorkerView> = {}): WorkerView => ({
  id: 'w-1',
  host: 'node-a',
  accelerator: 'cpu',
  memory_bytes: 16 * 2 ** 30,
  memory_used_bytes: 1.5 * 2 ** 30,
  devices: [],
  tags: {},
  alive: true,
  last_seen: '2026-11-23T10:09:57.000Z',
  state: 'running',
  inflight: 0,
  models: [],
  drained: false,
  ...over,
});

describe('renderTable', () => {
  it('aligns every column to its widest cell with two spaces between, and no trailing blanks', () => {
    expect(
      renderTable(
        ['A', 'LONG HEADER', 'C'],
        [
          ['wide cell', 'x', ''],
          ['b', 'y', 'last'],
        ],
      ),
    ).toBe('A          LONG HEADER  C\n' + 'wide cell  x\n' + 'b          y            last\n');
  });

  it('prints the header alone for no rows', () => {
    expect(renderTable(['A', 'B'], [])).toBe('A  B\n');
  });

  it('aligns key: value fields', () => {
    expect(
      renderFields([
        ['name', 'tiny'],
        ['in store', '1, 2'],
      ]),
    ).toBe('name:      tiny\nin store:  1, 2\n');
  });
});

describe('ago and percent', () => {
  it.each([
    ['2026-11-23T10:09:57.000Z', '3s ago'],
    ['2026-11-23T10:05:00.000Z', '5m ago'],
    ['2026-11-23T07:10:00.000Z', '3h ago'],
    ['2026-11-20T10:10:00.000Z', '3d ago'],
    ['2026-11-23T10:10:05.000Z', '0s ago'],
    ['not a time', '-'],
  ])('writes %s as %s', (iso, text) => {
    expect(ago(iso, NOW)).toBe(text);
  });

  it('floors progress so 100% means done, and has none without a total', () => {
    expect(percent({ done: 45, total: 100 })).toBe('45%');
    expect(percent({ done: 999, total: 1000 })).toBe('99%');
    expect(percent({ done: 10, total: 10 })).toBe('100%');
    expect(percent({ done: 0, total: 0 })).toBeUndefined();
    expect(percent(undefined)).toBeUndefined();
  });
});

describe('models', () => {
  it('shows one version when serving the target, serving / target while rolling out', () => {
    expect(versionCell(model().status)).toBe('2');
    expect(versionCell(model({ status: { serving_version: '2', target_version: '3' } }).status)).toBe('2 / 3');
    expect(versionCell(model({ status: { serving_version: undefined, target_version: '1' } }).status)).toBe('- / 1');
    expect(versionCell(model({ status: { serving_version: undefined, target_version: undefined } }).status)).toBe('-');
  });

  it('lists models sorted by name with replicas ready/requested and the reason or error', () => {
    const text = modelsTable([
      model({ name: 'tiny' }),
      model({
        name: 'big',
        uri: 'file:///srv/big',
        replicas: 1,
        status: {
          state: 'unplaceable',
          reason: 'no worker has 8 GiB free',
          ready_replicas: 0,
          serving_version: undefined,
          target_version: '1',
        },
      }),
      model({
        name: 'ocr',
        status: { state: 'failed', error: 'model.onnx: protobuf parsing failed', ready_replicas: 0 },
      }),
    ]);
    expect(text).toBe(
      'NAME  VERSION  REPLICAS  STATE        REASON                               URI\n' +
        'big   - / 1    0/1       unplaceable  no worker has 8 GiB free             file:///srv/big\n' +
        'ocr   2        0/2       failed       model.onnx: protobuf parsing failed  gs://models/tiny\n' +
        'tiny  2        2/2       available    -                                    gs://models/tiny\n',
    );
  });

  it('details a model with its settings and the workers that hold it, with progress while downloading', () => {
    const text = modelDetails(
      model({
        version: '3',
        max_batch_size: 8,
        max_queue_delay_ms: 5,
        timeout_ms: 30000,
        memory_bytes: 1.5 * 2 ** 30,
        constraints: { accelerator: 'gpu' },
        execution_provider: 'cuda',
        status: {
          state: 'rolling_out',
          serving_version: '2',
          target_version: '3',
          runtime: 'onnx',
          versions: ['1', '2', '3'],
          ready_replicas: 1,
        },
        workers: [
          { id: 'w-2', version: '3', state: 'downloading', progress: { done: 45, total: 100 } },
          { id: 'w-1', version: '2', state: 'ready' },
        ],
      }),
    );
    expect(text).toBe(
      [
        'name:                tiny',
        'uri:                 gs://models/tiny',
        'state:               rolling_out',
        'version:             3 (pinned)',
        'serving:             2',
        'target:              3',
        'in store:            1, 2, 3',
        'replicas:            1 ready / 2 requested',
        'batching:            max_batch_size 8, max_queue_delay_ms 5',
        'queue:               timeout_ms 30000',
        'memory:              1.5 GiB (1610612736 bytes)',
        'constraints:         accelerator=gpu',
        'runtime:             onnx',
        'execution provider:  cuda',
        'created:             2026-11-23T10:00:00.000Z',
        'updated:             2026-11-23T10:05:00.000Z',
        '',
        'WORKER  VERSION  STATE        PROGRESS',
        'w-1     2        ready        -',
        'w-2     3        downloading  45%',
        '',
      ].join('\n'),
    );
  });

  it('adds an error line and column only when there is an error, and says when no worker holds it', () => {
    const failed = modelDetails(
      model({
        status: { state: 'failed', reason: 'load failed', error: 'bad model' },
        workers: [{ id: 'w-1', version: '2', state: 'failed', error: 'protobuf parsing failed' }],
      }),
    );
    expect(failed).toMatch(/^state: +failed \(load failed\)\nerror: +bad model$/m);
    expect(failed).toMatch(/^WORKER +VERSION +STATE +PROGRESS +ERROR\nw-1 +2 +failed +- +protobuf parsing failed\n$/m);
    const unheld = modelDetails(model());
    expect(unheld).toMatch(/^version: +latest$/m);
    expect(unheld).toMatch(/\n\nno worker holds it\n$/);
    expect(unheld).not.toMatch(/^error:/m);
  });

  it('sums a model up in one line after publish and update', () => {
    expect(modelSummary(model({ status: { state: 'pending', ready_replicas: 0 } }))).toBe(
      'tiny: pending, 0/2 replicas ready, version latest',
    );
    expect(modelSummary(model({ version: '1', status: { state: 'unplaceable', reason: 'no gpu worker' } }))).toBe(
      'tiny: unplaceable (no gpu worker), 2/2 replicas ready, version 1 (pinned)',
    );
  });
});

describe('workers', () => {
  it('names each model as name@version with its state, and progress only while downloading', () => {
    expect(modelsCell([])).toBe('-');
    expect(
      modelsCell([
        { name: 'tiny', version: '2', uri: 'u', state: 'ready', progress: { done: 1, total: 1 } },
        { name: 'big', version: '3', uri: 'u', state: 'downloading', progress: { done: 1, total: 3 } },
        { name: 'ocr', version: '1', uri: 'u', state: 'failed', error: 'x' },
      ]),
    ).toBe('tiny@2 ready, big@3 downloading 33%, ocr@1 failed');
  });

  it('lists workers sorted by id with memory used / total and how long ago each was seen', () => {
    const text = workersTable(
      [
        worker({
          id: 'w-2',
          host: 'node-b',
          accelerator: 'gpu',
          alive: false,
          state: 'draining',
          last_seen: '2026-11-23T10:08:00.000Z',
        }),
        worker({
          models: [{ name: 'tiny', version: '2', uri: 'u', state: 'ready' }],
          devices: [{ kind: 'cpu', model: 'Xeon', count: 1, memory_bytes_per_device: 20 * 2 ** 30 }],
        }),
      ],
      NOW,
    );
    expect(text).toBe(
      'ID   HOST    ACCEL  STATE                DEVICES               MEMORY            LAST SEEN  MODELS\n' +
        'w-1  node-a  cpu    running              cpu Xeon, 1 × 20 GiB  1.5 GiB / 16 GiB  3s ago     tiny@2 ready\n' +
        'w-2  node-b  gpu    draining, not alive  -                     1.5 GiB / 16 GiB  2m ago     -\n',
    );
  });

  it('shows each kind of device with its model, count and memory per device', () => {
    expect(
      devicesCell([
        { kind: 'cpu', model: 'AMD EPYC 7B13 64-Core Processor', count: 1, memory_bytes_per_device: 62 * 2 ** 30 },
        {
          kind: 'gpu',
          model: 'NVIDIA H200',
          count: 2,
          memory_bytes_per_device: 143771 * 2 ** 20,
          memory_used_bytes: 100 * 2 ** 30,
        },
      ]),
    ).toBe('cpu AMD EPYC 7B13 64-Core Processor, 1 × 62 GiB; gpu NVIDIA H200, 2 × 140 GiB (100 GiB used)');
  });
});
